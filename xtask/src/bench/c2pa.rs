//! The C2PA rows' credentials.

use std::path::Path;
use std::process::Command;

use super::case::{p, s};

/// Test credentials for the C2PA rows, made once by `tanba keys new` (which
/// only a tanba built with the `c2pa` feature has); `None` skips the rows.
pub(super) fn c2pa_credentials(tanba: &Path, dir: &Path) -> Option<Vec<String>> {
    let chain = dir.join("signing-cert-chain.pem");
    let key = dir.join("signing-key.pem");
    if !(chain.is_file() && key.is_file()) {
        let made = Command::new(tanba)
            .args(["keys", "new"])
            .arg(dir)
            .output()
            .is_ok_and(|o| o.status.success());
        if !made {
            eprintln!("xtask bench: this tanba cannot sign C2PA; the C2PA rows are skipped");
            return None;
        }
    }
    Some(vec![s("--c2pa-cert"), p(&chain), s("--c2pa-key"), p(&key)])
}
