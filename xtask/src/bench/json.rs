//! Reading values out of the JSON `tanba` prints, without a JSON library
//! (xtask has no dependencies).

/// Every string value of `"key": "…"` in a JSON text (no escapes inside).
pub(super) fn json_strings(text: &str, key: &str) -> Vec<String> {
    let pat = format!("\"{key}\"");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(&pat) {
        rest = &rest[i + pat.len()..];
        let after = rest.trim_start();
        let Some(after) = after.strip_prefix(':') else {
            continue;
        };
        let after = after.trim_start();
        if let Some(v) = after.strip_prefix('"')
            && let Some(end) = v.find('"')
        {
            out.push(v[..end].to_string());
        }
    }
    out
}

/// Every number value of `"key": N` in a JSON text.
pub(super) fn json_numbers(text: &str, key: &str) -> Vec<f64> {
    let pat = format!("\"{key}\"");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(&pat) {
        rest = &rest[i + pat.len()..];
        let Some(after) = rest.trim_start().strip_prefix(':') else {
            continue;
        };
        let after = after.trim_start();
        let end = after
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | 'e' | 'E' | '+')))
            .unwrap_or(after.len());
        if let Ok(v) = after[..end].parse() {
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json_fields() {
        let text = r#"[{"labeler": "image", "format": "jpeg"}, {"format":"png", "millis": 1.5}, {"millis":2}]"#;
        assert_eq!(json_strings(text, "format"), ["jpeg", "png"]);
        assert_eq!(json_numbers(text, "millis"), [1.5, 2.0]);
    }
}
