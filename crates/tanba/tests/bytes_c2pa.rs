//! `Registry::label_bytes` with a C2PA signer (what the Python package and
//! `tanba label -` use): the bytes come back signed, and the manifest store
//! keeps their C2PA store beside the manifest, as `label_file` does, so a
//! stripped copy's credentials can be recovered.
#![cfg(all(feature = "c2pa", feature = "image"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use tanba::{CredentialsState, Options, Registry};

#[test]
fn signed_bytes_keep_their_c2pa_store_in_the_manifest_store() {
    let d = tempfile::tempdir().unwrap();
    let keys = tanba::c2pa::generate_test_credentials(&d.path().join("keys")).unwrap();
    let store = d.path().join("store");
    let options = Options {
        c2pa_cert: Some(keys.cert_chain.clone()),
        c2pa_key: Some(keys.private_key.clone()),
        manifest_store: Some(store.clone()),
        ..Options::default()
    };
    let job = options.job().unwrap();
    let registry = Registry::with_settings(&options.settings().unwrap());
    let input = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/image/sample-photo.jpg"),
    )
    .unwrap();
    let (bytes, labelled) = registry
        .label_bytes(&input, Some(Path::new("photo.jpg")), &job)
        .unwrap();

    // Signed: the credentials read back from the bytes, written out.
    let out = d.path().join("photo.jpg");
    std::fs::write(&out, &bytes).unwrap();
    let v = registry.verify_file(&out, &job.limits).unwrap();
    let credentials = v.credentials.expect("C2PA credentials in the bytes");
    assert_ne!(
        credentials.state,
        CredentialsState::Invalid,
        "{credentials:?}"
    );

    // Kept: the manifest and the C2PA store under the watermark's payload.
    let payload = labelled.manifest.watermark_payload().unwrap();
    assert!(tanba::watermark::store_path(&store, payload).is_file());
    let c2pa = std::fs::read(tanba::watermark::store_c2pa_path(&store, payload))
        .expect("the C2PA store kept beside the manifest");
    assert!(c2pa.len() > 1000, "{} bytes", c2pa.len());
    // The same store the output embeds (JUMBF, `c2pa` box label).
    assert!(c2pa.windows(4).any(|w| w == b"c2pa"));
}
