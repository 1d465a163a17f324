//! Entry point for the fuzz target in `fuzz/` and its replay test (crate
//! `tanba-fuzz`): untrusted `tanba.toml` text through the config parser
//! and the flags-over-file mapping. Behind the `fuzzing` feature; not API.

use crate::args::CommonArgs;
use crate::config::Config;

/// Parses `bytes` as `tanba.toml` and maps it onto the options, as
/// `tanba label --config` does before touching a file. Nothing is read
/// from the paths the file names (that is the labelling's job).
pub fn config(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let Ok(config) = toml::from_str::<Config>(&text) else {
        return;
    };
    let _ = crate::settings::options_of(&CommonArgs::default(), &config);
}
