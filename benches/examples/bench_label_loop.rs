//! The library loop `cargo xtask bench` times: labels IN (a folder, or one
//! file) into the folder OUT (same relative paths; a single file keeps its
//! name), in one thread, with the library alone. Three modes:
//!
//! - default: read, `Registry::label_bytes` (SubRip: its labeler and the
//!   manifest sidecar), write. No walk library, no
//!   report, no hashing beyond what labelling does: the floor the bulk
//!   section compares `tanba label --jobs 1` with.
//! - `--checked`: `Registry::label_file` per file: hash the input, label
//!   into a temporary file (output hashed as written), read it back with
//!   the labeler's `verify`, sync, rename.
//! - `--unchecked`: the same steps as `label_file`, built here from public
//!   API, without the read-back `verify`. The library has no way to skip
//!   it; this replica exists only so the bench can price the check
//!   (`--checked` ÷ `--unchecked`).
//! - `--verify`: the check alone, on outputs labelled before: per file,
//!   open, sniff and the labeler's `verify`, as `label_file` reads each
//!   output back (it fails unless every file verifies). Subtracting two
//!   noisy runs prices the check only to within their noise; this row times
//!   it directly.
//!
//! Both file modes sync each output before its rename
//! (`Durability::EachFile`, `label_file`'s default), and neither signs C2PA.
//!
//! `bench_label_loop [--checked | --unchecked] IN OUT`, `bench_label_loop --verify IN`

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use tanba::atomic::{self, Durability};
use tanba::{Error, Job, Registry, Source, manifest, read_head};

/// How each file is labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Bytes,
    Checked,
    Unchecked,
    Verify,
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files(&path, out)?;
        } else if !path
            .to_string_lossy()
            .ends_with(tanba::text::SIDECAR_SUFFIX)
        {
            // A manifest sidecar is read with its output, as `tanba verify` does.
            out.push(path);
        }
    }
    Ok(())
}

/// What `label_file` compares before and after labelling to notice an
/// input that changed under it.
fn stamp(path: &Path) -> tanba::Result<(u64, Option<SystemTime>)> {
    let meta = std::fs::metadata(path).map_err(|e| Error::from(e).at(path))?;
    Ok((meta.len(), meta.modified().ok()))
}

/// `Registry::label_file` without its read-back check (and without C2PA,
/// which this registry does not sign): the same open, sniff, input hash,
/// job fingerprints, temporary file, hashed output, change check, sync,
/// rename and manifest sidecar.
fn label_unchecked(
    registry: &Registry,
    input: &Path,
    target: &Path,
    job: &Job,
) -> tanba::Result<()> {
    let before = stamp(input)?;
    job.limits.check_bytes(before.0).map_err(|e| e.at(input))?;
    let mut file = File::open(input).map_err(|e| Error::from(e).at(input))?;
    let head = read_head(&mut file).map_err(|e| e.at(input))?;
    let (index, labeler, format) = registry
        .detect_indexed(&head, Some(input))
        .ok_or_else(|| Error::unsupported("content not recognised").at(input))?;
    let input_sha256 = manifest::sha256_of(&mut file).map_err(|e| e.at(input))?;
    let job = job
        .clone()
        .with_source_sha256(input_sha256)
        .with_settings_sha256(registry.settings_sha256(index, job));
    let dir = atomic::parent_of(target);
    std::fs::create_dir_all(dir).map_err(|e| Error::from(e).at(dir))?;
    let write = |out: &mut File| {
        let mut hashed = manifest::Sha256Writer::new(out);
        let source = Source {
            reader: &mut file,
            format,
            path: Some(input),
            len: before.0,
        };
        let labelled = labeler
            .label(source, &mut hashed, &job)
            .map_err(|e| e.at(input))?;
        if stamp(input)? != before {
            return Err(Error::malformed("the file changed while it was being labelled").at(input));
        }
        let (len, sha) = hashed.finish().map_err(|e| e.at(target))?;
        Ok((labelled, len, sha))
    };
    let name = |(labelled, _, _): &(tanba::Labelled, u64, String)| {
        if std::ptr::eq(format, labelled.format) {
            target.to_path_buf()
        } else {
            target.with_extension(labelled.format.extension())
        }
    };
    let ((labelled, _, _), output) =
        atomic::write_atomic_in(dir, Durability::EachFile, write, name)?;
    // Subtitles (and text when asked) keep their manifest in a sidecar:
    // part of labelling, not of the check.
    if let Some(sidecar) = registry.manifest_sidecar_of(&output, labelled.format) {
        let contents = tanba::text::sidecar_contents(&labelled.manifest);
        std::fs::write(&sidecar, contents).map_err(|e| Error::from(e).at(&sidecar))?;
    }
    Ok(())
}

/// Read, `Registry::label_bytes`, write: the floor of the bulk section.
/// SubRip, whose manifest goes in a sidecar, is not labelled as bytes, so
/// its labeler is called directly and the sidecar written beside it.
fn label_in_memory(
    registry: &Registry,
    file: &Path,
    target: &Path,
    job: &Job,
) -> tanba::Result<()> {
    let bytes = std::fs::read(file).map_err(|e| Error::from(e).at(file))?;
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::from(e).at(parent))?;
    }
    let (index, labeler, format) = registry
        .detect_indexed(&bytes[..bytes.len().min(tanba::SNIFF_LEN)], Some(file))
        .ok_or_else(|| Error::unsupported("content not recognised").at(file))?;
    let Some(sidecar) = registry.manifest_sidecar_of(target, format) else {
        let (labelled, _) = registry.label_bytes(&bytes, Some(file), job)?;
        return std::fs::write(target, labelled).map_err(|e| Error::from(e).at(target));
    };
    let job = job
        .clone()
        .with_source_sha256(manifest::sha256_hex(&bytes))
        .with_settings_sha256(registry.settings_sha256(index, job));
    let mut out = std::io::Cursor::new(Vec::with_capacity(bytes.len() + 4096));
    let source = Source {
        reader: &mut std::io::Cursor::new(&bytes),
        format,
        path: Some(file),
        len: bytes.len() as u64,
    };
    let labelled = labeler
        .label(source, &mut out, &job)
        .map_err(|e| e.at(file))?;
    std::fs::write(target, out.into_inner()).map_err(|e| Error::from(e).at(target))?;
    let contents = tanba::text::sidecar_contents(&labelled.manifest);
    std::fs::write(&sidecar, contents).map_err(|e| Error::from(e).at(&sidecar))
}

/// Labels one file into `target` the way `mode` says (or, for
/// [`Mode::Verify`], checks it).
fn label_one(
    registry: &Registry,
    mode: Mode,
    file: &Path,
    target: &Path,
    job: &Job,
) -> tanba::Result<()> {
    match mode {
        Mode::Bytes => label_in_memory(registry, file, target, job),
        Mode::Checked => registry.label_file(file, target, job).map(|_| ()),
        Mode::Unchecked => label_unchecked(registry, file, target, job),
        Mode::Verify => check_one(registry, file, &job.limits),
    }
}

/// What `label_file` does to read an output back: sniff it with the
/// labelers and verify it with the one that claims it.
fn check_one(registry: &Registry, file: &Path, limits: &tanba::Limits) -> tanba::Result<()> {
    let len = stamp(file)?.0;
    let mut reader = File::open(file).map_err(|e| Error::from(e).at(file))?;
    let head = read_head(&mut reader).map_err(|e| e.at(file))?;
    let (_, labeler, format) = registry
        .detect_indexed(&head, Some(file))
        .ok_or_else(|| Error::unsupported("content not recognised").at(file))?;
    let source = Source {
        reader: &mut reader,
        format,
        path: Some(file),
        len,
    };
    let verification = labeler.verify(source, limits).map_err(|e| e.at(file))?;
    if !verification.is_compliant() {
        return Err(Error::unverified("does not verify").at(file));
    }
    Ok(())
}

fn run(mode: Mode, input: &Path, output: &Path) -> Result<usize, String> {
    let mut registry = Registry::default();
    registry.set_durability(Durability::EachFile);
    let job = Job::default();
    let mut list = Vec::new();
    if input.is_dir() {
        files(input, &mut list).map_err(|e| format!("{}: {e}", input.display()))?;
        list.sort();
    } else {
        list.push(input.to_path_buf());
    }
    for file in &list {
        let rel = match file.strip_prefix(input) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel,
            _ => Path::new(file.file_name().unwrap_or(file.as_os_str())),
        };
        label_one(&registry, mode, file, &output.join(rel), &job).map_err(|e| e.to_string())?;
    }
    Ok(list.len())
}

fn main() -> ExitCode {
    let mut args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let mode = match args.first().and_then(|a| a.to_str()) {
        Some("--checked") => Mode::Checked,
        Some("--unchecked") => Mode::Unchecked,
        Some("--verify") => Mode::Verify,
        _ => Mode::Bytes,
    };
    if mode != Mode::Bytes {
        args.remove(0);
    }
    if mode == Mode::Verify {
        // The input is its own "output": nothing is written.
        args.push(PathBuf::new());
    }
    let [input, output] = args.as_slice() else {
        eprintln!("usage: bench_label_loop [--checked | --unchecked] IN OUT | --verify IN");
        return ExitCode::from(2);
    };
    let started = std::time::Instant::now();
    match run(mode, input, output) {
        Ok(n) => {
            eprintln!(
                "{n} files ({mode:?}) in {:.3} s",
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench_label_loop: {e}");
            ExitCode::FAILURE
        }
    }
}
