//! Subtitles and tracks shared in a party, on loopback with real headless
//! mpv players: a subtitle file one member shares shows in the others'
//! players; bad files are refused with the reason; a hostile ASS file is
//! text to mpv; a track proposal makes copies whose tracks come in
//! different orders pick the same languages.

mod common;
use common::{eventually, Peer};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use matinee_client_core::{MediaSource, Role, SessionCmd, SessionConfig, SessionEvent};
use matinee_mpv::{MpvClient, TrackType};
use matinee_protocol::{ControlMode, RoomCode, SubtitleChoice, TrackChoice, TrackProposal};
use matinee_relay::{RelayConfig, RelayHandle};
use matinee_testkit::{clip, ClipSpec};

fn config(relay: &RelayHandle, nickname: &str, role: Role, film: &Path) -> SessionConfig {
    common::config(
        relay.ws_url(),
        nickname,
        role,
        MediaSource::file(film.to_path_buf()),
    )
}

impl Peer {
    /// What a track proposal did here, once one comes.
    async fn proposal_outcome(&mut self, what: &str) -> Vec<String> {
        self.event(what, |ev| match ev {
            SessionEvent::TrackProposal { outcome, .. } => Some(outcome.clone()),
            _ => None,
        })
        .await
    }

    async fn refused(&mut self) -> String {
        self.event("a refusal", |ev| match ev {
            SessionEvent::Refused { message } => Some(message.clone()),
            _ => None,
        })
        .await
    }

    /// The language of the selected track of `kind` in this mpv.
    fn selected_lang(&self, kind: TrackType) -> Option<String> {
        self.mpv
            .state()
            .borrow()
            .tracks
            .iter()
            .find(|t| t.kind == kind && t.selected)
            .map(|t| t.lang.clone().unwrap_or_else(|| "?".into()))
    }
}

async fn pair(host_film: &Path, guest_film: &Path) -> (RelayHandle, Peer, Peer) {
    let relay = matinee_relay::start(RelayConfig::loopback()).await.unwrap();
    let host = Peer::start(config(
        &relay,
        "Ana",
        Role::Host {
            control_mode: ControlMode::HostOnly,
        },
        host_film,
    ))
    .await;
    let code: RoomCode = host.session.snapshot().code;
    let guest = Peer::start(config(&relay, "Ben", Role::Join { code }, guest_film)).await;
    (relay, host, guest)
}

/// A text property once `ok` accepts it (5 s at most; the last value is
/// returned either way, for the assertion to show).
async fn poll_text(mpv: &MpvClient, property: &str, ok: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let v = mpv.get_text(property).await.unwrap().unwrap_or_default();
        if ok(&v) || start.elapsed() > Duration::from_secs(5) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// WebVTT, with mpv's property syntax, which must not expand (mpv turns
/// every format into ASS, where braces hold override tags, so the braces
/// and what is in them are dropped: see the ASS case below).
const VTT: &str = "WEBVTT\n\n00:00:00.000 --> 00:10:00.000\nHello from Ana ${filename}\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_subtitle_shows_in_the_others_players_and_bad_files_are_refused() {
    let film = clip(ClipSpec::small(120));
    let (_relay, mut ana, mut ben) = pair(&film, &film).await;
    let dir = tempfile::tempdir().unwrap();

    // Too large, and binary under a subtitle's name: refused, with why.
    let big = write(dir.path(), "big.srt", &vec![b'a'; 2_621_440]);
    ana.session.send(SessionCmd::ShareSubtitle { path: big });
    let why = ana.refused().await;
    assert_eq!(
        why,
        "big.srt is 2.5 MiB; subtitle files up to 2 MiB can be shared."
    );
    let noise: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let binary = write(dir.path(), "film.srt", &noise);
    ana.session.send(SessionCmd::ShareSubtitle { path: binary });
    assert_eq!(
        ana.refused().await,
        "film.srt holds binary data, not subtitle text."
    );

    // A real one: Ben's player shows it.
    let vtt = write(dir.path(), "film.en.vtt", VTT.as_bytes());
    let sent = Instant::now();
    ana.session.send(SessionCmd::ShareSubtitle { path: vtt });
    let (id, label, selected) = ben
        .event("Ben is told", |ev| match ev {
            SessionEvent::SubtitleShared {
                id,
                label,
                selected,
                nickname,
                ..
            } if nickname == "Ana" => Some((*id, label.clone(), *selected)),
            _ => None,
        })
        .await;
    assert_eq!(label, "English (VTT)");
    assert!(selected, "Ben showed no subtitles, so it is shown");
    let took = eventually("Ben's mpv shows it", Duration::from_secs(5), || {
        ben.mpv.state().borrow().tracks.iter().any(|t| {
            t.kind == TrackType::Sub
                && t.external
                && t.selected
                && t.lang.as_deref() == Some("en")
                && t.title.as_deref() == Some("English (VTT) · from Ana")
        })
    })
    .await;
    eprintln!(
        "shared subtitle selected in Ben's mpv {:?} after sharing",
        sent.elapsed()
    );
    let _ = took;
    // Ana's own player shows it as well, under the same title.
    eventually("Ana's mpv shows it", Duration::from_secs(5), || {
        ana.mpv.state().borrow().tracks.iter().any(|t| {
            t.kind == TrackType::Sub
                && t.selected
                && t.title.as_deref() == Some("English (VTT) · from Ana")
        })
    })
    .await;
    let text = poll_text(&ben.mpv, "sub-text", |t| !t.is_empty()).await;
    assert!(
        text.starts_with("Hello from Ana $") && !text.contains("clip-"),
        "{text:?}"
    );
    // The file Ben's mpv reads is in his own private folder.
    let path = ben
        .mpv
        .get_text("current-tracks/sub/external-filename")
        .await
        .unwrap()
        .unwrap();
    assert!(
        path.contains("matinee-subtitles-") && path.ends_with("shared-1.vtt"),
        "{path}"
    );

    // Ignore takes it out; Use brings it back.
    ben.session
        .send(SessionCmd::UseSubtitle { id, used: false });
    eventually("taken out", Duration::from_secs(5), || {
        ben.selected_lang(TrackType::Sub).is_none()
    })
    .await;
    ben.session.send(SessionCmd::UseSubtitle { id, used: true });
    eventually("back", Duration::from_secs(5), || {
        ben.selected_lang(TrackType::Sub).as_deref() == Some("en")
    })
    .await;
    // Pressed in quick succession, the last press wins and the file is
    // in the player once (each runs after the one before has landed).
    for _ in 0..3 {
        ben.session
            .send(SessionCmd::UseSubtitle { id, used: false });
        ben.session.send(SessionCmd::UseSubtitle { id, used: true });
    }
    let copies = |p: &Peer| {
        p.mpv
            .state()
            .borrow()
            .tracks
            .iter()
            .filter(|t| t.title.as_deref() == Some("English (VTT) · from Ana"))
            .map(|t| t.selected)
            .collect::<Vec<_>>()
    };
    eventually("quick presses settle", Duration::from_secs(5), || {
        copies(&ben) == [true]
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(copies(&ben), [true], "one copy, shown, and it stays so");

    // Ben's player dies and is reopened: the shared file comes back, shown.
    let pid = ben.session.snapshot().player_pid.unwrap();
    std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    eventually("Ben's player closed", Duration::from_secs(3), || {
        !ben.session.snapshot().player_open
    })
    .await;
    ben.session.send(SessionCmd::ReopenPlayer);
    let mut snap = ben.session.watch();
    let endpoint = tokio::time::timeout(
        Duration::from_secs(10),
        snap.wait_for(|s| s.player_open && s.player_endpoint.is_some()),
    )
    .await
    .expect("reopened")
    .unwrap()
    .player_endpoint
    .clone()
    .unwrap();
    ben.mpv = MpvClient::connect(&endpoint).await.unwrap();
    eventually("the shared file is back", Duration::from_secs(5), || {
        ben.selected_lang(TrackType::Sub).as_deref() == Some("en")
    })
    .await;

    // A hostile ASS file: override tags and property syntax are text.
    let marker = dir.path().join("ran");
    let ass = format!(
        "[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\n\
         Format: Name, Fontname, Fontsize, PrimaryColour, Bold, Italic, Alignment, MarginL, MarginR, MarginV\n\
         Style: Default,Arial,20,&H00FFFFFF,0,0,2,10,10,10\n\n[Events]\n\
         Format: Layer, Start, End, Style, Text\n\
         Dialogue: 0,0:00:00.00,0:09:59.00,Default,{{\\an8\\pos(10,10)\\fscx300}}${{filename}} ${{run:touch {m}}} `touch {m}`\n",
        m = marker.display()
    );
    let ass_path = write(dir.path(), "evil.ass", ass.as_bytes());
    ana.session
        .send(SessionCmd::ShareSubtitle { path: ass_path });
    let first = id;
    let id2 = ben
        .event("the ASS file arrives", |ev| match ev {
            SessionEvent::SubtitleShared { id, selected, .. } if *id != first => {
                assert!(!selected, "Ben shows subtitles already: not switched");
                Some(*id)
            }
            _ => None,
        })
        .await;
    ben.session.send(SessionCmd::UseSubtitle {
        id: id2,
        used: true,
    });
    // In ASS, braces hold override tags: libass drops `{filename}` and
    // `{run:…}` as unknown tags; nothing is expanded (no file name) or run.
    let want = format!("$ $ `touch {m}`", m = marker.display());
    let shown = poll_text(&ben.mpv, "sub-text", |t| t == want).await;
    assert_eq!(shown, want, "mpv shows the ASS text as text");
    assert!(!marker.exists(), "a subtitle ran a command");
    assert!(!ben.session.is_finished() && !ben.mpv.is_closed());
}

/// A copy of a clip with two audio and two subtitle tracks, tagged with
/// languages, in the given orders.
fn copy_with_tracks(dir: &Path, name: &str, audio: [&str; 2], subs: [&str; 2]) -> PathBuf {
    let base = clip(ClipSpec::small(20));
    let srt = |lang: &str| {
        write(
            dir,
            &format!("{name}-{lang}.srt"),
            format!("1\n00:00:00,000 --> 00:00:20,000\nin {lang}\n").as_bytes(),
        )
    };
    let out = dir.join(format!("{name}.mkv"));
    let tone = |lang: &str| if lang == "eng" { "0:a" } else { "1:a" };
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(&base)
        .args([
            "-f",
            "lavfi",
            "-t",
            "20",
            "-i",
            "sine=frequency=660:sample_rate=48000",
        ])
        .arg("-i")
        .arg(srt(subs[0]))
        .arg("-i")
        .arg(srt(subs[1]))
        .args([
            "-map",
            "0:v",
            "-map",
            tone(audio[0]),
            "-map",
            tone(audio[1]),
        ])
        .args(["-map", "2:s", "-map", "3:s"])
        .args(["-c:v", "copy", "-c:a", "aac", "-c:s", "srt", "-t", "20"])
        .args(["-metadata:s:a:0", &format!("language={}", audio[0])])
        .args(["-metadata:s:a:1", &format!("language={}", audio[1])])
        .args(["-metadata:s:s:0", &format!("language={}", subs[0])])
        .args(["-metadata:s:s:1", &format!("language={}", subs[1])])
        .arg(&out)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_track_proposal_makes_different_copies_pick_the_same_languages() {
    let dir = tempfile::tempdir().unwrap();
    let a = copy_with_tracks(dir.path(), "a", ["eng", "jpn"], ["eng", "fre"]);
    let b = copy_with_tracks(dir.path(), "b", ["jpn", "eng"], ["fre", "eng"]);
    let (_relay, ana, mut ben) = pair(&a, &b).await;
    // Each member's tracks reach the room.
    eventually("Ana knows Ben's tracks", Duration::from_secs(5), || {
        let s = ana.session.snapshot();
        s.tracks
            .get(&ben.session.snapshot().you)
            .is_some_and(|t| t.len() == 4)
    })
    .await;
    // Different tracks playing before: mpv takes each copy's first audio.
    eventually("both list tracks", Duration::from_secs(5), || {
        ana.selected_lang(TrackType::Audio).is_some()
            && ben.selected_lang(TrackType::Audio).is_some()
    })
    .await;
    assert_ne!(
        ana.selected_lang(TrackType::Audio),
        ben.selected_lang(TrackType::Audio)
    );

    // A guest may not propose in a host-only room.
    ben.session.send(SessionCmd::ProposeTracks {
        proposal: TrackProposal {
            sub_delay: Some(1.0),
            ..Default::default()
        },
    });
    assert!(ben.refused().await.contains("Only the host"));

    let lang = |l: &str| TrackChoice {
        lang: Some(l.into()),
        title: None,
    };
    ana.session.send(SessionCmd::ProposeTracks {
        proposal: TrackProposal {
            audio: Some(lang("ja")),
            subtitles: Some(SubtitleChoice::Track { choice: lang("en") }),
            sub_delay: Some(0.25),
        },
    });
    let outcome = ben.proposal_outcome("Ben applies it").await;
    assert_eq!(outcome[0], "Audio: Japanese (aac).", "{outcome:?}");
    for p in [&ana, &ben] {
        eventually(
            "Japanese audio, English subtitles",
            Duration::from_secs(5),
            || {
                p.selected_lang(TrackType::Audio).as_deref() == Some("jpn")
                    && p.selected_lang(TrackType::Sub).as_deref() == Some("eng")
            },
        )
        .await;
        let start = Instant::now();
        while p.mpv.get_number("sub-delay").await.unwrap() != Some(0.25) {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "sub-delay not set"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // Ben changes his own audio afterwards: his choice stays.
    ben.mpv
        .select_track(TrackType::Audio, Some(2))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(ben.selected_lang(TrackType::Audio).as_deref(), Some("eng"));

    // A language nobody's copy has: each is told, nothing changes.
    ana.session.send(SessionCmd::ProposeTracks {
        proposal: TrackProposal {
            audio: Some(lang("fr")),
            ..Default::default()
        },
    });
    let outcome = ben.proposal_outcome("told there is no match").await;
    assert_eq!(
        outcome,
        vec!["Your copy has no French audio; yours stays as it is."]
    );
    assert_eq!(ben.selected_lang(TrackType::Audio).as_deref(), Some("eng"));

    // Ana shares German subtitles and proposes them at once: Ben's player
    // takes the file first, so his copy has them (it used to say it had
    // none, then show them).
    let de = dir.path().join("film.de.srt");
    std::fs::write(&de, "1\n00:00:01,000 --> 00:00:09,000\nHallo\n").unwrap();
    ana.session.send(SessionCmd::ShareSubtitle { path: de });
    ana.session.send(SessionCmd::ProposeTracks {
        proposal: TrackProposal {
            subtitles: Some(SubtitleChoice::Track { choice: lang("de") }),
            ..Default::default()
        },
    });
    let outcome = ben.proposal_outcome("German proposed").await;
    assert_eq!(
        outcome,
        vec!["Subtitles: German (SRT) · from Ana (subrip)."],
        "{outcome:?}"
    );
    eventually("German shown", Duration::from_secs(5), || {
        ben.selected_lang(TrackType::Sub).as_deref() == Some("de")
    })
    .await;
}
