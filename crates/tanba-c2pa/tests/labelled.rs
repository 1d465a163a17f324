//! Files labelled by the real image labeller, then signed: the C2PA
//! manifest validates and Tanba's own marks and badge are still found.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;
use std::path::Path;

use tanba_c2pa::{Applied, C2paSigner, C2paState, ReadOptions};
use tanba_core::{AiSystem, Job, Labeler, Limits, Source, SourceKind};
use tanba_image::ImageLabeler;

#[test]
fn labelled_images_keep_their_marks_and_validate() {
    let dir = tempfile::tempdir().unwrap();
    let creds = tanba_c2pa::generate_test_credentials(dir.path()).unwrap();
    let signer = C2paSigner::from_files(&creds.cert_chain, &creds.private_key).unwrap();
    let labeler = ImageLabeler::default();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let job = Job::new().with_ai_system(AiSystem {
        name: "Test Diffusion".into(),
        version: None,
    });
    for file in [
        root.join("../../fixtures/image/sample-photo.jpg"),
        root.join("../../fixtures/image/sample-generated.png"),
        root.join("tests/data/sample.webp"),
        root.join("tests/data/sample.gif"),
        root.join("tests/data/sample.tiff"),
    ] {
        let original = std::fs::read(&file).unwrap();
        let (labelled, done) = labeler.label_bytes(&original, Some(&file), &job).unwrap();
        let mime = done.format.mime;
        let mut out = Cursor::new(Vec::new());
        let mut parent = Cursor::new(original.clone());
        let applied = tanba_c2pa::apply(
            mime,
            &mut Cursor::new(&labelled),
            &mut out,
            &done.manifest,
            SourceKind::Generated,
            &signer,
            Some(tanba_c2pa::Parent {
                mime,
                reader: &mut parent,
                sidecar: None,
            }),
        )
        .unwrap();
        assert_eq!(applied, Applied::Embedded, "{mime}");
        let signed = out.into_inner();

        let report =
            tanba_c2pa::inspect(mime, &mut Cursor::new(&signed), &ReadOptions::default()).unwrap();
        assert_eq!(report.state, C2paState::Valid, "{mime}");
        assert_eq!(report.tanba_manifest.as_ref(), Some(&done.manifest));

        // Tanba's verify still finds its marks and the badge (for TIFF too:
        // the IFD c2pa adds after the image's, holding only tag 0xCD41, is
        // not taken for a second page).
        let format = labeler.sniff(&signed, None).unwrap();
        let verification = labeler
            .verify(
                Source {
                    reader: &mut Cursor::new(&signed),
                    format,
                    path: None,
                    len: signed.len() as u64,
                },
                &Limits::default(),
            )
            .unwrap();
        assert!(verification.is_compliant(), "{mime}: {verification:?}");
        assert_eq!(verification.manifest.as_ref(), Some(&done.manifest));
    }
}
