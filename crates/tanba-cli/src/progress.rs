//! What a bulk job shows while it runs. On a terminal: the batch bar and,
//! under it, one bar per long file in progress (video frames, audio time,
//! PDF pages, from the labelers' progress reports), with rates and ETA in
//! words. Elsewhere: one plain line per finished file, no escape codes.
//! `--quiet` shows failures only, `--verbose` adds each file's output,
//! timing and check. Colours follow `--color` and `NO_COLOR`.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tanba::{Job, ProgressUnit, ProgressUpdate};

use crate::report::{FileReport, Outcome};

/// When to colour the output, as ripgrep's `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set to anything but empty.
    #[default]
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour what goes to stderr.
    pub(crate) fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
                !no_color && std::io::stderr().is_terminal()
            }
        }
    }
}

/// How much to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verbosity {
    /// Failures only (`-q`).
    Quiet,
    /// A line per file (or the bars on a terminal).
    Normal,
    /// And each file's output, timing and check (`-v`).
    Verbose,
}

impl Verbosity {
    /// From `-q` and `-v` (which clap keeps apart).
    pub(crate) fn of(quiet: bool, verbose: bool) -> Self {
        match (quiet, verbose) {
            (true, _) => Verbosity::Quiet,
            (false, true) => Verbosity::Verbose,
            (false, false) => Verbosity::Normal,
        }
    }
}

/// A file bar appears only for a file still running after this long, so
/// short files do not flicker bars.
const LONG_FILE: Duration = Duration::from_millis(300);

/// The display of one bulk job.
#[derive(Debug)]
pub(crate) struct Display {
    verbosity: Verbosity,
    color: bool,
    /// The bars, on a terminal (and not quiet).
    bars: Option<(MultiProgress, ProgressBar)>,
}

impl Display {
    /// A display for `files` files.
    pub(crate) fn new(files: usize, verbosity: Verbosity, color: ColorChoice) -> Self {
        let tty = std::io::stderr().is_terminal();
        let bars = (tty && verbosity != Verbosity::Quiet).then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let bar = multi.add(ProgressBar::new(files as u64));
            let style =
                ProgressStyle::with_template("{bar:30} {pos}/{len} files  {rate}  ETA {eta_words}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = w.write_str(&rate(s.per_sec(), "files"));
                    })
                    .with_key(
                        "eta_words",
                        |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                            let _ = w.write_str(&duration_words(s.eta()));
                        },
                    );
            bar.set_style(style);
            // Drawn now, not at the first file's end.
            bar.tick();
            (multi, bar)
        });
        Display {
            verbosity,
            color: color.enabled(),
            bars,
        }
    }

    /// The job for one file: with a progress sink that draws the file's
    /// own bar when there are bars, else the job as it is.
    pub(crate) fn job_for(&self, job: &Job, name: &str) -> Option<Job> {
        let (multi, _) = self.bars.as_ref()?;
        let file = FileBar {
            multi: multi.clone(),
            name: name.to_string(),
            started: Instant::now(),
            bar: Mutex::new(None),
        };
        let file = Arc::new(file);
        Some(
            job.clone()
                .with_progress(Arc::new(move |u: &ProgressUpdate| file.update(u))),
        )
    }

    /// One file is done.
    pub(crate) fn finished(&self, r: &FileReport) {
        let failed = r.outcome == Outcome::Failed;
        let say = match self.verbosity {
            Verbosity::Quiet => failed,
            // On a terminal the bar counts the files; failures still get a line.
            Verbosity::Normal => failed || self.bars.is_none(),
            Verbosity::Verbose => true,
        };
        if say {
            let mut text = describe(r, self.color);
            if self.verbosity == Verbosity::Verbose {
                text.push_str(&details(r));
            }
            self.print(&text);
        }
        if let Some((_, batch)) = &self.bars {
            batch.inc(1);
        }
    }

    /// A file refused before work started (skipped or failed).
    pub(crate) fn refused(&self, r: &FileReport) {
        if self.verbosity != Verbosity::Quiet || r.outcome == Outcome::Failed {
            self.print(&describe(r, self.color));
        }
    }

    fn print(&self, text: &str) {
        match &self.bars {
            Some((multi, _)) => {
                let _ = multi.println(text);
            }
            None => errln!("{text}"),
        }
    }

    /// Takes the bars away before the summary.
    pub(crate) fn finish(&self) {
        if let Some((multi, batch)) = &self.bars {
            batch.finish_and_clear();
            let _ = multi.clear();
        }
    }

    /// The summary line (bold on a colour terminal); nothing when quiet.
    pub(crate) fn summary(&self, text: &str) {
        if self.verbosity != Verbosity::Quiet {
            errln!("{}", paint(text, anstyle::Style::new().bold(), self.color));
        }
    }
}

/// The bar of one long file, made on its first report after [`LONG_FILE`].
struct FileBar {
    multi: MultiProgress,
    name: String,
    started: Instant,
    bar: Mutex<Option<ProgressBar>>,
}

impl FileBar {
    fn update(&self, u: &ProgressUpdate) {
        let mut bar = self.bar.lock().unwrap_or_else(PoisonError::into_inner);
        if u.finished {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
                self.multi.remove(&b);
            }
            return;
        }
        if bar.is_none() && self.started.elapsed() >= LONG_FILE {
            let b = self.multi.add(ProgressBar::new(u.total.unwrap_or(0)));
            let style = ProgressStyle::with_template("  {bar:20} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            b.set_style(style);
            *bar = Some(b);
        }
        if let Some(b) = bar.as_ref() {
            if let Some(total) = u.total {
                b.set_length(total);
            }
            b.set_position(u.done);
            b.set_message(format!("{}  {}", file_progress(u), self.name));
        }
    }
}

/// What one file's bar says: `frame 1234/18000  0:41/10:00  1.9x`,
/// `audio 0:41/10:00  12x`, `page 3/120`.
pub(crate) fn file_progress(u: &ProgressUpdate) -> String {
    let count = |what: &str| match u.total {
        Some(total) => format!("{what} {}/{total}", u.done),
        None => format!("{what} {}", u.done),
    };
    let mut line = match u.unit {
        ProgressUnit::Frames => count("frame"),
        ProgressUnit::Pages => count("page"),
        _ => "audio".to_string(),
    };
    if let Some(at) = u.media_seconds {
        let _ = write!(line, "  {}", clock(at));
        if let Some(total) = u.media_total_seconds {
            let _ = write!(line, "/{}", clock(total));
        }
    }
    if let Some(speed) = u.speed {
        let _ = write!(line, "  {}", speed_words(speed));
    }
    line
}

/// Media time as a clock: `0:41`, `10:00`, `1:02:03`.
pub(crate) fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).floor() as u64;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A speed: `1.9x`, `12x`, `0.5x`.
pub(crate) fn speed_words(speed: f64) -> String {
    if speed >= 10.0 {
        format!("{speed:.0}x")
    } else {
        format!("{speed:.1}x")
    }
}

/// A rate in words: `1.6k files/s`, `12 files/s`, `2.5 files/s`.
pub(crate) fn rate(per_sec: f64, unit: &str) -> String {
    let per_sec = if per_sec.is_finite() {
        per_sec.max(0.0)
    } else {
        0.0
    };
    let number = if per_sec >= 999_500.0 {
        format!("{:.1}M", per_sec / 1e6)
    } else if per_sec >= 999.5 {
        format!("{:.1}k", per_sec / 1e3)
    } else if per_sec >= 10.0 {
        format!("{per_sec:.0}")
    } else {
        format!("{per_sec:.1}")
    };
    format!("{number} {unit}/s")
}

/// A duration in words: `45s`, `1m 20s`, `2h 05m`.
pub(crate) fn duration_words(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s / 60 % 60),
    }
}

/// `text` in `style` when `color`, else as it is.
fn paint(text: &str, style: anstyle::Style, color: bool) -> String {
    if color {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_string()
    }
}

/// One line for a person: what happened (coloured when `color`), the
/// input, its format and why.
pub(crate) fn describe(r: &FileReport, color: bool) -> String {
    use anstyle::{AnsiColor, Style};
    let (what, style) = match r.outcome {
        Outcome::Labelled => (
            "labelled",
            Style::new().fg_color(Some(AnsiColor::Green.into())),
        ),
        Outcome::AlreadyLabelled => (
            "already labelled",
            Style::new().fg_color(Some(AnsiColor::Green.into())),
        ),
        Outcome::Skipped => (
            "skipped",
            Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        ),
        Outcome::Failed => (
            "FAILED",
            Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
        ),
    };
    let mut line = paint(&format!("{what:>16}"), style, color);
    let _ = write!(line, "  {}", r.input);
    if let Some(f) = &r.format {
        let _ = write!(line, "  [{f}]");
    }
    if let Some(reason) = &r.reason {
        let _ = write!(line, "  {reason}");
    }
    line
}

/// `--verbose`'s second line: where the output went, how big, how long,
/// and the check every output passes before it counts.
fn details(r: &FileReport) -> String {
    let mut line = String::new();
    if let Some(out) = &r.output {
        let _ = write!(line, "\n{:>16}  -> {out}", "");
    } else {
        let _ = write!(line, "\n{:>16} ", "");
    }
    if let (Some(i), Some(o)) = (r.input_bytes, r.output_bytes) {
        let _ = write!(line, "  {} -> {}", bytes_words(i), bytes_words(o));
    }
    let _ = write!(
        line,
        "  in {}",
        duration_millis(Duration::from_secs_f64(r.millis.max(0.0) / 1000.0))
    );
    if r.outcome == Outcome::Labelled {
        line.push_str("  verified: machine-readable mark and perceptible label read back");
    }
    if let Some(c2pa) = &r.c2pa {
        let _ = write!(line, "  C2PA {c2pa}");
    }
    line
}

/// A short duration: `850 ms`, `4.2 s`, or in words beyond a minute.
fn duration_millis(d: Duration) -> String {
    match d.as_millis() {
        0..1000 => format!("{} ms", d.as_millis()),
        1000..60_000 => format!("{:.1} s", d.as_secs_f64()),
        _ => duration_words(d),
    }
}

/// A size in words: `812 B`, `3.4 kB`, `12.0 MB`.
fn bytes_words(n: u64) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{:.1} GB", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1} MB", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.1} kB", n / 1e3)
    } else {
        format!("{n} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_in_words() {
        assert_eq!(rate(1613.8708, "files"), "1.6k files/s");
        assert_eq!(rate(12.3, "files"), "12 files/s");
        assert_eq!(rate(2.54, "files"), "2.5 files/s");
        assert_eq!(rate(0.0, "files"), "0.0 files/s");
        assert_eq!(rate(f64::INFINITY, "files"), "0.0 files/s");
        assert_eq!(rate(2_500_000.0, "files"), "2.5M files/s");
        assert_eq!(rate(999.7, "files"), "1.0k files/s");
    }

    #[test]
    fn durations_and_clocks_are_in_words() {
        assert_eq!(duration_words(Duration::from_secs(80)), "1m 20s");
        assert_eq!(duration_words(Duration::from_secs(7)), "7s");
        assert_eq!(duration_words(Duration::from_secs(7500)), "2h 05m");
        assert_eq!(clock(41.9), "0:41");
        assert_eq!(clock(600.0), "10:00");
        assert_eq!(clock(3723.0), "1:02:03");
        assert_eq!(speed_words(1.94), "1.9x");
        assert_eq!(speed_words(12.4), "12x");
        assert_eq!(bytes_words(3400), "3.4 kB");
        assert_eq!(duration_millis(Duration::from_millis(850)), "850 ms");
    }

    #[test]
    fn a_file_bar_says_frames_time_and_speed() {
        let mut u = ProgressUpdate::new(ProgressUnit::Frames, 1234, Some(18000));
        u.media_seconds = Some(41.2);
        u.media_total_seconds = Some(600.0);
        u.speed = Some(1.93);
        assert_eq!(file_progress(&u), "frame 1234/18000  0:41/10:00  1.9x");
        u.unit = ProgressUnit::Pages;
        (u.done, u.total, u.media_seconds, u.speed) = (3, Some(120), None, None);
        assert_eq!(file_progress(&u), "page 3/120");
    }

    #[test]
    fn a_line_is_coloured_only_when_asked() {
        let r = FileReport {
            input: "a.png".into(),
            output: None,
            outcome: Outcome::Failed,
            format: None,
            reason: Some("bad".into()),
            input_bytes: None,
            output_bytes: None,
            millis: 0.0,
            input_sha256: None,
            output_sha256: None,
            c2pa: None,
            manifest_sidecar: None,
        };
        assert_eq!(describe(&r, false), "          FAILED  a.png  bad");
        assert!(describe(&r, true).contains("\x1b["));
    }
}
