//! Helpers shared by the integration tests: inputs made with the `ffmpeg`
//! CLI at test time, labelling through the `Labeler` trait, and read-backs
//! with ffprobe and exiftool.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use tanba_core::{Job, Labeler, Labelled, Limits, Source, Verification, read_head};
use tanba_video::{VideoLabeler, VideoSettings, sniff};

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

/// ffprobe's JSON for `args` (e.g. `-show_streams`).
pub fn ffprobe(path: &Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json"])
        .args(args)
        .arg(path)
        .output()
        .expect("ffprobe is installed");
    assert!(
        out.status.success(),
        "ffprobe {args:?} {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every stream's description.
pub fn streams(path: &Path) -> Vec<serde_json::Value> {
    ffprobe(path, &["-show_streams"])["streams"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The first stream of `kind` (`video`, `audio`, `subtitle`).
pub fn stream(path: &Path, kind: &str) -> serde_json::Value {
    streams(path)
        .into_iter()
        .find(|s| s["codec_type"] == kind)
        .unwrap_or_else(|| panic!("{} has no {kind} stream", path.display()))
}

/// Frames of the first video stream, counted by decoding.
pub fn frame_count(path: &Path) -> u64 {
    let v = ffprobe(
        path,
        &[
            "-select_streams",
            "v:0",
            "-count_frames",
            "-show_entries",
            "stream=nb_read_frames",
        ],
    );
    v["streams"][0]["nb_read_frames"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Presentation timestamps (seconds) of the first video stream's frames.
pub fn frame_times(path: &Path) -> Vec<f64> {
    let v = ffprobe(
        path,
        &[
            "-select_streams",
            "v:0",
            "-show_entries",
            "frame=pts_time,best_effort_timestamp_time",
        ],
    );
    v["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            f["pts_time"]
                .as_str()
                .or(f["best_effort_timestamp_time"].as_str())
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect()
}

/// `framemd5` of the streams `map` selects, copied (not decoded): one line
/// per packet with its timestamps, size and MD5.
pub fn packet_md5(path: &Path, map: &str) -> Vec<String> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(path)
        .args(["-map", map, "-c", "copy", "-f", "framemd5", "-"])
        .output()
        .expect("ffmpeg is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        // Columns: stream, dts, pts, duration, size, md5. Timestamps may be
        // rebased by a container's time base, so compare size and hash.
        .map(|l| {
            let cols: Vec<&str> = l.split(',').map(str::trim).collect();
            format!("{},{}", cols[4], cols[5])
        })
        .collect()
}

/// exiftool's JSON for one file (all groups, with group names).
pub fn exiftool(path: &Path) -> serde_json::Value {
    let out = Command::new("exiftool")
        .args(["-j", "-G1", "-a", "-u", "-ee0"])
        .arg(path)
        .output()
        .expect("exiftool is installed");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v[0].clone()
}

/// exiftool's reading of every tag, duplicates and unknown tags too, one
/// `[group] Name : value` per line with the padding squeezed to one space.
pub fn exiftool_lines(path: &Path) -> Vec<String> {
    let out = Command::new("exiftool")
        .args(["-a", "-G1", "-s", "-u"])
        .arg(path)
        .output()
        .expect("exiftool is installed");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// A 320x240 25 fps test pattern with a 1 kHz AAC tone, `secs` long, in MP4.
pub fn make_mp4(dir: &Path, name: &str, secs: &str) -> PathBuf {
    let out = dir.join(name);
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!("testsrc=size=320x240:rate=25:duration={secs}"),
        "-f",
        "lavfi",
        "-i",
        &format!("sine=frequency=1000:sample_rate=44100:duration={secs}"),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        // Signalled colours, which the output must keep.
        "-color_primaries",
        "bt709",
        "-color_trc",
        "bt709",
        "-colorspace",
        "bt709",
        "-color_range",
        "tv",
        "-c:a",
        "aac",
        "-b:a",
        "64k",
        "-shortest",
        out.to_str().unwrap(),
    ]);
    out
}

/// An SRT file with two cues.
pub fn make_srt(dir: &Path) -> PathBuf {
    let path = dir.join("subs.srt");
    std::fs::write(
        &path,
        "1\n00:00:00,000 --> 00:00:01,000\nСәлем\n\n2\n00:00:01,000 --> 00:00:02,000\nHello\n",
    )
    .unwrap();
    path
}

pub fn labeler() -> VideoLabeler {
    VideoLabeler::new(VideoSettings {
        // The test machines have two cores shared with other jobs.
        preset: Some("ultrafast".into()),
        threads: 2,
        ..VideoSettings::default()
    })
}

fn source_format(input: &Path) -> &'static tanba_core::Format {
    let head = read_head(&mut File::open(input).unwrap()).unwrap();
    sniff(&head).unwrap_or_else(|| panic!("{} is not sniffed as video", input.display()))
}

/// Labels `input` into `output` with `labeler`; on error the output file
/// is not created (the bytes go to memory first).
pub fn label_with(
    labeler: &VideoLabeler,
    input: &Path,
    output: &Path,
    job: &Job,
) -> tanba_core::Result<Labelled> {
    let format = source_format(input);
    label_as(labeler, input, format, output, job)
}

/// Labels with an explicit format (for inputs the sniffer refuses).
pub fn label_as(
    labeler: &VideoLabeler,
    input: &Path,
    format: &'static tanba_core::Format,
    output: &Path,
    job: &Job,
) -> tanba_core::Result<Labelled> {
    let mut reader = File::open(input).unwrap();
    let len = reader.metadata().unwrap().len();
    let mut out = std::io::Cursor::new(Vec::new());
    let result = labeler.label(
        Source {
            reader: &mut reader,
            format,
            path: Some(input),
            len,
        },
        &mut out,
        job,
    );
    match &result {
        Ok(_) => std::fs::write(output, out.into_inner()).unwrap(),
        Err(_) => assert!(
            out.get_ref().is_empty(),
            "a failed label wrote {} bytes",
            out.get_ref().len()
        ),
    }
    result
}

pub fn label(input: &Path, output: &Path) -> Labelled {
    label_with(&labeler(), input, output, &Job::default()).unwrap()
}

pub fn verify(path: &Path) -> tanba_core::Result<Verification> {
    let format = source_format(path);
    let mut reader = File::open(path).unwrap();
    let len = reader.metadata().unwrap().len();
    labeler().verify(
        Source {
            reader: &mut reader,
            format,
            path: Some(path),
            len,
        },
        &Limits::default(),
    )
}

/// `num/den` as a float.
pub fn ratio(s: &serde_json::Value) -> f64 {
    let s = s.as_str().unwrap();
    let (n, d) = s.split_once('/').unwrap();
    n.parse::<f64>().unwrap() / d.parse::<f64>().unwrap()
}

/// One decoded frame as displayed (ffmpeg applies the display rotation),
/// as 8-bit grey: (width, height, pixels).
pub fn grey_frame(path: &Path, index: u32) -> (u32, u32, Vec<u8>) {
    let v = stream(path, "video");
    let (mut w, mut h) = (
        v["width"].as_u64().unwrap() as u32,
        v["height"].as_u64().unwrap() as u32,
    );
    let rotated = v["side_data_list"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|sd| {
            sd["rotation"]
                .as_i64()
                .is_some_and(|r| r.rem_euclid(180) == 90)
        });
    if rotated {
        std::mem::swap(&mut w, &mut h);
    }
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(path)
        .args([
            "-vf",
            &format!("select=eq(n\\,{index})"),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-",
        ])
        .output()
        .expect("ffmpeg is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.stdout.len(),
        (w * h) as usize,
        "frame {index} of {}",
        path.display()
    );
    (w, h, out.stdout)
}

/// The bounding box `[x0, y0, x1, y1]` (inclusive) of the pixels that differ
/// by more than 40 grey levels between frame `index` of two files.
pub fn changed_box(a: &Path, b: &Path, index: u32) -> Option<[u32; 4]> {
    let (w, h, pa) = grey_frame(a, index);
    let (w2, h2, pb) = grey_frame(b, index);
    assert_eq!((w, h), (w2, h2), "displayed sizes differ");
    let mut bb: Option<[u32; 4]> = None;
    for y in 0..h {
        for x in 0..w {
            let i = (y * w + x) as usize;
            if pa[i].abs_diff(pb[i]) > 40 {
                let r = bb.get_or_insert([x, y, x, y]);
                r[0] = r[0].min(x);
                r[1] = r[1].min(y);
                r[2] = r[2].max(x);
                r[3] = r[3].max(y);
            }
        }
    }
    bb
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

/// Inserts `boxes` at the end of the first sample entry of type `entry`
/// (e.g. `hvc1`) in an MP4 whose `moov` follows its `mdat` (so no chunk
/// offset moves), growing every enclosing box.
pub fn insert_into_sample_entry(path: &Path, entry: &[u8; 4], boxes: &[u8]) {
    let mut d = std::fs::read(path).unwrap();
    let size_at = |d: &[u8], at: usize| u32::from_be_bytes(d[at..at + 4].try_into().unwrap());
    let stsd = d.windows(4).position(|w| w == b"stsd").unwrap();
    let start = stsd + d[stsd..].windows(4).position(|w| w == entry).unwrap() - 4;
    let size = size_at(&d, start);
    let end = start + size as usize;
    d.splice(end..end, boxes.iter().copied());
    let delta = boxes.len() as u32;
    d[start..start + 4].copy_from_slice(&(size + delta).to_be_bytes());
    for kind in [b"stsd", b"stbl", b"minf", b"mdia", b"trak", b"moov"] {
        // The nearest box of this type before the entry that encloses it.
        let mut search = start;
        loop {
            let at = d[..search].windows(4).rposition(|w| w == kind).unwrap() - 4;
            let sz = size_at(&d, at);
            if at + sz as usize >= start {
                d[at..at + 4].copy_from_slice(&(sz + delta).to_be_bytes());
                break;
            }
            search = at;
        }
    }
    std::fs::write(path, d).unwrap();
}
