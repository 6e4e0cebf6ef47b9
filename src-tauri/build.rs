//! The app's tauri.conf.json and icons/ live at the repository root.

const COMMANDS: &[&str] = &[
    "app_info",
    "load_settings",
    "save_settings",
    "pick_file",
    "pick_subtitle",
    "pick_films",
    "pick_folder",
    "prepare_hosting",
    "host_room",
    "join_room",
    "room_command",
    "player_position",
    "leave_room",
    "relayed_friends",
    "take_launch_request",
    "confirm_close",
    "cancel_start",
    "jellyfin_status",
    "jellyfin_connect",
    "jellyfin_sign_in",
    "jellyfin_quick_connect_start",
    "jellyfin_quick_connect_poll",
    "jellyfin_sign_out",
    "jellyfin_libraries",
    "jellyfin_items",
    "jellyfin_item",
    "jellyfin_seasons",
    "jellyfin_episodes",
    "jellyfin_poster",
];

fn main() {
    println!("cargo:rerun-if-changed=../tauri.conf.json");
    println!("cargo:rerun-if-changed=../ui/dist");
    // The frontend must exist for the build; an empty placeholder lets
    // `cargo check` work before `npm run ui:build`.
    let dist = std::path::Path::new("../ui/dist");
    if !dist.join("index.html").exists() {
        std::fs::create_dir_all(dist).expect("create ui/dist");
        std::fs::write(
            dist.join("index.html"),
            "<!doctype html><p>Build the UI first: npm run ui:build</p>",
        )
        .expect("write placeholder");
    }
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).expect("tauri build step");
}
