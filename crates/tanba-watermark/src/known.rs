//! Reading a mark back where it was embedded: the labeler's check of its
//! own output, whose size and grid are known (no crop, no resize), so the
//! one hypothesis of the embedding's geometry is read (working grid of
//! [`WORK_SIDE`], or a video frame's own grid, phase 0, tile offset 0) instead of the blind search over
//! every scale, phase and offset. One shrink, one fold, one sync
//! correlation: a few milliseconds on a 12-MP picture, where the blind
//! search takes tens.
//!
//! The payload is decoded from the pixels as the blind detector decodes it
//! (sync z-score at least 6, the CRC checked), so a read never reports a
//! mark the pixels do not carry; the caller compares it with the payload
//! it embedded.

use image::RgbImage;

use crate::grid::{fold, fold_rows, soft_bits, sync_surface};
use crate::pattern::{Pattern, decode_chase};
use crate::resample::{Plane, grid_size, high_pass, taps};
use crate::video::frame_sides;
use crate::{CHASE_MIN_Z, Detection, Key, MIN_PICTURE_SIDE, MIN_SYNC_Z, WORK_SIDE};

/// Sums frames (or one picture) of one size and reads the mark at the
/// geometry it was embedded with.
#[derive(Debug, Clone)]
pub struct KnownReader {
    key: Key,
    /// Stored size of the pictures pushed.
    size: Option<(usize, usize)>,
    /// Pictures summed.
    count: usize,
    /// Their sum, shrunk to twice the working grid.
    sum: Option<Plane>,
    /// Video frames: read on the grid [`crate::FrameMarker`] marks them on.
    frames: bool,
}

impl KnownReader {
    /// A reader for marks made with `key` on pictures.
    pub fn new(key: Key) -> Self {
        KnownReader {
            key,
            size: None,
            count: 0,
            sum: None,
            frames: false,
        }
    }

    /// A reader for marks [`crate::FrameMarker`] made with `key` on video
    /// frames (large frames are marked on a coarser grid than pictures).
    pub fn frames(key: Key) -> Self {
        KnownReader {
            frames: true,
            ..KnownReader::new(key)
        }
    }

    /// Adds an 8-bit luma plane (`stride` bytes a row). Pictures too small
    /// to carry the mark, of another size than the first, or whose plane is
    /// shorter than the size says, are ignored.
    pub fn push_luma(&mut self, luma: &[u8], width: u32, height: u32, stride: usize) {
        let (w, h) = (width as usize, height as usize);
        let stride = stride.max(w);
        if width.min(height) < MIN_PICTURE_SIDE || luma.len() < stride * (h - 1) + w {
            return;
        }
        if self.size.is_some_and(|s| s != (w, h)) {
            return;
        }
        let (sw, sh) = shrunk_size(w, h);
        let shrunk = shrink_luma(luma, (w, h, stride), sw, sh);
        self.add(w, h, shrunk);
    }

    /// Adds a plane already shrunk to [`shrunk_size`] (rows pushed one by
    /// one, see `rows`), unless it is of another size than the first.
    pub(crate) fn add_shrunk(&mut self, w: usize, h: usize, shrunk: Plane) {
        if self.size.is_none_or(|s| s == (w, h)) && (shrunk.w, shrunk.h) == shrunk_size(w, h) {
            self.add(w, h, shrunk);
        }
    }

    /// Adds an RGB picture (its BT.601 luma, as the embedder saw it).
    pub fn push_rgb(&mut self, img: &RgbImage) {
        let (w, h) = (img.width() as usize, img.height() as usize);
        if img.width().min(img.height()) < MIN_PICTURE_SIDE
            || self.size.is_some_and(|s| s != (w, h))
        {
            return;
        }
        let (sw, sh) = shrunk_size(w, h);
        let shrunk = if (sw, sh) == (w, h) {
            Plane::luma(img)
        } else {
            Plane::luma_shrunk(img, sw, sh)
        };
        self.add(w, h, shrunk);
    }

    fn add(&mut self, w: usize, h: usize, shrunk: Plane) {
        self.size = Some((w, h));
        self.count += 1;
        match &mut self.sum {
            Some(sum) => sum
                .data
                .iter_mut()
                .zip(&shrunk.data)
                .for_each(|(s, v)| *s += v),
            None => self.sum = Some(shrunk),
        }
    }

    /// The payload read at the embedding's geometry from the mean of what
    /// was pushed, if a mark is there: the sync at tile offset 0 stands at
    /// least 6 standard deviations above the other offsets and the bits
    /// read there pass the CRC.
    pub fn read(&self) -> Option<Detection> {
        let (sum, (w, h)) = (self.sum.as_ref()?, self.size?);
        let k = 1.0 / self.count.max(1) as f32;
        let mean = Plane {
            w: sum.w,
            h: sum.h,
            data: sum.data.iter().map(|s| s * k).collect(),
        };
        let sides: &[usize] = if self.frames {
            frame_sides(w, h)
        } else {
            &[WORK_SIDE]
        };
        sides
            .iter()
            .find_map(|&side| read_mean(&mean, (w, h, side), self.key, None))
    }
}

/// The read of [`KnownReader::read`] from `mean`, the shrink of a `w` x
/// `h` picture marked on the grid whose shorter side is `side`, folding
/// every row of the grid or only those `rows` marks (`None` unless they
/// cover every row of a tile).
pub(crate) fn read_mean(
    mean: &Plane,
    (w, h, side): (usize, usize, usize),
    key: Key,
    rows: Option<&[bool]>,
) -> Option<Detection> {
    let pat = Pattern::new(key.0);
    let (gw, gh) = grid_size(w, h, side);
    let residual = high_pass(&mean.resized(gw, gh));
    let folded = match rows {
        None => fold(&residual),
        Some(rows) => fold_rows(&residual, rows)?,
    };
    let surface = sync_surface(&folded, &pat);
    let z = z_at_origin(&surface);
    if z < MIN_SYNC_Z {
        return None;
    }
    let flips = if z >= CHASE_MIN_Z { 2 } else { 0 };
    decode_chase(&soft_bits(&folded, &pat, 0, 0), flips).map(|payload| Detection {
        payload,
        sync_z: z,
        grid_side: side,
    })
}

/// Size of the first shrink the detector and embedder share (twice the
/// working grid), or the picture's own when it is not larger.
pub(crate) fn shrunk_size(w: usize, h: usize) -> (usize, usize) {
    if w.min(h) > 2 * WORK_SIDE {
        grid_size(w, h, 2 * WORK_SIDE)
    } else {
        (w, h)
    }
}

/// z-score of the sync correlation at tile offset 0 against every offset.
fn z_at_origin(surface: &[f32]) -> f32 {
    let n = surface.len() as f32;
    let mean = surface.iter().sum::<f32>() / n;
    let sd = (surface.iter().map(|s| (s - mean).powi(2)).sum::<f32>() / n).sqrt();
    if sd > 0.0 {
        (surface[0] - mean) / sd
    } else {
        0.0
    }
}

/// An 8-bit luma plane (`w` x `h`, `stride` bytes a row) area-averaged to
/// `nw` x `nh`, as `Plane::luma_shrunk` does from RGB (tall boxes read on
/// every other row).
pub(crate) fn shrink_luma(
    luma: &[u8],
    (w, h, stride): (usize, usize, usize),
    nw: usize,
    nh: usize,
) -> Plane {
    if (nw, nh) == (w, h) {
        let mut data = Vec::with_capacity(w * h);
        for row in luma.chunks(stride).take(h) {
            data.extend(row[..w].iter().map(|&v| f32::from(v)));
        }
        return Plane { w, h, data };
    }
    let (tx, ty) = (taps(w, nw, 0.0), taps(h, nh, 0.0));
    let columns = Columns::new(&tx);
    let mut data = Vec::with_capacity(nw * nh);
    // The row's tail past `w` stays zero: the padded taps read it.
    let mut row = vec![0.0f32; w + columns.taps];
    for (start, weights) in &ty {
        if weights.is_empty() {
            row.fill(0.0);
        }
        let step = if weights.len() >= 8 { 2 } else { 1 };
        let kept: f32 = weights.iter().step_by(step).sum();
        let lines: Vec<(f32, &[u8])> = weights
            .iter()
            .enumerate()
            .step_by(step)
            .map(|(k, wt)| (wt / kept, &luma[(start + k) * stride..][..w]))
            .collect();
        vertical(&lines, &mut row[..w]);
        columns.shrink(&row, &mut data);
    }
    Plane { w: nw, h: nh, data }
}

/// `row[x]` = the sum of `wt * line[x]` over `lines` in order (the first
/// set, not added to zero), [`LANES`] pixels at a time kept in registers
/// across the lines.
fn vertical(lines: &[(f32, &[u8])], row: &mut [f32]) {
    let Some(&(w0, first)) = lines.first() else {
        return;
    };
    let w = row.len();
    let full = w / LANES * LANES;
    let (head, tail) = row.split_at_mut(full);
    for (c, out) in head.chunks_exact_mut(LANES).enumerate() {
        let at = c * LANES;
        let mut acc = [0.0f32; LANES];
        acc.iter_mut()
            .zip(&first[at..at + LANES])
            .for_each(|(a, &p)| *a = w0 * f32::from(p));
        for &(wt, line) in &lines[1..] {
            acc.iter_mut()
                .zip(&line[at..at + LANES])
                .for_each(|(a, &p)| *a += wt * f32::from(p));
        }
        out.copy_from_slice(&acc);
    }
    for (x, r) in (full..w).zip(tail) {
        *r = w0 * f32::from(first[x]);
        for &(wt, line) in &lines[1..] {
            *r += wt * f32::from(line[x]);
        }
    }
}

/// Pixels [`vertical`] works on at once: 16 bytes of a line, one load.
const LANES: usize = 16;

/// The horizontal box taps of a shrink, each output's weights padded with
/// zeros to the longest, rounded up to 4, 6 or 8 (adding zero times a pixel
/// leaves the sum as it is), so the taps of every output are the same
/// short unrolled loop.
struct Columns {
    starts: Vec<usize>,
    /// `taps` weights an output, output after output.
    weights: Vec<f32>,
    taps: usize,
}

impl Columns {
    fn new(tx: &[(usize, Vec<f32>)]) -> Columns {
        let longest = tx.iter().map(|(_, ws)| ws.len()).max().unwrap_or(0);
        let taps = match longest {
            0..=4 => 4,
            5..=6 => 6,
            7..=8 => 8,
            n => n,
        };
        let mut weights = Vec::with_capacity(tx.len() * taps);
        for (_, ws) in tx {
            weights.extend_from_slice(ws);
            weights.resize(weights.len() + taps - ws.len(), 0.0);
        }
        Columns {
            starts: tx.iter().map(|(s, _)| *s).collect(),
            weights,
            taps,
        }
    }

    /// Appends one shrunk row of `row` (its width plus `taps` zeros) to
    /// `out`: each output the sum of its taps in order.
    fn shrink(&self, row: &[f32], out: &mut Vec<f32>) {
        let n = self.taps;
        let each = self.starts.iter().zip(self.weights.chunks_exact(n));
        match n {
            4 => out.extend(each.map(|(&s, ws)| dot::<4>(&row[s..], ws))),
            6 => out.extend(each.map(|(&s, ws)| dot::<6>(&row[s..], ws))),
            8 => out.extend(each.map(|(&s, ws)| dot::<8>(&row[s..], ws))),
            _ => out.extend(each.map(|(&s, ws)| {
                row[s..s + n]
                    .iter()
                    .zip(ws)
                    .fold(0.0, |a, (p, w)| a + p * w)
            })),
        }
    }
}

/// The sum of `ws[i] * row[i]` over the first `N` in order.
fn dot<const N: usize>(row: &[f32], ws: &[f32]) -> f32 {
    row[..N]
        .iter()
        .zip(&ws[..N])
        .fold(0.0, |a, (p, w)| a + p * w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PUBLIC_KEY, embed};

    fn photo(w: u32, h: u32, seed: u32) -> RgbImage {
        let mut x = seed;
        RgbImage::from_fn(w, h, |px, py| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let v = (40 + (px + py) * 160 / (w + h)) as u8 + (x & 0x0F) as u8;
            image::Rgb([v, v / 2 + 40, v])
        })
    }

    fn grey(img: &RgbImage) -> Vec<u8> {
        image::DynamicImage::ImageRgb8(img.clone())
            .to_luma8()
            .into_raw()
    }

    #[test]
    fn the_mark_reads_back_at_its_own_geometry_from_rgb_and_luma() {
        for (w, h) in [(1200, 900), (300, 420)] {
            let mut img = photo(w, h, 11);
            let mut plain = KnownReader::new(PUBLIC_KEY);
            plain.push_rgb(&img);
            assert_eq!(plain.read(), None, "unmarked {w}x{h}");
            embed(&mut img, 0xfeed_beef_0123_4567, PUBLIC_KEY).unwrap();
            let mut rgb = KnownReader::new(PUBLIC_KEY);
            rgb.push_rgb(&img);
            let found = rgb.read().expect("reads from RGB");
            assert_eq!(found.payload, 0xfeed_beef_0123_4567);
            assert!(found.sync_z >= MIN_SYNC_Z);
            // The same from the luma plane, with a stride wider than a row.
            let luma = grey(&img);
            let stride = w as usize + 16;
            let mut padded = vec![0u8; stride * h as usize];
            for (dst, src) in padded.chunks_mut(stride).zip(luma.chunks(w as usize)) {
                dst[..w as usize].copy_from_slice(src);
            }
            let mut from_luma = KnownReader::new(PUBLIC_KEY);
            from_luma.push_luma(&padded, w, h, stride);
            assert_eq!(from_luma.read().map(|d| d.payload), Some(found.payload));
            // Another key reads nothing.
            let mut other = KnownReader::new(Key::private(7));
            other.push_rgb(&img);
            assert_eq!(other.read(), None);
        }
    }

    #[test]
    fn frames_are_summed_and_a_moved_mark_is_not_read_at_the_origin() {
        let mut frames: Vec<RgbImage> = (0..3).map(|i| photo(640, 360, 5 + i)).collect();
        for f in &mut frames {
            embed(f, 42, PUBLIC_KEY).unwrap();
        }
        let mut reader = KnownReader::new(PUBLIC_KEY);
        frames.iter().for_each(|f| reader.push_rgb(f));
        // A picture of another size is not summed in.
        reader.push_rgb(&photo(512, 512, 3));
        assert_eq!(reader.read().map(|d| d.payload), Some(42));
        // Cropped by a third of a tile: the blind detector's business, not
        // this read's (the geometry is not the embedding's).
        let cropped = image::imageops::crop_imm(&frames[0], 40, 40, 600, 320).to_image();
        let mut moved = KnownReader::new(PUBLIC_KEY);
        moved.push_rgb(&cropped);
        assert_eq!(moved.read(), None);
        // Too small, or nothing pushed: nothing read.
        let mut small = KnownReader::new(PUBLIC_KEY);
        small.push_luma(&[0u8; 100 * 100], 100, 100, 100);
        assert_eq!(small.read(), None);
    }
}
