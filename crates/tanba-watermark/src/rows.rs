//! The mark on a picture that arrives row by row (a streamed PNG), in
//! memory that does not grow with the picture: a first pass feeds every
//! row to [`LumaRows`], which area-averages the luma onto the detector's
//! first shrink (twice the working grid, as `Plane::luma_shrunk` does, tall
//! boxes read on every other row); [`RowMark::informed`] then makes the
//! mark from it as [`crate::embed`] does (informed amplitudes, the PSNR
//! floor), and a second pass adds it to each row as `apply::add_enlarged`
//! adds it to a whole picture. The same [`LumaRows`] of an output feeds
//! [`KnownReader::push_rows`] for the read-back.
//!
//! Pictures under [`crate::SSIM_SAMPLED_SIDE`] on the shorter side keep the
//! whole-picture path: their SSIM floor needs every pixel (they are small).

use tanba_core::Error;

use crate::apply::{self, Enlarged};
use crate::pattern::TILE;
use crate::pattern::{Pattern, encode};
use crate::resample::{Plane, grid_size, taps};
use crate::{
    Detection, Key, KnownReader, SSIM_SAMPLED_SIDE, Strength, WORK_SIDE, grid::mark_plane,
};

/// One output row of the vertical box: first input row, weights (already
/// divided by what is kept) and the step between rows read.
#[derive(Debug)]
struct RowBox {
    start: usize,
    weights: Vec<f32>,
    step: usize,
}

/// The luma of a picture pushed row by row, area-averaged to twice the
/// working grid.
#[derive(Debug)]
pub struct LumaRows {
    w: usize,
    h: usize,
    tx: Vec<(usize, Vec<f32>)>,
    ty: Vec<RowBox>,
    sum: Plane,
    /// Rows pushed so far.
    y: usize,
    /// The first output row whose box may still take a row.
    first: usize,
    luma: Vec<f32>,
    shrunk: Vec<f32>,
    /// The first row pushed (the rows before it were skipped), and whether
    /// rows were skipped after it.
    from: Option<usize>,
    gap: bool,
}

impl LumaRows {
    /// An accumulator for a `width` x `height` picture; `None` when its
    /// shorter side is not over twice [`WORK_SIDE`] (no shrink: such
    /// pictures are small and read whole).
    pub fn new(width: u32, height: u32) -> Option<LumaRows> {
        let (w, h) = (width as usize, height as usize);
        if w.min(h) <= 2 * WORK_SIDE {
            return None;
        }
        let (sw, sh) = grid_size(w, h, 2 * WORK_SIDE);
        let ty = taps(h, sh, 0.0)
            .into_iter()
            .map(|(start, weights)| {
                let step = if weights.len() >= 8 { 2 } else { 1 };
                let kept: f32 = weights.iter().step_by(step).sum();
                let weights = weights.iter().map(|wt| wt / kept).collect();
                RowBox {
                    start,
                    weights,
                    step,
                }
            })
            .collect();
        Some(LumaRows {
            w,
            h,
            tx: taps(w, sw, 0.0),
            ty,
            sum: Plane {
                w: sw,
                h: sh,
                data: vec![0.0; sw * sh],
            },
            y: 0,
            first: 0,
            luma: vec![0.0; w],
            shrunk: vec![0.0; sw],
            from: None,
            gap: false,
        })
    }

    /// Adds the next row of 8-bit samples, `channels` a pixel: 1 grey, 2
    /// grey and alpha, 3 RGB, 4 RGBA (alpha is not luma). Rows past the
    /// picture's height are ignored.
    pub fn push_row(&mut self, row: &[u8], channels: usize) {
        let y = self.y;
        if y >= self.h {
            return;
        }
        self.from.get_or_insert(y);
        self.y += 1;
        while self
            .ty
            .get(self.first)
            .is_some_and(|b| b.start + b.weights.len() <= y)
        {
            self.first += 1;
        }
        let mut computed = false;
        for j in self.first..self.ty.len() {
            let b = &self.ty[j];
            if b.start > y {
                break;
            }
            let k = y - b.start;
            if k >= b.weights.len() || !k.is_multiple_of(b.step) {
                continue;
            }
            if !computed {
                luma_of(row, channels, &mut self.luma);
                for (o, (s, ws)) in self.shrunk.iter_mut().zip(&self.tx) {
                    *o = self.luma[*s..*s + ws.len()]
                        .iter()
                        .zip(ws)
                        .map(|(a, b)| a * b)
                        .sum();
                }
                computed = true;
            }
            let wt = b.weights[k];
            let sw = self.sum.w;
            for (o, s) in self.sum.data[j * sw..(j + 1) * sw]
                .iter_mut()
                .zip(&self.shrunk)
            {
                *o += wt * s;
            }
        }
    }

    /// Whether every row has been pushed (none skipped).
    pub fn is_complete(&self) -> bool {
        self.y == self.h && self.from == Some(0) && !self.gap
    }

    /// Skips the rows before `y` (not decoded): pushed from there on, the
    /// rows make a band, which [`LumaRows::read_known`] can read but
    /// nothing that needs the whole picture.
    pub fn skip_to(&mut self, y: usize) {
        if y > self.y {
            self.gap |= self.from.is_some();
            self.y = y.min(self.h);
        }
    }

    /// The band of picture rows [`LumaRows::read_known`] needs to read the
    /// mark from one whole tile period of the working grid (about a
    /// quarter of the picture's height when it is the taller side), as
    /// near to picture row `centre` as the picture allows.
    pub fn known_band(&self, centre: usize) -> std::ops::Range<usize> {
        let (_, gh) = grid_size(self.w, self.h, WORK_SIDE);
        let t = taps(self.sum.h, gh, 0.0);
        // The high-pass reads one grid row on each side of those it keeps.
        let span = (TILE + 2).min(gh);
        let c = centre.min(self.h) * gh / self.h.max(1);
        let r0 = c.saturating_sub(span / 2).min(gh - span);
        let (first, last) = (&t[r0], &t[r0 + span - 1]);
        let (s0, s1) = (first.0, last.0 + last.1.len() - 1);
        let (Some(b0), Some(b1)) = (self.ty.get(s0), self.ty.get(s1)) else {
            return 0..self.h;
        };
        b0.start..(b1.start + b1.weights.len()).min(self.h)
    }

    /// The read of the mark at the geometry it was embedded with (as
    /// [`KnownReader::read`] of the whole picture) from the rows pushed:
    /// all of them, or a band ([`LumaRows::skip_to`]) from which only the
    /// working grid's rows that depend on pushed rows alone are folded.
    /// `None` when those do not cover a whole tile period, or when no mark
    /// reads (sync z under 6, CRC failed).
    pub fn read_known(&self, key: Key) -> Option<Detection> {
        let rows = self.grid_rows_read();
        crate::known::read_mean(
            &self.sum,
            (self.w, self.h, crate::WORK_SIDE),
            key,
            Some(&rows),
        )
    }

    /// For each row of the working grid, whether its residual (the shrink
    /// resized to the grid, then high-passed) depends on pushed rows only.
    fn grid_rows_read(&self) -> Vec<bool> {
        let Some(from) = self.from.filter(|_| !self.gap) else {
            return Vec::new();
        };
        let to = self.y;
        let shrunk: Vec<bool> = self
            .ty
            .iter()
            .map(|b| b.start >= from && b.start + b.weights.len() <= to)
            .collect();
        let (_, gh) = grid_size(self.w, self.h, WORK_SIDE);
        let grid: Vec<bool> = taps(self.sum.h, gh, 0.0)
            .iter()
            .map(|(s, ws)| {
                shrunk
                    .get(*s..*s + ws.len())
                    .is_some_and(|r| r.iter().all(|&b| b))
            })
            .collect();
        (0..gh)
            .map(|r| {
                grid[r.saturating_sub(1)..=(r + 1).min(gh - 1)]
                    .iter()
                    .all(|&b| b)
            })
            .collect()
    }

    /// The blind read of [`crate::detect_details`] from the rows pushed (all
    /// of them; `None` otherwise): every scale and offset is tried on the
    /// shrink, so a picture too big to hold is read in the memory of its
    /// shrink.
    pub fn detect(&self, key: Key) -> Option<Detection> {
        if !self.is_complete() {
            return None;
        }
        crate::detect_base(
            &self.sum,
            (self.w, self.h),
            key,
            crate::Reading::Picture,
            &crate::PICTURE_SIDES,
        )
    }
}

/// BT.601 luma of one row of 8-bit samples.
fn luma_of(row: &[u8], channels: usize, out: &mut [f32]) {
    match channels {
        1 | 2 => {
            for (o, p) in out.iter_mut().zip(row.chunks_exact(channels)) {
                *o = f32::from(p[0]);
            }
        }
        _ => {
            for (o, p) in out.iter_mut().zip(row.chunks_exact(channels)) {
                *o = 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]);
            }
        }
    }
}

impl KnownReader {
    /// Adds a picture pushed row by row (every row): the streamed form of
    /// [`KnownReader::push_luma`]. An incomplete one is ignored.
    pub fn push_rows(&mut self, rows: LumaRows) {
        if rows.is_complete() {
            self.add_shrunk(rows.w, rows.h, rows.sum);
        }
    }
}

/// The mark of one payload on one picture, added row by row.
#[derive(Debug)]
pub struct RowMark {
    mark: Enlarged,
    strength: Strength,
}

impl RowMark {
    /// The informed mark carrying `payload` for the picture whose rows
    /// `rows` holds (all of them), as [`crate::embed`] makes it. Refused
    /// for pictures under [`SSIM_SAMPLED_SIDE`] on the shorter side (their
    /// SSIM floor needs the whole picture) and for incomplete rows.
    pub fn informed(rows: &LumaRows, payload: u64, key: Key) -> Result<RowMark, Error> {
        let (w, h) = (rows.w, rows.h);
        if w.min(h) < SSIM_SAMPLED_SIDE || !rows.is_complete() {
            return Err(Error::cannot_label(format!(
                "a {w}x{h} picture is marked whole, not row by row"
            )));
        }
        let pat = Pattern::new(key.0);
        let bits = encode(payload);
        let (gw, gh) = grid_size(w, h, WORK_SIDE);
        let work = rows.sum.resized(gw, gh);
        let amps = crate::informed_amplitudes(&work, &pat, &bits);
        let grid = mark_plane(gw, gh, &pat, &bits, crate::SYNC_AMP, &amps);
        let scale = apply::cap_scale(&grid, w, h);
        let cell_px = w.min(h) as f32 / WORK_SIDE as f32;
        let strength = crate::strength(&work, &grid, (scale, cell_px), &pat, &bits);
        Ok(RowMark {
            mark: Enlarged::new(&grid, w, h, scale),
            strength,
        })
    }

    /// How strongly the picture carries the mark.
    pub fn strength(&self) -> Strength {
        self.strength
    }

    /// Adds the mark to row `y` of 8-bit samples, `channels` a pixel (as
    /// [`LumaRows::push_row`]); alpha is left alone. `scratch` is reused
    /// between rows.
    pub fn mark_row(&self, y: usize, row: &mut [u8], channels: usize, scratch: &mut RowScratch) {
        scratch.line.resize(row.len() / channels.max(1), 0);
        scratch.line.fill(0);
        self.mark.row_delta(y, &mut scratch.line);
        apply::add_row(row, channels, &scratch.line);
    }
}

/// Buffers [`RowMark::mark_row`] reuses.
#[derive(Debug, Default)]
pub struct RowScratch {
    line: Vec<i16>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use image::RgbImage;

    use super::*;
    use crate::{PUBLIC_KEY, detect, detect_details};

    fn photo(w: u32, h: u32) -> RgbImage {
        let mut x = 99u32;
        RgbImage::from_fn(w, h, |px, py| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let v = (40 + (px + py) * 160 / (w + h)) as u8 + (x & 0x0F) as u8;
            image::Rgb([v, v / 2 + 40, v])
        })
    }

    #[test]
    fn rows_shrink_as_the_whole_picture_does_and_the_row_mark_is_embeds() {
        let img = photo(2100, 2400);
        let mut rows = LumaRows::new(2100, 2400).unwrap();
        for row in img.rows() {
            let raw: Vec<u8> = row.flat_map(|p| p.0).collect();
            rows.push_row(&raw, 3);
        }
        let whole = Plane::luma_shrunk(&img, rows.sum.w, rows.sum.h);
        let worst = whole
            .data
            .iter()
            .zip(&rows.sum.data)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-2, "the shrinks differ by up to {worst}");
        let mark = RowMark::informed(&rows, 0xfeed_beef, PUBLIC_KEY).unwrap();
        let mut by_rows = img.clone();
        let mut scratch = RowScratch::default();
        let w = by_rows.width() as usize * 3;
        for (y, row) in by_rows.chunks_exact_mut(w).enumerate() {
            mark.mark_row(y, row, 3, &mut scratch);
        }
        let mut whole = img.clone();
        crate::embed(&mut whole, 0xfeed_beef, PUBLIC_KEY).unwrap();
        let differ = whole
            .as_raw()
            .iter()
            .zip(by_rows.as_raw())
            .filter(|(a, b)| a != b)
            .count();
        assert!(
            differ * 1000 < whole.as_raw().len(),
            "{differ} samples differ"
        );
        assert_eq!(detect(&by_rows, PUBLIC_KEY), Some(0xfeed_beef));
        let mut reader = KnownReader::new(PUBLIC_KEY);
        let mut rows = LumaRows::new(2100, 2400).unwrap();
        for row in by_rows.chunks_exact(w) {
            rows.push_row(row, 3);
        }
        reader.push_rows(rows);
        assert_eq!(reader.read().map(|d| d.payload), Some(0xfeed_beef));
        assert!(LumaRows::new(256, 4000).is_none());
        let small = LumaRows::new(1000, 4000).unwrap();
        assert!(RowMark::informed(&small, 1, PUBLIC_KEY).is_err());
    }

    #[test]
    fn the_blind_read_of_rows_is_the_whole_pictures() {
        let mut img = photo(2100, 2400);
        crate::embed(&mut img, 0x0123_4567_89ab_cdef, PUBLIC_KEY).unwrap();
        let mut rows = LumaRows::new(2100, 2400).unwrap();
        let w = img.width() as usize * 3;
        let mut chunks = img.chunks_exact(w);
        for row in chunks.by_ref().take(2000) {
            rows.push_row(row, 3);
        }
        assert!(rows.detect(PUBLIC_KEY).is_none(), "read before the end");
        for row in chunks {
            rows.push_row(row, 3);
        }
        let by_rows = rows.detect(PUBLIC_KEY).unwrap();
        let whole = detect_details(&img, PUBLIC_KEY).unwrap();
        assert_eq!(by_rows.payload, 0x0123_4567_89ab_cdef);
        assert_eq!(by_rows.grid_side, whole.grid_side);
        assert!((by_rows.sync_z - whole.sync_z).abs() < 0.05 * whole.sync_z);
        let mut unmarked = LumaRows::new(2100, 2400).unwrap();
        for row in photo(2100, 2400).chunks_exact(w) {
            unmarked.push_row(row, 3);
        }
        assert!(unmarked.detect(PUBLIC_KEY).is_none());
    }

    /// Rows `band` of `img` pushed to a fresh [`LumaRows`], the rows
    /// before it skipped.
    fn pushed(img: &RgbImage, band: std::ops::Range<usize>) -> LumaRows {
        let mut rows = LumaRows::new(img.width(), img.height()).unwrap();
        rows.skip_to(band.start);
        let w = img.width() as usize * 3;
        for row in img.chunks_exact(w).skip(band.start).take(band.len()) {
            rows.push_row(row, 3);
        }
        rows
    }

    #[test]
    fn a_band_of_one_tile_period_reads_the_known_mark_and_less_reads_nothing() {
        let plain = photo(2100, 2400);
        let mut img = plain.clone();
        crate::embed(&mut img, 0x0123_4567_89ab_cdef, PUBLIC_KEY).unwrap();
        let probe = LumaRows::new(2100, 2400).unwrap();
        for centre in [0, 1200, 2399] {
            let band = probe.known_band(centre);
            // One tile period of 128 grid rows, and a few rows of margin.
            assert!(band.len() < 2400 * 3 / 10, "{centre}: {band:?}");
            assert!(band.contains(&centre.min(2399)), "{centre}: {band:?}");
            let rows = pushed(&img, band.clone());
            assert!(!rows.is_complete() && rows.detect(PUBLIC_KEY).is_none());
            let found = rows.read_known(PUBLIC_KEY);
            assert_eq!(found.map(|d| d.payload), Some(0x0123_4567_89ab_cdef));
            assert_eq!(rows.read_known(Key::private(7)), None, "{centre}");
            assert_eq!(pushed(&plain, band.clone()).read_known(PUBLIC_KEY), None);
            // Three grid rows short of a period: nothing is read.
            let short = if centre == 0 {
                band.start..band.end - 60
            } else {
                band.start + 60..band.end
            };
            assert_eq!(pushed(&img, short).read_known(PUBLIC_KEY), None, "{centre}");
        }
        // Every row: the whole picture's known read.
        let all = pushed(&img, 0..2400);
        assert!(all.is_complete());
        let mut reader = KnownReader::new(PUBLIC_KEY);
        let whole = all.read_known(PUBLIC_KEY);
        reader.push_rows(all);
        assert_eq!(whole, reader.read());
        // Rows skipped after some were pushed: nothing is read.
        let mut gap = pushed(&img, 0..1200);
        gap.skip_to(1300);
        assert_eq!(gap.read_known(PUBLIC_KEY), None);
    }
}
