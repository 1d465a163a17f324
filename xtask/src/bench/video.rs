//! The video section: a 1080p clip against `ffmpeg -vf drawbox,drawtext`
//! and a plain re-encode with the same encoder settings.

use super::case::{
    CaseBuilder, Role, Section, ffmpeg, label_args, p, probe_note, run_case, s, verify_note,
};
use super::image::label_px;
use super::{Ctx, verify_cost};
use super::{FONT, LABEL_KK, LABEL_RU, X264_CRF, X264_PRESET};

pub(super) fn video(ctx: &Ctx) -> Section {
    if !ctx.supports("mp4") {
        return Section::skip(
            "video",
            "video: not built (`tanba formats` lists no mp4; the video crate is not wired into this build)".into(),
        );
    }
    let mut section = Section::new("video");
    let (secs, w, h) = ctx.plan.video;
    section.intro.push(format!(
        "Input: a {secs} s {w}×{h} 30 fps H.264 clip with AAC audio (ffmpeg `testsrc2` and a sine). \
         Both ffmpeg rows re-encode with libx264 `-preset {X264_PRESET} -crf {X264_CRF}` (Tanba's defaults) and copy the audio. \
         By default Tanba also marks every frame with the imperceptible watermark (issue #18); issue #6's speed goals, set for \
         the label alone, read the `--no-watermark` row, and the watermark's cost is #18's own goal: the default row against that one, the two run back to back in every \
         round and compared round by round (the median of the rounds' ratios)."
    ));
    let input = p(&ctx.media.video);
    let tanba = ctx.tanba();
    let title = format!("{secs}-second {h}p clip");
    let mut b = CaseBuilder::new(ctx, "video", &title);
    // The default row between the two it is compared with, each cost read
    // from rows run back to back in every round (`PairedWallRatio`): the
    // watermark's (issue #18: at most 5 % on this clip) against the row
    // without it, C2PA's (at most 5 %) from the row with it.
    let unmarked = label_args(&ctx.media.video, "{S}", "1", &["--no-watermark"]);
    b.add("tanba label --no-watermark", Role::Tanba, &tanba, &unmarked);
    let label_clip = label_args(&ctx.media.video, "{S}", "1", &[]);
    // The notes verify and probe this row's output.
    let scratch = b
        .add("tanba label", Role::Tanba, &tanba, &label_clip)
        .scratch
        .clone();
    if let Some(c2pa) = &ctx.c2pa_args {
        let args = [label_clip.as_slice(), c2pa].concat();
        b.add("tanba label + C2PA", Role::Tanba, &tanba, &args);
    }
    let pt = label_px(w, h);
    let draw = format!(
        "drawbox=x=iw-w-{m}:y=ih-h-{m}:w={bw}:h={bh}:color=0x101010@0.75:t=fill,\
         drawtext=fontfile={FONT}:text='{LABEL_KK}':fontsize={pt}:fontcolor=white:x=w-tw-{m2}:y=h-{y1},\
         drawtext=fontfile={FONT}:text='{LABEL_RU}':fontsize={pt}:fontcolor=white:x=w-tw-{m2}:y=h-{y2}",
        m = h / 60,
        bw = pt * 25,
        bh = pt * 3,
        m2 = h / 60 + pt / 2,
        y1 = h / 60 + pt * 3 - pt / 2,
        y2 = h / 60 + pt * 3 / 2,
    );
    let x264 = [
        s("-c:v"),
        s("libx264"),
        s("-preset"),
        s(X264_PRESET),
        s("-crf"),
        s(X264_CRF),
        s("-c:a"),
        s("copy"),
    ];
    let mut with_label = vec![s("-i"), input.clone(), s("-vf"), draw];
    with_label.extend_from_slice(&x264);
    with_label.push(s("{S}/out.mp4"));
    b.add(
        "ffmpeg drawbox+drawtext",
        Role::Peer,
        "ffmpeg",
        &ffmpeg(&with_label),
    );
    let mut plain = vec![s("-i"), input];
    plain.extend_from_slice(&x264);
    plain.push(s("{S}/out.mp4"));
    b.add(
        "ffmpeg plain re-encode",
        Role::Peer,
        "ffmpeg",
        &ffmpeg(&plain),
    );
    // A full-size re-encode takes over half a minute on two cores, but one
    // round's noise (about ±5 %) is wider than the 3 % goal: the rounds of
    // --reps, unless --batch-reps asks for fewer.
    let reps = ctx.batch_reps.unwrap_or(ctx.reps).min(ctx.reps);
    let mut case = run_case(&title, b, reps);
    case.notes.push(verify_note(ctx, &scratch));
    case.notes.push(probe_note(&scratch));
    section.cases.push(case);
    // The check's share is small against a full re-encode, so it takes
    // more rounds than the case above to tell it from the noise.
    let what = format!("{h}p video ({secs} s), library");
    let reps = ctx.batch_reps.unwrap_or(ctx.reps + 2).min(ctx.reps + 2);
    section.cases.extend(verify_cost::case(
        ctx,
        "video",
        &what,
        &ctx.media.video,
        reps,
    ));
    section
}
