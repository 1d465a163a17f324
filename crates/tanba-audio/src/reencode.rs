//! Labelling into the input's own compressed format (feature `ffmpeg`).
//!
//! Two decodes: pass 1 measures the programme's loudness, length and coded
//! bitrate, so the disclaimer's gain, its place (the manifest) and the
//! bitrate are known before the container header is written; pass 2 mixes
//! and encodes. An encoder can only be written forwards, so the WAV
//! writer's trick of patching the head afterwards does not apply.
//!
//! MP3 in prepend mode skips pass 2: only the disclaimer is encoded, and
//! the programme's frames are copied after it (see `mp3splice`).

use tanba_core::{Error, Format, Job, Labelled, Manifest, Result, WriteSeek};

use crate::decode::{OwnedInput, StreamDecoder, StreamInfo};
use crate::ffdecode::decode_f32;
use crate::ffencode::{Marks, Sink, Target, XmpCarrier, is_rewritten_key};
use crate::ffmeta::{InputMeta, id3_xmp};
use crate::formats::{M4A, MP3};
use crate::loudness::{self, BackgroundMeter, Loudness};
use crate::mixer::{DisclaimerMixer, Mode, Span};
use crate::mp3splice::{self, Programme, Scan, Splice};
use crate::progress::AudioProgress;
use crate::settings::{self, AudioSettings};
use crate::twopass::{self, Measured};

/// Bitrates below this are taken as a failed measurement.
const MIN_BITRATE: u64 = 8_000;

/// What labelling one input into its own format needs.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    /// The labeler's settings.
    pub settings: &'a AudioSettings,
    /// The output format, muxer and encoders.
    pub target: &'a Target,
    /// The format the input was sniffed as.
    pub input_format: &'a Format,
    /// The input, with a path FFmpeg can open.
    pub input: &'a OwnedInput,
    /// The job (its hash already taken).
    pub job: &'a Job,
    /// The disclaimer's loudness.
    pub clip: &'a Loudness,
    /// The input's tags, bitrate and cover art as FFmpeg read them.
    pub meta: &'a InputMeta,
    /// Told of every decoded chunk.
    pub progress: &'a AudioProgress,
    /// The manifest begun before writing (its id gives the watermark's
    /// payload).
    pub draft: &'a Manifest,
    /// The watermark's marker, fresh, when the programme is marked.
    pub marker: Option<&'a tanba_watermark::AudioMarker>,
}

/// How labelling into the input's own format ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The output was written in the target format.
    Written(Box<Labelled>),
    /// This FFmpeg cannot write the format (no encoder, or the encoder
    /// refused the stream): nothing was written, and the caller writes WAV,
    /// giving this reason.
    NoEncoder(String),
}

/// An encoder and muxer ready for samples, or why there is none.
enum Opened {
    Ready(Box<Sink>),
    NoEncoder(String),
}

/// Labels the programme `first` decodes (already open, its first packet
/// read) into `req.target`'s format, mixing the disclaimer with `mixer`.
pub(crate) fn label(
    req: &Request<'_>,
    first: StreamDecoder,
    mut mixer: DisclaimerMixer,
    output: &mut dyn WriteSeek,
) -> Result<Outcome> {
    let info = first.info().clone();
    let ducked = matches!(req.settings.mode, Mode::Overlay | Mode::Repeat { .. });
    let mut notes = Vec::new();
    let splice = splice_plan(req, &info, &mut notes)?;
    req.progress
        .set_passes(if splice.is_some() { 1 } else { 2 });
    let measured = measure(req, first, splice.as_ref(), ducked)?;
    let gain = twopass::set_gain(
        &mut mixer,
        &measured.loudness,
        measured.frames,
        req.clip,
        ducked,
    );
    let first_span = mixer
        .plan(measured.frames)
        .first()
        .copied()
        .unwrap_or(Span {
            start: 0,
            frames: 0,
        });
    let manifest = req.settings.finish_manifest(
        req.draft.clone(),
        req.job,
        req.target.format,
        first_span,
        info.sample_rate,
    );
    let marks = marks(req, &manifest)?;
    let bitrate = bitrate(req.meta, &measured, info.sample_rate);

    if let Some(programme) = splice {
        let sink = match open_sink(req, &info, bitrate, &marks)? {
            Opened::Ready(sink) => sink,
            Opened::NoEncoder(why) => return Ok(Outcome::NoEncoder(why)),
        };
        match splice_write(req, sink, mixer.clone(), &programme, output, &mut notes)? {
            Splice::Done => {
                loudness::note_if_quieter(req.clip, gain, &measured.loudness, &mut notes);
                cover_note(req, &mut notes);
                return Ok(written(req, manifest, notes));
            }
            Splice::Fallback(why) => notes.push(format!("the programme was re-encoded: {why}")),
        }
    }

    let sink = match open_sink(req, &info, bitrate, &marks)? {
        Opened::Ready(sink) => sink,
        Opened::NoEncoder(why) => return Ok(Outcome::NoEncoder(why)),
    };
    mix_and_encode(req, sink, &mut mixer, measured.frames, output, &mut notes)?;
    loudness::note_if_quieter(req.clip, gain, &measured.loudness, &mut notes);
    if req.input_format.name != req.target.format.name {
        notes.push(format!(
            "{} input written as {}: it has no place for the marks",
            req.input_format.name, req.target.format.name
        ));
    }
    brand_note(req, &mut notes);
    cover_note(req, &mut notes);
    Ok(written(req, manifest, notes))
}

/// A note when an audio-only MP4/MOV of another brand (`isom`, `qt  `) is
/// written with the `M4A ` brand, so that its first bytes say audio.
fn brand_note(req: &Request<'_>, notes: &mut Vec<String>) {
    if req.target.format.name != M4A.name {
        return;
    }
    let brand = req
        .meta
        .tags
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("major_brand"))
        .map(|(_, v)| v.trim_end());
    if let Some(brand) = brand.filter(|b| !matches!(*b, "M4A" | "M4B")) {
        notes.push(format!(
            "its MP4 brand `{brand}` became `M4A ` (the audio-only brand), same container and codec"
        ));
    }
}

/// The programme's MP3 frames when the disclaimer can simply go in front
/// of them (MP3 in prepend mode, frames matching the decoded stream); else
/// `None`, with a note when it was an MP3 that will be re-encoded.
fn splice_plan(
    req: &Request<'_>,
    info: &StreamInfo,
    notes: &mut Vec<String>,
) -> Result<Option<Programme>> {
    if req.target.format.name != MP3.name || !matches!(req.settings.mode, Mode::Prepend) {
        return Ok(None);
    }
    if req.marker.is_some() {
        // Copied frames would carry no mark.
        notes.push("the programme was re-encoded: the watermark is in its samples".into());
        return Ok(None);
    }
    Ok(match Programme::scan(&req.input.path)? {
        Scan::Frames(frames) if frames.matches(info.sample_rate, info.channels) => Some(frames),
        Scan::Frames(_) => {
            notes.push(
                "the programme was re-encoded: its frames differ from the decoded stream".into(),
            );
            None
        }
        Scan::Unsuitable(why) => {
            notes.push(format!("the programme was re-encoded: {why}"));
            None
        }
    })
}

/// Pass 1: loudness (true peak only where the programme sounds under the
/// clip), length and coded bytes. For a splice, the only decode, done by
/// FFmpeg's faster MP3 decoder; if FFmpeg cannot, by `first`.
fn measure(
    req: &Request<'_>,
    first: StreamDecoder,
    splice: Option<&Programme>,
    ducked: bool,
) -> Result<Measured> {
    if let Some(programme) = splice {
        let info = first.info();
        let mut meter = BackgroundMeter::start(info.channels, info.sample_rate, ducked)?;
        let channels = info.channels.max(1);
        let decoded = decode_f32(&req.input.path, info.channels, |chunk| {
            req.progress.add((chunk.len() / channels) as u64);
            meter.add(chunk)
        })?;
        if let Some(frames) = decoded {
            return Ok(Measured {
                frames,
                coded_bytes: programme.audio_bytes(),
                loudness: meter.finish()?,
            });
        }
        // FFmpeg gave up part way: measure afresh.
    }
    twopass::measure(first, ducked)
}

/// The input's bitrate: the nominal one its codec parameters or container
/// state (what its encoder was asked for: a Vorbis or AAC average, MP3's
/// Xing average or frame rate), else what its packets hold. The measured
/// figure follows the content (a quiet Vorbis file lands well under its
/// nominal rate) and would shrink the bitrate at every relabelling.
fn bitrate(meta: &InputMeta, measured: &Measured, sample_rate: u32) -> Option<u64> {
    let from_packets = (measured.frames > 0).then(|| {
        measured
            .coded_bytes
            .saturating_mul(8)
            .saturating_mul(u64::from(sample_rate))
            / measured.frames
    });
    meta.nominal_bitrate
        .filter(|&b| b >= MIN_BITRATE)
        .or(from_packets.filter(|&b| b >= MIN_BITRATE))
}

/// The marks to write, and the input's tags worth keeping. The input's own
/// XMP packet, where the format carries one, is kept with our properties
/// replaced.
fn marks(req: &Request<'_>, manifest: &Manifest) -> Result<Marks> {
    let existing_xmp = match req.target.xmp {
        XmpCarrier::Id3Priv => id3_xmp(&req.meta.tags).map(str::to_string),
        XmpCarrier::Mp4Uuid => {
            tanba_core::isobmff::find_xmp(&mut std::fs::File::open(&req.input.path)?)?
        }
        XmpCarrier::None => None,
    };
    Ok(Marks {
        kept: req
            .meta
            .tags
            .iter()
            .filter(|(k, _)| !is_rewritten_key(k))
            .cloned()
            .collect(),
        aigc: manifest.aigc.to_json(),
        manifest: manifest.to_json(),
        xmp: settings::xmp_packet(existing_xmp.as_deref(), manifest)?,
    })
}

/// Opens the encoder and writes the container header; a refusal that
/// means "this FFmpeg cannot write it" is [`Opened::NoEncoder`].
fn open_sink(
    req: &Request<'_>,
    info: &StreamInfo,
    bitrate: Option<u64>,
    marks: &Marks,
) -> Result<Opened> {
    match Sink::open(req.target, info, bitrate, marks, req.meta.cover.as_ref()) {
        Ok(sink) => Ok(Opened::Ready(Box::new(sink))),
        Err(Error::Unsupported { reason, .. } | Error::CannotLabel { reason, .. }) => {
            Ok(Opened::NoEncoder(reason))
        }
        Err(e) => Err(e),
    }
}

/// Encodes only the disclaimer (the mixer over no programme) and writes it
/// in front of the programme's own frames.
fn splice_write(
    req: &Request<'_>,
    mut sink: Box<Sink>,
    mut mixer: DisclaimerMixer,
    programme: &Programme,
    output: &mut dyn WriteSeek,
    notes: &mut Vec<String>,
) -> Result<Splice> {
    let mut clip_samples = Vec::new();
    mixer.finish(&mut clip_samples);
    sink.write(&clip_samples)?;
    let summary = sink.summary.clone();
    let mut head = std::io::Cursor::new(Vec::new());
    sink.finish(&mut head)?;
    let spliced = mp3splice::write(head.get_ref(), programme, &req.input.path, output)?;
    if let Splice::Done = spliced {
        notes.push(format!(
            "the programme's MP3 frames were copied unchanged; the disclaimer was encoded with {summary}"
        ));
    }
    Ok(spliced)
}

/// Pass 2: decodes again, mixes and encodes.
fn mix_and_encode(
    req: &Request<'_>,
    mut sink: Box<Sink>,
    mixer: &mut DisclaimerMixer,
    programme_frames: u64,
    output: &mut dyn WriteSeek,
    notes: &mut Vec<String>,
) -> Result<()> {
    let second = StreamDecoder::open_input(req.input, &req.job.limits)?
        .with_progress(req.progress)
        .with_marker(req.marker.cloned());
    twopass::mix(second, mixer, programme_frames, |mixed| sink.write(mixed))?;
    mixer.checked_first_span(programme_frames)?;
    notes.push(format!(
        "re-encoded as {} with {}",
        req.target.format.name, sink.summary
    ));
    sink.finish(output)?;
    Ok(())
}

/// A note when the input's cover art could not be carried over.
fn cover_note(req: &Request<'_>, notes: &mut Vec<String>) {
    let meta = req.meta;
    if meta.has_cover
        && !meta
            .cover
            .as_ref()
            .is_some_and(|c| req.target.keeps_cover(c))
    {
        notes.push("the input's cover art was not carried over".to_string());
    }
}

fn written(req: &Request<'_>, manifest: Manifest, notes: Vec<String>) -> Outcome {
    Outcome::Written(Box::new(
        Labelled::new(req.target.format, manifest).with_notes(notes),
    ))
}
