//! The audio watermark: keyed patchwork on band energies.
//!
//! The programme is cut into time slots of [`SLOT_SECS`] and the range
//! [`BAND_LO`]..[`BAND_LO`] + 32·[`BAND_WIDTH`] Hz into 32 bands; each
//! (band, slot) tile of a 32-slot block has its level raised or lowered by a
//! few per cent: a keyed sync sign `u(slot)·v(band)` plus one of the 80
//! coded bits (64 payload + CRC-16) times a keyed sign. The block repeats
//! every 2 s, so any window of a few seconds holds every bit several times.
//! Slots and bands are defined in seconds and hertz, not samples, so the
//! mark survives resampling; the detector compares log energies with their
//! neighbours, so a change of volume does not matter. See README.md.

mod detect;
mod embed;

pub use detect::detect_audio;
pub use embed::AudioMarker;

use crate::Key;
use crate::pattern::{CODED_BITS, Pattern, TILE};

/// Length of one time slot, in seconds.
pub const SLOT_SECS: f64 = 0.064;
/// Lower edge of the lowest band, in Hz.
pub const BAND_LO: f64 = 500.0;
/// Width of each band, in Hz.
pub const BAND_WIDTH: f64 = 200.0;
/// Bands, and slots per block: the tile of the shared pattern.
const BANDS: usize = TILE;
const SLOTS: usize = TILE;
/// Weight of the sync sign in a tile's gain.
const SYNC_AMP: f32 = 0.45;
/// Weight of the payload bit in a tile's gain (`SYNC_AMP² + BIT_AMP² ≈ 1`).
const BIT_AMP: f32 = 0.89;

/// Share of the programme's energy the mark may take (31.5 dB SNR).
const MARK_SHARE: f32 = 0.0007;
/// Largest relative change of one band's level (about ±1.3 dB).
const MAX_DEPTH: f32 = 0.3;

/// Separates the audio pattern from the picture pattern of the same key.
const AUDIO_SALT: u64 = 0x6175_6469_6F5F_776D;

/// The keyed layout of one block: for each band and slot, the sign of the
/// sync and which coded bit (with its sign) the tile carries.
#[derive(Debug, Clone)]
struct Layout(Pattern);

impl Layout {
    fn new(key: Key) -> Layout {
        Layout(Pattern::new(key_seed(key) ^ AUDIO_SALT))
    }

    /// Sync sign of tile (band, slot); slot within the block.
    fn sync(&self, band: usize, slot: usize) -> f32 {
        self.0.u[slot] * self.0.v[band]
    }

    /// (coded bit, sign) of tile (band, slot).
    fn cell(&self, band: usize, slot: usize) -> (usize, f32) {
        self.0.cells[band * TILE + slot]
    }

    /// The relative gain of each band in block slot `slot`, for `bits`.
    fn gains(&self, slot: usize, bits: &[f32; CODED_BITS]) -> [f32; BANDS] {
        std::array::from_fn(|b| {
            let (bit, sign) = self.cell(b, slot);
            SYNC_AMP * self.sync(b, slot) + BIT_AMP * sign * bits[bit]
        })
    }
}

/// How deep each band is marked: the energy budget (`MARK_SHARE` of the
/// programme's mean power) is spent on the quietest bands first, each up to
/// [`MAX_DEPTH`], since a band's detectability depends on its depth, not on
/// its level, while its cost is depth² times its level.
fn depths(levels: &[f32], total: f32) -> [f32; BANDS] {
    let mut order: [usize; BANDS] = std::array::from_fn(|b| b);
    let n = levels.len().min(BANDS);
    order[..n].sort_unstable_by(|&a, &b| levels[a].total_cmp(&levels[b]));
    let mut left = MARK_SHARE * total;
    let mut out = [0.0; BANDS];
    for &b in &order[..n] {
        let cost = MAX_DEPTH * MAX_DEPTH * levels[b];
        if cost <= left {
            out[b] = MAX_DEPTH;
            left -= cost;
        } else {
            out[b] = if levels[b] > 0.0 {
                (left / levels[b]).sqrt()
            } else {
                0.0
            };
            left = 0.0;
        }
    }
    out
}

/// The seed a key gives the pattern.
fn key_seed(key: Key) -> u64 {
    key.0
}

/// Centre frequency of band `b`, in Hz.
fn band_centre(b: usize) -> f64 {
    BAND_LO + (b as f64 + 0.5) * BAND_WIDTH
}

/// Bands that fit under the Nyquist frequency of `rate` (with a margin for
/// the resampler's roll-off).
fn bands_at(rate: u32) -> usize {
    (0..BANDS)
        .take_while(|&b| BAND_LO + (b as f64 + 1.0) * BAND_WIDTH <= 0.45 * f64::from(rate))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.2
            })
            .collect()
    }

    #[test]
    fn white_noise_round_trip() {
        let rate = 16_000;
        let orig = noise(rate as usize * 12, 5);
        let mut x = orig.clone();
        let mut m = AudioMarker::new(rate, 1, 0x0123_4567_89AB_CDEF, crate::PUBLIC_KEY).unwrap();
        m.process(&mut x);
        let s: f32 = orig.iter().map(|v| v * v).sum();
        let n: f32 = orig.iter().zip(&x).map(|(a, b)| (a - b) * (a - b)).sum();
        eprintln!("snr {}", 10.0 * (s / n).log10());
        let d = detect_audio(&x, rate, 1, crate::PUBLIC_KEY);
        eprintln!("{d:?}");
        assert!(d.is_some());
    }
}
