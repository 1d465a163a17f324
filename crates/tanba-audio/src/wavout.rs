//! Writing the mixed audio as uncompressed WAV or AIFF, in one pass where the mode
//! allows it (prepend, append, overlay) and two where it does not (repeat).
//!
//! One pass: the programme streams to the output while its loudness is
//! measured; the disclaimer's place at the start is written as silence and
//! patched once the loudness is known (the output is seekable). Only the
//! clip and, in overlay mode, the programme under it are held in memory.

use std::io::{BufWriter, Seek, SeekFrom, Write};

use tanba_core::{Error, Result, WriteSeek};

use crate::decode::{StreamDecoder, StreamInfo};
use crate::loudness::{BackgroundMeter, Loudness, Meter, matching_gain};
use crate::mixer::{DisclaimerMixer, Mode};
use crate::pcm::{Coding, encode};
use crate::twopass;

/// The head of the output file up to the first sample, and where the sizes
/// that are known only at the end go.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    /// The bytes: the form header, the format chunks and the sound chunk's head.
    pub bytes: Vec<u8>,
    /// How samples are stored.
    pub coding: Coding,
    /// Interleaved channels.
    pub channels: usize,
    /// Sizes and counts are big-endian (AIFF) rather than little-endian (RIFF).
    pub big_endian: bool,
    /// Offset of the sound chunk's 32-bit size, which is the sample bytes
    /// plus `data_extra` (AIFF's `SSND` offset and block size).
    pub data_size_at: u64,
    /// See `data_size_at`.
    pub data_extra: u64,
    /// Offset of a 32-bit frame count to patch (WAV `fact`, AIFF `COMM`).
    pub frames_at: Option<u64>,
}

impl Header {
    /// A canonical WAV header from hound (it picks plain or extensible
    /// `fmt `), for input that is not WAV or whose coding WAV lacks: the
    /// input's sample format where WAV has it, else 16-bit.
    pub(crate) fn wav_for(info: &StreamInfo) -> Result<Header> {
        use symphonia::core::codecs as c;
        let float = info.codec == c::CODEC_TYPE_PCM_F32LE || info.codec == c::CODEC_TYPE_PCM_F64LE;
        let bits = match info.bits_per_sample {
            _ if float => 32,
            Some(b @ (8 | 16 | 24 | 32)) => b as u16,
            Some(b) if b < 16 => 16,
            Some(_) => 24,
            None => 16,
        };
        let spec = hound::WavSpec {
            channels: u16::try_from(info.channels)
                .map_err(|_| Error::unsupported("more than 65535 channels"))?,
            sample_rate: info.sample_rate,
            bits_per_sample: bits,
            sample_format: if float {
                hound::SampleFormat::Float
            } else {
                hound::SampleFormat::Int
            },
        };
        let mut bytes = std::io::Cursor::new(Vec::new());
        hound::WavWriter::new(&mut bytes, spec)
            .map_err(hound_err)?
            .finalize()
            .map_err(hound_err)?;
        let bytes = bytes.into_inner();
        let coding = match (float, bits) {
            (true, _) => Coding::Float {
                bits: 32,
                big: false,
            },
            (false, 8) => Coding::U8,
            (false, bits) => Coding::Int { bits, big: false },
        };
        Ok(Header {
            data_size_at: bytes.len() as u64 - 4,
            bytes,
            coding,
            channels: info.channels,
            big_endian: false,
            data_extra: 0,
            frames_at: None,
        })
    }

    fn put_u32(&self, v: u32) -> [u8; 4] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
}

fn hound_err(e: hound::Error) -> Error {
    match e {
        hound::Error::IoError(io) => Error::from(io),
        other => Error::cannot_label(format!("cannot write WAV: {other}")),
    }
}

/// The header is written first; the samples are encoded here in blocks
/// (several times faster than per-sample writes), and the sizes are
/// patched at the end.
struct Sink<W: Write + Seek> {
    out: BufWriter<W>,
    header: Header,
    samples: u64,
    bytes: Vec<u8>,
}

impl<W: Write + Seek> Sink<W> {
    fn new(out: W, header: Header) -> Result<Self> {
        let mut out = BufWriter::with_capacity(1 << 18, out);
        if out.stream_position()? != 0 {
            return Err(Error::cannot_label("the output must start at offset 0"));
        }
        out.write_all(&header.bytes)?;
        Ok(Sink {
            out,
            header,
            samples: 0,
            bytes: Vec::new(),
        })
    }

    fn write(&mut self, samples: &[f32]) -> Result<()> {
        self.samples += samples.len() as u64;
        self.bytes.clear();
        encode(samples, self.header.coding, &mut self.bytes);
        self.out.write_all(&self.bytes)?;
        Ok(())
    }

    fn write_silence(&mut self, samples: usize) -> Result<()> {
        let zeros = [0.0f32; 4096];
        let mut left = samples;
        while left > 0 {
            let n = left.min(zeros.len());
            self.write(&zeros[..n])?;
            left -= n;
        }
        Ok(())
    }

    fn finish(self) -> Result<u64> {
        let h = &self.header;
        let channels = h.channels.max(1) as u64;
        if !self.samples.is_multiple_of(channels) {
            return Err(Error::cannot_label("a partial frame was written"));
        }
        let frames = self.samples / channels;
        let data_len = self.samples * h.coding.bytes() as u64;
        let header_len = h.bytes.len() as u64;
        let too_big =
            || Error::cannot_label("the output exceeds the 4 GiB size limit of WAV and AIFF");
        let form_len = u32::try_from(header_len + data_len - 8).map_err(|_| too_big())?;
        let data_len32 = u32::try_from(data_len + h.data_extra).map_err(|_| too_big())?;
        let frames32 = u32::try_from(frames).map_err(|_| too_big())?;
        let (form, data, count) = (
            h.put_u32(form_len),
            h.put_u32(data_len32),
            h.put_u32(frames32),
        );
        let (data_at, frames_at) = (h.data_size_at, h.frames_at);
        let mut out = self
            .out
            .into_inner()
            .map_err(|e| Error::from(e.into_error()))?;
        out.seek(SeekFrom::Start(4))?;
        out.write_all(&form)?;
        out.seek(SeekFrom::Start(data_at))?;
        out.write_all(&data)?;
        if let Some(at) = frames_at {
            out.seek(SeekFrom::Start(at))?;
            out.write_all(&count)?;
        }
        out.seek(SeekFrom::End(0))?;
        out.flush()?;
        Ok(frames)
    }
}

/// What a labelling pass wrote.
#[derive(Debug)]
pub(crate) struct Written {
    /// Programme frames decoded.
    pub programme_frames: u64,
    /// Loudness of the programme.
    pub programme: Loudness,
    /// The clip gain used.
    pub gain: f32,
}

/// Decodes, mixes and writes the WAV audio (the mark chunks are the
/// caller's). `first` is an open decoder; `reopen` gives another for a
/// second pass (repeat mode).
pub(crate) fn write_labelled(
    output: &mut dyn WriteSeek,
    header: Header,
    first: StreamDecoder,
    reopen: impl FnOnce() -> Result<StreamDecoder>,
    mixer: &mut DisclaimerMixer,
    clip: &Loudness,
) -> Result<Written> {
    let info = first.info().clone();
    if header.channels != info.channels {
        return Err(Error::cannot_label(
            "the output header's channel count differs from the decoded stream's",
        ));
    }
    let coding = header.coding;
    output.seek(SeekFrom::Start(0))?;
    if let Mode::Repeat { .. } = mixer.mode() {
        return two_pass(&mut *output, header, first, reopen, mixer, clip);
    }
    let (written, patch) = one_pass(&mut *output, header, first, mixer, clip)?;
    if !patch.is_empty() {
        // The head was written as silence: the data chunk ends where the
        // file does, so it starts `frames x block` bytes before.
        let block = coding.bytes() * info.channels;
        let end = output.seek(SeekFrom::End(0))?;
        let data_bytes = written.1 * block as u64;
        let start = end
            .checked_sub(data_bytes)
            .ok_or_else(|| Error::cannot_label("the WAV writer produced less than expected"))?;
        let mut bytes = Vec::new();
        encode(&patch, coding, &mut bytes);
        output.seek(SeekFrom::Start(start))?;
        output.write_all(&bytes)?;
        output.seek(SeekFrom::End(0))?;
    }
    Ok(written.0)
}

/// Prepend, append and overlay in one decode. Returns what was written,
/// the total frames in the data chunk, and the head to patch at frame 0.
fn one_pass<W: Write + Seek>(
    out: W,
    header: Header,
    mut decoder: StreamDecoder,
    mixer: &mut DisclaimerMixer,
    clip: &Loudness,
) -> Result<((Written, u64), Vec<f32>)> {
    let info = decoder.info().clone();
    let mode = mixer.mode();
    let ch = info.channels;
    let mut sink = Sink::new(out, header)?;
    let mut meter = BackgroundMeter::start(ch, info.sample_rate, false)?;
    let head_frames = mixer.head_frames();
    if matches!(mode, Mode::Prepend | Mode::StartAndEnd) {
        sink.write_silence(head_frames as usize * ch)?;
    }
    let mut held = Vec::new();
    let mut programme_frames = 0u64;
    let mut passed = Vec::new();
    while let Some(chunk) = decoder.next_chunk()? {
        meter.add(chunk)?;
        let n = (chunk.len() / ch) as u64;
        match mode {
            Mode::Overlay => {
                // The programme under the clip is held (and silence written
                // in its place) until the clip's gain is known.
                let hold = head_frames.saturating_sub(programme_frames).min(n) as usize * ch;
                held.extend_from_slice(&chunk[..hold]);
                sink.write_silence(hold)?;
                sink.write(&chunk[hold..])?;
            }
            Mode::Append => {
                passed.clear();
                mixer.process(chunk, &mut passed);
                sink.write(&passed)?;
            }
            _ => sink.write(chunk)?,
        }
        programme_frames += n;
    }
    let programme = meter.finish()?;
    let under = if mode == Mode::Overlay {
        let mut peak = Meter::new(ch, info.sample_rate, true)?;
        peak.add(&held)?;
        f64::from(mixer.duck_gain()) * peak.loudness()?.true_peak
    } else {
        0.0
    };
    let gain = matching_gain(programme.integrated_lufs, clip, under);
    mixer.set_gain(gain);
    let mut patch = Vec::new();
    match mode {
        Mode::Append => {
            let mut tail = Vec::new();
            mixer.finish(&mut tail);
            sink.write(&tail)?;
        }
        Mode::Prepend => {
            mixer.process(&[], &mut patch);
            mixer.finish(&mut patch);
        }
        Mode::StartAndEnd => {
            // The head is patched in like prepend's; the programme went
            // straight to the file, the closing clip follows it.
            mixer.process(&[], &mut patch);
            mixer.passed_through(programme_frames);
            let mut tail = Vec::new();
            mixer.finish(&mut tail);
            sink.write(&tail)?;
        }
        _ => {
            mixer.process(&held, &mut patch);
            mixer.finish(&mut patch);
            // A programme shorter than the clip: the rest of the clip
            // (over silence) goes at the end, after what was written.
            let extra = patch.split_off(held.len().min(patch.len()));
            sink.write(&extra)?;
        }
    }
    let frames = sink.finish()?;
    Ok((
        (
            Written {
                programme_frames,
                programme,
                gain,
            },
            frames,
        ),
        patch,
    ))
}

/// Repeat mode: the loudness is measured first, then the programme is
/// decoded again and mixed.
fn two_pass<W: Write + Seek>(
    out: W,
    header: Header,
    first: StreamDecoder,
    reopen: impl FnOnce() -> Result<StreamDecoder>,
    mixer: &mut DisclaimerMixer,
    clip: &Loudness,
) -> Result<Written> {
    let measured = twopass::measure(first, true)?;
    let gain = twopass::set_gain(mixer, &measured.loudness, measured.frames, clip, true);
    let mut sink = Sink::new(out, header)?;
    twopass::mix(reopen()?, mixer, measured.frames, |mixed| sink.write(mixed))?;
    sink.finish()?;
    Ok(Written {
        programme_frames: measured.frames,
        programme: measured.loudness,
        gain,
    })
}
