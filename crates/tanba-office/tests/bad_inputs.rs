#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every file in `tests/bad/` is refused with the typed error its README
//! names, and nothing is written; zip bombs made here are refused from the
//! central directory, before anything is inflated.

use std::io::{Cursor, Write};
use std::path::Path;
use std::time::Instant;

use tanba_core::{Job, Labeler, Source};
use tanba_office::OfficeLabeler;

/// Kept in step with `tests/bad/README.md`.
const EXPECTED: [(&str, &str); 16] = [
    ("not-a-zip.docx", "malformed"),
    ("truncated.docx", "malformed"),
    ("traversal.docx", "malformed"),
    ("absolute-path.docx", "malformed"),
    ("duplicate-entry.docx", "malformed"),
    ("zipcrypto.docx", "encrypted"),
    ("password-protected.docx", "encrypted"),
    ("macro-enabled.docx", "unsupported"),
    ("no-document.docx", "malformed"),
    ("billion-laughs.docx", "malformed"),
    ("deep-xml.docx", "malformed"),
    ("unclosed-xml.docx", "malformed"),
    ("password-protected.odt", "encrypted"),
    ("no-content.odt", "malformed"),
    ("drm.epub", "encrypted"),
    ("no-container.epub", "malformed"),
];

/// Labels `input` as named by `name`; the error and what was written.
fn refuse(name: &str, input: &[u8]) -> (tanba_core::Error, Vec<u8>) {
    let labeler = OfficeLabeler::default();
    let ext = Path::new(name).extension().unwrap().to_str().unwrap();
    let format = labeler
        .formats()
        .iter()
        .find(|f| f.extensions.contains(&ext))
        .copied()
        .unwrap();
    let mut reader = Cursor::new(input.to_vec());
    let mut written = Cursor::new(Vec::new());
    let source = Source {
        reader: &mut reader,
        format,
        path: Some(Path::new(name)),
        len: input.len() as u64,
    };
    match labeler.label(source, &mut written, &Job::default()) {
        Ok(l) => panic!("{name} was labelled as {}", l.format.name),
        Err(e) => (e, written.into_inner()),
    }
}

#[test]
fn every_bad_input_is_refused_with_its_kind_and_nothing_written() {
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let readme = std::fs::read_to_string(bad.join("README.md")).unwrap();
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
        let input = std::fs::read(&path).unwrap();
        let (err, written) = refuse(&name, &input);
        assert_eq!(err.kind_name(), kind, "{name}: {err}");
        assert!(written.is_empty(), "{name}: bytes written");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            input,
            "{name}: input touched"
        );
        seen += 1;
    }
    assert_eq!(seen, EXPECTED.len(), "a file of the table is missing");
}

fn zip_of(entries: impl IntoIterator<Item = (String, Vec<u8>)>) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        writer.start_file(name, options).unwrap();
        writer.write_all(&bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_inflated() {
    // 200 MB of zeros deflate to about 200 kB: a ratio near 1000.
    let bomb = zip_of([
        ("[Content_Types].xml".to_string(), b"<Types/>".to_vec()),
        (
            "word/document.xml".to_string(),
            vec![b' '; 200 * 1024 * 1024],
        ),
    ]);
    assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
    let started = Instant::now();
    let (err, written) = refuse("bomb.docx", &bomb);
    assert_eq!(err.kind_name(), "limit-exceeded", "{err}");
    assert!(written.is_empty());
    // Refused from the directory: inflating 200 MB would take far longer.
    assert!(
        started.elapsed().as_millis() < 500,
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn too_many_entries_are_refused_from_the_end_record() {
    let many = zip_of((0..20_001).map(|i| (format!("word/media/{i}.xml"), Vec::new())));
    let (err, written) = refuse("many.docx", &many);
    assert_eq!(err.kind_name(), "limit-exceeded", "{err}");
    assert!(err.to_string().contains("20001 objects"), "{err}");
    assert!(written.is_empty());
}
