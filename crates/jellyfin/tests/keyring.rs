//! Tokens through the real OS keyring (a Secret Service on Linux). Needs a
//! session bus with an unlocked keyring, so it is ignored by default;
//! `scripts/keyring-test` runs it under `dbus-run-session` with
//! `gnome-keyring-daemon`, and `scripts/test` calls that.

use std::process::Command;

use matinee_jellyfin::{KeyringStore, TokenStore};

const SERVICE: &str = "app.matinee.desktop.test";

/// What the Secret Service itself holds, read with libsecret's own tool:
/// proof the token is not in some in-process mock.
fn secret_tool_lookup(account: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", SERVICE, "username", account])
        .output()
        .expect("secret-tool (apt install libsecret-tools)");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/keyring-test"]
fn tokens_live_in_the_os_keyring() {
    let store = KeyringStore::new(SERVICE);
    let account = format!("server-{}/user", std::process::id());
    assert_eq!(store.load(&account).unwrap(), None, "nothing yet");

    store.save(&account, "first-token").unwrap();
    assert_eq!(
        store.load(&account).unwrap().as_deref(),
        Some("first-token")
    );
    assert_eq!(secret_tool_lookup(&account).as_deref(), Some("first-token"));

    store.save(&account, "second-token").unwrap();
    assert_eq!(
        store.load(&account).unwrap().as_deref(),
        Some("second-token"),
        "replaced"
    );

    // A second store (as after a restart) reads the same secret.
    let again = KeyringStore::new(SERVICE);
    assert_eq!(
        again.load(&account).unwrap().as_deref(),
        Some("second-token")
    );

    store.delete(&account).unwrap();
    assert_eq!(store.load(&account).unwrap(), None);
    assert_eq!(secret_tool_lookup(&account), None);
    store.delete(&account).unwrap(); // deleting twice is fine
}
