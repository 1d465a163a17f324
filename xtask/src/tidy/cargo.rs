//! The crates' Cargo.toml against the docs: README feature tables, and
//! the one-way dependencies between workspace crates.

use std::collections::BTreeSet;
use std::path::Path;

use super::{Finding, joined, parent, read};

// ---- README feature tables ----------------------------------------------

/// The `[features]` keys of a Cargo.toml, `default` aside.
fn cargo_features(toml: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut inside = false;
    for line in toml.lines().map(str::trim) {
        if line.starts_with('[') && !line.starts_with("[\"") {
            inside = line == "[features]";
            continue;
        }
        let Some((key, _)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        let ident = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if inside && ident && key != "default" {
            out.insert(key.to_string());
        }
    }
    out
}

pub(super) fn cells(row: &str) -> Vec<&str> {
    let row = row.trim().trim_start_matches('|').trim_end_matches('|');
    row.split('|').map(str::trim).collect()
}

/// The first code span of a string.
pub(super) fn first_code_span(s: &str) -> Option<&str> {
    let start = s.find('`')? + 1;
    let len = s[start..].find('`')?;
    Some(&s[start..start + len])
}

/// Feature tables in a Markdown file: (line of the header, names listed).
fn readme_feature_tables(md: &str) -> Vec<(usize, BTreeSet<String>)> {
    let lines: Vec<&str> = md.lines().collect();
    let mut tables = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let header = lines[i].trim();
        let is_feature_table =
            header.starts_with('|') && cells(header).first().is_some_and(|c| *c == "feature");
        if !is_feature_table {
            i += 1;
            continue;
        }
        let mut names = BTreeSet::new();
        let mut j = i + 2;
        while j < lines.len() && lines[j].trim().starts_with('|') {
            if let Some(name) = cells(lines[j]).first().and_then(|c| first_code_span(c)) {
                names.insert(name.to_string());
            }
            j += 1;
        }
        tables.push((i + 1, names));
        i = j;
    }
    tables
}

/// Each README feature table against the Cargo.toml beside it.
pub(super) fn feature_tables(root: &Path, files: &[String]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for readme in files.iter().filter(|f| f.ends_with("README.md")) {
        let tables = readme_feature_tables(&read(root, readme));
        if tables.is_empty() {
            continue;
        }
        let toml_path = joined(parent(readme), "Cargo.toml");
        let features = cargo_features(&read(root, &toml_path));
        for (line, listed) in tables {
            for missing in features.difference(&listed) {
                let msg = format!("feature table omits `{missing}` of {toml_path}");
                findings.push(Finding::new(readme, line, msg));
            }
            for extra in listed.difference(&features) {
                let msg = format!("feature table lists `{extra}`, not a feature of {toml_path}");
                findings.push(Finding::new(readme, line, msg));
            }
        }
    }
    findings
}

// ---- dependencies go one way ------------------------------------------------

/// The workspace crates each library crate may depend on (not counting
/// dev-dependencies); crates not listed (the facade, the CLI) may use any.
/// The watermark (signal processing on pixels and samples, no media
/// format) sits below the media crates that embed it.
const WORKSPACE_DEPS: [(&str, &[&str]); 8] = [
    ("tanba-core", &[]),
    ("tanba-text", &["tanba-core"]),
    ("tanba-watermark", &["tanba-core"]),
    ("tanba-image", &["tanba-core", "tanba-watermark"]),
    ("tanba-audio", &["tanba-core", "tanba-watermark"]),
    ("tanba-pdf", &["tanba-core"]),
    ("tanba-c2pa", &["tanba-core"]),
    (
        "tanba-video",
        &[
            "tanba-core",
            "tanba-image",
            "tanba-audio",
            "tanba-watermark",
        ],
    ),
];
/// Media libraries tanba-core must not depend on.
const MEDIA_LIBS: [&str; 12] = [
    "image",
    "symphonia",
    "ffmpeg-next",
    "lopdf",
    "pulldown-cmark",
    "lol_html",
    "c2pa",
    "ab_glyph",
    "png",
    "gif",
    "tiff",
    "hound",
];

/// The names of a Cargo.toml's normal dependencies (target-specific too).
fn dependencies(toml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in toml.lines().map(str::trim) {
        if line.starts_with('[') {
            let table = line.trim_matches(['[', ']']);
            inside = table == "dependencies"
                || (table.starts_with("target.") && table.ends_with(".dependencies"));
            continue;
        }
        let name = line.split(['=', '.', ' ']).next().unwrap_or("");
        let ident = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if inside && ident {
            out.push(name.to_string());
        }
    }
    out
}

/// A crate's dependencies that break the one-way rule.
fn dependency_problems(krate: &str, deps: &[String]) -> Vec<String> {
    let Some((_, allowed)) = WORKSPACE_DEPS.iter().find(|(name, _)| *name == krate) else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    for dep in deps {
        if dep.starts_with("tanba") && !allowed.contains(&dep.as_str()) {
            problems.push(format!("{krate} depends on {dep}: modules depend one way"));
        }
        if krate == "tanba-core" && MEDIA_LIBS.contains(&dep.as_str()) {
            problems.push(format!("tanba-core depends on the media library {dep}"));
        }
    }
    problems
}

/// The architecture's one-way dependency rule, over crates/*/Cargo.toml.
pub(super) fn one_way_dependencies(root: &Path) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (krate, _) in WORKSPACE_DEPS {
        let toml = format!("crates/{krate}/Cargo.toml");
        for problem in dependency_problems(krate, &dependencies(&read(root, &toml))) {
            findings.push(Finding::new(&toml, 0, problem));
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::root;

    #[test]
    fn reads_cargo_features_without_default() {
        let toml = "[package]\nname = \"x\"\n\n[features]\ndefault = [\"a\"]\n# why\na = [\"dep:y\"]\nb-c = [\n  \"a\",\n]\n\n[dependencies]\nz = \"1\"\n";
        let got: Vec<String> = cargo_features(toml).into_iter().collect();
        assert_eq!(got, ["a", "b-c"]);
    }

    #[test]
    fn reads_feature_tables_and_skips_other_tables() {
        let md = "| media | feature |\n|---|---|\n| x | `q` |\n\n| feature | crate |\n|---|---|\n| `text` (default) | t |\n| `all` | everything |\n";
        let tables = readme_feature_tables(md);
        assert_eq!(tables.len(), 1);
        assert_eq!(tables[0].0, 5);
        let names: Vec<&str> = tables[0].1.iter().map(String::as_str).collect();
        assert_eq!(names, ["all", "text"]);
    }

    #[test]
    fn reads_dependencies_and_refuses_a_backward_one() {
        let toml = "[dependencies]\ntanba-core.workspace = true\nimage = { version = \"1\" }\n\n[dev-dependencies]\ntanba-pdf = { path = \"x\" }\n\n[target.'cfg(unix)'.dependencies]\nrustix = \"1\"\n";
        assert_eq!(dependencies(toml), ["tanba-core", "image", "rustix"]);
        assert!(dependency_problems("tanba-image", &dependencies(toml)).is_empty());
        let back = ["tanba-core".to_string(), "tanba-video".to_string()];
        assert_eq!(dependency_problems("tanba-audio", &back).len(), 1);
        assert_eq!(
            dependency_problems("tanba-core", &dependencies(toml)).len(),
            2
        );
        assert!(dependency_problems("tanba", &back).is_empty());
    }

    /// The architecture invariant on the real workspace.
    #[test]
    fn workspace_dependencies_go_one_way() {
        let findings = one_way_dependencies(&root());
        assert!(findings.is_empty(), "{findings:?}");
        assert!(!dependencies(&read(&root(), "crates/tanba-video/Cargo.toml")).is_empty());
    }
}
