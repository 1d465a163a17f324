//! `--real-person` (issue #23): every medium shows or speaks the deepfake
//! notice, checked with outside tools (pdftotext, unzip, ImageMagick's
//! `compare`, ffmpeg); verify and audit report the flag; a file labelled
//! with the default notice fails `verify --real-person`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fixture, s, tanba};
use std::path::{Path, PathBuf};
use std::process::Command;

const EN: &str =
    "This depicts a real person's likeness or voice created with artificial intelligence";
const RU: &str =
    "Изображение или голос реального человека созданы с помощью искусственного интеллекта";
const EN_DEFAULT: &str = "Created with artificial intelligence";

/// Labels `input` into `out` with `flags`; returns the output path.
fn label(input: &Path, out: &Path, flags: &[&str]) -> PathBuf {
    let mut args = vec!["label", s(input), "--out", s(out), "--quiet"];
    args.extend_from_slice(flags);
    let run = tanba(&args);
    assert!(
        run.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    out.join(input.file_name().unwrap())
}

/// Runs an outside tool and returns its standard output.
fn run(tool: &str, args: &[&str]) -> String {
    let o = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} is needed for this test: {e}"));
    assert!(
        o.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Pixels that differ by more than 6 % between two pictures (ImageMagick).
fn differing_pixels(a: &Path, b: &Path) -> u64 {
    let o = Command::new("compare")
        .args(["-metric", "AE", "-fuzz", "6%", s(a), s(b), "null:"])
        .output()
        .expect("ImageMagick's compare is needed for this test");
    let text = String::from_utf8_lossy(&o.stderr);
    let number = text.split_whitespace().next().unwrap_or_default();
    number
        .parse::<f64>()
        .unwrap_or_else(|_| panic!("compare said {text:?}")) as u64
}

/// `verify --json` (with `extra` flags): exit code and the one row.
fn verify(file: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let mut args = vec!["verify", "--json", s(file)];
    args.extend_from_slice(extra);
    let o = tanba(&args);
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    (o.status.code(), rows[0].clone())
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn text_pdf_and_office_carry_the_deepfake_notice() {
    let d = tempfile::tempdir().unwrap();
    let txt = d.path().join("note.txt");
    std::fs::write(&txt, "A speech that was never given.\n").unwrap();
    let flags = ["--real-person", "--lang", "ru,en"];
    let out = d.path().join("out");
    let text = std::fs::read_to_string(label(&txt, &out, &flags)).unwrap();
    assert_eq!(text.lines().next(), Some(format!("{RU} / {EN}").as_str()));
    // Plain text holds only a reference to its manifest: with the sidecar
    // verify --real-person sees the flag, without it it says why not.
    let (code, row) = verify(&out.join("note.txt"), &["--real-person"]);
    assert_eq!(code, Some(1), "{row}");
    assert!(
        row["real_person_check"]
            .as_str()
            .unwrap()
            .contains("no manifest")
    );
    let sidecar = label(
        &txt,
        &d.path().join("sidecar"),
        &[&flags[..], &["--text-manifest", "sidecar"]].concat(),
    );
    let (code, row) = verify(&sidecar, &["--real-person"]);
    assert_eq!(code, Some(0), "{row}");
    assert_eq!(row["real_person"], true);

    let pdf = label(&fixture("pdf/report.pdf"), &out, &flags);
    let shown = squash(&run("pdftotext", &[s(&pdf), "-"]));
    assert!(shown.contains(EN) && shown.contains(RU), "{shown}");
    assert!(!shown.contains(EN_DEFAULT), "{shown}");

    let docx = label(&fixture("office/report.docx"), &out, &flags);
    let body = run("unzip", &["-p", s(&docx), "word/document.xml"]).replace("&apos;", "'");
    assert!(body.contains(EN) && body.contains(RU), "{body}");
    assert!(!body.contains(EN_DEFAULT));
    // The PDF carries its manifest: verify reports the flag.
    let (code, row) = verify(&pdf, &["--real-person"]);
    assert_eq!(code, Some(0), "{row}");
    assert_eq!(row["real_person"], true);
}

#[test]
fn the_picture_badge_is_the_deepfake_text_and_verify_reports_it() {
    let d = tempfile::tempdir().unwrap();
    let png = d.path().join("face.png");
    run("convert", &["-size", "640x400", "xc:#336699", s(&png)]);
    let flags = ["--no-watermark", "--lang", "en"];
    let deep = label(
        &png,
        &d.path().join("deep"),
        &[&flags[..], &["--real-person", "--person", "Jane Roe"]].concat(),
    );
    // The same renderer drawing the deepfake sentence as a custom line is
    // the reference; the default notice differs from it.
    let custom = format!("en={EN}");
    let reference = label(
        &png,
        &d.path().join("reference"),
        &[&flags[..], &["--label", &custom]].concat(),
    );
    let default = label(&png, &d.path().join("default"), &flags);
    assert_eq!(differing_pixels(&deep, &reference), 0);
    assert!(differing_pixels(&deep, &default) > 1000);

    let (code, row) = verify(&deep, &["--real-person"]);
    assert_eq!(code, Some(0), "{row}");
    assert_eq!(row["real_person"], true);
    let manifest = &row["verification"]["manifest"];
    assert_eq!(manifest["real_person"], true);
    assert_eq!(manifest["person"], "Jane Roe");
    assert_eq!(manifest["label"]["lines"][0]["text"], EN);
    let person = run("exiftool", &["-s3", "-XMP-iptcExt:PersonInImage", s(&deep)]);
    assert_eq!(person.trim(), "Jane Roe");
    let audit = tanba(&["audit", "--json", s(&deep)]);
    let rows: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    assert_eq!(rows[0]["real_person"], true, "{rows}");

    // C2PA credentials carry Tanba's real-person assertion.
    let keys = d.path().join("keys");
    assert!(tanba(&["keys", "new", s(&keys)]).status.success());
    let signed = label(
        &png,
        &d.path().join("signed"),
        &[
            "--real-person",
            "--c2pa-cert",
            s(&keys.join("signing-cert-chain.pem")),
            "--c2pa-key",
            s(&keys.join("signing-key.pem")),
        ],
    );
    let (code, row) = verify(&signed, &["--real-person"]);
    assert_eq!(code, Some(0), "{row}");
    let detail = row["verification"]["credentials"]["detail"].to_string();
    assert!(detail.contains("kz.tanba.real-person"), "{detail}");

    // A file labelled with the default notice fails the --real-person check.
    let (code, row) = verify(&default, &["--real-person"]);
    assert_eq!(code, Some(1), "{row}");
    assert_eq!(row["compliant"], false);
    assert_eq!(row["real_person"], false);
    let why = row["real_person_check"].as_str().unwrap();
    assert!(why.contains("default notice"), "{why}");
    // … and passes without it.
    assert_eq!(verify(&default, &[]).0, Some(0));
}

#[test]
fn video_shows_the_deepfake_notice_at_the_start_and_in_the_last_two_seconds() {
    let d = tempfile::tempdir().unwrap();
    let clip = d.path().join("speech.mp4");
    run(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=0x336699:s=320x240:r=10:d=8",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            s(&clip),
        ],
    );
    let flags = ["--no-watermark", "--lang", "en"];
    let deep = label(
        &clip,
        &d.path().join("deep"),
        &[&flags[..], &["--real-person"]].concat(),
    );
    let custom = format!("en={EN}");
    let reference = label(
        &clip,
        &d.path().join("reference"),
        &[&flags[..], &["--label", &custom]].concat(),
    );
    let frame = |video: &Path, at: &str| {
        let png = d.path().join(format!(
            "{}-{at}.png",
            video
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
        ));
        run(
            "ffmpeg",
            &[
                "-v",
                "error",
                "-y",
                "-ss",
                at,
                "-i",
                s(video),
                "-frames:v",
                "1",
                s(&png),
            ],
        );
        png
    };
    let opening = frame(&deep, "0.5");
    // The opening notice and badge are the deepfake sentence as drawn.
    assert!(differing_pixels(&opening, &frame(&reference, "0.5")) < 50);
    // The notice is gone in the middle, and back in the last 2 s.
    assert!(differing_pixels(&opening, &frame(&deep, "4")) > 1000);
    assert!(differing_pixels(&opening, &frame(&deep, "7.5")) < 50);
    // Without --real-person it does not come back.
    assert!(differing_pixels(&frame(&reference, "0.5"), &frame(&reference, "7.5")) > 1000);
    let (code, row) = verify(&deep, &["--real-person"]);
    assert_eq!(code, Some(0), "{row}");
    assert_eq!(row["real_person"], true);
}

#[test]
fn audio_speaks_the_deepfake_disclaimer_at_the_start_and_the_end() {
    let d = tempfile::tempdir().unwrap();
    let voice = fixture("audio/sample-voice.wav");
    let deep = label(
        &voice,
        &d.path().join("deep"),
        &["--no-watermark", "--real-person"],
    );
    let (code, row) = verify(&deep, &["--real-person"]);
    assert_eq!(code, Some(0), "{row}");
    let detail = row["verification"]["perceptible"]["detail"]
        .as_str()
        .unwrap();
    assert!(
        detail.contains("spoken deepfake disclaimer") && detail.contains("start-and-end"),
        "{detail}"
    );
    // Independently of the manifest: the first and the last 16 s (the
    // Kazakh and Russian deepfake clips last 13.5 s together), cut out
    // by ffmpeg with every mark stripped, are each searched by the
    // disclaimer finder for the deepfake clip.
    let cut = |name: &str, args: &[&str]| {
        let piece = d.path().join(name);
        let mut all = vec!["-v", "error"];
        all.extend_from_slice(args);
        all.extend_from_slice(&[
            "-i",
            s(&deep),
            "-map_metadata",
            "-1",
            "-fflags",
            "+bitexact",
        ]);
        all.extend_from_slice(&["-c:a", "pcm_s16le", s(&piece)]);
        run("ffmpeg", &all);
        piece
    };
    for piece in [
        cut("start.wav", &["-t", "16"]),
        cut("end.wav", &["-sseof", "-16"]),
    ] {
        let (_, row) = verify(&piece, &["--real-person"]);
        let v = &row["verification"];
        assert!(v["manifest"].is_null(), "{row}");
        assert_eq!(
            v["perceptible"]["found"],
            true,
            "{}: {row}",
            piece.display()
        );
        assert!(row.get("real_person_check").is_none(), "{row}");
    }
    // The default disclaimer is not the deepfake one.
    let default = label(&voice, &d.path().join("default"), &["--no-watermark"]);
    let (code, row) = verify(&default, &["--real-person"]);
    assert_eq!(code, Some(1), "{row}");
}
