#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Text labeler throughput (MB/s) on a large Markdown file.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::path::Path;
use tanba::{Job, Registry};

/// A Markdown document of about `bytes` bytes: front matter, headings,
/// paragraphs, lists, code and tables, in Kazakh and Russian.
fn large_markdown(bytes: usize) -> String {
    let mut doc = String::from("---\ntitle: Үлкен құжат\nauthor: model\n---\n");
    let mut i = 0;
    while doc.len() < bytes {
        doc.push_str(&format!(
            "## Бөлім {i}\n\nҚазақстан Республикасының заңы жасанды интеллект туралы. Закон о \
             искусственном интеллекте, статья 21, пункт 2.\n\n- бір\n- екі\n\n```rust\nfn f{i}() {{}}\n```\n\n\
             | баған | мән |\n|---|---|\n| {i} | ә |\n\n"
        ));
        i += 1;
    }
    doc
}

fn bench_text(c: &mut Criterion) {
    let registry = Registry::default();
    let job = Job::default();
    let mut group = c.benchmark_group("text");
    for (name, size) in [("markdown_64KiB", 64 << 10), ("markdown_8MiB", 8 << 20)] {
        let doc = large_markdown(size);
        group.throughput(Throughput::Bytes(doc.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                registry
                    .label_bytes(doc.as_bytes(), Some(Path::new("doc.md")), &job)
                    .unwrap()
            })
        });
    }
    let plain = large_markdown(8 << 20);
    group.throughput(Throughput::Bytes(plain.len() as u64));
    group.bench_function("plain_8MiB", |b| {
        b.iter(|| {
            registry
                .label_bytes(plain.as_bytes(), Some(Path::new("doc.txt")), &job)
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_text);
criterion_main!(benches);
