//! Labels one office document: `label_office IN OUT [--force]`.

use std::fs::File;

use tanba_core::{Job, Labeler, Source, read_head};
use tanba_office::OfficeLabeler;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (input, output) = match (args.get(1), args.get(2)) {
        (Some(i), Some(o)) => (i, o),
        _ => return Err("usage: label_office IN OUT [--force]".into()),
    };
    let labeler = OfficeLabeler::default();
    let mut reader = File::open(input)?;
    let len = reader.metadata()?.len();
    let head = read_head(&mut reader)?;
    let format = labeler
        .sniff(&head, Some(input.as_ref()))
        .ok_or("not an office document this labeler takes")?;
    let mut out = File::create(output)?;
    let job = Job::new().with_force(args.iter().any(|a| a == "--force"));
    let source = Source {
        reader: &mut reader,
        format,
        path: Some(input.as_ref()),
        len,
    };
    let labelled = labeler.label(source, &mut out, &job)?;
    println!("{} labelled as {}", output, labelled.format.name);
    Ok(())
}
