//! A deterministic world for the sync engine: simulated players (latency,
//! frame-quantised positions, clock-rate error), a simulated relay with the
//! real relay's rules, and a network with per-client delay and jitter.
//! Time advances in 1 ms steps; everything is seeded.
#![allow(dead_code)]

use std::collections::VecDeque;

use matinee_protocol::{
    ClientMsg, ControlAction, ControlCause, ParticipantId, PlaybackState, ServerMsg,
};
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
    pub fn user_pause(&mut self, paused: bool) {
        if self.paused != paused {
            self.paused = paused;
            let p = self.frame(self.pos);
            self.events.push(PlayerEvent::Pause(paused, p));
        }
    }
    pub fn user_seek(&mut self, now: f64, to: f64) {
        self.seeking = Some((now + self.seek_ms, to));
    }
    pub fn user_speed(&mut self, speed: f64) {
        self.speed = speed;
        self.events.push(PlayerEvent::Speed(speed));
    }
    pub fn is_seeking(&self) -> bool {
        self.seeking.is_some()
    }
    fn step(&mut self, now: f64, dt_ms: f64) {
        while self.pending.front().is_some_and(|(at, _)| *at <= now) {
            match self.pending.pop_front().unwrap().1 {
                PlayerCommand::Pause(p) => {
                    if p != self.paused {
                        self.paused = p;
                        let pos = self.frame(self.pos);
                        self.events.push(PlayerEvent::Pause(p, pos));
                    }
                }
                PlayerCommand::Speed(s) => {
                    if s != self.speed {
                        self.speed = s;
                        self.events.push(PlayerEvent::Speed(s));
                    }
                }
                PlayerCommand::Seek(x) => self.seeking = Some((now + self.seek_ms, x.max(0.0))),
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

/// The relay's rules, in miniature.
pub struct SimRelay {
    pub playback: PlaybackState,
    pub host_only: bool,
    pub host: ParticipantId,
    pub buffering: Vec<ParticipantId>,
    pub wait_for_buffering: bool,
    pub controls_applied: u32,
    next_state: f64,
}

pub struct World {
    pub now: f64,
    pub relay: SimRelay,
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
        Self {
            now: 0.0,
            relay: SimRelay {
                playback: PlaybackState::initial(0.0),
                host_only: false,
                host: 1,
                buffering: Vec::new(),
                wait_for_buffering: true,
                controls_applied: 0,
                next_state: 0.0,
            },
            clients: Vec::new(),
            rng: StdRng::seed_from_u64(seed),
            cfg,
        }
    }

    /// Adds a client whose player starts paused at `start_pos`; it joins
    /// now (the relay sends `joined` through its downlink).
    pub fn join(&mut self, spec: ClientSpec, start_pos: f64) -> usize {
        let id = self.clients.len() as ParticipantId + 1;
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
            .set_may_control(!self.relay.host_only || id == self.relay.host);
        let joined = ServerMsg::State {
            playback: self.relay.playback,
            server_ms: self.now,
            cause: None,
        };
        c.down.send(self.now, joined, &mut self.rng);
        self.clients.push(c);
        self.clients.len() - 1
    }

    fn broadcast(&mut self, msg: ServerMsg) {
        let now = self.now;
        for c in &mut self.clients {
            c.down.send(now, msg.clone(), &mut self.rng);
        }
    }

    fn relay_receive(&mut self, from: usize, msg: ClientMsg) {
        let now = self.now;
        let pid = self.clients[from].id;
        match msg {
            ClientMsg::Ping { client_ms } => {
                let pong = ServerMsg::Pong(matinee_protocol::Pong {
                    client_ms,
                    server_recv_ms: now,
                    server_send_ms: now,
                });
                self.clients[from].down.send(now, pong, &mut self.rng);
            }
            ClientMsg::Control {
                seq,
                action,
                server_ms,
            } => {
                if self.relay.host_only && pid != self.relay.host {
                    return;
                }
                let p = &mut self.relay.playback;
                p.apply(
                    action,
                    server_ms.map_or(now, |t| t.clamp(now - 2000.0, now)),
                );
                p.epoch += 1;
                self.relay.controls_applied += 1;
                let msg = ServerMsg::State {
                    playback: *p,
                    server_ms: now,
                    cause: Some(ControlCause {
                        by: pid,
                        seq,
                        action,
                    }),
                };
                self.broadcast(msg);
            }
            ClientMsg::State(r) => {
                let was = self.relay.buffering.contains(&pid);
                if r.buffering && !was {
                    self.relay.buffering.push(pid);
                    let p = &mut self.relay.playback;
                    if self.relay.wait_for_buffering && p.is_playing_at(now) {
                        p.position = p.position_at(now);
                        p.paused = true;
                        p.anchor_ms = now;
                        p.epoch += 1;
                        p.waiting_for_buffering = true;
                        let msg = ServerMsg::State {
                            playback: *p,
                            server_ms: now,
                            cause: None,
                        };
                        self.broadcast(msg);
                    }
                } else if !r.buffering && was {
                    self.relay.buffering.retain(|b| *b != pid);
                    let p = &mut self.relay.playback;
                    if p.waiting_for_buffering && self.relay.buffering.is_empty() {
                        p.position = p.position_at(now);
                        p.paused = false;
                        p.anchor_ms = now + 700.0;
                        p.epoch += 1;
                        p.waiting_for_buffering = false;
                        let msg = ServerMsg::State {
                            playback: *p,
                            server_ms: now,
                            cause: None,
                        };
                        self.broadcast(msg);
                    }
                }
            }
            _ => {}
        }
    }

    /// A scheduled start for everyone, `lead_ms` from now (the ready check).
    pub fn start_all(&mut self, lead_ms: f64) {
        let now = self.now;
        let p = &mut self.relay.playback;
        p.position = p.position_at(now);
        p.paused = false;
        p.anchor_ms = now + lead_ms;
        p.epoch += 1;
        let msg = ServerMsg::State {
            playback: *p,
            server_ms: now,
            cause: None,
        };
        self.broadcast(msg);
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
        if now >= self.relay.next_state {
            self.relay.next_state = now + 1000.0;
            let msg = ServerMsg::State {
                playback: self.relay.playback,
                server_ms: now,
                cause: None,
            };
            self.broadcast(msg);
        }
        for i in 0..self.clients.len() {
            let ups = self.clients[i].up.due(now);
            for m in ups {
                self.relay_receive(i, m);
            }
        }
        for i in 0..self.clients.len() {
            let local = now + self.clients[i].clock_offset_ms;
            let downs = self.clients[i].down.due(now);
            for m in downs {
                let c = &mut self.clients[i];
                let actions = match m {
                    ServerMsg::State {
                        playback,
                        server_ms,
                        cause,
                    } => {
                        if c.joined {
                            c.engine.on_room_state(playback, server_ms, cause, local)
                        } else {
                            c.joined = true;
                            c.engine.on_joined(c.id, playback, server_ms, local)
                        }
                    }
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
        self.relay.playback.position_at(self.now)
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
