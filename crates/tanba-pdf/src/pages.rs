//! Reading a page's inherited attributes and editing its dictionary.

use lopdf::{Dictionary, Document, IncrementalDocument, Object, ObjectId};
use tanba_core::{Error, Result};

use crate::stamp::PageGeometry;

/// How deep a `/Parent` chain is followed: guards against cycles.
const MAX_TREE_DEPTH: usize = 64;

/// An attribute of the page or, if absent there, of its nearest ancestor.
fn inherited<'a>(doc: &'a Document, page: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    let mut node = page;
    for _ in 0..MAX_TREE_DEPTH {
        if let Ok(value) = node.get(key) {
            return doc.dereference(value).ok().map(|(_, v)| v);
        }
        let parent = node.get(b"Parent").ok()?.as_reference().ok()?;
        node = doc.get_dictionary(parent).ok()?;
    }
    None
}

fn rectangle(doc: &Document, object: &Object) -> Option<[f32; 4]> {
    let items = object.as_array().ok()?;
    if items.len() != 4 {
        return None;
    }
    let mut v = [0.0f32; 4];
    for (slot, item) in v.iter_mut().zip(items) {
        let (_, item) = doc.dereference(item).ok()?;
        *slot = item.as_float().ok()?;
        if !slot.is_finite() {
            return None;
        }
    }
    Some([
        v[0].min(v[2]),
        v[1].min(v[3]),
        v[0].max(v[2]),
        v[1].max(v[3]),
    ])
}

/// The visible area (CropBox clipped to MediaBox, both possibly inherited)
/// and the display rotation of a page.
pub fn geometry(
    doc: &Document,
    page_id: ObjectId,
    number: u32,
    notes: &mut Vec<String>,
) -> Result<PageGeometry> {
    let page = doc
        .get_dictionary(page_id)
        .map_err(|e| Error::malformed(format!("page {number} is not a dictionary: {e}")))?;
    let media = match inherited(doc, page, b"MediaBox").and_then(|o| rectangle(doc, o)) {
        Some(b) => b,
        None => {
            // Readers assume US Letter too; say so rather than guess silently.
            notes.push(format!(
                "page {number} has no valid /MediaBox; assumed US Letter (612 x 792 pt)"
            ));
            [0.0, 0.0, 612.0, 792.0]
        }
    };
    let visible = match inherited(doc, page, b"CropBox").and_then(|o| rectangle(doc, o)) {
        Some(c) => {
            let clipped = [
                c[0].max(media[0]),
                c[1].max(media[1]),
                c[2].min(media[2]),
                c[3].min(media[3]),
            ];
            if clipped[0] < clipped[2] && clipped[1] < clipped[3] {
                clipped
            } else {
                media
            }
        }
        None => media,
    };
    let rotate = inherited(doc, page, b"Rotate")
        .and_then(|o| {
            o.as_i64()
                .ok()
                .or_else(|| o.as_float().ok().map(|f| f.round() as i64))
        })
        .unwrap_or(0)
        .rem_euclid(360);
    // Only multiples of 90 are valid; readers ignore anything else.
    let rotate = if rotate % 90 == 0 {
        u32::try_from(rotate).unwrap_or(0)
    } else {
        0
    };
    Ok(PageGeometry { visible, rotate })
}

/// The page's content streams as references, in order (`/Contents` may be a
/// stream, an array, or a reference to an array). Only streams draw: an item
/// that is anything else (a dangling reference, a number) draws nothing, and
/// poppler gives up on the whole page over it, so it is left out.
pub fn contents(doc: &Document, page_id: ObjectId) -> Result<Vec<Object>> {
    let page = doc
        .get_dictionary(page_id)
        .map_err(|e| Error::malformed(format!("page object: {e}")))?;
    let Ok(value) = page.get(b"Contents") else {
        return Ok(Vec::new());
    };
    let items = match doc.dereference(value) {
        Ok((_, Object::Array(items))) => items.clone(),
        _ => vec![value.clone()],
    };
    Ok(items
        .into_iter()
        .filter(|item| matches!(doc.dereference(item), Ok((_, Object::Stream(_)))))
        .collect())
}

/// Refuses a page tree that lopdf and poppler would number differently, so
/// that the pages the manifest lists are the pages readers show: a kid that
/// is neither a page nor a tree node (a font, say: lopdf skips it, poppler
/// shows a blank page), a loop, or a tree nested too deep.
pub fn check_tree(doc: &Document) -> Result<()> {
    let root = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Pages").ok())
        .and_then(|o| o.as_reference().ok());
    let mut stack: Vec<(ObjectId, usize)> = root.map(|r| (r, 0)).into_iter().collect();
    let mut seen = std::collections::HashSet::new();
    while let Some((node, depth)) = stack.pop() {
        // lopdf walks a loop (or a very deep tree) until its own limit and
        // counts pages poppler does not.
        if depth > MAX_TREE_DEPTH {
            return Err(Error::malformed(format!(
                "the page tree is nested deeper than {MAX_TREE_DEPTH} levels"
            )));
        }
        if !seen.insert(node) {
            return Err(Error::malformed(format!(
                "the page tree has a loop: object {} {} is its own ancestor or listed twice",
                node.0, node.1
            )));
        }
        let kids = doc
            .get_dictionary(node)
            .and_then(|d| d.get(b"Kids"))
            .and_then(|k| doc.dereference(k))
            .and_then(|(_, k)| k.as_array());
        for kid in kids.into_iter().flatten() {
            let Ok(id) = kid.as_reference() else {
                continue;
            };
            match doc.get_dictionary(id).map(|d| d.get_type().ok()) {
                Ok(Some(b"Pages")) => stack.push((id, depth + 1)),
                Ok(Some(b"Page")) | Ok(None) | Err(_) => {}
                Ok(Some(other)) => {
                    return Err(Error::malformed(format!(
                        "the page tree lists object {} {} of type /{}, which is not a page; \
                         readers disagree on the page numbers after it",
                        id.0,
                        id.1,
                        String::from_utf8_lossy(other)
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Adds `name -> id` to the `category` (Font, ExtGState) of the resources
/// the page uses, changing as few objects as possible.
pub fn add_resource(
    inc: &mut IncrementalDocument,
    page_id: ObjectId,
    category: &[u8],
    name: &str,
    id: ObjectId,
) -> Result<()> {
    let bad =
        |what: &str| Error::malformed(format!("page object {} {}: {what}", page_id.0, page_id.1));
    let resources = inc
        .get_or_create_resources(page_id)
        .map_err(|e| bad(&format!("resources: {e}")))?;
    let resources = resources
        .as_dict_mut()
        .map_err(|_| bad("/Resources is not a dictionary"))?;
    let sub_ref = match resources.get(category) {
        Ok(Object::Reference(r)) => Some(*r),
        Ok(Object::Dictionary(_)) => None,
        _ => {
            resources.set(category.to_vec(), Dictionary::new());
            None
        }
    };
    let sub = match sub_ref {
        Some(r) => {
            inc.opt_clone_object_to_new_document(r)
                .map_err(|e| bad(&format!("resource dictionary: {e}")))?;
            inc.new_document
                .get_object_mut(r)
                .map_err(|e| bad(&format!("resource dictionary: {e}")))?
        }
        None => {
            let resources = inc
                .get_or_create_resources(page_id)
                .map_err(|e| bad(&format!("resources: {e}")))?
                .as_dict_mut()
                .map_err(|_| bad("/Resources is not a dictionary"))?;
            resources
                .get_mut(category)
                .map_err(|e| bad(&format!("resources: {e}")))?
        }
    };
    let sub = sub
        .as_dict_mut()
        .map_err(|_| bad("a resource category is not a dictionary"))?;
    sub.set(name.as_bytes().to_vec(), Object::Reference(id));
    Ok(())
}
