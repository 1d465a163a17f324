//! `tanba label` streams big HTML and subtitle files as it does Markdown:
//! the outputs pass `tanba verify`, outside tools read them (ffmpeg the
//! subtitles, with the notice as the first cue and every cue kept;
//! Python's HTML parser the page, with the banner first in `<body>`), and
//! the command's peak resident memory (GNU time) stays under what holding
//! the text whole would take, the facade's scan for other tools' marks
//! included.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{peak_mib, s, tanba, tool_stdout};

const MB: usize = 1_000_000;

/// Writes `head`, `unit(i)` for i = 0, 1 … up to `size` bytes, then `end`;
/// returns how many units.
fn generate(
    path: &Path,
    head: &str,
    unit: impl Fn(usize) -> String,
    end: &str,
    size: usize,
) -> usize {
    let mut text = String::from(head);
    let mut i = 0;
    while text.len() < size {
        text.push_str(&unit(i));
        i += 1;
    }
    text.push_str(end);
    std::fs::write(path, &text).unwrap();
    i
}

/// Labels `input` into `out` under GNU time; checks `tanba verify`.
fn label(input: &Path, out: &Path) -> (f64, std::path::PathBuf) {
    let peak = peak_mib(&["label", s(input), "-o", s(out), "-q"]);
    let labelled = out.join(input.file_name().unwrap());
    let rows = tanba(&["verify", "--json", s(&labelled)]);
    let rows: serde_json::Value = serde_json::from_slice(&rows.stdout).unwrap();
    assert_eq!(rows[0]["compliant"], true, "{}", rows[0]);
    (peak, labelled)
}

#[test]
fn big_subtitles_are_labelled_in_flat_memory_and_read_by_ffmpeg() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let t = |s: usize| format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    let srt = dir.path().join("track.srt");
    let cues = generate(
        &srt,
        "",
        |i| {
            format!(
                "{}\n{},000 --> {},500\nLine {i}\n\n",
                i + 1,
                t(2 * i + 10),
                t(2 * i + 10)
            )
        },
        "",
        24 * MB,
    );
    let vtt = dir.path().join("track.vtt");
    let vtt_cues = generate(
        &vtt,
        "WEBVTT\n\n",
        |i| {
            format!(
                "{}.000 --> {}.500\nLine {i}\n\n",
                t(2 * i + 10),
                t(2 * i + 10)
            )
        },
        "",
        24 * MB,
    );
    for (input, cues) in [(&srt, cues), (&vtt, vtt_cues)] {
        let (peak, labelled) = label(input, &out);
        eprintln!("tanba label {}: peak {peak:.0} MiB", input.display());
        // Read whole, the 24 MB would be held at least three times.
        assert!(peak < 48.0, "{}: peak {peak:.0} MiB", input.display());
        // ffmpeg reads every cue, the notice first, from 0 s.
        let srt_out = tool_stdout(
            "ffmpeg",
            &["-v", "error", "-i", s(&labelled), "-f", "srt", "-"],
        );
        assert!(
            srt_out.starts_with("1\n00:00:00,000 --> 00:00:04,000\nЖасанды интеллект"),
            "{}",
            &srt_out[..200]
        );
        assert!(
            srt_out.contains(&format!("\n\n{}\n", cues + 1)),
            "every cue, numbered on"
        );
        assert!(!srt_out.contains(&format!("\n\n{}\n", cues + 2)));
    }
}

#[test]
fn a_big_html_page_is_labelled_in_flat_memory_with_the_banner_first() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let page = dir.path().join("page.html");
    generate(
        &page,
        "<!DOCTYPE html>\n<html lang=\"kk\"><head><meta charset=\"utf-8\"><title>Big</title></head>\n<body class=\"page\">\n",
        |i| format!("<p>Paragraph {i}: Жасанды интеллект жазды.</p>\n"),
        "</body></html>\n",
        40 * MB,
    );
    let (peak, labelled) = label(&page, &out);
    eprintln!("tanba label, HTML: peak {peak:.0} MiB");
    assert!(peak < 48.0, "peak {peak:.0} MiB");
    // Python's HTML parser: the first element in <body> is the banner, the
    // marks are in <head> after <meta charset>, and every paragraph is there.
    let script = r#"
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.path = []; self.first = None; self.metas = []; self.ps = 0
    def handle_starttag(self, tag, attrs):
        if self.path and self.path[-1] == "body" and self.first is None:
            self.first = (tag, dict(attrs))
        if tag == "meta" and "head" in self.path:
            self.metas.append(dict(attrs).get("name"))
        if tag == "p":
            self.ps += 1
        if tag not in ("meta", "br"):
            self.path.append(tag)
    def handle_endtag(self, tag):
        if tag in self.path:
            while self.path.pop() != tag: pass
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
print(p.first[0], "data-tanba-label" in p.first[1], p.metas, p.ps)
"#;
    let got = tool_stdout("python3", &["-c", script, s(&labelled)]);
    let paragraphs = std::fs::read_to_string(&page)
        .unwrap()
        .matches("<p>")
        .count();
    assert_eq!(
        got.trim(),
        format!("div True [None, 'ai-generated', 'AIGC'] {paragraphs}"),
        "{got}"
    );
}
