#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Uncompressed and telephony audio keeps its format: WAV in every sample
//! coding (μ-law, A-law, 8-bit unsigned, 16/24/32-bit integer, 32/64-bit
//! float, WAVE_FORMAT_EXTENSIBLE) and AIFF / AIFF-C (big-endian PCM,
//! `sowt`, `fl32`, `ulaw`, `alaw`). Inputs are made with the ffmpeg CLI,
//! labelled, then checked with ffprobe (codec, rate, channels, bits),
//! exiftool (the marks), our verify, the programme's bytes (unchanged
//! after the disclaimer) and the disclaimer's energy; and speech at 8 kHz
//! μ-law is measured against the reference clip.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{exiftool, ffmpeg, ffprobe};
use tanba_audio::{AudioLabeler, Disclaimer, sniff};
use tanba_core::{Job, Label, Labeler, Labelled, Limits, MarkKind, Source, read_head};

struct Case {
    /// Output file name.
    name: &'static str,
    /// ffmpeg's output options.
    codec: &'static [&'static str],
    rate: u32,
    channels: u32,
    /// Our format name.
    format: &'static str,
    /// ffprobe's codec name.
    codec_name: &'static str,
}

const CASES: [Case; 16] = [
    Case {
        name: "mulaw.wav",
        codec: &["-c:a", "pcm_mulaw"],
        rate: 8000,
        channels: 1,
        format: "wav",
        codec_name: "pcm_mulaw",
    },
    Case {
        name: "alaw.wav",
        codec: &["-c:a", "pcm_alaw"],
        rate: 8000,
        channels: 1,
        format: "wav",
        codec_name: "pcm_alaw",
    },
    Case {
        name: "u8.wav",
        codec: &["-c:a", "pcm_u8"],
        rate: 11025,
        channels: 1,
        format: "wav",
        codec_name: "pcm_u8",
    },
    Case {
        name: "s16.wav",
        codec: &["-c:a", "pcm_s16le"],
        rate: 44100,
        channels: 2,
        format: "wav",
        codec_name: "pcm_s16le",
    },
    Case {
        name: "s24.wav",
        codec: &["-c:a", "pcm_s24le"],
        rate: 48000,
        channels: 2,
        format: "wav",
        codec_name: "pcm_s24le",
    },
    Case {
        name: "s32.wav",
        codec: &["-c:a", "pcm_s32le"],
        rate: 16000,
        channels: 1,
        format: "wav",
        codec_name: "pcm_s32le",
    },
    Case {
        name: "f32.wav",
        codec: &["-c:a", "pcm_f32le"],
        rate: 22050,
        channels: 2,
        format: "wav",
        codec_name: "pcm_f32le",
    },
    Case {
        name: "f64.wav",
        codec: &["-c:a", "pcm_f64le"],
        rate: 24000,
        channels: 1,
        format: "wav",
        codec_name: "pcm_f64le",
    },
    Case {
        name: "ext6.wav",
        codec: &["-c:a", "pcm_s16le"],
        rate: 48000,
        channels: 6,
        format: "wav",
        codec_name: "pcm_s16le",
    },
    Case {
        name: "s16.aiff",
        codec: &["-c:a", "pcm_s16be", "-f", "aiff"],
        rate: 44100,
        channels: 2,
        format: "aiff",
        codec_name: "pcm_s16be",
    },
    Case {
        name: "s24.aiff",
        codec: &["-c:a", "pcm_s24be", "-f", "aiff"],
        rate: 48000,
        channels: 1,
        format: "aiff",
        codec_name: "pcm_s24be",
    },
    Case {
        // The title in an ID3 chunk too: its frames are kept.
        name: "id3.aiff",
        codec: &["-c:a", "pcm_s16be", "-f", "aiff", "-write_id3v2", "1"],
        rate: 16000,
        channels: 1,
        format: "aiff",
        codec_name: "pcm_s16be",
    },
    Case {
        name: "sowt.aifc",
        codec: &["-c:a", "pcm_s16le", "-f", "aiff"],
        rate: 22050,
        channels: 2,
        format: "aiff",
        codec_name: "pcm_s16le",
    },
    Case {
        name: "fl32.aifc",
        codec: &["-c:a", "pcm_f32be", "-f", "aiff"],
        rate: 32000,
        channels: 1,
        format: "aiff",
        codec_name: "pcm_f32be",
    },
    Case {
        name: "ulaw.aifc",
        codec: &["-c:a", "pcm_mulaw", "-f", "aiff"],
        rate: 8000,
        channels: 1,
        format: "aiff",
        codec_name: "pcm_mulaw",
    },
    Case {
        name: "alaw.aifc",
        codec: &["-c:a", "pcm_alaw", "-f", "aiff"],
        rate: 8000,
        channels: 1,
        format: "aiff",
        codec_name: "pcm_alaw",
    },
];

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tanba-pcm-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// 3 s of a quiet 440 Hz tone at the case's rate and channels, with a title.
fn make_input(path: &Path, case: &Case) {
    let src = format!("sine=frequency=440:sample_rate={}:duration=3", case.rate);
    let ac = case.channels.to_string();
    let mut args = vec![
        "-f",
        "lavfi",
        "-i",
        &src,
        "-af",
        "volume=0.3",
        "-ac",
        &ac,
        "-metadata",
        "title=Phone line",
    ];
    args.extend_from_slice(case.codec);
    args.push(path.to_str().unwrap());
    ffmpeg(&args);
}

fn source_of<'a>(reader: &'a mut File, path: &'a Path) -> Source<'a> {
    let len = reader.metadata().unwrap().len();
    let head = read_head(reader).unwrap();
    Source {
        format: sniff(&head).unwrap(),
        reader,
        path: Some(path),
        len,
    }
}

fn label(input: &Path, output: &Path) -> tanba_core::Result<Labelled> {
    // Without the watermark: these tests compare the programme's coded
    // bytes and samples with the input's (tests/watermark.rs marks them).
    let unmarked = Job::default().with_watermark(None);
    let mut reader = File::open(input).unwrap();
    let mut out = File::create(output).unwrap();
    AudioLabeler::default().label(source_of(&mut reader, input), &mut out, &unmarked)
}

/// The stream's coded bytes, as ffmpeg demuxes them.
fn raw_packets(path: &Path) -> Vec<u8> {
    let out = path.with_extension("raw");
    ffmpeg(&[
        "-i",
        path.to_str().unwrap(),
        "-map",
        "0:a",
        "-c",
        "copy",
        "-f",
        "data",
        out.to_str().unwrap(),
    ]);
    std::fs::read(out).unwrap()
}

/// The first channel as f32 at the file's own rate, decoded by ffmpeg.
fn decoded(path: &Path) -> Vec<f32> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-af", "pan=mono|c0=c0", "-f", "f32le", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect()
}

fn rms(s: &[f32]) -> f64 {
    (s.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>() / s.len().max(1) as f64).sqrt()
}

fn stream_field(v: &serde_json::Value, key: &str) -> String {
    let f = &v["streams"][0][key];
    f.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| f.to_string())
}

#[test]
fn every_coding_keeps_its_format_and_carries_the_marks() {
    let dir = temp_dir("codings");
    for case in &CASES {
        let input = dir.join(case.name);
        make_input(&input, case);
        let output = dir.join(format!("labelled-{}", case.name));
        let labelled = label(&input, &output).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(labelled.format.name, case.format, "{}", case.name);

        // ffprobe: the same coding, rate, channels and bits.
        let (before, after) = (ffprobe(&input), ffprobe(&output));
        for key in [
            "codec_name",
            "sample_rate",
            "channels",
            "bits_per_sample",
            "channel_layout",
        ] {
            assert_eq!(
                stream_field(&after, key),
                stream_field(&before, key),
                "{} {key}",
                case.name
            );
        }
        assert_eq!(
            stream_field(&after, "codec_name"),
            case.codec_name,
            "{}",
            case.name
        );
        assert_eq!(
            after["format"]["format_name"], before["format"]["format_name"],
            "{}",
            case.name
        );
        let in_bytes = std::fs::read(&input).unwrap();
        let out_bytes = std::fs::read(&output).unwrap();
        if case.format == "wav" {
            // The same `fmt ` chunk: format tag (0xFFFE stays extensible), mask, GUID.
            let fmt_len = u32::from_le_bytes(in_bytes[16..20].try_into().unwrap()) as usize;
            assert_eq!(
                out_bytes[12..20 + fmt_len],
                in_bytes[12..20 + fmt_len],
                "{}",
                case.name
            );
        } else {
            assert_eq!(out_bytes[8..12], in_bytes[8..12], "{} form type", case.name);
        }

        // Prepend: the programme's coded bytes follow the disclaimer unchanged.
        let (raw_in, raw_out) = (raw_packets(&input), raw_packets(&output));
        assert!(raw_out.len() > raw_in.len() + 8000, "{}", case.name);
        assert!(
            raw_out.ends_with(&raw_in),
            "{}: the programme changed",
            case.name
        );

        // The disclaimer is heard: the clip's span is loud, the programme's
        // own first seconds were a steady tone of known level.
        let span = labelled.manifest.label.placement.span.unwrap();
        let rate = f64::from(case.rate);
        let samples = decoded(&output);
        let clip = &samples[(span[0] * rate) as usize..((span[0] + span[1]) * rate) as usize];
        let programme = &samples[samples.len() - case.rate as usize..];
        assert!(
            rms(clip) > 0.3 * rms(programme) && rms(clip) > 0.005,
            "{}: disclaimer rms {}, programme {}",
            case.name,
            rms(clip),
            rms(programme)
        );

        // Our verify, then exiftool's reading of the marks.
        let mut reader = File::open(&output).unwrap();
        let v = AudioLabeler::default()
            .verify(source_of(&mut reader, &output), &Limits::default())
            .unwrap();
        assert!(v.is_compliant(), "{}: {:?}", case.name, v.perceptible);
        for kind in [MarkKind::Aigc, MarkKind::Xmp, MarkKind::Manifest] {
            assert!(
                v.marks.iter().any(|m| m.kind == kind),
                "{}: {kind:?} in {:?}",
                case.name,
                v.marks
            );
        }
        let exif = exiftool(&output);
        assert!(exif.contains("DigitalSourceType"), "{}: {exif}", case.name);
        assert!(
            exif.contains("\"ContentProducer\""),
            "{}: {exif}",
            case.name
        );
        assert!(
            exif.contains("Phone line"),
            "{}: title lost: {exif}",
            case.name
        );
        if case.name == "id3.aiff" {
            let id3_title = exif.lines().any(|l| {
                l.starts_with("[ID3v2_4]") && l.contains("Title") && l.contains("Phone line")
            });
            assert!(id3_title, "the input's ID3 frames were not kept: {exif}");
        }
        // Labelled already: refused.
        assert_eq!(
            label(&output, &dir.join("again")).unwrap_err().kind_name(),
            "already-labelled"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The correlation of `a` and `b` at the best lag within `max_lag`.
fn best_correlation(a: &[f32], b: &[f32], max_lag: usize) -> f64 {
    let mut best = 0f64;
    for lag in 0..=2 * max_lag {
        let (x, y) = if lag < max_lag {
            (&a[max_lag - lag..], b)
        } else {
            (a, &b[lag - max_lag..])
        };
        let n = x.len().min(y.len());
        let (mut xy, mut xx, mut yy) = (0f64, 0f64, 0f64);
        for (p, q) in x[..n].iter().zip(&y[..n]) {
            let (p, q) = (f64::from(*p), f64::from(*q));
            xy += p * q;
            xx += p * p;
            yy += q * q;
        }
        best = best.max(xy / (xx * yy).sqrt());
    }
    best
}

fn write_f32_wav(path: &Path, samples: &[f32], rate: u32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    samples.iter().for_each(|s| w.write_sample(*s).unwrap());
    w.finalize().unwrap();
}

/// The measure the README states: the spoken disclaimer in a μ-law 8 kHz
/// WAV against the full-band reference (the 16 kHz clips) resampled to
/// 8 kHz by FFmpeg's own resampler, and the share of the reference's
/// energy in the telephone band (300-3400 Hz).
#[test]
fn speech_at_8_khz_mulaw_stays_intelligible() {
    let dir = temp_dir("speech");
    let input = dir.join("line.wav");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "anullsrc=r=8000:cl=mono",
        "-t",
        "2",
        "-c:a",
        "pcm_mulaw",
        input.to_str().unwrap(),
    ]);
    let output = dir.join("labelled.wav");
    let labelled = label(&input, &output).unwrap();
    let span = labelled.manifest.label.placement.span.unwrap();
    let heard = decoded(&output);
    let heard = &heard[(span[0] * 8000.0) as usize..((span[0] + span[1]) * 8000.0) as usize];

    let reference = Disclaimer::default()
        .render(&Label::default(), 16_000)
        .unwrap();
    let full = dir.join("reference16k.wav");
    write_f32_wav(&full, &reference, 16_000);
    let at_8k = dir.join("reference8k.wav");
    ffmpeg(&[
        "-i",
        full.to_str().unwrap(),
        "-ar",
        "8000",
        "-c:a",
        "pcm_f32le",
        at_8k.to_str().unwrap(),
    ]);
    let correlation = best_correlation(heard, &decoded(&at_8k), 40);

    let band = dir.join("band.wav");
    let filters = "highpass=f=300,highpass=f=300,lowpass=f=3400,lowpass=f=3400";
    ffmpeg(&[
        "-i",
        full.to_str().unwrap(),
        "-af",
        filters,
        "-c:a",
        "pcm_f32le",
        band.to_str().unwrap(),
    ]);
    let share = (rms(&decoded(&band)) / rms(&reference)).powi(2);
    println!(
        "8 kHz mu-law disclaimer: correlation {correlation:.4} with the reference resampled by FFmpeg; {:.1} % of the reference's energy in 300-3400 Hz",
        share * 100.0
    );
    assert!(correlation >= 0.97, "correlation {correlation}");
    // Voice fundamentals lie below 300 Hz; the formants that carry the
    // words lie in the band.
    assert!(share >= 0.60, "band share {share}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Overlay keeps the length and repeat (two passes: the second decoder
/// must stop at `COMM`'s frame count too) keeps the coding, in μ-law WAV
/// and AIFF-C.
#[test]
fn overlay_and_repeat_keep_length_and_coding() {
    let dir = temp_dir("modes");
    for case in CASES
        .iter()
        .filter(|c| matches!(c.name, "mulaw.wav" | "ulaw.aifc" | "s16.aiff"))
    {
        let input = dir.join(case.name);
        // 40 s, so a repeat every 20 s fits twice.
        let src = format!("sine=frequency=440:sample_rate={}:duration=40", case.rate);
        let ac = case.channels.to_string();
        let mut args = vec!["-f", "lavfi", "-i", &src, "-af", "volume=0.3", "-ac", &ac];
        args.extend_from_slice(case.codec);
        args.push(input.to_str().unwrap());
        ffmpeg(&args);
        for mode in ["overlay", "repeat:20s"] {
            let settings = tanba_audio::AudioSettings {
                mode: mode.parse().unwrap(),
                ..Default::default()
            };
            let output = dir.join(format!("{mode}-{}", case.name));
            let mut reader = File::open(&input).unwrap();
            let mut out = File::create(&output).unwrap();
            AudioLabeler::new(settings)
                .label(source_of(&mut reader, &input), &mut out, &Job::default())
                .unwrap_or_else(|e| panic!("{mode} {}: {e}", case.name));
            drop(out);
            let (before, after) = (ffprobe(&input), ffprobe(&output));
            let frames: u64 = stream_field(&before, "duration_ts").parse().unwrap();
            assert!(frames >= 40 * u64::from(case.rate));
            assert_eq!(
                stream_field(&after, "codec_name"),
                case.codec_name,
                "{mode} {}",
                case.name
            );
            assert_eq!(
                stream_field(&after, "duration_ts"),
                stream_field(&before, "duration_ts"),
                "{mode} {}: the length changed",
                case.name
            );
            let mut reader = File::open(&output).unwrap();
            let v = AudioLabeler::default()
                .verify(source_of(&mut reader, &output), &Limits::default())
                .unwrap();
            assert!(
                v.is_compliant(),
                "{mode} {}: {:?}",
                case.name,
                v.perceptible
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
