//! One case of the report: the ways of doing one job (variants), run
//! alternately under GNU time, and what the rows measured.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::Ctx;
use super::measure::{self, Sample};

/// Who ran a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Tanba (the CLI, or the library through an example).
    Tanba,
    /// The tool people would use instead.
    Peer,
    /// A floor to compare with (plain decode+encode, cp).
    Baseline,
}

/// One way of doing a case's job.
#[derive(Debug, Clone)]
pub struct Variant {
    /// Row name.
    pub name: String,
    /// Whose row.
    pub role: Role,
    pub(super) program: String,
    pub(super) args: Vec<String>,
    pub(super) env: Vec<(&'static str, &'static str)>,
    /// The scratch folder, wiped before each run; `{S}` in args stands for it.
    pub(super) scratch: PathBuf,
}

/// A variant's runs.
#[derive(Debug, Clone)]
pub struct Row {
    /// The variant.
    pub variant: Variant,
    /// The runs that succeeded.
    pub samples: Vec<Sample>,
    /// Why it stopped, if it failed.
    pub error: Option<String>,
}

impl Row {
    /// The command line as shown in the report, with short paths.
    pub fn shown(&self, ctx: &Ctx) -> String {
        let mut s = format!(
            "{} {}",
            short_program(&self.variant.program),
            self.variant.args.join(" ")
        );
        let scratch = self.variant.scratch.display().to_string();
        s = s.replace(&scratch, "OUT");
        s = s.replace(&ctx.media.dir.display().to_string(), "MEDIA");
        s = s.replace(&ctx.root.display().to_string(), ".");
        for (k, v) in &self.variant.env {
            s = format!("{k}={v} {s}");
        }
        s
    }
}

fn short_program(p: &str) -> String {
    Path::new(p)
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_else(|| p.to_string())
}

/// One case: a job done several ways.
#[derive(Debug, Clone)]
pub struct Case {
    /// Heading.
    pub title: String,
    /// The rows, Tanba's first.
    pub rows: Vec<Row>,
    /// Runs per variant asked for.
    pub reps: usize,
    /// Lines of Markdown after the table.
    pub notes: Vec<String>,
}

/// A section of the report (one media type).
#[derive(Debug, Clone)]
pub struct Section {
    /// `image`, `audio` …
    pub name: &'static str,
    /// Lines of Markdown before the cases.
    pub intro: Vec<String>,
    /// The cases.
    pub cases: Vec<Case>,
    /// Why the section was not run.
    pub skipped: Option<String>,
}

impl Section {
    pub(super) fn new(name: &'static str) -> Section {
        Section {
            name,
            intro: Vec::new(),
            cases: Vec::new(),
            skipped: None,
        }
    }

    pub(super) fn skip(name: &'static str, why: String) -> Section {
        eprintln!("xtask bench: {name}: {why}");
        let mut s = Section::new(name);
        s.skipped = Some(why);
        s
    }
}

pub(super) fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// Builds variants for one case under `work/<case>/`.
pub(super) struct CaseBuilder {
    dir: PathBuf,
    pub(super) variants: Vec<Variant>,
}

impl CaseBuilder {
    pub(super) fn new(ctx: &Ctx, section: &str, title: &str) -> CaseBuilder {
        CaseBuilder {
            dir: ctx.work.join(section).join(slug(title)),
            variants: Vec::new(),
        }
    }

    /// Adds a variant; `{S}` in `args` is replaced by its scratch folder.
    pub(super) fn add(
        &mut self,
        name: &str,
        role: Role,
        program: &str,
        args: &[String],
    ) -> &mut Variant {
        let scratch = self.dir.join(slug(name));
        let s = scratch.display().to_string();
        self.variants.push(Variant {
            name: name.to_string(),
            role,
            program: program.to_string(),
            args: args.iter().map(|a| a.replace("{S}", &s)).collect(),
            env: Vec::new(),
            scratch,
        });
        let last = self.variants.len() - 1;
        &mut self.variants[last]
    }
}

/// Runs the variants alternately (`reps` rounds, the order reversed on odd
/// rounds so that no tool always runs after the same one).
pub(super) fn run_case(title: &str, builder: CaseBuilder, reps: usize) -> Case {
    let mut rows: Vec<Row> = builder
        .variants
        .into_iter()
        .map(|variant| Row {
            variant,
            samples: Vec::new(),
            error: None,
        })
        .collect();
    let _ = std::fs::create_dir_all(&builder.dir);
    // Warm the page cache: every input and program is read once before the
    // first timed run, so that run 1 is not the only one reading from disk.
    for row in &rows {
        let v = &row.variant;
        warm(Path::new(&v.program));
        for a in &v.args {
            let path = Path::new(a);
            if path.is_absolute() && !path.starts_with(&v.scratch) {
                warm(path);
            }
        }
    }
    for rep in 0..reps {
        let mut order: Vec<usize> = (0..rows.len()).collect();
        if rep % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let row = &mut rows[i];
            if row.error.is_some() {
                continue;
            }
            let v = &row.variant;
            let _ = std::fs::remove_dir_all(&v.scratch);
            if let Err(e) = std::fs::create_dir_all(&v.scratch) {
                row.error = Some(format!("{}: {e}", v.scratch.display()));
                continue;
            }
            let log = builder.dir.join(format!("{}.log", slug(&v.name)));
            match measure::timed(&v.program, &v.args, &v.env, &log) {
                Ok(s) => {
                    eprintln!(
                        "  {title} | {} | run {}: {:.2} s wall, {:.2} s CPU, {:.0} MiB",
                        v.name,
                        rep + 1,
                        s.wall,
                        s.cpu,
                        s.rss_kib as f64 / 1024.0
                    );
                    row.samples.push(s);
                }
                Err(e) => {
                    eprintln!("  {title} | {} | FAILED: {e}", v.name);
                    row.error = Some(e);
                }
            }
        }
    }
    Case {
        title: title.to_string(),
        rows,
        reps,
        notes: Vec::new(),
    }
}

pub(super) fn s(v: impl ToString) -> String {
    v.to_string()
}

pub(super) fn p(path: &Path) -> String {
    path.display().to_string()
}

/// `tanba label INPUT --out OUT --quiet --jobs JOBS EXTRA..`: the arguments
/// every Tanba row of the bench starts from.
pub(super) fn label_args(input: &Path, out: &str, jobs: &str, extra: &[&str]) -> Vec<String> {
    let head = ["label", &p(input), "--out", out, "--quiet", "--jobs", jobs].map(s);
    head.into_iter().chain(extra.iter().map(s)).collect()
}

/// `tanba verify` on the first file under `dir`; a note for the report.
pub(super) fn verify_note(ctx: &Ctx, dir: &Path) -> String {
    let Some(file) = first_file(dir) else {
        return "Tanba output: none found to verify.".to_string();
    };
    let out = Command::new(&ctx.tanba).arg("verify").arg(&file).output();
    let name = file
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default();
    match out {
        Ok(o) if o.status.success() => {
            format!("Tanba's output `{name}` passes `tanba verify` (both marks present).")
        }
        Ok(o) => format!(
            "**Tanba's output `{name}` does not pass `tanba verify`** ({}): {}",
            o.status,
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .chain(String::from_utf8_lossy(&o.stderr).lines())
                .take(4)
                .collect::<Vec<_>>()
                .join(" / ")
        ),
        Err(e) => format!("could not run tanba verify: {e}"),
    }
}

/// What ffprobe says Tanba wrote (the first file under `dir`).
pub(super) fn probe_note(dir: &Path) -> String {
    let Some(file) = first_file(dir) else {
        return String::new();
    };
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries"])
        .arg(
            "stream=codec_name,sample_rate,channels,width,height,bit_rate:format=duration,bit_rate",
        )
        .args(["-of", "compact=p=0:nk=0"])
        .arg(&file)
        .output();
    match out {
        Ok(o) if o.status.success() => format!(
            "Tanba's output, per ffprobe: `{}`.",
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(|l| l.replace("|", ", "))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        _ => String::new(),
    }
}

pub(super) fn first_file(dir: &Path) -> Option<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for e in &entries {
        if e.is_file() && e.extension().is_none_or(|x| x != "json") {
            return Some(e.clone());
        }
    }
    entries
        .iter()
        .filter(|e| e.is_dir())
        .find_map(|d| first_file(d))
}

pub(super) fn median_wall(row: &Row) -> Option<f64> {
    if row.samples.is_empty() {
        return None;
    }
    let walls: Vec<f64> = row.samples.iter().map(|s| s.wall).collect();
    Some(measure::Stats::of(&walls).median)
}

pub(super) fn median_cpu(row: &Row) -> Option<f64> {
    if row.samples.is_empty() {
        return None;
    }
    let v: Vec<f64> = row.samples.iter().map(|s| s.cpu).collect();
    Some(measure::Stats::of(&v).median)
}

pub(super) fn median_rss(row: &Row) -> Option<f64> {
    if row.samples.is_empty() {
        return None;
    }
    let v: Vec<f64> = row
        .samples
        .iter()
        .map(|s| s.rss_kib as f64 / 1024.0)
        .collect();
    Some(measure::Stats::of(&v).median)
}

pub(super) fn ffmpeg(args: &[String]) -> Vec<String> {
    let mut a = vec![
        s("-nostdin"),
        s("-hide_banner"),
        s("-loglevel"),
        s("error"),
        s("-y"),
    ];
    a.extend_from_slice(args);
    a
}

/// Reads a file, or every file under a folder, and throws the bytes away.
pub(super) fn warm(path: &Path) {
    let files = if path.is_dir() {
        walk(path)
    } else if path.is_file() {
        vec![path.to_path_buf()]
    } else {
        Vec::new()
    };
    for f in files {
        if let Ok(mut file) = std::fs::File::open(&f) {
            let _ = std::io::copy(&mut file, &mut std::io::sink());
        }
    }
}

/// Every file under `dir`.
pub(super) fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            slug("One 12-megapixel JPEG (4000×3000, q90)"),
            "one-12-megapixel-jpeg-4000-3000-q90"
        );
    }
}
