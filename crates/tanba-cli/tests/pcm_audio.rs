#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Telephony and uncompressed audio through the CLI keep their format:
//! μ-law and A-law 8 kHz WAV, 8-bit, 24-bit and float WAV, AIFF and
//! AIFF-C μ-law, made with the ffmpeg CLI. ffprobe shows codec, rate,
//! channels and bits unchanged; `tanba verify` says labelled; exiftool
//! reads the XMP; the disclaimer is heard where the input was silent.

mod common;

use std::path::Path;
use std::process::Command;

use common::{s, tanba};

/// ffprobe's first stream as `codec_name,sample_rate,channels,bits_per_sample`.
fn probe(path: &Path) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a:0", "-show_entries"])
        .args([
            "stream=codec_name,sample_rate,channels,bits_per_sample",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("ffprobe is installed");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The first `seconds` of the first channel, decoded by ffmpeg.
fn head_rms(path: &Path, seconds: f64) -> f64 {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i", s(path), "-t", &seconds.to_string()])
        .args(["-af", "pan=mono|c0=c0", "-f", "f32le", "-"])
        .output()
        .expect("ffmpeg is installed");
    assert!(out.status.success());
    let samples: Vec<f64> = out
        .stdout
        .chunks_exact(4)
        .map(|b| f64::from(f32::from_le_bytes(b.try_into().unwrap())))
        .collect();
    (samples.iter().map(|x| x * x).sum::<f64>() / samples.len().max(1) as f64).sqrt()
}

#[test]
fn telephony_and_aiff_keep_their_coding_through_the_cli() {
    let cases: [(&str, &[&str], u32); 7] = [
        ("line.wav", &["-c:a", "pcm_mulaw"], 8000),
        ("line-alaw.wav", &["-c:a", "pcm_alaw"], 8000),
        ("u8.wav", &["-c:a", "pcm_u8"], 11025),
        ("s24.wav", &["-c:a", "pcm_s24le"], 48000),
        ("f32.wav", &["-c:a", "pcm_f32le"], 44100),
        ("music.aiff", &["-c:a", "pcm_s16be", "-f", "aiff"], 44100),
        ("line.aifc", &["-c:a", "pcm_mulaw", "-f", "aiff"], 8000),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, codec, rate) in cases {
        let input = dir.path().join(name);
        // A second of silence, then a tone: the disclaimer is heard where
        // the input is silent.
        let src = format!("sine=frequency=440:sample_rate={rate}:duration=3");
        let mut args = vec!["-v", "error", "-y", "-f", "lavfi", "-i", &src];
        args.extend(["-af", "volume=enable='lt(t,1)':volume=0"]);
        args.extend_from_slice(codec);
        args.push(s(&input));
        let made = Command::new("ffmpeg").args(&args).output().unwrap();
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        // A-law has no zero: its quietest code decodes to ±8/32768.
        assert!(
            head_rms(&input, 1.0) < 1e-3,
            "{name}: the input starts silent"
        );

        let output = dir.path().join(format!("labelled-{name}"));
        let run = tanba(&["label", s(&input), "-o", s(&output)]);
        assert!(
            run.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert_eq!(probe(&output), probe(&input), "{name}");
        assert!(
            head_rms(&output, 1.0) > 0.005,
            "{name}: no disclaimer at the start"
        );

        let verify = tanba(&["verify", s(&output)]);
        let said = String::from_utf8_lossy(&verify.stdout);
        assert!(verify.status.success(), "{name}: {said}");
        assert!(said.contains(": labelled ("), "{name}: {said}");
        assert!(!tanba(&["verify", s(&input)]).status.success(), "{name}");

        let exif = Command::new("exiftool")
            .args(["-s", "-DigitalSourceType"])
            .arg(&output)
            .output()
            .unwrap();
        let exif = String::from_utf8_lossy(&exif.stdout);
        assert!(exif.contains("trainedAlgorithmicMedia"), "{name}: {exif}");
    }
}

#[test]
fn formats_lists_aiff() {
    let out = tanba(&["formats"]);
    let listed = String::from_utf8_lossy(&out.stdout);
    let row = listed
        .lines()
        .find(|l| l.contains("audio/aiff"))
        .expect("an AIFF row");
    assert!(row.contains("aif") && row.contains("aifc"), "{row}");
}
