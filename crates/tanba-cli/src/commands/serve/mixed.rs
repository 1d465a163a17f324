//! `multipart/mixed` answers (RFC 2046): the labelled file and the sidecar
//! files its marks live in (the manifest of SubRip and M2TS, a C2PA
//! sidecar), for a client that asks for them with `Accept:
//! multipart/mixed`. Without it such formats are refused, since a plain
//! answer carries one file and the marks would be lost.

use axum::http::{HeaderMap, header};

/// One part: its file name, media type and bytes.
#[derive(Debug)]
pub(crate) struct Part {
    pub(crate) name: String,
    pub(crate) mime: &'static str,
    pub(crate) bytes: Vec<u8>,
}

/// Whether the client takes a `multipart/mixed` answer.
pub(crate) fn accepted(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            let t = t.split(';').next().unwrap_or_default().trim();
            t.eq_ignore_ascii_case("multipart/mixed")
        })
}

/// The media type of a sidecar, by its name.
pub(crate) fn sidecar_mime(name: &str) -> &'static str {
    if name.ends_with(".c2pa") {
        "application/c2pa"
    } else {
        "application/json"
    }
}

/// The answer's body and its `Content-Type` (with the boundary): each
/// part with its own `Content-Type` and `Content-Disposition`. The
/// boundary is `seed` (unique per answer) made longer until no part holds it.
pub(crate) fn body(seed: &str, parts: &[Part]) -> (Vec<u8>, String) {
    let mut boundary = format!(
        "tanba-{}",
        seed.replace(|c: char| !c.is_ascii_alphanumeric(), "")
    );
    while parts
        .iter()
        .any(|p| contains(&p.bytes, boundary.as_bytes()))
    {
        boundary.push('x');
    }
    let mut out = Vec::new();
    for part in parts {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        out.extend_from_slice(format!("Content-Type: {}\r\n", part.mime).as_bytes());
        out.extend_from_slice(
            format!(
                "Content-Disposition: attachment; filename=\"{}\"\r\n\r\n",
                part.name.replace(['"', '\\', '\r', '\n'], "_")
            )
            .as_bytes(),
        );
        out.extend_from_slice(&part.bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (out, format!("multipart/mixed; boundary={boundary}"))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boundary_is_in_no_part_and_parts_keep_their_bytes() {
        let parts = [
            Part {
                name: "a.srt".into(),
                mime: "application/x-subrip",
                bytes: b"1\r\n--tanba-abc\r\n".to_vec(),
            },
            Part {
                name: "a.srt.tanba.json".into(),
                mime: "application/json",
                bytes: b"{}".to_vec(),
            },
        ];
        let (body, ctype) = body("a-b-c", &parts);
        assert_eq!(ctype, "multipart/mixed; boundary=tanba-abcx");
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with("--tanba-abcx\r\nContent-Type: application/x-subrip\r\n"));
        assert!(text.contains("filename=\"a.srt.tanba.json\"\r\n\r\n{}\r\n--tanba-abcx--\r\n"));
        assert!(text.contains("\r\n\r\n1\r\n--tanba-abc\r\n\r\n--tanba-abcx\r\n"));
    }

    #[test]
    fn accept_is_read_among_other_types() {
        let mut h = HeaderMap::new();
        assert!(!accepted(&h));
        h.insert(
            header::ACCEPT,
            "text/plain, Multipart/Mixed; q=0.9".parse().unwrap(),
        );
        assert!(accepted(&h));
    }
}
