//! Entry points for the fuzz targets in `fuzz/` and their replay test
//! (crate `tanba-fuzz`): each feeds untrusted bytes to one of this crate's
//! hand-written parsers. Behind the `fuzzing` feature; not API.

use crate::content::SaveBalance;

/// The content-stream scanner: operators found past strings, hex strings,
/// comments and inline images, and the `q`/`Q` balance they leave.
pub fn content(bytes: &[u8]) {
    let mut balance = SaveBalance::default();
    balance.scan(bytes);
    // Streams of a page are scanned in turn: the state carries over.
    balance.scan(bytes);
}
