#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::*;
use lopdf::{Document, Object, dictionary};
use tanba_core::{Job, Limits};
use tanba_pdf::PdfSettings;

fn kind(input: &[u8], job: &Job) -> String {
    match label_with(PdfSettings::default(), input, job) {
        Ok(_) => "ok".to_string(),
        Err(e) => {
            // Every refusal says why in words, not just a code.
            assert!(e.to_string().len() > 20, "terse error: {e}");
            e.kind_name().to_string()
        }
    }
}

#[test]
fn encrypted_with_a_user_password_is_refused() {
    let input = qpdf_rewrite(&simple(2), &["--encrypt", "user", "owner", "256", "--"]);
    assert_eq!(kind(&input, &Job::default()), "encrypted");
    assert_eq!(verify(&input).unwrap_err().kind_name(), "encrypted");
}

/// Wrong offsets in the cross-reference table: the file is rebuilt by
/// scanning, rewritten in full (an update chained to a broken table would
/// not be safe), and the notes say so.
#[test]
fn damaged_xref_is_repaired_and_said_aloud() {
    let mut input = simple(3);
    let xref = input.windows(6).rposition(|w| w == b"\nxref\n").unwrap();
    // Shift every in-use offset so it points into the middle of an object.
    let table_end = input[xref..]
        .windows(7)
        .position(|w| w == b"trailer")
        .unwrap()
        + xref;
    for byte in &mut input[xref..table_end] {
        if *byte == b'1' {
            *byte = b'2';
        }
    }
    let (output, labelled) = label_with(PdfSettings::default(), &input, &Job::default()).unwrap();
    assert!(
        labelled.notes.iter().any(|n| n.contains("repaired")),
        "{:?}",
        labelled.notes
    );
    assert!(
        labelled
            .notes
            .iter()
            .any(|n| n.contains("damaged cross-reference: written in full")),
        "{:?}",
        labelled.notes
    );
    assert_qpdf_clean(&output);
    assert_eq!(page_sizes(&output), page_sizes(&simple(3)));
    assert!(page_text(&output, 3).contains(KK));
}

#[test]
fn truncated_file_is_refused() {
    let full = simple(3);
    for cut in [full.len() / 2, full.len() - 40, 200] {
        let input = &full[..cut];
        assert_eq!(kind(input, &Job::default()), "malformed", "cut at {cut}");
    }
    assert_eq!(kind(b"%PDF-1.7\n", &Job::default()), "malformed");
}

/// The expected kind of each file in `tests/bad/`, read from the table in
/// its README (`| `file` | `kind` | why |`).
fn expected_kinds(readme: &str) -> BTreeMap<String, String> {
    readme
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line
                .split('|')
                .map(|c| c.trim().trim_matches('`'))
                .collect();
            match cells.as_slice() {
                ["", file, kind, ..] if file.ends_with(".pdf") => {
                    Some((file.to_string(), kind.to_string()))
                }
                _ => None,
            }
        })
        .collect()
}

/// The bad-inputs contract: each committed file is refused with the kind
/// its README names, and no output (not even a partial file) is left.
#[test]
fn every_committed_bad_input_is_refused_with_its_kind() {
    use tanba_core::Labeler;
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let expected = expected_kinds(&std::fs::read_to_string(folder.join("README.md")).unwrap());
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "tests/bad holds no bad inputs");
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for listed in expected.keys() {
        assert!(
            names.contains(listed),
            "README lists {listed}, which is not in tests/bad"
        );
    }
    for (path, name) in files.iter().zip(&names) {
        let kind = expected
            .get(name)
            .unwrap_or_else(|| panic!("{name} has no expected kind in tests/bad/README.md"));
        let out = tmp();
        let target = out.path().join(name);
        let mut reader = std::fs::File::open(path).unwrap();
        let len = reader.metadata().unwrap().len();
        let result = tanba_core::atomic::write_atomic(&target, |f| {
            let source = tanba_core::Source {
                reader: &mut reader,
                format: &tanba_pdf::PDF,
                path: Some(path),
                len,
            };
            tanba_pdf::PdfLabeler::default().label(source, f, &Job::default())
        });
        let error = match result {
            Ok(_) => panic!("{name} was labelled; expected a {kind} error"),
            Err(e) => e,
        };
        assert_eq!(error.kind_name(), kind, "{name}: {error}");
        assert!(error.to_string().len() > 20, "{name}: terse error: {error}");
        let left: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
        assert!(left.is_empty(), "{name}: output left behind: {left:?}");
        // verify of a bad input is an error or "not labelled", never a panic.
        if let Ok(v) = verify(&std::fs::read(path).unwrap()) {
            assert!(!v.is_compliant(), "{name}");
        }
    }
}

#[test]
fn zero_pages_is_refused() {
    let mut doc = Document::with_version("1.4");
    let pages = doc.add_object(
        dictionary! { "Type" => "Pages", "Kids" => Vec::<Object>::new(), "Count" => 0 },
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
    doc.trailer.set("Root", catalog);
    let mut input = Vec::new();
    doc.save_to(&mut input).unwrap();
    let input = qpdf_rewrite(&input, &["--object-streams=disable"]);
    let e = label_with(PdfSettings::default(), &input, &Job::default()).unwrap_err();
    assert_eq!(e.kind_name(), "cannot-label");
    assert!(e.to_string().contains("no pages"), "{e}");
}

#[test]
fn object_count_over_the_limit_is_refused() {
    let input = simple(5);
    let tight = Job::new().with_limits(Limits {
        max_objects: 8,
        ..Limits::default()
    });
    assert_eq!(kind(&input, &tight), "limit-exceeded");
    // A file that merely claims a huge /Size is refused before it is parsed.
    let mut claims = simple(1);
    let at = claims.windows(6).rposition(|w| w == b"/Size ").unwrap() + 6;
    let end = at
        + claims[at..]
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap();
    claims.splice(at..end, b"999999999".iter().copied());
    assert_eq!(kind(&claims, &Job::default()), "limit-exceeded");
}

#[test]
fn not_a_pdf_is_unsupported() {
    assert_eq!(kind(b"GIF89a....", &Job::default()), "unsupported");
}

#[test]
fn sniffs_by_content() {
    use tanba_core::Labeler;
    let labeler = tanba_pdf::PdfLabeler::default();
    assert_eq!(
        labeler.sniff(&simple(1)[..64], None).map(|f| f.name),
        Some("pdf")
    );
    assert!(
        labeler
            .sniff(b"\x89PNG\r\n\x1a\n", Some(std::path::Path::new("x.pdf")))
            .is_none()
    );
}
