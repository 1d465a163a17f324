#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! PDF stamping per page count, beside `qpdf --overlay` on the same input.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::path::Path;
use std::process::Command;
use tanba::{Job, Registry};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/pdf/layouts.pdf");

/// A PDF of `copies` x 6 pages, made by qpdf from the fixture.
fn build(dir: &Path, copies: usize) -> std::path::PathBuf {
    let out = dir.join(format!("pages-{}.pdf", copies * 6));
    let mut qpdf = Command::new("qpdf");
    qpdf.args(["--empty", "--pages"]);
    for _ in 0..copies {
        qpdf.arg(FIXTURE);
    }
    qpdf.arg("--").arg(&out);
    assert!(qpdf.status().unwrap().success());
    out
}

fn bench_pdf(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::default();
    let job = Job::default();
    let mut group = c.benchmark_group("pdf");
    group.sample_size(20);
    for copies in [1, 17, 50] {
        let path = build(dir.path(), copies);
        let input = std::fs::read(&path).unwrap();
        let pages = copies * 6;
        group.bench_with_input(
            BenchmarkId::new("tanba_incremental", pages),
            &input,
            |b, input| b.iter(|| registry.label_bytes(input, None, &job).unwrap()),
        );
        // The peer: qpdf overlaying a one-page stamp on every page.
        let (stamped, _) = registry.label_bytes(&input, None, &job).unwrap();
        let stamped_path = dir.path().join("stamped.pdf");
        std::fs::write(&stamped_path, stamped).unwrap();
        let stamp = dir.path().join("stamp.pdf");
        assert!(
            Command::new("qpdf")
                .args(["--empty", "--pages"])
                .arg(&stamped_path)
                .arg("1")
                .arg("--")
                .arg(&stamp)
                .status()
                .unwrap()
                .success()
        );
        let out = dir.path().join("overlay.pdf");
        group.bench_with_input(BenchmarkId::new("qpdf_overlay", pages), &path, |b, path| {
            b.iter(|| {
                let status = Command::new("qpdf")
                    .arg(path)
                    .arg("--overlay")
                    .arg(&stamp)
                    .arg("--to=1-z")
                    .arg("--")
                    .arg(&out)
                    .status()
                    .unwrap();
                assert!(status.success());
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_pdf);
criterion_main!(benches);
