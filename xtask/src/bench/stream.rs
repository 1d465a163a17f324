//! The stream section (issue 20): a big RGBA PNG labelled row by row, and
//! big Markdown, HTML and SubRip files labelled in flat memory, each next
//! to a peer (ImageMagick `convert -annotate`; `sed '1i…'`, and `cp` and
//! `cat` as the floor of copying the file), with peak memory and, for the
//! texts, the rate in MB/s. `cargo xtask bench --only stream`.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::case::{
    Case, CaseBuilder, Role, Section, label_args, median_wall, p, run_case, s, verify_note,
};
use super::{Ctx, LABEL_KK, LABEL_RU};

/// The PNG's side and the Markdown file's size in MB for a plan.
fn sizes(ctx: &Ctx) -> (u32, usize) {
    if ctx.plan.name == "quick" {
        (4096, 50)
    } else {
        (16_384, 500)
    }
}

pub(super) fn stream(ctx: &Ctx) -> Section {
    let mut section = Section::new("stream");
    let dir = ctx.media.dir.join("stream");
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return Section::skip("stream", format!("{}: {e}", dir.display()));
    }
    let (side, mb) = sizes(ctx);
    section.intro.push(format!(
        "A {side}×{side} RGBA PNG (a gradient with mild noise, written row by row by \
         tanba-image's `stream_file --make`) and a {mb} MB generated Markdown file (front \
         matter, then sections of Kazakh and English prose). Tanba streams both: the PNG row \
         by row (the watermark made from a first pass, the badge blended into its rows), the \
         Markdown by reading its head and copying the rest; each output is read back as part \
         of the run. The text size limit is raised to 1 GiB with `--config`. ImageMagick \
         under Debian's default policy (`width` 16KP, `disk` 1 GiB) refuses a 16,384 px \
         picture: its row then shows the failure (docs/benchmarks-by-hand.md has it at 8,192²)."
    ));
    match big_png(ctx, &dir, side) {
        Ok(png) => section.cases.push(png_case(ctx, &png, side)),
        Err(e) => section.intro.push(format!("The PNG case did not run: {e}")),
    }
    match big_markdown(&dir, mb) {
        Ok(md) => section.cases.push(markdown_case(ctx, &dir, &md, mb)),
        Err(e) => section
            .intro
            .push(format!("The Markdown case did not run: {e}")),
    }
    // SubRip is renumbered a line at a time: a fifth of the size does.
    for (kind, ext, size) in [("HTML", "html", mb), ("SubRip", "srt", mb / 5)] {
        match big_text(&dir, ext, size) {
            Ok(path) => section
                .cases
                .push(text_case(ctx, &dir, &path, size, (kind, ext))),
            Err(e) => section
                .intro
                .push(format!("The {kind} case did not run: {e}")),
        }
    }
    section
}

/// A generated HTML page or SubRip track of `mb` MB (cached by name):
/// Kazakh and English paragraphs, or cues two seconds apart.
fn big_text(dir: &Path, ext: &str, mb: usize) -> Result<PathBuf, String> {
    let path = dir.join(format!("big-{mb}mb.{ext}"));
    if path.is_file() {
        return Ok(path);
    }
    let err = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut w = std::io::BufWriter::new(std::fs::File::create(&path).map_err(err)?);
    let html = ext == "html";
    let (head, end) = if html {
        (
            "<!DOCTYPE html>\n<html lang=\"kk\"><head><meta charset=\"utf-8\">\
             <title>A generated page</title></head>\n<body>\n<h1>A generated page</h1>\n",
            "</body></html>\n",
        )
    } else {
        ("", "")
    };
    w.write_all(head.as_bytes()).map_err(err)?;
    let (mut written, mut i) = (head.len(), 0usize);
    while written < mb * 1_000_000 {
        let unit = if html {
            format!(
                "<h2>Section {i}</h2>\n<p>Жасанды интеллект wrote paragraph {i} of this page, \
                 with <em>emphasis</em> and a <a href=\"https://example.kz/{i}\">link</a>.</p>\n"
            )
        } else {
            let t = |s: usize| format!("{:02}:{:02}:{:02},000", s / 3600, s / 60 % 60, s % 60);
            format!(
                "{}\n{} --> {}\nЖасанды интеллект, line {i}\n\n",
                i + 1,
                t(2 * i),
                t(2 * i + 1)
            )
        };
        w.write_all(unit.as_bytes()).map_err(err)?;
        written += unit.len();
        i += 1;
    }
    w.write_all(end.as_bytes()).map_err(err)?;
    w.flush().map_err(err)?;
    Ok(path)
}

/// The config that raises the text size limit to 1 GiB.
fn big_text_config(dir: &Path) -> PathBuf {
    let config = dir.join("tanba-big-text.toml");
    let _ = std::fs::write(&config, "[limits]\nmax_text_bytes = 1073741824\n");
    config
}

/// The rows `tanba label` of `input` and the copy floors `cp` and `cat`.
fn text_rows(b: &mut CaseBuilder, ctx: &Ctx, dir: &Path, input: &Path, ext: &str) {
    let config = big_text_config(dir);
    b.add(
        "tanba label (CLI)",
        Role::Tanba,
        &ctx.tanba(),
        &[
            s("label"),
            p(input),
            s("--out"),
            s("{S}"),
            s("--quiet"),
            s("--config"),
            p(&config),
        ],
    );
    b.add(
        "cp (the copy alone)",
        Role::Peer,
        "cp",
        &[p(input), format!("{{S}}/out.{ext}")],
    );
    b.add(
        "cat (the copy alone)",
        Role::Baseline,
        "sh",
        &[s("-c"), format!("cat {} > {{S}}/out.{ext}", p(input))],
    );
}

/// The rate of each row over `mb` MB, from its median wall time.
fn rates_note(case: &Case, mb: usize) -> String {
    let rates: Vec<String> = case
        .rows
        .iter()
        .filter_map(|row| {
            let wall = median_wall(row)?;
            Some(format!("{} {:.0} MB/s", row.variant.name, mb as f64 / wall))
        })
        .collect();
    format!(
        "Rate over the {mb} MB (median wall): {}; peak memory is in the table.",
        rates.join(", ")
    )
}

/// A big HTML or SubRip file labelled by the CLI, next to `cp` and `cat`.
fn text_case(ctx: &Ctx, dir: &Path, input: &Path, mb: usize, (kind, ext): (&str, &str)) -> Case {
    let title = format!("One {mb} MB {kind} file, streamed");
    let mut b = CaseBuilder::new(ctx, "stream", &title);
    text_rows(&mut b, ctx, dir, input, ext);
    let scratch = b.variants[0].scratch.clone();
    let mut case = run_case(&title, b, ctx.reps);
    case.notes.push(verify_note(ctx, &scratch));
    case.notes.push(rates_note(&case, mb));
    case
}

/// The test PNG (cached by name).
fn big_png(ctx: &Ctx, dir: &Path, side: u32) -> Result<PathBuf, String> {
    let path = dir.join(format!("rgba-{side}.png"));
    if path.is_file() {
        return Ok(path);
    }
    let make = ctx
        .stream_file
        .as_ref()
        .ok_or("tanba-image's stream_file example did not build")?;
    let status = std::process::Command::new(make)
        .args(["--make", &s(side), &s(side), &p(&path)])
        .status()
        .map_err(|e| format!("{}: {e}", make.display()))?;
    if !status.success() {
        return Err(format!("stream_file --make failed: {status}"));
    }
    Ok(path)
}

/// The test Markdown file (cached by name).
fn big_markdown(dir: &Path, mb: usize) -> Result<PathBuf, String> {
    let path = dir.join(format!("book-{mb}mb.md"));
    if path.is_file() {
        return Ok(path);
    }
    let err = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut w = std::io::BufWriter::new(std::fs::File::create(&path).map_err(err)?);
    let head = "---\ntitle: A generated book\n---\n\n# A generated book\n\n";
    w.write_all(head.as_bytes()).map_err(err)?;
    let (mut written, mut i) = (head.len(), 0usize);
    while written < mb * 1_000_000 {
        let para = format!(
            "## Section {i}\n\nЖасанды интеллект wrote paragraph {i} of this book, with \
             *emphasis*, `code` and a [link](https://example.kz/{i}).\n\n"
        );
        w.write_all(para.as_bytes()).map_err(err)?;
        written += para.len();
        i += 1;
    }
    w.flush().map_err(err)?;
    Ok(path)
}

fn png_case(ctx: &Ctx, png: &Path, side: u32) -> Case {
    let title = format!("One {side}×{side} RGBA PNG, streamed");
    let mut b = CaseBuilder::new(ctx, "stream", &title);
    b.add(
        "tanba label (CLI)",
        Role::Tanba,
        &ctx.tanba(),
        &label_args(png, "{S}", "1", &[]),
    );
    if let Some(example) = &ctx.stream_file {
        // Today's path: the whole frame decoded, drawn on, encoded and
        // read back (`label_bytes`, `verify_bytes_with_watermark`).
        b.add(
            "tanba-image library, whole frame (the path before streaming)",
            Role::Baseline,
            &p(example),
            &[p(png), s("{S}/out.png"), s("--whole")],
        );
    }
    b.add(
        "ImageMagick convert -annotate",
        Role::Peer,
        "convert",
        &super::image::convert_args(&p(png), "{S}/out.png", (side, side), None),
    );
    let scratch = b.variants[0].scratch.clone();
    let mut case = run_case(&title, b, ctx.reps);
    case.notes.push(verify_note(ctx, &scratch));
    case
}

fn markdown_case(ctx: &Ctx, dir: &Path, md: &Path, mb: usize) -> Case {
    let title = format!("One {mb} MB Markdown file, streamed");
    let mut b = CaseBuilder::new(ctx, "stream", &title);
    text_rows(&mut b, ctx, dir, md, "md");
    b.add(
        "sed '1i…' (a notice line, no marks)",
        Role::Peer,
        "sh",
        &[
            s("-c"),
            format!(
                "sed '1i> **{LABEL_KK} / {LABEL_RU}**' {} > {{S}}/out.md",
                p(md)
            ),
        ],
    );
    let scratch = b.variants[0].scratch.clone();
    let mut case = run_case(&title, b, ctx.reps);
    case.notes.push(verify_note(ctx, &scratch));
    case.notes.push(rates_note(&case, mb));
    case.notes.push(format!(
        "Tanba's rate over the {mb} MB: the goal is ≥ 200 MB/s (wall ≤ {:.2} s).",
        mb as f64 / 200.0
    ));
    case
}
