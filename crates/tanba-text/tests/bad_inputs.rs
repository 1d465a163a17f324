#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every file in `tests/bad/` is refused with the typed error its README
//! names, and nothing is written.

use std::io::Cursor;
use std::path::Path;

use tanba_core::{Job, Labeler, Source};
use tanba_text::TextLabeler;

/// Kept in step with `tests/bad/README.md`.
const EXPECTED: [(&str, &str); 17] = [
    ("empty.txt", "malformed"),
    ("whitespace-only.md", "malformed"),
    ("invalid-utf8.txt", "unsupported"),
    ("windows-1251.txt", "unsupported"),
    ("bom-then-invalid-utf8.md", "malformed"),
    ("utf16-odd-length.txt", "malformed"),
    ("utf16-lone-surrogate.txt", "malformed"),
    ("binary-junk.txt", "unsupported"),
    ("control-characters.txt", "unsupported"),
    ("nul-in-text.md", "unsupported"),
    ("srt-broken-timing.srt", "malformed"),
    ("srt-bad-timestamp.srt", "malformed"),
    ("srt-no-cue.srt", "malformed"),
    ("vtt-bad-header.vtt", "malformed"),
    ("vtt-bad-timing.vtt", "malformed"),
    ("html-cut-short.html", "malformed"),
    ("html-cut-in-script.html", "malformed"),
];

#[test]
fn every_bad_input_is_refused_with_its_kind_and_nothing_written() {
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let readme = std::fs::read_to_string(bad.join("README.md")).unwrap();
    let labeler = TextLabeler::default();
    let out_dir = tempfile::tempdir().unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(&bad).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name == "README.md" {
            continue;
        }
        let kind = EXPECTED
            .iter()
            .find(|(file, _)| *file == name)
            .map(|(_, kind)| *kind)
            .unwrap_or_else(|| panic!("{name} has no entry in EXPECTED"));
        assert!(
            readme.contains(&format!("| `{name}` | {kind} |")),
            "README.md does not list {name} as {kind}"
        );
        let ext = path.extension().unwrap().to_str().unwrap();
        let format = labeler
            .formats()
            .iter()
            .find(|f| f.extensions.contains(&ext))
            .copied()
            .unwrap();
        let input = std::fs::read(&path).unwrap();
        let mut reader = Cursor::new(input.clone());
        let mut written = Cursor::new(Vec::new());
        let source = Source {
            reader: &mut reader,
            format,
            path: Some(&path),
            len: input.len() as u64,
        };
        let result = labeler.label(source, &mut written, &Job::default());
        let output = out_dir.path().join(&name);
        if let Ok(labelled) = &result {
            std::fs::write(&output, written.get_ref()).unwrap();
            panic!("{name} was labelled as {}", labelled.format.name);
        }
        let err = result.unwrap_err();
        assert_eq!(err.kind_name(), kind, "{name}: {err}");
        assert!(written.get_ref().is_empty(), "{name}: bytes written");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            input,
            "{name}: input touched"
        );
        seen += 1;
    }
    assert_eq!(seen, EXPECTED.len(), "a file of the table is missing");
    assert_eq!(std::fs::read_dir(out_dir.path()).unwrap().count(), 0);
}
