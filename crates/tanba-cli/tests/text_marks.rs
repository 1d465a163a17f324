#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Light text marks through the command line: the compliance log keeps the
//! whole manifest, `--text-manifest sidecar` writes it beside the output,
//! SubRip always gets its sidecar, and resuming recognises an output that
//! holds only a reference (through its sidecar or the log).

mod common;

use std::path::Path;

use common::{report, s, tanba};

fn inputs(dir: &Path) -> std::path::PathBuf {
    let input = dir.join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(input.join("a.txt"), "Модель жазған мәтін.\n").unwrap();
    std::fs::write(
        input.join("s.srt"),
        "1\n00:00:01,000 --> 00:00:02,000\nСәлем\n",
    )
    .unwrap();
    std::fs::write(
        input.join("v.vtt"),
        "WEBVTT\n\n00:01.000 --> 00:02.000\nӘлем\n",
    )
    .unwrap();
    input
}

/// The outcome of each file of a JSON report, sorted by input name.
fn outcomes(path: &Path) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = report(path)["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let name = Path::new(f["input"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, f["outcome"].as_str().unwrap().to_string())
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn resume_finds_the_manifest_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let input = inputs(dir.path());
    let out = dir.path().join("out");
    let log = dir.path().join("log.jsonl");
    let rep = dir.path().join("r.json");
    let run = |log: Option<&Path>| {
        let mut args = vec!["label", s(&input), "--out", s(&out), "--report", s(&rep)];
        if let Some(log) = log {
            args.extend(["--log", s(log)]);
        }
        let o = tanba(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        outcomes(&rep)
    };
    let first = run(Some(&log));
    assert!(first.iter().all(|(_, o)| o == "labelled"), "{first:?}");
    // Every line of the log holds the whole manifest.
    let lines = std::fs::read_to_string(&log).unwrap();
    for line in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["manifest"]["id"], v["manifest_id"], "{line}");
    }
    // SubRip's mark is its sidecar; the others hold a reference only.
    assert!(out.join("s.srt.tanba.json").is_file());
    assert!(!out.join("a.txt.tanba.json").exists());
    // Resumed with the log: nothing is labelled again.
    let again = run(Some(&log));
    assert!(
        again.iter().all(|(_, o)| o == "already-labelled"),
        "{again:?}"
    );
    // Without the log, the outputs that hold only a reference are
    // labelled again (their settings cannot be read); SubRip's sidecar
    // still has its manifest.
    let blind = run(None);
    assert_eq!(
        blind,
        [
            ("a.txt".to_string(), "labelled".to_string()),
            ("s.srt".to_string(), "already-labelled".to_string()),
            ("v.vtt".to_string(), "labelled".to_string()),
        ]
    );
    // Other settings: labelled again, whatever the log says.
    let o = tanba(&[
        "label",
        s(&input),
        "--out",
        s(&out),
        "--report",
        s(&rep),
        "--log",
        s(&log),
        "--short",
    ]);
    assert!(o.status.success());
    assert!(outcomes(&rep).iter().all(|(_, o)| o == "labelled"));
}

#[test]
fn labelled_outputs_relabelled_elsewhere_keep_their_sidecars() {
    let dir = tempfile::tempdir().unwrap();
    let input = inputs(dir.path());
    let out = dir.path().join("out");
    assert!(
        tanba(&["label", s(&input), "--out", s(&out)])
            .status
            .success()
    );
    // The labelled tree as input: each file is already labelled and copied
    // unchanged; SubRip takes its sidecar (its only mark) along, and the
    // sidecar is not a file to label.
    let again = dir.path().join("again");
    let rep = dir.path().join("r.json");
    let o = tanba(&["label", s(&out), "--out", s(&again), "--report", s(&rep)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        outcomes(&rep),
        [
            ("a.txt".to_string(), "already-labelled".to_string()),
            ("s.srt".to_string(), "already-labelled".to_string()),
            ("s.srt.tanba.json".to_string(), "skipped".to_string()),
            ("v.vtt".to_string(), "already-labelled".to_string()),
        ]
    );
    assert_ok_verify(&again.join("s.srt"));
}

#[test]
fn text_manifest_sidecar_is_written_checked_and_follows_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let input = inputs(dir.path());
    let out = dir.path().join("out");
    let o = tanba(&[
        "label",
        s(&input),
        "--out",
        s(&out),
        "--text-manifest",
        "sidecar",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in ["a.txt", "s.srt", "v.vtt"] {
        let sidecar = out.join(format!("{name}.tanba.json"));
        assert!(sidecar.is_file(), "{name}");
        let v = tanba(&["verify", s(&out.join(name))]);
        let text = String::from_utf8_lossy(&v.stdout);
        assert!(v.status.success(), "{name}: {text}");
        assert!(
            text.contains(&format!("sidecar {name}.tanba.json")),
            "{text}"
        );
        if name != "s.srt" {
            assert!(text.contains("manifest reference: urn:uuid:"), "{text}");
        }
    }
    // An edited sidecar no longer matches the reference: not labelled.
    let sidecar = out.join("a.txt.tanba.json");
    let edited = std::fs::read_to_string(&sidecar)
        .unwrap()
        .replace("tanba/", "other/");
    std::fs::write(&sidecar, edited).unwrap();
    let v = tanba(&["verify", s(&out.join("a.txt"))]);
    assert_eq!(v.status.code(), Some(1));

    // In place, the sidecar takes the original's name too; --force
    // relabels to one notice and one reference.
    let o = tanba(&["label", s(&input), "--in-place", "--no-backup"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(input.join("s.srt.tanba.json").is_file());
    let names: Vec<String> = std::fs::read_dir(&input)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with('.')),
        "no staged file left: {names:?}"
    );
    let o = tanba(&["label", s(&input), "--in-place", "--no-backup", "--force"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(input.join("a.txt")).unwrap();
    assert_eq!(text.matches("Жасанды интеллект").count(), 1, "{text}");
    assert_eq!(text.matches("Tanba-Manifest-Ref").count(), 1, "{text}");
    let srt = std::fs::read_to_string(input.join("s.srt")).unwrap();
    assert_eq!(srt.matches("Жасанды интеллект").count(), 1, "{srt}");
    assert!(
        srt.starts_with("1\n00:00:00,000") && srt.contains("\n2\n00:00:01,000"),
        "{srt}"
    );
    assert_ok_verify(&input.join("s.srt"));
}

fn assert_ok_verify(path: &Path) {
    let v = tanba(&["verify", s(path)]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
}
