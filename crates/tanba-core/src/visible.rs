//! A visible or audible label found by looking at the content itself, when
//! no manifest says where it is (a platform stripped the metadata).

use serde::Serialize;

/// Where [`crate::Labeler::find_visible_label`] found the label, and how
/// sure it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VisibleFound {
    /// Where: `bottom-right` (or another corner) in a picture or a frame,
    /// `0:00-0:04` in audio, `first page` in a document.
    pub place: String,
    /// The match score, in 0..=1 (normalised cross-correlation); each
    /// labeler documents the threshold above which it reports a find.
    pub score: f32,
}

impl VisibleFound {
    /// A label found at `place` with `score`.
    pub fn new(place: impl Into<String>, score: f32) -> Self {
        VisibleFound {
            place: place.into(),
            score,
        }
    }
}
