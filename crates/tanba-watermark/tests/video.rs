//! The frame watermark read back after the real ffmpeg has re-encoded a
//! marked 1080p clip with x264 CRF 28 at 720p; unmarked clips read nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::video::{detect_clip, ffmpeg, make_clip};
use tanba_watermark::{FrameMarker, PUBLIC_KEY};

const PAYLOAD: u64 = 0x0F1E_2D3C_4B5A_6978;

/// Two seconds of a zooming Mandelbrot set: detail everywhere, all moving.
const SOURCE: [&str; 6] = [
    "-f",
    "lavfi",
    "-i",
    "mandelbrot=size=960x540:rate=25",
    "-t",
    "2",
];

#[test]
fn marked_1080p_frames_survive_x264_crf28_at_720p() {
    let dir = tempfile::tempdir().unwrap();
    let marked = dir.path().join("marked.mp4");
    make_clip(&SOURCE, 1920, 1080, Some((PAYLOAD, PUBLIC_KEY)), &marked);
    let small = dir.path().join("720p.mp4");
    let (m, s) = (marked.to_str().unwrap(), small.to_str().unwrap());
    ffmpeg(&[
        "-i",
        m,
        "-vf",
        "scale=1280:720",
        "-c:v",
        "libx264",
        "-crf",
        "28",
        s,
    ]);
    let found = detect_clip(&small, 2.0, PUBLIC_KEY).expect("no mark after x264 CRF 28 at 720p");
    eprintln!("read back {found:?}");
    assert_eq!(found.payload, PAYLOAD);

    let plain = dir.path().join("plain.mp4");
    make_clip(&SOURCE, 1920, 1080, None, &plain);
    assert_eq!(detect_clip(&plain, 2.0, PUBLIC_KEY), None);
}

#[test]
fn marker_refuses_small_frames_and_keeps_the_picture_within_40_db() {
    assert!(FrameMarker::new(320, 240, PAYLOAD, PUBLIC_KEY).is_err());
    let marker = FrameMarker::new(640, 360, PAYLOAD, PUBLIC_KEY).unwrap();
    // A mid-grey frame with a stride wider than the picture: the padding
    // is left alone.
    let stride = 704;
    let mut frame = vec![128u8; stride * 360];
    marker.apply(&mut frame, stride);
    let mut sq = 0.0f64;
    for row in frame.chunks(stride) {
        sq += row[..640]
            .iter()
            .map(|&v| (f64::from(v) - 128.0).powi(2))
            .sum::<f64>();
        assert!(
            row[640..].iter().all(|&v| v == 128),
            "stride padding changed"
        );
    }
    let psnr = 10.0 * (255.0f64.powi(2) / (sq / (640.0 * 360.0))).log10();
    assert!((40.0..60.0).contains(&psnr), "PSNR {psnr}");
}
