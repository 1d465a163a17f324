//! Writing the mixed audio as WAV through hound, in one pass where the mode
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
use crate::twopass;

/// How the WAV output stores samples.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PcmOut {
    /// Signed integer PCM (8-bit is stored unsigned, as WAV wants).
    Int(u16),
    /// 32-bit float.
    Float,
}

impl PcmOut {
    /// The input's own sample format where WAV has it, else 16-bit.
    pub(crate) fn for_input(info: &StreamInfo) -> PcmOut {
        use symphonia::core::codecs as c;
        if info.codec == c::CODEC_TYPE_PCM_F32LE || info.codec == c::CODEC_TYPE_PCM_F64LE {
            return PcmOut::Float;
        }
        match info.bits_per_sample {
            Some(b @ (8 | 16 | 24 | 32)) => PcmOut::Int(b as u16),
            Some(b) if b < 16 => PcmOut::Int(16),
            Some(_) => PcmOut::Int(24),
            None => PcmOut::Int(16),
        }
    }

    fn bytes(self) -> usize {
        match self {
            PcmOut::Float => 4,
            PcmOut::Int(bits) => usize::from(bits / 8),
        }
    }

    pub(crate) fn spec(self, info: &StreamInfo) -> Result<hound::WavSpec> {
        Ok(hound::WavSpec {
            channels: u16::try_from(info.channels)
                .map_err(|_| Error::unsupported("more than 65535 channels"))?,
            sample_rate: info.sample_rate,
            bits_per_sample: match self {
                PcmOut::Float => 32,
                PcmOut::Int(b) => b,
            },
            sample_format: match self {
                PcmOut::Float => hound::SampleFormat::Float,
                PcmOut::Int(_) => hound::SampleFormat::Int,
            },
        })
    }
}

/// f32 to a `bits`-bit integer, rounding half away from zero and clamping.
/// Integer input decoded to f32 comes back bit-exact.
#[inline]
fn to_int(s: f32, bits: u16) -> i32 {
    if bits <= 24 {
        // Exact in f32: the scale is a power of two and |v| < 2^24.
        let scale = (1i32 << (bits - 1)) as f32;
        let v = s * scale;
        // `as` truncates toward zero and saturates (NaN gives 0).
        let r = (v + 0.5f32.copysign(v)) as i32;
        return r.clamp(-(1 << (bits - 1)), (1 << (bits - 1)) - 1);
    }
    let scale = (1i64 << (bits - 1)) as f64;
    let v = f64::from(s) * scale;
    let r = (v + 0.5f64.copysign(v)) as i64;
    r.clamp(-(scale as i64), scale as i64 - 1) as i32
}

/// The little-endian bytes of `samples` as the data chunk stores them.
fn encode(samples: &[f32], coding: PcmOut, out: &mut Vec<u8>) {
    out.reserve(samples.len() * coding.bytes());
    for &s in samples {
        match coding {
            PcmOut::Float => out.extend_from_slice(&s.to_le_bytes()),
            PcmOut::Int(8) => out.push((to_int(s, 8) + 128) as u8),
            PcmOut::Int(16) => out.extend_from_slice(&(to_int(s, 16) as i16).to_le_bytes()),
            PcmOut::Int(24) => out.extend_from_slice(&to_int(s, 24).to_le_bytes()[..3]),
            PcmOut::Int(bits) => out.extend_from_slice(&to_int(s, bits).to_le_bytes()),
        }
    }
}

fn hound_err(e: hound::Error) -> Error {
    match e {
        hound::Error::IoError(io) => Error::from(io),
        other => Error::cannot_label(format!("cannot write WAV: {other}")),
    }
}

/// hound writes the header (it picks plain or extensible `fmt `); the
/// samples are encoded here in blocks, which is several times faster than
/// hound's per-sample writes, and the two sizes are patched at the end.
struct Sink<W: Write + Seek> {
    out: BufWriter<W>,
    header_len: u64,
    coding: PcmOut,
    channels: usize,
    samples: u64,
    bytes: Vec<u8>,
}

impl<W: Write + Seek> Sink<W> {
    fn new(out: W, spec: hound::WavSpec, coding: PcmOut) -> Result<Self> {
        let mut out = BufWriter::with_capacity(1 << 18, out);
        let start = out.stream_position()?;
        hound::WavWriter::new(&mut out, spec)
            .map_err(hound_err)?
            .finalize()
            .map_err(hound_err)?;
        let header_len = out.stream_position()? - start;
        if start != 0 {
            return Err(Error::cannot_label("the WAV output must start at offset 0"));
        }
        Ok(Sink {
            out,
            header_len,
            coding,
            channels: usize::from(spec.channels.max(1)),
            samples: 0,
            bytes: Vec::new(),
        })
    }

    fn write(&mut self, samples: &[f32]) -> Result<()> {
        self.samples += samples.len() as u64;
        self.bytes.clear();
        encode(samples, self.coding, &mut self.bytes);
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
        if !self.samples.is_multiple_of(self.channels as u64) {
            return Err(Error::cannot_label("a partial frame was written"));
        }
        let frames = self.samples / self.channels as u64;
        let data_len = self.samples * self.coding.bytes() as u64;
        let header_len = self.header_len;
        let mut out = self
            .out
            .into_inner()
            .map_err(|e| Error::from(e.into_error()))?;
        let too_big = || Error::cannot_label("the output exceeds the 4 GiB WAV size limit");
        let riff_len = u32::try_from(header_len + data_len - 8).map_err(|_| too_big())?;
        let data_len32 = u32::try_from(data_len).map_err(|_| too_big())?;
        out.seek(SeekFrom::Start(4))?;
        out.write_all(&riff_len.to_le_bytes())?;
        out.seek(SeekFrom::Start(header_len - 4))?;
        out.write_all(&data_len32.to_le_bytes())?;
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
    coding: PcmOut,
    first: StreamDecoder,
    reopen: impl FnOnce() -> Result<StreamDecoder>,
    mixer: &mut DisclaimerMixer,
    clip: &Loudness,
) -> Result<Written> {
    let info = first.info().clone();
    output.seek(SeekFrom::Start(0))?;
    if let Mode::Repeat { .. } = mixer.mode() {
        return two_pass(&mut *output, coding, first, reopen, mixer, clip);
    }
    let (written, patch) = one_pass(&mut *output, coding, first, mixer, clip)?;
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
    coding: PcmOut,
    mut decoder: StreamDecoder,
    mixer: &mut DisclaimerMixer,
    clip: &Loudness,
) -> Result<((Written, u64), Vec<f32>)> {
    let info = decoder.info().clone();
    let spec = coding.spec(&info)?;
    let mode = mixer.mode();
    let ch = info.channels;
    let mut sink = Sink::new(out, spec, coding)?;
    let mut meter = BackgroundMeter::start(ch, info.sample_rate, false)?;
    let head_frames = mixer.head_frames();
    if mode == Mode::Prepend {
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
    coding: PcmOut,
    first: StreamDecoder,
    reopen: impl FnOnce() -> Result<StreamDecoder>,
    mixer: &mut DisclaimerMixer,
    clip: &Loudness,
) -> Result<Written> {
    let spec = coding.spec(first.info())?;
    let measured = twopass::measure(first, true)?;
    let gain = twopass::set_gain(mixer, &measured.loudness, measured.frames, clip, true);
    let mut sink = Sink::new(out, spec, coding)?;
    twopass::mix(reopen()?, mixer, measured.frames, |mixed| sink.write(mixed))?;
    sink.finish()?;
    Ok(Written {
        programme_frames: measured.frames,
        programme: measured.loudness,
        gain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_samples_round_trip() {
        for v in [-32768i32, -1, 0, 1, 12345, 32767] {
            assert_eq!(to_int(v as f32 / 32768.0, 16), v);
        }
        for v in [-8_388_608i32, -3, 0, 5, 8_388_607] {
            assert_eq!(to_int(v as f32 / 8_388_608.0, 24), v);
        }
        assert_eq!(to_int(2.0, 16), 32767);
        assert_eq!(to_int(-2.0, 16), -32768);
        assert_eq!(to_int(f32::NAN, 16), 0);
        let mut b = Vec::new();
        encode(&[-1.0, 0.0], PcmOut::Int(8), &mut b);
        assert_eq!(b, vec![0, 128]);
        b.clear();
        encode(&[-1.0 / 8_388_608.0], PcmOut::Int(24), &mut b);
        assert_eq!(b, vec![0xff, 0xff, 0xff]);
    }
}
