//! One module per command.

pub(crate) mod audit;
pub(crate) mod docs;
pub(crate) mod dry_run;
pub(crate) mod formats;
pub(crate) mod keys;
pub(crate) mod label;
pub(crate) mod merge;
pub(crate) mod pipe;
pub(crate) mod serve;
pub(crate) mod verify;
