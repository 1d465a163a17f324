//! The detector: band energies from short FFTs every 8 ms, summed into
//! slots at each of 8 phases, compared with their neighbours in log terms
//! (so volume does not matter), folded onto one block, and searched for the
//! sync at every slot offset; the best sync peaks are decoded.

use realfft::RealFftPlanner;

use super::{BAND_LO, BAND_WIDTH, BANDS, Layout, SLOT_SECS, SLOTS, bands_at, depths};
use crate::pattern::{CODED_BITS, decode};
use crate::{Detection, Key};

/// Energy measurements per slot (the phases tried).
const HOPS_PER_SLOT: usize = 8;
/// Analysis frame length, in seconds (rounded up to a power of two).
const FRAME_SECS: f64 = 0.016;
/// Fewest whole slots a window must hold to be read (one block).
const MIN_SLOTS: usize = SLOTS;
/// Sync z-score below which nothing is decoded (see README, false
/// positives).
const MIN_SYNC_Z: f32 = 5.5;
/// How many of the best (phase, offset) hypotheses are decoded.
const HYPOTHESES: usize = 3;
/// Tiles further than this many RMS from their neighbours are clipped
/// (onsets), so a few loud events do not drown the mark.
const CLIP_RMS: f32 = 2.0;

/// The payload of the mark made with `key`, if the window carries one.
///
/// `interleaved` holds `channels` interleaved channels at `rate` Hz; any
/// stretch of at least 10 s of a marked programme reads back (2 s is the
/// least it tries). Never fails: `None` when nothing is found.
pub fn detect_audio(
    interleaved: &[f32],
    rate: u32,
    channels: usize,
    key: Key,
) -> Option<Detection> {
    if channels == 0 || rate < 8_000 {
        return None;
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
    if std::env::var_os("WM_DEBUG").is_some() {
        for h in found.iter().take(3) {
            let truth = crate::pattern::encode(0x0123_4567_89AB_CDEF);
            let ok = h
                .soft
                .iter()
                .zip(&truth)
                .filter(|(a, b)| **a * **b > 0.0)
                .count();
            eprintln!("  z {:.2} bits ok {ok}/80", h.z);
        }
    }
    found
        .iter()
        .take(HYPOTHESES)
        .filter(|h| h.z >= MIN_SYNC_Z)
        .find_map(|h| {
            decode(&h.soft).map(|payload| Detection {
                payload,
                sync_z: h.z,
                grid_side: 0,
            })
        })
}

/// One (phase, slot offset) reading.
#[derive(Debug)]
struct Hypothesis {
    z: f32,
    soft: [f32; CODED_BITS],
}

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
    let n = ((FRAME_SECS * r).ceil() as usize)
        .next_power_of_two()
        .max(64);
    let hop = SLOT_SECS / HOPS_PER_SLOT as f64 * r;
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
    let window: Vec<f32> = (0..n)
        .map(|i| (0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n as f64).cos()) as f32)
        .collect();
    let usable = bands_at(rate);
    let band_of: Vec<Option<usize>> = (0..=n / 2)
        .map(|i| {
            let f = i as f64 * r / n as f64;
            let b = ((f - BAND_LO) / BAND_WIDTH).floor();
            (f >= BAND_LO && (b as usize) < usable).then_some(b as usize)
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
                    if let Some(b) = b {
                        e[*b] += c.norm_sqr();
                    }
                }
            }
        }
        out.push(Hop { bands: e, total });
    }
    out
}

/// Reads the window with slots starting at hop `phase`: the sync score and
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
    // A floor relative to the window's own level, so silence is a constant
    // (nothing to compare) at any volume.
    let floor = mean * 1e-7;
    let sums: Vec<[f32; BANDS]> = (0..slots)
        .map(|k| {
            let at = phase + k * HOPS_PER_SLOT;
            std::array::from_fn(|b| {
                hops[at..at + HOPS_PER_SLOT]
                    .iter()
                    .map(|h| h.bands[b])
                    .sum()
            })
        })
        .collect();
    let logs: Vec<[f32; BANDS]> = sums.iter().map(|s| s.map(|e| (e + floor).ln())).collect();
    let mut d = contrast(&logs);
    // Weight each tile by the depth the embedder gave it (a matched filter):
    // the embedder's band levels include its filters' skirts, π/2 wider.
    let slot_total = mean * HOPS_PER_SLOT as f32;
    for (row, s) in d.iter_mut().zip(&sums) {
        let depth = depths(&s.map(|e| e * std::f32::consts::FRAC_PI_2), slot_total);
        row.iter_mut().zip(depth).for_each(|(x, w)| *x *= w);
    }
    let (folded, norm) = fold(&d);
    if norm <= 0.0 {
        return None;
    }
    if std::env::var_os("WM_DEBUG").is_some() && phase < 2 {
        let w: Vec<f32> = sums
            .iter()
            .flat_map(|s| depths(&s.map(|e| e * std::f32::consts::FRAC_PI_2), slot_total))
            .collect();
        let capped = w.iter().filter(|x| **x >= 0.29).count() as f32 / w.len() as f32;
        let mean_w = w.iter().sum::<f32>() / w.len() as f32;
        let h = hypothesis(&folded, 18, norm, layout);
        eprintln!(
            "  phase {phase} offset 18: z {:.2} capped {capped:.2} mean depth {mean_w:.3}",
            h.z
        );
    }
    Some(
        (0..SLOTS)
            .map(|offset| hypothesis(&folded, offset, norm, layout))
            .collect(),
    )
}

/// Each tile's log energy minus the mean of the same band's in the slots
/// before and after (time only: a band's own level, the harmonics a chord
/// puts in it, and a steady decay all cancel), clipped at [`CLIP_RMS`]
/// times the RMS.
fn contrast(logs: &[[f32; BANDS]]) -> Vec<[f32; BANDS]> {
    let slots = logs.len();
    let mut d: Vec<[f32; BANDS]> = (0..slots)
        .map(|k| {
            let before = logs[k.saturating_sub(1)];
            let after = logs[(k + 1).min(slots - 1)];
            std::array::from_fn(|b| logs[k][b] - 0.5 * (before[b] + after[b]))
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
    d
}

/// Sums the tiles onto one block (slot modulo 32) and returns it with the
/// square root of the tiles' total square: the standard deviation, under
/// no mark, of any ±1 correlation over all tiles.
fn fold(d: &[[f32; BANDS]]) -> ([[f32; BANDS]; SLOTS], f32) {
    let mut folded = [[0.0f32; BANDS]; SLOTS];
    let mut sq = 0.0f32;
    for (k, row) in d.iter().enumerate() {
        for (b, x) in row.iter().enumerate() {
            folded[k % SLOTS][b] += x;
            sq += x * x;
        }
    }
    (folded, sq.sqrt())
}

/// The sync z-score and soft bits if window slot 0 is block slot `offset`.
fn hypothesis(
    folded: &[[f32; BANDS]; SLOTS],
    offset: usize,
    norm: f32,
    layout: &Layout,
) -> Hypothesis {
    let mut sync = 0.0;
    let mut soft = [0.0f32; CODED_BITS];
    for (k, row) in folded.iter().enumerate() {
        let slot = (k + offset) % SLOTS;
        for (b, x) in row.iter().enumerate() {
            sync += x * layout.sync(b, slot);
            let (bit, sign) = layout.cell(b, slot);
            soft[bit] += x * sign;
        }
    }
    Hypothesis {
        z: sync / norm,
        soft,
    }
}
