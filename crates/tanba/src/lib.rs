//! Placeholder while the facade is written.
