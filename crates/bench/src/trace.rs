//! `--trace`: every recorded frame as CSV, with what each engine believed
//! next to the truth, to tell clock errors from player errors.

use std::fmt::Write as _;
use std::path::Path;

use crate::scenarios::ScenarioResult;

/// Writes `trace-{scenario}-{controller}.csv` into `dir`.
pub fn write(result: &ScenarioResult, dir: &Path) -> Result<(), String> {
    // Players join one by one: the header names the most seen.
    let players = result.frames.iter().map(|f| f.pos.len()).max().unwrap_or(0);
    let mut csv = String::from("t");
    for i in 1..=players {
        for col in [
            "pos",
            "speed",
            "room_drift_ms",
            "engine_drift_ms",
            "clock_err_ms",
        ] {
            let _ = write!(csv, ",p{i}_{col}");
        }
    }
    csv.push('\n');
    let cell = |v: Option<f64>| v.map(|v| format!("{v:.3}")).unwrap_or_default();
    for f in &result.frames {
        let _ = write!(csv, "{:.3}", f.t);
        for i in 0..players {
            if i >= f.pos.len() {
                csv.push_str(",,,,,");
                continue;
            }
            let d = f.diag.get(i).copied().unwrap_or_default();
            let _ = write!(
                csv,
                ",{},{:.4},{},{},{}",
                f.pos[i].map(|p| format!("{p:.4}")).unwrap_or_default(),
                f.speed[i],
                cell(d.room_drift_ms),
                cell(d.engine_drift_ms),
                cell(d.clock_err_ms),
            );
        }
        csv.push('\n');
    }
    let path = dir.join(format!(
        "trace-{}-{}.csv",
        result.scenario, result.controller
    ));
    std::fs::write(&path, csv).map_err(|e| format!("{}: {e}", path.display()))
}
