//! Syncplay's line protocol as the relay reads and writes it: one JSON
//! object per line (CRLF), whose keys are commands (`Hello`, `Set`, `List`,
//! `State`, `Chat`, `Error`, `TLS`). Read leniently, as Syncplay's own
//! server does (missing fields have defaults), but an unknown command, a
//! line that is not a JSON object or a `Hello` without its names is an
//! error the connection closes on.

use serde_json::{json, Map, Value};

/// A Syncplay command from the client.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Incoming {
    Hello(Hello),
    Set(Vec<Setting>),
    List,
    State(ClientState),
    Chat(String),
    Error(String),
    /// `{"TLS": {"startTLS": "send"}}`: the client asks to upgrade.
    StartTls,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Hello {
    pub username: String,
    pub room: String,
    /// `realversion` when present (the real one), else `version`.
    pub version: String,
    /// The `version` field as sent (echoed back: old clients read it).
    pub compat_version: String,
}

/// One entry of a `Set`.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Setting {
    Room(String),
    File(FileInfo),
    Ready {
        ready: bool,
        /// Set for someone else (Syncplay 1.7's "set others' readiness").
        username: Option<String>,
    },
    ControllerAuth,
    Playlist,
    Features,
    /// Anything else: ignored, as Syncplay's server does.
    Other,
}

/// The file a Syncplay client plays. `name` and `size` may be hashed (the
/// client's privacy modes: 12 hex characters of SHA-256).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FileInfo {
    pub name: String,
    pub duration: Option<f64>,
    /// A size in bytes, when sent as one (not hashed, not hidden).
    pub size: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct ClientState {
    pub playstate: Option<Playstate>,
    /// Our `latencyCalculation` stamp, echoed (seconds since the epoch).
    pub echoed_stamp: Option<f64>,
    /// The client's own stamp, for us to echo.
    pub client_stamp: Option<f64>,
    /// The client's RTT estimate, seconds.
    pub client_rtt: Option<f64>,
    /// `ignoringOnTheFly.server`: the client acknowledges our n-th forced state.
    pub ack_server: Option<u64>,
    /// `ignoringOnTheFly.client`: the client made n changes of its own.
    pub client_changes: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Playstate {
    pub position: f64,
    pub paused: Option<bool>,
    pub do_seek: bool,
}

/// Why a line was refused; the text is what the Syncplay user reads.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(super) enum WireError {
    #[error("Not a JSON message: {0}")]
    NotJson(String),
    #[error("Unknown command {0}")]
    Unknown(String),
    #[error("Not enough Hello arguments: a user name, a room and a version are needed")]
    BadHello,
}

/// Longest part of a bad line quoted back, in characters.
const QUOTED: usize = 80;

fn quoted(line: &str) -> String {
    let mut q: String = line.chars().take(QUOTED).collect();
    if line.chars().count() > QUOTED {
        q.push('…');
    }
    q
}

/// Reads one line into its commands (Syncplay sends one a line, but a line
/// may hold several keys; they are handled in order).
pub(super) fn parse_line(line: &str) -> Result<Vec<Incoming>, WireError> {
    let value: Value = serde_json::from_str(line).map_err(|_| WireError::NotJson(quoted(line)))?;
    let Value::Object(commands) = value else {
        return Err(WireError::NotJson(quoted(line)));
    };
    commands
        .into_iter()
        .map(|(command, body)| parse_command(&command, body))
        .collect()
}

fn parse_command(command: &str, body: Value) -> Result<Incoming, WireError> {
    Ok(match command {
        "Hello" => Incoming::Hello(parse_hello(&body).ok_or(WireError::BadHello)?),
        "Set" => Incoming::Set(match body {
            Value::Object(items) => items.iter().map(|(k, v)| parse_setting(k, v)).collect(),
            _ => Vec::new(),
        }),
        "List" => Incoming::List,
        "State" => Incoming::State(parse_state(&body)),
        "Chat" => Incoming::Chat(match body {
            Value::String(s) => s,
            // Some clients send {"message": …}.
            other => text(&other, "message").unwrap_or_default(),
        }),
        "Error" => Incoming::Error(text(&body, "message").unwrap_or_default()),
        "TLS" => match text(&body, "startTLS") {
            Some(s) if s.contains("send") => Incoming::StartTls,
            _ => {
                return Err(WireError::Unknown(format!(
                    "TLS {}",
                    quoted(&body.to_string())
                )))
            }
        },
        other => return Err(WireError::Unknown(quoted(other))),
    })
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)?.as_str().map(str::to_string)
}

fn parse_hello(body: &Value) -> Option<Hello> {
    let username = text(body, "username")?.trim().to_string();
    let room = body
        .get("room")
        .and_then(|r| text(r, "name"))?
        .trim()
        .to_string();
    let compat_version = text(body, "version");
    let version = text(body, "realversion").or_else(|| compat_version.clone())?;
    if username.is_empty() || room.is_empty() || version.is_empty() {
        return None;
    }
    Some(Hello {
        username,
        room,
        compat_version: compat_version.unwrap_or_else(|| version.clone()),
        version,
    })
}

fn parse_setting(key: &str, v: &Value) -> Setting {
    match key {
        "room" => Setting::Room(text(v, "name").unwrap_or_default().trim().to_string()),
        "file" => Setting::File(FileInfo {
            name: text(v, "name").unwrap_or_default(),
            duration: v
                .get("duration")
                .and_then(Value::as_f64)
                .filter(|d| d.is_finite() && *d > 0.0),
            size: v.get("size").and_then(Value::as_u64).filter(|s| *s > 0),
        }),
        "ready" => Setting::Ready {
            ready: v.get("isReady").and_then(Value::as_bool).unwrap_or(false),
            username: text(v, "username"),
        },
        "controllerAuth" => Setting::ControllerAuth,
        "playlistChange" | "playlistIndex" => Setting::Playlist,
        "features" => Setting::Features,
        _ => Setting::Other,
    }
}

fn number(v: &Value, key: &str) -> Option<f64> {
    v.get(key)?.as_f64().filter(|x| x.is_finite())
}

fn parse_state(body: &Value) -> ClientState {
    let playstate = body.get("playstate").map(|p| Playstate {
        position: number(p, "position").unwrap_or(0.0).max(0.0),
        paused: p.get("paused").and_then(Value::as_bool),
        do_seek: p.get("doSeek").and_then(Value::as_bool).unwrap_or(false),
    });
    let ping = body.get("ping").cloned().unwrap_or(Value::Null);
    let ignoring = body.get("ignoringOnTheFly").cloned().unwrap_or(Value::Null);
    ClientState {
        playstate,
        echoed_stamp: number(&ping, "latencyCalculation").filter(|t| *t > 0.0),
        client_stamp: number(&ping, "clientLatencyCalculation").filter(|t| *t > 0.0),
        client_rtt: number(&ping, "clientRtt"),
        ack_server: ignoring.get("server").and_then(Value::as_u64),
        client_changes: ignoring.get("client").and_then(Value::as_u64),
    }
}

/// One line to send (without its line end).
pub(super) fn line(command: &str, body: Value) -> String {
    let mut m = Map::new();
    m.insert(command.to_string(), body);
    Value::Object(m).to_string()
}

pub(super) fn error(message: &str) -> String {
    line("Error", json!({ "message": message }))
}

pub(super) fn chat(username: &str, message: &str) -> String {
    line("Chat", json!({ "username": username, "message": message }))
}

pub(super) fn set(key: &str, body: Value) -> String {
    line("Set", json!({ key: body }))
}

pub(super) fn tls(answer: bool) -> String {
    line(
        "TLS",
        json!({ "startTLS": if answer { "true" } else { "false" } }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_takes_the_real_version_and_trims_names() {
        let got = parse_line(
            r#"{"Hello": {"username": " Bo ", "room": {"name": "k7mq2x"}, "version": "1.2.255", "realversion": "1.6.9", "features": {"chat": true}}}"#,
        )
        .unwrap();
        assert_eq!(
            got,
            vec![Incoming::Hello(Hello {
                username: "Bo".into(),
                room: "k7mq2x".into(),
                version: "1.6.9".into(),
                compat_version: "1.2.255".into(),
            })]
        );
        let old = parse_line(
            r#"{"Hello": {"username": "Bo", "room": {"name": "R"}, "version": "1.2.7"}}"#,
        )
        .unwrap();
        assert!(matches!(&old[0], Incoming::Hello(h) if h.version == "1.2.7"));
    }

    #[test]
    fn a_hello_without_names_is_refused() {
        for bad in [
            r#"{"Hello": {"room": {"name": "R"}, "version": "1.6.9"}}"#,
            r#"{"Hello": {"username": "Bo", "version": "1.6.9"}}"#,
            r#"{"Hello": {"username": "  ", "room": {"name": "R"}, "version": "1.6.9"}}"#,
            r#"{"Hello": {"username": "Bo", "room": {"name": "R"}}}"#,
            r#"{"Hello": "Bo"}"#,
        ] {
            assert_eq!(parse_line(bad), Err(WireError::BadHello), "{bad}");
        }
    }

    #[test]
    fn states_carry_playstate_ping_and_ignoring_counters() {
        let got = parse_line(
            r#"{"State": {"playstate": {"position": 12.5, "paused": false, "doSeek": true}, "ping": {"latencyCalculation": 1795327504.25, "clientLatencyCalculation": 1795327504.5, "clientRtt": 0.04}, "ignoringOnTheFly": {"server": 2, "client": 1}}}"#,
        )
        .unwrap();
        assert_eq!(
            got,
            vec![Incoming::State(ClientState {
                playstate: Some(Playstate {
                    position: 12.5,
                    paused: Some(false),
                    do_seek: true
                }),
                echoed_stamp: Some(1795327504.25),
                client_stamp: Some(1795327504.5),
                client_rtt: Some(0.04),
                ack_server: Some(2),
                client_changes: Some(1),
            })]
        );
        // A state without a playstate (the client ignores on the fly).
        let bare = parse_line(r#"{"State": {"ping": {"clientRtt": 0}}}"#).unwrap();
        assert_eq!(
            bare,
            vec![Incoming::State(ClientState {
                client_rtt: Some(0.0),
                ..Default::default()
            })]
        );
    }

    #[test]
    fn settings_are_read_one_by_one() {
        let got = parse_line(
            r#"{"Set": {"file": {"name": "Film.mkv", "duration": 5400.5, "size": 734003200}, "ready": {"isReady": true, "manuallyInitiated": true}, "controllerAuth": {"room": "+R:1", "password": "x"}, "playlistChange": {"files": []}, "features": {}, "mystery": 1}}"#,
        )
        .unwrap();
        let Incoming::Set(items) = &got[0] else {
            panic!("{got:?}")
        };
        assert_eq!(
            items,
            // (in the order of their names: JSON objects have none)
            &vec![
                Setting::ControllerAuth,
                Setting::Features,
                Setting::File(FileInfo {
                    name: "Film.mkv".into(),
                    duration: Some(5400.5),
                    size: Some(734003200)
                }),
                Setting::Other,
                Setting::Playlist,
                Setting::Ready {
                    ready: true,
                    username: None
                },
            ]
        );
        // A hashed size is no size.
        let hashed = parse_line(r#"{"Set": {"file": {"name": "a1b2c3d4e5f6", "duration": 60, "size": "0f1e2d3c4b5a"}}}"#).unwrap();
        assert!(
            matches!(&hashed[0], Incoming::Set(s) if s[0] == Setting::File(FileInfo { name: "a1b2c3d4e5f6".into(), duration: Some(60.0), size: None }))
        );
    }

    #[test]
    fn list_chat_error_and_tls_are_read() {
        assert_eq!(
            parse_line(r#"{"List": null}"#).unwrap(),
            vec![Incoming::List]
        );
        assert_eq!(
            parse_line(r#"{"Chat": "hi all"}"#).unwrap(),
            vec![Incoming::Chat("hi all".into())]
        );
        assert_eq!(
            parse_line(r#"{"Error": {"message": "bye"}}"#).unwrap(),
            vec![Incoming::Error("bye".into())]
        );
        assert_eq!(
            parse_line(r#"{"TLS": {"startTLS": "send"}}"#).unwrap(),
            vec![Incoming::StartTls]
        );
    }

    #[test]
    fn junk_and_unknown_commands_are_errors_people_can_read() {
        assert!(matches!(
            parse_line("GET / HTTP/1.1"),
            Err(WireError::NotJson(_))
        ));
        assert!(matches!(parse_line("[1, 2]"), Err(WireError::NotJson(_))));
        assert!(matches!(
            parse_line("{\"State\": "),
            Err(WireError::NotJson(_))
        ));
        let long = format!("{{\"x\": \"{}", "a".repeat(5000));
        let Err(WireError::NotJson(q)) = parse_line(&long) else {
            panic!()
        };
        assert!(
            q.chars().count() <= QUOTED + 1,
            "a long line is not quoted whole"
        );
        assert_eq!(
            parse_line(r#"{"Shutdown": {}}"#),
            Err(WireError::Unknown("Shutdown".into()))
        );
        assert_eq!(
            WireError::Unknown("Shutdown".into()).to_string(),
            "Unknown command Shutdown"
        );
    }

    #[test]
    fn lines_written_are_single_json_objects() {
        assert_eq!(error("No room"), r#"{"Error":{"message":"No room"}}"#);
        assert_eq!(
            chat("Ana", "hi"),
            r#"{"Chat":{"message":"hi","username":"Ana"}}"#
        );
        assert_eq!(tls(false), r#"{"TLS":{"startTLS":"false"}}"#);
        assert_eq!(
            set("ready", json!({"username": "Ana", "isReady": true})),
            r#"{"Set":{"ready":{"isReady":true,"username":"Ana"}}}"#
        );
        let chat_line = chat("Ana", "line\r\nbreak");
        assert!(!chat_line.contains('\n'), "escaped inside the JSON");
    }
}
