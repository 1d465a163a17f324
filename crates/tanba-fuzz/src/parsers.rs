//! One function per hand-written parser: the crates' own `fuzzing`
//! entry points, and tanba-core's parsers, which are public already.

use std::io::Cursor;
use std::sync::OnceLock;

use tanba_core::manifest::{Aigc, ManifestRef};
use tanba_core::{Job, Manifest, Placement, isobmff, riff as core_riff, xmp as core_xmp};

pub use tanba_audio::fuzzing::{aiff, id3, mp3, riff_wav as wav};
pub use tanba_cli::fuzzing::config;
pub use tanba_image::fuzzing::{gif, jpeg, png, tiff, webp};
pub use tanba_pdf::fuzzing::content as pdf_content;
pub use tanba_text::fuzzing::{markdown, subtitles};

/// The deepest box nesting followed (real files nest about 8 deep).
const MAX_BOX_DEPTH: usize = 16;

/// ISO-BMFF boxes (`tanba_core::isobmff`): the top level read from a
/// file, the XMP `uuid` box looked for, and every box's children walked.
pub fn isobmff(bytes: &[u8]) {
    let _ = isobmff::top_level_boxes(&mut Cursor::new(bytes));
    let _ = isobmff::find_xmp(&mut Cursor::new(bytes));
    walk_boxes(bytes, 0);
}

fn walk_boxes(bytes: &[u8], depth: usize) {
    if depth > MAX_BOX_DEPTH {
        return;
    }
    for child in isobmff::children(bytes) {
        let Ok((_, body)) = child else {
            return;
        };
        walk_boxes(body, depth + 1);
    }
}

/// RIFF `LIST` items (`tanba_core::riff`), as WebP and WAV read them.
pub fn riff(bytes: &[u8]) {
    let _ = core_riff::list_items(bytes);
}

/// An XMP packet found in any bytes, read for our marks and merged with
/// a manifest as relabelling does.
pub fn xmp(bytes: &[u8]) {
    let packet = match core_xmp::find_packet(bytes) {
        Some(p) => p.to_string(),
        None => String::from_utf8_lossy(bytes).into_owned(),
    };
    let _ = core_xmp::read(&packet);
    let _ = core_xmp::merge(&packet, sample_manifest());
}

/// The provenance manifest, its reference and the AIGC object as JSON,
/// with the checks `verify` runs on a manifest it found.
pub fn manifest(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    if let Ok(m) = Manifest::from_json(&text) {
        let _ = m.signature_state();
        let _ = m.digest();
        let _ = m.watermark_payload();
        let _ = m.reference();
        let _ = Manifest::from_json(&m.to_json_ascii());
    }
    if let Ok(r) = ManifestRef::from_json(&text) {
        let _ = r.matches(sample_manifest());
    }
    let _ = Aigc::from_json(&text);
}

/// One manifest, made once (key generation is slow).
fn sample_manifest() -> &'static Manifest {
    static SAMPLE: OnceLock<Manifest> = OnceLock::new();
    SAMPLE.get_or_init(|| Job::new().manifest("text/plain", Placement::at("start")))
}
