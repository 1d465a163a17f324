//! The cost of verifying every output (issue 14): `Registry::label_file`,
//! which reads each output back with its labeler's `verify` before the
//! output takes its name, against the same steps without that read-back
//! (`bench_label_loop --checked` and `--unchecked`). One case per input the
//! issue names: the bulk set, the 12-MP JPEG, the 1080p clip.

use std::path::Path;

use super::Ctx;
use super::case::{Case, CaseBuilder, Role, median_cpu, median_rss, median_wall, p, run_case, s};

/// How every verification case's title starts (the goals find it by this).
pub(super) const TITLE: &str = "Cost of verifying every output";
/// The row that verifies, and the one that does not.
pub(super) const CHECKED: &str = "bench_label_loop --checked";
pub(super) const UNCHECKED: &str = "bench_label_loop --unchecked";

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
    let mut case = run_case(&title, b, reps);
    case.notes.push(note(&case));
    Some(case)
}

/// What the read-back costs in this case, in wall and CPU time and memory.
fn note(case: &Case) -> String {
    let [checked, unchecked] = &case.rows[..] else {
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
    format!(
        "Reading every output back with its labeler's `verify` costs **{:+.1} %** of wall time \
         ({w1:.3} s against {w0:.3} s, medians) and {:+.1} % of CPU time ({c1:.3} s against {c0:.3} s){rss}. \
         Both rows run the same library steps (open, sniff, hash the input, label into a temporary file hashed \
         as it is written, sync, rename, one thread); the `--unchecked` replica lives only in the bench example, \
         the library has no way to skip the check.",
        pct(w1, w0),
        pct(c1, c0),
    )
}
