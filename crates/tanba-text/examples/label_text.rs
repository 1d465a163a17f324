//! Labels one text file from file to file and reads the output back, as
//! the facade does: `cargo run --release --example label_text -- IN OUT`
//! (Markdown or plain text by the name; from 4 MiB on they are streamed).
//! `--make MB OUT` writes a generated Markdown file of about MB megabytes.
//! The size limit is raised to 1 GiB (docs/benchmarks-by-hand.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use tanba_core::{Job, Labeler, Limits, Source};
use tanba_text::{MARKDOWN, PLAIN, TextLabeler};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args[1] == "--make" {
        make(args[2].parse().unwrap(), &args[3]);
        return;
    }
    let (input, output) = (Path::new(&args[1]), Path::new(&args[2]));
    let format = if input.extension().is_some_and(|e| e == "md") {
        &MARKDOWN
    } else {
        &PLAIN
    };
    let limits = Limits {
        max_text_bytes: 1 << 30,
        ..Limits::default()
    };
    let labeler = TextLabeler::default();
    let start = Instant::now();
    let mut file = File::open(input).unwrap();
    let len = file.metadata().unwrap().len();
    let source = Source {
        reader: &mut file,
        format,
        path: Some(input),
        len,
    };
    let mut out = File::create(output).unwrap();
    labeler
        .label(source, &mut out, &Job::new().with_limits(limits))
        .unwrap();
    let labelled_in = start.elapsed();
    let mut file = File::open(output).unwrap();
    let out_len = file.metadata().unwrap().len();
    let source = Source {
        reader: &mut file,
        format,
        path: Some(output),
        len: out_len,
    };
    let v = labeler.verify(source, &limits).unwrap();
    let all = start.elapsed();
    eprintln!(
        "labelled {len} B in {labelled_in:?} ({:.0} MB/s), checked in {:?} ({:.0} MB/s overall); \
         compliant {}",
        len as f64 / 1e6 / labelled_in.as_secs_f64(),
        all - labelled_in,
        len as f64 / 1e6 / all.as_secs_f64(),
        v.is_compliant()
    );
}

fn make(mb: usize, out: &str) {
    let mut w = BufWriter::new(File::create(out).unwrap());
    let head = "---\ntitle: Big\n---\n\n# Big\n\n";
    w.write_all(head.as_bytes()).unwrap();
    let mut written = head.len();
    let mut i = 0;
    while written < mb * 1_000_000 {
        let para = format!(
            "## Section {i}\n\nЖасанды интеллект wrote paragraph {i}, with *emphasis* and `code`.\n\n"
        );
        w.write_all(para.as_bytes()).unwrap();
        written += para.len();
        i += 1;
    }
    w.flush().unwrap();
}
