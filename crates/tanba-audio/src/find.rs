//! Finding the spoken disclaimer (or tone) of a file whose manifest is
//! gone: the disclaimer the job would add is rendered at the file's rate
//! and searched for in its first 30 s, first by the 10-ms loudness envelope
//! over every lag, then by the waveform (both at about 8 kHz, where MP3 at
//! 96 kb/s and a resample keep it) around the three best lags. A change of
//! volume does not change a normalised correlation.

use tanba_core::{Job, Result, VisibleFound};

use crate::settings::AudioSettings;
use crate::verify::{ANALYSIS_RATE, AudioChunks, SCORE_THRESHOLD, collect_windows, decimate};

/// How far into the file the disclaimer is looked for.
const SEARCH_SECONDS: u64 = 30;
/// Envelope frame, in analysis samples (10 ms at 8 kHz).
const ENVELOPE_FRAME: usize = 80;
/// Waveform lags tried around an envelope candidate, each way.
const WAVE_SLACK: usize = 2 * ENVELOPE_FRAME;

/// The best match of the job's disclaimer in the first 30 s: its score and
/// its start and end in seconds; `None` when the audio is shorter than it.
pub(crate) fn best_match(
    decoder: &mut dyn AudioChunks,
    job: &Job,
    settings: &AudioSettings,
) -> Result<Option<(f64, f64, f64)>> {
    let rate = decoder.rate();
    let reference = settings.disclaimer.for_job(job).render(&job.label, rate)?;
    let window = SEARCH_SECONDS * u64::from(rate) + reference.len() as u64;
    let (collected, _) = collect_windows(decoder, &[(0, window)])?;
    let audio = collected.into_iter().next().unwrap_or_default();
    let factor = (rate / ANALYSIS_RATE).max(1) as usize;
    let (audio, reference) = (decimate(&audio, factor), decimate(&reference, factor));
    if reference.is_empty() || audio.len() < reference.len() {
        return Ok(None);
    }
    let (env_a, env_r) = (envelope(&audio), envelope(&reference));
    let mut lags: Vec<(f64, usize)> = (0..=env_a.len().saturating_sub(env_r.len()))
        .map(|lag| (ncc(&env_a[lag..lag + env_r.len()], &env_r), lag))
        .collect();
    lags.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut best: Option<(f64, usize)> = None;
    for &(_, lag) in lags.iter().take(3) {
        let centre = lag * ENVELOPE_FRAME;
        let from = centre.saturating_sub(WAVE_SLACK);
        let to = (centre + WAVE_SLACK).min(audio.len() - reference.len());
        for at in from..=to {
            let s = ncc(&audio[at..at + reference.len()], &reference);
            if best.is_none_or(|b| s > b.0) {
                best = Some((s, at));
            }
        }
    }
    let sample_rate = f64::from(rate) / factor as f64;
    Ok(best.map(|(s, at)| {
        let start = at as f64 / sample_rate;
        (
            s.max(0.0),
            start,
            start + reference.len() as f64 / sample_rate,
        )
    }))
}

/// [`best_match`] as a find, placed as `0:00-0:04`.
pub(crate) fn find_disclaimer(
    decoder: &mut dyn AudioChunks,
    job: &Job,
    settings: &AudioSettings,
) -> Result<Option<VisibleFound>> {
    let m = best_match(decoder, job, settings)?;
    if std::env::var_os("FIND_DEBUG").is_some() {
        eprintln!("DBG {m:?}");
    }
    Ok(m.filter(|&(s, _, _)| s >= SCORE_THRESHOLD)
        .map(|(s, start, end)| {
            VisibleFound::new(format!("{}-{}", clock(start), clock(end)), s as f32)
        }))
}

/// `m:ss`, whole seconds (the end rounded up, so the span covers it).
fn clock(seconds: f64) -> String {
    let s = seconds.round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

/// Mean absolute amplitude of each 10-ms frame.
fn envelope(samples: &[f32]) -> Vec<f32> {
    samples
        .chunks(ENVELOPE_FRAME)
        .map(|c| c.iter().map(|s| s.abs()).sum::<f32>() / c.len() as f32)
        .collect()
}

/// Pearson correlation of two equal-length series.
fn ncc(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().min(b.len()) as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0f64, 0f64, 0f64, 0f64, 0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (f64::from(x), f64::from(y));
        sa += x;
        sb += y;
        saa += x * x;
        sbb += y * y;
        sab += x * y;
    }
    let cov = n * sab - sa * sb;
    let (va, vb) = (n * saa - sa * sa, n * sbb - sb * sb);
    if va <= 0.0 || vb <= 0.0 {
        return 0.0;
    }
    cov / (va.sqrt() * vb.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_reads_minutes_and_seconds() {
        assert_eq!(clock(0.2), "0:00");
        assert_eq!(clock(64.4), "1:04");
    }

    #[test]
    fn ncc_of_a_scaled_copy_is_one() {
        let a: Vec<f32> = (0..100).map(|i| (i as f32 * 0.3).sin()).collect();
        let b: Vec<f32> = a.iter().map(|x| x * 0.5).collect();
        assert!((ncc(&a, &b) - 1.0).abs() < 1e-9);
    }
}
