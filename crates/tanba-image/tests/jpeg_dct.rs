//! JPEG labelled in the DCT domain: outside the badge's MCUs the output's
//! quantised coefficients are the input's, checked with libjpeg-turbo's
//! `jpegtran` (lossless crops of both, optimised, must be byte-identical);
//! inside, the badge looks as drawing it on decoded pixels does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use image::RgbImage;
use std::path::Path;
use std::process::Command;
use tanba_core::{Job, Labelled, Limits};
use tanba_image::ImageLabeler;

fn run(tool: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in");
    std::fs::write(&path, input).unwrap();
    let out = Command::new(tool)
        .args(args)
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("{tool} is installed (Debian: libjpeg-turbo-progs): {e}"));
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A JPEG of a photo-like picture made by libjpeg-turbo's `cjpeg`.
fn cjpeg(w: u32, h: u32, args: &[&str]) -> Vec<u8> {
    let img = noisy_rgb(w, h, w ^ h);
    let mut ppm = format!("P6\n{w} {h}\n255\n").into_bytes();
    ppm.extend_from_slice(img.as_raw());
    run("cjpeg", args, &ppm)
}

fn with_orientation(jpeg: &[u8], o: u16) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.jpg"), dir.path().join("b.jpg"));
    std::fs::write(&a, jpeg).unwrap();
    let st = Command::new("exiftool")
        .arg(format!("-Orientation#={o}"))
        .arg("-o")
        .arg(&b)
        .arg(&a)
        .output()
        .expect("exiftool is installed");
    assert!(st.status.success());
    std::fs::read(&b).unwrap()
}

fn label_plain(bytes: &[u8]) -> (Vec<u8>, Labelled) {
    let job = Job::new().with_watermark(None);
    ImageLabeler::default()
        .label_bytes(bytes, Some(Path::new("in.jpg")), &job)
        .unwrap()
}

fn dct_path(l: &Labelled) -> bool {
    l.notes.iter().any(|n| n.contains("DCT domain"))
}

/// Luma-MCU size from the frame header.
fn mcu_size(jpeg: &[u8]) -> (u32, u32) {
    let mut pos = 2;
    loop {
        let marker = jpeg[pos + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]));
        if (0xC0..=0xC2).contains(&marker) {
            let n = usize::from(jpeg[pos + 9]);
            if n == 1 {
                return (8, 8);
            }
            let s = &jpeg[pos + 10..pos + 10 + 3 * n];
            let h = s.chunks(3).map(|c| u32::from(c[1] >> 4)).max().unwrap();
            let v = s.chunks(3).map(|c| u32::from(c[1] & 15)).max().unwrap();
            return (8 * h, 8 * v);
        }
        pos += 2 + len;
    }
}

/// Crops of `input` and `output` by `jpegtran -crop` (lossless, on MCU
/// bounds) of every band around the badge's MCU rectangle are identical.
fn assert_same_outside(input: &[u8], output: &[u8], region: [u32; 4], what: &str) {
    let (mw, mh) = mcu_size(input);
    let img = decode(input);
    let (w, h) = (img.width(), img.height());
    let [x, y, bw, bh] = region;
    let (c0, c1) = (x / mw * mw, ((x + bw - 1) / mw * mw + mw).min(w));
    let (r0, r1) = (y / mh * mh, ((y + bh - 1) / mh * mh + mh).min(h));
    let mut bands = Vec::new();
    if r0 > 0 {
        bands.push(format!("{w}x{r0}+0+0"));
    }
    if r1 < h {
        bands.push(format!("{w}x{}+0+{r1}", h - r1));
    }
    if c0 > 0 {
        bands.push(format!("{c0}x{h}+0+0"));
    }
    if c1 < w {
        bands.push(format!("{}x{h}+{c1}+0", w - c1));
    }
    assert!(
        bands.len() >= 2,
        "{what}: the badge leaves bands to compare"
    );
    for band in &bands {
        let args = ["-copy", "none", "-optimize", "-crop", band.as_str()];
        let (a, b) = (
            run("jpegtran", &args, input),
            run("jpegtran", &args, output),
        );
        assert!(a == b, "{what}: coefficients differ in band {band}");
    }
    // And the badge's own MCUs did change.
    let inside = format!("{}x{}+{c0}+{r0}", c1 - c0, r1 - r0);
    let args = ["-copy", "none", "-optimize", "-crop", inside.as_str()];
    assert_ne!(
        run("jpegtran", &args, input),
        run("jpegtran", &args, output),
        "{what}: the badge was drawn"
    );
}

/// PSNR inside the badge of `output` against today's full re-encode: the
/// input decoded, the badge blended over its pixels, encoded again with
/// the source's quantisation tables and sampling (as `jpeg.rs` does).
fn badge_psnr(input: &[u8], output: &[u8], l: &Labelled) -> f64 {
    let [x, y, w, h] = l.manifest.label.placement.region.unwrap();
    let labeler = ImageLabeler::default();
    let job = Job::new();
    let info = image::load_from_memory(input).unwrap();
    // The badge as stored: re-placed exactly as the labeler places it.
    let exif_orientation = {
        let mut d = image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(input)).unwrap();
        image::ImageDecoder::orientation(&mut d).unwrap()
    };
    let placed = tanba_image::badge::place_badge(
        &labeler.settings.font,
        &job.label,
        info.width(),
        info.height(),
        exif_orientation,
        job.position,
        &labeler.settings.style,
    )
    .unwrap();
    assert_eq!(placed.region(), [x, y, w, h]);
    let mut want = info;
    tanba_image::badge::blend_onto(&mut want, &placed.badge.rgba, x, y).unwrap();
    let want = decode(&today(input, &want)).to_rgb8();
    let got = decode(output).to_rgb8();
    let mut se = 0f64;
    for dy in 0..h {
        for dx in 0..w {
            let (a, b) = (
                want.get_pixel(x + dx, y + dy),
                got.get_pixel(x + dx, y + dy),
            );
            for c in 0..3 {
                se += (f64::from(a[c]) - f64::from(b[c])).powi(2);
            }
        }
    }
    let mse = se / f64::from(w * h * 3);
    10.0 * (255.0f64 * 255.0 / mse.max(1e-9)).log10()
}

/// The full re-encode's output for the blended pixels `img`.
fn today(input: &[u8], img: &image::DynamicImage) -> Vec<u8> {
    let (tables, sampling) = tables_and_sampling(input);
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 90);
    let chroma = tables.get(1).copied().unwrap_or(tables[0]);
    enc.set_quantization_tables(
        jpeg_encoder::QuantizationTableType::Custom(Box::new(tables[0])),
        jpeg_encoder::QuantizationTableType::Custom(Box::new(chroma)),
    );
    let grey = img.color().channel_count() == 1;
    if !grey {
        enc.set_sampling_factor(
            jpeg_encoder::SamplingFactor::from_factors(sampling.0, sampling.1).unwrap(),
        );
    }
    let (w, h) = (img.width() as u16, img.height() as u16);
    if grey {
        let l = img.to_luma8();
        enc.encode(l.as_raw(), w, h, jpeg_encoder::ColorType::Luma)
    } else {
        let rgb: RgbImage = img.to_rgb8();
        enc.encode(rgb.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)
    }
    .unwrap();
    out
}

/// The quantisation tables (natural order) and luma sampling of a JPEG.
fn tables_and_sampling(jpeg: &[u8]) -> (Vec<[u16; 64]>, (u8, u8)) {
    const ZIGZAG: [usize; 64] = [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27,
        20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];
    let (mut tables, mut sampling, mut pos) = (Vec::new(), (1, 1), 2);
    while jpeg[pos + 1] != 0xDA {
        let len = usize::from(u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]));
        let body = &jpeg[pos + 4..pos + 2 + len];
        if jpeg[pos + 1] == 0xDB {
            for t in body.chunks(65) {
                let mut q = [0u16; 64];
                for (k, &n) in ZIGZAG.iter().enumerate() {
                    q[n] = u16::from(t[1 + k]);
                }
                tables.push(q);
            }
        }
        if jpeg[pos + 1] == 0xC0 && body[5] > 1 {
            sampling = (body[7] >> 4, body[7] & 15);
        }
        pos += 2 + len;
    }
    (tables, sampling)
}

fn check(what: &str, input: &[u8]) {
    let (out, l) = label_plain(input);
    assert!(
        dct_path(&l),
        "{what}: labelled in the DCT domain: {:?}",
        l.notes
    );
    let region = l.manifest.label.placement.region.unwrap();
    assert_same_outside(input, &out, region, what);
    let psnr = badge_psnr(input, &out, &l);
    eprintln!("{what}: PSNR inside the badge against the full re-encode {psnr:.1} dB");
    assert!(psnr >= 35.0, "{what}: PSNR inside the badge {psnr:.1} dB");
    let v = ImageLabeler::default()
        .verify_bytes(&out, &Limits::default())
        .unwrap();
    assert!(v.is_compliant(), "{what}: verifies: {v:?}");
    // djpeg (libjpeg-turbo) decodes it too.
    assert!(!run("djpeg", &["-ppm"], &out).is_empty());
}

#[test]
fn baseline_samplings_keep_every_coefficient_outside_the_badge() {
    check(
        "4:2:0",
        &cjpeg(900, 620, &["-sample", "2x2", "-quality", "85"]),
    );
    check(
        "4:4:4",
        &cjpeg(700, 500, &["-sample", "1x1", "-quality", "92"]),
    );
    check(
        "4:2:2",
        &cjpeg(810, 600, &["-sample", "2x1", "-quality", "80"]),
    );
    check("grey", &cjpeg(640, 480, &["-grayscale", "-quality", "90"]));
    check(
        "4:1:1",
        &cjpeg(850, 600, &["-sample", "4x1", "-quality", "85"]),
    );
    check(
        "4:4:0",
        &cjpeg(700, 530, &["-sample", "1x2", "-quality", "85"]),
    );
}

#[test]
fn restart_intervals_and_optimised_tables_are_read() {
    // Restart every 7 MCUs (not a row), and tables made for this picture
    // (which lack codes the badge needs: the path builds its own).
    check(
        "restart 7",
        &cjpeg(830, 590, &["-restart", "7B", "-sample", "2x2"]),
    );
    check(
        "optimised",
        &cjpeg(760, 560, &["-optimize", "-sample", "2x2"]),
    );
    check(
        "optimised grey restart",
        &cjpeg(600, 430, &["-optimize", "-grayscale", "-restart", "1"]),
    );
}

#[test]
fn progressive_scans_are_decoded_to_the_same_coefficients() {
    // Spectral selection and successive approximation (cjpeg's default
    // script), in colour and grey, with restart intervals.
    check(
        "progressive 4:2:0",
        &cjpeg(840, 610, &["-progressive", "-sample", "2x2"]),
    );
    check(
        "progressive 4:4:4 restart",
        &cjpeg(
            700,
            520,
            &["-progressive", "-sample", "1x1", "-restart", "3B"],
        ),
    );
    check(
        "progressive grey",
        &cjpeg(620, 470, &["-progressive", "-grayscale"]),
    );
}

#[test]
fn exif_orientation_puts_the_badge_in_the_displayed_corner() {
    for o in [6u16, 8] {
        let input = with_orientation(&cjpeg(880, 600, &["-sample", "2x2"]), o);
        check(&format!("orientation {o}"), &input);
        // The marks go in as the re-encode writes them: XMP, the AIGC
        // label in EXIF UserComment, the source's EXIF kept.
        let (out, _) = label_plain(&input);
        let j = exiftool(&out, "jpg", &["-XMP:all", "-EXIF:all", "-n"]);
        assert!(j["XMP-tanba:Manifest"].is_string(), "{j:#}");
        assert_eq!(j["IFD0:Orientation"], o, "{j:#}");
        let comment = j["ExifIFD:UserComment"].as_str().unwrap_or_default();
        assert!(comment.starts_with("{\"AIGC\""), "{j:#}");
    }
}

#[test]
fn what_the_path_does_not_handle_is_re_encoded_whole() {
    for (what, input) in [("arithmetic", cjpeg(500, 400, &["-arithmetic"]))] {
        let (out, l) = match ImageLabeler::default().label_bytes(
            &input,
            None,
            &Job::new().with_watermark(None),
        ) {
            Ok(r) => r,
            // The re-encode's decoder may not read arithmetic coding.
            Err(e) if what == "arithmetic" => {
                assert_eq!(e.kind_name(), "malformed", "{e}");
                continue;
            }
            Err(e) => panic!("{what}: {e}"),
        };
        assert!(!dct_path(&l), "{what}: {:?}", l.notes);
        assert!(
            ImageLabeler::default()
                .verify_bytes(&out, &Limits::default())
                .unwrap()
                .is_compliant()
        );
    }
    // CMYK (Adobe, as ImageMagick writes it): re-encoded, and the note
    // says why.
    let made = Command::new("convert")
        .args(["-size", "320x240", "gradient:", "-colorspace", "CMYK"])
        .args(["-quality", "90", "jpg:-"])
        .output()
        .expect("ImageMagick is installed");
    assert!(made.status.success());
    let cmyk = made.stdout;
    let (out, l) = label_plain(&cmyk);
    assert!(!dct_path(&l), "{:?}", l.notes);
    assert!(
        l.notes
            .iter()
            .any(|n| n.contains("coefficient path does not take it): CMYK")),
        "{:?}",
        l.notes
    );
    assert!(
        ImageLabeler::default()
            .verify_bytes(&out, &Limits::default())
            .unwrap()
            .is_compliant()
    );
    // With the watermark (on by default), a picture under 2048 px on its
    // shorter side is re-encoded: the mark's SSIM floor needs its pixels.
    let input = cjpeg(600, 400, &["-sample", "2x2"]);
    let (_, l) = ImageLabeler::default()
        .label_bytes(&input, None, &Job::new())
        .unwrap();
    assert!(!dct_path(&l), "{:?}", l.notes);
}
