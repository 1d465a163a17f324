//! Prints the robustness table: for each ImageMagick operation, the
//! fraction of ~20 marked pictures whose full payload is read back; then
//! false positives on the unmarked pictures, PSNR, and the embed/detect
//! time on a 12-MP picture. Run with `--release`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use tanba_watermark::{PUBLIC_KEY, detect, embed};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let corpus = common::corpus();
    let mut passed = vec![0usize; common::OPERATIONS.len()];
    let (mut false_pos, mut min_psnr) = (0, f64::INFINITY);
    for (i, (name, original)) in corpus.iter().enumerate() {
        if detect(original, PUBLIC_KEY).is_some() {
            false_pos += 1;
        }
        let payload = 0x0123_4567_89AB_CDEF ^ (i as u64) << 40;
        let mut marked = original.clone();
        embed(&mut marked, payload, PUBLIC_KEY)?;
        let psnr = common::luma_psnr(original, &marked);
        min_psnr = min_psnr.min(psnr);
        let src = dir.path().join(format!("{name}.png"));
        marked.save(&src)?;
        let mut row = format!("{name:>20} {psnr:5.1} dB");
        for (k, (op, args, ext)) in common::OPERATIONS.iter().enumerate() {
            let out = common::convert(&src, args, ext, dir.path(), &format!("{name}-{op}"));
            let ok = detect(&out, PUBLIC_KEY) == Some(payload);
            passed[k] += usize::from(ok);
            row.push_str(if ok { " ok" } else { " --" });
        }
        println!("{row}");
    }
    println!("\n| operation | read back |\n|---|---|");
    for ((op, _, _), n) in common::OPERATIONS.iter().zip(&passed) {
        println!("| {op} | {n}/{} |", corpus.len());
    }
    println!(
        "\nunmarked pictures reported as marked: {false_pos}/{}",
        corpus.len()
    );
    println!("lowest luma PSNR: {min_psnr:.1} dB");
    time_12mp()
}

fn time_12mp() -> Result<(), Box<dyn std::error::Error>> {
    let mut big = common::generated("smooth", 4000, 3000, 7);
    let t = Instant::now();
    embed(&mut big, 42, PUBLIC_KEY)?;
    let embed_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let found = detect(&big, PUBLIC_KEY);
    let detect_ms = t.elapsed().as_secs_f64() * 1e3;
    println!("12 MP (4000x3000): embed {embed_ms:.0} ms, detect {detect_ms:.0} ms, read {found:?}");
    Ok(())
}
