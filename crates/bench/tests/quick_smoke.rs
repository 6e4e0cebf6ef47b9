//! The benchmark must not rot: its quick mode runs and writes sane JSON.
//! Figures are not asserted here (timing belongs in the benchmark's own
//! report), only that every scenario produced its measurements.

use std::process::Command;

#[test]
#[ignore = "runs for about two minutes; scripts/test runs it explicitly"]
fn quick_run_completes_with_sane_json() {
    let out_dir = std::env::temp_dir().join(format!("matinee-bench-{}", std::process::id()));
    let status = Command::new(env!("CARGO_BIN_EXE_matinee-bench"))
        .args(["sync", "--quick", "--out"])
        .arg(&out_dir)
        .status()
        .unwrap();
    assert!(status.success());
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("sync.json")).unwrap()).unwrap();
    let results = doc["results"].as_array().unwrap();
    // 7 scenarios × our engine's 2 controllers, and the real Syncplay's
    // steady play and storm.
    assert_eq!(results.len(), 16);
    let real: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r["controller"] == "syncplay-real")
        .collect();
    assert_eq!(real.len(), 2, "the real Syncplay ran steady and storm");
    for r in results {
        let name = format!("{} / {}", r["scenario"], r["controller"]);
        assert!(r["hard_seeks"].is_u64(), "{name}");
        assert!(
            r["off_speed_s"].as_f64().is_some_and(|v| v >= 0.0),
            "{name}"
        );
        if ["steady", "link_drop", "aligned", "syncplay_guest"]
            .contains(&r["scenario"].as_str().unwrap())
        {
            let p95 = r["drift_ms"]["p95"]
                .as_f64()
                .unwrap_or_else(|| panic!("{name} has drift"));
            assert!((0.0..10_000.0).contains(&p95), "{name}: {p95}");
        }
        if r["scenario"] == "storm" {
            if r["controller"] != "syncplay-real" {
                // Pause, seek, play, seek, speed 1.25, speed 1.0: each
                // counted once, none lost and no echo.
                assert_eq!(r["user_actions"], 6, "{name}");
                assert_eq!(r["controls_sent"], r["user_actions"], "{name}: no echoes");
            }
            assert!(
                r["pause_propagation_ms"]["n"].as_u64().unwrap() > 0,
                "{name}"
            );
        }
    }
    for scenario in [
        "steady",
        "late_joiner",
        "storm",
        "buffering",
        "link_drop",
        "aligned",
        "syncplay_guest",
    ] {
        let svg = std::fs::read_to_string(out_dir.join(format!("sync-{scenario}.svg"))).unwrap();
        assert!(svg.contains("<svg") && svg.contains("matinee controller"));
    }
    let guest = results
        .iter()
        .find(|r| r["scenario"] == "syncplay_guest" && r["controller"] == "matinee")
        .unwrap();
    assert!(
        guest["extra"]["guest_gap_to_host_ms"]["n"]
            .as_u64()
            .unwrap()
            > 0,
        "the Syncplay guest played with the room"
    );
    assert!(!doc["targets"].as_array().unwrap().is_empty());
    let _ = std::fs::remove_dir_all(out_dir);
}
