//! What a client does with a frame from a relay it does not trust: decode
//! it. It must never panic, and whatever decodes must round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use matinee_protocol::ServerMsg;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(msg) = ServerMsg::decode(text) {
        let again = ServerMsg::decode(&msg.encode()).expect("a decoded message re-decodes");
        assert_eq!(again, msg);
    }
});
