//! Generated programmes (speech-like, music-like, noise, silence gaps) and
//! the real-tool (ffmpeg) operations a marked programme goes through,
//! shared by the audio tests and the audio matrix example.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::f32::consts::TAU;
use std::path::{Path, PathBuf};
use std::process::Command;

use tanba_watermark::{AudioMarker, Key};

/// A tiny deterministic generator, so every run marks the same audio.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }
    /// Roughly Gaussian (sum of four uniforms), unit variance.
    pub fn gauss(&mut self) -> f32 {
        (self.unit() + self.unit() + self.unit() + self.unit() - 2.0) * 1.732
    }
}

/// A programme: interleaved samples, rate, channels.
#[derive(Clone)]
pub struct Clip {
    pub name: String,
    pub samples: Vec<f32>,
    pub rate: u32,
    pub channels: usize,
}

impl Clip {
    pub fn secs(&self) -> f32 {
        self.samples.len() as f32 / (self.rate as f32 * self.channels as f32)
    }
    /// Frames `from`..`from + len` seconds (clamped).
    pub fn window(&self, from: f32, len: f32) -> &[f32] {
        let f = |t: f32| ((t * self.rate as f32) as usize * self.channels).min(self.samples.len());
        &self.samples[f(from)..f(from + len)]
    }
}

/// Two-pole resonator (formant), unit gain at its peak.
struct Resonator {
    a1: f32,
    a2: f32,
    g: f32,
    y1: f32,
    y2: f32,
}

impl Resonator {
    fn new(freq: f32, bw: f32, rate: f32) -> Resonator {
        let r = (-std::f32::consts::PI * bw / rate).exp();
        let a1 = 2.0 * r * (TAU * freq / rate).cos();
        Resonator {
            a1,
            a2: -r * r,
            g: 1.0 - r,
            y1: 0.0,
            y2: 0.0,
        }
    }
    fn run(&mut self, x: f32) -> f32 {
        let y = self.g * x + self.a1 * self.y1 + self.a2 * self.y2;
        self.y2 = self.y1;
        self.y1 = y;
        y
    }
}

/// Speech-like mono: a glottal pulse train with a moving pitch through
/// three formants, syllables of 120-320 ms, some fricatives, pauses.
pub fn speech(secs: f32, rate: u32, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let r = rate as f32;
    let n = (secs * r) as usize;
    let mut out = vec![0.0f32; n];
    let base_f0 = rng.range(95.0, 210.0);
    let mut i = 0;
    while i < n {
        let syl = (rng.range(0.12, 0.32) * r) as usize;
        let vowels = [
            (730.0, 1090.0),
            (270.0, 2290.0),
            (530.0, 1840.0),
            (570.0, 840.0),
            (300.0, 870.0),
            (660.0, 1720.0),
        ];
        let (f1, f2) = vowels[(rng.next() % 6) as usize];
        let mut formants = [
            Resonator::new(f1, 80.0, r),
            Resonator::new(f2, 100.0, r),
            Resonator::new(rng.range(2400.0, 3000.0), 140.0, r),
        ];
        let fricative = rng.unit() < 0.3;
        let mut hiss = Resonator::new(rng.range(3500.0, 6000.0), 1500.0, r);
        let (mut phase, mut lp1, mut lp2) = (0.0f32, 0.0f32, 0.0f32);
        let loud = rng.range(0.1, 0.35);
        for j in 0..syl.min(n - i) {
            let t = j as f32 / syl as f32;
            let env = (std::f32::consts::PI * t).sin().powf(0.6) * loud;
            let f0 = base_f0 * (1.0 + 0.15 * (TAU * t * 0.7).sin());
            phase += f0 / r;
            let pulse = if phase >= 1.0 {
                phase -= 1.0;
                1.0
            } else {
                0.0
            };
            lp1 += 0.25 * (pulse - lp1);
            lp2 += 0.25 * (lp1 - lp2);
            let src = lp2 * 20.0;
            let voiced = formants[0].run(src) * 1.0
                + formants[1].run(src) * 0.5
                + formants[2].run(src) * 0.25;
            let noise = if fricative && t > 0.6 {
                hiss.run(rng.gauss()) * 0.5
            } else {
                0.0
            };
            out[i + j] = env * (voiced + noise);
        }
        i += syl;
        if rng.unit() < 0.35 {
            i += (rng.range(0.1, 0.5) * r) as usize;
        }
    }
    out
}

/// Music-like mono: chords of harmonic notes (1-2.5 s each, with attack and
/// decay), a bass line, kick-like and hi-hat-like noise bursts.
pub fn music(secs: f32, rate: u32, seed: u64, drums: bool) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let r = rate as f32;
    let n = (secs * r) as usize;
    let mut out = vec![0.0f32; n];
    let root = rng.range(110.0, 220.0);
    let beat = rng.range(0.35, 0.6);
    let mut at = 0usize;
    while at < n {
        let len = ((rng.range(1.0, 2.5) * r) as usize).min(n - at);
        let shape =
            [[0, 4, 7, 12], [0, 3, 7, 10], [0, 5, 9, 12], [2, 5, 9, 14]][(rng.next() % 4) as usize];
        let shift = (rng.next() % 7) as i32 - 3;
        let notes: Vec<f32> = shape
            .iter()
            .map(|s| root * 2f32.powf((*s + shift) as f32 / 12.0) * 2.0)
            .collect();
        let bass = root * 2f32.powf(shift as f32 / 12.0) / 2.0;
        let harmonics = 3 + (rng.next() % 8) as usize;
        for j in 0..len {
            let t = j as f32 / r;
            let env = (t / 0.02).min(1.0) * (-t * rng_free_decay(seed)).exp();
            let mut s = 0.0;
            for f in &notes {
                for h in 1..=harmonics {
                    if f * h as f32 <= 0.45 * r {
                        s += (TAU * f * h as f32 * t).sin() / (h as f32 * h as f32).sqrt();
                    }
                }
            }
            s = 0.05 * s + 0.2 * (TAU * bass * t).sin();
            out[at + j] += env * s;
        }
        at += len;
    }
    if drums {
        let step = (beat * r) as usize;
        let mut lp = 0.0f32;
        for (k, start) in (0..n).step_by(step).enumerate() {
            let hat = k % 2 == 1;
            for j in 0..(0.15 * r) as usize {
                if start + j >= n {
                    break;
                }
                let t = j as f32 / r;
                let x = rng.gauss();
                let v = if hat {
                    lp += 0.5 * (x - lp);
                    (x - lp) * 0.08 * (-t * 60.0).exp()
                } else {
                    0.3 * (TAU * 60.0 * t).sin() * (-t * 25.0).exp() + 0.05 * x * (-t * 40.0).exp()
                };
                out[start + j] += v;
            }
        }
    }
    out
}

fn rng_free_decay(seed: u64) -> f32 {
    0.3 + (seed % 5) as f32 * 0.3
}

/// White noise (`tilt` 0) or pink-ish (tilt 1) mono at a fixed level.
pub fn noise(secs: f32, rate: u32, seed: u64, tilt: f32) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    let mut lp = 0.0f32;
    (0..(secs * rate as f32) as usize)
        .map(|_| {
            let x = rng.gauss();
            lp += 0.05 * (x - lp);
            0.1 * ((1.0 - tilt) * x + tilt * 4.0 * lp)
        })
        .collect()
}

/// Zeroes `gap` seconds every `every` seconds (silence between phrases).
pub fn with_gaps(mut mono: Vec<f32>, rate: u32, every: f32, gap: f32) -> Vec<f32> {
    let r = rate as f32;
    for (i, s) in mono.iter_mut().enumerate() {
        if (i as f32 / r) % every > every - gap {
            *s = 0.0;
        }
    }
    mono
}

/// Mono to `channels` interleaved channels (a small level difference so
/// the channels are not identical).
pub fn interleave(mono: &[f32], channels: usize) -> Vec<f32> {
    mono.iter()
        .flat_map(|s| (0..channels).map(move |c| s * (1.0 - 0.1 * c as f32)))
        .collect()
}

/// The varied test programmes, `secs` long each.
pub fn programmes(secs: f32) -> Vec<Clip> {
    let clip = |name: &str, mono: Vec<f32>, rate: u32, channels: usize| Clip {
        name: name.into(),
        samples: interleave(&mono, channels),
        rate,
        channels,
    };
    vec![
        clip("speech-48k-mono", speech(secs, 48_000, 1), 48_000, 1),
        clip("speech-44k-stereo", speech(secs, 44_100, 2), 44_100, 2),
        clip("music-44k-stereo", music(secs, 44_100, 3, true), 44_100, 2),
        clip(
            "chords-48k-stereo",
            music(secs, 48_000, 4, false),
            48_000,
            2,
        ),
    ]
}

/// The audio matrix's `n` varied inputs, `secs` long each.
pub fn matrix_inputs(n: usize, secs: f32) -> Vec<Clip> {
    let rates = [16_000, 44_100, 48_000];
    (0..n)
        .map(|i| {
            let seed = 100 + i as u64;
            let rate = rates[i % 3];
            let channels = 1 + i % 2;
            let (kind, mono) = match i % 10 {
                0..=2 => ("speech", speech(secs, rate, seed)),
                3 | 4 => ("music", music(secs, rate, seed, true)),
                5 | 6 => ("chords", music(secs, rate, seed, false)),
                7 => ("noise", noise(secs, rate, seed, (i % 4) as f32 / 3.0)),
                8 => (
                    "speech-gaps",
                    with_gaps(speech(secs, rate, seed), rate, 7.0, 2.0),
                ),
                _ => (
                    "music-gaps",
                    with_gaps(music(secs, rate, seed, true), rate, 9.0, 3.0),
                ),
            };
            Clip {
                name: format!("{i:02}-{kind}-{rate}-{channels}ch"),
                samples: interleave(&mono, channels),
                rate,
                channels,
            }
        })
        .collect()
}

/// Marks a clip in blocks of varied lengths, as a streaming caller
/// (tanba-audio's decoder) does, then flushes the marker's delay.
pub fn mark(clip: &Clip, payload: u64, key: Key) -> Clip {
    let mut marker = AudioMarker::new(clip.rate, clip.channels, payload, key).unwrap();
    let mut samples = Vec::with_capacity(clip.samples.len());
    let mut rest: &[f32] = &clip.samples;
    let mut k = 0usize;
    while !rest.is_empty() {
        let len = (((1000 + 3777 * k) % 9000 + 1) * clip.channels).min(rest.len());
        let (block, tail) = rest.split_at(len);
        marker.process(block, &mut samples);
        rest = tail;
        k += 1;
    }
    marker.finish(&mut samples);
    Clip {
        samples,
        ..clip.clone()
    }
}

/// SNR of `marked` against `original`, in dB.
pub fn snr_db(original: &[f32], marked: &[f32]) -> f64 {
    let s: f64 = original.iter().map(|x| f64::from(*x).powi(2)).sum();
    let n: f64 = original
        .iter()
        .zip(marked)
        .map(|(a, b)| f64::from(a - b).powi(2))
        .sum();
    10.0 * (s / n.max(1e-30)).log10()
}

/// Writes a 32-bit float WAV.
pub fn write_wav(path: &Path, clip: &Clip) {
    let data: Vec<u8> = clip.samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let ch = clip.channels as u16;
    let mut h = Vec::with_capacity(44 + data.len());
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&3u16.to_le_bytes());
    h.extend_from_slice(&ch.to_le_bytes());
    h.extend_from_slice(&clip.rate.to_le_bytes());
    h.extend_from_slice(&(clip.rate * 4 * u32::from(ch)).to_le_bytes());
    h.extend_from_slice(&(4 * ch).to_le_bytes());
    h.extend_from_slice(&32u16.to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&(data.len() as u32).to_le_bytes());
    h.extend_from_slice(&data);
    std::fs::write(path, h).unwrap();
}

/// The operations of the robustness matrix.
pub const OPS: [&str; 7] = [
    "strip",
    "mp3-96k",
    "aac-96k",
    "opus-32k",
    "resample-16k",
    "volume-6db",
    "cut-5s",
];

/// Runs ffmpeg with `args`, failing the caller if it is missing or fails.
pub fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg must be installed (xtask setup installs it)");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Applies operation `op` to the WAV at `src` with ffmpeg and decodes the
/// result back to f32 samples (at the rate the result has).
pub fn apply(op: &str, src: &Path, dir: &Path, clip: &Clip) -> Clip {
    let s = src.to_str().unwrap();
    let stem = format!("{}-{op}", clip.name);
    let out = |ext: &str| -> PathBuf { dir.join(format!("{stem}.{ext}")) };
    let (path, rate) = match op {
        "strip" => (out("wav"), clip.rate),
        "mp3-96k" => (out("mp3"), clip.rate),
        "aac-96k" => (out("m4a"), clip.rate),
        "opus-32k" => (out("opus"), 48_000),
        "resample-16k" => (out("wav"), 16_000),
        _ => (out("wav"), clip.rate),
    };
    let p = path.to_str().unwrap();
    match op {
        "strip" => ffmpeg(&["-i", s, "-map_metadata", "-1", "-c", "copy", p]),
        "mp3-96k" => ffmpeg(&[
            "-i",
            s,
            "-map_metadata",
            "-1",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "96k",
            p,
        ]),
        "aac-96k" => ffmpeg(&[
            "-i",
            s,
            "-map_metadata",
            "-1",
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            p,
        ]),
        "opus-32k" => ffmpeg(&[
            "-i",
            s,
            "-map_metadata",
            "-1",
            "-c:a",
            "libopus",
            "-b:a",
            "32k",
            p,
        ]),
        "resample-16k" => ffmpeg(&["-i", s, "-ar", "16000", "-c:a", "pcm_s16le", p]),
        "volume-6db" => ffmpeg(&["-i", s, "-af", "volume=-6dB", "-c:a", "pcm_s16le", p]),
        "cut-5s" => ffmpeg(&["-ss", "5", "-i", s, "-c:a", "pcm_s16le", p]),
        other => panic!("unknown operation {other}"),
    }
    decode(&path, rate, clip.channels, &format!("{}/{op}", clip.name))
}

/// Decodes any audio file to interleaved f32 at `rate` with ffmpeg.
pub fn decode(path: &Path, rate: u32, channels: usize, name: &str) -> Clip {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(path)
        .args([
            "-f",
            "f32le",
            "-acodec",
            "pcm_f32le",
            "-ar",
            &rate.to_string(),
            "-ac",
            &channels.to_string(),
            "pipe:1",
        ])
        .output()
        .expect("ffmpeg must be installed");
    assert!(
        out.status.success(),
        "ffmpeg decode {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let samples = out
        .stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Clip {
        name: name.into(),
        samples,
        rate,
        channels,
    }
}
