#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Video: label the fixture clip (decode, burn the badge into every frame,
//! encode, mux the marks) and verify it (marks, sampled frames).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::io::Cursor;
use std::path::Path;
use tanba_core::{Job, Labeler, Limits, Source};
use tanba_video::{VideoLabeler, VideoSettings};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/video");

fn bench_video(c: &mut Criterion) {
    let labeler = VideoLabeler::new(VideoSettings::default());
    let job = Job::default();
    let path = Path::new(FIXTURES).join("sample.mp4");
    let bytes = std::fs::read(&path).unwrap();
    let format = tanba_video::sniff(&bytes).unwrap();
    let source = |reader: &mut Cursor<&[u8]>| -> tanba_core::Result<Vec<u8>> {
        let mut out = Cursor::new(Vec::with_capacity(bytes.len() * 2));
        labeler.label(
            Source {
                reader,
                format,
                path: Some(&path),
                len: bytes.len() as u64,
            },
            &mut out,
            &job,
        )?;
        Ok(out.into_inner())
    };
    let labelled = source(&mut Cursor::new(bytes.as_slice())).unwrap();
    let labelled_path = std::env::temp_dir().join("tanba-bench-video-labelled.mp4");
    std::fs::write(&labelled_path, &labelled).unwrap();

    let mut group = c.benchmark_group("video");
    group.sample_size(10);
    group.bench_function(BenchmarkId::new("label", "sample.mp4"), |b| {
        b.iter(|| source(&mut Cursor::new(bytes.as_slice())).unwrap())
    });
    group.bench_function(BenchmarkId::new("verify", "sample.mp4"), |b| {
        b.iter(|| {
            let mut reader = Cursor::new(labelled.as_slice());
            let v = labeler
                .verify(
                    Source {
                        reader: &mut reader,
                        format,
                        path: Some(&labelled_path),
                        len: labelled.len() as u64,
                    },
                    &Limits::default(),
                )
                .unwrap();
            assert!(v.is_compliant());
            v
        })
    });
    group.finish();
    let _ = std::fs::remove_file(&labelled_path);
}

criterion_group!(benches, bench_video);
criterion_main!(benches);
