//! The table people read, and the verdicts against the targets.

use std::fmt::Write;

use crate::metrics::Summary;
use crate::scenarios::{Scenario, ScenarioResult};

fn s3(s: &Option<Summary>) -> String {
    s.map_or("–".into(), |s| {
        format!("{:.1}/{:.1}/{:.1}", s.p50, s.p95, s.max)
    })
}

fn s2(s: &Option<Summary>) -> String {
    s.map_or("–".into(), |s| format!("{:.0}/{:.0}", s.p50, s.p95))
}

pub fn table(results: &[ScenarioResult]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<14} {:<13} {:>20} {:>9} {:>6} {:>9} {:>14} {:>12} {:>12} {:>9}",
        "scenario",
        "control",
        "drift p50/p95/max ms",
        "converge",
        "seeks",
        "off-1.0×",
        "pause p50/p95",
        "seek p50/p95",
        "play p50/p95",
        "controls"
    );
    for r in results {
        let pause = format!(
            "{}{}",
            s2(&r.pause_propagation_ms),
            if r.pause_late > 0 {
                format!(" ({} late)", r.pause_late)
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            out,
            "{:<14} {:<13} {:>20} {:>9} {:>6} {:>8.1}s {:>14} {:>12} {:>12} {:>9}",
            r.scenario,
            r.controller,
            s3(&r.drift_ms),
            r.converge_s.map_or("never".into(), |c| format!("{c:.2}s")),
            r.hard_seeks,
            r.off_speed_s,
            pause,
            s2(&r.seek_propagation_ms),
            s2(&r.play_propagation_ms),
            // Another program's messages are not counted.
            if r.controller == "syncplay-real" {
                format!("–/{}", r.user_actions)
            } else {
                format!("{}/{}", r.controls_sent, r.user_actions)
            },
        );
    }
    out
}

fn find<'a>(
    results: &'a [ScenarioResult],
    scenario: Scenario,
    controller: &str,
) -> Option<&'a ScenarioResult> {
    results
        .iter()
        .find(|r| r.scenario == scenario.as_str() && r.controller == controller)
}

/// (target, measured, met) lines for the design's targets.
pub fn verdicts(results: &[ScenarioResult]) -> Vec<(String, String, bool)> {
    let mut v = Vec::new();
    if let Some(r) = find(results, Scenario::Steady, "matinee") {
        let p95 = r.drift_ms.map_or(f64::INFINITY, |d| d.p95);
        v.push((
            "steady p95 pairwise drift ≤ 20 ms".into(),
            format!("{p95:.1} ms"),
            p95 <= 20.0,
        ));
        v.push((
            "no hard seeks in steady play".into(),
            format!("{}", r.hard_seeks),
            r.hard_seeks == 0,
        ));
        if let Some(b) = find(results, Scenario::Steady, "syncplay") {
            let base = b.drift_ms.map_or(0.0, |d| d.p95);
            let ratio = base / p95.max(1e-9);
            v.push((
                "p95 ≥ 10× tighter than syncplay".into(),
                format!("{ratio:.1}× ({base:.1} ms vs {p95:.1} ms)"),
                ratio >= 10.0,
            ));
        }
    }
    if let Some(r) = find(results, Scenario::Storm, "matinee") {
        v.push((
            "pause within one-way delay + 50 ms".into(),
            format!(
                "{} late of {}",
                r.pause_late,
                r.pause_propagation_ms.map_or(0, |s| s.n)
            ),
            r.pause_late == 0,
        ));
        v.push((
            "controls sent = user actions (no echoes)".into(),
            format!("{}/{}", r.controls_sent, r.user_actions),
            r.controls_sent == r.user_actions,
        ));
    }
    if let Some(r) = find(results, Scenario::LateJoiner, "matinee") {
        let c = r.converge_s.unwrap_or(f64::INFINITY);
        v.push((
            "late joiner within 20 ms in ≤ 3 s".into(),
            format!("{c:.2} s"),
            c <= 3.0,
        ));
    }
    v
}
