//! The relay's modules depend on each other one way only: no cycle among
//! them (read from the `crate::` paths in `src/`), and rooms know nothing of
//! the cluster (the cluster reaches rooms through traits they define).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text without `//` comments (doc comments name modules too).
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// First path segments after each `prefix` (`crate::`, `super::`),
/// including every item of a braced group (`crate::{a, b::c}` gives a and
/// b).
fn crate_refs(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find(prefix) {
        // `crate::room::` must not match inside `foo_crate::room::`.
        let before = rest[..i].chars().next_back();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut end = 0;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = j;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let mut depth = 0;
            let mut item = String::new();
            for c in group[..end].chars().chain(std::iter::once(',')) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        let first: String = item
                            .trim()
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        if !first.is_empty() {
                            refs.insert(first);
                        }
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
        } else {
            let first: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !first.is_empty() {
                refs.insert(first);
            }
        }
    }
    refs
}

/// The module a file under `src` is (`room/seat.rs` is `room::seat`,
/// `room/mod.rs` is `room`, `lib.rs` the crate root ``).
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string()
        })
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

/// Every module's direct children, by the files under `src`.
fn tree() -> (PathBuf, Vec<(Vec<String>, String)>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules = files
        .iter()
        .map(|f| {
            let text = without_comments(&std::fs::read_to_string(f).unwrap());
            (module_path(&src, f), text)
        })
        .collect();
    (src, modules)
}

/// The children of `parent` (a module path) and, between them, which names
/// which: `crate::<parent>::x` (or `crate::x` at the top) and, from a
/// child's own files, `super::x`. Edges to the parent itself do not count
/// (a parent declares its children and re-exports what they offer).
fn graph_under(parent: &[String]) -> BTreeMap<String, BTreeSet<String>> {
    let (_, modules) = tree();
    let children: BTreeSet<String> = modules
        .iter()
        .filter(|(path, _)| path.len() > parent.len() && path.starts_with(parent))
        .map(|(path, _)| path[parent.len()].clone())
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in &modules {
        if path.len() <= parent.len() || !path.starts_with(parent) {
            continue;
        }
        let from = path[parent.len()].clone();
        let mut named = BTreeSet::new();
        if parent.is_empty() {
            named.extend(crate_refs(text, "crate::"));
        } else {
            named.extend(crate_refs(text, &format!("crate::{}::", parent.join("::"))));
            // `super::` from the child itself (deeper files reach further up).
            if path.len() == parent.len() + 1 {
                named.extend(crate_refs(text, "super::"));
            }
        }
        for to in named {
            if to != from && children.contains(&to) {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
        edges.entry(from).or_default();
    }
    edges
}

/// Top-level module → the other top-level modules it names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    graph_under(&[])
}

/// A cycle in `g`, if there is one, as the modules along it.
fn find_cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        g: &BTreeMap<String, BTreeSet<String>>,
        node: &str,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in g.get(node).into_iter().flatten() {
            if let Some(c) = visit(g, next, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in g.keys() {
        if let Some(c) = visit(g, node, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_reader_finds_braced_and_nested_paths() {
    let refs = crate_refs(
        "use crate::refusal::{a, b};\nuse crate::{outbox::{frame, Outbox}, room, Shared};\nlet x = crate::cluster::f();",
        "crate::",
    );
    let want: BTreeSet<String> = ["refusal", "outbox", "room", "Shared", "cluster"]
        .map(String::from)
        .into();
    assert_eq!(refs, want);
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(
        find_cycle(&g),
        Some(vec!["a".into(), "b".into(), "a".into()])
    );
}

/// Every `crate::` path starts with a module: nothing lives at the crate
/// root for modules to lean on (lib.rs only declares and re-exports).
#[test]
fn modules_name_modules_not_the_crate_root() {
    let (src, modules) = tree();
    let top: BTreeSet<String> = modules
        .iter()
        .filter_map(|(path, _)| path.first().cloned())
        .collect();
    for (path, text) in &modules {
        for name in crate_refs(text, "crate::") {
            assert!(
                top.contains(&name),
                "{}/{} names crate::{name}, which is not a module (use its module's path)",
                src.display(),
                path.join("/")
            );
        }
    }
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    for line in without_comments(&lib).lines().map(str::trim) {
        let declares = line.is_empty()
            || line.starts_with("mod ")
            || line.starts_with("pub mod ")
            || line.starts_with("pub use ")
            || line.starts_with("#[");
        assert!(declares, "lib.rs only declares and re-exports, not: {line}");
    }
}

/// Inside each module with children (room, cluster, syncplay), the
/// children depend on each other one way too.
#[test]
fn submodules_depend_one_way() {
    let (_, modules) = tree();
    let parents: BTreeSet<Vec<String>> = modules
        .iter()
        .filter(|(path, _)| path.len() > 1)
        .map(|(path, _)| path[..path.len() - 1].to_vec())
        .collect();
    assert!(parents.contains(&vec!["room".to_string()]), "{parents:?}");
    for parent in parents {
        let g = graph_under(&parent);
        if let Some(cycle) = find_cycle(&g) {
            panic!(
                "a module cycle in {}: {}\nthe graph: {g:#?}",
                parent.join("::"),
                cycle.join(" → ")
            );
        }
    }
}

#[test]
fn relay_modules_depend_one_way() {
    let g = graph();
    assert!(g.contains_key("room") && g.contains_key("cluster"), "{g:?}");
    if let Some(cycle) = find_cycle(&g) {
        panic!("a module cycle: {}\nthe graph: {g:#?}", cycle.join(" → "));
    }
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
