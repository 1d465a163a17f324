//! Office documents through the command line: a DOCX made by LibreOffice
//! (`fixtures/office/report.docx`) labelled, verified, relabelled only
//! with `--force`; a `.docm` declined with its reason; `tanba formats`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;

#[test]
fn a_docx_is_labelled_and_verified_through_the_cli() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("in");
    std::fs::create_dir(&input).unwrap();
    let docx = fixture("office/report.docx");
    std::fs::copy(&docx, input.join("report.docx")).unwrap();
    std::fs::copy(&docx, input.join("macros.docm")).unwrap();
    let out = d.path().join("out");
    let rep = d.path().join("report.json");
    let o = tanba(&[
        "label",
        s(&input),
        "--out",
        s(&out),
        "--report",
        s(&rep),
        "-q",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let files = report(&rep)["files"].as_array().unwrap().clone();
    let docm = files
        .iter()
        .find(|f| f.to_string().contains("macros.docm"))
        .unwrap();
    assert!(docm.to_string().contains("macro-enabled"), "{docm}");
    assert!(!out.join("macros.docm").exists());

    let labelled = out.join("report.docx");
    let v = tanba(&["verify", "--json", s(&labelled)]);
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&v.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
    assert_eq!(v[0]["verification"]["format"], "docx");
    let marks = v[0]["verification"]["marks"].to_string();
    assert!(marks.contains("docProps/custom.xml AIGC"), "{marks}");
    assert_eq!(
        std::fs::read(&docx).unwrap(),
        std::fs::read(input.join("report.docx")).unwrap()
    );

    // Labelled output labelled again: refused unless forced.
    let again = d.path().join("again");
    let rep2 = d.path().join("report2.json");
    let o = tanba(&[
        "label",
        s(&labelled),
        "--out",
        s(&again),
        "--report",
        s(&rep2),
        "-q",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(report(&rep2)["summary"]["already_labelled"], 1);
    // The CLI copies an already-labelled file as it is.
    assert_eq!(
        std::fs::read(again.join("report.docx")).unwrap(),
        std::fs::read(&labelled).unwrap()
    );
    let again = d.path().join("forced");
    let o = tanba(&["label", s(&labelled), "--out", s(&again), "--force", "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        tanba(&["verify", s(&again.join("report.docx"))])
            .status
            .success()
    );

    let formats = String::from_utf8_lossy(&tanba(&["formats"]).stdout).into_owned();
    for name in ["docx", "pptx", "xlsx", "odt", "odp", "ods", "epub"] {
        assert!(
            formats
                .lines()
                .any(|l| l.starts_with("office") && l.contains(name)),
            "{name}: {formats}"
        );
    }
}
