//! Progress inside one long labelling (video frames, audio time, PDF
//! pages), for a caller that shows it: a [`Job`](crate::Job) may carry a
//! [`ProgressSink`], and labelers report through a [`Progress`], which
//! throttles so that reporting costs nothing measurable.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a progress count counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProgressUnit {
    /// Video frames decoded, labelled and encoded.
    Frames,
    /// Milliseconds of audio processed. When a writer needs two passes over
    /// the programme (measure, then mix), each pass counts for half.
    Millis,
    /// PDF pages stamped.
    Pages,
}

/// One report: `done` of `total` units, with the media time reached and
/// the speed (media time per wall-clock second) where the medium has time.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ProgressUpdate {
    /// What is counted.
    pub unit: ProgressUnit,
    /// Units done so far; never decreases within one labelling.
    pub done: u64,
    /// Units in all, when known beforehand. The last update has
    /// `done == total`.
    pub total: Option<u64>,
    /// Seconds of media reached, for timed media.
    pub media_seconds: Option<f64>,
    /// The media's length in seconds, when known.
    pub media_total_seconds: Option<f64>,
    /// Media seconds per wall-clock second since the labelling started.
    pub speed: Option<f64>,
    /// True on the last update of a labelling.
    pub finished: bool,
}

impl ProgressUpdate {
    /// `done` of `total` units, with no media time, not finished.
    pub fn new(unit: ProgressUnit, done: u64, total: Option<u64>) -> Self {
        ProgressUpdate {
            unit,
            done,
            total,
            media_seconds: None,
            media_total_seconds: None,
            speed: None,
            finished: false,
        }
    }
}

/// Where progress goes: called from the labelling thread, a few times a
/// second at most.
pub type ProgressSink = Arc<dyn Fn(&ProgressUpdate) + Send + Sync>;

/// The gap between two updates: at most ten a second.
const EVERY: Duration = Duration::from_millis(100);

/// A labeler's reporter for one labelling. Without a sink every call is a
/// no-op; with one, updates are sent at most ten times a second (plus the
/// first and the last), and `done` never goes back.
pub struct Progress {
    sink: Option<ProgressSink>,
    unit: ProgressUnit,
    total: Option<u64>,
    media_total_seconds: Option<f64>,
    started: Instant,
    last_sent: Instant,
    done: u64,
    media_seconds: Option<f64>,
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Progress")
            .field("sink", &self.sink.as_ref().map(|_| "<sink>"))
            .field("unit", &self.unit)
            .field("total", &self.total)
            .field("done", &self.done)
            .finish()
    }
}

impl Progress {
    /// Starts reporting to `sink` (when there is one) with `done = 0`.
    pub fn start(
        sink: Option<&ProgressSink>,
        unit: ProgressUnit,
        total: Option<u64>,
        media_total_seconds: Option<f64>,
    ) -> Self {
        let now = Instant::now();
        let this = Progress {
            sink: sink.cloned(),
            unit,
            total: total.filter(|&t| t > 0),
            media_total_seconds,
            started: now,
            last_sent: now,
            done: 0,
            media_seconds: media_total_seconds.map(|_| 0.0),
        };
        this.send(false);
        this
    }

    /// Whether anyone listens (so a labeler can skip computing an update).
    pub fn is_active(&self) -> bool {
        self.sink.is_some()
    }

    /// `done` units so far (clamped to the total), `media_seconds` reached.
    /// Sent only when a tenth of a second has passed since the last update.
    pub fn set(&mut self, done: u64, media_seconds: Option<f64>) {
        if self.sink.is_none() {
            return;
        }
        let done = self.total.map_or(done, |t| done.min(t));
        self.done = self.done.max(done);
        if let Some(s) = media_seconds {
            let s = self.media_total_seconds.map_or(s, |t| s.min(t));
            self.media_seconds = Some(self.media_seconds.map_or(s, |m| m.max(s)));
        }
        let now = Instant::now();
        if now.duration_since(self.last_sent) >= EVERY {
            self.last_sent = now;
            self.send(false);
        }
    }

    /// The last update: `done` reaches the total (or the total becomes what
    /// was done, when it was not known).
    pub fn finish(&mut self) {
        if self.sink.is_none() {
            return;
        }
        let total = *self.total.get_or_insert(self.done);
        self.done = self.done.max(total);
        if let Some(t) = self.media_total_seconds {
            self.media_seconds = Some(t);
        }
        self.send(true);
    }

    fn send(&self, finished: bool) {
        let Some(sink) = &self.sink else { return };
        let wall = self.started.elapsed().as_secs_f64();
        let speed = self
            .media_seconds
            .filter(|_| wall > 0.0)
            .map(|s| s / wall.max(1e-3));
        sink(&ProgressUpdate {
            unit: self.unit,
            done: self.done,
            total: self.total,
            media_seconds: self.media_seconds,
            media_total_seconds: self.media_total_seconds,
            speed,
            finished,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn recorder() -> (ProgressSink, Arc<Mutex<Vec<ProgressUpdate>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let sink: ProgressSink = Arc::new(move |u: &ProgressUpdate| {
            s.lock().unwrap().push(u.clone());
        });
        (sink, seen)
    }

    #[test]
    fn updates_are_throttled_monotone_and_end_at_the_total() {
        let (sink, seen) = recorder();
        let mut p = Progress::start(Some(&sink), ProgressUnit::Pages, Some(1000), None);
        for i in 0..1000 {
            p.set(i, None);
        }
        p.set(3, None); // a smaller count is ignored
        p.finish();
        let seen = seen.lock().unwrap();
        // A tight loop takes far less than a tenth of a second: the first
        // and the last update only.
        assert!(seen.len() <= 3, "{} updates", seen.len());
        assert_eq!(seen.first().unwrap().done, 0);
        let last = seen.last().unwrap();
        assert!(last.finished);
        assert_eq!((last.done, last.total), (1000, Some(1000)));
        assert!(seen.windows(2).all(|w| w[0].done <= w[1].done));
    }

    #[test]
    fn a_slow_labelling_gets_updates_with_media_time_and_speed() {
        let (sink, seen) = recorder();
        let mut p = Progress::start(Some(&sink), ProgressUnit::Frames, Some(3), Some(3.0));
        for i in 1..=3 {
            std::thread::sleep(EVERY + Duration::from_millis(5));
            p.set(i, Some(i as f64));
        }
        p.finish();
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 5, "{seen:?}");
        let mid = &seen[2];
        assert_eq!((mid.done, mid.media_seconds), (2, Some(2.0)));
        let speed = mid.speed.unwrap();
        assert!(speed > 5.0 && speed < 10.5, "speed {speed}");
    }

    #[test]
    fn a_million_reports_send_at_most_ten_updates_a_second() {
        let (sink, seen) = recorder();
        let started = Instant::now();
        let mut p = Progress::start(Some(&sink), ProgressUnit::Frames, Some(1_000_000), None);
        for i in 0..1_000_000 {
            p.set(i, Some(i as f64 / 25.0));
        }
        p.finish();
        let elapsed = started.elapsed().as_secs_f64();
        let sent = seen.lock().unwrap().len();
        assert!(
            sent as f64 <= elapsed * 10.0 + 2.0,
            "{sent} in {elapsed:.2} s"
        );
        // Per report: a clock read and two comparisons.
        assert!(elapsed < 1.0, "{elapsed:.2} s for a million reports");
        eprintln!(
            "a million reports: {:.0} ms, {sent} updates",
            elapsed * 1000.0
        );
    }

    #[test]
    fn an_unknown_total_becomes_what_was_done() {
        let (sink, seen) = recorder();
        let mut p = Progress::start(Some(&sink), ProgressUnit::Millis, None, None);
        p.set(4200, None);
        p.finish();
        let last = seen.lock().unwrap().last().cloned().unwrap();
        assert_eq!((last.done, last.total), (4200, Some(4200)));
    }

    #[test]
    fn without_a_sink_nothing_is_computed() {
        let mut p = Progress::start(None, ProgressUnit::Pages, Some(2), None);
        assert!(!p.is_active());
        p.set(1, None);
        p.finish();
        assert_eq!(p.done, 0);
    }
}
