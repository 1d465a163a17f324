//! Orientation: the badge and its rectangle turned for pictures stored
//! rotated or mirrored (EXIF orientation, phone video rotation).

use image::DynamicImage;
use image::GrayImage;
use image::metadata::Orientation;

use super::BadgeImage;
use tanba_core::{Error, Result};

/// The inverse of an EXIF orientation: what to apply to the displayed
/// picture to get the stored one.
pub fn inverse_orientation(o: Orientation) -> Orientation {
    match o {
        Orientation::Rotate90 => Orientation::Rotate270,
        Orientation::Rotate270 => Orientation::Rotate90,
        other => other,
    }
}

/// Where pixel (`x`, `y`) of a `w` x `h` picture lands after applying `o`.
pub fn map_pixel(o: Orientation, x: u32, y: u32, w: u32, h: u32) -> (u32, u32) {
    let (rx, ry) = (
        w.saturating_sub(1).saturating_sub(x),
        h.saturating_sub(1).saturating_sub(y),
    );
    match o {
        Orientation::NoTransforms => (x, y),
        Orientation::FlipHorizontal => (rx, y),
        Orientation::FlipVertical => (x, ry),
        Orientation::Rotate180 => (rx, ry),
        Orientation::Rotate90 => (ry, x),
        Orientation::Rotate270 => (y, rx),
        Orientation::Rotate90FlipH => (y, x),
        Orientation::Rotate270FlipH => (ry, rx),
    }
}

/// The size of a `w` x `h` picture after applying `o`.
pub fn oriented_size(o: Orientation, w: u32, h: u32) -> (u32, u32) {
    if swaps_axes(o) { (h, w) } else { (w, h) }
}

fn swaps_axes(o: Orientation) -> bool {
    matches!(
        o,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// Maps a rectangle `[x, y, w, h]` of a `pic_w` x `pic_h` picture through `o`.
pub fn map_rect(o: Orientation, rect: [u32; 4], pic_w: u32, pic_h: u32) -> [u32; 4] {
    let [x, y, w, h] = rect;
    let a = map_pixel(o, x, y, pic_w, pic_h);
    let b = map_pixel(
        o,
        x + w.saturating_sub(1),
        y + h.saturating_sub(1),
        pic_w,
        pic_h,
    );
    let (x0, x1) = (a.0.min(b.0), a.0.max(b.0));
    let (y0, y1) = (a.1.min(b.1), a.1.max(b.1));
    [x0, y0, x1 - x0 + 1, y1 - y0 + 1]
}

/// Clockwise rotation in degrees contained in an orientation (flips aside).
pub fn orientation_degrees(o: Orientation) -> u32 {
    match o {
        Orientation::Rotate90 | Orientation::Rotate90FlipH => 90,
        Orientation::Rotate180 | Orientation::FlipVertical => 180,
        Orientation::Rotate270 | Orientation::Rotate270FlipH => 270,
        Orientation::NoTransforms | Orientation::FlipHorizontal => 0,
    }
}

/// A grey image (a badge mask) transformed by `o`.
pub fn orient_gray(img: &GrayImage, o: Orientation) -> GrayImage {
    let mut d = DynamicImage::ImageLuma8(img.clone());
    d.apply_orientation(o);
    d.into_luma8()
}

/// The badge transformed by `o`: pass the *inverse* of a picture's
/// display orientation to get the badge as it must be stored so that it
/// reads upright when displayed.
pub fn orient_badge(badge: &BadgeImage, o: Orientation) -> BadgeImage {
    orient_badge_owned(badge.clone(), o)
}

/// [`orient_badge`] of a badge the caller no longer needs upright: no
/// copy when `o` leaves it as it is (a 100-MP picture's badge is 125 MB
/// of pixels and mask), and the buffers moved, not cloned, otherwise.
pub(crate) fn orient_badge_owned(badge: BadgeImage, o: Orientation) -> BadgeImage {
    if matches!(o, Orientation::NoTransforms) {
        return badge;
    }
    let mut rgba = DynamicImage::ImageRgba8(badge.rgba);
    rgba.apply_orientation(o);
    let mut mask = DynamicImage::ImageLuma8(badge.text_mask);
    mask.apply_orientation(o);
    BadgeImage {
        rgba: rgba.into_rgba8(),
        text_mask: mask.into_luma8(),
        text_px: badge.text_px,
        margin: badge.margin,
        lines: badge.lines,
    }
}

/// The badge rotated clockwise by 0, 90, 180 or 270 degrees (for video
/// stored rotated: rotate by the *opposite* of the display rotation).
pub fn rotate_badge(badge: &BadgeImage, degrees_cw: u32) -> Result<BadgeImage> {
    let o = match degrees_cw % 360 {
        0 => Orientation::NoTransforms,
        90 => Orientation::Rotate90,
        180 => Orientation::Rotate180,
        270 => Orientation::Rotate270,
        other => {
            return Err(Error::config(format!(
                "rotation {other} is not a multiple of 90 degrees"
            )));
        }
    };
    Ok(orient_badge(badge, o))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Luma};

    const ALL: [Orientation; 8] = [
        Orientation::NoTransforms,
        Orientation::FlipHorizontal,
        Orientation::Rotate180,
        Orientation::FlipVertical,
        Orientation::Rotate90FlipH,
        Orientation::Rotate90,
        Orientation::Rotate270FlipH,
        Orientation::Rotate270,
    ];

    #[test]
    fn pixel_map_agrees_with_image_crate() {
        let (w, h) = (5u32, 3u32);
        let src = ImageBuffer::from_fn(w, h, |x, y| Luma([(y * w + x) as u8]));
        for o in ALL {
            let mut d = DynamicImage::ImageLuma8(src.clone());
            d.apply_orientation(o);
            let out = d.into_luma8();
            assert_eq!(out.dimensions(), oriented_size(o, w, h), "{o:?}");
            for y in 0..h {
                for x in 0..w {
                    let (mx, my) = map_pixel(o, x, y, w, h);
                    assert_eq!(out.get_pixel(mx, my).0[0], (y * w + x) as u8, "{o:?}");
                }
            }
            // Inverse really inverts.
            let (ow, oh) = oriented_size(o, w, h);
            let (bx, by) = map_pixel(o, 1, 2, w, h);
            assert_eq!(
                map_pixel(inverse_orientation(o), bx, by, ow, oh),
                (1, 2),
                "{o:?}"
            );
        }
    }
}
