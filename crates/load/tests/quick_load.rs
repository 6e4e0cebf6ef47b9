//! The load generator must not rot: its quick mode (200 clients in rooms of
//! 4 on two relay nodes sharing a private redis-server) runs against the
//! real relay binary and every client gets through. Figures are not judged
//! here (they belong in the load benchmark's report), only that the run
//! held its connections, sent controls and saw them fanned out, error-free.
//!
//! It uses the `matinee-relay` built beside it (by the workspace's tests),
//! so scripts/test runs it after them with nothing to rebuild.

use std::process::Command;

#[test]
#[ignore = "starts two relays and a redis-server for about 40 s; scripts/test runs it explicitly"]
fn quick_run_holds_every_client_without_errors() {
    let exe = std::path::PathBuf::from(env!("CARGO_BIN_EXE_matinee-load"));
    let relay = exe.with_file_name(format!("matinee-relay{}", std::env::consts::EXE_SUFFIX));
    assert!(
        relay.exists(),
        "{} is missing: build the relay first (cargo build -p matinee-relay, or the workspace's tests)",
        relay.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("load-quick.json");
    let status = Command::new(&exe)
        .args(["--quick", "--json"])
        .arg(&json)
        .status()
        .unwrap();
    assert!(status.success(), "matinee-load --quick failed: {status}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(doc["nodes"], 2, "quick mode runs two nodes");
    assert_eq!(doc["redis"], true, "the two nodes share a redis-server");
    let clients = doc["clients"].as_u64().unwrap();
    assert_eq!(clients, 200);
    assert_eq!(doc["connections_held"].as_u64(), Some(clients), "{doc}");
    assert_eq!(doc["errors"], serde_json::json!({}), "{doc}");
    assert!(doc["controls_sent"].as_u64().unwrap() > 0, "{doc}");
    assert!(doc["fanout_ms"]["samples"].as_u64().unwrap() > 0, "{doc}");
    assert!(
        doc["fanout_ms"]["p99"].as_f64().is_some_and(|v| v > 0.0),
        "{doc}"
    );
}
