//! `matinee-load`: opens many WebSocket clients in rooms against relay
//! nodes it starts (one, or several sharing a private Redis), and reports
//! connections held, fan-out latency, the relays' CPU and memory, and
//! errors.

mod client;
mod nodes;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::sync::{oneshot, watch, Semaphore};

use client::{Participant, Role, RoomTiming, Tally};
use nodes::Usage;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("cannot start: {0}")]
    Start(String),
}

/// Load generator for the Matinee relay.
///
/// Starts the relay nodes itself (the `matinee-relay` binary of the same
/// build), so that it can read their CPU time and memory; with --nodes 2
/// or more they share a private redis-server. Clients alternate between
/// the nodes, so most rooms span several nodes.
#[derive(Debug, Parser)]
#[command(name = "matinee-load", version)]
struct Args {
    /// WebSocket clients to open.
    #[arg(long, default_value_t = 1000)]
    connections: usize,
    /// Participants per room (one host, the rest guests).
    #[arg(long, default_value_t = 5)]
    room_size: usize,
    /// Relay nodes to start; more than one share a Redis.
    #[arg(long, default_value_t = 1)]
    nodes: usize,
    /// Use this Redis instead of starting one.
    #[arg(long)]
    redis: Option<String>,
    /// The relay binary (default: matinee-relay next to this one).
    #[arg(long)]
    relay_bin: Option<PathBuf>,
    /// Each host pauses or plays every this many seconds.
    #[arg(long, default_value_t = 5.0)]
    control_every_secs: f64,
    /// Measured seconds, after every client has joined and a warm-up.
    #[arg(long, default_value_t = 30.0)]
    duration_secs: f64,
    /// Rooms being set up at once during the ramp.
    #[arg(long, default_value_t = 50)]
    ramp_rooms: usize,
    /// Also write the figures here as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// A small run for CI: 200 clients in rooms of 4, two nodes, 5 s.
    #[arg(long)]
    quick: bool,
}

fn main() -> std::process::ExitCode {
    let mut args = Args::parse();
    if args.quick {
        args.connections = 200;
        args.room_size = 4;
        args.nodes = 2;
        args.duration_secs = 5.0;
        args.control_every_secs = 1.0;
    }
    // Each client and each relay connection is a file descriptor.
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("warning: could not raise the open-file limit: {e}");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(ok) if ok => std::process::ExitCode::SUCCESS,
        Ok(_) => std::process::ExitCode::from(2),
        Err(e) => {
            eprintln!("matinee-load: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn total(usages: &[Usage]) -> Usage {
    Usage {
        cpu_secs: usages.iter().map(|u| u.cpu_secs).sum(),
        rss_kib: usages.iter().map(|u| u.rss_kib).sum(),
    }
}

async fn run(args: Args) -> Result<bool, LoadError> {
    let room_size = args.room_size.max(2);
    let rooms = args.connections.div_ceil(room_size).max(1);
    let bin = nodes::relay_binary(args.relay_bin.as_deref())?;
    let (_redis, redis_url) = match (&args.redis, args.nodes > 1) {
        (Some(url), _) => (None, Some(url.clone())),
        (None, true) => {
            let (p, url) = nodes::start_redis()?;
            (Some(p), Some(url))
        }
        (None, false) => (None, None),
    };
    let nodes: Vec<nodes::Node> = (0..args.nodes.max(1))
        .map(|_| nodes::start_relay(&bin, redis_url.as_deref()))
        .collect::<Result<_, _>>()?;
    let pids: Vec<u32> = nodes.iter().map(|n| n.proc.pid()).collect();
    let usage_now = || total(&pids.iter().map(|p| nodes::usage(*p)).collect::<Vec<_>>());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = usage_now();

    let tally = Arc::new(Tally::default());
    let (stop_tx, stop) = watch::channel(false);
    let control_every =
        (args.control_every_secs > 0.0).then(|| Duration::from_secs_f64(args.control_every_secs));
    eprintln!(
        "opening {} clients in {rooms} rooms of {room_size} on {} node(s)…",
        rooms * room_size,
        nodes.len()
    );
    let ramp_started = Instant::now();
    let gate = Arc::new(Semaphore::new(args.ramp_rooms.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let mut setups = Vec::new();
    for r in 0..rooms {
        let permit = gate.clone().acquire_owned().await.expect("open semaphore");
        let timing = Arc::new(RoomTiming::default());
        let urls: Vec<String> = (0..room_size)
            .map(|i| nodes[(r + i) % nodes.len()].url.clone())
            .collect();
        let (code_tx, code_rx) = oneshot::channel();
        tasks.spawn(
            Participant {
                url: urls[0].clone(),
                role: Role::Host {
                    code: code_tx,
                    control_every,
                },
                room: timing.clone(),
                room_size,
                tally: tally.clone(),
                stop: stop.clone(),
            }
            .run(),
        );
        let tally2 = tally.clone();
        let stop2 = stop.clone();
        setups.push(tokio::spawn(async move {
            let _permit = permit;
            let Ok(code) = code_rx.await else {
                return Vec::new();
            };
            urls[1..]
                .iter()
                .map(|url| Participant {
                    url: url.clone(),
                    role: Role::Guest { code: code.clone() },
                    room: timing.clone(),
                    room_size,
                    tally: tally2.clone(),
                    stop: stop2.clone(),
                })
                .collect::<Vec<_>>()
        }));
        // Guests of finished setups start as soon as their code is known.
        let mut still = Vec::new();
        for s in setups.drain(..) {
            if s.is_finished() {
                for p in s.await.unwrap_or_default() {
                    tasks.spawn(p.run());
                }
            } else {
                still.push(s);
            }
        }
        setups = still;
    }
    for s in setups {
        for p in s.await.unwrap_or_default() {
            tasks.spawn(p.run());
        }
    }
    // Until everyone has a seat (or failed).
    let want = (rooms * room_size) as u64;
    let deadline = Instant::now() + Duration::from_secs(120);
    while tally.connected.load(Ordering::Relaxed) + tally.error_count() < want
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ramp = ramp_started.elapsed();
    eprintln!(
        "{} connected in {:.1} s; warming up…",
        tally.connected.load(Ordering::Relaxed),
        ramp.as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;

    tally.measuring.store(true, Ordering::Relaxed);
    let redis_pid = _redis.as_ref().map(|p| p.pid());
    let redis_before = redis_pid.map(nodes::usage);
    let before = usage_now();
    let me_before = nodes::usage(std::process::id());
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(args.duration_secs)).await;
    let after = usage_now();
    let me_after = nodes::usage(std::process::id());
    let redis_after = redis_pid.map(nodes::usage);
    let elapsed = started.elapsed().as_secs_f64();
    tally.measuring.store(false, Ordering::Relaxed);
    let held = tally.connected.load(Ordering::Relaxed);
    let _ = stop_tx.send(true);
    while tasks.join_next().await.is_some() {}

    let per_peer =
        matinee_testkit::stats::sorted(std::mem::take(&mut *tally.per_peer_ms.lock().unwrap()));
    let all_peers =
        matinee_testkit::stats::sorted(std::mem::take(&mut *tally.all_peers_ms.lock().unwrap()));
    let cpu_pct = (after.cpu_secs - before.cpu_secs) / elapsed * 100.0;
    let redis_cpu_pct = match (redis_before, redis_after) {
        (Some(b), Some(a)) => Some((a.cpu_secs - b.cpu_secs) / elapsed * 100.0),
        _ => None,
    };
    let load_cpu_pct = (me_after.cpu_secs - me_before.cpu_secs) / elapsed * 100.0;
    let per_k = |x: f64| {
        if held > 0 {
            x * 1000.0 / held as f64
        } else {
            0.0
        }
    };
    let rss_per_conn = if held > 0 {
        (after.rss_kib.saturating_sub(idle.rss_kib)) as f64 / held as f64
    } else {
        0.0
    };
    let errors = tally.errors.lock().unwrap().clone();
    let q = |v: &[f64], p| matinee_testkit::stats::quantile(v, p).unwrap_or(f64::NAN);
    let report = serde_json::json!({
        "nodes": nodes.len(),
        "redis": redis_url.is_some(),
        "clients": want,
        "rooms": rooms,
        "room_size": room_size,
        "connections_held": held,
        "peak_connected": tally.peak_connected.load(Ordering::Relaxed),
        "ramp_secs": ramp.as_secs_f64(),
        "measured_secs": elapsed,
        "controls_sent": tally.controls.load(Ordering::Relaxed),
        "state_reports_sent": tally.reports.load(Ordering::Relaxed),
        "fanout_ms": {
            "samples": per_peer.len(),
            "p50": q(&per_peer, 0.5),
            "p99": q(&per_peer, 0.99),
            "max": q(&per_peer, 1.0),
        },
        "fanout_all_peers_ms": {
            "samples": all_peers.len(),
            "p50": q(&all_peers, 0.5),
            "p99": q(&all_peers, 0.99),
        },
        "relay_cpu_percent_of_one_core": cpu_pct,
        "relay_cpu_percent_per_1k_connections": per_k(cpu_pct),
        "load_generator_cpu_percent_of_one_core": load_cpu_pct,
        "redis_cpu_percent_of_one_core": redis_cpu_pct,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "relay_rss_kib": after.rss_kib,
        "relay_idle_rss_kib": idle.rss_kib,
        "relay_rss_kib_per_connection": rss_per_conn,
        "errors": errors,
    });
    print_table(&report);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report).expect("json"))?;
    }
    // A run is good when every client held its seat without errors.
    Ok(held == want && tally.error_count() == 0 && !per_peer.is_empty())
}

fn print_table(r: &serde_json::Value) {
    let f = |path: &[&str]| {
        let mut v = r;
        for p in path {
            v = &v[*p];
        }
        match v.as_f64() {
            Some(x) if x.fract() == 0.0 && x.abs() < 1e12 => format!("{x:.0}"),
            Some(x) => format!("{x:.2}"),
            None => v.to_string(),
        }
    };
    println!(
        "nodes {} (redis: {}), {} clients in {} rooms of {}",
        f(&["nodes"]),
        f(&["redis"]),
        f(&["clients"]),
        f(&["rooms"]),
        f(&["room_size"])
    );
    println!("  connections held        {}", f(&["connections_held"]));
    println!("  ramp                    {} s", f(&["ramp_secs"]));
    println!(
        "  fan-out per peer        p50 {} ms  p99 {} ms  max {} ms  ({} samples)",
        f(&["fanout_ms", "p50"]),
        f(&["fanout_ms", "p99"]),
        f(&["fanout_ms", "max"]),
        f(&["fanout_ms", "samples"])
    );
    println!(
        "  fan-out to every peer   p50 {} ms  p99 {} ms",
        f(&["fanout_all_peers_ms", "p50"]),
        f(&["fanout_all_peers_ms", "p99"])
    );
    println!(
        "  relay CPU               {} % of a core ({} % per 1k connections)",
        f(&["relay_cpu_percent_of_one_core"]),
        f(&["relay_cpu_percent_per_1k_connections"])
    );
    if !r["redis_cpu_percent_of_one_core"].is_null() {
        println!(
            "  redis-server CPU        {} % of a core",
            f(&["redis_cpu_percent_of_one_core"])
        );
    }
    println!(
        "  load generator CPU      {} % of a core (same machine, {} cores)",
        f(&["load_generator_cpu_percent_of_one_core"]),
        f(&["cores"])
    );
    println!(
        "  relay RSS               {} KiB ({} KiB idle; {} KiB per connection)",
        f(&["relay_rss_kib"]),
        f(&["relay_idle_rss_kib"]),
        f(&["relay_rss_kib_per_connection"])
    );
    println!(
        "  controls / reports      {} / {}",
        f(&["controls_sent"]),
        f(&["state_reports_sent"])
    );
    println!("  errors                  {}", r["errors"]);
}
