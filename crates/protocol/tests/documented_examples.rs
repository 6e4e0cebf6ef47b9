//! Every JSON example in docs/protocol.md decodes, and every message type
//! has one.

use std::collections::BTreeSet;

use matinee_protocol::{ClientMsg, ServerMsg};

#[derive(Clone, Copy, PartialEq, Debug)]
enum Direction {
    Other,
    ToRelay,
    FromRelay,
}

/// (section direction, JSON text) of each ```json block.
fn examples() -> Vec<(Direction, String)> {
    let doc = include_str!("../../../docs/protocol.md");
    let mut out = Vec::new();
    let mut direction = Direction::Other;
    let mut block: Option<String> = None;
    for line in doc.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            direction = match heading.trim() {
                "Client → relay" => Direction::ToRelay,
                "Relay → client" => Direction::FromRelay,
                _ => Direction::Other,
            };
        }
        match (&mut block, line.trim()) {
            (None, "```json") => block = Some(String::new()),
            (Some(_), "```") => out.push((direction, block.take().unwrap())),
            (Some(b), text) => b.push_str(text),
            (None, _) => {}
        }
    }
    out
}

#[test]
fn every_documented_example_decodes_and_every_type_is_documented() {
    let mut client_kinds = BTreeSet::new();
    let mut server_kinds = BTreeSet::new();
    for (direction, text) in examples() {
        match direction {
            Direction::ToRelay => {
                let msg = ClientMsg::decode(&text).unwrap_or_else(|e| panic!("{text}\n{e}"));
                client_kinds.insert(msg.kind().to_string());
            }
            Direction::FromRelay => {
                ServerMsg::decode(&text).unwrap_or_else(|e| panic!("{text}\n{e}"));
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                server_kinds.insert(v["type"].as_str().unwrap().to_string());
            }
            Direction::Other => panic!("JSON example outside the message sections: {text}"),
        }
    }
    let want = |kinds: &[&str]| kinds.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(client_kinds, want(ClientMsg::KINDS));
    assert_eq!(server_kinds, want(ServerMsg::KINDS));
}
