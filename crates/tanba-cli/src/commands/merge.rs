//! `tanba report merge`: one report from the shards of a job.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tanba::Result;

use crate::EXIT_FAILED;
use crate::report::{Outcome, Report, count};

pub(crate) fn merge(reports: &[PathBuf], out: &Path, csv: Option<&Path>) -> Result<ExitCode> {
    let loaded = reports
        .iter()
        .map(|p| Report::read(p))
        .collect::<Result<Vec<_>>>()?;
    let merged = Report::merge(loaded)?;
    merged.write_json(out)?;
    if let Some(csv) = csv {
        merged.write_csv(csv)?;
    }
    let s = &merged.summary;
    errln!(
        "tanba: merged {}: {}, {} labelled, {} already labelled, {} skipped, {} failed",
        count(reports.len(), "report", "reports"),
        count(s.total(), "file", "files"),
        s.labelled,
        s.already_labelled,
        s.skipped,
        s.failed
    );
    let failed = merged.files.iter().any(|f| f.outcome == Outcome::Failed);
    Ok(if failed {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}
