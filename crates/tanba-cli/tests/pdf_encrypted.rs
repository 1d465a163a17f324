//! PDFs encrypted only to restrict changes, and PDFs with damaged
//! cross-reference data, through the command line: made by qpdf as people
//! make them, checked with qpdf, pdftotext and exiftool.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

const KK: &str = "Жасанды интеллект көмегімен жасалған";

/// Runs `program` and returns its exit code and everything it printed.
fn run(program: &str, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(program).args(args).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}

/// The report fixture encrypted by qpdf with `user` and the owner password `owner`.
fn encrypt(dir: &Path, name: &str, user: &str, options: &[&str]) -> std::path::PathBuf {
    let path = dir.join(name);
    let input = fixture("pdf/report.pdf");
    let mut args = vec!["--allow-weak-crypto", "--encrypt", user, "owner"];
    args.extend_from_slice(options);
    args.extend(["--", s(&input), s(&path)]);
    let (code, text) = run("qpdf", &args);
    assert_eq!(code, Some(0), "{text}");
    path
}

/// `qpdf --show-encryption` without the lines that name the password used.
fn encryption(pdf: &Path, password: &str) -> (Option<i32>, String) {
    let (code, text) = run(
        "qpdf",
        &[
            &format!("--password={password}"),
            "--show-encryption",
            s(pdf),
        ],
    );
    let lines: Vec<&str> = text.lines().filter(|l| !l.contains("password")).collect();
    (code, lines.join("\n"))
}

fn reason(report_path: &Path) -> String {
    report(report_path)["files"][0]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn restricted_pdfs_are_labelled_and_keep_their_encryption() {
    let d = tempfile::tempdir().unwrap();
    for (name, options, algorithm) in [
        (
            "aes256.pdf",
            &["256", "--modify=none", "--extract=n"][..],
            "AES-256",
        ),
        (
            "aes128.pdf",
            &["128", "--use-aes=y", "--modify=none"][..],
            "AES-128",
        ),
        (
            "rc4-128.pdf",
            &["128", "--use-aes=n", "--print=none"][..],
            "RC4 128-bit",
        ),
        ("rc4-40.pdf", &["40", "--modify=n"][..], "RC4 40-bit"),
    ] {
        let input = encrypt(d.path(), name, "", options);
        let folder = d.path().join("out");
        let out = folder.join(name);
        let rep = d.path().join(format!("{name}.json"));
        let o = tanba(&[
            "label",
            s(&input),
            "--out",
            s(&folder),
            "--report",
            s(&rep),
            "-q",
        ]);
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            reason(&rep).contains(&format!(
                "encrypted PDF: labelled and re-encrypted, {algorithm}, permissions kept"
            )),
            "{name}: {}",
            reason(&rep)
        );
        let before = encryption(&input, "");
        assert_eq!(before.0, Some(0));
        assert_eq!(
            encryption(&out, ""),
            before,
            "{name}: R, V, P or methods changed"
        );
        let (code, owner) = run("qpdf", &["--password=owner", "--show-encryption", s(&out)]);
        assert_eq!(code, Some(0), "{name}: {owner}");
        assert!(
            owner.contains("Supplied password is owner password"),
            "{name}: {owner}"
        );
        let (code, check) = run("qpdf", &["--check", s(&out)]);
        assert!(
            code == Some(0) && !check.contains("WARNING"),
            "{name}: {check}"
        );
        // The fixture has three pages: one banner each, read without a password.
        let (code, text) = run("pdftotext", &["-enc", "UTF-8", s(&out), "-"]);
        assert_eq!(code, Some(0), "{name}: {text}");
        assert_eq!(text.matches(KK).count(), 3, "{name}: {text}");
        assert!(!text.contains("Error"), "{name}: poppler: {text}");
        let v = tanba(&["verify", s(&out)]);
        assert!(
            v.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&v.stdout)
        );
        assert!(String::from_utf8_lossy(&v.stdout).contains("labelled"));
    }
}

#[test]
fn refusals_exit_1_with_the_reason() {
    let d = tempfile::tempdir().unwrap();
    // A password to open: always refused.
    let locked = encrypt(d.path(), "locked.pdf", "user", &["256"]);
    // Only restricted: refused with the flag or the config key.
    let restricted = encrypt(d.path(), "restricted.pdf", "", &["256", "--modify=none"]);
    let config = d.path().join("tanba.toml");
    std::fs::write(&config, "[pdf]\nrefuse_encrypted = true\n").unwrap();
    for (input, extra, why) in [
        (&locked, None, "needs a password to open"),
        (
            &restricted,
            Some("--refuse-encrypted"),
            "--refuse-encrypted",
        ),
        (&restricted, Some("--config"), "--refuse-encrypted"),
    ] {
        let out = d.path().join("out");
        let rep = d.path().join("r.json");
        let mut args = vec![
            "label",
            s(input),
            "--out",
            s(&out),
            "--report",
            s(&rep),
            "-q",
        ];
        match extra {
            Some("--config") => args.extend(["--config", s(&config)]),
            Some(flag) => args.push(flag),
            None => {}
        }
        let o = tanba(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(
            reason(&rep).contains("encrypted") && reason(&rep).contains(why),
            "{}",
            reason(&rep)
        );
        assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none());
    }
}

#[test]
fn damaged_cross_reference_is_written_in_full_for_exiftool() {
    let d = tempfile::tempdir().unwrap();
    let mut pdf = std::fs::read(fixture("pdf/report.pdf")).unwrap();
    // The fixture as qpdf writes it with a classic table, then every entry
    // made 19 bytes long: lopdf reads it, exiftool says "Invalid xref table".
    let table = d.path().join("table.pdf");
    std::fs::write(&table, &pdf).unwrap();
    let clean = d.path().join("clean.pdf");
    let (code, text) = run("qpdf", &["--object-streams=disable", s(&table), s(&clean)]);
    assert_eq!(code, Some(0), "{text}");
    pdf = std::fs::read(&clean).unwrap();
    let at = pdf.windows(6).rposition(|w| w == b"\nxref\n").unwrap();
    let damaged: Vec<u8> = [
        &pdf[..at],
        String::from_utf8_lossy(&pdf[at..])
            .replace(" n \n", " n\n")
            .as_bytes(),
    ]
    .concat();
    let input = d.path().join("damaged.pdf");
    std::fs::write(&input, &damaged).unwrap();
    let (_, before) = run("exiftool", &["-XMP:all", s(&input)]);
    assert!(before.contains("Invalid xref table"), "{before}");
    let folder = d.path().join("out");
    let out = folder.join("damaged.pdf");
    let rep = d.path().join("r.json");
    let o = tanba(&[
        "label",
        s(&input),
        "--out",
        s(&folder),
        "--report",
        s(&rep),
        "-q",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        reason(&rep).contains("damaged cross-reference: written in full"),
        "{}",
        reason(&rep)
    );
    let (_, after) = run("exiftool", &["-XMP:all", s(&out)]);
    assert!(!after.contains("Warning"), "{after}");
    assert!(
        after.contains("Manifest") && after.contains("Digital Source Type"),
        "{after}"
    );
    let (code, check) = run("qpdf", &["--check", s(&out)]);
    assert!(code == Some(0) && !check.contains("WARNING"), "{check}");
    let (_, text) = run("pdftotext", &["-enc", "UTF-8", s(&out), "-"]);
    assert!(text.contains(KK), "{text}");
    assert!(tanba(&["verify", s(&out)]).status.success());
}
