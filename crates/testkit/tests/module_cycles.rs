//! No module cycle anywhere: in every crate of the workspace and the app,
//! the children of each module depend on each other one way (read from
//! their `crate::` and `super::` paths; see `matinee_testkit::modules`).

use std::path::Path;

use matinee_testkit::modules::first_cycle;

#[test]
fn no_crate_has_a_module_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut crates: Vec<_> = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("src"))
        .filter(|src| src.is_dir())
        .collect();
    crates.push(root.join("src-tauri/src"));
    assert!(crates.len() >= 10, "{crates:?}");
    let cycles: Vec<String> = crates.iter().filter_map(|src| first_cycle(src)).collect();
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}
