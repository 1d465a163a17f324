//! MPEG-TS and M2TS: recognised by their packet rhythm, written back with
//! the input's program number, PMT PID, stream PIDs and timestamps, and
//! marked in a timed-metadata stream.
//!
//! The SDT's service name (at most 255 bytes) cannot hold the label, so the
//! marks go where HLS puts timed metadata: an ID3v2.4 tag in a PES stream
//! of type 0x15 (metadata descriptor `ID3 `), on a PID of its own, with one
//! `TXXX` frame per key (`AIGC`, `TANBA_MANIFEST`, `TANBA_NOTICE`). The
//! input's streams keep their PIDs; the PMT gains that one entry. FFmpeg
//! reads it as a `timed_id3` data stream (`ffmpeg -map 0:d -f data`).

use std::path::Path;

use ffmpeg::{Dictionary, Packet, Rational, Rescale, codec};
use ffmpeg_next as ffmpeg;

use tanba_core::{Error, Limits, Result};

use crate::ffi::{self, ProgramInfo};
use crate::frames::malformed;
use crate::marks::{KEY_AIGC, KEY_MANIFEST, KEY_NOTICE};
use crate::probe::{self, Container};

/// Transport packet sizes: plain TS, and M2TS with its 4-byte prefix.
const TS_PACKET: usize = 188;
const M2TS_PACKET: usize = 192;
/// The sync byte every transport packet starts with.
const SYNC: u8 = 0x47;
/// Whole packets a file that starts mid-packet must show in its head.
const MID_PACKET_LEAST: usize = 8;
/// Packets a reader looks through for the marks (they are written at the
/// start, so the muxer's interleaving puts them within the first seconds).
const MARK_SEARCH_PACKETS: usize = 50_000;
/// A marks tag larger than this is not ours and is not parsed.
const MAX_TAG_BYTES: usize = 4 * 1024 * 1024;
/// The highest PID a stream may use (0x1FFF is the null packet).
const MAX_PID: i32 = 0x1FFE;

/// `Some(false)` for 188-byte TS, `Some(true)` for 192-byte M2TS: the sync
/// byte at the start of every whole packet in `head` (at least two). A
/// capture that starts mid-packet (FFmpeg finds the rhythm itself) needs
/// eight, so that chance bytes of other binary files do not match.
pub(crate) fn sniff(head: &[u8]) -> Option<bool> {
    let rhythm = |size: usize, offset: usize, least: usize| {
        let packets = head.len().saturating_sub(offset) / size;
        packets >= least && (0..packets).all(|i| head.get(offset + i * size) == Some(&SYNC))
    };
    let cut = |size: usize| (1..size).any(|o| rhythm(size, o, MID_PACKET_LEAST));
    if rhythm(TS_PACKET, 0, 2) {
        Some(false)
    } else if rhythm(M2TS_PACKET, 4, 2) {
        Some(true)
    } else if cut(TS_PACKET) {
        Some(false)
    } else if cut(M2TS_PACKET) {
        Some(true)
    } else {
        None
    }
}

/// The program the labelled video belongs to (the first, if none lists it).
fn program_of(ictx: &ffmpeg::format::context::Input, video: usize) -> Option<ProgramInfo> {
    let programs = ffi::programs(ictx);
    programs
        .iter()
        .find(|p| p.streams.contains(&video))
        .or(programs.first())
        .cloned()
}

/// The muxer options and header metadata that keep the input's layout:
/// its program number, PMT PID, service name and provider, packet size,
/// and timestamps as they are (no offset added). (With several programs
/// the muxer takes numbers and names from `add_programs` instead.)
pub(crate) fn header(
    ictx: &ffmpeg::format::context::Input,
    container: Container,
    video: usize,
    (meta, options): (&mut Dictionary<'_>, &mut Dictionary<'_>),
) {
    options.set("mpegts_copyts", "1");
    let m2ts = if container == Container::M2ts {
        "1"
    } else {
        "0"
    };
    options.set("mpegts_m2ts_mode", m2ts);
    let Some(program) = program_of(ictx, video) else {
        return;
    };
    if (1..=0xFFFF).contains(&program.number) {
        options.set("mpegts_service_id", &program.number.to_string());
    }
    if (0x10..=MAX_PID).contains(&program.pmt_pid) {
        options.set("mpegts_pmt_start_pid", &program.pmt_pid.to_string());
    }
    if let Some(name) = &program.service_name {
        meta.set("service_name", name);
    }
    if let Some(provider) = &program.service_provider {
        meta.set("service_provider", provider);
    }
}

/// A multi-program input keeps its programs: each with its number,
/// service name and provider and its carried streams (`out_index` maps
/// input streams to output ones), the marks stream in the video's. The
/// muxer numbers the PMT PIDs up from the first program's: a note says
/// when the input's were numbered otherwise.
pub(crate) fn add_programs(
    ictx: &ffmpeg::format::context::Input,
    octx: &mut ffmpeg::format::context::Output,
    (out_index, video, marks): (&[Option<usize>], usize, Option<usize>),
    notes: &mut Vec<String>,
) -> Result<()> {
    let programs = ffi::programs(ictx);
    if programs.len() < 2 {
        return Ok(());
    }
    for program in &programs {
        let mut streams: Vec<usize> = program
            .streams
            .iter()
            .filter_map(|&i| out_index.get(i).copied().flatten())
            .collect();
        if program.streams.contains(&video) {
            streams.extend(marks);
        }
        let names = [
            ("service_name", program.service_name.as_deref()),
            ("service_provider", program.service_provider.as_deref()),
        ];
        if !ffi::add_program(octx, program.number, names, &streams) {
            return Err(Error::cannot_label(format!(
                "FFmpeg could not add program {}",
                program.number
            )));
        }
    }
    let first = programs[0].pmt_pid;
    let in_order = programs
        .iter()
        .enumerate()
        .all(|(i, p)| i64::from(p.pmt_pid) == i64::from(first) + i as i64);
    if !in_order {
        notes.push(format!(
            "the {} programs' PMTs were renumbered from PID {first:#x} up (FFmpeg numbers them in order)",
            programs.len()
        ));
    }
    Ok(())
}

/// Refuses a transport stream with more than one video stream (several TV
/// programs, or angles): only one is labelled, and a viewer tuned to an
/// other would see no label in a file the report calls labelled.
pub(crate) fn check_one_video(ictx: &ffmpeg::format::context::Input) -> Result<()> {
    let videos = ictx
        .streams()
        .filter(|s| s.parameters().medium() == ffmpeg::media::Type::Video)
        .count();
    if videos > 1 {
        return Err(Error::unsupported(format!(
            "the transport stream carries {videos} video streams and only one can be labelled: \
             split it first (one program each, e.g. ffmpeg -i IN -map 0:p:NUMBER -c copy OUT.ts)"
        )));
    }
    Ok(())
}

/// Keeps an input stream's PID on its output stream.
pub(crate) fn keep_pid(input: &ffmpeg::Stream<'_>, output: &mut ffmpeg::StreamMut<'_>) {
    if (0x10..=MAX_PID).contains(&input.id()) {
        ffi::set_stream_id(output, input.id());
    }
}

/// A PID no input stream or PMT uses: the one after the highest, or the
/// highest free one below it.
fn free_pid(ictx: &ffmpeg::format::context::Input) -> Result<i32> {
    let mut used: Vec<i32> = ictx.streams().map(|s| s.id()).collect();
    used.extend(ffi::programs(ictx).iter().map(|p| p.pmt_pid));
    let next = used.iter().copied().max().unwrap_or(0x100).max(0xFF) + 1;
    if next <= MAX_PID {
        return Ok(next);
    }
    (0x20..=MAX_PID)
        .rev()
        .find(|p| !used.contains(p))
        .ok_or_else(|| Error::cannot_label("no free PID is left for the marks stream"))
}

/// Adds the timed-ID3 stream that carries the marks; returns its index.
pub(crate) fn add_marks_stream(
    ictx: &ffmpeg::format::context::Input,
    octx: &mut ffmpeg::format::context::Output,
    notes: &mut Vec<String>,
) -> Result<usize> {
    let pid = free_pid(ictx)?;
    notes.push(format!(
        "the marks are in a timed-ID3 metadata stream (PMT stream type 0x15) on PID {pid:#x}, added beside the input's streams"
    ));
    let mut ost = octx
        .add_stream(ffmpeg::encoder::find(codec::Id::None))
        .map_err(|e| Error::unsupported(format!("cannot add the marks stream: {e}")))?;
    ffi::set_data_codec(&mut ost, ffmpeg::ffi::AVCodecID::AV_CODEC_ID_TIMED_ID3);
    ffi::set_stream_id(&mut ost, pid);
    ost.set_time_base(Rational(1, 90_000));
    Ok(ost.index())
}

/// Writes the marks as one ID3 packet at the video's first timestamp
/// (`start`, in `start_tb`), after the header.
pub(crate) fn write_marks(
    octx: &mut ffmpeg::format::context::Output,
    index: usize,
    (start, start_tb): (i64, Rational),
    marks: &[(&str, &str)],
) -> Result<()> {
    let out_tb = octx
        .stream(index)
        .map(|s| s.time_base())
        .ok_or_else(|| Error::malformed("the marks stream vanished"))?;
    let start = if start == ffmpeg::ffi::AV_NOPTS_VALUE {
        0
    } else {
        start
    };
    let pts = start.rescale(start_tb, out_tb);
    let mut packet = Packet::copy(&id3_tag(marks));
    packet.set_stream(index);
    packet.set_pts(Some(pts));
    packet.set_dts(Some(pts));
    packet
        .write_interleaved(octx)
        .map_err(malformed("writing the marks stream"))
}

/// Reads the marks of a transport stream: the `TXXX` frames of the
/// timed-ID3 packets near its start, under the keys MP4 and Matroska use.
pub(crate) fn read_marks(path: &Path, limits: &Limits) -> Result<Dictionary<'static>> {
    let mut found = Dictionary::new();
    let mut ictx = probe::open(path)?;
    let id3: Vec<usize> = ictx
        .streams()
        .filter(|s| s.parameters().id() == codec::Id::TIMED_ID3)
        .map(|s| s.index())
        .collect();
    if id3.is_empty() {
        return Ok(found);
    }
    let mut packet = Packet::empty();
    for _ in 0..MARK_SEARCH_PACKETS {
        match packet.read(&mut ictx) {
            Ok(()) => {}
            Err(ffmpeg::Error::Eof) => break,
            Err(e) => return Err(Error::malformed(format!("reading the input failed: {e}"))),
        }
        if !id3.contains(&packet.stream()) {
            continue;
        }
        let Some(data) = packet.data().filter(|d| d.len() <= MAX_TAG_BYTES) else {
            continue;
        };
        limits.check_text_bytes(data.len() as u64)?;
        for (key, value) in parse_id3(data) {
            if [KEY_AIGC, KEY_MANIFEST, KEY_NOTICE].contains(&key.as_str()) {
                found.set(&key, &value);
            }
        }
        if found.get(KEY_MANIFEST).is_some() {
            break;
        }
    }
    Ok(found)
}

/// An ID3v2.4 tag of `TXXX` frames (UTF-8), one per `(description, value)`.
fn id3_tag(frames: &[(&str, &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (key, value) in frames {
        let mut frame = vec![3u8]; // UTF-8
        frame.extend_from_slice(key.as_bytes());
        frame.push(0);
        frame.extend_from_slice(value.as_bytes());
        body.extend_from_slice(b"TXXX");
        body.extend_from_slice(&synchsafe(frame.len()));
        body.extend_from_slice(&[0, 0]);
        body.extend(frame);
    }
    let mut tag = b"ID3\x04\x00\x00".to_vec();
    tag.extend_from_slice(&synchsafe(body.len()));
    tag.extend(body);
    tag
}

/// Seven bits per byte, as ID3v2.4 sizes are stored (sizes here stay far
/// below the 256 MiB the format allows).
fn synchsafe(n: usize) -> [u8; 4] {
    let n = n.min(0x0FFF_FFFF) as u32;
    [
        (n >> 21) as u8 & 0x7F,
        (n >> 14) as u8 & 0x7F,
        (n >> 7) as u8 & 0x7F,
        n as u8 & 0x7F,
    ]
}

/// The UTF-8 `TXXX` frames of an ID3v2.3/2.4 tag; anything else, or a
/// frame running past the tag, ends the walk.
fn parse_id3(tag: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if tag.len() < 10 {
        return out;
    }
    if &tag[..3] != b"ID3" {
        // FFmpeg 5.1's demuxer takes the first five bytes of a metadata
        // PES payload for an access-unit cell header and drops them: the
        // frames follow what is left of the tag header.
        return match find_frames(tag) {
            Some(at) => walk_frames(tag, at, tag.len(), true),
            None => out,
        };
    }
    let v4 = tag[3] == 4;
    let end = (10 + size_of(&tag[6..10], v4)).min(tag.len());
    out.extend(walk_frames(tag, 10, end, v4));
    out
}

/// Where the first `TXXX` frame starts in a tag whose header was cut.
fn find_frames(data: &[u8]) -> Option<usize> {
    data.windows(4).take(16).position(|w| w == b"TXXX")
}

/// A big-endian size, seven bits a byte in ID3v2.4.
fn size_of(b: &[u8], v4: bool) -> usize {
    b.iter().fold(0usize, |acc, &x| {
        if v4 {
            (acc << 7) | usize::from(x & 0x7F)
        } else {
            (acc << 8) | usize::from(x)
        }
    })
}

/// The UTF-8 `TXXX` frames from `at` to `end`.
fn walk_frames(tag: &[u8], mut at: usize, end: usize, v4: bool) -> Vec<(String, String)> {
    let mut out = Vec::new();
    while at + 10 <= end {
        let id = &tag[at..at + 4];
        let size = size_of(&tag[at + 4..at + 8], v4);
        let Some(body) = tag
            .get(at + 10..at + 10 + size)
            .filter(|_| at + 10 + size <= end)
        else {
            break;
        };
        if id == b"TXXX" && body.first() == Some(&3) {
            let mut parts = body[1..].splitn(2, |b| *b == 0);
            if let (Some(key), Some(value)) = (parts.next(), parts.next()) {
                let value = value.split(|b| *b == 0).next().unwrap_or(&[]);
                out.push((
                    String::from_utf8_lossy(key).into_owned(),
                    String::from_utf8_lossy(value).into_owned(),
                ));
            }
        }
        if id == [0, 0, 0, 0] {
            break;
        }
        at += 10 + size;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id3_round_trip() {
        let long = "x".repeat(300);
        let tag = id3_tag(&[("AIGC", "{\"Label\":\"1\"}"), ("TANBA_NOTICE", &long)]);
        assert_eq!(&tag[..5], b"ID3\x04\x00");
        let back = parse_id3(&tag);
        assert_eq!(back[0], ("AIGC".into(), "{\"Label\":\"1\"}".into()));
        assert_eq!(back[1].1, long);
        // A cut tag yields the frames that are whole.
        assert_eq!(parse_id3(&tag[..tag.len() - 1]).len(), 1);
        // As FFmpeg 5.1 reads it back: the first five bytes gone.
        assert_eq!(parse_id3(&tag[5..]), back);
    }

    #[test]
    fn packet_rhythm() {
        let mut ts = vec![0u8; TS_PACKET * 3];
        for i in 0..3 {
            ts[i * TS_PACKET] = SYNC;
        }
        assert_eq!(sniff(&ts), Some(false));
        ts[TS_PACKET * 2] = 0;
        assert_eq!(sniff(&ts), None);
        let mut m2ts = vec![0u8; M2TS_PACKET * 3];
        for i in 0..3 {
            m2ts[4 + i * M2TS_PACKET] = SYNC;
        }
        assert_eq!(sniff(&m2ts), Some(true));
        assert_eq!(sniff(&[SYNC; 100]), None);
        // Cut mid-packet: found with eight packets after the cut, not two.
        let mut cut = vec![0u8; 100 + TS_PACKET * 8];
        for i in 0..8 {
            cut[100 + i * TS_PACKET] = SYNC;
        }
        assert_eq!(sniff(&cut), Some(false));
        assert_eq!(sniff(&cut[..100 + TS_PACKET * 3]), None);
    }
}
