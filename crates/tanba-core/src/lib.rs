//! # tanba-core
//!
//! The traits and shared pieces of Tanba, which puts the labels Kazakhstan's
//! AI law (No. 230-VIII, Art. 21) asks for on AI-generated content: a
//! machine-readable mark **and** a perceptible warning.
//!
//! This crate holds what every media crate shares and nothing heavy:
//! - [`Labeler`], the trait a media crate implements, with [`Format`],
//!   [`Job`], [`Source`] and [`Verification`];
//! - [`Label`], the texts in Kazakh, Russian and English;
//! - [`Manifest`], the provenance record, and its Ed25519 signature
//!   ([`manifest`] has the hashing and key helpers, [`signing`] the key type);
//! - [`Limits`], given to every decoder before it allocates;
//! - [`Progress`], how long labellings report frames, media time or pages
//!   to the [`ProgressSink`] a [`Job`] may carry.
//!
//! Each item has one path: the vocabulary at the crate root, the provenance
//! helpers under [`manifest`]. The modules `atomic` (the only way output
//! reaches its final name), `xmp` (the one XMP packet builder and reader),
//! `isobmff` and `font` (the embedded Noto Sans Bold) are public only for
//! Tanba's own crates and hidden from the documentation: they are not part
//! of the stable API.

mod error;
mod label;
mod labeler;
mod limits;
pub mod manifest;
mod progress;
mod record;
mod visible;
mod watermark;

// Plumbing shared by Tanba's own crates; not part of the stable API.
#[doc(hidden)]
pub mod atomic;
#[doc(hidden)]
pub mod font;
#[doc(hidden)]
pub mod isobmff;
#[doc(hidden)]
pub mod riff;
#[doc(hidden)]
pub mod xmp;

/// The signing crate's key type, re-exported so a [`Job`] can be given a
/// key without depending on `ed25519-dalek` directly. Its API is that
/// crate's (version 2), not Tanba's.
pub mod signing {
    pub use ed25519_dalek::SigningKey;
}

pub use error::{Error, LimitKind, Result};
pub use label::{Label, LabelLine, Lang, Wording};
pub use labeler::{
    CredentialsCheck, CredentialsState, Format, Job, Labeler, Labelled, Mark, MarkKind,
    PerceptibleCheck, Position, ReadSeek, SNIFF_LEN, Source, SourceKind, Verification, WriteSeek,
    is_ai_source_type, read_all, read_head,
};
pub use limits::Limits;
pub use progress::{Progress, ProgressSink, ProgressUnit, ProgressUpdate};
pub use record::{AiSystem, Manifest, ManifestRef, Operator, Placement, SignatureState};
pub use visible::VisibleFound;
pub use watermark::{
    WATERMARK_METHOD, WatermarkFound, WatermarkKey, WatermarkRecord, payload_of_id,
};
