//! The bulk job: label many files in parallel, go on past failures, and
//! account for every file.

use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use tanba::{Error, Job, Registry, atomic};

use crate::plan::{Plan, Planned};
use crate::progress::{ColorChoice, Display, Verbosity};
use crate::report::{ComplianceLog, FileReport, LogLine, Outcome};

/// How a bulk job runs.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Replace the originals, after the output verified.
    pub in_place: bool,
    /// Keep `NAME.bak` beside a replaced original.
    pub backup: bool,
    /// How much to say: failures only, a line (or bars) per file, or
    /// details too.
    pub verbosity: Verbosity,
    /// When to colour.
    pub color: ColorChoice,
}

fn row(
    task_input: &Path,
    outcome: Outcome,
    reason: Option<String>,
    started: Instant,
) -> FileReport {
    FileReport {
        input: task_input.display().to_string(),
        output: None,
        outcome,
        format: None,
        reason,
        input_bytes: None,
        output_bytes: None,
        millis: started.elapsed().as_secs_f64() * 1000.0,
        input_sha256: None,
        output_sha256: None,
        c2pa: None,
        manifest_sidecar: None,
    }
}

/// Copies a file atomically (an already-labelled input joins the mirror as it is).
fn copy_atomic(from: &Path, to: &Path, durability: atomic::Durability) -> tanba::Result<u64> {
    let dir = atomic::parent_of(to);
    std::fs::create_dir_all(dir).map_err(|e| Error::from(e).at(to))?;
    let mut src = std::fs::File::open(from).map_err(|e| Error::from(e).at(from))?;
    atomic::write_atomic_in(
        dir,
        durability,
        |out| std::io::copy(&mut src, out).map_err(|e| Error::from(e).at(to)),
        |_| to.to_path_buf(),
    )
    .map(|(len, _)| len)
}

/// The names in each output folder when the job first looked there, so
/// finding an earlier run's output costs one directory read per folder,
/// not one `stat` per supported extension per file. Files this job writes
/// later are not in it, and need not be: they are not an earlier run's.
#[derive(Default)]
struct EarlierOutputs {
    folders: Mutex<HashMap<PathBuf, Arc<HashSet<OsString>>>>,
}

impl EarlierOutputs {
    fn names_in(&self, folder: &Path) -> Arc<HashSet<OsString>> {
        let mut folders = self.folders.lock().unwrap_or_else(PoisonError::into_inner);
        folders
            .entry(folder.to_path_buf())
            .or_insert_with(|| {
                Arc::new(
                    std::fs::read_dir(folder)
                        .map(|entries| {
                            entries
                                .filter_map(|e| e.ok().map(|e| e.file_name()))
                                .collect()
                        })
                        .unwrap_or_default(),
                )
            })
            .clone()
    }

    fn contains(&self, path: &Path) -> bool {
        match path.file_name() {
            Some(name) => self.names_in(atomic::parent_of(path)).contains(name),
            None => false,
        }
    }
}

/// Resuming: an earlier output is kept only when it is of the format this
/// job writes, its manifest records this input and these settings, and it
/// verifies (mark and perceptible label); the first of these that fails is
/// the reason given.
pub(crate) fn earlier_output(
    registry: &Registry,
    job: &Job,
    planned: &Planned,
    log: Option<&ComplianceLog>,
) -> Earlier {
    let check = match registry.verify_file(&planned.output, &job.limits) {
        Ok(v) => v,
        Err(e) => return Earlier::Redo(format!("the earlier output cannot be read ({e})")),
    };
    if check.format != planned.written.name {
        return Earlier::Redo(format!(
            "a {} file, not this job's output, is at the output path",
            check.format
        ));
    }
    // The manifest is in the file, in its sidecar (verify read it), or,
    // for a text output that holds only a reference, in the log.
    let (source_sha256, settings_sha256) = match (&check.manifest, &check.manifest_ref) {
        (Some(m), _) => (m.source_sha256.clone(), m.settings_sha256.clone()),
        (None, Some(r)) => match log.and_then(|log| log.find(r)) {
            Some(logged) => (logged.source_sha256, logged.settings_sha256),
            None => {
                return Earlier::Redo(
                    "the earlier output holds only a manifest reference, and neither a \
                     sidecar nor the compliance log holds that manifest"
                        .into(),
                );
            }
        },
        (None, None) => {
            return Earlier::Redo("the earlier output has no Tanba manifest".into());
        }
    };
    let same_input = std::fs::File::open(&planned.task.input)
        .map_err(Error::from)
        .and_then(|mut f| tanba::manifest::sha256_of(&mut f))
        .is_ok_and(|sha| sha == source_sha256);
    if !same_input {
        return Earlier::Redo("the input changed since the earlier run".into());
    }
    let settings = registry.settings_sha256(planned.labeler, job);
    if settings_sha256.as_deref() != Some(settings.as_str()) {
        return Earlier::Redo("settings changed".into());
    }
    // After the fingerprints: a badge drawn with another margin or width
    // no longer verifies under this job's style, and the cause to name is
    // the changed settings.
    if !check.is_compliant() {
        return Earlier::Redo("the earlier output does not verify".into());
    }
    Earlier::Done
}

struct Worker<'a> {
    registry: &'a Registry,
    job: &'a Job,
    options: &'a BatchOptions,
    log: Option<&'a ComplianceLog>,
    earlier: EarlierOutputs,
    display: Display,
}

/// Whether an earlier run's output can stay, or why the file is labelled again.
pub(crate) enum Earlier {
    Done,
    Redo(String),
}

impl Worker<'_> {
    fn process(&self, planned: &Planned) -> FileReport {
        let started = Instant::now();
        let input = &planned.task.input;
        let mut redo = None;
        if !self.options.in_place && !self.job.force && self.earlier.contains(&planned.output) {
            match self.earlier_output(planned) {
                Earlier::Done => {
                    let mut r = row(
                        input,
                        Outcome::AlreadyLabelled,
                        Some("labelled by an earlier run with the same input and settings".into()),
                        started,
                    );
                    r.output = Some(planned.output.display().to_string());
                    r.format = Some(planned.format.name.to_string());
                    return r;
                }
                Earlier::Redo(why) => redo = Some(format!("labelled again: {why}")),
            }
        }
        let with_progress = self.display.job_for(self.job, &planned.task.relative);
        let job = with_progress.as_ref().unwrap_or(self.job);
        let mut report = self.label(input, &planned.output, job, started);
        report
            .format
            .get_or_insert_with(|| planned.format.name.to_string());
        if let (Some(why), Outcome::Labelled) = (redo, report.outcome) {
            report.reason = Some(match report.reason.take() {
                Some(notes) => format!("{why}; {notes}"),
                None => why,
            });
        }
        report
    }

    fn earlier_output(&self, planned: &Planned) -> Earlier {
        earlier_output(self.registry, self.job, planned, self.log)
    }

    fn label(&self, input: &Path, target: &Path, job: &Job, started: Instant) -> FileReport {
        let staging = if self.options.in_place {
            // Keeps the extension: it breaks ties between formats (Markdown
            // or plain text) when the staged copy is verified.
            let name = target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let ext = target
                .extension()
                .map(|e| format!(".{}", e.to_string_lossy()))
                .unwrap_or_default();
            target.with_file_name(format!(".{name}.tanba-new{ext}"))
        } else {
            target.to_path_buf()
        };
        let outcome = match self.registry.label_file(input, &staging, job) {
            Ok(o) => o,
            Err(Error::AlreadyLabelled { .. }) => {
                if let Err(why) = self.input_verifies(input) {
                    return row(input, Outcome::Failed, Some(why), started);
                }
                let mut r = row(
                    input,
                    Outcome::AlreadyLabelled,
                    Some("input already carries a Tanba mark".into()),
                    started,
                );
                if !self.options.in_place {
                    let copied = copy_atomic(input, target, self.registry.durability())
                        .and_then(|len| Ok((len, self.copy_manifest_sidecar(input, target)?)));
                    match copied {
                        Ok((len, sidecar)) => {
                            r.manifest_sidecar = sidecar.map(|p| p.display().to_string());
                            r.output = Some(target.display().to_string());
                            r.output_bytes = Some(len);
                            r.reason =
                                Some("input already carries a Tanba mark; copied unchanged".into());
                        }
                        Err(e) => return row(input, Outcome::Failed, Some(e.to_string()), started),
                    }
                }
                return r;
            }
            Err(e) => return row(input, Outcome::Failed, Some(e.to_string()), started),
        };
        let mut output = outcome.output.clone();
        let mut sidecar = outcome.manifest_sidecar.clone();
        let mut notes = outcome.labelled.notes.clone();
        if self.options.in_place {
            let _staged = atomic::track_unfinished(&outcome.output);
            match self.replace_original(input, &outcome.output) {
                Ok((final_path, note)) => {
                    notes.extend(note);
                    match self.move_manifest_sidecar(&outcome, &final_path) {
                        Ok(moved) => sidecar = moved,
                        Err(e) => {
                            return row(input, Outcome::Failed, Some(e.to_string()), started);
                        }
                    }
                    output = final_path;
                }
                Err(e) => {
                    let staged = outcome.manifest_sidecar.iter().chain([&outcome.output]);
                    staged.for_each(|p| drop(std::fs::remove_file(p)));
                    return row(input, Outcome::Failed, Some(e.to_string()), started);
                }
            }
        }
        if let Some(log) = self.log {
            let ends = (input.display().to_string(), output.display().to_string());
            let shas = (
                outcome.input_sha256.as_str(),
                outcome.output_sha256.as_str(),
            );
            let line = LogLine::new((&ends.0, &ends.1), shas, &outcome.labelled.manifest);
            if let Err(e) = log.append(&line) {
                notes.push(format!("compliance log not written: {e}"));
            }
        }
        FileReport {
            input: input.display().to_string(),
            output: Some(output.display().to_string()),
            outcome: Outcome::Labelled,
            format: Some(outcome.labelled.format.name.to_string()),
            reason: (!notes.is_empty()).then(|| notes.join("; ")),
            input_bytes: Some(outcome.input_len),
            output_bytes: Some(outcome.output_len),
            millis: started.elapsed().as_secs_f64() * 1000.0,
            input_sha256: Some(outcome.input_sha256),
            output_sha256: Some(outcome.output_sha256),
            c2pa: c2pa_column(outcome.credentials, outcome.kept_credentials),
            manifest_sidecar: sidecar.map(|p| p.display().to_string()),
        }
    }

    /// An input that already carries a Tanba mark counts as labelled only
    /// when its label verifies in full.
    fn input_verifies(&self, input: &Path) -> Result<(), String> {
        match self.registry.verify_file(input, &self.job.limits) {
            Ok(v) if v.is_compliant() => Ok(()),
            Ok(v) => Err(format!(
                "{}: carries a Tanba mark but its label does not verify ({}); use --force to label it again",
                input.display(),
                v.perceptible.detail
            )),
            Err(e) => Err(e.to_string()),
        }
    }

    /// An input copied unchanged (already labelled) takes its manifest
    /// sidecar along: for SubRip it is the only mark.
    fn copy_manifest_sidecar(&self, input: &Path, target: &Path) -> tanba::Result<Option<PathBuf>> {
        let sidecar = tanba::text::sidecar_path(input);
        if !sidecar.is_file() {
            return Ok(None);
        }
        let copy = tanba::text::sidecar_path(target);
        copy_atomic(&sidecar, &copy, self.registry.durability())?;
        Ok(Some(copy))
    }

    /// In place: the staged output's manifest sidecar follows it to the
    /// original's name (the output, already in place, is then complete).
    fn move_manifest_sidecar(
        &self,
        outcome: &tanba::FileOutcome,
        final_path: &Path,
    ) -> tanba::Result<Option<PathBuf>> {
        let Some(staged) = &outcome.manifest_sidecar else {
            return Ok(None);
        };
        let Some(target) = self
            .registry
            .manifest_sidecar_of(final_path, outcome.labelled.format)
        else {
            return Ok(None);
        };
        std::fs::rename(staged, &target).map_err(|e| Error::from(e).at(&target))?;
        Ok(Some(target))
    }

    /// Swaps the staged output, which `label_file` verified, in for the original.
    fn replace_original(
        &self,
        original: &Path,
        staged: &Path,
    ) -> tanba::Result<(PathBuf, Option<String>)> {
        let same_format = staged.extension() == original.extension();
        let final_path = if same_format {
            original.to_path_buf()
        } else {
            original.with_extension(staged.extension().unwrap_or_default())
        };
        let mut note = None;
        if self.options.backup && same_format {
            let name = original
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let backup = original.with_file_name(format!("{name}.bak"));
            if backup.exists() {
                note = Some(format!("kept the older backup {}", backup.display()));
            } else {
                std::fs::hard_link(original, &backup)
                    .or_else(|_| std::fs::copy(original, &backup).map(|_| ()))
                    .map_err(|e| Error::from(e).at(&backup))?;
            }
        }
        std::fs::rename(staged, &final_path).map_err(|e| Error::from(e).at(&final_path))?;
        Ok((final_path, note))
    }
}

/// Runs the job over the found files. Every file gets a row; a failure
/// never stops the others. Returns the rows and the display, for the
/// summary.
pub fn run(
    registry: &Registry,
    job: &Job,
    plan: Plan,
    options: &BatchOptions,
    pool: &rayon::ThreadPool,
    log: Option<&ComplianceLog>,
) -> tanba::Result<(Vec<FileReport>, Display)> {
    let worker = Worker {
        registry,
        job,
        options,
        log,
        earlier: EarlierOutputs::default(),
        display: Display::new(plan.files.len(), options.verbosity, options.color),
    };
    let mut rows: Vec<FileReport> = pool.install(|| {
        plan.files
            .par_iter()
            .map(|planned| {
                let r = worker.process(planned);
                worker.display.finished(&r);
                r
            })
            .collect()
    });
    worker.display.finish();
    for refused in plan.refused {
        let outcome = if refused.skipped {
            Outcome::Skipped
        } else {
            Outcome::Failed
        };
        let r = row(
            &refused.input,
            outcome,
            Some(refused.reason),
            Instant::now(),
        );
        worker.display.refused(&r);
        rows.push(r);
    }
    Ok((rows, worker.display))
}

/// The report's `c2pa` column: where the credentials went, or where the
/// original's were kept when nothing was signed.
fn c2pa_column(signed: Option<tanba::Credentials>, kept: Option<PathBuf>) -> Option<String> {
    match (signed, kept) {
        (Some(tanba::Credentials::Embedded), _) => Some("embedded".to_string()),
        (Some(tanba::Credentials::Sidecar(path)), _) => Some(format!("sidecar {}", path.display())),
        (None, Some(kept)) => Some(format!("original's kept in {}", kept.display())),
        (None, None) => None,
    }
}
