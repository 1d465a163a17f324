//! Tuning aid for the audio detector: `make` marks the matrix's inputs and
//! keeps each operation's decoded output as raw f32 in DIR (the ffmpeg runs
//! take minutes); `read` runs the detector on every cached 10-s window (at
//! 1.3 s) in seconds, printing the weakest per-bit z and the reads, so a
//! detector change is judged on the same audio.
//!
//! `cargo run --release -p tanba-watermark --example audio_cache make DIR [OPS [INPUTS]]`,
//! then `… read DIR [OPS]` (OPS comma-separated, default the three codecs);
//! `… snr DIR` prints each input's SNR only (no ffmpeg; `make` prints it
//! too). `ONLY=09,37` (name prefixes) marks only those inputs, so an
//! embedder variant can be tried on the hard ones first; `TOP=N` prints
//! the N weakest windows (default 12), each with the rank of the right
//! hypothesis and whether the list decoder alone reads it; `FROM=S` reads
//! the windows from S seconds rather than the matrix's 1.3.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/audio_common/mod.rs"]
mod audio_common;

use audio_common::{Clip, apply, mark, matrix_inputs, snr_db, write_wav};
use tanba_watermark::audio::audio_diagnose;
use tanba_watermark::{PUBLIC_KEY, detect_audio};

fn main() {
    let arg = |i: usize| std::env::args().nth(i);
    let mode = arg(1).unwrap();
    let dir = std::path::PathBuf::from(arg(2).unwrap());
    let ops = arg(3).unwrap_or("mp3-96k,aac-96k,opus-32k".into());
    let payload = 0x0123_4567_89AB_CDEF;
    std::fs::create_dir_all(&dir).unwrap();
    if mode == "make" || mode == "snr" {
        let n: usize = arg(4).and_then(|a| a.parse().ok()).unwrap_or(50);
        let mut snrs = Vec::new();
        let only = std::env::var("ONLY").unwrap_or_default();
        for clip in matrix_inputs(n, 60.0) {
            if !only.is_empty() && !only.split(',').any(|o| clip.name.starts_with(o)) {
                continue;
            }
            let marked = mark(&clip, payload, PUBLIC_KEY);
            let snr = snr_db(&clip.samples, &marked.samples);
            println!("snr {snr:.2} {}", clip.name);
            snrs.push(snr);
            if mode == "snr" {
                continue;
            }
            let src = dir.join(format!("{}.wav", clip.name));
            write_wav(&src, &marked);
            for op in ops.split(',') {
                let back = apply(op, &src, &dir, &marked);
                let raw: Vec<u8> = back.samples.iter().flat_map(|s| s.to_le_bytes()).collect();
                let f = dir.join(format!(
                    "{}__{op}__{}__{}.f32",
                    clip.name, back.rate, back.channels
                ));
                std::fs::write(f, raw).unwrap();
            }
        }
        snrs.sort_by(f64::total_cmp);
        if let Some(min) = snrs.first() {
            println!("SNR min {min:.2} median {:.2}", snrs[snrs.len() / 2]);
        }
        return;
    }
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "f32"))
        .collect();
    names.sort();
    let (mut reads, mut total, mut zsum) = (0, 0, 0.0);
    let mut worst = Vec::new();
    let from: f32 = std::env::var("FROM")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.3);
    for p in names {
        let stem = p.file_stem().unwrap().to_str().unwrap().to_string();
        let parts: Vec<&str> = stem.split("__").collect();
        if !ops.split(',').any(|o| o == parts[1]) {
            continue;
        }
        let rate: u32 = parts[2].parse().unwrap();
        let channels: usize = parts[3].parse().unwrap();
        let bytes = std::fs::read(&p).unwrap();
        let samples: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        let clip = Clip {
            name: stem.clone(),
            samples,
            rate,
            channels,
        };
        let w = clip.window(from, 10.0);
        let ok = detect_audio(w, rate, channels, PUBLIC_KEY).map(|d| d.payload) == Some(payload);
        let (rank, z, listed, _) = audio_diagnose(w, rate, channels, PUBLIC_KEY, payload);
        let stem = format!("{stem} rank {rank} list {listed}");
        total += 1;
        reads += usize::from(ok);
        zsum += z;
        worst.push((z, stem, ok));
    }
    worst.sort_by(|a, b| a.0.total_cmp(&b.0));
    let top = std::env::var("TOP").ok().and_then(|v| v.parse().ok());
    for (z, s, ok) in worst.iter().take(top.unwrap_or(12)) {
        println!("{z:.2} {ok} {s}");
    }
    println!("reads {reads}/{total} mean z {:.3}", zsum / total as f32);
}
