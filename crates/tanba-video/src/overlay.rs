//! The badge converted once into a frame's own YUV planes, and blended
//! into each frame in place.
//!
//! The RGBA badge is turned into Y, Cb, Cr and alpha at the stream's bit
//! depth, chroma subsampling, matrix (BT.601/709/2020) and range, so a frame
//! costs one integer blend over the badge's pixels and nothing else.

use ffmpeg::format::Pixel;
use ffmpeg::util::color;
use ffmpeg_next as ffmpeg;

use tanba_core::{Error, Result};
use tanba_image::BadgeImage;

/// The RGB to YCbCr matrix of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColourMatrix {
    /// BT.601 (SD).
    Bt601,
    /// BT.709 (HD).
    Bt709,
    /// BT.2020 non-constant luminance (UHD, HDR).
    Bt2020,
}

impl ColourMatrix {
    /// The matrix a stream signals; unsigned streams get what players
    /// assume: BT.709 from 720 lines up, BT.601 below.
    pub fn of(space: color::Space, height: u32) -> Self {
        match space {
            color::Space::BT709 => ColourMatrix::Bt709,
            color::Space::BT2020NCL | color::Space::BT2020CL => ColourMatrix::Bt2020,
            color::Space::BT470BG | color::Space::SMPTE170M | color::Space::FCC => {
                ColourMatrix::Bt601
            }
            _ if height >= 720 => ColourMatrix::Bt709,
            _ => ColourMatrix::Bt601,
        }
    }

    /// (Kr, Kb).
    fn coefficients(self) -> (f32, f32) {
        match self {
            ColourMatrix::Bt601 => (0.299, 0.114),
            ColourMatrix::Bt709 => (0.2126, 0.0722),
            ColourMatrix::Bt2020 => (0.2627, 0.0593),
        }
    }
}

/// The memory layout of a planar YUV frame the blender writes into directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PlanarLayout {
    /// log2 of horizontal chroma subsampling.
    pub chroma_shift_x: u32,
    /// log2 of vertical chroma subsampling.
    pub chroma_shift_y: u32,
    /// Bits per sample (8, 10 or 12); above 8, samples are little-endian u16.
    pub bits: u32,
    /// Full range (JPEG) rather than limited (TV) range by the pixel format itself.
    pub full_range_format: bool,
}

impl PlanarLayout {
    /// The layout of a pixel format we blend into without conversion.
    pub(crate) fn of(pixel: Pixel) -> Option<Self> {
        let l = |sx, sy, bits, full| PlanarLayout {
            chroma_shift_x: sx,
            chroma_shift_y: sy,
            bits,
            full_range_format: full,
        };
        Some(match pixel {
            Pixel::YUV420P => l(1, 1, 8, false),
            Pixel::YUVJ420P => l(1, 1, 8, true),
            Pixel::YUV422P => l(1, 0, 8, false),
            Pixel::YUVJ422P => l(1, 0, 8, true),
            Pixel::YUV444P => l(0, 0, 8, false),
            Pixel::YUVJ444P => l(0, 0, 8, true),
            Pixel::YUV420P10LE => l(1, 1, 10, false),
            Pixel::YUV422P10LE => l(1, 0, 10, false),
            Pixel::YUV444P10LE => l(0, 0, 10, false),
            Pixel::YUV420P12LE => l(1, 1, 12, false),
            _ => return None,
        })
    }
}

/// One plane of the overlay: values and alpha (0..=256) per sample.
#[derive(Debug, Clone, Default)]
struct OverlayPlane {
    width: usize,
    height: usize,
    value: Vec<u16>,
    alpha: Vec<u16>,
}

/// The frames an overlay is blended into: their stored size and how their
/// planes hold colour.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FrameSpec {
    pub width: u32,
    pub height: u32,
    pub layout: PlanarLayout,
    pub matrix: ColourMatrix,
    /// Full-range (JPEG) rather than limited-range samples.
    pub full_range: bool,
}

/// A badge pre-converted for one stream, at a fixed place in the frame.
#[derive(Debug, Clone)]
pub(crate) struct Overlay {
    /// Left edge in luma samples (a multiple of the chroma subsampling).
    pub x: usize,
    /// Top edge in luma samples.
    pub y: usize,
    layout: PlanarLayout,
    planes: [OverlayPlane; 3],
}

impl Overlay {
    /// Converts `badge` (straight-alpha RGBA, already turned as stored) for
    /// `frame`'s frames, with its top-left at (`x`, `y`). The origin is
    /// moved down/left onto the chroma grid when needed; the returned
    /// overlay says where it really is.
    pub(crate) fn new(badge: &BadgeImage, x: u32, y: u32, frame: FrameSpec) -> Result<Self> {
        let FrameSpec {
            width: frame_w,
            height: frame_h,
            layout,
            matrix,
            full_range,
        } = frame;
        let align_x = (1u32 << layout.chroma_shift_x) - 1;
        let align_y = (1u32 << layout.chroma_shift_y) - 1;
        let x = (x & !align_x) as usize;
        let y = (y & !align_y) as usize;
        let w = (badge.width() as usize).min((frame_w as usize).saturating_sub(x));
        let h = (badge.height() as usize).min((frame_h as usize).saturating_sub(y));
        if w == 0 || h == 0 {
            return Err(Error::cannot_label(format!(
                "the badge does not fit a {frame_w}x{frame_h} frame"
            )));
        }
        let full = full_range || layout.full_range_format;
        let max = f32::from(u16::try_from((1u32 << layout.bits) - 1).unwrap_or(u16::MAX));
        let scale = (1u32 << (layout.bits - 8)) as f32;
        let (kr, kb) = matrix.coefficients();
        // YCbCr of one straight-alpha sRGB pixel, in the stream's code values.
        let to_ycc = |r: f32, g: f32, b: f32| -> [f32; 3] {
            let yy = kr * r + (1.0 - kr - kb) * g + kb * b;
            let cb = (b - yy) / (2.0 * (1.0 - kb));
            let cr = (r - yy) / (2.0 * (1.0 - kr));
            if full {
                [
                    yy * 255.0 * scale,
                    (128.0 + cb * 255.0) * scale,
                    (128.0 + cr * 255.0) * scale,
                ]
            } else {
                [
                    (16.0 + yy * 219.0) * scale,
                    (128.0 + cb * 224.0) * scale,
                    (128.0 + cr * 224.0) * scale,
                ]
            }
        };
        let q = |v: f32| v.round().clamp(0.0, max) as u16;
        let px = |bx: usize, by: usize| -> ([f32; 3], f32) {
            let p = badge.rgba.get_pixel(bx as u32, by as u32).0;
            let a = f32::from(p[3]) / 255.0;
            (
                to_ycc(
                    f32::from(p[0]) / 255.0,
                    f32::from(p[1]) / 255.0,
                    f32::from(p[2]) / 255.0,
                ),
                a,
            )
        };

        let mut luma = OverlayPlane {
            width: w,
            height: h,
            value: vec![0; w * h],
            alpha: vec![0; w * h],
        };
        for by in 0..h {
            for bx in 0..w {
                let (ycc, a) = px(bx, by);
                luma.value[by * w + bx] = q(ycc[0]);
                luma.alpha[by * w + bx] = (a * 256.0).round() as u16;
            }
        }
        // Chroma: each sample covers a block of luma pixels; average the
        // colour weighted by alpha, and the alpha plainly.
        let (sx, sy) = (layout.chroma_shift_x, layout.chroma_shift_y);
        let cw = (w + (1 << sx) - 1) >> sx;
        let ch = (h + (1 << sy) - 1) >> sy;
        let mut cb = OverlayPlane {
            width: cw,
            height: ch,
            value: vec![0; cw * ch],
            alpha: vec![0; cw * ch],
        };
        let mut cr = cb.clone();
        for cy in 0..ch {
            for cx in 0..cw {
                let (mut sum_a, mut sum_b, mut sum_r, mut n) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
                for by in (cy << sy)..((cy + 1) << sy).min(h) {
                    for bx in (cx << sx)..((cx + 1) << sx).min(w) {
                        let (ycc, a) = px(bx, by);
                        sum_a += a;
                        sum_b += ycc[1] * a;
                        sum_r += ycc[2] * a;
                        n += 1.0;
                    }
                }
                let i = cy * cw + cx;
                let alpha = if n > 0.0 { sum_a / n } else { 0.0 };
                cb.alpha[i] = (alpha * 256.0).round() as u16;
                cr.alpha[i] = cb.alpha[i];
                if sum_a > 0.0 {
                    cb.value[i] = q(sum_b / sum_a);
                    cr.value[i] = q(sum_r / sum_a);
                }
            }
        }
        Ok(Overlay {
            x,
            y,
            layout,
            planes: [luma, cb, cr],
        })
    }

    /// The box actually covered, `[x, y, w, h]` in luma samples.
    pub(crate) fn region(&self) -> [u32; 4] {
        let p = &self.planes[0];
        [
            self.x as u32,
            self.y as u32,
            p.width as u32,
            p.height as u32,
        ]
    }

    /// Blends the overlay into a frame of the layout it was built for.
    pub(crate) fn blend(&self, frame: &mut ffmpeg::frame::Video) -> Result<()> {
        if frame.planes() < 3 {
            return Err(Error::malformed("a decoded frame lacks its chroma planes"));
        }
        for (index, plane) in self.planes.iter().enumerate() {
            let (ox, oy) = if index == 0 {
                (self.x, self.y)
            } else {
                (
                    self.x >> self.layout.chroma_shift_x,
                    self.y >> self.layout.chroma_shift_y,
                )
            };
            let stride = frame.stride(index);
            let plane_w = frame.plane_width(index) as usize;
            let plane_h = frame.plane_height(index) as usize;
            let w = plane.width.min(plane_w.saturating_sub(ox));
            let h = plane.height.min(plane_h.saturating_sub(oy));
            let data = frame.data_mut(index);
            for row in 0..h {
                let src = row * plane.width;
                let dst = (oy + row) * stride;
                // Zipped slices and no branch on transparent pixels (alpha 0
                // leaves the value exactly as it was), so the loop
                // vectorises.
                let alpha = plane.alpha.get(src..src + w);
                let value = plane.value.get(src..src + w);
                let (Some(alpha), Some(value)) = (alpha, value) else {
                    return Err(Error::malformed(
                        "the badge plane is smaller than it claims",
                    ));
                };
                let bytes = if self.layout.bits == 8 { 1 } else { 2 };
                let Some(line) = data.get_mut(dst + bytes * ox..dst + bytes * (ox + w)) else {
                    return Err(Error::malformed(
                        "a decoded frame is smaller than it claims",
                    ));
                };
                if bytes == 1 {
                    for ((d, &a), &v) in line.iter_mut().zip(alpha).zip(value) {
                        let (a, v) = (u32::from(a), u32::from(v));
                        *d = ((u32::from(*d) * (256 - a) + v * a + 128) >> 8) as u8;
                    }
                } else {
                    for ((d, &a), &v) in line.chunks_exact_mut(2).zip(alpha).zip(value) {
                        let (a, v) = (u32::from(a), u32::from(v));
                        let old = u32::from(u16::from_le_bytes([d[0], d[1]]));
                        let new = ((old * (256 - a) + v * a + 128) >> 8) as u16;
                        d.copy_from_slice(&new.to_le_bytes());
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GrayImage, Rgba, RgbaImage};

    fn solid(w: u32, h: u32, rgba: [u8; 4]) -> BadgeImage {
        BadgeImage {
            rgba: RgbaImage::from_pixel(w, h, Rgba(rgba)),
            text_mask: GrayImage::new(w, h),
            text_px: 12.0,
            margin: 0,
            lines: vec![],
        }
    }

    #[test]
    fn opaque_white_is_peak_white_in_each_range() {
        let layout = PlanarLayout::of(Pixel::YUV420P).unwrap();
        let o = Overlay::new(
            &solid(4, 4, [255, 255, 255, 255]),
            1,
            1,
            FrameSpec {
                width: 16,
                height: 16,
                layout,
                matrix: ColourMatrix::Bt709,
                full_range: false,
            },
        )
        .unwrap();
        assert_eq!((o.x, o.y), (0, 0));
        assert_eq!(o.planes[0].value[0], 235);
        assert_eq!(o.planes[1].value[0], 128);
        assert_eq!(o.planes[0].alpha[0], 256);
        let full = Overlay::new(
            &solid(4, 4, [255, 255, 255, 255]),
            0,
            0,
            FrameSpec {
                width: 16,
                height: 16,
                layout,
                matrix: ColourMatrix::Bt601,
                full_range: true,
            },
        )
        .unwrap();
        assert_eq!(full.planes[0].value[0], 255);
        let ten = PlanarLayout::of(Pixel::YUV420P10LE).unwrap();
        let o10 = Overlay::new(
            &solid(4, 4, [0, 0, 0, 255]),
            0,
            0,
            FrameSpec {
                width: 16,
                height: 16,
                layout: ten,
                matrix: ColourMatrix::Bt709,
                full_range: false,
            },
        )
        .unwrap();
        assert_eq!(o10.planes[0].value[0], 64);
    }
}
