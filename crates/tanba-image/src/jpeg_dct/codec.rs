//! The coefficient stream: a baseline scan decoded one MCU row at a time
//! (memory independent of the picture's height), the badge drawn on the
//! rows it covers, and every block handed on to a [`Sink`] that counts
//! symbols (for optimal tables) or writes them again. When a core is
//! spare, the scan is decoded on a second thread a few rows ahead of the
//! writer (the decoding carries its state, DC predictions and bit
//! position, from row to row; the rows cross in order).

use super::frame::Frame;
use super::huffman::{self, BitReader, BitWriter, Decoder, Encoder, category, magnitude_bits};
use super::progressive::Coefs;
use super::region::{self, Badge, RowBlocks};
use super::watermark::DctMark;
use tanba_core::{Error, Result};

/// Receives every block in scan order.
pub(crate) trait Sink {
    /// The block of component `comp` (quantised, zig-zag order).
    fn block(&mut self, comp: usize, coefs: &[i16; 64]);
    /// A restart: DC prediction starts again.
    fn restart(&mut self);
    /// The end of an MCU row.
    fn row_done(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Bytes a [`Writer`] with a direct output gathers before writing them.
pub(crate) const DRAIN: usize = 256 << 10;

/// The blocks the badge changed, by MCU row, kept from the counting pass
/// for the writing pass (a small rectangle: the badge's MCUs).
pub(crate) struct Patches {
    /// Whether a second pass will want them (a single pass keeps none).
    wanted: bool,
    rows: Vec<(usize, RowBlocks)>,
}

impl Patches {
    pub(crate) fn new(wanted: bool) -> Self {
        Patches {
            wanted,
            rows: Vec::new(),
        }
    }

    /// Copies row `row`'s blocks in MCU columns `c0..=c1` out of `blocks`.
    fn keep(&mut self, f: &Frame<'_>, row: usize, [c0, c1]: [usize; 2], blocks: &RowBlocks) {
        if !self.wanted {
            return;
        }
        let cols = f.mcus().0;
        let saved = f
            .comps
            .iter()
            .zip(blocks)
            .map(|(c, b)| {
                (0..c.v)
                    .flat_map(|by| {
                        b[by * cols * c.h + c0 * c.h..by * cols * c.h + (c1 + 1) * c.h]
                            .iter()
                            .copied()
                    })
                    .collect()
            })
            .collect();
        self.rows.push((row, saved));
    }

    /// Puts row `row`'s kept blocks back; false when none were kept.
    fn restore(
        &self,
        f: &Frame<'_>,
        row: usize,
        [c0, c1]: [usize; 2],
        blocks: &mut RowBlocks,
    ) -> bool {
        let Some((_, saved)) = self.rows.iter().find(|(r, _)| *r == row) else {
            return false;
        };
        let cols = f.mcus().0;
        for ((c, b), s) in f.comps.iter().zip(blocks.iter_mut()).zip(saved) {
            let n = (c1 - c0 + 1) * c.h;
            for by in 0..c.v {
                let at = by * cols * c.h + c0 * c.h;
                b[at..at + n].copy_from_slice(&s[by * n..(by + 1) * n]);
            }
        }
        true
    }
}

/// Where the MCU rows come from.
pub(crate) enum Rows<'a> {
    /// Decoded from a baseline scan as they are needed.
    Scan(Baseline<'a>),
    /// Copied from a progressive picture's whole coefficient array.
    Whole(&'a Coefs),
}

/// A baseline scan being read.
pub(crate) struct Baseline<'a> {
    tables: Vec<(Decoder, Decoder)>,
    preds: Vec<i32>,
    reader: BitReader<'a>,
    index: usize,
}

impl<'a> Baseline<'a> {
    pub(crate) fn new(f: &Frame<'a>) -> Result<Self> {
        let mut tables = Vec::with_capacity(f.comps.len());
        for c in &f.comps {
            let (Some(dc), Some(ac)) = (f.dc[c.td].as_ref(), f.ac[c.ta].as_ref()) else {
                return Err(Error::malformed(
                    "JPEG scan uses a Huffman table it does not define",
                ));
            };
            tables.push((Decoder::new(dc)?, Decoder::new(ac)?));
        }
        Ok(Baseline {
            tables,
            preds: vec![0; f.comps.len()],
            reader: BitReader::new(f.data),
            index: 0,
        })
    }

    /// Decodes the next MCU row into `blocks`.
    fn row(&mut self, f: &Frame<'_>, blocks: &mut RowBlocks) -> Result<()> {
        let cols = f.mcus().0;
        for col in 0..cols {
            if f.restart > 0 && self.index > 0 && self.index.is_multiple_of(f.restart) {
                self.reader
                    .restart(((self.index / f.restart - 1) % 8) as u8)?;
                self.preds.fill(0);
            }
            for (ci, c) in f.comps.iter().enumerate() {
                for by in 0..c.v {
                    for bx in 0..c.h {
                        let at = by * cols * c.h + col * c.h + bx;
                        let (t, pred) = (&self.tables[ci], &mut self.preds[ci]);
                        decode_block(&mut self.reader, t, pred, &mut blocks[ci][at])?;
                    }
                }
            }
            self.reader.check()?;
            self.index += 1;
        }
        Ok(())
    }

    /// Offset in the scan data of the marker that ends it.
    pub(crate) fn end(&self) -> usize {
        self.reader.position()
    }
}

/// What a walk over the rows changes and how it writes them.
pub(crate) struct Walk<'a> {
    pub badge: &'a Badge<'a>,
    /// The watermark, added to every row before the badge is drawn.
    pub mark: Option<&'a DctMark>,
    /// A restart every this many MCUs (0: none).
    pub out_restart: usize,
}

/// Walks the MCU rows of `f` from `rows`, adding the mark and drawing the
/// badge (or putting back the blocks `patches` kept from an earlier pass),
/// handing blocks to `sink`. A baseline scan big enough is decoded on a
/// second thread when a core is spare ([`spare_core`]), which then adds
/// the mark too; the blocks, and so the output, are the same either way.
pub(crate) fn run(
    f: &Frame<'_>,
    rows: &mut Rows<'_>,
    walk: &Walk<'_>,
    patches: &mut Patches,
    sink: &mut impl Sink,
) -> Result<()> {
    run_with(f, rows, walk, patches, sink, spare_core())
}

/// [`run`], decoding on a second thread when `piped` (and the rows come
/// from a scan of at least [`PIPED_MIN_ROWS`] MCU rows).
pub(super) fn run_with(
    f: &Frame<'_>,
    rows: &mut Rows<'_>,
    walk: &Walk<'_>,
    patches: &mut Patches,
    sink: &mut impl Sink,
    piped: bool,
) -> Result<()> {
    let n_rows = f.mcus().1;
    let mut blocks = row_blocks(f);
    match rows {
        Rows::Scan(b) if piped && n_rows >= PIPED_MIN_ROWS => run_piped(f, b, walk, patches, sink),
        Rows::Scan(b) => (0..n_rows).try_for_each(|row| {
            b.row(f, &mut blocks)?;
            finish_row(f, row, &mut blocks, walk, patches, sink)
        }),
        Rows::Whole(c) => (0..n_rows).try_for_each(|row| {
            c.row(f, row, &mut blocks);
            finish_row(f, row, &mut blocks, walk, patches, sink)
        }),
    }
}

/// Fewer MCU rows than this are not worth a thread (a 1-MP 4:2:0 picture
/// has 63).
const PIPED_MIN_ROWS: usize = 64;

/// MCU rows decoded ahead of the writer at most (each 4000-px 4:2:0 row is
/// 141 KiB of coefficients).
const PIPED_AHEAD: usize = 4;

/// Whether a core is spare for a second thread: the machine has more
/// cores than the rayon pool this runs in has workers (`tanba label
/// --jobs 1` on two cores), or this does not run on a pool's worker at
/// all (a program calling the library itself).
pub(crate) fn spare_core() -> bool {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores > 1 && (rayon::current_thread_index().is_none() || rayon::current_num_threads() < cores)
}

/// One MCU row's worth of zeroed blocks for `f`.
fn row_blocks(f: &Frame<'_>) -> RowBlocks {
    let cols = f.mcus().0;
    f.comps
        .iter()
        .map(|c| vec![[0i16; 64]; cols * c.h * c.v])
        .collect()
}

/// The rows of a baseline scan decoded on a second thread, at most
/// [`PIPED_AHEAD`] ahead, and finished here in order. The row buffers go
/// back and forth (no allocation per row); an error on either side ends
/// both (the other side's channel closes).
fn run_piped(
    f: &Frame<'_>,
    b: &mut Baseline<'_>,
    walk: &Walk<'_>,
    patches: &mut Patches,
    sink: &mut impl Sink,
) -> Result<()> {
    use std::sync::mpsc::sync_channel;
    let n_rows = f.mcus().1;
    let (full_tx, full_rx) = sync_channel::<Result<RowBlocks>>(PIPED_AHEAD);
    let (empty_tx, empty_rx) = sync_channel::<RowBlocks>(PIPED_AHEAD + 1);
    // The mark is added on the decoding thread (it has time to spare while
    // the writer codes the rows); the badge is drawn over it here, after.
    let mark = walk.mark;
    let walk = &Walk {
        mark: None,
        ..*walk
    };
    std::thread::scope(|s| {
        s.spawn(move || {
            for row in 0..n_rows {
                let Ok(mut blocks) = empty_rx.recv() else {
                    return;
                };
                let decoded = b.row(f, &mut blocks).map(|()| {
                    if let Some(m) = mark {
                        m.row(f, row, &mut blocks);
                    }
                    blocks
                });
                let failed = decoded.is_err();
                if full_tx.send(decoded).is_err() || failed {
                    return;
                }
            }
        });
        for _ in 0..=PIPED_AHEAD {
            // The decoder holds the receiver until it is done.
            let _ = empty_tx.send(row_blocks(f));
        }
        for row in 0..n_rows {
            let mut blocks = full_rx
                .recv()
                .map_err(|_| Error::cannot_label("the JPEG decoding thread stopped"))??;
            finish_row(f, row, &mut blocks, walk, patches, sink)?;
            // The decoder may be done and gone.
            let _ = empty_tx.send(blocks);
        }
        Ok(())
    })
}

/// Adds the mark to MCU row `row`, draws the badge (or puts back the
/// blocks `patches` kept) and hands the row's blocks to `sink`.
fn finish_row(
    f: &Frame<'_>,
    row: usize,
    blocks: &mut RowBlocks,
    walk: &Walk<'_>,
    patches: &mut Patches,
    sink: &mut impl Sink,
) -> Result<()> {
    let Walk {
        badge,
        mark,
        out_restart,
    } = *walk;
    let cols = f.mcus().0;
    if let Some(m) = mark {
        m.row(f, row, blocks);
    }
    if let Some([c0, c1, r0, r1]) = badge.mcu_rect(f)
        && (r0..=r1).contains(&row)
        && !patches.restore(f, row, [c0, c1], blocks)
    {
        region::apply(f, blocks, row, [c0, c1], badge);
        patches.keep(f, row, [c0, c1], blocks);
    }
    for col in 0..cols {
        let n = row * cols + col;
        if out_restart > 0 && n > 0 && n.is_multiple_of(out_restart) {
            sink.restart();
        }
        for (ci, c) in f.comps.iter().enumerate() {
            for by in 0..c.v {
                for bx in 0..c.h {
                    sink.block(ci, &blocks[ci][by * cols * c.h + col * c.h + bx]);
                }
            }
        }
    }
    sink.row_done()
}

fn decode_block(
    r: &mut BitReader<'_>,
    t: &(Decoder, Decoder),
    pred: &mut i32,
    out: &mut [i16; 64],
) -> Result<()> {
    let bad = || Error::malformed("JPEG scan data is corrupt (bad Huffman code or coefficient)");
    *out = [0; 64];
    let (s, diff) = r.decode_value(&t.0, true)?;
    if s > 11 {
        return Err(bad());
    }
    *pred += diff;
    // An 8-bit picture's DC lies in -1024..=1023 and its AC in
    // -1023..=1023; a stream past that is kept writable (every difference
    // and size has a baseline code) by clamping.
    let dc = i16::try_from(*pred).map_err(|_| bad())?;
    out[0] = dc.clamp(-1024, 1023);
    let mut k = 1usize;
    while k < 64 {
        let (rs, v) = r.decode_value(&t.1, false)?;
        let (run, size) = (usize::from(rs >> 4), rs & 15);
        if size == 0 {
            if run != 15 {
                break;
            }
            k += 16;
            continue;
        }
        k += run;
        if k > 63 {
            return Err(bad());
        }
        out[k] = v.clamp(-1023, 1023) as i16;
        k += 1;
    }
    if k > 64 {
        return Err(bad());
    }
    Ok(())
}

/// Which output table (0: luma, 1: chroma) each component uses when the
/// tables are built anew.
pub(crate) fn slot(comp: usize) -> usize {
    usize::from(comp > 0)
}

/// Counts the symbols each output table would code.
pub(crate) struct Counter {
    pub dc: [[u32; 256]; 2],
    pub ac: [[u32; 256]; 2],
    preds: Vec<i32>,
}

impl Counter {
    pub(crate) fn new(comps: usize) -> Self {
        Counter {
            dc: [[0; 256]; 2],
            ac: [[0; 256]; 2],
            preds: vec![0; comps],
        }
    }
}

/// Bit k set when coefficient k (zig-zag, 1..=63) is not zero.
#[inline]
fn nonzero_ac(c: &[i16; 64]) -> u64 {
    // Eight lanes at a time, in a form the compiler turns into vector
    // compares.
    let mut mask = 0u64;
    for (g, lanes) in c.chunks_exact(8).enumerate() {
        let mut byte = 0u64;
        for (i, &v) in lanes.iter().enumerate() {
            byte |= u64::from(v != 0) << i;
        }
        mask |= byte << (8 * g);
    }
    mask & !1
}

/// Calls `f(run, value)` for each nonzero AC coefficient with the zeros
/// before it (over 15 already split off as `f(16, 0)` for ZRL), then
/// `f(0, 0)` for EOB when the block ends in zeros.
#[inline]
fn each_ac(c: &[i16; 64], mut f: impl FnMut(u32, i32)) {
    let mut mask = nonzero_ac(c);
    let mut last = 0u32;
    while mask != 0 {
        let k = mask.trailing_zeros();
        let mut run = k - last - 1;
        while run > 15 {
            f(16, 0);
            run -= 16;
        }
        f(run, i32::from(c[k as usize]));
        last = k;
        mask &= mask - 1;
    }
    if last != 63 {
        f(0, 0);
    }
}

impl Sink for Counter {
    fn block(&mut self, comp: usize, c: &[i16; 64]) {
        let t = slot(comp);
        let diff = i32::from(c[0]) - self.preds[comp];
        self.preds[comp] = i32::from(c[0]);
        self.dc[t][usize::from(category(diff))] += 1;
        let ac = &mut self.ac[t];
        each_ac(c, |run, v| match (run, v) {
            (16, 0) => ac[0xF0] += 1,
            (_, 0) => ac[0] += 1,
            (run, v) => ac[(run as usize) << 4 | usize::from(category(v))] += 1,
        });
    }

    fn restart(&mut self) {
        self.preds.fill(0);
    }
}

/// Writes the blocks with one (DC, AC) encoder pair per component.
pub(crate) struct Writer<'a, 'w> {
    pub bits: BitWriter<'a>,
    pub tables: Vec<(Encoder, Encoder)>,
    preds: Vec<i32>,
    restarts: u8,
    /// Where the bytes go as rows are done, if not kept in `bits.out`.
    direct: Option<&'a mut (dyn std::io::Write + 'w)>,
}

impl<'a, 'w> Writer<'a, 'w> {
    pub(crate) fn new(out: &'a mut Vec<u8>, tables: Vec<(Encoder, Encoder)>) -> Self {
        let n = tables.len();
        Writer {
            bits: BitWriter::new(out),
            tables,
            preds: vec![0; n],
            restarts: 0,
            direct: None,
        }
    }

    /// Sends the bytes to `direct` (when given) once [`DRAIN`] gather.
    pub(crate) fn with_direct(mut self, direct: Option<&'a mut (dyn std::io::Write + 'w)>) -> Self {
        self.direct = direct;
        self
    }

    /// Writes the bytes made so far to the direct output, if there is one
    /// and they are more than `at_least`.
    pub(crate) fn drain(&mut self, at_least: usize) -> Result<()> {
        if let Some(d) = self.direct.as_mut()
            && self.bits.out.len() > at_least
        {
            d.write_all(self.bits.out)?;
            self.bits.out.clear();
        }
        Ok(())
    }
}

impl Sink for Writer<'_, '_> {
    fn block(&mut self, comp: usize, c: &[i16; 64]) {
        let (dc, ac) = &self.tables[comp];
        let diff = i32::from(c[0]) - self.preds[comp];
        self.preds[comp] = i32::from(c[0]);
        let s = category(diff);
        self.bits
            .encode_with(dc, s, magnitude_bits(diff, s), u32::from(s));
        let bits = &mut self.bits;
        each_ac(c, |run, v| match (run, v) {
            (16, 0) => bits.encode(ac, 0xF0),
            (_, 0) => bits.encode(ac, 0),
            (run, v) => {
                let s = category(v);
                bits.encode_with(ac, (run as u8) << 4 | s, magnitude_bits(v, s), u32::from(s));
            }
        });
    }

    fn row_done(&mut self) -> Result<()> {
        self.drain(DRAIN)
    }

    fn restart(&mut self) {
        self.bits.flush();
        self.bits
            .out
            .extend_from_slice(&[0xFF, 0xD0 + self.restarts % 8]);
        self.restarts = self.restarts.wrapping_add(1);
        self.preds.fill(0);
    }
}

/// Optimal (DC, AC) specs for the two output slots from the counts.
pub(crate) fn optimal_specs(c: &Counter) -> [(huffman::Spec, huffman::Spec); 2] {
    [0, 1].map(|t| (huffman::optimal(&c.dc[t]), huffman::optimal(&c.ac[t])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpeg_dct::huffman;

    /// A noisy 4:2:0 JPEG of `w` x `h` with restart markers every `ri` MCUs.
    fn noisy_jpeg(w: u16, h: u16, ri: u16) -> Vec<u8> {
        let mut x = 0x9E37_79B9u32;
        let pixels: Vec<u8> = (0..usize::from(w) * usize::from(h) * 3)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                ((i / 3 % 251) as u32 + (x & 63)) as u8
            })
            .collect();
        let mut out = Vec::new();
        let mut e = jpeg_encoder::Encoder::new(&mut out, 90);
        e.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
        e.set_restart_interval(ri);
        e.encode(&pixels, w, h, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        out
    }

    /// The scan of `jpeg` rewritten with a badge, decoding on a second
    /// thread or not.
    fn rewrite(jpeg: &[u8], piped: bool) -> Result<Vec<u8>> {
        let f = super::super::frame::parse(jpeg).unwrap().unwrap();
        let mut rgba = image::RgbaImage::new(90, 40);
        for (i, p) in rgba.pixels_mut().enumerate() {
            *p = image::Rgba([250, 20, (i % 256) as u8, if i % 7 == 0 { 128 } else { 220 }]);
        }
        let badge = Badge::whole(&rgba, 300, 950);
        let walk = Walk {
            badge: &badge,
            mark: None,
            out_restart: 8,
        };
        let tables = f
            .comps
            .iter()
            .map(|c| {
                let dc = huffman::completed(f.dc[c.td].as_ref().unwrap(), true);
                let ac = huffman::completed(f.ac[c.ta].as_ref().unwrap(), false);
                (huffman::Encoder::new(&dc), huffman::Encoder::new(&ac))
            })
            .collect();
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out, tables);
        let mut rows = Rows::Scan(Baseline::new(&f)?);
        run_with(
            &f,
            &mut rows,
            &walk,
            &mut Patches::new(false),
            &mut w,
            piped,
        )?;
        w.bits.flush();
        Ok(out)
    }

    /// The scan decoded on a second thread gives the same bytes as on
    /// one, and a corrupt scan the same error (without hanging).
    #[test]
    fn decoding_on_a_second_thread_changes_no_byte() {
        for ri in [0, 5] {
            let jpeg = noisy_jpeg(520, 16 * PIPED_MIN_ROWS as u16 + 24, ri);
            let one = rewrite(&jpeg, false).unwrap();
            let two = rewrite(&jpeg, true).unwrap();
            assert!(one.len() > 100_000, "{} bytes", one.len());
            assert!(one == two, "restart interval {ri}: the piped scan differs");
        }
        let mut jpeg = noisy_jpeg(520, 16 * PIPED_MIN_ROWS as u16 + 24, 5);
        // Cut off in the middle: both read past the data at the same row.
        jpeg.truncate(jpeg.len() * 2 / 3);
        let one = rewrite(&jpeg, false).unwrap_err().to_string();
        let two = rewrite(&jpeg, true).unwrap_err().to_string();
        assert_eq!(one, two);
    }

    /// Coefficients past the 8-bit ranges (a crafted stream) come out
    /// clamped, so every one can be written with baseline codes.
    #[test]
    fn out_of_range_coefficients_are_clamped_when_read() {
        let mut block = [0i16; 64];
        block[0] = 2000;
        block[1] = -1500;
        block[5] = 7;
        let mut counter = Counter::new(1);
        counter.block(0, &block);
        let specs = optimal_specs(&counter);
        let (dc, ac) = (&specs[0].0, &specs[0].1);
        let mut out = Vec::new();
        let mut w = Writer::new(
            &mut out,
            vec![(huffman::Encoder::new(dc), huffman::Encoder::new(ac))],
        );
        w.block(0, &block);
        w.bits.flush();
        let tables = (Decoder::new(dc).unwrap(), Decoder::new(ac).unwrap());
        let mut r = BitReader::new(&out);
        let (mut pred, mut back) = (0, [0i16; 64]);
        decode_block(&mut r, &tables, &mut pred, &mut back).unwrap();
        assert_eq!((back[0], back[1], back[5]), (1023, -1023, 7));
        assert_eq!(pred, 2000, "the prediction keeps the stream's value");
    }
}
