#![allow(clippy::unwrap_used, clippy::expect_used)]
//! One file through a shell pipeline: standard input to standard output
//! (`tanba label - -o -`), `-o FILE` for one input, `tanba verify -`. Only
//! the labelled bytes reach standard output.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{fixture, s, tanba};

/// Runs `script` with `sh -c` in `dir`, `$TANBA` being the built binary.
fn sh(dir: &Path, script: &str) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("TANBA", env!("CARGO_BIN_EXE_tanba"))
        .output()
        .unwrap()
}

fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `out` verifies as a file and as standard input.
fn verifies(dir: &Path, out: &str) {
    let by_name = tanba(&["verify", s(&dir.join(out))]);
    assert_ok(&by_name, out);
    let piped = sh(dir, &format!("cat {out} | \"$TANBA\" verify -"));
    assert_ok(&piped, out);
    let text = String::from_utf8_lossy(&piped.stdout);
    assert!(text.starts_with("-: labelled"), "{text}");
}

#[test]
fn a_picture_streams_through_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("image/sample-generated.png"),
        dir.path().join("in.png"),
    )
    .unwrap();
    let out = sh(dir.path(), "cat in.png | \"$TANBA\" label - -o - > out.png");
    assert_ok(&out, "label");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("labelled <stdin> [png] -> <stdout>"),
        "{stderr}"
    );
    let bytes = std::fs::read(dir.path().join("out.png")).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "only the picture on stdout"
    );
    // exiftool reads the whole stream as a PNG with our XMP.
    let exif = Command::new("exiftool")
        .args(["-s3", "-XMP-iptcExt:DigitalSourceType"])
        .arg(dir.path().join("out.png"))
        .output()
        .unwrap();
    let exif = String::from_utf8_lossy(&exif.stdout);
    assert!(exif.contains("trainedAlgorithmicMedia"), "{exif}");
    verifies(dir.path(), "out.png");
    // The unlabelled input does not verify from standard input either.
    let bare = sh(dir.path(), "cat in.png | \"$TANBA\" verify -");
    assert_eq!(bare.status.code(), Some(1));
}

#[test]
fn text_streams_through_sniffed_or_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.txt"), "Модель жазған мәтін.\n").unwrap();
    let log = dir.path().join("log.jsonl");
    let script = format!(
        "cat in.txt | \"$TANBA\" label - -o - --log {} > out.txt",
        s(&log)
    );
    assert_ok(&sh(dir.path(), &script), "text");
    let text = std::fs::read_to_string(dir.path().join("out.txt")).unwrap();
    assert!(text.starts_with("Жасанды интеллект"), "{text}");
    assert!(text.contains("Tanba-Manifest-Ref: "), "{text}");
    verifies(dir.path(), "out.txt");
    // The log holds the manifest the file refers to.
    let line: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let manifest: tanba::Manifest = serde_json::from_value(line["manifest"].clone()).unwrap();
    let r = manifest.reference();
    assert!(text.contains(&format!(
        "{{\"id\":\"{}\",\"sha256\":\"{}\"",
        r.id, r.sha256
    )));
    assert_eq!(line["input"], "<stdin>");

    // `--format` takes a format name or an extension; Markdown keeps the
    // whole manifest.
    for format in ["markdown", "md", ".md"] {
        let out = sh(
            dir.path(),
            &format!("printf '# Тақырып\\n' | \"$TANBA\" label - --format {format} -o -"),
        );
        assert_ok(&out, format);
        let md = String::from_utf8(out.stdout).unwrap();
        assert!(md.starts_with("<!--\nAIGC: "), "{format}: {md}");
        assert!(md.contains("> **Жасанды"), "{md}");
    }
    // To a named file, with the manifest sidecar when asked.
    let script = "cat in.txt | \"$TANBA\" label - -o named.txt --text-manifest sidecar";
    assert_ok(&sh(dir.path(), script), "stdin to a file");
    assert!(dir.path().join("named.txt.tanba.json").is_file());
    let v = tanba(&["verify", s(&dir.path().join("named.txt"))]);
    assert!(String::from_utf8_lossy(&v.stdout).contains("sidecar named.txt.tanba.json"));
    // A format the bytes are not: usage error, nothing on stdout.
    let out = sh(
        dir.path(),
        "cat in.txt | \"$TANBA\" label - --format png -o -",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not png"));
}

#[test]
fn audio_is_handed_to_tanba_full_through_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("audio/sample-voice.wav"), dir.path().join("in.wav")).unwrap();
    let out = sh(dir.path(), "cat in.wav | \"$TANBA\" label - -o - > out.wav");
    assert_ok(&out, "audio");
    let probe = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=format_name,duration",
            "-of",
            "csv=p=0",
        ])
        .arg(dir.path().join("out.wav"))
        .output()
        .unwrap();
    let probe = String::from_utf8_lossy(&probe.stdout);
    assert!(probe.starts_with("wav,"), "{probe}");
    let labelled: f64 = probe.trim().split(',').nth(1).unwrap().parse().unwrap();
    assert!(labelled > 1.0, "the disclaimer is in: {probe}");
    verifies(dir.path(), "out.wav");
}

#[test]
fn out_file_for_one_input_and_no_folder_named_dash() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("image/sample-photo.jpg");
    let target = dir.path().join("labelled.jpg");
    let out = tanba(&["label", s(&input), "-o", s(&target)]);
    assert_ok(&out, "-o file.jpg");
    assert!(target.is_file(), "a file, not a folder");
    assert_ok(&tanba(&["verify", s(&target)]), "verify");
    // The input itself as the output: refused, the input untouched.
    let before = std::fs::read(&target).unwrap();
    let o = tanba(&["label", s(&target), "-o", s(&target), "--force"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read(&target).unwrap(), before);
    // `--out -` with a folder or two inputs is refused, and writes nothing.
    let folder = dir.path().join("in");
    std::fs::create_dir(&folder).unwrap();
    std::fs::copy(&input, folder.join("a.jpg")).unwrap();
    for args in [
        vec!["label", "in", "--out", "-"],
        vec!["label", "in/a.jpg", "in/a.jpg", "--out", "-"],
    ] {
        let out = sh(dir.path(), &format!("\"$TANBA\" {}", args.join(" ")));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        assert!(!dir.path().join("-").exists(), "{args:?}: a folder named -");
    }
    // One file to standard output by name.
    let out = sh(dir.path(), "\"$TANBA\" label in/a.jpg --out - > piped.jpg");
    assert_ok(&out, "file to stdout");
    assert!(!dir.path().join("-").exists());
    verifies(dir.path(), "piped.jpg");
}

#[test]
fn standard_input_is_refused_past_the_byte_limit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.toml"), "[limits]\nmax_bytes = 1000\n").unwrap();
    std::fs::write(dir.path().join("big.txt"), "мәтін ".repeat(400)).unwrap();
    let out = sh(
        dir.path(),
        "cat big.txt | \"$TANBA\" label - -o - --config t.toml",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("<stdin>") && stderr.contains("limit"),
        "{stderr}"
    );
    // Under the limit (the output, read back, too) it streams; --quiet
    // leaves standard error empty.
    let out = sh(
        dir.path(),
        "head -c 330 big.txt | \"$TANBA\" label - -o - --config t.toml --quiet",
    );
    assert_ok(&out, "small");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("мәтін"));
}

#[test]
fn a_terminal_on_standard_input_is_refused_not_waited_for() {
    // `script` gives the command a pseudo-terminal as standard input.
    let dir = tempfile::tempdir().unwrap();
    for command in ["label - -o -", "verify -"] {
        let out = Command::new("timeout")
            .args(["10", "script", "-qec"])
            .arg(format!("\"{}\" {command}", env!("CARGO_BIN_EXE_tanba")))
            .arg("/dev/null")
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{command}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("is a terminal"), "{command}: {text}");
    }
}
