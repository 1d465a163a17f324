//! The one error type of every Tanba crate.
//!
//! Each variant names the file (once the caller knows it, see
//! [`Error::at`]) and says why, so a bulk job can print a failure on one line.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// A `Result` whose error is Tanba's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which resource limit was exceeded; see [`crate::Limits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitKind {
    /// Input size in bytes.
    Bytes,
    /// Image or frame area in pixels.
    Pixels,
    /// Image or frame width or height in pixels.
    Dimension,
    /// Playing time in milliseconds.
    DurationMs,
    /// Count of objects (PDF objects, subtitle cues …).
    Objects,
    /// Size of a text file read whole, in bytes.
    TextBytes,
    /// Frames of an animation.
    Frames,
    /// Pixels over all frames of an animation.
    AnimationPixels,
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitKind::Bytes => "bytes",
            LimitKind::Pixels => "pixels",
            LimitKind::Dimension => "pixels on one side",
            LimitKind::DurationMs => "milliseconds of duration",
            LimitKind::Objects => "objects",
            LimitKind::TextBytes => "bytes of text",
            LimitKind::Frames => "animation frames",
            LimitKind::AnimationPixels => "pixels over all animation frames",
        })
    }
}

/// Everything that can go wrong while labelling or verifying a file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No labeler handles this content (sniffed by content, not by name).
    #[error("{}: unsupported format: {reason}", show(.path))]
    Unsupported {
        /// The file, once known.
        path: Option<PathBuf>,
        /// Why it is not supported.
        reason: String,
    },
    /// The content claims to be a supported format but cannot be parsed.
    #[error("{}: malformed input: {reason}", show(.path))]
    Malformed {
        /// The file, once known.
        path: Option<PathBuf>,
        /// What is wrong with it.
        reason: String,
    },
    /// The content is encrypted or DRM-protected.
    #[error("{}: encrypted input: {reason}", show(.path))]
    Encrypted {
        /// The file, once known.
        path: Option<PathBuf>,
        /// What kind of encryption was found.
        reason: String,
    },
    /// A [`crate::Limits`] value was exceeded; checked before allocating.
    #[error("{}: limit exceeded: {value} {kind} > {max} allowed", show(.path))]
    LimitExceeded {
        /// The file, once known.
        path: Option<PathBuf>,
        /// Which limit.
        kind: LimitKind,
        /// What the input asks for.
        value: u64,
        /// The limit in force.
        max: u64,
    },
    /// The input already carries a Tanba mark; labelling again would stack labels.
    #[error("{}: already labelled (use --force to label again)", show(.path))]
    AlreadyLabelled {
        /// The file, once known.
        path: Option<PathBuf>,
    },
    /// The label cannot be drawn legibly (for example an image too small).
    #[error("{}: cannot place the label: {reason}", show(.path))]
    CannotLabel {
        /// The file, once known.
        path: Option<PathBuf>,
        /// Why.
        reason: String,
    },
    /// The labelled output, read back by the labeler's own `verify`, lacks
    /// the machine-readable mark or the perceptible label; it was removed.
    #[error("{}: labelled output did not verify: {reason}", show(.path))]
    Unverified {
        /// The file, once known.
        path: Option<PathBuf>,
        /// What the check missed.
        reason: String,
    },
    /// A setting given by the caller is invalid (bad key, bad option).
    #[error("{}invalid setting: {reason}", setting_source(.path))]
    Config {
        /// The file the setting came from, if any.
        path: Option<PathBuf>,
        /// What is wrong.
        reason: String,
    },
    /// Reading or writing failed.
    #[error("{}: {source}", show(.path))]
    Io {
        /// The file, once known.
        path: Option<PathBuf>,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// Binds the `path` field of whichever variant `$error` is: every variant
/// carries one, and this is the one list of them.
macro_rules! with_path {
    ($error:expr, $path:ident => $then:expr) => {
        match $error {
            Error::Unsupported { $path, .. }
            | Error::Malformed { $path, .. }
            | Error::Encrypted { $path, .. }
            | Error::LimitExceeded { $path, .. }
            | Error::AlreadyLabelled { $path }
            | Error::CannotLabel { $path, .. }
            | Error::Unverified { $path, .. }
            | Error::Config { $path, .. }
            | Error::Io { $path, .. } => $then,
        }
    };
}

/// A setting from a file names the file; one from the command line needs
/// no prefix.
fn setting_source(path: &Option<PathBuf>) -> String {
    path.as_ref()
        .map(|p| format!("{}: ", p.display()))
        .unwrap_or_default()
}

fn show(path: &Option<PathBuf>) -> String {
    match path {
        Some(p) => p.display().to_string(),
        None => "<input>".to_string(),
    }
}

impl Error {
    /// A malformed-input error.
    pub fn malformed(reason: impl Into<String>) -> Self {
        Error::Malformed {
            path: None,
            reason: reason.into(),
        }
    }

    /// An unsupported-format error.
    pub fn unsupported(reason: impl Into<String>) -> Self {
        Error::Unsupported {
            path: None,
            reason: reason.into(),
        }
    }

    /// An encrypted-input error.
    pub fn encrypted(reason: impl Into<String>) -> Self {
        Error::Encrypted {
            path: None,
            reason: reason.into(),
        }
    }

    /// A limit error.
    pub fn limit(kind: LimitKind, value: u64, max: u64) -> Self {
        Error::LimitExceeded {
            path: None,
            kind,
            value,
            max,
        }
    }

    /// The input already carries our mark.
    pub fn already_labelled() -> Self {
        Error::AlreadyLabelled { path: None }
    }

    /// The label cannot be placed legibly.
    pub fn cannot_label(reason: impl Into<String>) -> Self {
        Error::CannotLabel {
            path: None,
            reason: reason.into(),
        }
    }

    /// An invalid setting.
    pub fn config(reason: impl Into<String>) -> Self {
        Error::Config {
            path: None,
            reason: reason.into(),
        }
    }

    /// An output that did not verify.
    pub fn unverified(reason: impl Into<String>) -> Self {
        Error::Unverified {
            path: None,
            reason: reason.into(),
        }
    }

    /// Attaches the file name, unless one is already set.
    #[must_use]
    pub fn at(mut self, file: &Path) -> Self {
        let slot = self.path_slot();
        if slot.is_none() {
            *slot = Some(file.to_path_buf());
        }
        self
    }

    /// The file this error is about, if known.
    pub fn path(&self) -> Option<&Path> {
        with_path!(self, path => path.as_deref())
    }

    /// Every variant's path, to fill in.
    fn path_slot(&mut self) -> &mut Option<PathBuf> {
        with_path!(self, path => path)
    }

    /// A short stable name of the variant, for reports and exit codes.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Error::Unsupported { .. } => "unsupported",
            Error::Malformed { .. } => "malformed",
            Error::Encrypted { .. } => "encrypted",
            Error::LimitExceeded { .. } => "limit-exceeded",
            Error::AlreadyLabelled { .. } => "already-labelled",
            Error::CannotLabel { .. } => "cannot-label",
            Error::Unverified { .. } => "unverified",
            Error::Config { .. } => "config",
            Error::Io { .. } => "io",
        }
    }
}

impl From<io::Error> for Error {
    fn from(source: io::Error) -> Self {
        // A decoder reading past the end of a truncated file is malformed
        // input, not an I/O failure of the machine.
        if source.kind() == io::ErrorKind::UnexpectedEof {
            return Error::malformed(format!("truncated: {source}"));
        }
        Error::Io { path: None, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_file_and_reason() {
        let e = Error::malformed("bad header").at(Path::new("a/b.png"));
        assert_eq!(e.to_string(), "a/b.png: malformed input: bad header");
        let e = Error::limit(LimitKind::Pixels, 10, 5).at(Path::new("x.png"));
        assert_eq!(
            e.to_string(),
            "x.png: limit exceeded: 10 pixels > 5 allowed"
        );
    }

    #[test]
    fn a_setting_without_a_file_has_no_placeholder() {
        assert_eq!(
            Error::config("bad flag").to_string(),
            "invalid setting: bad flag"
        );
        assert_eq!(
            Error::config("bad key")
                .at(Path::new("tanba.toml"))
                .to_string(),
            "tanba.toml: invalid setting: bad key"
        );
    }

    #[test]
    fn first_path_wins() {
        let e = Error::already_labelled()
            .at(Path::new("inner"))
            .at(Path::new("outer"));
        assert_eq!(e.path(), Some(Path::new("inner")));
    }

    #[test]
    fn eof_is_truncation() {
        let e: Error = io::Error::new(io::ErrorKind::UnexpectedEof, "eof").into();
        assert_eq!(e.kind_name(), "malformed");
    }
}
