//! Copies of one generated film, aligned by their sound with the real mpv
//! decoding: a copy with 4 s in front, a 25 fps copy of a 23.976 fps film,
//! and another film that must not match.

use std::time::Instant;

use matinee_align::{align, decode, fingerprint, AudioWindow, Print, Ratio, SAMPLE_RATE};
use matinee_mpv::{locate, LaunchOptions};
use matinee_testkit::copies::{FILM_FPS, PAD_SECS};
use matinee_testkit::{film_copy, FilmCopy};

const WINDOW: f64 = 120.0;
const FRAME: f64 = 1.0 / FILM_FPS;

async fn window(copy: FilmCopy) -> AudioWindow {
    let mpv = LaunchOptions::headless(locate(None).expect("mpv installed"));
    let path = film_copy(copy);
    let started = Instant::now();
    let w = decode(&mpv, &path.display().to_string(), &[], 0.0, WINDOW)
        .await
        .expect("decodes");
    eprintln!(
        "{copy:?}: decoded {:.1} s of sound in {:?}",
        w.seconds(),
        started.elapsed()
    );
    w
}

fn host_print(w: &AudioWindow) -> Print {
    let started = Instant::now();
    let p = Print {
        start: w.start,
        values: fingerprint(&w.samples, SAMPLE_RATE),
    };
    eprintln!(
        "fingerprinted {:.0} s in {:?}",
        w.seconds(),
        started.elapsed()
    );
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_are_aligned_by_their_sound_and_another_film_is_not() {
    let host = host_print(&window(FilmCopy::Original).await);
    assert!(host.values.len() > 900, "{}", host.values.len());

    // The same copy: no offset, no ratio.
    let same = align(&host, &window(FilmCopy::Original).await).expect("matches itself");
    assert_eq!(same.ratio, Ratio::Same);
    assert!(same.line.b.abs() < FRAME, "{same:?}");

    // 4 s in front: the room's 0 is this copy's 4.
    let started = Instant::now();
    let padded = align(&host, &window(FilmCopy::Padded).await).expect("the padded copy matches");
    eprintln!("padded: {padded:?} (matched in {:?})", started.elapsed());
    assert_eq!(padded.ratio, Ratio::Same);
    assert!(
        (padded.line.b + PAD_SECS).abs() < FRAME,
        "offset {} s, want -{PAD_SECS} within a frame",
        padded.line.b
    );

    // The 25 fps release: runs 25/23.976 times faster.
    let pal = align(&host, &window(FilmCopy::Pal).await).expect("the 25 fps copy matches");
    eprintln!("pal: {pal:?}");
    assert_eq!(pal.ratio, Ratio::Pal);
    let want = 25.0 / FILM_FPS;
    assert!(
        (pal.line.a / want - 1.0).abs() < 0.001,
        "ratio {}",
        pal.line.a
    );
    assert!(pal.line.b.abs() < FRAME, "offset {}", pal.line.b);

    // Another film: no match.
    let other = align(&host, &window(FilmCopy::Other).await);
    assert_eq!(other, Err(matinee_align::Unmatched::Different));
}
