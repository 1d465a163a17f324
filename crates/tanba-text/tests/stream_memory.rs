//! A big Markdown or plain text file is labelled and verified in flat
//! memory: the peak allocation, measured by a counting allocator in this
//! test binary (not a timer), stays far under the file's size.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::{BufWriter, Write};

use tanba_core::{Format, Job, Labeler, Limits, Source};
use tanba_text::{MARKDOWN, PLAIN, TextLabeler};

// Counts every allocation, so the tests measure peak memory, not time.
#[global_allocator]
static ALLOC: tanba_testkit::Counting = tanba_testkit::Counting;
use tanba_testkit::peak_of;

const MB: usize = 1024 * 1024;

/// Writes a generated document of about `size` bytes to `path`.
fn generate(path: &std::path::Path, head: &str, size: usize) {
    let mut out = BufWriter::new(File::create(path).unwrap());
    out.write_all(head.as_bytes()).unwrap();
    let mut written = head.len();
    let mut i = 0;
    while written < size {
        let para = format!(
            "## Section {i}\n\nЖасанды интеллект wrote this paragraph {i}, with *emphasis* and `code`.\n\n"
        );
        out.write_all(para.as_bytes()).unwrap();
        written += para.len();
        i += 1;
    }
    out.flush().unwrap();
}

fn label_and_verify(format: &'static Format, head: &str, size: usize) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.in");
    let output = dir.path().join("big.out");
    generate(&input, head, size);
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
    assert!(verification.is_compliant(), "{verification:?}");
    assert!(peak < 64 * MB / 16, "verifying peaked at {peak} bytes");
    // The output is the input with the notice and marks around it.
    let out_len = std::fs::metadata(&output).unwrap().len() as usize;
    assert!(out_len > size && out_len < size + 16 * 1024, "{out_len}");
}

#[test]
fn a_100_mb_markdown_file_is_labelled_and_verified_in_flat_memory() {
    label_and_verify(&MARKDOWN, "---\ntitle: Big\n---\n\n# Big\n\n", 100 * MB);
}

#[test]
fn a_50_mb_plain_text_file_is_labelled_and_verified_in_flat_memory() {
    label_and_verify(&PLAIN, "A long log of a model's output.\n", 50 * MB);
}
