//! What the watermark's read-back costs in the labeler's check of its own
//! video output: `cargo run --release -p tanba-video --example
//! readback_cost -- LABELLED [ROUNDS]`, on a file the labeler wrote with
//! the watermark. Prints the mean CPU time (user + system, FFmpeg's
//! threads included) and the median wall time of the label check alone, of
//! the check followed by the old read-back (every frame of the first 10 s
//! decoded again, then the blind search) and of the check reading the mark
//! from the frames it decodes anyway.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::path::Path;
use std::time::{Duration, Instant};

use tanba_core::{Format, Labeler, Limits, Source, WatermarkKey, read_head};
use tanba_video::VideoLabeler;

/// User + system CPU time of this process so far (Linux, 10 ms ticks).
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

fn time<T>(rounds: usize, mut f: impl FnMut() -> T) -> (Duration, Duration) {
    let cpu_start = cpu();
    let mut walls: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed()
        })
        .collect();
    walls.sort();
    (walls[walls.len() / 2], (cpu() - cpu_start) / rounds as u32)
}

/// Runs `f` on the file at `path` opened as a source.
fn with_source<T>(path: &Path, format: &'static Format, f: impl FnOnce(Source<'_>) -> T) -> T {
    let mut file = File::open(path).unwrap();
    let len = file.metadata().unwrap().len();
    f(Source {
        reader: &mut file,
        format,
        path: Some(path),
        len,
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = Path::new(&args[1]);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(3);
    let labeler = VideoLabeler::default();
    let format = tanba_video::sniff(&read_head(&mut File::open(path).unwrap()).unwrap()).unwrap();
    let limits = Limits::default();
    let key = WatermarkKey::PUBLIC;
    let check = time(rounds, || {
        with_source(path, format, |s| labeler.verify(s, &limits).unwrap())
    });
    let before = time(rounds, || {
        let v = with_source(path, format, |s| labeler.verify(s, &limits).unwrap());
        let w = with_source(path, format, |s| {
            labeler.read_watermark(s, key, &limits).unwrap()
        });
        (v, w.expect("the blind read finds the mark"))
    });
    let now = time(rounds, || {
        let v = with_source(path, format, |s| {
            labeler.verify_with_watermark(s, key, &limits).unwrap()
        });
        v.watermark.expect("the known read finds the mark")
    });
    let ms = |(wall, cpu): (Duration, Duration)| {
        format!(
            "{:8.0} {:8.0}",
            cpu.as_secs_f64() * 1000.0,
            wall.as_secs_f64() * 1000.0
        )
    };
    println!(
        "{}, {rounds} rounds: mean CPU ms, median wall ms",
        path.display()
    );
    println!("  check, label only              {}", ms(check));
    println!("  check + read-back, before      {}", ms(before));
    println!("  check + read-back, now         {}", ms(now));
}
