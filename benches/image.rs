#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Image labelling: one JPEG and one PNG from fixtures/image, and the badge
//! renderer alone at two picture sizes.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::path::Path;
use tanba_core::Job;
use tanba_core::Label;
use tanba_image::{BadgeStyle, ImageLabeler, ImageSettings, badge};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/image");

fn bench_image(c: &mut Criterion) {
    let labeler = ImageLabeler::new(ImageSettings::default());
    let job = Job::default();
    let mut group = c.benchmark_group("image");
    group.sample_size(20);
    for name in ["sample-photo.jpg", "sample-generated.png"] {
        let path = Path::new(FIXTURES).join(name);
        let bytes = std::fs::read(&path).unwrap();
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_with_input(BenchmarkId::new("label", name), &bytes, |b, bytes| {
            b.iter(|| labeler.label_bytes(bytes, Some(&path), &job).unwrap())
        });
    }
    group.finish();

    let mut group = c.benchmark_group("badge");
    let label = Label::default();
    let style = BadgeStyle::default();
    let font = tanba_core::font::FontFile::bundled();
    for (w, h) in [(1024u32, 768u32), (4000, 3000)] {
        group.bench_with_input(
            BenchmarkId::new("render", format!("{w}x{h}")),
            &(w, h),
            |b, &(w, h)| b.iter(|| badge::render_badge(&font, &label, w, h, &style).unwrap()),
        );
    }
    group.finish();
}

criterion_group!(benches, bench_image);
criterion_main!(benches);
