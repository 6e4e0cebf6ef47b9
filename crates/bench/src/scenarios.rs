//! The sync scenarios. Each runs a fresh party with one controller and
//! returns its figures.

use std::path::PathBuf;
use std::time::Instant;

use matinee_client_core::ConnectionState;
use matinee_mpv::MpvBinary;
use matinee_sync::ControllerKind;
use serde::Serialize;
use serde_json::{json, Value};

use crate::metrics::{
    convergence_s, off_speed_s, pairwise_drift_ms, pause_delays_ms, seek_delays_ms, summarize,
    Summary,
};
use crate::party::{sleep_s, Frame, Party, Watched};
use crate::throttle_http::ThrottledServer;
use matinee_testkit::proxy::LinkProfile;

/// The sync scenarios, in the order a full run takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Two or more players playing on, measured after they settle.
    Steady,
    /// Someone joins a film under way.
    LateJoiner,
    /// Two people acting at once: pauses, seeks, plays and speeds.
    Storm,
    /// One player's stream stalls (a throttled HTTP server).
    Buffering,
    /// A client's link drops and comes back.
    LinkDrop,
    /// Copies that differ (padded), aligned by their sound.
    Aligned,
    /// The real Syncplay client joins a Matinee room.
    SyncplayGuest,
}

impl Scenario {
    pub const ALL: [Scenario; 7] = [
        Scenario::Steady,
        Scenario::LateJoiner,
        Scenario::Storm,
        Scenario::Buffering,
        Scenario::LinkDrop,
        Scenario::Aligned,
        Scenario::SyncplayGuest,
    ];

    /// Its name on the command line, in the JSON and the plots' files.
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::Steady => "steady",
            Scenario::LateJoiner => "late_joiner",
            Scenario::Storm => "storm",
            Scenario::Buffering => "buffering",
            Scenario::LinkDrop => "link_drop",
            Scenario::Aligned => "aligned",
            Scenario::SyncplayGuest => "syncplay_guest",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl std::fmt::Display for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What keeps the players together in a run: a Matinee engine with one of
/// its controllers (ours, or Syncplay's thresholds in our engine), or the
/// real Syncplay program (its server and clients).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Contender {
    Engine(ControllerKind),
    RealSyncplay,
}

impl Contender {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "syncplay-real" => Some(Contender::RealSyncplay),
            other => ControllerKind::parse(other).map(Contender::Engine),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Contender::Engine(c) => c.as_str(),
            Contender::RealSyncplay => "syncplay-real",
        }
    }
}

/// The actions of a storm, in turn from each client: the real Syncplay has
/// no speed control, so its storm is pauses, plays and seeks only.
const STORM_ACTIONS: [&str; 6] = ["pause", "seek", "play", "seek", "speed", "speed1"];

/// Sync is "reached" under this pairwise gap, seconds.
const IN_SYNC_S: f64 = 0.020;
/// Where drift is measured from after an event when the players never
/// come within `IN_SYNC_S` (the baseline leaves such gaps alone), seconds.
const UNSETTLED_S: f64 = 3.0;

pub struct Bench {
    pub profiles: Vec<LinkProfile>,
    pub quick: bool,
    pub clip: PathBuf,
    pub binary: MpvBinary,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    pub scenario: String,
    pub controller: String,
    /// Pairwise drift while everyone plays, ms.
    pub drift_ms: Option<Summary>,
    /// Seconds until all pairs stay within 20 ms for 1 s.
    pub converge_s: Option<f64>,
    /// Seeks the engines made (not the users').
    pub hard_seeks: u64,
    /// Player-seconds away from the room speed.
    pub off_speed_s: f64,
    pub pause_propagation_ms: Option<Summary>,
    /// Pause arrivals later than sender's + receiver's one-way delay + 50 ms.
    pub pause_late: usize,
    pub seek_propagation_ms: Option<Summary>,
    /// Remote plays: until every player runs (they start together on
    /// purpose, a little after the room position passes theirs).
    pub play_propagation_ms: Option<Summary>,
    pub controls_sent: u64,
    pub user_actions: u64,
    pub extra: Value,
    #[serde(skip)]
    pub frames: Vec<Frame>,
}

impl ScenarioResult {
    fn new(scenario: Scenario, controller: impl Into<Contender>) -> Self {
        Self {
            scenario: scenario.as_str().into(),
            controller: controller.into().as_str().into(),
            drift_ms: None,
            converge_s: None,
            hard_seeks: 0,
            off_speed_s: 0.0,
            pause_propagation_ms: None,
            pause_late: 0,
            seek_propagation_ms: None,
            play_propagation_ms: None,
            controls_sent: 0,
            user_actions: 0,
            extra: json!({}),
            frames: Vec::new(),
        }
    }
}

impl From<ControllerKind> for Contender {
    fn from(c: ControllerKind) -> Self {
        Contender::Engine(c)
    }
}

/// One person's action on their own player; seeks go 20 s further each
/// time from `target`.
async fn act(mpv: &matinee_mpv::MpvClient, kind: &str, target: &mut f64) {
    match kind {
        "pause" => mpv.set_pause(true).await.unwrap(),
        "play" => mpv.set_pause(false).await.unwrap(),
        "seek" => {
            *target += 20.0;
            mpv.seek_to(*target).await.unwrap();
        }
        "speed" => mpv.set_speed(1.25).await.unwrap(),
        _ => mpv.set_speed(1.0).await.unwrap(),
    }
}

/// How fast each action of a storm reached the other players: pause, seek
/// and play follow times, and the pauses that came later than both links'
/// one-way delays with their jitter plus 50 ms.
fn follow_times<P: std::ops::Deref<Target = Watched>>(
    peers: &[P],
    actions: &[(usize, Instant, &str)],
    r: &mut ScenarioResult,
) {
    let (mut pause_ms, mut seek_ms, mut play_ms, mut late) =
        (Vec::new(), Vec::new(), Vec::new(), 0);
    for &(from, at, kind) in actions {
        let sender = peers[from].profile;
        match kind {
            "pause" => {
                for (to, ms) in pause_delays_ms(peers, from, at, true) {
                    let receiver = peers[to].profile;
                    let bound = sender.delay_ms
                        + receiver.delay_ms
                        + receiver.jitter_ms
                        + sender.jitter_ms
                        + 50.0;
                    if ms > bound {
                        late += 1;
                    }
                    pause_ms.push(ms);
                }
            }
            "play" => play_ms.extend(
                pause_delays_ms(peers, from, at, false)
                    .into_iter()
                    .map(|(_, ms)| ms),
            ),
            "seek" => seek_ms.extend(
                seek_delays_ms(peers, from, at)
                    .into_iter()
                    .map(|(_, ms)| ms),
            ),
            _ => {}
        }
    }
    r.pause_propagation_ms = summarize(pause_ms);
    r.pause_late = late;
    r.seek_propagation_ms = summarize(seek_ms);
    r.play_propagation_ms = summarize(play_ms);
}

impl Bench {
    fn secs(&self, full: f64, quick: f64) -> f64 {
        if self.quick {
            quick
        } else {
            full
        }
    }

    async fn party(&self, controller: ControllerKind, count: usize) -> Party {
        let mut party = Party::new(controller, self.binary.clone()).await;
        for i in 0..count {
            let profile = self.profiles[i % self.profiles.len()];
            party.add_peer(profile, self.clip.clone()).await;
        }
        party
    }

    /// Runs `scenario` with `contender`; None where it does not apply (the
    /// real Syncplay runs steady play and the storm; a Syncplay guest joins
    /// Matinee rooms only).
    pub async fn run(&self, scenario: Scenario, contender: Contender) -> Option<ScenarioResult> {
        let controller = match contender {
            Contender::Engine(c) => c,
            Contender::RealSyncplay => return self.run_real_syncplay(scenario).await,
        };
        Some(match scenario {
            Scenario::Steady => self.steady(controller).await,
            Scenario::LateJoiner => self.late_joiner(controller).await,
            Scenario::Storm => self.storm(controller).await,
            Scenario::Buffering => self.buffering(controller).await,
            Scenario::LinkDrop => self.link_drop(controller).await,
            Scenario::Aligned => self.aligned(controller).await,
            Scenario::SyncplayGuest => self.syncplay_guest(controller).await,
        })
    }

    #[cfg(unix)]
    async fn run_real_syncplay(&self, scenario: Scenario) -> Option<ScenarioResult> {
        if !matches!(scenario, Scenario::Steady | Scenario::Storm) {
            return None;
        }
        let party = match crate::real_syncplay::SyncplayParty::new(
            &self.profiles,
            &self.clip,
            &self.binary.path,
        )
        .await
        {
            Ok(party) => party,
            Err(e) => {
                eprintln!("the real Syncplay could not run ({e}); skipped");
                return None;
            }
        };
        let result = match scenario {
            Scenario::Steady => self.real_steady(party).await,
            _ => self.real_storm(party).await,
        };
        result
            .map_err(|e| eprintln!("the real Syncplay's {scenario} failed: {e}"))
            .ok()
    }

    #[cfg(not(unix))]
    async fn run_real_syncplay(&self, _scenario: Scenario) -> Option<ScenarioResult> {
        eprintln!("the real Syncplay runs on Linux only here; skipped");
        None
    }

    /// The real Syncplay's steady play: the same settle and window as ours.
    #[cfg(unix)]
    async fn real_steady(
        &self,
        mut party: crate::real_syncplay::SyncplayParty,
    ) -> Result<ScenarioResult, String> {
        let mut r = ScenarioResult::new(Scenario::Steady, Contender::RealSyncplay);
        party.start_playback().await?;
        let start = party.t();
        sleep_s(self.secs(10.0, 2.0)).await;
        let (t0, at0) = (party.t(), Instant::now());
        sleep_s(self.secs(60.0, 3.5)).await;
        let t1 = party.t();
        r.hard_seeks = party.restarts_since(at0);
        let window = party.window(t0, t1);
        r.drift_ms = pairwise_drift_ms(&window);
        r.off_speed_s = off_speed_s(&window);
        r.frames = party.finish();
        r.converge_s = convergence_s(&r.frames, start, IN_SYNC_S, 1.0);
        Ok(r)
    }

    /// The real Syncplay's storm: pauses, plays and seeks in turn from each
    /// client, on its players directly as a person would.
    #[cfg(unix)]
    async fn real_storm(
        &self,
        mut party: crate::real_syncplay::SyncplayParty,
    ) -> Result<ScenarioResult, String> {
        let mut r = ScenarioResult::new(Scenario::Storm, Contender::RealSyncplay);
        party.start_playback().await?;
        sleep_s(self.secs(4.0, 1.5)).await;
        let at0 = Instant::now();
        let actions = self.storm_actions(&party.peers, &STORM_ACTIONS[..4]).await;
        r.user_actions = actions.len() as u64;
        let last_action = party.t() - self.storm_gap();
        sleep_s(self.secs(8.0, 2.0)).await;
        follow_times(&party.peers, &actions, &mut r);
        r.hard_seeks = party.restarts_since(at0);
        r.extra = json!({ "controls_sent": "not counted (another program)" });
        r.frames = party.finish();
        r.converge_s = convergence_s(&r.frames, last_action, IN_SYNC_S, 1.0);
        let settle = last_action + r.converge_s.unwrap_or(UNSETTLED_S);
        let tail: Vec<Frame> = r.frames.iter().filter(|f| f.t > settle).cloned().collect();
        r.drift_ms = pairwise_drift_ms(&tail);
        Ok(r)
    }

    /// A friend on the real Syncplay joins a Matinee room through the
    /// relay's bridge (behind the last link): the Matinee players' drift is
    /// measured as in steady play, the guest's gap to the host beside it.
    #[cfg(unix)]
    async fn syncplay_guest(&self, c: ControllerKind) -> ScenarioResult {
        use matinee_testkit::syncplay::SyncplayClient;
        let r = ScenarioResult::new(Scenario::SyncplayGuest, c);
        let party = self.party(c, self.clients()).await;
        let profile = *self.profiles.last().expect("links");
        let proxy = matinee_testkit::proxy::Proxy::start(party.relay.addr(), profile)
            .await
            .expect("proxy starts");
        let code = party.code.clone().expect("a room");
        let guest = SyncplayClient::start(
            proxy.addr,
            code.as_str(),
            "guest",
            &self.clip,
            &self.binary.path,
        )
        .await;
        let guest = match guest {
            Ok(g) => g,
            Err(e) => {
                eprintln!("syncplay_guest: the real Syncplay could not join ({e})");
                return self.play_steadily(party, r, 2.0).await;
            }
        };
        let ipc = matinee_mpv::MpvClient::connect(&guest.mpv_socket().display().to_string())
            .await
            .expect("the guest's mpv");
        // The guest's gap to the host while both play, sampled beside the
        // steady measurement.
        let host = party.peers[0].mpv.state();
        let theirs = ipc.state();
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let sampler = tokio::spawn(async move {
            let mut gaps = Vec::new();
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(50));
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = &mut stopped => return gaps,
                }
                let now = Instant::now();
                let (h, g) = (host.borrow().clone(), theirs.borrow().clone());
                if let (false, false, Some(hp), Some(gp)) =
                    (h.pause, g.pause, h.position_at(now), g.position_at(now))
                {
                    gaps.push((gp - hp).abs() * 1000.0);
                    if gaps.len() > 100_000 {
                        return gaps;
                    }
                }
            }
        });
        let mut r = self.play_steadily(party, r, 3.0).await;
        let _ = stop.send(());
        let gaps = sampler.await.unwrap_or_default();
        r.extra = json!({ "guest_gap_to_host_ms": summarize(gaps), "guest": "Syncplay 1.6.9 through the relay's bridge" });
        drop((guest, ipc, proxy));
        r
    }

    #[cfg(not(unix))]
    async fn syncplay_guest(&self, c: ControllerKind) -> ScenarioResult {
        let party = self.party(c, self.clients()).await;
        self.play_steadily(party, ScenarioResult::new(Scenario::SyncplayGuest, c), 2.0)
            .await
    }

    /// Seconds between a storm's actions.
    fn storm_gap(&self) -> f64 {
        self.secs(1.5, 1.0)
    }

    /// A storm: `kinds` in turn (6 actions quick: each kind once, speed
    /// changes too; 12 in a full run), each from the next client, a gap
    /// apart; when and from whom each came.
    async fn storm_actions<P: std::ops::Deref<Target = Watched>>(
        &self,
        peers: &[P],
        kinds: &[&'static str],
    ) -> Vec<(usize, Instant, &'static str)> {
        let count = if self.quick { 6 } else { 12 };
        let mut actions = Vec::new();
        let mut target = 30.0;
        for k in 0..count {
            let from = k % peers.len();
            let kind = kinds[k % kinds.len()];
            let at = Instant::now();
            act(&peers[from].mpv, kind, &mut target).await;
            actions.push((from, at, kind));
            sleep_s(self.storm_gap()).await;
        }
        actions
    }

    fn clients(&self) -> usize {
        self.profiles.len()
    }

    async fn steady(&self, c: ControllerKind) -> ScenarioResult {
        let party = self.party(c, self.clients()).await;
        self.play_steadily(party, ScenarioResult::new(Scenario::Steady, c), 2.0)
            .await
    }

    /// Starts the film, lets it settle for `settle_quick` s (10 s in a full
    /// run), then measures steady play: drift, seeks, controls, time off
    /// the room's speed, and convergence from the start.
    async fn play_steadily(
        &self,
        party: Party,
        mut r: ScenarioResult,
        settle_quick: f64,
    ) -> ScenarioResult {
        party.start_playback().await;
        let start = party.t();
        sleep_s(self.secs(10.0, settle_quick)).await;
        let (seeks0, controls0, t0) = (party.seeks(), party.controls(), party.t());
        sleep_s(self.secs(60.0, 3.5)).await;
        let t1 = party.t();
        r.hard_seeks = party.seeks() - seeks0;
        r.controls_sent = party.controls() - controls0;
        let window = party.window(t0, t1);
        r.drift_ms = pairwise_drift_ms(&window);
        r.off_speed_s = off_speed_s(&window);
        r.frames = party.finish().await;
        r.converge_s = convergence_s(&r.frames, start, IN_SYNC_S, 1.0);
        r
    }

    /// Steady play with different copies: the host plays the original, the
    /// others a copy with 4 s of black and silence in front (and, with a
    /// third client, the 25 fps release), aligned by sound before the
    /// start. Drift is measured by content (each copy's time mapped to the
    /// host's).
    async fn aligned(&self, c: ControllerKind) -> ScenarioResult {
        use matinee_testkit::{film_copy, FilmCopy};
        let r = ScenarioResult::new(Scenario::Aligned, c);
        let mut party = Party::new(c, self.binary.clone()).await;
        for i in 0..self.clients() {
            let copy = match i {
                0 => FilmCopy::Original,
                2 => FilmCopy::Pal,
                _ => FilmCopy::Padded,
            };
            party.add_peer(self.profiles[i], film_copy(copy)).await;
        }
        let aligned_by = Instant::now() + std::time::Duration::from_secs(30);
        while party.peers[1..]
            .iter()
            .any(|p| p.session.snapshot().line.is_identity())
        {
            if Instant::now() > aligned_by {
                eprintln!("aligned: not every copy was aligned within 30 s");
                break;
            }
            sleep_s(0.1).await;
        }
        self.play_steadily(party, r, 3.0).await
    }

    async fn late_joiner(&self, c: ControllerKind) -> ScenarioResult {
        let mut r = ScenarioResult::new(Scenario::LateJoiner, c);
        let n = self.clients();
        let mut party = self.party(c, n - 1).await;
        party.start_playback().await;
        sleep_s(self.secs(8.0, 2.0)).await;
        let t_join = party.t();
        let profile = self.profiles[(n - 1) % self.profiles.len()];
        party.add_peer(profile, self.clip.clone()).await;
        let mpv_ready = party.t();
        sleep_s(self.secs(15.0, 3.5)).await;
        let t1 = party.t();
        r.controls_sent = party.controls();
        r.hard_seeks = party.seeks();
        r.frames = party.finish().await;
        let conv = convergence_s(&r.frames, mpv_ready, IN_SYNC_S, 1.0);
        r.converge_s = conv;
        let settle = mpv_ready + conv.unwrap_or(UNSETTLED_S);
        let settled: Vec<Frame> = r
            .frames
            .iter()
            .filter(|f| f.t >= settle && f.t <= t1)
            .cloned()
            .collect();
        r.drift_ms = pairwise_drift_ms(&settled);
        r.extra = json!({ "session_start_s": mpv_ready - t_join });
        r
    }

    async fn storm(&self, c: ControllerKind) -> ScenarioResult {
        let mut r = ScenarioResult::new(Scenario::Storm, c);
        let n = self.clients();
        let party = self.party(c, n).await;
        party.start_playback().await;
        sleep_s(self.secs(4.0, 1.5)).await;
        let controls0 = party.controls();
        let actions = self.storm_actions(&party.peers, &STORM_ACTIONS).await;
        r.user_actions = actions.len() as u64;
        let last_action = party.t() - self.storm_gap();
        sleep_s(self.secs(8.0, 2.0)).await;
        follow_times(&party.peers, &actions, &mut r);
        r.controls_sent = party.controls() - controls0;
        r.hard_seeks = party.seeks();
        r.frames = party.finish().await;
        r.converge_s = convergence_s(&r.frames, last_action, IN_SYNC_S, 1.0);
        let settle = last_action + r.converge_s.unwrap_or(UNSETTLED_S);
        let tail: Vec<Frame> = r.frames.iter().filter(|f| f.t > settle).cloned().collect();
        r.drift_ms = pairwise_drift_ms(&tail);
        r
    }

    async fn buffering(&self, c: ControllerKind) -> ScenarioResult {
        let mut r = ScenarioResult::new(Scenario::Buffering, c);
        let size = std::fs::metadata(&self.clip).map(|m| m.len()).unwrap_or(1);
        let byte_rate = size / 300; // the clip lasts 300 s
        let server = ThrottledServer::start(self.clip.clone(), byte_rate * 11 / 10)
            .await
            .expect("http server");
        let mut party = Party::new(c, self.binary.clone()).await;
        for i in 0..self.clients() {
            let media = if i == 1 {
                PathBuf::from(&server.url)
            } else {
                self.clip.clone()
            };
            party
                .add_peer(self.profiles[i % self.profiles.len()], media)
                .await;
        }
        party.start_playback().await;
        sleep_s(self.secs(6.0, 2.0)).await;
        let stall_at = Instant::now();
        let t_stall = party.t();
        server.set_rate(0);
        sleep_s(self.secs(4.0, 2.0)).await;
        server.set_rate(byte_rate * 8);
        let t_back = party.t();
        sleep_s(self.secs(10.0, 3.0)).await;
        let waited = pause_delays_ms(&party.peers, 1, stall_at, true);
        let resumed = pause_delays_ms(&party.peers, 1, stall_at, false);
        r.controls_sent = party.controls();
        r.hard_seeks = party.seeks();
        r.frames = party.finish().await;
        let resume_t = resumed
            .iter()
            .map(|(_, ms)| t_stall + ms / 1000.0)
            .fold(f64::NAN, f64::max);
        r.converge_s = if resume_t.is_nan() {
            None
        } else {
            convergence_s(&r.frames, resume_t, IN_SYNC_S, 1.0)
        };
        let after: Vec<Frame> = r
            .frames
            .iter()
            .filter(|f| !resume_t.is_nan() && f.t > resume_t + 1.0)
            .cloned()
            .collect();
        r.drift_ms = pairwise_drift_ms(&after);
        r.extra = json!({
            "others_paused_after_ms": waited.iter().map(|(_, ms)| ms.round()).collect::<Vec<_>>(),
            "others_resumed_after_stall_ms": resumed.iter().map(|(_, ms)| ms.round()).collect::<Vec<_>>(),
            "stall_s": t_back - t_stall,
        });
        r
    }

    async fn link_drop(&self, c: ControllerKind) -> ScenarioResult {
        let mut r = ScenarioResult::new(Scenario::LinkDrop, c);
        let party = self.party(c, self.clients()).await;
        party.start_playback().await;
        sleep_s(self.secs(8.0, 1.5)).await;
        let seeks0 = party.seeks();
        let victim = 1;
        let t_drop = party.t();
        party.proxies[victim].set_down(true);
        sleep_s(self.secs(10.0, 2.5)).await;
        let t_back = party.t();
        party.proxies[victim].set_down(false);
        let mut w = party.peers[victim].session.watch();
        let back = Instant::now();
        let reconnected = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            w.wait_for(|s| s.connection == ConnectionState::Connected),
        )
        .await
        .is_ok();
        let reconnect_s = back.elapsed().as_secs_f64();
        sleep_s(self.secs(10.0, 2.5)).await;
        let t1 = party.t();
        r.hard_seeks = party.seeks() - seeks0;
        r.controls_sent = party.controls();
        let during = party.window(t_drop + 0.5, t_back);
        r.frames = party.finish().await;
        r.converge_s = convergence_s(&r.frames, t_back, IN_SYNC_S, 1.0);
        r.drift_ms = pairwise_drift_ms(
            &r.frames
                .iter()
                .filter(|f| f.t > t_back && f.t <= t1)
                .cloned()
                .collect::<Vec<_>>(),
        );
        let during_drift = pairwise_drift_ms(&during);
        r.extra = json!({
            "drop_s": t_back - t_drop,
            "reconnected": reconnected,
            "reconnect_s": reconnect_s,
            "drift_during_drop_ms": during_drift,
        });
        r
    }
}

#[cfg(test)]
mod tests {
    use super::Scenario;

    #[test]
    fn every_scenario_reads_back_by_its_name_and_names_are_unique() {
        for s in Scenario::ALL {
            assert_eq!(Scenario::parse(s.as_str()), Some(s));
        }
        let names: std::collections::HashSet<_> =
            Scenario::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names.len(), Scenario::ALL.len());
        assert_eq!(Scenario::parse("stormy"), None);
    }
}
