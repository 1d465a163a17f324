//! `cargo xtask bench watermark`: the watermark's robustness matrix.
//!
//! Builds and runs the release examples of `tanba-watermark` that exist
//! (`picture_matrix`, `video_matrix`, `audio_matrix`, `false_positives`):
//! each marks its inputs, puts them through the real ImageMagick, ffmpeg and
//! exiftool, and prints markdown; the picture matrix and the false-positive
//! run also read the bench media (`target/bench-media/full`) when a full
//! `cargo xtask bench` has generated it. The report goes to
//! `docs/benchmarks-watermark.md` (`--doc FILE` elsewhere), which this
//! command rewrites and the side-by-side run leaves alone.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{cargo, exec, have, root, target_dir};

/// The examples, in the order they run (the pictures' and video's first,
/// so a run cut short still has them: the report is written after each).
const EXAMPLES: [&str; 4] = [
    "false_positives",
    "picture_matrix",
    "video_matrix",
    "audio_matrix",
];

/// The examples that take `--media DIR`.
const TAKE_MEDIA: [&str; 2] = ["false_positives", "picture_matrix"];

const HELP: &str = "\
usage: cargo xtask bench watermark [--quick] [--no-build] [--doc FILE] [--media DIR]

  --quick      fewer inputs per cell (each example's --quick)
  --no-build   use the release examples already built
  --doc FILE   where the report goes (default docs/benchmarks-watermark.md)
  --media DIR  the bench media (default target/bench-media/full, when a
               full `cargo xtask bench` has made it)";

/// Entry point of `cargo xtask bench watermark ARGS`.
pub fn run(args: &[String]) -> Result<(), String> {
    let (mut quick, mut no_build, mut doc, mut media) = (false, false, None, None);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--no-build" => no_build = true,
            "--doc" => doc = Some(PathBuf::from(it.next().ok_or("--doc needs a value")?)),
            "--media" => media = Some(PathBuf::from(it.next().ok_or("--media needs a value")?)),
            _ => return Err(HELP.to_string()),
        }
    }
    for tool in ["convert", "ffmpeg", "ffprobe", "exiftool"] {
        if !have(tool) {
            return Err(format!(
                "{tool} is not on the PATH (cargo xtask setup installs it)"
            ));
        }
    }
    let root = root();
    let doc = doc.unwrap_or_else(|| root.join("docs").join("benchmarks-watermark.md"));
    // The side-by-side bench's photos (200 12-MP JPEGs, 200 PNGs), when a
    // full run has generated them: more real-sized inputs for the picture
    // matrix and the false-positive run.
    let media = media
        .or_else(|| Some(root.join("target/bench-media/full")))
        .filter(|d| d.join("jpeg").is_dir());
    let mut report = header(&root);
    let head_len = report.len();
    let names: Vec<&str> = EXAMPLES
        .into_iter()
        .filter(|name| {
            root.join("crates/tanba-watermark/examples")
                .join(format!("{name}.rs"))
                .is_file()
        })
        .collect();
    if !no_build {
        build_examples(&names)?;
    }
    // All at once: each is mostly one thread or one ffmpeg at a time, so
    // together they keep both cores busy; the report is written in the
    // order above as each finishes.
    let out_dir = target_dir().join("watermark-bench");
    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let running: Vec<(&str, PathBuf, std::process::Child)> = names
        .iter()
        .map(|name| {
            let out = out_dir.join(format!("{name}.md"));
            spawn_example(name, quick, &media, &out).map(|c| (*name, out, c))
        })
        .collect::<Result<_, _>>()?;
    for (name, out, mut child) in running {
        eprintln!("xtask bench watermark: waiting for {name}");
        let status = child.wait().map_err(|e| format!("{name}: {e}"))?;
        if !status.success() {
            return Err(format!(
                "{name} failed ({status}); its output: {}",
                out.display()
            ));
        }
        let text = std::fs::read_to_string(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        report.push_str(&text);
        report.push('\n');
        write(&doc, &report)?;
    }
    // The summary goes right under the header.
    let lines = summary_of(&report);
    let body = report.split_off(head_len);
    report.push_str(&format!("{SUMMARY}\n\n{}\n\n{body}", lines.join("\n\n")));
    write(&doc, &report)?;
    eprintln!("xtask bench watermark: wrote {}", doc.display());
    Ok(())
}

/// The heading of the report's summary: one line per example, each
/// example's `> **...` line, which `cargo xtask bench` copies into
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
    // Only the summary section: the examples' sections repeat the lines.
    let section = text
        .split_once(&format!("{SUMMARY}\n"))
        .map_or("", |(_, rest)| rest.split("\n## ").next().unwrap_or(""));
    summary_of(section)
}

fn header(root: &Path) -> String {
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!(
        "# Watermark robustness\n\nMeasured by `cargo xtask bench watermark` at commit {commit} \
         (load average at the start: {}). Each cell is the fraction of marked inputs whose full \
         64-bit payload is read back after the operation, done with the real tool named. The \
         method and what these figures mean are in [watermark.md](watermark.md).\n\n",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    )
}

/// Builds the release examples `names` in one cargo run.
fn build_examples(names: &[&str]) -> Result<(), String> {
    let mut build = cargo();
    build.args(["build", "--release", "-p", "tanba-watermark"]);
    for name in names {
        build.args(["--example", name]);
    }
    exec(build)
}

/// Starts one example, its stdout going to `out` (a file, so no pipe fills
/// while an earlier example is awaited).
fn spawn_example(
    name: &str,
    quick: bool,
    media: &Option<PathBuf>,
    out: &Path,
) -> Result<std::process::Child, String> {
    let bin = target_dir().join("release").join("examples").join(name);
    let mut cmd = Command::new(&bin);
    if quick {
        cmd.arg("--quick");
    }
    if let Some(dir) = media.as_ref().filter(|_| TAKE_MEDIA.contains(&name)) {
        cmd.arg("--media").arg(dir);
    }
    let file = std::fs::File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    cmd.stdout(file)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))
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
}
