#![allow(clippy::unwrap_used, clippy::expect_used)]
//! EPUB 3 made by LibreOffice and a hand-made EPUB 2, labelled: the notice
//! page first in the spine and the navigation, the notice at the top of
//! the first content document (LibreOffice prints it first), the marks in
//! the package metadata, and epubcheck exactly as clean as on the input.

mod common;

use std::io::{Cursor, Write};
use std::path::Path;
use std::process::Command;

use common::*;
use tanba_core::Labeler;
use tanba_core::{Job, Label, Lang, Wording};
use tanba_office::EPUB;

/// epubcheck's "Messages:" line for each file, run side by side (the
/// JVM takes seconds to start). Debian's /usr/bin/epubcheck needs
/// binfmt_misc for its jar, so the jar is run through java.
fn epubcheck(files: &[&Path]) -> Vec<String> {
    let children: Vec<_> = files
        .iter()
        .map(|f| {
            Command::new("java")
                .args(["-jar", "/usr/share/java/epubcheck.jar"])
                .arg(f)
                .output()
        })
        .collect();
    children
        .into_iter()
        .map(|out| {
            let out = out.expect("java -jar epubcheck.jar: run cargo xtask setup");
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            let summary = text.lines().find(|l| l.starts_with("Messages:"));
            summary
                .unwrap_or_else(|| panic!("no epubcheck summary: {text}"))
                .to_string()
        })
        .collect()
}

/// A small EPUB 2 as a hand-written book would be: NCX, XHTML 1.1 chapters.
fn epub2() -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default();
    w.start_file("mimetype", stored).unwrap();
    w.write_all(b"application/epub+zip").unwrap();
    let files = [
        ("META-INF/container.xml", r#"<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OPS/book.opf" media-type="application/oebps-package+xml"/></rootfiles></container>"#.to_string()),
        ("OPS/book.opf", r#"<?xml version="1.0" encoding="UTF-8"?><package xmlns="http://www.idpf.org/2007/opf" version="2.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:opf="http://www.idpf.org/2007/opf"><dc:title>Depot stories</dc:title><dc:language>kk</dc:language><dc:identifier id="id" opf:scheme="UUID">urn:uuid:0b9f6d7e-5a4c-4f6b-9c2e-1d2e3f4a5b6c</dc:identifier></metadata><manifest><item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/><item id="ch1" href="text/ch1.xhtml" media-type="application/xhtml+xml"/><item id="ch2" href="text/ch2.xhtml" media-type="application/xhtml+xml"/></manifest><spine toc="ncx"><itemref idref="ch1"/><itemref idref="ch2"/></spine></package>"#.to_string()),
        ("OPS/toc.ncx", r#"<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE ncx PUBLIC "-//NISO//DTD ncx 2005-1//EN" "http://www.daisy.org/z3986/2005/ncx-2005-1.dtd"><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1"><head><meta name="dtb:uid" content="urn:uuid:0b9f6d7e-5a4c-4f6b-9c2e-1d2e3f4a5b6c"/><meta name="dtb:depth" content="1"/><meta name="dtb:totalPageCount" content="0"/><meta name="dtb:maxPageNumber" content="0"/></head><docTitle><text>Depot stories</text></docTitle><navMap><navPoint id="n1" playOrder="1"><navLabel><text>One</text></navLabel><content src="text/ch1.xhtml"/></navPoint><navPoint id="n2" playOrder="2"><navLabel><text>Two</text></navLabel><content src="text/ch2.xhtml"/></navPoint></navMap></ncx>"#.to_string()),
        ("OPS/text/ch1.xhtml", chapter("One", "The first depot opened in spring.")),
        ("OPS/text/ch2.xhtml", chapter("Two", "Қыста қоймада 340 тонна болды.")),
    ];
    for (name, body) in files {
        w.start_file(name, deflated).unwrap();
        w.write_all(body.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn chapter(title: &str, text: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.1//EN\" \
         \"http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd\">\n<html xmlns=\"http://www.w3.org/1999/xhtml\">\
         <head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
    )
}

#[test]
fn epub_3_and_2_get_a_notice_page_and_stay_as_valid_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let txt = dir.path().join("story.txt");
    std::fs::write(&txt, PARAGRAPHS.join("\n")).unwrap();
    let v3 = std::fs::read(&soffice(dir.path(), "epub", &[&txt])[0]).unwrap();
    let v2 = epub2();
    let label = Label::default();
    let mut paths = Vec::new();
    for (name, input) in [("v3", &v3), ("v2", &v2)] {
        let (out, _) = common::label(input, &EPUB, &Job::new()).unwrap();
        let check = verify(&out, &EPUB);
        assert!(check.is_compliant(), "{name}: {check:?}");
        assert_eq!(check.marks.len(), 2, "{name}");
        assert_eq!(
            tanba_office::OfficeLabeler::default().sniff(&out, None),
            Some(&EPUB)
        );
        let (i, o) = (
            dir.path().join(format!("in-{name}.epub")),
            dir.path().join(format!("out-{name}.epub")),
        );
        std::fs::write(&i, input).unwrap();
        std::fs::write(&o, &out).unwrap();
        paths.push((i, o, out));
    }
    let files: Vec<&Path> = paths
        .iter()
        .flat_map(|(i, o, _)| [i.as_path(), o.as_path()])
        .collect();
    let checks = epubcheck(&files);
    assert_eq!(checks[0], checks[1], "EPUB 3: epubcheck differs");
    assert_eq!(checks[2], checks[3], "EPUB 2: epubcheck differs");
    assert!(
        checks[2].starts_with("Messages: 0 fatals / 0 errors"),
        "{}",
        checks[2]
    );

    // EPUB 2: the NCX starts with the notice, the other entries move down.
    let v2_out = &paths[1].2;
    let ncx = entry(v2_out, "OPS/toc.ncx").unwrap();
    let notice_at = ncx.find("content src=\"tanba-notice.xhtml\"").unwrap();
    assert!(notice_at < ncx.find("text/ch1.xhtml").unwrap());
    assert!(ncx.contains("id=\"n1\" playOrder=\"2\"") && ncx.contains("id=\"n2\" playOrder=\"3\""));
    let opf = entry(v2_out, "OPS/book.opf").unwrap();
    assert!(
        opf.contains(
            "<spine toc=\"ncx\"><itemref idref=\"tanba-notice\"/><itemref idref=\"ch1\"/>"
        )
    );

    // The first chapter starts with the notice: LibreOffice opens it as a
    // page and prints the label lines first, then the chapter.
    let ch1 = dir.path().join("ch1.xhtml");
    std::fs::write(&ch1, entry(v2_out, "OPS/text/ch1.xhtml").unwrap()).unwrap();
    let text = pdftotext(&soffice_from(dir.path(), Some("HTML (StarWriter)"), "pdf", &[&ch1])[0]);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        lines[..3],
        [
            label.lines[0].text.as_str(),
            label.lines[1].text.as_str(),
            "One"
        ],
        "{text}"
    );

    // EPUB 3: the navigation document lists the notice first.
    let v3_out = &paths[0].2;
    let nav = entry(v3_out, "OEBPS/toc.xhtml").unwrap();
    assert!(
        nav.contains("<ol><li id=\"tanba-notice-nav\"><a href=\"tanba-notice.xhtml\">"),
        "{nav}"
    );
    // And its last-modified time is the labelling's.
    let created = verify(v3_out, &EPUB).manifest.unwrap().created;
    let opf = entry(v3_out, "OEBPS/content.opf").unwrap();
    let modified = format!("<meta property=\"dcterms:modified\">{created}</meta>");
    assert!(opf.contains(&modified), "{opf}");

    // Twice refused; forced, one notice of the new wording everywhere.
    assert_eq!(
        common::label(v2_out, &EPUB, &Job::new())
            .unwrap_err()
            .kind_name(),
        "already-labelled"
    );
    let english = Job::new()
        .with_force(true)
        .with_label(Label::standard(&[Lang::En], Wording::Short));
    let (twice, _) = common::label(v2_out, &EPUB, &english).unwrap();
    let ncx = entry(&twice, "OPS/toc.ncx").unwrap();
    assert_eq!(ncx.matches("tanba-notice.xhtml").count(), 1);
    assert!(ncx.contains("id=\"n1\" playOrder=\"2\""), "{ncx}");
    let opf = entry(&twice, "OPS/book.opf").unwrap();
    assert_eq!(opf.matches("idref=\"tanba-notice\"").count(), 1);
    assert_eq!(opf.matches("name=\"AIGC\"").count(), 1);
    let ch1 = entry(&twice, "OPS/text/ch1.xhtml").unwrap();
    assert_eq!(ch1.matches("tanba-notice-top").count(), 1);
    assert!(ch1.contains("Created with AI") && !ch1.contains(Lang::Kk.long_text()));
    assert_eq!(raw_entries(&twice).len(), raw_entries(&v2).len() + 1);
    assert!(verify(&twice, &EPUB).is_compliant());
}
