//! Verifies one audio file: `cargo run -p tanba-audio --example verify_audio -- FILE
//! [--watermark-only]`, printing the marks found, whether the disclaimer is where the
//! manifest says, and the watermark read blind from its first seconds (with
//! `--watermark-only`, only that read: its cost alone).

use std::fs::File;
use std::path::PathBuf;

use tanba_audio::AudioLabeler;
use tanba_core::{Labeler, Limits, Source, WatermarkKey, read_head};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(path) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: verify_audio FILE");
        std::process::exit(2);
    };
    let mut reader = File::open(&path)?;
    let head = read_head(&mut reader)?;
    let format = tanba_audio::sniff(&head).ok_or("not a supported audio file")?;
    let len = reader.metadata()?.len();
    let watermark = AudioLabeler::default().read_watermark(
        Source {
            reader: &mut reader,
            format,
            path: Some(&path),
            len,
        },
        WatermarkKey::PUBLIC,
        &Limits::default(),
    )?;
    println!("watermark: {:?}", watermark.map(|w| w.payload_hex()));
    if std::env::args().any(|a| a == "--watermark-only") {
        return Ok(());
    }
    let mut reader = File::open(&path)?;
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
