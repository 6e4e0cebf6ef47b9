// tauri.conf.json lives at the repository root (the source of truth, read by
// src-tauri/build.rs), but the Tauri CLI wants the config next to the app's
// Cargo.toml: this writes src-tauri/tauri.conf.json (ignored by git) with
// the paths made absolute, for `tauri build` and `tauri bundle` pointed at
// src-tauri (scripts/bundle, scripts/package-test). The UI is built first
// by the caller. Usage: node scripts/tauri-conf.cjs REPO_ROOT
const fs = require("fs"), path = require("path");
const root = process.argv[2];
const c = JSON.parse(fs.readFileSync(path.join(root, "tauri.conf.json"), "utf8"));
c.build.frontendDist = path.join(root, c.build.frontendDist);
delete c.build.beforeBuildCommand; // the caller builds the UI
c.bundle.icon = c.bundle.icon.map((i) => path.join(root, i));
c.bundle.linux.deb.desktopTemplate = path.join(root, c.bundle.linux.deb.desktopTemplate);
// "Open with" for films, on Windows (the Linux .desktop file lists them).
c.bundle.fileAssociations = [{
  ext: ["mkv", "mp4", "m4v", "webm", "avi", "mov", "mpg", "mpeg", "ogv", "ts"],
  name: "Video", description: "Video file", role: "Viewer",
}];
fs.writeFileSync(path.join(root, "src-tauri/tauri.conf.json"), JSON.stringify(c, null, 2));
