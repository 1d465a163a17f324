#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use lopdf::{Document, Object, Stream, dictionary};
use tanba_core::manifest::DST_TRAINED_ALGORITHMIC_MEDIA;
use tanba_core::{Job, MarkKind, SignatureState};
use tanba_pdf::PdfSettings;

#[test]
fn exiftool_reads_the_xmp_and_the_info_aigc() {
    let (output, labelled) = label(&kitchen_sink());
    let tags = exiftool(&output);
    assert_eq!(
        tags["XMP-iptcExt:DigitalSourceType"], DST_TRAINED_ALGORITHMIC_MEDIA,
        "{tags:#}"
    );
    let aigc = tags["PDF:AIGC"].as_str().expect("Info /AIGC");
    assert_eq!(aigc, labelled.manifest.aigc.to_json());
    assert!(aigc.contains("\"Label\":\"1\""));
    // The Info entries that were there stay.
    assert_eq!(tags["PDF:Title"], "Test");
    assert!(tags["PDF:PageCount"] == 6, "{tags:#}");
}

#[test]
fn existing_xmp_is_merged_not_replaced() {
    let mut doc = Document::load_mem(&simple(2)).unwrap();
    let packet = r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt><rdf:li xml:lang="x-default">Есеп 2026</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"#;
    let meta = doc.add_object(Stream::new(
        dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
        packet.as_bytes().to_vec(),
    ));
    let root = doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
    doc.get_dictionary_mut(root).unwrap().set("Metadata", meta);
    let mut input = Vec::new();
    doc.save_to(&mut input).unwrap();
    let input = qpdf_rewrite(&input, &["--object-streams=disable"]);

    let (output, _) = label(&input);
    assert_qpdf_clean(&output);
    let tags = exiftool(&output);
    assert_eq!(tags["XMP-dc:Title"], "Есеп 2026", "{tags:#}");
    assert_eq!(
        tags["XMP-iptcExt:DigitalSourceType"],
        DST_TRAINED_ALGORITHMIC_MEDIA
    );
}

#[test]
fn verify_reads_the_marks_and_the_page_text() {
    let (output, labelled) = label(&kitchen_sink());
    let v = verify(&output).unwrap();
    let kinds: Vec<MarkKind> = v.marks.iter().map(|m| m.kind).collect();
    for kind in [MarkKind::Xmp, MarkKind::Aigc, MarkKind::Manifest] {
        assert!(kinds.contains(&kind), "{:?}", v.marks);
    }
    assert_eq!(
        v.manifest.as_ref().map(|m| &m.id),
        Some(&labelled.manifest.id)
    );
    assert!(v.perceptible.found, "{}", v.perceptible.detail);
    assert!(v.is_compliant());
    assert_eq!(v.signature, SignatureState::Unsigned);
}

#[test]
fn verify_of_an_unlabelled_pdf_finds_nothing() {
    let v = verify(&simple(1)).unwrap();
    assert!(v.marks.is_empty());
    assert!(!v.perceptible.found);
    assert!(!v.is_compliant());
}

/// Metadata alone is not compliance: a page listed in the manifest that
/// lost its stamp is reported.
#[test]
fn verify_notices_a_page_without_the_stamp() {
    let (output, _) = label(&simple(3));
    let mut doc = Document::load_mem(&output).unwrap();
    let pages = doc.get_pages();
    let page2 = pages[&2];
    let original = doc
        .get_dictionary(page2)
        .unwrap()
        .get(b"Contents")
        .unwrap()
        .as_array()
        .unwrap()[1]
        .clone();
    doc.get_dictionary_mut(page2)
        .unwrap()
        .set("Contents", original);
    let mut tampered = Vec::new();
    doc.save_to(&mut tampered).unwrap();
    let v = verify(&tampered).unwrap();
    assert!(v.has_machine_mark());
    assert!(!v.perceptible.found);
    assert!(
        v.perceptible
            .detail
            .contains("missing from page 2 of labelled pages 1, 2"),
        "{}",
        v.perceptible.detail
    );
}

#[test]
fn signed_manifest_verifies() {
    let key = tanba_core::signing::SigningKey::from_bytes(&[9u8; 32]);
    let job = Job::new().with_signing_key(key);
    let (output, _) = label_with(PdfSettings::default(), &simple(1), &job).unwrap();
    let v = verify(&output).unwrap();
    assert!(
        matches!(v.signature, SignatureState::Valid { .. }),
        "{:?}",
        v.signature
    );
}

#[test]
fn already_labelled_is_refused_unless_forced() {
    let (once, _) = label(&simple(2));
    let e = label_with(PdfSettings::default(), &once, &Job::default()).unwrap_err();
    assert_eq!(e.kind_name(), "already-labelled");
    // Forced, the new label replaces the first (tests/relabel.rs covers
    // every mode): an update on top of the first, with one banner.
    let forced = Job::new()
        .with_force(true)
        .with_position(tanba_core::Position::TopLeft);
    let (twice, _) = label_with(PdfSettings::default(), &once, &forced).unwrap();
    assert!(twice.starts_with(&once));
    assert_qpdf_clean(&twice);
    let v = verify(&twice).unwrap();
    assert!(v.perceptible.found, "{}", v.perceptible.detail);
    assert_eq!(page_text(&twice, 1).matches(KK).count(), 1);
}

/// Forms, links, outlines, attachments and the structure tree all come
/// through, as qpdf sees them.
#[test]
fn document_features_survive() {
    let input = kitchen_sink();
    let (output, _) = label(&input);
    let before = qpdf_json(&input);
    let after = qpdf_json(&output);
    assert_eq!(
        before["acroform"]["fields"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(before["acroform"], after["acroform"]);
    assert_eq!(before["outlines"], after["outlines"]);
    assert_eq!(
        before["attachments"]["notes.txt"]["filespec"],
        after["attachments"]["notes.txt"]["filespec"]
    );
    let annots = |v: &serde_json::Value| {
        v["pages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["annotations"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(annots(&before), annots(&after));
    let doc = Document::load_mem(&output).unwrap();
    let catalog = doc.catalog().unwrap();
    assert!(catalog.has(b"StructTreeRoot") && catalog.has(b"MarkInfo"));
    let pages = doc.get_pages();
    let link = doc
        .get_dictionary(pages[&2])
        .unwrap()
        .get(b"Annots")
        .unwrap()
        .as_array()
        .unwrap()[0]
        .clone();
    assert!(matches!(link, Object::Reference(_)));
}
