//! Where the machine-readable marks go in each container.
//!
//! - MP4/MOV: the muxer writes the `AIGC` and `TANBA_MANIFEST` keys into
//!   `moov/udta/meta` (keys + ilst, with `movflags=use_metadata_tags`); the
//!   XMP packet goes into a top-level `uuid` box (BE7ACFCB-…) appended after
//!   muxing, since FFmpeg writes no XMP, and cover art, which that mode
//!   keeps FFmpeg from writing, is added back (`tanba_core::isobmff` both).
//! - Matroska/WebM: global tags `AIGC` and `TANBA_MANIFEST`.
//! - MPEG-TS/M2TS: the same keys as `TXXX` frames of an ID3 tag in a
//!   timed-metadata stream (`mpegts`).
//! - M2TS: none. In its 192-byte (Blu-ray/AVCHD) mode FFmpeg's muxer
//!   writes a metadata stream as an untyped private stream that readers
//!   take for audio, so the manifest goes in the sidecar
//!   `NAME.m2ts.tanba.json` the `tanba` facade writes beside the output
//!   (the text crate's format), read back here.
//! - AVI: the `AIGC` INFO item and the XMP packet in an `_PMX` chunk
//!   (`avi`).

use std::path::Path;

use ffmpeg::Dictionary;
use ffmpeg_next as ffmpeg;

use tanba_core::{Error, Limits, Manifest, Result};

use crate::probe::Container;
use crate::{avi, mpegts};

/// Metadata key of the Annex E label.
pub const KEY_AIGC: &str = "AIGC";
/// Metadata key of the Tanba manifest JSON.
pub const KEY_MANIFEST: &str = "TANBA_MANIFEST";
/// Metadata key describing the opening notice (region, text size, span), for verification.
pub const KEY_NOTICE: &str = "TANBA_NOTICE";

/// The marks a file carries, under the keys above, and its XMP packet.
pub(crate) struct Stored {
    pub meta: Dictionary<'static>,
    pub xmp: Option<String>,
}

/// Reads the marks of `path` (open as `ictx`) where its container keeps them.
pub(crate) fn read(
    ictx: &ffmpeg::format::context::Input,
    path: &Path,
    container: Container,
    limits: &Limits,
) -> Result<Stored> {
    let mut meta = if container == Container::M2ts {
        sidecar(path, limits)?
    } else if container.is_ts() {
        mpegts::read_marks(path, limits)?
    } else {
        ictx.metadata().to_owned()
    };
    if container == Container::Avi
        && let Some(notice) = meta.get(avi::INFO_NOTICE).map(str::to_owned)
    {
        meta.set(KEY_NOTICE, &notice);
    }
    let xmp = if container.is_iso() {
        tanba_core::isobmff::find_xmp(&mut std::fs::File::open(path)?)?
    } else if container == Container::Avi {
        avi::find_xmp(path)?
    } else {
        None
    };
    Ok(Stored { meta, xmp })
}

/// Where the keys and the XMP packet are, in words, for the report.
pub(crate) fn carriers(container: Container) -> (&'static str, &'static str) {
    match container {
        Container::Mp4 | Container::Mov => ("moov/udta/meta key", "uuid box BE7ACFCB (XMP)"),
        Container::Matroska | Container::WebM => ("Matroska tag", "XMP"),
        Container::MpegTs => ("timed-ID3 stream TXXX", "XMP"),
        Container::M2ts => ("sidecar NAME.m2ts.tanba.json", "XMP"),
        Container::Avi => ("LIST/INFO item", "_PMX chunk (XMP)"),
    }
}

/// What the sidecar's name adds to the file's (`tanba_text::SIDECAR_SUFFIX`).
const SIDECAR_SUFFIX: &str = ".tanba.json";

/// The manifest of the sidecar beside `path`, under the metadata keys;
/// empty when there is none. Refused past `max_text_bytes` before reading.
fn sidecar(path: &Path, limits: &Limits) -> Result<Dictionary<'static>> {
    let mut meta = Dictionary::new();
    let mut name = path.as_os_str().to_owned();
    name.push(SIDECAR_SUFFIX);
    let side = std::path::PathBuf::from(name);
    let Ok(info) = std::fs::metadata(&side) else {
        return Ok(meta);
    };
    limits.check_text_bytes(info.len())?;
    let text = std::fs::read_to_string(&side).map_err(|e| Error::from(e).at(&side))?;
    let manifest = Manifest::from_json(&text).map_err(|e| e.at(&side))?;
    meta.set(KEY_AIGC, &manifest.aigc.to_json());
    meta.set(KEY_MANIFEST, &manifest.to_json());
    Ok(meta)
}
