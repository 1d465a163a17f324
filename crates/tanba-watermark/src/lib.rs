//! An imperceptible, keyed watermark for pictures, with no model weights.
//!
//! The mark is a tiled spread-spectrum pattern added to the luma of a
//! working copy whose shorter side is [`WORK_SIDE`] cells; the difference is
//! enlarged back to the picture's own size and added to R, G and B alike.
//! The detector brings any copy back to that grid (trying every scale a crop
//! of up to 12.5 % per side could have caused), folds it onto one tile,
//! finds the tile's offset with a separable sync pattern, and decodes 64
//! payload bits plus a CRC-16. See README.md for the method and figures.

mod apply;
pub mod audio;
mod field;
mod grid;
mod known;
mod pattern;
mod resample;
mod rows;
mod ssim;
mod video;

pub use audio::{AudioMarker, detect_audio};
use std::ops::RangeInclusive;

use image::RgbImage;
use tanba_core::Error;

use crate::grid::{fold, mark_plane, peak, soft_bits, sync_surface};
use crate::pattern::{CODED_BITS, Pattern, decode_chase, encode};
use crate::resample::{Plane, grid_size, high_pass, local_normalised};

pub use crate::field::{DCT_TERMS, Field};
pub use crate::known::KnownReader;
pub use crate::rows::{LumaRows, RowMark, RowScratch};
pub use crate::video::{FrameDetector, FrameMarker, Reliability};

/// Shorter side of the working grid the mark lives on, in cells.
pub const WORK_SIDE: usize = 128;
/// Smallest shorter side the detector tries: a crop of 12.5 % per side.
pub(crate) const MIN_SIDE_SEEN: usize = WORK_SIDE * 3 / 4;
/// The working-grid sides a picture's detector tries.
pub(crate) const PICTURE_SIDES: [RangeInclusive<usize>; 1] = [MIN_SIDE_SEEN..=WORK_SIDE];
/// Smallest picture (shorter side, pixels) that can carry the mark.
pub const MIN_PICTURE_SIDE: u32 = 256;
/// Amplitude of the sync pattern, in luma levels on the working grid.
pub(crate) const SYNC_AMP: f32 = 1.6;
/// Base amplitude of each payload bit's cells.
const BIT_AMP: f32 = 2.0;
/// Largest boost a bit gets to overcome the picture's own interference.
const MAX_BOOST: f32 = 3.0;
/// Rounds of strengthening in informed embedding.
const BOOST_STEPS: usize = 5;
/// Sync peak z-score below which nothing is decoded (see README, false
/// positives).
const MIN_SYNC_Z: f32 = 6.0;
/// Sync z-score from which the decoder may also flip up to two unreliable
/// bits (a Chase decoder): that many more CRC checks are only risked where
/// an unmarked picture's sync almost never reaches (see README, false
/// positives).
const CHASE_MIN_Z: f32 = 8.0;
/// [`CHASE_MIN_Z`] of the frames' reading: it tries the coarse grid's
/// sides too, half again as many hypotheses, so its best null peak is a
/// little higher (docs/watermark.md, False positives).
const FRAMES_CHASE_MIN_Z: f32 = 8.5;
/// Sub-cell phases tried at the best scales, in cells.
const PHASES: [f64; 4] = [0.0, 0.25, 0.5, 0.75];
/// How many of the best scales (at phase 0) are tried at every phase.
const SCALES_REFINED: usize = 5;
/// How many of the best (scale, offset) hypotheses are decoded.
const HYPOTHESES: usize = 3;

/// A watermark key: it seeds the sync and carrier signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key(u64);

/// The public detection key Tanba ships: anyone can read a mark made with it.
pub const PUBLIC_KEY: Key = Key(0x5441_4E42_4130_0001);

impl Key {
    /// An operator's own key; marks made with it are read only with it.
    pub const fn private(seed: u64) -> Key {
        Key(seed)
    }
}

/// What the detector found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// The 64-bit payload (CRC checked).
    pub payload: u64,
    /// z-score of the sync peak the payload was read at.
    pub sync_z: f32,
    /// Shorter side of the grid it was read on ([`WORK_SIDE`] when the
    /// picture was not cropped).
    pub grid_side: usize,
}

/// Pictures whose shorter side is under this many pixels have their
/// mark's SSIM checked (cells under 8 px); above it the mark is smooth at
/// SSIM's window scale and SSIM stays above 0.98 (measured, see README).
const SSIM_CHECK_SIDE: usize = 1024;
/// Pictures whose shorter side is under this many pixels (cells under
/// 16 px) and at least [`SSIM_CHECK_SIDE`] have their mark's SSIM
/// estimated on sampled windows (the full SSIM costs ~0.8 s at 1080p);
/// from here on the mark is smooth at SSIM's window scale (measured:
/// every picture of the matrix from 2000 px keeps SSIM above 0.98).
pub const SSIM_SAMPLED_SIDE: usize = 2048;
/// Sync z-score a clean marked copy must reach not to be reported weak:
/// the z of twice the sync peak-to-noise ratio the detector needs (z 6).
/// The z saturates: a flat picture, with nothing but the mark, gives
/// z0 = 12.9 to 14.0 by payload (the pattern's own side lobes), and a host
/// whose detail leaves a peak-to-noise ratio r gives 1/z² = 1/z0² + 1/r².
/// The detector's z 6 is r = 6.8; twice that, r = 13.5, is z 9.3 (9.6 for
/// the highest ceiling), so the mark can lose
/// half its amplitude to JPEG, resizing or cropping before it is lost.
/// (It was 12, which asks r = 32: 4.7 times the need, and reported weak
/// photo-like pictures whose bits met the informed target at full
/// strength.) `tests/robustness.rs` checks it against a flat picture.
pub const WEAK_SYNC_Z: f32 = 9.3;
/// Weakest bit margin (as a fraction of a flat picture's) a clean marked
/// copy must keep not to be reported weak.
pub const WEAK_BIT: f32 = 0.35;

/// Cells narrower than this many pixels (a shorter side under 512 px) are
/// what lossy WebP and a 50 % resize with JPEG erase first.
const WEAK_CELL_PX: f32 = 4.0;

/// How strongly a picture carries the mark [`embed`] gave it, as the
/// detector would read an untouched copy on the working grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Strength {
    /// z-score of the sync at the mark's own offset (the detector needs 6).
    pub sync_z: f32,
    /// The weakest payload bit's correlation as a fraction of what a flat
    /// picture gives it (1.0: as clean as on a flat picture; 0 or less:
    /// the bit reads wrong).
    pub weakest_bit: f32,
    /// The factor the PSNR and SSIM floors scaled the mark by (1.0: not
    /// at all).
    pub scale: f32,
    /// Pixels per working-grid cell (the shorter side over
    /// [`WORK_SIDE`]).
    pub cell_px: f32,
}

impl Strength {
    /// True when the mark is unlikely to survive ordinary handling (JPEG,
    /// resizing, cropping), though an untouched copy may still read: busy
    /// text-like pages and small noisy pictures, where the picture's own
    /// detail at cell scale is as strong as the mark. The labeler can note
    /// "watermark weak".
    pub fn is_weak(&self) -> bool {
        self.sync_z < WEAK_SYNC_Z || self.weakest_bit < WEAK_BIT || self.cell_px < WEAK_CELL_PX
    }
}

/// Adds the mark carrying `payload` to `img`, in place, and says how
/// strongly the picture carries it.
///
/// Refuses pictures whose shorter side is under [`MIN_PICTURE_SIDE`].
pub fn embed(img: &mut RgbImage, payload: u64, key: Key) -> Result<Strength, Error> {
    let (w, h) = img.dimensions();
    if w.min(h) < MIN_PICTURE_SIDE {
        return Err(Error::cannot_label(format!(
            "picture {w}x{h} is too small for the watermark (shorter side under {MIN_PICTURE_SIDE} px)"
        )));
    }
    let (w, h) = (w as usize, h as usize);
    let informed = Informed::new(&luma_base(img), (w, h), payload, key);
    let grid = &informed.grid;
    let (gw, gh) = (grid.w, grid.h);
    let mut scale = informed.scale;
    if w.min(h) < SSIM_SAMPLED_SIDE {
        let capped = Plane {
            w: gw,
            h: gh,
            data: grid.data.iter().map(|d| d * scale).collect(),
        };
        scale *= if w.min(h) < SSIM_CHECK_SIDE {
            ssim::ssim_scale(&Plane::luma(img), &capped)
        } else {
            ssim::ssim_scale_sampled(img, &capped)
        };
    }
    apply::add_enlarged(img, grid, scale);
    Ok(informed.strength(scale))
}

/// The informed mark of a picture, before it is added.
pub(crate) struct Informed {
    pub pat: Pattern,
    pub bits: [f32; CODED_BITS],
    /// The picture's luma on the working grid.
    pub work: Plane,
    /// The mark on the working grid (not yet scaled).
    pub grid: Plane,
    /// The PSNR floor's factor.
    pub scale: f32,
    /// The picture's size.
    pub size: (usize, usize),
}

impl Informed {
    /// The mark of `payload` for a `w` x `h` picture whose luma, shrunk
    /// to any size down to the [`first_shrink`]'s, is `base`: each bit
    /// strengthened where the picture works against it, then brought
    /// within the PSNR floor.
    pub(crate) fn new(base: &Plane, (w, h): (usize, usize), payload: u64, key: Key) -> Informed {
        let pat = Pattern::new(key.0);
        let bits = encode(payload);
        let (gw, gh) = grid_size(w, h, WORK_SIDE);
        let work = base.resized(gw, gh);
        let amps = informed_amplitudes(&work, &pat, &bits);
        let grid = mark_plane(gw, gh, &pat, &bits, SYNC_AMP, &amps);
        let scale = apply::cap_scale(&grid, w, h);
        Informed {
            pat,
            bits,
            work,
            grid,
            scale,
            size: (w, h),
        }
    }

    /// What the detector would read from an untouched copy carrying this
    /// mark scaled by `scale`.
    pub(crate) fn strength(&self, scale: f32) -> Strength {
        let cell_px = self.size.0.min(self.size.1) as f32 / WORK_SIDE as f32;
        strength(
            &self.work,
            &self.grid,
            (scale, cell_px),
            &self.pat,
            &self.bits,
        )
    }
}

/// What the detector would read from `work` carrying `grid` (scaled by
/// `scale`), at the mark's own offset; `cell_px` is passed through.
pub(crate) fn strength(
    work: &Plane,
    grid: &Plane,
    (scale, cell_px): (f32, f32),
    pat: &Pattern,
    bits: &[f32; CODED_BITS],
) -> Strength {
    let mut seen = travelled(grid);
    seen.data
        .iter_mut()
        .zip(&work.data)
        .for_each(|(m, w)| *m = (*m * scale + w).clamp(0.0, 255.0));
    let folded = fold(&high_pass(&seen));
    let surface = sync_surface(&folded, pat);
    let n = surface.len() as f32;
    let mean = surface.iter().sum::<f32>() / n;
    let sd = (surface.iter().map(|s| (s - mean).powi(2)).sum::<f32>() / n).sqrt();
    let sync_z = if sd > 0.0 {
        (surface[0] - mean) / sd
    } else {
        0.0
    };
    let soft = soft_bits(&folded, pat, 0, 0);
    let flat = travelled(&mark_plane(
        grid.w,
        grid.h,
        pat,
        bits,
        SYNC_AMP,
        &[BIT_AMP; CODED_BITS],
    ));
    let ideal = soft_bits(&fold(&high_pass(&flat)), pat, 0, 0);
    let weakest_bit = (0..CODED_BITS)
        .map(|i| soft[i] * bits[i] / (ideal[i] * bits[i]).max(f32::MIN_POSITIVE))
        .fold(f32::INFINITY, f32::min);
    Strength {
        sync_z,
        weakest_bit,
        scale,
        cell_px,
    }
}

/// The working-grid mark carrying `bits` with the amplitudes `amps` for a
/// `w` x `h` picture, and the factor that brings it, once enlarged, to the
/// RMS `target`: what video frames get (one mark serves every frame of a
/// scene, so it is made as strong as the PSNR floor allows, and then
/// the SSIM floor).
pub(crate) fn frame_grid(
    (w, h): (usize, usize),
    side: usize,
    pat: &Pattern,
    bits: &[f32; CODED_BITS],
    amps: &[f32; CODED_BITS],
    target: f32,
) -> (Plane, f32) {
    let (gw, gh) = grid_size(w, h, side);
    let grid = mark_plane(gw, gh, pat, bits, SYNC_AMP, amps);
    let rms = apply::enlarged_rms(&grid, w, h);
    let k = if rms > 0.0 { target / rms } else { 1.0 };
    (grid, k)
}

/// Every bit at the base amplitude: the mark with no knowledge of the
/// content.
pub(crate) const PLAIN_AMPS: [f32; CODED_BITS] = [BIT_AMP; CODED_BITS];

/// Amplitude of each bit. Informed embedding: the picture itself leans on
/// each bit's correlation, for or against; the bits it works against are
/// strengthened step by step until a clean copy reads every bit with at
/// least half the margin of a flat picture.
pub(crate) fn informed_amplitudes(
    work: &Plane,
    pat: &Pattern,
    bits: &[f32; CODED_BITS],
) -> [f32; CODED_BITS] {
    let base = [BIT_AMP; CODED_BITS];
    let soft_of = |amps: &[f32; CODED_BITS], with_host: bool| {
        let mut mark = travelled(&mark_plane(work.w, work.h, pat, bits, SYNC_AMP, amps));
        if with_host {
            mark.data
                .iter_mut()
                .zip(&work.data)
                .for_each(|(m, w)| *m = (*m + w).clamp(0.0, 255.0));
        }
        soft_bits(&fold(&high_pass(&mark)), pat, 0, 0)
    };
    let ideal = soft_of(&base, false);
    let mut amps = base;
    for _ in 0..BOOST_STEPS {
        let seen = soft_of(&amps, true);
        let mut changed = false;
        for i in 0..CODED_BITS {
            if seen[i] * bits[i] < 0.5 * ideal[i] * bits[i] && amps[i] < MAX_BOOST * BIT_AMP {
                amps[i] = (amps[i] + 0.5 * BIT_AMP).min(MAX_BOOST * BIT_AMP);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    amps
}

/// What the grid pattern looks like to the detector once enlarged
/// (bilinear) and shrunk back (area): each cell keeps about 3/4 of itself
/// and lends 1/8 to each neighbour, along each axis.
fn travelled(p: &Plane) -> Plane {
    let (w, h) = (p.w, p.h);
    let k = [0.125f32, 0.75, 0.125];
    let mut rows = p.data.clone();
    for y in 0..h {
        for x in 0..w {
            let at =
                |dx: isize| p.data[y * w + (x as isize + dx).clamp(0, w as isize - 1) as usize];
            rows[y * w + x] = k[0] * at(-1) + k[1] * at(0) + k[2] * at(1);
        }
    }
    let mut data = rows.clone();
    for y in 0..h {
        for x in 0..w {
            let at = |dy: isize| rows[(y as isize + dy).clamp(0, h as isize - 1) as usize * w + x];
            data[y * w + x] = k[0] * at(-1) + k[1] * at(0) + k[2] * at(1);
        }
    }
    Plane { w, h, data }
}

/// The payload of the mark made with `key`, if `img` carries one.
pub fn detect(img: &RgbImage, key: Key) -> Option<u64> {
    detect_details(img, key).map(|d| d.payload)
}

/// Like [`detect`], with the sync score and the grid it was read on.
pub fn detect_details(img: &RgbImage, key: Key) -> Option<Detection> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w.min(h) < MIN_SIDE_SEEN {
        return None;
    }
    detect_base(
        &luma_base(img),
        (w, h),
        key,
        Reading::Picture,
        &PICTURE_SIDES,
    )
}

/// The [`first_shrink`] of a picture's luma, computed in one pass.
fn luma_base(img: &RgbImage) -> Plane {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w.min(h) > 2 * WORK_SIDE {
        let (sw, sh) = grid_size(w, h, 2 * WORK_SIDE);
        Plane::luma_shrunk(img, sw, sh)
    } else {
        Plane::luma(img)
    }
}

/// One shrink of a large picture to twice the working grid, so each scale
/// the detector tries resamples a small plane rather than the whole
/// picture. The embedder takes the same path, so the picture it measures
/// (informed embedding) is the one the detector will see.
pub(crate) fn first_shrink(luma: &Plane) -> Plane {
    if luma.w.min(luma.h) > 2 * WORK_SIDE {
        let (w, h) = grid_size(luma.w, luma.h, 2 * WORK_SIDE);
        luma.resized(w, h)
    } else {
        luma.clone()
    }
}

/// What the detector reads: one picture, or the mean of video frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reading {
    /// The residual folded with equal weights (the picture bench's reading,
    /// kept as it is).
    Picture,
    /// The residual scaled by its local RMS before folding
    /// ([`local_normalised`]): after a video codec the mark is clean in
    /// some areas and drowned in others (VP9 at CRF 36 lost 3 of 53 clips
    /// with equal weights).
    Frames,
}

/// One (scale, offset, phase) reading of a picture.
#[derive(Debug)]
struct Hypothesis {
    z: f32,
    side: usize,
    dx: usize,
    dy: usize,
    folded: Vec<f32>,
}

/// The sync peak of `base` read on the grid whose shorter side is `side`,
/// moved by `(px, py)` of a cell.
fn hypothesis(
    base: &Plane,
    full: (usize, usize),
    (side, px, py): (usize, f64, f64),
    pat: &Pattern,
    reading: Reading,
) -> Hypothesis {
    // Sizes from the picture itself, not the shrunk copy, whose rounded
    // sides would put the grid off by a cell at the far edge.
    let (gw, gh) = grid_size(full.0, full.1, side);
    let residual = high_pass(&base.resized_at(gw, gh, px, py));
    let folded = match reading {
        Reading::Picture => fold(&residual),
        Reading::Frames => fold(&local_normalised(&residual)),
    };
    let (dx, dy, z) = peak(&sync_surface(&folded, pat));
    Hypothesis {
        z,
        side,
        dx,
        dy,
        folded,
    }
}

/// Tries every scale at cell phase 0, then every quarter of a cell at the
/// best scales (a crop rarely falls on a cell boundary), and decodes the
/// best sync peaks in turn. `base` is the [`first_shrink`] of a picture
/// whose size was `full`; `sides` are the working-grid sides tried.
pub(crate) fn detect_base(
    base: &Plane,
    full: (usize, usize),
    key: Key,
    reading: Reading,
    sides: &[RangeInclusive<usize>],
) -> Option<Detection> {
    let pat = Pattern::new(key.0);
    hypotheses(base, full, &pat, reading, sides)
        .iter()
        .take(HYPOTHESES)
        .filter(|h| h.z >= MIN_SYNC_Z)
        .find_map(|h| {
            let chase_from = match reading {
                Reading::Picture => CHASE_MIN_Z,
                Reading::Frames => FRAMES_CHASE_MIN_Z,
            };
            let flips = if h.z >= chase_from { 2 } else { 0 };
            decode_chase(&soft_bits(&h.folded, &pat, h.dx, h.dy), flips).map(|payload| Detection {
                payload,
                sync_z: h.z,
                grid_side: h.side,
            })
        })
}

/// The best sync z-score the detector finds in `img` over every scale,
/// phase and offset it tries, whether or not a payload decodes: on
/// unmarked pictures, the null distribution the false-positive rate is
/// derived from (the `false_positives` example); 0 when the picture is
/// too small to be read.
pub fn best_sync_z(img: &RgbImage, key: Key) -> f32 {
    let (w, h) = (img.width() as usize, img.height() as usize);
    if w.min(h) < MIN_SIDE_SEEN {
        return 0.0;
    }
    let pat = Pattern::new(key.0);
    hypotheses(
        &luma_base(img),
        (w, h),
        &pat,
        Reading::Picture,
        &PICTURE_SIDES,
    )
    .first()
    .map_or(0.0, |h| h.z)
}

/// Every (scale, phase) reading the detector tries on the grid sides
/// `sides`, best sync peak first.
fn hypotheses(
    base: &Plane,
    full: (usize, usize),
    pat: &Pattern,
    reading: Reading,
    sides: &[RangeInclusive<usize>],
) -> Vec<Hypothesis> {
    let mut coarse: Vec<Hypothesis> = sides
        .iter()
        .flat_map(|r| r.clone())
        .map(|side| hypothesis(base, full, (side, 0.0, 0.0), pat, reading))
        .collect();
    coarse.sort_by(|a, b| b.z.total_cmp(&a.z));
    let mut fine: Vec<Hypothesis> = Vec::new();
    for h in coarse.iter().take(SCALES_REFINED) {
        for (px, py) in PHASES
            .iter()
            .flat_map(|&x| PHASES.iter().map(move |&y| (x, y)))
        {
            fine.push(hypothesis(base, full, (h.side, px, py), pat, reading));
        }
    }
    fine.sort_by(|a, b| b.z.total_cmp(&a.z));
    fine
}
