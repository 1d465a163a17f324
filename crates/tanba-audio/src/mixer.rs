//! The streaming mixer: programme frames in, programme-plus-disclaimer out.
//!
//! It holds only the (short) disclaimer clip, never the programme, so the
//! video crate can push a soundtrack of any length through it.

use std::fmt;
use std::str::FromStr;

use tanba_core::{Error, Label, Result};

use crate::disclaimer::Disclaimer;

/// Length of the gain ramp into and out of ducking, ms.
pub const DUCK_RAMP_MS: u32 = 150;
/// How far the programme is lowered under an overlaid disclaimer, dB.
pub const DEFAULT_DUCK_DB: f32 = -12.0;
/// Silence between the disclaimer and the programme in prepend and append modes, ms.
pub const DEFAULT_GAP_MS: u32 = 500;

/// Where the disclaimer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Before the programme (the output is longer by the clip and a gap).
    #[default]
    Prepend,
    /// Over the start of the programme, which is ducked under it.
    Overlay,
    /// After the programme.
    Append,
    /// Before the programme and again after it: the deepfake disclaimer
    /// (`--real-person`) is heard at the start and at the end.
    StartAndEnd,
    /// Over the programme at 0 and every `every_seconds`, ducked each time.
    Repeat {
        /// The interval, in seconds.
        every_seconds: u32,
    },
}

impl Mode {
    /// The name recorded as the manifest's placement position:
    /// `prepend`, `overlay`, `append`, `repeat-every-300s`.
    pub fn name(self) -> String {
        match self {
            Mode::Prepend => "prepend".into(),
            Mode::Overlay => "overlay".into(),
            Mode::Append => "append".into(),
            Mode::StartAndEnd => "start-and-end".into(),
            Mode::Repeat { every_seconds } => format!("repeat-every-{every_seconds}s"),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for Mode {
    type Err = Error;
    /// `prepend`, `overlay`, `append`, or `repeat:N` (N minutes), `repeat:Ns`,
    /// `repeat:Nm`, and the manifest form `repeat-every-Ns`.
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim().to_ascii_lowercase();
        let bad = || {
            Error::config(format!(
                "unknown audio mode {s:?} (use prepend, overlay, append, start-and-end or \
                 repeat:MINUTES)"
            ))
        };
        match s.as_str() {
            "prepend" => return Ok(Mode::Prepend),
            "overlay" => return Ok(Mode::Overlay),
            "append" => return Ok(Mode::Append),
            "start-and-end" => return Ok(Mode::StartAndEnd),
            _ => {}
        }
        let every = s
            .strip_prefix("repeat-every-")
            .or_else(|| s.strip_prefix("repeat:"))
            .or_else(|| s.strip_prefix("repeat="))
            .ok_or_else(bad)?;
        let seconds = if let Some(sec) = every.strip_suffix('s') {
            sec.parse::<u32>().map_err(|_| bad())?
        } else {
            let min = every.strip_suffix('m').unwrap_or(every);
            min.parse::<u32>()
                .map_err(|_| bad())?
                .checked_mul(60)
                .ok_or_else(bad)?
        };
        if seconds == 0 {
            return Err(Error::config("the repeat interval must be at least 1 s"));
        }
        Ok(Mode::Repeat {
            every_seconds: seconds,
        })
    }
}

/// A span of the output, in frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First frame of the disclaimer.
    pub start: u64,
    /// Its length in frames.
    pub frames: u64,
}

/// Mixes a disclaimer into a stream of interleaved f32 frames.
///
/// Feed the programme with [`DisclaimerMixer::process`] in chunks of whole
/// frames, then call [`DisclaimerMixer::finish`] once (append mode writes the
/// clip there; overlay pads with silence if the programme ended under the
/// clip). The mixer never holds more than the clip.
///
/// ```
/// # use tanba_audio::{DisclaimerMixer, Disclaimer, Mode, ToneSettings};
/// # use tanba_core::Label;
/// let tone = Disclaimer::Tone(ToneSettings::default());
/// let mut mixer = DisclaimerMixer::new(&tone, &Label::default(), Mode::Prepend, 8000, 2, 0.5)?;
/// let mut out = Vec::new();
/// mixer.process(&[0.0; 2 * 100], &mut out);
/// mixer.finish(&mut out);
/// assert_eq!(mixer.spans()[0].start, 0);
/// # Ok::<(), tanba_core::Error>(())
/// ```
#[derive(Clone)]
pub struct DisclaimerMixer {
    clip: Vec<f32>,
    gain: f32,
    mode: Mode,
    channels: usize,
    /// Which output channels carry the clip (every one but LFE).
    carries: Vec<bool>,
    gap_frames: u64,
    ramp_frames: u64,
    duck_gain: f32,
    interval_frames: u64,
    programme_frames: Option<u64>,
    consumed: u64,
    head_done: bool,
    finished: bool,
    spans: Vec<Span>,
}

impl fmt::Debug for DisclaimerMixer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DisclaimerMixer")
            .field("clip_frames", &self.clip.len())
            .field("mode", &self.mode)
            .field("channels", &self.channels)
            .field("spans", &self.spans)
            .finish()
    }
}

impl DisclaimerMixer {
    /// Renders `disclaimer` at `sample_rate` (resampled with rubato) and
    /// builds a mixer for `channels`-channel programme audio. `gain` is the
    /// linear gain applied to the peak-normalised clip (see
    /// [`crate::loudness::matching_gain`]).
    pub fn new(
        disclaimer: &Disclaimer,
        label: &Label,
        mode: Mode,
        sample_rate: u32,
        channels: usize,
        gain: f32,
    ) -> Result<Self> {
        let clip = disclaimer.render(label, sample_rate)?;
        Self::from_clip(clip, mode, sample_rate, channels, gain)
    }

    /// A mixer for an already rendered mono clip at the programme's rate.
    pub fn from_clip(
        clip: Vec<f32>,
        mode: Mode,
        sample_rate: u32,
        channels: usize,
        gain: f32,
    ) -> Result<Self> {
        if channels == 0 || sample_rate == 0 {
            return Err(Error::malformed(
                "audio with no channels or a sample rate of 0",
            ));
        }
        if clip.is_empty() {
            return Err(Error::config("the disclaimer is empty"));
        }
        let ms = |ms: u32| u64::from(ms) * u64::from(sample_rate) / 1000;
        let ramp_frames = ms(DUCK_RAMP_MS).max(1);
        let interval_frames = match mode {
            Mode::Repeat { every_seconds } => {
                let interval = u64::from(every_seconds) * u64::from(sample_rate);
                if interval < clip.len() as u64 + 2 * ramp_frames + ms(DEFAULT_GAP_MS) {
                    return Err(Error::config(format!(
                        "the repeat interval ({every_seconds} s) is shorter than the disclaimer ({:.1} s)",
                        clip.len() as f64 / f64::from(sample_rate)
                    )));
                }
                interval
            }
            _ => u64::MAX,
        };
        Ok(DisclaimerMixer {
            clip,
            gain,
            mode,
            channels,
            carries: vec![true; channels],
            gap_frames: ms(DEFAULT_GAP_MS),
            ramp_frames,
            duck_gain: db_to_gain(DEFAULT_DUCK_DB),
            interval_frames,
            programme_frames: None,
            consumed: 0,
            head_done: false,
            finished: false,
            spans: Vec::new(),
        })
    }

    /// Keeps the clip off the LFE channel at `index`.
    #[must_use]
    pub fn with_lfe(mut self, index: Option<usize>) -> Self {
        if let Some(slot) = index.and_then(|i| self.carries.get_mut(i)) {
            *slot = false;
        }
        if !self.carries.iter().any(|c| *c) {
            self.carries.iter_mut().for_each(|c| *c = true);
        }
        self
    }

    /// Sets how far the programme is lowered under the clip (overlay, repeat).
    #[must_use]
    pub fn with_ducking_db(mut self, db: f32) -> Self {
        self.duck_gain = db_to_gain(db.min(0.0));
        self
    }

    /// Sets the silence between clip and programme (prepend, append), ms.
    #[must_use]
    pub fn with_gap_ms(mut self, ms: u32, sample_rate: u32) -> Self {
        self.gap_frames = u64::from(ms) * u64::from(sample_rate) / 1000;
        self
    }

    /// Tells the mixer the programme's length, so repeat mode places a
    /// repetition only where the whole clip fits.
    #[must_use]
    pub fn with_programme_frames(mut self, frames: u64) -> Self {
        self.programme_frames = Some(frames);
        self
    }

    /// Changes the clip's linear gain; takes effect for frames mixed after
    /// the call (a single-pass writer sets it once the loudness is known).
    pub fn set_gain(&mut self, gain: f32) {
        self.gain = gain;
    }

    /// The clip's linear gain.
    pub fn gain(&self) -> f32 {
        self.gain
    }

    /// Frames the mixer adds before the programme (prepend) or holds
    /// ducked at its start (overlay, first occurrence).
    pub fn head_frames(&self) -> u64 {
        match self.mode {
            Mode::Prepend | Mode::StartAndEnd => self.clip_frames() + self.gap_frames,
            Mode::Overlay | Mode::Repeat { .. } => 2 * self.ramp_frames + self.clip_frames(),
            Mode::Append => 0,
        }
    }

    /// [`DisclaimerMixer::with_programme_frames`] for a mixer already built.
    pub fn set_programme_frames(&mut self, frames: u64) {
        self.programme_frames = Some(frames);
    }

    /// The linear gain the programme gets under the clip.
    pub fn duck_gain(&self) -> f32 {
        self.duck_gain
    }

    /// Length of the clip in frames.
    pub fn clip_frames(&self) -> u64 {
        self.clip.len() as u64
    }

    /// Where the disclaimer was placed, in output frames (complete after `finish`).
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// Where the disclaimer will go for a programme of `programme_frames`,
    /// computed before mixing (the manifest is written from this).
    pub fn plan(&self, programme_frames: u64) -> Vec<Span> {
        let clip = self.clip_frames();
        match self.mode {
            Mode::Prepend => vec![Span {
                start: 0,
                frames: clip,
            }],
            Mode::Append => vec![Span {
                start: programme_frames + self.gap_frames,
                frames: clip,
            }],
            Mode::StartAndEnd => vec![
                Span {
                    start: 0,
                    frames: clip,
                },
                Span {
                    start: clip + 2 * self.gap_frames + programme_frames,
                    frames: clip,
                },
            ],
            Mode::Overlay => vec![Span {
                start: self.ramp_frames,
                frames: clip,
            }],
            Mode::Repeat { .. } => {
                let mut spans = vec![Span {
                    start: self.ramp_frames,
                    frames: clip,
                }];
                let mut k = 1u64;
                while let Some(start) = k.checked_mul(self.interval_frames) {
                    if start + 2 * self.ramp_frames + clip > programme_frames {
                        break;
                    }
                    spans.push(Span {
                        start: start + self.ramp_frames,
                        frames: clip,
                    });
                    k += 1;
                }
                spans
            }
        }
    }

    fn emit_clip(&self, out: &mut Vec<f32>) {
        out.reserve(self.clip.len() * self.channels);
        for &c in &self.clip {
            for &carry in &self.carries {
                out.push(if carry { c * self.gain } else { 0.0 });
            }
        }
    }

    fn emit_silence(&self, frames: u64, out: &mut Vec<f32>) {
        out.resize(out.len() + frames as usize * self.channels, 0.0);
    }

    /// True when occurrence `k` of an overlay is mixed in.
    fn occurrence_active(&self, k: u64) -> bool {
        if k == 0 {
            return true;
        }
        let start = k.saturating_mul(self.interval_frames);
        match self.programme_frames {
            Some(total) => start + 2 * self.ramp_frames + self.clip_frames() <= total,
            None => true,
        }
    }

    /// Mixes one chunk of interleaved programme frames into `out`.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        if self.finished {
            return;
        }
        let frames = (input.len() / self.channels) as u64;
        let input = &input[..frames as usize * self.channels];
        match self.mode {
            Mode::Prepend | Mode::StartAndEnd => {
                if !self.head_done {
                    self.head_done = true;
                    self.emit_clip(out);
                    self.emit_silence(self.gap_frames, out);
                    self.spans.push(Span {
                        start: 0,
                        frames: self.clip_frames(),
                    });
                }
                out.extend_from_slice(input);
            }
            Mode::Append => out.extend_from_slice(input),
            Mode::Overlay | Mode::Repeat { .. } => self.overlay(input, out),
        }
        self.consumed += frames;
    }

    /// Counts `frames` of programme written to the output without passing
    /// through [`DisclaimerMixer::process`] (the one-pass WAV writer
    /// copies the programme itself), so the closing clip's span is right.
    pub(crate) fn passed_through(&mut self, frames: u64) {
        self.consumed += frames;
    }

    /// Overlay with ducking, frame by frame inside an occurrence and in bulk outside.
    fn overlay(&mut self, input: &[f32], out: &mut Vec<f32>) {
        let ch = self.channels;
        let clip_len = self.clip_frames();
        let window = 2 * self.ramp_frames + clip_len;
        let r = self.ramp_frames;
        out.reserve(input.len());
        let mut i = 0usize;
        let frames = input.len() / ch;
        while i < frames {
            let p = self.consumed + i as u64;
            let (k, o) = if self.interval_frames == u64::MAX {
                (0, p)
            } else {
                (p / self.interval_frames, p % self.interval_frames)
            };
            if o >= window || !self.occurrence_active(k) {
                // Untouched until the next occurrence starts (or the end).
                let until_next = if self.interval_frames == u64::MAX {
                    u64::MAX
                } else {
                    self.interval_frames - o
                };
                let n = until_next.min((frames - i) as u64) as usize;
                out.extend_from_slice(&input[i * ch..(i + n) * ch]);
                i += n;
                continue;
            }
            if o == r {
                self.spans.push(Span {
                    start: p,
                    frames: clip_len,
                });
            }
            let (gain, clip) = if o < r {
                (1.0 + (self.duck_gain - 1.0) * (o as f32 / r as f32), 0.0)
            } else if o < r + clip_len {
                (self.duck_gain, self.clip[(o - r) as usize] * self.gain)
            } else {
                let t = (o - r - clip_len) as f32 / r as f32;
                (self.duck_gain + (1.0 - self.duck_gain) * t, 0.0)
            };
            let frame = &input[i * ch..(i + 1) * ch];
            for (s, &carry) in frame.iter().zip(&self.carries) {
                out.push(s * gain + if carry { clip } else { 0.0 });
            }
            i += 1;
        }
    }

    /// Ends the stream: writes the appended clip, or completes a clip the
    /// programme ended under (padding with silence).
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        if self.finished {
            return;
        }
        match self.mode {
            Mode::Prepend => {
                if !self.head_done {
                    self.process(&[], out);
                }
            }
            Mode::Append => {
                self.emit_silence(self.gap_frames, out);
                self.spans.push(Span {
                    start: self.consumed + self.gap_frames,
                    frames: self.clip_frames(),
                });
                self.emit_clip(out);
            }
            Mode::StartAndEnd => {
                if !self.head_done {
                    self.process(&[], out);
                }
                self.emit_silence(self.gap_frames, out);
                self.spans.push(Span {
                    start: self.head_frames() + self.consumed + self.gap_frames,
                    frames: self.clip_frames(),
                });
                self.emit_clip(out);
            }
            Mode::Overlay | Mode::Repeat { .. } => {
                let p = self.consumed;
                let (k, o) = if self.interval_frames == u64::MAX {
                    (0, p)
                } else {
                    (p / self.interval_frames, p % self.interval_frames)
                };
                let clip_end = self.ramp_frames + self.clip_frames();
                if o < clip_end && self.occurrence_active(k) {
                    // The programme ended under the clip: finish it over silence.
                    let pad = vec![0.0f32; (clip_end - o) as usize * self.channels];
                    self.overlay(&pad, out);
                    self.consumed += clip_end - o;
                }
            }
        }
        self.finished = true;
    }
}

/// dB to a linear gain.
pub fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

impl DisclaimerMixer {
    /// Where the disclaimer goes.
    pub(crate) fn mode(&self) -> Mode {
        self.mode
    }

    /// The first disclaimer span, after checking the mixer put every span
    /// where the plan (and so the manifest) says.
    pub(crate) fn checked_first_span(&self, programme_frames: u64) -> Result<Span> {
        let plan = self.plan(programme_frames);
        if self.spans() != plan.as_slice() {
            return Err(Error::cannot_label(
                "the disclaimer was not placed where planned",
            ));
        }
        Ok(plan.first().copied().unwrap_or(Span {
            start: 0,
            frames: 0,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mixer(mode: Mode, clip: usize) -> DisclaimerMixer {
        DisclaimerMixer::from_clip(vec![0.5; clip], mode, 1000, 2, 1.0).unwrap()
    }

    fn run(m: &mut DisclaimerMixer, programme: &[f32], chunk: usize) -> Vec<f32> {
        let mut out = Vec::new();
        for c in programme.chunks(chunk * 2) {
            m.process(c, &mut out);
        }
        m.finish(&mut out);
        out
    }

    #[test]
    fn start_and_end_puts_the_clip_before_and_after_the_programme() {
        let mut m = mixer(Mode::StartAndEnd, 100);
        let programme: Vec<f32> = (0..2000).map(|i| (i as f32 * 0.001).sin()).collect();
        let out = run(&mut m, &programme, 37);
        let (head, tail) = ((100 + 500) * 2, (500 + 100) * 2);
        assert_eq!(out.len(), head + programme.len() + tail);
        assert_eq!(&out[head..head + programme.len()], &programme[..]);
        assert!(out[..200].iter().all(|s| *s == 0.5));
        assert!(out[out.len() - 200..].iter().all(|s| *s == 0.5));
        assert_eq!(m.plan(1000), m.spans());
        assert_eq!(m.spans()[1].start + 100, (out.len() / 2) as u64);
        assert_eq!(
            "start-and-end".parse::<Mode>().ok(),
            Some(Mode::StartAndEnd)
        );
    }

    #[test]
    fn prepend_then_programme_unchanged() {
        let mut m = mixer(Mode::Prepend, 100);
        let programme: Vec<f32> = (0..2000).map(|i| (i as f32 * 0.001).sin()).collect();
        let out = run(&mut m, &programme, 37);
        let head = (100 + 500) * 2;
        assert_eq!(out.len(), head + programme.len());
        assert_eq!(&out[head..], &programme[..]);
        assert!(out[..200].iter().all(|s| *s == 0.5));
        assert_eq!(
            m.spans(),
            &[Span {
                start: 0,
                frames: 100
            }]
        );
        assert_eq!(m.plan(1000), m.spans());
    }

    #[test]
    fn append_after_programme() {
        let mut m = mixer(Mode::Append, 100);
        let out = run(&mut m, &[0.25; 2000], 64);
        assert_eq!(out.len(), 2000 + (500 + 100) * 2);
        assert_eq!(
            m.spans(),
            &[Span {
                start: 1500,
                frames: 100
            }]
        );
        assert_eq!(m.plan(1000), m.spans());
        assert!(out[3000..].iter().all(|s| *s == 0.5));
    }

    #[test]
    fn overlay_ducks_and_keeps_length() {
        let mut m = mixer(Mode::Overlay, 100);
        let out = run(&mut m, &[0.4; 2000], 33);
        assert_eq!(out.len(), 2000);
        let r = 150usize;
        assert_eq!(
            m.spans(),
            &[Span {
                start: r as u64,
                frames: 100
            }]
        );
        let duck = m.duck_gain();
        assert!((out[(r + 10) * 2] - (0.4 * duck + 0.5)).abs() < 1e-6);
        assert_eq!(out[0], 0.4);
        assert_eq!(out[(2 * r + 100) * 2], 0.4);
    }

    #[test]
    fn overlay_pads_a_short_programme() {
        let mut m = mixer(Mode::Overlay, 100);
        let out = run(&mut m, &[0.0; 20], 10);
        assert_eq!(out.len(), (150 + 100) * 2);
        assert_eq!(m.spans().len(), 1);
    }

    #[test]
    fn repeat_places_only_whole_clips() {
        let every = Mode::Repeat { every_seconds: 2 };
        let programme = vec![0.0f32; 2 * 6300];
        let mut m = mixer(every, 100).with_programme_frames(6300);
        run(&mut m, &programme, 512);
        // Occurrences at 0, 2000, 4000; 6000 + 400 > 6300 does not fit.
        let starts: Vec<u64> = m.spans().iter().map(|s| s.start).collect();
        assert_eq!(starts, vec![150, 2150, 4150]);
        assert_eq!(m.plan(6300), m.spans());
        assert!(DisclaimerMixer::from_clip(vec![0.1; 3000], every, 1000, 1, 1.0).is_err());
    }

    #[test]
    fn lfe_gets_no_clip() {
        let m = DisclaimerMixer::from_clip(vec![0.5; 10], Mode::Prepend, 1000, 6, 1.0)
            .unwrap()
            .with_lfe(Some(3));
        let mut out = Vec::new();
        let mut m = m;
        m.finish(&mut out);
        assert_eq!(&out[..6], &[0.5, 0.5, 0.5, 0.0, 0.5, 0.5]);
    }

    #[test]
    fn modes_parse() {
        assert_eq!(
            "repeat:5".parse::<Mode>().unwrap(),
            Mode::Repeat { every_seconds: 300 }
        );
        assert_eq!(
            "repeat-every-30s".parse::<Mode>().unwrap(),
            Mode::Repeat { every_seconds: 30 }
        );
        assert_eq!(
            Mode::Repeat { every_seconds: 30 }
                .name()
                .parse::<Mode>()
                .unwrap()
                .name(),
            "repeat-every-30s"
        );
        assert!("sideways".parse::<Mode>().is_err());
    }
}
