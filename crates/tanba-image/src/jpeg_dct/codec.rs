//! The coefficient stream: a baseline scan decoded one MCU row at a time
//! (memory independent of the picture's height), the badge drawn on the
//! rows it covers, and every block handed on to a [`Sink`] that counts
//! symbols (for optimal tables) or writes them again.

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
/// handing blocks to `sink`.
pub(crate) fn run(
    f: &Frame<'_>,
    rows: &mut Rows<'_>,
    walk: &Walk<'_>,
    patches: &mut Patches,
    sink: &mut impl Sink,
) -> Result<()> {
    let Walk {
        badge,
        mark,
        out_restart,
    } = *walk;
    let (cols, n_rows) = f.mcus();
    let mut blocks: RowBlocks = f
        .comps
        .iter()
        .map(|c| vec![[0i16; 64]; cols * c.h * c.v])
        .collect();
    let rect = badge.mcu_rect(f);
    for row in 0..n_rows {
        match rows {
            Rows::Scan(b) => b.row(f, &mut blocks)?,
            Rows::Whole(c) => c.row(f, row, &mut blocks),
        }
        if let Some(m) = mark {
            m.row(f, row, &mut blocks);
        }
        if let Some([c0, c1, r0, r1]) = rect
            && (r0..=r1).contains(&row)
            && !patches.restore(f, row, [c0, c1], &mut blocks)
        {
            region::apply(f, &mut blocks, row, [c0, c1], badge);
            patches.keep(f, row, [c0, c1], &blocks);
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
        sink.row_done()?;
    }
    Ok(())
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
