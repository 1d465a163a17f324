//! The picture robustness matrix: 50+ varied pictures (the fixtures,
//! pictures generated here and with ImageMagick and ffmpeg, and bench media
//! when `--media DIR` names a folder of JPEGs and PNGs) are marked, saved as
//! PNG and put through each operation with the real ImageMagick, ffmpeg and
//! exiftool; prints a markdown table of the fraction read back per
//! operation, PSNR and SSIM of the mark, and embed/detect time on 12 MP.
//! `--quick`: a dozen pictures. Run with `--release`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Instant;

use image::RgbImage;
use rayon::prelude::*;
use tanba_watermark::{PUBLIC_KEY, detect, embed};

/// One operation: name, what it does, and its steps. A step is a program
/// and its arguments, `IN` and `OUT` standing for the files, and the
/// output's extension.
type Step = (&'static str, &'static str, &'static str);
const OPS: [(&str, &str, &[Step]); 17] = [
    (
        "strip (exiftool)",
        "JPEG q92, then `exiftool -all=`",
        &[
            ("convert", "IN -quality 92 OUT", "jpg"),
            ("exiftool", "-q -all= -o OUT IN", "jpg"),
        ],
    ),
    (
        "strip (ImageMagick)",
        "`convert -strip`, PNG",
        &[("convert", "IN -strip OUT", "png")],
    ),
    (
        "JPEG q90",
        "`convert -quality 90`",
        &[("convert", "IN -strip -quality 90 OUT", "jpg")],
    ),
    (
        "JPEG q70",
        "`convert -quality 70`",
        &[("convert", "IN -strip -quality 70 OUT", "jpg")],
    ),
    (
        "JPEG q50",
        "`convert -quality 50`",
        &[("convert", "IN -strip -quality 50 OUT", "jpg")],
    ),
    (
        "resize 75 %",
        "`convert -resize 75%`",
        &[("convert", "IN -resize 75% OUT", "png")],
    ),
    (
        "resize 50 %",
        "`convert -resize 50%`",
        &[("convert", "IN -resize 50% OUT", "png")],
    ),
    (
        "resize 75 % and back",
        "`-resize 75% -resize 133.33%`",
        &[("convert", "IN -resize 75% -resize 133.333% OUT", "png")],
    ),
    (
        "resize 50 % and back",
        "`-resize 50% -resize 200%`",
        &[("convert", "IN -resize 50% -resize 200% OUT", "png")],
    ),
    (
        "resize 50 % + JPEG q70",
        "`-resize 50% -quality 70`",
        &[("convert", "IN -resize 50% -quality 70 OUT", "jpg")],
    ),
    (
        "crop 5 % each side",
        "`-gravity center -crop 90%x90%`",
        &[(
            "convert",
            "IN -gravity center -crop 90%x90%+0+0 +repage OUT",
            "png",
        )],
    ),
    (
        "crop 10 % each side",
        "`-gravity center -crop 80%x80%`",
        &[(
            "convert",
            "IN -gravity center -crop 80%x80%+0+0 +repage OUT",
            "png",
        )],
    ),
    (
        "PNG → WebP q80",
        "`convert -quality 80`",
        &[("convert", "IN -quality 80 OUT", "webp")],
    ),
    (
        "PNG → JPEG q85 → WebP q75",
        "convert, then ffmpeg libwebp",
        &[
            ("convert", "IN -quality 85 OUT", "jpg"),
            (
                "ffmpeg",
                "-v error -y -i IN -c:v libwebp -quality 75 OUT",
                "webp",
            ),
        ],
    ),
    (
        "WebP q80 → PNG → JPEG q85",
        "convert, ffmpeg, convert",
        &[
            ("convert", "IN -quality 80 OUT", "webp"),
            ("ffmpeg", "-v error -y -i IN OUT", "png"),
            ("convert", "IN -quality 85 OUT", "jpg"),
        ],
    ),
    (
        "JPEG q85 → PNG",
        "ffmpeg, JPEG decoded and written as PNG",
        &[
            ("convert", "IN -quality 85 OUT", "jpg"),
            ("ffmpeg", "-v error -y -i IN OUT", "png"),
        ],
    ),
    (
        "upscale 150 % (screenshot)",
        "`convert -resize 150%`",
        &[("convert", "IN -resize 150% OUT", "png")],
    ),
];

fn run_steps(src: &Path, steps: &[Step], dir: &Path, tag: &str) -> Option<RgbImage> {
    let mut input = src.to_path_buf();
    let mut made = Vec::new();
    for (i, (tool, args, ext)) in steps.iter().enumerate() {
        let out = dir.join(format!("{tag}-{i}.{ext}"));
        let args: Vec<String> = args
            .split(' ')
            .map(|a| match a {
                "IN" => input.display().to_string(),
                "OUT" => out.display().to_string(),
                a => a.to_string(),
            })
            .collect();
        let ok = Command::new(tool)
            .args(&args)
            .status()
            .unwrap_or_else(|e| panic!("{tool} is required: {e}"))
            .success();
        if !ok {
            eprintln!("{tool} {args:?} failed");
            return None;
        }
        made.push(out.clone());
        input = out;
    }
    let read = image::open(&input).ok().map(|i| i.to_rgb8());
    // 74 pictures x 17 operations would leave ~1.5 GB in the temp folder.
    made.iter().for_each(|f| {
        let _ = std::fs::remove_file(f);
    });
    read
}

/// Pictures made by ImageMagick and ffmpeg: plasma fractals (photo-like
/// clouds and texture), blurred noise and swirled gradients (generated
/// art), and frames of ffmpeg's test sources.
fn tool_made(dir: &Path, quick: bool) -> Vec<(String, RgbImage)> {
    let mut jobs: Vec<(String, &str, Vec<String>)> = Vec::new();
    let sizes = [
        (1024, 768),
        (1600, 1200),
        (800, 1000),
        (1920, 1080),
        (640, 480),
        (3000, 2000),
        (1280, 960),
        (2400, 1600),
        (1080, 1350),
        (1440, 1080),
    ];
    for (i, (w, h)) in sizes.iter().enumerate() {
        let s = format!("{w}x{h}");
        jobs.push((
            format!("plasma-{s}"),
            "convert",
            vec![
                "-seed".into(),
                format!("{}", i + 1),
                "-size".into(),
                s.clone(),
                "plasma:fractal".into(),
            ],
        ));
        jobs.push((
            format!("art-blur-{s}"),
            "convert",
            vec![
                "-seed".into(),
                format!("{}", i + 11),
                "-size".into(),
                s.clone(),
                "xc:gray".into(),
                "+noise".into(),
                "Random".into(),
                "-blur".into(),
                "0x9".into(),
                "-auto-level".into(),
            ],
        ));
        jobs.push((
            format!("art-swirl-{s}"),
            "convert",
            vec![
                "-size".into(),
                s.clone(),
                format!("gradient:#{:02x}3060-#f0{:02x}20", 40 * i, 30 * i),
                "-swirl".into(),
                format!("{}", 120 + 60 * i),
            ],
        ));
    }
    for (name, src) in [
        ("mandelbrot", "mandelbrot=size=1280x720"),
        ("testsrc2", "testsrc2=size=1280x720"),
        ("life", "life=size=1024x768:mold=10:ratio=0.3:seed=7"),
        ("cellauto", "cellauto=size=800x600:rule=30"),
        ("smptehdbars", "smptehdbars=size=1920x1080"),
        ("smptebars", "smptebars=size=1280x720"),
        ("gradients", "gradients=size=1920x1080:seed=5"),
        ("testsrc", "testsrc=size=1280x720"),
        (
            "mandelbrot-1080p",
            "mandelbrot=size=1920x1080:start_scale=0.8",
        ),
        ("sierpinski", "sierpinski=size=1280x720:seed=3"),
    ] {
        jobs.push((
            format!("ffmpeg-{name}"),
            "ffmpeg",
            vec![
                "-v".into(),
                "error".into(),
                "-y".into(),
                "-f".into(),
                "lavfi".into(),
                "-i".into(),
                src.into(),
                "-frames:v".into(),
                "1".into(),
            ],
        ));
    }
    if quick {
        jobs.truncate(5);
    }
    jobs.into_par_iter()
        .filter_map(|(name, tool, args)| {
            let out = dir.join(format!("{name}.png"));
            let ok = Command::new(tool)
                .args(&args)
                .arg(&out)
                .status()
                .unwrap_or_else(|e| panic!("{tool} is required: {e}"))
                .success();
            let img = ok.then(|| image::open(&out).ok()).flatten()?;
            Some((name, img.to_rgb8()))
        })
        .collect()
}

/// Up to `n` JPEGs and `n` PNGs of `dir` (the bench media), if given.
fn media(dir: Option<&PathBuf>, n: usize) -> Vec<(String, RgbImage)> {
    let Some(dir) = dir else { return Vec::new() };
    let mut out = Vec::new();
    for sub in ["jpeg", "png"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        // Spread over the set (sizes vary along it).
        let stride = (files.len() / n.max(1)).max(1);
        for f in files.iter().step_by(stride).take(n) {
            if let Ok(img) = image::open(f) {
                let name = f.file_name().map(|s| s.to_string_lossy().into_owned());
                out.push((format!("bench-{}", name.unwrap_or_default()), img.to_rgb8()));
            }
        }
    }
    out
}

fn corpus(dir: &Path, quick: bool, media_dir: Option<&PathBuf>) -> Vec<(String, RgbImage)> {
    let photo = common::photo();
    let mut out = vec![("fixture-photo-800x600".to_string(), photo.clone())];
    // The real photo at the sizes a camera or a platform would give it.
    for (w, h) in [(1200, 900), (1600, 1200)] {
        let big = image::imageops::resize(&photo, w, h, image::imageops::FilterType::Lanczos3);
        out.push((format!("fixture-photo-enlarged-{w}x{h}"), big));
    }
    let generated =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/image/sample-generated.png");
    if let Ok(img) = image::open(&generated) {
        out.push((
            format!("fixture-generated-{}x{}", img.width(), img.height()),
            img.to_rgb8(),
        ));
    }
    let sizes: &[(u32, u32)] = if quick {
        &[(1024, 768)]
    } else {
        &[
            (640, 480),
            (1024, 768),
            (1500, 1000),
            (2000, 1500),
            (800, 1200),
            (1280, 720),
        ]
    };
    for (k, kind) in common::KINDS.iter().enumerate() {
        for (s, &(w, h)) in sizes.iter().enumerate() {
            out.push((
                format!("{kind}-{w}x{h}"),
                common::generated(kind, w, h, (k * 10 + s) as u64 + 1),
            ));
        }
    }
    out.extend(tool_made(dir, quick));
    out.extend(media(media_dir, if quick { 1 } else { 3 }));
    out
}

/// What one picture gave: (name, PSNR, SSIM, weak, read back per op).
type Row = (String, f64, f64, bool, Vec<bool>);

fn one(dir: &Path, i: usize, name: &str, original: &RgbImage) -> Option<Row> {
    let payload = 0x0123_4567_89AB_CDEF ^ ((i as u64) << 40);
    let mut marked = original.clone();
    let strength = embed(&mut marked, payload, PUBLIC_KEY).ok()?;
    let psnr = common::luma_psnr(original, &marked);
    let ssim = common::luma_ssim(original, &marked);
    let src = dir.join(format!("{name}-marked.png"));
    marked.save(&src).ok()?;
    let read: Vec<bool> = OPS
        .iter()
        .enumerate()
        .map(|(k, (_, _, steps))| {
            run_steps(&src, steps, dir, &format!("{name}-op{k}"))
                .is_some_and(|out| detect(&out, PUBLIC_KEY) == Some(payload))
        })
        .collect();
    let _ = std::fs::remove_file(&src);
    Some((name.to_string(), psnr, ssim, strength.is_weak(), read))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let media_dir = args
        .iter()
        .position(|a| a == "--media")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path();
    let corpus = corpus(dir, quick, media_dir.as_ref());
    let rows: Mutex<Vec<Row>> = Mutex::new(Vec::new());
    corpus.par_iter().enumerate().for_each(|(i, (name, img))| {
        let row = one(dir, i, name, img);
        if let Some(r) = &row {
            let marks: String = r.4.iter().map(|&ok| if ok { '.' } else { 'x' }).collect();
            eprintln!(
                "{name:>34} {:5.1} dB SSIM {:.4} {} {marks}",
                r.1,
                r.2,
                if r.3 { "weak" } else { "    " }
            );
        }
        if let Some(r) = row {
            rows.lock().map(|mut v| v.push(r)).ok();
        }
    });
    let mut rows = rows.into_inner()?;
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    print_table(&rows);
    print_12mp()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The goal of each operation (issue #18) as the share of in-scope
/// pictures that must read back, if it has one.
fn goal(op: &str) -> Option<f64> {
    if op.starts_with("crop 10") {
        Some(0.95)
    } else if op.starts_with("strip")
        || ["JPEG q90", "JPEG q70", "JPEG q50"].contains(&op)
        || (op.starts_with("resize") && !op.contains("JPEG"))
    {
        Some(1.0)
    } else {
        None
    }
}

fn print_table(rows: &[Row]) {
    let n = rows.len();
    let strong = rows.iter().filter(|r| !r.3).count();
    println!("## Pictures\n");
    println!(
        "{n} pictures marked with the public key, each saved as PNG and put through the operation with the real tool. In scope: the {strong} pictures `embed` does not report weak (`Strength::is_weak`: text-like pages, busy noise and pictures under 512 px are reported weak and are out of the goal's scope, see docs/watermark.md); the {} others are counted apart.\n",
        n - strong
    );
    println!(
        "| operation | how | in scope ({strong}) | goal | out of scope ({}) | all ({n}) |\n|---|---|---:|---|---:|---:|",
        n - strong
    );
    for (k, (op, how, _)) in OPS.iter().enumerate() {
        let all = rows.iter().filter(|r| r.4[k]).count();
        let ok = rows.iter().filter(|r| !r.3 && r.4[k]).count();
        let share = ok as f64 / strong.max(1) as f64;
        let goal = match goal(op) {
            Some(g) if share >= g => format!("≥ {:.0} % met", g * 100.0),
            Some(g) => format!("≥ {:.0} % **not met**", g * 100.0),
            None => "-".to_string(),
        };
        println!(
            "| {op} | {how} | {ok}/{strong} ({:.0} %) | {goal} | {}/{} | {all}/{n} ({:.0} %) |",
            100.0 * share,
            all - ok,
            n - strong,
            100.0 * all as f64 / n as f64,
        );
    }
    summary(rows);
    let mut psnr: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let mut ssim: Vec<f64> = rows.iter().map(|r| r.2).collect();
    let (pmin, smin) = (
        psnr.iter().copied().fold(f64::INFINITY, f64::min),
        ssim.iter().copied().fold(f64::INFINITY, f64::min),
    );
    println!(
        "\nLuma PSNR of the mark: min {pmin:.1} dB, median {:.1} dB. Luma SSIM: min {smin:.4}, median {:.4}.\n",
        median(&mut psnr),
        median(&mut ssim)
    );
    println!("Pictures with a cell lost (`x` marks the operation, in the table's order):\n");
    for r in rows.iter().filter(|r| r.4.iter().any(|ok| !ok)) {
        let marks: String = r.4.iter().map(|&ok| if ok { '.' } else { 'x' }).collect();
        println!(
            "- `{}` {}: `{marks}` (PSNR {:.1} dB, SSIM {:.4})",
            r.0,
            if r.3 { "(weak)" } else { "" },
            r.1,
            r.2
        );
    }
    println!();
}

/// The line `cargo xtask bench watermark` lifts into the report's
/// summary: the goal's cells on the in-scope pictures.
fn summary(rows: &[Row]) {
    let scoped: Vec<&Row> = rows.iter().filter(|r| !r.3).collect();
    let mut cells = Vec::new();
    let mut met = true;
    for (k, (op, ..)) in OPS.iter().enumerate() {
        let Some(g) = goal(op) else { continue };
        let ok = scoped.iter().filter(|r| r.4[k]).count();
        met &= ok as f64 >= g * scoped.len() as f64;
        cells.push(format!("{op} {ok}/{}", scoped.len()));
    }
    let ssim = rows.iter().map(|r| r.2).fold(f64::INFINITY, f64::min);
    let psnr = rows.iter().map(|r| r.1).fold(f64::INFINITY, f64::min);
    println!(
        "> **Pictures**: goal (100 % strip, JPEG >= 50, resize >= 50 %; >= 95 % crop 10 %) {} on the {} in-scope pictures ({}); {} pictures reported weak are out of scope. Luma PSNR min {psnr:.1} dB, SSIM min {ssim:.4} (goal >= 40 dB, >= 0.98) over all {}.\n",
        if met { "**met**" } else { "**not met**" },
        scoped.len(),
        cells.join(", "),
        rows.len() - scoped.len(),
        rows.len()
    );
}

fn print_12mp() -> Result<(), Box<dyn std::error::Error>> {
    let big = common::generated("smooth", 4000, 3000, 7);
    let mut best = (f64::INFINITY, f64::INFINITY);
    for _ in 0..5 {
        let mut m = big.clone();
        let t = Instant::now();
        embed(&mut m, 42, PUBLIC_KEY)?;
        let e = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let found = detect(&m, PUBLIC_KEY);
        let d = t.elapsed().as_secs_f64() * 1e3;
        assert_eq!(found, Some(42));
        best = (best.0.min(e), best.1.min(d));
    }
    println!(
        "12 MP (4000x3000, release, best of 5 wall-clock runs on this machine): embed {:.0} ms, detect {:.0} ms.\n",
        best.0, best.1
    );
    Ok(())
}
