//! PDFs encrypted only to restrict changes (they open with the empty user
//! password), made by qpdf as people make them: labelled, and written back
//! encrypted with the same algorithm, permissions and owner password, in
//! both write modes. Checked with qpdf, pdftotext and exiftool.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::*;
use tanba_core::Job;
use tanba_pdf::PdfSettings;

/// (name, bits and options for `qpdf --encrypt "" owner BITS ...`, the algorithm the note names)
const CASES: [(&str, &[&str], &str); 5] = [
    (
        "aes-256",
        &["256", "--modify=none", "--extract=n"],
        "AES-256",
    ),
    // The metadata stream left in the clear (`/EncryptMetadata false`): ours too.
    (
        "aes-256-clear-metadata",
        &["256", "--cleartext-metadata", "--modify=none"],
        "AES-256",
    ),
    (
        "aes-128",
        &["128", "--use-aes=y", "--modify=none", "--extract=n"],
        "AES-128",
    ),
    (
        "rc4-128",
        &["128", "--use-aes=n", "--modify=none", "--extract=n"],
        "RC4 128-bit",
    ),
    ("rc4-40", &["40", "--modify=n", "--extract=n"], "RC4 40-bit"),
];

fn encrypted(user: &str, options: &[&str]) -> Vec<u8> {
    // qpdf writes RC4 only when allowed to (a global option).
    let mut args = vec!["--allow-weak-crypto", "--encrypt", user, "owner"];
    args.extend_from_slice(options);
    args.push("--");
    qpdf_rewrite(&simple(3), &args)
}

/// `qpdf --show-encryption` with `password` (empty: none), and its exit code.
fn show_encryption(pdf: &[u8], password: &str) -> (String, Option<i32>) {
    let dir = tmp();
    let p = write(dir.path(), "s.pdf", pdf);
    let out = Command::new("qpdf")
        .arg(format!("--password={password}"))
        .arg("--show-encryption")
        .arg(&p)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (text, out.status.code())
}

/// The lines that describe the encryption: R, V, P, the methods and each
/// permission (not the line naming which password was supplied).
fn encryption_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.contains("password"))
        .map(str::to_string)
        .collect()
}

#[test]
fn restricted_pdfs_are_labelled_and_stay_encrypted_as_they_came() {
    for (name, options, algorithm) in CASES {
        let input = encrypted("", options);
        let (before, code) = show_encryption(&input, "");
        assert_eq!(code, Some(0), "{name}: {before}");
        assert!(before.contains("R = "), "{name}: not encrypted: {before}");
        for rewrite in [false, true] {
            let mode = if rewrite { "rewrite" } else { "incremental" };
            let settings = PdfSettings {
                rewrite,
                ..PdfSettings::default()
            };
            let (output, labelled) = label_with(settings, &input, &Job::default()).unwrap();
            let note =
                format!("encrypted PDF: labelled and re-encrypted, {algorithm}, permissions kept");
            assert!(
                labelled.notes.contains(&note),
                "{name} ({mode}): {:?}",
                labelled.notes
            );
            if !rewrite {
                assert!(output.starts_with(&input), "{name}: original bytes changed");
            }
            // Our XMP packet is encrypted like the rest, unless the input
            // keeps its metadata in the clear.
            let clear = output.windows(11).any(|w| w == b"<x:xmpmeta ");
            assert_eq!(clear, name.ends_with("clear-metadata"), "{name} ({mode})");
            // Same R, V, P, methods and permissions, still opening without a password.
            let (after, code) = show_encryption(&output, "");
            assert_eq!(code, Some(0), "{name} ({mode}): {after}");
            assert_eq!(
                encryption_lines(&after),
                encryption_lines(&before),
                "{name} ({mode})"
            );
            // The owner password still opens it as the owner.
            let (owner, code) = show_encryption(&output, "owner");
            assert_eq!(code, Some(0), "{name} ({mode}): {owner}");
            assert!(
                owner.contains("Supplied password is owner password"),
                "{name} ({mode}): {owner}"
            );
            assert_qpdf_clean(&output);
            let poppler = poppler_errors(&output);
            assert!(poppler.is_empty(), "{name} ({mode}): poppler: {poppler}");
            for page in 1..=3 {
                let text = page_text(&output, page);
                assert!(
                    text.contains(KK) && text.contains(RU),
                    "{name} ({mode}) page {page}: {text}"
                );
                assert!(
                    text.contains(&format!("Report page {page}")),
                    "{name}: {text}"
                );
            }
            let v = verify(&output).unwrap();
            assert!(v.is_compliant(), "{name} ({mode}): {v:?}");
            assert!(v.perceptible.found, "{name} ({mode}): {v:?}");
            // exiftool decrypts with the empty password and reads the marks.
            let exif = exiftool(&output);
            assert!(
                exif["XMP-TC260:Aigc"].is_string()
                    && exif["XMP-iptcExt:DigitalSourceType"].is_string(),
                "{name} ({mode}): {exif}"
            );
        }
    }
}

#[test]
fn refuse_encrypted_keeps_the_refusal() {
    let input = encrypted("", CASES[0].1);
    let settings = PdfSettings {
        refuse_encrypted: true,
        ..PdfSettings::default()
    };
    let (output, result) = label_into(settings, &input, &Job::default());
    let e = result.unwrap_err();
    assert_eq!(e.kind_name(), "encrypted");
    assert!(e.to_string().contains("AES-256"), "{e}");
    assert!(output.is_empty());
    // verify still reads it (nothing to find: it is not labelled yet).
    assert!(!verify(&input).unwrap().is_compliant());
}

#[test]
fn a_pdf_that_needs_a_password_is_refused_for_every_algorithm() {
    for (name, options, _) in CASES {
        let input = encrypted("user", options);
        let (output, result) = label_into(PdfSettings::default(), &input, &Job::default());
        let e = result.unwrap_err();
        assert_eq!(e.kind_name(), "encrypted", "{name}: {e}");
        assert!(e.to_string().contains("needs a password"), "{name}: {e}");
        assert!(output.is_empty(), "{name}");
        assert_eq!(
            verify(&input).unwrap_err().kind_name(),
            "encrypted",
            "{name}"
        );
    }
}

/// A labelled encrypted file relabelled with `force` keeps its encryption and
/// carries one banner per page.
#[test]
fn forced_relabel_of_an_encrypted_output_stays_encrypted() {
    let input = encrypted("", CASES[0].1);
    let (once, _) = label(&input);
    assert_eq!(
        label_with(PdfSettings::default(), &once, &Job::default())
            .unwrap_err()
            .kind_name(),
        "already-labelled"
    );
    let job = Job::new().with_force(true);
    let (twice, _) = label_with(PdfSettings::default(), &once, &job).unwrap();
    let (after, code) = show_encryption(&twice, "");
    assert_eq!(code, Some(0), "{after}");
    assert!(after.contains("R = 6"), "{after}");
    assert_eq!(page_text(&twice, 2).matches(KK).count(), 1);
    assert!(verify(&twice).unwrap().is_compliant());
}

/// An encrypted input with object streams and a cross-reference stream (as
/// qpdf writes by default for PDF 1.5+): both modes give a file poppler and
/// qpdf read without a complaint, still encrypted alike.
#[test]
fn encrypted_input_with_object_streams() {
    let input = qpdf_rewrite(
        &simple(3),
        &[
            "--object-streams=generate",
            "--encrypt",
            "",
            "owner",
            "256",
            "--modify=none",
            "--",
        ],
    );
    let (before, _) = show_encryption(&input, "");
    for rewrite in [false, true] {
        let settings = PdfSettings {
            rewrite,
            ..PdfSettings::default()
        };
        let (output, _) = label_with(settings, &input, &Job::default()).unwrap();
        let (after, code) = show_encryption(&output, "");
        assert_eq!(code, Some(0), "{after}");
        assert_eq!(encryption_lines(&after), encryption_lines(&before));
        assert_qpdf_clean(&output);
        let poppler = poppler_errors(&output);
        assert!(poppler.is_empty(), "rewrite {rewrite}: poppler: {poppler}");
        assert!(page_text(&output, 3).contains(KK));
        assert!(verify(&output).unwrap().is_compliant());
    }
}
