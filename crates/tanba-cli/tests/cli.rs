#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The `tanba` command end to end: bulk labelling, reports, resuming,
//! shards, in-place replacement, safety, verify and exit codes.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{report, s, tanba};

/// A small archive: text formats in nested folders, an unsupported file,
/// a broken file, and an already-labelled one.
fn archive(root: &Path) -> PathBuf {
    let input = root.join("archive");
    std::fs::create_dir_all(input.join("news/2026")).unwrap();
    std::fs::write(input.join("readme.md"), "# Мұрағат\n").unwrap();
    std::fs::write(input.join("news/2026/a.txt"), "Жаңалық.\n").unwrap();
    std::fs::write(
        input.join("news/2026/b.html"),
        "<html><head></head><body>x</body></html>",
    )
    .unwrap();
    std::fs::write(
        input.join("news/subs.srt"),
        "1\n00:00:01,000 --> 00:00:02,000\nӘ\n",
    )
    .unwrap();
    std::fs::write(input.join("blob.bin"), [0u8, 1, 2, 3, 0xff, 0, 7]).unwrap();
    std::fs::write(input.join("broken.md"), b"").unwrap();
    input
}

#[test]
fn bulk_job_mirrors_reports_and_resumes() {
    let d = tempfile::tempdir().unwrap();
    let input = archive(d.path());
    let out = d.path().join("out");
    let rep = d.path().join("report.json");
    let csv = d.path().join("report.csv");
    let log = d.path().join("compliance.jsonl");
    let o = tanba(&[
        "label",
        s(&input),
        "--out",
        s(&out),
        "--report",
        s(&rep),
        "--csv",
        s(&csv),
        "--log",
        s(&log),
        "--jobs",
        "2",
        "--operator",
        "ТОО Мысал",
        "--bin",
        "123456789013",
        "--ai-system",
        "Demo",
    ]);
    // One file is broken: exit 1, but the rest of the batch ran.
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for rel in [
        "readme.md",
        "news/2026/a.txt",
        "news/2026/b.html",
        "news/subs.srt",
    ] {
        let v = tanba(&["verify", s(&out.join(rel))]);
        assert!(
            v.status.success(),
            "{rel}: {}",
            String::from_utf8_lossy(&v.stdout)
        );
    }
    assert!(!out.join("blob.bin").exists());
    assert!(!out.join("broken.md").exists());
    let r = report(&rep);
    assert_eq!(r["summary"]["labelled"], 4);
    assert_eq!(r["summary"]["skipped"], 1);
    assert_eq!(r["summary"]["failed"], 1);
    let files = r["files"].as_array().unwrap();
    let broken = files
        .iter()
        .find(|f| f["input"].as_str().unwrap().ends_with("broken.md"))
        .unwrap();
    assert!(
        broken["reason"].as_str().unwrap().contains("empty"),
        "{broken}"
    );
    let a = files
        .iter()
        .find(|f| f["input"].as_str().unwrap().ends_with("a.txt"))
        .unwrap();
    let a_out = std::fs::read(out.join("news/2026/a.txt")).unwrap();
    assert_eq!(
        a["output_sha256"].as_str().unwrap(),
        tanba::manifest::sha256_hex(&a_out)
    );
    assert_eq!(
        a["input_sha256"].as_str().unwrap(),
        tanba::manifest::sha256_hex("Жаңалық.\n".as_bytes())
    );
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(csv_text.lines().count(), 7, "{csv_text}");
    let log_lines: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(log_lines.len(), 4);
    assert_eq!(log_lines[0]["operator"]["bin"], "123456789013");
    assert_eq!(log_lines[0]["ai_system"]["name"], "Demo");
    // No temporary files anywhere in the output tree.
    let leftovers: Vec<_> = walkdir(&out)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(".tanba-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Run again with the same settings: everything done is kept as done,
    // nothing changes.
    let before = std::fs::read(out.join("readme.md")).unwrap();
    let same_settings = [
        "--operator",
        "ТОО Мысал",
        "--bin",
        "123456789013",
        "--ai-system",
        "Demo",
    ];
    // Plain text holds only a manifest reference: the log (or a sidecar)
    // has the manifest whose settings resuming compares.
    let mut again = vec![
        "label",
        s(&input),
        "--out",
        s(&out),
        "--report",
        s(&rep),
        "--log",
        s(&log),
        "--quiet",
    ];
    again.extend_from_slice(&same_settings);
    let o = tanba(&again);
    assert_eq!(o.status.code(), Some(1));
    let r = report(&rep);
    assert_eq!(r["summary"]["labelled"], 0);
    assert_eq!(r["summary"]["already_labelled"], 4);
    assert_eq!(std::fs::read(out.join("readme.md")).unwrap(), before);

    // An output cut short (as a power cut before the batch's sync could
    // leave it) keeps its mark in the head but lost the visible label: it
    // does not count as done, and the next run labels it again.
    let html = out.join("news/2026/b.html");
    let whole = std::fs::read_to_string(&html).unwrap();
    let head_end = whole.find("</head>").unwrap() + "</head>".len();
    std::fs::write(&html, &whole[..head_end]).unwrap();
    let o = tanba(&again);
    assert_eq!(o.status.code(), Some(1));
    let r = report(&rep);
    assert_eq!(r["summary"]["labelled"], 1);
    assert_eq!(r["summary"]["already_labelled"], 3);
    let relabelled = std::fs::read_to_string(&html).unwrap();
    let body = &relabelled[relabelled.find("</head>").unwrap()..];
    assert!(body.contains("Жасанды интеллект"), "{relabelled}");
}

fn walkdir(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn shards_cover_every_file_once_and_merge() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("many");
    std::fs::create_dir_all(&input).unwrap();
    for i in 0..40 {
        std::fs::write(input.join(format!("f{i:02}.md")), format!("# {i}\n")).unwrap();
    }
    // A link out of the tree is refused by the walk; only one shard may
    // report it, or the reports would not merge.
    let outside = d.path().join("outside.md");
    std::fs::write(&outside, "# out\n").unwrap();
    std::os::unix::fs::symlink(&outside, input.join("link.md")).unwrap();
    let mut reports = Vec::new();
    for i in 0..3 {
        let rep = d.path().join(format!("r{i}.json"));
        let o = tanba(&[
            "label",
            s(&input),
            "--out",
            s(&d.path().join("out")),
            "--shard",
            &format!("{i}/3"),
            "--report",
            s(&rep),
            "--quiet",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        reports.push(rep);
    }
    let merged = d.path().join("merged.json");
    let mut args = vec!["report", "merge"];
    args.extend(reports.iter().map(|p| s(p)));
    args.extend(["--out", s(&merged)]);
    assert!(tanba(&args).status.success());
    let r = report(&merged);
    assert_eq!(r["summary"]["labelled"], 40);
    assert_eq!(r["summary"]["skipped"], 1, "{r}");
    assert_eq!(r["shards"].as_array().unwrap().len(), 3);
    assert_eq!(walkdir(&d.path().join("out")).len(), 40);
    // The same report twice is refused: a file would be counted twice.
    let o = tanba(&[
        "report",
        "merge",
        s(&reports[0]),
        s(&reports[0]),
        "--out",
        s(&merged),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn in_place_keeps_a_backup_and_symlinks_stay_inside() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("site");
    std::fs::create_dir_all(&input).unwrap();
    let secret = d.path().join("secret.md");
    std::fs::write(&secret, "# outside\n").unwrap();
    std::fs::write(input.join("page.md"), "# ішінде\n").unwrap();
    std::os::unix::fs::symlink(&secret, input.join("escape.md")).unwrap();
    std::os::unix::fs::symlink(input.join("page.md"), input.join("alias.md")).unwrap();
    let rep = d.path().join("r.json");
    let o = tanba(&[
        "label",
        s(&input),
        "--in-place",
        "--report",
        s(&rep),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The link out of the tree was not followed: the file outside is untouched.
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "# outside\n");
    let r = report(&rep);
    let escape = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["input"].as_str().unwrap().ends_with("escape.md"))
        .unwrap();
    assert_eq!(escape["outcome"], "skipped");
    assert_eq!(
        std::fs::read_to_string(input.join("page.md.bak")).unwrap(),
        "# ішінде\n"
    );
    assert!(
        tanba(&["verify", s(&input.join("page.md"))])
            .status
            .success()
    );
    // A second in-place run leaves the backup alone (no page.md.bak.bak)
    // and sees that page.md is already labelled.
    let o = tanba(&[
        "label",
        s(&input),
        "--in-place",
        "--report",
        s(&rep),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!input.join("page.md.bak.bak").exists());
    assert_eq!(
        std::fs::read_to_string(input.join("page.md.bak")).unwrap(),
        "# ішінде\n"
    );
    let r = report(&rep);
    let backup = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["input"].as_str().unwrap().ends_with("page.md.bak"))
        .unwrap();
    assert_eq!(backup["outcome"], "skipped", "{backup}");
}

/// A report path that cannot be written stops the run before any file is
/// touched; Ctrl-C or SIGTERM leaves no half-written file in the output.
#[test]
fn bad_report_path_fails_first_and_interrupts_leave_no_partial_files() {
    let d = tempfile::tempdir().unwrap();
    let input = archive(d.path());
    let out = d.path().join("out");
    let o = tanba(&[
        "label",
        s(&input),
        "--out",
        s(&out),
        "--report",
        s(&d.path().join("no/such/dir/r.json")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        !out.exists(),
        "files were labelled before the report failed"
    );
    // Inside the output folder, which the job creates, is fine.
    let o = tanba(&[
        "label",
        s(&input),
        "--out",
        s(&out),
        "--report",
        s(&out.join("r.json")),
    ]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(report(&out.join("r.json"))["files"].is_array());

    let video = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/video/sample.mp4");
    let media = d.path().join("media");
    std::fs::create_dir_all(&media).unwrap();
    for i in 0..4 {
        std::fs::copy(&video, media.join(format!("clip{i}.mp4"))).unwrap();
    }
    let child = Command::new(env!("CARGO_BIN_EXE_tanba"))
        .args([
            "label",
            s(&media),
            "--out",
            s(&out),
            "--jobs",
            "1",
            "--quiet",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let pid = child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let done = child.wait_with_output().unwrap();
    let left: Vec<_> = walkdir(&out)
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    assert!(left.is_empty(), "unfinished files left: {left:?}");
    if done.status.code() == Some(130) {
        assert!(String::from_utf8_lossy(&done.stderr).contains("interrupted"));
    }
}

#[test]
fn verify_json_and_exit_codes() {
    let d = tempfile::tempdir().unwrap();
    let plain = d.path().join("plain.md");
    std::fs::write(&plain, "# x\n").unwrap();
    let o = tanba(&["verify", "--json", s(&plain)]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["compliant"], false);
    let out = d.path().join("out");
    assert!(
        tanba(&["label", s(&plain), "--out", s(&out), "-q"])
            .status
            .success()
    );
    let o = tanba(&["verify", "--json", s(&out.join("plain.md"))]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v[0]["verification"]["manifest"]["label"]["lines"][0]["lang"],
        "kk"
    );
    // Bad settings: exit 2 before touching anything.
    let o = tanba(&[
        "label",
        s(&plain),
        "--out",
        s(&d.path().join("o2")),
        "--position",
        "middle",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!d.path().join("o2").exists());
    let o = tanba(&[
        "label",
        s(&plain),
        "--out",
        s(&d.path().join("o3")),
        "--key",
        "/nonexistent/key.pem",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let formats = tanba(&["formats"]);
    assert!(String::from_utf8_lossy(&formats.stdout).contains("text/markdown"));
}

#[test]
fn config_file_and_signing_key() {
    let d = tempfile::tempdir().unwrap();
    let key = d.path().join("key.pem");
    assert!(tanba(&["keygen", s(&key)]).status.success());
    std::fs::write(d.path().join("tanba.toml"), "[label]\nlanguages = [\"kk\", \"en\"]\nwording = \"short\"\n[provenance]\nkey = \"key.pem\"\nai_system = \"Demo\"\n[text]\nmanifest = \"sidecar\"\n").unwrap();
    let input = d.path().join("a.txt");
    std::fs::write(&input, "мәтін\n").unwrap();
    let out = d.path().join("out");
    let o = tanba(&[
        "label",
        s(&input),
        "--out",
        s(&out),
        "--config",
        s(&d.path().join("tanba.toml")),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(out.join("a.txt")).unwrap();
    assert!(
        text.starts_with("ЖИ көмегімен жасалған / Created with AI\n"),
        "{text}"
    );
    let o = tanba(&["verify", s(&out.join("a.txt"))]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("signature: valid"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

/// Image and audio files go through the same job as text, with their
/// settings taken from flags: a fixed JPEG quality and the tone disclaimer
/// appended; compressed audio resumes under its output name.
#[test]
fn media_flags_reach_the_labelers_and_resume_by_output_name() {
    let root = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let input = root.path().join("media");
    std::fs::create_dir_all(&input).unwrap();
    for name in ["image/sample-photo.jpg", "audio/sample-music.mp3"] {
        let from = fixtures.join(name);
        std::fs::copy(&from, input.join(from.file_name().unwrap())).unwrap();
    }
    let out = root.path().join("out");
    let json = root.path().join("r.json");
    let run = tanba(&[
        "label",
        s(&input),
        "--out",
        s(&out),
        "--jpeg-quality",
        "70",
        "--audio-disclaimer",
        "tone",
        "--audio-mode",
        "append",
        "--quiet",
        "--report",
        s(&json),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let r = report(&json);
    let files = r["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    let photo = files
        .iter()
        .find(|f| f["input"].as_str().unwrap().ends_with("sample-photo.jpg"))
        .unwrap();
    // ImageMagick estimates the quality from the quantisation tables.
    let identify = Command::new("identify")
        .args(["-format", "%Q", photo["output"].as_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&identify.stdout), "70", "{photo}");
    let music = files
        .iter()
        .find(|f| f["input"].as_str().unwrap().ends_with("sample-music.mp3"))
        .unwrap();
    let music_out = PathBuf::from(music["output"].as_str().unwrap());
    let check = tanba(&["verify", "--json", s(&music_out)]);
    assert!(check.status.success());
    let v: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let text = v.to_string();
    assert!(text.contains("append"), "{text}");
    assert!(text.contains("Morse"), "{text}");

    // The same settings again: both outputs are kept (the audio's under
    // the output format's name). Other settings: both are labelled again.
    let again = tanba(&[
        "label",
        s(&input),
        "--out",
        s(&out),
        "--jpeg-quality",
        "70",
        "--audio-disclaimer",
        "tone",
        "--audio-mode",
        "append",
        "--quiet",
        "--report",
        s(&json),
    ]);
    assert!(again.status.success());
    let r = report(&json);
    assert_eq!(r["summary"]["already_labelled"], 2, "{r}");
    let changed = tanba(&[
        "label",
        s(&input),
        "--out",
        s(&out),
        "--quiet",
        "--report",
        s(&json),
    ]);
    assert!(changed.status.success());
    let r = report(&json);
    assert_eq!(r["summary"]["labelled"], 2, "{r}");
    assert!(r.to_string().contains("settings changed"), "{r}");

    let bad = tanba(&[
        "label",
        s(&input),
        "--out",
        s(&out),
        "--jpeg-quality",
        "101",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("JPEG quality"));
}

/// C2PA end to end: test credentials from `tanba keys new`, embedded in a
/// JPEG, a sidecar beside a PDF, both trusted under the test CA; one flipped
/// byte breaks them; a key that does not match stops the run before work.
#[test]
fn c2pa_credentials_are_signed_verified_and_break_on_edits() {
    let d = tempfile::tempdir().unwrap();
    let keys = d.path().join("keys");
    assert!(tanba(&["keys", "new", s(&keys)]).status.success());
    let chain = keys.join("signing-cert-chain.pem");
    let key = keys.join("signing-key.pem");
    let ca = keys.join("UNTRUSTED-test-ca.pem");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let input = d.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    for name in ["image/sample-photo.jpg", "pdf/report.pdf"] {
        let from = fixtures.join(name);
        std::fs::copy(&from, input.join(from.file_name().unwrap())).unwrap();
    }
    let out = d.path().join("out");
    let json = d.path().join("r.json");
    let run = tanba(&[
        "label",
        s(&input),
        "--out",
        s(&out),
        "--c2pa-cert",
        s(&chain),
        "--c2pa-key",
        s(&key),
        "--report",
        s(&json),
        "--quiet",
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let r = report(&json);
    let c2pa_of = |suffix: &str| {
        r["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["input"].as_str().unwrap().ends_with(suffix))
            .unwrap()["c2pa"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(c2pa_of("sample-photo.jpg"), "embedded");
    assert!(c2pa_of("report.pdf").starts_with("sidecar"));
    let photo = out.join("sample-photo.jpg");
    let pdf = out.join("report.pdf");
    assert!(out.join("report.c2pa").is_file());

    let state = |file: &Path| {
        let o = tanba(&["verify", "--json", s(file), "--c2pa-trust", s(&ca)]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        (
            o.status.code(),
            v[0]["verification"]["credentials"]["state"]
                .as_str()
                .unwrap_or("absent")
                .to_string(),
        )
    };
    assert_eq!(state(&photo), (Some(0), "trusted".to_string()));
    assert_eq!(state(&pdf), (Some(0), "trusted".to_string()));
    // Without the trust anchor, valid is the best a test CA gets.
    let o = tanba(&["verify", "--json", s(&photo)]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("\"valid\""));

    // One byte of image data (just before the JPEG's end marker), and one
    // byte of the PDF's original body.
    for file in [&photo, &pdf] {
        let mut bytes = std::fs::read(file).unwrap();
        let at = if file == &photo {
            bytes.len() - 40
        } else {
            bytes.len() / 4
        };
        bytes[at] ^= 0x01;
        std::fs::write(file, &bytes).unwrap();
        assert_eq!(state(file), (Some(1), "invalid".to_string()), "{file:?}");
    }

    // The CA's key is not the signing certificate's key: refused up front.
    let wrong = tanba(&[
        "label",
        s(&input),
        "--out",
        s(&d.path().join("out2")),
        "--c2pa-cert",
        s(&chain),
        "--c2pa-key",
        s(&keys.join("UNTRUSTED-test-ca-key.pem")),
    ]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(!d.path().join("out2").exists());
}

#[test]
fn a_closed_stdout_ends_quietly() {
    // `tanba formats | head -0`: the reader is gone before tanba writes.
    let mut child = Command::new(env!("CARGO_BIN_EXE_tanba"))
        .arg("formats")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    // 141 when the first write found the pipe closed (almost always: the
    // reader closes while tanba is still starting); 0 if the table fit in
    // the pipe's buffer first.
    assert!(
        matches!(out.status.code(), Some(141) | Some(0)),
        "{:?}: {stderr}",
        out.status
    );
}

/// The libraries a binary needs, as the dynamic loader lists them.
#[cfg(all(target_os = "linux", feature = "video"))]
fn shared_libraries(exe: &str) -> String {
    let out = Command::new("ldd").arg(exe).output().unwrap();
    assert!(out.status.success(), "ldd {exe}");
    String::from_utf8(out.stdout).unwrap()
}

/// `tanba` links none of FFmpeg, so a PDF is labelled without loading its
/// libraries; a video goes to `tanba-full`, and without it `tanba` says
/// what is missing and writes nothing.
#[cfg(all(target_os = "linux", feature = "video"))]
#[test]
fn tanba_links_no_ffmpeg_and_hands_video_to_tanba_full() {
    assert!(!shared_libraries(env!("CARGO_BIN_EXE_tanba")).contains("libavcodec"));
    assert!(shared_libraries(env!("CARGO_BIN_EXE_tanba-full")).contains("libavcodec"));

    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let pdf = fixtures.join("pdf/layouts.pdf");
    let video = fixtures.join("video/sample.mp4");
    let dir = tempfile::tempdir().unwrap();
    // Handed over: the video is labelled, by the same command line.
    let out = dir.path().join("out");
    let done = tanba(&["label", s(&video), s(&pdf), "--out", s(&out), "--quiet"]);
    assert!(done.status.success(), "{done:?}");
    let verified = tanba(&["verify", s(&out.join("sample.mp4"))]);
    assert!(verified.status.success(), "{verified:?}");

    // Alone, without tanba-full beside it.
    let alone = dir.path().join("alone");
    std::fs::create_dir(&alone).unwrap();
    let exe = alone.join("tanba");
    std::fs::copy(env!("CARGO_BIN_EXE_tanba"), &exe).unwrap();
    let run = |args: &[&str]| Command::new(&exe).args(args).output().unwrap();
    let pdf_out = dir.path().join("pdf-out");
    let done = run(&["label", s(&pdf), "--out", s(&pdf_out)]);
    assert!(done.status.success(), "{done:?}");
    let verified = run(&["verify", s(&pdf_out.join("layouts.pdf"))]);
    assert!(verified.status.success(), "{verified:?}");
    let video_out = dir.path().join("video-out");
    let refused = run(&["label", s(&video), "--out", s(&video_out)]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("tanba-full") && err.contains("cannot start it"),
        "{err}"
    );
    assert!(!video_out.exists());
}
