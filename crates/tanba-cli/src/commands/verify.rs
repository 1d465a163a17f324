//! `tanba verify`: which marks each file carries. Folders are walked by
//! the rules `label` walks them by; every file gets one row.
//!
//! Exit codes: 0 when every file checked is compliant, 1 when a file
//! lacks a mark or cannot be read (a file merely skipped inside a folder,
//! as `label` would skip it, does not count), 2 for bad usage.

use rayon::prelude::*;
use std::path::Path;
use std::process::ExitCode;

use tanba::{Error, Registry, Result};

use crate::args::{CommonArgs, VerifyArgs};
use crate::commands::pipe;
use crate::config::Config;
use crate::plan;
use crate::report::count;
use crate::settings::prepare;
use crate::walk::{self, Rules, Task};
use crate::{EXIT_FAILED, EXIT_USAGE, Linked, hand_off, recognises_all};

pub(crate) fn verify(args: &VerifyArgs, linked: Linked) -> Result<ExitCode> {
    let config = match &args.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let common = CommonArgs {
        lang: args.lang.clone(),
        encoding: args.encoding.clone(),
        disclaimer: args.disclaimer.clone(),
        trust: args.trust.clone(),
        watermark: args.watermark.clone(),
        badge: args.badge.clone(),
        ..CommonArgs::default()
    };
    let (job, registry) = prepare(&common, &args.walk, &config, linked)?;
    if let Some(path) = &args.report
        && !tanba::atomic::parent_of(path).is_dir()
    {
        return Err(Error::config("the report's folder does not exist").at(path));
    }
    if let [file] = args.inputs.as_slice()
        && file.as_os_str() == "-"
    {
        return verify_stdin(args, &registry, &job.limits, linked);
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
    let globs =
        walk::type_globs(&registry.formats(), &args.walk.type_add).map_err(Error::config)?;
    let rules = Rules::new(&args.walk, &globs, None).map_err(Error::config)?;
    let found = walk::walk(&args.inputs, &rules).map_err(Error::config)?;
    let mut checked: Vec<Checked> = found
        .tasks
        .par_iter()
        .map(|task| check(&registry, task, &job))
        .collect();
    checked.extend(found.refused.into_iter().map(|r| Checked {
        row: refused_row(&r.input, &r.reason, r.skipped),
        failed: !r.skipped,
        verification: None,
    }));
    report(args, &checked)
}

/// Prints the rows (or their JSON), writes the `--report` file, and says
/// what the exit code is: one place for files, folders and standard input.
fn report(args: &VerifyArgs, checked: &[Checked]) -> Result<ExitCode> {
    let rows: Vec<&serde_json::Value> = checked.iter().map(|c| &c.row).collect();
    let json = serde_json::to_string_pretty(&rows).map_err(|e| Error::config(e.to_string()))?;
    if args.json {
        outln!("{json}");
    } else {
        for c in checked {
            print_row(c);
        }
    }
    if let Some(path) = &args.report {
        use std::io::Write as _;
        tanba::atomic::write_atomic(path, |f| Ok(f.write_all(json.as_bytes())?))?;
    }
    let failed = checked.iter().filter(|c| c.failed).count();
    if !args.json {
        let skipped = checked
            .iter()
            .filter(|c| c.row["status"] == "skipped")
            .count();
        errln!(
            "tanba: {} checked: {} compliant, {} not, {} skipped",
            count(checked.len(), "file", "files"),
            checked.len() - failed - skipped,
            failed,
            skipped
        );
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}

/// `tanba verify -`: standard input, as one file named `-`.
fn verify_stdin(
    args: &VerifyArgs,
    registry: &tanba::Registry,
    limits: &tanba::Limits,
    linked: Linked,
) -> Result<ExitCode> {
    let result = match pipe::verify_stdin(registry, limits, linked)? {
        pipe::Verified::HandedOff(code) => return Ok(code),
        pipe::Verified::Here(result) => *result,
    };
    let deepfake = match &result {
        Ok(v) if args.lang.real_person => Some(v.real_person_check()),
        _ => None,
    };
    report(args, &[checked_row(Path::new("-"), result, deepfake)])
}

/// One file's row: the JSON printed by `--json` and written by `--report`.
struct Checked {
    row: serde_json::Value,
    /// Lacks a mark, or could not be checked.
    failed: bool,
    /// For the printed lines.
    verification: Option<tanba::Verification>,
}

/// Verifies one found file. A file of no supported format found inside a
/// folder is skipped, as `label` skips it.
fn check(registry: &Registry, task: &Task, job: &tanba::Job) -> Checked {
    if let Err(r) = plan::sniff(registry, task) {
        return Checked {
            row: refused_row(&r.input, &r.reason, r.skipped),
            failed: !r.skipped,
            verification: None,
        };
    }
    let result = registry
        .verify_file(&task.input, &job.limits)
        .and_then(|v| search_label(registry, &task.input, job, v));
    let deepfake = match &result {
        Ok(v) if job.real_person => Some(real_person_check(registry, &task.input, job, v)),
        _ => None,
    };
    checked_row(&task.input, result, deepfake)
}

/// `verify --real-person`: the manifest says real person and its label is
/// not the default notice ([`tanba::Verification::real_person_check`]);
/// a file without its own manifest (stripped, or plain text whose manifest
/// is in the log) passes only when the deepfake notice is found by
/// searching its pixels or sound.
fn real_person_check(
    registry: &Registry,
    path: &Path,
    job: &tanba::Job,
    v: &tanba::Verification,
) -> std::result::Result<(), String> {
    let checked = v.real_person_check();
    if checked.is_ok() || v.manifest.is_some() {
        return checked;
    }
    match registry.find_visible_label_file(path, job) {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(format!(
            "no manifest here, and the deepfake notice was not found in the content ({})",
            checked.err().unwrap_or_default()
        )),
        Err(e) => Err(format!(
            "the deepfake notice could not be searched for: {e}"
        )),
    }
}

/// A file without a manifest (stripped by a platform) has no record of
/// where its label is: its pixels or sound are searched for the label the
/// job (flags, tanba.toml) would put there, and a find counts as the
/// perceptible label.
fn search_label(
    registry: &Registry,
    path: &Path,
    job: &tanba::Job,
    mut v: tanba::Verification,
) -> Result<tanba::Verification> {
    // A manifest recovered from the store records where the label was on
    // the file as labelled, not on this copy (resized, re-encoded): search.
    let own_manifest = v.manifest.is_some() && v.recovered_from.is_none();
    if own_manifest || v.perceptible.found {
        return Ok(v);
    }
    if let Some(found) = registry.find_visible_label_file(path, job)? {
        // A place in time (`0:00-0:07`) is a disclaimer heard, not seen.
        let what = if found.place.starts_with(|c: char| c.is_ascii_digit()) {
            "audible label"
        } else {
            "visible label"
        };
        v.perceptible = tanba::PerceptibleCheck::found(format!(
            "{what}: found at {} (score {:.2}), searched for without a manifest",
            found.place, found.score
        ))
        .with_score(f64::from(found.score));
    }
    Ok(v)
}

/// Which layers of the label a file carries, for the JSON row: the kinds
/// of machine-readable mark, and whether the perceptible label was seen
/// (through the manifest's record, or by searching the content).
fn layers(v: &tanba::Verification) -> serde_json::Value {
    let mut machine: Vec<&str> = v.marks.iter().map(|m| mark_kind(&m.kind)).collect();
    machine.dedup();
    let own_manifest = v.manifest.is_some() && v.recovered_from.is_none();
    let perceptible = match (v.perceptible.found, own_manifest) {
        (false, _) => serde_json::Value::Null,
        (true, true) => "checked where the manifest records it".into(),
        (true, false) => "found by searching the content".into(),
    };
    serde_json::json!({ "machine_readable": machine, "perceptible": perceptible })
}

/// The row of one file checked (or that could not be checked). With
/// `deepfake` (`verify --real-person`'s check) a file must also carry the
/// deepfake notice to pass.
fn checked_row(
    file: &Path,
    result: Result<tanba::Verification>,
    deepfake: Option<std::result::Result<(), String>>,
) -> Checked {
    match result {
        Ok(v) => {
            let compliant = v.is_compliant() && deepfake.as_ref().is_none_or(|c| c.is_ok());
            let mut row = serde_json::json!({
                "file": file.display().to_string(),
                "status": if compliant { "labelled" } else { "not labelled" },
                "compliant": compliant,
                "real_person": v.real_person,
                "layers": layers(&v),
                "verification": v,
            });
            if let Some(Err(why)) = &deepfake {
                row["real_person_check"] = why.as_str().into();
            }
            Checked {
                row,
                failed: !compliant,
                verification: Some(v),
            }
        }
        Err(e) => Checked {
            row: serde_json::json!({
                "file": file.display().to_string(),
                "status": "error",
                "compliant": false,
                "error": e.to_string(),
                "kind": e.kind_name(),
            }),
            failed: true,
            verification: None,
        },
    }
}

/// The row of a file not checked: skipped (not counted against the job)
/// or failed.
fn refused_row(file: &Path, reason: &str, skipped: bool) -> serde_json::Value {
    if skipped {
        serde_json::json!({ "file": file.display().to_string(), "status": "skipped", "compliant": null, "reason": reason })
    } else {
        serde_json::json!({ "file": file.display().to_string(), "status": "error", "compliant": false, "error": reason })
    }
}

fn print_row(c: &Checked) {
    let file = c.row["file"].as_str().unwrap_or_default();
    match (&c.verification, c.row["status"].as_str()) {
        (Some(v), _) => {
            print_verification(Path::new(file), v);
            if let Some(why) = c.row["real_person_check"].as_str() {
                outln!("  NOT COMPLIANT with --real-person: {why}");
            }
        }
        (None, Some("skipped")) => outln!(
            "{file}: skipped ({})",
            c.row["reason"].as_str().unwrap_or_default()
        ),
        (None, _) => outln!(
            "{file}: ERROR {}",
            c.row["error"].as_str().unwrap_or_default()
        ),
    }
}

fn print_verification(file: &Path, v: &tanba::Verification) {
    let verdict = if v.is_compliant() {
        "labelled".to_string()
    } else {
        match foreign_origin(v) {
            Some(origin) => format!("NOT LABELLED: AI-made per {origin}, no visible label"),
            None => "NOT LABELLED".to_string(),
        }
    };
    outln!("{}: {verdict} ({})", file.display(), v.format);
    if v.marks.is_empty() {
        outln!("  machine-readable mark: none");
    }
    for m in &v.marks {
        if m.kind == tanba::MarkKind::Watermark {
            continue;
        }
        outln!(
            "  machine-readable mark: {} in {}",
            mark_kind(&m.kind),
            m.carrier
        );
    }
    if let Some(w) = &v.watermark {
        outln!(
            "  machine-readable mark: watermark, payload {} ({} key, strength {:.1})",
            w.payload_hex(),
            w.key,
            w.strength
        );
    }
    outln!(
        "  perceptible label: {} ({})",
        if v.perceptible.found {
            "found"
        } else {
            "missing"
        },
        v.perceptible.detail
    );
    if let Some(path) = &v.recovered_from {
        outln!(
            "  manifest recovered from store: {} (matched by the watermark's payload)",
            path.display()
        );
    }
    if let Some(note) = &v.store_note {
        outln!("  manifest store: {note}");
    }
    if let Some(m) = &v.manifest {
        outln!(
            "  manifest: {} created {} by {}",
            m.id,
            m.created,
            m.generator
        );
        let texts: Vec<&str> = m.label.lines.iter().map(|l| l.text.as_str()).collect();
        outln!("  label: {}", texts.join(" / "));
        if m.real_person {
            match &m.person {
                Some(person) => outln!("  real person: yes ({person})"),
                None => outln!("  real person: yes"),
            }
        }
    }
    if let Some(r) = &v.manifest_ref {
        let whole = if v.manifest.is_some() {
            "the sidecar holds it"
        } else {
            "the manifest itself is in the compliance log (or a sidecar, absent here)"
        };
        outln!(
            "  manifest reference: {} sha256 {} ({whole})",
            r.id,
            r.sha256
        );
    }
    match &v.signature {
        tanba::SignatureState::Unsigned => outln!("  signature: none"),
        tanba::SignatureState::Valid { public_key } => {
            outln!("  signature: valid (Ed25519 key {public_key})")
        }
        tanba::SignatureState::Invalid { reason } => outln!("  signature: INVALID: {reason}"),
    }
    print_credentials(v);
}

/// The C2PA credentials found in, beside or (by the watermark) for a file.
fn print_credentials(v: &tanba::Verification) {
    if let Some(c) = &v.credentials {
        let state = match c.state {
            tanba::CredentialsState::Valid => "valid (signer not on a trust list given)",
            tanba::CredentialsState::Trusted => "trusted",
            tanba::CredentialsState::Invalid => "INVALID",
            tanba::CredentialsState::OfOriginal => {
                "the unlabelled original's, kept in the sidecar (they do not bind to this file)"
            }
        };
        match &c.recovered_from {
            Some(path) => {
                let binding = if c.state == tanba::CredentialsState::Invalid {
                    "soft-binding MISMATCH"
                } else {
                    "soft-binding match"
                };
                outln!(
                    "  content credentials (C2PA): recovered from store, {binding} ({state}; {})",
                    path.display()
                );
            }
            None => outln!("  content credentials (C2PA): {state}"),
        }
        for line in &c.detail {
            outln!("    {line}");
        }
    }
}

/// Who says a file without Tanba's label is AI-made, when another tool
/// marked it: the signer of C2PA credentials that declare a trained model,
/// or an AIGC label.
fn foreign_origin(v: &tanba::Verification) -> Option<String> {
    if v.perceptible.found || v.manifest.is_some() {
        return None;
    }
    if let Some(c) = &v.credentials
        && c.declares_ai()
    {
        let who = c.signer.as_deref().unwrap_or("an unnamed signer");
        return Some(format!("{who}'s C2PA credentials"));
    }
    v.marks
        .iter()
        .any(|m| m.kind == tanba::MarkKind::Aigc)
        .then(|| "a GB 45438 AIGC label".to_string())
}

/// A mark's kind in words.
fn mark_kind(kind: &tanba::MarkKind) -> &'static str {
    match kind {
        tanba::MarkKind::Xmp => "XMP",
        tanba::MarkKind::Aigc => "AIGC",
        tanba::MarkKind::Manifest => "Tanba manifest",
        tanba::MarkKind::Native => "format-native flag",
        tanba::MarkKind::C2pa => "C2PA",
        tanba::MarkKind::Watermark => "watermark",
    }
}
