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

mod aiff;
mod containers;
mod decode;
pub mod disclaimer;
#[cfg(feature = "ffmpeg")]
mod ffdecode;
#[cfg(feature = "ffmpeg")]
mod ffencode;
#[cfg(feature = "ffmpeg")]
mod ffi;
#[cfg(feature = "ffmpeg")]
mod ffmeta;
mod find;
mod formats;
// Entry points for the fuzz targets (fuzz/); not part of the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod id3;
pub mod loudness;
mod mark;
pub mod mixer;
// Pure Rust: the fuzz targets reach it without FFmpeg.
#[cfg(any(feature = "ffmpeg", feature = "fuzzing"))]
mod mp3splice;
mod pcm;
mod progress;
#[cfg(feature = "ffmpeg")]
mod reencode;
mod riff;
mod settings;
mod twopass;
mod verify;
mod wavout;

use std::path::Path;

use tanba_core::{
    Error, Format, Job, Labeler, Labelled, Limits, Mark, MarkKind, Result, Source, Verification,
    VisibleFound, WatermarkFound, WatermarkKey, WriteSeek,
};

pub use disclaimer::{Disclaimer, ToneSettings};
pub use formats::{
    AAC, AIFF, FLAC, KEEPS_COMPRESSED_FORMATS, M4A, MKA, MP3, OGG, OPUS, WAV, WEBA, needs_ffmpeg,
    output_format, sniff,
};
pub use loudness::{BackgroundMeter, Loudness, Meter, matching_gain, measure_clip};
pub use mixer::{DisclaimerMixer, Mode, Span};
pub use settings::AudioSettings;
pub use verify::{AudioChunks, check_disclaimer};

use decode::{StreamDecoder, owned_input};

/// The audio labeler.
///
/// ```no_run
/// use std::fs::File;
/// use tanba_audio::{AudioLabeler, WAV};
/// use tanba_core::{Job, Labeler, Source};
///
/// let mut input = File::open("speech.wav")?;
/// let len = input.metadata()?.len();
/// let source = Source { reader: &mut input, format: &WAV, path: None, len };
/// let mut output = File::create("speech-labelled.wav")?;
/// let labelled = AudioLabeler::default().label(source, &mut output, &Job::new())?;
/// println!("{:?}", labelled.notes);
/// # Ok::<(), tanba_core::Error>(())
/// ```
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

    /// The mixer for `clip` over a programme of `info`'s shape, at unit gain
    /// until the programme's loudness is known.
    fn mixer(&self, clip: Vec<f32>, info: &decode::StreamInfo) -> Result<DisclaimerMixer> {
        let settings = &self.settings;
        Ok(
            DisclaimerMixer::from_clip(clip, settings.mode, info.sample_rate, info.channels, 1.0)?
                .with_lfe(info.lfe_index)
                .with_ducking_db(settings.ducking_db)
                .with_gap_ms(settings.gap_ms, info.sample_rate),
        )
    }

    /// The format [`Labeler::label`] writes for an input sniffed as
    /// `input`: AIFF for AIFF (in its own coding, whatever the build); the
    /// input's own format for MP3, FLAC, Ogg and M4A when the crate is
    /// built with the `ffmpeg` feature (raw ADTS AAC becomes M4A, which has
    /// room for the marks), WAV otherwise (in a WAV input's own coding). The labeler falls back
    /// to WAV, with a note, if the FFmpeg it runs with lacks the encoder;
    /// [`Labelled::format`] always says what was written.
    pub fn output_format(&self, input: &Format) -> &'static Format {
        output_format(input)
    }
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

/// True when a WAV's own chunks carry a label: an `AIGC` chunk, or an XMP
/// packet with the AIGC property or our manifest.
fn riff_marked(meta: &riff::RiffMeta) -> bool {
    meta.aigc.is_some()
        || meta
            .xmp
            .as_deref()
            .and_then(|x| tanba_core::xmp::read(x).ok())
            .is_some_and(|m| m.aigc.is_some() || m.manifest.is_some())
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

/// The AIFF chunks when the content is AIFF or AIFF-C.
fn aiff_meta(source: &mut Source<'_>, limits: &Limits) -> Result<Option<aiff::AiffMeta>> {
    let head = tanba_core::read_head(source.reader)?;
    if formats::is_aiff(&head) {
        aiff::read_meta(source.reader, source.len, limits).map(Some)
    } else {
        Ok(None)
    }
}

/// The marks of a WAV file's `AIGC`, `LIST/INFO` and `_PMX` chunks, and
/// the manifest in its XMP.
fn riff_marks(
    meta: &riff::RiffMeta,
    marks: &mut Vec<Mark>,
    manifest: &mut Option<tanba_core::Manifest>,
) -> Result<()> {
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
            *manifest = Some(parsed?);
            marks.push(Mark::new(MarkKind::Manifest, "XMP tanba:Manifest in _PMX"));
        }
    }
    Ok(())
}

/// The marks of an AIFF file's `ANNO` and `ID3 ` chunks, and the manifest
/// in its XMP.
fn aiff_marks(
    a: &aiff::AiffMeta,
    marks: &mut Vec<Mark>,
    manifest: &mut Option<tanba_core::Manifest>,
) -> Result<()> {
    if a.anno_aigc.is_some() {
        marks.push(Mark::new(MarkKind::Aigc, "AIFF ANNO chunk"));
    }
    let Some(tag) = &a.id3 else {
        return Ok(());
    };
    if tag
        .aigc
        .as_deref()
        .is_some_and(|v| tanba_core::manifest::Aigc::from_json(v).is_ok())
    {
        marks.push(Mark::new(MarkKind::Aigc, "AIFF ID3 TXXX:AIGC"));
    }
    if let Some(xmp) = &tag.xmp {
        let found = tanba_core::xmp::read(xmp)?;
        if found.digital_source_type.is_some() || found.aigc.is_some() {
            marks.push(Mark::new(MarkKind::Xmp, "AIFF ID3 PRIV:XMP"));
        }
        if let Some(parsed) = found.parsed_manifest() {
            *manifest = Some(parsed?);
            marks.push(Mark::new(
                MarkKind::Manifest,
                "XMP tanba:Manifest in AIFF ID3 PRIV:XMP",
            ));
        }
    }
    Ok(())
}

/// What [`AudioLabeler::write_uncompressed`] writes from.
struct Uncompressed<'a> {
    source_format: &'a Format,
    input: &'a decode::OwnedInput,
    job: &'a Job,
    clip: &'a Loudness,
    /// The input's RIFF chunks (empty when it is not WAV).
    kept: &'a riff::RiffMeta,
    /// The input's AIFF chunks, when it is AIFF.
    aiff: Option<&'a aiff::AiffMeta>,
    progress: &'a progress::AudioProgress,
    /// The manifest begun before writing (its id gives the watermark's
    /// payload).
    draft: &'a tanba_core::Manifest,
    /// The watermark's marker, fresh, when the programme is marked.
    marker: Option<&'a tanba_watermark::AudioMarker>,
}

impl AudioLabeler {
    /// Mixes and writes WAV or AIFF: in the input's own coding (format tag
    /// or compression type, bits, channels, rate) where it is WAV or AIFF,
    /// as canonical WAV otherwise; then the marks in the format's chunks.
    fn write_uncompressed(
        &self,
        r: &Uncompressed<'_>,
        decoder: StreamDecoder,
        mut mixer: DisclaimerMixer,
        output: &mut dyn WriteSeek,
        mut notes: Vec<String>,
    ) -> Result<Labelled> {
        let settings = &self.settings;
        let info = decoder.info().clone();
        let (header, format) = match r.aiff {
            Some(a) => (a.header(info.channels)?, &AIFF),
            None => match riff::same_format_header(r.kept, info.channels) {
                Some(h) => (h, &WAV),
                None => (wavout::Header::wav_for(&info)?, &WAV),
            },
        };
        let limits = r.job.limits;
        // Repeat mode measures the programme first: two passes, and the
        // second, which writes, is the one marked.
        let repeat = matches!(mixer.mode(), Mode::Repeat { .. });
        r.progress.set_passes(1 + u64::from(repeat));
        let (first_marker, second_marker) = match repeat {
            true => (None, r.marker.cloned()),
            false => (r.marker.cloned(), None),
        };
        let written = wavout::write_labelled(
            output,
            header,
            decoder.with_marker(first_marker),
            || {
                StreamDecoder::open_input(r.input, &limits)
                    .map(|d| d.with_progress(r.progress).with_marker(second_marker))
            },
            &mut mixer,
            r.clip,
        )?;
        loudness::note_if_quieter(r.clip, written.gain, &written.programme, &mut notes);
        let first_span = mixer.checked_first_span(written.programme_frames)?;
        let manifest =
            settings.finish_manifest(r.draft.clone(), r.job, format, first_span, info.sample_rate);
        if r.source_format.name != format.name && !cfg!(feature = "ffmpeg") {
            let name = r.source_format.name;
            notes.push(format!(
                "{name} input written as WAV: this build has no {name} encoder (build with the `ffmpeg` feature to keep the format)"
            ));
        }
        match r.aiff {
            Some(a) => {
                let old = a.id3.as_ref().and_then(|t| t.xmp.as_deref());
                let xmp = settings::xmp_packet(old, &manifest)?;
                notes.extend(aiff::append_marks(output, &manifest, &xmp, a)?);
            }
            None => {
                let xmp = settings::xmp_packet(r.kept.xmp.as_deref(), &manifest)?;
                riff::append_marks(output, 0, &manifest, &xmp, r.kept)?;
            }
        }
        r.progress.finish();
        Ok(Labelled::new(format, manifest).with_notes(notes))
    }
}

impl Labeler for AudioLabeler {
    fn name(&self) -> &'static str {
        "audio"
    }

    fn formats(&self) -> &'static [&'static Format] {
        &formats::FORMATS
    }

    /// [`sniff`]; for MP4/MOV or Matroska whose track list lies past the
    /// head, a bounded read of the file at `name` decides (see `containers`).
    fn sniff(&self, head: &[u8], name: Option<&Path>) -> Option<&'static Format> {
        formats::sniff_with_path(head, name)
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
        settings.disclaimer.check(&job.label)?;
        let mut notes = Vec::new();

        let kept = wav_meta(&mut source)?;
        let aiff = aiff_meta(&mut source, &job.limits)?;
        let riff_marked = riff_marked(&kept) || aiff.as_ref().is_some_and(aiff::AiffMeta::marked);
        if riff_marked && !job.force {
            return Err(Error::already_labelled());
        }

        let job = job.with_source_hash(source.reader)?;
        let mut input = owned_input(&mut source)?;
        input.exact_frames = aiff.as_ref().map(aiff::AiffMeta::frames);
        let (decoder, progress) = StreamDecoder::open_reporting(&input, &job)?;
        if decoder.by_ffmpeg() {
            notes.push("decoded by FFmpeg: symphonia has no decoder for this stream".into());
        }
        #[cfg(feature = "ffmpeg")]
        let ff_meta = ffmeta::read_meta(&input.path);
        #[cfg(feature = "ffmpeg")]
        let ff_marked = aigc_tag(&ff_meta.tags).is_some();
        #[cfg(not(feature = "ffmpeg"))]
        let ff_marked = false;
        let already = riff_marked || aigc_tag(&decoder.info().tags).is_some() || ff_marked;
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
        let clip = settings
            .disclaimer
            .for_job(&job)
            .render(&job.label, info.sample_rate)?;
        let clip_loudness = measure_clip(&clip, info.channels, info.lfe_index, info.sample_rate)?;
        // The manifest's id, and so the watermark's payload, before any
        // sample is written.
        let mut draft = settings.draft_manifest(&job, source.format);
        let marker = mark::marker(job.watermark, &mut draft, &info, &mut notes);

        #[cfg(feature = "ffmpeg")]
        let decoder = match ffencode::target(source.format, &info) {
            Some(target) => {
                let request = reencode::Request {
                    settings,
                    target: &target,
                    input_format: source.format,
                    input: &input,
                    job: &job,
                    clip: &clip_loudness,
                    meta: &ff_meta,
                    progress: &progress,
                    draft: &draft,
                    marker: marker.as_ref(),
                };
                let mixer = self.mixer(clip.clone(), &info)?;
                match reencode::label(&request, decoder, mixer, output)? {
                    reencode::Outcome::Written(mut labelled) => {
                        progress.finish();
                        labelled.notes.splice(0..0, notes);
                        return Ok(*labelled);
                    }
                    reencode::Outcome::NoEncoder(why) => {
                        let name = source.format.name;
                        notes.push(format!("{name} input written as WAV: {why}"));
                        StreamDecoder::open_input(&input, &job.limits)?.with_progress(&progress)
                    }
                }
            }
            None => {
                // Without FFmpeg `write_uncompressed` says why; AIFF stays AIFF.
                if cfg!(feature = "ffmpeg") && source.format.name != WAV.name && aiff.is_none() {
                    notes.push(format!(
                        "{} input written as WAV: its codec is not one this build re-encodes",
                        source.format.name
                    ));
                }
                decoder
            }
        };

        let mixer = self.mixer(clip, &info)?;
        let request = Uncompressed {
            source_format: source.format,
            input: &input,
            job: &job,
            clip: &clip_loudness,
            kept: &kept,
            aiff: aiff.as_ref(),
            progress: &progress,
            draft: &draft,
            marker: marker.as_ref(),
        };
        self.write_uncompressed(&request, decoder, mixer, output, notes)
    }

    fn check_job(&self, job: &Job) -> Result<()> {
        self.settings.disclaimer.check(&job.label)
    }

    fn find_visible_label(
        &self,
        mut source: Source<'_>,
        job: &Job,
    ) -> Result<Option<VisibleFound>> {
        job.limits.check_bytes(source.len)?;
        let input = owned_input(&mut source)?;
        let mut decoder = StreamDecoder::open_input(&input, &job.limits)?;
        find::find_disclaimer(&mut decoder, job, &self.settings)
    }

    fn verify(&self, source: Source<'_>, limits: &Limits) -> Result<Verification> {
        self.verify_reading(source, limits, None)
    }

    /// Reads the first [`mark::BLIND_SECS`] seconds (where a disclaimer in
    /// front and the programme after it are) for the mark made with `key`.
    /// A file that does not decode that far reads no mark.
    fn read_watermark(
        &self,
        mut source: Source<'_>,
        key: WatermarkKey,
        limits: &Limits,
    ) -> Result<Option<WatermarkFound>> {
        limits.check_bytes(source.len)?;
        let mut input = owned_input(&mut source)?;
        input.exact_frames = aiff_meta(&mut source, limits)?
            .as_ref()
            .map(aiff::AiffMeta::frames);
        let mut decoder = StreamDecoder::open_input(&input, limits)?;
        read_start(&mut decoder, key)
    }

    /// [`Labeler::verify`], with the mark read from the programme window
    /// after the disclaimer (where the manifest records it) out of the same
    /// decode the disclaimer check makes: [`mark::READBACK_SECS`] more
    /// seconds decoded, no second open of the file.
    fn verify_with_watermark(
        &self,
        source: Source<'_>,
        key: WatermarkKey,
        limits: &Limits,
    ) -> Result<Verification> {
        self.verify_reading(source, limits, Some(key))
    }
}

impl AudioLabeler {
    /// Verifies `source`; with `key`, reads the watermark from the decode.
    fn verify_reading(
        &self,
        mut source: Source<'_>,
        limits: &Limits,
        key: Option<WatermarkKey>,
    ) -> Result<Verification> {
        limits.check_bytes(source.len)?;
        let mut marks = Vec::new();
        let mut manifest = None;
        riff_marks(&wav_meta(&mut source)?, &mut marks, &mut manifest)?;
        let aiff = aiff_meta(&mut source, limits)?;
        if let Some(a) = &aiff {
            aiff_marks(a, &mut marks, &mut manifest)?;
        }
        let mut input = owned_input(&mut source)?;
        input.exact_frames = aiff.as_ref().map(aiff::AiffMeta::frames);
        let mut decoder = StreamDecoder::open_input(&input, limits)?;
        // AIFF's AIGC tags are read from its own chunks above.
        let tags = (&decoder, &input, aiff.is_none());
        container_marks(source.format, tags, &mut marks, &mut manifest)?;
        let Some(manifest) = manifest else {
            let mut v = Verification::unmarked(
                source.format,
                "no Tanba manifest, so no record of where a disclaimer would be",
            );
            v.marks = marks;
            if let Some(key) = key {
                v.watermark = read_start(&mut decoder, key)?;
            }
            return Ok(v);
        };
        // AAC in MP4 starts with the encoder's priming samples (1024 for
        // FFmpeg, 2112 for Apple's), which symphonia does not trim.
        let late_frames = match decoder.info().codec {
            symphonia::core::codecs::CODEC_TYPE_AAC => 2112,
            _ => 0,
        };
        let rate = decoder.info().sample_rate;
        let (from, to) = match key {
            Some(_) => self.readback_window(&manifest.label.placement, rate),
            None => (0, 0),
        };
        let mut tap = mark::Tap::new(&mut decoder, from, to);
        let perceptible = verify::check_disclaimer(
            &mut tap,
            &manifest.label.placement,
            &manifest.label.lines,
            &self.settings,
            late_frames,
        )?;
        let watermark = match key {
            Some(key) => mark::read(&tap.finish()?, rate, 1, key),
            None => None,
        };
        let mut v = Verification::new(source.format, marks, Some(manifest), perceptible);
        v.watermark = watermark;
        Ok(v)
    }

    /// The frames of programme a fresh output's mark is read from:
    /// [`mark::READBACK_SECS`] from the end of the first disclaimer (and
    /// the gap after it, in front), or from the start when the disclaimer
    /// is appended.
    fn readback_window(&self, placement: &tanba_core::Placement, rate: u32) -> (u64, u64) {
        let rate_f = f64::from(rate);
        let after = |gap_ms: u32| {
            placement
                .span
                .map_or(0.0, |[start, len]| start + len + f64::from(gap_ms) / 1000.0)
        };
        let start_s = match placement.position.parse::<Mode>() {
            Ok(Mode::Prepend | Mode::StartAndEnd) => after(self.settings.gap_ms),
            Ok(Mode::Overlay | Mode::Repeat { .. }) => after(0),
            _ => 0.0,
        };
        let from = (start_s * rate_f).round().max(0.0) as u64;
        (from, from + mark::READBACK_SECS * u64::from(rate))
    }
}

/// The mark made with `key` in the first [`mark::BLIND_SECS`] seconds
/// `decoder` gives (all of them when the file is shorter). A stream that
/// stops decoding part way reads as unmarked: what is there is read.
fn read_start(decoder: &mut StreamDecoder, key: WatermarkKey) -> Result<Option<WatermarkFound>> {
    let rate = decoder.info().sample_rate;
    let tap = mark::Tap::new(decoder, 0, mark::BLIND_SECS * u64::from(rate));
    match tap.finish() {
        Ok(window) => Ok(mark::read(&window, rate, 1, key)),
        Err(Error::Malformed { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The marks of a container's own tags (ID3, MP4 metadata, Vorbis and Opus
/// comments, Matroska tags) and its XMP, and the manifest they hold; the
/// AIGC tag only when `aigc` (not AIFF, whose own chunks say).
fn container_marks(
    format: &Format,
    (decoder, input, aigc): (&StreamDecoder, &decode::OwnedInput, bool),
    marks: &mut Vec<Mark>,
    manifest: &mut Option<tanba_core::Manifest>,
) -> Result<()> {
    // Tags as symphonia reads them, plus FFmpeg's reading where built
    // in (it also sees ID3v2 PRIV frames and MP4 `mdta` keys).
    #[allow(unused_mut)]
    let mut tags = decoder.info().tags.clone();
    #[cfg(feature = "ffmpeg")]
    tags.extend(ffmeta::read_meta(&input.path).tags);
    let (aigc_carrier, xmp_carrier) = match format.name {
        "mp3" => ("ID3v2 TXXX:AIGC", "ID3v2 PRIV XMP"),
        "m4a" | "aac" => ("MP4 metadata AIGC", "MP4 uuid XMP box"),
        "weba" | "mka" => ("Matroska tag AIGC", "XMP"),
        "opus" => ("Opus comment (OpusTags) AIGC", "XMP"),
        _ => ("Vorbis comment AIGC", "XMP"),
    };
    if aigc && aigc_tag(&tags).is_some_and(|v| tanba_core::manifest::Aigc::from_json(v).is_ok()) {
        marks.push(Mark::new(MarkKind::Aigc, aigc_carrier));
    }
    let other_xmp = match format.name {
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
            *manifest = Some(parsed?);
            marks.push(Mark::new(
                MarkKind::Manifest,
                format!("XMP tanba:Manifest in {xmp_carrier}"),
            ));
        }
    }
    if manifest.is_none()
        && let Some(json) = tag_value(&tags, "TANBA_MANIFEST")
    {
        *manifest = Some(tanba_core::Manifest::from_json(json)?);
        marks.push(Mark::new(MarkKind::Manifest, "metadata TANBA_MANIFEST"));
    }
    Ok(())
}
