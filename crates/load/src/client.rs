//! One simulated participant: a WebSocket client that creates or joins a
//! room, reports its state every second and, as host, changes playback
//! at a set rate; every peer times the change's arrival.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use matinee_protocol::{
    ClientMsg, ControlAction, ControlMode, RoomCode, ServerMsg, StateReport, PROTOCOL_VERSION,
};
use tokio::sync::{oneshot, watch};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// Figures every participant adds to.
#[derive(Default)]
pub struct Tally {
    /// Control sent → state received, per receiving peer (ms).
    pub per_peer_ms: Mutex<Vec<f64>>,
    /// Control sent → state received by the last peer of the room (ms).
    pub all_peers_ms: Mutex<Vec<f64>>,
    pub connected: AtomicU64,
    pub peak_connected: AtomicU64,
    pub controls: AtomicU64,
    pub reports: AtomicU64,
    pub errors: Mutex<HashMap<String, u64>>,
    /// Measuring (after the warm-up): samples before it are dropped.
    pub measuring: std::sync::atomic::AtomicBool,
}

impl Tally {
    pub fn error(&self, kind: impl Into<String>) {
        *self
            .errors
            .lock()
            .expect("errors lock")
            .entry(kind.into())
            .or_default() += 1;
    }

    pub fn error_count(&self) -> u64 {
        self.errors.lock().expect("errors lock").values().sum()
    }
}

/// Controls of one room in flight: seq → (sent, peers yet to see it,
/// slowest so far).
#[derive(Default)]
pub struct RoomTiming {
    sent: Mutex<HashMap<u64, (Instant, usize, f64)>>,
}

impl RoomTiming {
    fn sent(&self, seq: u64, peers: usize) {
        self.sent
            .lock()
            .expect("timing lock")
            .insert(seq, (Instant::now(), peers, 0.0));
    }

    fn arrived(&self, seq: u64, tally: &Tally) {
        let now = Instant::now();
        let mut sent = self.sent.lock().expect("timing lock");
        let Some((at, left, slowest)) = sent.get_mut(&seq) else {
            return;
        };
        let ms = now.duration_since(*at).as_secs_f64() * 1000.0;
        *left = left.saturating_sub(1);
        *slowest = slowest.max(ms);
        let (done, slowest) = (*left == 0, *slowest);
        if done {
            sent.remove(&seq);
        }
        drop(sent);
        if tally.measuring.load(Ordering::Relaxed) {
            tally.per_peer_ms.lock().expect("samples lock").push(ms);
            if done {
                tally
                    .all_peers_ms
                    .lock()
                    .expect("samples lock")
                    .push(slowest);
            }
        }
    }
}

pub enum Role {
    Host {
        code: oneshot::Sender<RoomCode>,
        control_every: Option<Duration>,
    },
    Guest {
        code: RoomCode,
    },
}

pub struct Participant {
    pub url: String,
    pub role: Role,
    pub room: Arc<RoomTiming>,
    pub room_size: usize,
    pub tally: Arc<Tally>,
    pub stop: watch::Receiver<bool>,
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

fn text(msg: &ClientMsg) -> Message {
    Message::Text(serde_json::to_string(msg).expect("serialisable").into())
}

impl Participant {
    /// Runs until stopped or the link fails; true when it took its seat.
    pub async fn run(self) -> bool {
        let Participant {
            url,
            role,
            room,
            room_size,
            tally,
            mut stop,
        } = self;
        let ws = match tokio::time::timeout(
            Duration::from_secs(20),
            // A small read buffer (thousands of clients share this
            // process) and no Nagle delay, as the app's own link.
            tokio_tungstenite::connect_async_with_config(
                url.as_str(),
                Some(WebSocketConfig::default().read_buffer_size(4096)),
                true,
            ),
        )
        .await
        {
            Ok(Ok((ws, _))) => ws,
            Ok(Err(e)) => {
                tally.error(format!("connect: {e}"));
                return false;
            }
            Err(_) => {
                tally.error("connect: timed out");
                return false;
            }
        };
        let (mut tx, mut rx) = ws.split();
        let hello = ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            client: "matinee-load".into(),
        };
        let (first, control_every, code_out) = match role {
            Role::Host {
                code,
                control_every,
            } => (
                ClientMsg::Create {
                    nickname: "host".into(),
                    control_mode: ControlMode::HostOnly,
                    media: None,
                },
                control_every,
                Some(code),
            ),
            Role::Guest { code } => (
                ClientMsg::Join {
                    code,
                    nickname: "guest".into(),
                    media: None,
                },
                None,
                None,
            ),
        };
        if tx.send(text(&hello)).await.is_err() || tx.send(text(&first)).await.is_err() {
            tally.error("send failed");
            return false;
        }
        // Until the seat: the welcome, then joined (or an error).
        let me = loop {
            let frame = tokio::time::timeout(Duration::from_secs(20), rx.next()).await;
            match frame {
                Ok(Some(Ok(Message::Text(t)))) => match ServerMsg::decode(&t) {
                    Ok(ServerMsg::Joined(j)) => {
                        if let Some(out) = code_out {
                            let _ = out.send(j.room.code.clone());
                        }
                        break j.you;
                    }
                    Ok(ServerMsg::Error { code, .. }) => {
                        tally.error(format!("refused: {}", code.as_str()));
                        return false;
                    }
                    _ => {}
                },
                Ok(Some(Ok(_))) => {}
                _ => {
                    tally.error("closed before joining");
                    return false;
                }
            }
        };
        let n = tally.connected.fetch_add(1, Ordering::Relaxed) + 1;
        tally.peak_connected.fetch_max(n, Ordering::Relaxed);

        let jitter = |every: Duration| every.mul_f64(rand::random::<f64>());
        let mut report = tokio::time::interval_at(
            tokio::time::Instant::now() + jitter(Duration::from_secs(1)),
            Duration::from_secs(1),
        );
        let control_period = control_every.unwrap_or(Duration::from_secs(3600));
        let mut control = tokio::time::interval_at(
            tokio::time::Instant::now() + control_period + jitter(control_period),
            control_period,
        );
        let (mut seq, mut epoch, mut paused) = (0u64, 0u64, false);
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                _ = report.tick() => {
                    let msg = ClientMsg::State(StateReport {
                        position: 10.0,
                        paused,
                        speed: 1.0,
                        buffering: false,
                        player_closed: false,
                        server_ms: now_ms(),
                        epoch,
                    });
                    if tx.send(text(&msg)).await.is_err() {
                        tally.error("send failed");
                        break;
                    }
                    tally.reports.fetch_add(1, Ordering::Relaxed);
                }
                _ = control.tick(), if control_every.is_some() => {
                    seq += 1;
                    paused = !paused;
                    let action = if paused {
                        ControlAction::Pause { position: 10.0 }
                    } else {
                        ControlAction::Play { position: 10.0 }
                    };
                    room.sent(seq, room_size - 1);
                    let msg = ClientMsg::Control { seq, action, server_ms: None };
                    if tx.send(text(&msg)).await.is_err() {
                        tally.error("send failed");
                        break;
                    }
                    tally.controls.fetch_add(1, Ordering::Relaxed);
                }
                frame = rx.next() => match frame {
                    // Only states and errors matter here; the rest (the
                    // roster, notices) is read but not decoded, to spend
                    // this machine's CPU on the relay rather than on us.
                    Some(Ok(Message::Text(t)))
                        if !t.starts_with(r#"{"type":"state""#)
                            && !t.starts_with(r#"{"type":"error""#) => {}
                    Some(Ok(Message::Text(t))) => match ServerMsg::decode(&t) {
                        Ok(ServerMsg::State { playback, cause, .. }) => {
                            epoch = playback.epoch;
                            paused = playback.paused;
                            if let Some(c) = cause.filter(|c| c.by != me) {
                                room.arrived(c.seq, &tally);
                            }
                        }
                        Ok(ServerMsg::Error { code, .. }) => tally.error(format!("error: {}", code.as_str())),
                        Ok(_) => {}
                        Err(e) => tally.error(format!("undecodable: {e}")),
                    },
                    Some(Ok(Message::Close(_))) | None => {
                        tally.error("closed by the relay");
                        break;
                    }
                    Some(Err(e)) => {
                        tally.error(format!("link: {e}"));
                        break;
                    }
                    Some(Ok(_)) => {}
                },
            }
        }
        tally.connected.fetch_sub(1, Ordering::Relaxed);
        let _ = tx.close().await;
        true
    }
}
