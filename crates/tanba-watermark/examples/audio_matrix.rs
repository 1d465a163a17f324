//! The audio robustness matrix: marks varied generated programmes (speech,
//! music, chords, noise, silence gaps), runs every operation with ffmpeg,
//! and prints a markdown table of the fraction read back per operation from
//! 10-s and 20-s windows, the SNR, the false positives over unmarked windows,
//! and the embed/detect time for 10 minutes of audio next to ffmpeg's plain
//! decode of a 10-minute MP3.
//!
//! `cargo run --release -p tanba-watermark --example audio_matrix [INPUTS|--quick [KEEP_DIR]]`
//! (with KEEP_DIR, the original and marked WAVs are kept there, for a
//! spectrogram or a listening check).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/audio_common/mod.rs"]
mod audio_common;
#[path = "support/summary.rs"]
mod summary;

use std::time::Instant;

use audio_common::{
    Clip, OPS, apply, decode, ffmpeg, interleave, mark, matrix_inputs, music, snr_db, write_wav,
};
use tanba_watermark::{Key, PUBLIC_KEY, detect_audio};

const SECS: f32 = 60.0;
/// Window lengths the detector is given, in seconds.
const WINDOWS: [f32; 2] = [10.0, 20.0];

fn window(clip: &Clip, len: f32) -> &[f32] {
    clip.window(1.3, len)
}

fn main() {
    // `--quick` (from `cargo xtask bench watermark --quick`): 10 inputs.
    let first = std::env::args().nth(1);
    let n: usize = match first.as_deref() {
        Some("--quick") => 10,
        other => other.and_then(|a| a.parse().ok()).unwrap_or(50),
    };
    let payload = 0x0123_4567_89AB_CDEF;
    let dir = tempfile::tempdir().unwrap();
    let keep = std::env::args().nth(2).map(std::path::PathBuf::from);
    let clips = matrix_inputs(n, SECS);
    let mut read = vec![[0usize; WINDOWS.len()]; OPS.len()];
    let mut wrong = 0usize;
    let mut snrs = Vec::new();
    let (mut fp_windows, mut fp) = (0usize, 0usize);
    for clip in &clips {
        let marked = mark(clip, payload, PUBLIC_KEY);
        snrs.push(snr_db(&clip.samples, &marked.samples));
        let src = dir.path().join(format!("{}.wav", clip.name));
        write_wav(&src, &marked);
        if let Some(keep) = &keep {
            write_wav(&keep.join(format!("{}-marked.wav", clip.name)), &marked);
            write_wav(&keep.join(format!("{}-original.wav", clip.name)), clip);
        }
        for (o, op) in OPS.iter().enumerate() {
            let back = apply(op, &src, dir.path(), &marked);
            for (w, len) in WINDOWS.iter().enumerate() {
                match detect_audio(window(&back, *len), back.rate, back.channels, PUBLIC_KEY) {
                    Some(d) if d.payload == payload => read[o][w] += 1,
                    Some(_) => wrong += 1,
                    None => {}
                }
            }
        }
        // Unmarked windows: the original after MP3, every 2 s, and the
        // marked one read with a wrong key.
        let plain = dir.path().join(format!("{}-plain.wav", clip.name));
        write_wav(&plain, clip);
        let back = apply("mp3-96k", &plain, dir.path(), clip);
        for start in 0..20 {
            let w = back.window(start as f32 * 2.0, WINDOWS[1]);
            fp_windows += 1;
            fp += usize::from(detect_audio(w, back.rate, back.channels, PUBLIC_KEY).is_some());
        }
        fp_windows += 1;
        fp += usize::from(
            detect_audio(
                window(&marked, WINDOWS[1]),
                marked.rate,
                marked.channels,
                Key::private(7),
            )
            .is_some(),
        );
        eprintln!("{} done", clip.name);
    }
    print_table(&read, n, wrong, &mut snrs, fp, fp_windows);
    timing(dir.path(), payload);
}

fn print_table(
    read: &[[usize; WINDOWS.len()]],
    n: usize,
    wrong: usize,
    snrs: &mut [f64],
    fp: usize,
    fp_windows: usize,
) {
    println!(
        "| operation | read back, {} s window | read back, {} s window |",
        WINDOWS[0], WINDOWS[1]
    );
    println!("|---|---|---|");
    for (op, r) in OPS.iter().zip(read) {
        let pct = |k: usize| format!("{}/{n} ({:.0} %)", k, 100.0 * k as f64 / n as f64);
        println!("| {op} | {} | {} |", pct(r[0]), pct(r[1]));
    }
    snrs.sort_by(f64::total_cmp);
    println!();
    println!("wrong payloads: {wrong}");
    println!(
        "SNR: min {:.1} dB, median {:.1} dB over {n} inputs",
        snrs[0],
        snrs[snrs.len() / 2]
    );
    println!("false positives: {fp} in {fp_windows} unmarked windows");
    summary(read, n, wrong, snrs[0], fp, fp_windows);
}

/// The `> **Audio**` line `cargo xtask bench watermark` copies into the
/// page's summary, built as the picture and video parts build theirs: the
/// goal cells are the 10-s windows after each operation.
fn summary(
    read: &[[usize; WINDOWS.len()]],
    n: usize,
    wrong: usize,
    snr: f64,
    fp: usize,
    fp_windows: usize,
) {
    let cells: Vec<summary::Cell> = OPS
        .iter()
        .zip(read)
        .map(|(op, r)| summary::Cell::new(*op, r[0], n, 1.0))
        .collect();
    let worst20 = read.iter().map(|r| r[1]).min().unwrap_or(0);
    let notes = [
        format!(
            "{}-s windows {:.0} % at worst",
            WINDOWS[1],
            100.0 * worst20 as f64 / n.max(1) as f64
        ),
        format!("wrong payloads {wrong}"),
        format!("false positives {fp} in {fp_windows} unmarked windows"),
        format!("SNR min {snr:.1} dB (goal >= 30)"),
    ];
    let goal = format!("100 % of {}-s windows after every operation", WINDOWS[0]);
    println!();
    println!(
        "{}\n",
        summary::line("Audio", &goal, &format!("the {n} inputs"), &cells, &notes)
    );
}

/// Embed and detect time for 10 minutes of 44.1-kHz stereo music, next to
/// ffmpeg decoding a 10-minute MP3 of it.
fn timing(dir: &std::path::Path, payload: u64) {
    let rate = 44_100;
    let long = Clip {
        name: "ten-minutes".into(),
        samples: interleave(&music(600.0, rate, 7, true), 2),
        rate,
        channels: 2,
    };
    let t = Instant::now();
    let marked = mark(&long, payload, PUBLIC_KEY);
    let embed = t.elapsed().as_secs_f64();
    let wav = dir.join("ten.wav");
    write_wav(&wav, &marked);
    let mp3 = dir.join("ten.mp3");
    ffmpeg(&[
        "-i",
        wav.to_str().unwrap(),
        "-c:a",
        "libmp3lame",
        "-b:a",
        "96k",
        mp3.to_str().unwrap(),
    ]);
    let t = Instant::now();
    ffmpeg(&["-i", mp3.to_str().unwrap(), "-f", "null", "-"]);
    let plain_decode = t.elapsed().as_secs_f64();
    let back = decode(&mp3, rate, 2, "ten/mp3");
    println!();
    println!(
        "10 minutes of 44.1-kHz stereo: embed {embed:.2} s; ffmpeg plain decode of the 96 kb/s MP3 {plain_decode:.2} s"
    );
    for len in WINDOWS {
        let t = Instant::now();
        let found = detect_audio(back.window(100.0, len), rate, 2, PUBLIC_KEY);
        let detect = t.elapsed().as_secs_f64();
        println!(
            "detect over a {len} s window: {detect:.3} s ({:.2}x the plain decode), read back: {}",
            detect / plain_decode,
            found.map(|d| d.payload) == Some(payload)
        );
    }
}
