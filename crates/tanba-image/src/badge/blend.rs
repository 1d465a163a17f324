//! Blending: the badge composited over pixels of any layout the decoders
//! give, with "over" alpha so it also shows on transparent areas.

use image::{DynamicImage, ImageBuffer, Pixel, Primitive, RgbaImage};

use tanba_core::{Error, Result};

/// Composites `badge` (straight alpha) over `target` with its top-left at
/// (`x`, `y`); parts outside the target are clipped.
pub fn blend_badge(target: &mut RgbaImage, badge: &RgbaImage, x: u32, y: u32) {
    blend_buffer(target, badge, x, y);
}

/// Composites `badge` over any 8/16-bit or float image, in its own pixel
/// type (grey images get the badge's luminance). Alpha is combined with
/// "over", so the badge also shows on transparent areas.
pub fn blend_onto(target: &mut DynamicImage, badge: &RgbaImage, x: u32, y: u32) -> Result<()> {
    match target {
        DynamicImage::ImageLuma8(i) => blend_buffer(i, badge, x, y),
        DynamicImage::ImageLumaA8(i) => blend_buffer(i, badge, x, y),
        DynamicImage::ImageRgb8(i) => blend_rgb8(i, badge, x, y),
        DynamicImage::ImageRgba8(i) => blend_buffer(i, badge, x, y),
        DynamicImage::ImageLuma16(i) => blend_buffer(i, badge, x, y),
        DynamicImage::ImageLumaA16(i) => blend_buffer(i, badge, x, y),
        DynamicImage::ImageRgb16(i) => blend_buffer(i, badge, x, y),
        DynamicImage::ImageRgba16(i) => blend_buffer(i, badge, x, y),
        DynamicImage::ImageRgb32F(i) => blend_buffer(i, badge, x, y),
        DynamicImage::ImageRgba32F(i) => blend_buffer(i, badge, x, y),
        _ => {
            return Err(Error::unsupported(
                "pixel layout the badge cannot be drawn on",
            ));
        }
    }
    Ok(())
}

/// The common case (JPEG, opaque PNG) in integer arithmetic: the generic
/// path's per-channel float work is most of the blend on a large badge.
/// Same result as [`blend_buffer`] up to rounding (at most 1 level).
fn blend_rgb8(target: &mut image::RgbImage, badge: &RgbaImage, x: u32, y: u32) {
    let w = badge.width().min(target.width().saturating_sub(x)) as usize;
    let h = badge.height().min(target.height().saturating_sub(y)) as usize;
    let target_w = target.width() as usize;
    let badge_w = badge.width() as usize;
    let src: &[u8] = badge.as_raw();
    let dst: &mut [u8] = target;
    for by in 0..h {
        let at = (y as usize + by) * target_w + x as usize;
        let (Some(d), Some(s)) = (
            dst.get_mut(at * 3..(at + w) * 3),
            src.get(by * badge_w * 4..(by * badge_w + w) * 4),
        ) else {
            return;
        };
        for (dp, sp) in d.chunks_exact_mut(3).zip(s.chunks_exact(4)) {
            let a = u32::from(sp[3]);
            if a == 0 {
                continue;
            }
            let keep = 255 - a;
            for (dc, &sc) in dp.iter_mut().zip(sp) {
                *dc = ((u32::from(sc) * a + u32::from(*dc) * keep + 127) / 255) as u8;
            }
        }
    }
}

fn blend_buffer<P>(target: &mut ImageBuffer<P, Vec<P::Subpixel>>, badge: &RgbaImage, x: u32, y: u32)
where
    P: Pixel,
    P::Subpixel: Primitive,
{
    use num_traits::ToPrimitive;
    let max = <P::Subpixel as Primitive>::DEFAULT_MAX_VALUE
        .to_f32()
        .unwrap_or(1.0);
    let channels = usize::from(P::CHANNEL_COUNT);
    let has_alpha = P::HAS_ALPHA;
    let colour_channels = if has_alpha { channels - 1 } else { channels };
    let w = badge.width().min(target.width().saturating_sub(x));
    let h = badge.height().min(target.height().saturating_sub(y));
    let cast = |v: f32| -> P::Subpixel {
        <P::Subpixel as num_traits::NumCast>::from(v.clamp(0.0, max))
            .unwrap_or(<P::Subpixel as Primitive>::DEFAULT_MIN_VALUE)
    };
    let is_float = max <= 1.0;
    for by in 0..h {
        for bx in 0..w {
            let b = badge.get_pixel(bx, by).0;
            let a = f32::from(b[3]) / 255.0;
            if a <= 0.0 {
                continue;
            }
            let src: [f32; 3] = [b[0], b[1], b[2]].map(|c| f32::from(c) / 255.0);
            let grey = 0.2126 * src[0] + 0.7152 * src[1] + 0.0722 * src[2];
            let px = target.get_pixel_mut(x + bx, y + by);
            let ch = px.channels_mut();
            let dst_a = if has_alpha {
                ch[channels - 1].to_f32().unwrap_or(max) / max
            } else {
                1.0
            };
            let out_a = a + dst_a * (1.0 - a);
            for (c, slot) in ch.iter_mut().take(colour_channels).enumerate() {
                let s = if colour_channels == 1 {
                    grey
                } else {
                    src[c.min(2)]
                };
                let d = slot.to_f32().unwrap_or(0.0) / max;
                let v = if out_a > 0.0 {
                    (s * a + d * dst_a * (1.0 - a)) / out_a
                } else {
                    0.0
                };
                *slot = cast(if is_float { v * max } else { (v * max).round() });
            }
            if has_alpha {
                ch[channels - 1] = cast(if is_float {
                    out_a * max
                } else {
                    (out_a * max).round()
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    #[test]
    fn integer_rgb8_blend_matches_the_generic_blend() {
        let mut x: u32 = 12345;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x & 0xFF) as u8
        };
        let badge = RgbaImage::from_fn(37, 23, |_, _| Rgba([next(), next(), next(), next()]));
        let base = image::RgbImage::from_fn(50, 40, |_, _| image::Rgb([next(), next(), next()]));
        let (mut fast, mut generic) = (base.clone(), base);
        // Also past the right and bottom edges: both clip the same way.
        for (bx, by) in [(3, 5), (30, 30)] {
            blend_rgb8(&mut fast, &badge, bx, by);
            blend_buffer(&mut generic, &badge, bx, by);
        }
        for (a, b) in fast.as_raw().iter().zip(generic.as_raw()) {
            assert!(a.abs_diff(*b) <= 1, "{a} vs {b}");
        }
    }
}
