//! The audible disclaimer: bundled spoken clips, a user's clip, or the
//! Morse "AI" tone, rendered as mono f32 at the programme's rate.

use std::sync::Arc;

use rubato::{FftFixedIn, Resampler};
use tanba_core::{Error, Job, Label, LabelLine, Lang, Result};

use crate::decode::decode_clip;

/// The bundled Kazakh clip (espeak-ng, 16 kHz mono 16-bit WAV).
pub const CLIP_KK: &[u8] = include_bytes!("../assets/kk.wav");
/// The bundled Russian clip.
pub const CLIP_RU: &[u8] = include_bytes!("../assets/ru.wav");
/// The bundled English clip.
pub const CLIP_EN: &[u8] = include_bytes!("../assets/en.wav");
/// The bundled Kazakh deepfake clip (`--real-person`).
pub const CLIP_KK_REAL_PERSON: &[u8] = include_bytes!("../assets/kk-real-person.wav");
/// The bundled Russian deepfake clip.
pub const CLIP_RU_REAL_PERSON: &[u8] = include_bytes!("../assets/ru-real-person.wav");
/// The bundled English deepfake clip.
pub const CLIP_EN_REAL_PERSON: &[u8] = include_bytes!("../assets/en-real-person.wav");

/// The bundled clip of `lang`: the default sentence, or the deepfake one.
fn bundled_clip(lang: Lang, real_person: bool) -> &'static [u8] {
    match (lang, real_person) {
        (Lang::Kk | Lang::KkLatn, false) => CLIP_KK,
        (Lang::Ru, false) => CLIP_RU,
        (Lang::En, false) => CLIP_EN,
        (Lang::Kk | Lang::KkLatn, true) => CLIP_KK_REAL_PERSON,
        (Lang::Ru, true) => CLIP_RU_REAL_PERSON,
        (Lang::En, true) => CLIP_EN_REAL_PERSON,
    }
}

/// Silence between two spoken clips (Kazakh, then Russian).
pub const SPOKEN_PAUSE_MS: u32 = 400;
/// Fade at each edge of a clip, so it never starts or stops with a click.
const EDGE_FADE_MS: u32 = 5;
/// Longest clip a user may give.
pub const MAX_CLIP_SECONDS: u64 = 120;
/// The BCP 47 tag for "no linguistic content", used in the manifest for the tone.
pub const TONE_LANG: &str = "zxx";

/// The Morse "AI" tone (`.-  ..`: short-long, short-short) of GB 45438-2025.
///
/// The standard names no frequency; the defaults (800 Hz, 120 ms short,
/// 360 ms long) are those of a published implementation, with Morse's own
/// proportions for the gaps (one unit inside a letter, three between letters).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ToneSettings {
    /// Tone frequency in Hz (default 800).
    pub frequency_hz: f32,
    /// A short element ("dit"), ms (default 120).
    pub short_ms: u32,
    /// A long element ("dah"), ms (default 360).
    pub long_ms: u32,
    /// Silence between the elements of one letter, ms (default 120).
    pub gap_ms: u32,
    /// Silence between the two letters, ms (default 360).
    pub letter_gap_ms: u32,
}

impl Default for ToneSettings {
    fn default() -> Self {
        ToneSettings {
            frequency_hz: 800.0,
            short_ms: 120,
            long_ms: 360,
            gap_ms: 120,
            letter_gap_ms: 360,
        }
    }
}

impl ToneSettings {
    /// The description written into the manifest, and parsed back by verify.
    pub fn describe(&self) -> String {
        format!(
            "Morse AI tone (.- ..): {} Hz, short {} ms, long {} ms, gap {} ms, letter gap {} ms",
            self.frequency_hz, self.short_ms, self.long_ms, self.gap_ms, self.letter_gap_ms
        )
    }

    /// Parses [`ToneSettings::describe`]'s output.
    pub fn parse(description: &str) -> Option<Self> {
        let rest = description.strip_prefix("Morse AI tone (.- ..):")?;
        let numbers: Vec<f64> = rest
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|s| !s.is_empty() && *s != ".")
            .filter_map(|s| s.parse().ok())
            .collect();
        let [f, s, l, g, lg] = numbers.as_slice() else {
            return None;
        };
        let ms = |v: f64| u32::try_from(v.round() as i64).ok();
        Some(ToneSettings {
            frequency_hz: *f as f32,
            short_ms: ms(*s)?,
            long_ms: ms(*l)?,
            gap_ms: ms(*g)?,
            letter_gap_ms: ms(*lg)?,
        })
    }

    fn validate(&self, sample_rate: u32) -> Result<()> {
        let nyquist = sample_rate as f32 / 2.0;
        if !(self.frequency_hz.is_finite()
            && self.frequency_hz >= 20.0
            && self.frequency_hz < nyquist)
        {
            return Err(Error::config(format!(
                "tone frequency {} Hz must lie between 20 Hz and {nyquist} Hz",
                self.frequency_hz
            )));
        }
        if self.short_ms == 0 || self.long_ms <= self.short_ms || self.long_ms > 5000 {
            return Err(Error::config(
                "tone timings: short must be > 0 and long longer than short (at most 5000 ms)",
            ));
        }
        if self.gap_ms > 5000 || self.letter_gap_ms > 5000 {
            return Err(Error::config("tone gaps must be at most 5000 ms"));
        }
        Ok(())
    }

    /// Renders the tone as mono at `sample_rate`, peak 1.0.
    pub fn render(&self, sample_rate: u32) -> Result<Vec<f32>> {
        self.validate(sample_rate)?;
        let frames = |ms: u32| (u64::from(ms) * u64::from(sample_rate) / 1000) as usize;
        // short-long, letter gap, short-short.
        let pattern = [
            (true, self.short_ms),
            (false, self.gap_ms),
            (true, self.long_ms),
            (false, self.letter_gap_ms),
            (true, self.short_ms),
            (false, self.gap_ms),
            (true, self.short_ms),
        ];
        let mut out = Vec::with_capacity(pattern.iter().map(|(_, ms)| frames(*ms)).sum());
        let step = std::f64::consts::TAU * f64::from(self.frequency_hz) / f64::from(sample_rate);
        for (on, ms) in pattern {
            let n = frames(ms);
            if on {
                let mut element: Vec<f32> =
                    (0..n).map(|i| (step * i as f64).sin() as f32).collect();
                fade_edges(&mut element, sample_rate);
                out.extend_from_slice(&element);
            } else {
                out.resize(out.len() + n, 0.0);
            }
        }
        Ok(out)
    }
}

/// What the listener hears.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Disclaimer {
    /// The bundled spoken clips for the job label's languages, in its order
    /// (Kazakh then Russian by default). A language without a clip is
    /// refused ([`Disclaimer::check`]): never another language's clip.
    #[default]
    JobLanguages,
    /// The bundled spoken clips for these languages, in this order.
    Spoken(Vec<Lang>),
    /// The bundled deepfake clips (content imitating a real person) for
    /// these languages, in this order.
    SpokenRealPerson(Vec<Lang>),
    /// The user's own clip, the bytes of a file in any supported format.
    Clip(Arc<[u8]>),
    /// The Morse "AI" tone.
    Tone(ToneSettings),
}

impl Disclaimer {
    /// Refuses a job whose label has a language no bundled clip speaks,
    /// when the disclaimer is the label's languages spoken: playing the
    /// Kazakh clip for a French label would warn nobody who reads French.
    /// `kk-Latn` is spoken with the Kazakh clip (same language, same words).
    pub fn check(&self, label: &Label) -> Result<()> {
        if *self != Disclaimer::JobLanguages {
            return Ok(());
        }
        let unspoken: Vec<&str> = label
            .lines
            .iter()
            .filter(|l| l.lang.parse::<Lang>().is_err())
            .map(|l| l.lang.as_str())
            .collect();
        if unspoken.is_empty() {
            return Ok(());
        }
        let spoken: Vec<&str> = Lang::ALL.iter().map(|l| l.code()).collect();
        Err(Error::config(format!(
            "no spoken disclaimer for the label language {} (clips exist for {}); use the \
             tone (--audio-disclaimer tone) or a clip of your own (--audio-disclaimer FILE)",
            unspoken.join(", "),
            spoken.join(", ")
        )))
    }

    /// The disclaimer `job` hears: [`Disclaimer::JobLanguages`] becomes
    /// the deepfake sentences when the job is about a real person.
    pub fn for_job(&self, job: &Job) -> Disclaimer {
        match self.resolve(&job.label) {
            Disclaimer::Spoken(langs) if job.real_person && *self == Disclaimer::JobLanguages => {
                Disclaimer::SpokenRealPerson(langs)
            }
            _ => self.clone(),
        }
    }

    /// Replaces [`Disclaimer::JobLanguages`] with the concrete languages.
    pub fn resolve(&self, label: &Label) -> Disclaimer {
        match self {
            Disclaimer::JobLanguages => {
                let mut langs: Vec<Lang> = label
                    .lines
                    .iter()
                    .filter_map(|l| l.lang.parse::<Lang>().ok())
                    .collect();
                langs.dedup();
                if langs.is_empty() {
                    langs = vec![Lang::Kk, Lang::Ru];
                }
                Disclaimer::Spoken(langs)
            }
            other => other.clone(),
        }
    }

    /// The lines the manifest records for this disclaimer: the sentences
    /// spoken, or the tone's description. `None` for a user's clip, whose
    /// words only the user knows (the job's label is recorded instead).
    pub fn manifest_lines(&self, label: &Label) -> Option<Vec<LabelLine>> {
        match self.resolve(label) {
            Disclaimer::Spoken(langs) => Some(
                langs
                    .iter()
                    .map(|l| LabelLine {
                        lang: l.code().into(),
                        text: l.spoken_text().into(),
                    })
                    .collect(),
            ),
            Disclaimer::SpokenRealPerson(langs) => Some(
                langs
                    .iter()
                    .map(|l| LabelLine {
                        lang: l.code().into(),
                        text: l.real_person_spoken_text().into(),
                    })
                    .collect(),
            ),
            Disclaimer::Tone(t) => Some(vec![LabelLine {
                lang: TONE_LANG.into(),
                text: t.describe(),
            }]),
            Disclaimer::Clip(_) | Disclaimer::JobLanguages => None,
        }
    }

    /// Recognises the disclaimer a manifest's lines describe: bundled
    /// speech or the tone. `None` means a user's clip.
    pub fn from_manifest_lines(lines: &[LabelLine]) -> Option<Disclaimer> {
        if let [line] = lines
            && line.lang == TONE_LANG
        {
            return ToneSettings::parse(&line.text).map(Disclaimer::Tone);
        }
        let spoken = |real_person: bool| -> Option<Vec<Lang>> {
            let langs: Option<Vec<Lang>> = lines
                .iter()
                .map(|l| {
                    l.lang.parse::<Lang>().ok().filter(|lang| {
                        let said = if real_person {
                            lang.real_person_spoken_text()
                        } else {
                            lang.spoken_text()
                        };
                        said == l.text
                    })
                })
                .collect();
            langs.filter(|l| !l.is_empty())
        };
        spoken(false)
            .map(Disclaimer::Spoken)
            .or_else(|| spoken(true).map(Disclaimer::SpokenRealPerson))
    }

    /// Renders the disclaimer as mono f32 at `sample_rate`, peak-normalised
    /// to 1.0 (loudness is set later, against the programme).
    pub fn render(&self, label: &Label, sample_rate: u32) -> Result<Vec<f32>> {
        if sample_rate == 0 {
            return Err(Error::malformed("sample rate 0"));
        }
        self.check(label)?;
        let mut mono = match self.resolve(label) {
            Disclaimer::Spoken(langs) => render_spoken(&langs, false, sample_rate)?,
            Disclaimer::SpokenRealPerson(langs) => render_spoken(&langs, true, sample_rate)?,
            Disclaimer::Clip(bytes) => {
                let (samples, rate, channels) = decode_clip(bytes.to_vec(), MAX_CLIP_SECONDS)
                    .map_err(|e| {
                        Error::config(format!("the disclaimer clip cannot be used: {e}"))
                    })?;
                resample(&downmix(&samples, channels), rate, sample_rate)?
            }
            Disclaimer::Tone(t) => t.render(sample_rate)?,
            Disclaimer::JobLanguages => Vec::new(),
        };
        if mono.is_empty() {
            return Err(Error::config("the disclaimer is empty"));
        }
        fade_edges(&mut mono, sample_rate);
        let peak = mono.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        if peak <= 1e-6 {
            return Err(Error::config("the disclaimer clip is silent"));
        }
        mono.iter_mut().for_each(|s| *s /= peak);
        Ok(mono)
    }
}

/// The bundled clips of `langs` (the deepfake ones with `real_person`),
/// joined with a pause, at `sample_rate`.
fn render_spoken(langs: &[Lang], real_person: bool, sample_rate: u32) -> Result<Vec<f32>> {
    let mut joined = Vec::new();
    let mut clip_rate = 16_000;
    for (i, lang) in langs.iter().enumerate() {
        let bytes = bundled_clip(*lang, real_person);
        let (samples, rate, channels) = decode_clip(bytes.to_vec(), MAX_CLIP_SECONDS)?;
        clip_rate = rate;
        if i > 0 {
            let pause = (u64::from(SPOKEN_PAUSE_MS) * u64::from(rate) / 1000) as usize;
            joined.resize(joined.len() + pause, 0.0);
        }
        joined.extend(downmix(&samples, channels));
    }
    resample(&joined, clip_rate, sample_rate)
}

/// Averages interleaved channels to mono.
pub(crate) fn downmix(interleaved: &[f32], channels: usize) -> Vec<f32> {
    if channels <= 1 {
        return interleaved.to_vec();
    }
    interleaved
        .chunks_exact(channels)
        .map(|frame| frame.iter().sum::<f32>() / channels as f32)
        .collect()
}

fn fade_edges(samples: &mut [f32], sample_rate: u32) {
    let n =
        ((u64::from(EDGE_FADE_MS) * u64::from(sample_rate) / 1000) as usize).min(samples.len() / 2);
    let len = samples.len();
    for i in 0..n {
        let g = 0.5 - 0.5 * (std::f32::consts::PI * i as f32 / n as f32).cos();
        samples[i] *= g;
        samples[len - 1 - i] *= g;
    }
}

/// Resamples a mono clip with rubato's FFT resampler (exact rational ratio),
/// trimming the resampler's delay so the clip keeps its timing.
pub fn resample(mono: &[f32], from: u32, to: u32) -> Result<Vec<f32>> {
    if from == to || mono.is_empty() {
        return Ok(mono.to_vec());
    }
    let err =
        |e: &dyn std::fmt::Display| Error::config(format!("cannot resample the disclaimer: {e}"));
    let chunk = 1024;
    let mut resampler =
        FftFixedIn::<f32>::new(from as usize, to as usize, chunk, 2, 1).map_err(|e| err(&e))?;
    let wanted = (mono.len() as u64 * u64::from(to)).div_ceil(u64::from(from)) as usize;
    let delay = resampler.output_delay();
    let mut out = Vec::with_capacity(wanted + delay + chunk * 4);
    let mut pos = 0;
    while pos < mono.len() {
        let need = resampler.input_frames_next();
        let end = (pos + need).min(mono.len());
        let block = &mono[pos..end];
        let produced = if block.len() == need {
            resampler.process(&[block], None)
        } else {
            resampler.process_partial(Some(&[block]), None)
        }
        .map_err(|e| err(&e))?;
        out.extend_from_slice(produced.first().map(Vec::as_slice).unwrap_or(&[]));
        pos = end;
    }
    // Flush the delay line.
    let mut guard = 0;
    while out.len() < wanted + delay && guard < 64 {
        let produced = resampler
            .process_partial::<&[f32]>(None, None)
            .map_err(|e| err(&e))?;
        out.extend_from_slice(produced.first().map(Vec::as_slice).unwrap_or(&[]));
        guard += 1;
    }
    let start = delay.min(out.len());
    let end = (start + wanted).min(out.len());
    Ok(out[start..end].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tone_description_round_trips() {
        let t = ToneSettings {
            frequency_hz: 1000.0,
            short_ms: 100,
            ..ToneSettings::default()
        };
        assert_eq!(ToneSettings::parse(&t.describe()), Some(t));
        assert_eq!(ToneSettings::parse("something else"), None);
    }

    #[test]
    fn tone_has_morse_rhythm() {
        let t = ToneSettings::default();
        let rate = 8000;
        let s = t.render(rate).unwrap();
        assert_eq!(s.len(), (120 + 120 + 360 + 360 + 120 + 120 + 120) * 8);
        // Sound where an element is, silence in the gaps.
        let energy = |from_ms: usize, to_ms: usize| {
            s[from_ms * 8..to_ms * 8].iter().map(|x| x * x).sum::<f32>()
                / ((to_ms - from_ms) * 8) as f32
        };
        assert!(energy(10, 110) > 0.3); // short
        assert!(energy(130, 230) < 1e-6); // gap
        assert!(energy(250, 590) > 0.3); // long
        assert!(energy(610, 950) < 1e-6); // letter gap
        assert!(energy(970, 1070) > 0.3); // short
        assert!(energy(1210, 1310) > 0.3); // short
    }

    #[test]
    fn bundled_clips_decode_and_resample() {
        let label = Label::default();
        let d = Disclaimer::default();
        assert_eq!(
            d.resolve(&label),
            Disclaimer::Spoken(vec![Lang::Kk, Lang::Ru])
        );
        let at16 = d.render(&label, 16_000).unwrap();
        let at48 = d.render(&label, 48_000).unwrap();
        let ratio = at48.len() as f64 / at16.len() as f64;
        assert!((ratio - 3.0).abs() < 0.001, "ratio {ratio}");
        // kk (~3.8 s) + pause + ru (~3.2 s)
        assert!(at16.len() > 16_000 * 6 && at16.len() < 16_000 * 9);
    }

    #[test]
    fn a_language_without_a_clip_is_refused() {
        let label = Label::custom([("kk", "ЖИ"), ("fr", "Créé par IA")]).unwrap();
        let e = Disclaimer::default().render(&label, 16_000).unwrap_err();
        assert_eq!(e.kind_name(), "config");
        let text = e.to_string();
        assert!(
            text.contains("language fr") && text.contains("kk, ru, en, kk-Latn"),
            "{text}"
        );
        let tone = Disclaimer::Tone(ToneSettings::default());
        assert!(tone.render(&label, 16_000).is_ok());
        // kk-Latn is spoken with the Kazakh clip.
        let latin = Label::standard(&[Lang::KkLatn], tanba_core::Wording::Long);
        let kk = Label::standard(&[Lang::Kk], tanba_core::Wording::Long);
        let d = Disclaimer::default();
        assert_eq!(
            d.render(&latin, 16_000).unwrap(),
            d.render(&kk, 16_000).unwrap()
        );
    }

    #[test]
    fn manifest_lines_identify_the_disclaimer() {
        let label = Label::default();
        let lines = Disclaimer::default().manifest_lines(&label).unwrap();
        assert_eq!(lines[0].text, Lang::Kk.spoken_text());
        assert_eq!(
            Disclaimer::from_manifest_lines(&lines),
            Some(Disclaimer::Spoken(vec![Lang::Kk, Lang::Ru]))
        );
        let tone = Disclaimer::Tone(ToneSettings::default());
        let lines = tone.manifest_lines(&label).unwrap();
        assert_eq!(Disclaimer::from_manifest_lines(&lines), Some(tone));
        assert_eq!(Disclaimer::from_manifest_lines(&label.lines), None);
    }

    #[test]
    fn a_real_person_job_hears_the_deepfake_clips() {
        let job = Job::new()
            .with_label(Label::real_person(&[Lang::En], tanba_core::Wording::Long))
            .with_real_person(true);
        let d = Disclaimer::default().for_job(&job);
        assert_eq!(d, Disclaimer::SpokenRealPerson(vec![Lang::En]));
        let lines = d.manifest_lines(&job.label).unwrap();
        assert_eq!(lines[0].text, Lang::En.real_person_spoken_text());
        assert_eq!(Disclaimer::from_manifest_lines(&lines), Some(d.clone()));
        let deepfake = d.render(&job.label, 16_000).unwrap();
        let plain = Disclaimer::Spoken(vec![Lang::En])
            .render(&job.label, 16_000)
            .unwrap();
        // The deepfake sentence is longer than the default one.
        assert!(
            deepfake.len() > plain.len() + 16_000,
            "{} {}",
            deepfake.len(),
            plain.len()
        );
        // A tone or a user's clip stays what the user chose.
        let tone = Disclaimer::Tone(ToneSettings::default());
        assert_eq!(tone.for_job(&job), tone);
    }
}
