//! Labels one PDF: `cargo run -p tanba-pdf --example label_pdf -- IN.pdf OUT.pdf [--rewrite] [--force] [--verify]`.

use std::fs::File;
use std::time::Instant;

use tanba_core::{Job, Labeler, Source};
use tanba_pdf::{PDF, PdfLabeler, PdfSettings};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(input), Some(output)) = (args.first(), args.get(1)) else {
        return Err("usage: label IN.pdf OUT.pdf [--rewrite] [--force] [--verify]".into());
    };
    let settings = PdfSettings {
        rewrite: args.iter().any(|a| a == "--rewrite"),
        ..PdfSettings::default()
    };
    let labeler = PdfLabeler::new(settings);
    let started = Instant::now();
    let mut reader = File::open(input)?;
    let len = reader.metadata()?.len();
    let source = Source {
        reader: &mut reader,
        format: &PDF,
        path: Some(input.as_ref()),
        len,
    };
    let labelled = tanba_core::atomic::write_atomic(output.as_ref(), |out| {
        let job = Job::new().with_force(args.iter().any(|a| a == "--force"));
        labeler.label(source, out, &job)
    })?;
    println!(
        "labelled in {:?}; notes: {:?}",
        started.elapsed(),
        labelled.notes
    );
    if args.iter().any(|a| a == "--verify") {
        let mut reader = File::open(output)?;
        let len = reader.metadata()?.len();
        let source = Source {
            reader: &mut reader,
            format: &PDF,
            path: None,
            len,
        };
        let v = labeler.verify(source, &tanba_core::Limits::default())?;
        println!("marks {:?}; perceptible: {}", v.marks, v.perceptible.detail);
    }
    Ok(())
}
