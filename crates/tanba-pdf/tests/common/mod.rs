//! Test PDFs built with lopdf and normalised with qpdf, and helpers that run
//! the real tools (qpdf, pdftotext, pdfinfo, exiftool) on the output.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat, dictionary};
use tanba_core::{Job, Labeler, Labelled, Limits, Result, Source, Verification};
use tanba_pdf::{PDF, PdfLabeler, PdfSettings};

pub const KK: &str = "Жасанды интеллект көмегімен жасалған";
pub const RU: &str = "Создано с помощью искусственного интеллекта";

/// `text` in Helvetica near the bottom of the page.
fn text_content(text: &str) -> String {
    format!("BT /F1 18 Tf 72 100 Td ({text}) Tj ET\n")
}

/// `text` drawn as the marked content `mcid` of a `/P` element.
fn tagged_text(text: &str, mcid: i64) -> String {
    format!("/P <</MCID {mcid}>> BDC BT /F1 18 Tf 72 100 Td ({text}) Tj ET EMC\n")
}

fn tagged_text_stream(text: &str, mcid: i64) -> Stream {
    Stream::new(Dictionary::new(), tagged_text(text, mcid).into_bytes())
}

/// A `/P` structure element for the marked content `mcid` on `page`.
fn paragraph(doc: &mut Document, parent: ObjectId, page: ObjectId, mcid: i64) -> ObjectId {
    doc.add_object(dictionary! {
        "Type" => "StructElem", "S" => "P", "P" => parent, "Pg" => page, "K" => mcid,
    })
}

/// A six-page PDF with every layout the stamp must handle: rotations 90, 180
/// and 270, a CropBox off a non-zero-origin MediaBox, resources inherited
/// from the page tree, several content streams, content that ends with an
/// unbalanced `cm` and clip; plus a form field, a link, an outline, an
/// attachment and a structure tree that must survive.
///
/// The structure tree is real: a `/Document` element holds one `/P` per text
/// on pages 1-5 (page 1 has two, MCIDs 0 and 1) and a `/Link` for the link
/// annotation; page 6 is untagged and has no `/StructParents`. The parent
/// tree has two leaves, an indirect one and a direct one inside the root's
/// `/Kids`, with the pages' MCID arrays both indirect and direct.
pub fn kitchen_sink() -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let shared_resources =
        doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let own_resources = || dictionary! { "Font" => dictionary! { "F1" => font_id } };
    let mut kids = Vec::new();
    let mut add_page = |doc: &mut Document, dict: Dictionary| {
        let id = doc.add_object(dict);
        kids.push(Object::Reference(id));
        id
    };

    let struct_tree = doc.new_object_id();
    let document = doc.new_object_id();
    let mut elements = Vec::new();
    // 1: plain A4 with its own resources and a text form field.
    let c1 = doc.add_object(Stream::new(
        Dictionary::new(),
        format!(
            "{}{}",
            tagged_text("Page one", 0),
            tagged_text("Introduction", 1).replace("72 100", "72 300")
        )
        .into_bytes(),
    ));
    let field_id = doc.new_object_id();
    let p1 = add_page(
        &mut doc,
        dictionary! {
            "Type" => "Page", "Parent" => pages_id, "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Resources" => own_resources(), "Contents" => c1, "Annots" => vec![Object::Reference(field_id)],
            "StructParents" => 0,
        },
    );
    let p1_marks: Vec<Object> = (0..2)
        .map(|mcid| Object::Reference(paragraph(&mut doc, document, p1, mcid)))
        .collect();
    elements.extend(p1_marks.iter().cloned());
    let p1_marks = doc.add_object(p1_marks);
    doc.objects.insert(field_id, Object::Dictionary(dictionary! {
        "Type" => "Annot", "Subtype" => "Widget", "FT" => "Tx", "T" => Object::string_literal("name"),
        "V" => Object::string_literal("Aigul"), "Rect" => vec![100.into(), 600.into(), 300.into(), 630.into()],
        "P" => p1, "F" => 4, "DA" => Object::string_literal("/F1 12 Tf 0 g"),
    }));
    // 2: rotated 90 with a link to page 1.
    let c2 = doc.add_object(tagged_text_stream("Page two", 0));
    let link = doc.add_object(dictionary! {
        "Type" => "Annot", "Subtype" => "Link", "Rect" => vec![72.into(), 90.into(), 200.into(), 120.into()],
        "Border" => vec![0.into(), 0.into(), 0.into()], "Dest" => vec![Object::Reference(p1), "Fit".into()],
        "StructParent" => 5,
    });
    let p2 = add_page(
        &mut doc,
        dictionary! {
            "Type" => "Page", "Parent" => pages_id, "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Rotate" => 90, "Resources" => own_resources(), "Contents" => c2, "Annots" => vec![Object::Reference(link)],
            "StructParents" => 1,
        },
    );
    let p2_text = paragraph(&mut doc, document, p2, 0);
    let link_element = doc.add_object(dictionary! {
        "Type" => "StructElem", "S" => "Link", "P" => document, "Pg" => p2,
        "K" => dictionary! { "Type" => "OBJR", "Obj" => link, "Pg" => p2 },
    });
    elements.extend([Object::Reference(p2_text), Object::Reference(link_element)]);
    // 3: rotated 180, landscape.
    let c3 = doc.add_object(tagged_text_stream("Page three", 0));
    let p3 = add_page(
        &mut doc,
        dictionary! {
            "Type" => "Page", "Parent" => pages_id, "MediaBox" => vec![0.into(), 0.into(), 842.into(), 595.into()],
            "Rotate" => 180, "Resources" => own_resources(), "Contents" => c3, "StructParents" => 2,
        },
    );
    // 4: rotated 270 (written as -90), inherited resources.
    let c4 = doc.add_object(tagged_text_stream("Page four", 0));
    let p4 = add_page(
        &mut doc,
        dictionary! {
            "Type" => "Page", "Parent" => pages_id, "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Rotate" => -90, "Contents" => c4, "StructParents" => 3,
        },
    );
    // 5: CropBox inside a MediaBox with a non-zero origin; several content
    // streams whose q/Q only balance across the array.
    let c5a = doc.add_object(Stream::new(
        Dictionary::new(),
        b"q 1 0 0 1 60 60 cm\n".to_vec(),
    ));
    let c5b = doc.add_object(tagged_text_stream("Page five", 0));
    let c5c = doc.add_object(Stream::new(Dictionary::new(), b"Q\n".to_vec()));
    let p5 = add_page(
        &mut doc,
        dictionary! {
            "Type" => "Page", "Parent" => pages_id,
            "MediaBox" => vec![50.into(), 50.into(), 650.into(), 890.into()],
            "CropBox" => vec![100.into(), 150.into(), 500.into(), 700.into()],
            "Contents" => vec![Object::Reference(c5a), Object::Reference(c5b), Object::Reference(c5c)],
            "StructParents" => 4,
        },
    );
    let mut marks_of = |doc: &mut Document, page| {
        let element = paragraph(doc, document, page, 0);
        elements.push(Object::Reference(element));
        doc.add_object(vec![Object::Reference(element)])
    };
    let p3_marks = marks_of(&mut doc, p3);
    let p4_marks = marks_of(&mut doc, p4);
    let p5_marks = marks_of(&mut doc, p5);
    // 6: content that leaves a scaled CTM and a tiny clip in force.
    let c6 = doc.add_object(Stream::new(
        Dictionary::new(),
        b"BT /F1 18 Tf 72 100 Td (Page six) Tj ET\n0.1 0 0 0.1 500 800 cm 0 0 10 10 re W n\n"
            .to_vec(),
    ));
    add_page(
        &mut doc,
        dictionary! {
            "Type" => "Page", "Parent" => pages_id, "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Contents" => c6,
        },
    );

    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => count, "Resources" => shared_resources,
        }),
    );
    let outline_item = doc.new_object_id();
    let outlines = doc.add_object(dictionary! {
        "Type" => "Outlines", "First" => outline_item, "Last" => outline_item, "Count" => 1,
    });
    doc.objects.insert(
        outline_item,
        Object::Dictionary(dictionary! {
            "Title" => Object::string_literal("Chapter 1"), "Parent" => outlines,
            "Dest" => vec![Object::Reference(p1), "Fit".into()],
        }),
    );
    let embedded = doc.add_object(Stream::new(
        dictionary! { "Type" => "EmbeddedFile" },
        b"hello attachment".to_vec(),
    ));
    let filespec = doc.add_object(dictionary! {
        "Type" => "Filespec", "F" => Object::string_literal("notes.txt"), "UF" => Object::string_literal("notes.txt"),
        "EF" => dictionary! { "F" => embedded },
    });
    doc.objects.insert(
        document,
        Object::Dictionary(dictionary! {
            "Type" => "StructElem", "S" => "Document", "P" => struct_tree, "K" => elements,
        }),
    );
    let first_leaf = doc.add_object(dictionary! {
        "Limits" => vec![0.into(), 1.into()],
        "Nums" => vec![0.into(), p1_marks.into(), 1.into(), vec![Object::Reference(p2_text)].into()],
    });
    let parent_tree = doc.add_object(dictionary! {
        "Kids" => vec![first_leaf.into(), dictionary! {
            "Limits" => vec![2.into(), 5.into()],
            "Nums" => vec![
                2.into(), p3_marks.into(), 3.into(), p4_marks.into(),
                4.into(), p5_marks.into(), 5.into(), link_element.into(),
            ],
        }.into()],
    });
    doc.objects.insert(
        struct_tree,
        Object::Dictionary(dictionary! {
            "Type" => "StructTreeRoot", "K" => document, "ParentTree" => parent_tree,
            "ParentTreeNextKey" => 6,
        }),
    );
    let catalog = doc.add_object(dictionary! {
        "Type" => "Catalog", "Pages" => pages_id, "Outlines" => outlines,
        "AcroForm" => dictionary! {
            "Fields" => vec![Object::Reference(field_id)],
            "DR" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
            "DA" => Object::string_literal("/F1 12 Tf 0 g"),
        },
        "Names" => dictionary! { "EmbeddedFiles" => dictionary! {
            "Names" => vec![Object::string_literal("notes.txt"), Object::Reference(filespec)] } },
        "StructTreeRoot" => struct_tree, "MarkInfo" => dictionary! { "Marked" => true },
    });
    let info = doc.add_object(dictionary! { "Title" => Object::string_literal("Test") });
    doc.trailer.set("Root", catalog);
    doc.trailer.set("Info", info);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    // qpdf writes a classic cross-reference table, as most PDFs in the wild have.
    qpdf_rewrite(&bytes, &["--object-streams=disable"])
}

/// A plain document of `pages` A4 pages.
pub fn simple(pages: usize) -> Vec<u8> {
    let contents: Vec<String> = (1..=pages)
        .map(|i| text_content(&format!("Report page {i}")))
        .collect();
    let contents: Vec<&str> = contents.iter().map(String::as_str).collect();
    qpdf_rewrite(&with_contents(&contents), &["--object-streams=disable"])
}

/// A one-font A4 PDF with one page per content stream given.
pub fn with_contents(contents: &[&str]) -> Vec<u8> {
    let mut doc = Document::with_version("1.4");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(
        dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica" },
    );
    let kids: Vec<Object> = contents
        .iter()
        .map(|content| {
            let c = doc.add_object(Stream::new(Dictionary::new(), content.as_bytes().to_vec()));
            Object::Reference(doc.add_object(dictionary! {
                "Type" => "Page", "Parent" => pages_id, "Contents" => c,
            }))
        })
        .collect();
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => contents.len() as i64,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

/// One page rendered by poppler (`pdftoppm -gray`, 36 dpi): width, height
/// and one byte per pixel.
pub fn render_gray(pdf: &[u8], page: u32) -> (usize, usize, Vec<u8>) {
    let dir = tmp();
    let p = write(dir.path(), "r.pdf", pdf);
    let page = page.to_string();
    let out = Command::new("pdftoppm")
        .args(["-gray", "-r", "36", "-f", &page, "-l", &page, "-singlefile"])
        .arg(&p)
        .arg(dir.path().join("page"))
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftoppm: {out:?}");
    let pgm = std::fs::read(dir.path().join("page.pgm")).unwrap();
    // "P5\n<w> <h>\n255\n" then the pixels.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&pgm[start..at]).into_owned());
    }
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let pixels = pgm[at + 1..].to_vec();
    assert_eq!(pixels.len(), w * h);
    (w, h, pixels)
}

pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Runs qpdf on `input` with `args` and returns the output file.
pub fn qpdf_rewrite(input: &[u8], args: &[&str]) -> Vec<u8> {
    let dir = tmp();
    let i = dir.path().join("in.pdf");
    let o = dir.path().join("out.pdf");
    std::fs::write(&i, input).unwrap();
    let out = Command::new("qpdf")
        .args(args)
        .arg(&i)
        .arg(&o)
        .output()
        .unwrap();
    assert!(
        out.status.success() || out.status.code() == Some(3),
        "qpdf failed: {out:?}"
    );
    std::fs::read(o).unwrap()
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

pub fn label_with(settings: PdfSettings, input: &[u8], job: &Job) -> Result<(Vec<u8>, Labelled)> {
    let mut reader = Cursor::new(input.to_vec());
    let source = Source {
        reader: &mut reader,
        format: &PDF,
        path: None,
        len: input.len() as u64,
    };
    let mut out = Cursor::new(Vec::new());
    let labelled = PdfLabeler::new(settings).label(source, &mut out, job)?;
    Ok((out.into_inner(), labelled))
}

/// Like [`label_with`], but returns what was written to the output even when
/// labelling failed (which must then be nothing).
pub fn label_into(settings: PdfSettings, input: &[u8], job: &Job) -> (Vec<u8>, Result<Labelled>) {
    let mut reader = Cursor::new(input.to_vec());
    let source = Source {
        reader: &mut reader,
        format: &PDF,
        path: None,
        len: input.len() as u64,
    };
    let mut out = Cursor::new(Vec::new());
    let labelled = PdfLabeler::new(settings).label(source, &mut out, job);
    (out.into_inner(), labelled)
}

pub fn label(input: &[u8]) -> (Vec<u8>, Labelled) {
    label_with(PdfSettings::default(), input, &Job::default()).unwrap()
}

pub fn verify(input: &[u8]) -> Result<Verification> {
    let mut reader = Cursor::new(input.to_vec());
    let source = Source {
        reader: &mut reader,
        format: &PDF,
        path: None,
        len: input.len() as u64,
    };
    PdfLabeler::default().verify(source, &Limits::default())
}

/// `qpdf --check` must pass with no errors and no warnings.
pub fn assert_qpdf_clean(pdf: &[u8]) {
    let dir = tmp();
    let p = write(dir.path(), "check.pdf", pdf);
    let out = Command::new("qpdf")
        .arg("--check")
        .arg(&p)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "qpdf --check failed:\n{text}");
    assert!(!text.contains("WARNING"), "qpdf --check warned:\n{text}");
    assert!(
        text.contains("No syntax or stream encoding errors"),
        "qpdf --check said:\n{text}"
    );
}

/// Text of one page, as poppler's pdftotext extracts it, whitespace collapsed.
pub fn page_text(pdf: &[u8], page: u32) -> String {
    let dir = tmp();
    let p = write(dir.path(), "t.pdf", pdf);
    let out = Command::new("pdftotext")
        .args([
            "-enc",
            "UTF-8",
            "-f",
            &page.to_string(),
            "-l",
            &page.to_string(),
        ])
        .arg(&p)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftotext failed: {out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Page count and each page's size and rotation, as pdfinfo reports them.
pub fn page_sizes(pdf: &[u8]) -> Vec<String> {
    let dir = tmp();
    let p = write(dir.path(), "i.pdf", pdf);
    let out = Command::new("pdfinfo")
        .args(["-f", "1", "-l", "9999"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(out.status.success(), "pdfinfo failed: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            l.starts_with("Page") && (l.contains("size") || l.contains("rot"))
                || l.starts_with("Pages:")
        })
        .map(str::to_string)
        .collect()
}

/// A word and its box: `(text, xMin, yMin, xMax, yMax)`.
pub type WordBox = (String, f32, f32, f32, f32);

/// Words with their boxes in displayed coordinates (origin top-left):
/// `(word, xMin, yMin, xMax, yMax)`, and the page's displayed width and height.
pub fn word_boxes(pdf: &[u8], page: u32) -> (Vec<WordBox>, f32, f32) {
    let dir = tmp();
    let p = write(dir.path(), "b.pdf", pdf);
    let out = Command::new("pdftotext")
        .args([
            "-bbox",
            "-enc",
            "UTF-8",
            "-f",
            &page.to_string(),
            "-l",
            &page.to_string(),
        ])
        .arg(&p)
        .arg("-")
        .output()
        .unwrap();
    let html = String::from_utf8(out.stdout).unwrap();
    let attr = |line: &str, name: &str| -> f32 {
        let key = format!("{name}=\"");
        let start = line.find(&key).unwrap() + key.len();
        line[start..].split('"').next().unwrap().parse().unwrap()
    };
    let mut words = Vec::new();
    let (mut w, mut h) = (0.0, 0.0);
    for line in html.lines() {
        if line.contains("<page ") {
            w = attr(line, "width");
            h = attr(line, "height");
        }
        if line.contains("<word ") {
            let text = line
                .split('>')
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
                .to_string();
            words.push((
                text,
                attr(line, "xMin"),
                attr(line, "yMin"),
                attr(line, "xMax"),
                attr(line, "yMax"),
            ));
        }
    }
    (words, w, h)
}

/// exiftool's JSON for the file, grouped by family 1.
pub fn exiftool(pdf: &[u8]) -> serde_json::Value {
    let dir = tmp();
    let p = write(dir.path(), "e.pdf", pdf);
    let out = Command::new("exiftool")
        .args(["-j", "-G1", "-a"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(out.status.success(), "exiftool failed: {out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v[0].clone()
}

/// qpdf's JSON of the file.
pub fn qpdf_json(pdf: &[u8]) -> serde_json::Value {
    let dir = tmp();
    let p = write(dir.path(), "j.pdf", pdf);
    let out = Command::new("qpdf")
        .args(["--json=2"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(
        out.status.success() || out.status.code() == Some(3),
        "qpdf --json failed: {out:?}"
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

pub fn literal(s: &str) -> Object {
    Object::String(s.as_bytes().to_vec(), StringFormat::Literal)
}

/// The logical structure with each element's text, as `pdfinfo -struct-text`
/// (poppler) reads it.
pub fn struct_text(pdf: &[u8]) -> String {
    let dir = tmp();
    let p = write(dir.path(), "s.pdf", pdf);
    let out = Command::new("pdfinfo")
        .arg("-struct-text")
        .arg(&p)
        .output()
        .unwrap();
    assert!(out.status.success(), "pdfinfo -struct-text failed: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// What poppler complains of while reading the whole file (`pdftotext`'s
/// standard error); empty for a clean file.
pub fn poppler_errors(pdf: &[u8]) -> String {
    let dir = tmp();
    let p = write(dir.path(), "p.pdf", pdf);
    let out = Command::new("pdftotext").arg(&p).arg("-").output().unwrap();
    assert!(out.status.success(), "pdftotext failed: {out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}
