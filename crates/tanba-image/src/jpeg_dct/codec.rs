//! The coefficient stream: a baseline scan decoded one MCU row at a time
//! (memory independent of the picture's height), the badge drawn on the
//! rows it covers, and every block handed on to a [`Sink`] that counts
//! symbols (for optimal tables) or writes them again. When a core is
//! spare, the scan is decoded on a second thread a few rows ahead of the
//! writer (the decoding carries its state, DC predictions and bit
//! position, from row to row; the rows cross in order), and that thread
//! also codes each block's AC coefficients with the output's tables as
//! it reads them ([`RowBits`]): the writer copies those bits for every
//! block neither the mark nor the badge changed, and codes only the DC
//! differences (which the output's restart intervals change) itself.

use super::frame::Frame;
use super::huffman::{
    self, BitBuf, BitReader, BitWriter, Decoder, Encoder, category, magnitude_bits,
};
use super::input::Window;
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
    /// The AC code of component `comp`, when this sink takes blocks whose
    /// AC coefficients are coded already ([`Sink::precoded`]).
    fn ac_encoder(&self, _comp: usize) -> Option<&Encoder> {
        None
    }
    /// The block of component `comp` whose AC coefficients are coded with
    /// [`Sink::ac_encoder`] in bits `span` of `ac`, exactly as
    /// [`Sink::block`] would code them (by default, it does).
    fn precoded(&mut self, comp: usize, coefs: &[i16; 64], _ac: &BitBuf, _span: [usize; 2]) {
        self.block(comp, coefs);
    }
}

/// An MCU row's AC codes, written on the decoding thread as the blocks
/// are read (when a sink takes them), so the writer copies every block
/// nothing changed instead of coding it: the two threads share the work.
#[derive(Debug, Default)]
pub(crate) struct RowBits {
    ac: BitBuf,
    /// Each block's bits in `ac`, in scan order ([`NOT_CODED`]: none).
    spans: Vec<[u32; 2]>,
}

/// The span of a block [`Baseline::row`] did not code (not asked to, or
/// coded in the source otherwise than the writer codes it).
const NOT_CODED: [u32; 2] = [u32::MAX; 2];

impl RowBits {
    /// Block `i`'s bits (in scan order), if it was coded.
    fn span(&self, i: usize) -> Option<[usize; 2]> {
        self.spans
            .get(i)
            .filter(|&&s| s != NOT_CODED)
            .map(|&[a, b]| [a as usize, b as usize])
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
    /// Over the whole scan; with a window, over no bytes between rows,
    /// its position counted from the start of the window's bytes.
    reader: BitReader<'a>,
    index: usize,
    /// The scan read from its file a window at a time, if not in memory.
    window: Option<Box<Window>>,
    /// For each component, the output's AC code its blocks are coded
    /// with as they are read ([`RowBits`]); none by default.
    precode: Vec<Option<Encoder>>,
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
            window: None,
            precode: Vec::new(),
        })
    }

    /// Reads the scan through `window` instead of from `f.data`.
    pub(crate) fn with_window(mut self, window: Option<Box<Window>>) -> Self {
        if window.is_some() {
            self.reader = BitReader::new(&[]);
        }
        self.window = window;
        self
    }

    /// Decodes the next MCU row into `blocks`, from the whole scan or
    /// through the window (see [`super::input`]), coding the AC
    /// coefficients of the components [`Baseline::precode`] names into
    /// `bits`.
    fn row(&mut self, f: &Frame<'_>, blocks: &mut RowBlocks, bits: &mut RowBits) -> Result<()> {
        let Some(mut w) = self.window.take() else {
            let mut reader = std::mem::replace(&mut self.reader, BitReader::new(&[]));
            let done = self.coded_row(&mut reader, f, blocks, bits);
            self.reader = reader;
            return done;
        };
        let done = self.row_in_window(&mut w, f, blocks, bits);
        self.window = Some(w);
        done
    }

    /// [`Baseline::row`] through the window: the bytes read are dropped,
    /// and a row that may have run past the bytes held is decoded again,
    /// from the state before it, with more of them.
    fn row_in_window(
        &mut self,
        w: &mut Window,
        f: &Frame<'_>,
        blocks: &mut RowBlocks,
        bits: &mut RowBits,
    ) -> Result<()> {
        let read = self.reader.position();
        w.advance(read)?;
        let parked = self.reader.rebased(&[], read);
        let (preds, index) = (self.preds.clone(), self.index);
        loop {
            let mut reader = parked.rebased(w.bytes(), 0);
            let done = self.coded_row(&mut reader, f, blocks, bits);
            if !w.overrun(reader.position()) {
                self.reader = reader.rebased(&[], 0);
                return done;
            }
            self.preds.copy_from_slice(&preds);
            self.index = index;
            w.grow()?;
        }
    }

    /// Decodes the next MCU row into `blocks` with `reader`, its AC
    /// coefficients coded into `bits` as [`Baseline::row`] says.
    fn coded_row(
        &mut self,
        reader: &mut BitReader<'_>,
        f: &Frame<'_>,
        blocks: &mut RowBlocks,
        bits: &mut RowBits,
    ) -> Result<()> {
        // The reader and the coded bits as locals whose address no call
        // takes, so the loop keeps both bit buffers in registers.
        let mut local = reader.clone();
        let mut ac = std::mem::take(&mut bits.ac);
        ac.clear();
        bits.spans.clear();
        let done = self.decode_row(f, blocks, &mut local, &mut ac, &mut bits.spans);
        ac.finish();
        (*reader, bits.ac) = (local, ac);
        done
    }

    /// [`Baseline::coded_row`]'s loop.
    #[inline(always)]
    fn decode_row(
        &mut self,
        f: &Frame<'_>,
        blocks: &mut RowBlocks,
        reader: &mut BitReader<'_>,
        ac: &mut BitBuf,
        spans: &mut Vec<[u32; 2]>,
    ) -> Result<()> {
        let cols = f.mcus().0;
        for col in 0..cols {
            if f.restart > 0 && self.index > 0 && self.index.is_multiple_of(f.restart) {
                reader.restart(((self.index / f.restart - 1) % 8) as u8)?;
                self.preds.fill(0);
            }
            for (ci, c) in f.comps.iter().enumerate() {
                for by in 0..c.v {
                    for bx in 0..c.h {
                        let at = by * cols * c.h + col * c.h + bx;
                        let (t, pred) = (&self.tables[ci], &mut self.preds[ci]);
                        let out = &mut blocks[ci][at];
                        let Some(Some(enc)) = self.precode.get(ci) else {
                            decode_block(reader, t, pred, out, &mut ())?;
                            spans.push(NOT_CODED);
                            continue;
                        };
                        let start = ac.len();
                        let plain = decode_block(reader, t, pred, out, &mut (enc, &mut *ac))?;
                        spans.push(match [start, ac.len()].map(u32::try_from) {
                            [Ok(a), Ok(b)] if plain && b < u32::MAX => [a, b],
                            _ => NOT_CODED,
                        });
                    }
                }
            }
            reader.check()?;
            self.index += 1;
        }
        Ok(())
    }

    /// Offset in the scan data of the marker that ends it.
    pub(crate) fn end(&self) -> usize {
        self.reader.position()
    }

    /// Whether the scan, read to its end, is followed by the end of the
    /// image (see [`super::ends_the_image`]).
    pub(crate) fn ends_the_image(&mut self, f: &Frame<'_>) -> Result<bool> {
        match self.window.as_mut() {
            Some(w) => w.ends_the_image(self.reader.position()),
            None => Ok(super::ends_the_image(
                f.data.get(self.end()..).unwrap_or_default(),
            )),
        }
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
        Rows::Scan(b) if piped && n_rows >= PIPED_MIN_ROWS => {
            // Luma blocks the mark changes are coded by the writer anyway.
            b.precode = (0..f.comps.len())
                .map(|ci| match walk.mark {
                    Some(_) if ci == 0 => None,
                    _ => sink.ac_encoder(ci).cloned(),
                })
                .collect();
            run_piped(f, b, walk, patches, sink)
        }
        Rows::Scan(b) => {
            let mut bits = RowBits::default();
            (0..n_rows).try_for_each(|row| {
                b.row(f, &mut blocks, &mut bits)?;
                finish_row(f, row, &mut blocks, Some(&bits), walk, patches, sink)
            })
        }
        Rows::Whole(c) => (0..n_rows).try_for_each(|row| {
            c.row(f, row, &mut blocks);
            finish_row(f, row, &mut blocks, None, walk, patches, sink)
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

/// The rows of a baseline scan decoded (and their AC coefficients coded,
/// see [`RowBits`]) on a second thread, at most [`PIPED_AHEAD`] ahead,
/// and finished here in order. The row buffers go back and forth (no
/// allocation per row); an error on either side ends both (the other
/// side's channel closes).
fn run_piped(
    f: &Frame<'_>,
    b: &mut Baseline<'_>,
    walk: &Walk<'_>,
    patches: &mut Patches,
    sink: &mut impl Sink,
) -> Result<()> {
    use std::sync::mpsc::sync_channel;
    let n_rows = f.mcus().1;
    type Row = (RowBlocks, RowBits);
    let (full_tx, full_rx) = sync_channel::<Result<Row>>(PIPED_AHEAD);
    let (empty_tx, empty_rx) = sync_channel::<Row>(PIPED_AHEAD + 1);
    // The mark is added on the decoding thread (it has time to spare while
    // the writer codes the rows); the badge is drawn over it here, after.
    // Its luma blocks were not precoded (see `run_with`), so the writer
    // codes them whatever `walk` says.
    let mark = walk.mark;
    let walk = &Walk {
        mark: None,
        ..*walk
    };
    std::thread::scope(|s| {
        s.spawn(move || {
            for row in 0..n_rows {
                let Ok((mut blocks, mut bits)) = empty_rx.recv() else {
                    return;
                };
                let decoded = b.row(f, &mut blocks, &mut bits).map(|()| {
                    if let Some(m) = mark {
                        m.row(f, row, &mut blocks);
                    }
                    (blocks, bits)
                });
                let failed = decoded.is_err();
                if full_tx.send(decoded).is_err() || failed {
                    return;
                }
            }
        });
        for _ in 0..=PIPED_AHEAD {
            // The decoder holds the receiver until it is done.
            let _ = empty_tx.send((row_blocks(f), RowBits::default()));
        }
        for row in 0..n_rows {
            let (mut blocks, bits) = full_rx
                .recv()
                .map_err(|_| Error::cannot_label("the JPEG decoding thread stopped"))??;
            finish_row(f, row, &mut blocks, Some(&bits), walk, patches, sink)?;
            // The decoder may be done and gone.
            let _ = empty_tx.send((blocks, bits));
        }
        Ok(())
    })
}

/// Adds the mark to MCU row `row`, draws the badge (or puts back the
/// blocks `patches` kept) and hands the row's blocks to `sink`: as coded
/// in `bits` when neither changed them, else to be coded.
fn finish_row(
    f: &Frame<'_>,
    row: usize,
    blocks: &mut RowBlocks,
    bits: Option<&RowBits>,
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
    // MCU columns the badge may change in this row (none: an empty range).
    let mut drawn = 0..0;
    if let Some([c0, c1, r0, r1]) = badge.mcu_rect(f)
        && (r0..=r1).contains(&row)
    {
        drawn = c0..c1 + 1;
        if !patches.restore(f, row, [c0, c1], blocks) {
            region::apply(f, blocks, row, [c0, c1], badge);
            patches.keep(f, row, [c0, c1], blocks);
        }
    }
    let mut i = 0;
    for col in 0..cols {
        let n = row * cols + col;
        if out_restart > 0 && n > 0 && n.is_multiple_of(out_restart) {
            sink.restart();
        }
        for (ci, c) in f.comps.iter().enumerate() {
            // The mark changes luma only (see `watermark`).
            let kept = !(drawn.contains(&col) || mark.is_some() && ci == 0);
            for by in 0..c.v {
                for bx in 0..c.h {
                    let block = &blocks[ci][by * cols * c.h + col * c.h + bx];
                    match bits.and_then(|b| Some((b, b.span(i)?))) {
                        Some((b, span)) if kept => sink.precoded(ci, block, &b.ac, span),
                        _ => sink.block(ci, block),
                    }
                    i += 1;
                }
            }
        }
    }
    sink.row_done()
}

/// Where [`decode_block`] codes the AC symbols it reads, if anywhere.
trait AcCode {
    /// AC symbol `rs` and, for a coefficient, its value `v`.
    fn code(&mut self, rs: u8, v: i32);
}

/// Coding nothing.
impl AcCode for () {
    #[inline(always)]
    fn code(&mut self, _rs: u8, _v: i32) {}
}

/// Coding with the output's AC table into a row's bits.
impl AcCode for (&Encoder, &mut BitBuf) {
    #[inline(always)]
    fn code(&mut self, rs: u8, v: i32) {
        let s = rs & 15;
        let (code, len) = self.0.code(rs);
        self.1
            .put(code << s | magnitude_bits(v, s), len + u32::from(s));
    }
}

/// Decodes one block into `out` (zig-zag order), handing each AC symbol
/// to `ac`; true when the source codes the AC coefficients as the writer
/// does (each ZRL followed by a coefficient, EOB as 0x00, no size over
/// 10), so that `ac`'s code of them is the writer's.
fn decode_block(
    r: &mut BitReader<'_>,
    t: &(Decoder, Decoder),
    pred: &mut i32,
    out: &mut [i16; 64],
    ac: &mut impl AcCode,
) -> Result<bool> {
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
    let (mut k, mut plain, mut zrl) = (1usize, true, false);
    while k < 64 {
        let (rs, v) = r.decode_value(&t.1, false)?;
        let (run, size) = (usize::from(rs >> 4), rs & 15);
        ac.code(rs, v);
        if size == 0 {
            if run != 15 {
                plain &= run == 0 && !zrl;
                zrl = false;
                break;
            }
            zrl = true;
            k += 16;
            continue;
        }
        zrl = false;
        plain &= size <= 10;
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
    // A ZRL that ends the block (at 64) is one the writer would not write.
    Ok(plain && !zrl)
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

impl Writer<'_, '_> {
    /// Codes the DC difference of component `comp`'s block `c`.
    #[inline(always)]
    fn dc(&mut self, comp: usize, c: &[i16; 64]) {
        let diff = i32::from(c[0]) - self.preds[comp];
        self.preds[comp] = i32::from(c[0]);
        let s = category(diff);
        self.bits.encode_with(
            &self.tables[comp].0,
            s,
            magnitude_bits(diff, s),
            u32::from(s),
        );
    }
}

impl Sink for Writer<'_, '_> {
    fn block(&mut self, comp: usize, c: &[i16; 64]) {
        self.dc(comp, c);
        let ac = &self.tables[comp].1;
        let bits = &mut self.bits;
        each_ac(c, |run, v| match (run, v) {
            (16, 0) => bits.encode(ac, 0xF0),
            (_, 0) => bits.encode(ac, 0),
            (run, v) => {
                let (m, s) = huffman::value_code(v);
                bits.encode_with(ac, (run as u8) << 4 | s, m, u32::from(s));
            }
        });
    }

    fn row_done(&mut self) -> Result<()> {
        self.drain(DRAIN)
    }

    fn ac_encoder(&self, comp: usize) -> Option<&Encoder> {
        self.tables.get(comp).map(|(_, ac)| ac)
    }

    fn precoded(&mut self, comp: usize, c: &[i16; 64], ac: &BitBuf, span: [usize; 2]) {
        self.dc(comp, c);
        self.bits.copy(ac, span);
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

/// The writer's encoders for `f`'s own tables, completed with the codes
/// they lack (the path's choice for a sequential input), for tests that
/// drive [`run_with`] themselves.
#[cfg(test)]
pub(super) fn completed_encoders(f: &Frame<'_>) -> Vec<(Encoder, Encoder)> {
    let completed = |s: Option<&huffman::Spec>, dc: bool| {
        s.map(|s| Encoder::new(&huffman::completed(s, dc)))
            .unwrap_or_else(|| panic!("the test picture defines its tables"))
    };
    f.comps
        .iter()
        .map(|c| {
            let dc = completed(f.dc[c.td].as_ref(), true);
            (dc, completed(f.ac[c.ta].as_ref(), false))
        })
        .collect()
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
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out, completed_encoders(&f));
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

    /// The AC bits coded as a block is read are the writer's own for a
    /// block coded as the writer codes it, and a block the source codes
    /// otherwise (a ZRL before its EOB, an EOB with a run, a size over
    /// 10) is marked for coding again.
    #[test]
    fn blocks_read_are_coded_as_the_writer_codes_them() {
        let spec = huffman::completed(&huffman::optimal(&[1; 256]), false);
        let dc = huffman::completed(&huffman::optimal(&[1; 256]), true);
        let (enc, dec) = (huffman::Encoder::new(&spec), Decoder::new(&spec).unwrap());
        let tables = (Decoder::new(&dc).unwrap(), dec);
        let dc_enc = huffman::Encoder::new(&dc);
        // (AC symbols as (rs, raw bits)), whether plain.
        let cases: [(&[(u8, u32)], bool); 5] = [
            (
                &[(0x01, 1), (0x23, 5), (0xF0, 0), (0x12, 1), (0x00, 0)],
                true,
            ),
            (&[(0x01, 0), (0xF0, 0), (0x00, 0)], false),
            (&[(0x01, 0), (0x30, 0)], false),
            (&[(0x0B, 0x7FF), (0x00, 0)], false),
            (&[(0xF0, 0), (0xF0, 0), (0xF0, 0), (0xE1, 1)], true),
        ];
        for (i, (syms, want_plain)) in cases.iter().enumerate() {
            let mut data = Vec::new();
            let mut w = BitWriter::new(&mut data);
            w.encode(&dc_enc, 0);
            for &(rs, raw) in *syms {
                w.encode_with(&enc, rs, raw, u32::from(rs & 15));
            }
            w.flush();
            data.extend_from_slice(&[0xFF, 0xD9]);
            let mut r = BitReader::new(&data);
            let (mut pred, mut block, mut ac) = (0, [0i16; 64], BitBuf::default());
            let plain =
                decode_block(&mut r, &tables, &mut pred, &mut block, &mut (&enc, &mut ac)).unwrap();
            assert_eq!(plain, *want_plain, "case {i}");
            let n = ac.len();
            ac.finish();
            // What the writer makes of the block decoded, DC and all.
            let mut again = Vec::new();
            let mut w = Writer::new(&mut again, vec![(dc_enc.clone(), enc.clone())]);
            w.block(0, &block);
            w.bits.flush();
            let mut copied = Vec::new();
            let mut c = Writer::new(&mut copied, vec![(dc_enc.clone(), enc.clone())]);
            c.precoded(0, &block, &ac, [0, n]);
            c.bits.flush();
            assert_eq!(plain, again == copied, "case {i}");
        }
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
        decode_block(&mut r, &tables, &mut pred, &mut back, &mut ()).unwrap();
        assert_eq!((back[0], back[1], back[5]), (1023, -1023, 7));
        assert_eq!(pred, 2000, "the prediction keeps the stream's value");
    }
}
