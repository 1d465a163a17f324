//! Clips made, marked, re-encoded and decoded with the real ffmpeg, for the
//! video tests and the video matrix.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use tanba_watermark::{FrameDetector, FrameMarker, Key};

/// Runs ffmpeg quietly with `args`; panics (fails the test) when it is
/// missing or fails: CI installs it.
pub fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("ffmpeg is required: {e}"));
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Decodes the lavfi `source` (or a file) as gray frames of `w` x `h`,
/// adds the mark when `mark` is given, and encodes the result as Tanba's
/// video labeler does (x264 CRF 20; preset ultrafast, to save the test's
/// time) into `out`: the labelled clip a later
/// operation starts from.
pub fn make_clip(source: &[&str], w: u32, h: u32, mark: Option<(u64, Key)>, out: &Path) {
    let mut marker = mark.map(|(payload, key)| FrameMarker::new(w, h, payload, key).unwrap());
    let size = format!("{w}x{h}");
    let mut src = Command::new("ffmpeg")
        .args(["-v", "error"])
        .args(source)
        .args([
            "-vf",
            &format!("scale={w}:{h}"),
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("ffmpeg is required: {e}"));
    let mut enc = Command::new("ffmpeg")
        .args([
            "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gray", "-s", &size,
        ])
        .args([
            "-r",
            "25",
            "-i",
            "-",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
        ])
        .args(["-crf", "20", "-pix_fmt", "yuv420p"])
        .arg(out)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("ffmpeg is required: {e}"));
    let mut frame = vec![0u8; (w * h) as usize];
    {
        let reader = src.stdout.as_mut().unwrap();
        let writer = enc.stdin.as_mut().unwrap();
        while reader.read_exact(&mut frame).is_ok() {
            if let Some(m) = &mut marker {
                m.mark(&mut frame, w as usize);
            }
            writer.write_all(&frame).unwrap();
        }
    }
    drop(enc.stdin.take());
    assert!(src.wait().unwrap().success(), "source ffmpeg failed");
    assert!(enc.wait().unwrap().success(), "encoding ffmpeg failed");
}

/// Decodes `clip` to gray frames, at most `seconds` of them, and runs the
/// frame detector over them.
pub fn detect_clip(clip: &Path, seconds: f32, key: Key) -> Option<tanba_watermark::Detection> {
    read_clip(clip, seconds, key).detect()
}

/// Decodes `clip` to gray frames, at most `seconds` of them, and pushes
/// them into a frame detector.
pub fn read_clip(clip: &Path, seconds: f32, key: Key) -> FrameDetector {
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .args(["stream=width,height", "-of", "csv=p=0"])
        .arg(clip)
        .output()
        .unwrap_or_else(|e| panic!("ffprobe is required: {e}"));
    let dims = String::from_utf8_lossy(&probe.stdout);
    let mut it = dims.trim().split(',').map(|v| v.parse::<u32>().unwrap());
    let (w, h) = (it.next().unwrap(), it.next().unwrap());
    let mut dec = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(clip)
        .args([
            "-t",
            &seconds.to_string(),
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("ffmpeg is required: {e}"));
    let mut detector = FrameDetector::new(key);
    let mut frame = vec![0u8; (w * h) as usize];
    let reader = dec.stdout.as_mut().unwrap();
    while reader.read_exact(&mut frame).is_ok() {
        detector.push(&frame, w, h, w as usize);
    }
    assert!(dec.wait().unwrap().success(), "decoding ffmpeg failed");
    detector
}
