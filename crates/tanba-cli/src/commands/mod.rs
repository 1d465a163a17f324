//! One module per command.

pub(crate) mod formats;
pub(crate) mod keys;
pub(crate) mod label;
pub(crate) mod merge;
pub(crate) mod pipe;
pub(crate) mod verify;
