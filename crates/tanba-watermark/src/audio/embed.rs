//! The streaming embedder: short-time Fourier frames of the mid channel
//! (Hann windows of about 32 ms every quarter of that); every bin of a band
//! is scaled by its tile's gain, and the change, windowed again and
//! overlap-added, is the mark added to every channel.
//!
//! Zero-phase and exactly in band, so all of the mark's energy moves its
//! own band's level (the causal band-pass bank this replaced moved about
//! 0.41 of it: docs/watermark.md). Hann on both sides, not the square root
//! of Hann at half overlap: that window's side lobes let a bass 60 dB over
//! the bands leak into them, and the mark was then spent on the leak. The
//! price is a delay of one frame (about 32 ms): a block's output comes out
//! with the next blocks', and [`AudioMarker::finish`] gives the rest.

use std::f64::consts::TAU;
use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use tanba_core::Error;

use super::code::{CODED, encode};
use super::{BAND_LO, BAND_WIDTH, BANDS, Layout, SLOT_SECS, SLOTS, bands_at, depths};
use crate::Key;

/// Time constant of the band level trackers, in seconds.
const TRACK_SECS: f64 = 0.5;
/// Time constant of the programme level the budget is a share of.
const BUDGET_SECS: f64 = 2.0;
/// Hop between frames, in seconds (rounded to 8 samples).
const HOP_SECS: f64 = 0.008;
/// Hops per frame: Hann windows at quarter overlap, whose squares (the
/// analysis window times the synthesis one) sum to a constant.
const FRAME_HOPS: usize = 4;
/// That constant: the sum of Hann² over the overlapping frames.
const OVERLAP_GAIN: f32 = 1.5;
/// Lowest sample rate that carries the mark.
const MIN_RATE: u32 = 8_000;

/// Marks a programme, block by block, in order, with a short delay.
#[derive(Clone)]
pub struct AudioMarker {
    rate: f64,
    channels: usize,
    hop: usize,
    layout: Layout,
    bits: [f32; CODED],
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
    /// Hann of one frame: analysis and synthesis window.
    window: Vec<f32>,
    /// The band each bin belongs to, if any.
    band_of: Vec<Option<usize>>,
    usable: usize,
    /// Interleaved samples not yet given out (whole frames first, then any
    /// part of a frame), starting a frame less a hop of zeros before the
    /// programme, so every sample is covered by all the frames it is in.
    held: Vec<f32>,
    /// The mid channel of `held`'s whole frames.
    mid: Vec<f32>,
    /// The mark overlap-added so far, from `held`'s first frame (one frame).
    mark: Vec<f32>,
    /// Leading frames of zeros still to leave out of the output.
    skip: usize,
    /// Fourier frames done.
    done: u64,
    /// Band levels (0.5 s) and programme level (2 s), mean squares.
    levels: [f32; BANDS],
    total: f32,
    smooth: f32,
    slow: f32,
    spectrum: Vec<Complex<f32>>,
    frame: Vec<f32>,
}

impl std::fmt::Debug for AudioMarker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioMarker")
            .field("rate", &self.rate)
            .field("channels", &self.channels)
            .field("hop", &self.hop)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl AudioMarker {
    /// A marker for audio at `rate` Hz with `channels` interleaved channels.
    pub fn new(rate: u32, channels: usize, payload: u64, key: Key) -> Result<AudioMarker, Error> {
        if channels == 0 || rate < MIN_RATE {
            return Err(Error::cannot_label(format!(
                "audio at {rate} Hz with {channels} channel(s) cannot carry the watermark \
                 (needs at least one channel and {MIN_RATE} Hz)"
            )));
        }
        let r = f64::from(rate);
        let hop = (((HOP_SECS * r / 8.0).round() as usize) * 8).max(8);
        let n = FRAME_HOPS * hop;
        let mut planner = RealFftPlanner::<f32>::new();
        let forward = planner.plan_fft_forward(n);
        let inverse = planner.plan_fft_inverse(n);
        let window = (0..n)
            .map(|i| (0.5 - 0.5 * (TAU * i as f64 / n as f64).cos()) as f32)
            .collect();
        let usable = bands_at(rate);
        let band_of = (0..=n / 2)
            .map(|k| {
                let b = ((k as f64 * r / n as f64 - BAND_LO) / BAND_WIDTH).floor();
                (b >= 0.0 && (b as usize) < usable).then_some(b as usize)
            })
            .collect();
        let per_frame = |secs: f64| (1.0 - (-(hop as f64) / (r * secs)).exp()) as f32;
        Ok(AudioMarker {
            rate: r,
            channels,
            hop,
            layout: Layout::new(key),
            bits: encode(payload),
            spectrum: forward.make_output_vec(),
            frame: forward.make_input_vec(),
            forward,
            inverse,
            window,
            band_of,
            usable,
            held: vec![0.0; (n - hop) * channels],
            mid: vec![0.0; n - hop],
            mark: vec![0.0; n],
            skip: n - hop,
            done: 0,
            levels: [0.0; BANDS],
            total: 0.0,
            smooth: per_frame(TRACK_SECS),
            slow: per_frame(BUDGET_SECS),
        })
    }

    /// Frames the output lags the input by, at most (one Fourier frame).
    pub fn delay_frames(&self) -> usize {
        self.mark.len()
    }

    /// Takes the next block of interleaved samples and appends to `out` the
    /// marked samples that are ready: whole frames, in order, up to
    /// [`AudioMarker::delay_frames`] behind. Blocks may have any length,
    /// also parts of frames; the output does not depend on how the
    /// programme was cut into blocks.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        self.held.extend_from_slice(input);
        self.extend_mid();
        let mut at = 0;
        while self.mid.len() - at >= self.mark.len() {
            self.mark_frame(at);
            self.emit(at, self.hop, out);
            at += self.hop;
        }
        self.consume(at);
    }

    /// Appends the rest of the programme to `out`, marked (the last frames
    /// are read with zeros after the end). Call once, after the last block.
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        let mut left = self.mid.len();
        let part = self.held.split_off(left * self.channels);
        self.mid.resize(left + self.mark.len(), 0.0);
        self.held.resize(self.mid.len() * self.channels, 0.0);
        let mut at = 0;
        while left > 0 {
            self.mark_frame(at);
            let n = self.hop.min(left);
            self.emit(at, n, out);
            left -= n;
            at += self.hop;
        }
        // A part of a frame after the last whole one has no mid sample to
        // mark it with; it goes out as it came.
        out.extend_from_slice(&part);
        self.held.clear();
        self.mid.clear();
    }

    /// Mid samples for the whole frames `held` gained.
    fn extend_mid(&mut self) {
        let ch = self.channels;
        let start = self.mid.len() * ch;
        let whole = self.held.len() / ch * ch;
        let scale = 1.0 / ch as f32;
        let held = &self.held[start..whole];
        self.mid
            .extend(held.chunks_exact(ch).map(|f| f.iter().sum::<f32>() * scale));
    }

    /// Marks the Fourier frame starting at `at` in `mid`, adding
    /// its share of the mark into `mark` (which always starts at the frame
    /// being marked: `emit` moves it on).
    fn mark_frame(&mut self, at: usize) {
        let n = self.mark.len();
        let src = &self.mid[at..at + n];
        for ((d, s), w) in self.frame.iter_mut().zip(src).zip(&self.window) {
            *d = s * w;
        }
        let weighted: f32 = self.frame.iter().map(|x| x * x).sum();
        if self
            .forward
            .process(&mut self.frame, &mut self.spectrum)
            .is_err()
        {
            return;
        }
        self.track(weighted);
        let depth = depths(&self.levels[..self.usable], self.total);
        let start = (self.done * self.hop as u64) as f64 - (n - self.hop) as f64;
        let gains = self.gains_for(start);
        let gain: [f32; BANDS] = std::array::from_fn(|b| depth[b] * gains[b]);
        for (c, band) in self.spectrum.iter_mut().zip(&self.band_of) {
            *c = match band {
                Some(b) => *c * gain[*b],
                None => Complex::new(0.0, 0.0),
            };
        }
        self.done += 1;
        if self
            .inverse
            .process(&mut self.spectrum, &mut self.frame)
            .is_err()
        {
            return;
        }
        let scale = 1.0 / (n as f32 * OVERLAP_GAIN);
        for ((m, y), w) in self.mark.iter_mut().zip(&self.frame).zip(&self.window) {
            *m += y * w * scale;
        }
    }

    /// Updates the level trackers with the frame just transformed, whose
    /// windowed samples' sum of squares is `weighted` (the first frame sets
    /// them). Levels are mean squares per sample, the programme's and each
    /// band's (Parseval, one-sided spectrum, window energy 3n/8).
    fn track(&mut self, weighted: f32) {
        let n = self.mark.len() as f32;
        let mut bands = [0.0f32; BANDS];
        for (c, band) in self.spectrum.iter().zip(&self.band_of) {
            if let Some(b) = band {
                bands[*b] += c.norm_sqr();
            }
        }
        let energy = 0.375 * n;
        let total = weighted / energy;
        let to_mean_square = 2.0 / (n * energy);
        let (smooth, slow) = match self.done {
            0 => (1.0, 1.0),
            _ => (self.smooth, self.slow),
        };
        self.total += slow * (total - self.total);
        for (l, e) in self.levels.iter_mut().zip(bands) {
            *l += smooth * (e * to_mean_square - *l);
        }
    }

    /// Each band's tile gain for the frame whose window starts at sample
    /// `start` of the programme: where the window spans two slots, each
    /// slot's gain weighted by its share of the frame's weight on the
    /// output (Hann², analysis times synthesis).
    fn gains_for(&self, start: f64) -> [f32; BANDS] {
        let len = SLOT_SECS * self.rate;
        let n = self.mark.len() as f64;
        let first = (start / len).floor();
        let now = self
            .layout
            .gains(first.max(0.0) as usize % SLOTS, &self.bits);
        let edge = (first + 1.0) * len;
        if edge >= start + n {
            return now;
        }
        let next = self
            .layout
            .gains((first + 1.0).max(0.0) as usize % SLOTS, &self.bits);
        let u = (edge - start) / n;
        // The integral of sin⁴(πt) from 0 to u, over its whole (3/8).
        let integral =
            0.375 * u - (TAU * u).sin() / (2.0 * TAU) + (2.0 * TAU * u).sin() / (16.0 * TAU);
        let before = (integral / 0.375) as f32;
        std::array::from_fn(|b| before * now[b] + (1.0 - before) * next[b])
    }

    /// Appends `count` frames from `at` in `held`, each plus its mark
    /// (the mark starting at `at` too), leaving out the leading zeros.
    fn emit(&mut self, at: usize, count: usize, out: &mut Vec<f32>) {
        let ch = self.channels;
        let drop = self.skip.min(count);
        self.skip -= drop;
        let frames = self.held[(at + drop) * ch..(at + count) * ch].chunks_exact(ch);
        for (frame, m) in frames.zip(&self.mark[drop..count]) {
            out.extend(frame.iter().map(|s| s + m));
        }
        // The next frame's mark starts one hop on.
        self.mark.copy_within(self.hop.., 0);
        let n = self.mark.len();
        self.mark[n - self.hop..].fill(0.0);
    }

    /// Drops the first `frames` frames of `held` and `mid`, given out.
    fn consume(&mut self, frames: usize) {
        self.held.drain(..frames * self.channels);
        self.mid.drain(..frames);
    }
}
