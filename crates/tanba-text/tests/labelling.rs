#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The labeler as a caller sees it: which files it takes by name, that a
//! forced relabel replaces instead of stacking, that damaged HTML is never
//! reported labelled without a visible banner, and that big files are
//! refused by size before they are read.

use std::io::Cursor;
use std::path::Path;
use std::time::{Duration, Instant};

use tanba_core::{Format, Job, Labeler, Limits, Source, Verification};
use tanba_text::{HTML, MARKDOWN, PLAIN, SRT, STRUCTURED_TEXT, TextLabeler, TextSettings, VTT};

fn label(
    labeler: &TextLabeler,
    input: &[u8],
    format: &'static Format,
    job: &Job,
) -> tanba_core::Result<Vec<u8>> {
    let mut reader = Cursor::new(input);
    let mut out = Cursor::new(Vec::new());
    let source = Source {
        reader: &mut reader,
        format,
        path: None,
        len: input.len() as u64,
    };
    labeler.label(source, &mut out, job)?;
    Ok(out.into_inner())
}

fn verify(labeler: &TextLabeler, input: &[u8], format: &'static Format) -> Verification {
    let mut reader = Cursor::new(input);
    let source = Source {
        reader: &mut reader,
        format,
        path: None,
        len: input.len() as u64,
    };
    labeler.verify(source, &Limits::default()).unwrap()
}

const KK: &str = "Жасанды интеллект көмегімен жасалған";

#[test]
fn plain_text_is_claimed_by_name_and_structured_text_declined() {
    let labeler = TextLabeler::default();
    let structured: [(&str, &str); 13] = [
        ("data.json", "{\"a\": 1}\n"),
        ("events.ndjson", "{\"a\": 1}\n{\"a\": 2}\n"),
        ("x.xml", "<?xml version=\"1.0\"?>\n<root/>\n"),
        ("config.yaml", "key: value\n"),
        ("Cargo.toml", "[package]\nname = \"x\"\n"),
        ("table.csv", "a,b\n1,2\n"),
        ("setup.ini", "[s]\nk=v\n"),
        ("run.sh", "#!/bin/sh\necho hi\n"),
        ("app.py", "print('hi')\n"),
        ("style.css", "p { color: red }\n"),
        ("Makefile", "all:\n\ttrue\n"),
        ("LICENSE", "MIT License\n"),
        (".env", "SECRET=1\n"),
    ];
    for (name, content) in structured {
        let path = Path::new(name);
        assert!(
            labeler.sniff(content.as_bytes(), Some(path)).is_none(),
            "{name}"
        );
        assert_eq!(
            labeler.declines(content.as_bytes(), Some(path)).as_deref(),
            Some(STRUCTURED_TEXT),
            "{name}"
        );
    }
    assert_eq!(STRUCTURED_TEXT, "structured text: a notice would break it");
    // SVG is a picture: left to the image labeler, not declined as text.
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>\n".as_slice();
    for name in [Some(Path::new("logo.svg")), None] {
        assert!(labeler.sniff(svg, name).is_none(), "{name:?}");
        assert_eq!(labeler.declines(svg, name), None, "{name:?}");
    }
    let claimed = [
        ("note.txt", "Сәлем\n", "text"),
        ("NOTE.TXT", "Сәлем\n", "text"),
        ("old.text", "Сәлем\n", "text"),
        ("post.md", "# Сәлем\n", "markdown"),
        ("page.html", "<p>Сәлем</p>", "html"),
        ("index", "<!doctype html><html><head></head></html>", "html"),
        ("subs.srt", "1\n00:00:01,000 --> 00:00:02,000\nӘ\n", "srt"),
        ("subs.vtt", "WEBVTT\n\n00:01.000 --> 00:02.000\nӘ\n", "vtt"),
    ];
    for (name, content, format) in claimed {
        let path = Path::new(name);
        assert_eq!(
            labeler
                .sniff(content.as_bytes(), Some(path))
                .map(|f| f.name),
            Some(format),
            "{name}"
        );
        assert_eq!(
            labeler.declines(content.as_bytes(), Some(path)),
            None,
            "{name}"
        );
    }
    // Without a name the caller vouches for the bytes.
    assert_eq!(
        labeler.sniff(b"{\"a\": 1}\n", None).map(|f| f.name),
        Some("text")
    );
    // Binary content is not declined as text: it is simply not ours.
    assert_eq!(
        labeler.declines(b"\x89PNG\r\n\x1a\n\0\0", Some(Path::new("x.txt"))),
        None
    );
    // The caller can add extensions.
    let mut settings = TextSettings::default();
    settings.plain_text_extensions.push("log".into());
    let labeler = TextLabeler::new(settings);
    assert_eq!(
        labeler
            .sniff(b"started\n", Some(Path::new("run.LOG")))
            .map(|f| f.name),
        Some("text")
    );
}

/// `text` with what differs between two labellings (manifest and AIGC id,
/// time and the hash of the input) replaced.
fn normalised(labeler: &TextLabeler, bytes: &[u8], format: &'static Format) -> String {
    let check = verify(labeler, bytes, format);
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    match (check.manifest, check.manifest_ref) {
        (Some(m), _) => text
            .replace(&m.id, "ID")
            .replace(&m.aigc.produce_id, "PRODUCE_ID")
            .replace(&m.created, "CREATED")
            .replace(&m.source_sha256, "SHA"),
        // A reference: its id (the AIGC's ProduceID too) and digest.
        (None, Some(r)) => text
            .replace(r.id.trim_start_matches("urn:uuid:"), "ID")
            .replace(&r.sha256, "DIGEST"),
        // SubRip: nothing in the file differs between labellings.
        (None, None) => text,
    }
}

#[test]
fn force_replaces_and_never_stacks() {
    let samples: [(&str, &'static Format); 9] = [
        ("Бұл мәтінді модель жазды.\nЕкінші жол.\n", &PLAIN),
        ("no final line break", &PLAIN),
        ("---\ntitle: Жаңалық\n---\n# Тақырып\n\nМәтін.\n", &MARKDOWN),
        ("+++\ntitle = \"x\"\n+++\nBody\n", &MARKDOWN),
        ("```\ncode first\n```\n", &MARKDOWN),
        (
            "<!doctype html><html><head><title>T</title></head><body><p>Сәлем</p></body></html>",
            &HTML,
        ),
        ("<p>fragment</p>", &HTML),
        ("1\r\n00:00:01,000 --> 00:00:02,000\r\nСәлем\r\n", &SRT),
        ("WEBVTT\n\n00:01.000 --> 00:02.000\nӘлем\n", &VTT),
    ];
    let force = Job::new().with_force(true);
    for footer in [true, false] {
        let labeler = TextLabeler::new(TextSettings {
            plain_text_footer: footer,
            ..TextSettings::default()
        });
        for (content, format) in samples {
            if !footer && format.name != "text" {
                continue;
            }
            let once = label(&labeler, content.as_bytes(), format, &Job::default()).unwrap();
            let twice = label(&labeler, &once, format, &force).unwrap();
            let thrice = label(&labeler, &twice, format, &force).unwrap();
            let text = String::from_utf8(thrice.clone()).unwrap();
            // The notice once; the manifest (Markdown, HTML) holds the text too.
            let in_manifest = text.matches(&format!("\"text\":\"{KK}\"")).count();
            assert_eq!(
                text.matches(KK).count() - in_manifest,
                1,
                "{content:?}: {text}"
            );
            assert!(in_manifest <= 1, "{content:?}: {text}");
            if format.name == "srt" {
                // No mark and no id in the file: relabelling gives the same bytes.
                assert_eq!(twice, once, "{content:?}");
                assert_eq!(thrice, once, "{content:?}");
                let err = label(&labeler, &once, format, &Job::default()).unwrap_err();
                assert_eq!(err.kind_name(), "already-labelled");
            } else if footer {
                let check = verify(&labeler, &thrice, format);
                assert!(check.is_compliant(), "{content:?}: {check:?}");
                assert_eq!(
                    normalised(&labeler, &twice, format),
                    normalised(&labeler, &once, format),
                    "{content:?}"
                );
                assert_eq!(
                    normalised(&labeler, &thrice, format),
                    normalised(&labeler, &once, format),
                    "{content:?}"
                );
                assert_eq!(
                    text.matches("\"law\":").count() + text.matches("Tanba-Manifest-Ref").count(),
                    1,
                    "{content:?}: one manifest or one reference"
                );
            } else {
                assert_eq!(twice, once, "{content:?}");
            }
        }
    }
}

/// An input, its format, and how often each needle must be in the output.
type Case = (
    &'static str,
    &'static Format,
    &'static [(&'static str, usize)],
);

#[test]
fn force_counts_each_mark_once_per_format() {
    let labeler = TextLabeler::default();
    let force = Job::new().with_force(true);
    let cases: [Case; 5] = [
        (
            "Мәтін.\n",
            &PLAIN,
            &[
                ("\nAIGC: ", 1),
                ("\nTanba-Manifest-Ref: ", 1),
                ("\"law\"", 0),
            ],
        ),
        (
            "---\ntitle: x\n---\nМәтін.\n",
            &MARKDOWN,
            &[("\nAIGC: ", 1), ("\nTanba-Manifest: ", 1), ("> **", 1)],
        ),
        (
            "<html><head></head><body>x</body></html>",
            &HTML,
            &[
                ("<div data-tanba-label", 1),
                ("<meta name=\"AIGC\"", 1),
                ("<meta name=\"ai-generated\"", 1),
                ("id=\"tanba-manifest\"", 1),
            ],
        ),
        (
            "1\n00:00:01,000 --> 00:00:02,000\nӘ\n",
            &SRT,
            &[
                ("AIGC", 0),
                ("Tanba-Manifest", 0),
                ("1\n00:00:00,000 --> 00:00:04,000", 1),
                ("\n2\n00:00:01,000", 1),
            ],
        ),
        (
            "WEBVTT\n\n00:01.000 --> 00:02.000\nӘ\n",
            &VTT,
            &[
                ("NOTE AIGC", 1),
                ("NOTE Tanba-Manifest-Ref", 1),
                ("tanba-label", 1),
            ],
        ),
    ];
    for (content, format, counts) in cases {
        let once = label(&labeler, content.as_bytes(), format, &Job::default()).unwrap();
        let twice = String::from_utf8(label(&labeler, &once, format, &force).unwrap()).unwrap();
        for (needle, n) in counts {
            assert_eq!(twice.matches(needle).count(), *n, "{needle} in {twice}");
        }
    }
}

#[test]
fn damaged_html_is_labelled_visibly_or_refused() {
    let labeler = TextLabeler::default();
    let visible = [
        "<html><head><title>x</title></head>Мәтін без body",
        "<html><head><title>x</title><p>Мәтін</p>",
        "<html><head><title>x</title></head>",
    ];
    for doc in visible {
        let out = label(&labeler, doc.as_bytes(), &HTML, &Job::default()).unwrap();
        let check = verify(&labeler, &out, &HTML);
        assert!(check.is_compliant(), "{doc}: {check:?}");
        assert!(check.perceptible.found, "{doc}");
    }
    let cut_short = [
        "<html><head><title>x</title>",
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Жаңалық",
        "<html><head><script>let a = 1;",
    ];
    for doc in cut_short {
        let err = label(&labeler, doc.as_bytes(), &HTML, &Job::default()).unwrap_err();
        assert_eq!(err.kind_name(), "malformed", "{doc}: {err}");
        assert!(err.to_string().contains("cut short"), "{err}");
    }
}

#[test]
fn big_text_is_refused_by_size_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.md");
    let mut file = std::fs::File::create(&path).unwrap();
    std::io::Write::write_all(&mut file, "# Тақырып\n".as_bytes()).unwrap();
    file.set_len(500 * 1024 * 1024).unwrap();
    drop(file);
    let labeler = TextLabeler::default();
    for verifying in [false, true] {
        let mut file = std::fs::File::open(&path).unwrap();
        let len = file.metadata().unwrap().len();
        let source = Source {
            reader: &mut file,
            format: &MARKDOWN,
            path: Some(&path),
            len,
        };
        let started = Instant::now();
        let err = if verifying {
            labeler.verify(source, &Limits::default()).unwrap_err()
        } else {
            let mut out = Cursor::new(Vec::new());
            let err = labeler
                .label(source, &mut out, &Job::default())
                .unwrap_err();
            assert!(out.into_inner().is_empty());
            err
        };
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        assert!(
            matches!(
                err,
                tanba_core::Error::LimitExceeded {
                    kind: tanba_core::LimitKind::TextBytes,
                    ..
                }
            ),
            "{err}"
        );
    }
    // A length that lies (a file growing while read) is caught as well.
    let limits = Limits {
        max_text_bytes: 8,
        ..Limits::default()
    };
    let input = b"1234567890\n";
    let mut reader = Cursor::new(&input[..]);
    let source = Source {
        reader: &mut reader,
        format: &PLAIN,
        path: None,
        len: 4,
    };
    let err = labeler.verify(source, &limits).unwrap_err();
    assert_eq!(err.kind_name(), "limit-exceeded");
}

#[test]
fn subtitle_cues_are_counted_against_max_objects() {
    let labeler = TextLabeler::default();
    let mut srt = String::new();
    for i in 1..=50 {
        srt.push_str(&format!(
            "{i}\n00:00:{:02},000 --> 00:00:{:02},500\nӘ\n\n",
            i % 60,
            i % 60
        ));
    }
    let job = Job::new().with_limits(Limits {
        max_objects: 10,
        ..Limits::default()
    });
    let err = label(&labeler, srt.as_bytes(), &SRT, &job).unwrap_err();
    assert!(
        matches!(
            err,
            tanba_core::Error::LimitExceeded {
                kind: tanba_core::LimitKind::Objects,
                ..
            }
        ),
        "{err}"
    );
    assert!(label(&labeler, srt.as_bytes(), &SRT, &Job::default()).is_ok());
}

#[test]
fn force_with_another_label_replaces_the_old_notice() {
    let labeler = TextLabeler::default();
    let english = Job::new().with_label(tanba_core::Label::standard(
        &[tanba_core::Lang::En],
        tanba_core::Wording::Short,
    ));
    let force = Job::new().with_force(true);
    let samples: [(&str, &'static Format); 5] = [
        ("Мәтін.\n", &PLAIN),
        ("# Тақырып\n", &MARKDOWN),
        ("<html><head></head><body>x</body></html>", &HTML),
        ("1\n00:00:01,000 --> 00:00:02,000\nӘ\n", &SRT),
        ("WEBVTT\n\n00:01.000 --> 00:02.000\nӘ\n", &VTT),
    ];
    for (content, format) in samples {
        let english_once = label(&labeler, content.as_bytes(), format, &english).unwrap();
        let replaced = label(&labeler, &english_once, format, &force).unwrap();
        let text = String::from_utf8(replaced.clone()).unwrap();
        assert!(!text.contains("Created with AI"), "{text}");
        let direct = label(&labeler, content.as_bytes(), format, &Job::default()).unwrap();
        assert_eq!(
            normalised(&labeler, &replaced, format),
            normalised(&labeler, &direct, format),
            "{content:?}"
        );
    }
}
