//! The bench's summary line (examples/support/summary.rs), tested where
//! `cargo test` runs it: the matrix examples print their goal with it.

#[path = "../examples/support/summary.rs"]
mod summary;
