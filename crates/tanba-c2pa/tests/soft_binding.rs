//! The watermark as a C2PA soft binding: a manifest that records a
//! watermark gets a `c2pa.soft-binding` assertion (alg `tanba.wm.1`, the
//! payload as its value), which the c2pa crate's `Reader` (the library
//! c2patool and c2pa-python are built on) reads back from a valid claim.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;
use std::path::Path;

use c2pa::Reader;
use tanba_c2pa::{C2paSigner, C2paState, ReadOptions, SOFT_BINDING_ALG, SOFT_BINDING_LABEL};
use tanba_core::{Job, Placement, SourceKind, WatermarkKey};

fn signed(job: &Job, key: Option<WatermarkKey>) -> (Vec<u8>, tanba_core::Manifest) {
    let dir = tempfile::tempdir().unwrap();
    let files = tanba_c2pa::generate_test_credentials(&dir.path().join("keys")).unwrap();
    let signer = C2paSigner::from_files(&files.cert_chain, &files.private_key).unwrap();
    let input = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/image/sample-photo.jpg"),
    )
    .unwrap();
    let m = job.manifest_with_watermark("image/jpeg", Placement::at("bottom-right"), None, key);
    let mut out = Cursor::new(Vec::new());
    tanba_c2pa::embed(
        "image/jpeg",
        &mut Cursor::new(input),
        &mut out,
        &m,
        SourceKind::Generated,
        &signer,
    )
    .unwrap();
    (out.into_inner(), m)
}

#[test]
fn a_recorded_watermark_becomes_a_soft_binding_assertion() {
    let job = Job::new().with_source_sha256("ab".repeat(32));
    let (out, m) = signed(&job, job.watermark);
    let payload = m.watermark.as_ref().unwrap().payload.clone();

    let reader = Reader::from_context(c2pa::Context::new())
        .with_stream("image/jpeg", Cursor::new(&out))
        .unwrap();
    assert_eq!(reader.validation_state(), c2pa::ValidationState::Valid);
    let active = reader.active_manifest().unwrap();
    let binding = active
        .assertions()
        .iter()
        .find(|a| a.label() == SOFT_BINDING_LABEL)
        .expect("a c2pa.soft-binding assertion");
    let value = binding.value().unwrap();
    assert_eq!(value["alg"], SOFT_BINDING_ALG, "{value}");
    assert_eq!(value["blocks"][0]["value"], payload.as_str(), "{value}");

    let report = tanba_c2pa::inspect(
        "image/jpeg",
        &mut Cursor::new(&out),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(report.state, C2paState::Valid);
    assert_eq!(report.soft_binding.as_deref(), Some(payload.as_str()));

    // No watermark recorded: no soft binding.
    let (out, _) = signed(&job, None);
    let report = tanba_c2pa::inspect(
        "image/jpeg",
        &mut Cursor::new(&out),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(report.soft_binding, None);
}
