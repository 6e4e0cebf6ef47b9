//! Windows draws the window with Microsoft Edge WebView2. Windows 11 and
//! recent Windows 10 have it; a machine without it would otherwise see
//! nothing at all (the app has no console). Before the window is built
//! this asks for WebView2's version and, when there is none, says so in a
//! plain Windows message box and offers the download page.

/// Microsoft's page for the WebView2 Runtime (the "Evergreen" installer).
#[cfg(any(windows, test))]
pub const DOWNLOAD_PAGE: &str = "https://developer.microsoft.com/microsoft-edge/webview2/";

/// What the person reads when WebView2 cannot be used (`error` as
/// WebView2's loader said it). "File not found" (HRESULT 0x80070002)
/// means it is not installed; anything else is quoted.
#[cfg(any(windows, test))]
pub fn missing_message(error: &str) -> String {
    let why = if error.contains("0x80070002") {
        "which is not installed on this computer".to_string()
    } else {
        format!("which this computer cannot use ({error})")
    };
    format!(
        "Matinee shows its window with Microsoft Edge WebView2, {why}.\n\nInstall the \"Evergreen \
         Bootstrapper\" of the WebView2 Runtime from Microsoft, then open \
         Matinee again. Matinee's Windows installer adds it for you.\n\n\
         Open the download page now?"
    )
}

/// `true` when the window can be shown; `false` after telling the person
/// why not (Windows only; elsewhere the system's web view is a dependency
/// of the package).
pub fn webview_available() -> bool {
    #[cfg(windows)]
    {
        match tauri::webview_version() {
            Ok(version) => {
                tracing::debug!(%version, "WebView2 found");
                true
            }
            Err(e) => {
                let text = missing_message(&e.to_string());
                eprintln!("{text}");
                let open = rfd::MessageDialog::new()
                    .set_level(rfd::MessageLevel::Error)
                    .set_title("Matinee needs WebView2")
                    .set_description(text)
                    .set_buttons(rfd::MessageButtons::YesNo)
                    .show();
                if open == rfd::MessageDialogResult::Yes {
                    let _ = std::process::Command::new("explorer")
                        .arg(DOWNLOAD_PAGE)
                        .spawn();
                }
                false
            }
        }
    }
    #[cfg(not(windows))]
    {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_webview2_the_reason_and_the_remedy() {
        let text = missing_message("no runtime found");
        assert!(text.contains("WebView2, which this computer cannot use (no runtime found)."));
        assert!(text.contains("Evergreen"));
        assert!(text.ends_with("Open the download page now?"));
        assert!(DOWNLOAD_PAGE.starts_with("https://"));
        // What Wine (and a Windows without the runtime) answers.
        let wine = r#"WebView2 error: WindowsError(Error { code: HRESULT(0x80070002), message: "File not found." })"#;
        assert!(
            missing_message(wine).contains("WebView2, which is not installed on this computer.")
        );
    }
}
