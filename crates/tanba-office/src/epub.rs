//! EPUB 2 and 3: a notice page first in the spine and in the navigation
//! (the EPUB 3 navigation document and the NCX), the notice at the top of
//! the first content document, and the marks as `<meta name content>` in
//! the package metadata (the form both versions read).

use quick_xml::Reader;
use quick_xml::events::Event;
use tanba_core::{Error, Label, Manifest, Result};

use crate::container::{Edits, Package};
use crate::marks::{self, Found};
use crate::xml::{self, Span};

/// The notice page, beside the package document.
pub const NOTICE_FILE: &str = "tanba-notice.xhtml";
const NOTICE_ID: &str = "tanba-notice";
const TOP_ID: &str = "tanba-notice-top";
const NAV_ID: &str = "tanba-notice-nav";
const CONTAINER: &str = "META-INF/container.xml";
/// Encryption algorithms that only obfuscate embedded fonts: not DRM.
const FONT_OBFUSCATION: [&str; 2] = [
    "http://www.idpf.org/2008/embedding",
    "http://ns.adobe.com/pdf/enc#RC",
];

/// The package document and what it says.
struct Book {
    path: String,
    dir: String,
    opf: Vec<u8>,
    /// `opf:` when the package names its elements with a prefix.
    prefix: String,
    v3: bool,
}

impl Book {
    fn name(&self, local: &str) -> String {
        format!("{}{local}", self.prefix)
    }
}

/// One manifest item: id, href (from the package directory), properties.
struct Item {
    id: String,
    href: String,
    properties: String,
}

/// Refuses a book under DRM: `rights.xml`, or an `encryption.xml` that
/// encrypts more than embedded fonts.
pub fn refuse_drm(package: &mut Package<'_>) -> Result<()> {
    let drm = || {
        Error::encrypted(
            "an EPUB under DRM (its content is encrypted): Tanba labels only books it can read",
        )
    };
    if package
        .entries()
        .iter()
        .any(|e| e.name == "META-INF/rights.xml")
    {
        return Err(drm());
    }
    if let Some(enc) = package.read_xml("META-INF/encryption.xml")? {
        let mut reader = Reader::from_reader(enc.as_slice());
        loop {
            match reader.read_event() {
                Ok(Event::Start(e) | Event::Empty(e))
                    if e.local_name().as_ref() == b"EncryptionMethod" =>
                {
                    let algorithm = xml::attr(&e, "Algorithm").unwrap_or_default();
                    if !FONT_OBFUSCATION.contains(&algorithm.as_str()) {
                        return Err(drm());
                    }
                }
                Ok(Event::Eof) => break,
                Err(e) => return Err(Error::malformed(format!("encryption.xml: {e}"))),
                _ => {}
            }
        }
    }
    Ok(())
}

fn first_start(tag: &[u8]) -> Option<quick_xml::events::BytesStart<'_>> {
    let mut reader = Reader::from_reader(tag);
    match reader.read_event() {
        Ok(Event::Start(e) | Event::Empty(e)) => Some(e),
        _ => None,
    }
}

fn open(package: &mut Package<'_>) -> Result<Book> {
    let container = package
        .read_xml(CONTAINER)?
        .ok_or_else(|| Error::malformed(format!("not an EPUB: no {CONTAINER}")))?;
    let rootfile = xml::find(&container, 0, "rootfile", |_| true)?
        .and_then(|s| {
            first_start(&container[s.start..s.inner]).and_then(|e| xml::attr(&e, "full-path"))
        })
        .ok_or_else(|| Error::malformed(format!("{CONTAINER}: no rootfile")))?;
    let opf = package
        .read_xml(&rootfile)?
        .ok_or_else(|| Error::malformed(format!("the package document {rootfile} is missing")))?;
    let prefix = if xml::find(&opf, 0, "opf:package", |_| true)?.is_some() {
        "opf:"
    } else {
        ""
    };
    let root = xml::find(&opf, 0, &format!("{prefix}package"), |_| true)?
        .ok_or_else(|| Error::malformed(format!("{rootfile}: no <package>")))?;
    let version = first_start(&opf[root.start..root.inner])
        .and_then(|e| xml::attr(&e, "version"))
        .unwrap_or_default();
    let dir = match rootfile.rfind('/') {
        Some(at) => rootfile[..=at].to_string(),
        None => String::new(),
    };
    Ok(Book {
        path: rootfile,
        dir,
        opf,
        prefix: prefix.to_string(),
        v3: version.starts_with('3'),
    })
}

fn items(book: &Book) -> Result<Vec<Item>> {
    let mut items = Vec::new();
    let mut from = 0;
    while let Some(span) = xml::find(&book.opf, from, &book.name("item"), |_| true)? {
        if let Some(e) = first_start(&book.opf[span.start..span.inner]) {
            items.push(Item {
                id: xml::attr(&e, "id").unwrap_or_default(),
                href: xml::attr(&e, "href").unwrap_or_default(),
                properties: xml::attr(&e, "properties").unwrap_or_default(),
            });
        }
        from = span.end;
    }
    Ok(items)
}

fn spine(book: &Book) -> Result<(Span, Vec<String>)> {
    let spine = xml::find(&book.opf, 0, &book.name("spine"), |_| true)?
        .ok_or_else(|| Error::malformed(format!("{}: no <spine>", book.path)))?;
    let mut ids = Vec::new();
    let mut from = spine.inner;
    let inside = &book.opf[..spine.close];
    while let Some(span) = xml::find(inside, from, &book.name("itemref"), |_| true)? {
        if let Some(id) =
            first_start(&book.opf[span.start..span.inner]).and_then(|e| xml::attr(&e, "idref"))
        {
            ids.push(id);
        }
        from = span.end;
    }
    Ok((spine, ids))
}

/// Our `<meta name content>` marks in the package metadata.
pub fn read_marks(package: &mut Package<'_>) -> Result<Found> {
    let book = open(package)?;
    let mut found = Found::default();
    let mut from = 0;
    while let Some(span) = xml::find(&book.opf, from, &book.name("meta"), |_| true)? {
        if let Some(e) = first_start(&book.opf[span.start..span.inner])
            && let (Some(name), Some(content)) = (xml::attr(&e, "name"), xml::attr(&e, "content"))
        {
            found.take(&name, content);
        }
        from = span.end;
    }
    Ok(found)
}

/// The notice's paragraphs: bold, one per label line, each in its language.
fn paragraphs(label: &Label, v3: bool) -> String {
    label
        .lines
        .iter()
        .map(|l| {
            let lang = xml::escape(&l.lang);
            let attrs = if v3 {
                format!("lang=\"{lang}\" xml:lang=\"{lang}\"")
            } else {
                format!("xml:lang=\"{lang}\"")
            };
            format!("<p {attrs}><strong>{}</strong></p>", xml::escape(&l.text))
        })
        .collect()
}

fn notice_page(label: &Label, v3: bool) -> String {
    let lang = xml::escape(label.lines.first().map_or("kk", |l| l.lang.as_str()));
    let (doctype, html_lang) = if v3 {
        (
            "<!DOCTYPE html>",
            format!(" lang=\"{lang}\" xml:lang=\"{lang}\""),
        )
    } else {
        (
            "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.1//EN\" \"http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd\">",
            format!(" xml:lang=\"{lang}\""),
        )
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{doctype}\n<html xmlns=\"http://www.w3.org/1999/xhtml\"{html_lang}>\
         <head><title>{}</title></head><body><div id=\"{NOTICE_ID}\">{}</div></body></html>\n",
        xml::escape(&label.joined(" / ")),
        paragraphs(label, v3)
    )
}

/// `href` (from the package directory) as seen from the file at `from`
/// (also from the package directory).
fn relative(href: &str, from: &str) -> String {
    let depth = from.matches('/').count();
    format!("{}{href}", "../".repeat(depth))
}

/// Removes every element `qname` whose `key` attribute is `value`.
fn remove_all(mut bytes: Vec<u8>, qname: &str, key: &str, value: &str) -> Result<Vec<u8>> {
    while let Some(old) = xml::find(&bytes, 0, qname, |e| {
        xml::attr(e, key).as_deref() == Some(value)
    })? {
        bytes = xml::replace(&bytes, old.start..old.end, "");
    }
    Ok(bytes)
}

/// The package document without our marks, item and itemref, then with
/// the new ones.
fn labelled_opf(book: &Book, manifest: &Manifest) -> Result<Vec<u8>> {
    let mut opf = book.opf.clone();
    for key in [marks::AIGC_KEY, marks::MANIFEST_KEY] {
        opf = remove_all(opf, &book.name("meta"), "name", key)?;
    }
    opf = remove_all(opf, &book.name("item"), "id", NOTICE_ID)?;
    opf = remove_all(opf, &book.name("itemref"), "idref", NOTICE_ID)?;
    let metas: String = marks::values(manifest)
        .iter()
        .map(|(k, v)| {
            format!(
                "<{} name=\"{k}\" content=\"{}\"/>",
                book.name("meta"),
                xml::escape(v)
            )
        })
        .collect();
    // EPUB 3 asks for the last modification time: now, the manifest's.
    if let Some(modified) = xml::find(&opf, 0, &book.name("meta"), |e| {
        xml::attr(e, "property").as_deref() == Some("dcterms:modified")
    })? && modified.close > modified.inner
    {
        opf = xml::replace(
            &opf,
            modified.inner..modified.close,
            &xml::escape(&manifest.created),
        );
    }
    let metadata = xml::find(&opf, 0, &book.name("metadata"), |_| true)?
        .ok_or_else(|| Error::malformed(format!("{}: no <metadata>", book.path)))?;
    opf = xml::append_children(&opf, metadata, &book.name("metadata"), &metas);
    let item = format!(
        "<{} id=\"{NOTICE_ID}\" href=\"{NOTICE_FILE}\" media-type=\"application/xhtml+xml\"/>",
        book.name("item")
    );
    let list = xml::find(&opf, 0, &book.name("manifest"), |_| true)?
        .ok_or_else(|| Error::malformed(format!("{}: no <manifest>", book.path)))?;
    opf = xml::append_children(&opf, list, &book.name("manifest"), &item);
    let spine = xml::find(&opf, 0, &book.name("spine"), |_| true)?
        .ok_or_else(|| Error::malformed(format!("{}: no <spine>", book.path)))?;
    let itemref = format!("<{} idref=\"{NOTICE_ID}\"/>", book.name("itemref"));
    Ok(if spine.inner == spine.end {
        xml::append_children(&opf, spine, &book.name("spine"), &itemref)
    } else {
        xml::splice(&opf, spine.inner, &itemref)
    })
}

/// Labels the book: the notice page, the top of the first content
/// document, the navigation, and the marks.
pub fn label(
    package: &mut Package<'_>,
    label: &Label,
    manifest: &Manifest,
    edits: &mut Edits,
) -> Result<()> {
    let book = open(package)?;
    let items = items(&book)?;
    let (_, spine_ids) = spine(&book)?;
    let first = spine_ids
        .iter()
        .find(|id| *id != NOTICE_ID)
        .and_then(|id| items.iter().find(|i| &i.id == id))
        .ok_or_else(|| Error::malformed("an EPUB without content documents: nothing to label"))?;
    let first_path = format!("{}{}", book.dir, first.href);
    let doc = package.read_xml(&first_path)?.ok_or_else(|| {
        Error::malformed(format!(
            "the first content document {first_path} is missing"
        ))
    })?;
    let doc = remove_all(doc, "div", "id", TOP_ID)?;
    let body = xml::find(&doc, 0, "body", |_| true)?
        .ok_or_else(|| Error::malformed(format!("{first_path}: no <body>")))?;
    let top = format!("<div id=\"{TOP_ID}\">{}</div>", paragraphs(label, book.v3));
    edits
        .replaced
        .insert(first_path, xml::splice(&doc, body.inner, &top));

    let page = notice_page(label, book.v3).into_bytes();
    let page_path = format!("{}{NOTICE_FILE}", book.dir);
    if package.entries().iter().any(|e| e.name == page_path) {
        edits.replaced.insert(page_path, page);
    } else {
        edits.added.push((page_path, page));
    }
    let title = label
        .lines
        .first()
        .map(|l| l.text.clone())
        .unwrap_or_default();
    if let Some(nav) = items
        .iter()
        .find(|i| i.properties.split_whitespace().any(|p| p == "nav"))
    {
        nav_entry(package, &book, nav, &title, edits)?;
    }
    let ncx = items
        .iter()
        .find(|i| i.href.ends_with(".ncx") && i.id != NOTICE_ID);
    if let Some(ncx) = ncx {
        ncx_entry(package, &book, ncx, &title, edits)?;
    }
    edits
        .replaced
        .insert(book.path.clone(), labelled_opf(&book, manifest)?);
    Ok(())
}

fn nav_entry(
    package: &mut Package<'_>,
    book: &Book,
    nav: &Item,
    title: &str,
    edits: &mut Edits,
) -> Result<()> {
    let path = format!("{}{}", book.dir, nav.href);
    let Some(doc) = package.read_xml(&path)? else {
        return Ok(());
    };
    let doc = remove_all(doc, "li", "id", NAV_ID)?;
    let toc = xml::find(&doc, 0, "nav", |e| {
        xml::attr(e, "epub:type").is_some_and(|t| t.split_whitespace().any(|w| w == "toc"))
    })?;
    let Some(toc) = toc else { return Ok(()) };
    let Some(ol) = xml::find(&doc[..toc.close], toc.inner, "ol", |_| true)? else {
        return Ok(());
    };
    let li = format!(
        "<li id=\"{NAV_ID}\"><a href=\"{}\">{}</a></li>",
        relative(NOTICE_FILE, &nav.href),
        xml::escape(title)
    );
    edits
        .replaced
        .insert(path, xml::splice(&doc, ol.inner, &li));
    Ok(())
}

/// Every `playOrder="N"` of an NCX moved up by one, making room for ours.
fn bump_play_order(ncx: &str) -> String {
    let mut out = String::with_capacity(ncx.len());
    let mut rest = ncx;
    while let Some(at) = rest.find("playOrder=\"") {
        let (before, after) = rest.split_at(at + "playOrder=\"".len());
        out.push_str(before);
        let end = after.find('"').unwrap_or(after.len());
        match after[..end].parse::<u64>() {
            Ok(n) => out.push_str(&(n + 1).to_string()),
            Err(_) => out.push_str(&after[..end]),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn ncx_entry(
    package: &mut Package<'_>,
    book: &Book,
    ncx: &Item,
    title: &str,
    edits: &mut Edits,
) -> Result<()> {
    let path = format!("{}{}", book.dir, ncx.href);
    let Some(doc) = package.read_xml(&path)? else {
        return Ok(());
    };
    let mut doc = remove_all(doc, "navPoint", "id", NOTICE_ID)?;
    // Take our earlier entry's place back before making room again.
    let text = String::from_utf8_lossy(&doc).into_owned();
    doc = if text.contains("playOrder=\"1\"") {
        bump_play_order(&text).into_bytes()
    } else {
        doc
    };
    let Some(map) = xml::find(&doc, 0, "navMap", |_| true)? else {
        return Ok(());
    };
    let point = format!(
        "<navPoint id=\"{NOTICE_ID}\" playOrder=\"1\"><navLabel><text>{}</text></navLabel>\
         <content src=\"{}\"/></navPoint>",
        xml::escape(title),
        relative(NOTICE_FILE, &ncx.href)
    );
    let (at, _) = xml::first_child(&doc, map, |n| n == b"navInfo" || n == b"navLabel")?;
    edits.replaced.insert(path, xml::splice(&doc, at, &point));
    Ok(())
}

/// The text of the notice page when it is first in the spine.
pub fn notice_text(package: &mut Package<'_>) -> Result<String> {
    let book = open(package)?;
    let (_, ids) = spine(&book)?;
    if ids.first().map(String::as_str) != Some(NOTICE_ID) {
        return Ok(String::new());
    }
    let page = package
        .read_xml(&format!("{}{NOTICE_FILE}", book.dir))?
        .unwrap_or_default();
    Ok(xml::text_of(&page, &["p"]))
}

/// Whether the book carries our notice page.
pub fn has_notice(package: &mut Package<'_>) -> Result<bool> {
    let book = open(package)?;
    Ok(items(&book)?.iter().any(|i| i.id == NOTICE_ID))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn play_order_moves_up_and_hrefs_climb_out_of_folders() {
        let ncx = "<navPoint playOrder=\"1\"/><navPoint playOrder=\"2\"/>";
        assert_eq!(
            bump_play_order(ncx),
            "<navPoint playOrder=\"2\"/><navPoint playOrder=\"3\"/>"
        );
        assert_eq!(relative(NOTICE_FILE, "toc.xhtml"), NOTICE_FILE);
        assert_eq!(
            relative(NOTICE_FILE, "text/nav.xhtml"),
            format!("../{NOTICE_FILE}")
        );
    }
}
