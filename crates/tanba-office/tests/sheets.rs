#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Spreadsheets made by LibreOffice from `fixtures/office/book.fods` (two
//! sheets), labelled: the notice in every sheet's header and footer, no
//! cell changed (openpyxl), printed by LibreOffice on every page, and a
//! text box on the first sheet.

mod common;

use std::path::Path;

use common::*;
use tanba_core::{Job, Label, Lang, Wording};
use tanba_office::{ODS, XLSX};

/// The workbook fixture converted by LibreOffice to `to`, named `stem`.
fn book(dir: &Path, to: &str, stem: &str) -> Vec<u8> {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/office/book.fods");
    let copy = dir.join(format!("{stem}.fods"));
    std::fs::copy(fixture, &copy).unwrap();
    std::fs::read(&soffice(dir, to, &[&copy])[0]).unwrap()
}

/// Every cell of every sheet, and each sheet's odd header and footer, as
/// openpyxl reads them; and the custom properties (python-docx's OPC
/// reader: this openpyxl predates its custom-property API).
const PY_XLSX: &str = r#"
import sys, json, openpyxl, xml.etree.ElementTree as ET
from docx.opc.package import OpcPackage
wb = openpyxl.load_workbook(sys.argv[1])
out = {'cells': {}, 'hf': {}, 'props': {}}
for ws in wb.worksheets:
    out['cells'][ws.title] = [[c.value for c in row] for row in ws.iter_rows()]
    out['hf'][ws.title] = [ws.oddHeader.center.text, ws.oddFooter.center.text]
for part in OpcPackage.open(sys.argv[1]).iter_parts():
    if str(part.partname) == '/docProps/custom.xml':
        for p in ET.fromstring(part.blob):
            out['props'][p.get('name')] = ''.join(p.itertext())
print(json.dumps(out))
"#;

#[test]
fn xlsx_and_ods_get_the_notice_in_every_header_and_footer() {
    let dir = tempfile::tempdir().unwrap();
    let xlsx = book(dir.path(), "xlsx", "book-x");
    let ods = book(dir.path(), "ods", "book-o");
    let (xlsx_out, _) = label(&xlsx, &XLSX, &Job::new()).unwrap();
    let (ods_out, _) = label(&ods, &ODS, &Job::new()).unwrap();
    for (bytes, format, what) in [(&xlsx_out, &XLSX, "sheet"), (&ods_out, &ODS, "page style")] {
        let check = verify(bytes, format);
        assert!(check.is_compliant(), "{check:?}");
        assert!(
            check.perceptible.detail.contains(&format!("every {what}")),
            "{check:?}"
        );
    }
    let label = Label::default();
    let out_x = dir.path().join("labelled-x.xlsx");
    let out_o = dir.path().join("labelled-o.ods");
    std::fs::write(&out_x, &xlsx_out).unwrap();
    std::fs::write(&out_o, &ods_out).unwrap();
    let orig_x = dir.path().join("original.xlsx");
    std::fs::write(&orig_x, &xlsx).unwrap();

    // openpyxl: the same cells; the notice first in each header and
    // footer centre, LibreOffice's own sheet name and page number kept.
    let read: serde_json::Value = serde_json::from_str(&python(PY_XLSX, &[&out_x])).unwrap();
    let original: serde_json::Value = serde_json::from_str(&python(PY_XLSX, &[&orig_x])).unwrap();
    assert_eq!(read["cells"], original["cells"]);
    assert_eq!(
        read["cells"]["Sales"][2],
        serde_json::json!(["Оңтүстік", 125.5])
    );
    for sheet in ["Sales", "Costs"] {
        for (i, own) in ["&A", "Page &P"].iter().enumerate() {
            let text = read["hf"][sheet][i].as_str().unwrap();
            assert!(text.starts_with(&label.joined("\n")), "{sheet}: {text}");
            assert!(text.ends_with(own), "{sheet}: {text}");
        }
    }
    assert!(read["props"]["AIGC"].as_str().unwrap().contains("AIGC"));
    // The ODS's cells too: LibreOffice saves the labelled ODS as XLSX, and
    // openpyxl reads the same cells as in the unlabelled book.
    let ods_as_xlsx = soffice(dir.path(), "xlsx", &[&out_o]);
    let from_ods: serde_json::Value =
        serde_json::from_str(&python(PY_XLSX, &[&ods_as_xlsx[0]])).unwrap();
    assert_eq!(from_ods["cells"], original["cells"]);
    assert_eq!(
        from_ods["props"]["Tanba-Manifest"],
        verify(&ods_out, &ODS).manifest.unwrap().to_json()
    );

    // LibreOffice prints both sheets of both files with the notice at the
    // top and at the bottom of the page, the cells between.
    let pdfs = soffice(dir.path(), "pdf", &[&out_x, &out_o]);
    for pdf in pdfs {
        let text = pdftotext(&pdf);
        let pages: Vec<&str> = text
            .split('\u{c}')
            .filter(|p| !p.trim().is_empty())
            .collect();
        assert_eq!(pages.len(), 2, "{}: {text}", pdf.display());
        for (i, page) in pages.iter().enumerate() {
            // Header and footer on every page; the text box on the first
            // sheet's too.
            // The box lies over the first cells, so pdftotext interleaves
            // their words with its lines: count with the cells' words out.
            let times = if i == 0 { 3 } else { 2 };
            let mut rest = page.to_string();
            for cell in [
                "Sales",
                "Depot",
                "Tonnes",
                "North",
                "340",
                "Оңтүстік",
                "125.5",
            ] {
                rest = rest.replace(cell, " ");
            }
            let rest = rest.split_whitespace().collect::<Vec<_>>().join(" ");
            for line in &label.lines {
                assert_eq!(rest.matches(line.text.as_str()).count(), times, "{page}");
            }
            let first = page.find(&label.lines[0].text).unwrap();
            let last = page.rfind(&label.lines[0].text).unwrap();
            let cell = page.find("Depot").or_else(|| page.find("Fuel")).unwrap();
            assert!(first < cell && cell < last, "{page}");
        }
    }
}

#[test]
fn spreadsheets_labelled_twice_are_refused_and_force_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let english = Job::new()
        .with_force(true)
        .with_label(Label::standard(&[Lang::En], Wording::Short));
    for (bytes, format, part) in [
        (
            book(dir.path(), "xlsx", "x"),
            &XLSX,
            "xl/worksheets/sheet1.xml",
        ),
        (book(dir.path(), "ods", "o"), &ODS, "styles.xml"),
    ] {
        let (once, _) = label(&bytes, format, &Job::new()).unwrap();
        assert_eq!(
            label(&once, format, &Job::new()).unwrap_err().kind_name(),
            "already-labelled"
        );
        let (twice, _) = label(&once, format, &english).unwrap();
        let xml = entry(&twice, part).unwrap();
        assert_eq!(xml.matches("Created with AI").count(), 2, "{xml}");
        assert!(!xml.contains(Lang::Kk.long_text()), "{xml}");
        let boxed = match format.name {
            "xlsx" => entry(&twice, "xl/drawings/drawingTanba.xml").unwrap(),
            _ => entry(&twice, "content.xml").unwrap(),
        };
        assert_eq!(
            boxed.matches(tanba_office::SLIDE_SHAPE_NAME).count(),
            1,
            "{boxed}"
        );
        assert!(boxed.contains("Created with AI") && !boxed.contains(Lang::Kk.long_text()));
        assert!(verify(&twice, format).is_compliant());
    }
}

#[test]
fn verify_misses_a_text_box_taken_out_of_the_first_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let (labelled, _) = label(&book(dir.path(), "xlsx", "b"), &XLSX, &Job::new()).unwrap();
    assert!(verify(&labelled, &XLSX).is_compliant());
    // The same file with our drawing emptied, as an editor deleting the box would leave it.
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&labelled)).unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let f = archive.by_index_raw(i).unwrap();
        if f.name() == "xl/drawings/drawingTanba.xml" {
            drop(f);
            w.start_file(
                "xl/drawings/drawingTanba.xml",
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            std::io::Write::write_all(
                &mut w,
                b"<xdr:wsDr xmlns:xdr=\"http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing\"/>",
            )
            .unwrap();
        } else {
            w.raw_copy_file(f).unwrap();
        }
    }
    let unboxed = w.finish().unwrap().into_inner();
    let check = verify(&unboxed, &XLSX);
    assert!(!check.is_compliant());
    assert!(
        check.perceptible.detail.contains("no text box"),
        "{check:?}"
    );
}
