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
//! - [`Manifest`], the provenance record, and its Ed25519 signature;
//! - [`xmp`], the one XMP packet builder and reader;
//! - [`Limits`], given to every decoder before it allocates;
//! - [`atomic::write_atomic`], the only way output reaches its final name;
//! - [`font::LABEL_FONT`], the embedded Noto Sans Bold.

pub mod atomic;
pub mod error;
pub mod font;
pub mod isobmff;
pub mod label;
pub mod labeler;
pub mod limits;
pub mod manifest;
pub mod xmp;

pub use ed25519_dalek::SigningKey;
pub use error::{Error, LimitKind, Result};
pub use label::{Label, LabelLine, Lang, Wording};
pub use labeler::{
    CredentialsCheck, CredentialsState, Format, Job, Labeler, Labelled, Mark, MarkKind,
    PerceptibleCheck, Position, ReadSeek, SNIFF_LEN, Source, SourceKind, Verification, WriteSeek,
    read_all, read_head,
};
pub use limits::Limits;
pub use manifest::{AiSystem, Manifest, Operator, Placement, SignatureState};
