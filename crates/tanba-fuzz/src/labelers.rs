//! One function per labeler: its whole `label` on the bytes, then
//! `verify` on the output and on the input, with small [`Limits`] so that
//! a run stays fast and a budget bug shows as a slow input or an OOM.

use std::io::Cursor;
use std::panic::AssertUnwindSafe;
use std::sync::Once;

use tanba_core::{Job, Labeler, Limits, SNIFF_LEN, Source};
use tanba_image::ImageLabeler;
use tanba_pdf::PdfLabeler;
use tanba_text::TextLabeler;

use tanba_audio::AudioLabeler;

/// Small enough that the labelers' own checks, not the fuzzer's budget,
/// stop big inputs: 1 MB, 512 × 512 pixels, 30 s, 16 frames.
fn small() -> Limits {
    Limits {
        max_bytes: 1 << 20,
        max_pixels: 512 * 512,
        max_dimension: 4096,
        max_duration_ms: 30_000,
        max_objects: 10_000,
        max_text_bytes: 1 << 20,
        max_frames: 16,
        max_animation_pixels: 16 * 512 * 512,
    }
}

/// Runs `body`, aborting (a crash, for libFuzzer) only on a panic that
/// escapes it. libfuzzer-sys aborts on every panic, but tanba-audio
/// catches the ones its decoding library raises on malformed headers and
/// refuses the file with a typed error (`decode.rs`, `guarded`): that is
/// its design, not a finding.
fn escaping_panics_only(body: impl FnOnce()) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let _aborting = std::panic::take_hook();
        std::panic::set_hook(Box::new(|info| eprintln!("{info}")));
    });
    if std::panic::catch_unwind(AssertUnwindSafe(body)).is_err() {
        std::process::abort();
    }
}

/// Labels `bytes` (when the labeler takes them), verifies the output,
/// then verifies the input itself; a panic out of either is a crash.
fn label_then_verify(labeler: &dyn Labeler, bytes: &[u8]) {
    escaping_panics_only(|| label_then_verify_inner(labeler, bytes));
}

fn label_then_verify_inner(labeler: &dyn Labeler, bytes: &[u8]) {
    let head = &bytes[..bytes.len().min(SNIFF_LEN)];
    let Some(format) = labeler.sniff(head, None) else {
        return;
    };
    if labeler.declines(head, None).is_some() {
        return;
    }
    let limits = small();
    // No watermark: its signal processing is fuzzed by nothing here and
    // would take most of each run.
    let job = Job::new().with_limits(limits).with_watermark(None);
    let mut output = Cursor::new(Vec::new());
    let mut input = Cursor::new(bytes);
    if let Ok(labelled) = labeler.label(source(&mut input, format), &mut output, &job) {
        let out = output.into_inner();
        let _ = labeler.verify(source(&mut Cursor::new(&out[..]), labelled.format), &limits);
    }
    let _ = labeler.verify(source(&mut Cursor::new(bytes), format), &limits);
}

/// A source over bytes in memory, as the CLI makes for standard input.
fn source<'a>(reader: &'a mut Cursor<&'a [u8]>, format: &'static tanba_core::Format) -> Source<'a> {
    let len = reader.get_ref().len() as u64;
    Source {
        reader,
        format,
        path: None,
        len,
    }
}

/// Plain text, Markdown, HTML, SubRip and WebVTT through `TextLabeler`.
pub fn label_text(bytes: &[u8]) {
    label_then_verify(&TextLabeler::default(), bytes);
}

/// JPEG, PNG, WebP, GIF, TIFF, BMP and SVG through `ImageLabeler`.
pub fn label_image(bytes: &[u8]) {
    label_then_verify(&ImageLabeler::default(), bytes);
}

/// WAV, AIFF, FLAC, MP3, Ogg … through `AudioLabeler` (without FFmpeg).
pub fn label_audio(bytes: &[u8]) {
    label_then_verify(&AudioLabeler::default(), bytes);
}

/// PDF through `PdfLabeler`.
pub fn label_pdf(bytes: &[u8]) {
    label_then_verify(&PdfLabeler::default(), bytes);
}
