//! One plan before any work: every file's format, its output path and its
//! sidecars' (C2PA, manifest), decided for the whole job first, so that no two inputs can
//! write the same output (also when the names differ only in letter case,
//! which many file systems do not tell apart).

use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use tanba::{Error, Format, Registry, read_head};

use crate::walk::{Found, Refused, Task};

/// A file the job will label, with what was decided for it.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The input, as found.
    pub task: Task,
    /// Its format, sniffed from its content.
    pub format: &'static Format,
    /// The format its output is written in (`Labeler::output_format`).
    pub written: &'static Format,
    /// The registry index of the labeler that takes it.
    pub labeler: usize,
    /// Where its labelled output goes (its extension follows the output format).
    pub output: PathBuf,
    /// The C2PA sidecar beside the output, when there will be one.
    pub sidecar: Option<PathBuf>,
    /// The manifest sidecar (`NAME.EXT.tanba.json`) beside a text output,
    /// when there will be one (`Registry::manifest_sidecar_of`).
    pub manifest_sidecar: Option<PathBuf>,
}

/// The files of a job and the ones refused, with their reasons.
#[derive(Debug, Default)]
pub struct Plan {
    /// To label, in the walk's order.
    pub files: Vec<Planned>,
    /// Not to label.
    pub refused: Vec<Refused>,
}

impl Plan {
    /// The registry indexes of the labelers the files to label need, once each.
    pub fn labelers(&self) -> Vec<usize> {
        let mut used: Vec<usize> = self.files.iter().map(|p| p.labeler).collect();
        used.sort_unstable();
        used.dedup();
        used
    }
}

/// Where a job writes.
#[derive(Debug, Clone, Copy)]
pub enum Destination<'a> {
    /// Mirrored into this folder.
    Out(&'a Path),
    /// Over the originals.
    InPlace,
}

/// Sniffs every found file (in parallel) and decides its output.
pub fn plan(registry: &Registry, found: Found, to: Destination<'_>) -> Plan {
    let decided: Vec<Result<Planned, Refused>> = found
        .tasks
        .into_par_iter()
        .map(|task| decide(registry, task, to))
        .collect();
    let mut plan = Plan {
        files: Vec::with_capacity(decided.len()),
        refused: found.refused,
    };
    for d in decided {
        match d {
            Ok(p) => plan.files.push(p),
            Err(r) => plan.refused.push(r),
        }
    }
    refuse_collisions(&mut plan, to);
    plan
}

/// A killed run's temporary files in the folders this job writes to go
/// before it starts (those of a live run stay: see `atomic::remove_stale`).
pub fn remove_stale_temporaries(plan: &Plan) {
    let folders: BTreeSet<&Path> = plan
        .files
        .iter()
        .map(|p| tanba::atomic::parent_of(&p.output))
        .collect();
    for folder in folders {
        tanba::atomic::remove_stale(folder);
    }
}

/// What a found file is: the index of the labeler that takes it and its
/// format, or why it is not taken (the rule `label` and `verify` share).
pub fn sniff<'r>(
    registry: &'r Registry,
    task: &Task,
) -> Result<(usize, &'r dyn tanba::Labeler, &'static Format), Refused> {
    let input = &task.input;
    // A FIFO or device put in place of a file since the walk is never opened.
    match std::fs::metadata(input) {
        Ok(m) if m.is_file() => {}
        Ok(_) => {
            let reason = "not a regular file: never opened";
            return Err(Refused::skip(input.clone(), reason, task.named));
        }
        Err(e) => {
            let reason = Error::from(e).at(input).to_string();
            return Err(Refused::fail(input.clone(), reason));
        }
    }
    let head = std::fs::File::open(input)
        .map_err(|e| Error::from(e).at(input))
        .and_then(|mut f| read_head(&mut f).map_err(|e| e.at(input)));
    let head = head.map_err(|e| Refused::fail(input.clone(), e.to_string()))?;
    if head.is_empty() {
        let reason = format!("{}: empty file (0 bytes)", input.display());
        return Err(Refused::fail(input.clone(), reason));
    }
    registry.detect_indexed(&head, Some(input)).ok_or_else(|| {
        let reason = registry
            .declined(&head, Some(input))
            .unwrap_or_else(|| "not a supported format".into());
        Refused::skip(input.clone(), reason, task.named)
    })
}

/// The format and output of one file, or why it is not labelled.
fn decide(registry: &Registry, task: Task, to: Destination<'_>) -> Result<Planned, Refused> {
    let (index, labeler, format) = sniff(registry, &task)?;
    let input = &task.input;
    let written = labeler.output_format(format);
    let base = match to {
        Destination::Out(out) => out.join(&task.relative),
        Destination::InPlace => input.clone(),
    };
    let output = if std::ptr::eq(written, format) {
        base
    } else {
        base.with_extension(written.extension())
    };
    if matches!(to, Destination::InPlace) && output != *input && output.exists() {
        let reason = format!(
            "its output {} would replace a file that is not this input",
            output.display()
        );
        return Err(Refused::fail(task.input, reason));
    }
    let sidecar = registry.sidecar_of(&output, written);
    let manifest_sidecar = registry.manifest_sidecar_of(&output, written);
    Ok(Planned {
        task,
        format,
        written,
        labeler: index,
        output,
        sidecar,
        manifest_sidecar,
    })
}

/// Two inputs whose outputs (or sidecars) would have one name, up to
/// letter case, are both refused, each naming the other; in place, an
/// output may also not take another input's name.
fn refuse_collisions(plan: &mut Plan, to: Destination<'_>) {
    let key = |p: &Path| p.to_string_lossy().to_lowercase();
    let mut first_owner: HashMap<String, usize> = HashMap::new();
    let mut clash: Vec<Option<usize>> = vec![None; plan.files.len()];
    for (i, p) in plan.files.iter().enumerate() {
        let mut names = vec![key(&p.output)];
        names.extend(p.sidecar.as_deref().map(key));
        names.extend(p.manifest_sidecar.as_deref().map(key));
        if matches!(to, Destination::InPlace) {
            names.retain(|n| *n != key(&p.task.input));
            names.push(key(&p.task.input));
        }
        for name in names {
            match first_owner.get(&name) {
                Some(&owner) if owner != i => {
                    clash[i].get_or_insert(owner);
                    clash[owner].get_or_insert(i);
                }
                Some(_) => {}
                None => {
                    first_owner.insert(name, i);
                }
            }
        }
    }
    if clash.iter().all(Option::is_none) {
        return;
    }
    let inputs: Vec<PathBuf> = plan.files.iter().map(|p| p.task.input.clone()).collect();
    let mut kept = Vec::with_capacity(plan.files.len());
    for (p, other) in plan.files.drain(..).zip(clash) {
        match other {
            None => kept.push(p),
            Some(o) => plan.refused.push(Refused {
                reason: format!(
                    "its output {} would also be written for {} (names may differ only in letter case): \
                     neither is labelled; rename one",
                    p.output.display(),
                    inputs[o].display()
                ),
                input: p.task.input,
                skipped: false,
            }),
        }
    }
    plan.files = kept;
}
