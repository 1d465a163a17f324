//! Damaged cross-reference data: the labelled PDF is written in full (an
//! update chained to the broken table with `/Prev` leaves strict readers
//! such as exiftool unable to read the file, marks included), and every
//! reader finds the marks: exiftool reads the XMP with no warning, qpdf
//! checks it clean, pdftotext reads the banner on every page, verify agrees.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use lopdf::{Document, SaveOptions};
use tanba_core::Job;
use tanba_pdf::PdfSettings;

/// `pdf` with the bytes of its (last) classic cross-reference table, between
/// `xref` and `trailer`, changed by `change`.
fn table_changed(pdf: &[u8], change: impl Fn(&str) -> String) -> Vec<u8> {
    let start = pdf.windows(6).rposition(|w| w == b"\nxref\n").unwrap() + 1;
    let end = start
        + pdf[start..]
            .windows(7)
            .position(|w| w == b"trailer")
            .unwrap();
    let table = std::str::from_utf8(&pdf[start..end]).unwrap();
    let mut out = pdf[..start].to_vec();
    out.extend_from_slice(change(table).as_bytes());
    out.extend_from_slice(&pdf[end..]);
    out
}

/// `pdf` with `by` added to its `startxref` offset.
fn startxref_moved(pdf: &[u8], by: i64) -> Vec<u8> {
    let at = pdf.windows(9).rposition(|w| w == b"startxref").unwrap() + 10;
    let end = at + pdf[at..].iter().position(|b| !b.is_ascii_digit()).unwrap();
    let offset: i64 = std::str::from_utf8(&pdf[at..end]).unwrap().parse().unwrap();
    let mut out = pdf.to_vec();
    out.splice(at..end, (offset + by).to_string().into_bytes());
    out
}

/// A three-page document with a cross-reference stream and no object
/// streams (lopdf's writer), the stream's data cut in half.
fn xref_stream_cut() -> Vec<u8> {
    let mut doc = Document::load_mem(&simple(3)).unwrap();
    let mut pdf = Vec::new();
    let options = SaveOptions::builder()
        .use_xref_streams(true)
        .use_object_streams(false)
        .build();
    doc.save_with_options(&mut pdf, options).unwrap();
    let xref = pdf.windows(5).rposition(|w| w == b"/XRef").unwrap();
    let data = xref
        + pdf[xref..]
            .windows(7)
            .position(|w| w == b"stream\n")
            .unwrap()
        + 7;
    let end = data
        + pdf[data..]
            .windows(9)
            .position(|w| w == b"endstream")
            .unwrap();
    pdf.drain((data + end) / 2..end);
    pdf
}

fn cases() -> Vec<(&'static str, Vec<u8>)> {
    let pdf = simple(3);
    let entries =
        |from: &'static str, to: &'static str| table_changed(&pdf, move |t| t.replace(from, to));
    let count = |delta: i64| {
        table_changed(&pdf, move |t| {
            let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
            let (first, n) = lines[1].split_once(' ').unwrap();
            lines[1] = format!("{first} {}", n.parse::<i64>().unwrap() + delta);
            lines.join("\n") + "\n"
        })
    };
    // Every offset 9 bytes short: a comment line after the header.
    let mut shifted = pdf.clone();
    let eol = shifted.iter().position(|&b| b == b'\n').unwrap() + 1;
    shifted.splice(eol..eol, b"%shifted\n".iter().copied());
    let cut = pdf.windows(9).rposition(|w| w == b"startxref").unwrap();
    let no_startxref = [&pdf[..cut], b"%%EOF\n"].concat();
    vec![
        // Read by lopdf without a repair, refused by exiftool.
        ("entries-19-bytes", entries(" n \n", " n\n")),
        ("count-too-high", count(2)),
        ("count-too-low", count(-2)),
        // An entry pointing three bytes into its object.
        (
            "one-offset-wrong",
            table_changed(&pdf, |t| {
                let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
                let offset: u64 = lines[4][..10].parse().unwrap();
                lines[4] = format!("{:010}{}", offset + 3, &lines[4][10..]);
                lines.join("\n") + "\n"
            }),
        ),
        // Repaired by lopdf (and said so).
        ("offsets-shifted", shifted),
        ("startxref-wrong", startxref_moved(&pdf, 7)),
        ("startxref-missing", no_startxref),
        (
            "xref-stream-startxref-wrong",
            startxref_moved(&qpdf_rewrite(&pdf, &["--object-streams=generate"]), 7),
        ),
        ("xref-stream-cut", xref_stream_cut()),
    ]
}

/// The inputs really are damaged: each is reported by qpdf --check or by
/// exiftool ("Invalid xref table", an object not found at its offset ...).
/// Neither reports all: qpdf takes 19-byte entries, exiftool a cut stream.
#[test]
fn the_damaged_inputs_are_damaged() {
    for (name, input) in cases() {
        let dir = tmp();
        let path = write(dir.path(), "in.pdf", &input);
        let check = std::process::Command::new("qpdf")
            .arg("--check")
            .arg(&path)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&check.stderr).into_owned()
            + &String::from_utf8_lossy(&check.stdout);
        let qpdf_warns = !check.status.success() || said.contains("WARNING");
        let exif = exiftool(&input);
        let exiftool_warns =
            exif["ExifTool:Warning"].is_string() || exif["ExifTool:Error"].is_string();
        assert!(
            qpdf_warns || exiftool_warns,
            "{name}: read without a complaint: {said} {exif}"
        );
    }
}

#[test]
fn damaged_cross_reference_is_written_in_full_and_every_reader_finds_the_marks() {
    for (name, input) in cases() {
        for rewrite in [false, true] {
            let settings = PdfSettings {
                rewrite,
                ..PdfSettings::default()
            };
            let (output, labelled) = label_with(settings, &input, &Job::default())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let notes = labelled.notes.join("; ");
            assert!(notes.contains("repaired"), "{name}: {notes}");
            if !rewrite {
                assert!(
                    notes.contains("damaged cross-reference: written in full"),
                    "{name}: {notes}"
                );
            }
            assert!(
                !output.starts_with(&input[..input.len() - 8]),
                "{name}: an update"
            );
            let exif = exiftool(&output);
            assert!(exif["ExifTool:Warning"].is_null(), "{name}: {exif}");
            assert!(exif["XMP-tanba:Manifest"].is_string(), "{name}: {exif}");
            assert!(exif["XMP-TC260:Aigc"].is_string(), "{name}: {exif}");
            assert!(exif["PDF:AIGC"].is_string(), "{name}: {exif}");
            assert_qpdf_clean(&output);
            let poppler = poppler_errors(&output);
            assert!(poppler.is_empty(), "{name}: poppler: {poppler}");
            for page in 1..=3 {
                let text = page_text(&output, page);
                assert!(
                    text.contains(KK) && text.contains(RU),
                    "{name} page {page}: {text}"
                );
                assert!(
                    text.contains(&format!("Report page {page}")),
                    "{name}: {text}"
                );
            }
            let v = verify(&output).unwrap();
            assert!(v.is_compliant() && v.perceptible.found, "{name}: {v:?}");
        }
    }
}

/// The same file undamaged gets an incremental update: the check does not
/// take sound tables for damaged ones (classic table, stream, qpdf and lopdf writers).
#[test]
fn sound_cross_reference_data_still_gets_an_update() {
    let pdf = simple(3);
    let mut lopdf_written = Vec::new();
    Document::load_mem(&pdf)
        .unwrap()
        .save_to(&mut lopdf_written)
        .unwrap();
    for input in [
        pdf.clone(),
        qpdf_rewrite(&pdf, &["--object-streams=generate"]),
        qpdf_rewrite(&pdf, &["--linearize"]),
        lopdf_written,
    ] {
        let (output, labelled) = label(&input);
        assert!(output.starts_with(&input), "{:?}", labelled.notes);
        assert!(
            !labelled.notes.iter().any(|n| n.contains("repaired")),
            "{:?}",
            labelled.notes
        );
        assert!(exiftool(&output)["XMP-tanba:Manifest"].is_string());
    }
}
