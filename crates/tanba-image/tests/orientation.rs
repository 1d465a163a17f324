//! EXIF orientation: for all eight orientations the badge must read upright
//! in the displayed bottom-right corner.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use image::metadata::Orientation;
use image::{DynamicImage, Rgb, RgbImage, RgbaImage};
use tanba_core::{Label, Position};
use tanba_image::badge::{self, BadgeStyle};

#[test]
fn badge_is_upright_in_the_displayed_corner_for_all_eight_orientations() {
    let (sw, sh) = (480u32, 320u32);
    let grey = Rgb([128u8, 128, 128]);
    for exif in 1..=8u8 {
        let o = Orientation::from_exif(exif).unwrap();
        // Uniform picture, so the expected display is exactly computable.
        let stored = DynamicImage::ImageRgb8(RgbImage::from_pixel(sw, sh, grey));
        let input = png_with_chunk(&png(&stored), b"eXIf", &exif_tiff(u16::from(exif)));
        // Without the watermark, whose few levels of noise would blur the
        // pixel-exact comparison below.
        let (out, labelled) = tanba_image::ImageLabeler::default()
            .label_bytes(&input, None, &tanba_core::Job::new().with_watermark(None))
            .unwrap();
        let placement = &labelled.manifest.label.placement;
        assert_eq!(
            placement.rotation,
            Some(badge::orientation_degrees(o)),
            "exif {exif}"
        );

        // What a viewer shows.
        let mut displayed = decode(&out);
        displayed.apply_orientation(o);
        let displayed = displayed.to_rgb8();
        let (dw, dh) = displayed.dimensions();
        assert_eq!((dw, dh), badge::oriented_size(o, sw, sh));

        // What it should show: the upright badge in the bottom-right corner.
        let upright = badge::render_badge(
            &Default::default(),
            &Label::default(),
            dw,
            dh,
            &BadgeStyle::default(),
        )
        .unwrap();
        let (x, y) = badge::badge_origin(
            Position::BottomRight,
            dw,
            dh,
            upright.width(),
            upright.height(),
            upright.margin,
        );
        let mut expected = RgbaImage::from_pixel(dw, dh, image::Rgba([128, 128, 128, 255]));
        badge::blend_badge(&mut expected, &upright.rgba, x, y);
        let mut worst = 0i32;
        for (px, py, p) in displayed.enumerate_pixels() {
            let e = expected.get_pixel(px, py).0;
            for (got, want) in p.0.iter().zip(e) {
                worst = worst.max((i32::from(*got) - i32::from(want)).abs());
            }
        }
        assert!(
            worst <= 2,
            "exif orientation {exif}: displayed differs from an upright bottom-right badge by {worst}"
        );
        // And the badge really is in the bottom-right quadrant, not elsewhere.
        assert_eq!(
            x + upright.width(),
            dw - upright.margin,
            "exif {exif}: right edge"
        );
        assert_eq!(
            y + upright.height(),
            dh - upright.margin,
            "exif {exif}: bottom edge"
        );

        let v = tanba_image::ImageLabeler::default()
            .verify_bytes(&out, &Default::default())
            .unwrap();
        assert!(v.perceptible.found, "exif {exif}: {:?}", v.perceptible);
    }
}

#[test]
fn jpeg_exif_orientation_is_honoured() {
    // Orientation 6: stored landscape, displayed portrait.
    let input = jpeg(&noisy_rgb(640, 480, 9), 85, false, &[(1, exif_app1(6))]);
    let (out, l) = label(&input, None).unwrap();
    assert_eq!(l.manifest.label.placement.rotation, Some(90));
    let mut shown = decode(&out);
    shown.apply_orientation(Orientation::Rotate90);
    assert_eq!((shown.width(), shown.height()), (480, 640));
    // The displayed bottom-right corner is dark box, the top-left is not.
    let shown = shown.to_luma8();
    let region = l.manifest.label.placement.region.unwrap();
    let displayed = badge::map_rect(Orientation::Rotate90, region, 640, 480);
    assert!(
        displayed[0] + displayed[2] > 400 && displayed[1] + displayed[3] > 560,
        "{displayed:?}"
    );
    assert!(
        shown
            .get_pixel(displayed[0] + 2, displayed[1] + displayed[3] / 2)
            .0[0]
            < 90
    );
    let v = tanba_image::ImageLabeler::default()
        .verify_bytes(&out, &Default::default())
        .unwrap();
    assert!(v.perceptible.found, "{:?}", v.perceptible);
}
