//! Tuning aid for the audio mark: for each of the audio matrix's inputs
//! and each operation, whether a 10-s window (at the matrix's start) reads
//! back, where the right alignment ranks among all hypotheses, its per-bit
//! z, and whether it would decode on its own, so a miss can be told apart
//! as an alignment miss (decodes, ranked too low) or a weak mark.
//!
//! `cargo run --release -p tanba-watermark --example audio_diag [INPUTS [OPS [FIRST]]]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/audio_common/mod.rs"]
mod audio_common;

use audio_common::{apply, mark, matrix_inputs, write_wav};
use tanba_watermark::audio::audio_diagnose;
use tanba_watermark::{PUBLIC_KEY, detect_audio};

fn main() {
    let arg = |i: usize| std::env::args().nth(i);
    let n: usize = arg(1).and_then(|a| a.parse().ok()).unwrap_or(50);
    let ops = arg(2).unwrap_or("strip".into());
    let first: usize = arg(3).and_then(|a| a.parse().ok()).unwrap_or(0);
    let payload = 0x0123_4567_89AB_CDEF;
    let dir = tempfile::tempdir().unwrap();
    let mut reads = vec![0usize; ops.split(',').count()];
    for clip in matrix_inputs(n, 60.0).iter().skip(first) {
        let marked = mark(clip, payload, PUBLIC_KEY);
        let src = dir.path().join(format!("{}.wav", clip.name));
        write_wav(&src, &marked);
        for (o, op) in ops.split(',').enumerate() {
            let back = apply(op, &src, dir.path(), &marked);
            let w = back.window(1.3, 10.0);
            let read = detect_audio(w, back.rate, back.channels, PUBLIC_KEY).map(|d| d.payload);
            let (rank, z, alone, sd) =
                audio_diagnose(w, back.rate, back.channels, PUBLIC_KEY, payload);
            reads[o] += usize::from(read == Some(payload));
            let tag = match (read == Some(payload), alone) {
                (true, _) => "read",
                (false, true) => "MISS-ALIGN",
                (false, false) => "MISS-WEAK",
            };
            println!("{} {op}: {tag} rank {rank} z {z:.2} sd {sd:.2}", clip.name);
        }
    }
    println!("reads {reads:?} of {}", n - first);
}
