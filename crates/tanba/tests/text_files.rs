#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End-to-end: label every text format through the facade, read the marks
//! back, and check the bad-input promises (typed error, no output, input
//! untouched).

use std::path::{Path, PathBuf};

use tanba::text::{TextLabeler, TextSettings};
use tanba::{Error, Job, Label, Labeler, Lang, Registry, SignatureState, Wording};

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

const SAMPLES: [(&str, &str, &str); 6] = [
    (
        "note.txt",
        "text",
        "Бұл мәтінді модель жазды.\nЕкінші жол.\n",
    ),
    (
        "post.md",
        "markdown",
        "---\ntitle: Жаңалық\n---\n# Тақырып\n\nМәтін.\n",
    ),
    ("plain.md", "markdown", "```\ncode first\n```\n"),
    (
        "page.html",
        "html",
        "<!doctype html><html><head><title>T</title></head><body><p>Сәлем</p></body></html>",
    ),
    (
        "subs.srt",
        "srt",
        "1\n00:00:01,000 --> 00:00:02,000\nСәлем\n",
    ),
    (
        "subs.vtt",
        "vtt",
        "WEBVTT\n\n00:01.000 --> 00:02.000\nӘлем\n",
    ),
];

/// A registry that writes manifest sidecars beside plain text and WebVTT
/// (SubRip gets one always).
fn with_sidecars() -> Registry {
    let mut settings = tanba::Settings::default();
    settings.text.manifest_sidecar = true;
    Registry::with_settings(&settings)
}

#[test]
fn every_text_format_round_trips() {
    let d = dir();
    let registry = with_sidecars();
    for (name, format, content) in SAMPLES {
        let input = write(d.path(), name, content.as_bytes());
        let output = d.path().join("out").join(name);
        let outcome = registry
            .label_file(&input, &output, &Job::default())
            .unwrap();
        assert_eq!(outcome.output, output);
        assert_eq!(outcome.labelled.format.name, format, "{name}");
        let sidecar = matches!(format, "text" | "srt" | "vtt");
        assert_eq!(
            outcome.manifest_sidecar,
            sidecar.then(|| tanba::text::sidecar_path(&output)),
            "{name}"
        );
        assert_eq!(
            std::fs::read_to_string(&input).unwrap(),
            content,
            "input touched"
        );
        let text = std::fs::read_to_string(&output).unwrap();
        assert!(
            text.contains("Жасанды интеллект көмегімен жасалған"),
            "{name}: {text}"
        );
        assert!(
            text.contains("Создано с помощью искусственного интеллекта"),
            "{name}"
        );
        let check = registry
            .verify_file(&output, &tanba::Limits::default())
            .unwrap();
        assert!(check.is_compliant(), "{name}: {check:?}");
        let manifest = check.manifest.unwrap();
        assert_eq!(
            manifest.source_sha256,
            tanba::manifest::sha256_hex(content.as_bytes())
        );
        assert_eq!(manifest.media_type, outcome.labelled.format.mime);
        // The unlabelled input carries nothing.
        let bare = registry
            .verify_file(&input, &tanba::Limits::default())
            .unwrap();
        assert!(!bare.is_compliant() && bare.marks.is_empty(), "{name}");
    }
}

#[test]
fn labelling_twice_does_not_stack() {
    let d = dir();
    let registry = Registry::default();
    let input = write(d.path(), "a.md", "# Х\n".as_bytes());
    let once = d.path().join("once.md");
    registry.label_file(&input, &once, &Job::default()).unwrap();
    let twice = d.path().join("twice.md");
    let err = registry
        .label_file(&once, &twice, &Job::default())
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyLabelled { .. }), "{err}");
    assert!(!twice.exists());
    let forced = Job::new().with_force(true);
    registry.label_file(&once, &twice, &forced).unwrap();
    // Replaced, not stacked: one AIGC key, one notice, as after one label.
    let count = |p: &Path, what: &str| std::fs::read_to_string(p).unwrap().matches(what).count();
    for what in ["AIGC:", "Tanba-Manifest:", "> **"] {
        assert_eq!(count(&twice, what), count(&once, what), "{what}");
        assert_eq!(count(&once, what), 1, "{what}");
    }
}

#[test]
fn encodings_and_line_endings_are_kept() {
    let d = dir();
    let registry = Registry::default();
    let text = "Сәлем\r\nәлем\r\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.as_bytes());
    for (name, bytes) in [("u16.txt", utf16), ("bom.md", bom)] {
        let input = write(d.path(), name, &bytes);
        let output = d.path().join(format!("out-{name}"));
        registry
            .label_file(&input, &output, &Job::default())
            .unwrap();
        let out = std::fs::read(&output).unwrap();
        assert_eq!(out[..2], bytes[..2], "{name}: BOM lost");
        let decoded = if name.starts_with("u16") {
            let units: Vec<u16> = out[2..]
                .chunks(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).unwrap()
        } else {
            String::from_utf8(out[3..].to_vec()).unwrap()
        };
        assert!(decoded.ends_with(text) || decoded.contains(text), "{name}");
        assert!(
            !decoded.replace("\r\n", "").contains('\n'),
            "{name}: LF inserted in a CRLF file"
        );
        assert!(
            registry
                .verify_file(&output, &tanba::Limits::default())
                .unwrap()
                .is_compliant()
        );
    }
}

#[test]
fn windows_1251_is_refused_or_decoded_never_mangled() {
    let d = dir();
    let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode("Привет, мир\n");
    let input = write(d.path(), "legacy.txt", &cp1251);
    let output = d.path().join("out.txt");
    let err = Registry::default()
        .label_file(&input, &output, &Job::default())
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    assert!(
        err.to_string().contains("legacy.txt") && err.to_string().contains("UTF-8"),
        "{err}"
    );
    assert!(!output.exists());
    // Named, with a label it can hold (Russian): decoded and kept in 1251.
    let settings = TextSettings::default()
        .with_legacy_encoding("windows-1251")
        .unwrap();
    let mut registry = Registry::empty();
    registry.register(TextLabeler::new(settings));
    let job = Job::new().with_label(Label::standard(&[Lang::Ru], Wording::Long));
    registry.label_file(&input, &output, &job).unwrap();
    let written = std::fs::read(&output).unwrap();
    let (text, _, errors) = encoding_rs::WINDOWS_1251.decode(&written);
    assert!(!errors);
    assert!(
        text.starts_with("Создано с помощью искусственного интеллекта\r\n")
            || text.starts_with("Создано с помощью искусственного интеллекта\n")
    );
    assert!(text.contains("Привет, мир"));
    // With Kazakh letters it cannot hold: refused, nothing written.
    std::fs::remove_file(&output).unwrap();
    let err = registry
        .label_file(&input, &output, &Job::default())
        .unwrap_err();
    assert!(matches!(err, Error::CannotLabel { .. }), "{err}");
    assert!(!output.exists());
}

#[test]
fn bad_input_gives_typed_errors_and_no_output() {
    let d = dir();
    let registry = Registry::default();
    let cases: [(&str, &[u8], &str); 3] = [
        (
            "binary.md",
            b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00",
            "unsupported",
        ),
        (
            "invalid.md",
            b"# ok\n\xff\xfe\xfd bad utf-8 \x01\x02",
            "unsupported",
        ),
        ("empty.md", b"", "malformed"),
    ];
    for (name, bytes, kind) in cases {
        let input = write(d.path(), name, bytes);
        let out_dir = d.path().join(format!("out-{name}"));
        let err = registry
            .label_file(&input, &out_dir.join(name), &Job::default())
            .unwrap_err();
        assert_eq!(err.kind_name(), kind, "{name}: {err}");
        assert!(err.to_string().contains(name), "{err}");
        assert_eq!(std::fs::read(&input).unwrap(), bytes, "input touched");
        let left = if out_dir.exists() {
            files_in(&out_dir)
        } else {
            Vec::new()
        };
        assert!(left.is_empty(), "{name}: left {left:?}");
    }
}

/// A labeler that removes or changes its input half-way, as a file that
/// vanishes or is rewritten while a bulk job runs.
#[derive(Debug)]
struct Interfering {
    inner: TextLabeler,
    remove: bool,
}

impl Labeler for Interfering {
    fn name(&self) -> &'static str {
        "interfering"
    }
    fn formats(&self) -> &'static [&'static tanba::Format] {
        self.inner.formats()
    }
    fn sniff(&self, head: &[u8], name: Option<&Path>) -> Option<&'static tanba::Format> {
        self.inner.sniff(head, name)
    }
    fn label(
        &self,
        source: tanba::Source<'_>,
        output: &mut dyn tanba::WriteSeek,
        job: &Job,
    ) -> tanba::Result<tanba::Labelled> {
        let path = source.path.unwrap().to_path_buf();
        let result = self.inner.label(source, output, job);
        if self.remove {
            std::fs::remove_file(&path).unwrap();
        } else {
            std::fs::write(&path, "rewritten meanwhile, longer than before").unwrap();
        }
        result
    }
    fn verify(
        &self,
        source: tanba::Source<'_>,
        limits: &tanba::Limits,
    ) -> tanba::Result<tanba::Verification> {
        self.inner.verify(source, limits)
    }
}

#[test]
fn a_file_that_vanishes_or_changes_is_reported_not_published() {
    for remove in [true, false] {
        let d = dir();
        let input = write(d.path(), "moving.txt", "мәтін\n".as_bytes());
        let out_dir = d.path().join("out");
        let mut registry = Registry::empty();
        registry.register(Interfering {
            inner: TextLabeler::default(),
            remove,
        });
        let err = registry
            .label_file(&input, &out_dir.join("moving.txt"), &Job::default())
            .unwrap_err();
        assert!(err.to_string().contains("moving.txt"), "{err}");
        assert!(files_in(&out_dir).is_empty(), "partial output left");
    }
}

#[test]
fn bytes_in_bytes_out_and_signatures() {
    let key = std::sync::Arc::new(tanba::signing::SigningKey::from_bytes(&[9u8; 32]));
    let job = Job::new().with_signing_key(key);
    let registry = Registry::default();
    // Markdown keeps the whole manifest in the file.
    let (out, labelled) = registry
        .label_bytes("Сәлем\n".as_bytes(), Some(Path::new("x.md")), &job)
        .unwrap();
    assert_eq!(labelled.format.name, "markdown");
    let check = registry
        .verify_bytes(&out, Some(Path::new("x.md")), &tanba::Limits::default())
        .unwrap();
    assert!(matches!(check.signature, SignatureState::Valid { .. }));
    // Tampering with the manifest breaks the signature, and verify says so.
    let text = String::from_utf8(out)
        .unwrap()
        .replace("\"law\":\"Law", "\"law\":\"Lew");
    let check = registry
        .verify_bytes(
            text.as_bytes(),
            Some(Path::new("x.md")),
            &tanba::Limits::default(),
        )
        .unwrap();
    assert!(matches!(check.signature, SignatureState::Invalid { .. }));
    assert!(!check.is_compliant());
}

#[test]
fn limits_are_checked_before_reading() {
    let d = dir();
    let input = write(d.path(), "big.txt", &[b'a'; 4096]);
    let job = Job::new().with_limits(tanba::Limits {
        max_bytes: 1000,
        ..Default::default()
    });
    let err = Registry::default()
        .label_file(&input, &d.path().join("o.txt"), &job)
        .unwrap_err();
    assert_eq!(err.kind_name(), "limit-exceeded", "{err}");
}

#[test]
fn structured_text_is_left_alone_with_a_reason() {
    let d = dir();
    let registry = Registry::default();
    let files: [(&str, &str); 7] = [
        ("data.json", "{\"a\": [1, 2]}\n"),
        ("x.xml", "<?xml version=\"1.0\"?>\n<root><a/></root>\n"),
        ("table.csv", "a,b\n1,2\n"),
        ("run.sh", "#!/bin/sh\necho hi\n"),
        ("app.py", "print('hi')\n"),
        ("Makefile", "all:\n\ttrue\n"),
        (".env", "SECRET=1\n"),
    ];
    for (name, content) in files {
        let input = write(d.path(), name, content.as_bytes());
        let out_dir = d.path().join(format!("out-{name}"));
        let err = registry
            .label_file(&input, &out_dir.join(name), &Job::default())
            .unwrap_err();
        assert_eq!(err.kind_name(), "unsupported", "{name}: {err}");
        assert!(!out_dir.exists() || files_in(&out_dir).is_empty(), "{name}");
        assert_eq!(std::fs::read_to_string(&input).unwrap(), content);
        let reasons: Vec<String> = registry
            .labelers()
            .filter_map(|l| l.declines(content.as_bytes(), Some(&input)))
            .collect();
        assert_eq!(
            reasons,
            [tanba::text::STRUCTURED_TEXT],
            "{name}: the text labeler says why"
        );
    }
}

#[test]
fn forced_relabel_through_the_facade_replaces() {
    let d = dir();
    let registry = Registry::default();
    let forced = Job::new().with_force(true);
    for (name, _, content) in SAMPLES {
        let input = write(d.path(), name, content.as_bytes());
        let once = d.path().join("once").join(name);
        let twice = d.path().join("twice").join(name);
        registry.label_file(&input, &once, &Job::default()).unwrap();
        registry.label_file(&once, &twice, &forced).unwrap();
        let text = std::fs::read_to_string(&twice).unwrap();
        // One notice; the manifest (Markdown, HTML) holds the text in UTF-8 too.
        let kk = "Жасанды интеллект көмегімен жасалған";
        let in_manifest = text.matches(&format!("\"text\":\"{kk}\"")).count();
        assert_eq!(text.matches(kk).count() - in_manifest, 1, "{name}: {text}");
        // One manifest (Markdown, HTML) or one reference (plain text,
        // WebVTT); SubRip has neither, its mark is in the sidecar.
        let carried = text.matches("\"law\":").count() + text.matches("Tanba-Manifest-Ref").count();
        assert_eq!(carried, usize::from(name != "subs.srt"), "{name}: {text}");
        let check = registry
            .verify_file(&twice, &tanba::Limits::default())
            .unwrap();
        assert!(check.is_compliant(), "{name}: {check:?}");
        let once_len = std::fs::metadata(&once).unwrap().len();
        assert_eq!(std::fs::metadata(&twice).unwrap().len(), once_len, "{name}");
    }
}

#[test]
fn damaged_html_label_and_verify_agree() {
    let d = dir();
    let registry = Registry::default();
    for (name, doc) in [
        ("cut.html", "<html><head><title>x</title>"),
        ("nobody.html", "<html><head><title>x</title></head>Мәтін"),
        ("implied.html", "<html><head><title>x</title><p>Мәтін</p>"),
    ] {
        let input = write(d.path(), name, doc.as_bytes());
        let output = d.path().join("out").join(name);
        match registry.label_file(&input, &output, &Job::default()) {
            Ok(_) => {
                let check = registry
                    .verify_file(&output, &tanba::Limits::default())
                    .unwrap();
                assert!(check.is_compliant(), "{name}: {check:?}");
            }
            Err(err) => {
                assert_eq!(err.kind_name(), "malformed", "{name}: {err}");
                assert!(!output.exists(), "{name}");
                assert_eq!(name, "cut.html", "{err}");
            }
        }
    }
}

#[test]
fn big_markdown_is_refused_by_the_text_size_limit() {
    let d = dir();
    let path = d.path().join("big.md");
    // Text for the whole sniffed head, then a sparse tail: 500 MB on paper.
    let mut head = String::new();
    while head.len() < 10_000 {
        head.push_str("# Тақырып\n\nМәтін.\n\n");
    }
    std::fs::write(&path, &head).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(500 * 1024 * 1024)
        .unwrap();
    let out_dir = d.path().join("out");
    let started = std::time::Instant::now();
    let err = Registry::default()
        .label_file(&path, &out_dir.join("big.md"), &Job::default())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                kind: tanba::LimitKind::TextBytes,
                ..
            }
        ),
        "{err}"
    );
    assert!(!out_dir.exists() || files_in(&out_dir).is_empty());
    let err = Registry::default()
        .verify_file(&path, &tanba::Limits::default())
        .unwrap_err();
    assert_eq!(err.kind_name(), "limit-exceeded", "{err}");
    eprintln!("500 MB Markdown refused in {:?}", started.elapsed());
}

#[test]
fn a_sidecar_must_hold_the_manifest_the_file_refers_to() {
    let d = dir();
    let registry = with_sidecars();
    let input = write(d.path(), "note.txt", "Бұл мәтін.\n".as_bytes());
    let output = d.path().join("out").join("note.txt");
    let outcome = registry
        .label_file(&input, &output, &Job::default())
        .unwrap();
    let sidecar = outcome.manifest_sidecar.unwrap();
    let limits = tanba::Limits::default();
    let check = registry.verify_file(&output, &limits).unwrap();
    assert!(check.is_compliant(), "{check:?}");
    let reference = check.manifest_ref.clone().unwrap();
    assert_eq!(check.manifest.as_ref().unwrap().reference(), reference);
    assert!(
        check
            .marks
            .iter()
            .any(|m| m.carrier.starts_with("sidecar note.txt.tanba.json"))
    );
    // Edited sidecar: not intact.
    let edited = std::fs::read_to_string(&sidecar)
        .unwrap()
        .replace("unspecified", "someone else");
    std::fs::write(&sidecar, edited).unwrap();
    let check = registry.verify_file(&output, &limits).unwrap();
    assert!(!check.is_compliant(), "{check:?}");
    assert!(matches!(check.signature, SignatureState::Invalid { .. }));
    // No sidecar: the reference alone still marks the file.
    std::fs::remove_file(&sidecar).unwrap();
    let check = registry.verify_file(&output, &limits).unwrap();
    assert!(check.is_compliant(), "{check:?}");
    assert_eq!(check.manifest_ref, Some(reference));
    assert!(check.manifest.is_none());
}

#[test]
fn subrip_is_marked_by_its_sidecar_and_refused_as_bytes() {
    let d = dir();
    let registry = Registry::default();
    let srt = "1\n00:00:01,000 --> 00:00:02,000\nСәлем\n";
    let input = write(d.path(), "a.srt", srt.as_bytes());
    let output = d.path().join("out").join("a.srt");
    let outcome = registry
        .label_file(&input, &output, &Job::default())
        .unwrap();
    assert_eq!(
        files_in(&d.path().join("out")),
        ["a.srt", "a.srt.tanba.json"],
        "the output and its sidecar, no temporary file"
    );
    assert!(outcome.labelled.notes.iter().any(|n| n.contains("sidecar")));
    let limits = tanba::Limits::default();
    let check = registry.verify_file(&output, &limits).unwrap();
    assert!(check.is_compliant(), "{check:?}");
    std::fs::remove_file(outcome.manifest_sidecar.unwrap()).unwrap();
    let check = registry.verify_file(&output, &limits).unwrap();
    assert!(!check.has_machine_mark(), "{check:?}");
    let err = registry
        .label_bytes(srt.as_bytes(), Some(Path::new("a.srt")), &Job::default())
        .unwrap_err();
    assert_eq!(err.kind_name(), "cannot-label", "{err}");
}
