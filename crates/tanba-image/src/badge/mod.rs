//! The visible badge: label text on a rounded, semi-opaque dark box.
//!
//! This module is public because the video crate burns the same badge into
//! frames. Its rooms:
//! - [`style`]: [`BadgeStyle`], the look, and the legal floor of the text
//!   size (the GB 45438 rule, see docs/compliance.md) and of the contrast;
//! - [`layout`]: [`BadgeLayout`], the label wrapped and outlined for a
//!   picture of a given *displayed* size, without pixels;
//! - [`paint`]: its rows painted into caller buffers a band at a time
//!   ([`BadgeLayout::paint_rows`], [`Bands`]), or whole into a straight-alpha
//!   RGBA [`BadgeImage`];
//! - [`render`]: [`render_badge`] and friends, layout and paint in one call;
//! - [`runs`]: [`MaskRuns`], the masks a check compares against as run
//!   lengths, so a check never holds a big badge whole;
//! - [`blend`]: [`blend_badge`] / [`blend_onto`] composite it over pixels;
//! - `recall`: the masks last painted on a thread (as runs), so the check
//!   that follows a label does not draw them again;
//! - [`orient`]: [`orient_badge`] and [`rotate_badge`] turn it for pictures
//!   stored rotated (EXIF orientation, phone video rotation);
//! - here: [`badge_origin`] says where it goes for a [`Position`], and
//!   [`place_layout`] / [`place_badge`] do all of that for one picture.
//!
//! A badge is painted in bands only when the picture is stored upright (no
//! EXIF turn): one stored turned or mirrored (EXIF orientations 2-8) gets
//! its badge painted whole and turned ([`PlacedLayout::upright`] is `None`).
//!
//! Every item is also re-exported here, so `tanba_image::badge::render_badge`
//! and the like keep working.

pub mod blend;
pub mod layout;
pub mod orient;
pub mod paint;
mod recall;
pub mod render;
pub mod runs;
pub mod style;

use image::metadata::Orientation;

use tanba_core::font::FontFile;
use tanba_core::{Label, Position, Result};

pub use blend::{blend_badge, blend_onto};
pub use layout::BadgeLayout;
pub use orient::{
    inverse_orientation, map_pixel, map_rect, orient_badge, orient_gray, orientation_degrees,
    oriented_size, rotate_badge,
};
pub use paint::{BadgeImage, Bands};
pub use render::{mask_runs_at, render_badge, render_badge_at, render_masks_at};
pub use runs::{BadgeMasks, MaskRuns, Run};
pub use style::{BadgeStyle, MIN_CONTRAST, MIN_TEXT_FRACTION, contrast, relative_luminance};

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

/// A badge laid out and placed on a stored picture, not yet painted.
#[derive(Debug, Clone)]
pub struct PlacedLayout {
    /// The badge upright, as displayed.
    pub layout: BadgeLayout,
    /// Left edge in stored pixels.
    pub x: u32,
    /// Top edge in stored pixels.
    pub y: u32,
    /// Clockwise rotation applied so the badge is upright as displayed.
    pub rotation: u32,
    /// How the upright badge is turned to be stored.
    turn: Orientation,
}

impl PlacedLayout {
    /// `[x, y, w, h]` in stored pixels, as recorded in the manifest.
    pub fn region(&self) -> [u32; 4] {
        let (w, h) = oriented_size(self.turn, self.layout.width(), self.layout.height());
        [self.x, self.y, w, h]
    }

    /// The layout when its rows are the stored rows (the picture is stored
    /// upright), so it can be painted a band at a time as rows pass;
    /// `None` for a picture stored turned, whose badge is painted whole.
    pub fn upright(&self) -> Option<&BadgeLayout> {
        (self.turn == Orientation::NoTransforms).then_some(&self.layout)
    }

    /// The badge painted whole and turned as stored.
    pub fn paint(&self) -> PlacedBadge {
        PlacedBadge {
            badge: orient::orient_badge_owned(self.layout.paint(), self.turn),
            x: self.x,
            y: self.y,
            rotation: self.rotation,
        }
    }
}

/// Lays out and places the badge for a picture stored at `stored_w` x
/// `stored_h` and displayed through `orientation`, so that it appears
/// upright at `position` of the displayed picture; nothing is painted.
pub fn place_layout(
    font: &FontFile,
    label: &Label,
    stored_w: u32,
    stored_h: u32,
    orientation: Orientation,
    position: Position,
    style: &BadgeStyle,
) -> Result<PlacedLayout> {
    let (dw, dh) = oriented_size(orientation, stored_w, stored_h);
    let layout = BadgeLayout::new(font, label, dw, dh, style)?;
    let (dx, dy) = badge_origin(
        position,
        dw,
        dh,
        layout.width(),
        layout.height(),
        layout.margin(),
    );
    let display_rect = [dx, dy, layout.width(), layout.height()];
    let turn = inverse_orientation(orientation);
    let [x, y, _, _] = map_rect(turn, display_rect, dw, dh);
    // Rotation taken clockwise from stored to displayed, as the manifest records it.
    Ok(PlacedLayout {
        layout,
        x,
        y,
        rotation: orientation_degrees(orientation),
        turn,
    })
}

/// Renders and places the badge for a picture stored at `stored_w` x
/// `stored_h` and displayed through `orientation`, so that it appears
/// upright at `position` of the displayed picture: [`place_layout`],
/// painted whole.
pub fn place_badge(
    font: &FontFile,
    label: &Label,
    stored_w: u32,
    stored_h: u32,
    orientation: Orientation,
    position: Position,
    style: &BadgeStyle,
) -> Result<PlacedBadge> {
    place_layout(
        font,
        label,
        stored_w,
        stored_h,
        orientation,
        position,
        style,
    )
    .map(|placed| placed.paint())
}

/// A placed badge painted whole on first use: a format that blends the
/// badge as rows pass takes [`PaintOnUse::layout`] and never paints it
/// whole; one that blends a whole frame reads the [`PlacedBadge`] through
/// `Deref`, painted then, once.
#[derive(Debug)]
pub(crate) struct PaintOnUse {
    /// The badge placed, unpainted.
    pub layout: PlacedLayout,
    painted: std::sync::OnceLock<PlacedBadge>,
}

impl PaintOnUse {
    pub(crate) fn new(layout: PlacedLayout) -> Self {
        PaintOnUse {
            layout,
            painted: std::sync::OnceLock::new(),
        }
    }
}

impl std::ops::Deref for PaintOnUse {
    type Target = PlacedBadge;

    fn deref(&self) -> &PlacedBadge {
        self.painted.get_or_init(|| self.layout.paint())
    }
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
