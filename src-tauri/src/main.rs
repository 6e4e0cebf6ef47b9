// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // The window is a few cards and a list: WebKitGTK's GPU compositing
    // buys it nothing and costs its web process over 100 MiB and some CPU
    // while idle. Set before any thread starts (a person may still turn it
    // back on with WEBKIT_DISABLE_COMPOSITING_MODE=0).
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        // SAFETY: the first thing main does, before any other thread.
        unsafe { std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1") };
    }
    matinee_app::run();
}
