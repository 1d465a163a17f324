//! Finding the disclaimer where the manifest says it is: the decoded audio
//! at each recorded span is cross-correlated with the disclaimer rendered
//! the same way, allowing a small timing slack.

use tanba_core::{LabelLine, PerceptibleCheck, Placement, Result};

use crate::decode::StreamDecoder;
use crate::disclaimer::Disclaimer;
use crate::mixer::Mode;
use crate::settings::AudioSettings;

/// The disclaimer may sit this far from the recorded start (an encoder's
/// delay, rounding of the span to seconds).
const SLACK_MS: u64 = 25;
/// Correlation is computed at about this rate (both sides decimated alike).
pub(crate) const ANALYSIS_RATE: u32 = 8000;
/// A normalised correlation at or above this counts as found. Speech
/// against unrelated audio stays near 0; the disclaimer over a programme
/// ducked by 12 dB scores about 0.95.
pub const SCORE_THRESHOLD: f64 = 0.5;

fn not_found(detail: impl Into<String>, score: Option<f64>) -> PerceptibleCheck {
    PerceptibleCheck::missing(detail).with_score(score)
}

/// Where the disclaimer should be, in frames, from the manifest.
fn expected_spans(mode: Mode, first: (u64, u64), total_frames: u64, rate: u32) -> Vec<(u64, u64)> {
    let mut spans = vec![first];
    if mode == Mode::StartAndEnd && total_frames >= 2 * first.1 {
        // The closing clip ends the output.
        spans.push((total_frames - first.1, first.1));
    }
    if let Mode::Repeat { every_seconds } = mode {
        // The labeler repeats only where the whole ducked clip fits.
        let ramp = first.0;
        let interval = u64::from(every_seconds) * u64::from(rate);
        let mut k = 1;
        while interval > 0 && k * interval + 2 * ramp + first.1 <= total_frames {
            spans.push((k * interval + ramp, first.1));
            k += 1;
        }
    }
    spans
}

/// Block-averages to about [`ANALYSIS_RATE`].
pub(crate) fn decimate(samples: &[f32], factor: usize) -> Vec<f32> {
    samples
        .chunks(factor)
        .map(|c| c.iter().sum::<f32>() / c.len() as f32)
        .collect()
}

/// Best normalised cross-correlation of `reference` inside `window` over all
/// lags, and the lag.
fn best_correlation(window: &[f32], reference: &[f32]) -> (f64, usize) {
    let n = reference.len();
    if n == 0 || window.len() < n {
        return (0.0, 0);
    }
    let ref_energy: f64 = reference.iter().map(|&r| f64::from(r) * f64::from(r)).sum();
    let mut win_energy: f64 = window[..n]
        .iter()
        .map(|&w| f64::from(w) * f64::from(w))
        .sum();
    let mut best = (0.0f64, 0usize);
    for lag in 0..=window.len() - n {
        if lag > 0 {
            let out = f64::from(window[lag - 1]);
            let inn = f64::from(window[lag + n - 1]);
            win_energy = (win_energy - out * out + inn * inn).max(0.0);
        }
        let dot: f64 = window[lag..lag + n]
            .iter()
            .zip(reference)
            .map(|(&w, &r)| f64::from(w) * f64::from(r))
            .sum();
        let denom = (win_energy * ref_energy).sqrt();
        if denom > 0.0 {
            let score = dot / denom;
            if score > best.0 {
                best = (score, lag);
            }
        }
    }
    best
}

/// Decoded audio, interleaved `f32`, chunk by chunk: what
/// [`check_disclaimer`] reads. This crate's decoder is one; the video crate
/// feeds a soundtrack decoded by FFmpeg.
pub trait AudioChunks {
    /// Frames per second.
    fn rate(&self) -> u32;
    /// Samples per frame.
    fn channels(&self) -> usize;
    /// The frame count the container claims, when it says.
    fn claimed_frames(&self) -> Option<u64>;
    /// The next chunk, `None` at the end.
    fn next_chunk(&mut self) -> Result<Option<&[f32]>>;
}

impl AudioChunks for StreamDecoder {
    fn rate(&self) -> u32 {
        self.info().sample_rate
    }

    fn channels(&self) -> usize {
        self.info().channels
    }

    fn claimed_frames(&self) -> Option<u64> {
        self.info().claimed_frames
    }

    fn next_chunk(&mut self) -> Result<Option<&[f32]>> {
        StreamDecoder::next_chunk(self)
    }
}

/// Decodes the audio and checks each span `placement` records for the
/// disclaimer of `lines`. `late_frames` widens the windows on the late side
/// by an encoder delay the decoder does not trim (AAC priming in MP4, which
/// symphonia keeps).
pub fn check_disclaimer(
    decoder: &mut dyn AudioChunks,
    placement: &Placement,
    lines: &[LabelLine],
    settings: &AudioSettings,
    late_frames: u64,
) -> Result<PerceptibleCheck> {
    let Ok(mode) = placement.position.parse::<Mode>() else {
        return Ok(not_found(
            format!("unknown placement {:?}", placement.position),
            None,
        ));
    };
    let Some([start_s, dur_s]) = placement.span else {
        return Ok(not_found(
            "the manifest records no time span for the disclaimer",
            None,
        ));
    };
    // The recorded lines say what was heard; a user's clip is not in them,
    // so the verifier must be given the same clip.
    let disclaimer = match Disclaimer::from_manifest_lines(lines) {
        Some(d) => d,
        None if matches!(settings.disclaimer, Disclaimer::Clip(_)) => settings.disclaimer.clone(),
        None => {
            return Ok(not_found(
                "the disclaimer is a user's clip: give the same clip to verify",
                None,
            ));
        }
    };
    let rate = decoder.rate();
    let reference = disclaimer.render(
        &tanba_core::Label {
            lines: lines.to_vec(),
        },
        rate,
    )?;
    let frames_at = |s: f64| (s * f64::from(rate)).round().max(0.0) as u64;
    let first = (frames_at(start_s), reference.len() as u64);
    if frames_at(dur_s).abs_diff(first.1) > u64::from(rate) / 10 {
        return Ok(not_found(
            format!(
                "the recorded disclaimer lasts {dur_s:.2} s but the {} one lasts {:.2} s",
                describe(&disclaimer),
                first.1 as f64 / f64::from(rate)
            ),
            None,
        ));
    }
    let claimed_total = decoder.claimed_frames();
    let slack = u64::from(rate) * SLACK_MS / 1000;

    // Collect mono audio in each window [start - slack, start + len + slack).
    // Repeat spans need the total length, known only at the end; the
    // container's claim is used to plan them, the decoded count to check.
    let spans = match claimed_total {
        Some(total) => expected_spans(mode, first, total, rate),
        None => vec![first],
    };
    let windows: Vec<(u64, u64)> = spans
        .iter()
        .map(|&(s, len)| (s.saturating_sub(slack), s + len + slack + late_frames))
        .collect();
    let (collected, total) = collect_windows(decoder, &windows)?;

    let factor = (rate / ANALYSIS_RATE).max(1) as usize;
    let reference_d = decimate(&reference, factor);
    let mut worst: Option<f64> = None;
    let mut found_at = Vec::new();
    for ((&(start, len), w), buf) in spans.iter().zip(&windows).zip(&collected) {
        if start + len > total {
            return Ok(not_found(
                format!(
                    "the disclaimer recorded at {:.2}-{:.2} s lies past the end of the audio ({:.2} s): it was cut off",
                    start as f64 / f64::from(rate),
                    (start + len) as f64 / f64::from(rate),
                    total as f64 / f64::from(rate)
                ),
                Some(0.0),
            ));
        }
        let (score, lag) = best_correlation(&decimate(buf, factor), &reference_d);
        worst = Some(worst.map_or(score, |w: f64| w.min(score)));
        let at = w.0 + (lag * factor) as u64;
        found_at.push(format!("{:.2} s", at as f64 / f64::from(rate)));
        if score < SCORE_THRESHOLD {
            return Ok(not_found(
                format!(
                    "no {} at {:.2} s where the manifest records it (correlation {score:.2} < {SCORE_THRESHOLD})",
                    describe(&disclaimer),
                    start as f64 / f64::from(rate)
                ),
                Some(score.max(0.0)),
            ));
        }
    }
    let score = worst.unwrap_or(0.0);
    Ok(PerceptibleCheck::found(format!(
        "{} found ({}) at {} (correlation {score:.2})",
        describe(&disclaimer),
        mode.name(),
        found_at.join(", ")
    ))
    .with_score(score.clamp(0.0, 1.0)))
}

/// Reads the audio up to the last window, keeping the mono downmix of the
/// frames inside each `[from, to)` window; returns them and the frames
/// read. The rest of the file is not decoded.
pub(crate) fn collect_windows(
    decoder: &mut dyn AudioChunks,
    windows: &[(u64, u64)],
) -> Result<(Vec<Vec<f32>>, u64)> {
    let mut collected: Vec<Vec<f32>> = windows.iter().map(|_| Vec::new()).collect();
    let channels = decoder.channels().max(1);
    let mut frame_index = 0u64;
    let last_needed = windows.iter().map(|w| w.1).max().unwrap_or(0);
    while let Some(chunk) = decoder.next_chunk()? {
        let n = (chunk.len() / channels) as u64;
        let chunk_end = frame_index + n;
        for (w, buf) in windows.iter().zip(collected.iter_mut()) {
            let from = w.0.max(frame_index);
            let to = w.1.min(chunk_end);
            for f in from..to {
                let at = ((f - frame_index) as usize) * channels;
                let frame = &chunk[at..at + channels];
                buf.push(frame.iter().sum::<f32>() / channels as f32);
            }
        }
        frame_index = chunk_end;
        if frame_index >= last_needed {
            break;
        }
    }
    Ok((collected, frame_index))
}

fn describe(d: &Disclaimer) -> String {
    match d {
        Disclaimer::Spoken(langs) => format!(
            "spoken disclaimer ({})",
            langs.iter().map(|l| l.code()).collect::<Vec<_>>().join("+")
        ),
        Disclaimer::SpokenRealPerson(langs) => format!(
            "spoken deepfake disclaimer ({})",
            langs.iter().map(|l| l.code()).collect::<Vec<_>>().join("+")
        ),
        Disclaimer::Tone(_) => "Morse AI tone".into(),
        Disclaimer::Clip(_) => "disclaimer clip".into(),
        Disclaimer::JobLanguages => "spoken disclaimer".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlation_finds_a_shifted_copy() {
        let reference: Vec<f32> = (0..400)
            .map(|i| ((i * 7919) % 97) as f32 / 97.0 - 0.5)
            .collect();
        let mut window = vec![0.0f32; 30];
        window.extend(reference.iter().map(|x| x * 0.3));
        window.extend(vec![0.0; 20]);
        let (score, lag) = best_correlation(&window, &reference);
        assert!(score > 0.999);
        assert_eq!(lag, 30);
        let noise: Vec<f32> = (0..450)
            .map(|i| ((i * 104729) % 89) as f32 / 89.0 - 0.5)
            .collect();
        assert!(best_correlation(&noise, &reference).0 < 0.5);
    }

    #[test]
    fn repeat_spans_follow_the_labeler_rule() {
        let spans = expected_spans(Mode::Repeat { every_seconds: 2 }, (150, 100), 6300, 1000);
        assert_eq!(spans, vec![(150, 100), (2150, 100), (4150, 100)]);
    }
}
