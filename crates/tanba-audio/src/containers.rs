//! Whether an ISO-BMFF (MP4, MOV, M4A) or Matroska (MKV, WebM) file holds
//! only audio, from its track list: the `hdlr` handler of each `trak`
//! (`soun`, `vide`) and each Matroska `TrackEntry`'s `TrackType`. A podcast
//! export or a TTS download in `.mp4` or `.webm` is then labelled as audio,
//! whatever its extension or brand.
//!
//! The head the registry sniffs (8 KiB) holds the track list when the
//! muxer put it first; otherwise (`moov` after `mdat`) the file itself is
//! read, within fixed bounds: top-level headers only up to the track list,
//! which is read only when it is smaller than [`MAX_TRACK_LIST`].

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// The largest `moov` or Matroska `Tracks` read to see the track types: a
/// long programme's sample tables are well under this (an hour of AAC: about
/// 1 MB).
const MAX_TRACK_LIST: u64 = 16 << 20;
/// Matroska elements skipped before `Tracks` before giving up.
const MAX_ELEMENTS: usize = 256;

/// The two container families read here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// ISO base media (an `ftyp` box first).
    Iso,
    /// Matroska; `webm` when its DocType says so.
    Matroska { webm: bool },
}

/// What the track list says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tracks {
    /// At least one audio track and no video track (chapter text, timecode
    /// or metadata tracks may be there too).
    AudioOnly,
    /// A video track, or no audio track.
    NotAudio,
    /// The track list is not in what was read.
    Unknown,
}

/// The container family `head` starts with, if one of these.
pub(crate) fn family(head: &[u8]) -> Option<Family> {
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return Some(Family::Iso);
    }
    if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        let mut r = std::io::Cursor::new(head);
        let webm = ebml_header(&mut r)
            .ok()
            .flatten()
            .is_some_and(|d| d == "webm");
        return Some(Family::Matroska { webm });
    }
    None
}

/// The track list's verdict from the bytes of `head` alone.
pub(crate) fn tracks_in_head(head: &[u8], family: Family) -> Tracks {
    tracks(&mut std::io::Cursor::new(head), family)
}

/// The track list's verdict from the file at `path`, for when the head is
/// not enough. A file that cannot be opened or read says nothing.
pub(crate) fn tracks_in_file(path: &Path, family: Family) -> Tracks {
    match std::fs::File::open(path) {
        Ok(mut file) => tracks(&mut file, family),
        Err(_) => Tracks::Unknown,
    }
}

/// The verdict from `r`; any read error (a cut-off head) is `Unknown`.
fn tracks(r: &mut (impl Read + Seek), family: Family) -> Tracks {
    let found = match family {
        Family::Iso => iso_handlers(r),
        Family::Matroska { .. } => matroska_track_types(r),
    };
    match found {
        Ok(Some(kinds)) => verdict(&kinds),
        _ => Tracks::Unknown,
    }
}

/// What kind each track is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Audio,
    Video,
    Other,
}

fn verdict(kinds: &[Kind]) -> Tracks {
    if kinds.contains(&Kind::Audio) && !kinds.contains(&Kind::Video) {
        Tracks::AudioOnly
    } else {
        Tracks::NotAudio
    }
}

/// The handler of every `trak` in `moov`; `None` when there is no whole
/// `moov` within reach.
fn iso_handlers(r: &mut (impl Read + Seek)) -> std::io::Result<Option<Vec<Kind>>> {
    let boxes = match tanba_core::isobmff::top_level_boxes(r) {
        Ok((boxes, _)) => boxes,
        Err(_) => return Ok(None),
    };
    let Some(moov) = boxes.iter().find(|b| &b.kind == b"moov") else {
        return Ok(None);
    };
    let body_len = moov.size - moov.header;
    if body_len > MAX_TRACK_LIST {
        return Ok(None);
    }
    r.seek(SeekFrom::Start(moov.pos + moov.header))?;
    let mut body = vec![0u8; body_len as usize];
    r.read_exact(&mut body)?;
    let kinds = children(&body)
        .filter(|(kind, _)| kind == b"trak")
        .map(|(_, trak)| {
            let handler = children(trak)
                .find(|(k, _)| k == b"mdia")
                .and_then(|(_, mdia)| children(mdia).find(|(k, _)| k == b"hdlr"))
                .and_then(|(_, hdlr)| hdlr.get(8..12));
            match handler {
                Some(b"soun") => Kind::Audio,
                Some(b"vide") => Kind::Video,
                _ => Kind::Other,
            }
        })
        .collect();
    Ok(Some(kinds))
}

/// The child boxes of a box body, `(type, body)`; stops at a malformed one.
fn children(body: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    tanba_core::isobmff::children(body).map_while(|b| b.ok())
}

/// A Matroska element ID: 1 to 4 bytes, its length marker kept.
fn ebml_id(r: &mut impl Read) -> std::io::Result<u32> {
    let mut first = [0u8; 1];
    r.read_exact(&mut first)?;
    let len = first[0].leading_zeros() as usize + 1;
    if len > 4 {
        return Err(std::io::ErrorKind::InvalidData.into());
    }
    let mut id = u32::from(first[0]);
    for _ in 1..len {
        r.read_exact(&mut first)?;
        id = (id << 8) | u32::from(first[0]);
    }
    Ok(id)
}

/// A Matroska element size; `None` for "unknown" (all ones).
fn ebml_size(r: &mut impl Read) -> std::io::Result<Option<u64>> {
    let mut byte = [0u8; 1];
    r.read_exact(&mut byte)?;
    let len = byte[0].leading_zeros() as usize + 1;
    if len > 8 {
        return Err(std::io::ErrorKind::InvalidData.into());
    }
    let mut value = u64::from(byte[0]) & (0xFF >> len);
    let mut all_ones = value == 0xFF >> len;
    for _ in 1..len {
        r.read_exact(&mut byte)?;
        value = (value << 8) | u64::from(byte[0]);
        all_ones &= byte[0] == 0xFF;
    }
    Ok((!all_ones).then_some(value))
}

const EBML: u32 = 0x1A45_DFA3;
const DOC_TYPE: u32 = 0x4282;
const SEGMENT: u32 = 0x1853_8067;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_TYPE: u32 = 0x83;
const CODEC_PRIVATE: u32 = 0x63A2;
const CLUSTER: u32 = 0x1F43_B675;

/// Reads the EBML header from the start; its DocType, if it names one.
fn ebml_header(r: &mut (impl Read + Seek)) -> std::io::Result<Option<String>> {
    if ebml_id(r)? != EBML {
        return Err(std::io::ErrorKind::InvalidData.into());
    }
    let size = ebml_size(r)?.ok_or(std::io::ErrorKind::InvalidData)?;
    let body = read_body(r, size, 4096)?;
    Ok(ebml_children(&body)
        .find(|(id, _)| *id == DOC_TYPE)
        .map(|(_, v)| {
            String::from_utf8_lossy(v)
                .trim_end_matches('\0')
                .to_string()
        }))
}

/// Reads `size` bytes, refusing more than `max`.
fn read_body(r: &mut impl Read, size: u64, max: u64) -> std::io::Result<Vec<u8>> {
    if size > max {
        return Err(std::io::ErrorKind::InvalidData.into());
    }
    let mut body = vec![0u8; size as usize];
    r.read_exact(&mut body)?;
    Ok(body)
}

/// The child elements of an element body, `(id, body)`; stops at a
/// malformed or unknown-sized one.
fn ebml_children(body: &[u8]) -> impl Iterator<Item = (u32, &[u8])> {
    let mut rest = body;
    std::iter::from_fn(move || {
        let mut cursor = std::io::Cursor::new(rest);
        let id = ebml_id(&mut cursor).ok()?;
        let size = ebml_size(&mut cursor).ok()??;
        let start = cursor.position() as usize;
        let end = start.checked_add(usize::try_from(size).ok()?)?;
        let inner = rest.get(start..end)?;
        rest = &rest[end..];
        Some((id, inner))
    })
}

/// The `TrackType` of every `TrackEntry` in the segment's `Tracks`; `None`
/// when a `Cluster` comes first or nothing is found within bounds.
fn matroska_track_types(r: &mut (impl Read + Seek)) -> std::io::Result<Option<Vec<Kind>>> {
    Ok(matroska_tracks(r)?.map(|entries| entries.into_iter().map(|(kind, _)| kind).collect()))
}

/// The nominal bitrate (bit/s) in the Vorbis identification header of a
/// Matroska file's first audio track: what its encoder was asked for.
/// FFmpeg reports none for Vorbis in Matroska, and the packets' average
/// lands well under it (84 kb/s for 128 asked), so a relabelling would
/// shrink the file each time.
#[cfg(feature = "ffmpeg")]
pub(crate) fn matroska_vorbis_nominal(path: &Path) -> Option<u64> {
    let mut file = std::fs::File::open(path).ok()?;
    let entries = matroska_tracks(&mut file).ok()??;
    let (_, private) = entries.into_iter().find(|(k, _)| *k == Kind::Audio)?;
    // CodecPrivate holds the three Xiph-laced headers; the first is
    // `\x01vorbis`, version, channels, rate, then maximum, nominal and
    // minimum bitrates (little-endian i32).
    let at = private.windows(7).position(|w| w == b"\x01vorbis")?;
    let nominal = private.get(at + 20..at + 24)?;
    let nominal = i32::from_le_bytes(nominal.try_into().ok()?);
    u64::try_from(nominal).ok().filter(|&b| b > 0)
}

/// A Matroska `TrackEntry`: its kind and its `CodecPrivate` bytes.
type TrackEntry = (Kind, Vec<u8>);

/// Each `TrackEntry` in the segment's `Tracks`.
fn matroska_tracks(r: &mut (impl Read + Seek)) -> std::io::Result<Option<Vec<TrackEntry>>> {
    r.seek(SeekFrom::Start(0))?;
    ebml_header(r)?;
    if ebml_id(r)? != SEGMENT {
        return Ok(None);
    }
    ebml_size(r)?;
    for _ in 0..MAX_ELEMENTS {
        let id = ebml_id(r)?;
        let Some(size) = ebml_size(r)? else {
            return Ok(None);
        };
        match id {
            TRACKS => {
                let body = read_body(r, size, MAX_TRACK_LIST)?;
                let kinds = ebml_children(&body)
                    .filter(|(id, _)| *id == TRACK_ENTRY)
                    .map(|(_, entry)| {
                        let field = |want: u32| {
                            ebml_children(entry)
                                .find(|(id, _)| *id == want)
                                .map(|(_, v)| v)
                        };
                        let kind = match field(TRACK_TYPE).and_then(|v| v.last()) {
                            Some(1) => Kind::Video,
                            Some(2) => Kind::Audio,
                            _ => Kind::Other,
                        };
                        (kind, field(CODEC_PRIVATE).unwrap_or_default().to_vec())
                    })
                    .collect();
                return Ok(Some(kinds));
            }
            CLUSTER => return Ok(None),
            _ => {
                let skip = i64::try_from(size).map_err(|_| std::io::ErrorKind::InvalidData)?;
                r.seek(SeekFrom::Current(skip))?;
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(body);
        b
    }

    fn trak(handler: &[u8; 4]) -> Vec<u8> {
        let mut hdlr = vec![0u8; 8];
        hdlr.extend_from_slice(handler);
        hdlr.extend_from_slice(&[0; 12]);
        iso_box(b"trak", &iso_box(b"mdia", &iso_box(b"hdlr", &hdlr)))
    }

    fn mp4(traks: &[&[u8; 4]]) -> Vec<u8> {
        let mut f = iso_box(b"ftyp", b"isom\0\0\x02\0isomiso2");
        let body: Vec<u8> = traks.iter().flat_map(|h| trak(h)).collect();
        f.extend(iso_box(b"moov", &body));
        f
    }

    #[test]
    fn iso_handlers_decide() {
        let audio = mp4(&[b"soun", b"text"]);
        assert_eq!(family(&audio), Some(Family::Iso));
        assert_eq!(tracks_in_head(&audio, Family::Iso), Tracks::AudioOnly);
        let video = mp4(&[b"vide", b"soun"]);
        assert_eq!(tracks_in_head(&video, Family::Iso), Tracks::NotAudio);
        // moov past the head: unknown.
        let mut late = iso_box(b"ftyp", b"isom\0\0\x02\0");
        late.extend(iso_box(b"mdat", &[0; 64]));
        late.truncate(late.len() - 10);
        assert_eq!(tracks_in_head(&late, Family::Iso), Tracks::Unknown);
    }

    fn element(id: &[u8], body: &[u8]) -> Vec<u8> {
        let mut e = id.to_vec();
        e.push(0x01); // an 8-byte size: the marker, then 7 bytes
        e.extend_from_slice(&(body.len() as u64).to_be_bytes()[1..]);
        e.extend_from_slice(body);
        e
    }

    fn mkv(doc: &[u8], types: &[u8]) -> Vec<u8> {
        let mut f = element(&[0x1A, 0x45, 0xDF, 0xA3], &element(&[0x42, 0x82], doc));
        let entries: Vec<u8> = types
            .iter()
            .flat_map(|t| element(&[0xAE], &element(&[0x83], &[*t])))
            .collect();
        let mut segment = element(&[0x15, 0x49, 0xA9, 0x66], b"info");
        segment.extend(element(&[0x16, 0x54, 0xAE, 0x6B], &entries));
        f.extend(element(&[0x18, 0x53, 0x80, 0x67], &segment));
        f
    }

    #[test]
    fn matroska_track_types_decide() {
        let webm = mkv(b"webm", &[2]);
        let fam = family(&webm).unwrap();
        assert_eq!(fam, Family::Matroska { webm: true });
        assert_eq!(tracks_in_head(&webm, fam), Tracks::AudioOnly);
        let both = mkv(b"matroska", &[1, 2]);
        let fam = family(&both).unwrap();
        assert_eq!(fam, Family::Matroska { webm: false });
        assert_eq!(tracks_in_head(&both, fam), Tracks::NotAudio);
        let cut = &both[..both.len() - 4];
        assert_eq!(tracks_in_head(cut, fam), Tracks::Unknown);
    }
}
