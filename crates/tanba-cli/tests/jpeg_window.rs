//! `tanba label` of a sequential JPEG holds neither the input nor the
//! output: the scan is read through a window (tanba-image's
//! `jpeg_input.rs`) and, labelled without a C2PA key, the input's head
//! alone says it embeds no credentials to keep (tanba-c2pa's
//! `embedded_store`). The command's peak resident memory (GNU time) for a
//! 2400x9600 4:4:4 file four times the size of a 2400x2400 one stays
//! within a few MiB of the smaller one's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{peak_mib, s};

/// A noisy `w` x `h` q90 4:4:4 JPEG made by `cjpeg` at `path`.
fn cjpeg(w: usize, h: usize, path: &std::path::Path) {
    let mut ppm = format!("P6\n{w} {h}\n255\n").into_bytes();
    ppm.reserve(w * h * 3);
    let mut x = 0x9E37_79B9u32;
    for i in 0..w * h * 3 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        ppm.push(((i / 3 % w) * 190 / w) as u8 + (x & 63) as u8);
    }
    let ppm_path = path.with_extension("ppm");
    std::fs::write(&ppm_path, &ppm).unwrap();
    let out = std::process::Command::new("cjpeg")
        .args(["-quality", "90", "-sample", "1x1", "-outfile"])
        .arg(path)
        .arg(&ppm_path)
        .status()
        .expect("cjpeg is installed (Debian: libjpeg-turbo-progs)");
    assert!(out.success());
    std::fs::remove_file(ppm_path).unwrap();
}

#[test]
fn labelling_a_jpeg_does_not_hold_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (short, tall) = (dir.path().join("short.jpg"), dir.path().join("tall.jpg"));
    cjpeg(2400, 2400, &short);
    cjpeg(2400, 9600, &tall);
    let grown = std::fs::metadata(&tall).unwrap().len() - std::fs::metadata(&short).unwrap().len();
    let out = dir.path().join("out");
    for extra in [&["--no-watermark"][..], &[]] {
        let peak = |input: &std::path::Path| {
            let _ = std::fs::remove_dir_all(&out);
            let mut args = vec![
                "label",
                s(input),
                "--out",
                s(&out),
                "--quiet",
                "--jobs",
                "1",
            ];
            args.extend_from_slice(extra);
            peak_mib(&args)
        };
        let (p_short, p_tall) = (peak(&short), peak(&tall));
        eprintln!(
            "{extra:?}: {p_short:.1} MiB for 2400x2400, {p_tall:.1} MiB for 2400x9600 ({grown} B more file)"
        );
        // Holding the input would add its growth (17 MB); the tall one's
        // mark field and read-back add a little (2-3 MiB).
        let limit = p_short + grown as f64 / (1 << 20) as f64 / 4.0;
        assert!(
            p_tall < limit,
            "{extra:?}: {p_tall:.1} MiB, limit {limit:.1}"
        );
    }
}
