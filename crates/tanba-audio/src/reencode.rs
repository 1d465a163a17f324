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

use tanba_core::{Format, Job, Labelled, Result, WriteSeek};

use crate::AudioLabeler;
use crate::decode::{OwnedInput, StreamDecoder};
use crate::ffdecode::decode_f32;
use crate::ffencode::{Marks, Sink, Target, XmpCarrier, is_rewritten_key};
use crate::ffmeta::{InputMeta, id3_xmp};
use crate::formats::MP3;
use crate::loudness::{self, BackgroundMeter, Loudness, matching_gain};
use crate::mixer::{DisclaimerMixer, Mode, Span};
use crate::mp3splice::{self, Programme};

/// Bitrates below this are taken as a failed measurement.
const MIN_BITRATE: u64 = 8_000;

impl AudioLabeler {
    /// Labels into `target`'s format. `Ok(Err(why))` when this FFmpeg
    /// cannot encode it (nothing was written; the caller writes WAV).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn label_encoded(
        &self,
        target: &Target,
        input_format: &Format,
        mut first: StreamDecoder,
        input: &OwnedInput,
        job: &Job,
        mut mixer: DisclaimerMixer,
        clip: &Loudness,
        meta: &InputMeta,
        output: &mut dyn WriteSeek,
    ) -> Result<std::result::Result<Labelled, String>> {
        let settings = &self.settings;
        let info = first.info().clone();
        let ducked = matches!(settings.mode, Mode::Overlay | Mode::Repeat { .. });

        // Pass 1: loudness (true peak only where the programme sounds
        // under the clip), length and coded bytes.
        let mut notes = Vec::new();
        // Prepend to MP3: the disclaimer's frames go in front of the
        // programme's own, which are copied, not re-encoded; pass 1 is
        // then the only decode, done by FFmpeg's faster MP3 decoder.
        let splice = if target.format.name == MP3.name && matches!(settings.mode, Mode::Prepend) {
            match Programme::scan(&input.path)? {
                Ok(frames) if frames.matches(info.sample_rate, info.channels) => Some(frames),
                Ok(_) => {
                    notes.push(
                        "the programme was re-encoded: its frames differ from the decoded stream"
                            .to_string(),
                    );
                    None
                }
                Err(why) => {
                    notes.push(format!("the programme was re-encoded: {why}"));
                    None
                }
            }
        } else {
            None
        };
        let mut meter = BackgroundMeter::start(info.channels, info.sample_rate, ducked)?;
        let by_ffmpeg = match &splice {
            Some(frames) => decode_f32(&input.path, info.channels, |chunk| meter.add(chunk))?
                .map(|decoded| (decoded, frames.audio_bytes())),
            None => None,
        };
        let (programme_frames, coded_bytes) = match by_ffmpeg {
            Some(counts) => counts,
            None => {
                if splice.is_some() {
                    // FFmpeg gave up part way: measure afresh.
                    meter = BackgroundMeter::start(info.channels, info.sample_rate, ducked)?;
                }
                while let Some(chunk) = first.next_chunk()? {
                    meter.add(chunk)?;
                }
                (first.decoded_frames(), first.packet_bytes())
            }
        };
        drop(first);
        let programme = meter.finish()?;
        let under = if ducked {
            f64::from(mixer.duck_gain()) * programme.true_peak
        } else {
            0.0
        };
        let gain = matching_gain(programme.integrated_lufs, clip, under);
        mixer.set_gain(gain);
        mixer.set_programme_frames(programme_frames);
        let first_span = mixer
            .plan(programme_frames)
            .first()
            .copied()
            .unwrap_or(Span {
                start: 0,
                frames: 0,
            });

        // The input's bitrate: the nominal one its codec parameters or
        // container state (what its encoder was asked for: a Vorbis or
        // AAC average, MP3's Xing average or frame rate), else what its
        // packets hold. The measured figure follows the content (a quiet
        // Vorbis file lands well under its nominal rate) and would shrink
        // the bitrate at every relabelling.
        let measured = (programme_frames > 0).then(|| {
            coded_bytes
                .saturating_mul(8)
                .saturating_mul(u64::from(info.sample_rate))
                / programme_frames
        });
        let bitrate = meta
            .nominal_bitrate
            .filter(|&b| b >= MIN_BITRATE)
            .or(measured.filter(|&b| b >= MIN_BITRATE));

        let manifest = settings.manifest(job, target.format, first_span, info.sample_rate);
        let existing_xmp = match target.xmp {
            XmpCarrier::Id3Priv => id3_xmp(&meta.tags).map(str::to_string),
            XmpCarrier::Mp4Uuid => {
                tanba_core::isobmff::find_xmp(&mut std::fs::File::open(&input.path)?)?
            }
            XmpCarrier::None => None,
        };
        let xmp = match existing_xmp.as_deref() {
            Some(existing) if tanba_core::xmp::find_packet(existing.as_bytes()).is_some() => {
                tanba_core::xmp::merge(existing, &manifest)?
            }
            _ => tanba_core::xmp::packet(&manifest),
        };
        let marks = Marks {
            kept: meta
                .tags
                .iter()
                .filter(|(k, _)| !is_rewritten_key(k))
                .cloned()
                .collect(),
            aigc: manifest.aigc.to_json(),
            manifest: manifest.to_json(),
            xmp,
        };
        let open_sink = || match Sink::open(target, &info, bitrate, &marks, meta.cover.as_ref()) {
            Ok(sink) => Ok(Ok(sink)),
            Err(
                tanba_core::Error::Unsupported { reason, .. }
                | tanba_core::Error::CannotLabel { reason, .. },
            ) => Ok(Err(reason)),
            Err(e) => Err(e),
        };
        let cover_note = |notes: &mut Vec<String>| {
            if meta.has_cover && !meta.cover.as_ref().is_some_and(|c| target.keeps_cover(c)) {
                notes.push("the input's cover art was not carried over".to_string());
            }
        };

        if let Some(frames) = splice {
            let mut sink = match open_sink()? {
                Ok(sink) => sink,
                Err(why) => return Ok(Err(why)),
            };
            let mut clip_samples = Vec::new();
            mixer.clone().finish(&mut clip_samples);
            sink.write(&clip_samples)?;
            let summary = sink.summary.clone();
            let mut head = std::io::Cursor::new(Vec::new());
            sink.finish(&mut head)?;
            match mp3splice::write(head.get_ref(), &frames, &input.path, output)? {
                Ok(_) => {
                    notes.push(format!(
                        "the programme's MP3 frames were copied unchanged; the disclaimer was encoded with {summary}"
                    ));
                    loudness::note_if_quieter(clip, gain, &programme, &mut notes);
                    cover_note(&mut notes);
                    return Ok(Ok(Labelled {
                        format: target.format,
                        manifest,
                        notes,
                    }));
                }
                Err(why) => notes.push(format!("the programme was re-encoded: {why}")),
            }
        }

        let mut sink = match open_sink()? {
            Ok(sink) => sink,
            Err(why) => return Ok(Err(why)),
        };

        // Pass 2: mix and encode.
        let mut second = StreamDecoder::open_input(input, &job.limits)?;
        let mut mixed = Vec::new();
        while let Some(chunk) = second.next_chunk()? {
            mixed.clear();
            mixer.process(chunk, &mut mixed);
            sink.write(&mixed)?;
        }
        mixed.clear();
        mixer.finish(&mut mixed);
        sink.write(&mixed)?;
        if second.decoded_frames() != programme_frames {
            return Err(tanba_core::Error::malformed(
                "the audio decoded differently on the second pass",
            ));
        }
        mixer.checked_first_span(programme_frames)?;
        notes.push(format!(
            "re-encoded as {} with {}",
            target.format.name, sink.summary
        ));
        sink.finish(output)?;
        loudness::note_if_quieter(clip, gain, &programme, &mut notes);
        if input_format.name != target.format.name {
            notes.push(format!(
                "{} input written as {}: it has no place for the marks",
                input_format.name, target.format.name
            ));
        }
        cover_note(&mut notes);
        Ok(Ok(Labelled {
            format: target.format,
            manifest,
            notes,
        }))
    }
}
