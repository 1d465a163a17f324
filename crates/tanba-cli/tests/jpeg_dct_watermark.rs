//! The watermark embedded in the JPEG DCT path (issues #18 and #20),
//! through the built `tanba`: a JPEG of 2048 px or more on its shorter
//! side is labelled in the coefficient domain with the mark on (the report
//! says so), its output carries the mark (read by `tanba verify` with the
//! public key after libjpeg-turbo's `jpegtran` and ImageMagick's strip,
//! quality 70 and 50, 50 % resize and 10 % crop per side), and its luma
//! stays within PSNR 40 dB and SSIM 0.98 of the input away from the badge
//! (ffmpeg's `psnr` and `ssim` filters on the Y plane). A smaller picture
//! still takes the full re-encode when marked (the SSIM floor needs its
//! pixels), and so does one of saturated colours (the photo fixture's
//! colour bars), whose mark needs chroma; the matrix holds for it too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fixture, s, tanba};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs an outside tool, which must be installed (CI installs it); its
/// standard error.
fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} must be installed: {e}"));
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The report's notes after labelling `input` into `out`.
fn label(input: &Path, out: &Path, extra: &[&str]) -> String {
    let report = out.with_extension("json");
    let mut args = vec!["label", s(input), "--out", s(out), "--report", s(&report)];
    args.extend(extra);
    let done = tanba(&args);
    assert!(
        done.status.success(),
        "label {args:?}: {}",
        String::from_utf8_lossy(&done.stderr)
    );
    std::fs::read_to_string(report).unwrap()
}

/// The watermark payload `tanba verify` reads from `file` with the public
/// key, if any.
fn payload(file: &Path) -> Option<String> {
    let out = tanba(&["verify", "--json", s(file)]);
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    rows[0]["verification"]["watermark"]["payload"]
        .as_str()
        .map(str::to_string)
}

/// Three pictures of 2048 px or more on their shorter side: the photo
/// fixture enlarged (colour bars), an ImageMagick plasma and a gradient at
/// quality 60.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let photo = dir.join("photo.jpg");
    let plasma = dir.join("plasma.jpg");
    let gradient = dir.join("gradient.jpg");
    let fixture = fixture("image/sample-photo.jpg");
    run("convert", &[s(&fixture), "-resize", "350%", s(&photo)]);
    run(
        "convert",
        &[
            "-size",
            "2560x2048",
            "-seed",
            "7",
            "plasma:fractal",
            "-blur",
            "0x2",
            "-quality",
            "85",
            s(&plasma),
        ],
    );
    run(
        "convert",
        &[
            "-size",
            "2048x2304",
            "gradient:navy-orange",
            "-quality",
            "60",
            s(&gradient),
        ],
    );
    vec![photo, plasma, gradient]
}

/// ffmpeg's `filter` (`psnr` or `ssim`) between the Y planes of the top
/// half of two pictures (the badge sits in the bottom-right corner): the
/// figure it prints for Y.
fn luma_metric(a: &Path, b: &Path, filter: &str) -> f64 {
    let graph = format!(
        "[0:v]format=gray,crop=iw:ih/2:0:0[a];[1:v]format=gray,crop=iw:ih/2:0:0[b];[a][b]{filter}"
    );
    let log = run(
        "ffmpeg",
        &[
            "-hide_banner",
            "-i",
            s(a),
            "-i",
            s(b),
            "-lavfi",
            &graph,
            "-f",
            "null",
            "-",
        ],
    );
    let key = if filter == "psnr" { "average:" } else { "All:" };
    let at = log.rfind(key).unwrap_or_else(|| panic!("{filter}: {log}")) + key.len();
    log[at..]
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{filter}: {log}"))
}

#[test]
fn a_large_jpeg_is_marked_in_the_dct_domain_and_the_mark_survives_handling() {
    let dir = tempfile::tempdir().unwrap();
    for input in inputs(dir.path()) {
        let name = input.file_name().unwrap().to_str().unwrap().to_string();
        let out = dir
            .path()
            .join(format!("out-{}", name.trim_end_matches(".jpg")));
        let notes = label(&input, &out, &[]);
        // The photo fixture is colour bars: saturated colours, whose share
        // of the mark needs chroma, so the full re-encode marks them.
        let dct = name != "photo.jpg";
        assert_eq!(
            notes.contains("DCT domain: the watermark added to the luma coefficients"),
            dct,
            "{name}: the DCT path, marked: {notes}"
        );
        let labelled = out.join(&name);
        let want = payload(&labelled).unwrap_or_else(|| panic!("{name}: no mark read"));

        let psnr = luma_metric(&input, &labelled, "psnr");
        let ssim = luma_metric(&input, &labelled, "ssim");
        assert!(psnr >= 40.0, "{name}: luma PSNR {psnr} dB");
        assert!(ssim >= 0.98, "{name}: luma SSIM {ssim}");

        let handled = |tag: &str| dir.path().join(format!("{tag}-{name}"));
        let transcoded = handled("jpegtran");
        let jt = Command::new("jpegtran")
            .args(["-copy", "none", "-optimize", "-outfile", s(&transcoded)])
            .arg(&labelled)
            .output()
            .expect("jpegtran is installed (Debian: libjpeg-turbo-progs)");
        assert!(
            jt.status.success(),
            "{}",
            String::from_utf8_lossy(&jt.stderr)
        );
        let mut copies = vec![transcoded];
        for (tag, ops) in [
            ("strip", &["-strip"][..]),
            ("q70", &["-strip", "-quality", "70"]),
            ("q50", &["-strip", "-quality", "50"]),
            ("half", &["-strip", "-resize", "50%"]),
            (
                "crop",
                &[
                    "-strip",
                    "-gravity",
                    "center",
                    "-crop",
                    "80%x80%+0+0",
                    "+repage",
                ],
            ),
        ] {
            let copy = handled(tag);
            let mut args = vec![s(&labelled)];
            args.extend(ops);
            args.push(s(&copy));
            run("convert", &args);
            copies.push(copy);
        }
        for copy in &copies {
            assert_eq!(
                payload(copy).as_deref(),
                Some(want.as_str()),
                "{}",
                copy.display()
            );
        }
    }
}

#[test]
fn a_small_marked_jpeg_takes_the_full_re_encode() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("small.jpg");
    let fixture = fixture("image/sample-photo.jpg");
    run("convert", &[s(&fixture), "-resize", "250%", s(&input)]);
    let out = dir.path().join("out");
    let notes = label(&input, &out, &[]);
    assert!(!notes.contains("DCT domain"), "2000x1500, marked: {notes}");
    assert!(payload(&out.join("small.jpg")).is_some());
    let notes = label(&input, &dir.path().join("plain"), &["--no-watermark"]);
    assert!(notes.contains("DCT domain"), "unmarked: {notes}");
}
