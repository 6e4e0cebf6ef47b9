//! Measures what aligning costs: decodes two minutes of two files' sound
//! with mpv, fingerprints the first, aligns the second to it, and prints
//! the line and the time each step took. Memory: run it under
//! `/usr/bin/time -v` (scripts/align-cost does).
//!
//! `cargo run --release -p matinee-align --example align_files -- HOST.mkv MINE.mkv`

use std::time::Instant;

use matinee_align::{align, decode, fingerprint, Print, SAMPLE_RATE};
use matinee_mpv::{locate, LaunchOptions};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [host, mine] = args.as_slice() else {
        eprintln!("usage: align_files HOST_FILE MY_FILE");
        std::process::exit(2);
    };
    let mpv = LaunchOptions::headless(locate(None).expect("mpv"));
    let t = Instant::now();
    let h = decode(&mpv, host, &[], 0.0, 120.0)
        .await
        .expect("decode host");
    let m = decode(&mpv, mine, &[], 0.0, 120.0)
        .await
        .expect("decode mine");
    let decoded = t.elapsed();
    let t = Instant::now();
    let print = Print {
        start: h.start,
        values: fingerprint(&h.samples, SAMPLE_RATE),
    };
    let printed = t.elapsed();
    let t = Instant::now();
    let found = align(&print, &m);
    let matched = t.elapsed();
    println!(
        "decode (both, {:.0} s each): {decoded:.2?}; fingerprint: {printed:.2?}; match: {matched:.2?}; print {} bytes",
        h.seconds(),
        print.encode().len()
    );
    match found {
        Ok(f) => println!("{f:?}"),
        Err(why) => println!("no line: {why:?}"),
    }
}
