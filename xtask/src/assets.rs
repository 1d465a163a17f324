//! `cargo xtask assets`: regenerate the bundled spoken disclaimers.
//!
//! espeak-ng has a Kazakh voice; sox turns its output into small 16 kHz mono
//! 16-bit WAV files, committed under `crates/tanba-audio/assets/`.

use std::process::Command;

use crate::util::{exec, have, root};

const CLIPS: [(&str, &str); 3] = [
    ("kk", "Бұл материал жасанды интеллект көмегімен жасалған."),
    (
        "ru",
        "Этот материал создан с помощью искусственного интеллекта.",
    ),
    (
        "en",
        "This content was created with artificial intelligence.",
    ),
];

/// Speaks each sentence and converts it.
pub fn run() -> Result<(), String> {
    for tool in ["espeak-ng", "sox"] {
        if !have(tool) {
            return Err(format!(
                "{tool} is missing: apt-get install -y espeak-ng sox"
            ));
        }
    }
    let dir = root().join("crates").join("tanba-audio").join("assets");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (lang, sentence) in CLIPS {
        let raw = std::env::temp_dir().join(format!("tanba-{lang}-raw.wav"));
        let mut speak = Command::new("espeak-ng");
        speak
            .args(["-v", lang, "-s", "150", "-w"])
            .arg(&raw)
            .arg(sentence);
        exec(speak)?;
        let mut convert = Command::new("sox");
        convert
            .arg(&raw)
            .args(["-r", "16000", "-c", "1", "-b", "16"])
            .arg(dir.join(format!("{lang}.wav")));
        convert.args(["norm", "-3"]);
        exec(convert)?;
        let _ = std::fs::remove_file(&raw);
    }
    eprintln!("xtask assets: wrote {}", dir.display());
    Ok(())
}
