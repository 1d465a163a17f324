//! `tanba label` streams big PNGs and big Markdown files: the outputs pass
//! `tanba verify` (watermark read back, badge found), outside tools read
//! them, and the command's peak resident memory (GNU time) stays under
//! what holding the picture or the text whole would take.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::{peak_mib, s, tanba, tool_stdout};

fn verify_row(file: &Path) -> serde_json::Value {
    let out = tanba(&["verify", "--json", s(file)]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    rows[0].clone()
}

#[test]
fn a_4096_square_rgba_png_is_labelled_in_less_than_two_frames() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.png");
    tool_stdout(
        "convert",
        &[
            "-size",
            "4096x4096",
            "-seed",
            "3",
            "gradient:navy-orange",
            "-attenuate",
            "0.2",
            "+noise",
            "Gaussian",
            "-depth",
            "8",
            &format!("PNG32:{}", s(&input)),
        ],
    );
    let out = dir.path().join("out");
    let peak = peak_mib(&["label", s(&input), "-o", s(&out), "-q", "--jobs", "1"]);
    eprintln!("tanba label, 4096x4096 RGBA PNG: peak {peak:.0} MiB");
    // One decoded frame is 64 MiB; the whole-frame path holds it, its
    // encoder copy and the read-back's decode.
    assert!(peak < 128.0, "peak {peak:.0} MiB");
    let labelled = out.join("big.png");
    let row = verify_row(&labelled);
    assert_eq!(row["compliant"], true, "{row}");
    let payload = &row["verification"]["watermark"]["payload"];
    assert!(payload.is_string(), "{row}");
    assert_eq!(
        payload,
        &row["verification"]["manifest"]["watermark"]["payload"]
    );
    let said = tool_stdout(
        "exiftool",
        &["-s", "-DigitalSourceType", "-AIGC", s(&labelled)],
    );
    assert!(said.contains("trainedAlgorithmicMedia"), "{said}");
    assert!(tool_stdout("identify", &[s(&labelled)]).contains("4096x4096"));
}

/// Writes a generated Markdown file of about `size` bytes.
fn book(path: &Path, size: usize) {
    let mut text = String::from("---\ntitle: Book\n---\n\n# Book\n\n");
    let mut i = 0;
    while text.len() < size {
        text.push_str(&format!("Paragraph {i}: Жасанды интеллект жазды.\n\n"));
        i += 1;
    }
    std::fs::write(path, &text).unwrap();
}

#[test]
fn a_markdown_file_twice_as_big_is_labelled_in_the_same_memory() {
    let dir = tempfile::tempdir().unwrap();
    let (small, big) = (dir.path().join("small.md"), dir.path().join("book.md"));
    // Both past the 2 x 16 MiB the facade's scan for other tools' marks
    // reads from a file's two ends.
    book(&small, 36_000_000);
    book(&big, 72_000_000);
    let out = dir.path().join("out");
    let peak_small = peak_mib(&["label", s(&small), "-o", s(&out), "-q"]);
    let peak = peak_mib(&["label", s(&big), "-o", s(&out), "-q"]);
    eprintln!("tanba label, Markdown: peak {peak_small:.0} MiB at 36 MB, {peak:.0} MiB at 72 MB");
    // Read whole, 36 MB more would be held three times (bytes, text,
    // labelled text); streamed, the peak does not grow with the file.
    assert!(peak < 64.0 && peak < peak_small + 8.0, "peak {peak:.0} MiB");
    let labelled = out.join("book.md");
    let row = verify_row(&labelled);
    assert_eq!(row["compliant"], true, "{row}");
    let head = std::fs::read_to_string(&labelled).unwrap();
    assert!(head.starts_with("---\nAIGC: '"), "{}", &head[..200]);
}
