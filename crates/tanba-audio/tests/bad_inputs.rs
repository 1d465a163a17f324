#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The bad-inputs contract: every file in `tests/bad/` is refused with the
//! typed error its README names, and nothing is written.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use tanba_audio::{AudioLabeler, KEEPS_COMPRESSED_FORMATS, needs_ffmpeg, sniff};
use tanba_core::{Job, Labeler, Source, read_head};

/// `file name -> error kind` from the README's table rows
/// (`| \`name\` | \`kind\` | why |`).
fn expected_kinds(readme: &str) -> BTreeMap<String, String> {
    readme
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            let kind = cells.get(2)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((name.to_string(), kind.to_string()))
        })
        .collect()
}

/// The format the labeler is asked for: what the content sniffs as, else
/// what the extension names (a file too damaged to sniff).
fn format_of(labeler: &AudioLabeler, path: &Path) -> &'static tanba_core::Format {
    let head = read_head(&mut File::open(path).unwrap()).unwrap();
    let ext = path.extension().unwrap().to_str().unwrap();
    sniff(&head)
        .or_else(|| {
            labeler
                .formats()
                .iter()
                .copied()
                .find(|f| f.extensions.contains(&ext))
        })
        .unwrap_or_else(|| panic!("{}: no audio format for .{ext}", path.display()))
}

#[test]
fn every_bad_input_is_refused_with_its_kind_and_nothing_is_written() {
    let bad = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let readme = std::fs::read_to_string(bad.join("README.md")).unwrap();
    let mut expected = expected_kinds(&readme);
    let labeler = AudioLabeler::default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&bad)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "README.md")
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    for path in files {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let kind = expected
            .remove(&name)
            .unwrap_or_else(|| panic!("{name} has no expected error kind in tests/bad/README.md"));
        let before = std::fs::read(&path).unwrap();
        let format = format_of(&labeler, &path);
        let mut reader = File::open(&path).unwrap();
        let mut out = std::io::Cursor::new(Vec::new());
        let result = labeler.label(
            Source {
                reader: &mut reader,
                format,
                path: Some(&path),
                len: before.len() as u64,
            },
            &mut out,
            &Job::default(),
        );
        let err = match result {
            Ok(l) => panic!("{name} was labelled: {:?}", l.notes),
            Err(e) => e,
        };
        // Without FFmpeg these formats are refused before they are read.
        let kind = if needs_ffmpeg(format) && !KEEPS_COMPRESSED_FORMATS {
            "unsupported".to_string()
        } else {
            kind
        };
        assert_eq!(err.kind_name(), kind, "{name}: {err}");
        assert!(
            out.get_ref().is_empty(),
            "{name}: {} bytes written",
            out.get_ref().len()
        );
        assert_eq!(std::fs::read(&path).unwrap(), before, "{name} was modified");
    }
    assert!(
        expected.is_empty(),
        "the README lists files that are not there: {expected:?}"
    );
}
