#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A file counts as labelled only when its output verifies: a labeler
//! whose output lacks the mark or the perceptible label makes
//! `label_file` and `label_bytes` fail with `Error::Unverified`, and no
//! output is left.

use std::path::Path;

use tanba::{
    Error, Format, Job, Labeler, Labelled, Limits, Mark, MarkKind, Placement, Registry, Result,
    Source, Verification, WriteSeek,
};

static NOTE: Format = Format {
    name: "note",
    mime: "text/x-note",
    extensions: &["note"],
};

/// Writes `NOTE` plus whatever it is told to leave out: its verify checks
/// for a `[mark]` and a `[label]` line.
#[derive(Debug)]
struct Forgetful {
    mark: bool,
    label: bool,
}

impl Labeler for Forgetful {
    fn name(&self) -> &'static str {
        "note"
    }

    fn formats(&self) -> &'static [&'static Format] {
        const ALL: &[&Format] = &[&NOTE];
        ALL
    }

    fn sniff(&self, head: &[u8], _: Option<&Path>) -> Option<&'static Format> {
        head.starts_with(b"NOTE").then_some(&NOTE)
    }

    fn label(&self, source: Source<'_>, output: &mut dyn WriteSeek, job: &Job) -> Result<Labelled> {
        let mut text = String::new();
        source.reader.read_to_string(&mut text)?;
        output.write_all(text.as_bytes())?;
        if self.label {
            output.write_all(b"\n[label]")?;
        }
        if self.mark {
            output.write_all(b"\n[mark]")?;
        }
        Ok(Labelled::new(
            &NOTE,
            job.manifest(NOTE.mime, Placement::at("end")),
        ))
    }

    fn verify(&self, source: Source<'_>, _: &Limits) -> Result<Verification> {
        let mut text = String::new();
        source.reader.read_to_string(&mut text)?;
        let mut v = Verification::unmarked(&NOTE, "no [label] line");
        if text.contains("[mark]") {
            v.marks.push(Mark::new(MarkKind::Native, "[mark] line"));
        }
        if text.contains("[label]") {
            v.perceptible.found = true;
            v.perceptible.detail = "[label] line".into();
        }
        Ok(v)
    }
}

fn registry(mark: bool, label: bool) -> Registry {
    let mut r = Registry::empty();
    r.register(Forgetful { mark, label });
    r
}

#[test]
fn an_output_that_does_not_verify_is_an_error_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.note");
    std::fs::write(&input, "NOTE hello").unwrap();
    let out_dir = dir.path().join("out");
    for (mark, label, missing) in [
        (false, true, "machine-readable mark"),
        (true, false, "perceptible label"),
    ] {
        let output = out_dir.join("in.note");
        let err = registry(mark, label)
            .label_file(&input, &output, &Job::default())
            .unwrap_err();
        assert!(matches!(err, Error::Unverified { .. }), "{err}");
        assert!(err.to_string().contains(missing), "{err}");
        assert_eq!(err.path(), Some(output.as_path()));
        assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 0);
        let err = registry(mark, label)
            .label_bytes(b"NOTE hello", None, &Job::default())
            .unwrap_err();
        assert_eq!(err.kind_name(), "unverified");
    }
    assert_eq!(std::fs::read(&input).unwrap(), b"NOTE hello");
    let done = registry(true, true)
        .label_file(&input, &out_dir.join("in.note"), &Job::default())
        .unwrap();
    assert!(done.output.is_file());
    assert!(done.labelled.manifest.settings_sha256.is_some());
}

#[test]
fn the_settings_fingerprint_follows_the_settings() {
    let r = registry(true, true);
    let job = Job::default();
    let other = Job::new().with_position(tanba::Position::TopLeft);
    assert_eq!(r.settings_sha256(0, &job), r.settings_sha256(0, &job));
    assert_ne!(r.settings_sha256(0, &job), r.settings_sha256(0, &other));
    // A progress sink changes nothing that is written, so a rerun with
    // bars on a terminal keeps the outputs of a run without them.
    let watched = job
        .clone()
        .with_progress(std::sync::Arc::new(|_: &tanba::ProgressUpdate| {}));
    assert_eq!(r.settings_sha256(0, &job), r.settings_sha256(0, &watched));
    // The labeler's own settings count too.
    assert_ne!(
        registry(true, true).settings_sha256(0, &job),
        registry(true, false).settings_sha256(0, &job)
    );
}
