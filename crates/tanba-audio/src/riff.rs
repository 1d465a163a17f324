//! WAV marks: the RIFF `AIGC`, `LIST/INFO` and `_PMX` chunks, written after
//! hound's `data` chunk (then the RIFF size is patched), and read back.

use std::io::SeekFrom;

use tanba_core::riff::{chunk, list_items};
use tanba_core::{Error, Manifest, ReadSeek, Result, WriteSeek};

use crate::pcm::Coding;
use crate::wavout::Header;

/// Chunks larger than this are not read into memory when looking for marks.
const MAX_META_CHUNK: u32 = 16 * 1024 * 1024;
/// Chunks of the input carried over to the output verbatim (broadcast
/// extension, iXML, ID3 inside RIFF). `LIST` chunks other than INFO too.
const CARRIED: [&[u8; 4]; 4] = [b"bext", b"iXML", b"id3 ", b"ID3 "];

/// What a RIFF/WAVE file holds besides its audio.
#[derive(Debug, Default, Clone)]
pub(crate) struct RiffMeta {
    /// The `AIGC` chunk's text.
    pub aigc: Option<String>,
    /// The `LIST/INFO` `ICMT` comment.
    pub info_comment: Option<String>,
    /// The other `LIST/INFO` items, `(id, bytes)`.
    pub info_items: Vec<([u8; 4], Vec<u8>)>,
    /// The `_PMX` XMP packet.
    pub xmp: Option<String>,
    /// Chunks to carry into the output, `(id, bytes)`.
    pub carried: Vec<([u8; 4], Vec<u8>)>,
    /// The `fmt ` chunk's body, kept so the output has the same coding.
    pub fmt: Option<Vec<u8>>,
    /// The input has a `fact` chunk (non-PCM codings such as μ-law do).
    pub fact: bool,
}

/// A `fmt ` chunk larger than this is refused (extensible is 40 bytes).
const MAX_FMT_CHUNK: u32 = 4096;

fn text_of(bytes: &[u8]) -> String {
    let trimmed = bytes.split(|b| *b == 0).next().unwrap_or(&[]);
    String::from_utf8_lossy(trimmed).into_owned()
}

/// Reads the metadata chunks of a RIFF/WAVE file. A chunk running past the
/// end stops the walk (the audio decoder reports the truncation).
pub(crate) fn read_meta(reader: &mut dyn ReadSeek, len: u64) -> Result<RiffMeta> {
    reader.seek(SeekFrom::Start(0))?;
    let mut header = [0u8; 12];
    reader.read_exact(&mut header)?;
    if &header[0..4] != b"RIFF" || &header[8..12] != b"WAVE" {
        return Err(Error::malformed("not a RIFF/WAVE file"));
    }
    let mut meta = RiffMeta::default();
    let mut offset = 12u64;
    while offset + 8 <= len {
        reader.seek(SeekFrom::Start(offset))?;
        let mut head = [0u8; 8];
        reader.read_exact(&mut head)?;
        let id: [u8; 4] = [head[0], head[1], head[2], head[3]];
        let size = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let body_end = offset + 8 + u64::from(size);
        if &id == b"fmt " {
            meta.fmt = Some(read_fmt(reader, size)?);
        }
        meta.fact |= &id == b"fact";
        let wanted = matches!(&id, b"AIGC" | b"_PMX" | b"LIST") || CARRIED.contains(&&id);
        if wanted && size <= MAX_META_CHUNK && body_end <= len {
            let mut body = vec![0u8; size as usize];
            reader.read_exact(&mut body)?;
            match &id {
                b"AIGC" => meta.aigc = Some(text_of(&body)),
                b"_PMX" => meta.xmp = Some(String::from_utf8_lossy(&body).into_owned()),
                b"LIST" if body.starts_with(b"INFO") => read_info(&body[4..], &mut meta),
                _ => meta.carried.push((id, body)),
            }
        }
        offset = body_end + u64::from(size & 1);
    }
    reader.seek(SeekFrom::Start(0))?;
    Ok(meta)
}

/// Reads the `fmt ` chunk, refusing one with no channels, no rate or no
/// block size before a decoder sees it (one such header makes symphonia
/// panic).
fn read_fmt(reader: &mut dyn ReadSeek, size: u32) -> Result<Vec<u8>> {
    if !(16..=MAX_FMT_CHUNK).contains(&size) {
        return Err(Error::malformed(format!(
            "the WAV fmt chunk is {size} bytes, 16 to {MAX_FMT_CHUNK} expected"
        )));
    }
    let mut fmt = vec![0u8; size as usize];
    reader
        .read_exact(&mut fmt)
        .map_err(|_| Error::malformed("the WAV fmt chunk is cut short"))?;
    let channels = u16::from_le_bytes([fmt[2], fmt[3]]);
    let rate = u32::from_le_bytes([fmt[4], fmt[5], fmt[6], fmt[7]]);
    let block_align = u16::from_le_bytes([fmt[12], fmt[13]]);
    let bits = u16::from_le_bytes([fmt[14], fmt[15]]);
    if channels == 0 || rate == 0 || block_align == 0 || bits == 0 {
        return Err(Error::malformed(format!(
            "the WAV header claims {channels} channels, {rate} Hz, {bits} bits, {block_align}-byte frames"
        )));
    }
    Ok(fmt)
}

/// The coding a `fmt ` chunk names, when the writer has it: integer PCM,
/// float, μ-law and A-law, plain or `WAVE_FORMAT_EXTENSIBLE`, with a
/// block size that matches.
fn fmt_coding(fmt: &[u8], channels: usize) -> Option<Coding> {
    let u16_at = |i: usize| fmt.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let mut tag = u16_at(0)?;
    if tag == 0xFFFE {
        // The sub-format GUID's first two bytes are the plain tag.
        tag = u16_at(24)?;
    }
    let coding = match (tag, u16_at(14)?) {
        (1, 8) => Coding::U8,
        (1, bits @ (16 | 24 | 32)) => Coding::Int { bits, big: false },
        (3, bits @ (32 | 64)) => Coding::Float { bits, big: false },
        (6, 8) => Coding::ALaw,
        (7, 8) => Coding::MuLaw,
        _ => return None,
    };
    let fits = usize::from(u16_at(2)?) == channels
        && usize::from(u16_at(12)?) == channels * coding.bytes();
    fits.then_some(coding)
}

/// A header with the input's own `fmt ` chunk (and a `fact` chunk when it
/// had one), so the output keeps the input's format tag, bits, channels,
/// rate and channel mask; `None` when the writer lacks its coding.
pub(crate) fn same_format_header(meta: &RiffMeta, channels: usize) -> Option<Header> {
    let fmt = meta.fmt.as_deref()?;
    let coding = fmt_coding(fmt, channels)?;
    let mut bytes = b"RIFF\0\0\0\0WAVE".to_vec();
    bytes.extend(chunk(b"fmt ", fmt));
    let frames_at = meta.fact.then(|| {
        bytes.extend(chunk(b"fact", &[0; 4]));
        bytes.len() as u64 - 4
    });
    bytes.extend_from_slice(b"data\0\0\0\0");
    Some(Header {
        data_size_at: bytes.len() as u64 - 4,
        bytes,
        coding,
        channels,
        big_endian: false,
        data_extra: 0,
        frames_at,
    })
}

fn read_info(items: &[u8], meta: &mut RiffMeta) {
    for (id, body) in list_items(items) {
        if &id == b"ICMT" {
            meta.info_comment = Some(text_of(body));
        } else {
            meta.info_items.push((id, body.to_vec()));
        }
    }
}

fn zstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// Appends the mark chunks after the audio that hound wrote at `base` and
/// patches the RIFF size. `xmp` is the packet to write (merged with the
/// input's when it had one).
pub(crate) fn append_marks(
    out: &mut dyn WriteSeek,
    base: u64,
    manifest: &Manifest,
    xmp: &str,
    kept: &RiffMeta,
) -> Result<()> {
    let aigc = manifest.aigc.to_json();
    let mut info = b"INFO".to_vec();
    info.extend(chunk(b"ICMT", &zstr(&aigc)));
    for (id, body) in &kept.info_items {
        if id != b"ISFT" {
            info.extend(chunk(id, body));
        }
    }
    info.extend(chunk(b"ISFT", &zstr(&manifest.generator)));
    let mut tail = chunk(b"LIST", &info);
    for (id, body) in &kept.carried {
        tail.extend(chunk(id, body));
    }
    tail.extend(chunk(b"AIGC", aigc.as_bytes()));
    tail.extend(chunk(b"_PMX", xmp.as_bytes()));
    let mut end = out.seek(SeekFrom::End(0))?;
    if end % 2 == 1 {
        // An odd-sized data chunk (8-bit mono) is followed by a pad byte.
        out.write_all(&[0])?;
        end += 1;
    }
    out.write_all(&tail)?;
    let riff_size = end + tail.len() as u64 - base - 8;
    let riff_size = u32::try_from(riff_size)
        .map_err(|_| Error::cannot_label("the output exceeds the 4 GiB WAV size limit"))?;
    out.seek(SeekFrom::Start(base + 4))?;
    out.write_all(&riff_size.to_le_bytes())?;
    out.seek(SeekFrom::End(0))?;
    out.flush()?;
    Ok(())
}
