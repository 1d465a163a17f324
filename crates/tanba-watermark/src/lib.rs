//! An imperceptible, keyed watermark for pictures, with no model weights.
//!
//! The mark is a tiled spread-spectrum pattern added to the luma of a
//! working copy whose shorter side is [`WORK_SIDE`] cells; the difference is
//! enlarged back to the picture's own size and added to R, G and B alike.
//! The detector brings any copy back to that grid (trying every scale a crop
//! of up to 12.5 % per side could have caused), folds it onto one tile,
//! finds the tile's offset with a separable sync pattern, and decodes 64
//! payload bits plus a CRC-16. See README.md for the method and figures.

pub mod audio;
mod grid;
mod pattern;
mod resample;
mod video;

pub use audio::{AudioMarker, detect_audio};
use image::RgbImage;
use tanba_core::Error;

use crate::grid::{fold, mark_plane, peak, soft_bits, sync_surface};
use crate::pattern::{CODED_BITS, Pattern, decode, encode};
use crate::resample::{Plane, grid_size, high_pass};

pub use crate::video::{FrameDetector, FrameMarker};

/// Shorter side of the working grid the mark lives on, in cells.
pub const WORK_SIDE: usize = 128;
/// Smallest shorter side the detector tries: a crop of 12.5 % per side.
pub(crate) const MIN_SIDE_SEEN: usize = WORK_SIDE * 3 / 4;
/// Smallest picture (shorter side, pixels) that can carry the mark.
pub const MIN_PICTURE_SIDE: u32 = 256;
/// Amplitude of the sync pattern, in luma levels on the working grid.
const SYNC_AMP: f32 = 1.6;
/// Base amplitude of each payload bit's cells.
const BIT_AMP: f32 = 2.0;
/// Largest boost a bit gets to overcome the picture's own interference.
const MAX_BOOST: f32 = 3.0;
/// Largest RMS of the luma difference: PSNR 41 dB before rounding to 8 bits.
const MAX_RMS: f32 = 2.27;
/// Rounds of strengthening in informed embedding.
const BOOST_STEPS: usize = 5;
/// Sync peak z-score below which nothing is decoded (see README, false
/// positives).
const MIN_SYNC_Z: f32 = 6.0;
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

/// Adds the mark carrying `payload` to `img`, in place.
///
/// Refuses pictures whose shorter side is under [`MIN_PICTURE_SIDE`].
pub fn embed(img: &mut RgbImage, payload: u64, key: Key) -> Result<(), Error> {
    let (w, h) = img.dimensions();
    if w.min(h) < MIN_PICTURE_SIDE {
        return Err(Error::cannot_label(format!(
            "picture {w}x{h} is too small for the watermark (shorter side under {MIN_PICTURE_SIDE} px)"
        )));
    }
    let delta = embed_delta(&Plane::luma(img), payload, key);
    for (p, d) in img.pixels_mut().zip(&delta.data) {
        p.0 = add_luma(p.0, *d);
    }
    Ok(())
}

/// `rgb` with its luma raised by `d`: added to R, G and B alike (no change
/// of hue), and what a channel at 0 or 255 cannot take is given to the
/// others, so saturated colours carry the mark too.
fn add_luma(rgb: [u8; 3], d: f32) -> [u8; 3] {
    const W: [f32; 3] = [0.299, 0.587, 0.114];
    let mut v = rgb.map(f32::from);
    let mut left = d;
    for _ in 0..3 {
        let free: f32 = (0..3)
            .filter(|&c| if left > 0.0 { v[c] < 255.0 } else { v[c] > 0.0 })
            .map(|c| W[c])
            .sum();
        if free <= 0.0 || left.abs() < 0.05 {
            break;
        }
        let step = left / free;
        for c in 0..3 {
            let before = v[c];
            v[c] = (v[c] + step).clamp(0.0, 255.0);
            left -= W[c] * (v[c] - before);
        }
    }
    v.map(|x| x.round() as u8)
}

/// The luma difference that marks `luma`, at its own size.
fn embed_delta(luma: &Plane, payload: u64, key: Key) -> Plane {
    let pat = Pattern::new(key.0);
    let (gw, gh) = grid_size(luma.w, luma.h, WORK_SIDE);
    let work = first_shrink(luma).resized(gw, gh);
    let bits = encode(payload);
    let amps = informed_amplitudes(&work, &pat, &bits);
    capped(mark_plane(gw, gh, &pat, &bits, SYNC_AMP, &amps).resized(luma.w, luma.h))
}

/// The mark enlarged to a `w` x `h` picture with no knowledge of its
/// content (every bit at the base amplitude): what video frames get, since
/// one delta serves every frame.
pub(crate) fn plain_delta(w: usize, h: usize, payload: u64, key: Key) -> Plane {
    let pat = Pattern::new(key.0);
    let (gw, gh) = grid_size(w, h, WORK_SIDE);
    let amps = [BIT_AMP; CODED_BITS];
    capped(mark_plane(gw, gh, &pat, &encode(payload), SYNC_AMP, &amps).resized(w, h))
}

/// The PSNR floor: boosted bits on a busy picture may ask for more than
/// the budget; then the whole mark is scaled down to it.
fn capped(mut delta: Plane) -> Plane {
    let n = delta.data.len().max(1) as f32;
    let rms = (delta.data.iter().map(|d| d * d).sum::<f32>() / n).sqrt();
    if rms > MAX_RMS {
        let k = MAX_RMS / rms;
        delta.data.iter_mut().for_each(|d| *d *= k);
    }
    delta
}

/// Amplitude of each bit. Informed embedding: the picture itself leans on
/// each bit's correlation, for or against; the bits it works against are
/// strengthened step by step until a clean copy reads every bit with at
/// least half the margin of a flat picture.
fn informed_amplitudes(work: &Plane, pat: &Pattern, bits: &[f32; CODED_BITS]) -> [f32; CODED_BITS] {
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
    let luma = Plane::luma(img);
    if luma.w.min(luma.h) < MIN_SIDE_SEEN {
        return None;
    }
    detect_base(&first_shrink(&luma), (luma.w, luma.h), key)
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
    side: usize,
    px: f64,
    py: f64,
    pat: &Pattern,
) -> Hypothesis {
    // Sizes from the picture itself, not the shrunk copy, whose rounded
    // sides would put the grid off by a cell at the far edge.
    let (gw, gh) = grid_size(full.0, full.1, side);
    let folded = fold(&high_pass(&base.resized_at(gw, gh, px, py)));
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
/// whose size was `full`.
pub(crate) fn detect_base(base: &Plane, full: (usize, usize), key: Key) -> Option<Detection> {
    let pat = Pattern::new(key.0);
    let mut coarse: Vec<Hypothesis> = (MIN_SIDE_SEEN..=WORK_SIDE)
        .map(|side| hypothesis(base, full, side, 0.0, 0.0, &pat))
        .collect();
    coarse.sort_by(|a, b| b.z.total_cmp(&a.z));
    let mut fine: Vec<Hypothesis> = Vec::new();
    for h in coarse.iter().take(SCALES_REFINED) {
        for (px, py) in PHASES
            .iter()
            .flat_map(|&x| PHASES.iter().map(move |&y| (x, y)))
        {
            fine.push(hypothesis(base, full, h.side, px, py, &pat));
        }
    }
    fine.sort_by(|a, b| b.z.total_cmp(&a.z));
    fine.iter()
        .take(HYPOTHESES)
        .filter(|h| h.z >= MIN_SYNC_Z)
        .find_map(|h| {
            decode(&soft_bits(&h.folded, &pat, h.dx, h.dy)).map(|payload| Detection {
                payload,
                sync_z: h.z,
                grid_side: h.side,
            })
        })
}
