//! Different copies in one party, aligned by sound: the host plays the
//! original, one friend a copy with 4 s of black in front, another the
//! 25 fps release; each over a delayed, jittery loopback link, each with a
//! real headless mpv. Once aligned, the friends show the host's frames;
//! another film is said not to match and is not aligned.

mod common;
use common::heard::{made_up_action, record};

use std::time::{Duration, Instant};

use matinee_client_core::{
    AlignState, MediaSource, PartyHandle, PartySession, Role, SessionCmd, SessionConfig,
    SessionEvent,
};
use matinee_mpv::MpvClient;
use matinee_protocol::{ControlMode, NoticeEvent, RoomCode};
use matinee_relay::{RelayConfig, RelayHandle};
use matinee_testkit::copies::{FILM_FPS, PAD_SECS};
use matinee_testkit::proxy::{LinkProfile, Proxy};
use matinee_testkit::{film_copy, FilmCopy};
use tokio::sync::broadcast;

struct Peer {
    session: PartyHandle,
    events: broadcast::Receiver<SessionEvent>,
    mpv: MpvClient,
    _link: Proxy,
}

async fn peer(relay: &RelayHandle, name: &str, role: Role, copy: FilmCopy, link: &str) -> Peer {
    let proxy = Proxy::start(relay.addr(), LinkProfile::parse(link).unwrap())
        .await
        .unwrap();
    let film = MediaSource::file(film_copy(copy));
    let cfg = SessionConfig {
        osd_notices: false,
        ..common::config(proxy.ws_url(), name, role, film)
    };
    let session = PartySession::start(cfg).await.expect("session starts");
    let events = session.events();
    let mpv = MpvClient::connect(&session.snapshot().player_endpoint.unwrap())
        .await
        .unwrap();
    Peer {
        session,
        events,
        mpv,
        _link: proxy,
    }
}

impl Peer {
    /// The alignment this peer settles on (30 s at most).
    async fn alignment(&mut self) -> (AlignState, String) {
        let wait = async {
            loop {
                if let Ok(SessionEvent::Alignment { state, message, .. }) = self.events.recv().await
                {
                    if !matches!(state, AlignState::Measuring | AlignState::Waiting) {
                        return (state, message);
                    }
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(30), wait)
            .await
            .expect("alignment settles within 30 s")
    }

    /// This copy's frame number now, and the room's time it maps to.
    async fn frame(&self) -> f64 {
        self.mpv
            .get_number("estimated-frame-number")
            .await
            .unwrap()
            .unwrap_or(-1.0)
    }

    fn room_time(&self, at: Instant) -> Option<f64> {
        let line = self.session.snapshot().line;
        self.mpv
            .state()
            .borrow()
            .position_at(at)
            .map(|p| line.to_room(p))
    }
}

fn percentile(mut v: Vec<f64>, q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    matinee_testkit::stats::quantile(&v, q).unwrap_or(f64::NAN)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_that_differ_show_the_same_frames_once_aligned_by_sound() {
    let relay = matinee_relay::start(RelayConfig::loopback()).await.unwrap();
    let mut ana = peer(
        &relay,
        "Ana",
        Role::Host {
            control_mode: ControlMode::Shared,
        },
        FilmCopy::Original,
        "10",
    )
    .await;
    let code: RoomCode = ana.session.snapshot().code;
    let join = || Role::Join { code: code.clone() };
    let mut ben = peer(&relay, "Ben", join(), FilmCopy::Padded, "75:30").await;
    let mut cleo = peer(&relay, "Cleo", join(), FilmCopy::Pal, "150:30").await;
    let heard = record(&ana.session);
    let cleo_heard = record(&cleo.session);

    let (state, message) = ana.alignment().await;
    assert_eq!(state, AlignState::Reference, "{message}");
    let (state, message) = ben.alignment().await;
    assert_eq!(
        (state, message.as_str()),
        (
            AlignState::Aligned,
            "Your copy starts 4.0 s later than Ana's — aligned."
        )
    );
    let (state, message) = cleo.alignment().await;
    assert_eq!(
        (state, message.as_str()),
        (
            AlignState::Aligned,
            "Your copy is the 25 fps release — aligned by speed."
        )
    );
    let (b, c) = (ben.session.snapshot().line, cleo.session.snapshot().line);
    eprintln!("Ben's line {b:?}, Cleo's line {c:?}");
    let frame = 1.0 / FILM_FPS;
    assert!((b.b + PAD_SECS).abs() < frame && b.a == 1.0, "{b:?}");
    assert!(
        (c.a / (25.0 / FILM_FPS) - 1.0).abs() < 0.001 && c.b.abs() < frame,
        "{c:?}"
    );

    // Play from 20 s: everyone follows, by content.
    ana.session.send(SessionCmd::Seek { position: 20.0 });
    ana.session.send(SessionCmd::Start { force: true });
    tokio::time::sleep(Duration::from_secs(8)).await;
    let mut drifts = (Vec::new(), Vec::new());
    let until = Instant::now() + Duration::from_secs(8);
    while Instant::now() < until {
        let now = Instant::now();
        if let (Some(h), Some(x), Some(y)) =
            (ana.room_time(now), ben.room_time(now), cleo.room_time(now))
        {
            drifts.0.push((x - h).abs() * 1000.0);
            drifts.1.push((y - h).abs() * 1000.0);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (pb, pc) = (
        percentile(drifts.0.clone(), 0.95),
        percentile(drifts.1.clone(), 0.95),
    );
    eprintln!(
        "content drift p50/p95: padded {:.1}/{pb:.1} ms, 25 fps {:.1}/{pc:.1} ms",
        percentile(drifts.0, 0.5),
        percentile(drifts.1, 0.5)
    );
    assert!(
        pb < 100.0 && pc < 100.0,
        "content drift p95 {pb:.1} / {pc:.1} ms"
    );

    // Frames, not positions: the padded copy is 96 frames ahead in its
    // own numbering, the 25 fps copy shows the same frame numbers.
    let pad_frames = (PAD_SECS * FILM_FPS).round();
    let (h, x, y) = (ana.frame().await, ben.frame().await, cleo.frame().await);
    eprintln!("frames: host {h}, padded {x} (-{pad_frames}), 25 fps {y}");
    assert!(
        (x - pad_frames - h).abs() <= 3.0,
        "padded shows {x}, host {h}"
    );
    assert!((y - h).abs() <= 3.0, "25 fps shows {y}, host {h}");

    // A pause and a seek by the padded friend reach everyone by content.
    ben.session.send(SessionCmd::Pause);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(ana.mpv.state().borrow().pause && cleo.mpv.state().borrow().pause);
    ben.session.send(SessionCmd::Seek { position: 60.0 });
    tokio::time::sleep(Duration::from_secs(3)).await;
    let ana_pos = ana.mpv.state().borrow().time_pos.unwrap();
    let ben_pos = ben.mpv.state().borrow().time_pos.unwrap();
    let cleo_pos = cleo.mpv.state().borrow().time_pos.unwrap();
    eprintln!("after the seek: Ana {ana_pos:.3}, Ben {ben_pos:.3}, Cleo {cleo_pos:.3}");
    assert!((ana_pos - 60.0).abs() < 0.1, "{ana_pos}");
    assert!((ben_pos - 64.0).abs() < 0.1, "{ben_pos}");
    assert!(
        (cleo_pos - 60.0 * FILM_FPS / 25.0).abs() < 0.1,
        "{cleo_pos}"
    );

    // Ana shares subtitles timed to her copy: at the same moment every
    // copy shows the same line (placed through each copy's line), where
    // the padded copy used to show the line 4 s later and the 25 fps copy
    // none.
    let dir = tempfile::tempdir().unwrap();
    let srt = dir.path().join("film.en.srt");
    std::fs::write(
        &srt,
        "1\n00:00:58,500 --> 00:01:01,500\nSixty\n\n2\n00:01:02,500 --> 00:01:06,000\nSixty-four\n",
    )
    .unwrap();
    ana.session.send(SessionCmd::ShareSubtitle { path: srt });
    for (who, mpv) in [("Ana", &ana.mpv), ("Ben", &ben.mpv), ("Cleo", &cleo.mpv)] {
        let shown = sub_text(mpv, "Sixty").await;
        assert_eq!(shown, "Sixty", "{who} shows {shown:?} at room time 60 s");
    }

    // Cleo turns alignment off: positions are numbers again, and the
    // shared file is placed by numbers too.
    cleo.session.send(SessionCmd::SetAlignment { on: false });
    let (state, message) = cleo.alignment().await;
    assert_eq!(state, AlignState::Off, "{message}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let cleo_pos = cleo.mpv.state().borrow().time_pos.unwrap();
    assert!((cleo_pos - 60.0).abs() < 0.1, "{cleo_pos}");
    assert_eq!(sub_text(&cleo.mpv, "Sixty").await, "Sixty");

    // Cleo turns alignment back on while the room plays: her player moves
    // to the content's place by itself, and nobody is said to have paused
    // or jumped but those who did (Ana's own jump comes back to her too).
    ana.session.send(SessionCmd::Play);
    tokio::time::sleep(Duration::from_secs(2)).await;
    cleo.session.send(SessionCmd::SetAlignment { on: true });
    let (state, message) = cleo.alignment().await;
    assert_eq!(state, AlignState::Aligned, "{message}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let said: Vec<String> = heard
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            SessionEvent::Notice {
                event: NoticeEvent::Paused | NoticeEvent::Seeked,
                text,
            } => Some(text.clone()),
            _ => None,
        })
        .collect();
    eprintln!("Ana heard: {said:?}");
    assert!(
        said.len() == 3
            && said[0] == "Ana jumped to 0:20"
            && said[1..].iter().all(|t| t.starts_with("Ben ")),
        "made-up actions: {said:?}"
    );

    // Ana leaves while the room plays: Ben hosts now (his copy is the
    // reference), and nobody is said to have paused or jumped.
    let before = cleo_heard.lock().unwrap().len();
    ana.session.send(SessionCmd::Leave);
    let mut snap = ben.session.watch();
    tokio::time::timeout(Duration::from_secs(10), snap.wait_for(|s| s.host))
        .await
        .expect("Ben hosts within 10 s")
        .unwrap();
    tokio::time::sleep(Duration::from_secs(6)).await;
    let after = cleo_heard.lock().unwrap()[before..].to_vec();
    eprintln!("Cleo heard after Ana left: {after:?}");
    assert_eq!(made_up_action(&after), None);
    // Cleo aligned to Ben's copy: the same content (Ben's copy is 96
    // frames ahead in its own numbering).
    assert!(after.iter().any(|e| matches!(
        e,
        SessionEvent::Alignment {
            state: AlignState::Aligned,
            ..
        }
    )));
    let (x, y) = (ben.frame().await, cleo.frame().await);
    eprintln!("frames after Ana left: Ben {x}, Cleo {y}");
    assert!((x - pad_frames - y).abs() <= 3.0, "Ben {x}, Cleo {y}");
}

/// The subtitle line a player shows, once it is `want` (or after 5 s).
async fn sub_text(mpv: &MpvClient, want: &str) -> String {
    let start = Instant::now();
    loop {
        let v = mpv.get_text("sub-text").await.unwrap().unwrap_or_default();
        if v == want || start.elapsed() > Duration::from_secs(5) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_film_is_said_not_to_match_and_is_not_aligned() {
    let relay = matinee_relay::start(RelayConfig::loopback()).await.unwrap();
    let ana = peer(
        &relay,
        "Ana",
        Role::Host {
            control_mode: ControlMode::Shared,
        },
        FilmCopy::Original,
        "5",
    )
    .await;
    let code = ana.session.snapshot().code;
    let mut dan = peer(&relay, "Dan", Role::Join { code }, FilmCopy::Other, "5").await;
    let (state, message) = dan.alignment().await;
    assert_eq!(state, AlignState::NoMatch);
    assert_eq!(
        message,
        "Could not match your copy's sound to Ana's (a different film or a different language track?)"
    );
    assert!(dan.session.snapshot().line.is_identity());
}
