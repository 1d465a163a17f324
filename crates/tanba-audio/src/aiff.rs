//! AIFF and AIFF-C: the chunks read before decoding (with their limits),
//! the header of an output in the input's own coding, and the marks: an
//! `ANNO` chunk with the AIGC object and an `ID3 ` chunk with it again
//! (`TXXX:AIGC`) and the XMP packet (`PRIV:XMP`), which is where exiftool
//! and FFmpeg read tags in AIFF. Symphonia decodes the samples.

use std::io::SeekFrom;

use tanba_core::{Error, Limits, Manifest, ReadSeek, Result, WriteSeek};

use crate::formats::is_aiff;
use crate::id3;
use crate::pcm::Coding;
use crate::wavout::Header;

/// Chunks larger than this are not read into memory when looking for marks.
const MAX_META_CHUNK: u32 = 16 * 1024 * 1024;
/// Text chunks of the input carried into the output as they are.
const CARRIED: [&[u8; 4]; 4] = [b"NAME", b"AUTH", b"(c) ", b"ANNO"];
/// The AIFF-C version the `FVER` chunk names (the only one defined).
const AIFC_VERSION: [u8; 4] = [0xA2, 0x80, 0x51, 0x40];

/// What an AIFF file holds besides its samples.
#[derive(Debug, Clone)]
pub(crate) struct AiffMeta {
    /// `AIFF` or `AIFC`.
    pub form: [u8; 4],
    /// The `COMM` chunk's body, kept so the output has the same coding.
    pub comm: Vec<u8>,
    /// An `ANNO` chunk that holds an AIGC object.
    pub anno_aigc: Option<String>,
    /// The `ID3 ` chunk, read.
    pub id3: Option<id3::Tag>,
    /// Chunks carried into the output, `(id, bytes)`.
    pub carried: Vec<([u8; 4], Vec<u8>)>,
}

/// An 80-bit IEEE 754 extended float (the `COMM` sample rate) as f64.
fn extended(b: &[u8]) -> f64 {
    let exp = i32::from(u16::from_be_bytes([b[0], b[1]]) & 0x7fff);
    let mut mantissa = [0u8; 8];
    mantissa.copy_from_slice(&b[2..10]);
    let mantissa = u64::from_be_bytes(mantissa);
    if exp == 0 || mantissa == 0 {
        return 0.0;
    }
    mantissa as f64 * 2f64.powi(exp - 16383 - 63)
}

/// Reads the chunks of an AIFF file, checking the `COMM` chunk and its
/// claimed length against `limits` before a decoder allocates anything.
pub(crate) fn read_meta(reader: &mut dyn ReadSeek, len: u64, limits: &Limits) -> Result<AiffMeta> {
    reader.seek(SeekFrom::Start(0))?;
    let mut header = [0u8; 12];
    reader
        .read_exact(&mut header)
        .map_err(|_| Error::malformed("the AIFF header is cut short"))?;
    if !is_aiff(&header) {
        return Err(Error::malformed("not an AIFF file"));
    }
    let mut meta = AiffMeta {
        form: [header[8], header[9], header[10], header[11]],
        comm: Vec::new(),
        anno_aigc: None,
        id3: None,
        carried: Vec::new(),
    };
    let mut sound = None;
    let mut offset = 12u64;
    while offset + 8 <= len {
        reader.seek(SeekFrom::Start(offset))?;
        let mut head = [0u8; 8];
        reader.read_exact(&mut head)?;
        let id = [head[0], head[1], head[2], head[3]];
        let size = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
        let body_end = offset + 8 + u64::from(size);
        let wanted = matches!(&id, b"COMM" | b"ID3 ") || CARRIED.contains(&&id);
        if &id == b"SSND" {
            sound = Some(size);
        } else if wanted && size <= MAX_META_CHUNK && body_end <= len {
            let mut body = vec![0u8; size as usize];
            reader.read_exact(&mut body)?;
            match &id {
                b"COMM" => meta.comm = body,
                b"ID3 " => meta.id3 = Some(id3::read(&body)),
                b"ANNO" if tanba_core::manifest::Aigc::from_json(&text(&body)).is_ok() => {
                    meta.anno_aigc = Some(text(&body));
                }
                _ => meta.carried.push((id, body)),
            }
        } else if &id == b"COMM" {
            return Err(Error::malformed(format!(
                "the AIFF COMM chunk claims {size} bytes, {} are left",
                len.saturating_sub(offset + 8)
            )));
        }
        offset = body_end + u64::from(size & 1);
    }
    reader.seek(SeekFrom::Start(0))?;
    meta.check(sound, limits)?;
    Ok(meta)
}

fn text(bytes: &[u8]) -> String {
    let trimmed = bytes.split(|b| *b == 0).next().unwrap_or(&[]);
    String::from_utf8_lossy(trimmed).into_owned()
}

impl AiffMeta {
    /// Channels, frames, bits and rate of the `COMM` chunk.
    fn common(&self) -> Result<(u16, u32, u16, f64)> {
        let c = &self.comm;
        let min = if &self.form == b"AIFC" { 22 } else { 18 };
        if c.len() < min {
            return Err(Error::malformed(format!(
                "the AIFF COMM chunk is {} bytes, at least {min} expected (or missing)",
                c.len()
            )));
        }
        let channels = u16::from_be_bytes([c[0], c[1]]);
        let frames = u32::from_be_bytes([c[2], c[3], c[4], c[5]]);
        let bits = u16::from_be_bytes([c[6], c[7]]);
        Ok((channels, frames, bits, extended(&c[8..18])))
    }

    /// Refuses a header with no channels or rate, no sound chunk, or a
    /// length past the limits.
    fn check(&self, sound: Option<u32>, limits: &Limits) -> Result<()> {
        let (channels, frames, bits, rate) = self.common()?;
        if channels == 0 || !(1.0..=1.0e7).contains(&rate) || bits == 0 {
            return Err(Error::malformed(format!(
                "the AIFF header claims {channels} channels, {rate} Hz, {bits} bits"
            )));
        }
        let Some(sound) = sound else {
            return Err(Error::malformed("the AIFF file has no SSND chunk"));
        };
        let ms = (f64::from(frames) * 1000.0 / rate) as u64;
        limits.check_duration_ms(ms)?;
        let Some(coding) = self.coding() else {
            let kind = self.comm.get(18..22).map(String::from_utf8_lossy);
            return Err(Error::unsupported(format!(
                "AIFF with {bits}-bit samples, compression type {}",
                kind.as_deref().unwrap_or("NONE")
            )));
        };
        let block = coding.bytes() as u64 * u64::from(channels);
        if u64::from(frames) * block > u64::from(sound) {
            // More frames than the sound chunk can hold.
            return Err(Error::malformed(format!(
                "truncated: the AIFF header claims {frames} frames, the SSND chunk holds {sound} bytes"
            )));
        }
        Ok(())
    }

    /// How the samples are stored, when the writer has the coding.
    fn coding(&self) -> Option<Coding> {
        let bits = u16::from_be_bytes([*self.comm.get(6)?, *self.comm.get(7)?]);
        let compression = if &self.form == b"AIFC" {
            self.comm.get(18..22)?
        } else {
            b"NONE"
        };
        Some(match (compression, bits) {
            (b"NONE" | b"none" | b"twos" | b"TWOS", 8) => Coding::S8,
            (b"NONE" | b"none" | b"twos" | b"TWOS", bits @ (16 | 24 | 32)) => {
                Coding::Int { bits, big: true }
            }
            (b"sowt" | b"SOWT", 16) => Coding::Int {
                bits: 16,
                big: false,
            },
            (b"fl32" | b"FL32", _) => Coding::Float {
                bits: 32,
                big: true,
            },
            (b"fl64" | b"FL64", _) => Coding::Float {
                bits: 64,
                big: true,
            },
            (b"ulaw" | b"ULAW", _) => Coding::MuLaw,
            (b"alaw" | b"ALAW", _) => Coding::ALaw,
            _ => return None,
        })
    }

    /// The header of an output in the input's form and coding: `FVER`
    /// (AIFF-C), the input's `COMM` (frame count patched at the end) and
    /// an `SSND` with no offset.
    pub(crate) fn header(&self, channels: usize) -> Result<Header> {
        let coding = self.coding().ok_or_else(|| {
            Error::unsupported("this AIFF coding (compression type or sample size)")
        })?;
        let (claimed, ..) = self.common()?;
        if usize::from(claimed) != channels {
            return Err(Error::malformed(
                "the AIFF COMM chunk and the decoded stream disagree on the channels",
            ));
        }
        let mut bytes = b"FORM\0\0\0\0".to_vec();
        bytes.extend_from_slice(&self.form);
        if &self.form == b"AIFC" {
            bytes.extend(chunk(b"FVER", &AIFC_VERSION));
        }
        let comm_at = bytes.len() as u64 + 8;
        bytes.extend(chunk(b"COMM", &self.comm));
        bytes.extend_from_slice(b"SSND\0\0\0\0");
        let data_size_at = bytes.len() as u64 - 4;
        bytes.extend_from_slice(&[0; 8]);
        Ok(Header {
            bytes,
            coding,
            channels,
            big_endian: true,
            data_size_at,
            data_extra: 8,
            frames_at: Some(comm_at + 2),
        })
    }

    /// The frame count `COMM` states (checked against `SSND` on reading).
    pub(crate) fn frames(&self) -> u64 {
        self.common().map_or(0, |(_, frames, ..)| u64::from(frames))
    }

    /// True when the file carries a label of ours.
    pub(crate) fn marked(&self) -> bool {
        let xmp_marked = |x: &str| {
            tanba_core::xmp::read(x)
                .ok()
                .is_some_and(|m| m.aigc.is_some() || m.manifest.is_some())
        };
        self.anno_aigc.is_some()
            || self
                .id3
                .as_ref()
                .is_some_and(|t| t.aigc.is_some() || t.xmp.as_deref().is_some_and(xmp_marked))
    }
}

fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 9);
    out.extend_from_slice(id);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
    if body.len() % 2 == 1 {
        out.push(0);
    }
    out
}

/// Appends the carried chunks and the marks after the sound chunk and
/// patches the `FORM` size. Returns a note when the input's ID3 tag could
/// not be read (its frames are not carried).
pub(crate) fn append_marks(
    out: &mut dyn WriteSeek,
    manifest: &Manifest,
    xmp: &str,
    kept: &AiffMeta,
) -> Result<Option<String>> {
    let aigc = manifest.aigc.to_json();
    let mut tail = Vec::new();
    for (id, body) in &kept.carried {
        tail.extend(chunk(id, body));
    }
    tail.extend(chunk(b"ANNO", aigc.as_bytes()));
    let others = kept
        .id3
        .as_ref()
        .map(|t| t.others.as_slice())
        .unwrap_or(&[]);
    tail.extend(chunk(b"ID3 ", &id3::write(&aigc, xmp, others)));
    let mut end = out.seek(SeekFrom::End(0))?;
    if end % 2 == 1 {
        // An odd-sized sound chunk is followed by a pad byte.
        out.write_all(&[0])?;
        end += 1;
    }
    out.write_all(&tail)?;
    let form_size = u32::try_from(end + tail.len() as u64 - 8)
        .map_err(|_| Error::cannot_label("the output exceeds the 4 GiB AIFF size limit"))?;
    out.seek(SeekFrom::Start(4))?;
    out.write_all(&form_size.to_be_bytes())?;
    out.seek(SeekFrom::End(0))?;
    out.flush()?;
    Ok(kept
        .id3
        .as_ref()
        .filter(|t| t.unreadable)
        .map(|_| "the input's ID3 chunk is in a form this writer does not read (ID3v2.2, unsynchronised or extended): its other tags were not kept".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_rates() {
        // 8000 Hz and 44100 Hz as AIFF writers store them.
        let r8k = [0x40, 0x0B, 0xFA, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(extended(&r8k), 8000.0);
        let r44k = [0x40, 0x0E, 0xAC, 0x44, 0, 0, 0, 0, 0, 0];
        assert_eq!(extended(&r44k), 44100.0);
        assert_eq!(extended(&[0; 10]), 0.0);
    }
}
