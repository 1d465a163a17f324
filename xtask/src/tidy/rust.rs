//! Rust sources against the house rules: `unsafe` only in ffi.rs, and no
//! long non-test function. A small scanner blanks comments and literals so
//! braces and keywords can be counted.

use std::path::Path;

use super::{Finding, read};

/// Longer non-test functions fail tidy (the brief's yardstick: a function fits on a screen).
const FN_LINES_LIMIT: usize = 120;
/// Longer non-test functions are reported, without failing: near the limit.
const FN_LINES_AIM: usize = 100;

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
pub(super) fn unsafe_outside_ffi(root: &Path, files: &[String]) -> Vec<Finding> {
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
pub(super) struct Function {
    pub(super) name: String,
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
pub(super) fn functions(source: &str) -> Vec<Function> {
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
pub(super) fn long_functions(root: &Path, files: &[String]) -> (Vec<Finding>, Vec<Finding>) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
