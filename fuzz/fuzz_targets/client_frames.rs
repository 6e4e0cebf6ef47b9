//! What the relay does with a frame from anyone on the internet: decode and
//! validate it. It must never panic, and whatever it accepts must encode
//! and decode back to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use matinee_protocol::ClientMsg;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(msg) = ClientMsg::decode(text) {
        let again = ClientMsg::decode(&msg.encode()).expect("an accepted message re-decodes");
        assert_eq!(again, msg);
    }
});
