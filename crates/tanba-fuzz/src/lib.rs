//! # tanba-fuzz
//!
//! What each coverage-guided fuzz target in `fuzz/` feeds its bytes to, in
//! one place: the targets there are one line each, and the replay test
//! (`tests/replay.rs`, run by `cargo xtask test` on stable) sends every
//! corpus and crash file through the same function, so a fixed crash stays
//! fixed. [`TARGETS`] names them all; `cargo xtask fuzz` runs them.
//!
//! A target passes when the code under it returns, whatever it returns:
//! refusing bytes with a typed error is the right answer to most of them.
//! A panic, a hang (libFuzzer's `-timeout`) or an allocation past the
//! budget (`-rss_limit_mb`) is a finding; see docs/fuzzing.md.

mod labelers;
mod parsers;

pub use labelers::{label_audio, label_image, label_pdf, label_text};
pub use parsers::{
    aiff, config, gif, id3, isobmff, jpeg, manifest, markdown, mp3, pdf_content, png, riff,
    subtitles, tiff, wav, webp, xmp,
};

/// A fuzz target's body: bytes in, nothing out (it must just return).
pub type Target = fn(&[u8]);

/// Every target, by the name of its file in `fuzz/fuzz_targets/` and of
/// its folders in `fuzz/corpus/` and `fuzz/artifacts/`.
pub const TARGETS: &[(&str, Target)] = &[
    ("jpeg", jpeg),
    ("png", png),
    ("webp", webp),
    ("gif", gif),
    ("tiff", tiff),
    ("wav", wav),
    ("aiff", aiff),
    ("riff", riff),
    ("id3", id3),
    ("mp3", mp3),
    ("isobmff", isobmff),
    ("xmp", xmp),
    ("pdf_content", pdf_content),
    ("markdown", markdown),
    ("subtitles", subtitles),
    ("manifest", manifest),
    ("config", config),
    ("label_text", label_text),
    ("label_image", label_image),
    ("label_audio", label_audio),
    ("label_pdf", label_pdf),
];

/// The target called `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|&(_, t)| t)
}
