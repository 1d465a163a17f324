//! Video: the picture mark on every frame's 8-bit luma plane, and a
//! detector that reads it from the sum of a few seconds of frames.
//!
//! One delta plane serves every frame of a size (no informed embedding:
//! the content changes from frame to frame), so marking a frame is one
//! pass of additions. Summing frames adds the mark, which stays put, while
//! moving content averages out.

use tanba_core::Error;

use crate::resample::Plane;
use crate::{Detection, Key, MIN_PICTURE_SIDE, detect_base, first_shrink, plain_delta};

/// Marks frames of one size with one payload.
#[derive(Debug, Clone)]
pub struct FrameMarker {
    width: usize,
    height: usize,
    /// The luma difference, rounded to whole levels, row by row.
    delta: Vec<i8>,
}

impl FrameMarker {
    /// The marker of `width` x `height` frames carrying `payload`.
    ///
    /// Refuses frames whose shorter side is under [`MIN_PICTURE_SIDE`].
    pub fn new(width: u32, height: u32, payload: u64, key: Key) -> Result<FrameMarker, Error> {
        if width.min(height) < MIN_PICTURE_SIDE {
            return Err(Error::cannot_label(format!(
                "frames {width}x{height} are too small for the watermark (shorter side under {MIN_PICTURE_SIDE} px)"
            )));
        }
        let (w, h) = (width as usize, height as usize);
        let plane = plain_delta(w, h, payload, key);
        let delta = plane
            .data
            .iter()
            .map(|d| d.round().clamp(-127.0, 127.0) as i8)
            .collect();
        Ok(FrameMarker {
            width: w,
            height: h,
            delta,
        })
    }

    /// Adds the mark to one frame's luma plane (`stride` bytes a row, at
    /// least the width; the size given to [`FrameMarker::new`]). A plane
    /// shorter than that is marked as far as it goes.
    pub fn apply(&self, luma: &mut [u8], stride: usize) {
        let stride = stride.max(self.width);
        for (row, d) in luma
            .chunks_mut(stride)
            .zip(self.delta.chunks_exact(self.width))
            .take(self.height)
        {
            for (p, &d) in row.iter_mut().zip(d) {
                *p = (i16::from(*p) + i16::from(d)).clamp(0, 255) as u8;
            }
        }
    }
}

/// Accumulates frames and reads the mark from their sum.
#[derive(Debug, Clone)]
pub struct FrameDetector {
    key: Key,
    /// One running sum per frame size: (width, height, frames, shrunk sum).
    sums: Vec<(usize, usize, usize, Plane)>,
}

impl FrameDetector {
    /// A detector for marks made with `key`.
    pub fn new(key: Key) -> Self {
        FrameDetector {
            key,
            sums: Vec::new(),
        }
    }

    /// Adds one frame's 8-bit luma plane (`stride` bytes a row). Frames too
    /// small to carry the mark, or whose plane is shorter than the size
    /// says, are ignored.
    pub fn push(&mut self, luma: &[u8], width: u32, height: u32, stride: usize) {
        let (w, h) = (width as usize, height as usize);
        let stride = stride.max(w);
        if w.min(h) < crate::MIN_SIDE_SEEN || luma.len() < stride * (h - 1) + w {
            return;
        }
        let mut data = Vec::with_capacity(w * h);
        for row in luma.chunks(stride).take(h) {
            data.extend(row[..w].iter().map(|&v| f32::from(v)));
        }
        let shrunk = first_shrink(&Plane { w, h, data });
        match self
            .sums
            .iter_mut()
            .find(|(sw, sh, _, _)| (*sw, *sh) == (w, h))
        {
            Some((_, _, n, sum)) => {
                *n += 1;
                sum.data
                    .iter_mut()
                    .zip(&shrunk.data)
                    .for_each(|(s, v)| *s += v);
            }
            None => self.sums.push((w, h, 1, shrunk)),
        }
    }

    /// The mark read from the frames pushed so far (the size pushed most
    /// often), if they carry one.
    pub fn detect(&self) -> Option<Detection> {
        let (w, h, n, sum) = self.sums.iter().max_by_key(|(_, _, n, _)| *n)?;
        let k = 1.0 / *n as f32;
        let mean = Plane {
            w: sum.w,
            h: sum.h,
            data: sum.data.iter().map(|s| s * k).collect(),
        };
        detect_base(&mean, (*w, *h), self.key)
    }
}
