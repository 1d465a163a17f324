//! `tanba label`: check the flags, walk, plan every output, label every
//! file, report.
//!
//! Exit codes: 0 when every file found was labelled (or was already), 1
//! when a file failed or a file named on the command line was not
//! labelled (a file merely skipped inside a folder walk does not count),
//! 2 for bad usage, before anything is written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tanba::{Error, Result};

use crate::args::LabelArgs;
use crate::batch::{self, BatchOptions};
use crate::commands::{dry_run, pipe};
use crate::config::Config;
use crate::plan::{self, Destination};
use crate::progress::{Display, Verbosity};
use crate::report::{self, ComplianceLog, Report, Summary, count};
use crate::settings::prepare;
use crate::walk::{self, Rules, Shard};
use crate::{EXIT_FAILED, EXIT_USAGE, Linked, hand_off, recognises_all};

pub(crate) fn label(args: LabelArgs, linked: Linked) -> Result<ExitCode> {
    let config = match &args.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let (mut job, mut registry) = prepare(&args.common, &args.walk, &config, linked)?;
    if args.walk.type_list {
        return walk::print_type_list(&registry, &args.walk);
    }
    if !walk::all_exist(&args.inputs) {
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    job.force = args.force;
    let log_path = args.log.clone().or_else(|| config.job.log.clone());
    if let Some(ends) = pipe::single(&args)? {
        if args.dry_run {
            return Err(Error::config(
                "--dry-run plans files and folders; it takes no standard input or output (-)",
            ));
        }
        let log = log_path.as_deref().map(ComplianceLog::open).transpose()?;
        return pipe::label(&args, ends, &job, &registry, linked, log.as_ref());
    }
    if let Some(fuller) = linked.fuller
        && !recognises_all(&registry, &args.inputs)
    {
        return hand_off(fuller);
    }
    let to = destination(&args)?;
    // Out of place, one sync of the output tree at the end replaces a
    // flush per file; replacing originals stays synced file by file.
    if matches!(to, Destination::Out(_)) && cfg!(unix) {
        registry.set_durability(tanba::atomic::Durability::Batch);
    }
    let shard = args
        .shard
        .as_deref()
        .map(Shard::parse)
        .transpose()
        .map_err(Error::config)?;
    check_reports(&args)?;
    let globs =
        walk::type_globs(&registry.formats(), &args.walk.type_add).map_err(Error::config)?;
    let avoid = args.out.as_deref().and_then(|o| o.canonicalize().ok());
    let rules = Rules::new(&args.walk, &globs, avoid).map_err(Error::config)?;
    if !args.dry_run {
        install_interrupt_handler()?;
    }
    let jobs = args
        .jobs
        .or(config.job.jobs)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let started = report::now();
    let mut found = walk::walk(&args.inputs, &rules).map_err(Error::config)?;
    if let Some(shard) = shard {
        found.tasks.retain(|t| shard.takes(&t.relative));
        // Refused files are reported by one shard only, so the shards'
        // reports still merge without overlaps.
        found
            .refused
            .retain(|r| shard.takes(&r.input.to_string_lossy()));
    }
    // The plan's sniffing runs on the job's workers too: `--jobs 1` is one.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|e| Error::config(format!("cannot start {jobs} workers: {e}")))?;
    let plan = pool.install(|| plan::plan(&registry, found, to));
    crate::settings::check_job(&registry, &job, &plan.labelers())?;
    if args.dry_run {
        return Ok(pool.install(|| dry_run::show(&registry, &job, plan, to)));
    }
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).map_err(|e| Error::from(e).at(out))?;
    }
    // Opened (so created) only now: nothing is written before the plan
    // holds, nor on a dry run.
    let log = log_path.as_deref().map(ComplianceLog::open).transpose()?;
    plan::remove_stale_temporaries(&plan);
    let options = BatchOptions {
        in_place: args.in_place,
        backup: !args.no_backup,
        verbosity: Verbosity::of(args.quiet, args.verbose),
        color: args.color,
    };
    let (files, display) = batch::run(&registry, &job, plan, &options, &pool, log.as_ref())?;
    if registry.durability() == tanba::atomic::Durability::Batch
        && let Some(out) = &args.out
    {
        tanba::atomic::sync_filesystem(out)?;
    }
    finish(&args, files, &display, started, shard)
}

/// The reports and the closing count, and the exit code they imply.
fn finish(
    args: &LabelArgs,
    files: Vec<report::FileReport>,
    display: &Display,
    started: String,
    shard: Option<Shard>,
) -> Result<ExitCode> {
    let summary = Summary::of(&files);
    let report = Report {
        tool: concat!("tanba/", env!("CARGO_PKG_VERSION")).to_string(),
        started,
        finished: report::now(),
        shards: vec![shard.map_or("0/1".to_string(), |s| format!("{}/{}", s.index, s.count))],
        summary: summary.clone(),
        files,
    };
    if let Some(p) = &args.report {
        report.write_json(p)?;
    }
    if let Some(p) = &args.csv {
        report.write_csv(p)?;
    }
    display.summary(&format!(
        "tanba: {}: {} labelled, {} already labelled, {} skipped, {} failed",
        count(summary.total(), "file", "files"),
        summary.labelled,
        summary.already_labelled,
        summary.skipped,
        summary.failed
    ));
    Ok(if summary.failed > 0 {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// Where the job writes. An output folder that is an input folder, lies
/// inside one, or holds an input would overwrite or re-walk the inputs:
/// refused before anything is written (in-place work is `--in-place`,
/// which keeps backups).
fn destination(args: &LabelArgs) -> Result<Destination<'_>> {
    let out = match (&args.out, args.in_place) {
        (Some(out), false) => out,
        (None, true) => return Ok(Destination::InPlace),
        _ => {
            return Err(Error::config(
                "give --out DIR, or --in-place to replace the originals",
            ));
        }
    };
    let out_real = resolve(out);
    for input in &args.inputs {
        let Ok(input_real) = input.canonicalize() else {
            continue;
        };
        let why = if input_real == out_real {
            "is the input folder"
        } else if out_real.starts_with(&input_real) {
            "is inside the input folder"
        } else if input_real.starts_with(&out_real) {
            "holds this input"
        } else {
            continue;
        };
        return Err(Error::config(format!(
            "--out {} {why} {}: labelled copies would overwrite or be mixed with the inputs; \
             choose another folder, or --in-place to replace the originals (with backups)",
            out.display(),
            input.display()
        )));
    }
    Ok(Destination::Out(out))
}

/// The real path `path` has or will have: its deepest existing ancestor
/// resolved, the rest joined on.
fn resolve(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut missing = Vec::new();
    let mut at = absolute.as_path();
    loop {
        if let Ok(real) = at.canonicalize() {
            return missing.iter().rev().fold(real, |p, part| p.join(part));
        }
        match (at.parent(), at.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name.to_os_string());
                at = parent;
            }
            _ => return absolute,
        }
    }
}

/// A report that cannot be written is found now, not after the work. The
/// output folder, created later, may hold it.
fn check_reports(args: &LabelArgs) -> Result<()> {
    for path in [&args.report, &args.csv].into_iter().flatten() {
        let dir = tanba::atomic::parent_of(path);
        if !dir.is_dir() && args.out.as_deref() != Some(dir) {
            return Err(Error::config("the report's folder does not exist").at(path));
        }
    }
    Ok(())
}

/// Ctrl-C or SIGTERM: remove the files being written, so the output tree
/// holds only finished files; running the same command resumes.
fn install_interrupt_handler() -> Result<()> {
    ctrlc::set_handler(|| {
        let removed = tanba::atomic::remove_unfinished();
        errln!(
            "tanba: interrupted; removed {}; run the same command again to resume",
            count(removed, "unfinished file", "unfinished files")
        );
        std::process::exit(130);
    })
    .map_err(|e| Error::config(format!("cannot install the Ctrl-C handler: {e}")))
}
