//! The machine-readable marks: the TC260 AIGC JSON and the Tanba manifest
//! JSON, each a custom document property named by its key.

use tanba_core::{Label, Manifest, Mark, MarkKind, Result};

/// The property holding the Annex E JSON.
pub const AIGC_KEY: &str = "AIGC";
/// The property holding the manifest JSON.
pub const MANIFEST_KEY: &str = "Tanba-Manifest";

/// Whether a property name is one of ours.
pub fn is_ours(name: &str) -> bool {
    name == AIGC_KEY || name == MANIFEST_KEY
}

/// The values of our properties found in a file.
#[derive(Debug, Default, Clone)]
pub struct Found {
    /// The Annex E JSON.
    pub aigc: Option<String>,
    /// The manifest JSON.
    pub manifest: Option<String>,
}

impl Found {
    /// Records `value` when `name` is one of our keys.
    pub fn take(&mut self, name: &str, value: String) {
        match name {
            AIGC_KEY => self.aigc = Some(value),
            MANIFEST_KEY => self.manifest = Some(value),
            _ => {}
        }
    }

    /// Whether any of our properties is present.
    pub fn any(&self) -> bool {
        self.aigc.is_some() || self.manifest.is_some()
    }

    /// The marks, named after their carrier.
    pub fn marks(&self, carrier: &str) -> Vec<Mark> {
        let mut marks = Vec::new();
        if self.aigc.is_some() {
            marks.push(Mark::new(MarkKind::Aigc, format!("{carrier} {AIGC_KEY}")));
        }
        if self.manifest.is_some() {
            marks.push(Mark::new(
                MarkKind::Manifest,
                format!("{carrier} {MANIFEST_KEY}"),
            ));
        }
        marks
    }

    /// The manifest, parsed, if present.
    pub fn manifest(&self) -> Option<Result<Manifest>> {
        self.manifest.as_deref().map(Manifest::from_json)
    }
}

/// The two values to write, as `(key, JSON)`.
pub fn values(manifest: &Manifest) -> [(&'static str, String); 2] {
    [
        (AIGC_KEY, manifest.aigc.to_json()),
        (MANIFEST_KEY, manifest.to_json()),
    ]
}

/// Whether `line` is a label text: one Tanba ships, or a line of `label`
/// or of the earlier manifest.
pub fn is_label_text(line: &str, label: Option<&Label>, earlier: Option<&Manifest>) -> bool {
    let shipped = tanba_core::Lang::ALL
        .iter()
        .any(|l| l.visible_texts().contains(&line));
    let given = label.is_some_and(|l| l.texts().any(|t| t == line));
    let before = earlier.is_some_and(|m| m.label.lines.iter().any(|l| l.text == line));
    !line.is_empty() && (shipped || given || before)
}

/// Whether `text` holds every line of the manifest's label, or, without a
/// manifest, any label text Tanba ships.
pub fn has_notice(text: &str, manifest: Option<&Manifest>) -> bool {
    match manifest {
        Some(m) => {
            !m.label.lines.is_empty() && m.label.lines.iter().all(|l| text.contains(&l.text))
        }
        None => tanba_core::Lang::ALL
            .iter()
            .any(|l| l.visible_texts().iter().any(|t| text.contains(t))),
    }
}
