//! The banner in a tagged PDF's logical structure, as poppler and qpdf see it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use lopdf::{Document, Object, ObjectId, dictionary};
use tanba_core::Job;
use tanba_pdf::PdfSettings;

/// The struct-text lines that quote an element's text.
fn quoted_texts(structure: &str) -> Vec<String> {
    structure
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('"'))
        .map(|l| l.trim_matches('"').to_string())
        .collect()
}

fn label_both_ways(input: &[u8]) -> Vec<(&'static str, Vec<u8>, Vec<String>)> {
    [("incremental", false), ("rewrite", true)]
        .into_iter()
        .map(|(mode, rewrite)| {
            let settings = PdfSettings {
                rewrite,
                ..PdfSettings::default()
            };
            let (output, labelled) = label_with(settings, input, &Job::default()).unwrap();
            (mode, output, labelled.notes)
        })
        .collect()
}

/// The label's lines as one element's text: the lines joined by a space.
fn label_element_text() -> String {
    format!("{KK} {RU}")
}

/// The parent tree's array for `key`, from a flat or two-level tree.
fn parent_tree_array(doc: &Document, key: i64) -> Vec<Object> {
    let root = doc.catalog().unwrap().get(b"StructTreeRoot").unwrap();
    let root = doc.dereference(root).unwrap().1.as_dict().unwrap();
    let tree = doc.dereference(root.get(b"ParentTree").unwrap()).unwrap().1;
    let mut leaves = vec![tree.as_dict().unwrap().clone()];
    if let Ok(kids) = tree.as_dict().unwrap().get(b"Kids") {
        leaves = kids
            .as_array()
            .unwrap()
            .iter()
            .map(|k| doc.dereference(k).unwrap().1.as_dict().unwrap().clone())
            .collect();
    }
    for leaf in leaves {
        let nums = leaf.get(b"Nums").unwrap().as_array().unwrap();
        for pair in nums.chunks(2) {
            if pair[0].as_i64().unwrap() == key {
                return doc
                    .dereference(&pair[1])
                    .unwrap()
                    .1
                    .as_array()
                    .unwrap()
                    .clone();
            }
        }
    }
    panic!("no parent tree entry {key}");
}

#[test]
fn banner_joins_the_structure_tree_of_a_tagged_pdf() {
    let input = kitchen_sink();
    let before = quoted_texts(&struct_text(&input));
    assert_eq!(
        before,
        [
            "Page one",
            "Introduction",
            "Page two",
            "Page three",
            "Page four",
            "Page five"
        ]
    );
    for (mode, output, notes) in label_both_ways(&input) {
        assert!(notes.is_empty(), "{mode}: {notes:?}");
        assert_qpdf_clean(&output);
        let structure = struct_text(&output);
        let after = quoted_texts(&structure);
        // The original elements keep their own text (no MCID was reused),
        // followed by one label paragraph per page.
        assert_eq!(after[..before.len()], before[..], "{mode}:\n{structure}");
        let labels = &after[before.len()..];
        assert_eq!(labels.len(), 6, "{mode}:\n{structure}");
        assert!(
            labels.iter().all(|t| *t == label_element_text()),
            "{mode}:\n{structure}"
        );
        assert!(structure.contains("Link (inline)"), "{mode}:\n{structure}");
        for page in 1..=6 {
            let text = page_text(&output, page);
            assert!(
                text.contains(KK) && text.contains(RU),
                "{mode} page {page}: {text}"
            );
        }

        let doc = Document::load_mem(&output).unwrap();
        let pages = doc.get_pages();
        // Page 1 already had MCIDs 0 and 1, so the banner is MCID 2 there.
        let page_one = parent_tree_array(&doc, 0);
        assert_eq!(page_one.len(), 3, "{mode}");
        let element = doc
            .get_dictionary(page_one[2].as_reference().unwrap())
            .unwrap();
        assert_eq!(element.get(b"S").unwrap().as_name().unwrap(), b"P");
        assert_eq!(element.get(b"K").unwrap().as_i64().unwrap(), 2);
        assert_eq!(element.get(b"Lang").unwrap().as_str().unwrap(), b"kk");
        assert_eq!(
            element.get(b"Pg").unwrap().as_reference().unwrap(),
            pages[&1]
        );
        // Page 6 had no /StructParents: it gets the declared next key.
        let page_six = doc.get_dictionary(pages[&6]).unwrap();
        assert_eq!(page_six.get(b"StructParents").unwrap().as_i64().unwrap(), 6);
        assert_eq!(parent_tree_array(&doc, 6).len(), 1, "{mode}");
        let root = doc.catalog().unwrap().get(b"StructTreeRoot").unwrap();
        let root = doc.dereference(root).unwrap().1.as_dict().unwrap();
        assert_eq!(root.get(b"ParentTreeNextKey").unwrap().as_i64().unwrap(), 7);
    }
}

/// A tagged document whose structure tree is only a root: no elements, no
/// parent tree, no /StructParents on its pages.
fn bare_tagged(pages: usize) -> Vec<u8> {
    let mut doc = Document::load_mem(&simple(pages)).unwrap();
    let root = doc.add_object(dictionary! { "Type" => "StructTreeRoot" });
    let catalog = doc.catalog_mut().unwrap();
    catalog.set("StructTreeRoot", root);
    catalog.set("MarkInfo", dictionary! { "Marked" => true });
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    qpdf_rewrite(&bytes, &["--object-streams=disable"])
}

#[test]
fn bare_structure_tree_gets_elements_and_a_parent_tree() {
    let input = bare_tagged(2);
    for (mode, output, notes) in label_both_ways(&input) {
        assert!(notes.is_empty(), "{mode}: {notes:?}");
        assert_qpdf_clean(&output);
        let structure = struct_text(&output);
        assert_eq!(
            quoted_texts(&structure),
            [label_element_text(), label_element_text()],
            "{mode}:\n{structure}"
        );
        let doc = Document::load_mem(&output).unwrap();
        for (number, page) in doc.get_pages() {
            let key = doc
                .get_dictionary(page)
                .unwrap()
                .get(b"StructParents")
                .unwrap()
                .as_i64()
                .unwrap();
            assert_eq!(key, i64::from(number) - 1, "{mode}");
            assert_eq!(parent_tree_array(&doc, key).len(), 1, "{mode}");
        }
    }
}

/// The catalog's StructTreeRoot dictionary id, for editing a test file.
fn struct_tree_root(doc: &Document) -> ObjectId {
    doc.catalog()
        .unwrap()
        .get(b"StructTreeRoot")
        .unwrap()
        .as_reference()
        .unwrap()
}

#[test]
fn single_non_document_kid_becomes_an_array_and_keys_follow_the_largest() {
    // The root's /K is one /P (not a /Document): the label joins it at the
    // root, and without /ParentTreeNextKey the new key is the largest + 1.
    let mut doc = Document::load_mem(&bare_tagged(2)).unwrap();
    let root = struct_tree_root(&doc);
    let pages = doc.get_pages();
    let first = pages[&1];
    let element = doc.add_object(dictionary! {
        "Type" => "StructElem", "S" => "P", "P" => root, "Pg" => first, "K" => 0,
    });
    let marks = doc.add_object(vec![Object::Reference(element)]);
    let root_dict = doc.get_dictionary_mut(root).unwrap();
    root_dict.set("K", element);
    root_dict.set(
        "ParentTree",
        dictionary! { "Nums" => vec![Object::Integer(7), marks.into()] },
    );
    doc.get_dictionary_mut(first)
        .unwrap()
        .set("StructParents", 7);
    let content = doc.get_page_content(first);
    let tagged = format!(
        "/P <</MCID 0>> BDC {} EMC\n",
        String::from_utf8(content).unwrap()
    );
    let content_id = doc.get_page_contents(first)[0];
    doc.objects.insert(
        content_id,
        Object::Stream(lopdf::Stream::new(
            lopdf::Dictionary::new(),
            tagged.into_bytes(),
        )),
    );
    let mut input = Vec::new();
    doc.save_to(&mut input).unwrap();
    let input = qpdf_rewrite(&input, &["--object-streams=disable"]);
    assert_eq!(quoted_texts(&struct_text(&input)), ["Report page 1"]);

    for (mode, output, notes) in label_both_ways(&input) {
        assert!(notes.is_empty(), "{mode}: {notes:?}");
        assert_qpdf_clean(&output);
        let structure = struct_text(&output);
        assert_eq!(
            quoted_texts(&structure),
            [
                "Report page 1".to_string(),
                label_element_text(),
                label_element_text()
            ],
            "{mode}:\n{structure}"
        );
        let doc = Document::load_mem(&output).unwrap();
        let root = doc.get_dictionary(struct_tree_root(&doc)).unwrap();
        assert_eq!(
            root.get(b"K").unwrap().as_array().unwrap().len(),
            3,
            "{mode}"
        );
        assert_eq!(root.get(b"ParentTreeNextKey").unwrap().as_i64().unwrap(), 9);
        let second = doc.get_pages()[&2];
        let key = doc
            .get_dictionary(second)
            .unwrap()
            .get(b"StructParents")
            .unwrap();
        assert_eq!(key.as_i64().unwrap(), 8, "{mode}");
        assert_eq!(parent_tree_array(&doc, 7).len(), 2, "{mode}");
    }
}

#[test]
fn untagged_pdf_gets_no_structure() {
    let input = simple(2);
    for (mode, output, notes) in label_both_ways(&input) {
        assert!(notes.is_empty(), "{mode}: {notes:?}");
        let doc = Document::load_mem(&output).unwrap();
        assert!(!doc.catalog().unwrap().has(b"StructTreeRoot"), "{mode}");
        for page in doc.get_pages().into_values() {
            assert!(!doc.get_dictionary(page).unwrap().has(b"StructParents"));
            let content = String::from_utf8_lossy(&doc.get_page_content(page)).into_owned();
            assert!(
                !content.contains("BDC") && !content.contains("BMC"),
                "{mode}: {content}"
            );
        }
        assert!(page_text(&output, 1).contains(KK), "{mode}");
    }
}

#[test]
fn malformed_structure_tree_is_left_alone_with_a_note() {
    let mut doc = Document::load_mem(&kitchen_sink()).unwrap();
    let root = struct_tree_root(&doc);
    doc.get_dictionary_mut(root).unwrap().set("ParentTree", 5);
    let mut input = Vec::new();
    doc.save_to(&mut input).unwrap();
    for (mode, output, notes) in label_both_ways(&input) {
        assert!(
            notes
                .iter()
                .any(|n| n.contains("structure tree is malformed")),
            "{mode}: {notes:?}"
        );
        assert_qpdf_clean(&output);
        assert!(page_text(&output, 1).contains(KK), "{mode}");
        let doc = Document::load_mem(&output).unwrap();
        let first = doc.get_pages()[&1];
        let content = String::from_utf8_lossy(&doc.get_page_content(first)).into_owned();
        assert!(!content.contains("MCID 2"), "{mode}: {content}");
        assert!(
            !doc.get_dictionary(doc.get_pages()[&6])
                .unwrap()
                .has(b"StructParents"),
            "{mode}"
        );
    }
}
