//! # tanba-audio
//!
//! Puts an audible disclaimer into audio (a spoken sentence in Kazakh and
//! Russian by default, a user's clip, or the Morse "AI" tone), at the
//! programme's loudness, and writes the machine-readable marks, streaming:
//! the programme is decoded packet by packet (symphonia), twice (once to
//! measure its loudness, once to mix), and never held in memory.
//!
//! - [`AudioLabeler`] implements [`tanba_core::Labeler`];
//! - [`DisclaimerMixer`] is the streaming mixer, reused for video soundtracks;
//! - [`Disclaimer`], [`Mode`], [`ToneSettings`] and [`AudioSettings`] are the settings.

mod decode;
pub mod disclaimer;
#[cfg(feature = "ffmpeg")]
mod encode;
#[cfg(feature = "ffmpeg")]
mod encoded;
#[cfg(feature = "ffmpeg")]
mod ffdecode;
#[cfg(feature = "ffmpeg")]
mod ffi;
pub mod loudness;
pub mod mixer;
#[cfg(feature = "ffmpeg")]
mod mp3splice;
mod riff;
mod verify;
mod wavout;

use std::path::Path;

use tanba_core::{
    Error, Format, Job, Labeler, Labelled, Limits, Mark, MarkKind, Placement, Result, Source,
    Verification, WriteSeek,
};

pub use disclaimer::{Disclaimer, ToneSettings};
pub use loudness::{BackgroundMeter, Loudness, Meter, matching_gain, measure_clip};
pub use mixer::{DisclaimerMixer, Mode, Span};
pub use verify::{AudioChunks, check_disclaimer};

use decode::{StreamDecoder, owned_input};

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

static FORMATS: [&Format; 6] = [&WAV, &MP3, &FLAC, &OGG, &M4A, &AAC];

/// The audio settings the CLI and configuration map onto.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioSettings {
    /// What is heard (default: the job label's languages spoken, kk then ru).
    pub disclaimer: Disclaimer,
    /// Where it goes (default: prepend).
    pub mode: Mode,
    /// How far the programme is lowered under an overlaid disclaimer, dB
    /// (default -12).
    pub ducking_db: f32,
    /// Silence between the disclaimer and the programme in prepend and
    /// append modes, ms (default 500).
    pub gap_ms: u32,
}

impl Default for AudioSettings {
    fn default() -> Self {
        AudioSettings {
            disclaimer: Disclaimer::default(),
            mode: Mode::default(),
            ducking_db: mixer::DEFAULT_DUCK_DB,
            gap_ms: mixer::DEFAULT_GAP_MS,
        }
    }
}

/// The audio labeler.
#[derive(Debug, Clone, Default)]
pub struct AudioLabeler {
    /// Its settings.
    pub settings: AudioSettings,
}

impl AudioLabeler {
    /// A labeler with these settings.
    pub fn new(settings: AudioSettings) -> Self {
        AudioLabeler { settings }
    }
}

/// Recognises an audio file by its first bytes.
pub fn sniff(head: &[u8]) -> Option<&'static Format> {
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WAVE" {
        return Some(&WAV);
    }
    if head.starts_with(b"fLaC") {
        return Some(&FLAC);
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

/// The note on a forced relabel of marked input: the marks are replaced,
/// while a disclaimer mixed into the sound earlier cannot be taken out.
const FORCED_NOTE: &str =
    "labelled before: its marks were replaced by this label's; the earlier audible label stays";

/// Keys under which another format's metadata carries the AIGC label.
fn aigc_tag(tags: &[(String, String)]) -> Option<&str> {
    tags.iter()
        .find(|(k, _)| {
            let k = k.to_ascii_uppercase();
            k == "AIGC" || k.ends_with(":AIGC") || k.ends_with("/AIGC")
        })
        .map(|(_, v)| v.as_str())
}

/// The value of the tag named `name` under any prefix the readers give it
/// (`TXXX:name`, `id3v2_priv.name`, `PRIV:name` …), case-insensitively.
fn tag_value<'a>(tags: &'a [(String, String)], name: &str) -> Option<&'a str> {
    tags.iter()
        .find(|(k, _)| tag_key_is(k, name))
        .map(|(_, v)| v.as_str())
}

/// True when `key` is `name`, bare or after a reader's prefix.
fn tag_key_is(key: &str, name: &str) -> bool {
    let key = key.to_ascii_uppercase();
    let name = name.to_ascii_uppercase();
    key == name
        || key
            .strip_suffix(name.as_str())
            .is_some_and(|p| p.ends_with([':', '/', '.']))
}

/// The RIFF metadata when the content is RIFF/WAVE (by content, whatever
/// the caller sniffed), after checking its `fmt ` chunk.
fn wav_meta(source: &mut Source<'_>) -> Result<riff::RiffMeta> {
    let head = tanba_core::read_head(source.reader)?;
    if sniff(&head).is_some_and(|f| std::ptr::eq(f, &WAV)) {
        riff::read_meta(source.reader, source.len)
    } else {
        Ok(riff::RiffMeta::default())
    }
}

/// A note when the disclaimer had to stay quieter than the programme.
fn loudness_note(clip: &Loudness, gain: f32, programme: &Loudness, notes: &mut Vec<String>) {
    let heard = clip.integrated_lufs + 20.0 * f64::from(gain).log10();
    let programme_lufs = programme.integrated_lufs;
    if programme_lufs.is_finite() && programme_lufs - heard > 1.0 {
        notes.push(format!(
            "the disclaimer plays at {heard:.1} LUFS, {:.1} LU under the programme ({programme_lufs:.1} LUFS), to keep its true peak under -1 dBTP",
            programme_lufs - heard
        ));
    }
}

/// The first disclaimer span, after checking the mixer put every span
/// where the plan (and so the manifest) says.
fn checked_first_span(mixer: &DisclaimerMixer, programme_frames: u64) -> Result<Span> {
    let plan = mixer.plan(programme_frames);
    if mixer.spans() != plan.as_slice() {
        return Err(Error::cannot_label(
            "the disclaimer was not placed where planned",
        ));
    }
    Ok(plan.first().copied().unwrap_or(Span {
        start: 0,
        frames: 0,
    }))
}

impl AudioLabeler {
    /// The format [`Labeler::label`] writes for an input sniffed as
    /// `input`: the input's own format for MP3, FLAC, Ogg and M4A when the
    /// crate is built with the `ffmpeg` feature (raw ADTS AAC becomes M4A,
    /// which has room for the marks), WAV otherwise. The labeler falls back
    /// to WAV, with a note, if the FFmpeg it runs with lacks the encoder;
    /// [`Labelled::format`] always says what was written.
    pub fn output_format(&self, input: &Format) -> &'static Format {
        output_format(input)
    }

    /// The manifest for an output whose first disclaimer is `first_span`.
    fn manifest(
        &self,
        job: &Job,
        format: &Format,
        first_span: Span,
        sample_rate: u32,
    ) -> tanba_core::Manifest {
        let settings = &self.settings;
        let mut job = job.clone();
        if let Some(lines) = settings.disclaimer.manifest_lines(&job.label) {
            job.label.lines = lines;
        }
        let rate = f64::from(sample_rate);
        let mut placement = Placement::at(settings.mode.name());
        placement.span = Some([
            first_span.start as f64 / rate,
            first_span.frames as f64 / rate,
        ]);
        job.manifest(format.mime, placement)
    }
}

/// See [`AudioLabeler::output_format`].
pub fn output_format(input: &Format) -> &'static Format {
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

impl Labeler for AudioLabeler {
    fn name(&self) -> &'static str {
        "audio"
    }

    fn formats(&self) -> &'static [&'static Format] {
        &FORMATS
    }

    fn sniff(&self, head: &[u8], _name: Option<&Path>) -> Option<&'static Format> {
        sniff(head)
    }

    fn output_format(&self, input: &'static Format) -> &'static Format {
        output_format(input)
    }

    fn label(
        &self,
        mut source: Source<'_>,
        output: &mut dyn WriteSeek,
        job: &Job,
    ) -> Result<Labelled> {
        job.limits.check_bytes(source.len)?;
        let settings = &self.settings;
        let mut notes = Vec::new();

        let kept = wav_meta(&mut source)?;
        let already = kept.aigc.is_some()
            || kept
                .xmp
                .as_deref()
                .and_then(|x| tanba_core::xmp::read(x).ok())
                .is_some_and(|m| m.aigc.is_some() || m.manifest.is_some());
        if already && !job.force {
            return Err(Error::already_labelled());
        }

        let job = job.with_source_hash(source.reader)?;
        let input = owned_input(&mut source)?;
        let decoder = StreamDecoder::open_input(&input, &job.limits)?;
        if decoder.by_ffmpeg() {
            notes.push("decoded by FFmpeg: symphonia has no decoder for this stream".into());
        }
        #[cfg(feature = "ffmpeg")]
        let ff_meta = encode::read_meta(&input.path);
        #[cfg(feature = "ffmpeg")]
        let ff_marked = aigc_tag(&ff_meta.tags).is_some();
        #[cfg(not(feature = "ffmpeg"))]
        let ff_marked = false;
        let already = already || aigc_tag(&decoder.info().tags).is_some() || ff_marked;
        if already && !job.force {
            return Err(Error::already_labelled());
        }
        if already {
            // The marks below replace the input's; its sound cannot be undone.
            notes.push(FORCED_NOTE.into());
        }
        let info = decoder.info().clone();

        // The disclaimer at the programme's rate; its gain is set against
        // the programme's loudness while the programme streams.
        let clip = settings.disclaimer.render(&job.label, info.sample_rate)?;
        let clip_loudness = measure_clip(&clip, info.channels, info.lfe_index, info.sample_rate)?;
        let build_mixer = |clip: Vec<f32>| -> Result<DisclaimerMixer> {
            Ok(DisclaimerMixer::from_clip(
                clip,
                settings.mode,
                info.sample_rate,
                info.channels,
                1.0,
            )?
            .with_lfe(info.lfe_index)
            .with_ducking_db(settings.ducking_db)
            .with_gap_ms(settings.gap_ms, info.sample_rate))
        };

        #[cfg(feature = "ffmpeg")]
        let decoder = match encode::target(source.format, &info) {
            Some(target) => {
                let encoded = self.label_encoded(
                    &target,
                    source.format,
                    decoder,
                    &input,
                    &job,
                    build_mixer(clip.clone())?,
                    &clip_loudness,
                    &ff_meta,
                    output,
                )?;
                match encoded {
                    Ok(mut labelled) => {
                        labelled.notes.splice(0..0, notes);
                        return Ok(labelled);
                    }
                    Err(why) => {
                        notes.push(format!(
                            "{} input written as WAV: {why}",
                            source.format.name
                        ));
                        StreamDecoder::open_input(&input, &job.limits)?
                    }
                }
            }
            None => decoder,
        };

        let mut mixer = build_mixer(clip)?;
        let coding = wavout::PcmOut::for_input(&info);
        let limits = job.limits;
        let written = wavout::write_labelled(
            output,
            coding,
            decoder,
            || StreamDecoder::open_input(&input, &limits),
            &mut mixer,
            settings.mode,
            &clip_loudness,
        )?;
        loudness_note(&clip_loudness, written.gain, &written.programme, &mut notes);
        let first_span = checked_first_span(&mixer, written.programme_frames)?;
        let manifest = self.manifest(&job, &WAV, first_span, info.sample_rate);
        if source.format.name != WAV.name && !cfg!(feature = "ffmpeg") {
            notes.push(format!(
                "{} input written as WAV: this build has no {} encoder (build with the `ffmpeg` feature to keep the format)",
                source.format.name, source.format.name
            ));
        }

        let xmp = match kept.xmp.as_deref() {
            Some(existing) if tanba_core::xmp::find_packet(existing.as_bytes()).is_some() => {
                tanba_core::xmp::merge(existing, &manifest)?
            }
            _ => tanba_core::xmp::packet(&manifest),
        };
        riff::append_marks(output, 0, &manifest, &xmp, &kept)?;
        Ok(Labelled {
            format: &WAV,
            manifest,
            notes,
        })
    }

    fn verify(&self, mut source: Source<'_>, limits: &Limits) -> Result<Verification> {
        limits.check_bytes(source.len)?;
        let mut marks = Vec::new();
        let mut manifest = None;
        let meta = wav_meta(&mut source)?;
        let is_aigc = |s: &Option<String>| {
            s.as_deref()
                .is_some_and(|v| tanba_core::manifest::Aigc::from_json(v).is_ok())
        };
        if is_aigc(&meta.aigc) {
            marks.push(Mark::new(MarkKind::Aigc, "RIFF AIGC chunk"));
        }
        if is_aigc(&meta.info_comment) {
            marks.push(Mark::new(MarkKind::Aigc, "RIFF LIST/INFO ICMT"));
        }
        if let Some(xmp) = &meta.xmp {
            let found = tanba_core::xmp::read(xmp)?;
            if found.digital_source_type.is_some() || found.aigc.is_some() {
                marks.push(Mark::new(MarkKind::Xmp, "RIFF _PMX chunk"));
            }
            if let Some(parsed) = found.parsed_manifest() {
                manifest = Some(parsed?);
                marks.push(Mark::new(MarkKind::Manifest, "XMP tanba:Manifest in _PMX"));
            }
        }
        let input = owned_input(&mut source)?;
        let mut decoder = StreamDecoder::open_input(&input, limits)?;
        // Tags as symphonia reads them, plus FFmpeg's reading where built
        // in (it also sees ID3v2 PRIV frames and MP4 `mdta` keys).
        #[allow(unused_mut)]
        let mut tags = decoder.info().tags.clone();
        #[cfg(feature = "ffmpeg")]
        tags.extend(encode::read_meta(&input.path).tags);
        let (aigc_carrier, xmp_carrier) = match source.format.name {
            "mp3" => ("ID3v2 TXXX:AIGC", "ID3v2 PRIV XMP"),
            "m4a" | "aac" => ("MP4 metadata AIGC", "MP4 uuid XMP box"),
            _ => ("Vorbis comment AIGC", "XMP"),
        };
        if aigc_tag(&tags).is_some_and(|v| tanba_core::manifest::Aigc::from_json(v).is_ok()) {
            marks.push(Mark::new(MarkKind::Aigc, aigc_carrier));
        }
        let other_xmp = match source.format.name {
            // symphonia may list the PRIV frame too, as binary: take the
            // value that holds a packet.
            "mp3" => tags
                .iter()
                .find(|(k, v)| tag_key_is(k, "XMP") && v.contains("<x:xmpmeta"))
                .map(|(_, v)| v.clone()),
            // A handle of its own: a clone would share the decoder's offset.
            "m4a" => tanba_core::isobmff::find_xmp(&mut std::fs::File::open(&input.path)?)?,
            _ => None,
        };
        if let Some(xmp) = other_xmp.as_deref() {
            let found = tanba_core::xmp::read(xmp)?;
            if found.digital_source_type.is_some() || found.aigc.is_some() {
                marks.push(Mark::new(MarkKind::Xmp, xmp_carrier));
            }
            if manifest.is_none()
                && let Some(parsed) = found.parsed_manifest()
            {
                manifest = Some(parsed?);
                marks.push(Mark::new(
                    MarkKind::Manifest,
                    format!("XMP tanba:Manifest in {xmp_carrier}"),
                ));
            }
        }
        if manifest.is_none()
            && let Some(json) = tag_value(&tags, "TANBA_MANIFEST")
        {
            manifest = Some(tanba_core::Manifest::from_json(json)?);
            marks.push(Mark::new(MarkKind::Manifest, "metadata TANBA_MANIFEST"));
        }
        let Some(manifest) = manifest else {
            let mut v = Verification::unmarked(
                source.format,
                "no Tanba manifest, so no record of where a disclaimer would be",
            );
            v.marks = marks;
            return Ok(v);
        };
        // AAC in MP4 starts with the encoder's priming samples (1024 for
        // FFmpeg, 2112 for Apple's), which symphonia does not trim.
        let late_frames = match decoder.info().codec {
            symphonia::core::codecs::CODEC_TYPE_AAC => 2112,
            _ => 0,
        };
        let perceptible = verify::check_disclaimer(
            &mut decoder,
            &manifest.label.placement,
            &manifest.label.lines,
            &self.settings,
            late_frames,
        )?;
        Ok(Verification {
            credentials: None,
            format: source.format.name,
            marks,
            signature: manifest.signature_state(),
            manifest: Some(manifest),
            perceptible,
        })
    }
}
