//! The image section: one JPEG, one PNG, a JPEG batch on one and two
//! workers, and PNGs of mixed sizes; ImageMagick `convert -annotate` as the peer.

use std::path::Path;

use super::case::{
    Case, CaseBuilder, Role, Section, label_args, median_wall, p, run_case, s, verify_note,
};
use super::json::{json_numbers, json_strings};
use super::measure;
use super::{Ctx, FONT, LABEL_KK, LABEL_RU, verify_cost};

/// Tanba's badge text size: 5 % of the shorter side (`BadgeStyle`'s
/// `min_text_fraction`), here capped so that the longer label line (43
/// characters, about 0.55 em each in DejaVu Sans) fits 90 % of the width,
/// as Tanba's wrapping would make it.
pub(super) fn label_px(w: u32, h: u32) -> u32 {
    let by_side = (f64::from(w.min(h)) * 0.05).ceil();
    let by_width = (f64::from(w) * 0.9 / (43.0 * 0.55)).floor();
    by_side.min(by_width).max(12.0) as u32
}

/// ImageMagick's version of the badge: the two label lines, white on a 75 %
/// dark box (Tanba's colours), in the bottom-right corner, Tanba's text size.
pub(super) fn convert_args(
    input: &str,
    output: &str,
    (w, h): (u32, u32),
    quality: Option<u32>,
) -> Vec<String> {
    let px = label_px(w, h);
    let mut a = vec![
        s(input),
        s("-gravity"),
        s("southeast"),
        s("-font"),
        s(FONT),
        s("-pointsize"),
        s(px),
        s("-fill"),
        s("white"),
        s("-undercolor"),
        s("#101010BF"),
        s("-annotate"),
        format!("+{0}+{0}", px / 2),
        format!("{LABEL_KK}\\n{LABEL_RU}"),
    ];
    if let Some(q) = quality {
        a.push(s("-quality"));
        a.push(s(q));
    }
    a.push(s(output));
    a
}

/// A `sh -c` that runs `convert` (as [`convert_args`]) over every file in
/// `dir` (all of size `size`) with `xargs -P jobs`.
fn convert_batch(
    dir: &Path,
    ext: &str,
    size: (u32, u32),
    jobs: usize,
    quality: Option<u32>,
) -> Vec<String> {
    let quote = |a: &str| format!("'{}'", a.replace('\'', "'\\''"));
    let args: Vec<String> = convert_args("IN", "OUT", size, quality)
        .iter()
        .map(|a| match a.as_str() {
            "IN" => "\"$1\"".to_string(),
            "OUT" => "\"$0/${1##*/}\"".to_string(),
            other => quote(other),
        })
        .collect();
    let inner = format!("convert {}", args.join(" "));
    vec![
        s("-c"),
        format!(
            "find {} -maxdepth 1 -name '*.{ext}' -print0 | sort -z | xargs -0 -n 1 -P {jobs} sh -c {} {{S}}",
            p(dir),
            quote(&inner)
        ),
    ]
}

pub(super) fn image(ctx: &Ctx) -> Section {
    if !ctx.supports("jpeg") || !ctx.supports("png") {
        return Section::skip(
            "image",
            "not supported by this tanba build (`tanba formats` lists no jpeg/png)".into(),
        );
    }
    let mut section = Section::new("image");
    let jpegs = ctx.media.jpegs();
    let pngs = ctx.media.pngs();
    let (Some(jpeg), Some(png)) = (jpegs.first(), pngs.last()) else {
        return Section::skip("image", "the media set has no images".into());
    };
    section.intro.push(String::from(
        "Inputs: noisy gradients made by ImageMagick (`gradient:` + `+noise Gaussian`, seeded), JPEGs written at quality 90 with the IJG tables. \
         Tanba runs with `--jpeg-quality 90` and ImageMagick with `-quality 90`, so both write the same quality. \
         ImageMagick draws the same two label lines in the bottom-right corner, white on a 75 % dark box as Tanba does, at Tanba's text size (5 % of the shorter side, capped so the longer line fits 90 % of the width; Tanba wraps instead, and rounds the box corners)."
    ));

    section.cases.push(one_jpeg(ctx, jpeg));
    let (w, h) = ctx.plan.jpeg_size;
    let what = format!(
        "one {:.0}-MP JPEG ({w}×{h}), library",
        f64::from(w * h) / 1e6
    );
    section.cases.extend(verify_cost::case(
        ctx,
        "image",
        &what,
        jpeg,
        ctx.short_reps(),
    ));
    section.cases.push(one_png(ctx, png));
    section.cases.push(jpeg_batch(ctx, jpegs.len()));
    section.cases.push(png_batch(ctx, pngs.len()));
    section
}

/// One JPEG: the CLI, with C2PA, the library and a plain decode+encode, ImageMagick.
fn one_jpeg(ctx: &Ctx, jpeg: &Path) -> Case {
    let (w, h) = ctx.plan.jpeg_size;
    let tanba = ctx.tanba();
    let title = format!(
        "One {:.0}-megapixel JPEG ({w}×{h}, q90)",
        f64::from(w * h) / 1e6
    );
    let mut b = CaseBuilder::new(ctx, "image", &title);
    let label_jpeg = label_args(jpeg, "{S}", "1", &["--jpeg-quality", "90"]);
    b.add("tanba label (CLI)", Role::Tanba, &tanba, &label_jpeg);
    // Without the watermark and at the source's quality a JPEG is labelled
    // in the DCT domain (issue #20): only the badge's blocks are re-coded.
    let dct_args = label_args(jpeg, "{S}", "1", &["--no-watermark"]);
    b.add(
        "tanba label --no-watermark, DCT domain (CLI)",
        Role::Tanba,
        &tanba,
        &dct_args,
    );
    if let Some(c2pa) = &ctx.c2pa_args {
        let args = [label_jpeg.as_slice(), c2pa].concat();
        b.add("tanba label + C2PA (CLI)", Role::Tanba, &tanba, &args);
    }
    if let Some(example) = &ctx.label_file {
        let ex = p(example);
        b.add(
            "tanba-image library (label_file example)",
            Role::Tanba,
            &ex,
            &[p(jpeg), s("{S}/out.jpg")],
        );
        b.add(
            "tanba-image library, DCT domain (label_file --no-watermark)",
            Role::Tanba,
            &ex,
            &[p(jpeg), s("{S}/out.jpg"), s("--no-watermark")],
        );
        b.add(
            "plain decode+encode, no label (label_file PLAIN=1)",
            Role::Baseline,
            &ex,
            &[p(jpeg), s("{S}/out.jpg")],
        )
        .env
        .push(("PLAIN", "1"));
    }
    b.add(
        "ImageMagick convert -annotate",
        Role::Peer,
        "convert",
        &convert_args(&p(jpeg), "{S}/out.jpg", (w, h), Some(90)),
    );
    let scratch = b.variants[0].scratch.clone();
    let mut case = run_case(&title, b, ctx.short_reps());
    case.notes.push(verify_note(ctx, &scratch));
    if ctx.label_file.is_some() {
        case.notes.push(
            "The library rows time the `tanba-image` example binary: read the file, label (or, with PLAIN=1, \
             decode with `image` and encode with `jpeg-encoder` at q91, no badge, no marks), write. \
             The gap between the two is what the label itself costs over a plain decode+encode."
                .to_string(),
        );
    }
    case
}

/// One PNG, the largest size.
fn one_png(ctx: &Ctx, png: &Path) -> Case {
    let tanba = ctx.tanba();
    let (pw, ph) = ctx.plan.png_sizes.last().copied().unwrap_or((0, 0));
    let title = format!("One PNG ({pw}×{ph})");
    let mut b = CaseBuilder::new(ctx, "image", &title);
    b.add(
        "tanba label (CLI)",
        Role::Tanba,
        &tanba,
        &label_args(png, "{S}", "1", &[]),
    );
    b.add(
        "ImageMagick convert -annotate",
        Role::Peer,
        "convert",
        &convert_args(&p(png), "{S}/out.png", (pw, ph), None),
    );
    let scratch = b.variants[0].scratch.clone();
    let mut case = run_case(&title, b, ctx.short_reps());
    case.notes.push(verify_note(ctx, &scratch));
    case
}

/// Many JPEGs: one worker against two.
fn jpeg_batch(ctx: &Ctx, n: usize) -> Case {
    let (w, h) = ctx.plan.jpeg_size;
    let tanba = ctx.tanba();
    let title = format!("{n} JPEGs ({w}×{h}), 2 workers and 1");
    let reps = ctx.batch_reps.unwrap_or(if n >= 100 { 2 } else { 3 });
    let mut b = CaseBuilder::new(ctx, "image", &title);
    for jobs in ["2", "1"] {
        b.add(
            &format!("tanba label --jobs {jobs}"),
            Role::Tanba,
            &tanba,
            &label_args(&ctx.media.jpeg_dir, "{S}", jobs, &["--jpeg-quality", "90"]),
        );
    }
    b.add(
        "ImageMagick convert, xargs -P 2",
        Role::Peer,
        "sh",
        &convert_batch(&ctx.media.jpeg_dir, "jpg", (w, h), 2, Some(90)),
    );
    let mut case = run_case(&title, b, reps);
    if let (Some(two), Some(one)) = (median_wall(&case.rows[0]), median_wall(&case.rows[1])) {
        case.notes.push(format!(
            "Scaling: {n} files take {one:.1} s on one worker and {two:.1} s on two: **{:.2}×** faster \
             ({:.1} and {:.1} files/s; the goal is ≥ 1.8×).",
            one / two,
            n as f64 / one,
            n as f64 / two
        ));
    }
    case
}

/// PNGs of mixed sizes, with per-size throughput from the report.
fn png_batch(ctx: &Ctx, n: usize) -> Case {
    let tanba = ctx.tanba();
    let title = format!("{n} PNGs of mixed sizes, 2 workers (Tanba alone)");
    let mut b = CaseBuilder::new(ctx, "image", &title);
    b.add(
        "tanba label --jobs 2",
        Role::Tanba,
        &tanba,
        &label_args(
            &ctx.media.png_dir,
            "{S}/out",
            "2",
            &["--report", "{S}/report.json"],
        ),
    );
    let report_path = b.variants[0].scratch.join("report.json");
    let reps = ctx.batch_reps.unwrap_or(if n >= 100 { 1 } else { 3 });
    let mut case = run_case(&title, b, reps);
    case.notes.push(
        "This batch measures how Tanba's throughput follows picture size; ImageMagick is compared on PNG \
         in the single-file case above (its zlib encoder makes a 200-file run too long for this harness)."
            .into(),
    );
    case.notes.extend(png_sizes_table(&report_path));
    case
}

/// Per-size throughput of the PNG batch, from Tanba's report (per-file wall
/// times measured inside `tanba`, two files in flight).
fn png_sizes_table(report: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(report) else {
        return vec!["(no Tanba report to read per-size times from)".into()];
    };
    let inputs = json_strings(&text, "input");
    let millis = json_numbers(&text, "millis");
    if inputs.len() != millis.len() || inputs.is_empty() {
        return vec!["(Tanba's report did not have one time per file)".into()];
    }
    let mut by_size: Vec<((u32, u32), Vec<f64>)> = Vec::new();
    for (input, ms) in inputs.iter().zip(&millis) {
        let Some(size) = input
            .rsplit('-')
            .next()
            .and_then(|t| t.strip_suffix(".png"))
            .and_then(|t| t.split_once('x'))
            .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
        else {
            continue;
        };
        match by_size.iter_mut().find(|(s, _)| *s == size) {
            Some((_, v)) => v.push(*ms),
            None => by_size.push((size, vec![*ms])),
        }
    }
    by_size.sort_by_key(|((w, h), _)| w * h);
    let mut lines = vec![
        String::new(),
        "Throughput by size (Tanba's per-file times from its `--report`, last run, two files in flight):".into(),
        String::new(),
        "| size | megapixels | files | median ms per file | megapixels/s per worker |".into(),
        "|---|---:|---:|---:|---:|".into(),
    ];
    for ((w, h), v) in by_size {
        let st = measure::Stats::of(&v);
        let mp = f64::from(w * h) / 1e6;
        lines.push(format!(
            "| {w}×{h} | {mp:.2} | {} | {:.1} | {:.1} |",
            v.len(),
            st.median,
            mp / (st.median / 1000.0)
        ));
    }
    lines
}
