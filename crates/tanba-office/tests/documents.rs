#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Text documents made by LibreOffice, labelled, then read by LibreOffice
//! (converted to PDF, read by pdftotext) and by python-docx.

mod common;

use std::path::Path;

use common::*;
use tanba_core::{Job, Label, Lang, Wording};
use tanba_office::{DOCX, DOCX_STYLE_ID};

/// A three-paragraph text file converted by LibreOffice to `to`.
fn made_by_libreoffice(dir: &Path, to: &str) -> Vec<u8> {
    let txt = dir.join(format!("report-{to}.txt"));
    std::fs::write(&txt, PARAGRAPHS.join("\n")).unwrap();
    std::fs::read(&soffice(dir, to, &[&txt])[0]).unwrap()
}

/// The first lines of text pdftotext finds, blanks skipped.
fn first_lines(pdf_text: &str, n: usize) -> Vec<String> {
    pdf_text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(n)
        .map(str::to_string)
        .collect()
}

const PY_DOCX: &str = r#"
import sys, docx, json
d = docx.Document(sys.argv[1])
W = '{http://schemas.openxmlformats.org/wordprocessingml/2006/main}'
def lang(run):
    rpr = run._r.rPr
    el = rpr.find(W + 'lang') if rpr is not None else None
    return el.get(W + 'val') if el is not None else None
custom = [p for p in d.part.package.parts if str(p.partname) == '/docProps/custom.xml']
print(json.dumps({
  'paragraphs': [p.text for p in d.paragraphs],
  'style': d.paragraphs[0].style.name,
  'bold': d.paragraphs[0].style.font.bold,
  'langs': [lang(r) for r in d.paragraphs[0].runs],
  'custom': custom[0].blob.decode('utf-8') if custom else None,
}))
"#;

#[test]
fn docx_gets_a_first_paragraph_that_libreoffice_and_python_docx_read() {
    let dir = tempfile::tempdir().unwrap();
    let input = made_by_libreoffice(dir.path(), "docx");
    let (labelled, _) = label(&input, &DOCX, &Job::new()).unwrap();
    let check = verify(&labelled, &DOCX);
    assert!(check.is_compliant(), "{check:?}");
    assert_eq!(check.marks.len(), 2);
    assert!(check.manifest.is_some());

    // Every part we did not edit is copied raw: same compressed bytes, CRC.
    let edited = [
        "word/document.xml",
        "word/styles.xml",
        "[Content_Types].xml",
        "_rels/.rels",
    ];
    let before = raw_entries(&input);
    let after = raw_entries(&labelled);
    for entry in &before {
        if !edited.contains(&entry.0.as_str()) {
            assert!(after.contains(entry), "{} was not copied raw", entry.0);
        }
    }
    assert_eq!(
        after.len(),
        before.len() + 1,
        "only docProps/custom.xml is added"
    );

    // python-docx: our paragraph first, its style bold, a language per
    // run; the user's paragraphs unchanged; the custom properties there.
    let out = dir.path().join("labelled.docx");
    std::fs::write(&out, &labelled).unwrap();
    let orig = dir.path().join("original.docx");
    std::fs::write(&orig, &input).unwrap();
    let read: serde_json::Value = serde_json::from_str(&python(PY_DOCX, &[&out])).unwrap();
    let original: serde_json::Value = serde_json::from_str(&python(PY_DOCX, &[&orig])).unwrap();
    let label = Label::default();
    let paragraphs = read["paragraphs"].as_array().unwrap();
    assert_eq!(paragraphs[0], label.joined("\n"));
    assert_eq!(
        paragraphs[1..],
        original["paragraphs"].as_array().unwrap()[..]
    );
    assert_eq!(original["paragraphs"], serde_json::json!(PARAGRAPHS));
    assert_eq!(read["style"], "Tanba AI notice");
    assert_eq!(read["bold"], true);
    assert_eq!(read["langs"], serde_json::json!(["kk", "ru"]));
    let custom = read["custom"].as_str().unwrap();
    assert!(custom.contains("name=\"AIGC\"") && custom.contains("name=\"Tanba-Manifest\""));

    // LibreOffice opens it and prints the notice at the top of page 1.
    let pdf = soffice(dir.path(), "pdf", &[&out]);
    let text = pdftotext(&pdf[0]);
    assert_eq!(
        first_lines(&text, 3),
        [
            label.lines[0].text.as_str(),
            label.lines[1].text.as_str(),
            PARAGRAPHS[0]
        ],
        "{text}"
    );
}

#[test]
fn docx_labelled_twice_is_refused_and_force_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let input = made_by_libreoffice(dir.path(), "docx");
    let (once, _) = label(&input, &DOCX, &Job::new()).unwrap();
    let err = label(&once, &DOCX, &Job::new()).unwrap_err();
    assert_eq!(err.kind_name(), "already-labelled");
    let english = Job::new()
        .with_force(true)
        .with_label(Label::standard(&[Lang::En], Wording::Short));
    let (twice, _) = label(&once, &DOCX, &english).unwrap();
    let document = entry(&twice, "word/document.xml").unwrap();
    assert_eq!(document.matches(DOCX_STYLE_ID).count(), 1, "{document}");
    assert!(document.contains("Created with AI"));
    assert!(!document.contains(Lang::Kk.long_text()));
    let styles = entry(&twice, "word/styles.xml").unwrap();
    assert_eq!(
        styles
            .matches(&format!("w:styleId=\"{DOCX_STYLE_ID}\""))
            .count(),
        1
    );
    let custom = entry(&twice, "docProps/custom.xml").unwrap();
    assert_eq!(custom.matches("name=\"AIGC\"").count(), 1);
    assert_eq!(custom.matches("name=\"Tanba-Manifest\"").count(), 1);
    let check = verify(&twice, &DOCX);
    assert!(check.is_compliant(), "{check:?}");
    assert!(check.manifest.unwrap().label.lines[0].text == "Created with AI");
    // The first labelling's raw entries are still the input's.
    assert_eq!(
        entry(&twice, "word/fontTable.xml"),
        entry(&input, "word/fontTable.xml")
    );
}
