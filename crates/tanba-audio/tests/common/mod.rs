//! The outside tools the integration tests check with, in one place: the
//! ffmpeg CLI (inputs made at test time), ffprobe, exiftool, and an ISO BMFF
//! box walk.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

/// Runs the ffmpeg CLI quietly and fails the test with its stderr.
pub fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg is installed");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// ffprobe's JSON with `streams` and `format`.
pub fn ffprobe(path: &Path) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_streams",
            "-show_format",
        ])
        .arg(path)
        .output()
        .expect("ffprobe is installed");
    assert!(
        out.status.success(),
        "ffprobe {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// exiftool's JSON for one file (groups named, duplicates kept).
pub fn exiftool_json(path: &Path) -> serde_json::Value {
    let out = Command::new("exiftool")
        .args(["-j", "-G1", "-a"])
        .arg(path)
        .output()
        .expect("exiftool is installed");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json[0].clone()
}

/// exiftool's reading of every tag, duplicates and unknown tags too, one
/// `[group] Name : value` per line.
pub fn exiftool(path: &Path) -> String {
    let out = Command::new("exiftool")
        .args(["-a", "-G1", "-s", "-u"])
        .arg(path)
        .output()
        .expect("exiftool is installed");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// [`exiftool`]'s lines with the padding squeezed to one space, so they can
/// be matched as `[group] Name : value`.
pub fn exiftool_lines(path: &Path) -> Vec<String> {
    exiftool(path)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// The top-level box types of an ISO BMFF file, in order.
pub fn top_level_boxes(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos + 8 <= bytes.len() {
        let mut size = u32::from_be_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        if size == 1 {
            size = u64::from_be_bytes(bytes[pos + 8..pos + 16].try_into().unwrap()) as usize;
        } else if size == 0 {
            size = bytes.len() - pos;
        }
        out.push(String::from_utf8_lossy(&bytes[pos + 4..pos + 8]).into_owned());
        assert!(size >= 8, "bad box size at {pos}");
        pos += size;
    }
    out
}
