#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Text documents made by LibreOffice, labelled, then read by LibreOffice
//! (converted to PDF, read by pdftotext) and by python-docx.

mod common;

use std::path::Path;

use common::*;
use tanba_core::Labeler;
use tanba_core::{Job, Label, Lang, Wording};
use tanba_office::{DOCX, DOCX_STYLE_ID, ODF_STYLE_NAME, ODT};

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

/// The names and values of the custom properties python-docx finds in a
/// DOCX (LibreOffice writes an ODT's user-defined fields there).
const PY_CUSTOM: &str = r#"
import sys, docx, json, xml.etree.ElementTree as ET
d = docx.Document(sys.argv[1])
parts = [p for p in d.part.package.parts if str(p.partname) == '/docProps/custom.xml']
props = {}
if parts:
    for p in ET.fromstring(parts[0].blob):
        props[p.get('name')] = ''.join(p.itertext())
print(json.dumps({'props': props, 'paragraphs': [p.text for p in d.paragraphs]}))
"#;

#[test]
fn odt_gets_a_first_paragraph_and_user_defined_fields_libreoffice_reads() {
    let dir = tempfile::tempdir().unwrap();
    let input = made_by_libreoffice(dir.path(), "odt");
    let (labelled, _) = label(&input, &ODT, &Job::new()).unwrap();
    let check = verify(&labelled, &ODT);
    assert!(check.is_compliant(), "{check:?}");
    assert_eq!(check.marks.len(), 2);
    let content = entry(&labelled, "content.xml").unwrap();
    assert!(content.contains(&format!("<text:p text:style-name=\"{ODF_STYLE_NAME}\">")));
    assert!(content.contains("fo:language=\"kk\"") && content.contains("fo:language=\"ru\""));
    let styles = entry(&labelled, "styles.xml").unwrap();
    assert!(styles.contains("style:display-name=\"Tanba AI notice\""));

    // The mimetype stays first and stored; the other parts not edited are
    // copied raw.
    let after = raw_entries(&labelled);
    assert_eq!(after[0].0, "mimetype");
    assert_eq!(after[0].2, ODT.mime.as_bytes());
    let edited = ["content.xml", "styles.xml", "meta.xml"];
    for e in raw_entries(&input) {
        if !edited.contains(&e.0.as_str()) {
            assert!(after.contains(&e), "{} was not copied raw", e.0);
        }
    }
    assert_eq!(
        tanba_office::OfficeLabeler::default().sniff(&labelled, None),
        Some(&ODT)
    );

    // LibreOffice: the notice on top of the PDF; saved as DOCX, the notice
    // is its first paragraph, the user's paragraphs follow unchanged, and
    // our user-defined fields became custom properties python-docx reads.
    let out = dir.path().join("labelled.odt");
    std::fs::write(&out, &labelled).unwrap();
    let label = Label::default();
    let text = pdftotext(&soffice(dir.path(), "pdf", &[&out])[0]);
    assert_eq!(
        first_lines(&text, 3),
        [
            label.lines[0].text.as_str(),
            label.lines[1].text.as_str(),
            PARAGRAPHS[0]
        ],
        "{text}"
    );
    let docx = soffice(dir.path(), "docx", &[&out]);
    let read: serde_json::Value = serde_json::from_str(&python(PY_CUSTOM, &[&docx[0]])).unwrap();
    let mut expected = vec![label.joined("\n")];
    expected.extend(PARAGRAPHS.iter().map(|p| p.to_string()));
    assert_eq!(read["paragraphs"], serde_json::json!(expected));
    let manifest = check.manifest.unwrap();
    assert_eq!(read["props"]["Tanba-Manifest"], manifest.to_json());
    assert_eq!(read["props"]["AIGC"], manifest.aigc.to_json());
}

#[test]
fn odt_labelled_twice_is_refused_and_force_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let input = made_by_libreoffice(dir.path(), "odt");
    let (once, _) = label(&input, &ODT, &Job::new()).unwrap();
    let err = label(&once, &ODT, &Job::new()).unwrap_err();
    assert_eq!(err.kind_name(), "already-labelled");
    let english = Job::new()
        .with_force(true)
        .with_label(Label::standard(&[Lang::En], Wording::Short));
    let (twice, _) = label(&once, &ODT, &english).unwrap();
    let content = entry(&twice, "content.xml").unwrap();
    assert_eq!(
        content
            .matches(&format!("text:style-name=\"{ODF_STYLE_NAME}\""))
            .count(),
        1
    );
    assert!(content.contains("Created with AI") && !content.contains(Lang::Ru.long_text()));
    let meta = entry(&twice, "meta.xml").unwrap();
    assert_eq!(meta.matches("meta:name=\"AIGC\"").count(), 1);
    assert_eq!(meta.matches("meta:name=\"Tanba-Manifest\"").count(), 1);
    let styles = entry(&twice, "styles.xml").unwrap();
    assert_eq!(
        styles
            .matches(&format!("style:name=\"{ODF_STYLE_NAME}\""))
            .count(),
        1
    );
    assert!(verify(&twice, &ODT).is_compliant());
}

#[test]
fn a_signed_document_is_labelled_with_a_note_that_its_signature_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let input = made_by_libreoffice(dir.path(), "odt");
    let (plain, labelled) = label(&input, &ODT, &Job::new()).unwrap();
    assert!(labelled.notes.is_empty(), "{:?}", labelled.notes);
    // The same ODT with a (dummy) signature part, as LibreOffice stores one.
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&input)).unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        w.raw_copy_file(archive.by_index_raw(i).unwrap()).unwrap();
    }
    w.start_file(
        "META-INF/documentsignatures.xml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    std::io::Write::write_all(&mut w, b"<document-signatures/>").unwrap();
    let signed = w.finish().unwrap().into_inner();
    let (_, labelled) = label(&signed, &ODT, &Job::new()).unwrap();
    assert!(
        labelled.notes[0].contains("signature no longer matches"),
        "{:?}",
        labelled.notes
    );
    assert!(verify(&plain, &ODT).is_compliant());
}
