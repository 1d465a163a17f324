//! Video: the picture mark on every frame's 8-bit luma plane, and a
//! detector that reads it from the sum of a few seconds of frames.
//!
//! One mark serves every frame of a scene, so marking a frame is one
//! pass of additions. Summing frames adds the mark, which stays put, while
//! moving content averages out; what does not move (a still background,
//! captions, a test card) does not average out, and leans on some bits
//! for good. So the marker is informed per scene: it keeps the mean of a
//! few shrunk frames and, every [`REFRESH_FRAMES`], strengthens the bits
//! that mean works against, as [`crate::embed`] does for one picture.

use std::ops::RangeInclusive;

use tanba_core::Error;

use crate::apply::Enlarged;
use crate::grid::{fold, soft_bits, sync_surface};
use crate::known::{shrink_luma, shrunk_size};
use crate::pattern::{CODED_BITS, Pattern, encode};
use crate::resample::{Plane, grid_size, high_pass, local_normalised};
use crate::ssim::ssim_scale_sampled_luma;
use crate::{
    Detection, Key, MIN_PICTURE_SIDE, PLAIN_AMPS, Reading, WORK_SIDE, apply, detect_base,
    first_shrink, frame_grid, informed_amplitudes,
};

/// Frames between two updates of the informed amplitudes (4 s at 25 fps,
/// the detector's read): the mark follows the content at that pace. Each
/// update changes the level of about a quarter of a 1080p frame's blocks,
/// which x264 codes as a residual on that frame, and costs the marker
/// about what marking a dozen frames does; 50 frames cost x264 +3.3 % on
/// the bench clip against +2.3 % at 100 (docs/watermark.md).
const REFRESH_FRAMES: u64 = 100;
/// One frame in this many is shrunk into the scene's mean, so each update
/// weighs ten frames (the shrink costs about as much as marking a frame).
const SAMPLE_EVERY: u64 = 10;
/// Frames between two checks of the SSIM floor on the frame about to be
/// marked, half an update's period: content that changes between updates
/// (a Game of Life, a slide after a photo) can make the same mark more
/// visible. The check alone rebuilds the mark only when the floor moves
/// its scale, which a frame whose SSIM stays clear of it never does.
const SSIM_CHECK_FRAMES: u64 = REFRESH_FRAMES / 2;
/// Sync z from which the equal-weight reading's payload is taken when the
/// normalised reading found none.
const FALLBACK_MIN_Z: f32 = 9.0;
/// Shorter side, in cells, of the coarse grid frames of [`COARSE_FROM`] px
/// and more are marked on: cells of 16 px and more, each a 16-px block
/// (see [`frame_delta`]).
pub(crate) const COARSE_SIDE: usize = 64;
/// Shorter side (pixels) from which frames are marked on the coarse grid.
const COARSE_FROM: usize = 16 * COARSE_SIDE;
/// Side of the blocks the coarse mark is made constant on: x264's
/// macroblock.
const BLOCK: usize = 16;
/// The grid sides the frame detector tries: the pictures' (frames under
/// [`COARSE_FROM`] px) and the coarse grid's, each down to a crop of
/// 12.5 % per side.
const SEARCHED_SIDES: [RangeInclusive<usize>; 2] = [
    crate::MIN_SIDE_SEEN..=WORK_SIDE,
    COARSE_SIDE * 3 / 4..=COARSE_SIDE,
];
/// RMS of the video mark before rounding to whole levels: PSNR 40.3 dB
/// (the rounding takes it to about 40.1 dB, over the 40 dB floor). The
/// pictures' mark stays at 41 dB and 1.0 of its amplitudes; a frame's mark
/// is uninformed by the frame itself, and codecs for video (VP9 above all)
/// smooth the cells more than JPEG, so it takes the whole budget, within the
/// SSIM floor measured on the frame at each update.
const VIDEO_RMS: f32 = 2.45;
/// The coarse mark's RMS before its block means are taken: a 16-px
/// block's mean keeps about 85 % of the bilinear mark's RMS (the 1080p
/// clips of the video matrix measured PSNR 41.7-41.8 dB at [`VIDEO_RMS`]),
/// so the target is raised to bring the block mark to about 40.5 dB.
const COARSE_RMS: f32 = VIDEO_RMS * 1.15;
/// Sync z-score a clean copy of the first frame must give on the coarse
/// grid for the video to be marked on it; under it the video keeps the
/// pictures' grid (8-px blocks from 1,024 px), which holds four times the
/// cells: still, busy content (a slow pan over a detailed photo) reads
/// the coarse grid's fewer tiles weakly after a re-encode.
const COARSE_MIN_SYNC_Z: f32 = 10.0;

/// Marks frames of one size with one payload.
#[derive(Debug, Clone)]
pub struct FrameMarker {
    width: usize,
    height: usize,
    /// The current mark, rounded to whole levels, row by row.
    delta: Vec<i8>,
    /// The current mark on its grid, before the SSIM floor's scale, and
    /// that scale (none until the first update).
    grid: Option<(Plane, f32)>,
    pattern: Pattern,
    bits: [f32; CODED_BITS],
    /// Sum of the frames sampled since the last update, shrunk to twice
    /// the working grid, and how many.
    scene: Option<(Plane, usize)>,
    /// Frames given to [`FrameMarker::mark`].
    marked: u64,
    /// Shorter side, in cells, of the grid this video is marked on (see
    /// [`frame_side`]; chosen at the first frame).
    side: usize,
    /// Whether the grid has been chosen (by [`FrameMarker::see_content`]
    /// or the first [`FrameMarker::mark`]).
    grid_chosen: bool,
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
        let pattern = Pattern::new(key.0);
        let bits = encode(payload);
        // Until the first frame is seen: the plain mark at the pictures'
        // strength (`apply` without `mark`).
        let side = frame_side(w, h);
        let (grid, _) = frame_grid((w, h), side, &pattern, &bits, &PLAIN_AMPS, rms_of(side));
        let delta = frame_delta(
            &Enlarged::new(&grid, w, h, apply::cap_scale(&grid, w, h)),
            side,
        );
        Ok(FrameMarker {
            width: w,
            height: h,
            delta,
            grid: None,
            pattern,
            bits,
            scene: None,
            marked: 0,
            side,
            grid_chosen: side != COARSE_SIDE,
        })
    }

    /// Shows the marker a frame's content before anything is drawn over
    /// it (a labeler's badge and notice), so the first such frame chooses
    /// the grid (see [`COARSE_MIN_SYNC_Z`]) rather than the first frame
    /// given to [`FrameMarker::mark`]: the choice then follows the video,
    /// not a notice's text that shows for a few seconds. Later calls do
    /// nothing; a frame whose plane is shorter than its size is skipped.
    pub fn see_content(&mut self, luma: &[u8], stride: usize) {
        let stride = stride.max(self.width);
        if self.grid_chosen || !self.is_whole(luma, stride) {
            return;
        }
        let content = self.scene_shrink(luma, stride);
        // The frames marked will carry the label: their own mean informs
        // the mark.
        let _ = self.choose_grid(&content);
    }

    /// Cells on the shorter side of the grid the frames are marked on:
    /// [`COARSE_SIDE`] or the pictures' [`WORK_SIDE`] (chosen at the first
    /// frame seen).
    pub fn grid_side(&self) -> usize {
        self.side
    }

    /// Whether `luma` (`stride` bytes a row) holds every row of a frame.
    fn is_whole(&self, luma: &[u8], stride: usize) -> bool {
        luma.len() >= stride * (self.height - 1) + self.width
    }

    /// A whole frame's luma shrunk as the scene's mean is kept.
    fn scene_shrink(&self, luma: &[u8], stride: usize) -> Plane {
        let (sw, sh) = shrunk_size(self.width, self.height);
        shrink_luma(luma, (self.width, self.height, stride), sw, sh)
    }

    /// Adds the mark to the next frame of the video, informed by the
    /// frames before it (see the module's notes): the first frame and
    /// then every [`REFRESH_FRAMES`] the bits are re-weighted on the mean
    /// of the frames sampled since the last update; half-way between two
    /// updates the SSIM floor is checked again ([`SSIM_CHECK_FRAMES`]).
    pub fn mark(&mut self, luma: &mut [u8], stride: usize) {
        let stride = stride.max(self.width);
        let whole = self.is_whole(luma, stride);
        if whole && self.marked.is_multiple_of(SAMPLE_EVERY) {
            let shrunk = self.scene_shrink(luma, stride);
            match &mut self.scene {
                Some((sum, n)) => {
                    sum.data
                        .iter_mut()
                        .zip(&shrunk.data)
                        .for_each(|(s, v)| *s += v);
                    *n += 1;
                }
                None => self.scene = Some((shrunk, 1)),
            }
        }
        if whole && self.marked.is_multiple_of(REFRESH_FRAMES) {
            self.refresh(luma, stride);
        } else if whole && self.marked.is_multiple_of(SSIM_CHECK_FRAMES) {
            self.check_ssim(luma, stride);
        }
        self.marked += 1;
        self.apply(luma, stride);
    }

    /// Re-weights the bits on the mean of the frames sampled since the
    /// last update, scales the mark to [`VIDEO_RMS`] or to the SSIM floor on
    /// `luma` (the frame about to be marked), and starts a new mean.
    fn refresh(&mut self, luma: &[u8], stride: usize) {
        let Some((sum, n)) = self.scene.take() else {
            return;
        };
        let k = 1.0 / n as f32;
        let mean = Plane {
            w: sum.w,
            h: sum.h,
            data: sum.data.iter().map(|s| s * k).collect(),
        };
        let (w, h) = (self.width, self.height);
        let chosen_now = if self.grid_chosen {
            None
        } else {
            self.choose_grid(&mean)
        };
        let (mut grid, k) = chosen_now.unwrap_or_else(|| self.informed_grid(&mean));
        grid.data.iter_mut().for_each(|d| *d *= k);
        let ssim = ssim_scale_sampled_luma(luma, (w, h, stride), &grid);
        self.delta = frame_delta(&Enlarged::new(&grid, w, h, ssim), self.side);
        self.grid = Some((grid, ssim));
    }

    /// Scales the current mark to the SSIM floor on `luma` (the frame
    /// about to be marked) when that floor now asks for another scale;
    /// otherwise the mark stays as it is, so the encoder sees no change.
    fn check_ssim(&mut self, luma: &[u8], stride: usize) {
        let (w, h) = (self.width, self.height);
        let Some((grid, scale)) = &mut self.grid else {
            return;
        };
        let ssim = ssim_scale_sampled_luma(luma, (w, h, stride), grid);
        if ssim.to_bits() != scale.to_bits() {
            *scale = ssim;
            self.delta = frame_delta(&Enlarged::new(grid, w, h, ssim), self.side);
        }
    }

    /// Keeps the coarse grid only when a clean copy of `content` (a frame
    /// shrunk as the scene is) carrying the mark informed by it reads at
    /// sync z [`COARSE_MIN_SYNC_Z`] or more on it; content that holds the
    /// coarse mark weakly keeps the pictures' grid. Returns the coarse
    /// mark informed by `content` (and its factor) when it is kept.
    fn choose_grid(&mut self, content: &Plane) -> Option<(Plane, f32)> {
        self.grid_chosen = true;
        if self.side != COARSE_SIDE {
            return None;
        }
        let (grid, k) = self.informed_grid(content);
        let seen = crate::strength(
            &content.resized(grid.w, grid.h),
            &grid,
            (k, 0.0),
            &self.pattern,
            &self.bits,
        );
        if seen.sync_z < COARSE_MIN_SYNC_Z {
            self.side = WORK_SIDE;
            return None;
        }
        Some((grid, k))
    }

    /// The mark informed by the scene's `mean` on this video's grid, and
    /// the factor that brings it to its RMS.
    fn informed_grid(&self, mean: &Plane) -> (Plane, f32) {
        let (w, h) = (self.width, self.height);
        let (gw, gh) = grid_size(w, h, self.side);
        let amps = informed_amplitudes(&mean.resized(gw, gh), &self.pattern, &self.bits);
        let target = rms_of(self.side);
        frame_grid((w, h), self.side, &self.pattern, &self.bits, &amps, target)
    }

    /// Adds the current mark to one frame's luma plane (`stride` bytes a
    /// row, at least the width; the size given to [`FrameMarker::new`]),
    /// without looking at the frame. A plane shorter than that is marked as
    /// far as it goes.
    pub fn apply(&self, luma: &mut [u8], stride: usize) {
        let stride = stride.max(self.width);
        for (row, d) in luma
            .chunks_mut(stride)
            .zip(self.delta.chunks_exact(self.width))
            .take(self.height)
        {
            // p + d clamped to 0..=255, as p - 128 + d saturated to an i8
            // (flipping the top bit moves a byte by 128): one saturating
            // byte addition, 16 or 32 pixels an instruction.
            for (p, &d) in row.iter_mut().zip(d) {
                *p = ((*p ^ 0x80) as i8).saturating_add(d) as u8 ^ 0x80;
            }
        }
    }
}

/// The mark rounded to whole levels, row by row, as [`Enlarged::rounded`];
/// in frames on the coarse grid (a shorter side from [`COARSE_FROM`] px,
/// cells of at least [`BLOCK`] px) made constant on each [`BLOCK`]-px block
/// from the frame's corner: x264 codes luma in 4x4 and 8x8 transforms
/// within 16x16 macroblocks on that grid, so such a mark is only the DC
/// term of each transform block, where a mark varying inside the blocks
/// gave every block AC coefficients to code (x264 +15 % CPU on the 1080p
/// bench clip, +2 % with 8-px blocks: see docs/watermark.md). A block takes
/// the mean of its rounded levels, so a cell keeps its mean and the
/// detector's shrink sees the same grid. A frame of that size kept on the
/// pictures' grid (`side` is [`WORK_SIDE`]: cells of 8 px and more) takes
/// 8-px blocks. Smaller frames keep the smooth mark: their cells are
/// smaller than a block.
fn frame_delta(mark: &Enlarged, side: usize) -> Vec<i8> {
    let (w, h) = mark.size();
    if w.min(h) < COARSE_FROM {
        return mark.rounded();
    }
    let block = if side == COARSE_SIDE {
        BLOCK
    } else {
        BLOCK / 2
    };
    let mut out = Vec::with_capacity(w * h);
    let mut line = vec![0i16; w];
    // One band of BLOCK rows at a time: each column's sum over the band
    // (at most 16 x 127, an i16), then each block's sum of its columns.
    let mut columns = vec![0i16; w];
    let mut row = Vec::with_capacity(w);
    for y0 in (0..h).step_by(block) {
        let rows = block.min(h - y0);
        columns.fill(0);
        for y in y0..y0 + rows {
            mark.row_delta(y, &mut line);
            for (c, &d) in columns.iter_mut().zip(&line) {
                *c += d.clamp(-127, 127);
            }
        }
        row.clear();
        for cols in columns.chunks(block) {
            let sum: i32 = cols.iter().map(|&c| i32::from(c)).sum();
            let m = (sum as f32 / (rows * cols.len()) as f32).round() as i8;
            row.extend(std::iter::repeat_n(m, cols.len()));
        }
        (0..rows).for_each(|_| out.extend_from_slice(&row));
    }
    out
}

/// Shorter side, in cells, of the grid a `w` x `h` frame is marked on: the
/// pictures' [`WORK_SIDE`], or from [`COARSE_FROM`] px the coarse grid
/// (unless the first frame holds it weakly: [`COARSE_MIN_SYNC_Z`]).
/// x264 predicts a moving block from a shifted reference; a mark that stays
/// put leaves the mark minus its shifted self in that block, at every
/// edge between two cells' levels. Cells twice as wide have half as many
/// edges, each on a macroblock's border (docs/watermark.md, "A coarser
/// grid for large frames").
fn frame_side(w: usize, h: usize) -> usize {
    if w.min(h) >= COARSE_FROM {
        COARSE_SIDE
    } else {
        WORK_SIDE
    }
}

/// RMS the mark on a grid of `side` cells is brought to.
fn rms_of(side: usize) -> f32 {
    if side == COARSE_SIDE {
        COARSE_RMS
    } else {
        VIDEO_RMS
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
        // The locally normalised reading first; the equal-weight one when
        // it finds nothing: it still reads a mark over a still copy of
        // another mark of the same key (a video labelled twice), which the
        // normalised reading loses (the unit test below). Only from sync z
        // [`FALLBACK_MIN_Z`], so the second reading adds under 10^-7 to the
        // false-positive rate (docs/watermark.md, False positives).
        detect_base(&mean, (*w, *h), self.key, Reading::Frames, &SEARCHED_SIDES).or_else(|| {
            detect_base(&mean, (*w, *h), self.key, Reading::Picture, &SEARCHED_SIDES)
                .filter(|d| d.sync_z >= FALLBACK_MIN_Z)
        })
    }

    /// How the frames pushed so far carry `payload` at the embedding's own
    /// geometry (working grid, phase 0, tile offset 0): the sync's z-score
    /// there and every coded bit's margin. For the video matrix's report
    /// of lost reads (which bits failed, and whether the decoder's budget
    /// or the sync threshold was the limit); `None` before any frame.
    pub fn reliability(&self, payload: u64) -> Option<Reliability> {
        let (w, h, n, sum) = self.sums.iter().max_by_key(|(_, _, n, _)| *n)?;
        let k = 1.0 / *n as f32;
        let mean = Plane {
            w: sum.w,
            h: sum.h,
            data: sum.data.iter().map(|s| s * k).collect(),
        };
        Some(reliability_at_origin(&mean, (*w, *h), payload, self.key))
    }
}

/// What [`FrameDetector::reliability`] measures.
#[derive(Debug, Clone, PartialEq)]
pub struct Reliability {
    /// z-score of the sync at tile offset 0 against the other offsets.
    pub sync_z: f32,
    /// Each coded bit's soft value times its sign in `payload`, over the
    /// mean magnitude of the soft values: 1 is an average bit, 0 or less
    /// reads wrong.
    pub margins: Vec<f32>,
}

impl Reliability {
    /// Coded bits that read wrong.
    pub fn wrong(&self) -> usize {
        self.margins.iter().filter(|m| **m <= 0.0).count()
    }
}

fn reliability_at_origin(
    mean: &Plane,
    (w, h): (usize, usize),
    payload: u64,
    key: Key,
) -> Reliability {
    frame_sides(w, h)
        .iter()
        .map(|&side| reliability_on(mean, (w, h, side), payload, key))
        .max_by(|a, b| a.sync_z.total_cmp(&b.sync_z))
        .unwrap_or_else(|| reliability_on(mean, (w, h, WORK_SIDE), payload, key))
}

/// The grid sides a `w` x `h` frame may have been marked on, the coarse
/// grid's first.
pub(crate) fn frame_sides(w: usize, h: usize) -> &'static [usize] {
    if frame_side(w, h) == COARSE_SIDE {
        &[COARSE_SIDE, WORK_SIDE]
    } else {
        &[WORK_SIDE]
    }
}

fn reliability_on(
    mean: &Plane,
    (w, h, side): (usize, usize, usize),
    payload: u64,
    key: Key,
) -> Reliability {
    let pat = Pattern::new(key.0);
    let (gw, gh) = grid_size(w, h, side);
    let folded = fold(&local_normalised(&high_pass(&mean.resized(gw, gh))));
    let surface = sync_surface(&folded, &pat);
    let n = surface.len() as f32;
    let avg = surface.iter().sum::<f32>() / n;
    let sd = (surface.iter().map(|s| (s - avg).powi(2)).sum::<f32>() / n).sqrt();
    let sync_z = if sd > 0.0 {
        (surface[0] - avg) / sd
    } else {
        0.0
    };
    let soft = soft_bits(&folded, &pat, 0, 0);
    let scale = soft.iter().map(|s| s.abs()).sum::<f32>() / soft.len() as f32;
    let margins = soft
        .iter()
        .zip(encode(payload))
        .map(|(s, b)| s * b / scale.max(f32::MIN_POSITIVE))
        .collect();
    Reliability { sync_z, margins }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PUBLIC_KEY, embed, ssim::ssim_with};

    /// A grey frame carrying another payload's picture mark at `f` of its
    /// strength: a still background that works against about half of our
    /// bits.
    fn hostile(w: u32, h: u32, other: u64, f: f32) -> Vec<u8> {
        let mut img = image::RgbImage::from_pixel(w, h, image::Rgb([120, 120, 120]));
        embed(&mut img, other, PUBLIC_KEY).unwrap();
        img.pixels()
            .map(|p| (120.0 + f * (f32::from(p[1]) - 120.0)).round() as u8)
            .collect()
    }

    /// `n` xorshift levels from `seed`, each `base + (x % span)`.
    fn levels(seed: u32, n: usize, base: u8, span: u32) -> Vec<u8> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                base + (x % span) as u8
            })
            .collect()
    }

    fn read(frames: &[Vec<u8>], w: u32, h: u32) -> Option<u64> {
        let mut det = FrameDetector::new(PUBLIC_KEY);
        frames.iter().for_each(|f| det.push(f, w, h, w as usize));
        det.detect().map(|d| d.payload)
    }

    #[test]
    fn informed_marking_overcomes_a_still_background_the_plain_mark_loses_to() {
        let (w, h) = (640u32, 360u32);
        let (ours, other) = (0x0123_4567_89AB_CDEF, !0x0123_4567_89AB_CDEFu64);
        // Half the picture mark's strength: enough to beat the plain
        // mark's opposed bits (at 0.4 it does not), not the informed ones.
        let host = hostile(w, h, other, 0.5);
        let plain = FrameMarker::new(w, h, ours, PUBLIC_KEY).unwrap();
        let mut informed = plain.clone();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..12 {
            let mut f = host.clone();
            plain.apply(&mut f, w as usize);
            a.push(f);
            let mut f = host.clone();
            informed.mark(&mut f, w as usize);
            b.push(f);
        }
        assert_ne!(read(&a, w, h), Some(ours), "the plain mark should lose");
        assert_eq!(read(&b, w, h), Some(ours));
    }

    /// Frames whose left part is loud still noise that carries no mark
    /// (as a codec leaves a busy area) and whose right part carries the mark
    /// cleanly: the equal-weight fold drowns the clean part, the locally
    /// normalised one reads it.
    #[test]
    fn local_normalisation_reads_a_mark_left_clean_in_part_of_the_frame() {
        let (w, h) = (960usize, 540usize);
        let payload = 0x5EED_0000_0000_0038;
        let mut marker = FrameMarker::new(w as u32, h as u32, payload, PUBLIC_KEY).unwrap();
        let noise = levels(11, w * h, 88, 81);
        let mut det = FrameDetector::new(PUBLIC_KEY);
        for _ in 0..10 {
            let mut f = vec![128u8; w * h];
            marker.mark(&mut f, w);
            for (row, n) in f.chunks_mut(w).zip(noise.chunks(w)) {
                row[..w * CUT / 100].copy_from_slice(&n[..w * CUT / 100]);
            }
            det.push(&f, w as u32, h as u32, w);
        }
        let (_, _, n, sum) = &det.sums[0];
        let mean = Plane {
            w: sum.w,
            h: sum.h,
            data: sum.data.iter().map(|s| s / *n as f32).collect(),
        };
        let equal = detect_base(&mean, (w, h), PUBLIC_KEY, Reading::Picture, &SEARCHED_SIDES);
        assert_ne!(
            equal.map(|d| d.payload),
            Some(payload),
            "equal weights should lose"
        );
        assert_eq!(det.detect().map(|d| d.payload), Some(payload));
    }

    /// From a 1,024-px shorter side the mark is on the coarse grid, constant
    /// on x264's 16-px macroblocks, and a few frames still read back.
    #[test]
    fn a_1080p_mark_is_constant_on_16_px_blocks_and_reads_back() {
        let (w, h) = (1920usize, 1080usize);
        let payload = 0x5EED_0000_0000_0003;
        let mut marker = FrameMarker::new(w as u32, h as u32, payload, PUBLIC_KEY).unwrap();
        let frame: Vec<u8> = (0..w * h).map(|i| (40 + (i % w) * 160 / w) as u8).collect();
        let mut det = FrameDetector::new(PUBLIC_KEY);
        for _ in 0..3 {
            let mut f = frame.clone();
            marker.mark(&mut f, w);
            det.push(&f, w as u32, h as u32, w);
        }
        let d = &marker.delta;
        assert!(d.iter().any(|&v| v != 0));
        for y in 0..h {
            for x in 0..w {
                assert_eq!(
                    d[y * w + x],
                    d[(y / 16 * 16) * w + x / 16 * 16],
                    "({x}, {y})"
                );
            }
        }
        let read = det.detect();
        assert_eq!(read.as_ref().map(|d| d.payload), Some(payload));
        assert_eq!(read.map(|d| d.grid_side), Some(COARSE_SIDE));
        // Under 1,024 px the mark stays smooth.
        let small = FrameMarker::new(1280, 720, payload, PUBLIC_KEY).unwrap();
        let d = &small.delta;
        assert!((0..720 * 1280).any(|i| {
            let (x, y) = (i % 1280, i / 1280);
            d[i] != d[(y / 8 * 8) * 1280 + x / 8 * 8]
        }));
    }

    /// A still frame busy at the coarse cells' scale (random levels in
    /// 16-px squares) holds the coarse mark weakly: the video keeps the
    /// pictures' grid, in 8-px blocks, and reads back on it.
    #[test]
    fn still_busy_1080p_content_keeps_the_pictures_grid() {
        let (w, h) = (1920usize, 1080usize);
        let payload = 0x5EED_0000_0000_0004;
        let mut marker = FrameMarker::new(w as u32, h as u32, payload, PUBLIC_KEY).unwrap();
        let squares = levels(5, (w / 16) * (h / 16 + 1), 48, 40);
        let frame: Vec<u8> = (0..w * h)
            .map(|i| squares[(i / w / 16) * (w / 16) + (i % w) / 16])
            .collect();
        let mut det = FrameDetector::new(PUBLIC_KEY);
        for _ in 0..3 {
            let mut f = frame.clone();
            marker.mark(&mut f, w);
            det.push(&f, w as u32, h as u32, w);
        }
        assert_eq!(marker.side, WORK_SIDE);
        let d = &marker.delta;
        for y in 0..h {
            for x in 0..w {
                assert_eq!(d[y * w + x], d[(y / 8 * 8) * w + x / 8 * 8], "({x}, {y})");
            }
        }
        let read = det.detect();
        assert_eq!(read.as_ref().map(|d| d.payload), Some(payload));
        assert_eq!(read.map(|d| d.grid_side), Some(WORK_SIDE));
    }

    #[test]
    fn the_content_seen_before_the_label_chooses_the_grid() {
        // A smooth gradient holds the coarse grid; the same frame with its
        // top three quarters under busy 16-px squares (a notice's text,
        // drawn over it for its first seconds) would not. Shown the
        // content first, the marker keeps the coarse grid and reads back
        // from the frames as they are encoded; marking the covered frame
        // alone, it does not.
        let (w, h) = (1920usize, 1080usize);
        let payload = 0x5EED_0000_0000_0005;
        let content: Vec<u8> = (0..w * h).map(|i| (40 + (i % w) * 160 / w) as u8).collect();
        let squares = levels(9, (w / 16) * (h / 16 + 1), 48, 40);
        let mut covered = content.clone();
        for (i, p) in covered.iter_mut().enumerate().take(w * h * 3 / 4) {
            *p = squares[(i / w / 16) * (w / 16) + (i % w) / 16];
        }
        let mut seen = FrameMarker::new(w as u32, h as u32, payload, PUBLIC_KEY).unwrap();
        let mut unseen = seen.clone();
        let mut det = FrameDetector::new(PUBLIC_KEY);
        for _ in 0..3 {
            seen.see_content(&content, w);
            let mut f = covered.clone();
            seen.mark(&mut f, w);
            det.push(&f, w as u32, h as u32, w);
            unseen.mark(&mut covered.clone(), w);
        }
        assert_eq!(seen.side, COARSE_SIDE);
        assert_eq!(unseen.side, WORK_SIDE);
        let read = det.detect();
        assert_eq!(read.as_ref().map(|d| d.payload), Some(payload));
        assert_eq!(read.map(|d| d.grid_side), Some(COARSE_SIDE));
    }

    /// Percent of the width [`local_normalisation_reads_a_mark_left_clean_in_part_of_the_frame`]
    /// covers with noise.
    const CUT: usize = 75;

    #[test]
    fn a_frame_keeps_psnr_40_db_and_ssim_098_on_flat_and_busy_content() {
        // 1080p: the coarse mark made of 16-px blocks (`frame_delta`).
        for (w, h) in [(1280usize, 720usize), (1920, 1080)] {
            psnr_and_ssim_hold(w, h);
        }
    }

    /// SSIM of `marked` against `frame` (8-bit luma, `w` x `h`).
    fn luma_ssim(frame: &[u8], marked: &[u8], w: usize, h: usize) -> f64 {
        let plane = |data: Vec<f32>| Plane { w, h, data };
        let delta = marked
            .iter()
            .zip(frame)
            .map(|(m, f)| f32::from(*m) - f32::from(*f));
        ssim_with(
            &plane(frame.iter().map(|&p| f32::from(p)).collect()),
            &plane(delta.collect()),
        )
    }

    /// A grey ramp with strong noise: content the mark hides in.
    fn busy_frame(w: usize, h: usize) -> Vec<u8> {
        let mut x = 7u32;
        (0..w * h)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (60 + (i % w) * 100 / w) as u8 + (x & 0x1F) as u8
            })
            .collect()
    }

    #[test]
    fn the_ssim_floor_is_checked_again_between_updates() {
        // Busy frames until the half-way check, then a flat one: the mark
        // scaled for the busy frames would show on it.
        let (w, h) = (1280usize, 720usize);
        let (busy, flat) = (busy_frame(w, h), vec![128u8; w * h]);
        let mut marker = FrameMarker::new(w as u32, h as u32, 42, PUBLIC_KEY).unwrap();
        for _ in 0..SSIM_CHECK_FRAMES {
            marker.mark(&mut busy.clone(), w);
        }
        let mut unchecked = flat.clone();
        marker.apply(&mut unchecked, w);
        let before = luma_ssim(&flat, &unchecked, w, h);
        let mut checked = flat.clone();
        marker.mark(&mut checked, w);
        let after = luma_ssim(&flat, &checked, w, h);
        eprintln!("flat frame after busy ones: SSIM {before:.4} unchecked, {after:.4} checked");
        assert!(before < 0.98, "the busy frames' mark shows on flat content");
        assert!(after >= 0.98, "SSIM {after} after the check");
    }

    fn psnr_and_ssim_hold(w: usize, h: usize) {
        let busy = busy_frame(w, h);
        for (name, frame) in [("flat", vec![128u8; w * h]), ("busy", busy)] {
            let mut marker = FrameMarker::new(w as u32, h as u32, 42, PUBLIC_KEY).unwrap();
            let mut marked = frame.clone();
            marker.mark(&mut marked, w);
            let mse = frame
                .iter()
                .zip(&marked)
                .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
                .sum::<f64>()
                / (w * h) as f64;
            let psnr = 10.0 * (255.0f64 * 255.0 / mse).log10();
            let ssim = luma_ssim(&frame, &marked, w, h);
            eprintln!("{name} {w}x{h}: PSNR {psnr:.2} dB, SSIM {ssim:.4}");
            assert!((40.0..45.0).contains(&psnr), "{name}: PSNR {psnr}");
            assert!(ssim >= 0.98, "{name}: SSIM {ssim}");
        }
    }
}
