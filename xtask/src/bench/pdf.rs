//! The PDF section: a 100+-page book, every page stamped, against
//! `qpdf --overlay`.

use super::Ctx;
use super::case::{
    CaseBuilder, Role, Section, first_file, label_args, p, run_case, s, verify_note,
};

pub(super) fn pdf(ctx: &Ctx) -> Section {
    if !ctx.supports("pdf") {
        return Section::skip("pdf", "not supported by this tanba build".into());
    }
    let mut section = Section::new("pdf");
    let pages = ctx.plan.pdf_pages;
    let size = std::fs::metadata(&ctx.media.pdf)
        .map(|m| m.len())
        .unwrap_or(0);
    section.intro.push(format!(
        "Input: a {pages}-page A4 book ({:.1} MB) written by the harness in plain Rust (Helvetica text, about 30 lines and one \
         1200×900 JPEG per page, each page its own image object), then passed through \
         `qpdf --compress-streams=y --object-streams=generate` so that it has compressed content and object streams as most \
         real PDFs do. The stamp for qpdf is a one-page PDF with the label on a dark box (ASCII transliteration: \
         Helvetica has no Kazakh glyphs; Tanba embeds a font with them).",
        size as f64 / 1e6
    ));
    section.intro.push(
        "`tanba` links none of FFmpeg, whose shared libraries (about 136 with their dependencies) take tens of \
         milliseconds to load before any work starts: it labels PDFs itself and hands audio, video and folders to \
         `tanba-full`."
            .to_string(),
    );
    let title = format!("{pages}-page PDF, every page stamped");
    let mut b = CaseBuilder::new(ctx, "pdf", &title);
    let tanba = ctx.tanba();
    let label = label_args(&ctx.media.pdf, "{S}", "1", &[]);
    b.add(
        "tanba label (incremental update)",
        Role::Tanba,
        &tanba,
        &label,
    );
    b.add(
        "tanba label --pdf-rewrite",
        Role::Tanba,
        &tanba,
        &[label.clone(), vec![s("--pdf-rewrite")]].concat(),
    );
    b.add(
        "qpdf --overlay",
        Role::Peer,
        "qpdf",
        &[
            p(&ctx.media.pdf),
            s("--overlay"),
            p(&ctx.media.stamp_pdf),
            s("--to=1-z"),
            s("--from="),
            s("--repeat=1"),
            s("--"),
            s("{S}/out.pdf"),
        ],
    );
    let scratch = b.variants[0].scratch.clone();
    let mut case = run_case(&title, b, ctx.short_reps());
    case.notes.push(verify_note(ctx, &scratch));
    let in_size = size as f64 / 1e6;
    let out_sizes: Vec<String> = case
        .rows
        .iter()
        .filter_map(|r| {
            let f = first_file(&r.variant.scratch)?;
            let len = std::fs::metadata(f).ok()?.len();
            Some(format!("{} {:.1} MB", r.variant.name, len as f64 / 1e6))
        })
        .collect();
    case.notes.push(format!(
        "Output sizes (input {in_size:.1} MB): {}.",
        out_sizes.join("; ")
    ));
    section.cases.push(case);
    section
}
