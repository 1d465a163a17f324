//! Verifies one audio file: `cargo run -p tanba-audio --example verify_audio -- FILE`,
//! printing the marks found and whether the disclaimer is where the manifest says.

use std::fs::File;
use std::path::PathBuf;

use tanba_audio::AudioLabeler;
use tanba_core::{Labeler, Limits, Source, read_head};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: verify_audio FILE");
        std::process::exit(2);
    };
    let mut reader = File::open(&path)?;
    let head = read_head(&mut reader)?;
    let format = tanba_audio::sniff(&head).ok_or("not a supported audio file")?;
    let len = reader.metadata()?.len();
    let v = AudioLabeler::default().verify(
        Source {
            reader: &mut reader,
            format,
            path: Some(&path),
            len,
        },
        &Limits::default(),
    )?;
    for mark in &v.marks {
        println!("mark: {:?} in {}", mark.kind, mark.carrier);
    }
    println!("compliant: {}", v.is_compliant());
    println!("disclaimer: {}", v.perceptible.detail);
    Ok(())
}
