//! Resource limits handed to every decoder before it allocates.

use serde::{Deserialize, Serialize};

use crate::error::LimitKind;
use crate::{Error, Result};

/// Upper bounds on what a decoder may be asked to hold.
///
/// Each labeler checks the sizes a file *claims* (header dimensions, sample
/// counts, object counts) against these before allocating for them, so a
/// 100 kB file that claims 100,000 x 100,000 pixels is refused cheaply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest input file, in bytes.
    pub max_bytes: u64,
    /// Largest image or frame area, in pixels.
    pub max_pixels: u64,
    /// Largest width or height, in pixels.
    pub max_dimension: u32,
    /// Longest audio or video, in milliseconds.
    pub max_duration_ms: u64,
    /// Most objects in one file (PDF objects, cues, …).
    pub max_objects: u64,
    /// Largest text, Markdown, HTML or subtitle file, in bytes: these are
    /// read whole into memory, so they are refused past this before reading.
    pub max_text_bytes: u64,
    /// Most frames in one animation (GIF, animated WebP/PNG).
    pub max_frames: u64,
    /// Most pixels over all frames of one animation: the decoding budget
    /// of a file whose frames are each within `max_pixels`.
    pub max_animation_pixels: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 16 * 1024 * 1024 * 1024,
            max_pixels: 256 * 1024 * 1024,
            max_dimension: 65_535,
            max_duration_ms: 24 * 3600 * 1000,
            max_objects: 10_000_000,
            max_text_bytes: 256 * 1024 * 1024,
            max_frames: 10_000,
            max_animation_pixels: 2 * 1024 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// Refuses an input larger than `max_bytes`.
    pub fn check_bytes(&self, bytes: u64) -> Result<()> {
        check(LimitKind::Bytes, bytes, self.max_bytes)
    }

    /// Refuses an image whose sides or area exceed the limits.
    pub fn check_dimensions(&self, width: u32, height: u32) -> Result<()> {
        check(
            LimitKind::Dimension,
            u64::from(width.max(height)),
            u64::from(self.max_dimension),
        )?;
        check(
            LimitKind::Pixels,
            u64::from(width) * u64::from(height),
            self.max_pixels,
        )
    }

    /// Refuses a duration longer than `max_duration_ms`.
    pub fn check_duration_ms(&self, ms: u64) -> Result<()> {
        check(LimitKind::DurationMs, ms, self.max_duration_ms)
    }

    /// Refuses more than `max_objects` objects.
    pub fn check_objects(&self, count: u64) -> Result<()> {
        check(LimitKind::Objects, count, self.max_objects)
    }
}

impl Limits {
    /// Refuses a text file larger than `max_text_bytes`.
    pub fn check_text_bytes(&self, bytes: u64) -> Result<()> {
        check(LimitKind::TextBytes, bytes, self.max_text_bytes)
    }

    /// Refuses an animation of more than `max_frames` frames, or whose
    /// frames add up to more than `max_animation_pixels`.
    pub fn check_animation(&self, frames: u64, total_pixels: u64) -> Result<()> {
        check(LimitKind::Frames, frames, self.max_frames)?;
        check(
            LimitKind::AnimationPixels,
            total_pixels,
            self.max_animation_pixels,
        )
    }
}

fn check(kind: LimitKind, value: u64, max: u64) -> Result<()> {
    if value > max {
        Err(Error::limit(kind, value, max))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claimed_giant_image_is_refused() {
        let l = Limits::default();
        assert!(l.check_dimensions(4000, 3000).is_ok());
        let e = l.check_dimensions(100_000, 100_000);
        assert!(matches!(
            e,
            Err(Error::LimitExceeded {
                kind: LimitKind::Dimension,
                ..
            })
        ));
        let tight = Limits {
            max_pixels: 100,
            ..l
        };
        assert!(matches!(
            tight.check_dimensions(11, 10),
            Err(Error::LimitExceeded {
                kind: LimitKind::Pixels,
                value: 110,
                max: 100,
                ..
            })
        ));
    }
}
