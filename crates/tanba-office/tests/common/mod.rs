#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]
//! Helpers of the office tests: LibreOffice headless, pdftotext and the
//! system Python (python-docx, openpyxl) as outside readers. A missing tool
//! fails the test: `cargo xtask setup` installs them.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use tanba_core::{Error, Format, Job, Labeler, Labelled, Limits, Source, Verification};
use tanba_office::OfficeLabeler;

/// Runs `cmd`, failing the test with its output when it fails.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?} could not start ({e}): run cargo xtask setup"));
    succeeded(cmd, &out)
}

/// `out`'s stdout, failing the test with `cmd`'s output when it failed.
fn succeeded(cmd: &Command, out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Converts every file of `inputs` to `to` (`docx`, `odt`, `pdf` …) in one
/// LibreOffice run with its own profile (so tests may run at once); the
/// outputs land in `dir`, named after the inputs.
pub fn soffice(dir: &Path, to: &str, inputs: &[&Path]) -> Vec<PathBuf> {
    soffice_from(dir, None, to, inputs)
}

/// [`soffice`] with an import filter named (`HTML (StarWriter)` opens
/// XHTML as a text document: Writer/Web's own PDF export drops the first
/// paragraph of a page).
pub fn soffice_from(dir: &Path, filter: Option<&str>, to: &str, inputs: &[&Path]) -> Vec<PathBuf> {
    let profile = dir.join(format!("lo-profile-{to}"));
    let mut cmd = Command::new("soffice");
    cmd.arg(format!(
        "-env:UserInstallation=file://{}",
        profile.display()
    ));
    if let Some(filter) = filter {
        cmd.arg(format!("--infilter={filter}"));
    }
    cmd.args(["--headless", "--convert-to", to, "--outdir"])
        .arg(dir)
        .args(inputs);
    // LibreOffice at times aborts while it sets up a fresh profile
    // ("Unspecified Application Error", seen once in CI on a busy machine):
    // one more try, on the profile it has made by then.
    let first = cmd
        .output()
        .expect("soffice could not start: run cargo xtask setup");
    if !first.status.success()
        && String::from_utf8_lossy(&first.stderr).contains("Unspecified Application Error")
    {
        run(&mut cmd);
    } else {
        succeeded(&cmd, &first);
    }
    let ext = to.split(':').next().unwrap();
    inputs
        .iter()
        .map(|p| {
            let out = dir.join(p.file_stem().unwrap()).with_extension(ext);
            assert!(out.exists(), "soffice wrote no {}", out.display());
            out
        })
        .collect()
}

/// The text `pdftotext -layout` reads from a PDF.
pub fn pdftotext(pdf: &Path) -> String {
    run(Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-"))
}

/// Runs a Python script with the system interpreter (where Debian's
/// python3-docx and python3-openpyxl live); its argv[1..] are `args`.
pub fn python(script: &str, args: &[&Path]) -> String {
    run(Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .args(args))
}

/// Labels `input` as `format` into bytes.
pub fn label(
    input: &[u8],
    format: &'static Format,
    job: &Job,
) -> Result<(Vec<u8>, Labelled), Error> {
    let labeler = OfficeLabeler::default();
    let mut reader = Cursor::new(input.to_vec());
    let mut out = Cursor::new(Vec::new());
    let source = Source {
        reader: &mut reader,
        format,
        path: None,
        len: input.len() as u64,
    };
    let labelled = labeler.label(source, &mut out, job)?;
    Ok((out.into_inner(), labelled))
}

/// Verifies `bytes` as `format`.
pub fn verify(bytes: &[u8], format: &'static Format) -> Verification {
    let labeler = OfficeLabeler::default();
    let mut reader = Cursor::new(bytes.to_vec());
    let source = Source {
        reader: &mut reader,
        format,
        path: None,
        len: bytes.len() as u64,
    };
    labeler.verify(source, &Limits::default()).unwrap()
}

/// Every entry of a zip: name, compression, CRC and raw (compressed) bytes.
pub fn raw_entries(bytes: &[u8]) -> Vec<(String, u32, Vec<u8>)> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index_raw(i).unwrap();
            let mut raw = Vec::new();
            f.read_to_end(&mut raw).unwrap();
            (f.name().to_string(), f.crc32(), raw)
        })
        .collect()
}

/// The inflated bytes of one entry.
pub fn entry(bytes: &[u8], name: &str) -> Option<String> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut f = archive.by_name(name).ok()?;
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    Some(s)
}

/// The lines of a short report, each its own paragraph.
pub const PARAGRAPHS: [&str; 3] = [
    "Quarterly report of the northern depot",
    "Deliveries rose by 12 per cent over the quarter.",
    "Қоймадағы қор жеткілікті: 340 тонна.",
];
