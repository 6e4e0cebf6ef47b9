//! The window's Jellyfin commands on the mock runtime, against the fake
//! server that checks every request against the OpenAPI document: add the
//! server, sign in, browse, search, series, posters, sign out, and errors
//! the window can show.

mod common;
use matinee_fake_jellyfin as fake;

use common::invoke;
use serde_json::{json, Value};

fn kind(err: &Value) -> &str {
    err["kind"]
        .as_str()
        .unwrap_or_else(|| panic!("typed error, got {err}"))
}

#[test]
fn add_a_server_sign_in_browse_and_sign_out() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(fake::FakeJellyfin::start("/dev/null".into(), 600.0));
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = common::app_in(dir.path());

    let status = invoke(&w, "jellyfin_status", json!({})).unwrap();
    assert_eq!(status, json!({ "server": null, "user": null }));
    let err = invoke(&w, "jellyfin_libraries", json!({})).unwrap_err();
    assert_eq!(kind(&err), "jellyfin_no_server");

    let err = invoke(&w, "jellyfin_connect", json!({ "url": "ftp://x" })).unwrap_err();
    assert_eq!(kind(&err), "jellyfin_url");
    let status = invoke(&w, "jellyfin_connect", json!({ "url": server.url() })).unwrap();
    assert_eq!(status["server"]["name"], "Fake Jellyfin");
    assert_eq!(status["user"], Value::Null);
    let err = invoke(&w, "jellyfin_libraries", json!({})).unwrap_err();
    assert_eq!(kind(&err), "jellyfin_signed_out");

    let sign_in = |password: &str| {
        invoke(
            &w,
            "jellyfin_sign_in",
            json!({ "username": fake::USER, "password": password }),
        )
    };
    let err = sign_in("wrong").unwrap_err();
    assert_eq!(kind(&err), "jellyfin_credentials");
    assert_eq!(err["message"], "Wrong username or password.");
    let status = sign_in(fake::PASSWORD).unwrap();
    assert_eq!(status["user"], fake::USER);
    let profile = std::fs::read_to_string(dir.path().join("jellyfin.json")).unwrap();
    assert!(profile.contains(fake::USER_ID) && !profile.contains(fake::PASSWORD));

    let libraries = invoke(&w, "jellyfin_libraries", json!({})).unwrap();
    let names: Vec<&str> = libraries
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Films", "Shows"]);

    let page = invoke(
        &w,
        "jellyfin_items",
        json!({ "request": { "library": fake::MOVIES, "start": 0, "limit": 1 } }),
    )
    .unwrap();
    assert_eq!(page["total"], 2);
    let film = &page["items"][0];
    assert_eq!(film["name"], "Big Buck Bunny");
    assert_eq!(film["kind"], "Movie");
    assert_eq!(film["playable"], true);
    assert_eq!(film["has_poster"], true);
    let next = invoke(
        &w,
        "jellyfin_items",
        json!({ "request": { "library": fake::MOVIES, "start": 1, "limit": 1 } }),
    )
    .unwrap();
    assert_eq!(next["start"], 1);
    assert_ne!(next["items"][0]["id"], film["id"]);

    let found = invoke(
        &w,
        "jellyfin_items",
        json!({ "request": { "search": "  bunny ", "limit": 500 } }),
    )
    .unwrap();
    assert_eq!(found["items"][0]["id"], fake::FILM);
    let searched = server.seen("/Items");
    let last = searched.last().unwrap();
    assert!(last.query.contains(&("searchTerm".into(), "bunny".into())));
    assert!(
        last.query.contains(&("limit".into(), "100".into())),
        "capped"
    );

    let details = invoke(&w, "jellyfin_item", json!({ "id": fake::FILM })).unwrap();
    assert!(details["runtime_seconds"].as_f64().unwrap() > 0.0);
    assert!(details["overview"].as_str().is_some());

    let seasons = invoke(&w, "jellyfin_seasons", json!({ "series": fake::SERIES })).unwrap();
    assert_eq!(seasons[0]["id"], fake::SEASON);
    assert_eq!(seasons[0]["playable"], false);
    let episodes = invoke(
        &w,
        "jellyfin_episodes",
        json!({ "series": fake::SERIES, "season": fake::SEASON }),
    )
    .unwrap();
    assert_eq!(episodes.as_array().unwrap().len(), 2);
    assert_eq!(episodes[0]["episode"], 1);
    assert_eq!(episodes[0]["playable"], true);

    let poster = invoke(
        &w,
        "jellyfin_poster",
        json!({ "id": fake::FILM, "height": 300 }),
    )
    .unwrap();
    assert!(poster
        .as_str()
        .unwrap()
        .starts_with("data:image/png;base64,"));
    let err = invoke(&w, "jellyfin_item", json!({ "id": "../System/Info" })).unwrap_err();
    assert_eq!(kind(&err), "jellyfin");

    let tokens = server.valid_tokens();
    let status = invoke(&w, "jellyfin_sign_out", json!({})).unwrap();
    assert_eq!(status["user"], Value::Null);
    assert_eq!(status["server"]["name"], "Fake Jellyfin");
    assert_eq!(server.valid_tokens(), tokens - 1);
    server.assert_clean();
}

#[test]
fn quick_connect_and_a_sign_in_the_server_ended() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(fake::FakeJellyfin::start("/dev/null".into(), 600.0));
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = common::app_in(dir.path());
    invoke(&w, "jellyfin_connect", json!({ "url": server.url() })).unwrap();

    let code = invoke(&w, "jellyfin_quick_connect_start", json!({})).unwrap();
    let code = code.as_str().unwrap();
    assert_eq!(
        invoke(&w, "jellyfin_quick_connect_poll", json!({})).unwrap(),
        Value::Null
    );
    assert!(server.approve(code));
    let status = invoke(&w, "jellyfin_quick_connect_poll", json!({})).unwrap();
    assert_eq!(status["user"], fake::USER);

    // An admin revokes the device: the next request says so, and the
    // window is asked to sign in again.
    server.revoke_all();
    let err = invoke(&w, "jellyfin_libraries", json!({})).unwrap_err();
    assert_eq!(kind(&err), "jellyfin_signed_out");
    assert_eq!(
        invoke(&w, "jellyfin_status", json!({})).unwrap()["user"],
        Value::Null
    );

    server.set_quick_connect(false);
    let err = invoke(&w, "jellyfin_quick_connect_start", json!({})).unwrap_err();
    assert_eq!(kind(&err), "jellyfin_quick_connect");
    assert!(err["message"].as_str().unwrap().contains("password"));
    server.assert_clean();
}

#[test]
fn the_sign_in_is_restored_on_the_next_launch() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(fake::FakeJellyfin::start("/dev/null".into(), 600.0));
    let dir = tempfile::tempdir().unwrap();
    let tokens = std::sync::Arc::new(matinee_jellyfin::MemoryStore::default());
    let launch = || {
        let state = matinee_app::AppState::new(
            dir.path().join("settings.json"),
            dir.path().join("logs"),
            tokens.clone(),
        );
        let app = matinee_app::with_commands(tauri::test::mock_builder())
            .manage(state)
            .build(tauri::generate_context!("../tauri.conf.json"))
            .unwrap();
        let w = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        (app, w)
    };
    let (_first, w) = launch();
    invoke(&w, "jellyfin_connect", json!({ "url": server.url() })).unwrap();
    invoke(
        &w,
        "jellyfin_sign_in",
        json!({ "username": fake::USER, "password": fake::PASSWORD }),
    )
    .unwrap();
    let (_second, w2) = launch();
    let status = invoke(&w2, "jellyfin_status", json!({})).unwrap();
    assert_eq!(status["user"], fake::USER);
    assert!(invoke(&w2, "jellyfin_libraries", json!({})).is_ok());
    let id = std::fs::read_to_string(dir.path().join("device-id")).unwrap();
    let auth = server
        .seen("/UserViews")
        .pop()
        .unwrap()
        .authorization
        .unwrap();
    assert!(
        auth.contains(&format!("DeviceId=\"{}\"", id.trim())),
        "{auth}"
    );
    server.assert_clean();
}
