//! `docs/architecture.md` stays true to the code: every path it names
//! exists, every file name it names is somewhere in the tree, and every
//! type (and `Type::item`) it names is defined in the sources.

use std::path::{Path, PathBuf};

/// Names the doc uses for other programs' things: Syncplay's `State`
/// message, Tauri's `Channel`.
const ELSEWHERE: &[&str] = &["State", "Channel"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !matches!(name.as_ref(), "target" | "node_modules" | ".git" | "dist") {
                sources(&path, out);
            }
        } else if (name.ends_with(".rs") || name.ends_with(".ts"))
            // Not this checker: its own examples name things that are gone.
            && !path.ends_with("testkit/tests/architecture_doc.rs")
        {
            out.push(path);
        }
    }
}

/// The text between backticks, in order.
fn quoted(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn is_type_name(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
        && s.chars().any(|c| c.is_ascii_lowercase())
}

fn defines_type(text: &str, name: &str) -> bool {
    ["struct", "enum", "trait", "type", "interface", "class"]
        .iter()
        .any(|kw| {
            text.match_indices(&format!("{kw} {name}")).any(|(i, m)| {
                !text[i + m.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            })
        })
        || text.contains(&format!("rename = \"{name}\""))
}

/// An item of a type: a variant, a method, a field or a module item,
/// named as a whole word.
fn names_item(text: &str, item: &str) -> bool {
    text.match_indices(item).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + item.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        !word(before) && !word(after)
    })
}

#[test]
fn the_architecture_doc_names_only_what_exists() {
    let root = root();
    let doc = std::fs::read_to_string(root.join("docs/architecture.md")).unwrap();
    let mut files = Vec::new();
    for dir in ["crates", "src-tauri", "ui/src"] {
        sources(&root.join(dir), &mut files);
    }
    let texts: Vec<(PathBuf, String)> = files
        .iter()
        .map(|f| (f.clone(), std::fs::read_to_string(f).unwrap_or_default()))
        .collect();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for q in quoted(&doc) {
        let q = q.trim();
        let head = q.split(['(', ' ', '{']).next().unwrap_or("");
        if ["crates/", "src-tauri/", "ui/", "docs/", "scripts/"]
            .iter()
            .any(|p| q.starts_with(p))
        {
            checked += 1;
            if !root.join(q.trim_end_matches('/')).exists() {
                wrong.push(format!("no path {q}"));
            }
        } else if q.ends_with(".rs") || q.ends_with(".ts") {
            checked += 1;
            let found = files.iter().any(|f| {
                f.to_string_lossy()
                    .replace('\\', "/")
                    .ends_with(&format!("/{q}"))
            });
            if !found {
                wrong.push(format!("no file named {q}"));
            }
        } else if let Some((ty, item)) = head.split_once("::") {
            let ty = ty.rsplit("::").next().unwrap_or(ty);
            let item = item.split("::").next().unwrap_or(item);
            if !is_type_name(ty) {
                continue;
            }
            checked += 1;
            let found = texts
                .iter()
                .any(|(_, t)| defines_type(t, ty) && names_item(t, item))
                || texts.iter().any(|(_, t)| defines_type(t, ty))
                    && texts.iter().any(|(_, t)| {
                        t.contains(&format!("fn {item}")) && t.contains(&format!("impl {ty}"))
                    });
            if !found {
                wrong.push(format!("no {ty}::{item}"));
            }
        } else if is_type_name(head) && head == q && !ELSEWHERE.contains(&head) {
            checked += 1;
            if !texts.iter().any(|(_, t)| defines_type(t, head)) {
                wrong.push(format!("no type {head}"));
            }
        }
    }
    assert!(
        checked > 60,
        "only {checked} names checked: the parser lost its way"
    );
    assert!(
        wrong.is_empty(),
        "docs/architecture.md names what does not exist:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_checker_catches_a_name_that_is_gone() {
    let text = "pub enum MpvEvent {\n    Property(Property),\n}";
    assert!(defines_type(text, "MpvEvent"));
    assert!(names_item(text, "Property"));
    assert!(!names_item(text, "PropertyChange"));
    assert!(!defines_type(text, "Mpv"));
    assert_eq!(quoted("a `b` c `d::E`"), vec!["b", "d::E"]);
}
