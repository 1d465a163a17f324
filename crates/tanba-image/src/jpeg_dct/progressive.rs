//! Progressive JPEG (T.81 G.1.2) decoded to quantised coefficients: every
//! scan refines the whole picture, so the coefficient array is held whole
//! (2 bytes per coefficient: 1.5 times the pixels for 4:2:0, 3 times for
//! 4:4:4) before the badge is drawn and the result written as a baseline
//! scan. Spectral selection and successive approximation, DC and AC, with
//! restart intervals and tables redefined between scans.

use super::frame::Frame;
use super::huffman::{BitReader, Decoder, Spec};
use super::region::RowBlocks;
use tanba_core::{Error, Result};

/// The whole picture's coefficients: per component, `rows * v` block rows
/// of `cols * h` blocks (whole MCUs).
pub(crate) struct Coefs {
    pub blocks: Vec<Vec<[i16; 64]>>,
}

impl Coefs {
    /// Copies MCU row `row` into `out`.
    pub(crate) fn row(&self, f: &Frame<'_>, row: usize, out: &mut RowBlocks) {
        let cols = f.mcus().0;
        for ((c, all), dst) in f.comps.iter().zip(&self.blocks).zip(out.iter_mut()) {
            let n = cols * c.h * c.v;
            dst.copy_from_slice(&all[row * n..(row + 1) * n]);
            // As the baseline reader does: 8-bit ranges, so every value
            // has a baseline code.
            for block in dst.iter_mut() {
                block[0] = block[0].clamp(-1024, 1023);
                for c in &mut block[1..] {
                    *c = (*c).clamp(-1023, 1023);
                }
            }
        }
    }
}

fn bad(why: &str) -> Error {
    Error::malformed(format!("progressive JPEG: {why}"))
}

/// The scan a SOS header describes.
struct Scan {
    comps: Vec<usize>,
    /// (DC, AC) Huffman table ids of each of the scan's components.
    ids: Vec<(usize, usize)>,
    ss: usize,
    se: usize,
    ah: u8,
    al: u8,
}

/// Decodes every scan of `f` (whose `data` starts at the first SOS).
pub(crate) fn decode(f: &mut Frame<'_>) -> Result<Coefs> {
    let (cols, rows) = f.mcus();
    let mut coefs = Coefs {
        blocks: f
            .comps
            .iter()
            .map(|c| vec![[0i16; 64]; cols * c.h * rows * c.v])
            .collect(),
    };
    let data = f.data;
    let mut pos = 0usize;
    loop {
        while data.get(pos) == Some(&0xFF) && data.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (data.get(pos), data.get(pos + 1)) else {
            return Err(bad("data between scans"));
        };
        if marker == 0xD9 {
            return Ok(coefs);
        }
        let len = data
            .get(pos + 2..pos + 4)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .ok_or_else(|| bad("truncated"))?;
        let body = data
            .get(pos + 4..pos + 2 + len)
            .ok_or_else(|| bad("truncated"))?;
        pos += 2 + len;
        match marker {
            0xC4 => super::frame::huffman_tables(f, body)?,
            0xDD if body.len() >= 2 => {
                f.restart = usize::from(u16::from_be_bytes([body[0], body[1]]))
            }
            0xDA => {
                let scan = scan_header(f, body)?;
                let rest = data.get(pos..).unwrap_or_default();
                pos += decode_scan(f, &scan, rest, &mut coefs)?;
            }
            _ => {}
        }
    }
}

fn scan_header(f: &Frame<'_>, body: &[u8]) -> Result<Scan> {
    let n = usize::from(*body.first().unwrap_or(&0));
    let tail = body
        .get(1 + 2 * n..1 + 2 * n + 3)
        .ok_or_else(|| bad("scan header too short"))?;
    let mut comps = Vec::with_capacity(n);
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let id = body[1 + 2 * i];
        let at = f
            .comps
            .iter()
            .position(|c| c.id == id)
            .ok_or_else(|| bad("scan names an unknown component"))?;
        comps.push(at);
        let t = body[2 + 2 * i];
        ids.push((usize::from(t >> 4 & 3), usize::from(t & 3)));
    }
    let scan = Scan {
        comps,
        ids,
        ss: usize::from(tail[0]),
        se: usize::from(tail[1]),
        ah: tail[2] >> 4,
        al: tail[2] & 15,
    };
    let dc = scan.ss == 0;
    if n == 0
        || scan.se > 63
        || scan.ss > scan.se
        || (dc && scan.se != 0)
        || (!dc && n != 1)
        || scan.al > 13
    {
        return Err(bad("scan parameters out of range"));
    }
    Ok(scan)
}

/// Decoders for the scan's components' (DC, AC) table ids; `None` for a
/// table not defined (an error only if the scan needs it).
fn tables(
    f: &Frame<'_>,
    body_ids: &[(usize, usize)],
) -> Result<Vec<(Option<Decoder>, Option<Decoder>)>> {
    let make = |s: Option<&Spec>| s.map(Decoder::new).transpose();
    body_ids
        .iter()
        .map(|&(d, a)| Ok((make(f.dc[d].as_ref())?, make(f.ac[a].as_ref())?)))
        .collect()
}

/// State of one scan's decoding.
struct State<'a> {
    r: BitReader<'a>,
    preds: Vec<i32>,
    eobrun: u32,
}

fn decode_scan(f: &Frame<'_>, scan: &Scan, data: &[u8], coefs: &mut Coefs) -> Result<usize> {
    let decoders = tables(f, &scan.ids)?;
    let (cols, rows) = f.mcus();
    let (hmax, vmax) = f.max_sampling();
    let mut st = State {
        r: BitReader::new(data),
        preds: vec![0; scan.comps.len()],
        eobrun: 0,
    };
    // The units of the scan: MCUs when interleaved, else the component's
    // own blocks (only those inside its picture area).
    let (interleaved, across, down) = if scan.comps.len() == 1 {
        let c = &f.comps[scan.comps[0]];
        let bw = (f.width * c.h).div_ceil(hmax).div_ceil(8);
        let bh = (f.height * c.v).div_ceil(vmax).div_ceil(8);
        (false, bw, bh)
    } else {
        (true, cols, rows)
    };
    let mut index = 0usize;
    for y in 0..down {
        for x in 0..across {
            if f.restart > 0 && index > 0 && index.is_multiple_of(f.restart) {
                st.r.restart(((index / f.restart - 1) % 8) as u8)?;
                st.preds.fill(0);
                st.eobrun = 0;
            }
            for (si, &ci) in scan.comps.iter().enumerate() {
                let c = &f.comps[ci];
                let stride = cols * c.h;
                let blocks: Vec<usize> = if interleaved {
                    (0..c.v)
                        .flat_map(|j| (0..c.h).map(move |i| (y * c.v + j) * stride + x * c.h + i))
                        .collect()
                } else {
                    vec![y * stride + x]
                };
                for at in blocks {
                    let block = coefs.blocks[ci]
                        .get_mut(at)
                        .ok_or_else(|| bad("block outside the picture"))?;
                    decode_unit(&mut st, si, &decoders[si], scan, block)?;
                }
            }
            st.r.check()?;
            index += 1;
        }
    }
    Ok(st.r.position())
}

fn decode_unit(
    st: &mut State<'_>,
    si: usize,
    t: &(Option<Decoder>, Option<Decoder>),
    scan: &Scan,
    block: &mut [i16; 64],
) -> Result<()> {
    let missing = || bad("scan uses a Huffman table it does not define");
    match (scan.ss == 0, scan.ah == 0) {
        (true, true) => {
            let s = st.r.decode(t.0.as_ref().ok_or_else(missing)?)?;
            if s > 11 {
                return Err(bad("DC difference out of range"));
            }
            st.preds[si] += st.r.receive_extend(s);
            block[0] =
                i16::try_from(st.preds[si] << scan.al).map_err(|_| bad("DC out of range"))?;
        }
        (true, false) => {
            if st.r.bits(1) == 1 {
                block[0] |= 1 << scan.al;
            }
        }
        (false, true) => ac_first(st, t.1.as_ref().ok_or_else(missing)?, scan, block)?,
        (false, false) => ac_refine(st, t.1.as_ref().ok_or_else(missing)?, scan, block)?,
    }
    Ok(())
}

fn ac_first(st: &mut State<'_>, ac: &Decoder, scan: &Scan, block: &mut [i16; 64]) -> Result<()> {
    if st.eobrun > 0 {
        st.eobrun -= 1;
        return Ok(());
    }
    let mut k = scan.ss;
    while k <= scan.se {
        let rs = st.r.decode(ac)?;
        let (r, s) = (u32::from(rs >> 4), rs & 15);
        if s == 0 {
            if r < 15 {
                st.eobrun = (1 << r) - 1 + st.r.bits(r);
                break;
            }
            k += 16;
            continue;
        }
        k += r as usize;
        if k > 63 {
            return Err(bad("coefficient past the block"));
        }
        block[k] = (st.r.receive_extend(s) << scan.al) as i16;
        k += 1;
    }
    Ok(())
}

/// Refines one already-nonzero coefficient by one bit.
fn refine(r: &mut BitReader<'_>, coef: &mut i16, p1: i16) {
    if r.bits(1) == 1 && *coef & p1 == 0 {
        *coef = coef.saturating_add(if *coef >= 0 { p1 } else { -p1 });
    }
}

/// T.81 G.1.2.3, as libjpeg's `decode_mcu_AC_refine`.
fn ac_refine(st: &mut State<'_>, ac: &Decoder, scan: &Scan, block: &mut [i16; 64]) -> Result<()> {
    let p1 = 1i16 << scan.al;
    let mut k = scan.ss;
    if st.eobrun == 0 {
        while k <= scan.se {
            let rs = st.r.decode(ac)?;
            let (mut r, s) = (i32::from(rs >> 4), rs & 15);
            let mut value = 0i16;
            if s != 0 {
                value = if st.r.bits(1) == 1 { p1 } else { -p1 };
            } else if r != 15 {
                st.eobrun = (1 << r) + st.r.bits(r as u32);
                break;
            }
            while k <= scan.se {
                if block[k] != 0 {
                    refine(&mut st.r, &mut block[k], p1);
                } else {
                    r -= 1;
                    if r < 0 {
                        break;
                    }
                }
                k += 1;
            }
            if value != 0 {
                *block
                    .get_mut(k)
                    .ok_or_else(|| bad("coefficient past the block"))? = value;
            }
            k += 1;
        }
    }
    if st.eobrun > 0 {
        while k <= scan.se {
            if block[k] != 0 {
                refine(&mut st.r, &mut block[k], p1);
            }
            k += 1;
        }
        st.eobrun -= 1;
    }
    Ok(())
}
