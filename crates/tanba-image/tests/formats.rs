//! Every format end to end: labelled output keeps format, size, depth and
//! alpha, carries the marks exiftool reads back, and verifies.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use image::{DynamicImage, GenericImageView};
use std::path::Path;
use tanba_core::{Error, Job, MarkKind};

use tanba_image::ImageLabeler;

const DST: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

/// exiftool sees the IPTC digital source type and the TC260 AIGC label.
fn assert_xmp_marks(bytes: &[u8], ext: &str) -> serde_json::Value {
    let j = exiftool(bytes, ext, &["-XMP:all", "-PNG:all"]);
    assert_eq!(j["XMP-iptcExt:DigitalSourceType"], DST, "{ext}: {j:#}");
    let aigc = j["XMP-TC260:Aigc"]
        .as_str()
        .unwrap_or_else(|| panic!("{ext}: no TC260 AIGC in {j:#}"));
    assert!(aigc.starts_with("{\"AIGC\":{\"Label\":\"1\""), "{aigc}");
    assert!(j["XMP-tanba:Manifest"].is_string(), "{ext}: {j:#}");
    j
}

fn assert_verifies(bytes: &[u8]) -> f64 {
    let v = ImageLabeler::default()
        .verify_bytes(bytes, &Default::default())
        .unwrap();
    assert!(v.manifest.is_some());
    assert!(v.perceptible.found, "{:?}", v.perceptible);
    assert!(v.is_compliant());
    v.perceptible.score.unwrap()
}

#[test]
fn jpeg_keeps_exif_icc_and_merges_existing_xmp() {
    let img = noisy_rgb(800, 600, 1);
    let icc = {
        let mut v = b"ICC_PROFILE\0\x01\x01".to_vec();
        v.extend_from_slice(&[7u8; 200]);
        v
    };
    let existing = concat!(
        "http://ns.adobe.com/xap/1.0/\0",
        r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">"#,
        r#"<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>Айгүл</rdf:li></rdf:Seq></dc:creator></rdf:Description>"#,
        "</rdf:RDF></x:xmpmeta>"
    );
    let input = jpeg(
        &img,
        85,
        false,
        &[
            (1, exif_app1(1)),
            (2, icc.clone()),
            (1, existing.as_bytes().to_vec()),
        ],
    );
    let (out, labelled) = label(&input, Some("photo.jpg")).unwrap();
    assert_eq!(labelled.format.name, "jpeg");
    let segments = app_segments(&out);
    assert!(
        segments
            .iter()
            .any(|(n, d)| *n == 1 && d.starts_with(b"Exif\0\0"))
    );
    assert!(segments.iter().any(|(n, d)| *n == 2 && d == &icc));
    let j = assert_xmp_marks(&out, "jpg");
    assert_eq!(j["XMP-dc:Creator"], "Айгүл", "existing XMP merged: {j:#}");
    let decoded = decode(&out);
    assert_eq!(decoded.dimensions(), (800, 600));
    assert!(matches!(decoded, DynamicImage::ImageRgb8(_)));
    let ratio = out.len() as f64 / input.len() as f64;
    assert!(ratio <= 1.2, "JPEG grew {ratio:.2}x");
    assert!(
        labelled
            .notes
            .iter()
            .any(|n| n.contains("quantisation tables (about IJG quality 85)")),
        "{:?}",
        labelled.notes
    );
    assert!(assert_verifies(&out) > 0.9);
}

#[test]
fn progressive_and_grey_jpeg_stay_so() {
    let img = noisy_rgb(640, 480, 2);
    let (out, _) = label(&jpeg(&img, 90, true, &[]), None).unwrap();
    // SOF2 marks a progressive JPEG.
    assert!(out.windows(2).any(|w| w == [0xFF, 0xC2]));
    let grey = DynamicImage::ImageRgb8(img).into_luma8();
    let mut input = Vec::new();
    jpeg_encoder::Encoder::new(&mut input, 80)
        .encode(grey.as_raw(), 640, 480, jpeg_encoder::ColorType::Luma)
        .unwrap();
    let (out, _) = label(&input, None).unwrap();
    assert!(matches!(decode(&out), DynamicImage::ImageLuma8(_)));
    assert_verifies(&out);
}

#[test]
fn png_variants_keep_depth_and_alpha_and_carry_text_aigc() {
    let rgb = DynamicImage::ImageRgb8(noisy_rgb(400, 300, 3));
    let cases: Vec<(&str, DynamicImage)> = vec![
        ("rgb8", rgb.clone()),
        ("rgba8", DynamicImage::ImageRgba8(rgb.to_rgba8())),
        ("grey8", DynamicImage::ImageLuma8(rgb.to_luma8())),
        ("greya8", DynamicImage::ImageLumaA8(rgb.to_luma_alpha8())),
        ("rgb16", DynamicImage::ImageRgb16(rgb.to_rgb16())),
        ("rgba16", DynamicImage::ImageRgba16(rgb.to_rgba16())),
        ("grey16", DynamicImage::ImageLuma16(rgb.to_luma16())),
    ];
    for (name, img) in cases {
        let input = png_with_chunk(
            &png(&img),
            b"iCCP",
            b"test\0\0\x78\x9c\x03\x00\x00\x00\x00\x01",
        );
        let (out, _) = label(&input, None).unwrap();
        let back = decode(&out);
        assert_eq!(back.color(), img.color(), "{name}");
        assert_eq!(back.dimensions(), img.dimensions(), "{name}");
        let j = assert_xmp_marks(&out, "png");
        assert!(
            j["PNG:AIGC"].as_str().unwrap().starts_with("{\"AIGC\""),
            "{name}: {j:#}"
        );
        assert!(out.windows(4).any(|w| w == b"iCCP"), "{name}: ICC kept");
        let v = ImageLabeler::default()
            .verify_bytes(&out, &Default::default())
            .unwrap();
        assert!(
            v.marks
                .iter()
                .any(|m| m.kind == MarkKind::Aigc && m.carrier == "PNG tEXt AIGC")
        );
        assert!(v.perceptible.found, "{name}: {:?}", v.perceptible);
    }
}

#[test]
fn palette_png_stays_palette() {
    let rgb = noisy_rgb(300, 300, 4);
    // A palette PNG with 16 colours.
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, 300, 300);
        enc.set_color(png::ColorType::Indexed);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_palette(
            (0..16u8)
                .flat_map(|i| [i * 16, 255 - i * 16, i * 8])
                .collect::<Vec<_>>(),
        );
        let mut w = enc.write_header().unwrap();
        let idx: Vec<u8> = rgb.pixels().map(|p| p.0[0] / 16).collect();
        w.write_image_data(&idx).unwrap();
    }
    let (labelled, notes) = label(&out, None).unwrap();
    let dec = png::Decoder::new(std::io::Cursor::new(&labelled));
    let reader = dec.read_info().unwrap();
    assert_eq!(reader.info().color_type, png::ColorType::Indexed);
    assert!(notes.notes.iter().any(|n| n.contains("re-quantised")));
    assert_xmp_marks(&labelled, "png");
}

#[test]
fn webp_lossy_stays_lossy_and_small_lossless_stays_lossless() {
    let img = noisy_rgb(640, 480, 5);
    let lossy = webp::Encoder::from_rgb(img.as_raw(), 640, 480)
        .encode(60.0)
        .to_vec();
    let (out, l) = label(&lossy, None).unwrap();
    assert!(out.windows(4).any(|w| w == b"VP8 "), "lossy output");
    assert!(!out.windows(4).any(|w| w == b"VP8L"));
    let ratio = out.len() as f64 / lossy.len() as f64;
    assert!(ratio <= 1.2, "lossy WebP grew {ratio:.2}x ({:?})", l.notes);
    assert!(
        l.notes.iter().any(|n| n.contains("quality 6")),
        "{:?}",
        l.notes
    );
    assert_xmp_marks(&out, "webp");
    assert_verifies(&out);

    let mut rgba = DynamicImage::ImageRgb8(img).to_rgba8();
    for (x, _, p) in rgba.enumerate_pixels_mut() {
        p.0[3] = if x < 100 { 0 } else { 255 };
    }
    let lossless = webp::Encoder::from_rgba(rgba.as_raw(), 640, 480)
        .encode_lossless()
        .to_vec();
    let (out, _) = label(&lossless, None).unwrap();
    assert!(out.windows(4).any(|w| w == b"VP8L"), "lossless output");
    assert!(decode(&out).color().has_alpha());
    assert_xmp_marks(&out, "webp");
    assert_verifies(&out);
}

#[test]
fn animated_gif_gets_the_badge_on_every_frame() {
    use image::codecs::gif::{GifEncoder, Repeat};
    use image::{Delay, Frame, RgbaImage};
    let mut input = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut input);
        enc.set_repeat(Repeat::Infinite).unwrap();
        for i in 0..3u8 {
            let f = RgbaImage::from_pixel(320, 240, image::Rgba([200, 60 * i, 250 - 60 * i, 255]));
            enc.encode_frame(Frame::from_parts(
                f,
                0,
                0,
                Delay::from_numer_denom_ms(100, 1),
            ))
            .unwrap();
        }
    }
    let (out, _) = label(&input, None).unwrap();
    assert_xmp_marks(&out, "gif");
    let dec = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(&out)).unwrap();
    let frames = image::AnimationDecoder::into_frames(dec)
        .collect_frames()
        .unwrap();
    assert_eq!(frames.len(), 3);
    let v = ImageLabeler::default()
        .verify_bytes(&out, &Default::default())
        .unwrap();
    let region = v.manifest.unwrap().label.placement.region.unwrap();
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f.delay().numer_denom_ms(), (100, 1));
        // The box darkens the frame inside the region and leaves it alone outside.
        let inside = f
            .buffer()
            .get_pixel(region[0] + 3, region[1] + region[3] / 2)
            .0;
        let outside = f.buffer().get_pixel(5, 5).0;
        assert!(
            inside[0] < 100 && outside[0] > 150,
            "frame {i}: {inside:?} {outside:?}"
        );
    }
    assert!(v.perceptible.found);
    let j = exiftool(&out, "gif", &["-GIF:all"]);
    assert_eq!(j["GIF:AnimationIterations"], "Infinite", "{j:#}");
}

/// A GIF whose frames are the labelled ones but the last, which is the
/// source's (no badge), under the labelled file's XMP: it must not verify.
#[test]
fn gif_with_an_unbadged_last_frame_fails_verification() {
    use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
    use image::{AnimationDecoder, Delay, Frame, RgbaImage};
    let encode = |frames: &[RgbaImage]| {
        let mut out = Vec::new();
        let mut enc = GifEncoder::new(&mut out);
        enc.set_repeat(Repeat::Infinite).unwrap();
        for f in frames {
            let delay = Delay::from_numer_denom_ms(100, 1);
            enc.encode_frame(Frame::from_parts(f.clone(), 0, 0, delay))
                .unwrap();
        }
        drop(enc);
        out
    };
    let decode = |b: &[u8]| -> Vec<RgbaImage> {
        GifDecoder::new(std::io::Cursor::new(b))
            .unwrap()
            .into_frames()
            .map(|f| f.unwrap().into_buffer())
            .collect()
    };
    let source: Vec<RgbaImage> = (0..3u8)
        .map(|i| RgbaImage::from_pixel(320, 240, image::Rgba([200, 60 * i, 250 - 60 * i, 255])))
        .collect();
    let input = encode(&source);
    let (out, _) = label(&input, None).unwrap();
    let whole = ImageLabeler::default()
        .verify_bytes(&out, &Default::default())
        .unwrap();
    assert!(whole.is_compliant());
    assert!(
        whole.perceptible.detail.contains("on all 3 frames"),
        "{}",
        whole.perceptible.detail
    );

    let mut frames = decode(&out);
    frames[2] = source[2].clone();
    let mut forged = encode(&frames);
    // The labelled file's XMP application extension, up to the end of its
    // magic trailer (..., 0x02, 0x01, 0x00) and block terminator.
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let start = find(&out, b"!\xff\x0bXMP DataXMP").expect("XMP extension");
    let end = start + find(&out[start..], &[0x02, 0x01, 0x00, 0x00]).unwrap() + 4;
    let at = find(&forged, b"!\xff\x0bNETSCAPE2.0").expect("loop extension");
    forged.splice(at..at, out[start..end].iter().copied());
    let v = ImageLabeler::default()
        .verify_bytes(&forged, &Default::default())
        .unwrap();
    assert!(v.manifest.is_some(), "the forged file keeps the marks");
    assert!(!v.is_compliant(), "{v:?}");
    assert!(
        v.perceptible.detail.contains("frame 3"),
        "{}",
        v.perceptible.detail
    );
}

#[test]
fn tiff_carries_xmp_in_tag_700_and_keeps_16_bit() {
    let img = DynamicImage::ImageRgb16(DynamicImage::ImageRgb8(noisy_rgb(400, 300, 6)).to_rgb16());
    let mut input = std::io::Cursor::new(Vec::new());
    img.write_to(&mut input, image::ImageFormat::Tiff).unwrap();
    let (out, _) = label(input.get_ref(), None).unwrap();
    let back = decode(&out);
    assert_eq!(back.color(), image::ColorType::Rgb16);
    assert_xmp_marks(&out, "tif");
    assert_verifies(&out);
}

#[test]
fn bmp_is_written_as_png_with_the_marks_and_verifies() {
    use tanba_core::Labeler;
    let img = DynamicImage::ImageRgb8(noisy_rgb(400, 300, 7));
    let mut input = std::io::Cursor::new(Vec::new());
    img.write_to(&mut input, image::ImageFormat::Bmp).unwrap();
    let labeler = ImageLabeler::default();
    assert_eq!(labeler.output_format(&tanba_image::BMP).name, "png");
    assert_eq!(labeler.output_format(&tanba_image::JPEG).name, "jpeg");
    // Without the watermark, which changes every pixel a little.
    let job = Job::default().with_watermark(None);
    let (out, l) = labeler
        .label_bytes(input.get_ref(), Some(Path::new("scan.bmp")), &job)
        .unwrap();
    assert!(out.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(l.format.name, "png");
    assert_eq!(l.manifest.media_type, "image/png");
    assert!(
        l.notes
            .iter()
            .any(|n| n == "BMP cannot carry a machine-readable mark; written as PNG"),
        "{:?}",
        l.notes
    );
    // Lossless: outside the badge every pixel is the BMP's.
    let back = decode(&out).to_rgb8();
    assert_eq!(back.dimensions(), (400, 300));
    assert_eq!(back.get_pixel(3, 3), img.to_rgb8().get_pixel(3, 3));
    let j = assert_xmp_marks(&out, "png");
    assert!(
        j["PNG:AIGC"]
            .as_str()
            .is_some_and(|a| a.contains("\"Label\":\"1\"")),
        "{j:#}"
    );
    assert_verifies(&out);
}

/// Lines of `exiftool -a -G1 -s` (every copy of every tag) naming `tag`.
fn count_tag(bytes: &[u8], ext: &str, group: &str, tag: &str) -> usize {
    exiftool_lines(bytes, ext)
        .lines()
        .filter(|l| {
            l.starts_with(&format!("[{group}]")) && l.split_whitespace().nth(1) == Some(tag)
        })
        .count()
}

#[test]
fn forced_relabel_replaces_the_marks_in_every_container() {
    let rgb = noisy_rgb(640, 480, 9);
    let encode = |format| {
        let mut c = std::io::Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(rgb.clone())
            .write_to(&mut c, format)
            .unwrap();
        c.into_inner()
    };
    let inputs = [
        ("jpg", jpeg(&rgb, 90, false, &[])),
        ("png", png(&DynamicImage::ImageRgb8(rgb.clone()))),
        (
            "webp",
            webp::Encoder::from_rgb(rgb.as_raw(), 640, 480)
                .encode(80.0)
                .to_vec(),
        ),
        ("gif", encode(image::ImageFormat::Gif)),
        ("tif", encode(image::ImageFormat::Tiff)),
    ];
    let forced = Job::new().with_force(true);
    for (ext, input) in inputs {
        let (once, first) = label(&input, None).unwrap();
        assert!(
            !first
                .notes
                .iter()
                .any(|n| n.contains("earlier visible label"))
        );
        let (twice, l) = ImageLabeler::default()
            .label_bytes(&once, None, &forced)
            .unwrap();
        assert!(
            l.notes
                .iter()
                .any(|n| n.contains("the earlier visible label stays")),
            "{ext}: {:?}",
            l.notes
        );
        let text = String::from_utf8_lossy(&twice);
        assert_eq!(
            text.matches("<x:xmpmeta").count(),
            1,
            "{ext}: one XMP packet"
        );
        assert_eq!(
            text.matches("<tanba:Manifest").count(),
            1,
            "{ext}: one manifest"
        );
        for (group, tag) in [
            ("XMP-TC260", "Aigc"),
            ("XMP-tanba", "Manifest"),
            ("XMP-iptcExt", "DigitalSourceType"),
        ] {
            assert_eq!(
                count_tag(&twice, ext, group, tag),
                1,
                "{ext}: {group}:{tag}"
            );
        }
        if ext == "png" {
            assert_eq!(count_tag(&twice, ext, "PNG", "AIGC"), 1, "one tEXt AIGC");
        }
        assert_verifies(&twice);
        // The new manifest is the one read back.
        let v = ImageLabeler::default()
            .verify_bytes(&twice, &Default::default())
            .unwrap();
        assert_eq!(v.manifest.unwrap().id, l.manifest.id, "{ext}");
    }
}

#[test]
fn already_labelled_is_refused_unless_forced() {
    let input = jpeg(&noisy_rgb(640, 480, 8), 85, false, &[]);
    let (once, _) = label(&input, None).unwrap();
    let again = label(&once, None);
    assert!(matches!(again, Err(Error::AlreadyLabelled { .. })));
    let forced = Job::new().with_force(true);
    let (twice, _) = ImageLabeler::default()
        .label_bytes(&once, None, &forced)
        .unwrap();
    let text = String::from_utf8_lossy(&twice);
    assert_eq!(
        text.matches("<tanba:Manifest>").count(),
        1,
        "one manifest after a forced relabel"
    );
}

#[test]
fn labels_in_parallel_threads() {
    let labeler = ImageLabeler::default();
    let inputs: Vec<Vec<u8>> = (0..4)
        .map(|i| jpeg(&noisy_rgb(400, 300, 20 + i), 80, false, &[]))
        .collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = inputs
            .iter()
            .map(|b| {
                s.spawn(|| {
                    labeler
                        .label_bytes(b, None, &Job::default())
                        .map(|(o, _)| o.len())
                })
            })
            .collect();
        for h in handles {
            assert!(h.join().unwrap().unwrap() > 1000);
        }
    });
}

#[test]
fn ffmpeg_made_jpeg_stays_within_the_size_budget() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("camera.jpg");
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc2=s=1280x720,noise=alls=25:allf=t,format=yuvj420p")
        .args(["-frames:v", "1", "-q:v", "3"])
        .arg(&path)
        .status()
        .expect("ffmpeg is installed (Debian: ffmpeg)");
    assert!(status.success());
    let input = std::fs::read(&path).unwrap();
    let (out, l) = label(&input, Some("camera.jpg")).unwrap();
    let ratio = out.len() as f64 / input.len() as f64;
    assert!(ratio <= 1.2, "grew {ratio:.2}x: {:?}", l.notes);
    // Quality did not drop: the re-encode stays close to the source outside
    // the badge (luma PSNR; this noise is the worst case for generation loss).
    let (a, b) = (decode(&input).to_luma8(), decode(&out).to_luma8());
    let region = l.manifest.label.placement.region.unwrap();
    let (mut sum, mut n) = (0f64, 0f64);
    for y in 0..region[1] {
        for x in 0..1280 {
            let d = f64::from(a.get_pixel(x, y).0[0]) - f64::from(b.get_pixel(x, y).0[0]);
            sum += d * d;
            n += 1.0;
        }
    }
    let psnr = 10.0 * (255.0f64 * 255.0 / (sum / n)).log10();
    assert!(psnr > 35.0, "re-encode PSNR {psnr:.1} dB");
    assert_verifies(&out);
}

/// A screenshot drawn by ImageMagick: a pale bar and 40 lines of code,
/// repeated text that zlib's matches compress and a fast coder does not
/// (fdeflate's stream is 2.7 times zlib's on it).
fn screenshot() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shot.png");
    let mut cmd = std::process::Command::new("convert");
    cmd.args([
        "-size", "1200x800", "xc:white", "-depth", "8", "-fill", "#e6ecf5",
    ])
    .args([
        "-draw",
        "rectangle 0,0 1199,60",
        "-fill",
        "#1e1e2e",
        "-pointsize",
        "14",
        "-font",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    ]);
    for i in 0..40 {
        cmd.arg("-annotate").arg(format!("+10+{}", 18 * i + 80)).arg(format!(
            "fn main() {{ let items = vec![{i}, 2, 3]; println!(\"{{:?}}\", items); }} // line {i}"
        ));
    }
    let status = cmd.arg(&path).status().expect("ImageMagick's convert runs");
    assert!(status.success());
    std::fs::read(&path).unwrap()
}

#[test]
fn png_outputs_stay_near_the_source_size() {
    // Photographs are written with fdeflate's fast coder, screenshots
    // again at zlib's level when the fast stream is much larger: either
    // way the output is at most a tenth larger, plus the badge's
    // anti-aliased text and the marks (about 28 KB on the screenshot).
    // That is without the watermark: its noise cannot be compressed
    // away losslessly, which costs a flat screenshot most (measured:
    // 11.7 kB in, 174 kB out, see the next test).
    let no_watermark = tanba_core::Job::default().with_watermark(None);
    for (name, input) in [
        (
            "photo",
            png(&DynamicImage::ImageRgb8(noisy_rgb(800, 600, 9))),
        ),
        ("screenshot", screenshot()),
    ] {
        let (out, labelled) = ImageLabeler::default()
            .label_bytes(&input, None, &no_watermark)
            .unwrap();
        assert!(labelled.manifest.watermark.is_none());
        let allowed = input.len() + input.len() / 10 + 32 * 1024;
        assert!(
            out.len() <= allowed,
            "{name}: {} bytes in, {} out (allowed {allowed})",
            input.len(),
            out.len()
        );
        assert_eq!(
            decode(&out).dimensions(),
            decode(&input).dimensions(),
            "{name}"
        );
        assert_verifies(&out);
    }
}

/// What the watermark costs a lossless PNG: a photograph's noise hides
/// it (within a third more bytes), a flat screenshot's deflate stream
/// grows many times over, yet stays under a quarter of its raw pixels.
#[test]
fn the_watermark_costs_png_bytes_within_bounds() {
    let photo = png(&DynamicImage::ImageRgb8(noisy_rgb(800, 600, 9)));
    let (out, labelled) = label(&photo, None).unwrap();
    assert!(labelled.manifest.watermark.is_some());
    assert!(
        out.len() <= photo.len() + photo.len() / 3 + 32 * 1024,
        "photo: {} bytes in, {} out",
        photo.len(),
        out.len()
    );
    let shot = screenshot();
    let (out, _) = label(&shot, None).unwrap();
    let raw = decode(&shot).as_bytes().len();
    assert!(
        out.len() <= raw / 4,
        "screenshot: {} raw, {} out",
        raw,
        out.len()
    );
    assert_verifies(&out);
}

/// The AIGC label goes in EXIF UserComment as well as XMP, the source's
/// EXIF (here its orientation) kept; verify counts it, and refuses a file
/// whose two copies disagree.
#[test]
fn jpeg_user_comment_carries_the_aigc_label_and_must_agree_with_xmp() {
    let input = jpeg(&noisy_rgb(640, 480, 9), 85, false, &[(1, exif_app1(3))]);
    let (out, _) = label(&input, Some("photo.jpg")).unwrap();
    let j = exiftool(&out, "jpg", &["-EXIF:all", "-XMP:all"]);
    let aigc = j["XMP-TC260:Aigc"].as_str().unwrap();
    assert_eq!(j["ExifIFD:UserComment"], aigc, "{j:#}");
    assert_eq!(j["IFD0:Orientation"], "Rotate 180", "{j:#}");
    let v = ImageLabeler::default()
        .verify_bytes(&out, &Default::default())
        .unwrap();
    assert!(
        v.marks
            .iter()
            .any(|m| m.kind == MarkKind::Aigc && m.carrier == "EXIF UserComment"),
        "{:?}",
        v.marks
    );
    // The EXIF copy comes first in the file; change its label only.
    let at = out
        .windows(11)
        .position(|w| w == b"\"Label\":\"1\"")
        .unwrap();
    let mut tampered = out.clone();
    tampered[at + 9] = b'0';
    let e = ImageLabeler::default()
        .verify_bytes(&tampered, &Default::default())
        .unwrap_err();
    assert!(matches!(e, Error::Unverified { .. }), "{e}");
}
