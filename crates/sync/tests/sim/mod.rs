//! A deterministic world for the sync engine: simulated players (latency,
//! frame-quantised positions, clock-rate error), the relay's real room
//! (`matinee_relay::testing::SimRoom`, driven directly, its clock tokio's
//! paused one), and a network with per-client delay and jitter. Time
//! advances in 1 ms steps; everything is seeded.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::time::Duration;

use matinee_protocol::{
    ClientMsg, ControlAction, ControlMode, ParticipantId, PlaybackState, ServerMsg,
};
use matinee_relay::testing::SimRoom;
use matinee_relay::RelayConfig;
use matinee_sync::{Action, EngineConfig, PlayerCommand, PlayerSample, SyncEngine};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub const TICK_MS: u64 = 50;

/// One direction of a link: in-order delivery after delay ± jitter.
pub struct Link<T> {
    pub delay_ms: f64,
    pub jitter_ms: f64,
    pub down: bool,
    queue: VecDeque<(f64, T)>,
    last_delivery: f64,
}

impl<T> Link<T> {
    pub fn new(delay_ms: f64, jitter_ms: f64) -> Self {
        Self {
            delay_ms,
            jitter_ms,
            down: false,
            queue: VecDeque::new(),
            last_delivery: 0.0,
        }
    }
    fn send(&mut self, now: f64, msg: T, rng: &mut StdRng) {
        if self.down {
            return;
        }
        let jitter = if self.jitter_ms > 0.0 {
            rng.random_range(-self.jitter_ms..self.jitter_ms)
        } else {
            0.0
        };
        let at = (now + (self.delay_ms + jitter).max(0.0)).max(self.last_delivery);
        self.last_delivery = at;
        self.queue.push_back((at, msg));
    }
    fn due(&mut self, now: f64) -> Vec<T> {
        let mut out = Vec::new();
        while self.queue.front().is_some_and(|(at, _)| *at <= now) {
            out.push(self.queue.pop_front().unwrap().1);
        }
        out
    }
}

/// What a simulated mpv reports.
#[derive(Debug, Clone, PartialEq)]
pub enum PlayerEvent {
    Pause(bool, f64),
    Speed(f64),
    Seeked(f64),
}

pub struct SimPlayer {
    pub pos: f64,
    pub paused: bool,
    pub speed: f64,
    /// Real playback rate relative to the wall clock (audio clock error).
    pub rate_error: f64,
    pub buffering: bool,
    pub fps: f64,
    pub cmd_latency_ms: f64,
    pub seek_ms: f64,
    /// A speed change while playing shows this much late (mpv's audio
    /// buffer still plays at the old speed): the position shifts by
    /// (old − new) × this, seconds. 0 unless a test asks.
    pub speed_shift_s: f64,
    /// How long that shift takes to show, ms (measured with mpv: two
    /// thirds within 50 ms, all of it within 200-350 ms); 0 shows it at
    /// once.
    pub speed_shift_ms: f64,
    /// The part of a speed change's shift still to show, and its pace.
    shift_left: f64,
    shift_per_ms: f64,
    /// An unpause puts the player this far ahead of where it waited
    /// (measured with mpv and a null audio output: 12 ms), seconds.
    pub start_jump_s: f64,
    seeking: Option<(f64, f64)>,
    pending: VecDeque<(f64, PlayerCommand)>,
    pub events: Vec<PlayerEvent>,
    pub seeks_done: u32,
}

impl SimPlayer {
    pub fn new(rate_error: f64) -> Self {
        Self {
            pos: 0.0,
            paused: true,
            speed: 1.0,
            rate_error,
            buffering: false,
            fps: 120.0,
            cmd_latency_ms: 3.0,
            seek_ms: 40.0,
            speed_shift_s: 0.0,
            speed_shift_ms: 0.0,
            shift_left: 0.0,
            shift_per_ms: 0.0,
            start_jump_s: 0.0,
            seeking: None,
            pending: VecDeque::new(),
            events: Vec::new(),
            seeks_done: 0,
        }
    }
    fn frame(&self, x: f64) -> f64 {
        (x * self.fps).floor() / self.fps
    }
    pub fn command(&mut self, now: f64, cmd: PlayerCommand) {
        self.pending.push_back((now + self.cmd_latency_ms, cmd));
    }
    /// mpv tells the pause with the position it waited at; the jump an
    /// unpause makes shows in the position after.
    pub fn user_pause(&mut self, paused: bool) {
        if self.paused != paused {
            self.paused = paused;
            let p = self.frame(self.pos);
            self.events.push(PlayerEvent::Pause(paused, p));
            if !paused && self.seeking.is_none() {
                self.pos += self.start_jump_s;
            }
        }
    }
    pub fn user_seek(&mut self, now: f64, to: f64) {
        self.start_seek(now, to);
    }
    /// mpv reports the target as its position from the moment a seek
    /// starts (`time-pos` is the seek's target until playback restarts),
    /// with `seeking` set until it lands.
    fn start_seek(&mut self, now: f64, to: f64) {
        let to = to.max(0.0);
        self.shift_left = 0.0; // a seek empties the audio buffer
        self.seeking = Some((now + self.seek_ms, to));
        self.pos = to;
    }
    pub fn user_speed(&mut self, speed: f64) {
        self.change_speed(speed);
        self.events.push(PlayerEvent::Speed(speed));
    }
    fn change_speed(&mut self, speed: f64) {
        if !self.paused && self.seeking.is_none() {
            let shift = (self.speed - speed) * self.speed_shift_s;
            if self.speed_shift_ms > 0.0 {
                self.shift_left += shift;
                self.shift_per_ms = self.shift_left.abs() / self.speed_shift_ms;
            } else {
                self.pos += shift;
            }
        }
        self.speed = speed;
    }
    pub fn is_seeking(&self) -> bool {
        self.seeking.is_some()
    }
    fn step(&mut self, now: f64, dt_ms: f64) {
        while self.pending.front().is_some_and(|(at, _)| *at <= now) {
            match self.pending.pop_front().unwrap().1 {
                PlayerCommand::Pause(p) => self.user_pause(p),
                PlayerCommand::Speed(s) => {
                    if s != self.speed {
                        self.change_speed(s);
                        self.events.push(PlayerEvent::Speed(s));
                    }
                }
                PlayerCommand::Seek(x) => self.start_seek(now, x),
            }
        }
        if let Some((until, target)) = self.seeking {
            if now >= until {
                self.seeking = None;
                self.pos = self.frame(target);
                self.seeks_done += 1;
                self.events.push(PlayerEvent::Seeked(self.pos));
            }
            return;
        }
        if !self.paused && !self.buffering {
            self.pos += dt_ms / 1000.0 * self.speed * self.rate_error;
            let step = self.shift_left.abs().min(self.shift_per_ms * dt_ms);
            let step = step.copysign(self.shift_left);
            self.pos += step;
            self.shift_left -= step;
        }
    }
    pub fn sample(&self, rng: &mut StdRng) -> PlayerSample {
        // time-pos steps by frames; extrapolation from the last step leaves
        // a little noise.
        let noise = rng.random_range(-0.002..0.002);
        PlayerSample {
            position: Some((self.pos + noise).max(0.0)),
            paused: self.paused,
            speed: self.speed,
            seeking: self.seeking.is_some(),
            buffering: self.buffering,
            eof: false,
        }
    }
}

pub struct SimClient {
    pub id: ParticipantId,
    pub engine: SyncEngine,
    pub player: SimPlayer,
    /// local clock = true time + offset
    pub clock_offset_ms: f64,
    pub up: Link<ClientMsg>,
    pub down: Link<ServerMsg>,
    pub joined: bool,
    pub controls_sent: u32,
    pub sent_actions: Vec<ControlAction>,
    next_tick: f64,
    next_ping: f64,
    pings: u32,
    last_local: f64,
}

/// What the tests read of the room (kept in step with the real room).
pub struct RoomView {
    pub playback: PlaybackState,
    /// Create the room host-only (set before the first join).
    pub host_only: bool,
    /// Control changes the room applied.
    pub controls_applied: u32,
}

pub struct World {
    pub now: f64,
    pub relay: RoomView,
    room: Option<SimRoom>,
    /// The room's clock: tokio's, paused, advanced with the world.
    rt: tokio::runtime::Runtime,
    next_room_tick: f64,
    pub clients: Vec<SimClient>,
    pub rng: StdRng,
    pub cfg: EngineConfig,
}

pub struct ClientSpec {
    pub delay_ms: f64,
    pub jitter_ms: f64,
    pub clock_offset_ms: f64,
    pub rate_error: f64,
}

impl ClientSpec {
    pub fn link(delay_ms: f64, jitter_ms: f64) -> Self {
        Self {
            delay_ms,
            jitter_ms,
            clock_offset_ms: 0.0,
            rate_error: 1.0,
        }
    }
}

impl World {
    pub fn new(seed: u64, cfg: EngineConfig) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("a runtime");
        Self {
            now: 0.0,
            relay: RoomView {
                playback: PlaybackState::initial(0.0),
                host_only: false,
                controls_applied: 0,
            },
            room: None,
            rt,
            next_room_tick: 1000.0,
            clients: Vec::new(),
            rng: StdRng::seed_from_u64(seed),
            cfg,
        }
    }

    /// Runs `f` on the room inside its runtime (where its clock is).
    fn with_room<T>(&mut self, f: impl FnOnce(&mut SimRoom) -> T) -> T {
        let room = self.room.as_mut().expect("someone joined");
        let _guard = self.rt.enter();
        f(room)
    }

    /// Adds a client whose player starts paused at `start_pos`; it joins
    /// now (the room's `joined` comes through its downlink). The first to
    /// join creates the room and is its host.
    pub fn join(&mut self, spec: ClientSpec, start_pos: f64) -> usize {
        if self.room.is_none() {
            let mode = if self.relay.host_only {
                ControlMode::HostOnly
            } else {
                ControlMode::Shared
            };
            let _guard = self.rt.enter();
            self.room = Some(SimRoom::new(mode, RelayConfig::loopback()));
        }
        let name = format!("client{}", self.clients.len() + 1);
        let id = self.with_room(|r| r.join(&name));
        let mut player = SimPlayer::new(spec.rate_error);
        player.pos = start_pos;
        let mut c = SimClient {
            id,
            engine: SyncEngine::new(self.cfg.clone()),
            player,
            clock_offset_ms: spec.clock_offset_ms,
            up: Link::new(spec.delay_ms, spec.jitter_ms),
            down: Link::new(spec.delay_ms, spec.jitter_ms),
            joined: false,
            controls_sent: 0,
            sent_actions: Vec::new(),
            next_tick: self.now,
            next_ping: self.now,
            pings: 0,
            last_local: self.now + spec.clock_offset_ms,
        };
        c.engine
            .set_may_control(!self.relay.host_only || self.clients.is_empty());
        self.clients.push(c);
        self.deliver();
        self.clients.len() - 1
    }

    /// Sends what the room queued for each client down its link.
    fn deliver(&mut self) {
        let now = self.now;
        let ids: Vec<ParticipantId> = self.clients.iter().map(|c| c.id).collect();
        let mut queued: Vec<Vec<ServerMsg>> = Vec::new();
        for id in &ids {
            let id = *id;
            queued.push(self.with_room(|r| r.take(id)));
        }
        // Every member gets every broadcast: count control changes once.
        if let Some(first) = queued.first() {
            self.relay.controls_applied += first
                .iter()
                .filter(|m| matches!(m, ServerMsg::State { cause: Some(_), .. }))
                .count() as u32;
        }
        for (i, msgs) in queued.into_iter().enumerate() {
            for m in msgs {
                self.clients[i].down.send(now, m, &mut self.rng);
            }
        }
        self.relay.playback = self.with_room(|r| r.playback());
    }

    fn relay_receive(&mut self, from: usize, msg: ClientMsg) {
        let pid = self.clients[from].id;
        match msg {
            // Pings are answered by the relay's connection, on its clock.
            ClientMsg::Ping { client_ms } => {
                let at = self.with_room(|r| r.now_ms());
                let pong = ServerMsg::Pong(matinee_protocol::Pong {
                    client_ms,
                    server_recv_ms: at,
                    server_send_ms: at,
                });
                self.clients[from].down.send(self.now, pong, &mut self.rng);
            }
            msg => self.with_room(|r| r.receive(pid, msg)),
        }
    }

    /// The host starts playback for everyone, `lead_ms` from now (the
    /// ready check's start).
    pub fn start_all(&mut self, lead_ms: f64) {
        let host = self.clients[0].id;
        self.with_room(|r| r.start(host, lead_ms));
        self.deliver();
    }

    fn apply(&mut self, i: usize, actions: Vec<Action>) {
        let now = self.now;
        for a in actions {
            match a {
                Action::Player(cmd) => self.clients[i].player.command(now, cmd),
                Action::Send(msg) => {
                    if let ClientMsg::Control { action, .. } = &msg {
                        self.clients[i].controls_sent += 1;
                        self.clients[i].sent_actions.push(*action);
                    }
                    let c = &mut self.clients[i];
                    c.up.send(now, msg, &mut self.rng);
                }
                Action::Event(_) => {}
            }
        }
    }

    /// Advances the world by one millisecond.
    pub fn step(&mut self) {
        self.now += 1.0;
        let now = self.now;
        self.rt
            .block_on(tokio::time::advance(Duration::from_millis(1)));
        if now >= self.next_room_tick {
            self.next_room_tick = now + 1000.0;
            self.with_room(|r| r.tick());
        }
        for i in 0..self.clients.len() {
            let ups = self.clients[i].up.due(now);
            for m in ups {
                self.relay_receive(i, m);
            }
        }
        self.deliver();
        for i in 0..self.clients.len() {
            let local = now + self.clients[i].clock_offset_ms;
            let downs = self.clients[i].down.due(now);
            for m in downs {
                let c = &mut self.clients[i];
                let actions = match m {
                    ServerMsg::Joined(j) => {
                        c.joined = true;
                        c.engine
                            .on_joined(j.you, j.room.playback, j.server_ms, local)
                    }
                    ServerMsg::State {
                        playback,
                        server_ms,
                        cause,
                    } if c.joined => c.engine.on_room_state(playback, server_ms, cause, local),
                    ServerMsg::Pong(p) => {
                        c.engine
                            .on_pong(p.client_ms, p.server_recv_ms, p.server_send_ms, local);
                        Vec::new()
                    }
                    _ => Vec::new(),
                };
                self.apply(i, actions);
            }
            self.clients[i].player.step(now, 1.0);
            let events = std::mem::take(&mut self.clients[i].player.events);
            for ev in events {
                let c = &mut self.clients[i];
                let actions = match ev {
                    PlayerEvent::Pause(p, pos) => c.engine.on_player_pause(p, Some(pos), local),
                    PlayerEvent::Speed(s) => c.engine.on_player_speed(s, local),
                    PlayerEvent::Seeked(pos) => c.engine.on_player_seeked(pos, local),
                };
                self.apply(i, actions);
            }
            let c = &mut self.clients[i];
            let deadline_due = c
                .engine
                .next_deadline()
                .is_some_and(|d| d > c.last_local && d <= local);
            c.last_local = local;
            if c.joined && (now >= c.next_tick || deadline_due) {
                if now >= c.next_tick {
                    c.next_tick = now + TICK_MS as f64;
                }
                let sample = c.player.sample(&mut self.rng);
                let actions = self.clients[i].engine.tick(sample, local);
                self.apply(i, actions);
            }
            let c = &mut self.clients[i];
            if now >= c.next_ping {
                c.pings += 1;
                c.next_ping = now + if c.pings < 8 { 200.0 } else { 1000.0 };
                let ping = c.engine.ping(local);
                c.up.send(now, ping, &mut self.rng);
            }
        }
    }

    /// Client `i`'s person asks from the app (a button, the seek bar),
    /// as the session does: a play or pause from where its player is.
    pub fn app_request(&mut self, i: usize, action: ControlAction) {
        let local = self.now + self.clients[i].clock_offset_ms;
        let here = self.clients[i].player.pos;
        let action = match action {
            ControlAction::Seek { .. } => action,
            other => other.at(here),
        };
        let actions = self.clients[i].engine.request(action, local);
        self.apply(i, actions);
    }

    pub fn run_ms(&mut self, ms: u64) {
        for _ in 0..ms {
            self.step();
        }
    }

    /// Runs and records the largest pairwise position gap every 10 ms.
    pub fn run_measuring(&mut self, ms: u64) -> Vec<f64> {
        let mut gaps = Vec::new();
        for i in 0..ms {
            self.step();
            if i % 10 == 0 {
                gaps.push(self.max_gap());
            }
        }
        gaps
    }

    pub fn max_gap(&self) -> f64 {
        let pos: Vec<f64> = self.clients.iter().map(|c| c.player.pos).collect();
        let max = pos.iter().cloned().fold(f64::MIN, f64::max);
        let min = pos.iter().cloned().fold(f64::MAX, f64::min);
        max - min
    }

    pub fn room_pos(&self) -> f64 {
        let _guard = self.rt.enter();
        let at = self.room.as_ref().expect("someone joined").now_ms();
        self.relay.playback.position_at(at)
    }

    pub fn total_controls(&self) -> u32 {
        self.clients.iter().map(|c| c.controls_sent).sum()
    }
}

/// The benchmark's and the load generator's definition (nearest rank); 0
/// for no samples.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    matinee_testkit::stats::percentile(values, p).unwrap_or(0.0)
}
