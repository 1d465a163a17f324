//! Tuning aid for the audio mark: per operation, the fraction read back
//! from 10-s and 20-s windows, the mean per-bit z at the best alignment,
//! and the best alignment score on unmarked windows (14 per input).
//!
//! `cargo run -p tanba-watermark --example audio_tune [INPUTS [OPS]]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/audio_common/mod.rs"]
mod audio_common;

use audio_common::{Clip, apply, interleave, mark, music, noise, speech, with_gaps};
use tanba_watermark::audio::audio_scores;
use tanba_watermark::{PUBLIC_KEY, detect_audio};

const SECS: f32 = 26.0;

fn clip(i: usize) -> Clip {
    let seed = 100 + i as u64;
    let rate = [16_000, 44_100, 48_000][i % 3];
    let channels = 1 + i % 2;
    let mono = match i % 6 {
        0 | 1 => speech(SECS, rate, seed),
        2 => music(SECS, rate, seed, true),
        3 => music(SECS, rate, seed, false),
        4 => noise(SECS, rate, seed, (i % 4) as f32 / 3.0),
        _ => with_gaps(speech(SECS, rate, seed), rate, 7.0, 2.0),
    };
    Clip {
        name: format!("{i:02}-{rate}-{channels}"),
        samples: interleave(&mono, channels),
        rate,
        channels,
    }
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(6);
    let ops: Vec<String> = std::env::args()
        .nth(2)
        .unwrap_or("strip,mp3-96k,opus-32k".into())
        .split(',')
        .map(String::from)
        .collect();
    let payload = 0x0123_4567_89AB_CDEF;
    let dir = tempfile::tempdir().unwrap();
    let mut unmarked_max = 0.0f32;
    let mut unmarked = Vec::new();
    let mut unmarked_match = Vec::new();
    let mut read_match = f32::MAX;
    for op in &ops {
        let (mut r10, mut r20, mut tries, mut zsum, mut zmin, mut bits) =
            (0, 0, 0, 0.0, f32::MAX, Vec::new());
        for i in 0..n {
            let c = clip(i);
            let marked = mark(&c, payload, PUBLIC_KEY);
            let src = dir.path().join(format!("{}.wav", c.name));
            audio_common::write_wav(&src, &marked);
            let back = apply(op, &src, dir.path(), &marked);
            for from in [0.7f32, 3.3] {
                tries += 1;
                let w10 = back.window(from, 10.0);
                let w20 = back.window(from, 20.0);
                let (_, b20, m20) =
                    audio_scores(w20, back.rate, back.channels, PUBLIC_KEY, payload);
                eprintln!("{} {op}: bit z 20 s {b20:.2}", c.name);
                let read10 = detect_audio(w10, back.rate, back.channels, PUBLIC_KEY)
                    .map(|d| d.payload)
                    == Some(payload);
                let read20 = detect_audio(w20, back.rate, back.channels, PUBLIC_KEY)
                    .map(|d| d.payload)
                    == Some(payload);
                r10 += usize::from(read10);
                r20 += usize::from(read20);
                if read20 {
                    read_match = read_match.min(m20);
                }
                let (z, b, m10) = audio_scores(w10, back.rate, back.channels, PUBLIC_KEY, payload);
                if read10 {
                    read_match = read_match.min(m10);
                }
                zsum += z;
                zmin = zmin.min(z);
                bits.push(b);
            }
            if op == &ops[0] {
                let plain = dir.path().join(format!("{}-plain.wav", c.name));
                audio_common::write_wav(&plain, &c);
                let pb = apply("mp3-96k", &plain, dir.path(), &c);
                for from in 0..7 {
                    for len in [10.0, 20.0] {
                        let w = pb.window(from as f32, len);
                        let (z, _, m) = audio_scores(w, pb.rate, pb.channels, PUBLIC_KEY, 0);
                        unmarked_max = unmarked_max.max(z);
                        unmarked_match.push(m);
                        unmarked.push(z);
                    }
                }
            }
        }
        bits.sort_by(f32::total_cmp);
        println!(
            "{op}: 10 s {r10}/{tries}, 20 s {r20}/{tries}; sync z (10 s) mean {:.1} min {zmin:.1}; bit z min {:.2} median {:.2}",
            zsum / tries as f32,
            bits[0],
            bits[bits.len() / 2]
        );
    }
    unmarked.sort_by(f32::total_cmp);
    println!(
        "unmarked (10-s and 20-s windows of MP3s): {} windows, best alignment score median {:.1}, 99th percentile {:.1}, max {unmarked_max:.1}; at or over 12: {}",
        unmarked.len(),
        unmarked[unmarked.len() / 2],
        unmarked[unmarked.len() * 99 / 100],
        unmarked.iter().filter(|&&z| z >= 12.0).count()
    );
    unmarked_match.sort_by(f32::total_cmp);
    println!(
        "Viterbi word's match per coded bit: unmarked median {:.2}, 99th percentile {:.2}, max {:.2}; marked windows read back: min {read_match:.2}",
        unmarked_match[unmarked_match.len() / 2],
        unmarked_match[unmarked_match.len() * 99 / 100],
        unmarked_match[unmarked_match.len() - 1],
    );
}
