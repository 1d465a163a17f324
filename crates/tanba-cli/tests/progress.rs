#![allow(clippy::unwrap_used, clippy::expect_used)]
//! What `tanba label` shows while it works: bars with a long file's own
//! progress on a terminal (a pseudo-terminal from util-linux `script`),
//! plain lines elsewhere, `-q`, `-v`, and colours under `--color` and
//! `NO_COLOR`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fixture, s, tanba};

/// Runs `tanba ARGS` on a pseudo-terminal with `env` set; returns what the
/// terminal showed (stdout and stderr together) and the exit code.
fn on_a_terminal(args: &[&str], env: &[(&str, &str)]) -> (String, i32) {
    let quote = |a: &str| format!("'{}'", a.replace('\'', r"'\''"));
    let mut line = quote(env!("CARGO_BIN_EXE_tanba"));
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    let mut command = Command::new("script");
    command
        .args(["-qfec", &line, "/dev/null"])
        .env("TERM", "xterm-256color")
        .env("COLUMNS", "120")
        .env("LINES", "40")
        .env_remove("NO_COLOR");
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// True when `text` holds an SGR (colour or bold) escape sequence.
fn has_colour(text: &str) -> bool {
    text.split("\x1b[").skip(1).any(|rest| {
        let params = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == ';');
        params.starts_with('m')
    })
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A folder with two PDFs and a picture, and a file no labeler takes.
fn inputs(dir: &Path) -> (PathBuf, PathBuf) {
    let folder = dir.join("in");
    std::fs::create_dir_all(&folder).unwrap();
    for (from, to) in [
        ("pdf/report.pdf", "a.pdf"),
        ("pdf/layouts.pdf", "b.pdf"),
        ("image/sample-generated.png", "c.png"),
    ] {
        std::fs::copy(fixture(from), folder.join(to)).unwrap();
    }
    let bad = dir.join("bad.png");
    std::fs::write(&bad, b"this is not a picture").unwrap();
    (folder, bad)
}

#[test]
fn on_a_terminal_a_long_video_shows_its_frame_counter_time_and_speed() {
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("clip.mp4");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i"])
        .arg("testsrc=size=640x360:rate=25:duration=12")
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(&video)
        .status()
        .unwrap();
    assert!(made.success());
    let out = dir.path().join("out");
    let (shown, code) = on_a_terminal(
        &[
            "label",
            s(&video),
            "--out",
            s(&out),
            "--video-preset",
            "medium",
            "--jobs",
            "1",
        ],
        &[],
    );
    assert_eq!(code, 0, "{shown}");
    assert!(out.join("clip.mp4").is_file());
    // The file's own bar: `frame N/300  0:SS/0:12  1.9x`.
    let bar = shown
        .split(['\r', '\n'])
        .find(|l| l.contains("frame ") && l.contains("/300") && l.contains("/0:12"))
        .unwrap_or_else(|| panic!("no frame counter in {shown:?}"));
    let speed = bar
        .split_whitespace()
        .find(|w| w.ends_with('x') && w[..w.len() - 1].parse::<f64>().is_ok());
    assert!(speed.is_some(), "no speed in {bar:?}");
    // The batch bar counts files and gives its rate in words.
    assert!(shown.contains("0/1 files"), "{shown:?}");
    let rate = shown
        .split(" files/s")
        .next()
        .and_then(|before| before.split_whitespace().last())
        .unwrap_or_else(|| panic!("no rate in {shown:?}"));
    assert!(
        rate.trim_end_matches(['k', 'M']).parse::<f64>().is_ok(),
        "rate {rate:?} in {shown:?}"
    );
}

#[test]
fn piped_output_is_one_plain_line_per_file_without_escape_codes() {
    let dir = tempfile::tempdir().unwrap();
    let (folder, _) = inputs(dir.path());
    let o = tanba(&["label", s(&folder), "--out", s(&dir.path().join("out"))]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(!err.contains('\x1b'), "{err:?}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    for name in ["a.pdf", "b.pdf", "c.png"] {
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.trim_start().starts_with("labelled") && l.contains(name))
                .count(),
            1,
            "{err}"
        );
    }
    assert!(lines[3].starts_with("tanba: 3 files: 3 labelled"), "{err}");
}

#[test]
fn colours_follow_the_terminal_no_color_and_the_color_flag() {
    let dir = tempfile::tempdir().unwrap();
    let (folder, bad) = inputs(dir.path());
    let out = |n: &str| dir.path().join(n);
    let args = |o: &Path| {
        vec![
            "label".to_string(),
            s(&folder).to_string(),
            s(&bad).to_string(),
            "--out".to_string(),
            s(o).to_string(),
        ]
    };
    let strs = |v: &[String]| v.iter().map(String::as_str).collect::<Vec<_>>().join(" ");

    // A terminal: colours (the failure in red, the summary in bold).
    let a = args(&out("o1"));
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let (shown, code) = on_a_terminal(&a, &[]);
    assert_eq!(code, 1, "{shown}");
    assert!(shown.contains("[31m"), "{shown:?}");
    assert!(shown.contains("FAILED"), "{shown:?}");

    // NO_COLOR, even on a terminal: none. An empty NO_COLOR does not count.
    let a = args(&out("o2"));
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let (shown, _) = on_a_terminal(&a, &[("NO_COLOR", "1")]);
    assert!(shown.contains("FAILED"), "{shown:?}");
    assert!(!has_colour(&shown), "{shown:?}");
    let (shown, _) = on_a_terminal(&a, &[("NO_COLOR", "")]);
    assert!(has_colour(&shown), "{shown:?}");

    // `--color never` on a terminal: none.
    let mut never = args(&out("o3"));
    never.extend(["--color".into(), "never".into()]);
    let never: Vec<&str> = never.iter().map(String::as_str).collect();
    let (shown, _) = on_a_terminal(&never, &[]);
    assert!(!has_colour(&shown), "{shown:?}");

    // `--color always` into a pipe: colours; `auto` into a pipe: none.
    let mut always = args(&out("o4"));
    always.extend(["--color".into(), "always".into()]);
    let o = tanba(&always.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        has_colour(&stderr(&o)),
        "{}: {:?}",
        strs(&always),
        stderr(&o)
    );
    assert!(stderr(&o).contains("[31m"), "{:?}", stderr(&o));
    let auto = args(&out("o5"));
    let o = tanba(&auto.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!has_colour(&stderr(&o)), "{:?}", stderr(&o));
}

#[test]
fn quiet_prints_only_the_failures() {
    let dir = tempfile::tempdir().unwrap();
    let (folder, bad) = inputs(dir.path());
    let o = tanba(&[
        "label",
        s(&folder),
        s(&bad),
        "--out",
        s(&dir.path().join("out")),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains("FAILED") && lines[0].contains("bad.png"),
        "{err}"
    );
    // And on a terminal: no bars either.
    let (shown, _) = on_a_terminal(
        &[
            "label",
            s(&folder),
            s(&bad),
            "--out",
            s(&dir.path().join("out2")),
            "--quiet",
        ],
        &[("NO_COLOR", "1")],
    );
    assert!(!shown.contains("files"), "{shown:?}");
    assert_eq!(shown.lines().count(), 1, "{shown:?}");
}

#[test]
fn verbose_adds_each_files_output_size_time_and_check() {
    let dir = tempfile::tempdir().unwrap();
    let (folder, _) = inputs(dir.path());
    let out = dir.path().join("out");
    let o = tanba(&["label", s(&folder), "--out", s(&out), "-v"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    let target = out.join("a.pdf");
    let detail = err
        .lines()
        .find(|l| l.contains(&format!("-> {}", target.display())))
        .unwrap_or_else(|| panic!("no output path in {err}"));
    assert!(detail.contains(" kB -> "), "{detail}");
    assert!(detail.contains(" ms") || detail.contains(" s "), "{detail}");
    assert!(detail.contains("verified"), "{detail}");
    // Without -v there is none of it.
    let o = tanba(&["label", s(&folder), "--out", s(&dir.path().join("o2"))]);
    assert!(!stderr(&o).contains("verified"), "{}", stderr(&o));
    // -q and -v together are a usage error.
    let o = tanba(&["label", s(&folder), "--out", s(&out), "-q", "-v"]);
    assert_eq!(o.status.code(), Some(2));
}
