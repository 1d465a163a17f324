//! Huffman coding of JPEG entropy-coded data (ITU-T T.81 Annex C, F.2.2):
//! decoding tables with a 9-bit lookahead, encoding tables, a bit reader
//! that stops at markers and a bit writer that stuffs 0xFF bytes, and the
//! optimal-table construction of Annex K.2 (as libjpeg does it).

use tanba_core::{Error, Result};

/// A Huffman table as a DHT segment holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spec {
    /// Number of codes of each length 1..=16.
    pub bits: [u8; 16],
    /// Symbols in order of increasing code length.
    pub vals: Vec<u8>,
}

const LOOKAHEAD: u32 = 11;

/// Decoding table of one [`Spec`].
#[derive(Debug, Clone)]
pub(crate) struct Decoder {
    /// Indexed by the next 9 bits: (code length, symbol); length 0 when
    /// the code is longer.
    fast: Box<[(u8, u8); 1 << LOOKAHEAD]>,
    /// Indexed by the next 9 bits, for AC: (bits taken, symbol, value)
    /// when an AC code and its magnitude bits both fit in them; 0 bits
    /// when they do not.
    fast_ac: Box<[(u8, u8, i16); 1 << LOOKAHEAD]>,
    /// Largest code of each length 1..=16 (-1: none), for the slow path.
    maxcode: [i32; 18],
    /// Index into `vals` of the first code of each length, minus that code.
    valoffset: [i32; 17],
    vals: Vec<u8>,
}

impl Decoder {
    pub(crate) fn new(spec: &Spec) -> Result<Self> {
        let mut fast = Box::new([(0u8, 0u8); 1 << LOOKAHEAD]);
        let mut maxcode = [-1i32; 18];
        let mut valoffset = [0i32; 17];
        let (mut code, mut k) = (0u32, 0usize);
        for len in 1..=16u32 {
            let n = usize::from(spec.bits[len as usize - 1]);
            valoffset[len as usize] = k as i32 - code as i32;
            for _ in 0..n {
                let sym = *spec
                    .vals
                    .get(k)
                    .ok_or_else(|| Error::malformed("JPEG Huffman table lists fewer symbols"))?;
                if len <= LOOKAHEAD {
                    let shift = LOOKAHEAD - len;
                    for low in 0..(1u32 << shift) {
                        fast[((code << shift) | low) as usize] = (len as u8, sym);
                    }
                }
                code += 1;
                k += 1;
            }
            if n > 0 {
                maxcode[len as usize] = code as i32 - 1;
            }
            if code > (1 << len) {
                return Err(Error::malformed("JPEG Huffman table is oversubscribed"));
            }
            code <<= 1;
        }
        maxcode[17] = i32::MAX;
        let mut fast_ac = Box::new([(0u8, 0u8, 0i16); 1 << LOOKAHEAD]);
        for (slot, (peek, &(len, sym))) in fast_ac.iter_mut().zip(fast.iter().enumerate()) {
            *slot = {
                let (len, s) = (u32::from(len), u32::from(sym & 15));
                if len == 0 || s == 0 || len + s > LOOKAHEAD {
                    (0, sym, 0)
                } else {
                    let v = (peek as i32 >> (LOOKAHEAD - len - s)) & ((1 << s) - 1);
                    let v = if v < 1 << (s - 1) {
                        v - (1 << s) + 1
                    } else {
                        v
                    };
                    ((len + s) as u8, sym, v as i16)
                }
            };
        }
        Ok(Decoder {
            fast,
            fast_ac,
            maxcode,
            valoffset,
            vals: spec.vals.clone(),
        })
    }
}

/// Encoding table: code and length of each symbol (length 0: absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Encoder {
    code: [u16; 256],
    size: [u8; 256],
    /// `code << 8 | size` of each symbol, for the writer's one load.
    packed: [u32; 256],
}

impl Encoder {
    pub(crate) fn new(spec: &Spec) -> Self {
        let mut e = Encoder {
            code: [0; 256],
            size: [0; 256],
            packed: [0; 256],
        };
        let (mut code, mut k) = (0u32, 0usize);
        for len in 1..=16u8 {
            for _ in 0..spec.bits[usize::from(len) - 1] {
                if let Some(&sym) = spec.vals.get(k) {
                    e.code[usize::from(sym)] = code as u16;
                    e.size[usize::from(sym)] = len;
                }
                code += 1;
                k += 1;
            }
            code <<= 1;
        }
        for ((p, &c), &s) in e.packed.iter_mut().zip(&e.code).zip(&e.size) {
            *p = u32::from(c) << 8 | u32::from(s);
        }
        e
    }

    /// The code of `sym` and its length.
    #[inline(always)]
    pub(crate) fn code(&self, sym: u8) -> (u32, u32) {
        let e = self.packed[usize::from(sym)];
        (e >> 8, e & 0xFF)
    }

    /// Whether every symbol an 8-bit baseline block can produce has a code.
    pub(crate) fn is_complete(&self, dc: bool) -> bool {
        needed(dc).all(|s| self.size[s] > 0)
    }
}

/// The symbols an 8-bit baseline block can produce: DC categories 0..=11,
/// or every AC run/size with sizes 1..=10, EOB and ZRL.
fn needed(dc: bool) -> impl Iterator<Item = usize> {
    let ac = (0..16usize).flat_map(|r| (1..=10usize).map(move |s| r << 4 | s));
    let (dc_syms, ac_syms) = if dc { (0..12, None) } else { (0..0, Some(ac)) };
    dc_syms
        .chain(ac_syms.into_iter().flatten())
        .chain((!dc).then_some([0x00, 0xF0]).into_iter().flatten())
}

/// `spec` with a code for every symbol a block can produce: the source's
/// code lengths kept as weights (a code of length n counts 2^(24-n)) and
/// each missing symbol given the least weight, so the present symbols'
/// codes stay as they were or grow by a bit, and the scan can be written
/// in one pass without counting.
pub(crate) fn completed(spec: &Spec, dc: bool) -> Spec {
    let mut freq = [0u32; 256];
    let mut k = 0usize;
    for len in 1..=16usize {
        for _ in 0..spec.bits[len - 1] {
            if let Some(&sym) = spec.vals.get(k) {
                freq[usize::from(sym)] = 1 << (24 - len);
            }
            k += 1;
        }
    }
    for s in needed(dc) {
        freq[s] = freq[s].max(1);
    }
    optimal(&freq)
}

/// Reads bits of one scan's entropy-coded data; at a marker (or the end)
/// it supplies zero bits and remembers that it did, so that reading past
/// the data is caught as corruption instead of decoding grey.
#[derive(Clone)]
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u64,
    n: u32,
    /// Zero bits supplied past the data, still in `acc`.
    padded: u32,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        BitReader {
            data,
            pos: 0,
            acc: 0,
            n: 0,
            padded: 0,
        }
    }

    /// At least 32 bits in the buffer (a 16-bit code and 15 more bits):
    /// one compare per symbol, the refill only every few symbols.
    #[inline(always)]
    fn fill(&mut self) {
        if self.n < 32 {
            self.refill();
        }
    }

    /// Tops the buffer up to 56..=63 bits. Eight bytes at once while none
    /// of them is 0xFF (all but about 3 % of 8-byte windows); the bits
    /// past `n` it leaves are the stream's next bits (or zero), so the
    /// next refill ORs the same bits over them.
    #[inline]
    fn refill(&mut self) {
        if let Some(chunk) = self.data.get(self.pos..self.pos + 8)
            && let Ok(bytes) = <[u8; 8]>::try_from(chunk)
        {
            let word = u64::from_be_bytes(bytes);
            if (!word).wrapping_sub(0x0101_0101_0101_0101) & word & 0x8080_8080_8080_8080 == 0 {
                self.acc |= word >> self.n;
                self.pos += ((63 - self.n) >> 3) as usize;
                self.n |= 56;
                return;
            }
        }
        self.refill_bytes();
    }

    /// Byte by byte near a 0xFF (stuffed, or the marker that ends the
    /// data, past which zero bits are supplied). The work is a function
    /// of values ([`bytes_in`]): the reader's address never reaches a call,
    /// so the decoding loop keeps its bit buffer in registers.
    #[inline(always)]
    fn refill_bytes(&mut self) {
        let fill = bytes_in(
            self.data,
            Fill {
                pos: self.pos,
                acc: self.acc,
                n: self.n,
                padded: self.padded,
            },
        );
        (self.pos, self.acc, self.n, self.padded) = (fill.pos, fill.acc, fill.n, fill.padded);
    }

    fn consume(&mut self, len: u32) {
        self.acc <<= len;
        self.n -= len;
    }

    /// Error when the decoder has read bits that are not in the data.
    pub(crate) fn check(&self) -> Result<()> {
        if self.n < self.padded {
            return Err(Error::malformed(
                "JPEG scan data ends early (truncated or corrupt)",
            ));
        }
        Ok(())
    }

    pub(crate) fn decode(&mut self, t: &Decoder) -> Result<u8> {
        self.fill();
        self.lookup(t)
    }

    /// A symbol and the signed value of the raw bits after it (as many as
    /// the symbol says: all of it for DC, its low nibble for AC), with one
    /// refill: 57 bits cover a 16-bit code and 15 bits.
    #[inline(always)]
    pub(crate) fn decode_value(&mut self, t: &Decoder, dc: bool) -> Result<(u8, i32)> {
        self.fill();
        if !dc {
            // Most AC coefficients: code and magnitude in one lookup.
            let (taken, sym, v) = t.fast_ac[(self.acc >> (64 - LOOKAHEAD)) as usize];
            if taken > 0 {
                self.consume(u32::from(taken));
                return Ok((sym, i32::from(v)));
            }
        }
        let sym = self.lookup(t)?;
        let s = u32::from(if dc { sym } else { sym & 15 });
        if s == 0 {
            return Ok((sym, 0));
        }
        if s > 15 {
            return Err(Error::malformed("JPEG coefficient size out of range"));
        }
        let v = (self.acc >> (64 - s)) as i32;
        self.consume(s);
        Ok((
            sym,
            if v < 1 << (s - 1) {
                v - (1 << s) + 1
            } else {
                v
            },
        ))
    }

    /// Decodes a symbol from bits already filled.
    #[inline(always)]
    fn lookup(&mut self, t: &Decoder) -> Result<u8> {
        let peek = (self.acc >> (64 - LOOKAHEAD)) as usize;
        let (len, sym) = t.fast[peek];
        if len > 0 {
            self.consume(u32::from(len));
            return Ok(sym);
        }
        for len in LOOKAHEAD + 1..=16 {
            let code = (self.acc >> (64 - len)) as i32;
            if code <= t.maxcode[len as usize] {
                self.consume(len);
                let at = (code + t.valoffset[len as usize]) as usize;
                return t
                    .vals
                    .get(at)
                    .copied()
                    .ok_or_else(|| Error::malformed("JPEG bad Huffman code"));
            }
        }
        Err(Error::malformed("JPEG bad Huffman code"))
    }

    /// `s` raw bits (s <= 16), sign-extended as T.81 F.2.2.1 says.
    pub(crate) fn receive_extend(&mut self, s: u8) -> i32 {
        if s == 0 {
            return 0;
        }
        self.fill();
        let s = u32::from(s.min(16));
        let v = (self.acc >> (64 - s)) as i32;
        self.consume(s);
        if v < 1 << (s - 1) {
            v - (1 << s) + 1
        } else {
            v
        }
    }

    /// `s` raw bits (s <= 16), unsigned.
    pub(crate) fn bits(&mut self, s: u32) -> u32 {
        if s == 0 {
            return 0;
        }
        self.fill();
        let v = (self.acc >> (64 - s)) as u32;
        self.consume(s);
        v
    }

    /// Skips to the restart marker RSTn expected next and past it.
    #[inline]
    pub(crate) fn restart(&mut self, n: u8) -> Result<()> {
        self.check()?;
        self.acc = 0;
        self.n = 0;
        self.padded = 0;
        // Bytes left before the marker are fill bits.
        while let Some(&b) = self.data.get(self.pos) {
            if b == 0xFF && self.data.get(self.pos + 1) != Some(&0x00) {
                break;
            }
            self.pos += if b == 0xFF { 2 } else { 1 };
        }
        while self.data.get(self.pos + 1) == Some(&0xFF) {
            self.pos += 1;
        }
        if self.data.get(self.pos + 1) != Some(&(0xD0 + n % 8)) {
            return Err(Error::malformed(
                "JPEG restart marker missing or out of order",
            ));
        }
        self.pos += 2;
        Ok(())
    }

    /// Position after the bytes read so far (at the marker that ends the scan).
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// This reader's state (bits held, position) over `data`, whose first
    /// byte is this one's byte `shift`: a scan read through a window that
    /// moves between MCU rows (`super::input`).
    pub(crate) fn rebased<'b>(&self, data: &'b [u8], shift: usize) -> BitReader<'b> {
        BitReader {
            data,
            pos: self.pos.saturating_sub(shift),
            acc: self.acc,
            n: self.n,
            padded: self.padded,
        }
    }
}

/// A [`BitReader`]'s position and bit buffer, handed by value to
/// [`bytes_in`].
#[derive(Clone, Copy)]
struct Fill {
    pos: usize,
    acc: u64,
    n: u32,
    padded: u32,
}

/// [`BitReader::refill_bytes`]'s work: `f` topped up from `data`.
#[cold]
#[inline(never)]
fn bytes_in(data: &[u8], mut f: Fill) -> Fill {
    while f.n <= 56 {
        let byte = match data.get(f.pos) {
            Some(&0xFF) if data.get(f.pos + 1) == Some(&0x00) => {
                f.pos += 2;
                0xFF
            }
            Some(&0xFF) | None => {
                f.padded += 8;
                0
            }
            Some(&b) => {
                f.pos += 1;
                b
            }
        };
        f.acc |= u64::from(byte) << (56 - f.n);
        f.n += 8;
    }
    f
}

/// Writes entropy-coded data, stuffing a zero after each 0xFF. Bits
/// gather in a 64-bit word written out eight bytes at a time (as
/// libjpeg-turbo's `put_buffer`), so most appends are a shift and an OR.
pub(crate) struct BitWriter<'a> {
    pub out: &'a mut Vec<u8>,
    /// Pending bits in the low `64 - free` bits (above them: bits already
    /// written, shifted out before the next word is taken).
    acc: u64,
    /// Room left in `acc`, 1..=64 between calls.
    free: u32,
}

impl<'a> BitWriter<'a> {
    pub(crate) fn new(out: &'a mut Vec<u8>) -> Self {
        BitWriter {
            out,
            acc: 0,
            free: 64,
        }
    }

    /// Appends `v`, which has `len` bits (len <= 32, no bit above them).
    #[inline(always)]
    pub(crate) fn put(&mut self, v: u32, len: u32) {
        self.put_long(u64::from(v), len);
    }

    /// Appends `v`, which has `len` bits (len <= 63, no bit above them).
    #[inline(always)]
    fn put_long(&mut self, v: u64, len: u32) {
        if len < self.free {
            self.acc = (self.acc << len) | v;
            self.free -= len;
            return;
        }
        // The word is full: its last `free` bits (1..=63 here, as
        // `free <= len`) are the top of `v`.
        let rest = len - self.free;
        let word = (self.acc << self.free) | (v >> rest);
        self.acc = v;
        self.free = 64 - rest;
        self.word(word);
    }

    /// Appends bits `start..end` of `src` (coded already, unstuffed),
    /// up to 63 at a time.
    #[inline]
    pub(crate) fn copy(&mut self, src: &BitBuf, [start, end]: [usize; 2]) {
        let mut at = start;
        while at < end {
            let take = (end - at).min(63) as u32;
            self.put_long(src.bits_at(at) >> (64 - take), take);
            at += take as usize;
        }
    }

    /// Eight bytes at once unless one of them is 0xFF.
    #[inline(always)]
    fn word(&mut self, word: u64) {
        if (!word).wrapping_sub(0x0101_0101_0101_0101) & word & 0x8080_8080_8080_8080 == 0 {
            self.out.extend_from_slice(&word.to_be_bytes());
        } else {
            self.stuffed(word);
        }
    }

    /// A word holding a 0xFF byte: each one followed by a zero byte.
    #[cold]
    fn stuffed(&mut self, word: u64) {
        for b in word.to_be_bytes() {
            self.out.push(b);
            if b == 0xFF {
                self.out.push(0);
            }
        }
    }

    /// Pads the last byte with one bits, as T.81 F.1.2.3 asks, and writes
    /// what is pending.
    pub(crate) fn flush(&mut self) {
        let mut n = 64 - self.free;
        let pad = (8 - n % 8) % 8;
        // `n + pad` <= 64 (64 is a whole number of bytes).
        let acc = (self.acc << pad) | ((1u64 << pad) - 1);
        n += pad;
        while n >= 8 {
            n -= 8;
            let b = (acc >> n) as u8;
            self.out.push(b);
            if b == 0xFF {
                self.out.push(0);
            }
        }
        self.acc = 0;
        self.free = 64;
    }

    /// A symbol's code followed by `extra_len` raw bits (`extra` below
    /// 2^extra_len): one table load and one append.
    #[inline(always)]
    pub(crate) fn encode_with(&mut self, t: &Encoder, sym: u8, extra: u32, extra_len: u32) {
        let e = t.packed[usize::from(sym)];
        self.put(((e >> 8) << extra_len) | extra, (e & 0xFF) + extra_len);
    }

    #[inline(always)]
    pub(crate) fn encode(&mut self, t: &Encoder, sym: u8) {
        self.encode_with(t, sym, 0, 0);
    }
}

/// Bits gathered without stuffing, most significant first in 64-bit
/// words: the AC codes of an MCU row's blocks, coded on the decoding
/// thread as they are read, for the writer to copy ([`BitWriter::copy`]).
#[derive(Debug, Default)]
pub(crate) struct BitBuf {
    words: Vec<u64>,
    /// Pending bits in the low `n` bits (above them: bits already in
    /// `words`).
    acc: u64,
    n: u32,
}

impl BitBuf {
    /// Empty, keeping the allocation.
    pub(crate) fn clear(&mut self) {
        self.words.clear();
        self.acc = 0;
        self.n = 0;
    }

    /// Bits appended so far.
    pub(crate) fn len(&self) -> usize {
        self.words.len() * 64 + self.n as usize
    }

    /// Appends `v`, which has `len` bits (len <= 32, no bit above them).
    #[inline(always)]
    pub(crate) fn put(&mut self, v: u32, len: u32) {
        let v = u64::from(v);
        if self.n + len < 64 {
            self.acc = (self.acc << len) | v;
            self.n += len;
            return;
        }
        // The word is full: its last `room` bits (1..=len) are the top
        // of `v`.
        let room = 64 - self.n;
        let rest = len - room;
        self.words.push((self.acc << room) | (v >> rest));
        self.acc = v;
        self.n = rest;
    }

    /// Writes the pending bits out, and a zero word after them so that
    /// [`BitBuf::bits_at`] reads a whole word anywhere before the end.
    pub(crate) fn finish(&mut self) {
        if self.n > 0 {
            self.words.push(self.acc << (64 - self.n));
        }
        self.words.push(0);
        self.acc = 0;
        self.n = 0;
    }

    /// The 64 bits from bit `at` (zeros past the end), after `finish`.
    #[inline(always)]
    fn bits_at(&self, at: usize) -> u64 {
        let (i, shift) = (at / 64, (at % 64) as u32);
        let hi = self.words.get(i).copied().unwrap_or(0);
        if shift == 0 {
            return hi;
        }
        let lo = self.words.get(i + 1).copied().unwrap_or(0);
        (hi << shift) | (lo >> (64 - shift))
    }
}

/// Bits needed for `v`'s magnitude (its category).
#[inline]
pub(crate) const fn category(v: i32) -> u8 {
    (32 - v.unsigned_abs().leading_zeros()) as u8
}

/// The `s` low bits that code `v` of category `s`.
#[inline]
pub(crate) const fn magnitude_bits(v: i32, s: u8) -> u32 {
    let v = if v < 0 { v - 1 } else { v };
    (v as u32) & ((1u32 << s) - 1)
}

/// Largest magnitude of an 8-bit picture's AC coefficient.
const AC_MAX: i32 = 1023;

/// `magnitude_bits(v, s) << 4 | s` for every AC value `v` in
/// `-AC_MAX..=AC_MAX` (index `v + AC_MAX`): one load per coefficient
/// where the writer codes a whole block.
static VALUES: [u32; 2 * AC_MAX as usize + 1] = values();

const fn values() -> [u32; 2 * AC_MAX as usize + 1] {
    let mut t = [0u32; 2 * AC_MAX as usize + 1];
    let mut i = 0;
    while i < t.len() {
        let v = i as i32 - AC_MAX;
        let s = category(v);
        t[i] = magnitude_bits(v, s) << 4 | s as u32;
        i += 1;
    }
    t
}

/// `v`'s magnitude bits and category, as [`magnitude_bits`] and
/// [`category`] give them (from a table within the AC range).
#[inline(always)]
pub(crate) fn value_code(v: i32) -> (u32, u8) {
    match VALUES.get(v.wrapping_add(AC_MAX) as usize) {
        Some(&e) => (e >> 4, (e & 15) as u8),
        None => {
            let s = category(v);
            (magnitude_bits(v, s), s)
        }
    }
}

/// The optimal table for symbol counts `freq` with code lengths up to 16,
/// by the procedure of T.81 Annex K.2 (libjpeg's `jpeg_gen_optimal_table`).
pub(crate) fn optimal(freq: &[u32; 256]) -> Spec {
    let mut f = [0i64; 257];
    for (d, &s) in f.iter_mut().zip(freq) {
        *d = i64::from(s);
    }
    if f.iter().all(|&v| v == 0) {
        // An empty table still needs one code to be a valid DHT.
        f[0] = 1;
    }
    // A reserved symbol so no real code is all ones.
    f[256] = 1;
    let mut codesize = [0usize; 257];
    let mut others = [-1i32; 257];
    loop {
        let (mut c1, mut c2) = (-1i32, -1i32);
        let mut v = i64::MAX;
        for (i, &fi) in f.iter().enumerate() {
            if fi > 0 && fi <= v {
                v = fi;
                c1 = i as i32;
            }
        }
        v = i64::MAX;
        for (i, &fi) in f.iter().enumerate() {
            if fi > 0 && fi <= v && i as i32 != c1 {
                v = fi;
                c2 = i as i32;
            }
        }
        if c2 < 0 {
            break;
        }
        let (c1, c2u) = (c1 as usize, c2 as usize);
        f[c1] += f[c2u];
        f[c2u] = 0;
        let mut c = c1;
        codesize[c] += 1;
        while others[c] >= 0 {
            c = others[c] as usize;
            codesize[c] += 1;
        }
        others[c] = c2;
        c = c2u;
        codesize[c] += 1;
        while others[c] >= 0 {
            c = others[c] as usize;
            codesize[c] += 1;
        }
    }
    let mut bits = [0usize; 33];
    for &size in codesize.iter().filter(|&&s| s > 0) {
        bits[size.min(32)] += 1;
    }
    // Limit code lengths to 16 (K.3 Figure K.3).
    let mut i = 32;
    while i > 16 {
        while bits[i] > 0 {
            let mut j = i - 2;
            while bits[j] == 0 {
                j -= 1;
            }
            bits[i] -= 2;
            bits[i - 1] += 1;
            bits[j + 1] += 2;
            bits[j] -= 1;
        }
        i -= 1;
    }
    // Drop the reserved symbol's code (the longest).
    while i > 0 && bits[i] == 0 {
        i -= 1;
    }
    bits[i] -= 1;
    let mut spec = Spec {
        bits: [0; 16],
        vals: Vec::new(),
    };
    for (d, &b) in spec.bits.iter_mut().zip(&bits[1..=16]) {
        *d = b as u8;
    }
    for len in 1..=32 {
        for (sym, &size) in codesize.iter().enumerate().take(256) {
            if size == len {
                spec.vals.push(sym as u8);
            }
        }
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A long stream full of 0xFF bytes (all-ones values after long
    /// codes) read back through the 8-byte refill, the byte-wise path at
    /// each stuffed byte and the 64-bit writer's word boundaries.
    #[test]
    fn long_streams_with_stuffed_bytes_round_trip() {
        let mut freq = [0u32; 256];
        for (s, f) in freq.iter_mut().enumerate() {
            *f = 1 + (s as u32 * 31) % 97;
        }
        let spec = optimal(&freq);
        let (enc, dec) = (Encoder::new(&spec), Decoder::new(&spec).unwrap());
        let mut x = 0x1234_5678u32;
        let items: Vec<(u8, u32, u32)> = (0..20_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let sym = (x & 0xFF) as u8;
                let s = u32::from(sym & 15).min(10);
                let v = if x & 0x100 != 0 {
                    (1 << s) - 1
                } else {
                    (x >> 9) & ((1 << s) - 1)
                };
                (sym & 0xF0 | s as u8, v, s)
            })
            .collect();
        let mut out = Vec::new();
        let mut w = BitWriter::new(&mut out);
        for &(sym, v, s) in &items {
            w.encode_with(&enc, sym, v, s);
        }
        w.flush();
        let stuffed = out.windows(2).filter(|p| p == &[0xFF, 0x00]).count();
        assert!(stuffed > 500, "only {stuffed} stuffed bytes");
        out.extend_from_slice(&[0xFF, 0xD9]);
        let mut r = BitReader::new(&out);
        for (i, &(sym, v, s)) in items.iter().enumerate() {
            let (got, value) = r.decode_value(&dec, false).unwrap();
            let want = match s {
                0 => 0,
                s if v < 1 << (s - 1) => v as i32 - (1 << s) + 1,
                _ => v as i32,
            };
            assert_eq!((got, value), (sym, want), "item {i}");
        }
        // Every bit read was in the data, none from past the marker.
        r.check().unwrap();
        assert!(r.position() <= out.len() - 2);
    }

    #[test]
    fn optimal_table_round_trips_through_reader_and_writer() {
        let mut freq = [0u32; 256];
        for (i, f) in freq.iter_mut().enumerate() {
            *f = if i % 3 == 0 {
                (i as u32 * 7919) % 1000 + 1
            } else {
                0
            };
        }
        freq[255] = 1_000_000;
        let spec = optimal(&freq);
        assert!(spec.bits.iter().map(|&b| usize::from(b)).sum::<usize>() == spec.vals.len());
        let (enc, dec) = (Encoder::new(&spec), Decoder::new(&spec).unwrap());
        let syms: Vec<u8> = (0..=255u8).filter(|&s| freq[usize::from(s)] > 0).collect();
        let mut out = Vec::new();
        let mut w = BitWriter::new(&mut out);
        for &s in &syms {
            w.encode(&enc, s);
            w.put(magnitude_bits(-5, 3), 3);
        }
        w.flush();
        let mut r = BitReader::new(&out);
        for &s in &syms {
            assert_eq!(r.decode(&dec).unwrap(), s);
            assert_eq!(r.receive_extend(3), -5);
        }
        r.check().unwrap();
        let done = completed(&spec, false);
        assert!(Encoder::new(&done).is_complete(false));
        assert!(!Encoder::new(&spec).is_complete(false));
        // The counted symbols cost at most a few percent more bits.
        let (a, b) = (Encoder::new(&spec), Encoder::new(&done));
        let cost = |e: &Encoder| -> u64 {
            syms.iter()
                .map(|&s| u64::from(freq[usize::from(s)]) * u64::from(e.size[usize::from(s)]))
                .sum()
        };
        assert!(
            cost(&b) * 100 <= cost(&a) * 103,
            "{} vs {}",
            cost(&b),
            cost(&a)
        );
        for v in -1100..=1100 {
            let s = category(v);
            assert_eq!(value_code(v), (magnitude_bits(v, s), s), "{v}");
        }
        assert_eq!(category(-5), 3);
        assert_eq!(category(0), 0);
    }
}
