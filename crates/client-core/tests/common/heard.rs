//! What a session said, for the party tests.

use std::sync::{Arc, Mutex};

use matinee_client_core::{PartyHandle, SessionEvent};
use matinee_protocol::NoticeEvent;

/// Everything a session said, collected in the background.
pub fn record(session: &PartyHandle) -> Arc<Mutex<Vec<SessionEvent>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut rx = session.events();
    let sink = seen.clone();
    tokio::spawn(async move {
        while let Ok(ev) = rx.recv().await {
            sink.lock().unwrap().push(ev);
        }
    });
    seen
}

/// A notice of someone pausing or jumping (to check that nobody is said
/// to have done what nobody did).
pub fn made_up_action(events: &[SessionEvent]) -> Option<&SessionEvent> {
    events.iter().find(|e| {
        matches!(
            e,
            SessionEvent::Notice {
                event: NoticeEvent::Paused | NoticeEvent::Seeked,
                ..
            }
        )
    })
}
