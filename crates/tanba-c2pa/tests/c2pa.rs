//! End-to-end: credentials made by `generate_test_credentials`, manifests
//! embedded in real files, read back with the c2pa crate's `Reader` (the
//! library c2patool is built on).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;
use std::path::{Path, PathBuf};

use c2pa::Reader;
use tanba_c2pa::{
    ASSERTION_LABEL, Applied, C2paSigner, C2paState, Parent, ReadOptions, TestCredentials,
};
use tanba_core::{AiSystem, Error, Job, Manifest, Placement, SourceKind};

const TRAINED: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";
const COMPOSITE: &str =
    "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia";

fn workspace_fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(rel)
}

fn local_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

struct Creds {
    _dir: tempfile::TempDir,
    files: TestCredentials,
    signer: C2paSigner,
}

fn creds() -> Creds {
    let dir = tempfile::tempdir().unwrap();
    let files = tanba_c2pa::generate_test_credentials(&dir.path().join("keys")).unwrap();
    let signer = C2paSigner::from_files(&files.cert_chain, &files.private_key).unwrap();
    Creds {
        _dir: dir,
        files,
        signer,
    }
}

fn manifest(mime: &str, kind: SourceKind) -> Manifest {
    let job = Job::new()
        .with_source_kind(kind)
        .with_ai_system(AiSystem {
            name: "Test Diffusion".into(),
            version: Some("2.1".into()),
        })
        .with_source_sha256("ab".repeat(32));
    job.manifest(mime, Placement::at("bottom-right"))
}

fn embed(mime: &str, input: &[u8], kind: SourceKind, signer: &C2paSigner) -> (Vec<u8>, Manifest) {
    let m = manifest(mime, kind);
    let mut out = Cursor::new(Vec::new());
    tanba_c2pa::embed(mime, &mut Cursor::new(input), &mut out, &m, kind, signer).unwrap();
    (out.into_inner(), m)
}

fn read(mime: &str, bytes: &[u8]) -> Reader {
    // The SDK's defaults, as c2patool would read it (no trust list given).
    Reader::from_context(c2pa::Context::new())
        .with_stream(mime, Cursor::new(bytes))
        .unwrap()
}

fn codes(statuses: &[c2pa::validation_status::ValidationStatus]) -> Vec<String> {
    statuses.iter().map(|s| s.code().to_string()).collect()
}

/// The checks of the "done when", with the c2pa crate's reader.
fn assert_valid_credentials(mime: &str, bytes: &[u8], expected: &Manifest) {
    let reader = read(mime, bytes);
    let results = reader.validation_results().expect("validation results");
    let active = results.active_manifest().expect("active manifest results");
    let success = codes(active.success());
    let failure = codes(active.failure());
    assert!(
        success.iter().any(|c| c == "claimSignature.validated"),
        "{mime}: {success:?}"
    );
    assert!(
        success.iter().any(|c| c.ends_with("Hash.match")),
        "{mime}: no hash match in {success:?}"
    );
    // Our test CA is on no trust list: untrusted is the only failure.
    assert!(
        failure.iter().all(|c| c == "signingCredential.untrusted"),
        "{mime}: {failure:?}"
    );
    assert_eq!(
        reader.validation_state(),
        c2pa::ValidationState::Valid,
        "{mime}"
    );

    let active = reader.active_manifest().unwrap();
    let generator = &active.claim_generator_info.as_ref().unwrap()[0];
    assert_eq!(generator.name, "Tanba");
    assert_eq!(
        generator.version.as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );

    let ours = active
        .assertions()
        .iter()
        .find(|a| a.label() == ASSERTION_LABEL)
        .unwrap_or_else(|| panic!("{mime}: no {ASSERTION_LABEL} assertion"));
    let carried: Manifest = serde_json::from_value(ours.value().unwrap().clone()).unwrap();
    assert_eq!(&carried, expected, "{mime}");

    let actions = active
        .assertions()
        .iter()
        .find(|a| a.label().starts_with("c2pa.actions"))
        .unwrap();
    let actions = ours_actions(actions.value().unwrap());
    assert_eq!(actions[0]["action"], "c2pa.created", "{mime}: {actions:?}");
    assert_eq!(actions[0]["digitalSourceType"], TRAINED);
    assert_eq!(actions[0]["softwareAgent"]["name"], "Test Diffusion");
    assert_eq!(actions[0]["softwareAgent"]["version"], "2.1");
    let last = actions.last().unwrap();
    assert_eq!(last["action"], "c2pa.edited");
    assert_eq!(last["softwareAgent"]["name"], "Tanba");
}

fn ours_actions(value: &serde_json::Value) -> Vec<serde_json::Value> {
    value["actions"].as_array().cloned().unwrap_or_default()
}

#[test]
fn every_in_place_format_validates() {
    let c = creds();
    let cases: &[(&str, PathBuf)] = &[
        ("image/jpeg", workspace_fixture("image/sample-photo.jpg")),
        ("image/png", workspace_fixture("image/sample-generated.png")),
        ("audio/wav", workspace_fixture("audio/sample-voice.wav")),
        ("audio/mpeg", workspace_fixture("audio/sample-music.mp3")),
        ("video/mp4", workspace_fixture("video/sample.mp4")),
        ("image/webp", local_fixture("sample.webp")),
        ("image/gif", local_fixture("sample.gif")),
        ("image/tiff", local_fixture("sample.tiff")),
        ("video/quicktime", local_fixture("sample.mov")),
        ("audio/mp4", local_fixture("sample.m4a")),
        ("audio/flac", local_fixture("sample.flac")),
    ];
    for (mime, path) in cases {
        assert!(tanba_c2pa::supports(mime), "{mime}");
        let input = std::fs::read(path).unwrap();
        let (out, m) = embed(mime, &input, SourceKind::Generated, &c.signer);
        assert!(out.len() > input.len(), "{mime}: nothing was added");
        assert_valid_credentials(mime, &out, &m);
        // Our own reader agrees, and sees the same things.
        let report =
            tanba_c2pa::inspect(mime, &mut Cursor::new(&out), &ReadOptions::default()).unwrap();
        assert_eq!(report.state, C2paState::Valid, "{mime}");
        assert!(report.embedded);
        assert_eq!(report.tanba_manifest.as_ref(), Some(&m));
        assert_eq!(report.digital_source_type.as_deref(), Some(TRAINED));
        assert_eq!(report.actions, ["c2pa.created", "c2pa.edited"]);
        assert_eq!(
            report.claim_generator.as_deref(),
            Some(concat!("Tanba/", env!("CARGO_PKG_VERSION")))
        );
    }
}

#[test]
fn one_flipped_byte_in_the_media_fails_validation() {
    let c = creds();
    for (mime, path) in [
        ("image/jpeg", workspace_fixture("image/sample-photo.jpg")),
        ("image/png", workspace_fixture("image/sample-generated.png")),
        ("audio/wav", workspace_fixture("audio/sample-voice.wav")),
    ] {
        let input = std::fs::read(path).unwrap();
        let (mut out, _) = embed(mime, &input, SourceKind::Generated, &c.signer);
        assert_eq!(
            tanba_c2pa::read(mime, &mut Cursor::new(&out)).unwrap(),
            C2paState::Valid
        );
        // Media data sits at the end of all three (JPEG scan, PNG IDAT, WAV
        // samples); the manifest is near the start (RIFF: a chunk at the end,
        // so the middle of the samples is used there).
        let at = if mime == "audio/wav" {
            out.len() / 3
        } else {
            out.len() - 40
        };
        out[at] ^= 0x01;
        let reader = read(mime, &out);
        assert_eq!(
            reader.validation_state(),
            c2pa::ValidationState::Invalid,
            "{mime}"
        );
        let failure = codes(
            reader
                .validation_results()
                .unwrap()
                .active_manifest()
                .unwrap()
                .failure(),
        );
        assert!(
            failure.iter().any(|c| c.ends_with("Hash.mismatch")),
            "{mime}: {failure:?}"
        );
        match tanba_c2pa::read(mime, &mut Cursor::new(&out)).unwrap() {
            C2paState::Invalid(reasons) => {
                assert!(
                    reasons.iter().any(|r| r.contains("Hash.mismatch")),
                    "{reasons:?}"
                )
            }
            other => panic!("{mime}: {other:?}"),
        }
    }
}

#[test]
fn trusted_when_the_test_ca_is_a_trust_anchor() {
    let c = creds();
    let input = std::fs::read(workspace_fixture("image/sample-photo.jpg")).unwrap();
    let (out, _) = embed("image/jpeg", &input, SourceKind::Generated, &c.signer);
    let options = ReadOptions {
        trust_anchors_pem: Some(std::fs::read_to_string(&c.files.ca_cert).unwrap()),
        sidecar: None,
    };
    let report = tanba_c2pa::inspect("image/jpeg", &mut Cursor::new(&out), &options).unwrap();
    assert_eq!(report.state, C2paState::Trusted);
    assert!(
        report
            .signer
            .unwrap()
            .contains("UNTRUSTED Tanba test signer")
    );

    // Another CA is no anchor for it.
    let other = creds();
    let options = ReadOptions {
        trust_anchors_pem: Some(std::fs::read_to_string(&other.files.ca_cert).unwrap()),
        sidecar: None,
    };
    let report = tanba_c2pa::inspect("image/jpeg", &mut Cursor::new(&out), &options).unwrap();
    assert_eq!(report.state, C2paState::Valid);
}

/// A reader that counts the bytes read through it.
struct Counted<'a>(Cursor<&'a [u8]>, usize);

impl std::io::Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        self.1 += n;
        Ok(n)
    }
}

impl std::io::Seek for Counted<'_> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.0.seek(to)
    }
}

/// A signed JPEG's store is found; a sequential JPEG without an APP11
/// segment has none, found from its head: the SDK, which reads the whole
/// file to look (60 MB for a 100-MP picture), is not asked.
#[test]
fn embedded_store_reads_a_plain_jpeg_s_head_only() {
    let c = creds();
    let input = std::fs::read(workspace_fixture("image/sample-photo.jpg")).unwrap();
    let (signed, _) = embed("image/jpeg", &input, SourceKind::Generated, &c.signer);
    let store = tanba_c2pa::embedded_store("image/jpeg", &mut Cursor::new(&signed));
    assert!(store.is_some_and(|s| s.len() > 1000));
    let mut plain = Counted(Cursor::new(&input), 0);
    assert!(tanba_c2pa::embedded_store("image/jpeg", &mut plain).is_none());
    assert!(
        plain.1 < input.len() / 4,
        "{} of {} bytes read",
        plain.1,
        input.len()
    );
}

#[test]
fn composite_is_an_edit_with_the_composite_source_type() {
    let c = creds();
    let input = std::fs::read(workspace_fixture("image/sample-photo.jpg")).unwrap();
    let (out, _) = embed("image/jpeg", &input, SourceKind::Composite, &c.signer);
    let reader = read("image/jpeg", &out);
    assert_eq!(reader.validation_state(), c2pa::ValidationState::Valid);
    let active = reader.active_manifest().unwrap();
    let actions = active
        .assertions()
        .iter()
        .find(|a| a.label().starts_with("c2pa.actions"))
        .unwrap();
    let actions = ours_actions(actions.value().unwrap());
    let names: Vec<&str> = actions
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["c2pa.created", "c2pa.edited", "c2pa.edited"]);
    assert_eq!(actions[1]["digitalSourceType"], COMPOSITE);
    assert_eq!(actions[1]["softwareAgent"]["name"], "Test Diffusion");
}

#[test]
fn an_existing_manifest_is_kept_as_the_parent_ingredient() {
    let c = creds();
    let raw = std::fs::read(workspace_fixture("image/sample-photo.jpg")).unwrap();
    // The original already carries Content Credentials from its maker.
    let (original, _) = embed("image/jpeg", &raw, SourceKind::Generated, &c.signer);
    // The labelled file (here the raw bytes stand in for it) is signed with
    // the original as its parent.
    let m = manifest("image/jpeg", SourceKind::Generated);
    let mut out = Cursor::new(Vec::new());
    let mut parent_reader = Cursor::new(original.clone());
    tanba_c2pa::embed_with_parent(
        "image/jpeg",
        &mut Cursor::new(&raw),
        &mut out,
        &m,
        SourceKind::Generated,
        &c.signer,
        Some(Parent {
            mime: "image/jpeg",
            reader: &mut parent_reader,
            sidecar: None,
        }),
    )
    .unwrap();
    let out = out.into_inner();
    let reader = read("image/jpeg", &out);
    assert_eq!(reader.validation_state(), c2pa::ValidationState::Valid);
    assert_eq!(reader.manifests().len(), 2, "the parent's manifest is kept");
    let active = reader.active_manifest().unwrap();
    assert_eq!(active.ingredients().len(), 1);
    assert_eq!(
        active.ingredients()[0].relationship(),
        &c2pa::Relationship::ParentOf
    );
    let report = tanba_c2pa::inspect(
        "image/jpeg",
        &mut Cursor::new(&out),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(
        report.actions,
        ["c2pa.opened", "c2pa.edited", "c2pa.edited"]
    );
    assert_eq!(report.digital_source_type.as_deref(), Some(TRAINED));

    // An original without a manifest adds no ingredient (and no hash pass).
    let mut out = Cursor::new(Vec::new());
    let mut plain = Cursor::new(raw.clone());
    tanba_c2pa::embed_with_parent(
        "image/jpeg",
        &mut Cursor::new(&raw),
        &mut out,
        &m,
        SourceKind::Generated,
        &c.signer,
        Some(Parent {
            mime: "image/jpeg",
            reader: &mut plain,
            sidecar: None,
        }),
    )
    .unwrap();
    let reader = read("image/jpeg", out.get_ref());
    assert!(reader.active_manifest().unwrap().ingredients().is_empty());
}

#[test]
fn pdf_and_text_get_a_sidecar() {
    let c = creds();
    for (mime, bytes) in [
        (
            "application/pdf",
            std::fs::read(workspace_fixture("pdf/report.pdf")).unwrap(),
        ),
        (
            "text/plain",
            "Жасанды интеллект көмегімен жасалған\n\nHello.\n"
                .as_bytes()
                .to_vec(),
        ),
    ] {
        assert!(!tanba_c2pa::supports(mime));
        let m = manifest(mime, SourceKind::Generated);
        // Embedding is refused, clearly.
        let err = tanba_c2pa::embed(
            mime,
            &mut Cursor::new(&bytes),
            &mut Cursor::new(Vec::new()),
            &m,
            SourceKind::Generated,
            &c.signer,
        )
        .unwrap_err();
        assert!(matches!(err, Error::Unsupported { .. }), "{err}");

        let mut out = Cursor::new(Vec::new());
        let applied = tanba_c2pa::apply(
            mime,
            &mut Cursor::new(&bytes),
            &mut out,
            &m,
            SourceKind::Generated,
            &c.signer,
            None,
        )
        .unwrap();
        let Applied::Sidecar(store) = applied else {
            panic!("{mime}: {applied:?}");
        };
        assert_eq!(out.get_ref(), &bytes, "{mime}: the file is copied as is");

        // Read back with the SDK: the sidecar validates against the file.
        let reader = Reader::from_context(c2pa::Context::new())
            .with_manifest_data_and_stream(&store, "application/octet-stream", Cursor::new(&bytes))
            .unwrap();
        let active = reader
            .validation_results()
            .unwrap()
            .active_manifest()
            .unwrap();
        let success = codes(active.success());
        assert!(success.iter().any(|c| c == "claimSignature.validated"));
        assert!(success.iter().any(|c| c == "assertion.dataHash.match"));
        assert_eq!(reader.validation_state(), c2pa::ValidationState::Valid);

        let standalone = tanba_c2pa::sidecar(
            mime,
            &mut Cursor::new(&bytes),
            &m,
            SourceKind::Generated,
            &c.signer,
        )
        .unwrap();
        let options = ReadOptions {
            trust_anchors_pem: None,
            sidecar: Some(standalone),
        };
        let report = tanba_c2pa::inspect(mime, &mut Cursor::new(&bytes), &options).unwrap();
        assert_eq!(report.state, C2paState::Valid, "{mime}");
        assert!(!report.embedded);
        assert_eq!(report.tanba_manifest.as_ref(), Some(&m));

        let mut edited = bytes.clone();
        let last = edited.len() - 2;
        edited[last] ^= 0x01;
        let report = tanba_c2pa::inspect(mime, &mut Cursor::new(&edited), &options).unwrap();
        assert!(
            matches!(&report.state, C2paState::Invalid(r) if r.iter().any(|r| r.contains("dataHash.mismatch"))),
            "{mime}: {:?}",
            report.state
        );
    }
}

#[test]
fn inspect_file_finds_the_sidecar() {
    let c = creds();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("report.pdf");
    let bytes = std::fs::read(workspace_fixture("pdf/report.pdf")).unwrap();
    std::fs::write(&pdf, &bytes).unwrap();
    let report = tanba_c2pa::inspect_file(&pdf, "application/pdf", None).unwrap();
    assert_eq!(report.state, C2paState::Absent);

    let m = manifest("application/pdf", SourceKind::Generated);
    let store = tanba_c2pa::sidecar(
        "application/pdf",
        &mut Cursor::new(&bytes),
        &m,
        SourceKind::Generated,
        &c.signer,
    )
    .unwrap();
    let side = tanba_c2pa::sidecar_path(&pdf);
    assert_eq!(side, dir.path().join("report.c2pa"));
    std::fs::write(&side, store).unwrap();
    let anchors = std::fs::read_to_string(&c.files.ca_cert).unwrap();
    let report = tanba_c2pa::inspect_file(&pdf, "application/pdf", Some(&anchors)).unwrap();
    assert_eq!(report.state, C2paState::Trusted);
}

#[test]
fn unsigned_files_are_absent() {
    for (mime, path) in [
        ("image/jpeg", workspace_fixture("image/sample-photo.jpg")),
        ("image/png", workspace_fixture("image/sample-generated.png")),
        ("application/pdf", workspace_fixture("pdf/report.pdf")),
    ] {
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(
            tanba_c2pa::read(mime, &mut Cursor::new(&bytes)).unwrap(),
            C2paState::Absent,
            "{mime}"
        );
    }
    assert_eq!(
        tanba_c2pa::read("text/plain", &mut Cursor::new(b"hello")).unwrap(),
        C2paState::Absent
    );
}

fn config_error(result: tanba_core::Result<C2paSigner>) -> String {
    match result {
        Err(e @ Error::Config { .. }) => e.to_string(),
        Err(other) => panic!("not a config error: {other}"),
        Ok(s) => panic!("accepted: {s:?}"),
    }
}

#[test]
fn wrong_or_missing_keys_are_config_errors() {
    let a = creds();
    let b = creds();
    let chain = std::fs::read(&a.files.cert_chain).unwrap();
    let other_key = std::fs::read(&b.files.private_key).unwrap();

    let msg = config_error(C2paSigner::from_pem(&chain, &other_key));
    assert!(msg.contains("does not match"), "{msg}");

    let msg = config_error(C2paSigner::from_files(
        &a.files.cert_chain,
        &b.files.private_key,
    ));
    assert!(msg.contains("does not match"), "{msg}");
    assert!(msg.contains(b.files.private_key.to_str().unwrap()), "{msg}");

    let missing = a.files.private_key.with_file_name("nope.pem");
    let msg = config_error(C2paSigner::from_files(&a.files.cert_chain, &missing));
    assert!(msg.contains("nope.pem"), "{msg}");

    let msg = config_error(C2paSigner::from_pem(b"not pem", &other_key));
    assert!(msg.contains("certificate chain"), "{msg}");

    let msg = config_error(C2paSigner::from_pem(
        &chain,
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    ));
    assert!(msg.contains("private key"), "{msg}");

    // The CA itself cannot sign: C2PA wants an end-entity certificate.
    let ca = std::fs::read(&a.files.ca_cert).unwrap();
    let ca_key = std::fs::read(&a.files.ca_key).unwrap();
    let msg = config_error(C2paSigner::from_pem(&ca, &ca_key));
    assert!(msg.contains("CA certificate"), "{msg}");
}

#[test]
fn sec1_keys_are_accepted() {
    use p256::pkcs8::{DecodePrivateKey as _, LineEnding};
    let a = creds();
    let chain = std::fs::read(&a.files.cert_chain).unwrap();
    // The same key as OpenSSL's `ecparam -genkey` writes it.
    let pkcs8 = std::fs::read_to_string(&a.files.private_key).unwrap();
    let sec1 = p256::SecretKey::from_pkcs8_pem(&pkcs8)
        .unwrap()
        .to_sec1_pem(LineEnding::LF)
        .unwrap();
    let signer = C2paSigner::from_pem(&chain, sec1.as_bytes()).unwrap();
    assert_eq!(signer.algorithm(), "ES256");
}

#[test]
fn ed25519_signs_and_validates() {
    let dir = tempfile::tempdir().unwrap();
    let files =
        tanba_c2pa::generate_test_credentials_with(dir.path(), tanba_c2pa::KeyType::Ed25519)
            .unwrap();
    let signer = C2paSigner::from_files(&files.cert_chain, &files.private_key).unwrap();
    assert_eq!(signer.algorithm(), "Ed25519");
    for (mime, path) in [
        ("image/jpeg", workspace_fixture("image/sample-photo.jpg")),
        ("video/mp4", workspace_fixture("video/sample.mp4")),
    ] {
        let input = std::fs::read(path).unwrap();
        let (out, m) = embed(mime, &input, SourceKind::Generated, &signer);
        assert_valid_credentials(mime, &out, &m);
        let options = ReadOptions {
            trust_anchors_pem: Some(std::fs::read_to_string(&files.ca_cert).unwrap()),
            sidecar: None,
        };
        let report = tanba_c2pa::inspect(mime, &mut Cursor::new(&out), &options).unwrap();
        assert_eq!(report.state, C2paState::Trusted, "{mime}");
    }

    // An Ed25519 key does not fit an ES256 certificate.
    let es = creds();
    let chain = std::fs::read(&es.files.cert_chain).unwrap();
    let ed_key = std::fs::read(&files.private_key).unwrap();
    let msg = config_error(C2paSigner::from_pem(&chain, &ed_key));
    assert!(msg.contains("private key"), "{msg}");
}

#[test]
fn test_credentials_are_named_untrusted_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let files = tanba_c2pa::generate_test_credentials(dir.path()).unwrap();
    assert!(files.ca_cert.ends_with("UNTRUSTED-test-ca.pem"));
    assert!(files.cert_chain.ends_with("signing-cert-chain.pem"));
    assert!(files.private_key.ends_with("signing-key.pem"));
    assert!(dir.path().join(tanba_c2pa::README_FILE).is_file());
    let chain = std::fs::read_to_string(&files.cert_chain).unwrap();
    assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 2);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&files.private_key), 0o600);
        assert_eq!(mode(&files.ca_key), 0o600);
        assert_eq!(mode(&files.cert_chain), 0o644);
    }
    let again = tanba_c2pa::generate_test_credentials(dir.path()).unwrap_err();
    assert!(matches!(again, Error::Config { .. }), "{again}");
}

#[test]
fn signer_is_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<C2paSigner>();
}

#[test]
fn report_gives_the_c2pa_mark() {
    let c = creds();
    let input = std::fs::read(workspace_fixture("image/sample-photo.jpg")).unwrap();
    let report = tanba_c2pa::inspect(
        "image/jpeg",
        &mut Cursor::new(&input),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(report.mark(), None);
    let (out, _) = embed("image/jpeg", &input, SourceKind::Generated, &c.signer);
    let report = tanba_c2pa::inspect(
        "image/jpeg",
        &mut Cursor::new(&out),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(
        report.mark().map(|m| m.kind),
        Some(tanba_core::MarkKind::C2pa)
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["state"]["state"], "valid");
}

/// A P-256 key rcgen can sign with, to make certificates the C2PA profile
/// refuses (the crate's own generator only makes good ones).
struct TestKey(p256::ecdsa::SigningKey, Vec<u8>);

impl TestKey {
    fn new() -> Self {
        let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
        let public = key
            .verifying_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec();
        TestKey(key, public)
    }
    fn pem(&self) -> String {
        use p256::pkcs8::EncodePrivateKey as _;
        self.0
            .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
            .unwrap()
            .to_string()
    }
}

impl rcgen::PublicKeyData for TestKey {
    fn der_bytes(&self) -> &[u8] {
        &self.1
    }
    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

impl rcgen::SigningKey for TestKey {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        use p256::ecdsa::signature::Signer as _;
        let sig: p256::ecdsa::Signature = self.0.sign(msg);
        Ok(sig.to_der().as_bytes().to_vec())
    }
}

fn params(cn: &str, serial: u8, key: &TestKey) -> rcgen::CertificateParams {
    let mut p = rcgen::CertificateParams::default();
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    p.distinguished_name
        .push(rcgen::DnType::OrganizationName, "Tanba tests");
    p.serial_number = Some(rcgen::SerialNumber::from_slice(&[serial, 1, 2, 3]));
    p.key_identifier_method = rcgen::KeyIdMethod::PreSpecified(key.1[1..21].to_vec());
    p.use_authority_key_identifier_extension = true;
    let now = time::OffsetDateTime::now_utc();
    p.not_before = now - time::Duration::days(1);
    p.not_after = now + time::Duration::days(30);
    p
}

#[test]
fn certificates_the_c2pa_profile_refuses_fail_up_front() {
    let ca_key = TestKey::new();
    let mut ca = params("test CA", 1, &ca_key);
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign];
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = rcgen::Issuer::from_params(&ca, &ca_key);

    let leaf_key = TestKey::new();
    let sign = |leaf: rcgen::CertificateParams| {
        let pem = leaf.signed_by(&leaf_key, &issuer).unwrap().pem();
        C2paSigner::from_pem(
            format!("{pem}{ca_pem}").as_bytes(),
            leaf_key.pem().as_bytes(),
        )
    };

    // A good profile passes: digitalSignature and emailProtection.
    let mut good = params("good signer", 2, &leaf_key);
    good.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    good.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::EmailProtection];
    if let Err(e) = sign(good.clone()) {
        panic!("{e}");
    }

    // Server authentication is not an EKU C2PA accepts.
    let mut tls = good.clone();
    tls.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let msg = config_error(sign(tls));
    assert!(msg.contains("not valid for C2PA"), "{msg}");

    // An end-entity certificate must name an EKU.
    let mut no_eku = good.clone();
    no_eku.extended_key_usages.clear();
    let msg = config_error(sign(no_eku));
    assert!(msg.contains("not valid for C2PA"), "{msg}");

    // C2PA readers name the signer by the subject's organisation.
    let mut anonymous = good.clone();
    anonymous.distinguished_name = rcgen::DistinguishedName::new();
    anonymous
        .distinguished_name
        .push(rcgen::DnType::CommonName, "no organisation");
    let msg = config_error(sign(anonymous));
    assert!(msg.contains("organisation"), "{msg}");

    // Expired.
    let mut old = good;
    old.not_before = rcgen::date_time_ymd(2020, 1, 1);
    old.not_after = rcgen::date_time_ymd(2021, 1, 1);
    let msg = config_error(sign(old));
    assert!(msg.contains("not valid now"), "{msg}");
}

#[test]
fn apply_embeds_where_it_can() {
    let c = creds();
    let input = std::fs::read(workspace_fixture("audio/sample-voice.wav")).unwrap();
    let m = manifest("audio/wav", SourceKind::Generated);
    let mut out = Cursor::new(Vec::new());
    // The original (no manifest of its own) is offered as the parent.
    let mut original = Cursor::new(input.clone());
    let applied = tanba_c2pa::apply(
        "audio/wav",
        &mut Cursor::new(&input),
        &mut out,
        &m,
        SourceKind::Generated,
        &c.signer,
        Some(Parent {
            mime: "audio/wav",
            reader: &mut original,
            sidecar: None,
        }),
    )
    .unwrap();
    assert_eq!(applied, Applied::Embedded);
    assert_valid_credentials("audio/wav", out.get_ref(), &m);
}

#[test]
fn signing_a_signed_file_replaces_its_manifest() {
    let c = creds();
    for (mime, path) in [
        ("image/jpeg", workspace_fixture("image/sample-photo.jpg")),
        ("audio/mpeg", workspace_fixture("audio/sample-music.mp3")),
        ("video/mp4", workspace_fixture("video/sample.mp4")),
    ] {
        let raw = std::fs::read(path).unwrap();
        let (once, _) = embed(mime, &raw, SourceKind::Generated, &c.signer);
        let (twice, m) = embed(mime, &once, SourceKind::Composite, &c.signer);
        let reader = read(mime, &twice);
        assert_eq!(reader.validation_state(), c2pa::ValidationState::Valid);
        assert_eq!(reader.manifests().len(), 1, "{mime}: one store, ours");
        let report =
            tanba_c2pa::inspect(mime, &mut Cursor::new(&twice), &ReadOptions::default()).unwrap();
        assert_eq!(report.tanba_manifest.as_ref(), Some(&m));
        assert_eq!(report.digital_source_type.as_deref(), Some(COMPOSITE));
    }
}
