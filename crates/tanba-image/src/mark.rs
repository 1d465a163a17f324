//! The imperceptible watermark (`tanba-watermark`) on a picture's pixels:
//! added to every raster picture and every frame of an animation before
//! the badge is drawn, and read back for `verify`.

use image::{DynamicImage, GrayImage, ImageBuffer, Pixel, Primitive, RgbImage, RgbaImage};

use tanba_core::{Result, WatermarkFound, WatermarkKey};
use tanba_watermark::{Key, KnownReader, MIN_PICTURE_SIDE};

/// The mark one output carries.
#[derive(Debug, Clone)]
pub(crate) struct Watermark {
    /// The manifest id's first 64 bits.
    pub payload: u64,
    /// The key it is made with.
    pub key: WatermarkKey,
    /// Set when the embedder found the mark weak in some frame (busy fine
    /// detail as strong as the mark), for a note: it may not survive much
    /// handling.
    pub weak: std::cell::Cell<bool>,
}

impl Watermark {
    /// The mark of `payload` made with `key`.
    pub(crate) fn new(payload: u64, key: WatermarkKey) -> Self {
        Watermark {
            payload,
            key,
            weak: std::cell::Cell::new(false),
        }
    }

    /// Embeds into an 8-bit RGB picture, remembering a weak result.
    fn embed(&self, rgb: &mut RgbImage) -> Result<()> {
        let strength = tanba_watermark::embed(rgb, self.payload, key_of(self.key))?;
        if strength.is_weak() {
            self.weak.set(true);
        }
        Ok(())
    }
}

/// The watermark library's key for one of ours (the same seed).
pub(crate) fn key_of(key: WatermarkKey) -> Key {
    Key::private(key.0)
}

/// Whether a picture of this stored size can carry the mark; the reason
/// when it cannot.
pub(crate) fn too_small(width: u32, height: u32) -> Option<String> {
    (width.min(height) < MIN_PICTURE_SIDE).then(|| {
        format!(
            "no watermark: the picture ({width}x{height}) is under {MIN_PICTURE_SIDE} px on its \
             shorter side, too small to carry one readably"
        )
    })
}

/// Adds the mark to a decoded picture of any pixel layout, in place.
pub(crate) fn apply(img: &mut DynamicImage, mark: Option<&Watermark>) -> Result<()> {
    let Some(mark) = mark else {
        return Ok(());
    };
    if let DynamicImage::ImageRgb8(rgb) = img {
        // The common case (JPEG, opaque PNG): marked directly.
        return mark.embed(rgb);
    }
    let before = img.to_rgb8();
    let mut after = before.clone();
    mark.embed(&mut after)?;
    match img {
        DynamicImage::ImageLuma8(i) => add_delta(i, &before, &after),
        DynamicImage::ImageLumaA8(i) => add_delta(i, &before, &after),
        DynamicImage::ImageRgba8(i) => add_delta(i, &before, &after),
        DynamicImage::ImageLuma16(i) => add_delta(i, &before, &after),
        DynamicImage::ImageLumaA16(i) => add_delta(i, &before, &after),
        DynamicImage::ImageRgb16(i) => add_delta(i, &before, &after),
        DynamicImage::ImageRgba16(i) => add_delta(i, &before, &after),
        DynamicImage::ImageRgb32F(i) => add_delta(i, &before, &after),
        DynamicImage::ImageRgba32F(i) => add_delta(i, &before, &after),
        _ => {}
    }
    Ok(())
}

/// Adds the mark to one RGBA frame of an animation, in place.
pub(crate) fn apply_rgba(frame: &mut RgbaImage, mark: Option<&Watermark>) -> Result<()> {
    let Some(mark) = mark else {
        return Ok(());
    };
    let before = DynamicImage::ImageRgba8(frame.clone()).into_rgb8();
    let mut after = before.clone();
    mark.embed(&mut after)?;
    add_delta(frame, &before, &after);
    Ok(())
}

/// Adds the change from `before` to `after` (8-bit RGB copies of `target`)
/// to `target` in its own sample type: grey pictures take the luma of the
/// change, alpha is left alone.
fn add_delta<P>(target: &mut ImageBuffer<P, Vec<P::Subpixel>>, before: &RgbImage, after: &RgbImage)
where
    P: Pixel,
    P::Subpixel: Primitive,
{
    use num_traits::ToPrimitive;
    let max = <P::Subpixel as Primitive>::DEFAULT_MAX_VALUE
        .to_f32()
        .unwrap_or(1.0);
    let scale = max / 255.0;
    let colour = usize::from(P::CHANNEL_COUNT) - usize::from(P::HAS_ALPHA);
    let cast = |v: f32| -> P::Subpixel {
        <P::Subpixel as num_traits::NumCast>::from(v.clamp(0.0, max))
            .unwrap_or(<P::Subpixel as Primitive>::DEFAULT_MIN_VALUE)
    };
    let rounded = |v: f32| if max > 1.0 { v.round() } else { v };
    for ((px, b), a) in target.pixels_mut().zip(before.pixels()).zip(after.pixels()) {
        if a == b {
            continue;
        }
        let d = [0, 1, 2].map(|c| f32::from(a[c]) - f32::from(b[c]));
        let ch = px.channels_mut();
        if colour == 1 {
            let luma = 0.299 * d[0] + 0.587 * d[1] + 0.114 * d[2];
            let v = ch[0].to_f32().unwrap_or(0.0) + luma * scale;
            ch[0] = cast(rounded(v));
        } else {
            for (slot, dc) in ch.iter_mut().zip(d) {
                let v = slot.to_f32().unwrap_or(0.0) + dc * scale;
                *slot = cast(rounded(v));
            }
        }
    }
}

/// Reads the mark made with `key` from a decoded picture.
pub(crate) fn read(img: &DynamicImage, key: WatermarkKey) -> Option<WatermarkFound> {
    let rgb = match img {
        DynamicImage::ImageRgb8(rgb) => std::borrow::Cow::Borrowed(rgb),
        other => std::borrow::Cow::Owned(other.to_rgb8()),
    };
    tanba_watermark::detect_details(&rgb, key_of(key)).map(|d| WatermarkFound {
        payload: d.payload,
        strength: d.sync_z,
        key: key.kind(),
    })
}

/// Reads the mark made with `key` where it was embedded (the picture's
/// own size, no blind search), from an 8-bit luma plane of the stored
/// picture: a labeler's check of its own output.
pub(crate) fn read_known_luma(luma: &GrayImage, key: WatermarkKey) -> Option<WatermarkFound> {
    let mut reader = KnownReader::new(key_of(key));
    let stride = luma.width() as usize;
    reader.push_luma(luma.as_raw(), luma.width(), luma.height(), stride);
    found(reader.read(), key)
}

/// [`read_known_luma`] from a decoded picture of any pixel layout.
pub(crate) fn read_known(img: &DynamicImage, key: WatermarkKey) -> Option<WatermarkFound> {
    let mut reader = KnownReader::new(key_of(key));
    match img {
        DynamicImage::ImageRgb8(rgb) => reader.push_rgb(rgb),
        other => reader.push_rgb(&other.to_rgb8()),
    }
    found(reader.read(), key)
}

pub(crate) fn found(
    d: Option<tanba_watermark::Detection>,
    key: WatermarkKey,
) -> Option<WatermarkFound> {
    d.map(|d| WatermarkFound {
        payload: d.payload,
        strength: d.sync_z,
        key: key.kind(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(w: u32, h: u32) -> RgbImage {
        // A gradient with mild noise: a photograph's statistics, roughly.
        let mut x: u32 = 99;
        RgbImage::from_fn(w, h, |px, py| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let v = (40 + (px + py) * 160 / (w + h)) as u8 + (x & 0x0F) as u8;
            image::Rgb([v, v / 2 + 40, v])
        })
    }

    #[test]
    fn every_pixel_layout_takes_the_mark_and_it_reads_back() {
        let mark = Watermark::new(0x0123_4567_89ab_cdef, WatermarkKey::PUBLIC);
        let base = DynamicImage::ImageRgb8(noise(512, 384));
        for mut img in [
            base.clone(),
            DynamicImage::ImageRgba8(base.to_rgba8()),
            DynamicImage::ImageLuma8(base.to_luma8()),
            DynamicImage::ImageRgb16(base.to_rgb16()),
        ] {
            assert_eq!(read(&img, WatermarkKey::PUBLIC), None, "unmarked");
            apply(&mut img, Some(&mark)).unwrap();
            let found = read(&img, WatermarkKey::PUBLIC)
                .unwrap_or_else(|| panic!("the mark reads back from {:?}", img.color()));
            assert_eq!(found.payload, mark.payload);
            assert_eq!(found.key, "public");
            assert_eq!(
                read(&img, WatermarkKey(7)),
                None,
                "another key reads nothing"
            );
        }
        let mut frame = base.to_rgba8();
        apply_rgba(&mut frame, Some(&mark)).unwrap();
        let found = read(&DynamicImage::ImageRgba8(frame), WatermarkKey::PUBLIC);
        assert_eq!(found.map(|f| f.payload), Some(mark.payload));
        assert!(too_small(255, 900).is_some() && too_small(256, 256).is_none());
        // Read where it was embedded, from the picture or its luma alone.
        let mut img = base.clone();
        assert_eq!(read_known(&img, WatermarkKey::PUBLIC), None, "unmarked");
        apply(&mut img, Some(&mark)).unwrap();
        let known = read_known(&img, WatermarkKey::PUBLIC).map(|f| f.payload);
        assert_eq!(known, Some(mark.payload));
        let luma = read_known_luma(&img.to_luma8(), WatermarkKey::PUBLIC);
        assert_eq!(
            luma.map(|f| (f.payload, f.key)),
            Some((mark.payload, "public"))
        );
        assert_eq!(read_known(&img, WatermarkKey(7)), None, "another key");
    }

    #[test]
    fn a_busy_picture_is_reported_weak_and_a_smooth_one_is_not() {
        // Full-range noise at pixel scale: detail as strong as the mark.
        let mut x: u32 = 7;
        let busy = RgbImage::from_fn(512, 384, |_, _| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            image::Rgb([(x & 0xFF) as u8; 3])
        });
        let on_busy = Watermark::new(5, WatermarkKey::PUBLIC);
        apply(&mut DynamicImage::ImageRgb8(busy), Some(&on_busy)).unwrap();
        let on_smooth = Watermark::new(5, WatermarkKey::PUBLIC);
        apply(
            &mut DynamicImage::ImageRgb8(noise(1024, 768)),
            Some(&on_smooth),
        )
        .unwrap();
        assert!(on_busy.weak.get(), "busy");
        assert!(!on_smooth.weak.get(), "smooth");
    }
}
