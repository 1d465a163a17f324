//! A forced relabel replaces the earlier label: one banner per page, one
//! Info /AIGC, one XMP manifest, whichever mode wrote either label.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::*;
use lopdf::Document;
use tanba_core::{Job, Position};
use tanba_pdf::PdfSettings;

fn settings(rewrite: bool) -> PdfSettings {
    PdfSettings {
        rewrite,
        ..PdfSettings::default()
    }
}

fn forced(position: Position) -> Job {
    Job::new().with_force(true).with_position(position)
}

/// How many times exiftool reports `tag` (all revisions, duplicates kept).
fn exiftool_count(pdf: &[u8], tag: &str) -> usize {
    let dir = tmp();
    let p = write(dir.path(), "x.pdf", pdf);
    let out = Command::new("exiftool")
        .args(["-a", "-G1", "-s", &format!("-{tag}")])
        .arg(&p)
        .output()
        .unwrap();
    assert!(out.status.success(), "exiftool: {out:?}");
    String::from_utf8_lossy(&out.stdout).lines().count()
}

/// The names of our fonts in each page's resources, as lopdf reads them.
fn our_fonts(pdf: &[u8]) -> Vec<usize> {
    let doc = Document::load_mem(pdf).unwrap();
    doc.get_pages()
        .values()
        .map(|&page| {
            doc.get_page_fonts(page)
                .unwrap()
                .keys()
                .filter(|name| name.starts_with(b"TanbaLabelF"))
                .count()
        })
        .collect()
}

/// What poppler says of an incremental update on top of a file lopdf wrote
/// with a cross-reference stream (rewrite mode): that stream lists no object
/// 0, which poppler only notices once a later section refers back to it. It
/// reads on (the entry is taken as free); README "Known limits" says so.
const NO_ENTRY_ZERO: &str = "Syntax Error: Invalid XRef entry 0\n";

/// Everything that says "one label": text once per page, one AIGC and one
/// manifest as exiftool reads them, one font, verify passes, poppler reads it
/// without complaint (but for `tolerated`).
fn assert_one_label(output: &[u8], pages: u32, what: &str, tolerated: &str) {
    assert_qpdf_clean(output);
    let errors = poppler_errors(output);
    assert!(errors.is_empty() || errors == tolerated, "{what}: {errors}");
    for page in 1..=pages {
        let text = page_text(output, page);
        assert_eq!(text.matches(KK).count(), 1, "{what} page {page}: {text}");
        assert_eq!(text.matches(RU).count(), 1, "{what} page {page}: {text}");
    }
    assert_eq!(exiftool_count(output, "PDF:AIGC"), 1, "{what}");
    assert_eq!(
        exiftool_count(output, "XMP-iptcExt:DigitalSourceType"),
        1,
        "{what}"
    );
    assert_eq!(exiftool_count(output, "XMP-tanba:all"), 1, "{what}");
    assert!(
        our_fonts(output).iter().all(|&n| n == 1),
        "{what}: {:?}",
        our_fonts(output)
    );
    let v = verify(output).unwrap();
    assert!(v.is_compliant(), "{what}: {}", v.perceptible.detail);
}

#[test]
fn forced_relabel_replaces_the_banner_and_the_marks_in_every_mode() {
    let input = simple(3);
    for first in [false, true] {
        let (once, _) = label_with(settings(first), &input, &Job::default()).unwrap();
        for second in [false, true] {
            let what = format!("first rewrite {first}, then rewrite {second}");
            let (twice, labelled) =
                label_with(settings(second), &once, &forced(Position::TopLeft)).unwrap();
            let tolerated = if first && !second { NO_ENTRY_ZERO } else { "" };
            assert_one_label(&twice, 3, &what, tolerated);
            // The new label is the one that shows: at the top now.
            assert_eq!(labelled.manifest.label.placement.position, "top-left");
            let (words, _, h) = word_boxes(&twice, 2);
            let word = words.iter().find(|(t, ..)| t == "интеллект").unwrap();
            assert!(word.4 < 0.2 * h, "{what}: {word:?}");
            assert!(page_text(&twice, 2).contains("Report page 2"), "{what}");
            // A third run replaces again.
            let (thrice, _) =
                label_with(settings(second), &twice, &forced(Position::BottomRight)).unwrap();
            assert_one_label(&thrice, 3, &format!("{what}, then again"), tolerated);
        }
    }
}

/// The earlier label was only on some pages: the new one is on the pages
/// now selected, and nowhere else.
#[test]
fn forced_relabel_with_other_pages_moves_the_banner() {
    let first = PdfSettings {
        pages: "1-2".parse().unwrap(),
        ..PdfSettings::default()
    };
    let (once, _) = label_with(first, &simple(3), &Job::default()).unwrap();
    let second = PdfSettings {
        pages: "3".parse().unwrap(),
        ..PdfSettings::default()
    };
    let (twice, _) = label_with(second, &once, &forced(Position::BottomRight)).unwrap();
    assert_qpdf_clean(&twice);
    for (page, expected) in [(1, 0), (2, 0), (3, 1)] {
        assert_eq!(
            page_text(&twice, page).matches(KK).count(),
            expected,
            "page {page}"
        );
    }
    assert!(verify(&twice).unwrap().is_compliant());
}

/// In a tagged PDF the earlier banner's /P elements go too: the structure
/// tree holds one label paragraph per page, and the document's own
/// elements keep their text.
#[test]
fn forced_relabel_of_a_tagged_pdf_keeps_one_label_element_per_page() {
    let input = kitchen_sink();
    let before = struct_text(&input);
    for (first, second) in [(false, false), (true, false), (false, true)] {
        let what = format!("first rewrite {first}, then rewrite {second}");
        let (once, _) = label_with(settings(first), &input, &Job::default()).unwrap();
        let (twice, labelled) =
            label_with(settings(second), &once, &forced(Position::TopLeft)).unwrap();
        assert!(labelled.notes.is_empty(), "{what}: {:?}", labelled.notes);
        let tolerated = if first && !second { NO_ENTRY_ZERO } else { "" };
        assert_one_label(&twice, 6, &what, tolerated);
        let structure = struct_text(&twice);
        let label_paragraphs = structure
            .lines()
            .filter(|l| l.trim().trim_matches('"') == format!("{KK} {RU}"))
            .count();
        assert_eq!(label_paragraphs, 6, "{what}:\n{structure}");
        for line in before.lines().filter(|l| l.trim().starts_with('"')) {
            assert!(
                structure.contains(line.trim()),
                "{what}: lost {line}:\n{structure}"
            );
        }
    }
}
