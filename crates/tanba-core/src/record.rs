//! The provenance record itself: the manifest's types, their JSON forms
//! and the signature over them. Reached as `tanba_core::Manifest` (and the
//! other vocabulary types at the crate root) or, for the parts only a
//! reader of the raw record needs, through `tanba_core::manifest`.

use base64::Engine as _;
use ed25519_dalek::{Signer as _, Verifier as _};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::label::LabelLine;
use crate::manifest::{
    MANIFEST_VERSION, ascii_escape, public_key_base64, sha256_hex, write_canonical,
};
use crate::watermark::WatermarkRecord;
use crate::{Error, Result};

/// The AI system that produced the content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AiSystem {
    /// Product or model name.
    pub name: String,
    /// Version, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Who operates the AI system (the party liable under Art. 21(3)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    /// Legal or personal name.
    pub name: String,
    /// Kazakh business identification number (12 digits), where given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
}

impl Operator {
    /// An operator; the BIN, if given, must be 12 digits with a valid check digit.
    pub fn new(name: impl Into<String>, bin: Option<String>) -> Result<Self> {
        let name = name.into();
        if name.trim().is_empty() {
            return Err(Error::config("operator name is empty"));
        }
        if let Some(b) = &bin
            && !is_valid_bin(b)
        {
            return Err(Error::config(format!(
                "BIN {b:?} is not 12 digits with a valid check digit"
            )));
        }
        Ok(Operator { name, bin })
    }
}

/// Checks a Kazakh BIN/IIN: 12 digits, the last a mod-11 check digit.
pub fn is_valid_bin(bin: &str) -> bool {
    let digits: Vec<u32> = bin.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 12 || bin.len() != 12 {
        return false;
    }
    let weighted = |weights: [u32; 11]| -> u32 {
        digits.iter().zip(weights).map(|(d, w)| d * w).sum::<u32>() % 11
    };
    let mut check = weighted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    if check == 10 {
        check = weighted([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]);
        if check == 10 {
            return false;
        }
    }
    check == digits[11]
}

/// Where and how the visible (or audible) label was placed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    /// `top-left`, `bottom-right`, `start`, `prepend`, `every-page` …
    pub position: String,
    /// Pixel box `[x, y, width, height]` in the stored (not displayed) image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<[u32; 4]>,
    /// Time span `[start, duration]` in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<[f64; 2]>,
    /// 1-based page numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<Vec<u32>>,
    /// Text height in pixels or points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_size: Option<f32>,
    /// Rotation applied so the label is upright as displayed (degrees, clockwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<u32>,
    /// The container's stream that carries it (0-based, as ffprobe counts),
    /// for a label in one stream of several: a video's audible label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<u32>,
}

impl Placement {
    /// A placement with just a position name.
    pub fn at(position: impl Into<String>) -> Self {
        Placement {
            position: position.into(),
            region: None,
            span: None,
            pages: None,
            text_size: None,
            rotation: None,
            stream: None,
        }
    }
}

/// The label as recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelRecord {
    /// The texts shown, in order.
    pub lines: Vec<LabelLine>,
    /// Where they were placed.
    pub placement: Placement,
    /// Where they are also heard, when a visible label has an audible
    /// companion (a video's soundtrack with the spoken disclaimer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audible: Option<Placement>,
}

/// The TC260 / GB 45438-2025 Annex E hidden label. Printable ASCII only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aigc {
    /// "1": AI-generated.
    #[serde(rename = "Label")]
    pub label: String,
    /// Who produced the content.
    #[serde(rename = "ContentProducer")]
    pub content_producer: String,
    /// The producer's id of this item.
    #[serde(rename = "ProduceID")]
    pub produce_id: String,
    /// Reserved.
    #[serde(rename = "ReservedCode1")]
    pub reserved_code1: String,
    /// Who distributes it.
    #[serde(rename = "ContentPropagator")]
    pub content_propagator: String,
    /// The distributor's id.
    #[serde(rename = "PropagateID")]
    pub propagate_id: String,
    /// Reserved.
    #[serde(rename = "ReservedCode2")]
    pub reserved_code2: String,
}

impl Aigc {
    /// This (a producer's) label as a distributor passes it on: the
    /// producer's fields kept, `propagator` and `propagate_id` filled in.
    pub fn propagated(&self, propagator: String, propagate_id: String) -> Aigc {
        Aigc {
            content_propagator: propagator,
            propagate_id,
            ..self.clone()
        }
    }

    /// The Annex E JSON, `{"AIGC":{…}}`, with any non-ASCII escaped.
    pub fn to_json(&self) -> String {
        // Serialised from the struct, not a map, to keep Annex E's key order.
        let inner = serde_json::to_string(self).unwrap_or_default();
        ascii_escape(&format!("{{\"AIGC\":{inner}}}"))
    }

    /// Parses `{"AIGC":{…}}`.
    pub fn from_json(s: &str) -> Result<Self> {
        #[derive(Deserialize)]
        struct Wrapper {
            #[serde(rename = "AIGC")]
            aigc: Aigc,
        }
        serde_json::from_str::<Wrapper>(s.trim())
            .map(|w| w.aigc)
            .map_err(|e| Error::malformed(format!("AIGC label is not valid JSON: {e}")))
    }
}

/// A short reference to a manifest kept outside the file it describes (in
/// a sidecar or the compliance log): its id and [`Manifest::digest`]. Text
/// carriers hold this instead of the whole manifest (docs/manifest.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestRef {
    /// The manifest's id, `urn:uuid:…`.
    pub id: String,
    /// [`Manifest::digest`] of the manifest, lowercase hex.
    pub sha256: String,
}

impl ManifestRef {
    /// Compact JSON, `{"id":…,"sha256":…}`.
    pub fn to_json(&self) -> String {
        // A derived Serialize on two strings cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses the JSON [`ManifestRef::to_json`] writes.
    pub fn from_json(s: &str) -> Result<Self> {
        serde_json::from_str(s.trim()).map_err(|e| {
            Error::malformed(format!("Tanba manifest reference is not valid JSON: {e}"))
        })
    }

    /// Whether `manifest` is the one referred to.
    pub fn matches(&self, manifest: &Manifest) -> bool {
        self.id == manifest.id && self.sha256 == manifest.digest()
    }
}

/// An Ed25519 signature over the manifest's canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// Always `Ed25519`.
    pub algorithm: String,
    /// The public key, base64 (32 bytes).
    pub public_key: String,
    /// The signature, base64 (64 bytes).
    pub value: String,
}

/// What checking a manifest's signature found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum SignatureState {
    /// The manifest carries no signature.
    Unsigned,
    /// The signature matches the manifest and the key it names.
    Valid {
        /// The signer's public key, base64.
        public_key: String,
    },
    /// A signature is there and does not match.
    Invalid {
        /// Why.
        reason: String,
    },
}

/// The provenance manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version, [`MANIFEST_VERSION`].
    pub version: u32,
    /// `urn:uuid:…`, unique per labelled file.
    pub id: String,
    /// When the label was applied, RFC 3339 in UTC.
    pub created: String,
    /// MIME type of the labelled output.
    pub media_type: String,
    /// IPTC digital source type URI.
    pub digital_source_type: String,
    /// The visible label and where it is.
    pub label: LabelRecord,
    /// The AI system that made the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai_system: Option<AiSystem>,
    /// Who operates that system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<Operator>,
    /// SHA-256 of the unlabelled source, lowercase hex.
    pub source_sha256: String,
    /// SHA-256 of the label settings (texts, placement, style, provenance,
    /// the labeler's own options), lowercase hex: a rerun with other
    /// settings labels the file again instead of keeping this output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings_sha256: Option<String>,
    /// The law the label answers to.
    pub law: String,
    /// The tool that applied the label, `tanba/VERSION`.
    pub generator: String,
    /// The TC260 AIGC object.
    pub aigc: Aigc,
    /// The imperceptible watermark in the content, when one was embedded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark: Option<WatermarkRecord>,
    /// The content imitates a real person's likeness or voice, and the
    /// label (`label.lines`) is the deepfake notice (`--real-person`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub real_person: bool,
    /// The real person's name, when the operator gave it (`--person`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// Optional signature over the canonical form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Signature>,
}

impl Manifest {
    /// Compact JSON, UTF-8.
    pub fn to_json(&self) -> String {
        // A derived Serialize on plain data cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Compact JSON with every non-ASCII character escaped, for carriers
    /// that only take ASCII or Latin-1 (PNG tEXt, RIFF INFO).
    pub fn to_json_ascii(&self) -> String {
        ascii_escape(&self.to_json())
    }

    /// Indented JSON, for people.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parses a manifest and checks its version.
    pub fn from_json(s: &str) -> Result<Self> {
        let m: Manifest = serde_json::from_str(s.trim())
            .map_err(|e| Error::malformed(format!("Tanba manifest is not valid JSON: {e}")))?;
        if m.version != MANIFEST_VERSION {
            return Err(Error::unsupported(format!(
                "Tanba manifest version {} (this build reads {MANIFEST_VERSION})",
                m.version
            )));
        }
        Ok(m)
    }

    /// The bytes that are signed: the manifest without its signature, as
    /// JSON with object keys sorted and no whitespace.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut unsigned = self.clone();
        unsigned.signature = None;
        // Through the text form, not `to_value`: an `f32` (a text size) is
        // written as its shortest decimal ("14.9"), and a checker that
        // parses our JSON must get the very same bytes to sign.
        let value = serde_json::to_string(&unsigned)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or(Value::Null);
        let mut out = String::new();
        write_canonical(&value, &mut out);
        out.into_bytes()
    }

    /// SHA-256 (lowercase hex) of the whole manifest, signature included,
    /// in the canonical form of [`Manifest::canonical_bytes`]: the same
    /// however the JSON was indented or its keys ordered (a sidecar, a line
    /// of the compliance log).
    pub fn digest(&self) -> String {
        let value = serde_json::to_string(self)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or(Value::Null);
        let mut out = String::new();
        write_canonical(&value, &mut out);
        sha256_hex(out.as_bytes())
    }

    /// The watermark payload this manifest's id gives (its UUID's first
    /// 64 bits), whether or not a watermark was embedded.
    pub fn watermark_payload(&self) -> Option<u64> {
        crate::watermark::payload_of_id(&self.id)
    }

    /// The short reference to this manifest.
    pub fn reference(&self) -> ManifestRef {
        ManifestRef {
            id: self.id.clone(),
            sha256: self.digest(),
        }
    }

    /// Signs the manifest with an Ed25519 key, replacing any signature.
    pub fn sign(&mut self, key: &ed25519_dalek::SigningKey) {
        let sig = key.sign(&self.canonical_bytes());
        self.signature = Some(Signature {
            algorithm: "Ed25519".to_string(),
            public_key: public_key_base64(key),
            value: base64::engine::general_purpose::STANDARD.encode(sig.to_bytes()),
        });
    }

    /// Checks the signature against the key the manifest names.
    pub fn signature_state(&self) -> SignatureState {
        let Some(sig) = &self.signature else {
            return SignatureState::Unsigned;
        };
        let invalid = |reason: &str| SignatureState::Invalid {
            reason: reason.to_string(),
        };
        if sig.algorithm != "Ed25519" {
            return invalid("unknown signature algorithm");
        }
        let b64 = base64::engine::general_purpose::STANDARD;
        let Ok(key_bytes) = b64.decode(&sig.public_key) else {
            return invalid("public key is not base64");
        };
        let Ok(key_bytes) = <[u8; 32]>::try_from(key_bytes.as_slice()) else {
            return invalid("public key is not 32 bytes");
        };
        let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&key_bytes) else {
            return invalid("public key is not a valid Ed25519 point");
        };
        let Ok(sig_bytes) = b64.decode(&sig.value) else {
            return invalid("signature is not base64");
        };
        let Ok(signature) = ed25519_dalek::Signature::from_slice(&sig_bytes) else {
            return invalid("signature is not 64 bytes");
        };
        match key.verify(&self.canonical_bytes(), &signature) {
            Ok(()) => SignatureState::Valid {
                public_key: sig.public_key.clone(),
            },
            Err(_) => invalid("signature does not match the manifest"),
        }
    }
}
