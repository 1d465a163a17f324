//! Writes `docs/benchmarks.md` from a run's cases.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use super::Ctx;
use super::case::{Case, Role, Row, Section};
use super::measure::Stats;
use super::media::Plan;

/// Facts about the run and the machine.
#[derive(Debug, Default)]
pub struct Run {
    /// `YYYY-MM-DD HH:MM UTC`.
    pub date: String,
    /// `git rev-parse --short HEAD`, and whether the tree had changes.
    pub commit: String,
    /// `quick` or `full`.
    pub plan: String,
    /// Load average before and after.
    pub load_before: String,
    /// Load average after.
    pub load_after: String,
    /// Wall seconds of the whole run.
    pub seconds: f64,
    /// Wall seconds of the benchmarks alone (no build, no generation).
    pub bench_seconds: f64,
    /// Sections still to run when this report was written.
    pub pending: Vec<String>,
    /// `--only`'s list when the run was given one.
    pub only: Option<String>,
    /// Machine lines.
    pub machine: Vec<String>,
    /// Tool version lines.
    pub versions: Vec<String>,
}

fn first_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .unwrap_or_else(|| "not found".into())
}

impl Run {
    /// Gathers the machine and the versions.
    pub fn new(root: &Path, plan: &Plan, quick: bool) -> Run {
        let root_s = root.display().to_string();
        let git = |args: &[&str]| {
            Command::new("git")
                .arg("-C")
                .arg(&root_s)
                .args(args)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .unwrap_or_default()
        };
        let rev = git(&["rev-parse", "--short", "HEAD"]);
        let dirty = !git(&["status", "--porcelain", "--untracked-files=no"]).is_empty();
        let commit = if dirty {
            format!("{rev} (with uncommitted changes in the working tree)")
        } else {
            rev
        };
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, m)| m.trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let ram = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kib| kib.parse::<f64>().ok())
            .map(|kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0))
            .unwrap_or_else(|| "unknown".into());
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0);
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_string();
        let machine = vec![
            format!("- CPU: {model}, {cores} cores available to the run (`nproc`)"),
            format!("- RAM: {ram}"),
            format!("- Linux {kernel}"),
        ];
        let versions = vec![
            format!(
                "- tanba: {} (commit {commit})",
                first_line(
                    &crate::util::target_dir()
                        .join("release")
                        .join("tanba")
                        .display()
                        .to_string(),
                    &["--version"]
                )
            ),
            format!("- {}", first_line("rustc", &["-V"])),
            format!("- {}", first_line("convert", &["-version"])),
            format!("- {}", first_line("ffmpeg", &["-version"])),
            format!("- {}", first_line("qpdf", &["--version"])),
            format!(
                "- GNU {}",
                first_line("/usr/bin/time", &["--version"]).trim_start_matches("time ")
            ),
        ];
        let _ = plan;
        Run {
            date: first_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
            commit,
            plan: if quick { "quick".into() } else { "full".into() },
            machine,
            versions,
            ..Run::default()
        }
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

struct Medians {
    wall: Stats,
    cpu: Stats,
    rss: Stats,
}

fn medians(row: &Row) -> Option<Medians> {
    if row.samples.is_empty() {
        return None;
    }
    let walls: Vec<f64> = row.samples.iter().map(|s| s.wall).collect();
    let cpus: Vec<f64> = row.samples.iter().map(|s| s.cpu).collect();
    let rss: Vec<f64> = row.samples.iter().map(|s| mib(s.rss_kib)).collect();
    Some(Medians {
        wall: Stats::of(&walls),
        cpu: Stats::of(&cpus),
        rss: Stats::of(&rss),
    })
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}", a / b)
    } else {
        "—".into()
    }
}

fn reference(case: &Case) -> Option<(&Row, Medians)> {
    case.rows
        .iter()
        .filter(|r| r.variant.role == Role::Tanba)
        .find_map(|r| medians(r).map(|m| (r, m)))
}

fn case_table(out: &mut String, case: &Case, ctx: &Ctx) {
    let _ = writeln!(out, "#### {}\n", case.title);
    let reference = reference(case);
    if let Some((r, _)) = &reference {
        let _ = writeln!(
            out,
            "Ratios are Tanba ÷ the row, with **{}** as Tanba (below 1: Tanba is faster or smaller). \
             {} runs per row, alternating.\n",
            r.variant.name, case.reps
        );
    }
    let _ = writeln!(
        out,
        "| | wall s (median) | wall min–max | CPU s | peak RSS MiB | ratio wall | ratio CPU | ratio RSS |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for row in &case.rows {
        let who = match row.variant.role {
            Role::Tanba => "Tanba",
            Role::Peer => "peer",
            Role::Baseline => "baseline",
        };
        let Some(m) = medians(row) else {
            let _ = writeln!(out, "| {} ({who}) | failed | | | | | | |", row.variant.name);
            continue;
        };
        let (rw, rc, rr) = match &reference {
            Some((r, _)) if std::ptr::eq(*r, row) => ("ref".into(), "ref".into(), "ref".into()),
            Some((_, t)) => (
                ratio(t.wall.median, m.wall.median),
                ratio(t.cpu.median, m.cpu.median),
                ratio(t.rss.median, m.rss.median),
            ),
            None => ("—".into(), "—".into(), "—".into()),
        };
        let _ = writeln!(
            out,
            "| {} ({who}) | {:.3} | {:.3}–{:.3} | {:.3} | {:.0} | {rw} | {rc} | {rr} |",
            row.variant.name, m.wall.median, m.wall.min, m.wall.max, m.cpu.median, m.rss.median,
        );
    }
    out.push('\n');
    for row in &case.rows {
        if let Some(e) = &row.error {
            let _ = writeln!(
                out,
                "- **{} failed**: `{}`",
                row.variant.name,
                e.replace('`', "'")
            );
        }
    }
    for note in &case.notes {
        let _ = writeln!(out, "{note}");
    }
    out.push('\n');
    let _ = writeln!(out, "<details><summary>Commands</summary>\n");
    for row in &case.rows {
        let _ = writeln!(
            out,
            "- {}: `{}`",
            row.variant.name,
            row.shown(ctx).replace('`', "'")
        );
    }
    let _ = writeln!(out, "\n</details>\n");
}

/// The whole Markdown document.
pub fn render(run: &Run, ctx: &Ctx, sections: &[Section]) -> String {
    let mut out = String::new();
    header(&mut out, run);
    goals_table(&mut out, run, sections);
    summary(&mut out, sections);
    section_tables(&mut out, run, ctx, sections);
    binary_size(&mut out);
    method(&mut out, run);
    let _ = plan_note(&mut out, &ctx.plan);
    out
}

/// The title, the run, the machine and the versions.
fn header(out: &mut String, run: &Run) {
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Tanba side by side with the tools people would use instead, measured by `{}` on {} \
         at commit {} ({} media set; {:.0} s in all, {:.0} s of it running the cases). {ONE_RUN}\n",
        command(run),
        run.date,
        run.commit,
        run.plan,
        run.seconds,
        run.bench_seconds
    );
    let _ = writeln!(
        out,
        "Figures measured by hand with one-off commands (newer formats and peers no case covers yet) are in \
         [benchmarks-by-hand.md](benchmarks-by-hand.md), which this command neither makes nor overwrites; the \
         watermark's robustness matrix is in [benchmarks-watermark.md](benchmarks-watermark.md) \
         (`cargo xtask bench watermark`).\n"
    );
    let watermark =
        super::watermark::summary(&crate::util::root().join("docs/benchmarks-watermark.md"));
    if !watermark.is_empty() {
        let _ = writeln!(
            out,
            "{}\n\n{}\n",
            super::watermark::SUMMARY_INTRO,
            watermark.join("\n\n")
        );
    }
    if !run.pending.is_empty() {
        let _ = writeln!(
            out,
            "**Partial report**: written while the run went on; not yet run: {}.\n",
            run.pending.join(", ")
        );
    }
    let _ = writeln!(out, "## Machine\n");
    for l in &run.machine {
        let _ = writeln!(out, "{l}");
    }
    let _ = writeln!(
        out,
        "- Load average (1, 5, 15 min) before the run: {}; after: {}. The machine was shared: other builds and tests \
         ran at the same time, so absolute times are noisy and the spread columns matter; the ratios come from runs \
         interleaved in the same minutes.\n",
        run.load_before, run.load_after
    );
    let _ = writeln!(out, "## Versions\n");
    for l in &run.versions {
        let _ = writeln!(out, "{l}");
    }
    out.push('\n');
}

/// The issues' goals against this run.
fn goals_table(out: &mut String, run: &Run, sections: &[Section]) {
    let goals = super::goals::goals(sections);
    if !goals.is_empty() {
        let _ = writeln!(out, "## Goals from the issues\n");
        let _ = writeln!(
            out,
            "The speed and memory goals of issues #3 (image), #4 (audio), #5 (PDF), #6 (video), #7 (bulk jobs), #9 (C2PA), #18 (the watermark's cost), #20 (JPEG in the DCT domain, flat memory) \
             and #14 (the cost of verifying every output), against this run{}.\n",
            if run.plan == "quick" {
                " (a quick run: smaller inputs than the goals name, so indicative only)"
            } else {
                ""
            }
        );
        let _ = writeln!(out, "| goal | measured | |");
        let _ = writeln!(out, "|---|---|---|");
        for (goal, measured, verdict) in goals {
            let _ = writeln!(out, "| {goal} | {measured} | {verdict} |");
        }
        out.push('\n');
    }
}

/// One line per case and peer.
fn summary(out: &mut String, sections: &[Section]) {
    // Summary: one line per case and peer.
    let _ = writeln!(out, "## Summary\n");
    let _ = writeln!(
        out,
        "![Wall time, Tanba ÷ peer](benchmarks.svg)\n\nRatios below 1: Tanba took less. \
         Peak memory is the largest resident set of one process.\n"
    );
    let _ = writeln!(
        out,
        "| media | job | Tanba | wall s | peak MiB | against | wall s | peak MiB | wall ratio | RSS ratio |"
    );
    let _ = writeln!(out, "|---|---|---|---:|---:|---|---:|---:|---:|---:|");
    for section in sections {
        if let Some(why) = &section.skipped {
            let _ = writeln!(out, "| {} | — | {why} | | | | | | | |", section.name);
            continue;
        }
        for case in &section.cases {
            let Some((tr, t)) = reference(case) else {
                let _ = writeln!(
                    out,
                    "| {} | {} | failed | | | | | | | |",
                    section.name, case.title
                );
                continue;
            };
            for row in case.rows.iter().filter(|r| r.variant.role != Role::Tanba) {
                let Some(m) = medians(row) else { continue };
                let against = match row.variant.role {
                    Role::Baseline => format!("{} (baseline)", row.variant.name),
                    _ => row.variant.name.clone(),
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {:.3} | {:.0} | {} | {:.3} | {:.0} | **{}** | {} |",
                    section.name,
                    case.title,
                    tr.variant.name,
                    t.wall.median,
                    t.rss.median,
                    against,
                    m.wall.median,
                    m.rss.median,
                    ratio(t.wall.median, m.wall.median),
                    ratio(t.rss.median, m.rss.median),
                );
            }
        }
    }
    out.push('\n');
}

/// What the title says of a report one run wrote whole.
pub(super) const ONE_RUN: &str =
    "Every figure below is what this run measured; rerun the command to get your own.";

/// The command a run was, as a reader would type it.
fn command(run: &Run) -> String {
    let quick = if run.plan == "quick" { " --quick" } else { "" };
    let only = run
        .only
        .as_ref()
        .map(|o| format!(" --only {o}"))
        .unwrap_or_default();
    format!("cargo xtask bench{quick}{only}")
}

/// Each section's stamp (the run that measured it: `--only` keeps other
/// runs' sections), intro and case tables.
fn section_tables(out: &mut String, run: &Run, ctx: &Ctx, sections: &[Section]) {
    for section in sections {
        let name = super::merge::heading(section.name);
        let _ = writeln!(out, "## {name}\n");
        let _ = writeln!(
            out,
            "{}`{}` on {} at commit {}; load before the run {}.*\n",
            super::merge::STAMP,
            command(run),
            run.date,
            run.commit,
            run.load_before
        );
        if let Some(why) = &section.skipped {
            let _ = writeln!(out, "{why}\n");
            continue;
        }
        for l in &section.intro {
            let _ = writeln!(out, "{l}");
        }
        out.push('\n');
        for case in &section.cases {
            case_table(out, case, ctx);
        }
    }
}

/// The sizes of the release binaries the run used (issue #16: at most
/// 40 MB each, which only holds without debug information).
fn binary_size(out: &mut String) {
    let _ = writeln!(
        out,
        "## Binary size
"
    );
    let _ = writeln!(
        out,
        "| binary | bytes | MB | goal ≤ 40 MB |\n|---|---:|---:|---|"
    );
    let release = crate::util::target_dir().join("release");
    for name in ["tanba", "tanba-full"] {
        match std::fs::metadata(release.join(name)) {
            Ok(m) => {
                let mb = m.len() as f64 / 1e6;
                let met = if mb <= 40.0 { "met" } else { "**not met**" };
                let _ = writeln!(out, "| `{name}` | {} | {mb:.1} | {met} |", m.len());
            }
            Err(e) => {
                let _ = writeln!(out, "| `{name}` | not found ({e}) | | |");
            }
        }
    }
    let _ = writeln!(
        out,
        "\nThe release profile keeps no debug information (`debug = false`, `strip = \"debuginfo\"` in the \
         workspace `Cargo.toml`); with line tables the two were 144 MB and 148 MB. For perf and other profilers \
         build `cargo build --profile profiling -p tanba-cli --bins` (release code, line tables and symbols kept), \
         into `target/profiling/`.\n"
    );
}

/// How the run was made.
fn method(out: &mut String, run: &Run) {
    let _ = writeln!(out, "## Method\n");
    let _ = writeln!(
        out,
        "- `cargo xtask bench` builds the release `tanba` and `tanba-full` binaries once (and two release examples: \
         `tanba-image`'s `label_file` and `tanba-benches`' `bench_label_loop`, whose `--checked` and `--unchecked` \
         modes price the read-back verification of every output), then generates the media set \
         deterministically (fixed seeds, no clock) under `target/bench-media/{}/`; it is cached and rebuilt only when its parameters change. \
         Nothing large is committed.",
        run.plan
    );
    let _ = writeln!(
        out,
        "- Every case runs all its rows in rounds: in each round every row runs once, in alternating order \
         (forwards, then backwards), so Tanba and the peer see the same load and the same page cache. \
         Inputs are read from the page cache after the first round; outputs go to a scratch folder under \
         `target/` that is wiped before each run. Before a case's first round every input file (and the \
         `tanba` binary) is read once, so that the first round does not pay alone for a cold page cache."
    );
    let _ = writeln!(
        out,
        "- Each run is timed by GNU time (`/usr/bin/time -f '%e %U %S %M'`) for user + system CPU (10 ms \
         resolution) and peak resident set size; wall time is taken around the same process with a monotonic \
         clock (it includes GNU time's own start, about a millisecond). The tables give the median of the runs and the min–max spread of wall time. \
         For the `sh -c '… | xargs -P 2 convert …'` rows, GNU time reports the largest single process of the tree \
         (one `convert`), not the sum of the two running at once; Tanba's figure is its whole process."
    );
    let _ = writeln!(
        out,
        "- Peers run with settings that give the same output: JPEG quality 90 on both sides; the same label \
         text; ffmpeg writes the same 16-bit WAV Tanba writes; libx264 with Tanba's preset and CRF. \
         Tanba's outputs are checked with `tanba verify` after the runs (noted under each table)."
    );
    let _ = writeln!(
        out,
        "- `cargo xtask bench --quick` runs the same cases on a reduced set (written to \
         `target/bench-media/quick/benchmarks.md`); `--only image,jpeg,audio,pdf,bulk,video,stream` runs some sections and keeps the others as their last run wrote them, \
         `--reps N` and `--batch-reps N` set the rounds. The criterion benches (`cargo xtask bench --criterion`, \
         or `cargo bench -p tanba-benches`) time single operations in-process; see `benches/README.md`."
    );
}

fn plan_note(out: &mut String, plan: &Plan) -> std::fmt::Result {
    writeln!(
        out,
        "- This run's set: {} JPEGs of {}×{}; {} PNGs cycling through {}; MP3s of {} and {} s; a {}-page PDF; \
         {} small mixed files (half Markdown); video {} s at {}×{} (generated only when the build labels MP4).",
        plan.jpegs,
        plan.jpeg_size.0,
        plan.jpeg_size.1,
        plan.pngs,
        plan.png_sizes
            .iter()
            .map(|(w, h)| format!("{w}×{h}"))
            .collect::<Vec<_>>()
            .join(", "),
        plan.audio_seconds.0,
        plan.audio_seconds.1,
        plan.pdf_pages,
        plan.markdown,
        plan.video.0,
        plan.video.1,
        plan.video.2
    )
}

/// A small SVG chart of the summary: one bar per case and peer, the wall
/// ratio Tanba ÷ peer on a log scale (left of the 1× line: Tanba faster).
pub fn svg(sections: &[Section]) -> String {
    let mut bars: Vec<(String, f64)> = Vec::new();
    for section in sections {
        for case in &section.cases {
            let Some((_, t)) = reference(case) else {
                continue;
            };
            for row in case.rows.iter().filter(|r| r.variant.role == Role::Peer) {
                let Some(m) = medians(row) else { continue };
                if m.wall.median > 0.0 && t.wall.median > 0.0 {
                    bars.push((
                        format!("{}: {} vs {}", section.name, case.title, row.variant.name),
                        t.wall.median / m.wall.median,
                    ));
                }
            }
        }
    }
    let (label_w, plot_w, row_h) = (520.0, 360.0, 22.0);
    let (lo, hi) = (-4.0f64, 4.0f64); // log2 range: 1/16× … 16×
    let x_of = |r: f64| label_w + (r.log2().clamp(lo, hi) - lo) / (hi - lo) * plot_w;
    let height = 40.0 + row_h * bars.len() as f64 + 30.0;
    let width = label_w + plot_w + 20.0;
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        out,
        r#"<text x="10" y="20" font-size="14">Wall time, Tanba ÷ peer (log scale; left of 1×: Tanba faster)</text>"#
    );
    for (i, (label, r)) in bars.iter().enumerate() {
        let y = 40.0 + row_h * i as f64;
        let (x0, x1) = (x_of(1.0), x_of(*r));
        let (x, w) = if x1 < x0 {
            (x1, x0 - x1)
        } else {
            (x0, x1 - x0)
        };
        let colour = if *r <= 1.0 { "#2e7d32" } else { "#c62828" };
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            label_w - 8.0,
            y + 14.0,
            esc(label)
        );
        let _ = writeln!(
            out,
            r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{colour}"/>"#,
            y + 3.0,
            w.max(1.0),
            row_h - 6.0
        );
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{}">{r:.2}×</text>"#,
            x + w.max(1.0) + 4.0,
            y + 14.0
        );
    }
    let bottom = 40.0 + row_h * bars.len() as f64;
    for k in [-4i32, -2, 0, 2, 4] {
        let r = 2f64.powi(k);
        let x = x_of(r);
        let _ = writeln!(
            out,
            r##"<line x1="{x:.1}" y1="34" x2="{x:.1}" y2="{bottom}" stroke="#888" stroke-dasharray="{}"/>"##,
            if k == 0 { "none" } else { "2,3" }
        );
        let text = if k >= 0 {
            format!("{}×", 1 << k)
        } else {
            format!("1/{}×", 1 << -k)
        };
        let _ = writeln!(
            out,
            r#"<text x="{x:.1}" y="{}" text-anchor="middle">{text}</text>"#,
            bottom + 16.0
        );
    }
    out.push_str("</svg>\n");
    out
}
