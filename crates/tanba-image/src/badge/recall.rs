//! The badge masks last drawn on this thread, kept for the check that
//! follows.
//!
//! Labelling a file draws its badge and then reads the output back
//! (`tanba::Registry::label_file` verifies every output before it takes its
//! name), and the check re-renders the same label at the same size to
//! compare with the stored pixels. Re-rendering was two fifths of that
//! check on a 12-MP JPEG; recalling the masks drawn a moment before on the
//! same thread makes it a copy. A bulk job of pictures of one size hits it
//! for every file. One entry per thread: a worker labels one file at a time.
//! The masks are kept as run lengths ([`MaskRuns`]), never whole: a badge
//! painted band by band is remembered without ever being whole.

use std::cell::RefCell;

use tanba_core::Label;
use tanba_core::font::FontFile;

use super::runs::MaskRuns;
use super::style::BadgeStyle;

/// What decides a badge's masks: its font, text, size, canvas and style.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MaskKey {
    font: FontFile,
    label: Label,
    text_px: u32,
    display: (u32, u32),
    style: BadgeStyle,
}

impl MaskKey {
    pub(crate) fn new(
        font: &FontFile,
        label: &Label,
        text_px: f32,
        display_w: u32,
        display_h: u32,
        style: &BadgeStyle,
    ) -> Self {
        MaskKey {
            font: font.clone(),
            label: label.clone(),
            text_px: text_px.to_bits(),
            display: (display_w, display_h),
            style: style.clone(),
        }
    }
}

thread_local! {
    static LAST: RefCell<Option<(MaskKey, MaskRuns)>> = const { RefCell::new(None) };
}

/// Keeps the masks of `key`, replacing what this thread kept before.
pub(crate) fn remember(key: MaskKey, runs: MaskRuns) {
    LAST.with(|last| *last.borrow_mut() = Some((key, runs)));
}

/// The masks kept for `key` on this thread, if they are the last drawn.
pub(crate) fn recall(key: &MaskKey) -> Option<MaskRuns> {
    LAST.with(|last| {
        last.borrow()
            .as_ref()
            .filter(|(kept, _)| kept == key)
            .map(|(_, runs)| runs.clone())
    })
}
