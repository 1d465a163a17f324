//! Damaged PDFs: each is either refused with a typed error and nothing
//! written, or labelled so that poppler finds the banner on every stamped
//! page, exiftool reads the marks and `verify` agrees.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, dictionary};
use tanba_core::Job;
use tanba_pdf::PdfSettings;

/// A three-page `simple` document changed by `damage`, saved by lopdf as it is.
fn damaged(damage: impl FnOnce(&mut Document, &[ObjectId])) -> Vec<u8> {
    let mut doc = Document::load_mem(&simple(3)).unwrap();
    let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
    damage(&mut doc, &pages);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

fn pages_node(doc: &Document) -> ObjectId {
    doc.catalog()
        .unwrap()
        .get(b"Pages")
        .unwrap()
        .as_reference()
        .unwrap()
}

fn set_page(doc: &mut Document, page: ObjectId, key: &str, value: impl Into<Object>) {
    doc.get_dictionary_mut(page).unwrap().set(key, value);
}

/// Page 2's content replaced by `content`, its stream dictionary by `dict`.
fn page_two_content(doc: &mut Document, pages: &[ObjectId], dict: Dictionary, content: &[u8]) {
    let stream = doc.add_object(Stream::new(dict, content.to_vec()));
    set_page(doc, pages[1], "Contents", stream);
}

/// `pdf` with its `startxref` offset pointing 7 bytes too far.
fn wrong_startxref(mut pdf: Vec<u8>) -> Vec<u8> {
    let at = pdf.windows(9).rposition(|w| w == b"startxref").unwrap() + 10;
    let end = at + pdf[at..].iter().position(|b| !b.is_ascii_digit()).unwrap();
    let offset: usize = std::str::from_utf8(&pdf[at..end]).unwrap().parse().unwrap();
    pdf.splice(at..end, (offset + 7).to_string().into_bytes());
    pdf
}

fn cases() -> Vec<(&'static str, Vec<u8>)> {
    let text = b"BT /F1 18 Tf 72 100 Td (Report page 2) Tj ET\n";
    vec![
        (
            "contents-missing",
            damaged(|doc, p| {
                doc.get_dictionary_mut(p[1]).unwrap().remove(b"Contents");
            }),
        ),
        (
            "contents-dangling-ref",
            damaged(|doc, p| {
                let own = doc
                    .get_dictionary(p[1])
                    .unwrap()
                    .get(b"Contents")
                    .unwrap()
                    .clone();
                set_page(
                    doc,
                    p[1],
                    "Contents",
                    vec![Object::Reference((900, 0)), own],
                );
            }),
        ),
        (
            "contents-ref-to-integer",
            damaged(|doc, p| {
                let number = doc.add_object(Object::Integer(7));
                set_page(doc, p[1], "Contents", number);
            }),
        ),
        (
            "contents-not-a-stream",
            damaged(|doc, p| {
                set_page(doc, p[1], "Contents", Object::Integer(7));
            }),
        ),
        (
            "contents-bad-flate",
            damaged(|doc, p| {
                page_two_content(
                    doc,
                    p,
                    dictionary! { "Filter" => "FlateDecode" },
                    b"not deflate data at all",
                );
            }),
        ),
        (
            "contents-unknown-filter",
            damaged(|doc, p| {
                page_two_content(doc, p, dictionary! { "Filter" => "NoSuchDecode" }, text);
            }),
        ),
        (
            "contents-unterminated-string",
            damaged(|doc, p| {
                page_two_content(
                    doc,
                    p,
                    Dictionary::new(),
                    b"BT /F1 18 Tf 72 100 Td (never closed Tj ET\n",
                );
            }),
        ),
        (
            "contents-open-text-object",
            damaged(|doc, p| {
                page_two_content(
                    doc,
                    p,
                    Dictionary::new(),
                    b"BT /F1 18 Tf 72 100 Td (open) Tj\n",
                );
            }),
        ),
        (
            "contents-garbage",
            damaged(|doc, p| {
                page_two_content(doc, p, Dictionary::new(), b"\x00\xff}} ]] >> 1 2 3 ) Tj\n");
            }),
        ),
        (
            "no-resources",
            damaged(|doc, _| {
                let node = pages_node(doc);
                doc.get_dictionary_mut(node).unwrap().remove(b"Resources");
            }),
        ),
        (
            "resources-not-a-dictionary",
            damaged(|doc, p| {
                set_page(doc, p[1], "Resources", Object::Integer(5));
            }),
        ),
        (
            "resources-dangling-ref",
            damaged(|doc, p| {
                set_page(doc, p[1], "Resources", Object::Reference((901, 0)));
            }),
        ),
        (
            "font-dictionary-broken",
            damaged(|doc, p| {
                set_page(
                    doc,
                    p[1],
                    "Resources",
                    dictionary! { "Font" => dictionary! { "F1" => Object::Reference((902, 0)) } },
                );
            }),
        ),
        (
            "no-mediabox",
            damaged(|doc, _| {
                let node = pages_node(doc);
                doc.get_dictionary_mut(node).unwrap().remove(b"MediaBox");
            }),
        ),
        (
            "mediabox-garbage",
            damaged(|doc, p| {
                set_page(
                    doc,
                    p[1],
                    "MediaBox",
                    vec![0.into(), 0.into(), "a".into(), 5.into()],
                );
            }),
        ),
        (
            "mediabox-empty",
            damaged(|doc, p| {
                set_page(
                    doc,
                    p[1],
                    "MediaBox",
                    vec![0.into(), 0.into(), 0.into(), 0.into()],
                );
            }),
        ),
        (
            "rotate-45",
            damaged(|doc, p| set_page(doc, p[1], "Rotate", 45)),
        ),
        (
            "rotate-450",
            damaged(|doc, p| set_page(doc, p[1], "Rotate", 450)),
        ),
        (
            "rotate-real",
            damaged(|doc, p| set_page(doc, p[1], "Rotate", 90.0)),
        ),
        (
            "rotate-name",
            damaged(|doc, p| set_page(doc, p[1], "Rotate", "Ninety")),
        ),
        (
            "kid-missing",
            damaged(|doc, p| {
                let node = pages_node(doc);
                let kids = vec![
                    p[0].into(),
                    Object::Reference((903, 0)),
                    p[1].into(),
                    p[2].into(),
                ];
                let pages = doc.get_dictionary_mut(node).unwrap();
                pages.set("Kids", kids);
                pages.set("Count", 4);
            }),
        ),
        (
            "kid-not-a-page",
            damaged(|doc, p| {
                let node = pages_node(doc);
                let odd = doc.add_object(
                    dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Courier" },
                );
                let kids = vec![p[0].into(), odd.into(), p[1].into(), p[2].into()];
                doc.get_dictionary_mut(node).unwrap().set("Kids", kids);
            }),
        ),
        (
            "kids-cycle",
            damaged(|doc, _| {
                let node = pages_node(doc);
                let pages = doc.get_dictionary_mut(node).unwrap();
                let mut kids = pages.get(b"Kids").unwrap().as_array().unwrap().clone();
                kids.push(node.into());
                pages.set("Kids", kids);
            }),
        ),
        (
            "page-without-type",
            damaged(|doc, p| {
                doc.get_dictionary_mut(p[1]).unwrap().remove(b"Type");
            }),
        ),
        ("startxref-wrong", wrong_startxref(simple(3))),
        (
            "xref-stream-startxref-wrong",
            wrong_startxref(qpdf_rewrite(&simple(3), &["--object-streams=generate"])),
        ),
        (
            "count-wrong",
            damaged(|doc, _| {
                let node = pages_node(doc);
                doc.get_dictionary_mut(node).unwrap().set("Count", 9);
            }),
        ),
    ]
}

/// The committed damaged inputs, with their names.
fn committed() -> Vec<(String, Vec<u8>)> {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/damaged");
    let mut files: Vec<_> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "tests/damaged holds no inputs");
    files
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(p).unwrap(),
            )
        })
        .collect()
}

/// Page 2 (the damaged one in the built cases) shows the banner: its words
/// lie inside the displayed page and poppler paints dark pixels there.
fn assert_banner_drawn(output: &[u8], name: &str, mode: &str) {
    let (words, w, h) = word_boxes(output, 2);
    // pdftotext gives the unrotated size and the words on the displayed page.
    let turned = page_sizes(output)
        .iter()
        .any(|l| l.starts_with("Page    2 rot:") && (l.ends_with(" 90") || l.ends_with(" 270")));
    let (w, h) = if turned { (h, w) } else { (w, h) };
    let word = words
        .iter()
        .find(|(t, ..)| t == "интеллект")
        .unwrap_or_else(|| panic!("{name} ({mode}): no banner word on page 2: {words:?}"));
    let (_, x0, y0, x1, y1) = *word;
    assert!(
        x0 >= 0.0 && y0 >= 0.0 && x1 <= w && y1 <= h,
        "{name} ({mode}): banner word {word:?} outside the {w} x {h} page"
    );
    // 36 dpi: half a pixel per point.
    let (pw, ph, pixels) = render_gray(output, 2);
    let px = |v: f32, max: usize| ((v / 2.0) as usize).min(max - 1);
    let dark = (px(y0, ph)..=px(y1, ph))
        .flat_map(|y| (px(x0, pw)..=px(x1, pw)).map(move |x| (x, y)))
        .any(|(x, y)| pixels[y * pw + x] < 128);
    assert!(
        dark,
        "{name} ({mode}): nothing dark where the banner word is"
    );
}

/// The contract for one input in one mode; the outcome, for the summary.
fn check(name: &str, input: &[u8], rewrite: bool) -> String {
    let settings = PdfSettings {
        rewrite,
        ..PdfSettings::default()
    };
    let mode = if rewrite { "rewrite" } else { "incremental" };
    let (output, result) = label_into(settings, input, &Job::default());
    let labelled = match result {
        Err(e) => {
            assert!(
                output.is_empty(),
                "{name} ({mode}): refused ({e}) but wrote {} bytes",
                output.len()
            );
            assert!(e.to_string().len() > 20, "{name}: terse error {e}");
            assert_ne!(e.kind_name(), "io", "{name}: {e}");
            return format!("{name} ({mode}): refused, {}: {e}", e.kind_name());
        }
        Ok(labelled) => labelled,
    };
    let pages = labelled.manifest.label.placement.pages.clone().unwrap();
    assert!(!pages.is_empty(), "{name}");
    for &page in &pages {
        let text = page_text(&output, page);
        assert_eq!(
            text.matches(KK).count(),
            1,
            "{name} ({mode}) page {page}: {text:?}"
        );
        assert_eq!(
            text.matches(RU).count(),
            1,
            "{name} ({mode}) page {page}: {text:?}"
        );
    }
    if pages.contains(&2) {
        assert_banner_drawn(&output, name, mode);
    }
    // Strict readers find the marks too: exiftool reads the XMP and /AIGC
    // with no complaint about the file's structure.
    let exif = exiftool(&output);
    assert!(
        exif["XMP-tanba:Manifest"].is_string() && exif["PDF:AIGC"].is_string(),
        "{name} ({mode}): exiftool finds no marks: {exif}"
    );
    assert!(
        exif["ExifTool:Warning"].is_null(),
        "{name} ({mode}): exiftool warns: {}",
        exif["ExifTool:Warning"]
    );
    let v = verify(&output).unwrap();
    assert!(
        v.perceptible.found,
        "{name} ({mode}): verify says {}",
        v.perceptible.detail
    );
    assert!(v.is_compliant(), "{name} ({mode}): {v:?}");
    format!("{name} ({mode}): labelled, notes {:?}", labelled.notes)
}

#[test]
fn damaged_pdfs_are_refused_or_really_labelled() {
    let mut inputs: Vec<(String, Vec<u8>)> = cases()
        .into_iter()
        .map(|(name, bytes)| (name.to_string(), bytes))
        .collect();
    inputs.extend(committed());
    let mut failures = Vec::new();
    for (name, input) in &inputs {
        for rewrite in [false, true] {
            match std::panic::catch_unwind(|| check(name, input, rewrite)) {
                Ok(outcome) => eprintln!("{outcome}"),
                Err(panic) => failures.push(
                    panic
                        .downcast_ref::<String>()
                        .cloned()
                        .unwrap_or_else(|| format!("{name}: panicked")),
                ),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
