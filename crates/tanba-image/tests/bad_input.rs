//! Bad input and limits: each case has a defined outcome.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use image::DynamicImage;
use tanba_core::{Error, Job, LimitKind, Limits};
use tanba_image::ImageLabeler;

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    out
}

#[test]
fn zero_byte_file_is_malformed() {
    assert!(matches!(label(b"", None), Err(Error::Malformed { .. })));
    let v = ImageLabeler::default().verify_bytes(b"", &Limits::default());
    assert!(matches!(v, Err(Error::Malformed { .. })));
}

#[test]
fn not_an_image_is_unsupported() {
    assert!(matches!(
        label(b"hello, world", None),
        Err(Error::Unsupported { .. })
    ));
}

#[test]
fn giant_claimed_png_is_refused_before_decoding() {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend(png_chunk(b"IHDR", &ihdr));
    bytes.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    bytes.extend(png_chunk(b"IEND", &[]));
    let e = label(&bytes, None).unwrap_err();
    assert!(
        matches!(
            e,
            Error::LimitExceeded {
                kind: LimitKind::Dimension,
                value: 100_000,
                ..
            }
        ),
        "{e}"
    );
    // A tighter pixel budget refuses a modest image too.
    let small = png(&DynamicImage::ImageRgb8(noisy_rgb(400, 300, 1)));
    let job = Job::new().with_limits(Limits {
        max_pixels: 10_000,
        ..Limits::default()
    });
    let e = ImageLabeler::default()
        .label_bytes(&small, None, &job)
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::LimitExceeded {
                kind: LimitKind::Pixels,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn truncated_files_are_malformed() {
    let jpeg_bytes = jpeg(&noisy_rgb(400, 300, 2), 85, false, &[]);
    let png_bytes = png(&DynamicImage::ImageRgb8(noisy_rgb(400, 300, 2)));
    let webp_bytes = webp::Encoder::from_rgb(noisy_rgb(400, 300, 2).as_raw(), 400, 300)
        .encode(75.0)
        .to_vec();
    let mut gif_bytes = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(noisy_rgb(400, 300, 2))
        .write_to(&mut gif_bytes, image::ImageFormat::Gif)
        .unwrap();
    for (name, bytes) in [
        ("jpeg", jpeg_bytes),
        ("png", png_bytes),
        ("webp", webp_bytes),
        ("gif", gif_bytes.into_inner()),
    ] {
        for cut in [bytes.len() / 2, 20] {
            let e = label(&bytes[..cut], None).unwrap_err();
            assert!(
                matches!(e, Error::Malformed { .. }),
                "{name} cut at {cut}: {e}"
            );
        }
    }
}

#[test]
fn png_named_jpg_is_labelled_as_png() {
    let bytes = png(&DynamicImage::ImageRgb8(noisy_rgb(400, 300, 3)));
    let (out, l) = label(&bytes, Some("photo.jpg")).unwrap();
    assert_eq!(l.format.name, "png");
    assert!(out.starts_with(b"\x89PNG"));
    assert!(
        l.notes
            .iter()
            .any(|n| n.contains("the content is PNG although the name ends in .jpg")),
        "{:?}",
        l.notes
    );
}

#[test]
fn cmyk_jpeg_becomes_rgb_jpeg_with_a_note() {
    let rgb = noisy_rgb(400, 300, 4);
    let cmyk: Vec<u8> = rgb
        .pixels()
        .flat_map(|p| {
            let [r, g, b] = p.0;
            let k = 255 - r.max(g).max(b);
            [
                255 - r - k.min(255 - r),
                255 - g - k.min(255 - g),
                255 - b - k.min(255 - b),
                k,
            ]
        })
        .collect();
    let mut input = Vec::new();
    jpeg_encoder::Encoder::new(&mut input, 90)
        .encode(&cmyk, 400, 300, jpeg_encoder::ColorType::Cmyk)
        .unwrap();
    let (out, l) = label(&input, None).unwrap();
    assert!(
        l.notes
            .iter()
            .any(|n| n.contains("CMYK JPEG: converted to RGB")),
        "{:?}",
        l.notes
    );
    let back = decode(&out);
    assert!(matches!(back, DynamicImage::ImageRgb8(_)));
    assert_eq!((back.width(), back.height()), (400, 300));
    let v = ImageLabeler::default()
        .verify_bytes(&out, &Limits::default())
        .unwrap();
    assert!(v.is_compliant(), "{:?}", v.perceptible);
}

#[test]
fn too_small_for_a_legible_badge_is_refused() {
    for (w, h) in [(64, 64), (120, 90), (2000, 40)] {
        let bytes = png(&DynamicImage::ImageRgb8(noisy_rgb(w, h, 5)));
        let e = label(&bytes, None).unwrap_err();
        assert!(matches!(e, Error::CannotLabel { .. }), "{w}x{h}: {e}");
        assert!(
            e.to_string().contains("too small") || e.to_string().contains("does not fit"),
            "{e}"
        );
    }
    // A short label fits where the long one does not.
    let bytes = png(&DynamicImage::ImageRgb8(noisy_rgb(200, 150, 5)));
    assert!(label(&bytes, None).is_err());
    let job = Job::new().with_label(tanba_core::Label::standard(
        &[tanba_core::Lang::Kk],
        tanba_core::Wording::Short,
    ));
    assert!(
        ImageLabeler::default()
            .label_bytes(&bytes, None, &job)
            .is_ok()
    );
}

#[test]
fn apng_without_frame_control_is_malformed() {
    let still = png(&DynamicImage::ImageRgb8(noisy_rgb(300, 300, 6)));
    let apng = png_with_chunk(&still, b"acTL", &[0, 0, 0, 2, 0, 0, 0, 0]);
    let e = label(&apng, None).unwrap_err();
    assert!(matches!(e, Error::Malformed { .. }), "{e}");
    assert!(e.to_string().contains("no frame"), "{e}");
}

/// A GIF of `frames` frames of `fw` x `fh` on a `w` x `h` canvas.
fn gif_frames(w: u16, h: u16, frames: usize, fw: u16, fh: u16) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = gif::Encoder::new(&mut out, w, h, &[0, 0, 0, 255, 255, 255]).unwrap();
        let pixels = vec![1u8; usize::from(fw) * usize::from(fh)];
        for _ in 0..frames {
            let frame = gif::Frame {
                width: fw,
                height: fh,
                buffer: std::borrow::Cow::Borrowed(&pixels),
                ..gif::Frame::default()
            };
            enc.write_frame(&frame).unwrap();
        }
    }
    out
}

#[test]
fn gif_of_twenty_thousand_frames_is_refused_before_decoding() {
    let bytes = gif_frames(320, 240, 20_000, 1, 1);
    let start = std::time::Instant::now();
    let e = label(&bytes, None).unwrap_err();
    assert!(
        matches!(
            e,
            Error::LimitExceeded {
                kind: LimitKind::Frames,
                value: 20_000,
                ..
            }
        ),
        "{e}"
    );
    // Decoding and badging 20,000 frames takes minutes; the walk, moments.
    assert!(
        start.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn gif_frame_pixels_over_the_budget_are_refused() {
    // 4 frames of 300x300: 360,000 pixels decoded, over a 200,000 budget.
    let bytes = gif_frames(300, 300, 4, 300, 300);
    let job = Job::new().with_limits(Limits {
        max_animation_pixels: 200_000,
        ..Limits::default()
    });
    let e = ImageLabeler::default()
        .label_bytes(&bytes, None, &job)
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::LimitExceeded {
                kind: LimitKind::AnimationPixels,
                value: 360_000,
                ..
            }
        ),
        "{e}"
    );
    // Tiny frames still count as the whole canvas each: they are composited
    // onto it before the badge is drawn.
    let small = gif_frames(300, 300, 4, 2, 2);
    let e = ImageLabeler::default()
        .label_bytes(&small, None, &job)
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::LimitExceeded {
                kind: LimitKind::AnimationPixels,
                ..
            }
        ),
        "{e}"
    );
    // Within the budget it is labelled.
    let ok = gif_frames(300, 300, 2, 300, 300);
    assert!(ImageLabeler::default().label_bytes(&ok, None, &job).is_ok());
}

/// The rows `| `file` | kind | … |` of tests/bad/README.md.
fn expected_kinds(readme: &str) -> std::collections::BTreeMap<String, String> {
    readme
        .lines()
        .filter_map(|l| {
            let mut cells = l.strip_prefix("| `")?.split('|');
            let file = cells.next()?.trim().trim_end_matches('`').to_string();
            Some((file, cells.next()?.trim().to_string()))
        })
        .collect()
}

#[test]
fn committed_bad_inputs_are_refused_and_nothing_is_written() {
    use std::io::Write;
    let bad = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let expected = expected_kinds(&std::fs::read_to_string(bad.join("README.md")).unwrap());
    let out_dir = tempfile::tempdir().unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(&bad).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name == "README.md" {
            continue;
        }
        let kind = expected
            .get(&name)
            .unwrap_or_else(|| panic!("{name} has no row in tests/bad/README.md"));
        // Without libheif the crate cannot tell a bad HEIF from a good one.
        let heif = name.ends_with(".heic") || name.ends_with(".avif");
        let kind = if heif && !cfg!(feature = "heif") {
            "unsupported"
        } else {
            kind.as_str()
        };
        let input = std::fs::read(&path).unwrap();
        let target = out_dir.path().join(&name);
        // With and without the watermark: a JPEG takes the full re-encode
        // with it and the DCT-domain path without it; both must refuse.
        for job in [Job::default(), Job::default().with_watermark(None)] {
            // As the facade writes: a temporary file renamed only on success.
            let result = tanba_core::atomic::write_atomic(&target, |f| {
                let (out, _) = ImageLabeler::default().label_bytes(&input, Some(&path), &job)?;
                f.write_all(&out)?;
                Ok(())
            });
            let e = result.expect_err(&name);
            assert_eq!(e.kind_name(), kind, "{name}: {e}");
            assert!(e.to_string().len() > 10, "{name}: the error says why: {e}");
            // From its file through `Labeler::label`, as the CLI labels: a
            // sequential JPEG's scan is read through a window there
            // (src/jpeg_input.rs); the same error, nothing written.
            if name.ends_with(".jpg") {
                let result = tanba_core::atomic::write_atomic(&target, |f| {
                    let mut file = std::fs::File::open(&path)?;
                    let source = tanba_core::Source {
                        reader: &mut file,
                        format: &tanba_image::JPEG,
                        path: Some(&path),
                        len: input.len() as u64,
                    };
                    tanba_core::Labeler::label(&ImageLabeler::default(), source, f, &job)?;
                    Ok(())
                });
                let from_file = result.expect_err(&name);
                assert_eq!(from_file.to_string(), e.to_string(), "{name} from its file");
            }
        }
        assert_eq!(
            std::fs::read(&path).unwrap(),
            input,
            "{name}: input untouched"
        );
        seen += 1;
    }
    assert_eq!(seen, expected.len(), "every README row has its file");
    let left: Vec<_> = std::fs::read_dir(out_dir.path()).unwrap().collect();
    assert!(left.is_empty(), "nothing written: {left:?}");
}

#[test]
fn svg_nested_too_deep_or_too_long_is_refused_before_labelling() {
    let deep = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 100 100\">{}{}</svg>",
        "<g>".repeat(5000),
        "</g>".repeat(5000)
    );
    let e = label(deep.as_bytes(), Some("deep.svg")).unwrap_err();
    assert_eq!(e.kind_name(), "malformed", "{e}");
    assert!(e.to_string().contains("deeper than"), "{e}");
    // The same document within the depth limit labels.
    let fine = deep
        .replace(&"<g>".repeat(4000), "")
        .replace(&"</g>".repeat(4000), "");
    assert!(label(fine.as_bytes(), Some("ok.svg")).is_ok());
    let job = Job::new().with_limits(Limits {
        max_text_bytes: 1000,
        ..Limits::default()
    });
    let e = ImageLabeler::default()
        .label_bytes(deep.as_bytes(), None, &job)
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::LimitExceeded {
                kind: LimitKind::TextBytes,
                ..
            }
        ),
        "{e}"
    );
}
