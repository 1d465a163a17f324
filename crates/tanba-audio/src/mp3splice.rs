//! Prepend mode for MP3 without re-encoding the programme.
//!
//! MPEG audio is a run of self-delimiting frames, so a disclaimer encoded at
//! the programme's sample rate and channel count can go in front of the
//! programme's own frames: the programme stays bit-for-bit what it was (no
//! generation loss, its VBR kept) and the job costs one decode (loudness)
//! instead of a decode and a full encode.
//!
//! The output is: the ID3v2 tag and Xing/Info frame FFmpeg's muxer wrote for
//! the encoded disclaimer (our marks, the kept tags and cover art), patched
//! to describe the whole stream; the disclaimer's frames; the programme's
//! audio frames. The programme's own ID3v2, Xing/Info or VBRI frame and
//! trailing ID3v1/APE tags are left out: their contents are already in the
//! new tag (FFmpeg read them), and a second Xing frame mid-stream would be
//! decoded as a frame of silence.
//!
//! Anything unusual (free-format bitrate, a first frame that borrows from
//! the bit reservoir, junk between frames, a different sample rate or
//! channel count) makes [`Programme::scan`] say why, and the caller
//! re-encodes instead.

// Built without FFmpeg only for the fuzz targets, which use part of it.
#![cfg_attr(not(feature = "ffmpeg"), allow(dead_code))]

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use tanba_core::{Error, Result, WriteSeek};

/// Offsets inside the 36-byte LAME extension of a Xing/Info tag.
const LAME_DELAYS: usize = 21;
const LAME_MUSIC_LENGTH: usize = 28;
const LAME_MUSIC_CRC: usize = 32;
const LAME_TAG_CRC: usize = 34;

/// One MPEG audio Layer III frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    /// MPEG-1 (true) or MPEG-2/2.5 (false): side-info and frame sizes differ.
    mpeg1: bool,
    sample_rate: u32,
    mono: bool,
    /// A 16-bit CRC follows the header.
    protected: bool,
    bitrate_index: u8,
    /// The whole frame, header included.
    len: usize,
}

impl Header {
    /// Parses four bytes; `None` unless they are a Layer III header with a
    /// fixed (not free-format) bitrate.
    fn parse(b: [u8; 4]) -> Option<Header> {
        if b[0] != 0xFF || b[1] & 0xE0 != 0xE0 {
            return None;
        }
        let version = (b[1] >> 3) & 3; // 0: 2.5, 2: 2, 3: 1
        let layer = (b[1] >> 1) & 3; // 1: Layer III
        if version == 1 || layer != 1 {
            return None;
        }
        let protected = b[1] & 1 == 0;
        let bitrate_index = b[2] >> 4;
        let rate_index = usize::from((b[2] >> 2) & 3);
        if bitrate_index == 0 || bitrate_index == 15 || rate_index == 3 {
            return None;
        }
        let padding = usize::from((b[2] >> 1) & 1);
        let mono = b[3] >> 6 == 3;
        const MPEG1_KBPS: [u32; 15] = [
            0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
        ];
        const MPEG2_KBPS: [u32; 15] =
            [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
        let mpeg1 = version == 3;
        let base_rate = [44_100u32, 48_000, 32_000][rate_index];
        let sample_rate = match version {
            3 => base_rate,
            2 => base_rate / 2,
            _ => base_rate / 4,
        };
        let kbps = if mpeg1 {
            MPEG1_KBPS[usize::from(bitrate_index)]
        } else {
            MPEG2_KBPS[usize::from(bitrate_index)]
        };
        let coefficient = if mpeg1 { 144 } else { 72 };
        let len = (coefficient * kbps * 1000 / sample_rate) as usize + padding;
        Some(Header {
            mpeg1,
            sample_rate,
            mono,
            protected,
            bitrate_index,
            len,
        })
    }

    /// Where the side information starts and how long it is.
    fn side_info(&self) -> (usize, usize) {
        let start = if self.protected { 6 } else { 4 };
        let len = match (self.mpeg1, self.mono) {
            (true, true) => 17,
            (true, false) => 32,
            (false, true) => 9,
            (false, false) => 17,
        };
        (start, len)
    }

    /// The same stream: what a decoder must not see change mid-stream.
    fn same_stream(&self, other: &Header) -> bool {
        self.mpeg1 == other.mpeg1
            && self.sample_rate == other.sample_rate
            && self.mono == other.mono
    }
}

/// Where a frame's Xing/Info tag starts, if it has one.
fn xing_offset(frame: &[u8], header: &Header) -> Option<usize> {
    let (start, len) = header.side_info();
    let at = start + len;
    let tag = frame.get(at..at + 4)?;
    (tag == b"Xing" || tag == b"Info").then_some(at)
}

/// True for a Fraunhofer VBRI header frame.
fn is_vbri(frame: &[u8]) -> bool {
    frame.get(36..40) == Some(b"VBRI".as_slice())
}

/// Length of an ID3v2 tag at the start of `head` (0 if none).
fn id3v2_len(head: &[u8]) -> usize {
    if head.len() < 10 || &head[..3] != b"ID3" {
        return 0;
    }
    let size = head[6..10]
        .iter()
        .fold(0usize, |acc, &b| (acc << 7) | usize::from(b & 0x7F));
    let footer = if head[5] & 0x10 != 0 { 10 } else { 0 };
    10 + size + footer
}

/// A Xing/Info tag's fields, as offsets into its frame.
#[derive(Debug, Clone, Copy)]
struct XingLayout {
    tag: usize,
    frames: Option<usize>,
    bytes: Option<usize>,
    toc: Option<usize>,
    /// The LAME extension, when present (36 bytes).
    lame: Option<usize>,
}

impl XingLayout {
    fn read(frame: &[u8], header: &Header) -> Option<XingLayout> {
        let tag = xing_offset(frame, header)?;
        let flags = u32::from_be_bytes(frame.get(tag + 4..tag + 8)?.try_into().ok()?);
        let mut at = tag + 8;
        let mut field = |flag: u32, len: usize| {
            (flags & flag != 0).then(|| {
                let here = at;
                at += len;
                here
            })
        };
        let frames = field(1, 4);
        let bytes = field(2, 4);
        let toc = field(4, 100);
        let _quality = field(8, 4);
        let lame = (frame.len() >= at + 36 && frame[at..at + 4].iter().all(u8::is_ascii_graphic))
            .then_some(at);
        Some(XingLayout {
            tag,
            frames,
            bytes,
            toc,
            lame,
        })
    }

    /// The encoder padding (samples) its LAME tag records at the end.
    fn end_padding(&self, frame: &[u8]) -> Option<u32> {
        let at = self.lame? + LAME_DELAYS;
        let b = frame.get(at..at + 3)?;
        Some(((u32::from(b[1]) & 0x0F) << 8) | u32::from(b[2]))
    }
}

/// What [`Programme::scan`] found.
#[derive(Debug)]
pub(crate) enum Scan {
    /// The programme's frames, which a disclaimer can go in front of.
    Frames(Programme),
    /// Why the file cannot be spliced (the caller re-encodes it instead).
    Unsuitable(String),
}

/// How [`write`] ended.
#[derive(Debug)]
pub(crate) enum Splice {
    /// The spliced stream was written.
    Done,
    /// Nothing was written, for this reason: the disclaimer's encoding is
    /// not what the splice expects, so the caller re-encodes instead.
    Fallback(String),
}

/// The programme's audio frames, found by [`Programme::scan`].
#[derive(Debug)]
pub(crate) struct Programme {
    first: Header,
    /// File offset of the first audio frame.
    start: u64,
    /// Each audio frame's length, in order (contiguous from `start`).
    frame_lens: Vec<u32>,
    /// Bitrates differ from frame to frame.
    variable: bool,
    /// The encoder padding at the programme's end (from its LAME tag).
    end_padding: u32,
}

impl Programme {
    /// Finds the audio frames of the MP3 at `path`, or says why the file
    /// cannot be spliced. Reads headers only (a few bytes per frame).
    pub(crate) fn scan(path: &Path) -> Result<Scan> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        let mut r = BufReader::with_capacity(1 << 16, file);
        let mut pos = 0u64;
        // ID3v2 tags (a file may carry more than one).
        loop {
            let mut head = [0u8; 10];
            if pos + 10 > len {
                break;
            }
            r.read_exact(&mut head)?;
            let tag = id3v2_len(&head) as u64;
            if tag == 0 {
                r.seek_relative(-10)?;
                break;
            }
            pos += tag;
            r.seek(SeekFrom::Start(pos))?;
        }
        let mut first: Option<Header> = None;
        let mut frame_lens = Vec::new();
        let mut variable = false;
        let mut end_padding = 0;
        let mut start = pos;
        while pos + 4 <= len {
            let mut b = [0u8; 4];
            r.read_exact(&mut b)?;
            let Some(h) = Header::parse(b) else {
                r.seek_relative(-4)?;
                break;
            };
            if pos + h.len as u64 > len {
                // A truncated last frame: leave it out.
                break;
            }
            let reference = match first {
                Some(f) => f,
                None => {
                    // The first frame: a Xing/Info/VBRI frame carries no
                    // programme audio and is replaced by ours.
                    let mut frame = vec![0u8; h.len];
                    frame[..4].copy_from_slice(&b);
                    r.read_exact(&mut frame[4..])?;
                    if let Some(xing) = XingLayout::read(&frame, &h) {
                        end_padding = xing.end_padding(&frame).unwrap_or(0);
                        pos += h.len as u64;
                        start = pos;
                        continue;
                    }
                    if is_vbri(&frame) {
                        pos += h.len as u64;
                        start = pos;
                        continue;
                    }
                    let (side, _) = h.side_info();
                    let reservoir = if h.mpeg1 {
                        (u16::from(frame[side]) << 1) | u16::from(frame[side + 1] >> 7)
                    } else {
                        u16::from(frame[side])
                    };
                    if reservoir != 0 {
                        return Ok(Scan::Unsuitable(
                            "its first frame borrows from a bit reservoir before it".into(),
                        ));
                    }
                    first = Some(h);
                    frame_lens.push(h.len as u32);
                    pos += h.len as u64;
                    continue;
                }
            };
            if !h.same_stream(&reference) {
                return Ok(Scan::Unsuitable(
                    "its frames change sample rate or channel count".into(),
                ));
            }
            variable |= h.bitrate_index != reference.bitrate_index;
            frame_lens.push(h.len as u32);
            pos += h.len as u64;
            r.seek_relative(h.len as i64 - 4)?;
        }
        let Some(first) = first else {
            return Ok(Scan::Unsuitable(
                "no MPEG Layer III audio frames found".into(),
            ));
        };
        // What may follow the frames: ID3v1, APE or Lyrics3 tags.
        if pos < len {
            let mut tail = [0u8; 8];
            let n = r.read(&mut tail)?;
            let tail = &tail[..n];
            let known = tail.starts_with(b"TAG")
                || tail.starts_with(b"APETAGEX")
                || tail.starts_with(b"LYRICS")
                || len - pos < 4;
            if !known {
                return Ok(Scan::Unsuitable(format!(
                    "unknown data at byte {pos} after its audio frames"
                )));
            }
        }
        Ok(Scan::Frames(Programme {
            first,
            start,
            frame_lens,
            variable,
            end_padding,
        }))
    }

    /// The programme's audio frames in bytes.
    pub(crate) fn audio_bytes(&self) -> u64 {
        self.frame_lens.iter().map(|&l| u64::from(l)).sum()
    }

    /// True when a disclaimer encoded for `rate` Hz and `channels` fits in
    /// front of these frames.
    pub(crate) fn matches(&self, rate: u32, channels: usize) -> bool {
        self.first.sample_rate == rate && (channels == 1) == self.first.mono
    }
}

/// CRC-16 with polynomial 0x8005, reflected, initial 0 (CRC-16/ARC): the
/// one LAME uses for its tag and the music CRC.
fn crc16(mut crc: u16, bytes: &[u8]) -> u16 {
    for &b in bytes {
        crc = (crc >> 8) ^ CRC16_TABLE[usize::from((crc as u8) ^ b)];
    }
    crc
}

const CRC16_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u16;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// The encoded disclaimer, split.
struct Head<'a> {
    id3: &'a [u8],
    xing_frame: Vec<u8>,
    xing_header: Header,
    xing: XingLayout,
    clip_frames: &'a [u8],
    clip_frame_lens: Vec<u32>,
}

/// Splits FFmpeg's MP3 of the disclaimer into its parts; `Err` says what
/// is not as the splice expects.
fn split_head(head: &[u8]) -> std::result::Result<Head<'_>, String> {
    let id3_len = id3v2_len(head);
    let rest = head
        .get(id3_len..)
        .ok_or("the encoded disclaimer's ID3v2 tag is cut short")?;
    let header = rest
        .get(..4)
        .and_then(|b| Header::parse(b.try_into().ok()?))
        .ok_or("the encoded disclaimer does not start with an MP3 frame")?;
    let xing_frame = rest
        .get(..header.len)
        .ok_or("the encoded disclaimer's first frame is cut short")?
        .to_vec();
    let xing = XingLayout::read(&xing_frame, &header)
        .ok_or("the encoded disclaimer has no Xing/Info frame")?;
    let clip_frames = &rest[header.len..];
    let mut clip_frame_lens = Vec::new();
    let mut at = 0;
    while at < clip_frames.len() {
        let h = clip_frames
            .get(at..at + 4)
            .and_then(|b| Header::parse(b.try_into().ok()?))
            .filter(|h| h.same_stream(&header) && at + h.len <= clip_frames.len())
            .ok_or("the encoded disclaimer holds something other than MP3 frames")?;
        clip_frame_lens.push(h.len as u32);
        at += h.len;
    }
    Ok(Head {
        id3: &head[..id3_len],
        xing_frame,
        xing_header: header,
        xing,
        clip_frames,
        clip_frame_lens,
    })
}

/// Writes `head` (FFmpeg's MP3 of the disclaimer: ID3v2, Xing/Info frame,
/// frames) followed by the programme's frames from `input` into `output`,
/// with the Xing/Info and LAME fields rewritten for the whole stream.
/// [`Splice::Fallback`], before anything is written, when `head` is not
/// as expected.
pub(crate) fn write(
    head: &[u8],
    programme: &Programme,
    input: &Path,
    output: &mut dyn WriteSeek,
) -> Result<Splice> {
    let parts = match split_head(head) {
        Ok(parts) => parts,
        Err(why) => return Ok(Splice::Fallback(why.to_string())),
    };
    if !parts.xing_header.same_stream(&programme.first) {
        return Ok(Splice::Fallback(
            "the disclaimer was encoded for another sample rate or channel count".into(),
        ));
    }
    let Head {
        id3,
        mut xing_frame,
        xing_header,
        xing,
        clip_frames,
        clip_frame_lens,
    } = parts;

    // Frame offsets from the start of the Xing frame, for the TOC.
    let all_lens: Vec<u64> = std::iter::once(xing_header.len as u64)
        .chain(clip_frame_lens.iter().map(|&l| u64::from(l)))
        .chain(programme.frame_lens.iter().map(|&l| u64::from(l)))
        .collect();
    let audio_frames = all_lens.len() - 1;
    let total_bytes: u64 = all_lens.iter().sum();
    let variable = programme.variable
        || clip_frame_lens
            .iter()
            .any(|&l| l.abs_diff(programme.first.len as u32) > 1);

    let put_u32 = |frame: &mut Vec<u8>, at: usize, v: u64| {
        let v = u32::try_from(v).unwrap_or(u32::MAX);
        frame[at..at + 4].copy_from_slice(&v.to_be_bytes());
    };
    xing_frame[xing.tag..xing.tag + 4].copy_from_slice(if variable { b"Xing" } else { b"Info" });
    if let Some(at) = xing.frames {
        put_u32(&mut xing_frame, at, audio_frames as u64);
    }
    if let Some(at) = xing.bytes {
        put_u32(&mut xing_frame, at, total_bytes);
    }
    if let Some(at) = xing.toc {
        // toc[i]: where i % of the frames have passed, in 256ths of the bytes.
        let mut offsets = Vec::with_capacity(all_lens.len());
        let mut acc = 0u64;
        for &l in &all_lens[1..] {
            offsets.push(acc);
            acc += l;
        }
        for i in 0..100usize {
            let frame = (i * audio_frames / 100).min(audio_frames.saturating_sub(1));
            let off = offsets.get(frame).copied().unwrap_or(0) + xing_header.len as u64;
            xing_frame[at + i] = ((off * 256 / total_bytes.max(1)).min(255)) as u8;
        }
    }

    output.seek(SeekFrom::Start(0))?;
    output.write_all(id3)?;
    let xing_at = id3.len() as u64;
    output.write_all(&xing_frame)?;
    output.write_all(clip_frames)?;
    let mut music_crc = crc16(0, clip_frames);
    let mut file = File::open(input)?;
    file.seek(SeekFrom::Start(programme.start))?;
    let mut remaining = programme.audio_bytes();
    let mut buf = vec![0u8; 1 << 16];
    while remaining > 0 {
        let n = (remaining.min(buf.len() as u64)) as usize;
        file.read_exact(&mut buf[..n])
            .map_err(|e| Error::malformed(format!("the MP3 changed while it was read: {e}")))?;
        music_crc = crc16(music_crc, &buf[..n]);
        output.write_all(&buf[..n])?;
        remaining -= n as u64;
    }

    if let Some(lame) = xing.lame {
        // Encoder delay stays the disclaimer's (it starts the stream); the
        // padding at the end is now the programme's.
        let at = lame + LAME_DELAYS;
        let pad = programme.end_padding.min(0xFFF);
        xing_frame[at + 1] = (xing_frame[at + 1] & 0xF0) | ((pad >> 8) as u8 & 0x0F);
        xing_frame[at + 2] = (pad & 0xFF) as u8;
        put_u32(&mut xing_frame, lame + LAME_MUSIC_LENGTH, total_bytes);
        xing_frame[lame + LAME_MUSIC_CRC..lame + LAME_MUSIC_CRC + 2]
            .copy_from_slice(&music_crc.to_be_bytes());
        // The tag CRC covers the frame up to itself (190 bytes in MPEG-1 stereo).
        let crc_at = lame + LAME_TAG_CRC;
        let tag_crc = crc16(0, &xing_frame[..crc_at]);
        xing_frame[crc_at..crc_at + 2].copy_from_slice(&tag_crc.to_be_bytes());
        output.seek(SeekFrom::Start(xing_at))?;
        output.write_all(&xing_frame)?;
        output.seek(SeekFrom::End(0))?;
    }
    output.flush()?;
    Ok(Splice::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_128k_44100_stereo_header() {
        let h = Header::parse([0xFF, 0xFB, 0x90, 0x64]).expect("a Layer III header");
        assert!(h.mpeg1);
        assert_eq!(h.sample_rate, 44_100);
        assert!(!h.mono);
        assert_eq!(h.len, 417);
        assert_eq!(h.side_info(), (4, 32));
    }

    #[test]
    fn refuses_free_format_and_other_layers() {
        assert!(Header::parse([0xFF, 0xFB, 0x00, 0x64]).is_none());
        assert!(Header::parse([0xFF, 0xFD, 0x90, 0x64]).is_none());
        assert!(Header::parse([0x49, 0x44, 0x33, 0x04]).is_none());
    }

    #[test]
    fn crc_matches_crc16_arc() {
        // The check value of CRC-16/ARC.
        assert_eq!(crc16(0, b"123456789"), 0xBB3D);
    }

    #[test]
    fn id3v2_length_is_synchsafe() {
        let tag = [b'I', b'D', b'3', 4, 0, 0, 0, 0, 0x02, 0x01];
        assert_eq!(id3v2_len(&tag), 10 + 257);
    }
}
