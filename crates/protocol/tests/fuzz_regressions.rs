//! Inputs the fuzzers (`scripts/fuzz`) once tripped on, kept as tests.

use matinee_protocol::{ClientMsg, ServerMsg};

/// Each accepted frame must encode and decode back to the same message.
fn round_trips(frame: &str) {
    let msg = ClientMsg::decode(frame).expect("accepted");
    assert_eq!(ClientMsg::decode(&msg.encode()).unwrap(), msg, "{frame}");
}

#[test]
fn large_numbers_decode_to_the_exact_float() {
    // serde_json's default float parser was one ulp off here; the
    // float_roundtrip feature parses exactly.
    round_trips(r#"{"type":"ping","client_ms":17953275002222222200}"#);
    round_trips(r#"{"type":"ping","client_ms":0.30000000000000004}"#);
}

#[test]
fn server_frames_round_trip_too() {
    let frame = r#"{"type":"pong","client_ms":17953275002222222200,"server_recv_ms":1.0,"server_send_ms":2.0}"#;
    let msg = ServerMsg::decode(frame).expect("decodes");
    assert_eq!(ServerMsg::decode(&msg.encode()).unwrap(), msg);
}
