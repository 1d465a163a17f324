//! The audio formats: what they are called, how they are recognised by
//! content, and which one a labelled input is written as.

use tanba_core::Format;

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

pub(crate) static FORMATS: [&Format; 7] = [&WAV, &MP3, &FLAC, &OGG, &M4A, &AAC, &AIFF];

/// Recognises an audio file by its first bytes.
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
        // Vorbis or FLAC-in-Ogg; Opus and Theora are not decoded here.
        let first_page = &head[..head.len().min(512)];
        let has = |needle: &[u8]| first_page.windows(needle.len()).any(|w| w == needle);
        return (has(b"\x01vorbis") || has(b"\x7fFLAC")).then_some(&OGG);
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        // Audio-only brands; a generic mp4 may carry video and is the video crate's.
        return matches!(&head[8..12], b"M4A " | b"M4B ").then_some(&M4A);
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
        _ => &WAV,
    }
}

/// True when this build re-encodes compressed input in its own format
/// (the `ffmpeg` feature).
pub const KEEPS_COMPRESSED_FORMATS: bool = cfg!(feature = "ffmpeg");
