//! The sync engine: follows the room, drives the player, tells our own
//! echoes from the user's actions.
//!
//! Rules:
//! - The room's playback is authoritative. The engine aligns pause state
//!   at once, positions by exact seek while paused, and while playing lets
//!   the drift controller choose speed or (for large jumps) a seek.
//! - Every command sent to the player leaves an expected echo
//!   ([`EchoTracker`]); matching observations are never reported as user
//!   actions. A change that leaves the player as the room wants it is not a
//!   user action either.
//! - A jump counts as a user seek only when it departs from both the
//!   expected local position and the room position.
//! - A change applied from the room is never re-broadcast. The user's own
//!   change is sent once as a `control`, applied locally at once, and room
//!   states that predate its acknowledgement are ignored.

use matinee_protocol::{
    ClientMsg, ControlAction, ControlCause, ParticipantId, PlaybackState, StateReport,
};

use crate::{ClockEstimator, ControllerKind, Correction, DriftController, EchoTracker};

/// Settings of the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    pub controller: ControllerKind,
    /// How often to send a state report, ms.
    pub report_interval_ms: f64,
    /// While paused, seek when further than this from the room, seconds.
    pub paused_tolerance_s: f64,
    /// On someone else's room change, and once more within `settle_ms`
    /// after it, a playing player further than this from the room lands
    /// as a start does (paused, put ahead, started when the room gets
    /// there), seconds: where a speed correction would take seconds (mpv's
    /// own audio buffer also shifts a player by tens of ms whenever its
    /// speed changes much).
    pub settle_s: f64,
    /// How long after a room change the settle landing may come, ms.
    pub settle_ms: f64,
    /// A playing mpv moves as if a new speed took effect this much later
    /// (its audio buffer still plays at the old one), seconds: about
    /// 0.3 s with mpv's default buffers, measured.
    pub speed_shift_s: f64,
    /// A local jump further than this from both the expected local and
    /// room positions is a user seek, seconds.
    pub user_seek_s: f64,
    /// Drop an unacknowledged own control after this long, ms.
    pub control_timeout_ms: f64,
    /// |drift| under which the status is "synced", ms.
    pub synced_ms: f64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            controller: ControllerKind::Matinee,
            report_interval_ms: 1000.0,
            paused_tolerance_s: 0.005,
            settle_s: 0.03,
            settle_ms: 2000.0,
            speed_shift_s: 0.35,
            user_seek_s: 0.5,
            control_timeout_ms: 3000.0,
            synced_ms: 40.0,
        }
    }
}

/// What the player looks like right now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlayerSample {
    /// Position now (extrapolated from the last `time-pos`), seconds.
    pub position: Option<f64>,
    pub paused: bool,
    pub speed: f64,
    pub seeking: bool,
    /// mpv's `paused-for-cache`.
    pub buffering: bool,
    pub eof: bool,
}

/// A command for the local player.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PlayerCommand {
    Pause(bool),
    Seek(f64),
    Speed(f64),
}

/// How in sync we are, for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    NoRoom,
    /// The room is paused or about to start.
    Waiting,
    Synced,
    Correcting,
    Seeking,
    Buffering,
    PlayerClosed,
    /// This copy is at its end: the film has ended, or the room plays on
    /// past the end of this (shorter) copy.
    Ended,
}

/// Something the UI may want to know.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncEvent {
    Status(SyncStatus),
    /// Measured drift (local − room) and the speed factor in effect.
    Drift {
        drift_ms: f64,
        factor: f64,
    },
    /// The user's own action was sent to the room.
    UserAction(ControlAction),
    /// The user's action is not allowed here and was undone.
    Refused(String),
}

/// Output of the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Player(PlayerCommand),
    Send(ClientMsg),
    Event(SyncEvent),
}

#[cfg(test)]
mod tests {
    use super::intended_speed;

    #[test]
    fn speed_keys_are_relative_to_the_room_and_other_values_absolute() {
        // Corrected to 0.98 × 1.0 when the user presses "]".
        assert_eq!(intended_speed(0.98 * 1.1, 0.98, 1.0), 1.1);
        assert_eq!(intended_speed(0.98 / 1.1, 0.98, 1.0), 0.91);
        assert_eq!(intended_speed(2.0 * 1.03, 1.03, 1.0), 2.0);
        // A speed chosen from a menu is taken as it is.
        assert_eq!(intended_speed(1.25, 0.98, 1.0), 1.25);
        assert_eq!(intended_speed(9.0, 1.0, 1.0), 4.0);
    }
}

#[derive(Debug, Clone, Copy)]
struct LastSample {
    position: f64,
    at_ms: f64,
    speed: f64,
    running: bool,
}

pub struct SyncEngine {
    cfg: EngineConfig,
    controller: Box<dyn DriftController>,
    clock: ClockEstimator,
    echo: EchoTracker,
    me: Option<ParticipantId>,
    may_control: bool,
    room: Option<PlaybackState>,
    /// Our own control not yet acknowledged: (seq, local send time).
    pending_control: Option<(u64, f64)>,
    next_seq: u64,
    applied_epoch: u64,
    /// The epoch in which a paused-position seek was already done.
    paused_seek_epoch: Option<u64>,
    /// Paused at this position ahead of the room, to unpause when the room
    /// gets there.
    start_at: Option<f64>,
    /// After someone else's room change: whether the player still has to
    /// land on it.
    settle: Option<Settle>,
    sample: Option<PlayerSample>,
    last: Option<LastSample>,
    player_closed: bool,
    /// Length of this copy, seconds (from the player), once known.
    duration: Option<f64>,
    commanded_speed: f64,
    /// When our last seek was sent, and to where.
    seek_sent: Option<f64>,
    seek_latency_ms: f64,
    /// How far ahead of where it waited an unpaused player turns out to
    /// be, in the film's seconds (mpv with a null audio output: 12 ms);
    /// learned from our own starts, None before the first.
    start_jump_s: Option<f64>,
    /// How late a big speed change of the user's shows in the position,
    /// seconds per unit of speed; learned, the config's before the first.
    speed_shift_s: Option<f64>,
    /// A change of ours whose effect is still to be measured.
    check: Option<Check>,
    /// When (local ms) the player's speed last changed by much: mpv's
    /// position wavers for a few hundred ms after.
    big_speed_change_ms: f64,
    last_report_ms: f64,
    status: SyncStatus,
    drift_s: Option<f64>,
    stats: Stats,
}

/// Counters, for benchmarks and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    pub seeks: u64,
    pub speed_changes: u64,
    pub controls_sent: u64,
    pub pauses_applied: u64,
}

/// A position this close to the copy's end counts as its end, seconds
/// (mpv's last frame is one frame before the duration).
const END_MARGIN_S: f64 = 0.25;

/// Unpause at once when this close to the room, seconds.
const START_TOLERANCE_S: f64 = 0.012;
/// How far ahead of the room to wait, seconds: twice the seek latency,
/// within these bounds.
const START_LEAD_MIN_S: f64 = 0.15;
const START_LEAD_MAX_S: f64 = 1.0;
/// Someone else's room change the player may still have to land on.
#[derive(Debug, Clone, Copy)]
struct Settle {
    /// Until when (local ms) the settle check may still land it.
    until_ms: f64,
    /// The settle check landed it already (once is enough).
    landed: bool,
    /// The room's speed changed by much: land at once whatever the drift.
    flush: bool,
}

/// A speed change larger than this makes mpv's position waver...
const BIG_SPEED_CHANGE: f64 = 0.02;
/// ...for about this long, ms: no settle seek is judged meanwhile.
const SPEED_WAVER_MS: f64 = 400.0;

/// Unpause this much before the room reaches us (mpv's unpause latency).
const START_EARLY_S: f64 = 0.003;

/// A change of ours whose effect on the player is measured once it has
/// shown: how this player behaves is learned, not assumed, and what the
/// change left is closed at once.
#[derive(Debug, Clone, Copy)]
struct Check {
    what: OwnChange,
    /// When (local ms) the change was made.
    at_ms: f64,
    /// The room's epoch then: any change since spoils the measure.
    epoch: u64,
}

#[derive(Debug, Clone, Copy)]
enum OwnChange {
    /// Our unpause: how far ahead it puts the player (learned).
    Start,
    /// The user's big speed change, `delta` = old − new: how late it shows
    /// (learned).
    SpeedShift { delta: f64 },
    /// A trim: the player runs 2 % off the room's speed for `for_ms` to
    /// close what one of the above left.
    Trim { for_ms: f64 },
    /// The trim's end: back at the room's speed, still showing.
    TrimEnd,
}

impl OwnChange {
    /// How long the change takes to show, ms: no correction is made
    /// meanwhile, so what is measured is the change alone.
    fn shows_after_ms(self) -> f64 {
        match self {
            OwnChange::Start => START_SHOWN_MS,
            OwnChange::SpeedShift { .. } | OwnChange::TrimEnd => SPEED_SHIFT_SHOWN_MS,
            OwnChange::Trim { for_ms } => for_ms,
        }
    }
}

/// An unpause has shown this long after, ms (mpv's position jumps within
/// 10 ms and runs straight from there).
const START_SHOWN_MS: f64 = 150.0;
/// A big speed change has shown in full this long after, ms (mpv's
/// position follows it as its audio buffer drains: two thirds within
/// 50 ms, all of it within about 350 ms, measured in the benchmark).
const SPEED_SHIFT_SHOWN_MS: f64 = 450.0;
/// What a change of ours left is closed by a trim when over this, seconds
/// (under it the drift controller's deadband keeps the speed at 1).
const TRIM_MIN_S: f64 = 0.003;
/// A trim's speed change: 2 %, which nobody hears (scaletempo2 keeps the
/// pitch)...
const TRIM_ADJUST: f64 = 0.02;
/// ...for at most this long, ms.
const TRIM_MAX_MS: f64 = 3000.0;
/// A measure this long after its change is stale, ms.
const CHECK_STALE_MS: f64 = 1500.0;
/// A change further off than this was upset by something else (a stall,
/// a clock step), seconds: it teaches nothing.
const CHECK_MAX_OFF_S: f64 = 0.08;
/// Weight of a new measure in what is learned (a first start counts
/// fully).
const LEARN_GAIN: f64 = 0.5;
/// Largest jump an unpause may be taken to make, seconds.
const START_JUMP_MAX_S: f64 = 0.08;
/// A speed change smaller than this teaches nothing of the shift.
const SHIFT_LEARN_MIN_DELTA: f64 = 0.1;

fn rounded(x: f64, step: f64) -> f64 {
    (x / step).round() * step
}

/// mpv's speed keys multiply the current speed (`[` `]` by 1/1.1 and 1.1,
/// `{` `}` by 0.5 and 2): such a step is relative to the room speed, not
/// to our correction. Any other value was set as it is.
fn intended_speed(observed: f64, commanded: f64, room_speed: f64) -> f64 {
    let ratio = observed / commanded;
    let step = [1.1, 1.0 / 1.1, 2.0, 0.5]
        .into_iter()
        .find(|s| (ratio / s - 1.0).abs() < 1e-3);
    let intended = match step {
        Some(s) => room_speed * s,
        None => observed,
    };
    rounded(intended, 0.01).clamp(0.25, 4.0)
}

impl SyncEngine {
    pub fn new(cfg: EngineConfig) -> Self {
        Self {
            controller: cfg.controller.build(),
            cfg,
            clock: ClockEstimator::default(),
            echo: EchoTracker::default(),
            me: None,
            may_control: true,
            room: None,
            pending_control: None,
            next_seq: 0,
            applied_epoch: 0,
            paused_seek_epoch: None,
            start_at: None,
            settle: None,
            sample: None,
            last: None,
            player_closed: false,
            duration: None,
            commanded_speed: 1.0,
            seek_sent: None,
            seek_latency_ms: 50.0,
            start_jump_s: None,
            speed_shift_s: None,
            check: None,
            big_speed_change_ms: f64::NEG_INFINITY,
            last_report_ms: f64::NEG_INFINITY,
            status: SyncStatus::NoRoom,
            drift_s: None,
            stats: Stats::default(),
        }
    }

    pub fn clock(&self) -> &ClockEstimator {
        &self.clock
    }

    pub fn status(&self) -> SyncStatus {
        self.status
    }

    /// Latest measured drift in seconds (local − room), while playing.
    pub fn drift_s(&self) -> Option<f64> {
        self.drift_s
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    pub fn controller_name(&self) -> &'static str {
        self.controller.name()
    }

    pub fn room(&self) -> Option<&PlaybackState> {
        self.room.as_ref()
    }

    /// The room position now, seconds (None before a room or a clock).
    pub fn room_position(&self, now_ms: f64) -> Option<f64> {
        let server = self.clock.to_server(now_ms)?;
        self.room.map(|r| r.position_at(server))
    }

    /// Local time at which the engine wants a tick (a scheduled start).
    pub fn next_deadline(&self) -> Option<f64> {
        let room = self.room?;
        if room.paused {
            return None;
        }
        let server = match self.start_at {
            // When the room reaches the point we start at.
            Some(target) if room.speed > 0.0 => room.anchor_ms.max(
                room.anchor_ms + (self.start_point(target) - room.position) / room.speed * 1000.0,
            ),
            _ => room.anchor_ms,
        };
        self.clock.to_local(server)
    }

    /// Whether nothing moves: the room and the player are paused and
    /// settled (no seek under way, no buffering), and no command or
    /// control of ours awaits its answer. The app may look at the player
    /// less often then; every event from the player still counts at once.
    pub fn at_rest(&mut self, now_ms: f64) -> bool {
        self.room
            .is_some_and(|r| r.paused && !r.waiting_for_buffering)
            && self
                .sample
                .is_some_and(|s| s.paused && !s.seeking && !s.buffering)
            && self.pending_control.is_none()
            && self.start_at.is_none()
            && !self.echo.any_in_flight(now_ms)
    }

    /// A `ping` to send at local time `now`.
    pub fn ping(&self, now_ms: f64) -> ClientMsg {
        ClientMsg::Ping { client_ms: now_ms }
    }

    /// A `pong` arrived at local time `now`.
    pub fn on_pong(
        &mut self,
        client_ms: f64,
        server_recv_ms: f64,
        server_send_ms: f64,
        now_ms: f64,
    ) {
        self.clock
            .add(client_ms, server_recv_ms, server_send_ms, now_ms);
    }

    /// Whether the user may control playback (host, or a shared room).
    pub fn set_may_control(&mut self, may: bool) {
        self.may_control = may;
    }

    /// We took a seat; `server_ms` is the relay's time in the message.
    pub fn on_joined(
        &mut self,
        me: ParticipantId,
        playback: PlaybackState,
        server_ms: f64,
        now_ms: f64,
    ) -> Vec<Action> {
        self.me = Some(me);
        self.clock.seed(server_ms, now_ms);
        self.pending_control = None;
        self.room = Some(playback);
        self.applied_epoch = playback.epoch;
        self.paused_seek_epoch = None;
        self.controller.reset(now_ms);
        let mut out = Vec::new();
        self.align(now_ms, true, &mut out);
        out
    }

    /// We left the room.
    pub fn on_left(&mut self) -> Vec<Action> {
        self.room = None;
        self.me = None;
        self.pending_control = None;
        let mut out = Vec::new();
        self.set_status(SyncStatus::NoRoom, &mut out);
        out
    }

    /// The relay sent the room's playback.
    pub fn on_room_state(
        &mut self,
        playback: PlaybackState,
        server_ms: f64,
        cause: Option<ControlCause>,
        now_ms: f64,
    ) -> Vec<Action> {
        self.clock.seed(server_ms, now_ms);
        let ours = cause.is_some_and(|c| Some(c.by) == self.me);
        if let Some((seq, sent)) = self.pending_control {
            let acked = ours && cause.is_some_and(|c| c.seq == seq);
            let expired = now_ms - sent > self.cfg.control_timeout_ms;
            if acked || expired {
                self.pending_control = None;
            } else {
                // Predates our own change: keep the optimistic state.
                return Vec::new();
            }
        }
        let changed = self.room.is_none_or(|r| r.epoch != playback.epoch);
        // Someone else's speed change: a running player lands on it
        // rather than following its buffer late.
        let speed_step = self
            .room
            .is_some_and(|r| (r.speed - playback.speed).abs() > BIG_SPEED_CHANGE);
        let before = self.room.map(|r| r.epoch);
        self.room = Some(playback);
        if ours {
            // Our own change, acknowledged under the relay's epoch: the
            // player is where it put the room (no paused seek to make: one
            // now would cut short the user's next seek), and the change is
            // still ours to measure.
            if before.is_some() && self.paused_seek_epoch == before {
                self.paused_seek_epoch = Some(playback.epoch);
            }
            if let Some(check) = self.check.as_mut() {
                check.epoch = playback.epoch;
            }
        }
        let mut out = Vec::new();
        if changed {
            self.applied_epoch = playback.epoch;
            self.start_at = None;
            self.settle = (!ours).then_some(Settle {
                until_ms: now_ms + self.cfg.settle_ms,
                landed: false,
                flush: speed_step,
            });
            if !ours {
                self.controller.reset(now_ms);
            }
            self.align(now_ms, !ours, &mut out);
        }
        out
    }

    /// The relay refused our control: undo it locally.
    pub fn on_control_refused(&mut self, reason: &str, now_ms: f64) -> Vec<Action> {
        self.pending_control = None;
        self.check = None;
        let mut out = vec![Action::Event(SyncEvent::Refused(reason.to_string()))];
        // The next room state restores the truth; realign to what we know.
        self.align(now_ms, true, &mut out);
        out
    }

    /// The length of this copy (from the player), for telling its end from
    /// a user's pause.
    pub fn set_duration(&mut self, duration: Option<f64>) {
        self.duration = duration.filter(|d| d.is_finite() && *d > 0.0);
    }

    /// `position` is at this copy's end.
    fn at_end(&self, position: f64) -> bool {
        self.duration.is_some_and(|d| position >= d - END_MARGIN_S)
    }

    /// The player's pause property changed to `paused` at `position`.
    pub fn on_player_pause(
        &mut self,
        paused: bool,
        position: Option<f64>,
        now_ms: f64,
    ) -> Vec<Action> {
        if let Some(s) = self.sample.as_mut() {
            s.paused = paused;
        }
        if self.echo.take_pause(paused, now_ms) || self.player_closed {
            return Vec::new();
        }
        // mpv pauses by itself at the end of the file (keep-open): reaching
        // the end of one's copy is nobody's action.
        let at_end = position
            .or_else(|| self.expected_local(now_ms))
            .is_some_and(|p| self.at_end(p));
        if self.sample.is_some_and(|s| s.eof) || (paused && at_end) {
            let mut out = Vec::new();
            self.update_status(&mut out);
            return out;
        }
        let Some(server) = self.clock.to_server(now_ms) else {
            return Vec::new();
        };
        let Some(room) = self.room else {
            return Vec::new();
        };
        if paused != room.is_playing_at(server) {
            return Vec::new(); // already what the room wants
        }
        let position = position
            .or_else(|| self.expected_local(now_ms))
            .unwrap_or_else(|| room.position_at(server));
        let action = if paused {
            ControlAction::Pause { position }
        } else {
            // The room's line goes where this player will actually be
            // once its unpause shows.
            ControlAction::Play {
                position: position + self.start_jump(),
            }
        };
        self.user_action(action, now_ms)
    }

    /// The player's speed changed.
    pub fn on_player_speed(&mut self, speed: f64, now_ms: f64) -> Vec<Action> {
        let before = self.sample.map_or(speed, |s| s.speed);
        if (speed - before).abs() > BIG_SPEED_CHANGE {
            self.big_speed_change_ms = now_ms;
        }
        if let Some(s) = self.sample.as_mut() {
            s.speed = speed;
        }
        if self.echo.take_speed(speed, now_ms) || (speed - self.commanded_speed).abs() < 1e-4 {
            return Vec::new();
        }
        if self.room.is_none() {
            return Vec::new();
        }
        let intended = intended_speed(
            speed,
            self.commanded_speed,
            self.room.map_or(1.0, |r| r.speed),
        );
        self.commanded_speed = speed;
        // mpv's picture follows a new speed only after its audio buffer
        // ran out at the old one: the room's line goes where this player
        // will actually be.
        let running = self.last.is_some_and(|l| l.running);
        let delta = before - speed;
        let shift = if running {
            delta * self.speed_shift()
        } else {
            0.0
        };
        let position = self.expected_local(now_ms).unwrap_or(0.0) + shift;
        let out = self.user_action(
            ControlAction::Speed {
                speed: intended,
                position,
            },
            now_ms,
        );
        let sent = out
            .iter()
            .any(|a| matches!(a, Action::Send(ClientMsg::Control { .. })));
        if sent && running && delta.abs() > BIG_SPEED_CHANGE {
            self.check(OwnChange::SpeedShift { delta }, now_ms);
        }
        out
    }

    /// How far ahead of where it waited the player is once unpaused.
    fn start_jump(&self) -> f64 {
        self.start_jump_s.unwrap_or(0.0)
    }

    /// How late a big speed change shows, seconds per unit of speed.
    fn speed_shift(&self) -> f64 {
        self.speed_shift_s.unwrap_or(self.cfg.speed_shift_s)
    }

    /// The room position at which a player waiting at `target` is
    /// unpaused: where it waits (the frame its seek landed on, once it
    /// has), plus the jump its unpause makes, less mpv's latency.
    fn start_point(&self, target: f64) -> f64 {
        let waiting = self
            .sample
            .filter(|s| s.paused && !s.seeking)
            .and_then(|s| s.position)
            .filter(|p| (p - target).abs() < 0.05)
            .unwrap_or(target);
        waiting + self.start_jump() - START_EARLY_S
    }

    /// Starts measuring a change of ours made now.
    fn check(&mut self, what: OwnChange, now_ms: f64) {
        self.check = self.room.map(|r| Check {
            what,
            at_ms: now_ms,
            epoch: r.epoch,
        });
    }

    /// Learns from a change of ours that left the player `drift` seconds
    /// off the room once it showed.
    fn learn(&mut self, what: OwnChange, drift: f64) {
        if drift.abs() > CHECK_MAX_OFF_S {
            return;
        }
        // What this change showed, blended into what earlier ones did (the
        // first counts fully).
        let blend = |learned: Option<f64>, shown: f64| {
            Some(learned.map_or(shown, |l| l + LEARN_GAIN * (shown - l)))
        };
        match what {
            OwnChange::Start => {
                let shown = (self.start_jump() + drift).clamp(-START_JUMP_MAX_S, START_JUMP_MAX_S);
                self.start_jump_s = blend(self.start_jump_s, shown);
            }
            OwnChange::SpeedShift { delta } if delta.abs() >= SHIFT_LEARN_MIN_DELTA => {
                // The room's line was put delta × shift from where the
                // player ran; it shows off by delta × (real − assumed).
                let shown = (self.speed_shift() + drift / delta).clamp(0.0, 1.0);
                self.speed_shift_s = blend(self.speed_shift_s, shown);
            }
            OwnChange::SpeedShift { .. } | OwnChange::Trim { .. } | OwnChange::TrimEnd => return,
        }
        tracing::debug!(
            ?what,
            off_ms = drift * 1000.0,
            start_jump_ms = self.start_jump() * 1000.0,
            speed_shift_s = self.speed_shift(),
            "a change of ours measured"
        );
    }

    /// Follows the change of ours being measured, if any, with the player
    /// `drift` seconds off `room`: holds corrections while it shows, then
    /// learns from it and trims what it left (a trim's end is one more
    /// change to wait for). Returns whether this took the player in hand
    /// (no other correction now).
    fn follow_own_change(
        &mut self,
        drift: f64,
        room: &PlaybackState,
        now_ms: f64,
        out: &mut Vec<Action>,
    ) -> bool {
        let Some(check) = self.check else {
            return false;
        };
        let age = now_ms - check.at_ms;
        if check.epoch != room.epoch || age > CHECK_STALE_MS {
            self.check = None;
            return false;
        }
        if age < check.what.shows_after_ms() {
            // Our change is still showing: nothing to correct yet.
            self.controller.reset(now_ms);
            return true;
        }
        self.check = None;
        match check.what {
            OwnChange::Trim { .. } => {
                self.set_speed(room.speed, now_ms, out);
                self.check(OwnChange::TrimEnd, now_ms);
                true
            }
            OwnChange::TrimEnd => false,
            what => {
                self.learn(what, drift);
                self.trim(drift, room.speed, now_ms, out)
            }
        }
    }

    /// Closes what a change of ours left, `drift` seconds, by running the
    /// player 2 % off the room's `speed` for as long as that takes: at once
    /// rather than by the drift controller's slow, cautious steps (a
    /// person's own speed change lands 5-10 ms off, however well its shift
    /// is known). Returns whether a trim began.
    fn trim(&mut self, drift: f64, speed: f64, now_ms: f64, out: &mut Vec<Action>) -> bool {
        if !(TRIM_MIN_S..=CHECK_MAX_OFF_S).contains(&drift.abs()) || speed <= 0.0 {
            return false;
        }
        let for_ms = (drift.abs() / (TRIM_ADJUST * speed) * 1000.0).min(TRIM_MAX_MS);
        self.controller.reset(now_ms);
        self.set_speed(speed * (1.0 - TRIM_ADJUST * drift.signum()), now_ms, out);
        self.check(OwnChange::Trim { for_ms }, now_ms);
        true
    }

    /// How far ahead of the room (in its seconds at speed 1) a paused
    /// player waits to start: time for the seek, with a margin.
    fn start_lead(&self) -> f64 {
        (2.0 * self.seek_latency_ms / 1000.0).clamp(START_LEAD_MIN_S, START_LEAD_MAX_S)
    }

    /// A seek finished (`playback-restart`) with the player at `position`.
    pub fn on_player_seeked(&mut self, position: f64, now_ms: f64) -> Vec<Action> {
        if let Some(sent) = self.seek_sent.take() {
            let sample = (now_ms - sent).clamp(0.0, 2000.0);
            self.seek_latency_ms = self.seek_latency_ms * 0.7 + sample * 0.3;
        }
        let expected_local = self.expected_local(now_ms);
        if let Some(s) = self.sample.as_mut() {
            s.position = Some(position);
        }
        if let Some(l) = self.last.as_mut() {
            l.position = position;
            l.at_ms = now_ms;
        }
        if self.echo.take_seek(position, now_ms) {
            return Vec::new();
        }
        self.classify_jump_from(position, expected_local, now_ms)
    }

    /// Checks a freshly observed position against where the player should
    /// be; a jump that is neither ours nor towards the room is a user seek.
    fn classify_jump(&mut self, position: f64, now_ms: f64) -> Vec<Action> {
        let expected_local = self.expected_local(now_ms);
        self.classify_jump_from(position, expected_local, now_ms)
    }

    fn classify_jump_from(
        &mut self,
        position: f64,
        expected_local: Option<f64>,
        now_ms: f64,
    ) -> Vec<Action> {
        let (Some(expected_local), Some(room_pos)) = (expected_local, self.room_position(now_ms))
        else {
            return Vec::new();
        };
        let tol = self.cfg.user_seek_s;
        if (position - expected_local).abs() < tol {
            return Vec::new(); // no jump
        }
        if self.echo.take_seek(position, now_ms) || (position - room_pos).abs() < tol {
            return Vec::new(); // our seek, or a move towards the room
        }
        if self.player_closed || self.sample.is_some_and(|s| s.eof) || self.at_end(position) {
            return Vec::new();
        }
        self.user_action(ControlAction::Seek { position }, now_ms)
    }

    /// The player was closed or crashed.
    pub fn on_player_closed(&mut self, now_ms: f64) -> Vec<Action> {
        self.player_closed = true;
        self.sample = None;
        self.last = None;
        self.echo.clear();
        let mut out = Vec::new();
        self.set_status(SyncStatus::PlayerClosed, &mut out);
        self.last_report_ms = f64::NEG_INFINITY;
        self.report(now_ms, &mut out);
        out
    }

    /// A (new) player is ready; it will be aligned with the room.
    pub fn on_player_opened(&mut self, now_ms: f64) -> Vec<Action> {
        self.player_closed = false;
        self.echo.clear();
        self.commanded_speed = 1.0;
        self.paused_seek_epoch = None;
        self.controller.reset(now_ms);
        self.last_report_ms = f64::NEG_INFINITY;
        Vec::new()
    }

    /// The player's positions now map to the room's time differently (its
    /// copy was aligned to the host's by sound, or no longer is): start
    /// over as with a newly opened player, so that a paused player is put
    /// at the room position again and corrections start fresh.
    /// The jump this makes in the player's positions is nobody's seek.
    pub fn on_player_remapped(&mut self, now_ms: f64) -> Vec<Action> {
        self.last = None;
        self.on_player_opened(now_ms)
    }

    /// The user asked for a change from the app's own controls.
    pub fn request(&mut self, action: ControlAction, now_ms: f64) -> Vec<Action> {
        let mut out = Vec::new();
        if !self.may_control {
            out.push(Action::Event(SyncEvent::Refused(
                "Only the host controls playback in this room.".into(),
            )));
            return out;
        }
        let action = self.where_asked(action, now_ms);
        out.extend(self.user_action(action, now_ms));
        // Asked from the app, not done in the player: the player goes
        // where the room now is at once (not when the relay answers).
        self.paused_seek_epoch = None;
        out.extend(self.align_now(now_ms));
        out
    }

    /// Periodic work with a fresh look at the player (every 50–100 ms).
    pub fn tick(&mut self, sample: PlayerSample, now_ms: f64) -> Vec<Action> {
        let buffering_changed = self.sample.is_some_and(|s| s.buffering != sample.buffering);
        self.sample = Some(sample);
        let mut out = Vec::new();
        if let Some(position) = sample.position.filter(|_| !sample.seeking) {
            out.extend(self.classify_jump(position, now_ms));
            self.last = Some(LastSample {
                position,
                at_ms: now_ms,
                speed: sample.speed,
                running: !sample.paused && !sample.buffering,
            });
        }
        if buffering_changed {
            self.last_report_ms = f64::NEG_INFINITY;
        }
        if let Some((_, sent)) = self.pending_control {
            if now_ms - sent > self.cfg.control_timeout_ms {
                self.pending_control = None;
            }
        }
        self.align(now_ms, false, &mut out);
        self.report(now_ms, &mut out);
        out
    }

    /// A play, pause or speed change asked while a seek of ours is still
    /// on its way happens where that seek goes (the room's position), not
    /// where the player still is: "jump to 0:57, then play" plays from 0:57.
    fn where_asked(&mut self, action: ControlAction, now_ms: f64) -> ControlAction {
        if matches!(action, ControlAction::Seek { .. }) || !self.echo.seek_in_flight(now_ms) {
            return action;
        }
        match self.room_position(now_ms) {
            Some(position) => action.at(position),
            None => action,
        }
    }

    fn align_now(&mut self, now_ms: f64) -> Vec<Action> {
        let mut out = Vec::new();
        self.align(now_ms, false, &mut out);
        out
    }

    /// Where the player should be now if nothing happened since the last
    /// sample.
    fn expected_local(&self, now_ms: f64) -> Option<f64> {
        let l = self.last?;
        Some(if l.running {
            l.position + (now_ms - l.at_ms) / 1000.0 * l.speed
        } else {
            l.position
        })
    }

    fn user_action(&mut self, action: ControlAction, now_ms: f64) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(server) = self.clock.to_server(now_ms) else {
            return out;
        };
        let Some(room) = self.room.as_mut() else {
            return out;
        };
        if !self.may_control {
            out.push(Action::Event(SyncEvent::Refused(
                "Only the host controls playback in this room.".into(),
            )));
            self.align(now_ms, true, &mut out);
            return out;
        }
        room.apply(action, server);
        // Our own action: this player is where the room now is (no
        // landing: a pause of ours would hide the user's next press).
        self.settle = None;
        self.next_seq += 1;
        self.pending_control = Some((self.next_seq, now_ms));
        self.paused_seek_epoch = Some(room.epoch);
        self.controller.reset(now_ms);
        self.stats.controls_sent += 1;
        out.push(Action::Send(ClientMsg::Control {
            seq: self.next_seq,
            action,
            server_ms: Some(server),
        }));
        out.push(Action::Event(SyncEvent::UserAction(action)));
        out
    }

    fn command(&mut self, cmd: PlayerCommand, now_ms: f64, out: &mut Vec<Action>) {
        match cmd {
            PlayerCommand::Pause(p) => {
                self.echo.expect_pause(p, now_ms);
                if let Some(s) = self.sample.as_mut() {
                    s.paused = p;
                }
                self.stats.pauses_applied += 1;
            }
            PlayerCommand::Seek(target) => {
                self.echo.expect_seek(target, now_ms);
                self.seek_sent = Some(now_ms);
                self.stats.seeks += 1;
            }
            PlayerCommand::Speed(s) => {
                self.echo.expect_speed(s, now_ms);
                self.commanded_speed = s;
                self.stats.speed_changes += 1;
            }
        }
        out.push(Action::Player(cmd));
    }

    fn set_speed(&mut self, speed: f64, now_ms: f64, out: &mut Vec<Action>) {
        if (speed - self.commanded_speed).abs() > 1e-6 {
            self.command(PlayerCommand::Speed(speed), now_ms, out);
        }
    }

    /// Brings the player in line with the room. `room_changed`: the room
    /// moved by someone else's action (seek at once when far).
    fn align(&mut self, now_ms: f64, room_changed: bool, out: &mut Vec<Action>) {
        let (Some(room), Some(sample), Some(server)) =
            (self.room, self.sample, self.clock.to_server(now_ms))
        else {
            self.update_status(out);
            return;
        };
        if self.player_closed {
            return;
        }
        let Some(position) = sample.position else {
            self.update_status(out);
            return;
        };
        let want_playing = room.is_playing_at(server);
        let room_pos = room.position_at(server);
        let seek_pending = self.echo.seek_in_flight(now_ms);
        let pause_pending = self.echo.pause_in_flight(now_ms);
        self.drift_s = None;

        if !want_playing {
            if !sample.paused && !pause_pending {
                self.command(PlayerCommand::Pause(true), now_ms, out);
                self.controller.reset(now_ms);
            }
            let off = (position - room.position).abs();
            // A seek under way (the user's arrow key, say) is judged when
            // it lands: its target is no reason to seek back meanwhile.
            if off > self.cfg.paused_tolerance_s
                && !seek_pending
                && !sample.seeking
                && self.paused_seek_epoch != Some(room.epoch)
            {
                self.paused_seek_epoch = Some(room.epoch);
                self.command(PlayerCommand::Seek(room.position), now_ms, out);
            }
            self.set_speed(room.speed, now_ms, out);
            self.update_status(out);
            return;
        }

        if self.at_end(room_pos) {
            // The room plays on past the end of this copy: stay at its end
            // (mpv has paused there), never seek beyond it.
            if !sample.paused && !pause_pending && self.at_end(position) {
                self.command(PlayerCommand::Pause(true), now_ms, out);
            }
            self.update_status(out);
            return;
        }

        if sample.paused {
            // Starting needs the real clock: the rough offset from a server
            // timestamp is off by the one-way delay. The first pong comes
            // one round trip after joining.
            if !self.clock.is_measured() {
                self.update_status(out);
                return;
            }
            if !pause_pending && !seek_pending {
                self.start_playing(position, room_pos, room.speed, now_ms, out);
            }
            self.update_status(out);
            return;
        }

        if sample.seeking || sample.buffering || seek_pending {
            self.update_status(out);
            return;
        }
        let drift = position - room_pos;
        self.drift_s = Some(drift);
        if self.follow_own_change(drift, &room, now_ms, out) {
            self.update_status(out);
            return;
        }
        let settling = self
            .settle
            .is_some_and(|s| !s.landed && now_ms < s.until_ms)
            && now_ms - self.big_speed_change_ms >= SPEED_WAVER_MS;
        let flush = room_changed
            && self
                .settle
                .as_mut()
                .is_some_and(|s| std::mem::take(&mut s.flush));
        if flush || ((room_changed || settling) && drift.abs() > self.cfg.settle_s) {
            if !room_changed {
                if let Some(s) = self.settle.as_mut() {
                    s.landed = true;
                }
            }
            // Landed as a start is: paused, put a little ahead of the
            // room, and started exactly when the room gets there (a seek
            // while playing lands tens of ms off, and a big speed change
            // while playing shifts mpv's picture as much).
            self.controller.reset(now_ms);
            self.set_speed(room.speed, now_ms, out);
            self.command(PlayerCommand::Pause(true), now_ms, out);
            let target = room_pos + self.start_lead() * room.speed;
            self.start_at = Some(target);
            self.command(PlayerCommand::Seek(target), now_ms, out);
            self.update_status(out);
            return;
        }
        match self.controller.decide(drift, now_ms) {
            Correction::Seek => {
                let lead = self.seek_latency_ms / 1000.0 * room.speed;
                self.command(PlayerCommand::Seek(room_pos + lead), now_ms, out);
                self.set_speed(room.speed, now_ms, out);
            }
            Correction::Speed(factor) => self.set_speed(room.speed * factor, now_ms, out),
            Correction::Hold => {
                let want = room.speed * self.controller.factor();
                self.set_speed(want, now_ms, out);
            }
        }
        self.update_status(out);
    }

    /// The room plays and we are paused: unpause now if close enough;
    /// otherwise seek (still paused) a little ahead of the room and unpause
    /// exactly when the room gets there, whatever the seek took.
    fn start_playing(
        &mut self,
        position: f64,
        room_pos: f64,
        speed: f64,
        now_ms: f64,
        out: &mut Vec<Action>,
    ) {
        let go = match self.start_at {
            Some(target) if room_pos >= self.start_point(target) => true,
            Some(target) if target - room_pos > 2.0 * START_LEAD_MAX_S => {
                self.start_at = None; // the room moved on; plan again
                false
            }
            Some(_) => false,
            None if (position + self.start_jump() - room_pos).abs() <= START_TOLERANCE_S => true,
            None => {
                let target = room_pos + self.start_lead() * speed;
                self.start_at = Some(target);
                self.command(PlayerCommand::Seek(target), now_ms, out);
                false
            }
        };
        if go {
            self.start_at = None;
            self.set_speed(speed, now_ms, out);
            self.command(PlayerCommand::Pause(false), now_ms, out);
            self.controller.reset(now_ms);
            self.check(OwnChange::Start, now_ms);
        }
    }

    fn report(&mut self, now_ms: f64, out: &mut Vec<Action>) {
        if now_ms - self.last_report_ms < self.cfg.report_interval_ms || self.room.is_none() {
            return;
        }
        let Some(server) = self.clock.to_server(now_ms) else {
            return;
        };
        self.last_report_ms = now_ms;
        let s = self.sample;
        out.push(Action::Send(ClientMsg::State(StateReport {
            position: s.and_then(|s| s.position).unwrap_or(0.0).max(0.0),
            paused: s.is_none_or(|s| s.paused),
            speed: s.map_or(1.0, |s| s.speed).clamp(0.25, 4.0),
            buffering: s.is_some_and(|s| s.buffering),
            player_closed: self.player_closed,
            server_ms: server,
            epoch: self.applied_epoch,
        })));
        if let Some(d) = self.drift_s {
            out.push(Action::Event(SyncEvent::Drift {
                drift_ms: d * 1000.0,
                factor: self.controller.factor(),
            }));
        }
    }

    fn update_status(&mut self, out: &mut Vec<Action>) {
        let now_server = self.last.and_then(|l| self.clock.to_server(l.at_ms));
        let seek_in_flight = self.last.is_some_and(|l| self.echo.seek_in_flight(l.at_ms));
        let status = match (self.room, self.sample) {
            (None, _) => SyncStatus::NoRoom,
            _ if self.player_closed => SyncStatus::PlayerClosed,
            (Some(r), Some(s))
                if s.position.is_some_and(|p| self.at_end(p))
                    && now_server.is_some_and(|t| self.at_end(r.position_at(t))) =>
            {
                SyncStatus::Ended
            }
            (_, Some(s)) if s.buffering => SyncStatus::Buffering,
            (Some(r), _) if r.paused || now_server.is_some_and(|t| !r.is_playing_at(t)) => {
                SyncStatus::Waiting
            }
            (_, Some(s)) if s.seeking || seek_in_flight => SyncStatus::Seeking,
            _ => match self.drift_s {
                None => SyncStatus::Waiting,
                Some(d) if d.abs() * 1000.0 <= self.cfg.synced_ms => SyncStatus::Synced,
                Some(_) => SyncStatus::Correcting,
            },
        };
        self.set_status(status, out);
    }

    fn set_status(&mut self, status: SyncStatus, out: &mut Vec<Action>) {
        if status != self.status {
            self.status = status;
            out.push(Action::Event(SyncEvent::Status(status)));
        }
    }
}
