//! Chromaprint fingerprints of decoded sound, and their compact form for
//! the wire.

use base64::Engine as _;
use rusty_chromaprint::{Configuration, Fingerprinter};

use crate::AlignError;

fn config() -> Configuration {
    Configuration::preset_test2()
}

/// Seconds of sound one fingerprint item stands for (about 0.124 s).
pub fn item_secs() -> f64 {
    f64::from(config().item_duration_in_seconds())
}

/// The fingerprint of mono samples, read as if taken at `declared_rate`
/// (a rate other than the real one stretches or squeezes time, which is
/// how a copy running at another speed is compared).
pub fn fingerprint(samples: &[i16], declared_rate: u32) -> Vec<u32> {
    let mut printer = Fingerprinter::new(&config());
    if printer.start(declared_rate, 1).is_err() {
        return Vec::new();
    }
    printer.consume(samples);
    printer.finish();
    printer.fingerprint().to_vec()
}

/// A copy's fingerprint from `start` seconds of that copy on.
#[derive(Debug, Clone, PartialEq)]
pub struct Print {
    pub start: f64,
    pub values: Vec<u32>,
}

impl Print {
    /// The values as base64 of little-endian words (5.4 bytes a second of
    /// sound: a two-minute window is about 5 KB).
    pub fn encode(&self) -> String {
        let bytes: Vec<u8> = self.values.iter().flat_map(|v| v.to_le_bytes()).collect();
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
    }

    pub fn decode(start: f64, data: &str) -> Result<Print, AlignError> {
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(data)
            .map_err(|e| AlignError::BadPrint(e.to_string()))?;
        if bytes.len() % 4 != 0 || !start.is_finite() {
            return Err(AlignError::BadPrint("not a whole number of words".into()));
        }
        Ok(Print {
            start,
            values: bytes
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_print_survives_the_wire() {
        let p = Print {
            start: 12.5,
            values: vec![0, 1, u32::MAX, 0xdead_beef],
        };
        assert_eq!(Print::decode(12.5, &p.encode()).unwrap(), p);
        assert!(Print::decode(0.0, "abc").is_err());
    }
}
