//! What the watermark's read-back costs in a labeler's check of its own
//! output, on a generated 4000x3000 (12-MP) photo-like JPEG:
//! `cargo run --release -p tanba-image --example readback_cost [ROUNDS [JPEG]]`.
//! Prints the mean CPU time and the median wall time of each: labelling with and without the mark, the
//! check as it was (the badge's restart intervals, then a whole RGB decode
//! and the blind search) and as it is (one whole-luma decode for the badge
//! and a read at the embedding's geometry).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};
use tanba_core::{Job, Limits, WatermarkKey};
use tanba_image::ImageLabeler;

fn median(mut d: Vec<Duration>) -> Duration {
    d.sort();
    d[d.len() / 2]
}

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

/// The median wall time of `rounds` runs, and their mean CPU time (user +
/// system, every thread): on a loaded machine the CPU time is the measure.
fn time<T>(rounds: usize, mut f: impl FnMut() -> T) -> (Duration, Duration) {
    let cpu_start = cpu();
    let wall = median(
        (0..rounds)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(f());
                start.elapsed()
            })
            .collect(),
    );
    (wall, (cpu() - cpu_start) / rounds as u32)
}

fn photo(w: u32, h: u32) -> Vec<u8> {
    let mut state = 0x9E37_79B9u32;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = (state % 40) as i32 - 20;
        let base = [
            (x * 255 / w) as i32,
            (y * 255 / h) as i32,
            ((x + y) * 127 / (w + h)) as i32 + 64,
        ];
        image::Rgb(base.map(|c| (c + n).clamp(0, 255) as u8))
    });
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(
            img.as_raw(),
            w as u16,
            h as u16,
            jpeg_encoder::ColorType::Rgb,
        )
        .unwrap();
    out
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    // A JPEG named on the command line, or the generated photo.
    let input = std::env::args()
        .nth(2)
        .map_or_else(|| photo(4000, 3000), |p| std::fs::read(p).unwrap());
    let labeler = ImageLabeler::default();
    let limits = Limits::default();
    let key = WatermarkKey::PUBLIC;
    let marked = Job::default();
    let bare = Job::default().with_watermark(None);
    let (out, labelled) = labeler.label_bytes(&input, None, &marked).unwrap();
    let payload = labelled.manifest.watermark_payload().unwrap();
    let label_marked = time(rounds, || {
        labeler.label_bytes(&input, None, &marked).unwrap()
    });
    let label_bare = time(rounds, || labeler.label_bytes(&input, None, &bare).unwrap());
    let before = time(rounds, || {
        let v = labeler.verify_bytes(&out, &limits).unwrap();
        let w = labeler.read_watermark_bytes(&out, key, &limits).unwrap();
        assert_eq!(w.map(|w| w.payload), Some(payload));
        v
    });
    let after = time(rounds, || {
        let v = labeler
            .verify_bytes_with_watermark(&out, key, &limits)
            .unwrap();
        assert_eq!(v.watermark.map(|w| w.payload), Some(payload));
        v
    });
    let badge_only = time(rounds, || labeler.verify_bytes(&out, &limits).unwrap());
    // The embedding alone, on the decoded picture (a copy made each round).
    let rgb = image::load_from_memory(&input).unwrap().into_rgb8();
    let copy = time(rounds, || rgb.clone());
    let embed = time(rounds, || {
        let mut img = rgb.clone();
        tanba_watermark::embed(&mut img, payload, tanba_watermark::PUBLIC_KEY).unwrap()
    });
    let embed = (
        embed.0.saturating_sub(copy.0),
        embed.1.saturating_sub(copy.1),
    );
    let ms = |(wall, cpu): (Duration, Duration)| {
        format!(
            "{:8.1} {:8.1}",
            cpu.as_secs_f64() * 1000.0,
            wall.as_secs_f64() * 1000.0
        )
    };
    println!("JPEG, {rounds} rounds: mean CPU ms, median wall ms");
    println!("  label, watermark on            {}", ms(label_marked));
    println!("  label, --no-watermark          {}", ms(label_bare));
    println!("  embed alone                    {}", ms(embed));
    println!("  check, badge only (no mark)    {}", ms(badge_only));
    println!("  check + read-back, before      {}", ms(before));
    println!("  check + read-back, now         {}", ms(after));
}
