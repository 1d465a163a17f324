//! `tanba serve` over loopback: the real binary started on 127.0.0.1:0,
//! called with curl (a real HTTP client), its answers checked with
//! `tanba verify` and exiftool, its temporary folder checked empty after
//! every kind of request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod serve_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{fixture, s, tanba};
use serve_support::{Server, curl, post};

/// exiftool's DigitalSourceType of a file.
fn digital_source_type(file: &Path) -> String {
    let out = Command::new("exiftool")
        .args(["-s", "-s", "-s", "-DigitalSourceType"])
        .arg(file)
        .output()
        .expect("exiftool is installed (CI installs it)");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn labels_every_media_type_and_the_answers_verify() {
    let server = Server::start(&[]);
    let d = tempfile::tempdir().unwrap();
    let text = d.path().join("story.txt");
    std::fs::write(&text, "A story an AI wrote.\n").unwrap();
    let cases: [(PathBuf, &str, &str); 5] = [
        (fixture("image/sample-generated.png"), "image/png", "png"),
        (fixture("image/sample-photo.jpg"), "image/jpeg", "jpg"),
        (fixture("pdf/report.pdf"), "application/pdf", "pdf"),
        (text.clone(), "text/plain", "txt"),
        (fixture("audio/sample-voice.wav"), "audio/wav", "wav"),
    ];
    let mut ids = Vec::new();
    for (input, mime, ext) in &cases {
        let name = input.file_name().unwrap().to_str().unwrap();
        let url = server.url(&format!("/v1/label?filename={name}&lang=kk,en"));
        let a = post(&url, input, &[]);
        assert_eq!(
            a.status,
            200,
            "{name}: {}",
            String::from_utf8_lossy(&a.body)
        );
        let ctype = a.header("content-type").unwrap();
        assert!(
            ctype.starts_with(mime) || (*ext == "wav" && ctype.contains("wav")),
            "{name}: {ctype}"
        );
        let id = a.header("tanba-manifest-id").unwrap().to_string();
        assert!(!id.is_empty(), "{name}");
        assert!(a.header("tanba-notes").unwrap().starts_with('['), "{name}");
        assert_ne!(a.body, std::fs::read(input).unwrap(), "{name}: unchanged");
        let out = d.path().join(format!("labelled.{ext}"));
        std::fs::write(&out, &a.body).unwrap();
        let v = tanba(&["verify", "--json", s(&out)]);
        assert!(
            v.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&v.stdout)
        );
        let rows: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
        assert_eq!(rows[0]["compliant"], true, "{name}: {rows}");
        if *ext != "txt" {
            assert!(
                digital_source_type(&out).contains("trainedAlgorithmicMedia"),
                "{name}: exiftool finds no DigitalSourceType"
            );
        }
        // The service's own verify says the same, and the input is not labelled.
        let checked = post(
            &server.url(&format!("/v1/verify?filename={name}")),
            &out,
            &[],
        );
        assert_eq!(checked.status, 200, "{name}");
        assert_eq!(checked.json()["compliant"], true, "{name}");
        let original = post(
            &server.url(&format!("/v1/verify?filename={name}")),
            input,
            &[],
        );
        assert_eq!(original.json()["compliant"], false, "{name}");
        assert!(
            server.leftovers().is_empty(),
            "{name}: {:?}",
            server.leftovers()
        );
        ids.push(id);
    }
    // One JSON line per request, with the compliance log's fields.
    let log = server.log();
    assert_eq!(log.len(), 15, "{log:?}");
    for id in &ids {
        let line = log
            .iter()
            .find(|l| l["manifest_id"] == id.as_str())
            .unwrap();
        assert_eq!(line["route"], "/v1/label");
        assert_eq!(line["status"], 200);
        assert!(line["output_sha256"].as_str().unwrap().len() == 64);
        assert!(line["bytes_out"].as_u64().unwrap() > 0);
    }
    let metrics = curl(&[&server.url("/metrics")]);
    let text = String::from_utf8(metrics.body).unwrap();
    assert!(
        text.contains("tanba_requests_total{route=\"/v1/label\",status=\"200\"} 5"),
        "{text}"
    );
    assert!(
        text.contains("tanba_requests_total{route=\"/v1/verify\",status=\"200\"} 10"),
        "{text}"
    );
    assert!(
        text.contains("tanba_request_seconds_count{format=\"png\"} 3"),
        "{text}"
    );
    assert!(
        text.contains("tanba_request_seconds_bucket{format=\"pdf\",le=\"+Inf\"} 3"),
        "{text}"
    );
}

#[test]
fn bad_requests_get_their_status_and_leave_nothing() {
    let d = tempfile::tempdir().unwrap();
    let config = d.path().join("tanba.toml");
    std::fs::write(
        &config,
        "[serve]\nlisten = \"127.0.0.1:0\"\nmax_body = 100000\ntoken = \"s3cret\"\n",
    )
    .unwrap();
    let server = Server::start(&["--config", s(&config)]);
    let auth = ["-H", "Authorization: Bearer s3cret"];
    let png = fixture("image/sample-generated.png"); // 132 kB: over the limit
    let jpg = fixture("image/sample-photo.jpg");

    let a = post(&server.url("/v1/label"), &jpg, &[]);
    assert_eq!(a.status, 401);
    assert_eq!(a.json()["kind"], "unauthorized");
    assert_eq!(a.header("www-authenticate"), Some("Bearer"));
    let a = post(
        &server.url("/v1/label"),
        &jpg,
        &["-H", "Authorization: Bearer wrong"],
    );
    assert_eq!(a.status, 401);
    assert_eq!(curl(&[&server.url("/metrics")]).status, 401);
    assert_eq!(curl(&[&server.url("/healthz")]).status, 200);

    let a = post(&server.url("/v1/label"), &png, &auth);
    assert_eq!(a.status, 413, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(a.json()["kind"], "too-large");
    // Sent in chunks with no length given: refused while it streams.
    let a = post(
        &server.url("/v1/label"),
        &png,
        &[auth[0], auth[1], "-H", "Transfer-Encoding: chunked"],
    );
    assert_eq!(a.status, 413);

    let broken = d.path().join("broken.png");
    let mut bytes = std::fs::read(&png).unwrap();
    bytes.truncate(2000);
    std::fs::write(&broken, &bytes).unwrap();
    let a = post(&server.url("/v1/label?filename=broken.png"), &broken, &auth);
    assert_eq!(a.status, 422, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(a.json()["kind"], "malformed");
    let reason = a.json()["reason"].as_str().unwrap().to_string();
    assert!(
        reason.contains("broken.png") && !reason.contains(s(server.temp.path())),
        "{reason}"
    );

    let unknown = d.path().join("blob.bin");
    std::fs::write(&unknown, [0u8, 1, 2, 3, 0xff, 0xfe, 0, 7]).unwrap();
    let a = post(&server.url("/v1/label"), &unknown, &auth);
    assert_eq!(a.status, 415, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(a.json()["kind"], "unsupported");

    let a = post(&server.url("/v1/label?position=nowhere"), &jpg, &auth);
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["kind"], "config");
    let a = post(&server.url("/v1/label?colour=red"), &jpg, &auth);
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["kind"], "bad-request");
    let a = post(
        &server.url("/v1/label"),
        &jpg,
        &[auth[0], auth[1], "-H", "Tanba-Options: not json"],
    );
    assert_eq!(a.status, 400);

    // Options in the header are taken: the answer's label is in English.
    let a = post(
        &server.url("/v1/label"),
        &jpg,
        &[
            auth[0],
            auth[1],
            "-H",
            r#"Tanba-Options: {"lang": "en", "jpeg_quality": 80, "filename": "x.jpg"}"#,
        ],
    );
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    assert!(a.header("content-disposition").unwrap().contains("x.jpg"));
    let line = server
        .log()
        .into_iter()
        .find(|l| l["status"] == 200 && l["route"] == "/v1/label")
        .unwrap();
    assert_eq!(
        line["label"][0], "Created with artificial intelligence",
        "{line}"
    );

    assert!(server.leftovers().is_empty(), "{:?}", server.leftovers());
    let metrics = curl(&[auth[0], auth[1], &server.url("/metrics")]);
    let text = String::from_utf8(metrics.body).unwrap();
    assert!(
        text.contains("tanba_failures_total{kind=\"too-large\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("tanba_failures_total{kind=\"unauthorized\"} 3"),
        "{text}"
    );
    assert!(
        text.contains("tanba_failures_total{kind=\"malformed\"} 1"),
        "{text}"
    );
}

/// Opens a request whose body is still coming: it holds a labelling slot.
fn slow_request(addr: &str, path: &str, body: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(&body[..body.len() / 2]).unwrap();
    stream.flush().unwrap();
    stream
}

/// The status line of a raw answer.
fn read_status(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

#[test]
fn a_full_service_says_busy_and_a_slow_request_times_out() {
    let server = Server::start(&["--concurrency", "1", "--timeout", "2"]);
    let jpg = std::fs::read(fixture("image/sample-photo.jpg")).unwrap();
    let mut held = slow_request(&server.addr, "/v1/label", &jpg);
    std::thread::sleep(Duration::from_millis(300));
    let a = post(
        &server.url("/v1/label"),
        &fixture("image/sample-photo.jpg"),
        &[],
    );
    assert_eq!(a.status, 503);
    assert_eq!(a.json()["kind"], "busy");
    assert_eq!(a.header("retry-after"), Some("1"));
    // The held request never finishes its body: 504 after two seconds.
    let status = read_status(&mut held);
    assert!(status.contains(" 504"), "{status}");
    assert!(server.leftovers().is_empty(), "{:?}", server.leftovers());
    // Its slot is free again.
    let a = post(
        &server.url("/v1/label"),
        &fixture("image/sample-photo.jpg"),
        &[],
    );
    assert_eq!(a.status, 200);
}

#[test]
fn sigterm_finishes_the_request_in_flight() {
    let mut server = Server::start(&[]);
    let pdf = std::fs::read(fixture("pdf/report.pdf")).unwrap();
    let mut held = slow_request(&server.addr, "/v1/label?filename=report.pdf", &pdf);
    std::thread::sleep(Duration::from_millis(300));
    server.terminate();
    std::thread::sleep(Duration::from_millis(300));
    held.write_all(&pdf[pdf.len() / 2..]).unwrap();
    let status = read_status(&mut held);
    assert!(status.contains(" 200"), "{status}");
    let code = server.child.wait().unwrap();
    assert!(code.success(), "{code:?}");
    assert!(server.leftovers().is_empty());
    // Stopped: nothing listens any more.
    assert!(TcpStream::connect(&server.addr).is_err());
}

#[test]
fn beyond_loopback_a_token_is_required() {
    let out = Command::new(env!("CARGO_BIN_EXE_tanba"))
        .args(["serve", "--listen", "0.0.0.0:0"])
        .env_remove("TANBA_SERVE_TOKEN")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a bearer token"), "{err}");
    // The token from the environment is enough (and then required).
    let server = Server::start_with_env(&[], &[("TANBA_SERVE_TOKEN", "from-env")]);
    let a = curl(&[&server.url("/v1/formats")]);
    assert_eq!(a.status, 401);
    let a = curl(&[
        "-H",
        "Authorization: Bearer from-env",
        &server.url("/v1/formats"),
    ]);
    assert_eq!(a.status, 200);
    let formats = a.json();
    assert!(
        formats
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["format"] == "wav"),
        "{formats}"
    );
}

#[test]
fn the_openapi_document_names_exactly_the_routes() {
    let server = Server::start(&[]);
    let doc = curl(&[&server.url("/openapi.json")]).json();
    let mut named: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            named.push((method.to_uppercase(), path.clone()));
        }
    }
    named.sort();
    let mut expected: Vec<(String, String)> = [
        ("POST", "/v1/label"),
        ("POST", "/v1/verify"),
        ("GET", "/v1/formats"),
        ("GET", "/healthz"),
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
    ]
    .iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    expected.sort();
    assert_eq!(named, expected);
    // Every route it names is answered (a POST without a body: 400), and
    // a route it does not name is not.
    for (method, path) in &named {
        let a = curl(&["-X", method, &server.url(path)]);
        assert!(
            a.status != 404 && a.status != 405,
            "{method} {path}: {}",
            a.status
        );
    }
    assert_eq!(curl(&[&server.url("/v1/nothing")]).status, 404);
    assert_eq!(
        curl(&["-X", "DELETE", &server.url("/v1/label")]).status,
        405
    );
}
