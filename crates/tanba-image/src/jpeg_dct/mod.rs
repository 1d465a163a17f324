//! JPEG labelled in the DCT domain: every block the badge does not reach
//! keeps its quantised coefficients; only the blocks under the badge are
//! decoded, drawn on and quantised again with the source's own tables.
//!
//! Rooms: [`frame`] reads the markers and says whether this path applies,
//! [`huffman`] codes the entropy data, [`codec`] walks the picture one MCU
//! row at a time, [`input`] reads a sequential scan from its file through
//! a window, [`progressive`] decodes progressive scans, [`region`]
//! draws the badge on a row's blocks, [`dct`] holds the transforms.
//!
//! Handled: sequential (baseline, extended) and progressive Huffman JPEG,
//! 8-bit, grey or YCbCr, any whole-ratio chroma sampling and any restart
//! interval. The output is one baseline scan (restart markers tiling the
//! rows, so verification decodes only the intervals under the badge).
//! Everything else (arithmetic coding, 12-bit, lossless, CMYK/YCCK,
//! RGB-coded, multi-scan sequential) take the full re-encode in
//! [`crate::jpeg`], with a note naming the reason ([`declined`]). The
//! imperceptible watermark is added to the luma coefficients as they pass
//! ([`watermark`]) on pictures of 2048 px or more on their shorter side;
//! smaller ones, whose SSIM floor needs pixels, take the full re-encode
//! when marked. Two of those are decisions, not gaps:
//! - Arithmetic coding: few real files use it (patent-encumbered until
//!   2009; browsers and most viewers do not decode it), so the QM decoder
//!   and encoder are not written; the re-encode refuses what zune-jpeg
//!   cannot read, as before.
//! - CMYK/YCCK (Adobe APP14): the badge is blended in RGB, and ink
//!   multiplies (R = (255 - C)(255 - K)/255 for inverted Adobe CMYK), so
//!   the flat-colour blend in coefficients (linear) does not hold, the
//!   choice of black generation when converting the blended pixels back
//!   is a colour-management decision the file's ICC profile should make,
//!   and the re-encode's RGB output is what verification is tested
//!   against. They stay on the re-encode (to RGB, the CMYK profile
//!   dropped, with a note) until a CMYK blend with those tests exists.
//!
//! Memory: for a sequential input, a few MCU rows of coefficients, the
//! badge's blocks and one band of its rows (painted as the rows pass,
//! [`region`]); it does not grow with the number of pixels. Through the
//! `Labeler` trait from a file (`crate::jpeg_input`) the input is not held
//! either: its head is read, and its scan through a 1-MiB window
//! ([`input`]); `label_bytes` is given the input whole. Given a writer (the file path), the output goes there in
//! 256-KiB batches; a marked one, which may still be sent to the
//! re-encode once made (saturated colours), goes to a temporary file
//! first and is copied out once kept (an output already written cannot be
//! cut short through a `Write + Seek`). `label_bytes` holds the output it
//! returns. The scan is read once and written with the
//! source's Huffman tables, completed with codes for any symbol they lack
//! (tables optimised for the source lack some the badge may need). A
//! progressive input gets optimal tables and is decoded whole
//! first (2 bytes per coefficient: 1.5x the pixel count for 4:2:0, 3x for
//! 4:4:4), as every scan refines the whole picture.

mod codec;
mod dct;
mod frame;
mod huffman;
pub(crate) mod input;
mod progressive;
mod region;
mod watermark;

#[cfg(test)]
mod same_bytes;

use crate::jpeg::{JpegHeader, ZIGZAG};
use crate::{Ctx, jpeg_luma};
use frame::Frame;
use huffman::{Encoder, Spec};
use region::Badge;
use tanba_core::{Error, Result};

/// Whether a second thread may run beside this one (the read-back uses it).
pub(crate) use codec::spare_core;

/// The labelled JPEG, or `None` when this path does not handle the file
/// (the caller re-encodes it whole). With `scan`, `ctx.bytes` holds the
/// file's head only (to the scan header, then an EOI) and the scan is read
/// through the window; its first marker was found to be the EOI.
pub(crate) fn label(
    ctx: &Ctx<'_>,
    h: &JpegHeader,
    notes: &mut Vec<String>,
    direct: Option<&mut dyn std::io::Write>,
    scan: Option<Box<input::Window>>,
) -> Result<Option<Vec<u8>>> {
    // A fixed quality asks for the whole picture at that quality.
    if ctx.settings.jpeg_quality != crate::JpegQuality::Source {
        return Ok(None);
    }
    let mut f = match frame::parse(ctx.bytes)? {
        Ok(f) => f,
        Err(why) => {
            notes.push(declined(why));
            return Ok(None);
        }
    };
    ctx.limits
        .check_dimensions(f.width as u32, f.height as u32)?;
    // Painted a band at a time as the rows pass (whole when stored turned).
    let badge = Badge::of(&ctx.placed.layout, || &ctx.placed.badge.rgba);
    let (hmax, _) = f.max_sampling();
    let out_restart = usize::from(jpeg_luma::restart_interval(f.width as u32, 8 * hmax as u32));
    let whole = if f.progressive {
        Some(progressive::decode(&mut f)?)
    } else {
        None
    };
    // The window goes to the pass that writes (a sequential scan is read
    // once; the first call only makes the tables).
    let rows = |scan: Option<Box<input::Window>>| -> Result<codec::Rows<'_>> {
        Ok(match &whole {
            Some(c) => codec::Rows::Whole(c),
            None => codec::Rows::Scan(codec::Baseline::new(&f)?.with_window(scan)),
        })
    };
    let mark = match &ctx.watermark {
        Some(w) => match watermark::DctMark::new(&f, w)? {
            Some(m) => Some(m),
            None => return Ok(None),
        },
        None => None,
    };
    // Only the progressive path reads the rows twice (count, then write).
    let mut patches = codec::Patches::new(f.progressive);
    let walk = codec::Walk {
        badge: &badge,
        mark: mark.as_ref(),
        out_restart,
    };
    let Tables { specs, ids } = choose_tables(&f, &mut rows(None)?, &walk, &mut patches)?;
    // A marked output may still be sent to the re-encode once it is made
    // (saturated colours), and the caller's output cannot be cut short
    // again: it is spooled to a temporary file, copied out once kept.
    let mut spool = match (&mark, &direct) {
        (Some(_), Some(_)) => Some(tempfile::tempfile()?),
        _ => None,
    };
    let (direct, outer) = match spool.as_mut() {
        Some(file) => (Some(file as &mut dyn std::io::Write), direct),
        None => (direct, None),
    };
    // Written straight out, nothing may be declined once the first byte
    // is: what follows the scan is checked before.
    if direct.is_some() && !f.progressive && !ends_the_image(after_scan(f.data)) {
        notes.push(declined(MORE_SCANS));
        return Ok(None);
    }
    let mut out = match direct {
        // Room for a batch and the row that tops it, so it never grows.
        Some(_) => Vec::with_capacity(2 * codec::DRAIN),
        None => Vec::with_capacity(ctx.bytes.len() + ctx.marks.xmp.len() + 4096),
    };
    // The header's notes count only if this path's output is the one kept.
    let mut header_notes = Vec::new();
    write_header(&mut out, ctx, h, &f, &mut header_notes)?;
    write_tables(&mut out, &f, &specs, &ids, out_restart)?;
    let tables = specs
        .iter()
        .map(|(d, a)| (Encoder::new(d), Encoder::new(a)))
        .collect();
    let streamed = direct.is_some();
    let mut writer = codec::Writer::new(&mut out, tables).with_direct(direct.map(|d| &mut *d));
    let mut source = rows(scan)?;
    codec::run(&f, &mut source, &walk, &mut patches, &mut writer)?;
    writer.bits.flush();
    writer.bits.out.extend_from_slice(&[0xFF, 0xD9]);
    writer.drain(0)?;
    if let codec::Rows::Scan(b) = &mut source
        && !b.ends_the_image(&f)?
    {
        notes.push(declined(MORE_SCANS));
        return Ok(None);
    }
    // Saturated colours carry the mark only through chroma: re-encoded.
    if mark.as_ref().is_some_and(|m| m.too_saturated()) {
        notes.push(declined(
            "saturated colours over 5 % of the picture (the watermark needs their chroma)",
        ));
        return Ok(None);
    }
    if let (Some(file), Some(outer)) = (spool.as_mut(), outer) {
        copy_out(file, outer)?;
    }
    notes.extend(header_notes);
    notes.push(if mark.is_some() {
        "JPEG labelled in the DCT domain: the watermark added to the luma coefficients, \
         every other coefficient outside the badge kept"
            .to_string()
    } else {
        "JPEG labelled in the DCT domain: blocks outside the badge keep their coefficients"
            .to_string()
    });
    // Streamed: the bytes went out, none are left here.
    debug_assert!(!streamed || out.is_empty());
    Ok(Some(out))
}

/// Whether a file whose head (to the first scan's header) is `head` takes
/// this path with its scan read through a window ([`input`]): a
/// sequential frame this path handles. A progressive one is decoded whole
/// first, so its file is read whole too.
pub(crate) fn takes_window(head: &[u8]) -> bool {
    matches!(frame::parse(head), Ok(Ok(f)) if !f.progressive)
}

/// Copies the spooled output to `out` from its start, a batch at a time.
fn copy_out(file: &mut std::fs::File, out: &mut dyn std::io::Write) -> Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(0))?;
    let mut batch = vec![0u8; codec::DRAIN];
    loop {
        let n = file.read(&mut batch)?;
        if n == 0 {
            return Ok(());
        }
        out.write_all(&batch[..n])?;
    }
}

const MORE_SCANS: &str = "the scan is followed by a DNL marker or more scans";

/// The bytes from the first marker in a scan's data that is not a
/// restart marker (stuffed zeros and fill bytes skipped), found without
/// decoding: where [`ends_the_image`] looks.
fn after_scan(data: &[u8]) -> &[u8] {
    let mut at = 0;
    while let Some(i) = memchr::memchr(0xFF, &data[at..]) {
        let m = at + i;
        match data.get(m + 1) {
            Some(0x00) | Some(0xD0..=0xD7) | Some(0xFF) => at = m + 1,
            _ => return &data[m..],
        }
    }
    &[]
}

/// The note for a file the path leaves to the full re-encode.
pub(crate) fn declined(why: &str) -> String {
    format!("JPEG re-encoded whole (the coefficient path does not take it): {why}")
}

/// The Huffman tables of the output: for each component its (DC, AC)
/// specs and ids.
struct Tables {
    specs: Vec<(Spec, Spec)>,
    ids: Vec<(usize, usize)>,
}

/// For a sequential input, the source's tables, completed with codes for
/// the symbols they lack (see [`huffman::completed`]): the scan is read
/// once. For a progressive one, optimal tables from a counting pass over
/// the coefficients already in memory.
fn choose_tables(
    f: &Frame<'_>,
    rows: &mut codec::Rows<'_>,
    walk: &codec::Walk<'_>,
    patches: &mut codec::Patches,
) -> Result<Tables> {
    let complete = f.comps.iter().all(|c| {
        let dc = f.dc[c.td]
            .as_ref()
            .is_some_and(|s| Encoder::new(s).is_complete(true));
        let ac = f.ac[c.ta]
            .as_ref()
            .is_some_and(|s| Encoder::new(s).is_complete(false));
        dc && ac
    });
    if !f.progressive {
        // Incomplete tables (made for this picture) get the missing codes.
        let fill = |s: &Spec, dc: bool| {
            if complete {
                s.clone()
            } else {
                huffman::completed(s, dc)
            }
        };
        return Ok(Tables {
            specs: f
                .comps
                .iter()
                .filter_map(|c| {
                    Some((
                        fill(f.dc[c.td].as_ref()?, true),
                        fill(f.ac[c.ta].as_ref()?, false),
                    ))
                })
                .collect(),
            ids: f.comps.iter().map(|c| (c.td, c.ta)).collect(),
        });
    }
    let mut counter = codec::Counter::new(f.comps.len());
    codec::run(f, rows, walk, patches, &mut counter)?;
    let slots = codec::optimal_specs(&counter);
    let n = f.comps.len();
    Ok(Tables {
        specs: (0..n).map(|c| slots[codec::slot(c)].clone()).collect(),
        ids: (0..n).map(|c| (codec::slot(c), codec::slot(c))).collect(),
    })
}

/// Whether the scan is followed by the end of the image (anything else,
/// such as a DNL marker or a second scan, is left to the re-encode).
fn ends_the_image(rest: &[u8]) -> bool {
    let at = rest.iter().position(|&b| b == 0xFF);
    let marker = at.and_then(|i| {
        rest[i..]
            .iter()
            .position(|&b| b != 0xFF)
            .map(|j| rest[i + j])
    });
    marker == Some(0xD9)
}

fn segment(out: &mut Vec<u8>, marker: u8, payload: &[u8]) -> Result<()> {
    let len = u16::try_from(payload.len() + 2)
        .map_err(|_| Error::cannot_label("a JPEG segment would exceed 64 KiB"))?;
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

/// SOI, JFIF, the kept and new application segments (as the re-encode
/// writes them), comments and the Adobe segment.
fn write_header(
    out: &mut Vec<u8>,
    ctx: &Ctx<'_>,
    h: &JpegHeader,
    f: &Frame<'_>,
    notes: &mut Vec<String>,
) -> Result<()> {
    out.extend_from_slice(&[0xFF, 0xD8]);
    if let Some(jfif) = f.jfif {
        out.extend_from_slice(jfif);
    }
    crate::jpeg::add_segments(&mut |n, p| segment(out, 0xE0 + n, p), h, ctx.marks, notes)?;
    for c in h.segments.iter().filter(|s| s.marker == 0xFE) {
        segment(out, 0xFE, &c.payload)?;
    }
    if let Some(adobe) = f.adobe {
        out.extend_from_slice(adobe);
    }
    Ok(())
}

/// DQT, SOF, DHT, DRI and SOS of the output.
fn write_tables(
    out: &mut Vec<u8>,
    f: &Frame<'_>,
    specs: &[(Spec, Spec)],
    ids: &[(usize, usize)],
    restart: usize,
) -> Result<()> {
    let mut wide = false;
    for tq in 0..4 {
        if !f.comps.iter().any(|c| c.tq == tq) {
            continue;
        }
        let Some(q) = f.qt[tq] else { continue };
        let sixteen = q.iter().any(|&v| v > 255);
        wide |= sixteen;
        let mut p = vec![(u8::from(sixteen) << 4) | tq as u8];
        for &n in &ZIGZAG {
            if sixteen {
                p.extend_from_slice(&q[n].to_be_bytes());
            } else {
                p.push(q[n] as u8);
            }
        }
        segment(out, 0xDB, &p)?;
    }
    let many = ids.iter().any(|&(d, a)| d > 1 || a > 1);
    let marker = if wide || many || f.marker == 0xC1 {
        0xC1
    } else {
        0xC0
    };
    let mut sof = vec![8];
    sof.extend_from_slice(&(f.height as u16).to_be_bytes());
    sof.extend_from_slice(&(f.width as u16).to_be_bytes());
    sof.push(f.comps.len() as u8);
    for c in &f.comps {
        sof.extend_from_slice(&[c.id, (c.h as u8) << 4 | c.v as u8, c.tq as u8]);
    }
    segment(out, marker, &sof)?;
    let mut written = Vec::new();
    for ((dc, ac), &(d, a)) in specs.iter().zip(ids) {
        for (class, id, spec) in [(0u8, d, dc), (1, a, ac)] {
            if written.contains(&(class, id)) {
                continue;
            }
            written.push((class, id));
            let mut p = vec![class << 4 | id as u8];
            p.extend_from_slice(&spec.bits);
            p.extend_from_slice(&spec.vals);
            segment(out, 0xC4, &p)?;
        }
    }
    if restart > 0 {
        segment(out, 0xDD, &(restart as u16).to_be_bytes())?;
    }
    let mut sos = vec![f.comps.len() as u8];
    for (c, &(d, a)) in f.comps.iter().zip(ids) {
        sos.extend_from_slice(&[c.id, (d as u8) << 4 | a as u8]);
    }
    sos.extend_from_slice(&[0, 63, 0]);
    segment(out, 0xDA, &sos)
}
