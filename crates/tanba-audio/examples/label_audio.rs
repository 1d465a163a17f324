//! Labels one audio file: `cargo run -p tanba-audio --example label_audio -- IN OUT.wav [MODE]
//! [--no-watermark]`, then verifies the output and reads its watermark back, as the CLI
//! does. MODE is `prepend`, `overlay`, `append`, `repeat:MINUTES` or `tone` (the Morse
//! tone, prepended).

use std::fs::File;
use std::path::PathBuf;

use tanba_audio::{AudioLabeler, AudioSettings, Disclaimer, ToneSettings};
use tanba_core::{Job, Labeler, Limits, Source, read_head};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let marked = !all.iter().any(|a| a == "--no-watermark");
    let job = Job::default().with_watermark(marked.then_some(tanba_core::WatermarkKey::PUBLIC));
    let mut args = all.into_iter().filter(|a| a != "--no-watermark");
    let (Some(input), Some(output)) = (
        args.next().map(PathBuf::from),
        args.next().map(PathBuf::from),
    ) else {
        eprintln!("usage: label IN OUT.wav [prepend|overlay|append|repeat:MINUTES|tone]");
        std::process::exit(2);
    };
    let mut settings = AudioSettings::default();
    match args.next().as_deref() {
        Some("tone") => settings.disclaimer = Disclaimer::Tone(ToneSettings::default()),
        Some(mode) => settings.mode = mode.parse()?,
        None => {}
    }
    let labeler = AudioLabeler::new(settings);
    let mut reader = File::open(&input)?;
    let head = read_head(&mut reader)?;
    let format = tanba_audio::sniff(&head).ok_or("not a supported audio file")?;
    let len = reader.metadata()?.len();
    let mut out = File::create(&output)?;
    let labelled = labeler.label(
        Source {
            reader: &mut reader,
            format,
            path: Some(&input),
            len,
        },
        &mut out,
        &job,
    )?;
    drop(out);
    for note in &labelled.notes {
        eprintln!("note: {note}");
    }
    let mut check = File::open(&output)?;
    let len = check.metadata()?.len();
    // WAV, AIFF or the input's compressed format: as written.
    let format = labelled.format;
    let source = Source {
        reader: &mut check,
        format,
        path: Some(&output),
        len,
    };
    let v = match (job.watermark, &labelled.manifest.watermark) {
        (Some(key), Some(_)) => labeler.verify_with_watermark(source, key, &Limits::default())?,
        _ => labeler.verify(source, &Limits::default())?,
    };
    println!(
        "{}: compliant={} {}; watermark read back: {:?}",
        output.display(),
        v.is_compliant(),
        v.perceptible.detail,
        v.watermark.map(|w| w.payload_hex())
    );
    Ok(())
}
