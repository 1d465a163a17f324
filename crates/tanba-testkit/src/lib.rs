//! What Tanba's tests share across crates (a dev-dependency only).
//!
//! [`Counting`] is a global allocator that counts the bytes live and the
//! peak, so a memory test measures what the code under test allocates
//! rather than timing it. A test binary installs it with
//! `#[global_allocator] static ALLOC: tanba_testkit::Counting = tanba_testkit::Counting;`
//! and measures with [`peak_of`].

mod ffi;

pub use ffi::Counting;
use ffi::{NOW, PEAK};
use std::sync::atomic::Ordering;

/// Peak bytes allocated while `f` runs, above what was live when it
/// started, and `f`'s result. Meaningful only in a binary whose global
/// allocator is [`Counting`]; tests that measure should not run beside
/// other allocating tests (one test per binary, or `--test-threads 1`).
pub fn peak_of<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let base = NOW.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (PEAK.load(Ordering::Relaxed).saturating_sub(base), out)
}

/// One measuring test at a time: the counters are global and the test
/// harness runs a binary's tests on parallel threads, so one test's
/// allocations would count in another's peak. Every test of a binary that
/// uses [`peak_of`] holds this guard while it runs.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Bytes allocated and not yet freed (through [`Counting`]).
pub fn live() -> usize {
    NOW.load(Ordering::Relaxed)
}
