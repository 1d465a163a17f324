#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Audio: the disclaimer mixer alone (build it, then stream ten seconds of
//! 44.1 kHz stereo through it) and whole-file labelling of the fixtures.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::io::Cursor;
use std::path::Path;
use tanba_audio::{AudioLabeler, AudioSettings, Disclaimer, DisclaimerMixer, Mode};
use tanba_core::Label;
use tanba_core::{Job, Labeler, Source};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/audio");
const RATE: u32 = 44_100;

/// Ten seconds of a stereo tone, interleaved.
fn programme(seconds: u32) -> Vec<f32> {
    let frames = (RATE * seconds) as usize;
    let mut v = Vec::with_capacity(frames * 2);
    for i in 0..frames {
        let t = i as f32 / RATE as f32;
        let x = 0.3 * (2.0 * std::f32::consts::PI * 220.0 * t).sin();
        v.push(x);
        v.push(-x);
    }
    v
}

fn bench_mixer(c: &mut Criterion) {
    let label = Label::default();
    let disclaimer = Disclaimer::default();
    let mut group = c.benchmark_group("audio_mixer");
    group.sample_size(20);
    group.bench_function("new_spoken_kk_ru_44k_stereo", |b| {
        b.iter(|| DisclaimerMixer::new(&disclaimer, &label, Mode::Prepend, RATE, 2, 1.0).unwrap())
    });
    let input = programme(10);
    group.throughput(Throughput::Elements((input.len() / 2) as u64));
    for mode in [Mode::Prepend, Mode::Overlay] {
        let template = DisclaimerMixer::new(&disclaimer, &label, mode, RATE, 2, 1.0).unwrap();
        group.bench_function(BenchmarkId::new("mix_10s", mode.name()), |b| {
            b.iter_batched(
                || (template.clone(), Vec::with_capacity(input.len() * 2)),
                |(mut mixer, mut out)| {
                    for chunk in input.chunks(4096 * 2) {
                        mixer.process(chunk, &mut out);
                    }
                    mixer.finish(&mut out);
                    out
                },
                criterion::BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn bench_label(c: &mut Criterion) {
    let labeler = AudioLabeler::new(AudioSettings::default());
    let job = Job::default();
    let mut group = c.benchmark_group("audio_label");
    group.sample_size(10);
    for name in ["sample-voice.wav", "sample-music.mp3"] {
        let path = Path::new(FIXTURES).join(name);
        let bytes = std::fs::read(&path).unwrap();
        let format = tanba_audio::sniff(&bytes).unwrap();
        group.bench_with_input(BenchmarkId::new("label", name), &bytes, |b, bytes| {
            b.iter(|| {
                let mut reader = Cursor::new(bytes.as_slice());
                let mut out = Cursor::new(Vec::with_capacity(bytes.len() * 4));
                labeler
                    .label(
                        Source {
                            reader: &mut reader,
                            format,
                            path: Some(&path),
                            len: bytes.len() as u64,
                        },
                        &mut out,
                        &job,
                    )
                    .unwrap();
                out
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_mixer, bench_label);
criterion_main!(benches);
