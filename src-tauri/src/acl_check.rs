//! (Tests only.) Every command the window may call is declared and granted: a command
//! registered in the invoke handler but missing from `build.rs`'s list or
//! from the main window's capability is refused by Tauri's ACL at run time
//! ("Command … not allowed by ACL"), which no compiler catches. (The
//! *Share a subtitle file…* button failed that way.)

use std::collections::BTreeSet;

// A unit test of the app's library rather than a test binary of its own:
// each of those links the whole app.

fn source(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The commands `with_commands` registers (`module::name,` lines).
fn registered() -> BTreeSet<String> {
    let lib = source("src/lib.rs");
    let start = lib.find("generate_handler![").expect("the invoke handler");
    let end = start + lib[start..].find("])").expect("its end");
    lib[start..end]
        .lines()
        .filter_map(|l| l.trim().strip_suffix(','))
        .filter_map(|l| l.rsplit("::").next())
        .map(str::to_string)
        .collect()
}

#[test]
fn every_registered_command_is_declared_and_granted_to_the_window() {
    let commands = registered();
    assert!(commands.len() > 20, "{commands:?}");
    assert!(commands.contains("pick_subtitle"));
    let build = source("build.rs");
    let capability: serde_json::Value =
        serde_json::from_str(&source("capabilities/main-window.json")).unwrap();
    let granted: BTreeSet<&str> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    for command in &commands {
        assert!(
            build.contains(&format!("\"{command}\",")),
            "{command} is registered but not declared in build.rs's COMMANDS"
        );
        let permission = format!("allow-{}", command.replace('_', "-"));
        assert!(
            granted.contains(permission.as_str()),
            "{command} is registered but the main window is not granted {permission}"
        );
    }
    // Nothing granted that is not a command of ours (or one of Tauri's).
    for p in granted.iter().filter(|p| p.starts_with("allow-")) {
        let command = p.trim_start_matches("allow-").replace('-', "_");
        assert!(
            commands.contains(&command),
            "{p} grants no registered command"
        );
    }
}
