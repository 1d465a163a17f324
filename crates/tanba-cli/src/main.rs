//! `tanba`: labels text, PDF and pictures itself, without loading FFmpeg,
//! and hands audio, video and folders to `tanba-full` beside it.

use std::process::ExitCode;

use tanba_cli::Linked;

/// The binary with every labeler, when this build has some that need FFmpeg.
const FULLER: Option<&str> = if cfg!(any(feature = "audio-ffmpeg", feature = "video")) {
    Some("tanba-full")
} else {
    None
};

fn main() -> ExitCode {
    tanba_cli::run(Linked {
        registry: tanba::Registry::without_ffmpeg,
        fuller: FULLER,
    })
}
