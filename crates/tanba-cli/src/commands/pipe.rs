//! One file through a pipe or to a named file: `tanba label - -o -`
//! (standard input to standard output), `tanba label in.png -o out.png`,
//! and `tanba verify -`. Only the labelled bytes go to standard output;
//! every message goes to standard error.
//!
//! Standard input can be read only once, so it is read whole first (never
//! more than `Limits::max_bytes`, refused past it), and the format is
//! sniffed from the bytes (or named with `--format`). When this binary
//! lacks the labeler (audio and video in `tanba`), the bytes are passed on
//! to `tanba-full` through a pipe ([`crate::hand_off_bytes`]).

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tanba::{Error, Format, Job, Limits, Registry, Result, manifest::sha256_hex};

use crate::args::LabelArgs;
use crate::report::{ComplianceLog, LogLine};
use crate::{EXIT_FAILED, Linked, hand_off, hand_off_bytes, recognises_all};

/// Where the one file comes from.
#[derive(Debug)]
pub(crate) enum Input {
    /// Standard input (`-`).
    Stdin,
    /// A file.
    File(PathBuf),
}

/// Where the labelled file goes.
#[derive(Debug)]
pub(crate) enum Output {
    /// Standard output (`-o -`).
    Stdout,
    /// A file, not a folder.
    File(PathBuf),
}

/// How standard input is named in messages and errors.
const STDIN: &str = "<stdin>";

fn dash(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// The two ends when this `label` command streams one file, or `None` for
/// a bulk job. Standard input (`-`) and standard output (`-o -`) take one
/// file. `-o NAME.EXT` for one input file is that file when `NAME.EXT` is
/// not a folder and its folder exists; a name without an extension stays an
/// output folder, as before. `--format` is for one file only.
pub(crate) fn single(args: &LabelArgs) -> Result<Option<(Input, Output)>> {
    let ends = ends(args)?;
    if ends.is_none() && args.format.is_some() {
        return Err(Error::config(
            "--format is for one file through a pipe (an input of -) or to a named file; \
             a folder's files are sniffed one by one",
        ));
    }
    Ok(ends)
}

fn ends(args: &LabelArgs) -> Result<Option<(Input, Output)>> {
    let stdin = args.inputs.iter().any(|i| dash(i));
    let to_stdout = args.out.as_deref().is_some_and(dash);
    if (stdin || to_stdout) && (args.inputs.len() != 1 || args.in_place) {
        return Err(Error::config(
            "standard input (-) and standard output (--out -) take exactly one file, \
             not --in-place",
        ));
    }
    let output = |out: &Option<PathBuf>| match out.as_deref() {
        None => Output::Stdout,
        Some(p) if dash(p) => Output::Stdout,
        Some(p) => Output::File(p.to_path_buf()),
    };
    if stdin {
        if args.out.as_deref().is_some_and(Path::is_dir) {
            return Err(Error::config(
                "with standard input, --out names the output file (or - for standard output), \
                 not a folder",
            ));
        }
        check_not_terminal()?;
        return Ok(Some((Input::Stdin, output(&args.out))));
    }
    let [input] = args.inputs.as_slice() else {
        return Ok(None);
    };
    if to_stdout {
        if !input.is_file() {
            return Err(Error::config("--out - takes one file, not a folder").at(input));
        }
        return Ok(Some((Input::File(input.clone()), Output::Stdout)));
    }
    let Some(out) = args.out.as_deref().filter(|_| !args.in_place) else {
        return Ok(None);
    };
    let parent_exists = tanba::atomic::parent_of(out).is_dir();
    let is_file = input.is_file() && !out.is_dir() && out.extension().is_some() && parent_exists;
    if is_file && same_file(input, out) {
        return Err(Error::config(
            "--out names the input itself: inputs are never modified; use --in-place to \
             replace the original (with a backup)",
        )
        .at(out));
    }
    Ok(is_file.then(|| (Input::File(input.clone()), Output::File(out.to_path_buf()))))
}

/// Whether `a` and `b` are one existing file (by any name).
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// What `--format` names: a format name as `tanba formats` lists it, or
/// an extension.
enum Named {
    /// No `--format`: the format is sniffed.
    Absent,
    /// A format of this binary, and a name that breaks sniffing ties (`-.md`).
    Here(&'static Format, PathBuf),
    /// A format only the fuller binary has.
    Elsewhere,
}

fn named(args: &LabelArgs, registry: &Registry, linked: Linked) -> Result<Named> {
    let Some(format) = args.format.as_deref() else {
        return Ok(Named::Absent);
    };
    let wanted = format.trim_start_matches('.').to_ascii_lowercase();
    let found = registry
        .formats()
        .into_iter()
        .map(|(_, f)| f)
        .find(|f| f.name == wanted || f.extensions.contains(&wanted.as_str()));
    match found {
        Some(f) => Ok(Named::Here(
            f,
            PathBuf::from(format!("-.{}", f.extension())),
        )),
        None if linked.fuller.is_some() => Ok(Named::Elsewhere),
        None => Err(Error::config(format!(
            "unknown format {format:?}: `tanba formats` lists the formats and their extensions"
        ))),
    }
}

/// The container `--format` names, read as another labeler's format with
/// the same MIME subtype: `--format webm` for a WebM holding only audio
/// (`audio/webm`, the audio labeler's), `--format ogg` for Ogg Opus.
fn same_container(wanted: &Format, found: &Format) -> bool {
    let subtype = |f: &Format| f.mime.split_once('/').map(|(_, sub)| sub);
    subtype(wanted).is_some() && subtype(wanted) == subtype(found)
}

/// Refuses standard input that is a terminal: a person would wait for
/// a prompt that never comes.
fn check_not_terminal() -> Result<()> {
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return Err(Error::config(
            "standard input (-) is a terminal: pipe a file in (cat FILE | tanba …)",
        ));
    }
    Ok(())
}

/// Reads standard input whole, never past `max_bytes`.
fn read_stdin(limits: &Limits) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(limits.max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Error::from(e).at(Path::new(STDIN)))?;
    limits
        .check_bytes(bytes.len() as u64)
        .map_err(|e| e.at(Path::new(STDIN)))?;
    Ok(bytes)
}

/// Reads the input whole, refused by size before it is read.
fn read_input(input: &Input, limits: &Limits) -> Result<Vec<u8>> {
    match input {
        Input::Stdin => read_stdin(limits),
        Input::File(path) => {
            let len = std::fs::metadata(path)
                .map_err(|e| Error::from(e).at(path))?
                .len();
            limits.check_bytes(len).map_err(|e| e.at(path))?;
            std::fs::read(path).map_err(|e| Error::from(e).at(path))
        }
    }
}

/// Writes the labelled bytes to standard output.
fn write_stdout(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        crate::stdout_failed(e);
    }
}

/// `tanba label` for one file.
pub(crate) fn label(
    args: &LabelArgs,
    (input, output): (Input, Output),
    job: &Job,
    registry: &Registry,
    linked: Linked,
    log: Option<&ComplianceLog>,
) -> Result<ExitCode> {
    let named = named(args, registry, linked)?;
    if let Input::File(path) = &input {
        // A file can be read again: the fuller binary takes the command line.
        if let Some(fuller) = linked.fuller
            && (matches!(named, Named::Elsewhere)
                || !recognises_all(registry, std::slice::from_ref(path)))
        {
            return hand_off(fuller);
        }
        if let Output::File(out) = &output {
            return Ok(report(
                label_file(registry, path, out, job, log),
                args.quiet,
            ));
        }
    }
    // An input refused by size is a failed file (exit 1), not bad usage.
    let bytes = match read_input(&input, &job.limits) {
        Ok(bytes) => bytes,
        Err(e) => return Ok(report(Err(e), args.quiet)),
    };
    let name = match (&named, &input) {
        (Named::Here(_, name), _) => Some(name.clone()),
        (_, Input::File(path)) => Some(path.clone()),
        _ => None,
    };
    let head = &bytes[..bytes.len().min(tanba::SNIFF_LEN)];
    let detected = registry.detect(head, name.as_deref()).map(|(_, f)| f);
    let unknown_here = match &named {
        Named::Elsewhere => true,
        Named::Absent => detected.is_none(),
        Named::Here(..) => false,
    };
    if let Some(fuller) = linked.fuller
        && unknown_here
    {
        return hand_off_bytes(fuller, &bytes);
    }
    if let Named::Here(wanted, _) = &named
        && !detected
            .is_some_and(|found| std::ptr::eq(*wanted, found) || same_container(wanted, found))
    {
        let what = registry
            .detect(head, None)
            .map_or("not a supported format", |(_, f)| f.name);
        return Err(Error::config(format!(
            "--format {}: the input is not {} ({what})",
            args.format.as_deref().unwrap_or_default(),
            wanted.name
        )));
    }
    let from = match &input {
        Input::Stdin => STDIN.to_string(),
        Input::File(p) => p.display().to_string(),
    };
    let result = label_bytes(
        registry,
        (&bytes, &from, name.as_deref()),
        &output,
        job,
        log,
    );
    Ok(report(result, args.quiet))
}

/// What one labelled file tells the user, on standard error.
struct Done {
    from: String,
    to: String,
    format: &'static str,
    notes: Vec<String>,
}

/// The exit code of one file, its line on standard error (a failure's
/// even with `--quiet`).
fn report(result: Result<Done>, quiet: bool) -> ExitCode {
    match result {
        Ok(_) if quiet => ExitCode::SUCCESS,
        Ok(done) => {
            let mut line = format!(
                "tanba: labelled {} [{}] -> {}",
                done.from, done.format, done.to
            );
            for note in &done.notes {
                line.push_str(&format!("; {note}"));
            }
            errln!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            errln!("tanba: FAILED {e}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// A file to a named file: atomic, verified, with its sidecars.
fn label_file(
    registry: &Registry,
    input: &Path,
    output: &Path,
    job: &Job,
    log: Option<&ComplianceLog>,
) -> Result<Done> {
    let outcome = registry.label_file(input, output, job)?;
    let to = outcome.output.display().to_string();
    let from = input.display().to_string();
    let shas = (
        outcome.input_sha256.as_str(),
        outcome.output_sha256.as_str(),
    );
    let mut notes = outcome.labelled.notes.clone();
    notes.extend(append_log(
        log,
        (&from, &to),
        shas,
        &outcome.labelled.manifest,
    ));
    Ok(Done {
        from,
        to,
        format: outcome.labelled.format.name,
        notes,
    })
}

/// Bytes in memory to standard output or to a named file.
fn label_bytes(
    registry: &Registry,
    (bytes, from, name): (&[u8], &str, Option<&Path>),
    output: &Output,
    job: &Job,
    log: Option<&ComplianceLog>,
) -> Result<Done> {
    let at = |e: Error| e.at(Path::new(from));
    let (labelled_bytes, labelled) = registry.label_bytes(bytes, name, job).map_err(at)?;
    let to = match output {
        Output::Stdout => {
            write_stdout(&labelled_bytes);
            "<stdout>".to_string()
        }
        Output::File(path) => {
            tanba::atomic::write_atomic(path, |f| Ok(f.write_all(&labelled_bytes)?))?;
            // The manifest sidecar, when asked (`--text-manifest sidecar`).
            if let Some(sidecar) = registry.manifest_sidecar_of(path, labelled.format) {
                let json = tanba::text::sidecar_contents(&labelled.manifest);
                tanba::atomic::write_atomic(&sidecar, |f| Ok(f.write_all(json.as_bytes())?))?;
            }
            path.display().to_string()
        }
    };
    let shas = (sha256_hex(bytes), sha256_hex(&labelled_bytes));
    let mut notes = labelled.notes.clone();
    notes.extend(append_log(
        log,
        (from, &to),
        (&shas.0, &shas.1),
        &labelled.manifest,
    ));
    Ok(Done {
        from: from.to_string(),
        to,
        format: labelled.format.name,
        notes,
    })
}

/// Appends the compliance log line; a note when it cannot be written.
fn append_log(
    log: Option<&ComplianceLog>,
    (input, output): (&str, &str),
    (input_sha256, output_sha256): (&str, &str),
    m: &tanba::Manifest,
) -> Option<String> {
    let line = LogLine::new((input, output), (input_sha256, output_sha256), m);
    log?.append(&line)
        .err()
        .map(|e| format!("compliance log not written: {e}"))
}

/// What `tanba verify -` found in standard input.
pub(crate) enum Verified {
    /// Verified here.
    Here(Box<Result<tanba::Verification>>),
    /// Handed to the fuller binary, which printed its verdict.
    HandedOff(ExitCode),
}

/// `tanba verify -`: standard input, read whole, verified in memory.
pub(crate) fn verify_stdin(
    registry: &Registry,
    limits: &Limits,
    linked: Linked,
) -> Result<Verified> {
    check_not_terminal()?;
    let bytes = read_stdin(limits)?;
    let head = &bytes[..bytes.len().min(tanba::SNIFF_LEN)];
    if let Some(fuller) = linked.fuller
        && registry.detect(head, None).is_none()
    {
        return Ok(Verified::HandedOff(hand_off_bytes(fuller, &bytes)?));
    }
    Ok(Verified::Here(Box::new(
        registry.verify_bytes(&bytes, None, limits),
    )))
}
