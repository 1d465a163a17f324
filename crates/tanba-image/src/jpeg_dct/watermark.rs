//! The imperceptible mark added in the coefficient domain, one MCU row at
//! a time as the blocks pass through (before the badge is drawn, as the
//! full re-encode does on pixels): on the scan's decoding thread when it
//! has one (see `codec::run`), as the writer has the more work.
//!
//! The mark adds one value to R, G and B alike, which changes luma only
//! (the BT.601 weights sum to 1) and leaves Cb and Cr as they are. Each
//! luma block gets the DCT of its share of the smooth field
//! ([`tanba_watermark::Field::block_dct`]), added to its dequantised
//! coefficients and quantised again with the source's own table: a term
//! whose change rounds to zero stays untouched. The DC term's rounding
//! error is carried to the next block of the row (error diffusion), so a
//! field smaller than one DC step (2 luma levels at quality 50) still
//! moves each cell's mean by its own amount rather than by 0 or a step.
//!
//! The mark is the blind one (every bit at the base amplitude, as video
//! frames get): an informed mark needs the picture's block means before
//! the first row is written, a second Huffman decode of the whole scan
//! that cost about 30 % of the label and read no better (measured, see
//! docs/watermark.md). Pictures whose shorter side is under 2048 px are
//! marked on their pixels by the full re-encode, whose SSIM floor needs
//! them; so are pictures found saturated as the rows pass (see
//! [`SATURATED_MAX`]): the caller drops this path's output for them.

use tanba_watermark::{DCT_TERMS, Field};

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use super::frame::Frame;
use super::region::RowBlocks;
use crate::jpeg::ZIGZAG;
use crate::mark::{Watermark, key_of};
use tanba_core::Result;

/// The mark of one picture, ready to add to its luma blocks.
pub(crate) struct DctMark {
    field: Field,
    /// The luma quantisation table, natural order.
    q: [u16; 64],
    /// Each chroma component's DC step (none for grey).
    chroma_q0: Vec<f32>,
    /// The luma step of each kept term, `v * DCT_TERMS + u`.
    steps: [f32; KEPT],
    /// Zig-zag index of each kept term, `v * DCT_TERMS + u`.
    zz: [usize; KEPT],
    /// Luma blocks seen, and how many of them had a saturated mean colour.
    /// Atomic: the rows may be marked on the scan's decoding thread.
    seen: AtomicUsize,
    saturated: AtomicUsize,
}

impl DctMark {
    /// The mark for frame `f`; `None` when this path cannot carry it: a
    /// picture under 2048 px on its shorter side (the SSIM floor needs
    /// pixels), or a luma component sampled below the frame's maximum.
    pub(crate) fn new(f: &Frame<'_>, mark: &Watermark) -> Result<Option<DctMark>> {
        let (w, h) = (f.width as u32, f.height as u32);
        let Some(luma) = f.comps.first() else {
            return Ok(None);
        };
        let Some(q) = f.qt[luma.tq] else {
            return Ok(None);
        };
        if Field::needs_pixels(w, h) || (luma.h, luma.v) != f.max_sampling() {
            return Ok(None);
        }
        let field = Field::plain(w, h, mark.payload, key_of(mark.key))?;
        let mut zz = [0usize; KEPT];
        for (k, &n) in ZIGZAG.iter().enumerate() {
            let (v, u) = (n / 8, n % 8);
            if v < DCT_TERMS && u < DCT_TERMS {
                zz[v * DCT_TERMS + u] = k;
            }
        }
        let steps = std::array::from_fn(|i| f32::from(q[i / DCT_TERMS * 8 + i % DCT_TERMS]));
        let chroma_q0 = f.comps[1..]
            .iter()
            .map(|c| f.qt[c.tq].map_or(1.0, |t| f32::from(t[0])))
            .collect();
        Ok(Some(DctMark {
            field,
            q,
            chroma_q0,
            steps,
            zz,
            seen: AtomicUsize::new(0),
            saturated: AtomicUsize::new(0),
        }))
    }

    /// Whether more than [`SATURATED_MAX`] of the luma blocks seen had a
    /// saturated mean colour: the caller then re-encodes the picture,
    /// whose mark the pixel path hands to the unsaturated channels.
    pub(crate) fn too_saturated(&self) -> bool {
        self.saturated.load(Relaxed) as f32 > SATURATED_MAX * self.seen.load(Relaxed).max(1) as f32
    }

    /// Counts the saturated luma blocks of MCU row `blocks` (before the
    /// mark is added), from each block's DC and its MCU's chroma DCs.
    fn count_saturated(&self, f: &Frame<'_>, blocks: &RowBlocks) {
        let (Some(luma), Some(c)) = (blocks.first(), f.comps.first()) else {
            return;
        };
        if self.chroma_q0.len() != 2 {
            return;
        }
        let cols = f.mcus().0;
        let across = cols * c.h;
        let mut saturated = 0;
        for (i, b) in luma.iter().enumerate() {
            let col = (i % across) / c.h;
            let chroma = |ci: usize| {
                let comp = &f.comps[ci];
                f32::from(blocks[ci][col * comp.h][0]) * self.chroma_q0[ci - 1] / 8.0 + 128.0
            };
            let y = f32::from(b[0]) * f32::from(self.q[0]) / 8.0 + 128.0;
            if clips(y, chroma(1), chroma(2)) {
                saturated += 1;
            }
        }
        self.seen.fetch_add(luma.len(), Relaxed);
        self.saturated.fetch_add(saturated, Relaxed);
    }

    /// Adds the mark to the luma blocks of MCU row `row`, in place.
    pub(crate) fn row(&self, f: &Frame<'_>, row: usize, blocks: &mut RowBlocks) {
        self.count_saturated(f, blocks);
        let Some((luma, c)) = blocks.first_mut().zip(f.comps.first()) else {
            return;
        };
        let across = f.mcus().0 * c.h;
        for (by, line) in luma.chunks_exact_mut(across).take(c.v).enumerate() {
            let rows = self.field.block_row(row * c.v + by);
            let mut carry = 0f32;
            for (bx, block) in line.iter_mut().enumerate() {
                let mut want = [0f32; KEPT];
                want.copy_from_slice(self.field.block_dct(&rows, bx).as_flattened());
                want[0] += carry;
                let change = self.changes(&want);
                carry = want[0] - change[0] as f32 * self.steps[0];
                self.add(block, &change);
            }
        }
    }

    /// Each kept term's change in quantised units: `want / step` rounded
    /// half away from zero, every term at once in straight loops (no
    /// branch, so the divides and rounds vectorise; the same operations
    /// as one term at a time, so the same results).
    #[inline]
    fn changes(&self, want: &[f32; KEPT]) -> [i32; KEPT] {
        let mut v = [0f32; KEPT];
        for ((v, w), s) in v.iter_mut().zip(want).zip(&self.steps) {
            *v = w / s;
        }
        let mut change = [0i32; KEPT];
        for (c, &v) in change.iter_mut().zip(&v) {
            // `v + 0.5` for v >= 0 (and -0.0), `v - 0.5` below: the sign
            // of a NaN does not matter, it converts to 0 either way.
            *c = (v + 0.5f32.copysign(v)) as i32;
        }
        change
    }

    /// Adds `change` to the block's kept terms, saturated at the baseline
    /// range; a term whose change is 0 (most AC terms) is not touched.
    #[inline]
    fn add(&self, block: &mut [i16; 64], change: &[i32; KEPT]) {
        for (i, (&k, &d)) in self.zz.iter().zip(change).enumerate() {
            if d != 0 {
                let lo = if i == 0 { -1024 } else { -1023 };
                block[k] = (i32::from(block[k]) + d).clamp(lo, 1023) as i16;
            }
        }
    }
}

/// Terms of a block the mark changes.
const KEPT: usize = DCT_TERMS * DCT_TERMS;

/// Largest share of the luma blocks whose mean colour is saturated (a
/// channel at 0 or 255 takes away half the mark or more) for the mark to
/// be added to luma alone. The full re-encode gives what a saturated
/// channel cannot take to the other channels (a chroma change); added to
/// luma alone, colour bars at 2800x2100 lost the payload after quality 70
/// or a 50 % resize in 13 of 16 reads (measured).
const SATURATED_MAX: f32 = 0.05;

/// Whether a colour's luma takes under half of a 3-level change up or
/// down, its channels clipped at 0 and 255.
fn clips(y: f32, cb: f32, cr: f32) -> bool {
    const W: [f32; 3] = [0.299, 0.587, 0.114];
    const A: f32 = 3.0;
    let (cb, cr) = (cb - 128.0, cr - 128.0);
    let rgb = [
        y + 1.402 * cr,
        y - 0.344_136 * cb - 0.714_136 * cr,
        y + 1.772 * cb,
    ]
    .map(|c| c.clamp(0.0, 255.0));
    // Every channel at least `A` from both ends takes the change whole
    // both ways (gain 1): most colours, decided without the sums.
    if rgb.iter().all(|&c| (A..=255.0 - A).contains(&c)) {
        return false;
    }
    let gain = |d: f32| {
        rgb.iter()
            .zip(W)
            .map(|(&c, w)| w * ((c + d).clamp(0.0, 255.0) - c))
            .sum::<f32>()
            / d
    };
    gain(A).min(gain(-A)) < 0.5
}

#[cfg(test)]
mod tests {
    use super::super::codec::{
        Baseline, Patches, Rows, Walk, Writer, completed_encoders, run_with,
    };
    use super::super::{frame, region::Badge};
    use super::*;
    use tanba_core::WatermarkKey;

    /// A noisy gradient of `w` x `h` as a quality-90 JPEG (jpeg-encoder's
    /// integer DCT), `sampling` and a restart every `ri` MCUs.
    fn noisy_jpeg(w: u16, h: u16, sampling: jpeg_encoder::SamplingFactor, ri: u16) -> Vec<u8> {
        let mut x = 0x2545_F491u32;
        let (wu, hu) = (u32::from(w), u32::from(h));
        let mut pixels = Vec::with_capacity(usize::from(w) * usize::from(h) * 3);
        for py in 0..hu {
            for px in 0..wu {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let v = 50 + (px + py) * 150 / (wu + hu);
                let n = x & 15;
                pixels.extend_from_slice(&[(v + n) as u8, (v / 2 + 60 + n) as u8, (v + 20) as u8]);
            }
        }
        let mut out = Vec::new();
        let mut e = jpeg_encoder::Encoder::new(&mut out, 90);
        e.set_sampling_factor(sampling);
        e.set_restart_interval(ri);
        e.encode(&pixels, w, h, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        out
    }

    /// The scan of `jpeg` with the mark of a fixed payload and a badge,
    /// decoding on a second thread or not.
    fn marked_scan(jpeg: &[u8], piped: bool) -> Vec<u8> {
        let f = frame::parse(jpeg).unwrap().unwrap();
        let w = Watermark::new(0x0123_4567_89ab_cdef, WatermarkKey::PUBLIC);
        let mark = DctMark::new(&f, &w).unwrap().expect("the path marks it");
        let rgba = image::RgbaImage::from_pixel(120, 40, image::Rgba([250, 250, 250, 200]));
        let badge = Badge::whole(&rgba, 1500, 1900);
        let walk = Walk {
            badge: &badge,
            mark: Some(&mark),
            out_restart: 16,
        };
        let mut out = Vec::new();
        let mut writer = Writer::new(&mut out, completed_encoders(&f));
        let mut rows = Rows::Scan(Baseline::new(&f).unwrap());
        let mut patches = Patches::new(false);
        run_with(&f, &mut rows, &walk, &mut patches, &mut writer, piped).unwrap();
        writer.bits.flush();
        assert!(!mark.too_saturated());
        out
    }

    /// 64-bit FNV-1a: a hash that does not change between Rust releases.
    fn fnv(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    /// The marked scans are byte-identical to those made at 8f7f6a7 (the
    /// hashes were taken there), whether the scan is decoded on a second
    /// thread or not: how the mark is added or checked may change, what is
    /// written may not.
    #[test]
    fn the_marked_scan_is_the_one_made_at_8f7f6a7() {
        use jpeg_encoder::SamplingFactor::{R_4_2_0, R_4_4_4};
        let cases = [
            (
                "2064x2048 4:4:4",
                noisy_jpeg(2064, 2048, R_4_4_4, 0),
                0x8ac9_8cc6_6c63_4117,
            ),
            (
                "2560x2056 4:2:0 ri 7",
                noisy_jpeg(2560, 2056, R_4_2_0, 7),
                0x1f1c_2e02_c4ab_7813,
            ),
        ];
        for (what, jpeg, want) in cases {
            let one = marked_scan(&jpeg, false);
            let two = marked_scan(&jpeg, true);
            assert!(one.len() > 1_000_000, "{what}: {} bytes", one.len());
            assert!(one == two, "{what}: the piped scan differs");
            assert_eq!(fnv(&one), want, "{what}: {:#018x}", fnv(&one));
        }
    }
}
