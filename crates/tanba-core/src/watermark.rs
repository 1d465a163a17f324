//! The imperceptible watermark as the rest of Tanba sees it: the key that
//! seeds it, what the manifest records of it, and what a reader found.
//! The signal processing lives in `tanba-watermark`; this is vocabulary.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

/// The method name recorded in manifests and in the C2PA soft binding.
pub const WATERMARK_METHOD: &str = "tanba-wm-1";

/// A watermark key: it seeds the sync and carrier patterns. A mark made
/// with one key is read only with the same key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct WatermarkKey(pub u64);

impl WatermarkKey {
    /// The public detection key Tanba ships, so anyone can check a file
    /// for free (the same seed as `tanba_watermark::PUBLIC_KEY`).
    pub const PUBLIC: WatermarkKey = WatermarkKey(0x5441_4E42_4130_0001);

    /// `"public"` for [`WatermarkKey::PUBLIC`], `"private"` otherwise: what
    /// manifests and reports say (a private key itself is never written).
    pub fn kind(self) -> &'static str {
        if self == WatermarkKey::PUBLIC {
            "public"
        } else {
            "private"
        }
    }
}

impl fmt::Debug for WatermarkKey {
    /// Shows only which kind of key: an operator's key is a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WatermarkKey({})", self.kind())
    }
}

impl FromStr for WatermarkKey {
    type Err = Error;
    /// Exactly 16 hex digits (64 bits).
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        if s.len() != 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::config(
                "a watermark key is exactly 16 hex digits (64 bits)",
            ));
        }
        u64::from_str_radix(s, 16)
            .map(WatermarkKey)
            .map_err(|e| Error::config(format!("watermark key: {e}")))
    }
}

/// The watermark as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatermarkRecord {
    /// [`WATERMARK_METHOD`].
    pub method: String,
    /// The 64-bit payload as 16 lowercase hex digits: the first 16 hex
    /// digits of the manifest id's UUID.
    pub payload: String,
    /// `public` or `private` ([`WatermarkKey::kind`]).
    pub key: String,
}

/// A watermark a reader found in a file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WatermarkFound {
    /// The 64-bit payload (its check code verified).
    #[serde(serialize_with = "payload_hex")]
    pub payload: u64,
    /// How far the sync peak stands above chance (a z-score).
    pub strength: f32,
    /// `public` or `private`: the key it was read with.
    pub key: &'static str,
}

impl WatermarkFound {
    /// The payload as 16 lowercase hex digits, as manifests and the
    /// manifest store name it.
    pub fn payload_hex(&self) -> String {
        format!("{:016x}", self.payload)
    }
}

fn payload_hex<S: serde::Serializer>(payload: &u64, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{payload:016x}"))
}

/// The watermark payload of a manifest id (`urn:uuid:XXXXXXXX-XXXX-…`):
/// the UUID's first 64 bits.
pub fn payload_of_id(id: &str) -> Option<u64> {
    let hex: String = id
        .strip_prefix("urn:uuid:")?
        .chars()
        .filter(|c| *c != '-')
        .take(16)
        .collect();
    if hex.len() != 16 {
        return None;
    }
    u64::from_str_radix(&hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_from_16_hex_digits_and_never_show_themselves() {
        let k: WatermarkKey = "00112233445566aB".parse().unwrap();
        assert_eq!(k.0, 0x0011_2233_4455_66ab);
        assert_eq!(k.kind(), "private");
        assert_eq!(format!("{k:?}"), "WatermarkKey(private)");
        assert_eq!(WatermarkKey::PUBLIC.kind(), "public");
        for bad in ["", "123", "00112233445566778", "0011223344556g77"] {
            assert!(bad.parse::<WatermarkKey>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_payload_is_the_ids_first_64_bits() {
        let id = "urn:uuid:0123abcd-4567-89ef-8123-456789abcdef";
        assert_eq!(payload_of_id(id), Some(0x0123_abcd_4567_89ef));
        assert_eq!(payload_of_id("0123abcd-4567-89ef"), None);
        assert_eq!(payload_of_id("urn:uuid:0123"), None);
        let found = WatermarkFound {
            payload: 0xab,
            strength: 9.0,
            key: "public",
        };
        assert_eq!(found.payload_hex(), "00000000000000ab");
        let json = serde_json::to_string(&found).unwrap();
        assert!(json.contains("\"payload\":\"00000000000000ab\""), "{json}");
    }
}
