//! `tanba audit`: which files of an archive are AI content that lacks part
//! of its label (see docs/audit.md). Folders are walked by the rules
//! `label` walks them by; `--fix --out DIR` labels exactly the files that
//! need it, as a distributor, into DIR.
//!
//! Exit codes: 0 when no file is AI content lacking part of its label (or,
//! with `--fix`, every such file was labelled and its output audits as
//! compliant), 1 otherwise, 2 for bad usage.

use rayon::prelude::*;
use serde::Serialize;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tanba::{Error, Job, Registry, Result};

use crate::args::AuditArgs;
use crate::audit::{self, Evidence, Finding, Verdict};
use crate::config::Config;
use crate::plan;
use crate::report::{count, csv_field};
use crate::settings::prepare;
use crate::walk::{self, Rules, Task};
use crate::{EXIT_FAILED, EXIT_USAGE, Linked, hand_off, recognises_all};

/// One file's row: printed, `--json`, `--report` and `--csv`.
#[derive(Debug, Serialize)]
struct Row {
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<String>,
    verdict: Verdict,
    evidence: Vec<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    visible_label: Option<String>,
    /// Labelled as imitating a real person (the deepfake notice).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    real_person: bool,
    /// For a real-person file: `found` or `missing`, the deepfake notice
    /// (its text drawn, its clip spoken) searched for.
    #[serde(skip_serializing_if = "Option::is_none")]
    deepfake_notice: Option<&'static str>,
    /// Why the file is unreadable, or was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// Skipped inside a folder (not a supported format): no row.
    #[serde(skip)]
    skipped: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    fixed: Option<Fixed>,
}

/// What `--fix` did to a file that needed it.
#[derive(Debug, Serialize)]
struct Fixed {
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    /// The output's own audit verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    verdict: Option<Verdict>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    evidence: Vec<Evidence>,
    /// The input's C2PA credentials kept in this sidecar (no key given).
    #[serde(skip_serializing_if = "Option::is_none")]
    kept_credentials: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub(crate) fn audit(args: &AuditArgs, linked: Linked) -> Result<ExitCode> {
    let config = match &args.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let (job, registry) = prepare(&args.common, &args.walk, &config, linked)?;
    for path in [&args.report, &args.csv].into_iter().flatten() {
        if !tanba::atomic::parent_of(path).is_dir() {
            return Err(Error::config("the report's folder does not exist").at(path));
        }
    }
    if args.walk.type_list {
        return walk::print_type_list(&registry, &args.walk);
    }
    if !walk::all_exist(&args.inputs) {
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    if let Some(fuller) = linked.fuller
        && !recognises_all(&registry, &args.inputs)
    {
        return hand_off(fuller);
    }
    let out = match (&args.fix, &args.out) {
        (true, Some(out)) => Some(fix_folder(out, &args.inputs)?),
        _ => None,
    };
    let globs =
        walk::type_globs(&registry.formats(), &args.walk.type_add).map_err(Error::config)?;
    let rules = Rules::new(&args.walk, &globs, None).map_err(Error::config)?;
    let found = walk::walk(&args.inputs, &rules).map_err(Error::config)?;
    let fix = out
        .as_deref()
        .map(|dir| (dir, job.clone().with_force(true)));
    let mut rows: Vec<Row> = found
        .tasks
        .par_iter()
        .map(|task| row(&registry, task, &job, fix.as_ref()))
        .collect();
    rows.extend(found.refused.into_iter().map(|r| Row {
        skipped: r.skipped,
        ..unreadable(&r.input, r.reason)
    }));
    report(args, &rows)
}

/// The folder `--fix` writes into: created, and never an input folder or
/// inside one (the inputs are only ever read).
fn fix_folder(out: &Path, inputs: &[PathBuf]) -> Result<PathBuf> {
    std::fs::create_dir_all(out).map_err(|e| Error::from(e).at(out))?;
    let out = out.canonicalize().map_err(|e| Error::from(e).at(out))?;
    for input in inputs {
        let input = input.canonicalize().map_err(|e| Error::from(e).at(input))?;
        if input.is_dir() && out.starts_with(&input) {
            return Err(Error::config(
                "the --fix output folder is inside an input folder; give one outside it",
            )
            .at(&out));
        }
    }
    Ok(out)
}

/// Audits one found file and, when asked and needed, labels it.
fn row(registry: &Registry, task: &Task, job: &Job, fix: Option<&(&Path, Job)>) -> Row {
    if let Err(r) = plan::sniff(registry, task) {
        return Row {
            skipped: r.skipped,
            ..unreadable(&r.input, r.reason)
        };
    }
    let finding = match audit::audit(registry, &task.input, job) {
        Ok(f) => f,
        Err(e) => return unreadable(&task.input, e.to_string()),
    };
    let fixed = match fix {
        // A real-person file lacking its deepfake notice is labelled with it.
        Some((dir, fixing)) if finding.verdict == Verdict::RealPersonNoticeMissing => {
            let fixing = fixing
                .clone()
                .with_real_person(true)
                .with_label(audit::deepfake_wording(&fixing.label));
            Some(fix_one(registry, task, &dir.join(&task.relative), &fixing))
        }
        Some((dir, fixing)) if finding.verdict.needs_fix() => {
            Some(fix_one(registry, task, &dir.join(&task.relative), fixing))
        }
        _ => None,
    };
    let Finding {
        format,
        evidence,
        visible_label,
        verdict,
        real_person,
        deepfake_notice,
    } = finding;
    Row {
        file: task.input.display().to_string(),
        format: Some(format),
        verdict,
        evidence,
        visible_label,
        real_person,
        deepfake_notice: deepfake_notice.map(found_or_missing),
        reason: None,
        skipped: false,
        fixed,
    }
}

/// Labels one file as a distributor and audits the output.
fn fix_one(registry: &Registry, task: &Task, output: &Path, job: &Job) -> Fixed {
    let mut fixed = Fixed {
        output: None,
        verdict: None,
        evidence: Vec::new(),
        kept_credentials: None,
        notes: Vec::new(),
        error: None,
    };
    match registry.label_file(&task.input, output, job) {
        Ok(outcome) => {
            fixed.output = Some(outcome.output.display().to_string());
            fixed.kept_credentials = outcome.kept_credentials.map(|p| p.display().to_string());
            fixed.notes = outcome.labelled.notes;
            match audit::audit(registry, &outcome.output, job) {
                Ok(f) => {
                    fixed.verdict = Some(f.verdict);
                    fixed.evidence = f.evidence;
                }
                Err(e) => fixed.error = Some(e.to_string()),
            }
        }
        Err(e) => fixed.error = Some(e.to_string()),
    }
    fixed
}

fn found_or_missing(found: bool) -> &'static str {
    if found { "found" } else { "missing" }
}

fn unreadable(file: &Path, reason: String) -> Row {
    Row {
        file: file.display().to_string(),
        format: None,
        verdict: Verdict::Unreadable,
        evidence: Vec::new(),
        visible_label: None,
        real_person: false,
        deepfake_notice: None,
        reason: Some(reason),
        skipped: false,
        fixed: None,
    }
}

/// Whether a row makes the exit code 1: AI content lacking part of its
/// label, not (or not successfully) fixed.
fn fails(row: &Row) -> bool {
    if !row.verdict.needs_fix() {
        return false;
    }
    match &row.fixed {
        Some(f) => f.verdict != Some(Verdict::Compliant),
        None => true,
    }
}

/// Prints the rows and the summary table (or the JSON), writes the
/// reports, and gives the exit code.
fn report(args: &AuditArgs, rows: &[Row]) -> Result<ExitCode> {
    // A file skipped inside a folder (not a format Tanba reads, such as a
    // `.c2pa` sidecar) gets no row, only a count.
    let audited: Vec<&Row> = rows.iter().filter(|r| !r.skipped).collect();
    let json = serde_json::to_string_pretty(&audited).map_err(|e| Error::config(e.to_string()))?;
    if args.json {
        outln!("{json}");
    } else {
        for row in rows.iter().filter(|r| !r.skipped) {
            print_row(row);
        }
        print_summary(rows);
    }
    if let Some(path) = &args.report {
        tanba::atomic::write_atomic(path, |f| Ok(f.write_all(json.as_bytes())?))?;
    }
    if let Some(path) = &args.csv {
        let csv = csv(rows);
        tanba::atomic::write_atomic(path, |f| Ok(f.write_all(csv.as_bytes())?))?;
    }
    Ok(if rows.iter().any(fails) {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_row(row: &Row) {
    let format = row.format.as_deref().unwrap_or("?");
    outln!("{:<30} {}  [{format}]", row.verdict.name(), row.file);
    for e in &row.evidence {
        outln!("    evidence: {}", e.source);
    }
    if let Some(v) = &row.visible_label {
        outln!("    visible label: {v}");
    }
    if row.real_person {
        match row.deepfake_notice {
            Some(found) => outln!("    real person: yes, deepfake notice {found}"),
            None => outln!("    real person: yes"),
        }
    }
    if let Some(r) = &row.reason {
        outln!("    reason: {r}");
    }
    if let Some(f) = &row.fixed {
        match (&f.output, &f.error) {
            (_, Some(e)) => outln!("    fix FAILED: {e}"),
            (Some(o), None) => outln!(
                "    fixed: {o} ({})",
                f.verdict.map_or("not audited", Verdict::name)
            ),
            (None, None) => {}
        }
        if let Some(k) = &f.kept_credentials {
            outln!("    the original's C2PA credentials kept in {k}");
        }
    }
}

/// The summary table: files per verdict.
fn print_summary(rows: &[Row]) {
    let verdicts = [
        Verdict::Compliant,
        Verdict::AiMarkedNoVisibleLabel,
        Verdict::VisibleLabelNoMachineMark,
        Verdict::RealPersonNoticeMissing,
        Verdict::NoAiEvidence,
        Verdict::Unreadable,
    ];
    outln!();
    outln!("{:<30} {:>6}", "verdict", "files");
    for v in verdicts {
        let n = rows.iter().filter(|r| !r.skipped && r.verdict == v).count();
        outln!("{:<30} {n:>6}", v.name());
    }
    let fixed = rows
        .iter()
        .filter(|r| {
            r.fixed
                .as_ref()
                .is_some_and(|f| f.verdict == Some(Verdict::Compliant))
        })
        .count();
    let skipped = rows.iter().filter(|r| r.skipped).count();
    errln!(
        "tanba: {} audited, {} need a label, {fixed} fixed, {skipped} skipped",
        count(rows.len() - skipped, "file", "files"),
        rows.iter().filter(|r| r.verdict.needs_fix()).count(),
    );
}

const CSV_HEADER: &str =
    "file,format,verdict,evidence,visible_label,reason,fixed_output,fixed_verdict,kept_credentials";

fn csv(rows: &[Row]) -> String {
    let mut out = format!("{CSV_HEADER}\n");
    for r in rows.iter().filter(|r| !r.skipped) {
        let evidence: Vec<&str> = r.evidence.iter().map(|e| e.source.as_str()).collect();
        let opt = |o: Option<&str>| o.map(csv_field).unwrap_or_default();
        let fixed = r.fixed.as_ref();
        let line = [
            csv_field(&r.file),
            opt(r.format.as_deref()),
            r.verdict.name().to_string(),
            csv_field(&evidence.join(" | ")),
            opt(r.visible_label.as_deref()),
            opt(r.reason.as_deref()),
            opt(fixed.and_then(|f| f.output.as_deref())),
            opt(fixed.and_then(|f| f.verdict).map(Verdict::name)),
            opt(fixed.and_then(|f| f.kept_credentials.as_deref())),
        ];
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}
