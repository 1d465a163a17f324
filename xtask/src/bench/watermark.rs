//! `cargo xtask bench watermark`: the watermark's robustness matrix.
//!
//! Builds and runs the release examples of `tanba-watermark` for the parts
//! asked (`--only pictures,fp,video,audio`, all by default): each marks its
//! inputs, puts them through the real ImageMagick, ffmpeg and exiftool, and
//! prints markdown; the picture matrix and the false-positive run also read
//! the bench media (`target/bench-media/full`) when a full
//! `cargo xtask bench` has generated it. Each part rewrites ITS section of
//! `docs/benchmarks-watermark.md` (`--doc FILE` elsewhere) and its summary
//! line, and keeps the other parts' sections as they are, so parts can be
//! run and committed apart; each section states the commit, date and load
//! of its own run. The side-by-side run leaves the page alone.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{cargo, exec, have, root, target_dir};

/// One part of the bench: its `--only` name, its example and the heading
/// of its section. In the order the page lists them and they start.
struct Part {
    name: &'static str,
    example: &'static str,
    heading: &'static str,
    /// Takes `--media DIR` (the bench media).
    media: bool,
}

const PARTS: [Part; 4] = [
    Part {
        name: "fp",
        example: "false_positives",
        heading: "False positives",
        media: true,
    },
    Part {
        name: "pictures",
        example: "picture_matrix",
        heading: "Pictures",
        media: true,
    },
    Part {
        name: "video",
        example: "video_matrix",
        heading: "Video",
        media: false,
    },
    Part {
        name: "audio",
        example: "audio_matrix",
        heading: "Audio",
        media: false,
    },
];

const HELP: &str = "\
usage: cargo xtask bench watermark [--only PARTS] [--quick] [--no-build] [--doc FILE] [--media DIR]

  --only PARTS  the parts to run, any of pictures, fp, video, audio, joined
                by ',' or '|' (default: all); each rewrites its own section
                of the report and keeps the others
  --quick       fewer inputs per cell (each example's --quick)
  --no-build    use the release examples already built
  --doc FILE    where the report goes (default docs/benchmarks-watermark.md)
  --media DIR   the bench media (default target/bench-media/full, when a
                full `cargo xtask bench` has made it)
  --report-rows the pictures' and video sections (those asked by --only)
                from the rows their last run logged
                (target/watermark-bench/{picture,video}_matrix.rows), for a
                run cut short: marked partial when rows are missing";

/// What the command line asked for.
struct Args {
    parts: Vec<&'static Part>,
    quick: bool,
    no_build: bool,
    doc: Option<PathBuf>,
    media: Option<PathBuf>,
    report_rows: bool,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut out = Args {
        parts: Vec::new(),
        quick: false,
        no_build: false,
        doc: None,
        media: None,
        report_rows: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => out.quick = true,
            "--no-build" => out.no_build = true,
            "--report-rows" => out.report_rows = true,
            "--doc" => out.doc = Some(PathBuf::from(it.next().ok_or("--doc needs a value")?)),
            "--media" => {
                out.media = Some(PathBuf::from(it.next().ok_or("--media needs a value")?));
            }
            "--only" => {
                let list = it.next().ok_or("--only needs a value")?;
                for name in list.split([',', '|']).filter(|s| !s.is_empty()) {
                    let part = PARTS
                        .iter()
                        .find(|p| p.name == name)
                        .ok_or_else(|| format!("--only: unknown part {name:?}\n\n{HELP}"))?;
                    out.parts.push(part);
                }
            }
            _ => return Err(HELP.to_string()),
        }
    }
    if out.parts.is_empty() {
        out.parts = PARTS.iter().collect();
    }
    // The page's order, each part once.
    out.parts
        .sort_by_key(|p| PARTS.iter().position(|q| q.name == p.name));
    out.parts.dedup_by_key(|p| p.name);
    Ok(out)
}

/// Entry point of `cargo xtask bench watermark ARGS`.
pub fn run(args: &[String]) -> Result<(), String> {
    let args = parse(args)?;
    for tool in ["convert", "ffmpeg", "ffprobe", "exiftool"] {
        if !have(tool) {
            return Err(format!(
                "{tool} is not on the PATH (cargo xtask setup installs it)"
            ));
        }
    }
    let root = root();
    let doc = args
        .doc
        .clone()
        .unwrap_or_else(|| root.join("docs").join("benchmarks-watermark.md"));
    // The side-by-side bench's photos (200 12-MP JPEGs, 200 PNGs), when a
    // full run has generated them: more real-sized inputs for the picture
    // matrix and the false-positive run.
    let media = args
        .media
        .clone()
        .or_else(|| Some(root.join("target/bench-media/full")))
        .filter(|d| d.join("jpeg").is_dir());
    let parts: Vec<&Part> = args
        .parts
        .iter()
        .copied()
        .filter(|p| {
            root.join("crates/tanba-watermark/examples")
                .join(format!("{}.rs", p.example))
                .is_file()
        })
        .collect();
    let out_dir = target_dir().join("watermark-bench");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    if args.report_rows {
        return report_all_rows(&args.parts, &out_dir, (&doc, args.doc.is_none()), &root);
    }
    if !args.no_build {
        build_examples(&parts)?;
    }
    let stamp = run_stamp(&root, &parts);
    // Kept for `--report-rows`: the stamp of the run the rows come from.
    for part in &parts {
        write(&out_dir.join(format!("{}.stamp", part.example)), &stamp)?;
    }
    // All at once: each is mostly one thread or one ffmpeg at a time, so
    // together they keep both cores busy; each part's section is written
    // into the page as soon as it finishes, so a run cut short keeps the
    // parts that finished.
    let running: Vec<(&Part, PathBuf, std::process::Child)> = parts
        .iter()
        .map(|part| {
            let out = out_dir.join(format!("{}.md", part.example));
            spawn_example(part, args.quick, &media, &out).map(|c| (*part, out, c))
        })
        .collect::<Result<_, _>>()?;
    for (part, out, mut child) in running {
        eprintln!("xtask bench watermark: waiting for {}", part.example);
        let status = child.wait().map_err(|e| format!("{}: {e}", part.example))?;
        if !status.success() {
            return Err(format!(
                "{} failed ({status}); its output: {}",
                part.example,
                out.display()
            ));
        }
        let text = std::fs::read_to_string(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        let old = std::fs::read_to_string(&doc).unwrap_or_default();
        write(&doc, &replace_section(&old, part, &stamp, &text))?;
        eprintln!(
            "xtask bench watermark: wrote the {} section of {}",
            part.heading,
            doc.display()
        );
        if args.doc.is_none() {
            refresh_benchmarks(&root.join("docs").join("benchmarks.md"), &summary(&doc))?;
        }
    }
    Ok(())
}

/// What introduces the watermark's summary in docs/benchmarks.md (written
/// there by the side-by-side report).
pub const SUMMARY_INTRO: &str = "Watermark, its last run's summary:";

/// docs/benchmarks.md's copy of the watermark summary replaced by `lines`,
/// so it follows each part's run without a full `cargo xtask bench`; the
/// rest of that page is left as its run wrote it. A page without the copy
/// (none yet, or another layout) is left alone: the next full run adds it.
fn refresh_benchmarks(page: &Path, lines: &[String]) -> Result<(), String> {
    let Ok(old) = std::fs::read_to_string(page) else {
        return Ok(());
    };
    match with_summary(&old, lines) {
        Some(new) if new != old => write(page, &new),
        _ => Ok(()),
    }
}

/// `page` with the block of `> **` lines after [`SUMMARY_INTRO`] replaced
/// by `lines`; None when the page has no such block.
fn with_summary(page: &str, lines: &[String]) -> Option<String> {
    let at = page.find(SUMMARY_INTRO)? + SUMMARY_INTRO.len();
    let rest = &page[at..];
    // The block: blank lines and `> **` lines, up to the first other line.
    let mut end = 0;
    for line in rest.split_inclusive('\n') {
        let t = line.trim();
        if !(t.is_empty() || t.starts_with("> **")) {
            break;
        }
        end += line.len();
    }
    Some(format!(
        "{}\n\n{}\n\n{}",
        &page[..at],
        lines.join("\n\n"),
        &rest[end..]
    ))
}

/// The heading of the report's summary: one line per part, each part's
/// `> **...` line, which `cargo xtask bench` copies into
/// docs/benchmarks.md.
const SUMMARY: &str = "## Summary";

/// The summary lines (`> **...`) of a report's text.
fn summary_of(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("> **"))
        .map(str::to_string)
        .collect()
}

/// The summary of the last `cargo xtask bench watermark` run, read from
/// `doc` (docs/benchmarks-watermark.md); empty when there is none. The
/// side-by-side report copies it, so its own rewrite keeps it.
pub fn summary(doc: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(doc).unwrap_or_default();
    summary_of(&sections(&text).1.get(SUMMARY).cloned().unwrap_or_default())
}

/// A page split at its `## ` headings: the text before the first one, and
/// each section (heading line to the next heading) under its heading line,
/// in the page's order.
fn sections(text: &str) -> (String, Sections) {
    let mut head = String::new();
    let mut out = Sections::default();
    let mut current: Option<(String, String)> = None;
    for line in text.split_inclusive('\n') {
        if line.starts_with("## ") {
            if let Some((h, body)) = current.take() {
                out.push(h, body);
            }
            current = Some((line.trim_end().to_string(), String::new()));
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
        } else {
            head.push_str(line);
        }
    }
    if let Some((h, body)) = current {
        out.push(h, body);
    }
    (head, out)
}

/// Sections of a page by heading line, in order.
#[derive(Default)]
struct Sections(Vec<(String, String)>);

impl Sections {
    fn push(&mut self, heading: String, body: String) {
        self.0.push((heading, body));
    }

    /// The body of the section whose heading line is `heading`.
    fn get(&self, heading: &str) -> Option<&String> {
        self.0.iter().find(|(h, _)| h == heading).map(|(_, b)| b)
    }

    /// The section of `part` (its heading, then anything, e.g.
    /// "## Pictures (partial)").
    fn of(&self, part: &Part) -> Option<&(String, String)> {
        self.0.iter().find(|(h, _)| is_heading_of(h, part))
    }
}

fn is_heading_of(line: &str, part: &Part) -> bool {
    line.strip_prefix("## ")
        .and_then(|h| h.strip_prefix(part.heading))
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', ':']))
}

/// The page `old` with `part`'s section replaced by the example's `output`
/// (under its heading, with `stamp` saying when and where it ran), the
/// other parts' sections kept as they are, and the summary rebuilt from
/// every part's `> **` lines (an old section without one keeps its line
/// from the old summary).
fn replace_section(old: &str, part: &Part, stamp: &str, output: &str) -> String {
    let (_, old_sections) = sections(old);
    let old_summary = summary_of(old_sections.get(SUMMARY).map_or("", String::as_str));
    // The example's own heading when it is the part's ("## Pictures
    // (partial: ...)"), else the part's.
    let (heading, body) = match output.trim_start().split_once('\n') {
        Some((first, rest)) if first.starts_with("## ") => (
            Some(first.trim_end()).filter(|h| is_heading_of(h, part)),
            rest,
        ),
        _ => (None, output.trim_start()),
    };
    let fresh = (
        heading.map_or_else(|| format!("## {}", part.heading), str::to_string),
        format!("\n{stamp}\n\n{}\n\n", body.trim()),
    );
    let mut out = String::from(HEADER);
    let mut summary = Vec::new();
    let mut kept = Vec::new();
    for p in &PARTS {
        let section = if p.name == part.name {
            Some(&fresh)
        } else {
            old_sections.of(p)
        };
        let Some((heading, body)) = section else {
            continue;
        };
        let mut lines = summary_of(body);
        if lines.is_empty() {
            let tag = format!("> **{}", p.heading);
            lines.extend(old_summary.iter().filter(|l| l.starts_with(&tag)).cloned());
        }
        if lines.is_empty() {
            // Every part that has run has its line, even from an example
            // that printed none (see examples/support/summary.rs).
            lines.push(format!(
                "> **{}**: no summary line (its run printed none); see the section below.",
                p.heading
            ));
        }
        summary.extend(lines);
        kept.push(format!("{heading}\n{body}"));
    }
    // Sections of no part (notes added by hand) stay, after the parts.
    for (heading, body) in &old_sections.0 {
        if heading != SUMMARY && !PARTS.iter().any(|p| is_heading_of(heading, p)) {
            kept.push(format!("{heading}\n{body}"));
        }
    }
    out.push_str(&format!("{SUMMARY}\n\n{}\n\n", summary.join("\n\n")));
    for section in kept {
        out.push_str(section.trim_end());
        out.push_str("\n\n");
    }
    format!("{}\n", out.trim_end())
}

/// The page's opening, the same whatever parts ran.
const HEADER: &str = "# Watermark robustness\n\nWritten by `cargo xtask bench watermark`. Each \
     part (`--only pictures|fp|video|audio`) rewrites its own section and summary line and keeps \
     the others, so each section states the commit, date and load of its own run. Each cell is the \
     fraction of marked inputs whose full 64-bit payload is read back after the operation, done \
     with the real tool named. The method and what these figures mean are in \
     [watermark.md](watermark.md).\n\n";

/// "Run ... at commit C on DATE, load average at the start L" for the
/// sections this run writes.
fn run_stamp(root: &Path, parts: &[&Part]) -> String {
    let out = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .current_dir(root)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let commit = out("git", &["rev-parse", "--short", "HEAD"]);
    let dirty = !out("git", &["status", "--porcelain", "--untracked-files=no"]).is_empty();
    let date = out("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let names: Vec<&str> = parts.iter().map(|p| p.name).collect();
    format!(
        "*Run: `cargo xtask bench watermark --only {}` at commit {commit}{}, started on {date}; \
         load average at the start {} (1, 5, 15 min) on this machine's {} cores.*",
        names.join(","),
        if dirty {
            " (with uncommitted changes)"
        } else {
            ""
        },
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        std::thread::available_parallelism().map_or(0, usize::from)
    )
}

/// Builds the release examples of `parts` in one cargo run.
fn build_examples(parts: &[&Part]) -> Result<(), String> {
    let mut build = cargo();
    build.args(["build", "--release", "-p", "tanba-watermark"]);
    for part in parts {
        build.args(["--example", part.example]);
    }
    exec(build)
}

/// Starts one example, its stdout going to `out` (a file, so no pipe fills
/// while an earlier example is awaited).
fn spawn_example(
    part: &Part,
    quick: bool,
    media: &Option<PathBuf>,
    out: &Path,
) -> Result<std::process::Child, String> {
    let bin = target_dir()
        .join("release")
        .join("examples")
        .join(part.example);
    let mut cmd = Command::new(&bin);
    if quick {
        cmd.arg("--quick");
    }
    if let Some(dir) = media.as_ref().filter(|_| part.media) {
        cmd.arg("--media").arg(dir);
    }
    if ROWS_LOGGED.contains(&part.name) {
        // The video matrix appends (so runs in parts share one log): a
        // new run starts a new log.
        let _ = std::fs::remove_file(rows_log(out));
        cmd.arg("--rows").arg(rows_log(out));
    }
    let file = std::fs::File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    cmd.stdout(file)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))
}

/// The parts whose example logs each input's row as it finishes
/// (`--rows FILE`) and can report from that log (`--report-rows FILE`).
const ROWS_LOGGED: [&str; 2] = ["pictures", "video"];

/// Where the picture and video matrices log each row as it finishes.
fn rows_log(out: &Path) -> PathBuf {
    out.with_extension("rows")
}

/// `--report-rows`: the sections of the asked parts that log rows, each
/// rebuilt from its last run's rows log; the parts without a log are
/// skipped, and none at all is an error.
/// `doc` is the page and whether it is the default one (then
/// docs/benchmarks.md's copy of the summary follows it).
fn report_all_rows(
    parts: &[&Part],
    out_dir: &Path,
    (doc, default): (&Path, bool),
    root: &Path,
) -> Result<(), String> {
    let mut done = 0;
    for part in parts.iter().filter(|p| ROWS_LOGGED.contains(&p.name)) {
        if rows_log(&out_dir.join(format!("{}.md", part.example))).is_file() {
            report_rows(part, out_dir, doc, root)?;
            if default {
                refresh_benchmarks(&root.join("docs").join("benchmarks.md"), &summary(doc))?;
            }
            done += 1;
        }
    }
    if done == 0 {
        return Err(format!(
            "--report-rows: no rows log in {} for the parts asked",
            out_dir.display()
        ));
    }
    Ok(())
}

/// `--report-rows` for one part: its section rebuilt from the rows log of
/// its last run (complete or cut short), under that run's stamp.
fn report_rows(part: &Part, out_dir: &Path, doc: &Path, root: &Path) -> Result<(), String> {
    let rows = rows_log(&out_dir.join(format!("{}.md", part.example)));
    let bin = target_dir()
        .join("release")
        .join("examples")
        .join(part.example);
    let output = Command::new(&bin)
        .arg("--report-rows")
        .arg(&rows)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} --report-rows {} failed",
            bin.display(),
            rows.display()
        ));
    }
    let stamp = std::fs::read_to_string(out_dir.join(format!("{}.stamp", part.example)))
        .unwrap_or_else(|_| "*Run: not recorded.*".to_string());
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let stamp = format!(
        "{} *Reported from its rows log by `--report-rows` at commit {commit}.*",
        stamp.trim()
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let old = std::fs::read_to_string(doc).unwrap_or_default();
    write(doc, &replace_section(&old, part, &stamp, &text))
}

fn write(doc: &Path, text: &str) -> Result<(), String> {
    std::fs::write(doc, text).map_err(|e| format!("{}: {e}", doc.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_is_read_from_its_section_only() {
        let doc = std::env::temp_dir().join(format!("wm-summary-{}.md", std::process::id()));
        let text = "# Watermark robustness\n\nrun.\n\n## Summary\n\n> **Pictures**: met.\n\n\
                    > **Video**: not met.\n\n## Pictures\n\n> **Pictures**: met.\n";
        std::fs::write(&doc, text).unwrap();
        let lines = summary(&doc);
        std::fs::remove_file(&doc).unwrap();
        assert_eq!(lines, ["> **Pictures**: met.", "> **Video**: not met."]);
        assert!(summary(Path::new("/nonexistent/benchmarks-watermark.md")).is_empty());
    }

    fn part(name: &str) -> &'static Part {
        PARTS.iter().find(|p| p.name == name).unwrap()
    }

    const OLD: &str = "# Watermark robustness\n\nold run.\n\n## Summary\n\n\
        > **Pictures** (partial): met on 39.\n\n> **Video**: not met.\n\n\
        > **False positives** (previous run): 0 of 1176.\n\n\
        ## False positives\n\n*Run: fp at db095d0.*\n\n1176 unmarked pictures.\n\n\
        ## Pictures (partial)\n\n67 of 74 pictures.\n\n| a | b |\n\n\
        ## Video\n\n*Run: video at 8bfdf83.*\n\n| clip |\n\n> **Video**: not met.\n\n\
        ## Notes\n\nby hand.\n";

    #[test]
    fn a_part_rewrites_its_section_and_keeps_the_others() {
        let new = "## Pictures\n\n90 pictures.\n\n> **Pictures**: goal met on 60.\n";
        let page = replace_section(OLD, part("pictures"), "*Run: pictures at abc.*", new);
        // The new section, stamped, in place of the partial one.
        assert!(page.contains("## Pictures\n\n*Run: pictures at abc.*\n\n90 pictures."));
        assert!(!page.contains("67 of 74"));
        assert!(!page.contains("## Pictures (partial)"));
        // The others as they were, in the page's order, the hand notes last.
        assert!(page.contains("## False positives\n\n*Run: fp at db095d0.*\n\n1176 unmarked"));
        assert!(page.contains("## Video\n\n*Run: video at 8bfdf83.*\n\n| clip |"));
        let at = |s: &str| page.find(s).unwrap();
        assert!(at("## False positives") < at("## Pictures") && at("## Pictures") < at("## Video"));
        assert!(at("## Video") < at("## Notes"));
        // The summary: the new pictures line, the video line from its own
        // section, the false-positive line kept from the old summary.
        let doc = std::env::temp_dir().join(format!("wm-replace-{}.md", std::process::id()));
        std::fs::write(&doc, &page).unwrap();
        let lines = summary(&doc);
        std::fs::remove_file(&doc).unwrap();
        assert_eq!(
            lines,
            [
                "> **False positives** (previous run): 0 of 1176.",
                "> **Pictures**: goal met on 60.",
                "> **Video**: not met."
            ]
        );
    }

    #[test]
    fn a_part_without_a_heading_or_a_page_gets_its_own() {
        let page = replace_section("", part("audio"), "*Run: audio.*", "| op | 10 s |\n");
        assert!(page.starts_with("# Watermark robustness"));
        assert!(page.contains("## Audio\n\n*Run: audio.*\n\n| op | 10 s |\n"));
        // Run again: the section is replaced, not repeated.
        let again = replace_section(&page, part("audio"), "*Run: audio 2.*", "| op | 5 s |\n");
        // A partial run's own heading is kept; a stray one is not.
        let partial = "## Pictures (partial: 9 of 90 pictures finished)\n\n9 pictures.\n";
        let p = replace_section(&again, part("pictures"), "*Run.*", partial);
        assert!(p.contains("## Pictures (partial: 9 of 90 pictures finished)\n\n*Run.*"));
        let stray = replace_section(&p, part("video"), "*Run.*", "## Clips\n\n7 clips.\n");
        assert!(stray.contains("## Video\n\n*Run.*\n\n7 clips."));
        assert_eq!(again.matches("## Audio").count(), 1);
        assert!(again.contains("*Run: audio 2.*\n\n| op | 5 s |") && !again.contains("10 s"));
    }

    #[test]
    fn every_part_that_ran_has_a_summary_line() {
        // The audio section of an older run printed none.
        let page = replace_section("", part("audio"), "*Run.*", "| op | 10 s |\n");
        let page = replace_section(&page, part("video"), "*Run.*", "> **Video**: met.\n");
        let (_, s) = sections(&page);
        let lines = summary_of(s.get(SUMMARY).unwrap());
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], "> **Video**: met.");
        assert!(lines[1].starts_with("> **Audio**: no summary line"));
    }

    #[test]
    fn the_side_by_side_pages_copy_follows_the_summary() {
        let page = format!(
            "# Benchmarks\n\nintro.\n\n{SUMMARY_INTRO}\n\n> **Pictures**: old.\n\n\
             > **Video**: old.\n\n## Machine\n\n- CPU\n"
        );
        let lines = [
            "> **Pictures**: new.".to_string(),
            "> **Audio**: new.".into(),
        ];
        let new = with_summary(&page, &lines).unwrap();
        assert_eq!(
            new,
            format!(
                "# Benchmarks\n\nintro.\n\n{SUMMARY_INTRO}\n\n> **Pictures**: new.\n\n\
                 > **Audio**: new.\n\n## Machine\n\n- CPU\n"
            )
        );
        // Once more: the same page, nothing added.
        assert_eq!(with_summary(&new, &lines).unwrap(), new);
        assert!(with_summary("# Benchmarks\n\n## Machine\n", &lines).is_none());
    }

    #[test]
    fn only_takes_any_subset_in_the_pages_order() {
        let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        let names = |a: Args| a.parts.iter().map(|p| p.name).collect::<Vec<_>>();
        assert_eq!(
            names(parse(&s(&["--only", "video|pictures"])).unwrap()),
            ["pictures", "video"]
        );
        assert_eq!(
            names(parse(&s(&["--only", "audio,fp,audio"])).unwrap()),
            ["fp", "audio"]
        );
        assert_eq!(names(parse(&s(&[])).unwrap()).len(), 4);
        assert!(parse(&s(&["--only", "photos"])).is_err());
    }
}
