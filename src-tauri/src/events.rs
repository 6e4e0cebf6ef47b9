//! The events the app sends the window, by name. The window's side is
//! `ui/src/events.ts` (each name with its payload's type); a test checks
//! that both name the same events, and that nothing here emits a name
//! written out by hand.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEvent {
    /// A `matinee://` link to open (payload: the link).
    Invite,
    /// A film to open (payload: its path).
    OpenFile,
    /// The window is asked before closing while friends watch through this
    /// computer (payload: how many).
    ConfirmClose,
    /// How friends reach this computer changed (payload: a `ReachReport`).
    Reachability,
}

impl AppEvent {
    #[cfg(test)]
    pub const ALL: [AppEvent; 4] = [
        AppEvent::Invite,
        AppEvent::OpenFile,
        AppEvent::ConfirmClose,
        AppEvent::Reachability,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AppEvent::Invite => "invite",
            AppEvent::OpenFile => "open-file",
            AppEvent::ConfirmClose => "confirm-close",
            AppEvent::Reachability => "reachability",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AppEvent;
    use std::collections::BTreeSet;
    use std::path::Path;

    /// The keys of `interface AppEvents { … }` in ui/src/events.ts.
    fn window_names() -> BTreeSet<String> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/events.ts");
        let text = std::fs::read_to_string(&path).expect("ui/src/events.ts");
        let body = text
            .split("export interface AppEvents {")
            .nth(1)
            .and_then(|rest| rest.split('}').next())
            .expect("the AppEvents interface");
        body.lines()
            .map(str::trim)
            .filter(|l| {
                !l.is_empty() && !l.starts_with("//") && !l.starts_with("/*") && !l.starts_with('*')
            })
            .filter_map(|l| l.split(':').next())
            .map(|k| k.trim().trim_matches('"').to_string())
            .collect()
    }

    #[test]
    fn the_window_listens_for_the_events_the_app_sends() {
        let ours: BTreeSet<String> = AppEvent::ALL.iter().map(|e| e.name().to_string()).collect();
        assert_eq!(window_names(), ours);
    }

    #[test]
    fn events_are_sent_by_their_names_here_only() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for entry in std::fs::read_dir(&src).unwrap().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            for (i, line) in text.lines().enumerate() {
                let by_hand = line.contains(".emit(\"")
                    || (line.contains("emit_to(") && line.contains(", \""));
                assert!(
                    !by_hand,
                    "{}:{}: emits a name written out by hand: {line}",
                    entry.path().display(),
                    i + 1
                );
            }
        }
    }
}
