//! Entry points for the fuzz targets in `fuzz/` and their replay test
//! (crate `tanba-fuzz`): each feeds untrusted text to one of this crate's
//! hand-written parsers. Behind the `fuzzing` feature; not API.

use tanba_core::{Label, Limits};

use crate::encoding::LineEnding;
use crate::marks::KnownTexts;
use crate::{markdown, subtitles};

/// Markdown front matter (YAML `---` and TOML `+++`) and our comment: the
/// marks read, an earlier labelling stripped, and a labelling written.
pub fn markdown(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let known = KnownTexts::new(&Label::default(), None);
    let _ = markdown::find_marks(&text);
    let _ = markdown::first_visible_block(&text);
    let stripped = markdown::strip(&text, &known);
    let _ = markdown::label(&stripped, LineEnding::Lf, &["AI"], ("{}", "{}"));
}

/// SubRip and WebVTT cues (the first byte picks which): timings checked,
/// marks read, an earlier labelling stripped, a labelling written.
pub fn subtitles(bytes: &[u8]) {
    let Some((&pick, rest)) = bytes.split_first() else {
        return;
    };
    let vtt = pick & 1 == 1;
    let text = String::from_utf8_lossy(rest);
    let limits = Limits {
        max_objects: 10_000,
        ..Limits::default()
    };
    let known = KnownTexts::new(&Label::default(), None);
    if subtitles::check_cues(&text, vtt, &limits).is_err() {
        return;
    }
    let _ = subtitles::find_marks(&text);
    let _ = subtitles::vtt_notice_lines(&text);
    let _ = subtitles::leading_blocks(&text, 3);
    let stripped = subtitles::strip(&text, &known);
    if !vtt {
        let _ = subtitles::label_srt(&stripped, LineEnding::Lf, &["AI"], 5.0);
    }
}
