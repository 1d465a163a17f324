//! Progress of one audio labelling, in milliseconds of audio: every
//! decoder of the labelling adds the frames it decodes, and when the
//! writer needs two passes over the programme (measure, then mix) each
//! pass counts for half, so the count reaches the programme's length once,
//! at the end.

use std::sync::{Arc, Mutex, PoisonError};

use tanba_core::{Job, Progress, ProgressUnit};

/// Shared by the decoders of one labelling; a no-op when the job has no
/// progress sink.
#[derive(Debug, Clone, Default)]
pub(crate) struct AudioProgress(Option<Arc<Mutex<State>>>);

#[derive(Debug)]
struct State {
    progress: Progress,
    rate: u64,
    passes: u64,
    /// Frames decoded over all passes.
    decoded: u64,
}

impl AudioProgress {
    /// Starts reporting for a programme at `sample_rate` that the
    /// container says holds `claimed_frames` (when it says).
    pub(crate) fn start(job: &Job, sample_rate: u32, claimed_frames: Option<u64>) -> Self {
        if job.progress.is_none() {
            return AudioProgress(None);
        }
        let rate = u64::from(sample_rate.max(1));
        let total_ms = claimed_frames.map(|f| f.saturating_mul(1000) / rate);
        let seconds = total_ms.map(|ms| ms as f64 / 1000.0);
        let progress = job.progress(ProgressUnit::Millis, total_ms, seconds);
        AudioProgress(Some(Arc::new(Mutex::new(State {
            progress,
            rate,
            passes: 1,
            decoded: 0,
        }))))
    }

    fn with(&self, f: impl FnOnce(&mut State)) {
        if let Some(state) = &self.0 {
            f(&mut state.lock().unwrap_or_else(PoisonError::into_inner));
        }
    }

    /// How many times the programme is decoded in all.
    pub(crate) fn set_passes(&self, passes: u64) {
        self.with(|s| s.passes = passes.max(1));
    }

    /// `frames` more frames decoded.
    pub(crate) fn add(&self, frames: u64) {
        self.with(|s| {
            s.decoded = s.decoded.saturating_add(frames);
            let ms = s.decoded.saturating_mul(1000) / s.rate / s.passes;
            s.progress.set(ms, Some(ms as f64 / 1000.0));
        });
    }

    /// The labelling is done.
    pub(crate) fn finish(&self) {
        self.with(|s| s.progress.finish());
    }
}
