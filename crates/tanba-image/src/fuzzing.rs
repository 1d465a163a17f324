//! Entry points for the fuzz targets in `fuzz/` and their replay test
//! (crate `tanba-fuzz`): each feeds untrusted bytes to one of this crate's
//! hand-written container parsers. Behind the `fuzzing` feature; not API.
//! A parser may refuse the bytes; it must not panic, hang or balloon.

use crate::{apng, exif, gif, jpeg, png, tiff, webp, webp_anim};

/// JPEG markers and segments (SOF, DQT, APP1 EXIF/XMP, COM).
pub fn jpeg(bytes: &[u8]) {
    if let Ok(h) = jpeg::parse(bytes) {
        let _ = h;
    }
    let _ = jpeg::inspect(bytes);
}

/// PNG chunks, the header and the APNG animation chunks.
pub fn png(bytes: &[u8]) {
    if let Ok(chunks) = png::chunks(bytes)
        && let Ok(header) = png::header(&chunks)
    {
        let _ = apng::animation(&chunks);
        let _ = apng::budget(&chunks, &header);
    }
    let _ = png::inspect(bytes);
}

/// The WebP RIFF container, its animation frames and the VP8 quality guess.
pub fn webp(bytes: &[u8]) {
    if let Ok(chunks) = webp::chunks(bytes) {
        let _ = webp_anim::durations(&chunks);
        let _ = webp_anim::budget(&chunks, 64, 64);
        for c in &chunks {
            let _ = webp::estimate_quality(c.data);
        }
    }
    let _ = webp::inspect(bytes);
}

/// GIF blocks and extensions.
pub fn gif(bytes: &[u8]) {
    let _ = gif::parse(bytes);
    let _ = gif::inspect(bytes);
}

/// TIFF IFDs, as a TIFF file and as an EXIF block (read and rewritten).
pub fn tiff(bytes: &[u8]) {
    let _ = tiff::inspect(bytes);
    let _ = exif::user_comment(bytes);
    let _ = exif::replaced_comment_note(Some(bytes));
    let _ = exif::with_user_comment(Some(bytes), "AI", true);
}
