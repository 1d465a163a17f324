//! Finding the spoken disclaimer of a file whose metadata is gone: a
//! labelled recording re-encoded by the real ffmpeg (MP3 at 96 kb/s with
//! `-map_metadata -1`, resampled, 6 dB quieter) still has it at
//! the start; unmarked recordings do not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::fs::File;
use std::path::Path;

use common::ffmpeg;
use tanba_audio::{AudioLabeler, sniff};
use tanba_core::{Job, Labeler, Source, VisibleFound, read_head};

fn find(path: &Path) -> Option<VisibleFound> {
    let mut reader = File::open(path).unwrap();
    let head = read_head(&mut reader).unwrap();
    let source = Source {
        format: sniff(&head).unwrap(),
        path: Some(path),
        len: reader.metadata().unwrap().len(),
        reader: &mut reader,
    };
    AudioLabeler::default()
        .find_visible_label(source, &Job::default())
        .unwrap()
}

#[test]
fn the_disclaimer_survives_what_platforms_do_to_audio() {
    let dir = tempfile::tempdir().unwrap();
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/audio/sample-voice.wav");
    let labelled = dir.path().join("labelled.wav");
    {
        let mut reader = File::open(&input).unwrap();
        let head = read_head(&mut reader).unwrap();
        let source = Source {
            format: sniff(&head).unwrap(),
            path: Some(&input),
            len: reader.metadata().unwrap().len(),
            reader: &mut reader,
        };
        let mut out = File::create(&labelled).unwrap();
        AudioLabeler::default()
            .label(source, &mut out, &Job::default())
            .unwrap();
    }
    let cases: [(&str, &[&str]); 3] = [
        ("mp3 96k", &["-b:a", "96k"]),
        (
            "mp3 96k resampled to 22.05 kHz",
            &["-b:a", "96k", "-ar", "22050"],
        ),
        ("mp3 96k, -6 dB", &["-b:a", "96k", "-af", "volume=-6dB"]),
    ];
    for (what, args) in cases {
        let out = dir
            .path()
            .join(format!("{}.mp3", what.replace([' ', ','], "_")));
        let mut all = vec![
            "-i",
            labelled.to_str().unwrap(),
            "-map_metadata",
            "-1",
            "-c:a",
            "libmp3lame",
        ];
        all.extend_from_slice(args);
        all.push(out.to_str().unwrap());
        ffmpeg(&all);
        let found = find(&out);
        eprintln!("{what}: {found:?}");
        let found = found.unwrap_or_else(|| panic!("{what}: not found"));
        assert!(found.place.starts_with("0:00-"), "{what}: {found:?}");
    }
    // Unmarked recordings longer than the disclaimer (the fixtures are
    // shorter than it, so each is looped to 20 s): speech, music, and a
    // tone, as MP3 at 96 kb/s.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/audio");
    let voice = fixtures.join("sample-voice.wav");
    let music = fixtures.join("sample-music.mp3");
    let inputs: [(&str, Vec<&str>); 3] = [
        (
            "speech",
            vec!["-stream_loop", "-1", "-i", voice.to_str().unwrap()],
        ),
        (
            "music",
            vec!["-stream_loop", "-1", "-i", music.to_str().unwrap()],
        ),
        (
            "tone",
            vec!["-f", "lavfi", "-i", "sine=frequency=440:duration=20"],
        ),
    ];
    for (name, input) in inputs {
        let out = dir.path().join(format!("unmarked-{name}.mp3"));
        let mut all = input;
        all.extend_from_slice(&["-t", "20", "-c:a", "libmp3lame", "-b:a", "96k"]);
        all.push(out.to_str().unwrap());
        ffmpeg(&all);
        let found = find(&out);
        eprintln!("unmarked {name}: {found:?}");
        assert!(found.is_none(), "{name}: {found:?}");
    }
}
