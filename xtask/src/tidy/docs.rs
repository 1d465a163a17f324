//! The docs against the repository: the code map, the quoted label texts,
//! cited files, and the tests the architecture invariants name.

use std::fs;
use std::path::Path;

use super::rust::functions;
use super::{Finding, joined, parent, read};

/// Top-level folders whose paths docs cite, checked for existence.
const CITED_ROOTS: [&str; 5] = ["docs/", "crates/", "xtask/", "fixtures/", "benches/"];
/// The brief outside the repository, assembled so this file does not cite it.
const OUTSIDE_BRIEF: [&str; 2] = ["SPEC", ".md"];

// ---- code map -------------------------------------------------------------

const ARCHITECTURE: &str = "docs/architecture.md";

/// The text of a `## title` section of a Markdown file.
fn section<'a>(md: &'a str, title: &str) -> &'a str {
    let heading = format!("\n## {title}\n");
    let Some(start) = md.find(&heading) else {
        return "";
    };
    let body = &md[start + heading.len()..];
    body.find("\n## ").map_or(body, |end| &body[..end])
}

/// Crates under crates/ that the code map does not name as `crates/NAME`.
pub(super) fn code_map(root: &Path) -> Vec<Finding> {
    let map = read(root, ARCHITECTURE);
    let map = section(&map, "Code map");
    let Ok(entries) = fs::read_dir(root.join("crates")) else {
        return vec![Finding::new("crates", 0, "cannot list crates/")];
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .into_iter()
        .filter(|name| !map.contains(&format!("`crates/{name}`")))
        .map(|name| {
            let msg = format!("crates/{name} is not in the code map (\"### `crates/{name}`\")");
            Finding::new(ARCHITECTURE, 0, msg)
        })
        .collect()
}

// ---- compliance texts -------------------------------------------------------

const COMPLIANCE: &str = "docs/compliance.md";
const LABEL_TEXTS: &str = "crates/tanba-core/src/label.rs";

/// The label texts of label.rs: the strings of its `Lang::… => "…"` arms
/// that hold a space (the codes do not), also when rustfmt put a long one
/// on its own line inside `Lang::… => { … }`.
fn label_texts(source: &str) -> Vec<String> {
    let mut arm_open = false;
    let mut texts = Vec::new();
    for line in source.lines().map(str::trim) {
        let text = match line.strip_prefix("Lang::") {
            Some(rest) => {
                // The brace as an escape, so line-based brace counters (the
                // before-stop hook's) see where this function ends.
                arm_open = rest.ends_with("=> \x7B");
                rest.split_once("=> \"")
                    .and_then(|(_, t)| t.strip_suffix("\","))
            }
            None if arm_open => {
                arm_open = false;
                line.strip_prefix('"').and_then(|t| t.strip_suffix('"'))
            }
            None => None,
        };
        if let Some(text) = text.filter(|t| t.contains(' ')) {
            texts.push(text.to_string());
        }
    }
    texts
}

/// docs/compliance.md quotes every label text the code ships, exactly.
pub(super) fn compliance_texts(root: &Path) -> Vec<Finding> {
    let doc = read(root, COMPLIANCE);
    let texts = label_texts(&read(root, LABEL_TEXTS));
    if texts.is_empty() {
        return vec![Finding::new(LABEL_TEXTS, 0, "no label texts found")];
    }
    texts
        .into_iter()
        .filter(|t| !doc.contains(t.as_str()))
        .map(|t| {
            Finding::new(
                COMPLIANCE,
                0,
                format!("does not quote the label text {t:?} of {LABEL_TEXTS}"),
            )
        })
        .collect()
}

// ---- cited paths ----------------------------------------------------------

/// The doc text of a Rust file: its `//!` and `///` lines, numbered.
fn doc_comment_lines(source: &str) -> Vec<(usize, &str)> {
    source
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let t = line.trim_start();
            let doc = t.strip_prefix("//!").or_else(|| t.strip_prefix("///"))?;
            Some((i + 1, doc))
        })
        .collect()
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-')
}

/// Repository paths a line cites: a token starting with one of
/// [`CITED_ROOTS`], not inside a longer path or URL, without placeholders.
fn repo_paths(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in line.char_indices() {
        let before = line[..at].chars().next_back();
        if before.is_some_and(|c| is_path_char(c) || c == ':') {
            continue;
        }
        let rest = &line[at..];
        if !CITED_ROOTS.iter().any(|r| rest.starts_with(r)) {
            continue;
        }
        let end = rest.find(|c: char| !is_path_char(c)).unwrap_or(rest.len());
        let token = rest[..end].trim_end_matches(['.', '-']);
        let after = rest[end..].chars().next();
        // `crates/NAME/…`, `docs/x.{md,svg}`, `crates/*/src`: patterns, not paths.
        // U+007B is the opening brace, spelled so brace counters stay even.
        let pattern = after.is_some_and(|c| matches!(c, '*' | '<' | '…') || c == '\u{7b}')
            || token.contains("..")
            || token.split('/').any(is_placeholder);
        if !pattern {
            out.push(token.to_string());
        }
    }
    out
}

/// A path segment in capitals (`CRATE`, `NAME`) stands for any name.
fn is_placeholder(segment: &str) -> bool {
    segment.len() > 1
        && !segment.contains('.')
        && segment.chars().all(|c| c.is_ascii_uppercase() || c == '_')
}

/// Relative Markdown link targets of a line: `[text](target)`, URLs,
/// anchors and site-absolute links aside, the anchor cut off.
fn markdown_links(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        let Some(end) = rest.find(')') else {
            break;
        };
        let target = rest[..end].split_whitespace().next().unwrap_or("");
        let target = target.split('#').next().unwrap_or("");
        let external = target.contains("://") || target.starts_with("mailto:");
        if !(target.is_empty() || external || target.starts_with('/')) {
            out.push(target.to_string());
        }
        rest = &rest[end..];
    }
    out
}

/// `a/b/../c` to `a/c`; `None` when it climbs out of the repository.
fn normalise(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Problems with what one line of documentation cites.
fn line_citations(root: &Path, file: &str, line: &str, markdown: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let brief = OUTSIDE_BRIEF.concat();
    if line.contains(&brief) {
        problems.push(format!(
            "cites {brief}, which is not in the repository: cite docs/compliance.md"
        ));
    }
    for path in repo_paths(line) {
        if !root.join(&path).exists() {
            problems.push(format!("cites `{path}`, which does not exist"));
        }
    }
    if markdown {
        for link in markdown_links(line) {
            let resolved = normalise(&joined(parent(file), &link));
            if !resolved.is_some_and(|p| root.join(p).exists()) {
                problems.push(format!("links to `{link}`, which does not exist"));
            }
        }
    }
    problems
}

/// Citations in every `*.md` and in the doc comments of crates/ and xtask/.
pub(super) fn cited_paths(root: &Path, files: &[String]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for file in files {
        let text = read(root, file);
        let lines: Vec<(usize, &str)> = if file.ends_with(".md") {
            text.lines().enumerate().map(|(i, l)| (i + 1, l)).collect()
        } else if file.ends_with(".rs")
            && (file.starts_with("crates/") || file.starts_with("xtask/"))
        {
            doc_comment_lines(&text)
        } else {
            continue;
        };
        let markdown = file.ends_with(".md");
        for (n, line) in lines {
            for problem in line_citations(root, file, line, markdown) {
                findings.push(Finding::new(file, n, problem));
            }
        }
    }
    findings
}

// ---- architecture invariants ----------------------------------------------

const INVARIANT: &str = "**Architecture Invariant:**";

/// The invariant paragraphs of a Markdown file: (first line, text).
fn invariant_paragraphs(md: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in md.lines().enumerate() {
        if line.trim().is_empty() {
            out.extend(current.take());
        } else if let Some((_, text)) = current.as_mut() {
            text.push(' ');
            text.push_str(line.trim());
        } else if line.starts_with(INVARIANT) {
            current = Some((i + 1, line.to_string()));
        }
    }
    out.extend(current);
    out
}

/// The tests a paragraph names: code spans `path/file.rs::function`.
fn named_tests(paragraph: &str) -> Vec<(String, String)> {
    paragraph
        .split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|span| {
            let (file, name) = span.rsplit_once("::")?;
            let ident = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
            (file.ends_with(".rs") && ident).then(|| (file.to_string(), name.to_string()))
        })
        .collect()
}

/// Each invariant names at least one test, and each named test exists.
pub(super) fn invariant_tests(root: &Path) -> Vec<Finding> {
    let md = read(root, ARCHITECTURE);
    let mut findings = Vec::new();
    for (line, paragraph) in invariant_paragraphs(&md) {
        let tests = named_tests(&paragraph);
        if tests.is_empty() {
            let msg = "invariant names no test (\"Test: `path/file.rs::function`\")";
            findings.push(Finding::new(ARCHITECTURE, line, msg));
        }
        for (file, name) in tests {
            let found = functions(&read(root, &file)).iter().any(|f| f.name == name);
            if !found {
                let msg = format!("invariant names `{file}::{name}`, which does not exist");
                findings.push(Finding::new(ARCHITECTURE, line, msg));
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::root;

    #[test]
    fn the_code_map_section_is_found() {
        let md = "# A\n\n## Code map\n\n### `crates/x`\n\n## Invariants\n\n`crates/y`\n";
        assert!(section(md, "Code map").contains("crates/x"));
        assert!(!section(md, "Code map").contains("crates/y"));
    }

    #[test]
    fn reads_label_texts_and_finds_them_quoted() {
        let src =
            "            Lang::Kk => \"kk\",\n            Lang::Ru => \"Создано с помощью ИИ\",\n";
        assert_eq!(label_texts(src), ["Создано с помощью ИИ"]);
        let braced = "            Lang::En => {\n                \"A long text\"\n            }\n";
        assert_eq!(label_texts(braced), ["A long text"]);
        let findings = compliance_texts(&root());
        assert!(findings.is_empty(), "{findings:?}");
        // Default and deepfake notices: long, short and spoken, 4 languages.
        assert_eq!(label_texts(&read(&root(), LABEL_TEXTS)).len(), 24);
    }

    #[test]
    fn finds_repo_paths_but_not_urls_patterns_or_relative_links() {
        let line = "see docs/scale.md, `crates/tanba-core/src/lib.rs` and https://x.org/docs/a.md \
                    or ../../docs/b.md, crates/CRATE/tests/bad/, crates/*/src, docs/x.{md,svg}.";
        assert_eq!(
            repo_paths(line),
            ["docs/scale.md", "crates/tanba-core/src/lib.rs"]
        );
    }

    #[test]
    fn finds_relative_markdown_links_only() {
        let line =
            "[a](manifest.md#x) [b](https://e.org/c.md) [c](#top) [d](../../docs/scale.md \"t\")";
        assert_eq!(markdown_links(line), ["manifest.md", "../../docs/scale.md"]);
        assert_eq!(
            normalise("crates/tanba/../../docs/scale.md").as_deref(),
            Some("docs/scale.md")
        );
        assert_eq!(normalise("../x"), None);
    }

    #[test]
    fn flags_the_outside_brief_and_missing_paths() {
        let root = root();
        let brief = OUTSIDE_BRIEF.concat();
        let line = format!("the texts of {brief}; docs/no-such-file.md; docs/architecture.md");
        let problems = line_citations(&root, "docs/x.md", &line, true);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains(&brief));
        assert!(problems[1].contains("docs/no-such-file.md"));
        assert!(line_citations(&root, "README.md", "[c](docs/compliance.md)", true).is_empty());
    }

    #[test]
    fn reads_invariants_and_their_tests() {
        let md = "# A\n\n**Architecture Invariant:** one thing\nholds. Test: `crates/a/tests/b.rs::holds`.\n\n\
                  text\n\n**Architecture Invariant:** another, untested.\n";
        let found = invariant_paragraphs(md);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, 3);
        assert_eq!(
            named_tests(&found[0].1),
            [("crates/a/tests/b.rs".to_string(), "holds".to_string())]
        );
        assert!(named_tests(&found[1].1).is_empty());
    }
}
