//! `tanba label --dry-run`: the plan of a job, printed, with nothing
//! written: no output folder, no report, no log, no temporary file. Each
//! input gets one line on standard output saying what the job would do
//! with it and why.

use rayon::prelude::*;
use std::process::ExitCode;

use tanba::{Job, Registry};

use crate::batch::{Earlier, earlier_output};
use crate::plan::{Plan, Planned};
use crate::report::count;
use crate::{EXIT_FAILED, plan::Destination};

/// What the job would do with one input.
enum Would {
    Label(Option<String>),
    AlreadyDone(String),
    Refuse(String),
}

/// Prints the plan and what would happen to each file; reads inputs (and
/// earlier outputs) to say so, writes nothing. Exits as the job would: 1
/// when a file would fail.
pub(crate) fn show(registry: &Registry, job: &Job, plan: Plan, to: Destination<'_>) -> ExitCode {
    let decided: Vec<Would> = plan
        .files
        .par_iter()
        .map(|p| would(registry, job, p, to))
        .collect();
    let (mut label, mut done, mut skipped, mut refused) = (0, 0, 0, 0);
    for (p, w) in plan.files.iter().zip(&decided) {
        let (what, why) = match w {
            Would::Label(why) => {
                label += 1;
                ("label", why.as_deref())
            }
            Would::AlreadyDone(why) => {
                done += 1;
                ("already done", Some(why.as_str()))
            }
            Would::Refuse(why) => {
                refused += 1;
                ("refuse", Some(why.as_str()))
            }
        };
        let mut line = format!(
            "{what:>12}  {} -> {}  [{}",
            p.task.input.display(),
            p.output.display(),
            p.format.name
        );
        if !std::ptr::eq(p.format, p.written) {
            line.push_str(&format!(" -> {}", p.written.name));
        }
        line.push(']');
        if let Some(why) = why {
            line.push_str(&format!("  {why}"));
        }
        outln!("{line}");
    }
    for r in &plan.refused {
        let what = if r.skipped {
            skipped += 1;
            "skip"
        } else {
            refused += 1;
            "refuse"
        };
        outln!("{what:>12}  {}  {}", r.input.display(), r.reason);
    }
    let total = plan.files.len() + plan.refused.len();
    errln!(
        "tanba: dry run, nothing written: {}: {label} to label, {done} already done, {skipped} skipped, {refused} refused",
        count(total, "file", "files")
    );
    if refused > 0 {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

/// What the batch would do with one planned file: keep an earlier run's
/// output, copy an input that already carries a mark, or label.
fn would(registry: &Registry, job: &Job, p: &Planned, to: Destination<'_>) -> Would {
    if job.force {
        return Would::Label(Some("--force".into()));
    }
    let mut note = None;
    if matches!(to, Destination::Out(_)) && p.output.exists() {
        // No compliance log is opened on a dry run (opening creates it), so a
        // text output holding only a manifest reference, with no sidecar,
        // shows as labelled again.
        match earlier_output(registry, job, p, None) {
            Earlier::Done => {
                return Would::AlreadyDone(
                    "labelled by an earlier run with the same input and settings".into(),
                );
            }
            Earlier::Redo(why) => note = Some(format!("again: {why}")),
        }
    }
    match registry.verify_file(&p.task.input, &job.limits) {
        Ok(v) if v.manifest.is_none() => Would::Label(note),
        Ok(v) if v.is_compliant() => Would::AlreadyDone(match to {
            Destination::Out(_) => "input already carries a Tanba mark; copied unchanged".into(),
            Destination::InPlace => "input already carries a Tanba mark; left as it is".into(),
        }),
        Ok(v) => Would::Refuse(format!(
            "carries a Tanba mark but its label does not verify ({}); use --force to label it again",
            v.perceptible.detail
        )),
        // The labeler reads the file again and reports what it finds.
        Err(_) => Would::Label(note),
    }
}
