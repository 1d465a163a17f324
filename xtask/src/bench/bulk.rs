//! The bulk section: many small mixed files, where the job machinery's
//! per-file cost shows, against a library loop and `cp -r`.

use std::path::Path;

use super::case::{
    Case, CaseBuilder, Role, Section, label_args, median_cpu, median_wall, p, run_case, s, walk,
};
use super::json::json_numbers;
use super::{Ctx, verify_cost};

pub(super) fn bulk(ctx: &Ctx) -> Section {
    if !ctx.supports("markdown") {
        return Section::skip("bulk", "not supported by this tanba build".into());
    }
    let mut section = Section::new("bulk");
    let n = ctx.plan.markdown;
    let total: u64 = walk(&ctx.media.md_dir)
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok().map(|m| m.len()))
        .sum();
    section.intro.push(format!(
        "Input: {n} small mixed files ({:.1} MB in all, ten folders): half Markdown (a third with front matter), \
         a tenth each of plain text, HTML and SRT subtitles (300 B to 4 KiB, Kazakh/Russian/English), \
         and a tenth each of 320×240 PNG and JPEG pictures.",
        total as f64 / 1e6
    ));
    section.intro.push(String::new());
    section.intro.push(
        "Method. The job machinery is everything `tanba label` does besides labelling a file: start-up, the walk, \
         sniffing, hashing, the atomic write, the report and the progress accounting. Its cost per file is \
         (wall of `tanba label --jobs 1` − wall of the library loop) / files, where the library loop \
         (`benches/examples/bench_label_loop.rs`) reads, labels (`Registry::label_bytes`) and writes the same files \
         in one process with no job machinery. `cp -r` of the folder is the floor for reading and writing the files."
            .into(),
    );
    let (case, w1) = all_files(ctx, n);
    section.cases.push(case);
    section.cases.push(one_folder(ctx, n, w1));
    let what = format!("{n} small mixed files, one thread");
    section.cases.extend(verify_cost::case(
        ctx,
        "bulk",
        &what,
        &ctx.media.md_dir,
        ctx.short_reps(),
    ));
    section
}

/// Every file, on one worker and two, against the library loop and `cp -r`;
/// also gives the one-worker wall time.
fn all_files(ctx: &Ctx, n: usize) -> (Case, Option<f64>) {
    let tanba = ctx.tanba();
    let title = format!("{n} small mixed files");
    let mut b = CaseBuilder::new(ctx, "bulk", &title);
    for jobs in ["1", "2"] {
        b.add(
            &format!("tanba label --jobs {jobs}"),
            Role::Tanba,
            &tanba,
            &label_args(
                &ctx.media.md_dir,
                "{S}/out",
                jobs,
                &["--report", "{S}/report.json"],
            ),
        );
    }
    if let Some(example) = &ctx.label_loop {
        b.add(
            "library loop, one thread (bench_label_loop)",
            Role::Baseline,
            &p(example),
            &[p(&ctx.media.md_dir), s("{S}/out")],
        );
    }
    b.add(
        "cp -r",
        Role::Baseline,
        "cp",
        &[s("-r"), p(&ctx.media.md_dir), s("{S}/out")],
    );
    let report_path = b.variants[0].scratch.join("report.json");
    let mut case = run_case(&title, b, ctx.batch_reps.unwrap_or(ctx.reps));
    let w1 = median_wall(&case.rows[0]);
    overhead_notes(&mut case, n, &report_path);
    (case, w1)
}

/// What the all-files case says about the job machinery's per-file cost.
fn overhead_notes(case: &mut Case, n: usize, report_path: &Path) {
    let w1 = median_wall(&case.rows[0]);
    let w2 = median_wall(&case.rows[1]);
    let lib = case
        .rows
        .iter()
        .find(|r| r.variant.name.starts_with("library"))
        .and_then(median_wall);
    let cp = case
        .rows
        .iter()
        .find(|r| r.variant.name == "cp -r")
        .and_then(median_wall);
    let per = |x: f64| x * 1000.0 / n as f64;
    if let (Some(w1), Some(lib)) = (w1, lib) {
        case.notes.push(format!(
            "Per-file overhead of the job machinery: ({w1:.3} s − {lib:.3} s) / {n} = **{:.3} ms** (goal < 1 ms). \
             Per file: `tanba label --jobs 1` {:.3} ms, library loop {:.3} ms{}.",
            per(w1 - lib),
            per(w1),
            per(lib),
            cp.map(|c| format!(", `cp -r` {:.3} ms", per(c)))
                .unwrap_or_default()
        ));
    }
    if let Ok(text) = std::fs::read_to_string(report_path) {
        let millis = json_numbers(&text, "millis");
        if let Some(w1) = w1
            && !millis.is_empty()
        {
            let sum: f64 = millis.iter().sum::<f64>() / 1000.0;
            case.notes.push(format!(
                "Cross-check from Tanba's own report (last `--jobs 1` run): the per-file timers add up to {sum:.3} s \
                 of the {w1:.3} s wall, so {:.3} ms per file is spent outside them (start-up, walk, report).",
                per(w1 - sum)
            ));
        }
    }
    if let Some(row) = case.rows.first()
        && let (Some(wall), Some(cpu)) = (median_wall(row), median_cpu(row))
        && cpu < wall * 0.5
    {
        case.notes.push(format!(
            "`tanba label --jobs 1` used {cpu:.3} s of CPU in {wall:.3} s of wall time: most of the time it was \
             waiting, not computing (blocking I/O: `strace` shows one `fsync` per output file, which the library \
             loop and `cp` do not do)."
        ));
    }
    if let (Some(w1), Some(w2)) = (w1, w2) {
        case.notes.push(format!(
            "Two workers: {w2:.3} s against {w1:.3} s on one ({:.2}×).",
            w1 / w2
        ));
    }
}

/// One folder (a tenth of the files) against all: time per file as the
/// number of files grows.
fn one_folder(ctx: &Ctx, n: usize, w1: Option<f64>) -> Case {
    let tanba = ctx.tanba();
    let per = |x: f64| x * 1000.0 / n as f64;
    let sub = ctx.media.md_dir.join("section-00");
    let m = walk(&sub).len();
    let title = format!("{m} small mixed files (one folder)");
    let mut b = CaseBuilder::new(ctx, "bulk", &title);
    b.add(
        "tanba label --jobs 1",
        Role::Tanba,
        &tanba,
        &label_args(&sub, "{S}/out", "1", &[]),
    );
    b.add(
        "cp -r",
        Role::Baseline,
        "cp",
        &[s("-r"), p(&sub), s("{S}/out")],
    );
    let mut small = run_case(&title, b, ctx.reps);
    if let (Some(wm), Some(w1)) = (median_wall(&small.rows[0]), w1) {
        small.notes.push(format!(
            "Files against time at one worker: {m} files {wm:.3} s ({:.3} ms/file), {n} files {w1:.3} s ({:.3} ms/file). \
             A constant per-file cost shows as the same ms/file; the difference is the fixed start-up spread thinner.",
            wm * 1000.0 / m.max(1) as f64,
            per(w1)
        ));
    }
    small
}
