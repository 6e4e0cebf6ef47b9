//! The https landing page of an invite: opens the app through its
//! `matinee://` deep link, and tells people without the app how to get it.
//!
//! The page never says whether a room exists, so it cannot be used to guess
//! codes around the join throttle.

use matinee_protocol::Invite;
use matinee_protocol::RoomCode;

/// The deep link that opens the app's join dialog.
pub fn deep_link(code: &RoomCode, relay_ws_url: &str) -> String {
    Invite::to_relay(code.clone(), relay_ws_url).link()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;\
background:#11131a;color:#e8e9ef;font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif}\
main{max-width:28rem;padding:2.5rem;background:#1a1d27;border-radius:16px;\
box-shadow:0 12px 40px #0008;text-align:center}\
h1{margin:.2rem 0 1rem;font-size:1.4rem}\
.brand{color:#f5b84a;font-weight:700;letter-spacing:.08em;text-transform:uppercase;font-size:.8rem}\
.code{font:700 2.2rem/1.2 ui-monospace,monospace;letter-spacing:.3em;margin:1rem 0;color:#fff}\
a.button{display:inline-block;margin:1rem 0;padding:.8rem 1.6rem;border-radius:10px;\
background:#f5b84a;color:#1a1d27;font-weight:700;text-decoration:none}\
a.button:focus,a.button:hover{background:#ffd27f}\
p.small{color:#a4a8b8;font-size:.9rem}\
code{background:#11131a;padding:.1rem .35rem;border-radius:4px;word-break:break-all}";

/// The whole page for an invite; `download` is where to get the app, if
/// the relay was told (`--download-url`).
pub fn page(invite: &Invite, download: Option<&str>) -> String {
    let code = &invite.code;
    let install = match download {
        Some(url) => format!(
            "<a href=\"{}\">Install it</a> (Linux .deb or AppImage, Windows, macOS)",
            escape(url)
        ),
        // No download address known (a friend's own app hosting): the
        // person who sent the link has the installer.
        None => "Install it (ask whoever sent you this link for the installer: Linux .deb or AppImage, Windows)".into(),
    };
    let deep = invite.link();
    let link = escape(&deep);
    let manual = match &invite.relay {
        Some(relay) if invite.hosts.is_empty() => format!(
            "type the code <b>{code}</b> and set the relay to <code>{}</code>",
            escape(relay)
        ),
        _ => format!("and paste this whole invite into <b>Join</b>: <code>{link}</code>"),
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<meta http-equiv=\"refresh\" content=\"0;url={link}\">\
<title>Join room {code} on Matinee</title><style>{STYLE}</style></head>\
<body><main><div class=\"brand\">Matinee</div><h1>You're invited to a watch party</h1>\
<div class=\"code\">{code}</div>\
<a class=\"button\" href=\"{link}\">Open in Matinee</a>\
<p>Your browser may ask whether to open Matinee: allow it.</p>\
<p class=\"small\">Don't have Matinee yet? {install}, open it, choose <b>Join</b> {manual}.</p>\
<p class=\"small\">Have the same film ready: everyone plays their own copy.</p>\
</main></body></html>\n"
    )
}

/// Page for a path that is not a room code.
pub fn bad_code_page(reason: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Not a Matinee invite</title><style>{STYLE}</style></head>\
<body><main><div class=\"brand\">Matinee</div><h1>This invite link is broken</h1>\
<p>{}</p><p class=\"small\">Ask your friend to copy the invite again.</p></main></body></html>\n",
        escape(reason)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_link_encodes_the_relay_url() {
        let code = RoomCode::parse("ABCDEF").unwrap();
        assert_eq!(
            deep_link(&code, "ws://127.0.0.1:7878/ws"),
            "matinee://join/ABCDEF?relay=ws%3A%2F%2F127.0.0.1%3A7878%2Fws"
        );
    }

    #[test]
    fn page_escapes_what_it_shows() {
        let code = RoomCode::parse("ABCDEF").unwrap();
        let html = page(&Invite::to_relay(code.clone(), "ws://x/<script>"), None);
        assert!(html.contains("Install it (ask whoever sent you this link for the installer"));
        let linked = page(
            &Invite::to_relay(code, "wss://relay.example/ws"),
            Some("https://example.org/get?a=1&b=\"2\""),
        );
        assert!(
            linked.contains(
                "<a href=\"https://example.org/get?a=1&amp;b=&quot;2&quot;\">Install it</a>"
            ),
            "{linked}"
        );
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }
}
