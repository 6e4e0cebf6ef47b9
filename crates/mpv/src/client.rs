//! The JSON IPC client: typed commands with `request_id`s matched to their
//! replies, and a reader task that fans out events.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::{broadcast, oneshot, watch};
use tokio_util::codec::{FramedRead, LinesCodec};

use crate::event::OBSERVED;
use crate::{MpvError, MpvEvent, PlayerState};

/// How long a command may wait for mpv's reply.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest line accepted from mpv.
const MAX_LINE: usize = 1 << 20;
const EVENT_BUFFER: usize = 4096;

type Reply = oneshot::Sender<Result<Value, MpvError>>;
type Writer = Box<dyn AsyncWrite + Send + Unpin>;

struct Inner {
    writer: tokio::sync::Mutex<Writer>,
    pending: Mutex<HashMap<u64, Reply>>,
    next_id: AtomicU64,
    timeout_ms: AtomicU64,
    events: broadcast::Sender<MpvEvent>,
    state: watch::Sender<PlayerState>,
}

/// A connection to one mpv. Cheap to clone.
#[derive(Clone)]
pub struct MpvClient {
    inner: Arc<Inner>,
}

impl MpvClient {
    /// Starts a client over any byte stream speaking mpv's JSON IPC, and
    /// subscribes to every property Matinee observes.
    pub async fn start(
        reader: impl AsyncRead + Send + Unpin + 'static,
        writer: impl AsyncWrite + Send + Unpin + 'static,
    ) -> Result<Self, MpvError> {
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let (state, _) = watch::channel(PlayerState::default());
        let client = Self {
            inner: Arc::new(Inner {
                writer: tokio::sync::Mutex::new(Box::new(writer)),
                pending: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(1),
                timeout_ms: AtomicU64::new(REQUEST_TIMEOUT.as_millis() as u64),
                events,
                state,
            }),
        };
        tokio::spawn(read_loop(
            FramedRead::new(reader, LinesCodec::new_with_max_length(MAX_LINE)),
            Arc::downgrade(&client.inner),
        ));
        for (i, name) in OBSERVED.iter().enumerate() {
            client
                .request(json!(["observe_property", i + 1, name]))
                .await?;
        }
        Ok(client)
    }

    /// Events from now on. Slow receivers miss old events (`Lagged`).
    pub fn events(&self) -> broadcast::Receiver<MpvEvent> {
        self.inner.events.subscribe()
    }

    /// The latest observed state, updated as events arrive.
    pub fn state(&self) -> watch::Receiver<PlayerState> {
        self.inner.state.subscribe()
    }

    /// Changes how long a command waits for its reply ([`REQUEST_TIMEOUT`]).
    pub fn set_request_timeout(&self, timeout: Duration) {
        self.inner
            .timeout_ms
            .store(timeout.as_millis() as u64, Ordering::Relaxed);
    }

    /// Whether the connection to mpv is gone.
    pub fn is_closed(&self) -> bool {
        self.inner.state.borrow().closed
    }

    async fn request(&self, command: Value) -> Result<Value, MpvError> {
        if self.is_closed() {
            return Err(MpvError::Closed);
        }
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.inner
            .pending
            .lock()
            .expect("pending lock")
            .insert(id, tx);
        let name = command
            .get(0)
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        tracing::debug!(id, command = %name, "mpv request");
        let mut line = serde_json::to_string(&json!({"command": command, "request_id": id}))
            .expect("commands serialise");
        line.push('\n');
        let written = {
            let mut w = self.inner.writer.lock().await;
            match w.write_all(line.as_bytes()).await {
                Ok(()) => w.flush().await,
                Err(e) => Err(e),
            }
        };
        if let Err(e) = written {
            self.forget(id);
            return Err(match e.kind() {
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset => {
                    MpvError::Closed
                }
                _ => e.into(),
            });
        }
        let timeout = Duration::from_millis(self.inner.timeout_ms.load(Ordering::Relaxed));
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(MpvError::Closed),
            Err(_) => {
                self.forget(id);
                tracing::warn!(id, command = %name, "mpv did not answer in time");
                Err(MpvError::Timeout(timeout.as_secs_f64()))
            }
        }
    }

    fn forget(&self, id: u64) {
        self.inner.pending.lock().expect("pending lock").remove(&id);
    }

    /// Pauses or resumes playback.
    pub async fn set_pause(&self, paused: bool) -> Result<(), MpvError> {
        self.request(json!(["set_property", "pause", paused]))
            .await
            .map(drop)
    }

    /// Sets the playback speed (1.0 = normal).
    pub async fn set_speed(&self, speed: f64) -> Result<(), MpvError> {
        self.request(json!(["set_property", "speed", speed]))
            .await
            .map(drop)
    }

    /// Jumps to an absolute position in seconds, frame-exact.
    pub async fn seek_to(&self, position: f64) -> Result<(), MpvError> {
        self.request(json!(["seek", position, "absolute+exact"]))
            .await
            .map(drop)
    }

    /// Jumps `seconds` from where it is, as the arrow keys do (relative,
    /// to a keyframe).
    pub async fn seek_by(&self, seconds: f64) -> Result<(), MpvError> {
        self.request(json!(["seek", seconds, "relative"]))
            .await
            .map(drop)
    }

    /// Loads a local file or URL (the user's own choice, never a peer's),
    /// replacing what plays, optionally starting at `start` seconds and
    /// paused.
    pub async fn load_file(
        &self,
        target: &str,
        start: Option<f64>,
        paused: bool,
    ) -> Result<(), MpvError> {
        let mut options = format!("pause={}", if paused { "yes" } else { "no" });
        if let Some(s) = start {
            options.push_str(&format!(",start={s:.3}"));
        }
        let command = json!({
            "name": "loadfile",
            "url": target,
            "flags": "replace",
            "options": options,
        });
        self.request(command).await.map(drop)
    }

    /// Shows a notice on mpv's OSD. The text is shown as it is: commands
    /// sent over IPC do not expand `${…}` properties.
    pub async fn show_text(&self, text: &str, duration: Duration) -> Result<(), MpvError> {
        let ms = duration.as_millis().min(60_000) as u64;
        self.request(json!(["show-text", text, ms])).await.map(drop)
    }

    /// Adds a subtitle file this app wrote (in its own private folder:
    /// never a path received from someone else), titled and tagged with
    /// its language; selects it when `select`.
    pub async fn add_subtitle(
        &self,
        path: &std::path::Path,
        title: &str,
        lang: Option<&str>,
        select: bool,
    ) -> Result<(), MpvError> {
        let path = path
            .to_str()
            .ok_or_else(|| MpvError::Protocol("the subtitle's path is not valid UTF-8".into()))?;
        let flag = if select { "select" } else { "auto" };
        self.request(json!(["sub-add", path, flag, title, lang.unwrap_or("")]))
            .await
            .map(drop)
    }

    /// Removes external subtitle track `id` from the player.
    pub async fn remove_subtitle(&self, id: u32) -> Result<(), MpvError> {
        self.request(json!(["sub-remove", id])).await.map(drop)
    }

    /// Selects track `id` of this kind, or none.
    pub async fn select_track(
        &self,
        kind: crate::TrackType,
        id: Option<u32>,
    ) -> Result<(), MpvError> {
        let value = id.map_or(json!("no"), |id| json!(id));
        self.request(json!(["set_property", kind.property(), value]))
            .await
            .map(drop)
    }

    /// Sets the subtitle delay in seconds (positive: later).
    pub async fn set_sub_delay(&self, seconds: f64) -> Result<(), MpvError> {
        self.request(json!(["set_property", "sub-delay", seconds]))
            .await
            .map(drop)
    }

    /// Sets HTTP headers mpv sends when streaming (e.g. authorisation), so
    /// they never appear on a command line.
    pub async fn set_http_headers(&self, headers: &[String]) -> Result<(), MpvError> {
        self.request(json!(["set_property", "http-header-fields", headers]))
            .await
            .map(drop)
    }

    /// Reads a numeric property (e.g. "time-pos", "duration").
    pub async fn get_number(&self, property: &str) -> Result<Option<f64>, MpvError> {
        let v = self.request(json!(["get_property", property])).await;
        match v {
            Ok(v) => Ok(v.as_f64()),
            Err(MpvError::Command(e)) if e.contains("unavailable") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Reads a text property (e.g. "path", "filename").
    pub async fn get_text(&self, property: &str) -> Result<Option<String>, MpvError> {
        let v = self.request(json!(["get_property", property])).await;
        match v {
            Ok(v) => Ok(v.as_str().map(String::from)),
            Err(MpvError::Command(e)) if e.contains("unavailable") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The tracks as mpv lists them now, read fresh (after every command
    /// sent before it has been answered).
    pub async fn track_list(&self) -> Result<Vec<crate::Track>, MpvError> {
        let v = self.request(json!(["get_property", "track-list"])).await?;
        Ok(crate::tracks::parse_track_list(Some(&v)))
    }

    /// Unloads what plays; mpv stays open, idle (series night: a member
    /// without a copy of the entry sits it out).
    pub async fn stop(&self) -> Result<(), MpvError> {
        self.request(json!(["stop"])).await.map(drop)
    }

    /// Asks mpv to quit.
    pub async fn quit(&self) -> Result<(), MpvError> {
        match self.request(json!(["quit"])).await {
            Ok(_) | Err(MpvError::Closed) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

async fn read_loop<R: AsyncRead + Unpin>(
    mut lines: FramedRead<R, LinesCodec>,
    inner: std::sync::Weak<Inner>,
) {
    while let Some(line) = lines.next().await {
        let Some(inner) = inner.upgrade() else { return };
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                tracing::warn!(error = %e, "unreadable line from mpv");
                break;
            }
        };
        let at = Instant::now();
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            tracing::warn!("mpv sent a line that is not JSON");
            continue;
        };
        if v.get("event").is_some() {
            if let Some(event) = MpvEvent::from_json(&v) {
                if let MpvEvent::Property(p) = &event {
                    inner.state.send_modify(|s| s.apply(p, at));
                }
                let _ = inner.events.send(event);
            }
        } else if let Some(id) = v.get("request_id").and_then(Value::as_u64) {
            tracing::debug!(id, "mpv reply");
            let reply = inner.pending.lock().expect("pending lock").remove(&id);
            if let Some(reply) = reply {
                let result = match v.get("error").and_then(Value::as_str) {
                    Some("success") => Ok(v.get("data").cloned().unwrap_or(Value::Null)),
                    Some(err) => Err(MpvError::Command(err.to_string())),
                    None => Err(MpvError::Protocol("reply without an error field".into())),
                };
                let _ = reply.send(result);
            }
        }
    }
    if let Some(inner) = inner.upgrade() {
        inner.state.send_modify(|s| s.closed = true);
        // Dropping the senders fails every waiting request with `Closed`.
        inner.pending.lock().expect("pending lock").clear();
        let _ = inner.events.send(MpvEvent::Closed);
        tracing::info!("mpv connection closed");
    }
}
