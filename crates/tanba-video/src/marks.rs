//! Where the machine-readable marks go in each container.
//!
//! - MP4/MOV: the muxer writes the `AIGC` and `TANBA_MANIFEST` keys into
//!   `moov/udta/meta` (keys + ilst, with `movflags=use_metadata_tags`); the
//!   XMP packet goes into a top-level `uuid` box (BE7ACFCB-…) appended after
//!   muxing, since FFmpeg writes no XMP, and cover art, which that mode
//!   keeps FFmpeg from writing, is added back (`tanba_core::isobmff` both).
//! - Matroska/WebM: global tags `AIGC` and `TANBA_MANIFEST`.

/// Metadata key of the Annex E label.
pub const KEY_AIGC: &str = "AIGC";
/// Metadata key of the Tanba manifest JSON.
pub const KEY_MANIFEST: &str = "TANBA_MANIFEST";
/// Metadata key describing the opening notice (region, text size, span), for verification.
pub const KEY_NOTICE: &str = "TANBA_NOTICE";
