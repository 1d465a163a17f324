#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Labels that never show missing glyphs: a text the font cannot draw is
//! refused for every medium that draws it (pictures, video, PDF) and a
//! language without a spoken clip for audio, before any file is written;
//! `--font` gives another font; `kk-Latn` is a preset. All through the
//! real binary, read back with pdftotext, pdffonts and the verifier.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{fixture, s, tanba};

const CHINESE: &str = "zh=人工智能生成";
const DEJAVU: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
const ZENHEI: &str = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc";

/// Every file under `root`, if it exists.
fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A tool's standard output, which must succeed.
fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap();
    assert!(out.status.success(), "{tool} {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts exit 2, the reason in the message, and nothing written.
fn assert_refused(out: &Output, dir: &Path, wanted: &[&str]) {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = stderr(out);
    for w in wanted {
        assert!(err.contains(w), "{w:?} not in {err}");
    }
    assert!(files_under(dir).is_empty(), "{:?}", files_under(dir));
}

#[test]
fn undrawable_labels_are_refused_for_every_medium_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let visual = [
        ("image/sample-generated.png", "image files"),
        ("image/sample-photo.jpg", "image files"),
        ("pdf/report.pdf", "pdf files"),
        ("video/sample.mp4", "video files"),
    ];
    for (i, (rel, family)) in visual.iter().enumerate() {
        let out = dir.path().join(format!("out{i}"));
        let done = tanba(&[
            "label",
            s(&fixture(rel)),
            "--label",
            CHINESE,
            "--out",
            s(&out),
        ]);
        assert_refused(
            &done,
            &out,
            &[family, "\"人工智能生成\" (zh)", "人, 工, 智, 能, 生, 成"],
        );
    }

    // A batch with text too stops whole: no file touched.
    let text = dir.path().join("in/notes.txt");
    std::fs::create_dir_all(text.parent().unwrap()).unwrap();
    std::fs::write(&text, "Generated notes.\n").unwrap();
    std::fs::copy(
        fixture("image/sample-generated.png"),
        dir.path().join("in/a.png"),
    )
    .unwrap();
    let out = dir.path().join("batch");
    let done = tanba(&[
        "label",
        s(&dir.path().join("in")),
        "--label",
        CHINESE,
        "--out",
        s(&out),
    ]);
    assert_refused(&done, &out, &["人"]);

    // Text carriers take any Unicode: the same label on text alone is fine.
    let out = dir.path().join("text");
    let done = tanba(&["label", s(&text), "--label", CHINESE, "--out", s(&out)]);
    assert!(done.status.success(), "{done:?}");
    let written = std::fs::read_to_string(out.join("notes.txt")).unwrap();
    assert!(written.contains("人工智能生成"), "{written}");
}

#[test]
fn audio_languages_without_a_clip_are_refused_unless_the_tone_is_asked() {
    let dir = tempfile::tempdir().unwrap();
    let wav = fixture("audio/sample-voice.wav");
    let french = "fr=Créé par IA";
    let out = dir.path().join("spoken");
    let done = tanba(&["label", s(&wav), "--label", french, "--out", s(&out)]);
    assert_refused(
        &done,
        &out,
        &["audio files", "language fr", "kk, ru, en, kk-Latn"],
    );

    let out = dir.path().join("tone");
    let done = tanba(&[
        "label",
        s(&wav),
        "--label",
        french,
        "--audio-disclaimer",
        "tone",
        "--out",
        s(&out),
    ]);
    assert!(done.status.success(), "{done:?}");
    let verified = tanba(&["verify", s(&out.join("sample-voice.wav"))]);
    assert!(verified.status.success(), "{verified:?}");

    // The same for video's audible label.
    let out = dir.path().join("video");
    let done = tanba(&[
        "label",
        s(&fixture("video/sample.mp4")),
        "--label",
        french,
        "--video-audible",
        "--out",
        s(&out),
    ]);
    assert_refused(&done, &out, &["video files", "language fr"]);
}

#[test]
fn verify_never_finds_a_label_its_font_cannot_draw() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let arabic = "ar=تم إنشاؤه بالذكاء الاصطناعي";
    let png = fixture("image/sample-generated.png");
    let done = tanba(&[
        "label",
        s(&png),
        "--label",
        arabic,
        "--font",
        DEJAVU,
        "--out",
        s(&out),
    ]);
    assert!(done.status.success(), "{done:?}");
    let labelled = out.join("sample-generated.png");
    // With the font it was drawn in, the badge is found.
    let found = tanba(&["verify", s(&labelled), "--font", DEJAVU]);
    assert!(found.status.success(), "{found:?}");
    assert!(stdout(&found).contains("perceptible label: found"));
    // With the bundled font the text cannot be drawn: never "found".
    let without = tanba(&["verify", s(&labelled)]);
    assert_eq!(without.status.code(), Some(1), "{without:?}");
    let text = stdout(&without);
    assert!(
        text.contains("perceptible label: missing") && text.contains("has no glyph for ت"),
        "{text}"
    );
    assert!(!text.contains("correlation 1.00"), "{text}");
}

#[test]
fn a_second_font_changes_the_badge_and_is_embedded_in_the_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let png = fixture("image/sample-generated.png");
    let pdf = fixture("pdf/report.pdf");
    let (plain, other) = (dir.path().join("plain"), dir.path().join("other"));
    for (out, font) in [(&plain, None), (&other, Some(DEJAVU))] {
        let mut args = vec!["label", s(&png), s(&pdf), "--out", s(out), "--report"];
        let report = out.with_extension("json");
        args.push(s(&report));
        if let Some(f) = font {
            args.extend(["--font", f]);
        }
        let done = tanba(&args);
        assert!(done.status.success(), "{done:?}");
    }
    let a = std::fs::read(plain.join("sample-generated.png")).unwrap();
    let b = std::fs::read(other.join("sample-generated.png")).unwrap();
    assert_ne!(a, b, "the font changes the badge's pixels");
    // The manifest's settings fingerprint follows the font's bytes.
    let sha = |dir: &Path| {
        let v = tanba(&["verify", s(&dir.join("sample-generated.png")), "--json"]);
        let json: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
        json[0]["verification"]["manifest"]["settings_sha256"].clone()
    };
    assert_ne!(sha(&plain), sha(&other));

    let fonts = run("pdffonts", &[s(&other.join("report.pdf"))]);
    assert!(fonts.contains("+DejaVuSans-Bold"), "{fonts}");
    assert!(fonts.contains("CID TrueType"), "{fonts}");
    let fonts = run("pdffonts", &[s(&plain.join("report.pdf"))]);
    assert!(fonts.contains("+NotoSans-Bold"), "{fonts}");
    let text = run("pdftotext", &[s(&other.join("report.pdf")), "-"]);
    assert!(
        text.contains("Жасанды интеллект көмегімен жасалған"),
        "{text}"
    );
}

#[test]
fn kazakh_latin_is_drawn_extracted_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let done = tanba(&[
        "label",
        s(&fixture("pdf/report.pdf")),
        s(&fixture("image/sample-generated.png")),
        "--lang",
        "kk-Latn,ru",
        "--out",
        s(&out),
    ]);
    assert!(done.status.success(), "{done:?}");
    let text = run("pdftotext", &[s(&out.join("report.pdf")), "-"]);
    assert!(
        text.contains("Jasandy intellekt kömegımen jasalğan"),
        "{text}"
    );
    for name in ["report.pdf", "sample-generated.png"] {
        let v = tanba(&["verify", s(&out.join(name)), "--json"]);
        assert!(v.status.success(), "{v:?}");
        let json: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
        let lines = &json[0]["verification"]["manifest"]["label"]["lines"];
        assert_eq!(lines[0]["lang"], "kk-Latn", "{name}: {lines}");
        assert_eq!(lines[0]["text"], "Jasandy intellekt kömegımen jasalğan");
    }
}

#[test]
fn a_chinese_label_works_with_a_font_that_covers_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let done = tanba(&[
        "label",
        s(&fixture("pdf/report.pdf")),
        s(&fixture("image/sample-generated.png")),
        "--label",
        CHINESE,
        "--font",
        ZENHEI,
        "--out",
        s(&out),
    ]);
    assert!(done.status.success(), "{done:?}");
    let text = run("pdftotext", &[s(&out.join("report.pdf")), "-"]);
    assert!(text.contains("人工智能生成"), "{text}");
    let found = tanba(&[
        "verify",
        s(&out.join("sample-generated.png")),
        "--font",
        ZENHEI,
    ]);
    assert!(found.status.success(), "{found:?}");

    // A file that is no font is refused, named, before any work.
    let bad = dir.path().join("bad.ttf");
    std::fs::write(&bad, b"not a font").unwrap();
    let out = dir.path().join("bad-out");
    let done = tanba(&[
        "label",
        s(&fixture("image/sample-generated.png")),
        "--font",
        s(&bad),
        "--out",
        s(&out),
    ]);
    assert_refused(&done, &out, &["bad.ttf", "not a TrueType/OpenType font"]);
}

#[test]
fn the_font_can_come_from_the_config_file_and_draws_arabic_in_pdf() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(DEJAVU, dir.path().join("label.ttf")).unwrap();
    let config = dir.path().join("tanba.toml");
    std::fs::write(&config, "[label]\nfont = \"label.ttf\"\n").unwrap();
    let out = dir.path().join("out");
    let done = tanba(&[
        "label",
        s(&fixture("pdf/report.pdf")),
        "--config",
        s(&config),
        "--label",
        "ar=تم إنشاؤه بالذكاء",
        "--out",
        s(&out),
    ]);
    // Labelled means the labeler's own read-back found the text, in order.
    assert!(done.status.success(), "{done:?}");
    let fonts = run("pdffonts", &[s(&out.join("report.pdf"))]);
    assert!(fonts.contains("+DejaVuSans-Bold"), "{fonts}");
    let text = run("pdftotext", &[s(&out.join("report.pdf")), "-"]);
    assert!(text.contains("تم إنشاؤه بالذكاء"), "{text}");
}
