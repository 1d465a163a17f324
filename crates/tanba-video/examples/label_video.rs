//! Labels one video file: `cargo run --release --example label_video -- IN OUT`.
//! Environment: `AUDIBLE=1` mixes the spoken disclaimer in, `PRESET`/`CRF`
//! override the encoder settings, `VERIFY=1` verifies the output,
//! `NO_WATERMARK=1` leaves the watermark out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::path::Path;

use tanba_core::{Job, Labeler, Limits, Source, read_head};
use tanba_video::{VideoLabeler, VideoSettings};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (input, output) = (Path::new(&args[1]), Path::new(&args[2]));
    let settings = VideoSettings {
        audible: std::env::var_os("AUDIBLE").is_some(),
        preset: std::env::var("PRESET").ok(),
        crf: std::env::var("CRF").ok().map(|c| c.parse().unwrap()),
        ..VideoSettings::default()
    };
    let labeler = VideoLabeler::new(settings);
    let mut reader = File::open(input).unwrap();
    let format = tanba_video::sniff(&read_head(&mut reader).unwrap()).expect("a video container");
    let len = reader.metadata().unwrap().len();
    let mut out = File::create(output).unwrap();
    let start = std::time::Instant::now();
    let labelled = labeler
        .label(
            Source {
                reader: &mut reader,
                format,
                path: Some(input),
                len,
            },
            &mut out,
            &Job::default().with_watermark(
                Job::default()
                    .watermark
                    .filter(|_| std::env::var_os("NO_WATERMARK").is_none()),
            ),
        )
        .unwrap();
    eprintln!("labelled in {:?}", start.elapsed());
    for note in &labelled.notes {
        eprintln!("note: {note}");
    }
    if std::env::var_os("VERIFY").is_some() {
        let mut reader = File::open(output).unwrap();
        let len = reader.metadata().unwrap().len();
        let v = labeler
            .verify(
                Source {
                    reader: &mut reader,
                    format,
                    path: Some(output),
                    len,
                },
                &Limits::default(),
            )
            .unwrap();
        eprintln!("compliant: {}; {}", v.is_compliant(), v.perceptible.detail);
    }
}
