//! `tanba completions SHELL` and `tanba man`: the command line's own
//! documentation, made from the same clap definitions as the parser, so
//! it can never describe flags the binary does not have.

use clap::CommandFactory as _;
use std::io::Write as _;
use std::process::ExitCode;

use tanba::{Error, Result};

use crate::args::Cli;

/// Writes the completion script for `shell` to standard output.
pub(crate) fn completions(shell: clap_complete::Shell) -> Result<ExitCode> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "tanba", &mut script);
    write_out(&script)
}

/// Writes one manual page to standard output: the top command, then a
/// section for each subcommand with its synopsis, flags (under their
/// headings) and examples.
pub(crate) fn man() -> Result<ExitCode> {
    let mut cmd = Cli::command();
    cmd.build();
    let mut page = Vec::new();
    let io = |e: std::io::Error| Error::config(format!("cannot render the manual page: {e}"));
    clap_mangen::Man::new(cmd.clone())
        .render(&mut page)
        .map_err(io)?;
    for sub in cmd.get_subcommands() {
        subcommand_sections(sub, "tanba", &mut page).map_err(io)?;
    }
    write_out(&page)
}

/// The sections of one subcommand (and of its own subcommands).
fn subcommand_sections(
    sub: &clap::Command,
    parent: &str,
    page: &mut Vec<u8>,
) -> std::io::Result<()> {
    if sub.is_hide_set() || sub.get_name() == "help" {
        return Ok(());
    }
    let name = format!("{parent} {}", sub.get_name());
    let named = sub.clone().bin_name(name.clone());
    writeln!(page, ".SH \"{}\"", roff_escape(&name.to_uppercase()))?;
    if let Some(about) = sub.get_long_about().or(sub.get_about()) {
        writeln!(page, "{}", roff_escape(&about.to_string()))?;
    }
    let man = clap_mangen::Man::new(named);
    man.render_synopsis_section(page)?;
    if sub.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(page)?;
    }
    if sub.get_after_long_help().is_some() {
        man.render_extra_section(page)?;
    }
    for nested in sub.get_subcommands() {
        subcommand_sections(nested, &name, page)?;
    }
    Ok(())
}

/// Text as roff reads it: backslashes escaped, no line taken for a request.
fn roff_escape(text: &str) -> String {
    text.replace('\\', "\\e")
        .lines()
        .map(|l| match l.strip_prefix(['.', '\'']) {
            Some(_) => format!("\\&{l}"),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn write_out(bytes: &[u8]) -> Result<ExitCode> {
    if let Err(e) = std::io::stdout().write_all(bytes) {
        crate::stdout_failed(e);
    }
    Ok(ExitCode::SUCCESS)
}
