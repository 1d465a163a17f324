//! Embed and detect time on a 12-MP picture (4000x3000), median of five
//! runs, and the time of a 1080p frame mark. Run with `--release`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use tanba_watermark::{FrameMarker, PUBLIC_KEY, detect, embed};

/// CPU time of the whole process so far (all threads), in ms: on a shared
/// machine the wall time says more about the neighbours than the code.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = after
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    // Fields 14 and 15 (utime, stime), in clock ticks of 10 ms.
    (f.get(11).unwrap_or(&0.0) + f.get(12).unwrap_or(&0.0)) * 10.0
}

/// Mean CPU ms of `run` over 20 runs.
fn cpu_per_run(mut run: impl FnMut()) -> f64 {
    let start = cpu_ms();
    for _ in 0..20 {
        run();
    }
    (cpu_ms() - start) / 20.0
}

fn median_ms(mut run: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let big = common::generated("smooth", 4000, 3000, 7);
    let mut marked = big.clone();
    embed(&mut marked, 42, PUBLIC_KEY)?;
    let embed_ms = median_ms(|| {
        let mut m = big.clone();
        let _ = embed(&mut m, 42, PUBLIC_KEY);
    });
    let clone_ms = median_ms(|| {
        let _ = std::hint::black_box(big.clone());
    });
    let detect_ms = median_ms(|| {
        std::hint::black_box(detect(&marked, PUBLIC_KEY));
    });
    let embed_cpu = cpu_per_run(|| {
        let mut m = big.clone();
        let _ = embed(&mut m, 42, PUBLIC_KEY);
    }) - cpu_per_run(|| {
        let _ = std::hint::black_box(big.clone());
    });
    let detect_cpu = cpu_per_run(|| {
        std::hint::black_box(detect(&marked, PUBLIC_KEY));
    });
    println!("12 MP CPU time (all threads): embed {embed_cpu:.1} ms, detect {detect_cpu:.1} ms");
    let marker = FrameMarker::new(1920, 1080, 42, PUBLIC_KEY)?;
    let mut frame = vec![128u8; 1920 * 1080];
    let frame_ms = median_ms(|| marker.apply(&mut frame, 1920));
    println!(
        "12 MP: embed {:.1} ms (clone {clone_ms:.1} ms taken off), detect {detect_ms:.1} ms, read {:?}; 1080p frame mark {frame_ms:.2} ms",
        embed_ms - clone_ms,
        detect(&marked, PUBLIC_KEY)
    );
    Ok(())
}
