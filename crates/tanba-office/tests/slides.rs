#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Presentations made by LibreOffice from `fixtures/office/deck.fodp`,
//! labelled, then printed by LibreOffice: the notice on every slide.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use tanba_core::{Job, Label, Lang, Wording};
use tanba_office::{ODP, PPTX};

/// The two-slide deck, converted by LibreOffice to `to`.
fn deck(dir: &Path, to: &str) -> Vec<u8> {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/office/deck.fodp");
    let copy = dir.join(format!("deck-{to}.fodp"));
    std::fs::copy(fixture, &copy).unwrap();
    std::fs::read(&soffice(dir, to, &[&copy])[0]).unwrap()
}

/// The text of each page of a PDF.
fn pages(pdf: &Path) -> Vec<String> {
    let text = pdftotext(pdf);
    text.split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// The user's words on each slide of the fixture.
const SLIDES: [[&str; 2]; 2] = [
    [
        "Sales plan for the year",
        "Three new depots open in spring.",
    ],
    ["Budget", "Қаржы жоспары бекітілді."],
];

/// Reads an OOXML package's custom properties with python-docx's OPC
/// reader (any OOXML package, not only Word's).
const PY_OPC_CUSTOM: &str = r#"
import sys, json, xml.etree.ElementTree as ET
from docx.opc.package import OpcPackage
pkg = OpcPackage.open(sys.argv[1])
props = {}
for part in pkg.iter_parts():
    if str(part.partname) == '/docProps/custom.xml':
        for p in ET.fromstring(part.blob):
            props[p.get('name')] = ''.join(p.itertext())
print(json.dumps(props))
"#;

fn check_pdf(dir: &Path, file: PathBuf, label: &Label) {
    let pdf = soffice(dir, "pdf", &[&file]);
    let pages = pages(&pdf[0]);
    assert_eq!(pages.len(), 2, "{pages:?}");
    for (page, words) in pages.iter().zip(SLIDES) {
        for line in &label.lines {
            assert!(page.contains(&line.text), "no {:?} on {page}", line.text);
        }
        for w in words {
            assert!(page.contains(w), "the slide lost {w:?}: {page}");
        }
        // The banner is at the bottom: the notice comes after the words.
        let notice_at = page.find(&label.lines[0].text).unwrap();
        assert!(notice_at > page.find(words[1]).unwrap(), "{page}");
    }
}

#[test]
fn pptx_gets_a_banner_on_every_slide() {
    let dir = tempfile::tempdir().unwrap();
    let input = deck(dir.path(), "pptx");
    let (labelled, _) = label(&input, &PPTX, &Job::new()).unwrap();
    let check = verify(&labelled, &PPTX);
    assert!(check.is_compliant(), "{check:?}");
    assert!(
        check.perceptible.detail.contains("every slide (2)"),
        "{check:?}"
    );

    // Slides other than the notice unchanged; the rest copied raw.
    for n in [1, 2] {
        let part = format!("ppt/slides/slide{n}.xml");
        let (before, after) = (
            entry(&input, &part).unwrap(),
            entry(&labelled, &part).unwrap(),
        );
        let cut = before.find("</p:spTree>").unwrap();
        assert!(
            after.starts_with(&before[..cut]),
            "slide {n} changed before the banner"
        );
        assert!(after.ends_with(&before[cut..]));
    }
    let before = raw_entries(&input);
    let after = raw_entries(&labelled);
    for e in &before {
        if !e.0.starts_with("ppt/slides/slide")
            && !["[Content_Types].xml", "_rels/.rels"].contains(&e.0.as_str())
        {
            assert!(after.contains(e), "{} was not copied raw", e.0);
        }
    }

    let out = dir.path().join("labelled.pptx");
    std::fs::write(&out, &labelled).unwrap();
    let props: serde_json::Value = serde_json::from_str(&python(PY_OPC_CUSTOM, &[&out])).unwrap();
    assert_eq!(
        props["Tanba-Manifest"],
        check.manifest.as_ref().unwrap().to_json()
    );
    check_pdf(dir.path(), out, &Label::default());

    // Twice refused; forced, one banner per slide with the new wording.
    assert_eq!(
        label(&labelled, &PPTX, &Job::new())
            .unwrap_err()
            .kind_name(),
        "already-labelled"
    );
    let english = Job::new()
        .with_force(true)
        .with_label(Label::standard(&[Lang::En], Wording::Short));
    let (twice, _) = label(&labelled, &PPTX, &english).unwrap();
    for n in [1, 2] {
        let slide = entry(&twice, &format!("ppt/slides/slide{n}.xml")).unwrap();
        assert_eq!(slide.matches(tanba_office::SLIDE_SHAPE_NAME).count(), 1);
        assert!(slide.contains("Created with AI") && !slide.contains(Lang::Kk.long_text()));
    }
    assert!(verify(&twice, &PPTX).is_compliant());
}

#[test]
fn odp_gets_a_banner_on_every_slide() {
    let dir = tempfile::tempdir().unwrap();
    let input = deck(dir.path(), "odp");
    let (labelled, _) = label(&input, &ODP, &Job::new()).unwrap();
    let check = verify(&labelled, &ODP);
    assert!(check.is_compliant(), "{check:?}");
    assert!(
        check.perceptible.detail.contains("every slide (2)"),
        "{check:?}"
    );
    let content = entry(&labelled, "content.xml").unwrap();
    assert_eq!(content.matches(tanba_office::SLIDE_SHAPE_NAME).count(), 2);
    // 15.75 cm is the shorter side: two lines take 8 %, 1.26 cm, at the bottom.
    assert!(
        content.contains("svg:height=\"1.260cm\" svg:x=\"0cm\" svg:y=\"14.490cm\""),
        "{content}"
    );
    let out = dir.path().join("labelled.odp");
    std::fs::write(&out, &labelled).unwrap();
    check_pdf(dir.path(), out.clone(), &Label::default());

    // LibreOffice carries our user-defined fields into a PPTX's custom
    // properties: python-docx's OPC reader finds them there.
    let pptx = soffice(dir.path(), "pptx", &[&out]);
    let props: serde_json::Value =
        serde_json::from_str(&python(PY_OPC_CUSTOM, &[&pptx[0]])).unwrap();
    assert_eq!(
        props["Tanba-Manifest"],
        check.manifest.as_ref().unwrap().to_json()
    );

    assert_eq!(
        label(&labelled, &ODP, &Job::new()).unwrap_err().kind_name(),
        "already-labelled"
    );
    let english = Job::new()
        .with_force(true)
        .with_label(Label::standard(&[Lang::En], Wording::Short));
    let (twice, _) = label(&labelled, &ODP, &english).unwrap();
    let content = entry(&twice, "content.xml").unwrap();
    assert_eq!(content.matches(tanba_office::SLIDE_SHAPE_NAME).count(), 2);
    assert!(content.contains("Created with AI") && !content.contains(Lang::Kk.long_text()));
    assert!(verify(&twice, &ODP).is_compliant());
}
