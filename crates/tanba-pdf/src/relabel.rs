//! Taking an earlier Tanba banner out of a PDF, so that a forced relabel
//! replaces it rather than drawing a second one.
//!
//! An earlier labelling (in either mode, by this or an earlier version) left
//! on each page it stamped `/Contents` of the shape `[q-run, original…,
//! Q-run?, stamp]`, the stamp's font and ExtGState under `TanbaLabelF…` and
//! `TanbaLabelGS…` in the page's resources, and in a tagged PDF a `/P`
//! element for the stamp's marked content. All three are taken out of the
//! loaded document before the new banner is planned. This runs only for a
//! forced relabel: it visits every page.

use std::collections::BTreeSet;

use lopdf::{Dictionary, Document, Object, ObjectId};
use tanba_core::{Error, Result};

use crate::{FONT_PREFIX, GS_PREFIX, pages, structure};

/// Stamps are a few hundred bytes; a larger stream is not one of ours.
const MAX_STAMP_BYTES: usize = 64 * 1024;
/// How deep a `/Parent` chain is followed for inherited resources.
const MAX_TREE_DEPTH: usize = 64;

/// Takes earlier banners out of `doc`, returning the ids of the objects it
/// changed (which the update must carry).
pub fn strip(doc: &mut Document, notes: &mut Vec<String>) -> Result<BTreeSet<ObjectId>> {
    let mut changed = BTreeSet::new();
    let mut banners = Vec::new();
    let page_ids: Vec<ObjectId> = doc.get_pages().into_values().collect();
    for &page in &page_ids {
        let Ok(items) = pages::contents(doc, page) else {
            continue;
        };
        let (kept, mcids, removed) = without_stamps(doc, items);
        if removed == 0 {
            continue;
        }
        let dict = doc
            .get_dictionary_mut(page)
            .map_err(|e| Error::malformed(format!("page object: {e}")))?;
        if kept.is_empty() {
            dict.remove(b"Contents");
        } else {
            dict.set("Contents", kept);
        }
        changed.insert(page);
        banners.extend(mcids.into_iter().map(|mcid| (page, mcid)));
    }
    for &page in &page_ids {
        remove_resources(doc, page, &mut changed);
    }
    if !banners.is_empty()
        && let Err(reason) = structure::remove_banners(doc, &banners, &mut changed)
    {
        notes.push(format!(
            "the earlier banner's structure elements were left in place: {reason}"
        ));
    }
    Ok(changed)
}

/// A page's `/Contents` items without the stamps at their end and the
/// operator runs that wrapped them; the stamps' MCIDs; how many there were.
fn without_stamps(doc: &Document, mut items: Vec<Object>) -> (Vec<Object>, Vec<i64>, usize) {
    let mut mcids = Vec::new();
    let mut removed = 0;
    while let Some(stamp) = items.last().and_then(|last| stamp_of(doc, last)) {
        items.pop();
        removed += 1;
        mcids.extend(stamp);
        // The leading run of `q` is always ours when a stamp ends the page.
        if items.first().is_some_and(|o| is_run(doc, o, b'q')) {
            items.remove(0);
        }
        // A trailing run of `Q` closed what the content left open; should it
        // be the page's own, taking it out draws the same: the new wrapper
        // closes as many levels again.
        if items.last().is_some_and(|o| is_run(doc, o, b'Q')) {
            items.pop();
        }
    }
    (items, mcids, removed)
}

fn stream<'a>(doc: &'a Document, item: &'a Object) -> Option<&'a lopdf::Stream> {
    match doc.dereference(item).ok()?.1 {
        Object::Stream(stream) => Some(stream),
        _ => None,
    }
}

/// `Some(mcid)` if `item` is one of our stamp streams (`None` inside when
/// it was not tagged).
fn stamp_of(doc: &Document, item: &Object) -> Option<Option<i64>> {
    let bytes = stream(doc, item)?
        .get_plain_content_with_limit(MAX_STAMP_BYTES)
        .ok()?;
    if !bytes.starts_with(b"Q\nq\n") || find(&bytes, FONT_PREFIX.as_bytes()).is_none() {
        return None;
    }
    let mcid = find(&bytes, b"/P <</MCID ").and_then(|at| {
        let digits: Vec<u8> = bytes[at + 11..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .copied()
            .collect();
        std::str::from_utf8(&digits).ok()?.parse().ok()
    });
    Some(mcid)
}

/// An unfiltered stream of nothing but `operator` lines, as the wrapper writes.
fn is_run(doc: &Document, item: &Object, operator: u8) -> bool {
    stream(doc, item).is_some_and(|s| {
        !s.dict.has(b"Filter")
            && !s.content.is_empty()
            && s.content.chunks(2).all(|c| c == [operator, b'\n'])
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Removes our font and ExtGState names from the resources `page` uses
/// (its own or inherited).
fn remove_resources(doc: &mut Document, page: ObjectId, changed: &mut BTreeSet<ObjectId>) {
    let mut holder = page;
    let mut resources = None;
    for _ in 0..MAX_TREE_DEPTH {
        let Ok(node) = doc.get_dictionary(holder) else {
            return;
        };
        match node.get(b"Resources") {
            Ok(Object::Reference(id)) => {
                resources = Some((*id, false));
                break;
            }
            Ok(Object::Dictionary(_)) => {
                resources = Some((holder, true));
                break;
            }
            _ => match node.get(b"Parent").and_then(Object::as_reference) {
                Ok(parent) => holder = parent,
                Err(_) => return,
            },
        }
    }
    let Some((owner, inside)) = resources else {
        return;
    };
    let Some(dict) = resources_mut(doc, owner, inside) else {
        return;
    };
    let mut referred = Vec::new();
    let mut cleaned = false;
    for category in [&b"Font"[..], b"ExtGState"] {
        match dict.get_mut(category) {
            Ok(Object::Dictionary(sub)) => cleaned |= clean(sub),
            Ok(Object::Reference(id)) => referred.push(*id),
            _ => {}
        }
    }
    if cleaned {
        changed.insert(owner);
    }
    for id in referred {
        if doc.get_dictionary_mut(id).is_ok_and(clean) {
            changed.insert(id);
        }
    }
}

fn resources_mut(doc: &mut Document, owner: ObjectId, inside: bool) -> Option<&mut Dictionary> {
    let dict = doc.get_dictionary_mut(owner).ok()?;
    if inside {
        dict.get_mut(b"Resources").ok()?.as_dict_mut().ok()
    } else {
        Some(dict)
    }
}

/// Drops our names from a resource category; whether any was there.
fn clean(dict: &mut Dictionary) -> bool {
    let ours: Vec<Vec<u8>> = dict
        .iter()
        .map(|(name, _)| name)
        .filter(|n| n.starts_with(FONT_PREFIX.as_bytes()) || n.starts_with(GS_PREFIX.as_bytes()))
        .cloned()
        .collect();
    for name in &ours {
        dict.remove(name);
    }
    !ours.is_empty()
}
