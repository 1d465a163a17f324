//! What reading a labelled JPEG back with `verify` costs next to labelling
//! it, on a generated 4000x3000 (12-MP) photo-like JPEG:
//! `cargo run --example verify_cost [ROUNDS]`. Prints the median of each.
//!
//! Build it optimised (the workspace's dev profile leaves this crate at
//! opt-level 0), for example with
//! `--config 'profile.dev.package.tanba-image.opt-level=3'`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};
use tanba_core::{Job, Limits};
use tanba_image::ImageLabeler;

fn median(mut d: Vec<Duration>) -> Duration {
    d.sort();
    d[d.len() / 2]
}

fn time<T>(rounds: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..rounds)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(f());
                start.elapsed()
            })
            .collect(),
    )
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

/// The labelled picture re-encoded without restart markers, its APPn
/// segments carried over: what a JPEG not written by Tanba looks like.
fn without_restarts(labelled: &[u8]) -> Vec<u8> {
    let img = image::load_from_memory(labelled).unwrap().into_rgb8();
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 90);
    let mut pos = 2;
    while labelled[pos] == 0xFF && labelled[pos + 1] != 0xDA {
        let len = u16::from_be_bytes([labelled[pos + 2], labelled[pos + 3]]) as usize;
        if (0xE1..=0xEF).contains(&labelled[pos + 1]) {
            enc.add_app_segment(labelled[pos + 1] - 0xE0, &labelled[pos + 4..pos + 2 + len])
                .unwrap();
        }
        pos += 2 + len;
    }
    enc.encode(
        img.as_raw(),
        img.width() as u16,
        img.height() as u16,
        jpeg_encoder::ColorType::Rgb,
    )
    .unwrap();
    out
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(7);
    let input = photo(4000, 3000);
    let labeler = ImageLabeler::default();
    let job = Job::default();
    let limits = Limits::default();
    let (out, _) = labeler.label_bytes(&input, None, &job).unwrap();
    let v = labeler.verify_bytes(&out, &limits).unwrap();
    assert!(v.is_compliant(), "{:?}", v.perceptible);
    let other = without_restarts(&out);
    let v = labeler.verify_bytes(&other, &limits).unwrap();
    assert!(v.is_compliant(), "{:?}", v.perceptible);

    // Interleaved, so a busy machine slows every measure of a round alike;
    // the ratio is also taken per round.
    let mut rows: [Vec<Duration>; 4] = Default::default();
    let mut ratios = Vec::new();
    for _ in 0..rounds {
        let l = time(1, || labeler.label_bytes(&input, None, &job).unwrap());
        let v = time(1, || labeler.verify_bytes(&out, &limits).unwrap());
        let o = time(1, || labeler.verify_bytes(&other, &limits).unwrap());
        let d = time(1, || image::load_from_memory(&out).unwrap());
        ratios.push(v.as_secs_f64() / l.as_secs_f64());
        for (row, t) in rows.iter_mut().zip([l, v, o, d]) {
            row.push(t);
        }
    }
    let [label, verify, verify_other, decode] = rows.map(median);
    ratios.sort_by(f64::total_cmp);
    let pct = |d: Duration| 100.0 * d.as_secs_f64() / label.as_secs_f64();
    println!("4000x3000 JPEG, median of {rounds} rounds");
    println!("label                                {label:>10.1?}");
    println!(
        "verify (Tanba output, restart marks) {verify:>10.1?}  {:5.1} % of label (median of per-round ratios {:.1} %)",
        pct(verify),
        100.0 * ratios[ratios.len() / 2]
    );
    println!(
        "verify (no restart marks: luma-only) {verify_other:>10.1?}  {:5.1} % of label",
        pct(verify_other)
    );
    println!(
        "full-colour decode (old verify core) {decode:>10.1?}  {:5.1} % of label",
        pct(decode)
    );
    println!("output {} bytes, input {} bytes", out.len(), input.len());
}
