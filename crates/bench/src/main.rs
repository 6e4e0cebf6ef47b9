//! `matinee-bench`: benchmarks that print figures.
//!
//! `matinee-bench sync` measures how close real mpv players stay through
//! the relay over delayed, jittery links, for our controller and the
//! Syncplay baseline in the same run.

mod metrics;
mod party;
mod plot;
#[cfg(unix)]
mod real_syncplay;
mod report;
mod scenarios;
mod throttle_http;
mod trace;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::json;

use matinee_testkit::proxy::LinkProfile;
use scenarios::{Bench, Contender, Scenario};

#[derive(Debug, Parser)]
#[command(name = "matinee-bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Sync accuracy with real headless mpv players behind delayed links.
    Sync {
        /// One-way delay[:jitter] in ms per client (clients = entries, 2 to 8).
        #[arg(long, value_delimiter = ',', default_value = "10,75:30,150:30")]
        links: Vec<String>,
        /// Short runs (under 2 minutes), for CI.
        #[arg(long)]
        quick: bool,
        /// Scenarios to run (default: all).
        #[arg(long, value_delimiter = ',')]
        scenarios: Vec<String>,
        /// What to compare: matinee (our engine), syncplay (Syncplay's
        /// thresholds in our engine) and syncplay-real (Debian's real
        /// syncplay-server and syncplay clients, on the same links).
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "matinee,syncplay,syncplay-real"
        )]
        controllers: Vec<String>,
        /// Where to write the JSON and the plots.
        #[arg(long, default_value = "target/bench")]
        out: PathBuf,
        /// Also write every recorded frame as CSV (positions, speeds, and
        /// each engine's drift and clock error against the truth).
        #[arg(long)]
        trace: bool,
    },
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::{layer::SubscriberExt, util::SubscriberInitExt};
    let filter: Targets = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::ERROR));
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .finish()
        .with(filter)
        .init();
    let Cmd::Sync {
        links,
        quick,
        scenarios,
        controllers,
        out,
        trace,
    } = Cli::parse().command;
    match sync(links, quick, scenarios, controllers, out, trace).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("matinee-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn sync(
    links: Vec<String>,
    quick: bool,
    scenarios: Vec<String>,
    controllers: Vec<String>,
    out: PathBuf,
    trace: bool,
) -> Result<(), String> {
    let profiles: Vec<LinkProfile> = links
        .iter()
        .map(|l| LinkProfile::parse(l))
        .collect::<Result<_, _>>()?;
    if !(2..=8).contains(&profiles.len()) {
        return Err("give 2 to 8 links (one per client)".into());
    }
    let controllers: Vec<Contender> = controllers
        .iter()
        .map(|c| Contender::parse(c).ok_or(format!("unknown controller {c}")))
        .collect::<Result<_, _>>()?;
    let scenarios: Vec<Scenario> = if scenarios.is_empty() {
        Scenario::ALL.to_vec()
    } else {
        scenarios
            .iter()
            .map(|s| {
                Scenario::parse(s).ok_or_else(|| {
                    let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.as_str()).collect();
                    format!("unknown scenario {s}; choose from {}", names.join(", "))
                })
            })
            .collect::<Result<_, _>>()?
    };
    let binary = matinee_mpv::locate(None).map_err(|e| e.to_string())?;
    eprintln!("generating the 300 s, 120 fps test clip (once)…");
    let clip = matinee_testkit::clip(matinee_testkit::ClipSpec::small(300));
    let bench = Bench {
        profiles: profiles.clone(),
        quick,
        clip,
        binary,
    };
    let started = std::time::Instant::now();
    let mut results = Vec::new();
    for scenario in &scenarios {
        for c in &controllers {
            eprintln!("running {scenario} with the {} controller…", c.as_str());
            match bench.run(*scenario, *c).await {
                Some(result) => results.push(result),
                None => eprintln!("  ({} does not run {scenario})", c.as_str()),
            }
        }
    }
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let links_label: Vec<String> = profiles.iter().map(|p| p.label()).collect();
    println!(
        "\nMatinee sync benchmark — {} clients, one-way links {}{}\n",
        profiles.len(),
        links_label.join(", "),
        if quick { " (quick)" } else { "" }
    );
    print!("{}", report::table(&results));
    let verdicts = report::verdicts(&results);
    println!("\nTargets:");
    for (target, measured, ok) in &verdicts {
        println!(
            "  [{}] {target}: {measured}",
            if *ok { "met" } else { "MISSED" }
        );
    }
    let json_path = out.join("sync.json");
    let doc = json!({
        "clients": profiles,
        "quick": quick,
        "elapsed_s": started.elapsed().as_secs_f64(),
        "results": results,
        "targets": verdicts.iter().map(|(t, m, ok)| json!({"target": t, "measured": m, "met": ok})).collect::<Vec<_>>(),
    });
    std::fs::write(&json_path, serde_json::to_string_pretty(&doc).unwrap())
        .map_err(|e| e.to_string())?;
    println!("\nJSON: {}", json_path.display());
    for scenario in &scenarios {
        let path = out.join(format!("sync-{scenario}.svg"));
        plot::draw(&results, scenario.as_str(), &path)?;
        println!("plot: {}", path.display());
    }
    if trace {
        for r in &results {
            trace::write(r, &out)?;
        }
        println!("traces: {}/trace-*.csv", out.display());
    }
    println!("elapsed: {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}
