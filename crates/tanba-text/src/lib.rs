//! Placeholder while the text labeler is written.
