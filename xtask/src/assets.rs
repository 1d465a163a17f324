//! `cargo xtask assets`: regenerate the bundled spoken disclaimers.
//!
//! espeak-ng has a Kazakh voice; sox turns its output into small 16 kHz mono
//! 16-bit WAV files, committed under `crates/tanba-audio/assets/`.

use std::process::Command;

use crate::util::{exec, have, root};

/// (file stem, espeak-ng voice, sentence): the default disclaimer, then
/// the deepfake one (`--real-person`); the sentences are
/// `Lang::spoken_text` and `Lang::real_person_spoken_text`.
const CLIPS: [(&str, &str, &str); 6] = [
    (
        "kk",
        "kk",
        "Бұл материал жасанды интеллект көмегімен жасалған.",
    ),
    (
        "ru",
        "ru",
        "Этот материал создан с помощью искусственного интеллекта.",
    ),
    (
        "en",
        "en",
        "This content was created with artificial intelligence.",
    ),
    (
        "kk-real-person",
        "kk",
        "Бұл материалдағы нақты адамның бейнесі немесе дауысы жасанды интеллект көмегімен жасалған.",
    ),
    (
        "ru-real-person",
        "ru",
        "Изображение или голос реального человека в этом материале созданы с помощью искусственного интеллекта.",
    ),
    (
        "en-real-person",
        "en",
        "This content depicts a real person's likeness or voice created with artificial intelligence.",
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
    for (stem, voice, sentence) in CLIPS {
        let raw = std::env::temp_dir().join(format!("tanba-{stem}-raw.wav"));
        let mut speak = Command::new("espeak-ng");
        speak
            .args(["-v", voice, "-s", "150", "-w"])
            .arg(&raw)
            .arg(sentence);
        exec(speak)?;
        let mut convert = Command::new("sox");
        convert
            .arg(&raw)
            .args(["-r", "16000", "-c", "1", "-b", "16"])
            .arg(dir.join(format!("{stem}.wav")));
        convert.args(["norm", "-3"]);
        exec(convert)?;
        let _ = std::fs::remove_file(&raw);
    }
    eprintln!("xtask assets: wrote {}", dir.display());
    Ok(())
}
