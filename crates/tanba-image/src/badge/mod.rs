//! The visible badge: label text on a rounded, semi-opaque dark box.
//!
//! This module is public because the video crate burns the same badge into
//! frames. Its rooms:
//! - [`render`]: [`render_badge`] lays out and rasterises the label for a
//!   picture of a given *displayed* size, into a straight-alpha RGBA
//!   [`BadgeImage`] (sizes follow the GB 45438 rule, see docs/compliance.md);
//! - [`blend`]: [`blend_badge`] / [`blend_onto`] composite it over pixels;
//! - `recall`: the masks last drawn on a thread, so the check that follows
//!   a label does not draw them again;
//! - [`orient`]: [`orient_badge`] and [`rotate_badge`] turn it for pictures
//!   stored rotated (EXIF orientation, phone video rotation);
//! - here: [`badge_origin`] says where it goes for a [`Position`], and
//!   [`place_badge`] does all of that for one picture.
//!
//! Every item is also re-exported here, so `tanba_image::badge::render_badge`
//! and the like keep working.

pub mod blend;
pub mod orient;
mod recall;
pub mod render;

use image::metadata::Orientation;

use tanba_core::font::FontFile;
use tanba_core::{Label, Position, Result};

pub use blend::{blend_badge, blend_onto};
pub use orient::{
    inverse_orientation, map_pixel, map_rect, orient_badge, orient_gray, orientation_degrees,
    oriented_size, rotate_badge,
};
pub use render::{
    BadgeImage, BadgeMasks, BadgeStyle, MIN_CONTRAST, MIN_TEXT_FRACTION, contrast,
    relative_luminance, render_badge, render_badge_at, render_masks_at,
};

/// Top-left corner of a `badge_w` x `badge_h` badge at `position` on a
/// `canvas_w` x `canvas_h` picture, `margin` pixels from the edges (the
/// margin shrinks if the picture is too small for it).
pub fn badge_origin(
    position: Position,
    canvas_w: u32,
    canvas_h: u32,
    badge_w: u32,
    badge_h: u32,
    margin: u32,
) -> (u32, u32) {
    let free_x = canvas_w.saturating_sub(badge_w);
    let free_y = canvas_h.saturating_sub(badge_h);
    let mx = margin.min(free_x / 2);
    let my = margin.min(free_y / 2);
    let x = match position {
        Position::TopLeft | Position::BottomLeft => mx,
        Position::TopCenter | Position::BottomCenter => free_x / 2,
        Position::TopRight | Position::BottomRight => free_x - mx,
    };
    let y = if position.is_top() { my } else { free_y - my };
    (x, y)
}

/// A badge ready to composite onto a stored picture.
#[derive(Debug, Clone)]
pub struct PlacedBadge {
    /// The badge as stored (already turned for the picture's orientation).
    pub badge: BadgeImage,
    /// Left edge in stored pixels.
    pub x: u32,
    /// Top edge in stored pixels.
    pub y: u32,
    /// Clockwise rotation applied so the badge is upright as displayed.
    pub rotation: u32,
}

impl PlacedBadge {
    /// `[x, y, w, h]` in stored pixels, as recorded in the manifest.
    pub fn region(&self) -> [u32; 4] {
        [self.x, self.y, self.badge.width(), self.badge.height()]
    }
}

/// Renders and places the badge for a picture stored at `stored_w` x
/// `stored_h` and displayed through `orientation`, so that it appears
/// upright at `position` of the displayed picture.
pub fn place_badge(
    font: &FontFile,
    label: &Label,
    stored_w: u32,
    stored_h: u32,
    orientation: Orientation,
    position: Position,
    style: &BadgeStyle,
) -> Result<PlacedBadge> {
    let (dw, dh) = oriented_size(orientation, stored_w, stored_h);
    let upright = render_badge(font, label, dw, dh, style)?;
    let (dx, dy) = badge_origin(
        position,
        dw,
        dh,
        upright.width(),
        upright.height(),
        upright.margin,
    );
    let display_rect = [dx, dy, upright.width(), upright.height()];
    let inverse = inverse_orientation(orientation);
    let [x, y, _, _] = map_rect(inverse, display_rect, dw, dh);
    let badge = orient::orient_badge_owned(upright, inverse);
    // Rotation taken clockwise from stored to displayed, as the manifest records it.
    Ok(PlacedBadge {
        badge,
        x,
        y,
        rotation: orientation_degrees(orientation),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_in_each_corner() {
        assert_eq!(badge_origin(Position::TopLeft, 100, 80, 20, 10, 5), (5, 5));
        assert_eq!(
            badge_origin(Position::BottomRight, 100, 80, 20, 10, 5),
            (75, 65)
        );
        assert_eq!(
            badge_origin(Position::TopCenter, 100, 80, 20, 10, 5),
            (40, 5)
        );
    }
}
