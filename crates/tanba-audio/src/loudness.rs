//! Loudness (ITU-R BS.1770 / EBU R128 through the ebur128 crate) and the
//! gain that sets the disclaimer to the programme's integrated loudness.

use ebur128::{EbuR128, Mode as EbuMode};
use tanba_core::{Error, Result};

/// Target used when the programme is silent (its loudness is undefined):
/// the EBU R128 broadcast level.
pub const DEFAULT_TARGET_LUFS: f64 = -23.0;
/// The disclaimer (with whatever programme sounds under it) never exceeds
/// this true peak, dBTP. The spec asks for -1; 0.2 dB of headroom covers a
/// different meter's oversampling and the rounding to integer samples.
pub const TRUE_PEAK_CEILING_DBTP: f64 = -1.2;

/// A loudness measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Loudness {
    /// Integrated loudness, LUFS (`-inf` for silence).
    pub integrated_lufs: f64,
    /// Highest true peak over the channels, linear (1.0 = 0 dBTP); 0 when not measured.
    pub true_peak: f64,
}

/// A streaming meter: constant memory (histogram mode), any length.
pub struct Meter {
    ebu: EbuR128,
    channels: u32,
    true_peak: bool,
}

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meter")
            .field("channels", &self.channels)
            .finish()
    }
}

fn ebu_err(e: ebur128::Error) -> Error {
    Error::malformed(format!("loudness measurement failed: {e}"))
}

impl Meter {
    /// A meter for interleaved audio; `true_peak` adds the (4x oversampled,
    /// costlier) true-peak measurement.
    pub fn new(channels: usize, sample_rate: u32, true_peak: bool) -> Result<Self> {
        let channels =
            u32::try_from(channels).map_err(|_| Error::malformed("too many channels"))?;
        let mut mode = EbuMode::I | EbuMode::HISTOGRAM;
        if true_peak {
            mode |= EbuMode::TRUE_PEAK;
        }
        let ebu = EbuR128::new(channels, sample_rate, mode).map_err(ebu_err)?;
        Ok(Meter {
            ebu,
            channels,
            true_peak,
        })
    }

    /// Adds interleaved frames.
    pub fn add(&mut self, interleaved: &[f32]) -> Result<()> {
        let whole = interleaved.len() - interleaved.len() % self.channels as usize;
        self.ebu
            .add_frames_f32(&interleaved[..whole])
            .map_err(ebu_err)
    }

    /// The measurement so far.
    pub fn loudness(&self) -> Result<Loudness> {
        let integrated_lufs = self.ebu.loudness_global().map_err(ebu_err)?;
        let mut true_peak = 0.0f64;
        if self.true_peak {
            for ch in 0..self.channels {
                true_peak = true_peak.max(self.ebu.true_peak(ch).map_err(ebu_err)?);
            }
        }
        Ok(Loudness {
            integrated_lufs,
            true_peak,
        })
    }
}

/// A [`Meter`] on its own thread, so measuring overlaps decoding and
/// writing. Chunks are copied into a few recycled buffers (bounded queue:
/// memory stays flat).
pub struct BackgroundMeter {
    to_meter: Option<std::sync::mpsc::SyncSender<Vec<f32>>>,
    spare: std::sync::mpsc::Receiver<Vec<f32>>,
    /// Samples gathered until a batch is worth a hand-over (a decoder's
    /// chunks are small: one MP3 frame is 1,152 frames).
    pending: Vec<f32>,
    worker: Option<std::thread::JoinHandle<Result<Loudness>>>,
}

impl std::fmt::Debug for BackgroundMeter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackgroundMeter").finish_non_exhaustive()
    }
}

/// Samples per hand-over to the measuring thread (256 KiB): fewer
/// wake-ups than one per decoded packet.
const METER_BATCH_SAMPLES: usize = 1 << 16;

impl BackgroundMeter {
    /// Starts the measuring thread.
    pub fn start(channels: usize, sample_rate: u32, true_peak: bool) -> Result<Self> {
        let mut meter = Meter::new(channels, sample_rate, true_peak)?;
        let (to_meter, chunks) = std::sync::mpsc::sync_channel::<Vec<f32>>(8);
        let (give_back, spare) = std::sync::mpsc::channel::<Vec<f32>>();
        let worker = std::thread::Builder::new()
            .name("tanba-loudness".into())
            .spawn(move || {
                for chunk in chunks {
                    meter.add(&chunk)?;
                    // The buffer goes back for reuse; if nobody takes it, fine.
                    let _ = give_back.send(chunk);
                }
                meter.loudness()
            })?;
        Ok(BackgroundMeter {
            to_meter: Some(to_meter),
            spare,
            pending: Vec::new(),
            worker: Some(worker),
        })
    }

    /// Queues interleaved frames for measuring.
    pub fn add(&mut self, interleaved: &[f32]) -> Result<()> {
        self.pending.extend_from_slice(interleaved);
        if self.pending.len() < METER_BATCH_SAMPLES {
            return Ok(());
        }
        self.send_pending()
    }

    /// Hands the gathered samples to the worker.
    fn send_pending(&mut self) -> Result<()> {
        let mut buffer = self.spare.try_recv().unwrap_or_default();
        buffer.clear();
        std::mem::swap(&mut buffer, &mut self.pending);
        let sent = self
            .to_meter
            .as_ref()
            .map(|tx| tx.send(buffer).is_ok())
            .unwrap_or(false);
        if sent {
            Ok(())
        } else {
            // The worker stopped early: its result says why.
            self.join()
                .and_then(|_| Err(Error::malformed("loudness measurement stopped")))
        }
    }

    /// Waits for the measurement of everything queued.
    pub fn finish(mut self) -> Result<Loudness> {
        if !self.pending.is_empty() {
            self.send_pending()?;
        }
        self.join()
    }

    fn join(&mut self) -> Result<Loudness> {
        self.to_meter = None;
        let worker = self
            .worker
            .take()
            .ok_or_else(|| Error::malformed("loudness measurement already finished"))?;
        worker
            .join()
            .map_err(|_| Error::malformed("loudness measurement failed"))?
    }
}

/// Measures a mono clip as it will play: copied onto the programme's
/// channels (every one but the LFE).
pub fn measure_clip(
    clip: &[f32],
    channels: usize,
    lfe: Option<usize>,
    sample_rate: u32,
) -> Result<Loudness> {
    let mut meter = Meter::new(channels, sample_rate, true)?;
    let mut frames = Vec::with_capacity(4096 * channels);
    for block in clip.chunks(4096) {
        frames.clear();
        for &s in block {
            for ch in 0..channels {
                frames.push(if Some(ch) == lfe && channels > 1 {
                    0.0
                } else {
                    s
                });
            }
        }
        meter.add(&frames)?;
    }
    meter.loudness()
}

/// The linear gain for the clip: its integrated loudness becomes the
/// programme's (or [`DEFAULT_TARGET_LUFS`] for a silent programme), lowered
/// if needed so the clip's true peak, plus the ducked programme's peak when
/// overlaid (`under` = duck gain x programme true peak), stays under
/// [`TRUE_PEAK_CEILING_DBTP`].
pub fn matching_gain(programme_lufs: f64, clip: &Loudness, under: f64) -> f32 {
    let target = if programme_lufs.is_finite() && programme_lufs > -70.0 {
        programme_lufs
    } else {
        DEFAULT_TARGET_LUFS
    };
    let clip_lufs = if clip.integrated_lufs.is_finite() {
        clip.integrated_lufs
    } else {
        target
    };
    let wanted = 10f64.powf((target - clip_lufs) / 20.0);
    let ceiling = 10f64.powf(TRUE_PEAK_CEILING_DBTP / 20.0);
    let room = (ceiling - under).max(ceiling * 0.1);
    let cap = if clip.true_peak > 0.0 {
        room / clip.true_peak
    } else {
        wanted
    };
    wanted.min(cap) as f32
}

/// A note when the disclaimer had to stay quieter than the programme.
pub(crate) fn note_if_quieter(
    clip: &Loudness,
    gain: f32,
    programme: &Loudness,
    notes: &mut Vec<String>,
) {
    let heard = clip.integrated_lufs + 20.0 * f64::from(gain).log10();
    let programme_lufs = programme.integrated_lufs;
    if programme_lufs.is_finite() && programme_lufs - heard > 1.0 {
        notes.push(format!(
            "the disclaimer plays at {heard:.1} LUFS, {:.1} LU under the programme ({programme_lufs:.1} LUFS), to keep its true peak under -1 dBTP",
            programme_lufs - heard
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(amp: f32, rate: u32, secs: u32) -> Vec<f32> {
        (0..rate * secs)
            .map(|i| amp * (i as f32 * 1000.0 * std::f32::consts::TAU / rate as f32).sin())
            .collect()
    }

    #[test]
    fn gain_matches_loudness_and_respects_peak() {
        let rate = 48_000;
        let clip = measure_clip(&sine(1.0, rate, 3), 1, None, rate).unwrap();
        // A quiet programme: pure loudness match.
        let g = matching_gain(clip.integrated_lufs - 20.0, &clip, 0.0);
        assert!((20.0 * (g as f64).log10() + 20.0).abs() < 0.01);
        // A loud programme: the peak cap wins.
        let g = matching_gain(clip.integrated_lufs + 6.0, &clip, 0.0);
        assert!(g as f64 * clip.true_peak <= 10f64.powf(-1.0 / 20.0));
        // Silent programme: the default target.
        let g = matching_gain(f64::NEG_INFINITY, &clip, 0.0);
        let after = clip.integrated_lufs + 20.0 * (g as f64).log10();
        assert!((after - DEFAULT_TARGET_LUFS).abs() < 0.01);
    }
}
