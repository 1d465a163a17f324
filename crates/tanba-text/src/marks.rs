//! The machine-readable mark in text formats: one-line JSON values, `AIGC`
//! (Annex E) and `Tanba-Manifest` (the whole manifest) or
//! `Tanba-Manifest-Ref` (its id, digest and label fingerprint), embedded in whatever comment
//! or metadata syntax the format has.

use tanba_core::{Label, Lang, Manifest, ManifestRef, Mark, MarkKind, Result};

/// The key of the Annex E JSON.
pub const AIGC_KEY: &str = "AIGC";
/// The key of the manifest JSON.
pub const MANIFEST_KEY: &str = "Tanba-Manifest";
/// The key of the manifest reference JSON.
pub const REF_KEY: &str = "Tanba-Manifest-Ref";

/// ASCII JSON that is safe inside an HTML comment, a `<script>`, a quoted
/// attribute, a YAML single-quoted or TOML literal string, and a WebVTT NOTE:
/// no `<`, `>`, `&`, `'` and no `--`. The escapes only occur inside JSON
/// strings, so the result is still the same JSON value.
pub fn embeddable(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\'', "\\u0027")
        .replace("--", "-\\u002d")
}

/// The values to embed: the Annex E JSON (printable ASCII, as GB 45438
/// asks), and the manifest (UTF-8: every carrier here is a UTF-8 or UTF-16
/// text, so letters stay letters) or its reference.
#[derive(Debug, Clone)]
pub struct Values {
    /// The Annex E JSON.
    pub aigc: String,
    /// The manifest JSON, or the reference JSON, as [`Values::key`] says.
    pub manifest: String,
    /// [`MANIFEST_KEY`] or [`REF_KEY`].
    pub key: &'static str,
}

impl Values {
    /// The whole manifest (Markdown, HTML): UTF-8, or ASCII with `\uXXXX`
    /// escapes when the file is in a legacy encoding that may not hold
    /// every letter of it.
    pub fn whole(manifest: &Manifest, ascii: bool) -> Self {
        let json = if ascii {
            manifest.to_json_ascii()
        } else {
            manifest.to_json()
        };
        Values {
            aigc: embeddable(&manifest.aigc.to_json()),
            manifest: embeddable(&json),
            key: MANIFEST_KEY,
        }
    }

    /// The short reference (plain text, subtitles): the manifest's id and
    /// digest, and the fingerprint of its label lines
    /// ([`label_fingerprint`]), so that `verify` can check the notice's
    /// wording when the manifest is not at hand.
    pub fn reference(manifest: &Manifest) -> Self {
        let r = manifest.reference();
        let label = label_fingerprint(manifest.label.lines.iter().map(|l| l.text.as_str()));
        // Every value is ASCII without quotes or backslashes (a URN, hex).
        let json = format!(
            "{{\"id\":\"{}\",\"sha256\":\"{}\",\"label\":\"{label}\"}}",
            r.id, r.sha256
        );
        Values {
            aigc: embeddable(&manifest.aigc.to_json()),
            manifest: embeddable(&json),
            key: REF_KEY,
        }
    }

    /// Test values.
    #[cfg(test)]
    pub fn sample(aigc: &str, manifest: &str) -> Self {
        Values {
            aigc: aigc.to_string(),
            manifest: manifest.to_string(),
            key: MANIFEST_KEY,
        }
    }
}

/// What a scan of a text for our keys found.
#[derive(Debug, Default)]
pub struct Found {
    /// The Annex E JSON.
    pub aigc: Option<String>,
    /// The manifest JSON.
    pub manifest: Option<String>,
    /// The manifest reference JSON.
    pub reference: Option<String>,
}

impl Found {
    /// True when any value is present.
    pub fn any(&self) -> bool {
        self.aigc.is_some() || self.manifest.is_some() || self.reference.is_some()
    }

    /// The marks, named after `carrier`.
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
        if self.reference.is_some() {
            marks.push(Mark::new(
                MarkKind::Manifest,
                format!("{carrier} {REF_KEY}"),
            ));
        }
        marks
    }

    /// The parsed manifest, if present.
    pub fn manifest(&self) -> Option<Result<Manifest>> {
        self.manifest.as_deref().map(Manifest::from_json)
    }

    /// The parsed manifest reference, if present.
    pub fn reference(&self) -> Option<Result<ManifestRef>> {
        self.reference.as_deref().map(ManifestRef::from_json)
    }

    /// The label fingerprint the reference holds, if any.
    pub fn label_fingerprint(&self) -> Option<String> {
        let json = self.reference.as_deref()?;
        let start = json.find("\"label\":\"")? + "\"label\":\"".len();
        let len = json[start..].find('"')?;
        Some(json[start..start + len].to_string())
    }
}

/// The fingerprint of a notice's label lines: the first 16 hex digits of
/// the SHA-256 of the lines joined with a line feed. Not a security
/// measure (the manifest's digest and signature are): it tells whether a
/// notice has the wording the manifest records without the manifest.
pub fn label_fingerprint<'a>(lines: impl IntoIterator<Item = &'a str>) -> String {
    let joined = lines.into_iter().collect::<Vec<_>>().join("\n");
    let mut hex = tanba_core::manifest::sha256_hex(joined.as_bytes());
    hex.truncate(16);
    hex
}

/// `line` (trimmed, after an optional `NOTE `) when it starts with `key`
/// followed by `:`, `=` or a space; the rest after the key.
fn after_key<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let line = line.trim_start();
    let line = line.strip_prefix("NOTE ").unwrap_or(line);
    line.strip_prefix(key)
        .filter(|rest| rest.starts_with([':', ' ', '=']))
}

/// Scans lines of `text` for `KEY…{json}`: the key at the start of the line
/// (after optional `NOTE `), the JSON from the first `{` to the last `}`.
pub fn scan(text: &str) -> Found {
    let mut found = Found::default();
    for line in text.lines() {
        let (slot, line) = if let Some(rest) = after_key(line, AIGC_KEY) {
            (&mut found.aigc, rest)
        } else if let Some(rest) = after_key(line, MANIFEST_KEY) {
            (&mut found.manifest, rest)
        } else if let Some(rest) = after_key(line, REF_KEY) {
            (&mut found.reference, rest)
        } else {
            continue;
        };
        if let (Some(start), Some(end)) = (line.find('{'), line.rfind('}'))
            && start < end
            && slot.is_none()
        {
            *slot = Some(line[start..=end].to_string());
        }
    }
    found
}

/// The one-line visible notice: the label's lines joined.
pub fn notice(label: &Label) -> String {
    label.joined(" / ")
}

/// The label texts a notice of ours may hold: every shipped text, the
/// lines of the manifest found in the file, and the job's own lines; and
/// the fingerprint a reference in the file holds. A forced relabel takes
/// out a notice only when it is made of these, or has that fingerprint.
#[derive(Debug, Default)]
pub struct KnownTexts(Vec<String>, Option<String>);

impl KnownTexts {
    /// The shipped texts plus the lines of `label` and of `manifest`.
    pub fn new(label: &Label, manifest: Option<&Manifest>) -> Self {
        let mut texts: Vec<String> = Lang::ALL
            .iter()
            .flat_map(|l| l.visible_texts())
            .chain(label.texts())
            .map(str::to_string)
            .collect();
        if let Some(m) = manifest {
            texts.extend(m.label.lines.iter().map(|l| l.text.clone()));
        }
        KnownTexts(texts, None)
    }

    /// Also a notice whose lines have this [`label_fingerprint`].
    #[must_use]
    pub fn with_fingerprint(mut self, fingerprint: Option<String>) -> Self {
        self.1 = fingerprint;
        self
    }

    /// Whether `line` is one label text.
    pub fn is_text(&self, line: &str) -> bool {
        !line.is_empty() && self.0.iter().any(|t| t == line)
    }

    /// Whether `line` is a one-line notice: label texts joined with ` / `.
    pub fn is_notice(&self, line: &str) -> bool {
        line.split(" / ").all(|part| self.is_text(part))
            || self
                .1
                .as_deref()
                .is_some_and(|f| !line.is_empty() && label_fingerprint(line.split(" / ")) == f)
    }
}

/// Whether `line` (without its line ending) holds one of our keys with a
/// JSON value, in any of the syntaxes [`scan`] reads.
pub fn is_key_line(line: &str) -> bool {
    [AIGC_KEY, MANIFEST_KEY, REF_KEY]
        .iter()
        .any(|key| after_key(line, key).is_some_and(|rest| rest.contains('{')))
}

/// Whether `text` carries the label: every line of the manifest's label,
/// or, without a manifest, any shipped label text.
pub fn has_notice(text: &str, manifest: Option<&Manifest>) -> bool {
    match manifest {
        Some(m) => {
            !m.label.lines.is_empty() && m.label.lines.iter().all(|l| text.contains(&l.text))
        }
        None => Lang::ALL
            .iter()
            .any(|l| l.visible_texts().iter().any(|t| text.contains(t))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeddable_is_still_the_same_json() {
        let raw = r#"{"a":"<x> & 'y' -- z --- </script>"}"#;
        let safe = embeddable(raw);
        for bad in ["<", ">", "&", "'", "--"] {
            assert!(!safe.contains(bad), "{safe}");
        }
        let a: tanba_core::manifest::Aigc = tanba_core::manifest::Aigc {
            label: "1".into(),
            content_producer: "<x> & 'y' -- z".into(),
            produce_id: String::new(),
            reserved_code1: String::new(),
            content_propagator: String::new(),
            propagate_id: String::new(),
            reserved_code2: String::new(),
        };
        let back = tanba_core::manifest::Aigc::from_json(&embeddable(&a.to_json())).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn scans_keys_in_any_syntax() {
        let text = "---\ntitle: x\nAIGC: '{\"AIGC\":{}}'\nTanba-Manifest: '{\"v\":1}'\n---\n";
        let f = scan(text);
        assert_eq!(f.aigc.as_deref(), Some("{\"AIGC\":{}}"));
        assert_eq!(f.manifest.as_deref(), Some("{\"v\":1}"));
        let f = scan("NOTE AIGC {\"a\":1}\n");
        assert_eq!(f.aigc.as_deref(), Some("{\"a\":1}"));
        assert!(!scan("no marks here").any());
        let f = scan("Tanba-Manifest-Ref: {\"id\":\"x\"}\n");
        assert_eq!(f.reference.as_deref(), Some("{\"id\":\"x\"}"));
        assert!(f.manifest.is_none(), "the reference is not the manifest");
    }

    #[test]
    fn knows_our_notices_and_key_lines() {
        let known = KnownTexts::new(&Label::default(), None);
        assert!(known.is_notice(&notice(&Label::default())));
        assert!(known.is_notice(Lang::Ru.short_text()));
        assert!(!known.is_notice("Hello / world"));
        assert!(!known.is_notice(""));
        assert!(is_key_line("AIGC: '{\"a\":1}'"));
        assert!(is_key_line("Tanba-Manifest = '{}'"));
        assert!(is_key_line("NOTE AIGC {}"));
        assert!(is_key_line("Tanba-Manifest-Ref: {}"));
        assert!(!is_key_line("AIGCX: {}"));
        assert!(!is_key_line("AIGC: no json"));
    }
}
