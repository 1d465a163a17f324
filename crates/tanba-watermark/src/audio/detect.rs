//! The detector: band energies from short FFTs every 8 ms, summed into
//! slots at each of 8 phases, compared in log terms (so volume does not
//! matter) with the same band's reference (the slots before and after, or
//! about a second around on a steady band) and with the slot's other
//! bands, weighted by how busy the slot and band are, folded onto one
//! block, and scored at every slot offset by how strongly the 312 soft
//! bits stand out (a chi-square test); the best hypotheses go to the
//! Viterbi decoder, and the CRC-32 decides.

use std::rc::Rc;

use realfft::RealFftPlanner;

use super::code::{CODED, decode};
use super::{BAND_LO, BAND_WIDTH, BANDS, Layout, SLOT_SECS, SLOTS, bands_at};
use crate::{Detection, Key};

/// Energy measurements per slot (the phases tried).
const HOPS_PER_SLOT: usize = 8;
/// Analysis frame length, in seconds.
const FRAME_SECS: f64 = 0.023;
/// Fewest whole slots a window must hold to be read (one block).
const MIN_SLOTS: usize = SLOTS;
/// How many of the best (phase, offset) hypotheses are decoded, each into
/// the list decoder's 32 words (and the best once more with its bands
/// reweighted, `reweigh`: 32 words more). Each word that is not the mark
/// passes the CRC-32 with probability 2⁻³², so a window of unmarked audio
/// reports a mark with probability at most 9 · 32 · 2⁻³² = 6.7·10⁻⁸
/// (docs/watermark.md, False positives); the alignment score only ranks
/// the hypotheses.
const HYPOTHESES: usize = 8;
/// The energy under which a band counts as silent, as a share of the
/// window's mean power (-130 dB: above the FFT's rounding, under any band a
/// programme holds, 16-bit rounding noise included).
const SILENCE_FLOOR: f32 = 1e-13;
/// Tiles further than this many RMS from their neighbours are clipped
/// (onsets), so a few loud events do not drown the mark.
const CLIP_RMS: f32 = 2.0;
/// How many slots either side the wide reference of a steady band spans
/// (`references`): 16, about half a second, so the reference is one
/// block long; 12, 24 and the whole window read the same (749 of 750
/// coded 10-s windows at five starts).
const WIDE_REACH: usize = 16;
/// Slots with less band energy than this share of the window's median
/// slot count in proportion (`quiet_slots`): 0.03 (-15 dB) read one more
/// of the matrix's 150 coded 10-s windows and raised the mean per-bit z
/// from 1.25 to 1.32; 0.01 and 0.1 did no better, 0.3 worse.
const QUIET_SLOT: f32 = 0.03;

/// The payload of the mark made with `key`, if the window carries one.
///
/// `interleaved` holds `channels` interleaved channels at `rate` Hz. The
/// longer the window the surer the read: at the embedder's strength 20 s
/// of speech is enough, music and noise may need more (docs/watermark.md,
/// The audio watermark); one block (about 1 s) is the least it tries. Never fails: `None` when nothing is found. In the
/// [`Detection`], `sync_z` is the alignment score of the hypothesis read
/// (no threshold: the CRC-32 decides) and `grid_side` 0.
pub fn detect_audio(
    interleaved: &[f32],
    rate: u32,
    channels: usize,
    key: Key,
) -> Option<Detection> {
    let all = hypotheses(interleaved, rate, channels, key);
    let read = |h: &Hypothesis, soft: &[f32; CODED]| {
        decode(soft).map(|payload| Detection {
            payload,
            sync_z: h.z,
            grid_side: 0,
        })
    };
    let usable: Vec<&Hypothesis> = all.iter().take(HYPOTHESES).filter(|h| h.z > 0.0).collect();
    usable.iter().find_map(|h| read(h, &h.soft)).or_else(|| {
        let best = usable.first()?;
        read(best, &reweigh(best, &Layout::new(key)))
    })
}

/// The best hypothesis's soft bits again, each band's tiles weighted by
/// how well they agree with the decoder's best word (decision-directed):
/// a codec keeps the mark in some bands and not in others (Opus folds
/// its upper bands, MP3 drops quiet ones), and the depth plan cannot know
/// which. Each band's weight is its tiles' correlation with the
/// re-encoded word over their total square (a matched filter's signal
/// over noise power), none below 0. A wrong word gives weights no better
/// than chance, and the CRC-32 still decides.
fn reweigh(h: &Hypothesis, layout: &Layout) -> [f32; CODED] {
    let (word, _, _) = super::code::viterbi(&h.soft);
    let guess = super::code::encode(word);
    let weights: [f32; BANDS] = std::array::from_fn(|b| {
        let (mut num, mut den) = (0.0, 0.0);
        for (k, row) in h.folded.iter().enumerate() {
            let (bit, sign) = layout.cell(b, (k + h.offset) % SLOTS);
            num += row[b].0 * sign * guess[bit];
            den += row[b].1;
        }
        if den > 0.0 { (num / den).max(0.0) } else { 0.0 }
    });
    soft_bits(&h.folded, h.offset, layout, &weights)
}

/// For tuning: the best hypothesis's alignment score; the mean of its
/// soft bits times the coded bits of `payload` (the per-bit z the decoder
/// sees when the alignment is right), the best over all hypotheses; and
/// the largest match per coded bit of the Viterbi decoder's best word over
/// the hypotheses it would decode (CRC or not).
#[doc(hidden)]
pub fn audio_scores(
    interleaved: &[f32],
    rate: u32,
    channels: usize,
    key: Key,
    payload: u64,
) -> (f32, f32, f32) {
    let truth = super::code::encode(payload);
    let all = hypotheses(interleaved, rate, channels, key);
    let best = all
        .iter()
        .map(|h| h.soft.iter().zip(&truth).map(|(s, t)| s * t).sum::<f32>() / CODED as f32)
        .fold(0.0, f32::max);
    let matched = all
        .iter()
        .take(HYPOTHESES)
        .map(|h| super::code::viterbi(&h.soft).2 / CODED as f32)
        .fold(f32::NEG_INFINITY, f32::max);
    (all.first().map_or(0.0, |h| h.z), best, matched)
}

/// For tuning: where the reading that matches `payload` best ranks among
/// all (phase, offset) hypotheses (0 = first), its per-bit z, and whether
/// the list decoder alone reads `payload` from it, and the spread of its
/// soft bits around their mean (1 when the tiles are independent).
#[doc(hidden)]
pub fn audio_diagnose(
    interleaved: &[f32],
    rate: u32,
    channels: usize,
    key: Key,
    payload: u64,
) -> (usize, f32, bool, f32) {
    let truth = super::code::encode(payload);
    let all = hypotheses(interleaved, rate, channels, key);
    let score = |h: &Hypothesis| h.soft.iter().zip(&truth).map(|(s, t)| s * t).sum::<f32>();
    let Some((rank, h)) = all
        .iter()
        .enumerate()
        .max_by(|a, b| score(a.1).total_cmp(&score(b.1)))
    else {
        return (usize::MAX, 0.0, false, 0.0);
    };
    let z = score(h) / CODED as f32;
    let var = h
        .soft
        .iter()
        .zip(&truth)
        .map(|(s, t)| (s * t - z).powi(2))
        .sum::<f32>();
    let sd = (var / CODED as f32).sqrt();
    (rank, z, decode(&h.soft) == Some(payload), sd)
}

/// Every (phase, offset) reading of the window, best first.
fn hypotheses(interleaved: &[f32], rate: u32, channels: usize, key: Key) -> Vec<Hypothesis> {
    if channels == 0 || rate < 8_000 {
        return Vec::new();
    }
    let mono: Vec<f32> = interleaved
        .chunks_exact(channels)
        .map(|f| f.iter().sum::<f32>() / channels as f32)
        .collect();
    let hops = hop_energies(&mono, rate);
    let layout = Layout::new(key);
    let mut found: Vec<Hypothesis> = (0..HOPS_PER_SLOT)
        .filter_map(|phase| read_phase(&hops, phase, &layout))
        .flatten()
        .collect();
    found.sort_by(|a, b| b.z.total_cmp(&a.z));
    found
}

/// One (phase, slot offset) reading.
#[derive(Debug)]
struct Hypothesis {
    z: f32,
    soft: [f32; CODED],
    folded: Rc<Folded>,
    offset: usize,
}

/// Tiles folded onto one block: per block slot and band, the sum of the
/// window's tiles and of their squares.
type Folded = [[(f32, f32); BANDS]; SLOTS];

/// One 8-ms hop: the energy of each band (bands above the rate's reach
/// stay at zero) and of the whole spectrum.
#[derive(Debug, Clone, Copy)]
struct Hop {
    bands: [f32; BANDS],
    total: f32,
}

/// Energies of each hop (Hann-windowed frames centred on its middle).
fn hop_energies(mono: &[f32], rate: u32) -> Vec<Hop> {
    let r = f64::from(rate);
    let n = (((FRAME_SECS * r).ceil() as usize + 1) & !1).max(64);
    let hop = SLOT_SECS / HOPS_PER_SLOT as f64 * r;
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
    let window: Vec<f32> = (0..n)
        .map(|i| (0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n as f64).cos()) as f32)
        .collect();
    let usable = bands_at(rate);
    // Bins near a band's edges count less, 1 / (1 + x²) (the old
    // band-pass embedder's response): the embedder's frames blur the edges
    // too, and flat weights read less (docs/watermark.md).
    let band_of: Vec<Option<(usize, f32)>> = (0..=n / 2)
        .map(|i| {
            let f = i as f64 * r / n as f64;
            let b = ((f - BAND_LO) / BAND_WIDTH).floor();
            let x = (f - super::band_centre(b.max(0.0) as usize)) / (0.5 * BAND_WIDTH);
            let w = (1.0 / (1.0 + x * x)) as f32;
            (f >= BAND_LO && (b as usize) < usable).then_some((b as usize, w))
        })
        .collect();
    let mut input = fft.make_input_vec();
    let mut spectrum = fft.make_output_vec();
    let mut out = Vec::new();
    for h in 0.. {
        let centre = (h as f64 + 0.5) * hop;
        let start = centre as i64 - (n / 2) as i64;
        let end = start + n as i64;
        if end > mono.len() as i64 {
            break;
        }
        let mut e = [0.0f32; BANDS];
        let mut total = 0.0;
        if start >= 0 {
            let frame = &mono[start as usize..end as usize];
            input
                .iter_mut()
                .zip(frame.iter().zip(&window))
                .for_each(|(d, (s, w))| *d = s * w);
            if fft.process(&mut input, &mut spectrum).is_ok() {
                for (c, b) in spectrum.iter().zip(&band_of) {
                    total += c.norm_sqr();
                    if let Some((b, w)) = b {
                        e[*b] += w * c.norm_sqr();
                    }
                }
            }
        }
        out.push(Hop { bands: e, total });
    }
    out
}

/// Reads the window with slots starting at hop `phase`: the alignment score and
/// soft bits at each of the block's slot offsets. `None` when the window is
/// too short or silent.
fn read_phase(hops: &[Hop], phase: usize, layout: &Layout) -> Option<Vec<Hypothesis>> {
    let slots = hops.len().saturating_sub(phase) / HOPS_PER_SLOT;
    if slots < MIN_SLOTS {
        return None;
    }
    let mean = hops.iter().map(|h| h.total).sum::<f32>() / hops.len() as f32;
    if mean <= 0.0 {
        return None;
    }
    // A floor relative to the window's own level, so digital silence is a
    // constant (nothing to compare) at any volume. It lies far under any
    // band a programme holds: music whose 0.5-7 kHz bands sit 60-80 dB
    // under its bass had them read through a floor of 1e-7 as a linear
    // sum the music's clicks outweighed (float music read back 0 of 5,
    // its 16-bit copy, whose rounding noise was marked too, every time).
    let floor = mean * SILENCE_FLOOR;
    // A slot's energy leaves out its first and last hop: their 23-ms
    // frames straddle the slot's edges and half of them is the next
    // tile's mark (measured, 6 inputs: per-bit z 0.84 -> 0.89 after MP3).
    let sums: Vec<[f32; BANDS]> = (0..slots)
        .map(|k| {
            let at = phase + k * HOPS_PER_SLOT;
            std::array::from_fn(|b| {
                hops[at + 1..at + HOPS_PER_SLOT - 1]
                    .iter()
                    .map(|h| h.bands[b])
                    .sum()
            })
        })
        .collect();
    let logs: Vec<[f32; BANDS]> = sums.iter().map(|s| s.map(|e| (e + floor).ln())).collect();
    let usable = (0..BANDS)
        .take_while(|&b| hops.iter().any(|h| h.bands[b] > 0.0))
        .count();
    let mut d = contrast(&logs, usable);
    plan_weights(&mut d, &sums, &hops[phase..], usable);
    quiet_slots(&mut d, &sums, usable);
    let folded = Rc::new(fold(&d));
    Some(
        (0..SLOTS)
            .map(|offset| hypothesis(&folded, offset, layout))
            .collect(),
    )
}

/// Each tile's log energy minus its band's reference level (`references`:
/// the mean of the same band's in the slots before and after, or over a
/// second on a steady band; a band's own level, the harmonics a chord puts
/// in it, and a steady decay all cancel), minus the median of that over the
/// slot's `usable` bands (a syllable or a drum hit moves them all; the
/// marks' random signs hardly move the median), clipped at [`CLIP_RMS`]
/// robust standard deviations, then divided by the median magnitude of its
/// slot and of its band: loud onsets, pauses and busy bands count less
/// (measured: per-bit z of speech 0.65 → 1.6, see docs/watermark.md).
fn contrast(logs: &[[f32; BANDS]], usable: usize) -> Vec<[f32; BANDS]> {
    let slots = logs.len();
    let reference = references(logs, usable);
    let mut d: Vec<[f32; BANDS]> = (0..slots)
        .map(|k| {
            let mut row: [f32; BANDS] = std::array::from_fn(|b| logs[k][b] - reference[k][b]);
            if usable > 1 {
                let mut scratch = row;
                let half = usable / 2;
                let m = *scratch[..usable]
                    .select_nth_unstable_by(half, f32::total_cmp)
                    .1;
                row[..usable].iter_mut().for_each(|x| *x -= m);
            }
            row
        })
        .collect();
    // A robust scale (median absolute contrast): speech onsets and pauses
    // give a few huge contrasts that an RMS would follow.
    let mut mags: Vec<f32> = d
        .iter()
        .flatten()
        .map(|x| x.abs())
        .filter(|x| *x > 0.0)
        .collect();
    if mags.is_empty() {
        return d;
    }
    let mid = mags.len() / 2;
    let median = *mags.select_nth_unstable_by(mid, f32::total_cmp).1;
    let lim = CLIP_RMS * 1.4826 * median;
    d.iter_mut().flatten().for_each(|x| *x = x.clamp(-lim, lim));
    weigh(&mut d, usable, median);
    d
}

/// Each tile's reference level, chosen per band: the mean of the slots
/// just before and after, which follows a band that changes (notes,
/// syllables, decays), or the mean of the band's other slots within
/// [`WIDE_REACH`] either side, whichever leaves the band's contrasts
/// smaller (median magnitude). On a steady band (noise, a held tone) the
/// neighbours' own fluctuation adds half the tile's variance to the
/// contrast and the wide mean almost none: white noise after Opus 32k
/// read per-bit z 0.65-0.73 with the neighbours, 0.75-0.84 with the
/// choice (docs/watermark.md, "A reference per band").
fn references(logs: &[[f32; BANDS]], usable: usize) -> Vec<[f32; BANDS]> {
    let slots = logs.len();
    let mut out: Vec<[f32; BANDS]> = (0..slots)
        .map(|k| {
            let (before, after) = (logs[k.saturating_sub(1)], logs[(k + 1).min(slots - 1)]);
            std::array::from_fn(|b| 0.5 * (before[b] + after[b]))
        })
        .collect();
    for b in 0..usable {
        let mut running = Vec::with_capacity(slots + 1);
        running.push(0.0f64);
        for row in logs {
            running.push(running[running.len() - 1] + f64::from(row[b]));
        }
        let wide: Vec<f32> = (0..slots)
            .map(|k| {
                let (lo, hi) = (
                    k.saturating_sub(WIDE_REACH),
                    (k + WIDE_REACH + 1).min(slots),
                );
                let others = (running[hi] - running[lo] - f64::from(logs[k][b])) as f32;
                others / (hi - lo - 1).max(1) as f32
            })
            .collect();
        let spread = |level: &dyn Fn(usize) -> f32| {
            let mut a: Vec<f32> = (0..slots).map(|k| (logs[k][b] - level(k)).abs()).collect();
            let mid = a.len() / 2;
            *a.select_nth_unstable_by(mid, f32::total_cmp).1
        };
        if spread(&|k| wide[k]) < spread(&|k| out[k][b]) {
            out.iter_mut().zip(&wide).for_each(|(o, w)| o[b] = *w);
        }
    }
    out
}

/// Divides each tile by the median magnitude of its slot (floored at a
/// tenth of the window's, so a silent slot is not blown up), then by that
/// of its band.
fn weigh(d: &mut [[f32; BANDS]], usable: usize, median: f32) {
    if usable == 0 {
        return;
    }
    for row in d.iter_mut() {
        let mut a: Vec<f32> = row[..usable].iter().map(|x| x.abs()).collect();
        let h = a.len() / 2;
        let sc = (*a.select_nth_unstable_by(h, f32::total_cmp).1).max(0.1 * median);
        row.iter_mut().for_each(|x| *x /= sc);
    }
    for b in 0..usable {
        let mut a: Vec<f32> = d.iter().map(|r| r[b].abs()).collect();
        let h = a.len() / 2;
        let sc = *a.select_nth_unstable_by(h, f32::total_cmp).1;
        if sc > 0.0 {
            d.iter_mut().for_each(|r| r[b] /= sc);
        }
    }
}

/// Weighs each band by the depth the embedder gave it (its plan from the
/// band levels, here the window's), relative to the mean: a matched sum,
/// the tiles that carry more of the mark count more.
fn plan_weights(d: &mut [[f32; BANDS]], sums: &[[f32; BANDS]], hops: &[Hop], usable: usize) {
    if usable == 0 || sums.is_empty() {
        return;
    }
    let n = sums.len() as f32;
    let levels: Vec<f32> = (0..usable)
        .map(|b| sums.iter().map(|s| s[b]).sum::<f32>() / n)
        .collect();
    let total = hops.iter().map(|h| h.total).sum::<f32>() / hops.len().max(1) as f32
        * (HOPS_PER_SLOT - 2) as f32;
    let depth = super::depths(&levels, total);
    let mean = depth[..usable].iter().sum::<f32>() / usable as f32;
    if mean <= 0.0 {
        return;
    }
    for row in d.iter_mut() {
        for (x, w) in row[..usable].iter_mut().zip(&depth) {
            *x *= w / mean;
        }
    }
}

/// Scales each slot by its band energy over [`QUIET_SLOT`] times the
/// window's median slot's, capped at 1: a slot far quieter than the
/// programme (a pause's codec noise, a fade) carries little of the mark,
/// yet `weigh` gives it a full slot's weight.
fn quiet_slots(d: &mut [[f32; BANDS]], sums: &[[f32; BANDS]], usable: usize) {
    if usable == 0 || sums.is_empty() {
        return;
    }
    let energy: Vec<f32> = sums.iter().map(|s| s[..usable].iter().sum()).collect();
    let mut sorted = energy.clone();
    let mid = sorted.len() / 2;
    let median = *sorted.select_nth_unstable_by(mid, f32::total_cmp).1;
    if median <= 0.0 {
        return;
    }
    for (row, e) in d.iter_mut().zip(&energy) {
        let w = (e / (QUIET_SLOT * median)).min(1.0);
        row.iter_mut().for_each(|x| *x *= w);
    }
}

/// Sums the tiles onto one block (slot modulo 32), and their squares.
fn fold(d: &[[f32; BANDS]]) -> [[(f32, f32); BANDS]; SLOTS] {
    let mut folded = [[(0.0f32, 0.0f32); BANDS]; SLOTS];
    for (k, row) in d.iter().enumerate() {
        for (b, x) in row.iter().enumerate() {
            let cell = &mut folded[k % SLOTS][b];
            cell.0 += x;
            cell.1 += x * x;
        }
    }
    folded
}

/// The soft bits if window slot 0 is block slot `offset`, each as a
/// z-score: its correlation over the square root of its tiles' total
/// square (its standard deviation when the tiles carry no mark, whatever
/// the audio). The hypothesis's score is how far the bits' total square
/// exceeds the number of coded bits it has with no mark: a chi-square test, which
/// uses every bit for synchronisation rather than a sync pattern that
/// would take part of the mark's energy.
fn hypothesis(folded: &Rc<Folded>, offset: usize, layout: &Layout) -> Hypothesis {
    let soft = soft_bits(folded, offset, layout, &[1.0; BANDS]);
    let n = CODED as f32;
    let chi: f32 = soft.iter().map(|s| s * s).sum();
    Hypothesis {
        z: (chi - n) / (2.0 * n).sqrt(),
        soft,
        folded: Rc::clone(folded),
        offset,
    }
}

/// Each coded bit's z-score at block offset `offset`: its tiles' signed
/// sum, each band weighted by `weights`, over the square root of their
/// weighted total square.
fn soft_bits(
    folded: &Folded,
    offset: usize,
    layout: &Layout,
    weights: &[f32; BANDS],
) -> [f32; CODED] {
    let mut soft = [0.0f32; CODED];
    let mut var = [0.0f32; CODED];
    for (k, row) in folded.iter().enumerate() {
        let slot = (k + offset) % SLOTS;
        for (b, ((x, sq), w)) in row.iter().zip(weights).enumerate() {
            let (bit, sign) = layout.cell(b, slot);
            soft[bit] += w * x * sign;
            var[bit] += w * w * sq;
        }
    }
    for (s, v) in soft.iter_mut().zip(var) {
        *s = if v > 0.0 { *s / v.sqrt() } else { 0.0 };
    }
    soft
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A steady band (fixed level, small random fluctuation) takes the
    /// wide mean as its reference; a band whose level steps every few
    /// slots keeps the neighbours' mean, which follows the steps.
    #[test]
    fn a_steady_band_takes_the_wide_reference_and_a_moving_one_the_neighbours() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut jitter = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % 1000) as f32 / 1000.0 - 0.5
        };
        let logs: Vec<[f32; BANDS]> = (0..120)
            .map(|k| {
                let mut row = [0.0; BANDS];
                row[0] = -3.0 + 0.4 * jitter();
                row[1] = if (k / 3) % 2 == 0 { -1.0 } else { -6.0 } + 0.05 * jitter();
                row
            })
            .collect();
        let reference = references(&logs, 2);
        let neighbours = |k: usize, b: usize| 0.5 * (logs[k - 1][b] + logs[k + 1][b]);
        for (k, r) in reference.iter().enumerate().take(100).skip(20) {
            let lo = k - WIDE_REACH;
            let others: f32 = (lo..=k + WIDE_REACH)
                .filter(|&j| j != k)
                .map(|j| logs[j][0])
                .sum();
            let wide = others / (2 * WIDE_REACH) as f32;
            assert!((r[0] - wide).abs() < 1e-4, "slot {k}");
            assert!(
                (reference[k][1] - neighbours(k, 1)).abs() < 1e-6,
                "slot {k}"
            );
        }
    }
}
