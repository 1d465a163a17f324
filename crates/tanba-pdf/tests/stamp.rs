#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use tanba_core::{Job, Position};
use tanba_pdf::{Edge, PageSelection, PdfSettings};

#[test]
fn every_page_gets_extractable_kazakh_and_russian_text() {
    let input = kitchen_sink();
    let (output, labelled) = label(&input);
    assert_qpdf_clean(&output);
    for page in 1..=6 {
        let text = page_text(&output, page);
        assert!(text.contains(KK), "page {page}: {text:?}");
        assert!(text.contains(RU), "page {page}: {text:?}");
    }
    // The page's own text is still there.
    assert!(page_text(&output, 1).contains("Page one"));
    assert!(page_text(&output, 5).contains("Page five"));
    assert_eq!(
        labelled.manifest.label.placement.pages,
        Some(vec![1, 2, 3, 4, 5, 6])
    );
    assert!(labelled.notes.is_empty(), "{:?}", labelled.notes);
}

#[test]
fn incremental_update_keeps_the_original_bytes_and_page_sizes() {
    let input = kitchen_sink();
    let (output, _) = label(&input);
    assert!(
        output.starts_with(&input),
        "the original revision must be a byte prefix"
    );
    assert_eq!(page_sizes(&input), page_sizes(&output));
    assert_eq!(
        page_sizes(&output)
            .iter()
            .filter(|l| l.starts_with("Page "))
            .count(),
        12
    );
    // Only the fonts used: the file grows by kilobytes, not by the whole font.
    let growth = output.len() - input.len();
    assert!(growth < 24_000, "grew by {growth} bytes");
}

/// The label must sit on the edge the reader sees, reading left to right,
/// whatever /Rotate says and whatever the page's content left in the
/// graphics state.
#[test]
fn banner_is_upright_on_the_displayed_edge() {
    let input = kitchen_sink();
    for (edge, position) in [
        (Edge::Bottom, Position::BottomRight),
        (Edge::Top, Position::TopLeft),
    ] {
        let job = Job::new().with_position(position);
        let (output, _) = label_with(PdfSettings::default(), &input, &job).unwrap();
        for page in 1..=6 {
            let (words, _, _) = word_boxes(&output, page);
            // The visible area as poppler lays out the displayed page (origin
            // top-left of the MediaBox): rotated pages are landscape, and
            // page 5 shows only its CropBox.
            let (left, top, right, bottom) = match page {
                2..=4 => (0.0, 0.0, 842.0, 595.0),
                5 => (50.0, 190.0, 450.0, 740.0),
                _ => (0.0, 0.0, 595.0, 842.0),
            };
            let (w, h) = (right - left, bottom - top);
            let label_words: Vec<_> = words
                .iter()
                .filter(|(t, ..)| t == "интеллект" || t == "жасалған")
                .collect();
            assert!(label_words.len() >= 2, "page {page}: {words:?}");
            for (t, x0, y0, x1, y1) in label_words {
                let (x0, y0, x1, y1) = (x0 - left, y0 - top, x1 - left, y1 - top);
                // Horizontal on the displayed page: wider than tall.
                assert!(
                    x1 - x0 > 2.0 * (y1 - y0),
                    "page {page} {edge:?}: {t} is not upright ({x0},{y0},{x1},{y1})"
                );
                assert!(
                    x0 >= 0.0 && x1 <= w && y0 >= 0.0 && y1 <= h,
                    "page {page}: {t} outside the visible area"
                );
                match edge {
                    Edge::Bottom => assert!(
                        y0 > 0.8 * h,
                        "page {page}: {t} not at the bottom ({y0} of {h})"
                    ),
                    Edge::Top => assert!(
                        y1 < 0.2 * h,
                        "page {page}: {t} not at the top ({y1} of {h})"
                    ),
                }
                match position {
                    Position::BottomRight => {
                        assert!(x1 > 0.5 * w, "page {page}: {t} not on the right")
                    }
                    _ => assert!(x0 < 0.5 * w, "page {page}: {t} not on the left"),
                }
            }
        }
    }
}

#[test]
fn first_page_and_ranges() {
    let input = simple(5);
    let first = PdfSettings {
        pages: PageSelection::First,
        ..PdfSettings::default()
    };
    let (output, labelled) = label_with(first, &input, &Job::default()).unwrap();
    assert_qpdf_clean(&output);
    assert!(page_text(&output, 1).contains(KK));
    assert!(!page_text(&output, 2).contains(KK));
    assert_eq!(labelled.manifest.label.placement.pages, Some(vec![1]));

    let ranges = PdfSettings {
        pages: "2-3,5".parse().unwrap(),
        ..PdfSettings::default()
    };
    let (output, labelled) = label_with(ranges, &input, &Job::default()).unwrap();
    assert_eq!(labelled.manifest.label.placement.pages, Some(vec![2, 3, 5]));
    for (page, expected) in [(1, false), (2, true), (3, true), (4, false), (5, true)] {
        assert_eq!(
            page_text(&output, page).contains(RU),
            expected,
            "page {page}"
        );
    }
    let none = PdfSettings {
        pages: "9-".parse().unwrap(),
        ..PdfSettings::default()
    };
    assert_eq!(
        label_with(none, &input, &Job::default())
            .unwrap_err()
            .kind_name(),
        "config"
    );
    assert!("0-2".parse::<PageSelection>().is_err());
    assert!("3-1".parse::<PageSelection>().is_err());
    assert!("x".parse::<PageSelection>().is_err());
}

#[test]
fn rewrite_mode_writes_one_clean_revision() {
    let input = kitchen_sink();
    let settings = PdfSettings {
        rewrite: true,
        ..PdfSettings::default()
    };
    let (output, _) = label_with(settings, &input, &Job::default()).unwrap();
    assert_qpdf_clean(&output);
    assert!(!output.starts_with(&input));
    assert_eq!(page_sizes(&input), page_sizes(&output));
    assert!(page_text(&output, 4).contains(KK));
    let (incremental, _) = label(&input);
    assert!(
        output.len() < incremental.len(),
        "rewrite {} vs incremental {}",
        output.len(),
        incremental.len()
    );
}

#[test]
fn xref_stream_input_gets_a_valid_update() {
    let input = qpdf_rewrite(&kitchen_sink(), &["--object-streams=generate"]);
    assert!(
        input.windows(5).any(|w| w == b"/XRef"),
        "qpdf should have written an xref stream"
    );
    let (output, _) = label(&input);
    assert!(output.starts_with(&input));
    assert_qpdf_clean(&output);
    assert!(page_text(&output, 2).contains(KK));
    assert_eq!(page_sizes(&input), page_sizes(&output));
}

#[test]
fn custom_label_with_every_kazakh_letter_extracts_exactly() {
    let letters = tanba_core::font::KAZAKH_LETTERS;
    let job = Job::new().with_label(
        tanba_core::Label::custom([
            ("kk", format!("ЖИ: {letters}")),
            ("en", "Created with AI".to_string()),
        ])
        .unwrap(),
    );
    let (output, _) = label_with(PdfSettings::default(), &simple(1), &job).unwrap();
    let text = page_text(&output, 1);
    assert!(text.contains(&format!("ЖИ: {letters}")), "{text:?}");
    assert!(text.contains("Created with AI"), "{text:?}");
}

#[test]
fn edge_setting_overrides_the_position() {
    let input = simple(1);
    let settings = PdfSettings {
        edge: Some(Edge::Top),
        ..PdfSettings::default()
    };
    let (output, _) = label_with(settings, &input, &Job::default()).unwrap();
    let (words, _, h) = word_boxes(&output, 1);
    let word = words.iter().find(|(t, ..)| t == "интеллект").unwrap();
    assert!(word.4 < 0.2 * h, "{word:?}");
    // The manifest records where the label really is.
    let settings = PdfSettings {
        edge: Some(Edge::Top),
        ..PdfSettings::default()
    };
    let (_, labelled) = label_with(settings, &input, &Job::default()).unwrap();
    assert_eq!(labelled.manifest.label.placement.position, "top-right");
}

/// `/Contents` missing, or an indirect array: both get the stamp.
#[test]
fn pages_without_contents_or_with_an_indirect_array() {
    use lopdf::{Dictionary, Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.4");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(
        dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" },
    );
    let blank = doc.add_object(dictionary! { "Type" => "Page", "Parent" => pages_id });
    let part = doc.add_object(Stream::new(
        Dictionary::new(),
        b"BT /F1 12 Tf 72 400 Td (Array page) Tj ET".to_vec(),
    ));
    let array = doc.add_object(Object::Array(vec![Object::Reference(part)]));
    let arrayed =
        doc.add_object(dictionary! { "Type" => "Page", "Parent" => pages_id, "Contents" => array });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Count" => 2,
            "Kids" => vec![Object::Reference(blank), Object::Reference(arrayed)],
            "MediaBox" => vec![0.into(), 0.into(), 420.into(), 595.into()],
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut input = Vec::new();
    doc.save_to(&mut input).unwrap();
    let input = qpdf_rewrite(&input, &["--object-streams=disable"]);
    let (output, _) = label(&input);
    assert_qpdf_clean(&output);
    assert!(page_text(&output, 1).contains(KK));
    let second = page_text(&output, 2);
    assert!(
        second.contains(RU) && second.contains("Array page"),
        "{second:?}"
    );
}

/// Page content that leaves `q` open (with a scaled CTM and a clip) or
/// pops more `Q` than it pushed moves, shrinks or hides nothing of the
/// banner: it is where, and as it is, on a clean page.
#[test]
fn unbalanced_page_content_cannot_move_or_hide_the_banner() {
    let input = with_contents(&[
        "BT /F1 12 Tf 72 700 Td (Clean) Tj ET",
        "q 3 0 0 3 0 0 cm 0 0 10 10 re W n q 0 0 1 rg 0 0 10 10 re f",
        "Q Q 0.2 0 0 0.2 0 0 cm BT /F1 12 Tf 72 700 Td (Popped) Tj ET",
    ]);
    for rewrite in [false, true] {
        let settings = PdfSettings {
            rewrite,
            ..PdfSettings::default()
        };
        let (output, _) = label_with(settings, &input, &Job::default()).unwrap();
        assert_qpdf_clean(&output);
        let banner = |page: u32| -> Vec<WordBox> {
            word_boxes(&output, page)
                .0
                .into_iter()
                .filter(|(t, ..)| t != "Clean" && t != "Popped")
                .collect()
        };
        let clean = banner(1);
        assert!(clean.len() >= 4, "{clean:?}");
        let (w, h, clean_pixels) = render_gray(&output, 1);
        // The banner's strip along the bottom, right of the corner page 2
        // fills.
        let strip = |pixels: &[u8]| -> Vec<u8> {
            (h * 4 / 5..h)
                .flat_map(|y| pixels[y * w + w / 4..y * w + w].to_vec())
                .collect()
        };
        assert!(
            strip(&clean_pixels).iter().any(|&p| p < 128),
            "no dark banner on the clean page"
        );
        for page in [2, 3] {
            let words = banner(page);
            assert_eq!(words.len(), clean.len(), "page {page}: {words:?}");
            for (a, b) in words.iter().zip(&clean) {
                assert_eq!(a.0, b.0);
                for (x, y) in [(a.1, b.1), (a.2, b.2), (a.3, b.3), (a.4, b.4)] {
                    assert!((x - y).abs() < 0.5, "page {page}: {a:?} vs {b:?}");
                }
            }
            let (_, _, pixels) = render_gray(&output, page);
            assert_eq!(
                strip(&pixels),
                strip(&clean_pixels),
                "page {page} (rewrite {rewrite}): the banner renders differently"
            );
        }
        assert!(verify(&output).unwrap().is_compliant());
    }
}

#[test]
fn page_selections_print_as_they_are_written() {
    for text in ["all", "first", "5-9", "1-3,7,10-"] {
        let selection: tanba_pdf::PageSelection = text.parse().unwrap();
        assert_eq!(selection.to_string(), text);
    }
}
