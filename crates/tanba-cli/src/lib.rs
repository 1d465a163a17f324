//! The `tanba` command: label and verify AI-generated content as
//! Kazakhstan's AI law (No. 230-VIII, Art. 21) asks.
//!
//! Exit codes: 0 success (every supported file labelled, or every verified
//! file compliant); 1 some file failed or lacks a mark; 2 bad usage or
//! settings, before any file was touched.
//!
//! Two binaries run this same code: `tanba`, which links only the labelers
//! that need no FFmpeg, and `tanba-full`, which links them all. FFmpeg's
//! shared libraries (about 136 with their dependencies) take some 45 ms to
//! load before `main` runs, half the time a 120-page PDF takes to label; so `tanba`
//! labels text, PDF and pictures itself and hands every other command to
//! `tanba-full` beside it, with the same arguments (see [`Linked`]). Standard
//! input, which can be read only once, is read first and then written to
//! `tanba-full` through a pipe (`commands::pipe`).

/// `println!` that ends the process quietly when stdout is closed
/// (`tanba verify … | head`) instead of panicking: files being written are
/// removed first, as on Ctrl-C.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            $crate::stdout_failed(e);
        }
    }};
}

/// `errln!` that never panics: with stderr closed (`tanba label … 2>&1 |
/// head -1`) the messages are lost but the batch goes on to the end and
/// its report.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Where [`outln!`] goes when stdout cannot be written.
pub(crate) fn stdout_failed(e: std::io::Error) -> ! {
    tanba::atomic::remove_unfinished();
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        // 128 + SIGPIPE, as a shell reports a process the pipe ended.
        std::process::exit(141);
    }
    errln!("tanba: cannot write to standard output: {e}");
    std::process::exit(2);
}

mod args;
mod audit;
mod batch;
mod commands;
mod config;
// Entry point for the fuzz target (fuzz/); not part of the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod plan;
mod progress;
mod report;
mod settings;
mod style;
mod walk;

use clap::Parser as _;
use std::path::PathBuf;
use std::process::ExitCode;

use tanba::{Error, Registry, Result, Settings};

use crate::args::{Cli, Command, KeysCommand, ReportCommand};
use crate::commands::{audit as audit_command, docs, formats, keys, label, merge, serve, verify};

/// Exit code: a file failed, or lacks a mark.
pub(crate) const EXIT_FAILED: u8 = 1;
/// Exit code: bad usage or settings; nothing was touched.
pub(crate) const EXIT_USAGE: u8 = 2;

/// The labelers a binary links, and which binary has the others.
#[derive(Debug, Clone, Copy)]
pub struct Linked {
    /// Builds the registry of the labelers this binary links. Passed in,
    /// not called by name, so that a binary which never names
    /// [`Registry::with_settings`] links none of FFmpeg.
    pub registry: fn(&Settings) -> Registry,
    /// The binary, beside this one, to hand a command to when an input
    /// needs a labeler this one lacks (or a folder is given, whose files
    /// are not known in advance). `None`: this binary has every labeler
    /// the build has.
    pub fuller: Option<&'static str>,
}

impl Linked {
    /// Every labeler the build has.
    pub const ALL: Linked = Linked {
        registry: Registry::with_settings,
        fuller: None,
    };
}

/// Runs the command line of this process.
pub fn run(linked: Linked) -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Label(args) => label::label(*args, linked),
        Command::Verify(args) => verify::verify(&args, linked),
        Command::Serve(args) => serve::serve(*args, linked),
        Command::Audit(args) => audit_command::audit(&args, linked),
        Command::Formats { json } => formats::formats(json, linked),
        Command::Keygen { file } => keys::keygen(&file),
        Command::Keys {
            command: KeysCommand::New { dir },
        } => keys::keys_new(&dir),
        Command::Report {
            command: ReportCommand::Merge { reports, out, csv },
        } => merge::merge(&reports, &out, csv.as_deref()),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man => docs::man(),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            errln!("tanba: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Whether every input is a file one of the registry's labelers
/// recognises. A folder is not: what it holds is known only after the
/// walk. A path that cannot be read, or is not a regular file (a FIFO
/// would block the open), counts as recognised: its error is the same
/// whichever binary reports it.
pub(crate) fn recognises_all(registry: &Registry, inputs: &[PathBuf]) -> bool {
    inputs.iter().all(|input| match std::fs::metadata(input) {
        Ok(meta) if meta.is_dir() => false,
        Ok(meta) if meta.is_file() => registry.recognises_file(input).unwrap_or(true),
        Ok(_) | Err(_) => true,
    })
}

/// Hands this command line, unchanged, to `fuller` in this binary's
/// folder, with `stdin` (standard input this process already read whole)
/// written to its standard input through a pipe; its standard output and
/// error are this process's. Returns its exit code.
pub(crate) fn hand_off_bytes(fuller: &str, stdin: &[u8]) -> Result<ExitCode> {
    let (path, mut command) = fuller_command(fuller)?;
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| cannot_start(fuller, &path, e))?;
    if let Some(mut pipe) = child.stdin.take() {
        // A child that stops reading early (a refused input) closes the
        // pipe: its own message and exit code then tell what happened.
        let _ = std::io::Write::write_all(&mut pipe, stdin);
    }
    let status = child.wait().map_err(|e| Error::from(e).at(&path))?;
    Ok(status
        .code()
        .and_then(|c| u8::try_from(c).ok())
        .map_or(ExitCode::from(EXIT_FAILED), ExitCode::from))
}

/// The command that runs `fuller`, beside this binary, with this
/// process's arguments.
fn fuller_command(fuller: &str) -> Result<(PathBuf, std::process::Command)> {
    let exe = std::env::current_exe().map_err(Error::from)?;
    let path = exe.with_file_name(format!("{fuller}{}", std::env::consts::EXE_SUFFIX));
    let mut command = std::process::Command::new(&path);
    command.args(std::env::args_os().skip(1));
    Ok((path, command))
}

/// Why `fuller` could not be started, and how to install it.
fn cannot_start(fuller: &str, path: &std::path::Path, e: std::io::Error) -> Error {
    Error::Io {
        path: Some(path.to_path_buf()),
        source: std::io::Error::new(
            e.kind(),
            format!(
                "cannot start it ({e}); audio, video and folders are labelled by {fuller}, \
                 which `cargo install --path crates/tanba-cli` installs beside tanba"
            ),
        ),
    }
}

/// Hands this command line, unchanged, to `fuller` in this binary's
/// folder. Returns only when that binary cannot be started (on Unix the
/// process is replaced; elsewhere its exit code is passed on).
pub(crate) fn hand_off(fuller: &str) -> Result<ExitCode> {
    let (path, mut command) = fuller_command(fuller)?;
    let cannot_start = |e: std::io::Error| cannot_start(fuller, &path, e);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        // The usage and error lines keep saying `tanba`.
        if let Some(name) = std::env::args_os().next() {
            command.arg0(name);
        }
        Err(cannot_start(command.exec()))
    }
    #[cfg(not(unix))]
    {
        let status = command.status().map_err(cannot_start)?;
        Ok(status
            .code()
            .and_then(|c| u8::try_from(c).ok())
            .map_or(ExitCode::from(EXIT_FAILED), ExitCode::from))
    }
}
