//! A big Markdown, plain text, HTML or subtitle file is labelled and
//! verified in flat memory: the peak allocation, measured by a counting allocator in this
//! test binary (not a timer), stays far under the file's size.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::{BufWriter, Write};

use tanba_core::{Format, Job, Labeler, Limits, Source};
use tanba_text::{HTML, MARKDOWN, PLAIN, SRT, TextLabeler, VTT};

// Counts every allocation, so the tests measure peak memory, not time.
#[global_allocator]
static ALLOC: tanba_testkit::Counting = tanba_testkit::Counting;
use tanba_testkit::{peak_of, serial};

const MB: usize = 1024 * 1024;

/// A Markdown section.
fn markdown(i: usize) -> String {
    format!(
        "## Section {i}\n\nЖасанды интеллект wrote this paragraph {i}, with *emphasis* and `code`.\n\n"
    )
}

/// Writes a generated document of about `size` bytes to `path`: `head`,
/// then `unit(i)` for i = 0, 1 …
fn generate(path: &std::path::Path, head: &str, unit: fn(usize) -> String, size: usize) {
    let mut out = BufWriter::new(File::create(path).unwrap());
    out.write_all(head.as_bytes()).unwrap();
    let mut written = head.len();
    let mut i = 0;
    while written < size {
        let para = unit(i);
        out.write_all(para.as_bytes()).unwrap();
        written += para.len();
        i += 1;
    }
    out.flush().unwrap();
}

fn label_and_verify(format: &'static Format, head: &str, unit: fn(usize) -> String, size: usize) {
    let _one = serial();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.in");
    let output = dir.path().join("big.out");
    generate(&input, head, unit, size);
    let labeler = TextLabeler::default();
    let limits = Limits {
        max_text_bytes: 1 << 30,
        ..Limits::default()
    };
    let job = Job::new().with_limits(limits);
    let (peak, ()) = peak_of(|| {
        let mut file = File::open(&input).unwrap();
        let len = file.metadata().unwrap().len();
        let source = Source {
            reader: &mut file,
            format,
            path: Some(&input),
            len,
        };
        let mut out = File::create(&output).unwrap();
        labeler.label(source, &mut out, &job).unwrap();
    });
    eprintln!(
        "{}: labelling {size} bytes peaked at {peak} bytes",
        format.name
    );
    assert!(
        peak < 64 * MB / 16,
        "labelling {size} bytes peaked at {peak} bytes"
    );
    let (peak, verification) = peak_of(|| {
        let mut file = File::open(&output).unwrap();
        let len = file.metadata().unwrap().len();
        let source = Source {
            reader: &mut file,
            format,
            path: Some(&output),
            len,
        };
        labeler.verify(source, &limits).unwrap()
    });
    // SubRip's mark is its sidecar, which the caller writes (the facade).
    if format.name == "srt" {
        assert!(verification.perceptible.found, "{verification:?}");
    } else {
        assert!(verification.is_compliant(), "{verification:?}");
    }
    assert!(peak < 64 * MB / 16, "verifying peaked at {peak} bytes");
    // The output is the input with the notice and marks around it.
    let out_len = std::fs::metadata(&output).unwrap().len() as usize;
    assert!(out_len > size && out_len < size + 16 * 1024, "{out_len}");
}

#[test]
fn a_100_mb_markdown_file_is_labelled_and_verified_in_flat_memory() {
    label_and_verify(
        &MARKDOWN,
        "---\ntitle: Big\n---\n\n# Big\n\n",
        markdown,
        100 * MB,
    );
}

#[test]
fn a_50_mb_plain_text_file_is_labelled_and_verified_in_flat_memory() {
    label_and_verify(
        &PLAIN,
        "A long log of a model's output.\n",
        markdown,
        50 * MB,
    );
}

#[test]
fn a_20_mb_html_file_is_labelled_and_verified_in_flat_memory() {
    let head = "<!DOCTYPE html>\n<html lang=\"kk\"><head><meta charset=\"utf-8\">\
                <title>Big</title></head>\n<body>\n";
    let para =
        |i| format!("<p>Жасанды интеллект wrote paragraph {i}, with <em>emphasis</em>.</p>\n");
    label_and_verify(&HTML, head, para, 20 * MB);
}

#[test]
fn big_subtitles_are_labelled_and_verified_in_flat_memory() {
    let cue = |i| {
        format!(
            "{}\n00:00:01,000 --> 00:00:02,500\nЖасанды интеллект, line {i}\n\n",
            i + 1
        )
    };
    label_and_verify(&SRT, "", cue, 10 * MB);
    let cue = |i| format!("c{i}\n00:01.000 --> 00:02.500\nЖасанды интеллект, line {i}\n\n");
    label_and_verify(&VTT, "WEBVTT\n\n", cue, 10 * MB);
}
