//! The audio formats: what they are called, how they are recognised by
//! content, and which one a labelled input is written as.

use std::path::Path;

use tanba_core::Format;

use crate::containers::{self, Family, Tracks};

/// WAV (RIFF/WAVE, PCM or float).
pub static WAV: Format = Format {
    name: "wav",
    mime: "audio/wav",
    extensions: &["wav", "wave"],
};
/// MP3 (MPEG-1/2 layer III).
pub static MP3: Format = Format {
    name: "mp3",
    mime: "audio/mpeg",
    extensions: &["mp3"],
};
/// FLAC.
pub static FLAC: Format = Format {
    name: "flac",
    mime: "audio/flac",
    extensions: &["flac"],
};
/// Ogg Vorbis (and FLAC in Ogg).
pub static OGG: Format = Format {
    name: "ogg",
    mime: "audio/ogg",
    extensions: &["ogg", "oga"],
};
/// MPEG-4 audio (AAC or ALAC in an `M4A `/`M4B ` file).
pub static M4A: Format = Format {
    name: "m4a",
    mime: "audio/mp4",
    extensions: &["m4a", "m4b"],
};
/// Raw AAC in ADTS frames.
pub static AAC: Format = Format {
    name: "aac",
    mime: "audio/aac",
    extensions: &["aac", "adts"],
};

/// AIFF and AIFF-C (big-endian PCM, or an AIFF-C compression type:
/// `sowt`, `fl32`, `fl64`, `ulaw`, `alaw`).
pub static AIFF: Format = Format {
    name: "aiff",
    mime: "audio/aiff",
    extensions: &["aiff", "aif", "aifc"],
};
/// Opus in Ogg (`.opus`, and an `.ogg` whose first page is an `OpusHead`).
pub static OPUS: Format = Format {
    name: "opus",
    mime: "audio/ogg",
    extensions: &["opus"],
};
/// WebM holding only audio (Opus or Vorbis), whatever its extension.
/// Audio-only MP4/MOV is [`M4A`].
pub static WEBA: Format = Format {
    name: "weba",
    mime: "audio/webm",
    extensions: &["weba"],
};
/// Matroska holding only audio (`.mka`, or an `.mkv` without video).
pub static MKA: Format = Format {
    name: "mka",
    mime: "audio/x-matroska",
    extensions: &["mka"],
};

pub(crate) static FORMATS: [&Format; 10] = [
    &WAV, &MP3, &FLAC, &OGG, &M4A, &AAC, &AIFF, &OPUS, &WEBA, &MKA,
];

/// True for the formats only FFmpeg decodes here: Opus, and Matroska and
/// WebM (symphonia reads neither); a build without the `ffmpeg` feature
/// refuses them.
pub fn needs_ffmpeg(format: &Format) -> bool {
    matches!(format.name, "opus" | "weba" | "mka")
}

/// The audio format of a container whose track list says it holds only
/// audio.
fn audio_only(family: Family) -> &'static Format {
    match family {
        Family::Iso => &M4A,
        Family::Matroska { webm: true } => &WEBA,
        Family::Matroska { webm: false } => &MKA,
    }
}

/// [`sniff`], and for an MP4/MOV or Matroska file whose track list lies
/// past `head` (`moov` at the end), a bounded look at the file at `path`.
pub(crate) fn sniff_with_path(head: &[u8], path: Option<&Path>) -> Option<&'static Format> {
    if let Some(found) = sniff(head) {
        return Some(found);
    }
    let family = containers::family(head)?;
    if containers::tracks_in_head(head, family) != Tracks::Unknown {
        return None;
    }
    (containers::tracks_in_file(path?, family) == Tracks::AudioOnly).then(|| audio_only(family))
}

/// Recognises an audio file by its first bytes. An MP4, MOV, WebM or
/// Matroska file is audio when its track list (in `head`) has audio and no
/// video.
pub fn sniff(head: &[u8]) -> Option<&'static Format> {
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WAVE" {
        return Some(&WAV);
    }
    if head.starts_with(b"fLaC") {
        return Some(&FLAC);
    }
    if is_aiff(head) {
        return Some(&AIFF);
    }
    if head.starts_with(b"OggS") {
        // Vorbis or FLAC-in-Ogg, or Opus. Every stream's first page comes
        // first: one of Theora (video) means the file is not audio only,
        // and labelling it here would drop the picture.
        let first_page = &head[..head.len().min(512)];
        let has = |needle: &[u8]| first_page.windows(needle.len()).any(|w| w == needle);
        if has(b"\x80theora") {
            return None;
        }
        if has(b"OpusHead") {
            return Some(&OPUS);
        }
        return (has(b"\x01vorbis") || has(b"\x7fFLAC")).then_some(&OGG);
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" && matches!(&head[8..12], b"M4A " | b"M4B ") {
        return Some(&M4A);
    }
    if let Some(family) = containers::family(head) {
        // Any other MP4/MOV/Matroska is audio only by its tracks; else the
        // video crate's.
        return (containers::tracks_in_head(head, family) == Tracks::AudioOnly)
            .then(|| audio_only(family));
    }
    if head.starts_with(b"ID3") && head.len() >= 10 {
        // An ID3v2 tag; what follows decides (FLAC files sometimes carry one).
        let size = head[6..10]
            .iter()
            .fold(0usize, |acc, b| (acc << 7) | usize::from(b & 0x7f));
        let after = 10 + size + if head[5] & 0x10 != 0 { 10 } else { 0 };
        return match head.get(after..after + 4) {
            Some(b"fLaC") => Some(&FLAC),
            _ => Some(&MP3),
        };
    }
    if head.len() >= 4 && head[0] == 0xFF {
        // MPEG audio frame sync: layer III is MP3, layer "00" is ADTS AAC.
        if head[1] & 0xE6 == 0xE2 && head[2] & 0xF0 != 0xF0 {
            return Some(&MP3);
        }
        if head[1] & 0xF6 == 0xF0 {
            return Some(&AAC);
        }
    }
    None
}

/// True when `head` starts an AIFF or AIFF-C file.
pub(crate) fn is_aiff(head: &[u8]) -> bool {
    head.len() >= 12 && &head[0..4] == b"FORM" && matches!(&head[8..12], b"AIFF" | b"AIFC")
}

/// See [`AudioLabeler::output_format`].
pub fn output_format(input: &Format) -> &'static Format {
    // Uncompressed: written by this crate, whatever the build.
    if input.name == AIFF.name {
        return &AIFF;
    }
    if !KEEPS_COMPRESSED_FORMATS {
        return &WAV;
    }
    match input.name {
        "mp3" => &MP3,
        "flac" => &FLAC,
        "ogg" => &OGG,
        "m4a" | "aac" => &M4A,
        "opus" => &OPUS,
        "weba" => &WEBA,
        "mka" => &MKA,
        _ => &WAV,
    }
}

/// True when this build re-encodes compressed input in its own format
/// (the `ffmpeg` feature).
pub const KEEPS_COMPRESSED_FORMATS: bool = cfg!(feature = "ffmpeg");
