//! The video robustness matrix: a handful of 14-second clips (ffmpeg test
//! sources, the fixture clip looped, the fixture photo panned), marked frame by frame
//! with `FrameMarker` and encoded as Tanba does (x264 CRF 20), then
//! stripped, re-encoded with x264 CRF 28 at 720p, re-encoded with VP9, or
//! cut (first 10 s off), all with the real ffmpeg; `FrameDetector` reads 4 s
//! of the result. Prints a markdown table. `--quick`: two clips; `--only TEXT`: the clips whose name holds TEXT. Run with
//! `--release`.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/summary.rs"]
mod summary;

use std::path::Path;
use std::time::Instant;

use common::video::{detect_clip, ffmpeg, make_clip, read_clip};
use summary::Cell;

/// Length of every clip, in seconds: the cut takes the first 10 s off.
const SECONDS: u32 = 14;
/// Seconds of frames the detector reads.
const READ: f32 = 4.0;
use tanba_watermark::{FrameMarker, PUBLIC_KEY};

/// Operations: name, ffmpeg arguments between the input and the output,
/// output extension, whether the input goes after `-ss 10`.
const OPS: [(&str, &[&str], &str, bool); 4] = [
    (
        "metadata stripped (`-map_metadata -1 -c copy`)",
        &["-map_metadata", "-1", "-c", "copy"],
        "mp4",
        false,
    ),
    (
        "x264 CRF 28 at 720p",
        &["-vf", "scale=-2:720", "-c:v", "libx264", "-crf", "28"],
        "mp4",
        false,
    ),
    (
        "VP9 re-encode (libvpx-vp9 CRF 36)",
        &[
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

/// A clip: name, ffmpeg input arguments, size, and whether it is in the
/// goal's scope (binary black-and-white content is not, as text pages are
/// not for pictures: see docs/watermark.md).
type Clip = (&'static str, Vec<String>, u32, u32, bool);

/// The clips: ffmpeg test sources, the fixture clip looped, and the
/// fixture photo panned and zoomed (real photographic content moving).
fn clips() -> Vec<Clip> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let video = root.join("video/sample.mp4").display().to_string();
    let photo = root.join("image/sample-photo.jpg").display().to_string();
    let lavfi = |graph: String| -> Vec<String> {
        ["-f", "lavfi", "-i", &graph, "-t", &SECONDS.to_string()]
            .map(String::from)
            .to_vec()
    };
    vec![
        ("mandelbrot 1080p", lavfi("mandelbrot=size=960x540:rate=25".into()), 1920, 1080, true),
        (
            "fixture clip looped, 720p",
            ["-stream_loop", "6", "-i", &video, "-t", &SECONDS.to_string()]
                .map(String::from)
                .to_vec(),
            1280,
            720,
            true,
        ),
        ("testsrc2 720p", lavfi("testsrc2=size=1280x720:rate=25".into()), 1280, 720, true),
        (
            "moving waves 1080p",
            lavfi(
                "nullsrc=size=960x540:rate=25,geq=lum='128+50*sin(X/40+T)*cos(Y/30-T/2)':cb=128:cr=128"
                    .into(),
            ),
            1920,
            1080,
            true,
        ),
        (
            "fixture photo panned and zoomed, 720p",
            lavfi(format!(
                "movie={photo},loop=loop=-1:size=1,zoompan=z='1+0.002*on':x='iw/2-iw/zoom/2+20*sin(on/20)':y='ih/2-ih/zoom/2':d=1:s=1280x720:fps=25"
            )),
            1280,
            720,
            true,
        ),
        ("moving gradients 1080p", lavfi("gradients=size=960x540:rate=25:speed=0.02".into()), 1920, 1080, true),
        (
            "life 720p (black and white cells)",
            lavfi("life=size=640x360:rate=25:mold=10:ratio=0.3:seed=3".into()),
            1280,
            720,
            false,
        ),
    ]
}

/// Marks one clip, runs every operation on it and reads it back: what
/// was read per operation, whether the unmarked clip reported a mark, and
/// the clip's table row.
fn one_clip(dir: &Path, i: usize, clip: &Clip) -> (Vec<bool>, bool, String) {
    let (name, source, w, h, _) = clip;
    let source: Vec<&str> = source.iter().map(String::as_str).collect();
    let payload = 0x5EED_0000_0000_0000 | i as u64;
    let marked = dir.join(format!("clip{i}.mp4"));
    make_clip(&source, *w, *h, Some((payload, PUBLIC_KEY)), &marked);
    let plain = dir.join(format!("plain{i}.mp4"));
    make_clip(&source, *w, *h, None, &plain);
    let unmarked = detect_clip(&plain, READ, PUBLIC_KEY).is_some();
    let mut row = format!("| {name} |");
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
        row.push_str(&match found {
            Some(d) if ok => format!(" read (z {:.1}) |", d.sync_z),
            _ => format!(" lost{why} |"),
        });
        let _ = std::fs::remove_file(&out);
    }
    let _ = std::fs::remove_file(&marked);
    let _ = std::fs::remove_file(&plain);
    eprintln!("{row}");
    (read, unmarked, row)
}

/// The summary (in-scope clips against the goal, the others apart) and
/// the per-clip table.
fn print_tables(clips: &[Clip], results: &[(Vec<bool>, bool, String)]) {
    let n = clips.len();
    let in_scope: Vec<bool> = clips.iter().map(|c| c.4).collect();
    let scoped = in_scope.iter().filter(|&&s| s).count();
    println!("## Video\n");
    println!(
        "{n} clips of {SECONDS} s, marked on every frame's luma and encoded as Tanba does; each operation done with the real ffmpeg, then {READ} s of frames read. In scope: the {scoped} clips that are not binary black-and-white content (see docs/watermark.md); goal 100 %.\n"
    );
    println!(
        "| operation | in scope ({scoped} clips) | out of scope ({}) |\n|---|---:|---:|",
        n - scoped
    );
    for (k, (op, ..)) in OPS.iter().enumerate() {
        let count = |want: bool| {
            results
                .iter()
                .zip(&in_scope)
                .filter(|(r, s)| **s == want && r.0[k])
                .count()
        };
        println!(
            "| {op} | {}/{scoped} | {}/{} |",
            count(true),
            count(false),
            n - scoped
        );
    }
    println!(
        "\n| clip | {} |\n|---|{}",
        OPS.iter().map(|o| o.0).collect::<Vec<_>>().join(" | "),
        "---|".repeat(OPS.len())
    );
    results.iter().for_each(|r| println!("{}", r.2));
    let reports = results.iter().filter(|r| r.1).count();
    println!("\nUnmarked clips reported as marked: {reports}/{n}.\n");
    // The line `cargo xtask bench watermark` lifts into the report's summary.
    let cells: Vec<Cell> = OPS
        .iter()
        .enumerate()
        .map(|(k, (op, ..))| {
            let ok = results
                .iter()
                .zip(&in_scope)
                .filter(|(r, s)| **s && r.0[k])
                .count();
            Cell::new(*op, ok, scoped, 1.0)
        })
        .collect();
    let notes = [
        format!("{} binary black-and-white clip(s) out of scope", n - scoped),
        format!("unmarked clips reported: {reports}/{n}"),
    ];
    println!(
        "{}\n",
        summary::line(
            "Video",
            "100 % in every cell",
            &format!("the {scoped} in-scope clips"),
            &cells,
            &notes
        )
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let quick = std::env::args().any(|a| a == "--quick");
    let clips = clips();
    let only = std::env::args()
        .skip_while(|a| a != "--only")
        .nth(1)
        .unwrap_or_default();
    let clips: Vec<_> = clips
        .into_iter()
        .filter(|c| c.0.contains(only.as_str()))
        .collect();
    let clips = if quick { &clips[..2] } else { &clips[..] };
    let tmp = tempfile::tempdir()?;
    let results: Vec<(Vec<bool>, bool, String)> = clips
        .iter()
        .enumerate()
        .map(|(i, clip)| one_clip(tmp.path(), i, clip))
        .collect();
    print_tables(clips, &results);
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
