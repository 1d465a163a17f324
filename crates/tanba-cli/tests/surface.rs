//! The command line's surface, through the real binary: help that
//! teaches (snapshots), `verify` on folders, `--dry-run`, completions and
//! the manual page, missing inputs, numbers in tanba.toml, messages in
//! words.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fixture, report, s, tanba};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs `tanba` at a fixed width and without colours, so help is the
/// same on every machine.
fn help(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_tanba"))
        .args(args)
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

/// Compares `text` with the committed snapshot; `TANBA_UPDATE_SNAPSHOTS=1`
/// rewrites it instead.
fn snapshot(name: &str, text: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    if std::env::var_os("TANBA_UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::write(&path, text).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with TANBA_UPDATE_SNAPSHOTS=1", path.display()));
    assert!(
        expected == text,
        "{name} changed; run with TANBA_UPDATE_SNAPSHOTS=1 to accept:\n{text}"
    );
}

#[test]
fn help_is_grouped_short_with_h_and_teaches_with_help() {
    for (name, args) in [
        ("tanba-h", &["-h"][..]),
        ("tanba-help", &["--help"]),
        ("label-h", &["label", "-h"]),
        ("label-help", &["label", "--help"]),
        ("verify-h", &["verify", "-h"]),
        ("verify-help", &["verify", "--help"]),
    ] {
        snapshot(name, &help(args));
    }
    let label_short = help(&["label", "-h"]);
    let label_long = help(&["label", "--help"]);
    assert!(
        label_short.lines().count() <= 55,
        "label -h is longer than a screen:\n{label_short}"
    );
    assert!(!label_short.contains("Examples:") && label_long.contains("Examples:"));
    for heading in [
        "Output:",
        "Label:",
        "Pictures:",
        "Audio:",
        "Video:",
        "PDF:",
        "C2PA:",
        "Job:",
        "Walking:",
    ] {
        assert!(label_long.contains(&format!("\n{heading}\n")), "{heading}");
    }
    // Every enum-like flag lists its values.
    for values in [
        "top-left, top-center, top-right, bottom-left, bottom-center, bottom-right",
        "kk, ru, en",
        "top, bottom",
        "prepend, overlay, append",
        "all, first",
        "spoken, tone",
    ] {
        assert!(label_short.contains(values), "{values} not listed");
    }
    let verify_long = help(&["verify", "--help"]);
    for labelling_only in [
        "--video-crf",
        "--pdf-rewrite",
        "--refuse-encrypted",
        "--jpeg-quality",
        "--in-place",
        "--force",
        "--position",
        "--c2pa-key",
        "--dry-run",
    ] {
        assert!(!verify_long.contains(labelling_only), "{labelling_only}");
    }
    for kept in [
        "--config",
        "--lang",
        "--label",
        "--text-encoding",
        "--audio-disclaimer",
        "--c2pa-trust",
        "--hidden",
    ] {
        assert!(verify_long.contains(kept), "{kept}");
    }
    assert!(help(&["completions", "--help"]).contains("bash, elvish, fish, powershell, zsh"));
}

/// A folder with two labelled files, one unlabelled text, and a file no
/// labeler takes.
fn mixed_folder(root: &Path) -> PathBuf {
    let src = root.join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::copy(fixture("image/sample-generated.png"), src.join("a.png")).unwrap();
    std::fs::write(src.join("b.md"), "# Notes\n").unwrap();
    let labelled = root.join("labelled");
    let o = tanba(&["label", s(&src), "-o", s(&labelled), "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::write(labelled.join("plain.txt"), "not labelled\n").unwrap();
    std::fs::write(labelled.join("blob.bin"), [0u8, 159, 146, 150, 1, 2, 3]).unwrap();
    labelled
}

#[test]
fn verify_walks_folders_with_json_rows_a_report_and_exit_codes() {
    let d = tempfile::tempdir().unwrap();
    let labelled = mixed_folder(d.path());
    let rep = d.path().join("verify.json");
    let o = tanba(&["verify", s(&labelled), "--json", "--report", s(&rep)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let printed: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(printed, report(&rep), "--report holds the printed rows");
    let rows = printed.as_array().unwrap();
    let status = |name: &str| {
        let file = s(&labelled.join(name)).to_string();
        let row = rows.iter().find(|r| r["file"] == file.as_str());
        row.unwrap_or_else(|| panic!("no row for {name}: {printed}"))["status"].clone()
    };
    assert_eq!(rows.len(), 4, "{printed}");
    assert_eq!(status("a.png"), "labelled");
    assert_eq!(status("b.md"), "labelled");
    assert_eq!(status("plain.txt"), "not labelled");
    assert_eq!(status("blob.bin"), "skipped");
    // Plain output: one verdict per file and a count in words.
    let o = tanba(&["verify", s(&labelled)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("plain.txt: NOT LABELLED"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("machine-readable mark: Tanba manifest in"));
    assert!(stderr(&o).contains("4 files checked: 2 compliant, 1 not, 1 skipped"));
    // Walking rules as for label: leave the unlabelled file out, all pass.
    let o = tanba(&["verify", s(&labelled), "-E", "*.txt"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("3 files checked: 2 compliant, 0 not, 1 skipped"));
    let o = tanba(&["verify", s(&labelled.join("a.png"))]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("1 file checked"), "{}", stderr(&o));
    // Usage errors: 2.
    assert_eq!(
        tanba(&["verify", s(&labelled), "--video-crf", "20"])
            .status
            .code(),
        Some(2)
    );
}

/// Every path under `root`, with its size, for "nothing changed".
fn tree(root: &Path) -> Vec<(PathBuf, u64)> {
    let mut all = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                stack.push(e.path());
            }
            all.push((e.path(), meta.len()));
        }
    }
    all.sort();
    all
}

#[test]
fn dry_run_lists_each_input_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("src");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    std::fs::copy(fixture("image/sample-photo.jpg"), src.join("photo.jpg")).unwrap();
    std::fs::copy(fixture("pdf/report.pdf"), src.join("sub/report.pdf")).unwrap();
    std::fs::write(src.join("notes.md"), "# Notes\n").unwrap();
    std::fs::write(src.join("blob.bin"), [0u8, 159, 146, 150]).unwrap();
    let out = d.path().join("out");
    let (rep, csv, log) = (
        d.path().join("r.json"),
        d.path().join("r.csv"),
        d.path().join("l.jsonl"),
    );
    let before = tree(d.path());
    let args = [
        "label",
        s(&src),
        "-o",
        s(&out),
        "--report",
        s(&rep),
        "--csv",
        s(&csv),
        "--log",
        s(&log),
    ];
    let o = tanba(&[&args[..], &["--dry-run"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!out.exists(), "--dry-run made the output folder");
    assert_eq!(tree(d.path()), before, "--dry-run wrote something");
    let plan = stdout(&o);
    let line = |name: &str| {
        let input = s(&src.join(name)).to_string();
        plan.lines()
            .find(|l| l.contains(&format!(" {input}")))
            .unwrap_or_else(|| panic!("{name} not in the plan:\n{plan}"))
            .to_string()
    };
    let photo = line("photo.jpg");
    assert!(photo.trim_start().starts_with("label"), "{photo}");
    assert!(
        photo.contains(s(&out.join("photo.jpg"))) && photo.contains("[jpeg]"),
        "{photo}"
    );
    assert!(line("sub/report.pdf").contains(s(&out.join("sub/report.pdf"))));
    assert!(line("notes.md").contains("[markdown]"), "{plan}");
    assert!(line("blob.bin").trim_start().starts_with("skip"), "{plan}");
    assert!(
        stderr(&o).contains("dry run, nothing written: 4 files: 3 to label"),
        "{}",
        stderr(&o)
    );
    // After the real run, the plan says the work is done.
    assert_eq!(tanba(&[&args[..], &["-q"]].concat()).status.code(), Some(0));
    let after = tree(d.path());
    let o = tanba(&[&args[..], &["--dry-run"]].concat());
    assert_eq!(tree(d.path()), after, "--dry-run wrote something");
    assert!(
        stdout(&o)
            .lines()
            .filter(|l| l.contains("already done"))
            .count()
            == 3,
        "{}",
        stdout(&o)
    );
}

#[test]
fn completions_parse_and_the_manual_page_renders() {
    let bash = tanba(&["completions", "bash"]);
    assert_eq!(bash.status.code(), Some(0));
    let script = d_write("tanba.bash", &bash.stdout);
    let check = Command::new("bash")
        .arg("-n")
        .arg(&script.1)
        .output()
        .unwrap();
    assert!(check.status.success(), "bash -n: {}", stderr(&check));
    assert!(stdout(&bash).contains("--dry-run") && stdout(&bash).contains("bottom-right"));
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let o = tanba(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        assert!(stdout(&o).contains("pdf-pages"), "{shell}");
    }
    assert_eq!(tanba(&["completions", "tcsh"]).status.code(), Some(2));
    let man = tanba(&["man"]);
    assert_eq!(man.status.code(), Some(0));
    let page = stdout(&man);
    assert!(page.contains("\n.TH tanba 1 "), "{}", &page[..200]);
    for section in [
        "TANBA LABEL",
        "TANBA VERIFY",
        "TANBA REPORT MERGE",
        "PICTURES",
    ] {
        assert!(page.contains(section), "{section}");
    }
    if Command::new("groff").arg("-v").output().is_ok() {
        let file = d_write("tanba.1", &man.stdout);
        let o = Command::new("groff")
            .args(["-k", "-man", "-Tutf8", "-ww"])
            .arg(&file.1)
            .output()
            .unwrap();
        assert!(
            o.status.success() && o.stderr.is_empty(),
            "groff: {}",
            stderr(&o)
        );
        assert!(stdout(&o).contains("--dry-run"));
    }
}

/// Writes `bytes` to a new temporary file (kept with its folder).
fn d_write(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (d, path)
}

#[test]
fn missing_inputs_are_named_and_refused_before_any_work() {
    let d = tempfile::tempdir().unwrap();
    let real = d.path().join("a.md");
    std::fs::write(&real, "# A\n").unwrap();
    let out = d.path().join("out");
    let (gone1, gone2) = (d.path().join("gone.pdf"), d.path().join("nope/dir"));
    let o = tanba(&["label", s(&real), s(&gone1), s(&gone2), "-o", s(&out)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{}: no such file or folder", s(&gone1))),
        "{err}"
    );
    assert!(
        err.contains(&format!("{}: no such file or folder", s(&gone2))),
        "{err}"
    );
    assert!(!out.exists(), "work started before the inputs were checked");
    let o = tanba(&["verify", s(&real), s(&gone1)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("gone.pdf: no such file or folder"));
    assert!(
        stdout(&o).is_empty(),
        "verify checked files before refusing"
    );
}

#[test]
fn numbers_in_tanba_toml_are_numbers() {
    let d = tempfile::tempdir().unwrap();
    let photo = d.path().join("photo.jpg");
    std::fs::copy(fixture("image/sample-photo.jpg"), &photo).unwrap();
    let config = d.path().join("tanba.toml");
    std::fs::write(
        &config,
        "[image]\njpeg_quality = 90\n[video]\nnotice = 3\ncrf = 20\n[text]\nsubtitle_seconds = 4\n",
    )
    .unwrap();
    let out = d.path().join("out");
    let o = tanba(&[
        "label",
        s(&photo),
        "-o",
        s(&out),
        "--config",
        s(&config),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.join("photo.jpg").is_file());
    // The number reaches the same checks as the flag's text.
    std::fs::write(&config, "[image]\njpeg_quality = 101\n").unwrap();
    let o = tanba(&[
        "label",
        s(&photo),
        "-o",
        s(&d.path().join("o2")),
        "--config",
        s(&config),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("JPEG quality \"101\""),
        "{}",
        stderr(&o)
    );
    std::fs::write(
        &config,
        "[image]\njpeg_quality = \"source\"\n[video]\nnotice = \"off\"\n",
    )
    .unwrap();
    let o = tanba(&[
        "label",
        s(&photo),
        "-o",
        s(&d.path().join("o3")),
        "--config",
        s(&config),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn messages_are_in_words_with_plurals_right() {
    let d = tempfile::tempdir().unwrap();
    let pdf = d.path().join("report.pdf");
    std::fs::copy(fixture("pdf/report.pdf"), &pdf).unwrap();
    let o = tanba(&[
        "label",
        s(&pdf),
        "-o",
        s(&d.path().join("out")),
        "--pdf-pages",
        "5-9,12-",
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("page selection 5-9,12- matches none of the"),
        "{err}"
    );
    assert!(!err.contains("Ranges(") && !err.contains("..="), "{err}");
    assert!(err.contains("tanba: 1 file: 0 labelled"), "{err}");
    assert!(!err.contains("1 files"), "{err}");
    // --lang lists its codes and still takes the longer names.
    let md = d.path().join("a.md");
    std::fs::write(&md, "# A\n").unwrap();
    let out = d.path().join("langs");
    let o = tanba(&["label", s(&md), "-o", s(&out), "--lang", "kazakh,EN", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = tanba(&["label", s(&md), "-o", s(&out), "--lang", "xx"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown language \"xx\" (use kk, kk-Latn, ru or en)"),
        "{}",
        stderr(&o)
    );
}
