//! The structure of a JPEG the coefficient path can rewrite: its frame,
//! quantisation and Huffman tables, restart interval and the start of its
//! scan(s). What it cannot (arithmetic coding, 12-bit, lossless,
//! multi-scan sequential files, CMYK or RGB-coded components) is told
//! apart here, so the caller takes the full re-encode instead.

use super::huffman::Spec;
use tanba_core::{Error, Result};

/// One component of the frame, with the tables its scan uses.
#[derive(Debug, Clone)]
pub(crate) struct Component {
    pub id: u8,
    /// Horizontal and vertical sampling factors.
    pub h: usize,
    pub v: usize,
    /// Quantisation table id.
    pub tq: usize,
    /// DC and AC Huffman table ids.
    pub td: usize,
    pub ta: usize,
}

/// A Huffman JPEG: sequential with one scan holding every component, or
/// progressive.
#[derive(Debug, Clone)]
pub(crate) struct Frame<'a> {
    /// SOF0, SOF1 or SOF2.
    pub marker: u8,
    /// Progressive (SOF2): `data` starts at the first scan header.
    pub progressive: bool,
    pub width: usize,
    pub height: usize,
    pub comps: Vec<Component>,
    /// Quantisation tables by id, natural order.
    pub qt: [Option<[u16; 64]>; 4],
    pub dc: [Option<Spec>; 4],
    pub ac: [Option<Spec>; 4],
    /// Restart interval in MCUs (0: none).
    pub restart: usize,
    /// The raw JFIF APP0 segment (marker included), kept as it was.
    pub jfif: Option<&'a [u8]>,
    /// The raw Adobe APP14 segment (marker included): it says how the
    /// components are coded, which the copied coefficients still are.
    pub adobe: Option<&'a [u8]>,
    /// Entropy-coded data of the scan, to the end of the file.
    pub data: &'a [u8],
}

impl Frame<'_> {
    /// Largest sampling factors: the MCU is 8 times these.
    pub(crate) fn max_sampling(&self) -> (usize, usize) {
        let h = self.comps.iter().map(|c| c.h).max().unwrap_or(1);
        let v = self.comps.iter().map(|c| c.v).max().unwrap_or(1);
        (h, v)
    }

    /// MCUs across and down.
    pub(crate) fn mcus(&self) -> (usize, usize) {
        let (h, v) = self.max_sampling();
        (self.width.div_ceil(8 * h), self.height.div_ceil(8 * v))
    }
}

fn be16(b: &[u8], at: usize) -> Result<usize> {
    b.get(at..at + 2)
        .map(|s| usize::from(u16::from_be_bytes([s[0], s[1]])))
        .ok_or_else(|| Error::malformed("JPEG truncated inside a segment header"))
}

/// Why the coefficient path leaves a file to the full re-encode, for the
/// note that says so.
pub(crate) type Declined = &'static str;

/// Arithmetic coding: rare in real files (it was patent-encumbered until
/// 2009, and browsers did not decode it), so its QM decoder is not written
/// here; the re-encode reads it through zune-jpeg.
pub(crate) const ARITHMETIC: Declined = "arithmetic-coded (rare; no QM coder in the DCT path)";

/// The frame of `bytes` when the coefficient path handles it; `Err(why)`
/// when it does not (the caller re-encodes instead).
pub(crate) fn parse(bytes: &[u8]) -> Result<std::result::Result<Frame<'_>, Declined>> {
    let mut f = Frame {
        marker: 0,
        progressive: false,
        width: 0,
        height: 0,
        comps: Vec::new(),
        qt: [None; 4],
        dc: [None, None, None, None],
        ac: [None, None, None, None],
        restart: 0,
        jfif: None,
        adobe: None,
        data: &[],
    };
    let mut pos = 2;
    loop {
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(pos), bytes.get(pos + 1)) else {
            return Err(Error::malformed("JPEG corrupt before the first scan"));
        };
        if marker == 0xD8 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            pos += 2;
            continue;
        }
        let len = be16(bytes, pos + 2)?;
        let segment = bytes
            .get(pos..pos + 2 + len)
            .ok_or_else(|| Error::malformed("JPEG truncated inside a segment"))?;
        let body = segment.get(4..).unwrap_or_default();
        match marker {
            0xC0..=0xC2 => frame_header(&mut f, marker, body)?,
            0xC9..=0xCB | 0xCD..=0xCF => return Ok(Err(ARITHMETIC)),
            0xC3 | 0xC5..=0xC7 => return Ok(Err("lossless or hierarchical")),
            0xC4 => huffman_tables(&mut f, body)?,
            0xDB => quant_tables(&mut f, body)?,
            0xDD => f.restart = be16(body, 0)?,
            0xE0 if body.starts_with(b"JFIF\0") => f.jfif = Some(segment),
            0xEE if body.starts_with(b"Adobe") => f.adobe = Some(segment),
            0xDA if f.progressive => {
                f.data = &bytes[pos..];
                return Ok(supported(&f).map(|()| f));
            }
            0xDA => {
                if let Err(why) = scan_header(&mut f, body)? {
                    return Ok(Err(why));
                }
                f.data = &bytes[pos + 2 + len..];
                return Ok(supported(&f).map(|()| f));
            }
            0xD9 => return Err(Error::malformed("JPEG ends before its first scan")),
            _ => {}
        }
        pos += 2 + len;
    }
}

/// The limits of this path beyond the markers.
fn supported(f: &Frame<'_>) -> std::result::Result<(), Declined> {
    let (hmax, vmax) = f.max_sampling();
    let tables = f
        .comps
        .iter()
        // A progressive file may define its Huffman tables between scans.
        .all(|c| {
            f.qt[c.tq].is_some() && (f.progressive || f.dc[c.td].is_some() && f.ac[c.ta].is_some())
        });
    // Each component's samples are a whole fraction of the MCU.
    let whole = f.comps.iter().all(|c| {
        (1..=4).contains(&c.h) && (1..=4).contains(&c.v) && hmax % c.h == 0 && vmax % c.v == 0
    });
    // Adobe transform 0 on three components means RGB, not YCbCr.
    let transform = f.adobe.and_then(|a| a.get(15)).copied();
    let rgb = f.comps.len() == 3 && transform == Some(0);
    let rgb_ids = f.comps.iter().map(|c| c.id).eq(*b"RGB");
    match f.comps.len() {
        // The badge is blended in RGB; CMYK/YCCK has no linear map to RGB
        // (the ink multiplies), so the flat-colour blend in coefficients
        // does not hold, and the old path's RGB output is what verification
        // and the tests compare against (docs: jpeg_dct/mod.rs).
        4 => return Err("CMYK/YCCK (the badge is blended in RGB)"),
        1 | 3 => {}
        _ => return Err("neither grey, YCbCr nor CMYK"),
    }
    if rgb || rgb_ids {
        return Err("components coded as RGB, not YCbCr or grey");
    }
    if !whole {
        return Err("a chroma sampling that is not a whole ratio");
    }
    if !tables {
        return Err("a table its scan uses is missing or has a zero step");
    }
    if f.width == 0 || f.height == 0 {
        return Err("zero width or height");
    }
    Ok(())
}

fn frame_header(f: &mut Frame<'_>, marker: u8, body: &[u8]) -> Result<()> {
    let n = usize::from(*body.get(5).unwrap_or(&0));
    if body.len() < 6 + 3 * n || n == 0 {
        return Err(Error::malformed("JPEG frame header too short"));
    }
    if body[0] != 8 {
        // 12-bit samples: left to the full re-encode (which refuses them).
        f.marker = 0;
        return Ok(());
    }
    f.marker = marker;
    f.progressive = marker == 0xC2;
    f.height = be16(body, 1)?;
    f.width = be16(body, 3)?;
    for c in 0..n {
        let s = body[6 + 3 * c + 1];
        f.comps.push(Component {
            id: body[6 + 3 * c],
            h: usize::from(s >> 4),
            v: usize::from(s & 15),
            tq: usize::from(body[6 + 3 * c + 2] & 3),
            td: 0,
            ta: 0,
        });
    }
    if n == 1 {
        // A single component's scan is not interleaved: 8x8 MCUs.
        f.comps[0].h = 1;
        f.comps[0].v = 1;
    }
    Ok(())
}

/// Reads the scan header; `Err(why)` when the scan is not one baseline
/// scan of every component in frame order (or the samples are 12-bit).
fn scan_header(f: &mut Frame<'_>, body: &[u8]) -> Result<std::result::Result<(), Declined>> {
    let n = usize::from(*body.first().unwrap_or(&0));
    let tail = body
        .get(1 + 2 * n..1 + 2 * n + 3)
        .ok_or_else(|| Error::malformed("JPEG scan header too short"))?;
    if f.marker == 0 {
        return Ok(Err("12-bit samples"));
    }
    let several = "a sequential scan that does not hold every component (several scans)";
    if n != f.comps.len() || tail != [0, 63, 0] {
        return Ok(Err(several));
    }
    for (i, c) in f.comps.iter_mut().enumerate() {
        if body[1 + 2 * i] != c.id {
            return Ok(Err(several));
        }
        let t = body[2 + 2 * i];
        c.td = usize::from(t >> 4 & 3);
        c.ta = usize::from(t & 3);
    }
    Ok(Ok(()))
}

pub(crate) fn huffman_tables(f: &mut Frame<'_>, mut body: &[u8]) -> Result<()> {
    while let Some(&tc_th) = body.first() {
        let counts = body
            .get(1..17)
            .ok_or_else(|| Error::malformed("JPEG DHT truncated"))?;
        let mut bits = [0u8; 16];
        bits.copy_from_slice(counts);
        let total: usize = bits.iter().map(|&b| usize::from(b)).sum();
        let vals = body
            .get(17..17 + total)
            .ok_or_else(|| Error::malformed("JPEG DHT truncated"))?
            .to_vec();
        let spec = Some(Spec { bits, vals });
        let id = usize::from(tc_th & 3);
        if tc_th >> 4 == 0 {
            f.dc[id] = spec;
        } else {
            f.ac[id] = spec;
        }
        body = &body[17 + total..];
    }
    Ok(())
}

fn quant_tables(f: &mut Frame<'_>, body: &[u8]) -> Result<()> {
    for entry in crate::jpeg::dqt_entries(body) {
        let (id, natural) = entry?;
        // A zero step cannot be divided by: left to the full re-encode.
        f.qt[id] = natural.iter().all(|&q| q > 0).then_some(natural);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frame header of a `sof` JPEG, 16x16, one component.
    fn header(sof: u8) -> Vec<u8> {
        vec![
            0xFF, 0xD8, 0xFF, sof, 0, 11, 8, 0, 16, 0, 16, 1, 1, 0x11, 0, 0xFF, 0xD9,
        ]
    }

    #[test]
    fn declines_name_the_reason() {
        for sof in [0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF] {
            assert_eq!(parse(&header(sof)).unwrap().err(), Some(ARITHMETIC));
        }
        for sof in [0xC3, 0xC5, 0xC6, 0xC7] {
            let why = parse(&header(sof)).unwrap().err();
            assert_eq!(why, Some("lossless or hierarchical"));
        }
    }
}
