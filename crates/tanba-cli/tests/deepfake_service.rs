//! `tanba serve` takes `real_person` and `person` (issue #23) as its other
//! options: in the query and as a form's fields, called with curl; the
//! answers are checked with `tanba verify --json --real-person` and
//! exiftool, and `/v1/verify` reports the flag.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod serve_support;

use common::{fixture, s, tanba};
use serve_support::{Server, curl, post};

const EN: &str =
    "This depicts a real person's likeness or voice created with artificial intelligence";

#[test]
fn the_service_labels_with_the_deepfake_notice_when_asked() {
    let server = Server::start(&[]);
    let d = tempfile::tempdir().unwrap();
    let jpg = fixture("image/sample-photo.jpg");

    // In the query.
    let url = server.url("/v1/label?lang=en&real_person=true&person=Jane%20Roe&watermark=false");
    let a = post(&url, &jpg, &[]);
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let out = d.path().join("query.jpg");
    std::fs::write(&out, &a.body).unwrap();
    let v = tanba(&["verify", "--json", "--real-person", s(&out)]);
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&v.stdout)
    );
    let rows: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
    let manifest = &rows[0]["verification"]["manifest"];
    assert_eq!(rows[0]["real_person"], true, "{rows}");
    assert_eq!(manifest["person"], "Jane Roe", "{rows}");
    assert_eq!(manifest["label"]["lines"][0]["text"], EN, "{rows}");
    let person = std::process::Command::new("exiftool")
        .args(["-s3", "-XMP-iptcExt:PersonInImage", s(&out)])
        .output()
        .expect("exiftool is needed for this test");
    assert_eq!(String::from_utf8_lossy(&person.stdout).trim(), "Jane Roe");

    // As a form's fields; /v1/verify reports the flag.
    let file = format!("file=@{}", s(&jpg));
    let a = curl(&[
        "-F",
        &file,
        "-F",
        "lang=en",
        "-F",
        "real_person=yes",
        &server.url("/v1/label"),
    ]);
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let out = d.path().join("form.jpg");
    std::fs::write(&out, &a.body).unwrap();
    let checked = post(&server.url("/v1/verify"), &out, &[]);
    assert_eq!(checked.status, 200);
    let json = checked.json();
    assert_eq!(json["real_person"], true, "{json}");

    // Without it, the default notice; a bad value is a 400.
    let a = post(&server.url("/v1/label?lang=en"), &jpg, &[]);
    let out = d.path().join("default.jpg");
    std::fs::write(&out, &a.body).unwrap();
    let v = tanba(&["verify", "--json", "--real-person", s(&out)]);
    assert_eq!(v.status.code(), Some(1));
    let a = post(&server.url("/v1/label?real_person=maybe"), &jpg, &[]);
    assert_eq!(a.status, 400, "{}", String::from_utf8_lossy(&a.body));
    // A person without real_person is refused as the flag is.
    let a = post(&server.url("/v1/label?person=Jane"), &jpg, &[]);
    assert_eq!(a.status, 400, "{}", String::from_utf8_lossy(&a.body));
}
