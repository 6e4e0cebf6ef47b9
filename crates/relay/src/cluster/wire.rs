//! What nodes say to each other through Redis: key and channel names, and
//! the messages on the channels.
//!
//! Each room has one owner node, which runs the room. It listens on the
//! room's `in` channel for what members on other nodes send; it publishes
//! what those members must receive on the room's `out` channel, which the
//! nodes with members in the room listen on.

use matinee_protocol::{
    ClientMsg, ErrorCode, LinkKind, MediaInfo, ParticipantId, RoomCode, RoomRebuild,
};
use serde::{Deserialize, Serialize};

const PREFIX: &str = "matinee";

/// The node running the room (a lease, renewed while it runs).
pub(crate) fn owner_key(code: &RoomCode) -> String {
    format!("{PREFIX}:room:{code}:owner")
}

/// The room's stored state, for a node taking it over.
pub(crate) fn state_key(code: &RoomCode) -> String {
    format!("{PREFIX}:room:{code}:state")
}

/// A node's heartbeat.
pub(crate) fn node_key(node: u64) -> String {
    format!("{PREFIX}:node:{node:016x}")
}

/// The key that signs resume tokens, shared by every node.
pub(crate) const SECRET_KEY: &str = "matinee:resume-secret";

pub(crate) fn in_channel(code: &RoomCode) -> String {
    format!("{PREFIX}:room:{code}:in")
}

pub(crate) fn out_channel(code: &RoomCode) -> String {
    format!("{PREFIX}:room:{code}:out")
}

/// Which room a channel belongs to, and whether it is its `in` channel.
pub(crate) fn parse_channel(channel: &str) -> Option<(RoomCode, bool)> {
    let rest = channel.strip_prefix(PREFIX)?.strip_prefix(":room:")?;
    let (code, kind) = rest.split_once(':')?;
    let code = RoomCode::parse(code).ok()?;
    match kind {
        "in" => Some((code, true)),
        "out" => Some((code, false)),
        _ => None,
    }
}

/// A refusal as it crosses the wire.
pub(crate) type WireResult = Result<ParticipantId, (ErrorCode, String)>;

/// From a member's node to the room's owner.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ToOwner {
    pub node: u64,
    pub conn: u64,
    /// The member's address, with a join, resume or rebuild (for bans).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addr: Option<std::net::IpAddr>,
    pub cmd: OwnerCmd,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub(crate) enum OwnerCmd {
    Join {
        req: u64,
        nickname: String,
        media: Option<MediaInfo>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        via: Option<String>,
    },
    Resume {
        req: u64,
        token: String,
    },
    Rebuild {
        req: u64,
        pid: ParticipantId,
        token: String,
        rebuild: Box<RoomRebuild>,
    },
    Client {
        pid: ParticipantId,
        msg: ClientMsg,
    },
    Rtt {
        pid: ParticipantId,
        rtt_ms: f64,
        #[serde(default)]
        link: Option<LinkKind>,
    },
    Disconnected {
        pid: ParticipantId,
    },
}

/// From the owner to members on other nodes: one body for every target
/// (a broadcast is one message per room, not one per member).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ToMembers {
    /// (node, connection) pairs.
    pub to: Vec<(u64, u64)>,
    pub body: MemberBody,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub(crate) enum MemberBody {
    /// A frame to write to the connection.
    Frame { text: String },
    /// The seat is gone; the connection is back in the lobby.
    Evict,
    /// Send this error and close.
    Close { code: ErrorCode },
    /// The answer to a join, resume or rebuild.
    Reply { req: u64, result: WireResult },
}

/// Encodes a message for members. A frame travels as is after a line
/// naming its targets (`F[[node,conn],…]\n{frame}`), not escaped inside
/// JSON; anything else is `J{json}`.
pub(crate) fn encode_to_members(to: &[(u64, u64)], body: &MemberBody) -> String {
    match body {
        MemberBody::Frame { text } => encode_frame(to, text),
        other => {
            let msg = serde_json::json!({ "to": to, "body": other });
            format!("J{msg}")
        }
    }
}

/// A frame for `to`, in the `F` form of [`encode_to_members`].
pub(crate) fn encode_frame(to: &[(u64, u64)], text: &str) -> String {
    let targets = serde_json::to_string(to).expect("serialisable");
    let mut out = String::with_capacity(targets.len() + text.len() + 2);
    out.push('F');
    out.push_str(&targets);
    out.push('\n');
    out.push_str(text);
    out
}

/// Decodes what [`encode_to_members`] made.
pub(crate) fn decode_to_members(payload: &[u8]) -> Option<ToMembers> {
    let text = std::str::from_utf8(payload).ok()?;
    match text.as_bytes().first()? {
        b'F' => {
            let (targets, frame) = text[1..].split_once('\n')?;
            Some(ToMembers {
                to: serde_json::from_str(targets).ok()?,
                body: MemberBody::Frame {
                    text: frame.to_owned(),
                },
            })
        }
        b'J' => serde_json::from_str(&text[1..]).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_name_their_room() {
        let code = RoomCode::parse("K7MQ2X").unwrap();
        assert_eq!(
            parse_channel(&in_channel(&code)),
            Some((code.clone(), true))
        );
        assert_eq!(parse_channel(&out_channel(&code)), Some((code, false)));
        assert_eq!(parse_channel("matinee:room:K7MQ2X:owner"), None);
        assert_eq!(parse_channel("other:room:K7MQ2X:in"), None);
        assert_eq!(parse_channel("matinee:room:IIIIII:in"), None);
    }

    #[test]
    fn member_messages_round_trip() {
        let to = vec![(u64::MAX, 1), (2, 3)];
        let frame = MemberBody::Frame {
            text: "{\"type\":\"chat\",\"text\":\"a\\nb\"}".into(),
        };
        let enc = encode_to_members(&to, &frame);
        assert!(enc.starts_with('F'));
        let back = decode_to_members(enc.as_bytes()).unwrap();
        assert_eq!(back.to, to);
        assert!(
            matches!(back.body, MemberBody::Frame { ref text } if text == "{\"type\":\"chat\",\"text\":\"a\\nb\"}")
        );
        let reply = MemberBody::Reply {
            req: 9,
            result: Err((ErrorCode::RoomFull, "full".into())),
        };
        let back = decode_to_members(encode_to_members(&to, &reply).as_bytes()).unwrap();
        assert!(matches!(
            back.body,
            MemberBody::Reply {
                req: 9,
                result: Err((ErrorCode::RoomFull, _))
            }
        ));
        assert!(decode_to_members(b"Xnonsense").is_none());
        assert!(decode_to_members(b"").is_none());
    }

    #[test]
    fn messages_round_trip() {
        let msg = ToOwner {
            addr: None,
            node: u64::MAX,
            conn: 7,
            cmd: OwnerCmd::Client {
                pid: 3,
                msg: ClientMsg::Chat {
                    text: "hi \"there\"".into(),
                },
            },
        };
        let text = serde_json::to_string(&msg).unwrap();
        let back: ToOwner = serde_json::from_str(&text).unwrap();
        assert_eq!(back.node, u64::MAX);
        assert!(
            matches!(back.cmd, OwnerCmd::Client { pid: 3, msg: ClientMsg::Chat { ref text } } if text == "hi \"there\"")
        );
    }
}
