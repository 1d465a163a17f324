//! The coefficient stream: a baseline scan decoded one MCU row at a time
//! (memory independent of the picture's height), the badge drawn on the
//! rows it covers, and every block handed on to a [`Sink`] that counts
//! symbols (for optimal tables) or writes them again.

use super::frame::Frame;
use super::huffman::{self, BitReader, BitWriter, Decoder, Encoder, category, magnitude_bits};
use super::region::{self, Badge, RowBlocks};
use tanba_core::{Error, Result};

/// Receives every block in scan order.
pub(crate) trait Sink {
    /// The block of component `comp` (quantised, zig-zag order).
    fn block(&mut self, comp: usize, coefs: &[i16; 64]);
    /// A restart: DC prediction starts again.
    fn restart(&mut self);
}

/// Walks the scan of `f`, drawing `badge`, handing blocks to `sink` with a
/// restart every `out_restart` MCUs (0: none). Returns the offset in
/// `f.data` of the marker that ends the scan.
pub(crate) fn run(
    f: &Frame<'_>,
    badge: &Badge<'_>,
    out_restart: usize,
    sink: &mut impl Sink,
) -> Result<usize> {
    let mut tables = Vec::with_capacity(f.comps.len());
    for c in &f.comps {
        let (Some(dc), Some(ac)) = (f.dc[c.td].as_ref(), f.ac[c.ta].as_ref()) else {
            return Err(Error::malformed(
                "JPEG scan uses a Huffman table it does not define",
            ));
        };
        tables.push((Decoder::new(dc)?, Decoder::new(ac)?));
    }
    let (cols, rows) = f.mcus();
    let mut blocks: RowBlocks = f
        .comps
        .iter()
        .map(|c| vec![[0i16; 64]; cols * c.h * c.v])
        .collect();
    let mut preds = vec![0i32; f.comps.len()];
    let mut reader = BitReader::new(f.data);
    let rect = badge.mcu_rect(f);
    let mut index = 0usize;
    for row in 0..rows {
        for col in 0..cols {
            if f.restart > 0 && index > 0 && index.is_multiple_of(f.restart) {
                reader.restart(((index / f.restart - 1) % 8) as u8)?;
                preds.fill(0);
            }
            for (ci, c) in f.comps.iter().enumerate() {
                for by in 0..c.v {
                    for bx in 0..c.h {
                        let at = by * cols * c.h + col * c.h + bx;
                        decode_block(
                            &mut reader,
                            &tables[ci],
                            &mut preds[ci],
                            &mut blocks[ci][at],
                        )?;
                    }
                }
            }
            reader.check()?;
            index += 1;
        }
        if let Some([c0, c1, r0, r1]) = rect
            && (r0..=r1).contains(&row)
        {
            region::apply(f, &mut blocks, row, [c0, c1], badge);
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
    }
    Ok(reader.position())
}

fn decode_block(
    r: &mut BitReader<'_>,
    t: &(Decoder, Decoder),
    pred: &mut i32,
    out: &mut [i16; 64],
) -> Result<()> {
    let bad = || Error::malformed("JPEG scan data is corrupt (bad Huffman code or coefficient)");
    *out = [0; 64];
    let s = r.decode(&t.0)?;
    if s > 11 {
        return Err(bad());
    }
    *pred += r.receive_extend(s);
    out[0] = i16::try_from(*pred).map_err(|_| bad())?;
    let mut k = 1usize;
    while k < 64 {
        let rs = r.decode(&t.1)?;
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
        out[k] = r.receive_extend(size) as i16;
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

impl Sink for Counter {
    fn block(&mut self, comp: usize, c: &[i16; 64]) {
        let t = slot(comp);
        let diff = i32::from(c[0]) - self.preds[comp];
        self.preds[comp] = i32::from(c[0]);
        self.dc[t][usize::from(category(diff))] += 1;
        let mut run = 0usize;
        for &v in &c[1..] {
            if v == 0 {
                run += 1;
                continue;
            }
            while run > 15 {
                self.ac[t][0xF0] += 1;
                run -= 16;
            }
            self.ac[t][run << 4 | usize::from(category(i32::from(v)))] += 1;
            run = 0;
        }
        if run > 0 {
            self.ac[t][0] += 1;
        }
    }

    fn restart(&mut self) {
        self.preds.fill(0);
    }
}

/// Writes the blocks with one (DC, AC) encoder pair per component.
pub(crate) struct Writer<'a> {
    pub bits: BitWriter<'a>,
    pub tables: Vec<(Encoder, Encoder)>,
    preds: Vec<i32>,
    restarts: u8,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>, tables: Vec<(Encoder, Encoder)>) -> Self {
        let n = tables.len();
        Writer {
            bits: BitWriter::new(out),
            tables,
            preds: vec![0; n],
            restarts: 0,
        }
    }
}

impl Sink for Writer<'_> {
    fn block(&mut self, comp: usize, c: &[i16; 64]) {
        let (dc, ac) = &self.tables[comp];
        let diff = i32::from(c[0]) - self.preds[comp];
        self.preds[comp] = i32::from(c[0]);
        let s = category(diff);
        self.bits.encode(dc, s);
        self.bits.put(magnitude_bits(diff, s), u32::from(s));
        let mut run = 0u8;
        for &v in &c[1..] {
            if v == 0 {
                run += 1;
                continue;
            }
            while run > 15 {
                self.bits.encode(ac, 0xF0);
                run -= 16;
            }
            let v = i32::from(v);
            let s = category(v);
            self.bits.encode(ac, run << 4 | s);
            self.bits.put(magnitude_bits(v, s), u32::from(s));
            run = 0;
        }
        if run > 0 {
            self.bits.encode(ac, 0);
        }
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
