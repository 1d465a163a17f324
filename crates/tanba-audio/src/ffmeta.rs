//! What FFmpeg reads from an input's container besides the audio: its tags
//! (ID3v2 `PRIV` values unescaped), nominal bitrate and cover art, and the
//! metadata keys our marks use there.

use std::path::Path;

use ffmpeg::codec;
use ffmpeg_next as ffmpeg;
use tanba_core::isobmff::CoverArt;

/// Metadata key of the Annex E label (ID3v2 `TXXX:AIGC`, Vorbis comment,
/// MP4 `moov/udta/meta` key), as for video.
pub(crate) const KEY_AIGC: &str = "AIGC";
/// Metadata key of the Tanba manifest JSON, as for video.
pub(crate) const KEY_MANIFEST: &str = "TANBA_MANIFEST";
/// FFmpeg's name for an ID3v2 `PRIV` frame owned by `XMP` (exiftool reads
/// the XMP packet from it).
pub(crate) const KEY_ID3_XMP: &str = "id3v2_priv.XMP";

/// The input's cover art: the attached picture stream and its one packet.
pub(crate) struct Cover {
    pub(crate) params: codec::Parameters,
    pub(crate) packet: ffmpeg::Packet,
}

impl Cover {
    /// The picture as iTunes metadata holds it, if it is of a kind it can.
    pub(crate) fn itunes(&self) -> Option<CoverArt> {
        self.packet.data().and_then(CoverArt::sniff)
    }
}

impl std::fmt::Debug for Cover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cover")
            .field("codec", &self.params.id())
            .field("bytes", &self.packet.size())
            .finish()
    }
}

/// Packets read looking for the cover: demuxers queue the attached picture
/// ahead of the audio, so it comes first.
const COVER_SEARCH_PACKETS: usize = 16;

/// What FFmpeg reads from the input's container.
#[derive(Debug, Default)]
pub(crate) struct InputMeta {
    /// Container tags, then the audio stream's (Ogg keeps its comments
    /// there), with `id3v2_priv.*` values unescaped.
    pub tags: Vec<(String, String)>,
    /// The bitrate the codec parameters or the container state, bit/s.
    pub nominal_bitrate: Option<u64>,
    /// The input has an attached picture (cover art).
    pub has_cover: bool,
    /// That picture, when it could be read.
    pub cover: Option<Cover>,
}

/// FFmpeg escapes `PRIV` payloads as `\xNN` for bytes outside printable
/// ASCII and for `\`; this undoes it.
pub(crate) fn unescape_priv(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && bytes.get(i + 1) == Some(&b'x')
            && let Some(hex) = s.get(i + 2..i + 4)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 4;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The XMP packet of an input as FFmpeg read it (MP3 `PRIV` XMP).
pub(crate) fn id3_xmp(tags: &[(String, String)]) -> Option<&str> {
    tags.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(KEY_ID3_XMP))
        .map(|(_, v)| v.as_str())
}

/// Reads the input's tags and nominal bitrate with FFmpeg. A file FFmpeg
/// cannot open gives nothing rather than an error: symphonia decoded it,
/// and the tags are a courtesy.
pub(crate) fn read_meta(path: &Path) -> InputMeta {
    crate::ffdecode::init();
    let Ok(mut ictx) = ffmpeg::format::input(path) else {
        return InputMeta::default();
    };
    let mut meta = InputMeta::default();
    let mut cover_stream = None;
    let push = |tags: &mut Vec<(String, String)>, k: &str, v: &str| {
        let v = if k.starts_with("id3v2_priv.") {
            unescape_priv(v)
        } else {
            v.to_string()
        };
        if !tags.iter().any(|(key, _)| key.eq_ignore_ascii_case(k)) {
            tags.push((k.to_string(), v));
        }
    };
    for (k, v) in ictx.metadata().iter() {
        push(&mut meta.tags, k, v);
    }
    for stream in ictx.streams() {
        if stream
            .disposition()
            .contains(ffmpeg::format::stream::Disposition::ATTACHED_PIC)
        {
            meta.has_cover = true;
            cover_stream.get_or_insert((stream.index(), stream.parameters().clone()));
            continue;
        }
        if stream.parameters().medium() != ffmpeg::media::Type::Audio {
            continue;
        }
        for (k, v) in stream.metadata().iter() {
            push(&mut meta.tags, k, v);
        }
        if meta.nominal_bitrate.is_none() {
            meta.nominal_bitrate = codec::context::Context::from_parameters(stream.parameters())
                .ok()
                .and_then(|c| c.decoder().audio().ok())
                .map(|d| d.bit_rate() as u64)
                .filter(|&b| b > 0);
        }
    }
    if meta.nominal_bitrate.is_none() && ictx.format().name().contains("matroska") {
        meta.nominal_bitrate = crate::containers::matroska_vorbis_nominal(path);
    }
    if meta.nominal_bitrate.is_none() {
        meta.nominal_bitrate = u64::try_from(ictx.bit_rate()).ok().filter(|&b| b > 0);
    }
    if let Some((index, params)) = cover_stream {
        meta.cover = ictx
            .packets()
            .take(COVER_SEARCH_PACKETS)
            .find(|(stream, _)| stream.index() == index)
            .map(|(_, packet)| Cover { params, packet });
    }
    meta
}
