//! FFmpeg's demuxers and decoders behind the stream interface the rest of
//! the crate reads: interleaved `f32`, one packet at a time. Used where
//! symphonia has no decoder for a stream (AAC with more than two channels,
//! AC-3, Opus …) and for the MP3 splice's one pass, where FFmpeg's MP3
//! decoder is about twice as fast as symphonia's. FFmpeg's one-time set-up
//! lives here too, the lowest of the FFmpeg modules.

use std::path::Path;
use std::sync::Once;

use ffmpeg::format::Sample;
use ffmpeg::{Packet, codec, frame};
use ffmpeg_next as ffmpeg;
use tanba_core::{Error, Result};

/// How many packets the decoder may refuse (a damaged frame) before the
/// stream is declared malformed; as symphonia's side allows.
const MAX_DECODE_ERRORS: u32 = 16;

/// Silences FFmpeg's console logging once; errors come back as values.
pub(crate) fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Registration is a no-op since FFmpeg 4; init only fails on
        // builds that need it and would then fail later with a clear error.
        let _ = ffmpeg::init();
        ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Fatal);
    });
}

/// The best audio stream of a file, decoded by FFmpeg.
pub(crate) struct FfmpegAudio {
    ictx: ffmpeg::format::context::Input,
    index: usize,
    decoder: ffmpeg::decoder::Audio,
    frame: frame::Audio,
    samples: Vec<f32>,
    channels: usize,
    rate: u32,
    codec: codec::Id,
    duration_ms: Option<u64>,
    packet_bytes: u64,
    decode_errors: u32,
    flushed: bool,
}

impl FfmpegAudio {
    /// Opens `path`'s best audio stream; `None` when FFmpeg cannot read the
    /// file, finds no audio stream, or has no decoder for it.
    pub(crate) fn open(path: &Path) -> Result<Option<Self>> {
        init();
        let Ok(ictx) = ffmpeg::format::input(path) else {
            return Ok(None);
        };
        let Some(stream) = ictx.streams().best(ffmpeg::media::Type::Audio) else {
            return Ok(None);
        };
        let index = stream.index();
        let codec = stream.parameters().id();
        let time_base = stream.time_base();
        let duration_ms = match stream.duration() {
            d if d > 0 && time_base.denominator() > 0 => Some(
                (i128::from(d) * i128::from(time_base.numerator()) * 1000
                    / i128::from(time_base.denominator()))
                .clamp(0, i128::from(u64::MAX)) as u64,
            ),
            _ => u64::try_from(ictx.duration()).ok().map(|us| us / 1000),
        };
        let Ok(decoder) = codec::context::Context::from_parameters(stream.parameters())
            .and_then(|c| c.decoder().audio())
        else {
            return Ok(None);
        };
        let channels = usize::from(decoder.channels());
        let rate = decoder.rate();
        if channels == 0 || rate == 0 {
            return Ok(None);
        }
        Ok(Some(FfmpegAudio {
            ictx,
            index,
            decoder,
            frame: frame::Audio::empty(),
            samples: Vec::new(),
            channels,
            rate,
            codec,
            duration_ms,
            packet_bytes: 0,
            decode_errors: 0,
            flushed: false,
        }))
    }

    pub(crate) fn channels(&self) -> usize {
        self.channels
    }

    pub(crate) fn rate(&self) -> u32 {
        self.rate
    }

    pub(crate) fn codec(&self) -> codec::Id {
        self.codec
    }

    /// The stream's length as its container states it.
    pub(crate) fn duration_ms(&self) -> Option<u64> {
        self.duration_ms
    }

    /// The layout as WAVE speaker bits (FFmpeg uses the same), when it
    /// names as many channels as the stream has.
    pub(crate) fn channel_mask(&self) -> Option<u64> {
        let layout = self.decoder.channel_layout();
        (layout.channels() as usize == self.channels && !layout.is_empty()).then(|| layout.bits())
    }

    /// Coded bytes of the stream's packets read so far.
    pub(crate) fn packet_bytes(&self) -> u64 {
        self.packet_bytes
    }

    /// The samples of the last decoded frame, interleaved.
    pub(crate) fn samples(&self) -> &[f32] {
        &self.samples
    }

    /// Decodes until a frame with samples is ready; false at the end.
    pub(crate) fn decode_next(&mut self) -> Result<bool> {
        loop {
            if self.decoder.receive_frame(&mut self.frame).is_ok() {
                if interleave(&self.frame, self.channels, &mut self.samples)? {
                    return Ok(true);
                }
                continue;
            }
            if self.flushed {
                return Ok(false);
            }
            let mut packet = Packet::empty();
            match packet.read(&mut self.ictx) {
                Ok(()) if packet.stream() != self.index => {}
                Ok(()) => {
                    self.packet_bytes += packet.size() as u64;
                    if self.decoder.send_packet(&packet).is_err() {
                        self.decode_errors += 1;
                        if self.decode_errors > MAX_DECODE_ERRORS {
                            return Err(Error::malformed(format!(
                                "audio decoding: more than {MAX_DECODE_ERRORS} damaged packets"
                            )));
                        }
                    }
                }
                Err(ffmpeg::Error::Eof) => {
                    self.flushed = true;
                    self.decoder.send_eof().map_err(|e| {
                        Error::malformed(format!("flushing the audio decoder: {e}"))
                    })?;
                }
                Err(e) => return Err(Error::malformed(format!("reading the audio: {e}"))),
            }
        }
    }
}

/// Decodes the best audio stream of `path` with FFmpeg, handing `each`
/// interleaved f32 chunks; returns the frames decoded. Used where only the
/// samples' loudness is needed (the MP3 splice): FFmpeg's MP3 decoder is
/// about twice as fast as symphonia's. `Ok(None)` when FFmpeg cannot decode
/// the file or gives another channel count; the caller decodes with
/// symphonia then.
pub(crate) fn decode_f32(
    path: &Path,
    channels: usize,
    mut each: impl FnMut(&[f32]) -> Result<()>,
) -> Result<Option<u64>> {
    let Some(mut audio) = FfmpegAudio::open(path)? else {
        return Ok(None);
    };
    if audio.channels() != channels {
        return Ok(None);
    }
    let mut frames = 0u64;
    while audio.decode_next()? {
        let samples = audio.samples();
        frames += (samples.len() / channels) as u64;
        each(samples)?;
    }
    Ok(Some(frames))
}

/// Writes `frame`'s samples into `out` as interleaved `f32`; false when the
/// frame holds none. Every sample format FFmpeg's audio decoders give is
/// read directly, so no resampler is set up.
fn interleave(frame: &frame::Audio, channels: usize, out: &mut Vec<f32>) -> Result<bool> {
    let n = frame.samples();
    if n == 0 {
        return Ok(false);
    }
    if frame.channels() as usize != channels {
        return Err(Error::unsupported(
            "the audio stream changes its channel count mid-file",
        ));
    }
    out.clear();
    out.resize(n * channels, 0.0);
    let planar = frame.is_planar();
    // One monomorphised loop per sample type, so the conversion inlines:
    // this runs for every sample of a long programme.
    match frame.format() {
        Sample::F32(_) => copy(frame, channels, planar, out, |b: [u8; 4]| {
            f32::from_ne_bytes(b)
        }),
        Sample::F64(_) => copy(frame, channels, planar, out, |b: [u8; 8]| {
            f64::from_ne_bytes(b) as f32
        }),
        Sample::I16(_) => copy(frame, channels, planar, out, |b: [u8; 2]| {
            f32::from(i16::from_ne_bytes(b)) / 32_768.0
        }),
        Sample::I32(_) => copy(frame, channels, planar, out, |b: [u8; 4]| {
            i32::from_ne_bytes(b) as f32 / 2_147_483_648.0
        }),
        Sample::U8(_) => copy(frame, channels, planar, out, |b: [u8; 1]| {
            (f32::from(b[0]) - 128.0) / 128.0
        }),
        other => {
            return Err(Error::unsupported(format!(
                "FFmpeg gave audio as {other:?}, which is not read here"
            )));
        }
    }
    Ok(true)
}

/// Reads `frame`'s samples of `W` bytes each into the interleaved `out`.
fn copy<const W: usize>(
    frame: &frame::Audio,
    channels: usize,
    planar: bool,
    out: &mut [f32],
    read: impl Fn([u8; W]) -> f32,
) {
    let n = out.len() / channels.max(1);
    let sample = |b: &[u8]| <[u8; W]>::try_from(b).map_or(0.0, &read);
    if planar {
        for ch in 0..channels {
            // Not `frame.data(ch)`: ffmpeg-next sizes it 0 past plane 0.
            let plane = crate::ffi::audio_plane(frame, ch).chunks_exact(W).take(n);
            for (slot, b) in out.iter_mut().skip(ch).step_by(channels).zip(plane) {
                *slot = sample(b);
            }
        }
    } else {
        for (slot, b) in out.iter_mut().zip(frame.data(0).chunks_exact(W)) {
            *slot = sample(b);
        }
    }
}
