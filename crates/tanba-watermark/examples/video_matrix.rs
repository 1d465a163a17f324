//! The video robustness matrix: about 60 clips of 14 s (see
//! support/video_clips.rs: test cards, synthetic motion, noise, colour
//! fields with moving text, real photos in motion, scene cuts, the fixture
//! clip; 360p to 1080p, upright too, 24 to 60 fps), each marked frame by
//! frame on its luma with `FrameMarker` and encoded as Tanba does (x264
//! CRF 20), then stripped, re-encoded with x264 CRF 28 at 720p, re-encoded
//! with VP9, or cut (first 10 s off), all with the real ffmpeg;
//! `FrameDetector` reads 4 s of the result. The same clip unmarked is read
//! for false positives. Prints the markdown section.
//!
//! `--quick`: three clips; `--only TEXT`: the clips whose name holds TEXT
//! (`A|B`: either);
//! `--jobs N`: clips at once (default 2); `--check`: only decode 1 s of
//! each clip's source (the graphs work); `--rows FILE`: each clip's row
//! appended to FILE as it finishes; `--report-rows FILE`: the section from
//! such a log (a run cut short: partial); `--skip N`: from the N-th clip
//! on; `--keep DIR`: work in DIR and keep every clip and re-encode there
//! (to try a detector on them again). Run with `--release`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/registry.rs"]
mod registry;
#[path = "support/summary.rs"]
mod summary;
#[path = "support/video_clips.rs"]
mod video_clips;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use common::video::{ffmpeg, read_clip};
use image::RgbImage;
use summary::Cell;
use tanba_watermark::{FrameMarker, PUBLIC_KEY};
use video_clips::{Clip, KINDS, MIN_SCOPE_SIDE, SECONDS};

/// Seconds of frames the detector reads.
const READ: f32 = 4.0;

/// The `-vf` of "x264 CRF 28 at 720p": the shorter side to 720, so an
/// upright clip becomes 720x1280 as platforms make it.
const TO_720P: &str = "scale='if(gte(iw,ih),-2,720)':'if(gte(iw,ih),720,-2)'";

/// Operations: name, ffmpeg arguments between the input and the output,
/// output extension, whether the input goes after `-ss 10`. The
/// re-encodes write only the 4 s the detector reads ([`READ`]; `-t 4`),
/// which spares the bench two thirds of their time: an encoder at a
/// constant quality (CRF) codes those seconds the same whatever follows.
const OPS: [(&str, &[&str], &str, bool); 4] = [
    (
        "metadata stripped (`-map_metadata -1 -c copy`)",
        &["-map_metadata", "-1", "-c", "copy"],
        "mp4",
        false,
    ),
    (
        "x264 CRF 28 at 720p",
        &["-t", "4", "-vf", TO_720P, "-c:v", "libx264", "-crf", "28"],
        "mp4",
        false,
    ),
    (
        "VP9 re-encode (libvpx-vp9 CRF 36)",
        &[
            "-t",
            "4",
            "-c:v",
            "libvpx-vp9",
            "-crf",
            "36",
            "-b:v",
            "0",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
        ],
        "webm",
        false,
    ),
    (
        "first 10 s cut off (x264 CRF 23)",
        &["-c:v", "libx264", "-crf", "23"],
        "mp4",
        true,
    ),
];

/// What one clip gave.
struct Row {
    /// Full payload read back, per operation.
    read: Vec<bool>,
    /// The unmarked clip reported a mark.
    unmarked: bool,
    /// Luma PSNR of the mark, the worst frame's, in dB.
    psnr: f64,
    /// Luma SSIM of the mark, the worst of one frame every 2 s.
    ssim: f64,
    /// The per-clip table's row.
    line: String,
}

/// Decoder of `clip`'s source: raw yuv420p frames of its size and rate,
/// [`SECONDS`] of them, on stdout.
fn source(clip: &Clip, seconds: f32) -> Child {
    Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", &clip.graph])
        .args(["-t", &seconds.to_string(), "-vf"])
        .arg(format!(
            "fps={},scale={}:{},setsar=1,format=yuv420p",
            clip.fps, clip.w, clip.h
        ))
        .args(["-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("ffmpeg is required: {e}"))
}

/// Encoder of raw yuv420p frames of `clip`'s size and rate into `out`, as
/// Tanba's video labeler encodes (x264 CRF 20; preset ultrafast, to save
/// the bench's time).
fn encoder(clip: &Clip, out: &Path) -> Child {
    Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p"])
        .args(["-s", &format!("{}x{}", clip.w, clip.h)])
        .args(["-r", &clip.fps.to_string(), "-i", "-"])
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-crf", "20"])
        .args(["-pix_fmt", "yuv420p"])
        .arg(out)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("ffmpeg is required: {e}"))
}

/// A gray picture of a luma plane, for the common SSIM (its luma of a
/// gray pixel is the value).
fn gray(luma: &[u8], w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let v = luma[(y * w + x) as usize];
        image::Rgb([v, v, v])
    })
}

/// Decodes `clip` once, marks every frame's luma into `marked` and writes
/// the first [`READ`] s unmarked into `plain` (the false-positive read).
/// Returns the worst frame's luma PSNR and the worst SSIM of one frame
/// every 2 s.
fn make_pair(clip: &Clip, payload: u64, marked: &Path, plain: &Path) -> (f64, f64) {
    let (w, h) = (clip.w as usize, clip.h as usize);
    let mut marker = FrameMarker::new(clip.w, clip.h, payload, PUBLIC_KEY).unwrap();
    let mut src = source(clip, SECONDS as f32);
    let (mut enc, mut enc_plain) = (encoder(clip, marked), encoder(clip, plain));
    let mut frame = vec![0u8; w * h * 3 / 2];
    let (mut worst_mse, mut ssim, mut n) = (0.0f64, 1.0f64, 0u32);
    {
        let reader = src.stdout.as_mut().unwrap();
        let writer = enc.stdin.as_mut().unwrap();
        while reader.read_exact(&mut frame).is_ok() {
            let plain_frames = (READ * clip.fps as f32) as u32;
            if n < plain_frames {
                enc_plain.stdin.as_mut().unwrap().write_all(&frame).unwrap();
            } else if n == plain_frames {
                drop(enc_plain.stdin.take());
            }
            let before = frame[..w * h].to_vec();
            marker.mark(&mut frame[..w * h], w);
            let mse = before
                .iter()
                .zip(&frame[..w * h])
                .map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2))
                .sum::<f64>()
                / (w * h) as f64;
            worst_mse = worst_mse.max(mse);
            if n.is_multiple_of(2 * clip.fps) {
                let (a, b) = (
                    gray(&before, clip.w, clip.h),
                    gray(&frame[..w * h], clip.w, clip.h),
                );
                ssim = ssim.min(common::luma_ssim(&a, &b));
            }
            writer.write_all(&frame).unwrap();
            n += 1;
        }
    }
    drop(enc.stdin.take());
    drop(enc_plain.stdin.take());
    assert!(
        src.wait().unwrap().success(),
        "{}: source failed",
        clip.name
    );
    assert!(
        enc.wait().unwrap().success(),
        "{}: encoding failed",
        clip.name
    );
    assert!(
        enc_plain.wait().unwrap().success(),
        "{}: encoding failed",
        clip.name
    );
    let want = (SECONDS - 1) * clip.fps;
    assert!(n >= want, "{}: {n} frames, not {want}", clip.name);
    let psnr = if worst_mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64 * 255.0 / worst_mse).log10()
    };
    (psnr, ssim)
}

/// Marks one clip, runs every operation on it and reads it back.
fn one_clip(dir: &Path, i: usize, clip: &Clip) -> Row {
    // The payload follows the clip's place in the whole list, so a run of
    // a few clips (`--only`, `--skip`) marks each as the whole run does.
    let id = video_clips::clips()
        .iter()
        .position(|c| c.name == clip.name)
        .unwrap_or(i);
    let payload = 0x5EED_0000_0000_0000 | id as u64;
    let marked = dir.join(format!("clip{i}.mp4"));
    let plain = dir.join(format!("plain{i}.mp4"));
    let (psnr, ssim) = make_pair(clip, payload, &marked, &plain);
    let unmarked = read_clip(&plain, READ, PUBLIC_KEY).detect().is_some();
    let mut line = format!(
        "| {} | {}x{} {} fps | {psnr:.1} | {ssim:.4} |",
        clip.name, clip.w, clip.h, clip.fps
    );
    let mut read = Vec::new();
    for (k, (_, args, ext, cut)) in OPS.iter().enumerate() {
        let out = dir.join(format!("clip{i}-op{k}.{ext}"));
        let (m, o) = (marked.display().to_string(), out.display().to_string());
        let mut all: Vec<&str> = if *cut {
            vec!["-ss", "10", "-i", &m]
        } else {
            vec!["-i", &m]
        };
        all.extend_from_slice(args);
        all.push(&o);
        ffmpeg(&all);
        let detector = read_clip(&out, READ, PUBLIC_KEY);
        let found = detector.detect();
        let ok = found.is_some_and(|d| d.payload == payload);
        read.push(ok);
        // A lost read says why: the sync at the embedding's offset, and
        // how many of the 80 coded bits read wrong there (the decoder
        // mends 2 from sync z 8).
        let why = detector.reliability(payload).map_or(String::new(), |r| {
            format!(
                " (z {:.1} at the origin, {} bits wrong)",
                r.sync_z,
                r.wrong()
            )
        });
        line.push_str(&match found {
            Some(d) if ok => format!(" read (z {:.1}) |", d.sync_z),
            _ => format!(" **lost**{why} |"),
        });
        if !keep() {
            let _ = std::fs::remove_file(&out);
        }
    }
    line.push_str(if unmarked {
        " **reported** |"
    } else {
        " none |"
    });
    for f in [&marked, &plain] {
        if !keep() {
            let _ = std::fs::remove_file(f);
        }
    }
    eprintln!("{line}");
    Row {
        read,
        unmarked,
        psnr,
        ssim,
        line,
    }
}

/// The row of a clip whose run panicked (its message is on stderr).
fn failed(clip: &Clip) -> Row {
    Row {
        read: vec![false; OPS.len()],
        unmarked: false,
        psnr: f64::NAN,
        ssim: f64::NAN,
        line: format!(
            "| {} | {}x{} {} fps | - | - |{} - |",
            clip.name,
            clip.w,
            clip.h,
            clip.fps,
            " **failed** (see the run's log) |".repeat(OPS.len())
        ),
    }
}

/// The clips, `jobs` at a time (each is mostly one thread and one ffmpeg
/// at a time), in the clips' order.
fn run_all(dir: &Path, clips: &[Clip], jobs: usize, log: Option<&Path>) -> Vec<Row> {
    let next = AtomicUsize::new(0);
    let rows: Mutex<Vec<Option<Row>>> = Mutex::new((0..clips.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(clip) = clips.get(i) else { break };
                    // A clip the tools fail on is a row of losses that
                    // says so, not the end of a long run.
                    let row = std::panic::catch_unwind(|| one_clip(dir, i, clip))
                        .unwrap_or_else(|_| failed(clip));
                    let mut rows = rows.lock().unwrap();
                    if let Some(log) = log {
                        let mut f = std::fs::OpenOptions::new()
                            .create(true)
                            .append(true)
                            .open(log)
                            .unwrap();
                        writeln!(f, "{}", row.line).unwrap();
                    }
                    rows[i] = Some(row);
                }
            });
        }
    });
    rows.into_inner()
        .unwrap()
        .into_iter()
        .map(Option::unwrap)
        .collect()
}

/// The section's opening: what was run, and the clips by kind with why
/// each kind is there.
fn print_intro(clips: &[Clip], scoped: usize, time: Option<(f64, f64)>, total: usize) {
    let n = clips.len();
    if n < total {
        println!("## Video (partial: {n} of {total} clips finished)\n");
    } else {
        println!("## Video\n");
    }
    let took = time.map_or_else(
        || "Reported from the rows its run logged (`--report-rows`), so the run's time is not known here.".to_string(),
        |(wall, cpu)| format!(
            "The part took {:.1} min wall and {:.1} min of CPU (user + sys, with its ffmpegs): about {:.0} min on a quiet 2-core machine with both cores busy.",
            wall / 60.0,
            cpu / 60.0,
            cpu / 60.0 / 2.0
        ),
    );
    println!(
        "{n} clips of {SECONDS} s, each decoded from its ffmpeg source at its own size and frame rate, marked on every frame's luma (`FrameMarker`) and encoded as Tanba does (x264 CRF 20); each operation done with the real ffmpeg, then {READ} s of frames read (`FrameDetector`). The same clip unmarked ({READ} s) is read for false positives. In scope: the {scoped} clips that are not binary black-and-white content and whose shorter side is at least {MIN_SCOPE_SIDE} px (smaller frames have cells under 4 px, which `embed` reports weak for a picture; the picture matrix counts those apart too: see docs/watermark.md); goal 100 %. {took}\n"
    );
    println!("The clips, by kind (why each kind is there):\n");
    for (k, (kind, why)) in KINDS.iter().enumerate() {
        let names: Vec<&str> = clips
            .iter()
            .filter(|c| c.kind == k)
            .map(|c| c.name.as_str())
            .collect();
        if !names.is_empty() {
            println!(
                "- **{kind}** ({}): {why}. {}.",
                names.len(),
                names.join("; ")
            );
        }
    }
    let sizes = |lo: u32, hi: u32| {
        clips
            .iter()
            .filter(|c| (lo..hi).contains(&c.w.min(c.h)))
            .count()
    };
    println!(
        "\nSizes (shorter side): {} at 360-576, {} at 720, {} at 1080; frame rates 24 to 60.\n",
        sizes(0, 700),
        sizes(700, 1000),
        sizes(1000, 5000)
    );
}

/// The section: the intro, the cells (in-scope clips against the goal,
/// the others apart), the per-clip table and the summary line.
fn print_section(clips: &[Clip], rows: &[Row], time: Option<(f64, f64)>, total: usize) {
    let n = clips.len();
    let in_scope: Vec<bool> = clips.iter().map(|c| c.in_scope).collect();
    let scoped = in_scope.iter().filter(|&&s| s).count();
    print_intro(clips, scoped, time, total);
    let count = |k: usize, want: bool| {
        rows.iter()
            .zip(&in_scope)
            .filter(|(r, s)| **s == want && r.read[k])
            .count()
    };
    println!(
        "| operation | in scope ({scoped} clips) | out of scope ({}) |\n|---|---:|---:|",
        n - scoped
    );
    for (k, (op, ..)) in OPS.iter().enumerate() {
        println!(
            "| {op} | {}/{scoped} | {}/{} |",
            count(k, true),
            count(k, false),
            n - scoped
        );
    }
    let reports = rows.iter().filter(|r| r.unmarked).count();
    let psnr = rows.iter().map(|r| r.psnr).fold(f64::INFINITY, f64::min);
    let ssim = rows.iter().map(|r| r.ssim).fold(f64::INFINITY, f64::min);
    let mut psnrs: Vec<f64> = rows.iter().map(|r| r.psnr).collect();
    psnrs.sort_by(f64::total_cmp);
    println!(
        "\nUnmarked clips reported as marked: {reports}/{n}. Luma PSNR of the mark (the worst frame of each clip): min {psnr:.1} dB, median {:.1} dB; luma SSIM (the worst of one frame every 2 s): min {ssim:.4} (goal >= 40 dB, >= 0.98).\n",
        psnrs.get(n / 2).copied().unwrap_or(f64::NAN)
    );
    println!(
        "| clip | size, rate | PSNR dB | SSIM | {} | unmarked |\n|---|---|---:|---:|{}---|",
        OPS.iter().map(|o| o.0).collect::<Vec<_>>().join(" | "),
        "---|".repeat(OPS.len())
    );
    rows.iter().for_each(|r| println!("{}", r.line));
    // The line `cargo xtask bench watermark` lifts into the summaries.
    let cells: Vec<Cell> = OPS
        .iter()
        .enumerate()
        .map(|(k, (op, ..))| Cell::new(*op, count(k, true), scoped, 1.0))
        .collect();
    let notes = [
        format!(
            "{} clips out of scope (binary black-and-white, or under {MIN_SCOPE_SIDE} px)",
            n - scoped
        ),
        format!("unmarked clips reported: {reports}/{n}"),
        format!("luma PSNR min {psnr:.1} dB, SSIM min {ssim:.4} (goal >= 40 dB, >= 0.98)"),
    ];
    let scope = format!("the {scoped} in-scope clips");
    let line = summary::line("Video", "100 % in every cell", &scope, &cells, &notes);
    println!("\n{line}\n");
}

/// CPU seconds (user + sys) of this process and the ffmpegs it waited
/// for, from /proc/self/stat (Linux, 100 ticks a second): on a loaded
/// machine the wall time says little, this says what a quiet one needs.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(") ")?.1.split_whitespace().collect();
    // utime, stime, cutime, cstime: fields 14 to 17, after the name 11 to 14.
    let ticks: f64 = fields
        .get(11..15)?
        .iter()
        .map(|f| f.parse::<f64>().unwrap_or(0.0))
        .sum();
    Some(ticks / 100.0)
}

/// A row of the per-clip table read back (from `--rows`' log, or the
/// run's stderr): the clip's index in `clips` and its row.
fn parse_row(line: &str, clips: &[Clip]) -> Option<(usize, Row)> {
    let cells: Vec<&str> = line
        .trim()
        .strip_prefix('|')?
        .split('|')
        .map(str::trim)
        .collect();
    let name = *cells.first()?;
    let i = clips.iter().position(|c| c.name == name)?;
    let ops = cells.get(4..4 + OPS.len())?;
    let row = Row {
        read: ops.iter().map(|c| c.starts_with("read")).collect(),
        unmarked: cells.get(4 + OPS.len())?.contains("reported"),
        psnr: cells.get(2)?.parse().unwrap_or(f64::NAN),
        ssim: cells.get(3)?.parse().unwrap_or(f64::NAN),
        line: line.trim().to_string(),
    };
    Some((i, row))
}

/// `--report-rows FILE`: the section from the rows a run logged (one cut
/// short, or run in parts), the clips in the list's order; partial when
/// some have no row.
fn report_rows(log: &Path, clips: &[Clip]) -> Result<(), Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(log)?;
    let mut found: Vec<Option<Row>> = (0..clips.len()).map(|_| None).collect();
    for (i, row) in text.lines().filter_map(|l| parse_row(l, clips)) {
        found[i] = Some(row);
    }
    let (done, rows): (Vec<&Clip>, Vec<Row>) = clips
        .iter()
        .zip(found)
        .filter_map(|(c, r)| r.map(|r| (c, r)))
        .unzip();
    let done: Vec<Clip> = done.into_iter().cloned().collect();
    print_section(&done, &rows, None, clips.len());
    Ok(())
}

/// `--check`: one second of every clip's source decoded, to see that the
/// graphs work before a long run.
fn check(clips: &[Clip]) {
    for clip in clips {
        let mut src = source(clip, 1.0);
        let mut frame = vec![0u8; (clip.w * clip.h * 3 / 2) as usize];
        let mut n = 0;
        while src.stdout.as_mut().unwrap().read_exact(&mut frame).is_ok() {
            n += 1;
        }
        let ok = src.wait().unwrap().success();
        println!(
            "{}: {n} frames{}",
            clip.name,
            if ok { "" } else { ", FAILED" }
        );
    }
}

/// Whether `--keep DIR` was given (the files stay in DIR).
fn keep() -> bool {
    arg("--keep").is_some()
}

fn arg(name: &str) -> Option<String> {
    std::env::args().skip_while(|a| a != name).nth(1)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let flag = |f: &str| std::env::args().any(|a| a == f);
    let only = arg("--only").unwrap_or_default();
    let jobs = arg("--jobs").and_then(|j| j.parse().ok()).unwrap_or(2);
    let mut clips: Vec<Clip> = video_clips::clips()
        .into_iter()
        .filter(|c| only.split('|').any(|o| c.name.contains(o)))
        .collect();
    if flag("--quick") {
        // One card, one photo, and the out-of-scope kind.
        let pick = [
            "testsrc2 720p25",
            "lake, panned, 720p30",
            "Game of Life 720p25",
        ];
        clips.retain(|c| pick.contains(&c.name.as_str()));
    }
    if flag("--check") {
        check(&clips);
        return Ok(());
    }
    if let Some(log) = arg("--report-rows") {
        return report_rows(Path::new(&log), &clips);
    }
    // `--skip N`: from the N-th clip on (a second run taking the list's
    // end, into the same `--rows` log).
    let skip = arg("--skip").and_then(|n| n.parse().ok()).unwrap_or(0);
    let clips: Vec<Clip> = clips.into_iter().skip(skip).collect();
    let log = arg("--rows");
    let tmp = tempfile::tempdir()?;
    let dir = arg("--keep").map_or(tmp.path().to_path_buf(), std::path::PathBuf::from);
    std::fs::create_dir_all(&dir)?;
    let t = Instant::now();
    let rows = run_all(&dir, &clips, jobs, log.as_deref().map(Path::new));
    let cpu = cpu_seconds().unwrap_or(f64::NAN);
    let time = (t.elapsed().as_secs_f64(), cpu);
    print_section(&clips, &rows, Some(time), clips.len());
    let mut marker = FrameMarker::new(1920, 1080, 42, PUBLIC_KEY)?;
    let mut frame = vec![128u8; 1920 * 1080];
    let t = Instant::now();
    for _ in 0..100 {
        marker.mark(&mut frame, 1920);
    }
    println!(
        "Marking one 1080p frame's luma: {:.2} ms (wall, mean of 100, the scene updates included).\n",
        t.elapsed().as_secs_f64() * 10.0
    );
    Ok(())
}
