//! SVG through the command line: labelled as a picture (not skipped as
//! structured text), verified, rendered by rsvg-convert with the label,
//! and every byte outside our insertion kept.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// An SVG as a browser's "save image" writes it, and one as Inkscape does.
fn inputs(dir: &Path) -> [(&'static str, String); 2] {
    let browser = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"400\" height=\"300\" \
        viewBox=\"0 0 400 300\"><rect width=\"400\" height=\"300\" fill=\"#2b7de9\"/>\
        <g transform=\"translate(200 150) rotate(20)\"><g transform=\"scale(2)\">\
        <circle r=\"40\" fill=\"#f6c445\"/></g></g></svg>"
        .to_string();
    let inkscape = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n\
        <!-- Created with Inkscape (http://www.inkscape.org/) -->\n\n\
        <svg\n   width=\"100mm\"\n   height=\"100mm\"\n   viewBox=\"0 0 100 100\"\n   \
        version=\"1.1\"\n   id=\"svg1\"\n   xmlns=\"http://www.w3.org/2000/svg\"\n   \
        xmlns:svg=\"http://www.w3.org/2000/svg\">\n  <defs\n     id=\"defs1\" />\n  <g\n     \
        id=\"layer1\">\n    <rect\n       style=\"fill:#e8f1fb\"\n       width=\"100\"\n       \
        height=\"100\"\n       x=\"0\"\n       y=\"0\" />\n  </g>\n</svg>\n"
        .to_string();
    let files = [("art.svg", browser), ("drawing.svg", inkscape)];
    for (name, text) in &files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    files
}

/// The mean luminance (0..=255) of rsvg-convert's render of `svg`, over
/// the bottom-right quarter (where the label goes by default), as
/// ImageMagick measures it.
fn corner_luma(svg: &Path) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("render.png");
    let o = Command::new("rsvg-convert")
        .args(["-w", "400", "-o"])
        .arg(&png)
        .arg(svg)
        .output()
        .expect("rsvg-convert is installed (Debian: librsvg2-bin)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = Command::new("convert")
        .arg(&png)
        .args([
            "-gravity",
            "southeast",
            "-crop",
            "50%x50%+0+0",
            "-colorspace",
            "gray",
            "-format",
            "%[fx:mean*255]",
            "info:",
        ])
        .output()
        .expect("ImageMagick is installed");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
}

/// `out` with our metadata and label group cut out.
fn strip_ours(out: &str) -> String {
    let mut s = out.to_string();
    for (open, close) in [
        ("<metadata id=\"tanba-marks\">", "</metadata>"),
        ("<g id=\"tanba-label\"", "</g>"),
    ] {
        let start = s.find(open).unwrap();
        let end = start + s[start..].find(close).unwrap() + close.len();
        s.replace_range(start..end, "");
    }
    s
}

#[test]
fn svg_files_are_labelled_as_pictures_and_verify() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    let files = inputs(&input);
    let out = d.path().join("out");
    let rep = d.path().join("r.json");
    let o = tanba(&["label", s(&input), "--out", s(&out), "--report", s(&rep)]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let first = report(&rep);
    for row in first["files"].as_array().unwrap() {
        assert_eq!(row["outcome"], "labelled", "{row}");
        assert_eq!(row["format"], "svg", "{row}");
    }
    for (name, text) in &files {
        let labelled = std::fs::read_to_string(out.join(name)).unwrap();
        assert_eq!(
            &strip_ours(&labelled),
            text,
            "{name}: bytes outside the label"
        );
        assert!(
            labelled.contains(">Жасанды"),
            "{name}: the label is real text"
        );
        // The badge darkens the corner it sits in.
        let (before, after) = (corner_luma(&input.join(name)), corner_luma(&out.join(name)));
        assert!(after < before - 10.0, "{name}: corner {before} -> {after}");
    }
    let o = tanba(&["verify", s(&out)]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );

    // Resume: the same run again keeps both; an output whose label was
    // hidden since does not verify, so it is labelled again from its input,
    // with one label group.
    let rerun = [
        "label",
        s(&input),
        "--out",
        s(&out),
        "--report",
        s(&rep),
        "--quiet",
    ];
    let before = std::fs::read(out.join("art.svg")).unwrap();
    assert_eq!(tanba(&rerun).status.code(), Some(0));
    assert_eq!(report(&rep)["summary"]["already_labelled"], 2);
    assert_eq!(std::fs::read(out.join("art.svg")).unwrap(), before);
    let drawing = out.join("drawing.svg");
    // The last declaration wins, as in CSS.
    let hidden = std::fs::read_to_string(&drawing).unwrap().replacen(
        "filter:none\">\n<rect",
        "filter:none;display:none\">\n<rect",
        1,
    );
    std::fs::write(&drawing, hidden).unwrap();
    assert_ne!(tanba(&["verify", s(&drawing)]).status.code(), Some(0));
    assert_eq!(tanba(&rerun).status.code(), Some(0));
    assert_eq!(report(&rep)["summary"]["labelled"], 1);
    let relabelled = std::fs::read_to_string(&drawing).unwrap();
    assert_eq!(relabelled.matches("id=\"tanba-label\"").count(), 1);
    assert_eq!(strip_ours(&relabelled), files[1].1);
    assert_eq!(tanba(&["verify", s(&drawing)]).status.code(), Some(0));

    // A forced relabel of a labelled file replaces, never stacks.
    let again = d.path().join("again.svg");
    let o = tanba(&[
        "label",
        s(&out.join("art.svg")),
        "-o",
        s(&again),
        "--force",
        "--position",
        "top-left",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let twice = std::fs::read_to_string(&again).unwrap();
    assert_eq!(twice.matches("id=\"tanba-label\"").count(), 1);
    assert_eq!(strip_ours(&twice), files[0].1);
    assert_eq!(tanba(&["verify", s(&again)]).status.code(), Some(0));
    // Without --force the labelled file is not labelled again.
    let o = tanba(&[
        "label",
        s(&out.join("art.svg")),
        "-o",
        s(&d.path().join("x.svg")),
    ]);
    assert_ne!(o.status.code(), Some(0));
    assert!(!d.path().join("x.svg").exists());
}

#[test]
fn formats_lists_svg_as_a_picture() {
    let o = tanba(&["formats"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("image") && l.contains("svg") && l.contains("image/svg+xml")),
        "{text}"
    );
}
