//! Puts the banner into a tagged PDF's logical structure, so screen readers
//! and search find it: one `/P` structure element per stamped page, pointing
//! at the banner's marked content through the page's `/ParentTree` entry.
//!
//! Everything is read and checked against the original first ([`plan`]), so
//! that writing ([`Plan::apply`]) only edits objects already known to have
//! the expected shape; a structure tree that does not is left alone.

use std::collections::{BTreeSet, HashMap, HashSet};

use lopdf::{Dictionary, Document, IncrementalDocument, Object, ObjectId, dictionary};
use tanba_core::{Error, Result};

use crate::lopdf_err;

/// How deep the parent tree is followed: guards against cycles.
const MAX_TREE_DEPTH: usize = 64;

#[derive(Debug, Clone, Copy)]
enum Step {
    Key(&'static [u8]),
    Index(usize),
}

/// An object inside the indirect object `owner`, reached through `path`:
/// direct objects can only be changed by rewriting their owner.
#[derive(Debug, Clone)]
struct Location {
    owner: ObjectId,
    path: Vec<Step>,
}

impl Location {
    fn of(owner: ObjectId) -> Self {
        Location {
            owner,
            path: Vec::new(),
        }
    }

    fn then(&self, step: Step) -> Self {
        let mut path = self.path.clone();
        path.push(step);
        Location {
            owner: self.owner,
            path,
        }
    }
}

/// Where the new elements are appended to the parent element's children.
#[derive(Debug)]
enum Kids {
    /// The parent's own `/K` entry (absent, one kid, or a direct array).
    Entry,
    /// `/K` refers to this array object.
    Array(ObjectId),
}

/// How a page's marked content is found from its `/StructParents` key.
#[derive(Debug)]
enum Marks {
    /// The page's array (indexed by MCID) in the parent tree.
    Existing(Location),
    /// The page has no `/StructParents` yet: it gets this key.
    New(i64),
}

#[derive(Debug)]
struct PagePlan {
    page: ObjectId,
    mcid: i64,
    marks: Marks,
}

#[derive(Debug)]
struct ParentTree {
    /// The nodes from the tree's root down to its last leaf, where new keys
    /// (all larger than any existing one) go.
    last_leaf_path: Vec<Location>,
    /// The last leaf's `/Nums` array, if it has one.
    last_nums: Option<Location>,
}

/// What tagging the banner changes, checked against the original document.
#[derive(Debug)]
pub struct Plan {
    root: ObjectId,
    parent: ObjectId,
    kids: Kids,
    tree: Option<ParentTree>,
    lang: Option<String>,
    pages: Vec<PagePlan>,
    mcids: HashMap<ObjectId, i64>,
}

/// A language tag as BCP 47 allows (letters, digits, hyphens), or `None`.
pub fn language(tag: &str) -> Option<String> {
    let tag = tag.trim();
    (!tag.is_empty() && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .then(|| tag.to_string())
}

/// How tagging the banner on `pages` (number, id) would change the structure
/// tree; `None` for an untagged document, or (with a note) for a structure
/// tree this cannot safely extend.
pub fn plan(
    doc: &Document,
    pages: &[(u32, ObjectId)],
    lang: Option<String>,
    notes: &mut Vec<String>,
) -> Option<Plan> {
    let root = match doc.catalog().ok()?.get(b"StructTreeRoot") {
        Ok(Object::Null) | Err(_) => return None,
        Ok(root) => root,
    };
    match read(doc, root, pages, lang) {
        Ok(plan) => Some(plan),
        Err(reason) => {
            notes.push(format!(
                "the structure tree is malformed ({reason}), so the label was not added to it; \
                 it is still real text, but screen readers may skip it"
            ));
            None
        }
    }
}

type Checked<T> = std::result::Result<T, String>;

fn read(
    doc: &Document,
    root: &Object,
    pages: &[(u32, ObjectId)],
    lang: Option<String>,
) -> Checked<Plan> {
    let root = root
        .as_reference()
        .map_err(|_| "/StructTreeRoot is not an indirect object".to_string())?;
    let root_dict = doc
        .get_dictionary(root)
        .map_err(|_| "/StructTreeRoot is not a dictionary".to_string())?;
    let parent = document_element(doc, root_dict).unwrap_or(root);
    let kids = match doc.get_dictionary(parent).and_then(|p| p.get(b"K")) {
        Ok(Object::Reference(id)) if matches!(doc.get_object(*id), Ok(Object::Array(_))) => {
            Kids::Array(*id)
        }
        _ => Kids::Entry,
    };

    let mut walk = Walk {
        doc,
        entries: HashMap::new(),
        max_key: -1,
        seen: HashSet::new(),
    };
    let tree = match root_dict.get(b"ParentTree") {
        Ok(Object::Null) | Err(_) => None,
        Ok(value) => {
            let (at, node) = deref(
                doc,
                value,
                Location::of(root).then(Step::Key(b"ParentTree")),
            )?;
            walk.node(node, at.clone(), 0)?;
            Some(last_leaf(doc, node, at)?)
        }
    };
    let declared_next = root_dict
        .get(b"ParentTreeNextKey")
        .ok()
        .and_then(|o| integer(doc, o));
    let mut next_key = declared_next
        .unwrap_or(0)
        .max(walk.max_key.saturating_add(1));

    let mut planned = Vec::with_capacity(pages.len());
    let mut keys_in_use = HashMap::new();
    let mut arrays_in_use = HashSet::new();
    for &(number, page) in pages {
        let page_dict = doc
            .get_dictionary(page)
            .map_err(|_| format!("page {number} is not a dictionary"))?;
        let (mcid, marks) = match page_dict.get(b"StructParents") {
            Ok(value) => {
                let key = integer(doc, value)
                    .ok_or_else(|| format!("page {number} has a non-integer /StructParents"))?;
                if let Some(other) = keys_in_use.insert(key, number) {
                    return Err(format!(
                        "pages {other} and {number} share /StructParents {key}"
                    ));
                }
                match walk.entries.get(&key) {
                    Some(Some((at, _)))
                        if at.path.is_empty() && !arrays_in_use.insert(at.owner) =>
                    {
                        return Err(format!(
                            "page {number} shares its /ParentTree array with another page"
                        ));
                    }
                    Some(Some((at, len))) => {
                        let mcid = i64::try_from(*len).map_err(|_| "too many MCIDs".to_string())?;
                        (mcid, Marks::Existing(at.clone()))
                    }
                    Some(None) => {
                        return Err(format!(
                            "page {number}'s /ParentTree entry {key} is not an array"
                        ));
                    }
                    None => {
                        return Err(format!(
                            "page {number}'s /StructParents {key} is not in the /ParentTree"
                        ));
                    }
                }
            }
            Err(_) => {
                let key = next_key;
                next_key = next_key.saturating_add(1);
                (0, Marks::New(key))
            }
        };
        planned.push(PagePlan { page, mcid, marks });
    }
    if tree.is_none()
        && planned
            .iter()
            .any(|p| matches!(p.marks, Marks::Existing(_)))
    {
        return Err("pages have /StructParents but there is no /ParentTree".to_string());
    }
    let mcids = planned.iter().map(|p| (p.page, p.mcid)).collect();
    Ok(Plan {
        root,
        parent,
        kids,
        tree,
        lang,
        pages: planned,
        mcids,
    })
}

/// The root's single `/Document` element, which new elements join so that
/// they sit beside the document's own top-level elements.
fn document_element(doc: &Document, root: &Dictionary) -> Option<ObjectId> {
    let only = match root.get(b"K").ok()? {
        Object::Array(items) if items.len() == 1 => items.first()?,
        Object::Array(_) => return None,
        single => single,
    };
    let id = only.as_reference().ok()?;
    let element = doc.get_dictionary(id).ok()?;
    let kind = element.get(b"S").ok()?.as_name().ok()?;
    (kind == b"Document").then_some(id)
}

fn integer(doc: &Document, object: &Object) -> Option<i64> {
    doc.dereference(object).ok()?.1.as_i64().ok()
}

/// `object`, followed if it is a reference, with where it lives.
fn deref<'a>(
    doc: &'a Document,
    object: &'a Object,
    at: Location,
) -> Checked<(Location, &'a Object)> {
    match object {
        Object::Reference(id) => {
            doc.get_object(*id)
                .map(|o| (Location::of(*id), o))
                .map_err(|_| {
                    format!(
                        "the /ParentTree refers to a missing object {} {}",
                        id.0, id.1
                    )
                })
        }
        direct => Ok((at, direct)),
    }
}

/// Collects every key of the parent tree with its array (if it is one).
struct Walk<'a> {
    doc: &'a Document,
    /// Key -> the array's location and length; `None` for a value that is
    /// not an array (an annotation's or XObject's element).
    entries: HashMap<i64, Option<(Location, usize)>>,
    max_key: i64,
    seen: HashSet<ObjectId>,
}

impl<'a> Walk<'a> {
    fn node(&mut self, node: &'a Object, at: Location, depth: usize) -> Checked<()> {
        if depth > MAX_TREE_DEPTH {
            return Err("the /ParentTree is nested too deep".to_string());
        }
        if at.path.is_empty() && !self.seen.insert(at.owner) {
            return Err("the /ParentTree has a cycle".to_string());
        }
        let dict = node
            .as_dict()
            .map_err(|_| "a /ParentTree node is not a dictionary".to_string())?;
        if let Ok(nums) = dict.get(b"Nums") {
            let (nums_at, nums) = deref(self.doc, nums, at.then(Step::Key(b"Nums")))?;
            let nums = nums
                .as_array()
                .map_err(|_| "a /ParentTree /Nums is not an array".to_string())?;
            if nums.len() % 2 != 0 {
                return Err("a /ParentTree /Nums has an odd length".to_string());
            }
            for (i, pair) in nums.chunks_exact(2).enumerate() {
                let [key, value] = pair else { continue };
                let key = integer(self.doc, key)
                    .ok_or_else(|| "a /ParentTree key is not an integer".to_string())?;
                // A dangling value only matters if a stamped page uses it.
                let entry = deref(self.doc, value, nums_at.then(Step::Index(2 * i + 1)))
                    .ok()
                    .and_then(|(value_at, value)| {
                        value.as_array().ok().map(|a| (value_at, a.len()))
                    });
                self.max_key = self.max_key.max(key);
                self.entries.insert(key, entry);
            }
        }
        if let Ok(kids) = dict.get(b"Kids") {
            let (kids_at, kids) = deref(self.doc, kids, at.then(Step::Key(b"Kids")))?;
            let kids = kids
                .as_array()
                .map_err(|_| "a /ParentTree /Kids is not an array".to_string())?;
            for (i, kid) in kids.iter().enumerate() {
                let (kid_at, kid) = deref(self.doc, kid, kids_at.then(Step::Index(i)))?;
                self.node(kid, kid_at, depth + 1)?;
            }
        }
        Ok(())
    }
}

/// The path to the tree's last leaf (the last kid at every level).
fn last_leaf<'a>(doc: &'a Document, mut node: &'a Object, mut at: Location) -> Checked<ParentTree> {
    let mut path = Vec::new();
    for _ in 0..=MAX_TREE_DEPTH {
        path.push(at.clone());
        let dict = node
            .as_dict()
            .map_err(|_| "a /ParentTree node is not a dictionary".to_string())?;
        let last_kid = match dict.get(b"Kids") {
            Ok(kids) => {
                let (kids_at, kids) = deref(doc, kids, at.then(Step::Key(b"Kids")))?;
                let kids = kids
                    .as_array()
                    .map_err(|_| "a /ParentTree /Kids is not an array".to_string())?;
                kids.len()
                    .checked_sub(1)
                    .and_then(|i| Some((kids_at.then(Step::Index(i)), kids.get(i)?)))
            }
            Err(_) => None,
        };
        match last_kid {
            Some((kid_at, kid)) => (at, node) = deref(doc, kid, kid_at)?,
            None => {
                let last_nums = match dict.get(b"Nums") {
                    Ok(nums) => Some(deref(doc, nums, at.then(Step::Key(b"Nums")))?.0),
                    Err(_) => None,
                };
                return Ok(ParentTree {
                    last_leaf_path: path,
                    last_nums,
                });
            }
        }
    }
    Err("the /ParentTree is nested too deep".to_string())
}

fn resolve_mut<'a>(object: &'a mut Object, path: &[Step]) -> Option<&'a mut Object> {
    path.iter().try_fold(object, |object, step| match *step {
        Step::Key(key) => object.as_dict_mut().ok()?.get_mut(key).ok(),
        Step::Index(i) => object.as_array_mut().ok()?.get_mut(i),
    })
}

/// The object at `at` in the update, its owner copied there first.
fn edit<'a>(inc: &'a mut IncrementalDocument, at: &Location) -> Result<&'a mut Object> {
    inc.opt_clone_object_to_new_document(at.owner)
        .map_err(lopdf_err("structure tree"))?;
    let owner = inc
        .new_document
        .get_object_mut(at.owner)
        .map_err(lopdf_err("structure tree"))?;
    resolve_mut(owner, &at.path)
        .ok_or_else(|| Error::malformed(format!("structure tree: {at:?} is missing")))
}

fn edit_array<'a>(inc: &'a mut IncrementalDocument, at: &Location) -> Result<&'a mut Vec<Object>> {
    edit(inc, at)?
        .as_array_mut()
        .map_err(lopdf_err("structure tree"))
}

fn edit_dict<'a>(inc: &'a mut IncrementalDocument, at: &Location) -> Result<&'a mut Dictionary> {
    edit(inc, at)?
        .as_dict_mut()
        .map_err(lopdf_err("structure tree"))
}

impl Plan {
    /// The MCID the banner's marked content gets on `page`.
    pub fn mcid(&self, page: ObjectId) -> Option<i64> {
        self.mcids.get(&page).copied()
    }

    /// Adds the banner's structure elements and parent-tree entries to the
    /// update.
    pub fn apply(self, inc: &mut IncrementalDocument) -> Result<()> {
        let mut elements = Vec::with_capacity(self.pages.len());
        let mut new_entries = Vec::new();
        for page in &self.pages {
            let mut element = dictionary! {
                "Type" => "StructElem", "S" => "P", "P" => self.parent,
                "Pg" => page.page, "K" => page.mcid,
            };
            if let Some(lang) = &self.lang {
                element.set("Lang", Object::string_literal(lang.as_str()));
            }
            let element = Object::Reference(inc.new_document.add_object(element));
            elements.push(element.clone());
            match &page.marks {
                Marks::Existing(at) => edit_array(inc, at)?.push(element),
                Marks::New(key) => {
                    let marks = inc.new_document.add_object(vec![element]);
                    new_entries.push((*key, marks));
                    edit_dict(inc, &Location::of(page.page))?.set("StructParents", *key);
                }
            }
        }

        match self.kids {
            Kids::Array(id) => edit_array(inc, &Location::of(id))?.extend(elements),
            Kids::Entry => {
                let parent = edit_dict(inc, &Location::of(self.parent))?;
                let kids = match parent.remove(b"K") {
                    Some(Object::Array(mut kids)) => {
                        kids.extend(elements);
                        kids
                    }
                    Some(Object::Null) | None => elements,
                    Some(only) => std::iter::once(only).chain(elements).collect(),
                };
                parent.set("K", kids);
            }
        }

        let Some(&(last_key, _)) = new_entries.last() else {
            return Ok(());
        };
        let nums: Vec<Object> = new_entries
            .iter()
            .flat_map(|&(key, marks)| [Object::Integer(key), Object::Reference(marks)])
            .collect();
        match &self.tree {
            None => {
                let tree = inc.new_document.add_object(dictionary! { "Nums" => nums });
                edit_dict(inc, &Location::of(self.root))?.set("ParentTree", tree);
            }
            Some(tree) => {
                // The root has no /Limits; every node below it on the way to
                // the last leaf now reaches up to the new last key.
                for at in tree.last_leaf_path.iter().skip(1) {
                    if let Ok(Object::Array(limits)) = edit_dict(inc, at)?.get_mut(b"Limits")
                        && let Some(high) = limits.get_mut(1)
                    {
                        *high = Object::Integer(last_key);
                    }
                }
                match (&tree.last_nums, tree.last_leaf_path.last()) {
                    (Some(at), _) => edit_array(inc, at)?.extend(nums),
                    (None, Some(leaf)) => {
                        let leaf = edit_dict(inc, leaf)?;
                        leaf.remove(b"Kids");
                        leaf.set("Nums", nums);
                    }
                    (None, None) => {
                        return Err(Error::malformed("structure tree: empty /ParentTree path"));
                    }
                }
            }
        }
        edit_dict(inc, &Location::of(self.root))?.set("ParentTreeNextKey", last_key + 1);
        Ok(())
    }
}

fn resolve<'a>(object: &'a Object, path: &[Step]) -> Option<&'a Object> {
    path.iter().try_fold(object, |object, step| match *step {
        Step::Key(key) => object.as_dict().ok()?.get(key).ok(),
        Step::Index(i) => object.as_array().ok()?.get(i),
    })
}

/// One earlier banner's `/P` element and where it is listed.
struct Banner {
    /// The page's array in the parent tree, and the banner's index in it.
    marks: Location,
    mcid: usize,
    element: ObjectId,
    parent: Option<ObjectId>,
}

/// Takes the `/P` elements of earlier banners out of the structure tree,
/// given the (page, MCID) of each stamp taken off its page: the element
/// leaves its parent's `/K`, and its slot in the page's parent-tree array
/// is dropped (the last) or emptied (any other). Elements that do not look
/// like ours are left alone.
pub fn remove_banners(
    doc: &mut Document,
    banners: &[(ObjectId, i64)],
    changed: &mut BTreeSet<ObjectId>,
) -> Checked<()> {
    let mut found = find_banners(doc, banners)?;
    // Highest MCIDs first, so that dropping the last slot of an array keeps
    // the indices of the others right.
    found.sort_by_key(|b| std::cmp::Reverse(b.mcid));
    for banner in found {
        let owner = doc
            .get_object_mut(banner.marks.owner)
            .map_err(|e| format!("parent tree: {e}"))?;
        let marks = resolve_mut(owner, &banner.marks.path)
            .and_then(|o| o.as_array_mut().ok())
            .ok_or_else(|| "a parent-tree array moved".to_string())?;
        if banner.mcid + 1 == marks.len() {
            marks.pop();
        } else if let Some(slot) = marks.get_mut(banner.mcid) {
            *slot = Object::Null;
        }
        changed.insert(banner.marks.owner);
        if let Some(parent) = banner.parent {
            remove_kid(doc, parent, banner.element, changed);
        }
    }
    Ok(())
}

fn find_banners(doc: &Document, banners: &[(ObjectId, i64)]) -> Checked<Vec<Banner>> {
    let Some(root) = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"StructTreeRoot").ok())
        .and_then(|o| o.as_reference().ok())
    else {
        return Ok(Vec::new());
    };
    let root_dict = doc
        .get_dictionary(root)
        .map_err(|_| "/StructTreeRoot is not a dictionary".to_string())?;
    let Ok(tree) = root_dict.get(b"ParentTree") else {
        return Ok(Vec::new());
    };
    let mut walk = Walk {
        doc,
        entries: HashMap::new(),
        max_key: -1,
        seen: HashSet::new(),
    };
    let (at, node) = deref(doc, tree, Location::of(root).then(Step::Key(b"ParentTree")))?;
    walk.node(node, at, 0)?;
    let mut found = Vec::new();
    for &(page, mcid) in banners {
        let key = doc
            .get_dictionary(page)
            .ok()
            .and_then(|p| p.get(b"StructParents").ok())
            .and_then(|o| integer(doc, o));
        let Some(Some((marks, _))) = key.and_then(|k| walk.entries.get(&k)) else {
            continue;
        };
        let Ok(index) = usize::try_from(mcid) else {
            continue;
        };
        let element = doc
            .get_object(marks.owner)
            .ok()
            .and_then(|o| resolve(o, &marks.path))
            .and_then(|o| o.as_array().ok())
            .and_then(|a| a.get(index))
            .and_then(|o| o.as_reference().ok());
        let Some(element) = element else { continue };
        let Ok(dict) = doc.get_dictionary(element) else {
            continue;
        };
        let ours = dict.get(b"S").and_then(Object::as_name).ok() == Some(&b"P"[..])
            && dict.get(b"K").and_then(Object::as_i64).ok() == Some(mcid)
            && dict.get(b"Pg").and_then(Object::as_reference).ok() == Some(page);
        if ours {
            found.push(Banner {
                marks: marks.clone(),
                mcid: index,
                element,
                parent: dict.get(b"P").and_then(Object::as_reference).ok(),
            });
        }
    }
    Ok(found)
}

/// Takes `element` out of `parent`'s `/K` (direct, an array, or an array object).
fn remove_kid(
    doc: &mut Document,
    parent: ObjectId,
    element: ObjectId,
    changed: &mut BTreeSet<ObjectId>,
) {
    let is_element = |o: &Object| o.as_reference().ok() == Some(element);
    let Ok(dict) = doc.get_dictionary_mut(parent) else {
        return;
    };
    let array_object = match dict.get_mut(b"K") {
        Ok(Object::Array(kids)) => {
            kids.retain(|k| !is_element(k));
            changed.insert(parent);
            None
        }
        Ok(Object::Reference(id)) if *id == element => {
            dict.remove(b"K");
            changed.insert(parent);
            None
        }
        Ok(Object::Reference(id)) => Some(*id),
        _ => None,
    };
    if let Some(id) = array_object
        && let Ok(Object::Array(kids)) = doc.get_object_mut(id)
    {
        kids.retain(|k| !is_element(k));
        changed.insert(id);
    }
}
