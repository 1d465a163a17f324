//! A badge's masks kept as run lengths: what the check after labelling
//! compares against, in memory that grows with the text's outline rather
//! than with the badge's area.
//!
//! A 16,384-px square picture's badge is 67 million pixels; its text mask
//! and alpha whole are 134 MB, but most of a row is plain box or solid ink,
//! so a row is a few hundred runs of equal (text, alpha) pairs.

use image::GrayImage;

/// Longest run one entry holds; longer stretches take several entries.
const MAX_RUN: u32 = 0xFFFF;

/// What a check of a badge compares against: the text's coverage and the
/// badge's alpha, as in the [`super::BadgeImage`] of the same label and size.
#[derive(Debug, Clone)]
pub struct BadgeMasks {
    /// Coverage of the text alone (255 = glyph ink).
    pub text_mask: GrayImage,
    /// The badge's alpha (box and text).
    pub alpha: GrayImage,
}

/// A badge's text mask and alpha, row by row, as runs of equal pairs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MaskRuns {
    width: u32,
    /// Each run as `len << 16 | text << 8 | alpha`.
    runs: Vec<u32>,
    /// Where each row's runs start in `runs`, and one past the last row.
    row_start: Vec<usize>,
}

/// One run of a row: `len` pixels of text coverage `text` and alpha `alpha`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// Pixels in the run.
    pub len: u32,
    /// Text coverage (255 = glyph ink).
    pub text: u8,
    /// The badge's alpha (box and text).
    pub alpha: u8,
}

impl MaskRuns {
    /// No rows yet, each to be `width` pixels.
    pub fn new(width: u32) -> Self {
        MaskRuns {
            width,
            runs: Vec::new(),
            row_start: vec![0],
        }
    }

    /// The runs of whole masks (of equal sizes; the shorter decides).
    pub fn from_masks(masks: &BadgeMasks) -> Self {
        let width = masks.text_mask.width().min(masks.alpha.width());
        let mut runs = MaskRuns::new(width);
        let w = width as usize;
        if w == 0 {
            return runs;
        }
        let rows = masks
            .text_mask
            .chunks_exact(masks.text_mask.width() as usize)
            .zip(masks.alpha.chunks_exact(masks.alpha.width() as usize));
        for (text, alpha) in rows {
            runs.push_row(&text[..w], alpha[..w].iter().copied());
        }
        runs
    }

    /// Appends a row: its text coverage and its alpha (the first `width`
    /// of each count).
    pub fn push_row(&mut self, text: &[u8], alpha: impl Iterator<Item = u8>) {
        let mut pairs = text
            .iter()
            .zip(alpha)
            .take(self.width as usize)
            .map(|(&t, a)| (u32::from(t) << 8) | u32::from(a));
        if let Some(first) = pairs.next() {
            let (mut current, mut len) = (first, 1u32);
            for pair in pairs {
                if pair == current && len < MAX_RUN {
                    len += 1;
                } else {
                    self.runs.push((len << 16) | current);
                    (current, len) = (pair, 1);
                }
            }
            self.runs.push((len << 16) | current);
        }
        self.row_start.push(self.runs.len());
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Rows held.
    pub fn height(&self) -> u32 {
        (self.row_start.len() - 1) as u32
    }

    /// Bytes held, for the memory figures.
    pub fn heap_bytes(&self) -> usize {
        self.runs.capacity() * 4 + self.row_start.capacity() * std::mem::size_of::<usize>()
    }

    /// The runs of row `y`, left to right (none past the last row).
    pub fn row(&self, y: u32) -> impl Iterator<Item = Run> + '_ {
        let y = y as usize;
        let span = match (self.row_start.get(y), self.row_start.get(y + 1)) {
            (Some(&a), Some(&b)) => &self.runs[a..b],
            _ => &[],
        };
        span.iter().map(|&r| Run {
            len: r >> 16,
            text: (r >> 8) as u8,
            alpha: r as u8,
        })
    }

    /// The whole masks again.
    pub fn expand(&self) -> BadgeMasks {
        let (w, h) = (self.width, self.height());
        let mut text_mask = GrayImage::new(w, h);
        let mut alpha = GrayImage::new(w, h);
        if w > 0 {
            let rows = text_mask
                .chunks_exact_mut(w as usize)
                .zip(alpha.chunks_exact_mut(w as usize));
            for (y, (text_row, alpha_row)) in rows.enumerate() {
                let mut x = 0usize;
                for run in self.row(y as u32) {
                    let end = (x + run.len as usize).min(w as usize);
                    text_row[x..end].fill(run.text);
                    alpha_row[x..end].fill(run.alpha);
                    x = end;
                }
            }
        }
        BadgeMasks { text_mask, alpha }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_come_back_as_they_went_in() {
        let (w, h) = (70_000u32, 3u32);
        let text = GrayImage::from_fn(w, h, |x, y| {
            image::Luma([match (x + y) % 9000 {
                0..=10 => 255,
                11 => (x % 256) as u8,
                _ => 0,
            }])
        });
        let alpha = GrayImage::from_fn(w, h, |x, _| {
            image::Luma([if x < 5 { x as u8 } else { 191 }])
        });
        let masks = BadgeMasks {
            text_mask: text,
            alpha,
        };
        let runs = MaskRuns::from_masks(&masks);
        assert_eq!(runs.height(), 3);
        let back = runs.expand();
        assert_eq!(back.text_mask, masks.text_mask);
        assert_eq!(back.alpha, masks.alpha);
        // A stretch longer than one run's length is split, not wrapped.
        assert!(runs.row(0).all(|r| r.len <= MAX_RUN));
        assert_eq!(runs.row(0).map(|r| r.len).sum::<u32>(), w);
        assert!(runs.heap_bytes() < (w * h) as usize / 10);
        assert_eq!(runs.row(3).count(), 0);
    }
}
