//! The write side of labelling: the new revision of the document (stamp
//! streams and changed pages, metadata, Info, trailer), saved as an
//! incremental update or as a whole new file.

use std::collections::{BTreeSet, HashMap};
use std::io::Write as _;

use lopdf::{
    Dictionary, Document, IncrementalDocument, Object, ObjectId, Stream, StringFormat, dictionary,
};
use tanba_core::manifest::sha256_hex;
use tanba_core::{Error, Manifest, Result, WriteSeek};

use crate::banner::Banners;
use crate::{lopdf_err, pages};

/// An update on top of `bytes` (parsed as `doc`), carrying the objects
/// `changed` in `doc` since it was parsed (a forced relabel's clean-up).
pub fn start(
    bytes: Vec<u8>,
    doc: Document,
    changed: &BTreeSet<ObjectId>,
) -> Result<IncrementalDocument> {
    let original_size = doc
        .trailer
        .get(b"Size")
        .and_then(Object::as_i64)
        .unwrap_or(0);
    let mut inc = IncrementalDocument::create_from(bytes, doc);
    let new = &mut inc.new_document;
    // New objects get numbers past every slot the original declares.
    new.max_id = new
        .max_id
        .max(u32::try_from(original_size.saturating_sub(1)).unwrap_or(0));
    for &id in changed {
        inc.opt_clone_object_to_new_document(id)
            .map_err(lopdf_err("cleaned object"))?;
    }
    Ok(inc)
}

/// Adds the font, the stamp streams and the wrapped `/Contents` of every
/// stamped page, and the banners' structure elements.
pub fn stamp_pages(inc: &mut IncrementalDocument, banners: Banners) -> Result<()> {
    let font_id = banners.font.add_to(&mut inc.new_document);
    let gs_id = inc.new_document.add_object(
        dictionary! { "Type" => "ExtGState", "ca" => banners.box_opacity, "CA" => 1.0 },
    );
    // Tiny streams of `q` or `Q` operators, one object per count.
    let mut operator_streams: HashMap<(u8, usize), ObjectId> = HashMap::new();
    let mut repeated = |inc: &mut IncrementalDocument, operator: u8, count: usize| {
        *operator_streams
            .entry((operator, count))
            .or_insert_with(|| {
                let text = [operator, b'\n'].repeat(count);
                let mut stream = Stream::new(Dictionary::new(), text);
                stream.allows_compression = false;
                inc.new_document.add_object(stream)
            })
    };
    let mut by_geometry: HashMap<([i64; 5], Option<i64>), ObjectId> = HashMap::new();
    for stamp in banners.stamps {
        let stamp_id = match by_geometry.get(&stamp.key) {
            Some(&id) => id,
            None => {
                let mut stream = Stream::new(Dictionary::new(), stamp.content);
                let _ = stream.compress();
                let id = inc.new_document.add_object(stream);
                by_geometry.insert(stamp.key, id);
                id
            }
        };
        // `q` once for the wrapper and once per `Q` the content pops
        // beyond its own; `Q` for each `q` it leaves open. The stamp
        // itself starts with `Q q`.
        let opening = repeated(inc, b'q', 1 + stamp.balance.extra_restores);
        let mut contents = Vec::with_capacity(stamp.contents.len() + 3);
        contents.push(Object::Reference(opening));
        contents.extend(stamp.contents);
        if stamp.balance.left_open > 0 {
            contents.push(Object::Reference(repeated(
                inc,
                b'Q',
                stamp.balance.left_open,
            )));
        }
        contents.push(Object::Reference(stamp_id));
        inc.opt_clone_object_to_new_document(stamp.page)
            .map_err(lopdf_err("page object"))?;
        inc.new_document
            .get_dictionary_mut(stamp.page)
            .map_err(lopdf_err("page object"))?
            .set("Contents", contents);
        pages::add_resource(inc, stamp.page, b"Font", &banners.font_name, font_id)?;
        pages::add_resource(inc, stamp.page, b"ExtGState", &banners.gs_name, gs_id)?;
    }
    if let Some(tagging) = banners.tagging {
        tagging.apply(inc)?;
    }
    Ok(())
}

/// The catalog's XMP packet, merged with `existing` (its object id and
/// text) when there is one.
pub fn metadata(
    inc: &mut IncrementalDocument,
    manifest: &Manifest,
    existing: Option<(Option<ObjectId>, String)>,
    notes: &mut Vec<String>,
) -> Result<()> {
    let packet = match &existing {
        Some((_, text)) => match tanba_core::xmp::merge(text, manifest) {
            Ok(merged) => merged,
            Err(e) => {
                notes.push(format!(
                    "the existing XMP packet did not parse ({e}); it was replaced"
                ));
                tanba_core::xmp::packet(manifest)
            }
        },
        None => tanba_core::xmp::packet(manifest),
    };
    let mut metadata = Stream::new(
        dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
        packet.into_bytes(),
    );
    // XMP stays uncompressed so that tools scanning for packets find it.
    metadata.allows_compression = false;
    let metadata_id = match existing.and_then(|(id, _)| id) {
        Some(id) => {
            inc.new_document
                .objects
                .insert(id, Object::Stream(metadata));
            id
        }
        None => inc.new_document.add_object(metadata),
    };
    let root_id = inc
        .get_prev_documents()
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| Error::malformed("the trailer has no /Root reference"))?;
    inc.opt_clone_object_to_new_document(root_id)
        .map_err(lopdf_err("catalog"))?;
    inc.new_document
        .get_dictionary_mut(root_id)
        .map_err(lopdf_err("catalog"))?
        .set("Metadata", metadata_id);
    Ok(())
}

/// The Annex E AIGC JSON as the Info dictionary's `/AIGC`.
pub fn info(inc: &mut IncrementalDocument, manifest: &Manifest) -> Result<()> {
    let aigc = Object::String(manifest.aigc.to_json().into_bytes(), StringFormat::Literal);
    let info_ref = inc.get_prev_documents().trailer.get(b"Info").ok().cloned();
    match info_ref {
        Some(Object::Reference(info_id))
            if inc.get_prev_documents().get_dictionary(info_id).is_ok() =>
        {
            inc.opt_clone_object_to_new_document(info_id)
                .map_err(lopdf_err("Info dictionary"))?;
            inc.new_document
                .get_dictionary_mut(info_id)
                .map_err(lopdf_err("Info dictionary"))?
                .set("AIGC", aigc);
        }
        other => {
            let mut info = match other {
                Some(Object::Dictionary(d)) => d,
                _ => Dictionary::new(),
            };
            info.set("AIGC", aigc);
            let id = inc.new_document.add_object(info);
            inc.new_document.trailer.set("Info", id);
        }
    }
    Ok(())
}

/// The trailer: a new second `/ID` half marks the changed file; keys that
/// described the original's cross-reference section do not carry over.
pub fn trailer(inc: &mut IncrementalDocument, manifest: &Manifest) {
    let new_id = sha256_hex(manifest.id.as_bytes());
    let new_id: Vec<u8> = (0..16)
        .filter_map(|i| {
            new_id
                .get(2 * i..2 * i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    let trailer = &mut inc.new_document.trailer;
    let first_id = match trailer.get(b"ID").and_then(Object::as_array) {
        Ok(ids) => ids.first().cloned(),
        Err(_) => None,
    }
    .unwrap_or_else(|| Object::String(new_id.clone(), StringFormat::Hexadecimal));
    trailer.set(
        "ID",
        vec![first_id, Object::String(new_id, StringFormat::Hexadecimal)],
    );
    for key in [
        &b"XRefStm"[..],
        b"DecodeParms",
        b"Filter",
        b"Index",
        b"W",
        b"Length",
        b"Type",
    ] {
        trailer.remove(key);
    }
}

/// Writes the update after the original bytes, or (`rewrite`) the whole
/// document anew.
pub fn save(mut inc: IncrementalDocument, output: &mut dyn WriteSeek, rewrite: bool) -> Result<()> {
    let mut buffered = std::io::BufWriter::with_capacity(1 << 20, &mut *output);
    if rewrite {
        write_rewritten(inc, &mut buffered)?;
    } else {
        inc.save_to(&mut buffered)
            .map_err(|e| Error::malformed(format!("cannot write the update: {e}")))?;
    }
    buffered.flush()?;
    Ok(())
}

/// Writes the whole document anew: the original's objects with the changed
/// ones in their place, packed into object streams (an encrypted file:
/// objects one by one, with a classic table).
fn write_rewritten<W: std::io::Write>(inc: IncrementalDocument, out: &mut W) -> Result<()> {
    let mut full = inc.get_prev_documents().clone();
    let new = inc.new_document;
    full.max_id = full.max_id.max(new.max_id);
    full.objects.extend(new.objects);
    let mut trailer = new.trailer;
    trailer.remove(b"Prev");
    full.trailer = trailer;
    full.prune_objects();
    // Numbered afresh: what pruning leaves (a forced relabel's earlier stamps
    // go) would otherwise be gaps in the cross-reference stream's /Index,
    // which poppler reports as an invalid entry 0.
    full.renumber_objects();
    // An input that opened with the empty user password goes out encrypted
    // as it came: the same state, so the same file key, `/O`, `/U`, `/P`
    // (and `/OE`, `/UE`, `/Perms`). lopdf writes no object streams for an
    // encrypted file, and its cross-reference stream would then start at
    // object 1, which poppler reports as an invalid entry 0: a classic table.
    let encrypted = full.encryption_state.clone();
    if let Some(state) = &encrypted {
        full.encrypt(state)
            .map_err(|e| Error::malformed(format!("cannot re-encrypt the PDF: {e}")))?;
        // lopdf's plain save keeps the input's kind of cross-reference data.
        full.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;
    }
    let options = lopdf::SaveOptions::builder()
        .use_object_streams(encrypted.is_none())
        .use_xref_streams(encrypted.is_none())
        .build();
    full.save_with_options(out, options)
        .map_err(|e| Error::malformed(format!("cannot write the rewritten PDF: {e}")))
}
