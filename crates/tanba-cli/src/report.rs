//! The bulk job's report (JSON and CSV), its merge across shards, and the
//! compliance log.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use tanba::{Error, Result, atomic};

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Labelled now.
    Labelled,
    /// Already carried our mark (copied unchanged), or labelled by an earlier
    /// run of the same job (left as it is).
    AlreadyLabelled,
    /// Not a supported format.
    Skipped,
    /// Failed; see the reason.
    Failed,
}

/// One row of the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileReport {
    /// The input file.
    pub input: String,
    /// The output file, when one was written or kept.
    #[serde(default)]
    pub output: Option<String>,
    /// What happened.
    pub outcome: Outcome,
    /// Sniffed format.
    #[serde(default)]
    pub format: Option<String>,
    /// Why it failed or was skipped, or a note.
    #[serde(default)]
    pub reason: Option<String>,
    /// Input size.
    #[serde(default)]
    pub input_bytes: Option<u64>,
    /// Output size.
    #[serde(default)]
    pub output_bytes: Option<u64>,
    /// Wall time spent, in milliseconds.
    pub millis: f64,
    /// SHA-256 of the input.
    #[serde(default)]
    pub input_sha256: Option<String>,
    /// SHA-256 of the output.
    #[serde(default)]
    pub output_sha256: Option<String>,
    /// C2PA Content Credentials: `embedded`, or the sidecar's path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c2pa: Option<String>,
    /// The manifest sidecar written beside a text output, its path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_sidecar: Option<String>,
}

/// Counts per outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Labelled now.
    pub labelled: usize,
    /// Already labelled.
    pub already_labelled: usize,
    /// Not supported.
    pub skipped: usize,
    /// Failed.
    pub failed: usize,
}

impl Summary {
    /// Counts the rows.
    pub fn of(files: &[FileReport]) -> Summary {
        let mut s = Summary::default();
        for f in files {
            match f.outcome {
                Outcome::Labelled => s.labelled += 1,
                Outcome::AlreadyLabelled => s.already_labelled += 1,
                Outcome::Skipped => s.skipped += 1,
                Outcome::Failed => s.failed += 1,
            }
        }
        s
    }

    /// Every file.
    pub fn total(&self) -> usize {
        self.labelled + self.already_labelled + self.skipped + self.failed
    }
}

/// The whole report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// `tanba/VERSION`.
    pub tool: String,
    /// When the job started (RFC 3339, UTC).
    pub started: String,
    /// When it finished.
    pub finished: String,
    /// The shards this report covers (`0/1` for a whole job).
    pub shards: Vec<String>,
    /// Counts.
    pub summary: Summary,
    /// One row per file.
    pub files: Vec<FileReport>,
}

/// Now, RFC 3339 UTC to the second.
pub fn now() -> String {
    let t = time::OffsetDateTime::now_utc();
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

const CSV_HEADER: &str = "input,output,outcome,format,reason,input_bytes,output_bytes,millis,input_sha256,output_sha256,c2pa,manifest_sidecar";

pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `1 file`, `2 files`: a count with its noun, in the right number.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Report {
    /// Writes the JSON report atomically.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| Error::config(e.to_string()))?;
        atomic::write_atomic(path, |f| Ok(f.write_all(&json)?))
    }

    /// Writes the CSV report atomically: one row per file.
    pub fn write_csv(&self, path: &Path) -> Result<()> {
        let mut out = String::from(CSV_HEADER);
        out.push('\n');
        for f in &self.files {
            let outcome = serde_json::to_value(f.outcome)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let opt = |o: &Option<String>| o.as_deref().map(csv_field).unwrap_or_default();
            let num = |o: Option<u64>| o.map(|n| n.to_string()).unwrap_or_default();
            out.push_str(
                &[
                    csv_field(&f.input),
                    opt(&f.output),
                    outcome,
                    opt(&f.format),
                    opt(&f.reason),
                    num(f.input_bytes),
                    num(f.output_bytes),
                    format!("{:.3}", f.millis),
                    opt(&f.input_sha256),
                    opt(&f.output_sha256),
                    opt(&f.c2pa),
                    opt(&f.manifest_sidecar),
                ]
                .join(","),
            );
            out.push('\n');
        }
        atomic::write_atomic(path, |f| Ok(f.write_all(out.as_bytes())?))
    }

    /// Reads a JSON report.
    pub fn read(path: &Path) -> Result<Report> {
        let bytes = std::fs::read(path).map_err(|e| Error::from(e).at(path))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::malformed(format!("not a tanba report: {e}")).at(path))
    }

    /// Merges shard reports into one. A file reported by two shards means the
    /// shards were not from one job: that is an error, not a silent union.
    pub fn merge(reports: Vec<Report>) -> Result<Report> {
        let mut files: Vec<FileReport> = Vec::new();
        let mut shards = Vec::new();
        let mut started: Option<String> = None;
        let mut finished: Option<String> = None;
        let mut seen = std::collections::HashSet::new();
        for r in reports {
            for f in r.files {
                if !seen.insert(f.input.clone()) {
                    return Err(Error::config(format!(
                        "{} appears in more than one report",
                        f.input
                    )));
                }
                files.push(f);
            }
            shards.extend(r.shards);
            started = Some(match started {
                Some(s) if s <= r.started => s,
                _ => r.started,
            });
            finished = Some(match finished {
                Some(f) if f >= r.finished => f,
                _ => r.finished,
            });
        }
        files.sort_by(|a, b| a.input.cmp(&b.input));
        shards.sort();
        shards.dedup();
        check_shards(&shards)?;
        Ok(Report {
            tool: concat!("tanba/", env!("CARGO_PKG_VERSION")).to_string(),
            started: started.unwrap_or_default(),
            finished: finished.unwrap_or_default(),
            shards,
            summary: Summary::of(&files),
            files,
        })
    }
}

/// Shards `I/N` of one job share N; a missing index is a partial job,
/// which is said aloud (the merge of what exists is still useful).
fn check_shards(shards: &[String]) -> Result<()> {
    let parsed: Vec<(u64, u64)> = shards
        .iter()
        .filter_map(|s| {
            let (i, n) = s.split_once('/')?;
            Some((i.parse().ok()?, n.parse().ok()?))
        })
        .collect();
    let Some(&(_, count)) = parsed.first() else {
        return Ok(());
    };
    if parsed.iter().any(|&(_, n)| n != count) {
        return Err(Error::config(format!(
            "the reports come from jobs split differently ({})",
            shards.join(", ")
        )));
    }
    let missing: Vec<String> = (0..count)
        .filter(|i| !parsed.iter().any(|&(j, _)| j == *i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        errln!(
            "tanba: warning: no report for {} {}: the merged report covers part of the job",
            if missing.len() == 1 {
                "shard"
            } else {
                "shards"
            },
            missing.join(", ")
        );
    }
    Ok(())
}

/// The compliance log: one JSON line per labelled file, appended, so an
/// operator can show a regulator what was labelled and when.
#[derive(Debug)]
pub struct ComplianceLog {
    file: Mutex<std::fs::File>,
    path: PathBuf,
    /// The manifests earlier runs logged, by id, read on first need.
    earlier: OnceLock<HashMap<String, Logged>>,
}

/// One line of the compliance log.
#[derive(Debug, Serialize)]
pub struct LogLine<'a> {
    /// When.
    pub time: String,
    /// Who operates the AI system.
    pub operator: Option<&'a tanba::Operator>,
    /// Which AI system.
    pub ai_system: Option<&'a tanba::AiSystem>,
    /// The input file.
    pub input: &'a str,
    /// The output file.
    pub output: &'a str,
    /// SHA-256 of the input.
    pub input_sha256: &'a str,
    /// SHA-256 of the output.
    pub output_sha256: &'a str,
    /// The manifest id.
    pub manifest_id: &'a str,
    /// MIME type.
    pub media_type: &'a str,
    /// The label texts.
    pub label: Vec<&'a str>,
    /// The whole manifest: text outputs carry only its reference (id and
    /// digest), so the log is where it is kept.
    pub manifest: &'a tanba::Manifest,
}

impl<'a> LogLine<'a> {
    /// The line of one labelled file, written now.
    pub fn new(
        (input, output): (&'a str, &'a str),
        (input_sha256, output_sha256): (&'a str, &'a str),
        m: &'a tanba::Manifest,
    ) -> Self {
        LogLine {
            time: now(),
            operator: m.operator.as_ref(),
            ai_system: m.ai_system.as_ref(),
            input,
            output,
            input_sha256,
            output_sha256,
            manifest_id: &m.id,
            media_type: &m.media_type,
            label: m.label.lines.iter().map(|l| l.text.as_str()).collect(),
            manifest: m,
        }
    }
}

/// What resuming needs from a manifest the log holds.
#[derive(Debug, Clone)]
pub struct Logged {
    /// `Manifest::digest`, which a reference names.
    pub digest: String,
    /// SHA-256 of the input it was made from.
    pub source_sha256: String,
    /// SHA-256 of the settings it was made with.
    pub settings_sha256: Option<String>,
}

impl ComplianceLog {
    /// Opens (creating) the log for appending.
    pub fn open(path: &Path) -> Result<ComplianceLog> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::from(e).at(path))?;
        Ok(ComplianceLog {
            file: Mutex::new(file),
            path: path.to_path_buf(),
            earlier: OnceLock::new(),
        })
    }

    /// What the log holds of the manifest `reference` names, when it holds
    /// that very manifest (same id and digest). The log is read once, on
    /// the first call; lines without a manifest (older versions) and lines
    /// that do not parse are passed over.
    pub fn find(&self, reference: &tanba::ManifestRef) -> Option<Logged> {
        let earlier = self.earlier.get_or_init(|| {
            #[derive(Deserialize)]
            struct Line {
                manifest: Option<tanba::Manifest>,
            }
            let Ok(file) = std::fs::File::open(&self.path) else {
                return HashMap::new();
            };
            std::io::BufRead::lines(std::io::BufReader::new(file))
                .map_while(std::result::Result::ok)
                .filter_map(|line| serde_json::from_str::<Line>(&line).ok()?.manifest)
                .map(|m| {
                    let logged = Logged {
                        digest: m.digest(),
                        source_sha256: m.source_sha256,
                        settings_sha256: m.settings_sha256,
                    };
                    (m.id, logged)
                })
                .collect()
        });
        earlier
            .get(&reference.id)
            .filter(|l| l.digest == reference.sha256)
            .cloned()
    }

    /// Appends one line in a single write, so parallel workers never interleave.
    pub fn append(&self, line: &LogLine<'_>) -> Result<()> {
        let mut json = serde_json::to_vec(line).map_err(|e| Error::config(e.to_string()))?;
        json.push(b'\n');
        let mut file = self
            .file
            .lock()
            .map_err(|_| Error::config("compliance log lock poisoned"))?;
        file.write_all(&json)?;
        file.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(input: &str, outcome: Outcome) -> FileReport {
        FileReport {
            input: input.into(),
            output: None,
            outcome,
            format: None,
            reason: Some("a, \"quoted\" reason".into()),
            input_bytes: Some(1),
            output_bytes: None,
            millis: 1.0,
            input_sha256: None,
            output_sha256: None,
            c2pa: None,
            manifest_sidecar: None,
        }
    }

    fn report(shard: &str, files: Vec<FileReport>) -> Report {
        Report {
            tool: "t".into(),
            started: "2026-01-01T00:00:00Z".into(),
            finished: "2026-01-01T00:00:01Z".into(),
            shards: vec![shard.into()],
            summary: Summary::of(&files),
            files,
        }
    }

    #[test]
    fn merge_unions_and_refuses_overlap() {
        let a = report(
            "0/2",
            vec![row("a", Outcome::Labelled), row("c", Outcome::Failed)],
        );
        let b = report("1/2", vec![row("b", Outcome::Skipped)]);
        let merged = Report::merge(vec![a.clone(), b]).unwrap();
        assert_eq!(
            merged.summary,
            Summary {
                labelled: 1,
                already_labelled: 0,
                skipped: 1,
                failed: 1
            }
        );
        assert_eq!(merged.shards, ["0/2", "1/2"]);
        assert!(Report::merge(vec![a.clone(), a.clone()]).is_err());
        let other_split = report("1/3", vec![row("d", Outcome::Labelled)]);
        let err = Report::merge(vec![a, other_split]).unwrap_err();
        assert!(err.to_string().contains("split differently"), "{err}");
    }

    #[test]
    fn csv_quotes_fields() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("r.csv");
        report("0/1", vec![row("x,y", Outcome::Labelled)])
            .write_csv(&p)
            .unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(
            text.contains("\"x,y\",,labelled,,\"a, \"\"quoted\"\" reason\",1,,1.000,,"),
            "{text}"
        );
    }
}
