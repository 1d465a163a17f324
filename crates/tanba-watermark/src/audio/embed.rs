//! The streaming embedder: a bank of band-pass filters on the mid channel;
//! each band's output, scaled by its tile's gain, is added back to every
//! channel. Causal and sample by sample, so blocks of any length can be
//! marked in place with no delay.

use tanba_core::Error;

use super::code::{CODED, encode};
use super::{BANDS, Layout, SLOT_SECS, SLOTS, band_centre, bands_at, depths};
use crate::Key;

/// Frames between two updates of the band gains.
const CHUNK: usize = 32;
/// Time constant of the band level trackers, in seconds.
const TRACK_SECS: f64 = 0.5;
/// Time constant of the programme level the budget is a share of.
const BUDGET_SECS: f64 = 2.0;
/// Cross-fade between two slots' gains, in seconds (no clicks).
const RAMP_SECS: f64 = 0.008;
/// Lowest sample rate that carries the mark.
const MIN_RATE: u32 = 8_000;

/// One second-order band-pass section (RBJ, 0 dB at the centre, so the
/// band's output is in phase with the input there).
#[derive(Debug, Clone)]
struct BandPass {
    b0: f32,
    a1: f32,
    a2: f32,
    z1: f32,
    z2: f32,
}

impl BandPass {
    fn new(centre: f64, width: f64, rate: f64) -> BandPass {
        let w0 = std::f64::consts::TAU * centre / rate;
        let alpha = w0.sin() / (2.0 * centre / width);
        let a0 = 1.0 + alpha;
        BandPass {
            b0: (alpha / a0) as f32,
            a1: (-2.0 * w0.cos() / a0) as f32,
            a2: ((1.0 - alpha) / a0) as f32,
            z1: 0.0,
            z2: 0.0,
        }
    }

    /// Transposed direct form II (b1 = 0, b2 = -b0).
    #[inline]
    fn run(&mut self, x: f32) -> f32 {
        let y = self.b0 * x + self.z1;
        self.z1 = -self.a1 * y + self.z2;
        self.z2 = -self.b0 * x - self.a2 * y;
        y
    }
}

/// One band's filter, level tracker and current gain.
#[derive(Debug, Clone)]
struct Band {
    filter: BandPass,
    /// Smoothed mean square of the band's output.
    level: f32,
    /// Sum of squares over the current chunk.
    acc: f32,
    /// Gain applied to the band's output now, and its step per frame.
    coef: f32,
    step: f32,
}

/// Marks a programme, block by block, in order.
#[derive(Debug, Clone)]
pub struct AudioMarker {
    rate: f64,
    channels: usize,
    layout: Layout,
    bits: [f32; CODED],
    bands: Vec<Band>,
    /// Smoothed mean square of the mid channel, and its chunk sum.
    level: f32,
    acc: f32,
    /// Weight of a new chunk in the band and programme level trackers.
    smooth: f32,
    slow: f32,
    /// Frames seen so far, and the position in the current chunk.
    frames: u64,
    in_chunk: usize,
    /// Samples still owed to a frame a previous block ended inside of, and
    /// the sum of that frame's samples seen so far.
    owed: usize,
    partial: f32,
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
        let bands = (0..bands_at(rate))
            .map(|b| Band {
                filter: BandPass::new(band_centre(b), super::BAND_WIDTH, r),
                level: 0.0,
                acc: 0.0,
                coef: 0.0,
                step: 0.0,
            })
            .collect();
        Ok(AudioMarker {
            rate: r,
            channels,
            layout: Layout::new(key),
            bits: encode(payload),
            bands,
            level: 0.0,
            acc: 0.0,
            smooth: (1.0 - (-(CHUNK as f64) / (r * TRACK_SECS)).exp()) as f32,
            slow: (1.0 - (-(CHUNK as f64) / (r * BUDGET_SECS)).exp()) as f32,
            frames: 0,
            in_chunk: 0,
            owed: 0,
            partial: 0.0,
        })
    }

    /// Adds the mark to the next block of interleaved samples, in place.
    ///
    /// Blocks may have any length; a frame split between two blocks is
    /// left as it is (it still goes through the filters once whole, so the
    /// timing and the filters' state stay right).
    pub fn process(&mut self, interleaved: &mut [f32]) {
        let owed = self.owed.min(interleaved.len());
        self.owed -= owed;
        self.partial += interleaved[..owed].iter().sum::<f32>();
        if owed > 0 && self.owed == 0 {
            // The split frame is whole now: the filters get its true mid
            // sample (a zero there was an impulse that rang in every band,
            // loud against quiet bands: bass-heavy stereo music marked in
            // odd-length blocks lost most of its per-bit z).
            self.next_delta(self.partial / self.channels as f32);
            self.partial = 0.0;
        }
        let rest = &mut interleaved[owed..];
        let whole = rest.len() / self.channels * self.channels;
        let (frames, tail) = rest.split_at_mut(whole);
        for frame in frames.chunks_exact_mut(self.channels) {
            let x = frame.iter().sum::<f32>() / self.channels as f32;
            let d = self.next_delta(x);
            frame.iter_mut().for_each(|s| *s += d);
        }
        if !tail.is_empty() {
            self.owed = self.channels - tail.len();
            self.partial = tail.iter().sum();
        }
    }

    /// The mark for the next frame, whose mid sample is `x`.
    #[inline]
    fn next_delta(&mut self, x: f32) -> f32 {
        if self.in_chunk == 0 {
            self.plan_chunk();
        }
        self.acc += x * x;
        let mut d = 0.0;
        for band in &mut self.bands {
            let y = band.filter.run(x);
            band.acc += y * y;
            d += band.coef * y;
            band.coef += band.step;
        }
        self.frames += 1;
        self.in_chunk = (self.in_chunk + 1) % CHUNK;
        d
    }

    /// Updates the level trackers with the chunk just done and sets each
    /// band's gain to move linearly to its value at the end of the next
    /// chunk, at the depth [`depths`] gives it.
    fn plan_chunk(&mut self) {
        let n = CHUNK as f32;
        self.level += self.slow * (self.acc / n - self.level);
        self.acc = 0.0;
        let mut levels = [0.0f32; BANDS];
        for (band, l) in self.bands.iter_mut().zip(levels.iter_mut()) {
            band.level += self.smooth * (band.acc / n - band.level);
            band.acc = 0.0;
            *l = band.level;
        }
        let depth = depths(&levels[..self.bands.len()], self.level);
        let gains = self.gains_at((self.frames + CHUNK as u64) as f64 / self.rate);
        for (b, band) in self.bands.iter_mut().enumerate() {
            band.step = (depth[b] * gains[b] - band.coef) / n;
        }
    }

    /// Each band's tile gain at time `t` s, cross-faded into a new slot.
    fn gains_at(&self, t: f64) -> [f32; BANDS] {
        let slot = (t / SLOT_SECS).floor();
        let into = t - slot * SLOT_SECS;
        let slot = slot as usize;
        let now = self.layout.gains(slot % SLOTS, &self.bits);
        if into >= RAMP_SECS || slot == 0 {
            return now;
        }
        let before = self.layout.gains((slot - 1) % SLOTS, &self.bits);
        let w = (0.5 - 0.5 * (std::f64::consts::PI * into / RAMP_SECS).cos()) as f32;
        std::array::from_fn(|b| before[b] + w * (now[b] - before[b]))
    }
}
