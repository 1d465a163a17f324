//! `cargo xtask bench`: Tanba side by side with the tools people would use
//! instead (ImageMagick, ffmpeg, qpdf, cp), and the criterion benches.
//!
//! The side-by-side run builds the release `tanba` and `tanba-full`
//! binaries (and two release examples) once, generates the media set under `target/bench-media/`,
//! runs every variant of a case alternately under GNU `/usr/bin/time`, and
//! writes the medians, spreads and ratios to `docs/benchmarks.md`
//! (`--quick`: to `target/bench-media/quick/benchmarks.md`).

mod audio;
mod bulk;
mod c2pa;
mod case;
mod goals;
mod image;
mod jpeg_dct;
mod json;
mod measure;
mod media;
mod merge;
mod pdf;
mod pdfgen;
mod report;
mod stream;
mod verify_cost;
mod video;
mod watermark;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::setup::{self, Need};
use crate::util::{build_cli, cargo, exec, have, root, target_dir};
use media::{Media, Plan};

const HELP: &str = "\
usage: cargo xtask bench [--quick] [--reps N] [--batch-reps N] [--only LIST] [--doc FILE]
       cargo xtask bench watermark [--quick] [--only pictures|fp|video|audio]
                                              the watermark's robustness matrix
       cargo xtask bench --prepare [--quick]   generate the media set only
       cargo xtask bench --criterion [--quick] the criterion benches (cargo bench)

  --quick        a reduced media set; finishes in about two minutes
  --reps N       runs of each variant of a single-file case (default 3;
                 3×N for the sub-second ones: one JPEG, one PNG, the PDF)
  --batch-reps N runs of each variant of a many-file case (default 3, 2 for
                 the full JPEG batch), and at most this many of the
                 long ones (the full video clip, the hour of audio)
  --only LIST    comma-separated: image,jpeg,audio,pdf,bulk,video,stream
                 (jpeg: issue #20's DCT-domain cases, 12 and 100 MP); the
                 report keeps the other sections as their last run wrote
                 them, each stamped with the run that measured it
  --no-build     use the release binaries already in target/release
  --doc FILE     where the report goes (default docs/benchmarks.md, or
                 target/bench-media/quick/benchmarks.md with --quick)";

/// The font ImageMagick and ffmpeg draw the label with (Cyrillic and Kazakh).
const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
/// Tanba's default two-line label (kk, ru).
const LABEL_KK: &str = "Жасанды интеллект көмегімен жасалған";
const LABEL_RU: &str = "Создано с помощью искусственного интеллекта";
/// Tanba's video defaults (crates/tanba-video/src/transcode.rs), used for the peers.
const X264_PRESET: &str = "medium";
const X264_CRF: &str = "20";

const SECTIONS: [&str; 7] = ["image", "jpeg", "audio", "pdf", "bulk", "video", "stream"];
/// The order sections run in: shortest first.
const RUN_ORDER: [&str; 7] = ["pdf", "bulk", "audio", "image", "jpeg", "video", "stream"];

#[derive(Debug)]
struct Options {
    quick: bool,
    criterion: bool,
    prepare: bool,
    no_build: bool,
    reps: usize,
    batch_reps: Option<usize>,
    only: Vec<String>,
    doc: Option<PathBuf>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut o = Options {
            quick: false,
            criterion: false,
            prepare: false,
            no_build: false,
            reps: 3,
            batch_reps: None,
            only: SECTIONS.iter().map(|s| s.to_string()).collect(),
            doc: None,
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = |name: &str| {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{name} needs a value\n{HELP}"))
            };
            match a.as_str() {
                "--quick" => o.quick = true,
                "--criterion" => o.criterion = true,
                "--prepare" => o.prepare = true,
                "--no-build" => o.no_build = true,
                "--reps" => o.reps = number(&value("--reps")?)?,
                "--batch-reps" => o.batch_reps = Some(number(&value("--batch-reps")?)?),
                "--only" => {
                    o.only = value("--only")?
                        .split(',')
                        .map(|s| s.trim().to_string())
                        .collect();
                    if let Some(bad) = o.only.iter().find(|s| !SECTIONS.contains(&s.as_str())) {
                        return Err(format!("unknown section {bad:?}\n{HELP}"));
                    }
                }
                "--doc" => o.doc = Some(PathBuf::from(value("--doc")?)),
                "-h" | "--help" => return Err(HELP.to_string()),
                other => return Err(format!("unknown option {other:?}\n{HELP}")),
            }
        }
        Ok(o)
    }

    fn wants(&self, section: &str) -> bool {
        self.only.iter().any(|s| s == section)
    }
}

fn number(s: &str) -> Result<usize, String> {
    s.parse::<usize>()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{s:?} is not a positive number"))
}

/// Entry point.
pub fn run(args: &[String]) -> Result<(), String> {
    if args.first().map(String::as_str) == Some("watermark") {
        return watermark::run(&args[1..]);
    }
    let opts = Options::parse(args)?;
    if opts.criterion {
        return criterion(opts.quick);
    }
    side_by_side(&opts)
}

/// The criterion benches (`--quick`: a short measurement).
fn criterion(quick: bool) -> Result<(), String> {
    setup::run(Need::Everything)?;
    let mut bench = cargo();
    bench.args(["bench", "--package", "tanba-benches"]);
    if quick {
        bench.args(["--", "--warm-up-time", "1", "--measurement-time", "3"]);
    }
    exec(bench)
}

/// What the run needs to know everywhere.
#[derive(Debug)]
pub struct Ctx {
    root: PathBuf,
    plan: Plan,
    media: Media,
    tanba: PathBuf,
    /// `tanba-image`'s `label_file` example (library label and plain
    /// decode+encode), when it built.
    label_file: Option<PathBuf>,
    /// `tanba-benches`' `bench_label_loop` example (the bulk floor, and
    /// `--checked`/`--unchecked` for the cost of verifying), when it built.
    label_loop: Option<PathBuf>,
    /// `tanba-image`'s `stream_file` example (makes the big PNG; the
    /// whole-frame path to compare), when it built.
    stream_file: Option<PathBuf>,
    /// `--c2pa-cert CHAIN --c2pa-key KEY` with untrusted test credentials
    /// (`tanba keys new`), when this tanba signs Content Credentials.
    c2pa_args: Option<Vec<String>>,
    /// Format names `tanba formats` lists.
    formats: Vec<String>,
    /// Scratch space for outputs and logs.
    work: PathBuf,
    reps: usize,
    batch_reps: Option<usize>,
}

impl Ctx {
    fn supports(&self, format: &str) -> bool {
        self.formats.iter().any(|f| f == format)
    }

    fn tanba(&self) -> String {
        self.tanba.display().to_string()
    }

    /// Rounds for a case that takes under a second: three times `--reps`,
    /// since one such run varies by ±15 % on a busy two-core machine,
    /// wider than a 10 % goal, and the extra rounds cost seconds.
    fn short_reps(&self) -> usize {
        self.reps * 3
    }
}

fn side_by_side(opts: &Options) -> Result<(), String> {
    let started = std::time::Instant::now();
    check_tools()?;
    let root = root();
    let plan = if opts.quick {
        Plan::quick()
    } else {
        Plan::full()
    };
    let media = Media::at(&root, &plan);
    std::fs::create_dir_all(&media.dir).map_err(|e| format!("{}: {e}", media.dir.display()))?;
    let ctx = build(opts, &root, &plan, &media)?;
    prepare_media(opts, &ctx)?;
    if opts.prepare {
        eprintln!("xtask bench: media set ready in {}", media.dir.display());
        return Ok(());
    }
    let doc = opts.doc.clone().unwrap_or_else(|| {
        if opts.quick {
            media.dir.join("benchmarks.md")
        } else {
            root.join("docs").join("benchmarks.md")
        }
    });
    if let Some(parent) = doc.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let bench_seconds = run_sections(opts, &ctx, &doc, started)?;
    eprintln!(
        "xtask bench: wrote {} ({:.0} s in all, {:.0} s of it benchmarking)",
        doc.display(),
        started.elapsed().as_secs_f64(),
        bench_seconds
    );
    Ok(())
}

/// The peers and GNU time must be installed.
fn check_tools() -> Result<(), String> {
    for tool in [
        "convert", "ffmpeg", "qpdf", "cp", "sh", "xargs", "jpegtran", "cjpeg",
    ] {
        if !have(tool) {
            return Err(format!(
                "{tool} is not on the PATH (cargo xtask setup installs the peers)"
            ));
        }
    }
    if !Path::new("/usr/bin/time").is_file() {
        return Err("GNU time is not installed at /usr/bin/time (apt-get install time)".into());
    }
    Ok(())
}

/// A release example, built unless `--no-build`; `None` (its rows are
/// skipped) when it does not build.
fn example(opts: &Options, package: &str, name: &str) -> Option<PathBuf> {
    let mut build = cargo();
    build.args([
        "build",
        "--release",
        "--package",
        package,
        "--example",
        name,
    ]);
    let built = if opts.no_build { Ok(()) } else { exec(build) };
    let path = target_dir().join("release").join("examples").join(name);
    match built {
        Ok(()) if path.is_file() => Some(path),
        Ok(()) => {
            eprintln!("xtask bench: no {}; its rows are skipped", path.display());
            None
        }
        Err(e) => {
            eprintln!("xtask bench: example {name} did not build ({e}); its rows are skipped");
            None
        }
    }
}

/// Builds once (the CLI is required, the two examples are optional) and
/// gathers what every section needs.
fn build(opts: &Options, root: &Path, plan: &Plan, media: &Media) -> Result<Ctx, String> {
    if !opts.no_build {
        build_cli(true)?;
    }
    // The jpeg section asks it for the badge's rectangle.
    let label_file = if opts.wants("image") || opts.wants("jpeg") {
        example(opts, "tanba-image", "label_file")
    } else {
        None
    };
    // The bulk floor, and the verification cost of the bulk set, the JPEG
    // and the clip.
    let label_loop = if ["bulk", "image", "video"].iter().any(|s| opts.wants(s)) {
        example(opts, "tanba-benches", "bench_label_loop")
    } else {
        None
    };
    let stream_file = if opts.wants("stream") {
        example(opts, "tanba-image", "stream_file")
    } else {
        None
    };
    let tanba = target_dir().join("release").join("tanba");
    if !tanba.is_file() {
        return Err(format!("{} is not built", tanba.display()));
    }
    let formats = formats(&tanba)?;
    eprintln!("xtask bench: this tanba labels {}", formats.join(", "));
    let c2pa_args = c2pa::c2pa_credentials(&tanba, &media.dir.join("c2pa-keys"));
    Ok(Ctx {
        root: root.to_path_buf(),
        plan: plan.clone(),
        media: media.clone(),
        tanba,
        label_file,
        label_loop,
        stream_file,
        c2pa_args,
        formats,
        work: media.dir.join("runs"),
        reps: opts.reps,
        batch_reps: opts.batch_reps,
    })
}

/// Generates what the chosen sections need (cached).
fn prepare_media(opts: &Options, ctx: &Ctx) -> Result<(), String> {
    let (media, plan) = (&ctx.media, &ctx.plan);
    if opts.wants("image") {
        media::jpegs(media, plan)?;
        media::pngs(media, plan)?;
    }
    if opts.wants("audio") {
        media::audio(media, plan, &ctx.root)?;
    }
    if opts.wants("pdf") {
        media::pdf(media, plan)?;
    }
    if opts.wants("bulk") {
        media::markdown(media, plan)?;
    }
    if opts.wants("video") && ctx.supports("mp4") {
        media::video(media, plan)?;
    }
    Ok(())
}

/// Runs the chosen sections, rewriting the report at `doc` (and its chart)
/// after each; returns the seconds spent benchmarking.
fn run_sections(
    opts: &Options,
    ctx: &Ctx,
    doc: &Path,
    started: std::time::Instant,
) -> Result<f64, String> {
    let bench_started = std::time::Instant::now();
    let mut run = report::Run::new(&ctx.root, &ctx.plan, opts.quick);
    run.load_before = loadavg();
    // `--only` keeps the other sections of the report already there.
    let partial = opts.only.len() < SECTIONS.len();
    run.only = partial.then(|| opts.only.join(","));
    let old = partial.then(|| std::fs::read_to_string(doc).ok()).flatten();
    let mut sections = Vec::new();
    // The quick sections first, so that an interrupted run still leaves a
    // report of what finished (it is rewritten after every section).
    let wanted: Vec<&'static str> = RUN_ORDER
        .into_iter()
        .filter(|name| opts.wants(name))
        .collect();
    for (i, name) in wanted.iter().enumerate() {
        eprintln!("xtask bench: === {name}");
        let section = match *name {
            "image" => image::image(ctx),
            "jpeg" => jpeg_dct::jpeg(ctx),
            "audio" => audio::audio(ctx),
            "pdf" => pdf::pdf(ctx),
            "bulk" => bulk::bulk(ctx),
            "stream" => stream::stream(ctx),
            _ => video::video(ctx),
        };
        sections.push(section);
        sections.sort_by_key(|s| SECTIONS.iter().position(|n| *n == s.name));
        run.load_after = loadavg();
        run.seconds = started.elapsed().as_secs_f64();
        run.bench_seconds = bench_started.elapsed().as_secs_f64();
        run.pending = wanted[i + 1..].iter().map(|s| s.to_string()).collect();
        let mut text = report::render(&run, ctx, &sections);
        if let Some(old) = &old {
            let ran: Vec<&str> = sections.iter().map(|s| s.name).collect();
            text = merge::merge(old, &text, &ran, &SECTIONS);
        }
        std::fs::write(doc, text).map_err(|e| format!("{}: {e}", doc.display()))?;
        // The chart draws one run's rows: a merged report keeps the chart
        // of the last run of every section.
        if old.is_none() {
            let chart = doc.with_extension("svg");
            std::fs::write(&chart, report::svg(&sections))
                .map_err(|e| format!("{}: {e}", chart.display()))?;
        }
    }
    Ok(run.bench_seconds)
}

/// The format names in `tanba formats --json`.
fn formats(tanba: &Path) -> Result<Vec<String>, String> {
    let out = Command::new(tanba)
        .args(["formats", "--json"])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", tanba.display()))?;
    if !out.status.success() {
        return Err(format!("{} formats --json failed", tanba.display()));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(json::json_strings(&text, "format"))
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
