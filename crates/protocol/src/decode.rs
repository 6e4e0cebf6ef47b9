//! Decoding frames into messages, with a typed error for everything that
//! is not a valid message.

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;

use crate::{ClientMsg, ServerMsg, ValidationError};

/// Why a frame is not a valid message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("the message has no \"type\" field")]
    MissingType,
    #[error("unknown message type \"{0}\"")]
    UnknownType(String),
    #[error("invalid \"{kind}\" message: {detail}")]
    Invalid { kind: String, detail: String },
    #[error(transparent)]
    Value(#[from] ValidationError),
}

/// Just enough of a message to name its type.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: Option<serde_json::Value>,
    #[serde(flatten)]
    _rest: std::collections::BTreeMap<String, IgnoredAny>,
}

const MAX_ECHOED_TYPE_CHARS: usize = 40;

fn decode_tagged<T: DeserializeOwned>(text: &str, known: &[&str]) -> Result<T, DecodeError> {
    let err = match serde_json::from_str::<T>(text) {
        Ok(msg) => return Ok(msg),
        Err(err) => err,
    };
    // Slow path, only for bad input: say what exactly is wrong.
    let envelope: Envelope =
        serde_json::from_str(text).map_err(|e| DecodeError::Json(e.to_string()))?;
    match envelope.kind {
        None => Err(DecodeError::MissingType),
        Some(serde_json::Value::String(kind)) if known.contains(&kind.as_str()) => {
            Err(DecodeError::Invalid {
                kind,
                detail: err.to_string(),
            })
        }
        Some(serde_json::Value::String(kind)) => Err(DecodeError::UnknownType(
            kind.chars().take(MAX_ECHOED_TYPE_CHARS).collect(),
        )),
        Some(_) => Err(DecodeError::UnknownType("(not a string)".into())),
    }
}

impl ClientMsg {
    /// Decodes and validates one client frame.
    pub fn decode(text: &str) -> Result<Self, DecodeError> {
        let msg: ClientMsg = decode_tagged(text, Self::KINDS)?;
        msg.validate()?;
        Ok(msg)
    }

    /// Encodes this message as one JSON text frame.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("client messages always serialise")
    }
}

impl ServerMsg {
    /// Every `"type"` the relay may send.
    pub const KINDS: &'static [&'static str] = &[
        "welcome",
        "joined",
        "participants",
        "state",
        "control_mode",
        "host_proof",
        "media",
        "subtitle",
        "tracks",
        "track_proposal",
        "audio_print",
        "queue",
        "chat",
        "notice",
        "left",
        "pong",
        "error",
    ];

    /// Decodes one relay frame.
    pub fn decode(text: &str) -> Result<Self, DecodeError> {
        decode_tagged(text, Self::KINDS)
    }

    /// Encodes this message as one JSON text frame.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("server messages always serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ControlAction, PROTOCOL_VERSION};

    #[test]
    fn decodes_a_valid_hello() {
        let msg = ClientMsg::decode(r#"{"type":"hello","protocol":2,"client":"t"}"#).unwrap();
        assert_eq!(
            msg,
            ClientMsg::Hello {
                protocol: PROTOCOL_VERSION,
                client: "t".into()
            }
        );
    }

    #[test]
    fn classifies_bad_input() {
        assert!(matches!(ClientMsg::decode("{"), Err(DecodeError::Json(_))));
        assert!(matches!(
            ClientMsg::decode("[1,2]"),
            Err(DecodeError::Json(_))
        ));
        assert_eq!(
            ClientMsg::decode(r#"{"a":1}"#),
            Err(DecodeError::MissingType)
        );
        assert_eq!(
            ClientMsg::decode(r#"{"type":"launch_missiles"}"#),
            Err(DecodeError::UnknownType("launch_missiles".into()))
        );
        assert!(matches!(
            ClientMsg::decode(r#"{"type":7}"#),
            Err(DecodeError::UnknownType(_))
        ));
        match ClientMsg::decode(r#"{"type":"ping","client_ms":"soon"}"#) {
            Err(DecodeError::Invalid { kind, .. }) => assert_eq!(kind, "ping"),
            other => panic!("expected Invalid, got {other:?}"),
        }
        // Unknown fields are ignored so newer clients can add optional ones.
        assert_eq!(
            ClientMsg::decode(r#"{"type":"leave","added_later":true}"#),
            Ok(ClientMsg::Leave)
        );
        assert!(matches!(
            ClientMsg::decode(r#"{"type":"ready"}"#),
            Err(DecodeError::Invalid { .. })
        ));
    }

    #[test]
    fn unknown_type_is_truncated() {
        let long = "x".repeat(10_000);
        match ClientMsg::decode(&format!(r#"{{"type":"{long}"}}"#)) {
            Err(DecodeError::UnknownType(t)) => assert_eq!(t.len(), MAX_ECHOED_TYPE_CHARS),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!(
            r#"{{"type":"chat","text":{}1{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(ClientMsg::decode(&deep).is_err());
    }

    #[test]
    fn room_codes_are_normalised_and_checked_while_decoding() {
        let msg =
            ClientMsg::decode(r#"{"type":"join","code":"abc-def","nickname":"Ana"}"#).unwrap();
        match msg {
            ClientMsg::Join { code, .. } => assert_eq!(code.as_str(), "ABCDEF"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            ClientMsg::decode(r#"{"type":"join","code":"ABCDE0","nickname":"Ana"}"#),
            Err(DecodeError::Invalid { .. })
        ));
    }

    #[test]
    fn every_client_message_round_trips() {
        for msg in crate::client::examples() {
            let text = msg.encode();
            assert_eq!(ClientMsg::decode(&text).unwrap(), msg, "{text}");
            assert!(ClientMsg::KINDS.contains(&msg.kind()));
        }
    }

    #[test]
    fn control_actions_are_tagged_by_kind() {
        let text = ClientMsg::Control {
            seq: 3,
            action: ControlAction::Speed {
                speed: 1.5,
                position: 2.0,
            },
            server_ms: None,
        }
        .encode();
        assert_eq!(
            text,
            r#"{"type":"control","seq":3,"action":{"kind":"speed","speed":1.5,"position":2.0}}"#
        );
    }
}
