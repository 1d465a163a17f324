//! `tanba serve`'s multipart: `multipart/form-data` uploads (`curl -F
//! file=@...`) on `/v1/label` and `/v1/verify`, `multipart/mixed` answers
//! (a SubRip file and its manifest sidecar), and the per-request
//! `watermark=false`: the real service on loopback, called with curl, its
//! answers checked with `tanba verify --json`, its temporary folder
//! checked empty.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod serve_support;

use std::path::Path;
use std::process::Command;

use common::{fixture, s, tanba};
use serve_support::{Answer, Server, curl, post};

/// `tanba verify --json` of one file: its row.
fn verify_row(file: &Path) -> serde_json::Value {
    let out = tanba(&["verify", "--json", s(file)]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "verify --json: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    rows[0].clone()
}

/// POSTs a form to `url`: each `(name, value)` a `-F` part.
fn form(url: &str, parts: &[&str], extra: &[&str]) -> Answer {
    let mut args = extra.to_vec();
    for part in parts {
        args.extend(["-F", part]);
    }
    args.push(url);
    curl(&args)
}

fn text(a: &Answer) -> String {
    String::from_utf8_lossy(&a.body).into_owned()
}

#[test]
fn a_form_upload_is_labelled_and_verified_with_its_option_fields() {
    let server = Server::start(&[]);
    let d = tempfile::tempdir().unwrap();
    let jpg = fixture("image/sample-photo.jpg");
    let file = format!("file=@{}", s(&jpg));

    let a = form(&server.url("/v1/label"), &[&file, "lang=en"], &[]);
    assert_eq!(a.status, 200, "{}", text(&a));
    assert!(a.header("content-type").unwrap().starts_with("image/jpeg"));
    // Named after the part's own file name.
    assert!(
        a.header("content-disposition")
            .unwrap()
            .contains("sample-photo.jpg"),
        "{:?}",
        a.headers
    );
    let out = d.path().join("labelled.jpg");
    std::fs::write(&out, &a.body).unwrap();
    let row = verify_row(&out);
    assert_eq!(row["compliant"], true, "{row}");
    assert_eq!(
        row["verification"]["manifest"]["id"].as_str(),
        a.header("tanba-manifest-id")
    );
    // The `lang` field was taken: the label is in English only.
    let line = server
        .log()
        .into_iter()
        .find(|l| l["status"] == 200 && l["route"] == "/v1/label")
        .unwrap();
    assert_eq!(line["label"][0], "Created with artificial intelligence");
    assert_eq!(line["label"].as_array().unwrap().len(), 1, "{line}");

    // A `filename` field names the file over the part's own name.
    let a = form(
        &server.url("/v1/label"),
        &["filename=renamed.jpg", &file],
        &[],
    );
    assert_eq!(a.status, 200, "{}", text(&a));
    assert!(
        a.header("content-disposition")
            .unwrap()
            .contains("renamed.jpg")
    );

    // Verify takes a form too: the labelled copy passes, the input does not.
    let labelled = format!("file=@{}", s(&out));
    let v = form(&server.url("/v1/verify"), &[&labelled], &[]);
    assert_eq!(v.status, 200, "{}", text(&v));
    assert_eq!(v.json()["compliant"], true);
    assert_eq!(v.json()["file"], "labelled.jpg");
    let v = form(&server.url("/v1/verify"), &[&file], &[]);
    assert_eq!(v.json()["compliant"], false);
    assert!(server.leftovers().is_empty(), "{:?}", server.leftovers());

    // The document says so.
    let doc = curl(&[&server.url("/openapi.json")]).json();
    for route in ["/v1/label", "/v1/verify"] {
        let body = &doc["paths"][route]["post"]["requestBody"]["content"];
        assert!(body["multipart/form-data"].is_object(), "{route}: {body}");
    }
    let params = doc["paths"]["/v1/label"]["post"]["parameters"].to_string();
    assert!(params.contains("\"watermark\""), "{params}");
}

#[test]
fn bad_forms_get_their_status_and_leave_nothing() {
    let server = Server::start(&["--max-body", "100000"]);
    let png = format!("file=@{}", s(&fixture("image/sample-generated.png"))); // 132 kB
    let jpg = format!("file=@{}", s(&fixture("image/sample-photo.jpg"))); // 33 kB
    for route in ["/v1/label", "/v1/verify"] {
        let url = server.url(route);
        // Past the limit: refused by its Content-Length, and while it
        // streams when it comes in chunks with no length given.
        let a = form(&url, &[&png], &[]);
        assert_eq!(a.status, 413, "{route}: {}", text(&a));
        assert_eq!(a.json()["kind"], "too-large");
        let a = form(&url, &[&png], &["-H", "Transfer-Encoding: chunked"]);
        assert_eq!(a.status, 413, "{route}: {}", text(&a));

        // No `file` part, two of them, an unknown option: 400.
        let a = form(&url, &["lang=en"], &[]);
        assert_eq!(a.status, 400, "{route}: {}", text(&a));
        assert_eq!(a.json()["kind"], "bad-request");
        assert!(a.json()["reason"].as_str().unwrap().contains("`file`"));
        let a = form(&url, &[&jpg, &jpg], &[]);
        assert_eq!(a.status, 400, "{route}: {}", text(&a));
        let a = form(&url, &[&jpg, "colour=red"], &[]);
        assert_eq!(a.status, 400, "{route}: {}", text(&a));
        assert!(text(&a).contains("colour"), "{}", text(&a));
        // A form whose body is cut short.
        let a = curl(&[
            "-H",
            "Content-Type: multipart/form-data; boundary=XYZ",
            "--data-binary",
            "--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\r\nabc",
            &url,
        ]);
        assert_eq!(a.status, 400, "{route}: {}", text(&a));
        // A multipart type without its boundary.
        let a = curl(&[
            "-H",
            "Content-Type: multipart/form-data",
            "--data-binary",
            "x",
            &url,
        ]);
        assert_eq!(a.status, 400, "{route}: {}", text(&a));
    }
    // A bad option field is the same config error as in the query.
    let a = form(&server.url("/v1/label"), &[&jpg, "position=nowhere"], &[]);
    assert_eq!(a.status, 400, "{}", text(&a));
    assert_eq!(a.json()["kind"], "config");
    assert!(server.leftovers().is_empty(), "{:?}", server.leftovers());
}

#[test]
fn watermark_false_leaves_the_watermark_out() {
    let d = tempfile::tempdir().unwrap();
    // Twice the 800x600 fixture: large enough to carry the mark.
    let big = d.path().join("big.jpg");
    let done = Command::new("convert")
        .arg(fixture("image/sample-photo.jpg"))
        .args(["-resize", "200%"])
        .arg(&big)
        .status()
        .expect("ImageMagick's convert is installed (CI installs it)");
    assert!(done.success());
    let server = Server::start(&[]);
    let file = format!("file=@{}", s(&big));
    let cases = [
        (
            "default, form",
            form(&server.url("/v1/label"), &[&file], &[]),
            true,
        ),
        (
            "watermark=false field",
            form(&server.url("/v1/label"), &[&file, "watermark=false"], &[]),
            false,
        ),
        (
            "watermark=false query",
            post(&server.url("/v1/label?watermark=false"), &big, &[]),
            false,
        ),
    ];
    for (what, a, marked) in cases {
        assert_eq!(a.status, 200, "{what}: {}", text(&a));
        let out = d.path().join("out.jpg");
        std::fs::write(&out, &a.body).unwrap();
        let row = verify_row(&out);
        assert_eq!(row["compliant"], true, "{what}: {row}");
        let v = &row["verification"];
        if marked {
            let payload = v["watermark"]["payload"].as_str().unwrap_or_default();
            assert_eq!(
                payload, v["manifest"]["watermark"]["payload"],
                "{what}: {row}"
            );
            assert!(!payload.is_empty(), "{what}: {row}");
        } else {
            assert!(v["watermark"].is_null(), "{what}: {row}");
            assert!(v["manifest"]["watermark"].is_null(), "{what}: {row}");
        }
    }
    let a = post(&server.url("/v1/label?watermark=maybe"), &big, &[]);
    assert_eq!(a.status, 400, "{}", text(&a));
    assert!(server.leftovers().is_empty(), "{:?}", server.leftovers());
}

/// The parts of a `multipart/mixed` answer: (file name, content type, bytes).
fn mixed_parts(a: &Answer) -> Vec<(String, String, Vec<u8>)> {
    let ctype = a.header("content-type").unwrap();
    let boundary = ctype
        .split_once("boundary=")
        .unwrap_or_else(|| panic!("no boundary: {ctype}"))
        .1;
    let body = String::from_utf8(a.body.clone()).unwrap();
    let delimiter = format!("--{boundary}");
    let closing = format!("\r\n{delimiter}--\r\n");
    let body = body
        .strip_suffix(&closing)
        .unwrap_or_else(|| panic!("{body}"));
    body.split(&format!("\r\n{delimiter}\r\n"))
        .map(|part| {
            let part = part
                .strip_prefix(&format!("{delimiter}\r\n"))
                .unwrap_or(part);
            let (head, bytes) = part.split_once("\r\n\r\n").unwrap();
            let field = |name: &str| {
                head.lines()
                    .find_map(|l| l.strip_prefix(name))
                    .unwrap_or_else(|| panic!("no {name} in {head}"))
                    .to_string()
            };
            let file = field("Content-Disposition: attachment; filename=");
            (
                file.trim_matches('"').to_string(),
                field("Content-Type: "),
                bytes.as_bytes().to_vec(),
            )
        })
        .collect()
}

#[test]
fn subrip_comes_back_with_its_sidecar_when_multipart_mixed_is_accepted() {
    let server = Server::start(&[]);
    let d = tempfile::tempdir().unwrap();
    let srt = d.path().join("talk.srt");
    std::fs::write(
        &srt,
        "1\n00:00:01,000 --> 00:00:03,000\nA voice an AI made.\n\n2\n00:00:04,000 --> 00:00:06,000\nStill the AI.\n",
    )
    .unwrap();
    let url = server.url("/v1/label?filename=talk.srt");

    // One file per answer: refused, saying how to get both.
    let a = post(&url, &srt, &[]);
    assert_eq!(a.status, 422, "{}", text(&a));
    assert_eq!(a.json()["kind"], "cannot-label");
    assert!(text(&a).contains("multipart/mixed"), "{}", text(&a));

    let a = post(&url, &srt, &["-H", "Accept: multipart/mixed"]);
    assert_eq!(a.status, 200, "{}", text(&a));
    assert!(
        a.header("content-type")
            .unwrap()
            .starts_with("multipart/mixed; boundary=")
    );
    let parts = mixed_parts(&a);
    assert_eq!(parts.len(), 2, "{}", text(&a));
    assert_eq!(parts[0].0, "talk.srt");
    assert_eq!(parts[1].0, "talk.srt.tanba.json");
    assert_eq!(parts[1].1, "application/json");
    let out = d.path().join("out");
    std::fs::create_dir(&out).unwrap();
    for (name, _, bytes) in &parts {
        std::fs::write(out.join(name), bytes).unwrap();
    }
    let sidecar = String::from_utf8(parts[1].2.clone()).unwrap();
    let id = a.header("tanba-manifest-id").unwrap();
    assert!(sidecar.contains(id), "{sidecar}");
    // The file with its sidecar beside it verifies; without it, it does not.
    let row = verify_row(&out.join("talk.srt"));
    assert_eq!(row["compliant"], true, "{row}");
    std::fs::remove_file(out.join("talk.srt.tanba.json")).unwrap();
    let row = verify_row(&out.join("talk.srt"));
    assert_eq!(row["compliant"], false, "{row}");

    // A form upload asking for it gets the same.
    let file = format!("file=@{}", s(&srt));
    let a = form(
        &server.url("/v1/label"),
        &[&file],
        &["-H", "Accept: multipart/mixed"],
    );
    assert_eq!(a.status, 200, "{}", text(&a));
    assert_eq!(mixed_parts(&a).len(), 2);
    assert!(server.leftovers().is_empty(), "{:?}", server.leftovers());
}
