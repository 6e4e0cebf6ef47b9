//! A crate's modules and which names which, read from its source: for
//! tests that keep dependencies one way (no cycle among a module's
//! children) and modules off the crate root.
//!
//! A module names another through `crate::a::…` (or `crate::{a, b}`) and,
//! from a child to its siblings, `super::b`. Method calls do not name
//! modules and are not counted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One crate's source: each file's module path and its text without `//`
/// comments.
pub struct CrateSource {
    pub src: PathBuf,
    pub modules: Vec<(Vec<String>, String)>,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text without `//` comments (doc comments name modules too).
pub fn without_comments(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module a file under `src` is (`room/seat.rs` is `room::seat`,
/// `room/mod.rs` is `room`, `lib.rs` and `main.rs` the crate root, and a
/// binary under `bin/` its own root).
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap_or(file);
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

impl CrateSource {
    /// Reads every `.rs` file under `src`.
    pub fn read(src: &Path) -> Self {
        let mut files = Vec::new();
        rust_files(src, &mut files);
        files.sort();
        let modules = files
            .iter()
            .map(|f| {
                let text = without_comments(&std::fs::read_to_string(f).unwrap_or_default());
                (module_path(src, f), text)
            })
            .collect();
        Self {
            src: src.to_path_buf(),
            modules,
        }
    }

    /// The modules that have children (the root is `[]`).
    pub fn parents(&self) -> BTreeSet<Vec<String>> {
        self.modules
            .iter()
            .filter(|(path, _)| !path.is_empty())
            .map(|(path, _)| path[..path.len() - 1].to_vec())
            .collect()
    }

    /// The children of `parent` and, between them, which names which.
    /// Edges to the parent itself do not count (a parent declares its
    /// children and re-exports what they offer).
    pub fn graph_under(&self, parent: &[String]) -> BTreeMap<String, BTreeSet<String>> {
        let inside = |path: &Vec<String>| path.len() > parent.len() && path.starts_with(parent);
        let children: BTreeSet<String> = self
            .modules
            .iter()
            .filter(|(path, _)| inside(path))
            .map(|(path, _)| path[parent.len()].clone())
            .collect();
        // At the root, `crate::Name` may be a name the root re-exports
        // from a module: it counts as that module.
        let aliases = if parent.is_empty() {
            self.root_aliases(&children)
        } else {
            BTreeMap::new()
        };
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (path, text) in self.modules.iter().filter(|(path, _)| inside(path)) {
            let from = path[parent.len()].clone();
            let mut named: BTreeSet<String> = refs(text, &crate_prefix(parent))
                .into_iter()
                .map(|n| aliases.get(&n).cloned().unwrap_or(n))
                .collect();
            // `super::` from the child itself (deeper files reach further up).
            if !parent.is_empty() && path.len() == parent.len() + 1 {
                named.extend(refs(text, "super::"));
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
}

impl CrateSource {
    /// Names the crate root brings in from its modules (`pub use a::B;`,
    /// `pub use a::{B, C as D};`), each with its module.
    fn root_aliases(&self, children: &BTreeSet<String>) -> BTreeMap<String, String> {
        let mut aliases = BTreeMap::new();
        let roots = self.modules.iter().filter(|(path, _)| path.is_empty());
        for (_, text) in roots {
            for stmt in text.split(';') {
                let stmt = stmt.trim();
                let Some(rest) = ["pub use ", "pub(crate) use ", "use "]
                    .iter()
                    .find_map(|p| stmt.strip_prefix(p))
                else {
                    continue;
                };
                let rest = rest
                    .trim_start_matches("crate::")
                    .trim_start_matches("self::");
                let Some((module, tail)) = rest.split_once("::") else {
                    continue;
                };
                if !children.contains(module) {
                    continue;
                }
                let tail = tail.trim().trim_start_matches('{').trim_end_matches('}');
                for item in tail.split(',') {
                    let name = match item.split_once(" as ") {
                        Some((_, alias)) => alias.trim(),
                        None => item.trim().rsplit("::").next().unwrap_or("").trim(),
                    };
                    if !name.is_empty() && name != "*" && name != "self" {
                        aliases.insert(name.to_string(), module.to_string());
                    }
                }
            }
        }
        aliases
    }
}

fn crate_prefix(parent: &[String]) -> String {
    let mut p = "crate::".to_string();
    for m in parent {
        p.push_str(m);
        p.push_str("::");
    }
    p
}

/// First path segments after each `prefix` (`crate::`, `super::`),
/// including every item of a braced group (`crate::{a, b::c}` gives a and
/// b).
pub fn refs(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    let word = |s: &str| -> String {
        s.trim()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    while let Some(i) = rest.find(prefix) {
        // `crate::room::` must not match inside `foo_crate::room::`.
        let before = rest[..i].chars().next_back();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(group) = rest.strip_prefix('{') else {
            let w = word(rest);
            if !w.is_empty() {
                found.insert(w);
            }
            continue;
        };
        let mut depth = 1;
        let mut end = group.len();
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
                    let w = word(&item);
                    if !w.is_empty() {
                        found.insert(w);
                    }
                    item.clear();
                    continue;
                }
                _ => {}
            }
            item.push(c);
        }
    }
    found
}

/// A cycle in `g`, if there is one, as the modules along it.
pub fn find_cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
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
    g.keys()
        .find_map(|node| visit(g, node, &mut Vec::new(), &mut done))
}

/// The first cycle among the children of any module of the crate at
/// `src`, as "parent: a → b → a".
pub fn first_cycle(src: &Path) -> Option<String> {
    let source = CrateSource::read(src);
    source.parents().into_iter().find_map(|parent| {
        let cycle = find_cycle(&source.graph_under(&parent))?;
        let at = if parent.is_empty() {
            "the crate root".to_string()
        } else {
            parent.join("::")
        };
        Some(format!("{}: {at}: {}", src.display(), cycle.join(" → ")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_finds_braced_and_nested_paths_and_cycles() {
        let found = refs(
            "use crate::refusal::{a, b};\nuse crate::{outbox::{frame, Outbox}, room, Shared};\nlet x = crate::cluster::f(); my_crate::no",
            "crate::",
        );
        let want: BTreeSet<String> = ["refusal", "outbox", "room", "Shared", "cluster"]
            .map(String::from)
            .into();
        assert_eq!(found, want);
        let mut g = BTreeMap::new();
        g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
        g.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
        assert_eq!(
            find_cycle(&g),
            Some(vec!["a".into(), "b".into(), "a".into()])
        );
        g.get_mut("b").unwrap().clear();
        assert_eq!(find_cycle(&g), None);
    }
}
