//! HEIC and AVIF pictures made by the tools people use (libheif's heif-enc
//! with x265 and libaom, ImageMagick), labelled through the CLI: the output
//! stays the same format, opens in heif-convert and ImageMagick, carries
//! the badge and both AIGC carriers (XMP and EXIF UserComment), and keeps
//! the source's EXIF, ICC profile and bit depth. JPEG outputs carry the
//! UserComment too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

/// Runs an outside tool; it must be installed (CI installs it).
fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} must be installed (cargo xtask setup): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// exiftool's JSON for one file.
fn exif_json(path: &Path) -> serde_json::Value {
    let out = run("exiftool", &["-j", "-G1", "-a", s(path)]);
    serde_json::from_str::<serde_json::Value>(&out).unwrap()[0].clone()
}

/// A minimal ICC profile header (display class, RGB, XYZ PCS, no tags):
/// enough for heif-enc and libheif to carry it and exiftool to name it.
fn icc() -> Vec<u8> {
    let mut v = vec![0u8; 132];
    v[0..4].copy_from_slice(&132u32.to_be_bytes());
    v[8..12].copy_from_slice(&0x0210_0000u32.to_be_bytes());
    v[12..16].copy_from_slice(b"mntr");
    v[16..20].copy_from_slice(b"RGB ");
    v[20..24].copy_from_slice(b"XYZ ");
    v[36..40].copy_from_slice(b"acsp");
    // The D50 illuminant libpng checks for when heif-convert writes PNG.
    for (i, n) in [0xF6D6u32, 0x1_0000, 0xD32D].iter().enumerate() {
        v[68 + 4 * i..72 + 4 * i].copy_from_slice(&n.to_be_bytes());
    }
    v
}

/// ImageMagick's mean absolute difference (0..1) of two pictures over a
/// region.
fn mae(a: &Path, b: &Path, [x, y, w, h]: [u64; 4]) -> f64 {
    let crop = format!("{w}x{h}+{x}+{y}");
    let out = Command::new("compare")
        .args(["-metric", "MAE", "-extract", &crop, s(a), s(b), "null:"])
        .output()
        .expect("ImageMagick's compare must be installed");
    // "1234.5 (0.0188)" on standard error; exit 1 only says they differ.
    let text = String::from_utf8_lossy(&out.stderr);
    let inner = text.split('(').nth(1).and_then(|t| t.split(')').next());
    inner
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("compare: {text}"))
}

/// The source pictures: HEIC (x265, 8 and 10 bit) and AVIF (libaom, 8 and
/// 10 bit) from heif-enc, with EXIF and an ICC profile from a JPEG, and
/// HEIC/AVIF from ImageMagick's libheif delegate.
fn make_sources(dir: &Path) -> Vec<&'static str> {
    let d = |n: &str| dir.join(n).to_str().unwrap().to_string();
    run(
        "convert",
        &[
            "-seed",
            "7",
            "-size",
            "640x480",
            "plasma:fractal",
            "-depth",
            "8",
            &format!("PNG24:{}", d("src.png")),
        ],
    );
    run(
        "convert",
        &[
            "-seed",
            "7",
            "-size",
            "640x480",
            "plasma:fractal",
            "-depth",
            "16",
            &format!("PNG48:{}", d("deep.png")),
        ],
    );
    std::fs::write(dir.join("profile.icc"), icc()).unwrap();
    run("convert", &[&d("src.png"), "-quality", "92", &d("src.jpg")]);
    run(
        "exiftool",
        &[
            "-q",
            "-overwrite_original",
            "-Make=Acme",
            "-Orientation#=6",
            &format!("-icc_profile<={}", d("profile.icc")),
            &d("src.jpg"),
        ],
    );
    run(
        "heif-enc",
        &["-q", "60", &d("src.jpg"), "-o", &d("in/x265.heic")],
    );
    run(
        "heif-enc",
        &["-A", "-q", "60", &d("src.jpg"), "-o", &d("in/aom.avif")],
    );
    run(
        "heif-enc",
        &[
            "-b",
            "10",
            "-q",
            "60",
            &d("deep.png"),
            "-o",
            &d("in/deep.heic"),
        ],
    );
    // libaom 3.6 under libheif 1.15 encodes 10-bit only as 4:2:2.
    run(
        "heif-enc",
        &[
            "-A",
            "-b",
            "10",
            "-p",
            "chroma=422",
            "-q",
            "60",
            &d("deep.png"),
            "-o",
            &d("in/deep.avif"),
        ],
    );
    run("convert", &[&d("src.png"), &d("in/magick.avif")]);
    run("convert", &[&d("src.png"), &d("in/magick.heic")]);
    vec![
        "x265.heic",
        "aom.avif",
        "deep.heic",
        "deep.avif",
        "magick.avif",
        "magick.heic",
    ]
}

#[test]
fn heic_and_avif_are_labelled_in_their_own_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("in")).unwrap();
    let names = make_sources(dir.path());
    let (input, out) = (dir.path().join("in"), dir.path().join("out"));
    let label = tanba(&["label", s(&input), "--out", s(&out)]);
    assert!(
        label.status.success(),
        "{}",
        String::from_utf8_lossy(&label.stderr)
    );
    for name in names {
        let (src, dst) = (input.join(name), out.join(name));
        let mime = if name.ends_with(".avif") {
            "image/avif"
        } else {
            "image/heic"
        };
        let info = run("heif-info", &[s(&dst)]);
        assert!(
            info.contains(&format!("MIME type: {mime}")),
            "{name}: {info}"
        );
        assert!(info.contains("image: 640x480"), "{name}: {info}");
        // ImageMagick opens it as a picture, and heif-convert decodes it.
        let id = run("identify", &["-format", "%m %wx%h", s(&dst)]);
        assert_eq!(id, "HEIC 640x480", "{name}");
        let (src_png, dst_png) = (
            dir.path()
                .join(format!("src-{}.png", name.replace('.', "-"))),
            dir.path()
                .join(format!("out-{}.png", name.replace('.', "-"))),
        );
        run("heif-convert", &[s(&src), s(&src_png)]);
        run("heif-convert", &[s(&dst), s(&dst_png)]);

        let check = tanba(&["verify", "--json", s(&dst)]);
        assert!(
            check.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&check.stdout)
        );
        let v: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
        let v = &v[0]["verification"];
        assert_eq!(v["format"], name.rsplit('.').next().unwrap(), "{name}");
        let carriers: Vec<&str> = v["marks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["carrier"].as_str().unwrap())
            .collect();
        assert!(
            carriers.contains(&"EXIF UserComment"),
            "{name}: {carriers:?}"
        );
        assert!(carriers.contains(&"HEIF XMP item"), "{name}: {carriers:?}");

        // The badge region changed; a region away from it is the source's,
        // re-encoded.
        let region: Vec<u64> = v["manifest"]["label"]["placement"]["region"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap())
            .collect();
        let badge = [region[0], region[1], region[2], region[3]];
        let changed = mae(&src_png, &dst_png, badge);
        assert!(
            changed > 0.1,
            "{name}: badge region differs by {changed:.3}"
        );
        let kept = mae(&src_png, &dst_png, [0, 0, 200, 150]);
        assert!(
            kept < 0.03,
            "{name}: a region away from the badge differs by {kept:.3}"
        );

        // exiftool reads XMP and the EXIF UserComment, and they agree.
        let j = exif_json(&dst);
        let aigc = j["XMP-TC260:Aigc"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: {j:#}"));
        assert!(aigc.starts_with("{\"AIGC\":{\"Label\":\"1\""), "{aigc}");
        assert_eq!(j["ExifIFD:UserComment"], aigc, "{name}: {j:#}");
        let src_j = exif_json(&src);
        if name.starts_with("x265") || name.starts_with("aom") {
            // The source's EXIF and ICC profile are kept, orientation too.
            assert_eq!(j["IFD0:Make"], "Acme", "{name}: {j:#}");
            assert_eq!(j["IFD0:Orientation"], src_j["IFD0:Orientation"], "{name}");
            assert_eq!(j["IFD0:Orientation"], "Rotate 90 CW", "{name}");
            let profile = Command::new("exiftool")
                .args(["-b", "-ICC_Profile", s(&dst)])
                .output()
                .unwrap()
                .stdout;
            assert_eq!(profile, icc(), "{name}: ICC profile kept");
        }
        if name.starts_with("deep") {
            assert_eq!(
                j["HEVC:ImagePixelDepth"]
                    .as_str()
                    .or(j["AV1:ImagePixelDepth"].as_str())
                    .or(j["QuickTime:ImagePixelDepth"].as_str()),
                Some("10 10 10"),
                "{name}: {j:#}"
            );
        }
    }
}

#[test]
fn jpeg_outputs_carry_the_aigc_label_in_user_comment() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    let with = input.join("with-exif.jpg");
    let without = input.join("no-exif.jpg");
    run(
        "convert",
        &["-seed", "3", "-size", "640x480", "plasma:fractal", s(&with)],
    );
    run("convert", &[s(&with), "-strip", s(&without)]);
    run(
        "exiftool",
        &[
            "-q",
            "-overwrite_original",
            "-Make=Acme",
            "-Artist=Aigerim",
            s(&with),
        ],
    );
    let out = dir.path().join("out");
    let label = tanba(&["label", s(&input), "--out", s(&out)]);
    assert!(
        label.status.success(),
        "{}",
        String::from_utf8_lossy(&label.stderr)
    );
    for name in ["with-exif.jpg", "no-exif.jpg"] {
        let j = exif_json(&out.join(name));
        let aigc = j["XMP-TC260:Aigc"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: {j:#}"));
        assert_eq!(j["ExifIFD:UserComment"], aigc, "{name}: {j:#}");
    }
    let j = exif_json(&out.join("with-exif.jpg"));
    assert_eq!(j["IFD0:Make"], "Acme");
    assert_eq!(j["IFD0:Artist"], "Aigerim");
}

#[test]
fn formats_lists_heic_and_avif() {
    let out = tanba(&["formats"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("heic") && text.contains("avif"), "{text}");
}
