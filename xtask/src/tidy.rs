//! `cargo xtask tidy`: checks that keep the docs true to the code and the
//! code inside the house rules, in the spirit of rust-analyzer's tidy test.
//!
//! Each check returns findings (`file:line: what`); any finding fails the
//! run. Functions between the brief's aim and the hard limit are reported
//! as notes and do not fail it.
//!
//! - README feature tables (a table whose first header cell is `feature`)
//!   list exactly the `[features]` of the crate beside them (`default` aside).
//! - Every crate under `crates/` is named in docs/architecture.md's code map.
//! - Workspace crates depend one way: tanba-core on no media library and no
//!   other workspace crate, a media crate on tanba-core only (tanba-video
//!   also on tanba-image and tanba-audio).
//! - docs/compliance.md quotes every label text of tanba-core's label.rs.
//! - Docs cite only files that exist: relative Markdown links in `*.md`, and
//!   repository paths (`docs/…`, `crates/…`, `xtask/…`, `fixtures/…`,
//!   `benches/…`) in `*.md` and in `//!` / `///` comments; and none cites the
//!   compliance brief that lives outside the repository (docs/compliance.md
//!   holds its facts).
//! - `unsafe` code only in files named `ffi.rs`.
//! - No non-test function in `crates/*/src` or `xtask/src` over
//!   [`FN_LINES_LIMIT`] lines.
//! - Every "Architecture Invariant" paragraph of docs/architecture.md names
//!   the tests that enforce it as `path/to/file.rs::function`, and each
//!   exists.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::util::root;

/// Longer non-test functions fail tidy (the pre-commit hook's yardstick).
const FN_LINES_LIMIT: usize = 150;
/// Longer non-test functions are reported, without failing (the brief's aim).
const FN_LINES_AIM: usize = 120;
/// Top-level folders whose paths docs cite, checked for existence.
const CITED_ROOTS: [&str; 5] = ["docs/", "crates/", "xtask/", "fixtures/", "benches/"];
/// Folders never walked.
const SKIPPED_DIRS: [&str; 3] = ["target", "node_modules", "out"];
/// The brief outside the repository, assembled so this file does not cite it.
const OUTSIDE_BRIEF: [&str; 2] = ["SPEC", ".md"];

/// One problem, located.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Finding {
    file: String,
    line: usize,
    message: String,
}

impl Finding {
    fn new(file: &str, line: usize, message: impl Into<String>) -> Self {
        Finding {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }
}

/// Runs every check from the repository root; fails with the findings.
pub fn run() -> Result<(), String> {
    let root = root();
    let files = walk(&root);
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    findings.extend(feature_tables(&root, &files));
    findings.extend(code_map(&root));
    findings.extend(one_way_dependencies(&root));
    findings.extend(compliance_texts(&root));
    findings.extend(cited_paths(&root, &files));
    findings.extend(unsafe_outside_ffi(&root, &files));
    let (long, aim) = long_functions(&root, &files);
    findings.extend(long);
    notes.extend(aim);
    findings.extend(invariant_tests(&root));
    for n in &notes {
        eprintln!("tidy note: {}:{}: {}", n.file, n.line, n.message);
    }
    if findings.is_empty() {
        eprintln!("tidy: clean ({} notes)", notes.len());
        return Ok(());
    }
    for f in &findings {
        eprintln!("tidy: {}:{}: {}", f.file, f.line, f.message);
    }
    Err(format!("tidy: {} findings", findings.len()))
}

/// Every file under `root`, relative paths with `/`, hidden and build
/// folders skipped, sorted.
fn walk(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let Ok(entries) = fs::read_dir(root.join(&rel)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = rel.join(&name);
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
            if name.starts_with('.') || (is_dir && SKIPPED_DIRS.contains(&name.as_str())) {
                continue;
            }
            if is_dir {
                stack.push(path);
            } else {
                out.push(path.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

fn read(root: &Path, rel: &str) -> String {
    fs::read_to_string(root.join(rel)).unwrap_or_default()
}

fn parent(rel: &str) -> &str {
    rel.rfind('/').map_or("", |i| &rel[..i])
}

fn joined(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

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

fn cells(row: &str) -> Vec<&str> {
    let row = row.trim().trim_start_matches('|').trim_end_matches('|');
    row.split('|').map(str::trim).collect()
}

/// The first code span of a string.
fn first_code_span(s: &str) -> Option<&str> {
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
fn feature_tables(root: &Path, files: &[String]) -> Vec<Finding> {
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
fn code_map(root: &Path) -> Vec<Finding> {
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

// ---- dependencies go one way ------------------------------------------------

/// The workspace crates each library crate may depend on (not counting
/// dev-dependencies); crates not listed (the facade, the CLI) may use any.
const WORKSPACE_DEPS: [(&str, &[&str]); 7] = [
    ("tanba-core", &[]),
    ("tanba-text", &["tanba-core"]),
    ("tanba-image", &["tanba-core"]),
    ("tanba-audio", &["tanba-core"]),
    ("tanba-pdf", &["tanba-core"]),
    ("tanba-c2pa", &["tanba-core"]),
    ("tanba-video", &["tanba-core", "tanba-image", "tanba-audio"]),
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
fn one_way_dependencies(root: &Path) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (krate, _) in WORKSPACE_DEPS {
        let toml = format!("crates/{krate}/Cargo.toml");
        for problem in dependency_problems(krate, &dependencies(&read(root, &toml))) {
            findings.push(Finding::new(&toml, 0, problem));
        }
    }
    findings
}

// ---- compliance texts -------------------------------------------------------

const COMPLIANCE: &str = "docs/compliance.md";
const LABEL_TEXTS: &str = "crates/tanba-core/src/label.rs";

/// The label texts of label.rs: the strings of its `Lang::… => "…"` arms
/// that hold a space (the codes do not).
fn label_texts(source: &str) -> Vec<String> {
    source
        .lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix("Lang::")?;
            let (_, text) = rest.split_once("=> \"")?;
            let text = text.strip_suffix("\",")?;
            text.contains(' ').then(|| text.to_string())
        })
        .collect()
}

/// docs/compliance.md quotes every label text the code ships, exactly.
fn compliance_texts(root: &Path) -> Vec<Finding> {
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
        let pattern = matches!(after, Some('*' | '{' | '<' | '…'))
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
fn cited_paths(root: &Path, files: &[String]) -> Vec<Finding> {
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

// ---- Rust source scanning -------------------------------------------------

/// The source with comments, string and char literals blanked out (newlines
/// kept), so braces and keywords can be counted.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let skipped = literal_or_comment_len(&chars, i);
        if skipped == 0 {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        for &c in &chars[i..(i + skipped).min(chars.len())] {
            out.push(if c == '\n' { '\n' } else { ' ' });
        }
        i += skipped;
    }
    out
}

/// How many chars from `i` are a comment or a literal (0: neither).
fn literal_or_comment_len(c: &[char], i: usize) -> usize {
    let at = |k: usize| c.get(k).copied().unwrap_or('\0');
    let ident_before = i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_');
    match (at(i), at(i + 1)) {
        ('/', '/') => c[i..]
            .iter()
            .position(|&x| x == '\n')
            .unwrap_or(c.len() - i),
        ('/', '*') => block_comment_len(c, i),
        ('"', _) => quoted_len(c, i, '"'),
        ('r', '"' | '#') if !ident_before || (i > 0 && c[i - 1] == 'b') => raw_string_len(c, i),
        ('\'', '\\') => quoted_len(c, i, '\''),
        ('\'', _) if at(i + 2) == '\'' => 3,
        _ => 0,
    }
}

fn block_comment_len(c: &[char], i: usize) -> usize {
    let mut depth = 0;
    let mut k = i;
    while k + 1 < c.len() {
        if c[k] == '/' && c[k + 1] == '*' {
            depth += 1;
            k += 2;
        } else if c[k] == '*' && c[k + 1] == '/' {
            depth -= 1;
            k += 2;
            if depth == 0 {
                return k - i;
            }
        } else {
            k += 1;
        }
    }
    c.len() - i
}

/// A `"…"` or `'…'` literal with backslash escapes.
fn quoted_len(c: &[char], i: usize, quote: char) -> usize {
    let mut k = i + 1;
    while k < c.len() {
        match c[k] {
            '\\' => k += 2,
            x if x == quote => return k + 1 - i,
            _ => k += 1,
        }
    }
    c.len() - i
}

/// `r"…"`, `r#"…"#` and so on; 0 when the `r` starts no raw string.
fn raw_string_len(c: &[char], i: usize) -> usize {
    let hashes = c[i + 1..].iter().take_while(|&&x| x == '#').count();
    if c.get(i + 1 + hashes) != Some(&'"') {
        return 0;
    }
    let mut k = i + 2 + hashes;
    while k < c.len() {
        if c[k] == '"'
            && c[k + 1..]
                .iter()
                .take(hashes)
                .filter(|&&x| x == '#')
                .count()
                == hashes
        {
            return k + 1 + hashes - i;
        }
        k += 1;
    }
    c.len() - i
}

/// Byte offsets of a whole word in code.
fn word_positions(code: &str, word: &str) -> Vec<usize> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    code.match_indices(word)
        .filter(|(at, _)| {
            let before = code[..*at].chars().next_back();
            let after = code[at + word.len()..].chars().next();
            !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
        })
        .map(|(at, _)| at)
        .collect()
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// The offset just past the `}` closing the `{` at `open`.
fn matching_brace(code: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, ch) in code[open..].char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + k + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// The body of the item starting at `from`: `{` … `}` offsets, or `None`
/// when a `;` ends it first (a declaration).
fn item_body(code: &str, from: usize) -> Option<(usize, usize)> {
    // A `;` inside brackets (`-> [u8; 4]`) does not end the item.
    let mut depth = 0usize;
    for (k, ch) in code[from..].char_indices() {
        match ch {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            ';' if depth == 0 => return None,
            '{' if depth == 0 => return Some((from + k, matching_brace(code, from + k)?)),
            _ => {}
        }
    }
    None
}

// ---- unsafe ---------------------------------------------------------------

/// `unsafe` in code (not comments, strings or `unsafe_code`) outside ffi.rs.
fn unsafe_outside_ffi(root: &Path, files: &[String]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for file in files {
        if !file.starts_with("crates/") || !file.ends_with(".rs") || file.ends_with("/ffi.rs") {
            continue;
        }
        let code = code_only(&read(root, file));
        for at in word_positions(&code, "unsafe") {
            let msg = "`unsafe` outside an ffi.rs file";
            findings.push(Finding::new(file, line_of(&code, at), msg));
        }
    }
    findings
}

// ---- long functions -------------------------------------------------------

/// A function: name, first line, number of lines, test code or not.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Function {
    name: String,
    line: usize,
    lines: usize,
    test: bool,
}

/// Byte ranges of `#[cfg(test)]` items and `#[test]` functions.
fn test_regions(code: &str) -> Vec<(usize, usize)> {
    let mut regions = Vec::new();
    for attribute in ["#[cfg(test)]", "#[test]"] {
        for (at, _) in code.match_indices(attribute) {
            if let Some((_, end)) = item_body(code, at) {
                regions.push((at, end));
            }
        }
    }
    regions
}

/// Every function with a body in a Rust source.
fn functions(source: &str) -> Vec<Function> {
    let code = code_only(source);
    let tests = test_regions(&code);
    let mut out = Vec::new();
    for at in word_positions(&code, "fn") {
        let rest = code[at + 2..].trim_start();
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue; // a `fn(…)` pointer type
        }
        let Some((_, end)) = item_body(&code, at) else {
            continue;
        };
        let line = line_of(&code, at);
        out.push(Function {
            name,
            line,
            lines: line_of(&code, end) - line + 1,
            test: tests.iter().any(|&(s, e)| s <= at && at < e),
        });
    }
    out
}

/// Non-test functions over the limit (findings) and over the aim (notes).
fn long_functions(root: &Path, files: &[String]) -> (Vec<Finding>, Vec<Finding>) {
    let (mut over, mut aim) = (Vec::new(), Vec::new());
    for file in files.iter().filter(|f| f.ends_with(".rs")) {
        let in_src = file.starts_with("xtask/src/")
            || (file.starts_with("crates/") && file.split('/').nth(2) == Some("src"));
        if !in_src {
            continue;
        }
        for f in functions(&read(root, file)) {
            if f.test || f.lines <= FN_LINES_AIM {
                continue;
            }
            let msg = format!("fn {} is {} lines", f.name, f.lines);
            if f.lines > FN_LINES_LIMIT {
                let msg = format!("{msg} (limit {FN_LINES_LIMIT})");
                over.push(Finding::new(file, f.line, msg));
            } else {
                aim.push(Finding::new(
                    file,
                    f.line,
                    format!("{msg} (aim {FN_LINES_AIM})"),
                ));
            }
        }
    }
    (over, aim)
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
fn invariant_tests(root: &Path) -> Vec<Finding> {
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
    fn blanks_comments_strings_and_chars() {
        let src = "let a = \"unsafe {\"; // unsafe\nlet b = '{'; /* unsafe } */ let r = r#\"}\"#; fn x<'a>() {}";
        let code = code_only(src);
        assert!(!code.contains("unsafe"));
        assert_eq!(code.matches('{').count(), 1);
        assert_eq!(code.matches('}').count(), 1);
        assert!(code.contains("fn x<'a>() {}"));
        assert_eq!(code.len(), src.len());
    }

    #[test]
    fn finds_unsafe_code_not_the_lint_name() {
        let code = code_only("#![deny(unsafe_code)]\n// unsafe here\nfn f() { unsafe { g() } }\n");
        let at = word_positions(&code, "unsafe");
        assert_eq!(at.len(), 1);
        assert_eq!(line_of(&code, at[0]), 3);
    }

    #[test]
    fn measures_functions_and_tells_tests_apart() {
        let src = "trait T { fn decl(&self); }\npub fn long(\n    a: u8,\n) -> u8 {\n    let s = \"}\";\n    a\n}\n\
                   #[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}\n";
        let got = functions(src);
        let long = got.iter().find(|f| f.name == "long").unwrap();
        assert_eq!((long.line, long.lines, long.test), (2, 6, false));
        assert!(got.iter().find(|f| f.name == "t").unwrap().test);
        assert!(got.iter().all(|f| f.name != "decl"));
        let ptr = functions("type F = fn(u8) -> u8;\nfn g() -> [u8; 2] {\n    [0; 2]\n}\n");
        assert_eq!(ptr.len(), 1);
        assert_eq!(ptr[0].lines, 3);
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

    #[test]
    fn reads_label_texts_and_finds_them_quoted() {
        let src =
            "            Lang::Kk => \"kk\",\n            Lang::Ru => \"Создано с помощью ИИ\",\n";
        assert_eq!(label_texts(src), ["Создано с помощью ИИ"]);
        let findings = compliance_texts(&root());
        assert!(findings.is_empty(), "{findings:?}");
        assert_eq!(label_texts(&read(&root(), LABEL_TEXTS)).len(), 9);
    }

    #[test]
    fn the_code_map_section_is_found() {
        let md = "# A\n\n## Code map\n\n### `crates/x`\n\n## Invariants\n\n`crates/y`\n";
        assert!(section(md, "Code map").contains("crates/x"));
        assert!(!section(md, "Code map").contains("crates/y"));
    }
}
