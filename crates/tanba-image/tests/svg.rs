//! SVG: the label as real text on top, XMP in `<metadata>`, every other
//! byte as it was. Checked with outside readers: rsvg-convert renders the
//! badge, exiftool reads the XMP, python3's XML parser parses the output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use image::GrayImage;
use tanba_core::{Job, Limits, Position};
use tanba_image::ImageLabeler;

/// The test inputs, as a browser, Inkscape and older editors write them.
fn input(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/svg")
            .join(name),
    )
    .unwrap()
}

const INPUTS: [&str; 5] = [
    "slice.svg",
    "browser.svg",
    "inkscape.svg",
    "unsized-px.svg",
    "self-closing.svg",
];

fn label_with(bytes: &[u8], job: &Job) -> Vec<u8> {
    ImageLabeler::default()
        .label_bytes(bytes, Some(Path::new("x.svg")), job)
        .unwrap()
        .0
}

/// `rsvg-convert` renders `svg` at `width` pixels wide, as luminance.
fn render(svg: &[u8], width: u32) -> GrayImage {
    let dir = tempfile::tempdir().unwrap();
    let (src, png) = (dir.path().join("in.svg"), dir.path().join("out.png"));
    std::fs::write(&src, svg).unwrap();
    let out = Command::new("rsvg-convert")
        .args(["-w", &width.to_string(), "-b", "white", "-o"])
        .arg(&png)
        .arg(&src)
        .output()
        .expect("rsvg-convert is installed (Debian: librsvg2-bin)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    image::open(&png).unwrap().to_luma8()
}

fn parses_as_xml(svg: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.svg");
    std::fs::write(&path, svg).unwrap();
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); \
             assert d.documentElement.localName == 'svg'",
        ])
        .arg(&path)
        .output()
        .expect("python3 is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
fn every_byte_outside_the_insertion_is_the_input() {
    for name in INPUTS {
        let bytes = input(name);
        let out = label_with(&bytes, &Job::default());
        let (text, out) = (
            std::str::from_utf8(&bytes).unwrap(),
            std::str::from_utf8(&out).unwrap(),
        );
        let stripped = strip_ours(out);
        if name == "self-closing.svg" {
            assert_eq!(stripped, text.replacen("/>", "></svg>", 1), "{name}");
        } else {
            assert_eq!(
                stripped, text,
                "{name}: a byte outside our insertion changed"
            );
            // The marks first, the label last: drawn on top.
            let root_end = text.find("<svg").unwrap()
                + text[text.find("<svg").unwrap()..].find('>').unwrap()
                + 1;
            assert!(
                out[root_end..].starts_with("<metadata id=\"tanba-marks\">"),
                "{name}"
            );
            let close = text.rfind("</svg>").unwrap();
            assert!(out.ends_with(&format!("</g>{}", &text[close..])), "{name}");
        }
        parses_as_xml(out.as_bytes());
    }
}

#[test]
fn exiftool_reads_the_xmp_and_the_verifier_finds_the_label() {
    for name in INPUTS {
        let out = label_with(&input(name), &Job::default());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, &out).unwrap();
        let o = Command::new("exiftool")
            .args(["-j", "-G1", "-XMP:all"])
            .arg(&path)
            .output()
            .expect("exiftool is installed");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let aigc = v[0]["XMP-TC260:Aigc"].as_str().unwrap_or_default();
        assert!(aigc.starts_with("{\"AIGC\""), "{name}: {}", v[0]);
        assert!(
            v[0]["XMP-iptcExt:DigitalSourceType"]
                .as_str()
                .unwrap_or_default()
                .ends_with("trainedAlgorithmicMedia"),
            "{name}: {}",
            v[0]
        );
        let verdict = ImageLabeler::default()
            .verify_bytes(&out, &Limits::default())
            .unwrap();
        assert!(verdict.is_compliant(), "{name}: {verdict:?}");
    }
}

/// The rendered badge: inside the recorded region the output is mostly the
/// dark box with light text on it; well outside, it renders as the input.
#[test]
fn rsvg_renders_the_badge_where_the_manifest_says() {
    let cases: [(&str, Position, f64, f64); 5] = [
        // (input, position, its user-space width and height)
        ("browser.svg", Position::BottomRight, 512.0, 512.0),
        ("inkscape.svg", Position::TopLeft, 210.0, 148.0),
        ("unsized-px.svg", Position::BottomCenter, 640.0, 360.0),
        ("self-closing.svg", Position::TopRight, 100.0, 100.0),
        // Only the middle 100x50 of the viewBox is shown (`slice`).
        ("slice.svg", Position::BottomRight, 100.0, 50.0),
    ];
    for (name, position, user_w, user_h) in cases {
        let bytes = input(name);
        let job = Job::new().with_position(position);
        let (out, labelled) = ImageLabeler::default()
            .label_bytes(&bytes, None, &job)
            .unwrap();
        let placement = &labelled.manifest.label.placement;
        let size = f64::from(placement.text_size.unwrap());
        let (before, after) = (render(&bytes, 800), render(&out, 800));
        let scale = f64::from(after.width()) / user_w;
        let shorter = user_w.min(user_h);
        assert!(size >= 0.05 * shorter - 1e-3, "{name}: {size} of {shorter}");
        let [x, y, w, h] = placement.region.unwrap().map(f64::from);
        // The region is from the visible rectangle's corner (the
        // self-closing input's viewBox starts at -50).
        let px = |v: f64| (v * scale) as u32;
        let (x0, y0) = (px(x) + 3, px(y) + 3);
        let (x1, y1) = (px(x + w) - 3, px(y + h) - 3);
        assert!(
            x1 <= after.width() && y1 <= after.height(),
            "{name}: region inside"
        );
        let (mut dark, mut light, mut changed, mut all) = (0, 0, 0, 0);
        for yy in y0..y1 {
            for xx in x0..x1 {
                let v = after.get_pixel(xx, yy)[0];
                dark += u32::from(v < 110);
                light += u32::from(v > 200);
                changed += u32::from(v.abs_diff(before.get_pixel(xx, yy)[0]) > 8);
                all += 1;
            }
        }
        assert!(dark * 100 > all * 40, "{name}: box {dark}/{all}");
        assert!(light * 100 > all * 3, "{name}: text {light}/{all}");
        assert!(changed * 100 > all * 50, "{name}: {changed}/{all}");
        let mut outside_changed = 0;
        for (xx, yy, p) in after.enumerate_pixels() {
            let (fx, fy) = (f64::from(xx), f64::from(yy));
            // The region is rounded to whole units: half a unit of slack.
            let slack = 4.0 + scale * 0.5;
            let near = fx + slack >= f64::from(x0)
                && fx <= f64::from(x1) + slack
                && fy + slack >= f64::from(y0)
                && fy <= f64::from(y1) + slack;
            if !near && p[0].abs_diff(before.get_pixel(xx, yy)[0]) > 8 {
                outside_changed += 1;
            }
        }
        assert_eq!(
            outside_changed, 0,
            "{name}: pixels changed outside the badge"
        );
    }
}

#[test]
fn a_relabel_replaces_the_label_and_never_stacks() {
    let bytes = input("inkscape.svg");
    let once = label_with(&bytes, &Job::default());
    let e = ImageLabeler::default()
        .label_bytes(&once, None, &Job::default())
        .unwrap_err();
    assert_eq!(e.kind_name(), "already-labelled");
    let job = Job::new()
        .with_force(true)
        .with_position(Position::TopCenter);
    let twice = label_with(&once, &job);
    let text = std::str::from_utf8(&twice).unwrap();
    assert_eq!(text.matches("id=\"tanba-label\"").count(), 1);
    assert_eq!(text.matches("id=\"tanba-marks\"").count(), 1);
    assert_eq!(text.matches("tanba:Manifest>").count(), 2, "one manifest");
    assert_eq!(strip_ours(text), std::str::from_utf8(&bytes).unwrap());
    assert!(
        ImageLabeler::default()
            .verify_bytes(&twice, &Limits::default())
            .unwrap()
            .is_compliant()
    );
}

#[test]
fn a_hidden_covered_or_shrunk_label_does_not_verify() {
    let out = String::from_utf8(label_with(&input("browser.svg"), &Job::default())).unwrap();
    let shown = "style=\"display:inline;visibility:visible;opacity:1;transform:none;clip-path:none;mask:none;filter:none\">";
    let tampered = [
        ("hidden", out.replacen(shown, "style=\"display:none\">", 1)),
        ("transparent", out.replacen(shown, "opacity=\"0\">", 1)),
        ("masked", out.replacen(shown, "style=\"mask:url(#b)\">", 1)),
        (
            "covered",
            out.replace(
                "</g></svg>",
                "</g><rect width=\"512\" height=\"512\"/></svg>",
            ),
        ),
        (
            "sheet",
            out.replacen(
                "<style><![CDATA[",
                "<style><![CDATA[#tanba-label{display:none}",
                1,
            ),
        ),
        (
            "forced",
            out.replacen(
                "<style><![CDATA[",
                "<style><![CDATA[g{opacity:0 !important}",
                1,
            ),
        ),
        (
            "shrunk",
            out.replacen("viewBox=\"0 0 512 512\"", "viewBox=\"0 0 5120 5120\"", 1),
        ),
        ("other text", out.replacen(">Жасанды", ">Басқа", 1)),
        (
            "root transform",
            out.replacen("<svg ", "<svg transform=\"scale(0.01)\" ", 1),
        ),
    ];
    let labeler = ImageLabeler::default();
    for (what, svg) in tampered {
        assert_ne!(svg, out, "{what}: the tampering applied");
        let v = labeler
            .verify_bytes(svg.as_bytes(), &Limits::default())
            .unwrap();
        assert!(!v.is_compliant(), "{what}: {v:?}");
        assert!(!v.perceptible.found, "{what}");
    }
    let v = labeler
        .verify_bytes(&input("browser.svg"), &Limits::default())
        .unwrap();
    assert!(!v.is_compliant(), "an unlabelled SVG");
}
