//! The optional audible label: tanba-audio's spoken disclaimer mixed over
//! the start of one audio stream (ducking the programme under it), which is
//! then re-encoded; every other audio stream is still copied untouched.
//!
//! The clip's loudness is matched to the programme's, measured in a first
//! pass that decodes only that audio stream (cheap next to the video).

use std::path::Path;

use ffmpeg::codec;
use ffmpeg::codec::Capabilities;
use ffmpeg::format::Sample;
use ffmpeg::format::sample::Type as SampleType;
use ffmpeg::software::resampling;
use ffmpeg::{ChannelLayout, Dictionary, Packet, Rational, Rescale, media};
use ffmpeg_next as ffmpeg;

use tanba_audio::mixer::{DEFAULT_DUCK_DB, db_to_gain};
use tanba_audio::{
    AudioChunks, Disclaimer, DisclaimerMixer, Meter, Mode, matching_gain, measure_clip,
};
use tanba_core::{Error, Job, Label, LabelLine, PerceptibleCheck, Placement, Result};

use crate::probe::{self, Container};

/// Most channels mixed; beyond 8 FFmpeg uses extended data planes.
const MAX_CHANNELS: u16 = 8;

/// The audio stream that carries the disclaimer: the default one, else the first.
pub(crate) fn pick_stream(input: &ffmpeg::format::context::Input) -> Option<usize> {
    let audio: Vec<_> = input
        .streams()
        .filter(|s| s.parameters().medium() == media::Type::Audio)
        .collect();
    audio
        .iter()
        .find(|s| {
            s.disposition()
                .contains(ffmpeg::format::stream::Disposition::DEFAULT)
        })
        .or(audio.first())
        .map(|s| s.index())
}

fn malformed(what: &'static str) -> impl Fn(ffmpeg::Error) -> Error {
    move |e| Error::malformed(format!("{what}: {e}"))
}

/// A decoder plus a converter to interleaved f32 at the stream's own rate.
struct Decode {
    decoder: ffmpeg::decoder::Audio,
    to_f32: Option<resampling::Context>,
    channels: u16,
    layout: ChannelLayout,
    rate: u32,
}

impl Decode {
    fn open(stream: &ffmpeg::format::stream::Stream<'_>) -> Result<Self> {
        let mut decoder = codec::context::Context::from_parameters(stream.parameters())
            .and_then(|c| c.decoder().audio())
            .map_err(|e| Error::unsupported(format!("cannot decode the audio stream: {e}")))?;
        decoder.set_packet_time_base(stream.time_base());
        let channels = decoder.channels();
        let rate = decoder.rate();
        if channels == 0 || channels > MAX_CHANNELS || rate == 0 {
            return Err(Error::unsupported(format!(
                "audio with {channels} channels at {rate} Hz cannot carry the audible label"
            )));
        }
        let layout = match decoder.channel_layout() {
            l if l.channels() == i32::from(channels) => l,
            _ => ChannelLayout::default(i32::from(channels)),
        };
        Ok(Decode {
            decoder,
            to_f32: None,
            channels,
            layout,
            rate,
        })
    }

    /// Converts a decoded frame to interleaved f32, appended to `out`.
    fn convert(&mut self, frame: &ffmpeg::frame::Audio, out: &mut Vec<f32>) -> Result<()> {
        let target = Sample::F32(SampleType::Packed);
        let mut src = frame.clone();
        if src.channel_layout().channels() != i32::from(self.channels) {
            src.set_channel_layout(self.layout);
        }
        if self
            .to_f32
            .as_ref()
            .is_none_or(|c| c.input().format != src.format() || c.input().rate != src.rate())
        {
            self.to_f32 = Some(
                resampling::Context::get(
                    src.format(),
                    src.channel_layout(),
                    src.rate(),
                    target,
                    self.layout,
                    self.rate,
                )
                .map_err(|e| Error::unsupported(format!("cannot convert the audio: {e}")))?,
            );
        }
        let mut packed = ffmpeg::frame::Audio::empty();
        if let Some(swr) = self.to_f32.as_mut() {
            swr.run(&src, &mut packed)
                .map_err(malformed("converting the audio"))?;
        }
        let n = packed.samples() * usize::from(self.channels);
        let bytes = packed.data(0);
        out.extend(
            bytes
                .chunks_exact(4)
                .take(n)
                .map(|b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]])),
        );
        Ok(())
    }

    /// Sends one packet (`None` flushes) and converts every frame it yields.
    fn decode(&mut self, packet: Option<&Packet>, out: &mut Vec<f32>) -> Result<Option<i64>> {
        let sent = match packet {
            Some(p) => self.decoder.send_packet(p),
            None => self.decoder.send_eof(),
        };
        sent.map_err(malformed("decoding the audio"))?;
        let mut first_pts = None;
        let mut frame = ffmpeg::frame::Audio::empty();
        while self.decoder.receive_frame(&mut frame).is_ok() {
            if first_pts.is_none() {
                first_pts = frame.timestamp();
            }
            self.convert(&frame, out)?;
        }
        Ok(first_pts)
    }
}

/// One audio stream of a file, decoded to interleaved `f32` packet by
/// packet: the loudness pass reads it, and so does `verify`, through
/// tanba-audio's disclaimer check.
pub(crate) struct Soundtrack {
    ictx: ffmpeg::format::context::Input,
    index: usize,
    decode: Decode,
    samples: Vec<f32>,
    finished: bool,
}

impl Soundtrack {
    pub(crate) fn open(path: &Path, index: usize) -> Result<Self> {
        let ictx = probe::open(path)?;
        let stream = ictx
            .stream(index)
            .ok_or_else(|| Error::malformed(format!("the file has no stream {index}")))?;
        if stream.parameters().medium() != media::Type::Audio {
            return Err(Error::malformed(format!("stream {index} is not audio")));
        }
        let decode = Decode::open(&stream)?;
        Ok(Soundtrack {
            ictx,
            index,
            decode,
            samples: Vec::new(),
            finished: false,
        })
    }
}

impl AudioChunks for Soundtrack {
    fn rate(&self) -> u32 {
        self.decode.rate
    }

    fn channels(&self) -> usize {
        usize::from(self.decode.channels)
    }

    fn claimed_frames(&self) -> Option<u64> {
        None
    }

    fn next_chunk(&mut self) -> Result<Option<&[f32]>> {
        while !self.finished {
            let mut packet = Packet::empty();
            self.samples.clear();
            match packet.read(&mut self.ictx) {
                Ok(()) if packet.stream() != self.index => continue,
                Ok(()) => {
                    self.decode.decode(Some(&packet), &mut self.samples)?;
                }
                Err(ffmpeg::Error::Eof) => {
                    self.finished = true;
                    self.decode.decode(None, &mut self.samples)?;
                }
                Err(e) => return Err(Error::malformed(format!("reading the audio: {e}"))),
            }
            if !self.samples.is_empty() {
                return Ok(Some(&self.samples));
            }
        }
        Ok(None)
    }
}

/// The programme's loudness and length in frames: one pass over the
/// chosen audio stream.
fn measure(path: &Path, index: usize) -> Result<(tanba_audio::Loudness, u64)> {
    let mut track = Soundtrack::open(path, index)?;
    let channels = track.channels();
    let mut meter = Meter::new(channels, track.rate(), true)?;
    let mut frames = 0u64;
    while let Some(chunk) = track.next_chunk()? {
        meter.add(chunk)?;
        frames += (chunk.len() / channels) as u64;
    }
    Ok((meter.loudness()?, frames))
}

/// Finds the spoken disclaimer where the manifest's audible placement says
/// it is heard.
pub(crate) fn check(
    path: &Path,
    placement: &Placement,
    lines: &[LabelLine],
    real_person: bool,
) -> Result<PerceptibleCheck> {
    let Some(index) = placement.stream else {
        return Ok(PerceptibleCheck::missing(
            "the manifest records no audio stream for the audible label",
        ));
    };
    // The labeler speaks the label's languages (the default disclaimer, or
    // the deepfake one): the sentences it said are those languages' texts.
    let job = Job::new()
        .with_label(Label {
            lines: lines.to_vec(),
        })
        .with_real_person(real_person);
    let spoken = Disclaimer::default()
        .for_job(&job)
        .manifest_lines(&job.label)
        .unwrap_or_default();
    let mut track = Soundtrack::open(path, index as usize)?;
    // FFmpeg trims AAC priming by the MP4 edit list, but an encoder's delay
    // may remain: allow as much as tanba-audio does for AAC.
    tanba_audio::check_disclaimer(
        &mut track,
        placement,
        &spoken,
        &tanba_audio::AudioSettings::default(),
        2112,
    )
}

/// The encoder for the mixed audio: the input's codec where FFmpeg can
/// encode it, else AAC (Opus in WebM, which allows no AAC).
fn pick_encoder(input: codec::Id, container: Container) -> Result<ffmpeg::Codec> {
    let native = match input {
        codec::Id::AAC => Some("aac"),
        codec::Id::OPUS => Some("libopus"),
        codec::Id::MP3 => Some("libmp3lame"),
        codec::Id::VORBIS => Some("libvorbis"),
        codec::Id::FLAC => Some("flac"),
        codec::Id::AC3 => Some("ac3"),
        codec::Id::EAC3 => Some("eac3"),
        _ => None,
    };
    native
        .and_then(ffmpeg::encoder::find_by_name)
        .or_else(|| {
            let fallback = if container == Container::WebM {
                "libopus"
            } else {
                "aac"
            };
            ffmpeg::encoder::find_by_name(fallback)
        })
        .ok_or_else(|| Error::unsupported("this FFmpeg has no audio encoder for the audible label"))
}

/// Sample formats we can fill from interleaved f32 by hand.
fn fillable(format: Sample) -> bool {
    matches!(format, Sample::F32(_) | Sample::I16(_) | Sample::I32(_))
}

/// Opens the encoder for the mixed audio of `stream` (see `pick_encoder`;
/// at the input's bit rate) and adds its output stream. Returns the codec, the encoder, the bit
/// rate and the output index.
fn add_output(
    stream: &ffmpeg::format::stream::Stream<'_>,
    decode: &Decode,
    container: Container,
    octx: &mut ffmpeg::format::context::Output,
) -> Result<(ffmpeg::Codec, ffmpeg::encoder::Audio, usize, usize)> {
    let (channels, rate) = (usize::from(decode.channels), decode.rate);
    let codec = pick_encoder(stream.parameters().id(), container)?;
    let formats: Vec<Sample> = codec
        .audio()
        .ok()
        .and_then(|a| a.formats())
        .map(|f| f.collect())
        .unwrap_or_default();
    let format = formats
        .iter()
        .copied()
        .find(|f| fillable(*f))
        .ok_or_else(|| {
            Error::unsupported(format!("{} takes no sample format we write", codec.name()))
        })?;
    // Opus runs at 48 kHz only; everything else keeps the input's rate.
    if codec.id() == codec::Id::OPUS && rate != 48_000 {
        return Err(Error::unsupported(format!(
            "the audible label in WebM needs 48 kHz audio, not {rate} Hz"
        )));
    }
    let global_header = octx
        .format()
        .flags()
        .contains(ffmpeg::format::Flags::GLOBAL_HEADER);
    let mut ost = octx
        .add_stream(codec)
        .map_err(|e| Error::unsupported(format!("cannot add the audio stream: {e}")))?;
    let mut enc = codec::context::Context::new_with_codec(codec)
        .encoder()
        .audio()
        .map_err(|e| Error::unsupported(format!("audio encoder {}: {e}", codec.name())))?;
    enc.set_rate(rate as i32);
    enc.set_channel_layout(decode.layout);
    enc.set_format(format);
    enc.set_time_base(Rational(1, rate as i32));
    // The input's bit rate, so quality stays; 128 kb/s per stereo pair
    // when the container does not say.
    let input_rate = decode.decoder.bit_rate();
    let bit_rate = if input_rate > 0 {
        input_rate
    } else {
        64_000 * channels.max(2)
    };
    enc.set_bit_rate(bit_rate);
    if global_header {
        enc.set_flags(codec::Flags::GLOBAL_HEADER);
    }
    let encoder = enc
        .open_with(Dictionary::new())
        .map_err(|e| Error::unsupported(format!("cannot open {}: {e}", codec.name())))?;
    ost.set_parameters(&encoder);
    ost.set_time_base(Rational(1, rate as i32));
    ost.set_metadata(stream.metadata().to_owned());
    Ok((codec, encoder, bit_rate, ost.index()))
}

/// The audio stream being labelled: decode, mix, encode.
pub(crate) struct AudibleStream {
    /// Output stream index.
    pub output_index: usize,
    decode: Decode,
    mixer: DisclaimerMixer,
    encoder: ffmpeg::encoder::Audio,
    frame_size: usize,
    small_last_frame: bool,
    /// Mixed, interleaved samples waiting for a whole encoder frame.
    fifo: Vec<f32>,
    decoded: Vec<f32>,
    /// Next frame's pts in 1/rate; set from the first decoded frame.
    next_pts: Option<i64>,
    in_time_base: Rational,
    /// What to tell the user.
    pub summary: String,
    /// Where the disclaimer is heard, for the manifest.
    pub placement: Placement,
}

impl AudibleStream {
    /// Sets up stream `index` of `ictx` for mixing, adding its output
    /// stream to `octx`. Call while adding streams, in input order.
    pub(crate) fn new(
        path: &Path,
        ictx: &ffmpeg::format::context::Input,
        index: usize,
        octx: &mut ffmpeg::format::context::Output,
        container: Container,
        job: &Job,
    ) -> Result<Self> {
        let stream = ictx
            .stream(index)
            .ok_or_else(|| Error::malformed("the audio stream vanished"))?;
        let decode = Decode::open(&stream)?;
        let (channels, rate) = (usize::from(decode.channels), decode.rate);

        let clip = Disclaimer::default()
            .for_job(job)
            .render(&job.label, rate)?;
        let (programme, programme_frames) = measure(path, index)?;
        let clip_seconds = clip.len() as f64 / f64::from(rate);
        let programme_seconds = programme_frames as f64 / f64::from(rate);
        let clip_loudness = measure_clip(&clip, channels, None, rate)?;
        let duck = db_to_gain(DEFAULT_DUCK_DB);
        let gain = matching_gain(
            programme.integrated_lufs,
            &clip_loudness,
            f64::from(duck) * programme.true_peak,
        );
        let mixer = DisclaimerMixer::from_clip(clip, Mode::Overlay, rate, channels, gain)?;
        // The clip starts once the programme has ducked under it.
        let heard_from = mixer
            .plan(programme_frames)
            .first()
            .map_or(0.0, |span| span.start as f64 / f64::from(rate));

        let (codec, encoder, bit_rate, output_index) =
            add_output(&stream, &decode, container, octx)?;
        let frame_size = match encoder.frame_size() {
            0 => 1024,
            n => n as usize,
        };
        let small_last_frame = codec
            .capabilities()
            .contains(Capabilities::SMALL_LAST_FRAME);
        let mut summary = format!(
            "spoken disclaimer ({clip_seconds:.1} s) mixed over the start of audio stream {index}, re-encoded with {} at {} kb/s",
            codec.name(),
            bit_rate / 1000
        );
        if clip_seconds > programme_seconds {
            // The disclaimer is never cut short: the soundtrack runs on
            // past the programme until it has been said in full.
            summary.push_str(&format!(
                "; the soundtrack ({programme_seconds:.1} s) was extended to let it finish"
            ));
        }
        Ok(AudibleStream {
            output_index,
            decode,
            mixer,
            encoder,
            frame_size,
            small_last_frame,
            fifo: Vec::new(),
            decoded: Vec::new(),
            next_pts: None,
            in_time_base: stream.time_base(),
            summary,
            placement: Placement {
                span: Some([heard_from, clip_seconds].map(|t| (t * 1000.0).round() / 1000.0)),
                stream: u32::try_from(output_index).ok(),
                ..Placement::at("overlay")
            },
        })
    }

    /// Decodes, mixes and encodes one input packet.
    pub(crate) fn push(
        &mut self,
        packet: &Packet,
        octx: &mut ffmpeg::format::context::Output,
    ) -> Result<()> {
        self.decoded.clear();
        let first = self.decode.decode(Some(packet), &mut self.decoded)?;
        if self.next_pts.is_none()
            && let Some(pts) = first
        {
            // The output starts where the input's first frame did.
            self.next_pts = Some(pts.rescale(self.in_time_base, Rational(1, self.rate())));
        }
        self.mixer.process(&self.decoded, &mut self.fifo);
        self.encode_whole_frames(octx)
    }

    /// Flushes the decoder, the mixer and the encoder.
    pub(crate) fn finish(&mut self, octx: &mut ffmpeg::format::context::Output) -> Result<()> {
        self.decoded.clear();
        self.decode.decode(None, &mut self.decoded)?;
        self.mixer.process(&self.decoded, &mut self.fifo);
        self.mixer.finish(&mut self.fifo);
        self.encode_whole_frames(octx)?;
        let channels = usize::from(self.decode.channels);
        if !self.fifo.is_empty() {
            let samples = self.fifo.len() / channels;
            let size = if self.small_last_frame {
                samples
            } else {
                self.frame_size
            };
            self.fifo.resize(size * channels, 0.0);
            let tail = std::mem::take(&mut self.fifo);
            self.encode(&tail, size, octx)?;
        }
        self.encoder
            .send_eof()
            .map_err(malformed("flushing the audio encoder"))?;
        self.drain(octx)
    }

    fn rate(&self) -> i32 {
        self.decode.rate as i32
    }

    fn encode_whole_frames(&mut self, octx: &mut ffmpeg::format::context::Output) -> Result<()> {
        let per_frame = self.frame_size * usize::from(self.decode.channels);
        if self.fifo.len() < per_frame {
            return Ok(());
        }
        let whole = self.fifo.len() / per_frame * per_frame;
        let ready: Vec<f32> = self.fifo.drain(..whole).collect();
        for chunk in ready.chunks_exact(per_frame) {
            self.encode(chunk, self.frame_size, octx)?;
        }
        Ok(())
    }

    /// Encodes `samples` frames of interleaved f32.
    fn encode(
        &mut self,
        interleaved: &[f32],
        samples: usize,
        octx: &mut ffmpeg::format::context::Output,
    ) -> Result<()> {
        let channels = usize::from(self.decode.channels);
        let format = self.encoder.format();
        let mut frame = ffmpeg::frame::Audio::new(format, samples, self.decode.layout);
        frame.set_rate(self.decode.rate);
        let pts = self.next_pts.unwrap_or(0);
        frame.set_pts(Some(pts));
        self.next_pts = Some(pts + samples as i64);
        let width = format.bytes();
        let planar = format.is_planar();
        for ch in 0..channels {
            let plane = if planar { ch } else { 0 };
            let data = crate::ffi::audio_plane_mut(&mut frame, plane);
            for s in 0..samples {
                let v = interleaved[s * channels + ch].clamp(-1.0, 1.0);
                let at = if planar { s } else { s * channels + ch } * width;
                let Some(slot) = data.get_mut(at..at + width) else {
                    return Err(Error::cannot_label("an audio frame is smaller than asked"));
                };
                match format {
                    Sample::F32(_) => slot.copy_from_slice(&v.to_ne_bytes()),
                    Sample::I16(_) => {
                        slot.copy_from_slice(&((v * 32767.0).round() as i16).to_ne_bytes())
                    }
                    _ => slot.copy_from_slice(
                        &((f64::from(v) * 2_147_483_647.0).round() as i32).to_ne_bytes(),
                    ),
                }
            }
        }
        self.encoder
            .send_frame(&frame)
            .map_err(malformed("encoding the audio"))?;
        self.drain(octx)
    }

    fn drain(&mut self, octx: &mut ffmpeg::format::context::Output) -> Result<()> {
        let out_tb = octx
            .stream(self.output_index)
            .map(|s| s.time_base())
            .unwrap_or(Rational(1, self.rate()));
        let mut packet = Packet::empty();
        while self.encoder.receive_packet(&mut packet).is_ok() {
            packet.set_stream(self.output_index);
            packet.rescale_ts(Rational(1, self.rate()), out_tb);
            packet
                .write_interleaved(octx)
                .map_err(malformed("writing an audio packet"))?;
        }
        Ok(())
    }
}
