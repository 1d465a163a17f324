#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Safe on real archives: what a bulk run over an ordinary folder may and
//! may not do. Each test builds the folder it needs; the last one builds a
//! realistic archive and checks every promise at once.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{fixture, report, s, tanba};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Report rows by input path.
fn rows(report: &serde_json::Value) -> BTreeMap<String, serde_json::Value> {
    let mut map = BTreeMap::new();
    for row in report["files"].as_array().unwrap() {
        let input = row["input"].as_str().unwrap().to_string();
        assert!(
            map.insert(input.clone(), row.clone()).is_none(),
            "two rows for {input}"
        );
    }
    map
}

/// Every file under `root` (following no links), with its bytes.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let t = e.file_type().unwrap();
            if t.is_dir() {
                stack.push(e.path());
            } else if t.is_file() {
                files.insert(e.path(), std::fs::read(e.path()).unwrap());
            }
        }
    }
    files
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(ok.success());
}

#[test]
fn structured_text_and_hidden_files_are_left_alone() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("in");
    std::fs::create_dir_all(input.join(".git")).unwrap();
    let files: &[(&str, &str)] = &[
        ("data.json", "{\"a\": 1}\n"),
        ("x.xml", "<?xml version=\"1.0\"?><a/>\n"),
        ("table.csv", "a,b\n1,2\n"),
        ("run.sh", "#!/bin/sh\necho hi\n"),
        ("app.py", "print('hi')\n"),
        ("style.css", "body { color: red }\n"),
        ("Makefile", "all:\n\ttrue\n"),
        ("LICENSE", "MIT License\n"),
        (".env", "SECRET=1\n"),
        (".git/HEAD", "ref: refs/heads/main\n"),
        ("notes.txt", "Жаңалық.\n"),
    ];
    for (name, text) in files {
        std::fs::write(input.join(name), text).unwrap();
    }
    let before = snapshot(&input);
    let out = d.path().join("out");
    let rep = d.path().join("r.json");
    let o = tanba(&["label", s(&input), "--out", s(&out), "--report", s(&rep)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(snapshot(&input), before, "an input changed");
    let rows = rows(&report(&rep));
    for (name, _) in &files[..8] {
        let row = &rows[s(&input.join(name))];
        assert_eq!(row["outcome"], "skipped", "{name}: {row}");
        assert!(
            row["reason"].as_str().unwrap().contains("structured text"),
            "{name}: {row}"
        );
    }
    // Hidden files are not walked at all.
    assert!(
        !rows
            .keys()
            .any(|k| k.contains(".env") || k.contains(".git"))
    );
    assert_eq!(rows[s(&input.join("notes.txt"))]["outcome"], "labelled");
    // The only output is the text file's.
    let written: Vec<_> = snapshot(&out).into_keys().collect();
    assert_eq!(written, [out.join("notes.txt")]);

    // --hidden walks them; they are still structured text.
    let out2 = d.path().join("out2");
    let o = tanba(&["label", s(&input), "--out", s(&out2), "--hidden", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!out2.join(".env").exists() && !out2.join(".git/HEAD").exists());
    assert_eq!(snapshot(&input), before);
}

#[test]
fn ignore_files_and_filters_choose_the_files() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("in");
    std::fs::create_dir_all(input.join("drafts")).unwrap();
    std::fs::create_dir_all(input.join("keep")).unwrap();
    std::fs::write(input.join(".gitignore"), "drafts/\n").unwrap();
    std::fs::write(input.join(".tanbaignore"), "secret.md\n").unwrap();
    for f in [
        "drafts/a.md",
        "secret.md",
        "keep/b.md",
        "keep/c.txt",
        "top.md",
    ] {
        std::fs::write(input.join(f), "# Жаңалық\n").unwrap();
    }
    let labelled = |extra: &[&str]| -> BTreeSet<String> {
        let out = tempfile::tempdir().unwrap();
        let mut args = vec!["label", s(&input), "--out", s(out.path()), "--quiet"];
        args.extend_from_slice(extra);
        let o = tanba(&args);
        assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", stderr(&o));
        snapshot(out.path())
            .into_keys()
            .map(|p| {
                p.strip_prefix(out.path())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    };
    let set = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(labelled(&[]), set(&["keep/b.md", "keep/c.txt", "top.md"]));
    assert_eq!(
        labelled(&["--no-ignore"]),
        set(&[
            "drafts/a.md",
            "secret.md",
            "keep/b.md",
            "keep/c.txt",
            "top.md"
        ])
    );
    assert_eq!(labelled(&["-t", "text"]), set(&["keep/c.txt"]));
    assert_eq!(labelled(&["-T", "markdown"]), set(&["keep/c.txt"]));
    assert_eq!(
        labelled(&["-g", "keep/**"]),
        set(&["keep/b.md", "keep/c.txt"])
    );
    assert_eq!(labelled(&["-E", "keep"]), set(&["top.md"]));
    // A type added to `text` is also labelled as plain text.
    std::fs::write(input.join("keep/run.log"), "started\n").unwrap();
    assert_eq!(
        labelled(&["--type-add", "text:*.log", "-t", "text"]),
        set(&["keep/c.txt", "keep/run.log"])
    );
    std::fs::remove_file(input.join("keep/run.log")).unwrap();
    let list = tanba(&["label", "--type-list"]);
    assert!(list.status.success());
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.contains("markdown: *.md"), "{list}");
    let bad = tanba(&["label", s(&input), "--out", "x", "-t", "nosuch"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn an_output_folder_that_overlaps_the_input_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(input.join("a.md"), "# A\n").unwrap();
    let before = snapshot(d.path());
    for out in [input.clone(), input.join("out"), d.path().to_path_buf()] {
        let o = tanba(&["label", s(&input), "--out", s(&out)]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{}: {}",
            out.display(),
            stderr(&o)
        );
        assert!(stderr(&o).contains("--out"), "{}", stderr(&o));
        assert_eq!(snapshot(d.path()), before, "{} wrote", out.display());
    }
    // A named file inside the output folder would be overwritten too.
    let o = tanba(&["label", s(&input.join("a.md")), "--out", s(&input)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(snapshot(d.path()), before);
}

#[test]
fn outputs_that_would_share_a_name_are_both_refused() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(input.join("Notes.md"), "# A\n").unwrap();
    std::fs::write(input.join("notes.md"), "# B\n").unwrap();
    std::fs::write(input.join("x.md"), "# X\n").unwrap();
    std::fs::copy(fixture("image/sample-photo.jpg"), input.join("x.jpg")).unwrap();
    let out = d.path().join("out");
    let rep = d.path().join("r.json");
    let o = tanba(&["label", s(&input), "--out", s(&out), "--report", s(&rep)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let rows = rows(&report(&rep));
    for (me, other) in [("Notes.md", "notes.md"), ("notes.md", "Notes.md")] {
        let row = &rows[s(&input.join(me))];
        assert_eq!(row["outcome"], "failed");
        let reason = row["reason"].as_str().unwrap();
        assert!(reason.contains(other), "{reason}");
    }
    assert!(!out.join("Notes.md").exists() && !out.join("notes.md").exists());
    // Same stem, different formats: two outputs, both labelled; a rerun
    // keeps both (an earlier x.md output is not taken for x.jpg's).
    assert_eq!(rows[s(&input.join("x.md"))]["outcome"], "labelled");
    assert_eq!(rows[s(&input.join("x.jpg"))]["outcome"], "labelled");
    std::fs::remove_file(out.join("x.jpg")).unwrap();
    let o = tanba(&["label", s(&input), "--out", s(&out), "--report", s(&rep)]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let rows = self::rows(&report(&rep));
    assert_eq!(rows[s(&input.join("x.jpg"))]["outcome"], "labelled");
    assert_eq!(rows[s(&input.join("x.md"))]["outcome"], "already-labelled");
}

#[test]
fn a_rerun_with_other_settings_labels_again() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(input.join("a.md"), "# A\n").unwrap();
    std::fs::copy(fixture("image/sample-generated.png"), input.join("b.png")).unwrap();
    let out = d.path().join("out");
    let rep = d.path().join("r.json");
    let run = |extra: &[&str]| {
        let mut args = vec!["label", s(&input), "--out", s(&out), "--report", s(&rep)];
        args.extend_from_slice(extra);
        let o = tanba(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        rows(&report(&rep))
    };
    run(&[]);
    let same = run(&[]);
    for row in same.values() {
        assert_eq!(row["outcome"], "already-labelled", "{row}");
    }
    let changed = run(&["--position", "top-left", "--lang", "en"]);
    for row in changed.values() {
        assert_eq!(row["outcome"], "labelled", "{row}");
        let reason = row["reason"].as_str().unwrap_or("");
        assert!(reason.contains("settings changed"), "{row}");
    }
    let text = std::fs::read_to_string(out.join("a.md")).unwrap();
    assert!(
        text.contains("Created with artificial intelligence"),
        "{text}"
    );
    // A changed input is labelled again too.
    std::fs::write(input.join("a.md"), "# A, edited\n").unwrap();
    let edited = run(&["--position", "top-left", "--lang", "en"]);
    let row = &edited[s(&input.join("a.md"))];
    assert!(
        row["reason"].as_str().unwrap().contains("input changed"),
        "{row}"
    );
    assert!(
        std::fs::read_to_string(out.join("a.md"))
            .unwrap()
            .contains("edited")
    );
}

#[test]
fn special_files_are_never_opened_and_named_skips_fail() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(input.join("a.md"), "# A\n").unwrap();
    mkfifo(&input.join("pipe.md"));
    std::os::unix::fs::symlink("loop", input.join("loop")).unwrap();
    let out = d.path().join("out");
    let rep = d.path().join("r.json");
    // Inside a folder: reported as skipped, exit 0; no hang.
    let o = tanba(&["label", s(&input), "--out", s(&out), "--report", s(&rep)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = rows(&report(&rep));
    let fifo = &rows[s(&input.join("pipe.md"))];
    assert_eq!(fifo["outcome"], "skipped");
    assert!(fifo["reason"].as_str().unwrap().contains("FIFO"), "{fifo}");
    assert_eq!(rows[s(&input.join("loop"))]["outcome"], "skipped");
    // Named on the command line: what was asked for and not labelled fails.
    let zero = d.path().join("zero.md");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let data = d.path().join("data.json");
    std::fs::write(&data, "{}\n").unwrap();
    let blob = d.path().join("blob.bin");
    std::fs::write(&blob, [0u8, 1, 2, 0xff]).unwrap();
    for named in [&input.join("pipe.md"), &zero, &data, &blob] {
        let out = d.path().join("named-out");
        let o = tanba(&["label", s(named), "--out", s(&out)]);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}: {}",
            named.display(),
            stderr(&o)
        );
        assert!(stderr(&o).contains("not labelled") || stderr(&o).contains("never opened"));
        assert!(!out.exists() || snapshot(&out).is_empty());
    }
}

#[test]
fn stale_temporaries_go_and_a_closed_stderr_stops_nothing() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    for i in 0..20 {
        std::fs::write(input.join(format!("f{i:02}.md")), "# A\n").unwrap();
    }
    let out = d.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // Left by a killed run (no process has this id) and by a live one.
    let stale = out.join(".tanba-4194304-x1.partial");
    let live = out.join(format!(".tanba-{}-x2.partial", std::process::id()));
    std::fs::write(&stale, "half").unwrap();
    std::fs::write(&live, "half").unwrap();
    // `tanba label … 2>&1 | head -1`: stderr's reader is gone at once.
    let mut child = Command::new(env!("CARGO_BIN_EXE_tanba"))
        .args(["label", s(&input), "--out", s(&out), "--jobs", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
    for i in 0..20 {
        assert!(
            out.join(format!("f{i:02}.md")).is_file(),
            "f{i:02}.md missing"
        );
    }
    assert!(!stale.exists(), "a dead run's temporary file was kept");
    assert!(live.exists(), "a live run's temporary file was removed");
}

/// How many times each part of a label shows in a text output: the notice
/// line and the AIGC object.
fn text_label_counts(bytes: &[u8]) -> (usize, usize) {
    let text = String::from_utf8_lossy(bytes);
    (
        text.matches("Created with artificial intelligence").count(),
        text.matches("ContentProducer").count(),
    )
}

/// The realistic archive: everything at once, then a rerun with changed
/// settings, then a forced relabel of the labelled copy.
#[test]
fn a_realistic_archive_is_labelled_safely() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("archive");
    let dirs = ["docs", "media", "src", ".git", "build", "subs"];
    for dir in dirs {
        std::fs::create_dir_all(input.join(dir)).unwrap();
    }
    let text_files: &[(&str, &str)] = &[
        (".gitignore", "build/\n*.log\n"),
        (".git/HEAD", "ref: refs/heads/main\n"),
        (".env", "TOKEN=1\n"),
        ("build/gen.md", "# built\n"),
        ("run.log", "started\n"),
        ("src/main.py", "print('hi')\n"),
        ("src/config.toml", "[a]\nb = 1\n"),
        ("src/data.json", "[1, 2]\n"),
        ("docs/readme.md", "# Мұрағат\n\nМәтін.\n"),
        ("docs/notes.txt", "Қазақша мәтін.\n"),
        (
            "docs/page.html",
            "<html><head><title>t</title></head><body><p>x</p></body></html>",
        ),
        ("docs/cut.html", "<html><head><title>cut short"),
        ("subs/ep1.srt", "1\n00:00:01,000 --> 00:00:02,000\nӘ\n"),
        (
            "subs/ep1.vtt",
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nӘ\n",
        ),
        ("docs/Same.md", "# upper\n"),
        ("docs/same.md", "# lower\n"),
    ];
    for (name, text) in text_files {
        std::fs::write(input.join(name), text).unwrap();
    }
    std::fs::copy(
        fixture("image/sample-photo.jpg"),
        input.join("media/photo.jpg"),
    )
    .unwrap();
    std::fs::copy(
        fixture("image/sample-generated.png"),
        input.join("media/photo.png"),
    )
    .unwrap();
    std::fs::copy(fixture("pdf/report.pdf"), input.join("docs/report.pdf")).unwrap();
    // BMP is written as PNG (scan.png).
    let bmp = Command::new("convert")
        .arg(fixture("image/sample-generated.png"))
        .arg(input.join("media/scan.bmp"))
        .status()
        .unwrap();
    assert!(bmp.success());
    let pdf = std::fs::read(fixture("pdf/layouts.pdf")).unwrap();
    std::fs::write(input.join("docs/damaged.pdf"), &pdf[..pdf.len() * 2 / 3]).unwrap();
    mkfifo(&input.join("media/stream.mp3"));
    std::os::unix::fs::symlink("loop", input.join("media/loop")).unwrap();
    // A file that keeps growing while the job runs.
    let growing = input.join("docs/growing.txt");
    std::fs::write(&growing, "x\n".repeat(4 << 20)).unwrap();

    let before = snapshot(&input);
    let outside_before: BTreeSet<_> = snapshot(d.path()).into_keys().collect();
    let out = d.path().join("labelled");
    let rep = d.path().join("report.json");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let growing = growing.clone();
        std::thread::spawn(move || {
            use std::io::Write as _;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&growing)
                .unwrap();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                f.write_all(b"more\n").unwrap();
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        })
    };
    let o = tanba(&[
        "label",
        s(&input),
        "--out",
        s(&out),
        "--report",
        s(&rep),
        "--quiet",
    ]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    let report = report(&rep);
    let rows = rows(&report);

    // Every input byte-identical (but the one another program appended to).
    let after = snapshot(&input);
    for (path, bytes) in &before {
        if path != &growing {
            assert_eq!(after.get(path), Some(bytes), "{} changed", path.display());
        }
    }
    // One row per input that the walking rules take, none for the rest.
    let expected: BTreeSet<String> = [
        "src/main.py",
        "src/config.toml",
        "src/data.json",
        "docs/readme.md",
        "docs/notes.txt",
        "docs/page.html",
        "docs/cut.html",
        "subs/ep1.srt",
        "subs/ep1.vtt",
        "docs/Same.md",
        "docs/same.md",
        "media/photo.jpg",
        "media/photo.png",
        "docs/report.pdf",
        "docs/damaged.pdf",
        "media/stream.mp3",
        "media/loop",
        "docs/growing.txt",
        "media/scan.bmp",
    ]
    .iter()
    .map(|r| s(&input.join(r)).to_string())
    .collect();
    assert_eq!(rows.keys().cloned().collect::<BTreeSet<_>>(), expected);
    // Every output reported labelled verifies with `tanba verify`.
    let mut listed = BTreeSet::new();
    for row in rows.values() {
        if let Some(output) = row["output"].as_str() {
            listed.insert(PathBuf::from(output));
        }
        if let Some(sidecar) = row["c2pa"]
            .as_str()
            .and_then(|c| c.strip_prefix("sidecar "))
        {
            listed.insert(PathBuf::from(sidecar));
        }
        if let Some(sidecar) = row["manifest_sidecar"].as_str() {
            listed.insert(PathBuf::from(sidecar));
        }
        if row["outcome"] == "labelled" {
            let v = tanba(&["verify", row["output"].as_str().unwrap()]);
            assert!(
                v.status.success(),
                "{row}: {}",
                String::from_utf8_lossy(&v.stdout)
            );
        }
    }
    let scan = &rows[s(&input.join("media/scan.bmp"))];
    assert_eq!(
        scan["output"].as_str(),
        Some(s(&out.join("media/scan.png"))),
        "{scan}"
    );
    for fixed in [
        "docs/readme.md",
        "media/photo.jpg",
        "media/photo.png",
        "docs/report.pdf",
        "media/scan.bmp",
    ] {
        assert_eq!(
            rows[s(&input.join(fixed))]["outcome"],
            "labelled",
            "{fixed}"
        );
    }
    // Nothing in the output folder that the report does not list, and
    // nothing written outside it but the report.
    let written: BTreeSet<_> = snapshot(&out).into_keys().collect();
    assert_eq!(written, listed);
    let outside_after: BTreeSet<_> = snapshot(d.path())
        .into_keys()
        .filter(|p| !p.starts_with(&out) && p != &rep)
        .collect();
    assert_eq!(outside_after, outside_before);
    // The exit code follows the rows: the case-only pair failed.
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));

    // Again with changed settings: relabelled, one label each.
    let o = tanba(&[
        "label",
        s(&input),
        "--out",
        s(&out),
        "--report",
        s(&rep),
        "--quiet",
        "--lang",
        "en",
        "--position",
        "top-left",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let again = self::rows(&self::report(&rep));
    let readme = &again[s(&input.join("docs/readme.md"))];
    assert!(
        readme["reason"]
            .as_str()
            .unwrap()
            .contains("settings changed"),
        "{readme}"
    );
    // A forced relabel of the labelled copy replaces its labels.
    let twice = d.path().join("twice");
    let o = tanba(&[
        "label",
        s(&out),
        "--out",
        s(&twice),
        "--quiet",
        "--force",
        "--lang",
        "en",
        "--position",
        "top-left",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for rel in [
        "docs/readme.md",
        "docs/notes.txt",
        "docs/page.html",
        "subs/ep1.srt",
        "subs/ep1.vtt",
    ] {
        let once = std::fs::read(out.join(rel)).unwrap();
        let forced = std::fs::read(twice.join(rel)).unwrap();
        assert!(text_label_counts(&once).0 >= 1, "{rel}");
        assert_eq!(
            text_label_counts(&forced),
            text_label_counts(&once),
            "{rel}: stacked"
        );
        let v = tanba(&["verify", s(&twice.join(rel))]);
        assert!(v.status.success(), "{rel}");
    }
    let page_text = |pdf: &Path| {
        let o = Command::new("pdftotext")
            .args(["-f", "1", "-l", "1"])
            .arg(pdf)
            .arg("-")
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout)
            .matches("Created with artificial intelligence")
            .count()
    };
    assert_eq!(
        page_text(&twice.join("docs/report.pdf")),
        1,
        "PDF banner stacked"
    );
    let aigc = |file: &Path| {
        let o = Command::new("exiftool")
            .args(["-a", "-G1", "-s", "-AIGC", "-XMP-TC260:all"])
            .arg(file)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).lines().count()
    };
    for rel in ["media/photo.jpg", "media/photo.png"] {
        assert_eq!(
            aigc(&twice.join(rel)),
            aigc(&out.join(rel)),
            "{rel}: marks stacked"
        );
    }
}

/// Outputs whose names are only known from the format written (ADTS AAC
/// becomes M4A) and C2PA sidecars (`NAME.c2pa` beside any format that
/// cannot hold credentials) are planned too: a pair that would share one
/// is refused, each naming the other, before anything is written.
#[cfg(all(feature = "audio-ffmpeg", feature = "c2pa"))]
#[test]
fn converted_outputs_and_sidecars_cannot_collide() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    for name in ["voice.aac", "voice.m4a"] {
        let made = Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                "sine=f=440:d=1",
                "-c:a",
                "aac",
            ])
            .arg(input.join(name))
            .status()
            .unwrap();
        assert!(made.success());
    }
    std::fs::write(
        input.join("subs.srt"),
        "1\n00:00:01,000 --> 00:00:02,000\nӘ\n",
    )
    .unwrap();
    std::fs::write(
        input.join("subs.vtt"),
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nӘ\n",
    )
    .unwrap();
    std::fs::write(input.join("alone.md"), "# A\n").unwrap();
    let keys = d.path().join("keys");
    assert!(tanba(&["keys", "new", s(&keys)]).status.success());
    let out = d.path().join("out");
    let rep = d.path().join("r.json");
    let o = tanba(&[
        "label",
        s(&input),
        "--out",
        s(&out),
        "--report",
        s(&rep),
        "--c2pa-cert",
        s(&keys.join("signing-cert-chain.pem")),
        "--c2pa-key",
        s(&keys.join("signing-key.pem")),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let rows = rows(&report(&rep));
    for (me, other) in [
        ("voice.aac", "voice.m4a"),
        ("voice.m4a", "voice.aac"),
        ("subs.srt", "subs.vtt"),
        ("subs.vtt", "subs.srt"),
    ] {
        let row = &rows[s(&input.join(me))];
        assert_eq!(row["outcome"], "failed", "{row}");
        assert!(row["reason"].as_str().unwrap().contains(other), "{row}");
    }
    let alone = &rows[s(&input.join("alone.md"))];
    assert_eq!(alone["outcome"], "labelled", "{alone}");
    let written: BTreeSet<PathBuf> = snapshot(&out).into_keys().collect();
    let expected: BTreeSet<PathBuf> = [out.join("alone.md"), out.join("alone.c2pa")].into();
    assert_eq!(written, expected);
}
