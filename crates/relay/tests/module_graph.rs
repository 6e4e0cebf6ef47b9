//! The relay's modules depend on each other one way only: no cycle among
//! them (at the top, or inside `room/`, `cluster/`, `syncplay/`), rooms
//! know nothing of the cluster (the cluster reaches rooms through traits
//! they define), no module leans on the crate root, and lib.rs only
//! declares and re-exports. Read from the `crate::` and `super::` paths in
//! `src/` (`matinee_testkit::modules`).

use std::collections::BTreeSet;
use std::path::Path;

use matinee_testkit::modules::{find_cycle, refs, without_comments, CrateSource};

fn source() -> CrateSource {
    CrateSource::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn modules_name_modules_not_the_crate_root() {
    let source = source();
    let top: BTreeSet<String> = source
        .modules
        .iter()
        .filter_map(|(path, _)| path.first().cloned())
        .collect();
    for (path, text) in &source.modules {
        for name in refs(text, "crate::") {
            assert!(
                top.contains(&name),
                "{}/{} names crate::{name}, which is not a module (use its module's path)",
                source.src.display(),
                path.join("/")
            );
        }
    }
    let lib = std::fs::read_to_string(source.src.join("lib.rs")).unwrap();
    for line in without_comments(&lib).lines().map(str::trim) {
        let declares = line.is_empty()
            || line.starts_with("mod ")
            || line.starts_with("pub mod ")
            || line.starts_with("pub use ")
            || line.starts_with("#[");
        assert!(declares, "lib.rs only declares and re-exports, not: {line}");
    }
}

#[test]
fn relay_modules_depend_one_way_and_rooms_know_nothing_of_the_cluster() {
    let source = source();
    let parents = source.parents();
    assert!(parents.contains(&vec!["room".to_string()]), "{parents:?}");
    for parent in parents {
        let g = source.graph_under(&parent);
        if let Some(cycle) = find_cycle(&g) {
            panic!(
                "a module cycle in {parent:?}: {}\nthe graph: {g:#?}",
                cycle.join(" → ")
            );
        }
    }
    let g = source.graph_under(&[]);
    assert!(g.contains_key("room") && g.contains_key("cluster"), "{g:?}");
    assert!(
        g["cluster"].contains("room"),
        "the cluster reaches rooms: {g:?}"
    );
    for low in ["room", "outbox"] {
        assert!(
            !g[low].contains("cluster"),
            "{low} must not know the cluster: {g:?}"
        );
    }
}
