//! The cost of verifying every output (issue 14): `Registry::label_file`,
//! which reads each output back with its labeler's `verify` before the
//! output takes its name, against the same steps without that read-back
//! (`bench_label_loop --checked` and `--unchecked`), and the check alone
//! (`--verify`, on outputs labelled once before the case): the difference
//! of two noisy runs prices the check only to within their noise, the third
//! row times it directly. One case per input the issue names: the bulk set,
//! the 12-MP JPEG, the 1080p clip.

use std::path::Path;

use super::Ctx;
use super::case::{
    Case, CaseBuilder, Role, median_cpu, median_rss, median_wall, p, run_case, s, slug,
};

/// How every verification case's title starts (the goals find it by this).
pub(super) const TITLE: &str = "Cost of verifying every output";
/// The row that verifies, and the one that does not.
pub(super) const CHECKED: &str = "bench_label_loop --checked";
pub(super) const UNCHECKED: &str = "bench_label_loop --unchecked";
/// The row that only verifies outputs labelled before.
pub(super) const ALONE: &str = "bench_label_loop --verify";

/// The case for `input` (a folder or one file), `what` naming it in the
/// title; `None` when the library loop did not build.
pub(super) fn case(
    ctx: &Ctx,
    section: &str,
    what: &str,
    input: &Path,
    reps: usize,
) -> Option<Case> {
    let example = p(ctx.label_loop.as_ref()?);
    let title = format!("{TITLE}: {what}");
    let mut b = CaseBuilder::new(ctx, section, &title);
    b.add(
        &format!("{CHECKED} (Registry::label_file)"),
        Role::Tanba,
        &example,
        &[s("--checked"), p(input), s("{S}/out")],
    );
    b.add(
        &format!("{UNCHECKED} (same steps, no read-back)"),
        Role::Baseline,
        &example,
        &[s("--unchecked"), p(input), s("{S}/out")],
    );
    let dir = ctx.work.join(section).join(slug(&title));
    let (labelled, empty) = (dir.join("labelled-once"), dir.join("nothing"));
    if label_once(&example, input, &labelled) && std::fs::create_dir_all(&empty).is_ok() {
        b.add(
            &format!("{ALONE} (the check alone, on outputs labelled before)"),
            Role::Baseline,
            &example,
            &[s("--verify"), p(&labelled)],
        );
        b.add(
            &format!("{ALONE} on an empty folder (start-up alone)"),
            Role::Baseline,
            &example,
            &[s("--verify"), p(&empty)],
        );
    }
    let mut case = run_case(&title, b, reps);
    case.notes.push(note(&case));
    Some(case)
}

/// Labels `input` into `dir` once, untimed, for the row that times the
/// check alone; false (and that row left out) when it fails.
fn label_once(example: &str, input: &Path, dir: &Path) -> bool {
    let _ = std::fs::remove_dir_all(dir);
    std::process::Command::new(example)
        .arg("--unchecked")
        .arg(input)
        .arg(dir)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// What the read-back costs in this case, in wall and CPU time and memory.
fn note(case: &Case) -> String {
    let [checked, unchecked, rest @ ..] = &case.rows[..] else {
        return String::new();
    };
    let (Some(w1), Some(w0), Some(c1), Some(c0)) = (
        median_wall(checked),
        median_wall(unchecked),
        median_cpu(checked),
        median_cpu(unchecked),
    ) else {
        return "No figure: a row failed.".into();
    };
    let pct = |a: f64, b: f64| if b > 0.0 { (a / b - 1.0) * 100.0 } else { 0.0 };
    let rss = match (median_rss(checked), median_rss(unchecked)) {
        (Some(a), Some(b)) => format!("; peak memory {a:.0} MiB against {b:.0} MiB"),
        _ => String::new(),
    };
    let alone = match rest {
        [alone, start] => alone_note(alone, start, (w0, c0)),
        _ => String::new(),
    };
    format!(
        "Reading every output back with its labeler's `verify` costs **{:+.1} %** of wall time \
         ({w1:.3} s against {w0:.3} s, medians) and {:+.1} % of CPU time ({c1:.3} s against {c0:.3} s){rss}.{alone} \
         Both rows run the same library steps (open, sniff, hash the input, label into a temporary file hashed \
         as it is written, sync, rename, one thread); the `--unchecked` replica lives only in the bench example, \
         the library has no way to skip the check.",
        pct(w1, w0),
        pct(c1, c0),
    )
}

/// The check timed directly: the `--verify` row less the start-up row,
/// against the unchecked row's wall and CPU time `(w0, c0)`.
fn alone_note(alone: &super::case::Row, start: &super::case::Row, (w0, c0): (f64, f64)) -> String {
    let (Some(wa), Some(ca), Some(ws), Some(cs)) = (
        median_wall(alone),
        median_cpu(alone),
        median_wall(start),
        median_cpu(start),
    ) else {
        return String::new();
    };
    let (w, c) = ((wa - ws).max(0.0), (ca - cs).max(0.0));
    let share = |a: f64, b: f64| if b > 0.0 { a / b * 100.0 } else { 0.0 };
    format!(
        " Timed directly, the check alone (`--verify` over the same outputs, labelled once before \
         the case: open, sniff and `verify` each, less the example's start-up on an empty folder) \
         takes {w:.3} s wall and {c:.2} s CPU: **{:.1} %** of the unchecked row's wall time and \
         {:.1} % of its CPU time (CPU at GNU time's 10 ms resolution).",
        share(w, w0),
        share(c, c0),
    )
}
