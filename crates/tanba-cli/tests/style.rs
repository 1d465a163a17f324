#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The badge's look from `--badge-*` flags and `[badge]` in `tanba.toml`,
//! through the real binary: sizes and colours measured in the pixels
//! FFmpeg decodes, verify passing with the same style, refusals before
//! any work, and resume labelling again when the style changed.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fixture, report, s, tanba};

const W: usize = 800;
const H: usize = 600;

/// A plain mid-grey 800x600 PNG, so every changed pixel is the badge.
fn grey_png(dir: &Path) -> PathBuf {
    let path = dir.join("grey.png");
    let ok = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i"])
        .arg(format!("color=c=0x808080:s={W}x{H}"))
        .args(["-frames:v", "1", "-y"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(ok.success());
    path
}

/// The picture's RGB samples, as FFmpeg decodes them.
fn rgb(path: &Path) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i", s(path)])
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout.len(), W * H * 3);
    out.stdout
}

fn px(img: &[u8], x: usize, y: usize) -> [u8; 3] {
    let i = (y * W + x) * 3;
    [img[i], img[i + 1], img[i + 2]]
}

/// `[x0, y0, x1, y1]` (inclusive) of the pixels that differ from `base`.
fn changed_box(base: &[u8], img: &[u8]) -> [usize; 4] {
    let mut b = [usize::MAX, usize::MAX, 0, 0];
    for y in 0..H {
        for x in 0..W {
            if px(base, x, y) != px(img, x, y) {
                b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
            }
        }
    }
    assert!(b[0] <= b[2], "nothing changed");
    b
}

fn area(b: [usize; 4]) -> usize {
    (b[2] - b[0] + 1) * (b[3] - b[1] + 1)
}

/// Labels `input` into `out` with `flags`; returns the output's path.
fn label(input: &Path, out: &Path, flags: &[&str]) -> PathBuf {
    // The watermark is left out: its payload differs per file, and these
    // tests compare the badge's pixels between runs.
    let mut args = vec![
        "label",
        s(input),
        "--out",
        s(out),
        "--quiet",
        "--no-watermark",
    ];
    args.extend_from_slice(flags);
    let run = tanba(&args);
    assert!(
        run.status.success(),
        "{flags:?}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    out.join(input.file_name().unwrap())
}

/// Verifies with `flags`; asserts it passes.
fn verifies(file: &Path, flags: &[&str]) {
    let mut args = vec!["verify", s(file)];
    args.extend_from_slice(flags);
    let run = tanba(&args);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{flags:?}: {stdout}");
    assert!(stdout.contains("perceptible label: found"), "{stdout}");
}

const BLUE: &[&str] = &[
    "--badge-text-size",
    "6",
    "--badge-color",
    "#0000C0",
    "--badge-text-color",
    "#FFFF00",
    "--badge-opacity",
    "1",
    "--badge-margin",
    "4px",
    "--badge-radius",
    "0",
    "--badge-max-width",
    "80",
];

#[test]
fn text_size_sets_the_badge_size_and_the_default_is_the_floor() {
    let d = tempfile::tempdir().unwrap();
    let input = grey_png(d.path());
    let base = rgb(&input);
    let default = rgb(&label(&input, &d.path().join("default"), &[]));
    let floor = rgb(&label(
        &input,
        &d.path().join("five"),
        &["--badge-text-size", "5"],
    ));
    let bigger = label(&input, &d.path().join("seven"), &["--badge-text-size", "7"]);
    let (b_default, b_seven) = (
        changed_box(&base, &default),
        changed_box(&base, &rgb(&bigger)),
    );
    // No flags and the 5% floor draw the same pixels.
    assert_eq!(default, floor);
    assert!(area(b_default) < area(b_seven), "{b_default:?} {b_seven:?}");
    let share = area(b_default) as f64 / (W * H) as f64;
    eprintln!(
        "default badge: {b_default:?}, {:.1}% of 800x600",
        share * 100.0
    );
    // A narrower badge wraps: narrower and taller.
    let narrow = rgb(&label(
        &input,
        &d.path().join("narrow"),
        &["--badge-max-width", "50"],
    ));
    let b_narrow = changed_box(&base, &narrow);
    assert!(b_narrow[2] - b_narrow[0] < b_default[2] - b_default[0]);
    assert!(b_narrow[3] - b_narrow[1] > b_default[3] - b_default[1]);
    for (file, flags) in [
        (bigger, vec!["--badge-text-size", "7"]),
        (
            d.path().join("narrow/grey.png"),
            vec!["--badge-max-width", "50"],
        ),
    ] {
        verifies(&file, &flags);
    }
}

#[test]
fn colours_opacity_and_margin_show_in_the_pixels() {
    let d = tempfile::tempdir().unwrap();
    let input = grey_png(d.path());
    let base = rgb(&input);
    let out = label(&input, &d.path().join("blue"), BLUE);
    let blue = rgb(&out);
    let b = changed_box(&base, &blue);
    // A pixel margin: the badge ends 4 px from the bottom-right corner.
    assert_eq!((b[2], b[3]), (W - 1 - 4, H - 1 - 4), "{b:?}");
    // Square corners, opaque box: the corner pixel is the box colour.
    assert_eq!(px(&blue, b[2], b[3]), [0, 0, 192]);
    let pixels: Vec<[u8; 3]> = (b[1]..=b[3])
        .flat_map(|y| (b[0]..=b[2]).map(move |x| (x, y)))
        .map(|(x, y)| px(&blue, x, y))
        .collect();
    let count = |c: [u8; 3]| pixels.iter().filter(|&&p| p == c).count();
    assert!(count([0, 0, 192]) * 2 > pixels.len(), "box colour");
    assert!(count([255, 255, 0]) > 500, "text colour");
    verifies(&out, BLUE);

    // Less opacity lets the grey through: 0.9 x 192 + 0.1 x 128.
    let mut translucent = BLUE.to_vec();
    let at = translucent
        .iter()
        .position(|&a| a == "--badge-opacity")
        .unwrap();
    translucent[at + 1] = "0.9";
    let faint = label(&input, &d.path().join("faint"), &translucent);
    let corner = px(&rgb(&faint), b[2], b[3]);
    assert_eq!(corner, [13, 13, 186]);
    verifies(&faint, &translucent);

    // Dark text on a light box is found too (its correlation is negative).
    let yellow = [
        "--badge-color",
        "#FFDD00",
        "--badge-text-color",
        "#000000",
        "--badge-opacity",
        "1",
    ];
    let out = label(&input, &d.path().join("yellow"), &yellow);
    verifies(&out, &yellow);
}

#[test]
fn tanba_toml_keys_equal_the_flags() {
    let d = tempfile::tempdir().unwrap();
    let input = grey_png(d.path());
    let config = d.path().join("tanba.toml");
    std::fs::write(
        &config,
        "[badge]\ntext_size = 6\ncolor = \"#0000C0\"\ntext_color = \"#FFFF00\"\n\
         opacity = 1\nmargin = \"4px\"\nradius = 0\nmax_width = 80\n",
    )
    .unwrap();
    let flags = rgb(&label(&input, &d.path().join("flags"), BLUE));
    let from_file = label(&input, &d.path().join("file"), &["--config", s(&config)]);
    assert_eq!(rgb(&from_file), flags);
    verifies(&from_file, &["--config", s(&config)]);
    // A flag wins over the file.
    let over = rgb(&label(
        &input,
        &d.path().join("over"),
        &["--config", s(&config), "--badge-color", "#000080"],
    ));
    assert_ne!(over, flags);
    // Numbers as numbers: a margin in ems.
    std::fs::write(&config, "[badge]\nmargin = 1\n").unwrap();
    let ems = label(&input, &d.path().join("ems"), &["--config", s(&config)]);
    verifies(&ems, &["--config", s(&config)]);
}

#[test]
fn under_the_floor_or_unreadable_is_refused_before_any_work() {
    let d = tempfile::tempdir().unwrap();
    let input = grey_png(d.path());
    let out = d.path().join("out");
    for (flags, says) in [
        (vec!["--badge-text-size", "4"], "at least 5%"),
        (vec!["--badge-opacity", "0.3"], "4.5:1"),
        (
            vec!["--badge-color", "#FFFFFF", "--badge-opacity", "1"],
            "4.5:1",
        ),
        (vec!["--badge-color", "blue"], "#RRGGBB"),
        (vec!["--badge-margin", "1cm"], "pixels (12px)"),
        (vec!["--badge-pdf-text-size", "6"], "at least 7 pt"),
    ] {
        let mut args = vec!["label", s(&input), "--out", s(&out)];
        args.extend_from_slice(&flags);
        let run = tanba(&args);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(says), "{flags:?}: {stderr}");
        assert!(!out.exists(), "{flags:?} wrote something");
    }
    let config = d.path().join("tanba.toml");
    std::fs::write(&config, "[badge]\ntext_size = 4.5\n").unwrap();
    let run = tanba(&["label", s(&input), "--out", s(&out), "--config", s(&config)]);
    assert_eq!(run.status.code(), Some(2));
    assert!(!out.exists());
}

#[test]
fn resume_labels_again_when_the_style_changed() {
    let d = tempfile::tempdir().unwrap();
    let input = grey_png(d.path());
    let out = d.path().join("out");
    let json = d.path().join("report.json");
    let run = |flags: &[&str]| {
        let mut args = vec![
            "label",
            s(&input),
            "--out",
            s(&out),
            "--quiet",
            "--report",
            s(&json),
        ];
        args.extend_from_slice(flags);
        assert!(tanba(&args).status.success());
        report(&json)
    };
    run(&[]);
    let same = run(&[]);
    assert_eq!(same["summary"]["already_labelled"], 1, "{same}");
    // Only the box colour differs: the earlier output still verifies, but
    // its settings fingerprint is not this job's.
    let changed = run(&["--badge-color", "#000080"]);
    assert_eq!(changed["summary"]["labelled"], 1, "{changed}");
    assert!(
        changed.to_string().contains("settings changed"),
        "{changed}"
    );
    // A narrower badge wraps otherwise: the earlier output no longer
    // verifies under the new style, and the reason named is still the
    // settings.
    let moved = run(&["--badge-max-width", "50"]);
    assert_eq!(moved["summary"]["labelled"], 1, "{moved}");
    assert!(moved.to_string().contains("settings changed"), "{moved}");
}

#[test]
fn video_and_pdf_take_the_colours_and_verify() {
    let d = tempfile::tempdir().unwrap();
    let yellow = [
        "--badge-color",
        "#FFDD00",
        "--badge-text-color",
        "#000000",
        "--badge-opacity",
        "1",
    ];
    let video = label(&fixture("video/sample.mp4"), &d.path().join("v"), &yellow);
    verifies(&video, &yellow);
    // The corner badge's box is yellow in a late frame (after the notice).
    let frame = Command::new("ffmpeg")
        .args(["-v", "error", "-ss", "2.8", "-i", s(&video)])
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .unwrap();
    assert!(frame.status.success());
    let yellowish = frame
        .stdout
        .chunks_exact(3)
        .filter(|p| p[0] > 200 && p[1] > 180 && p[2] < 60)
        .count();
    assert!(yellowish > 2000, "{yellowish} yellow pixels");

    let pdf = label(&fixture("pdf/report.pdf"), &d.path().join("p"), &yellow);
    verifies(&pdf, &yellow);
    let qdf = Command::new("qpdf")
        .args(["--qdf", "--object-streams=disable", s(&pdf), "-"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&qdf.stdout);
    // Box fill, outline and text colour; the box fully opaque.
    assert!(text.contains("1 0.867 0 rg 0 0 0 RG"), "box colours");
    assert!(text.contains("Tr 0 0 0 rg"), "text colour");
    assert!(text.contains("/ca 1"), "box opacity");
    let words = Command::new("pdftotext")
        .args([s(&pdf), "-"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&words.stdout).contains("интеллект"));

    // The banner's own text size, in points (2.5% of A4's width, 14.875 pt,
    // by default).
    let big = label(
        &fixture("pdf/report.pdf"),
        &d.path().join("big"),
        &["--badge-pdf-text-size", "12"],
    );
    verifies(&big, &[]);
    let qdf = Command::new("qpdf")
        .args(["--qdf", "--object-streams=disable", s(&big), "-"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&qdf.stdout);
    assert!(text.contains(" 12 Tf"), "text size");
    assert!(!text.contains("14.875 Tf"));
}
