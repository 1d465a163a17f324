//! The audio section: a short and a long MP3, against ffmpeg's plain
//! decode, its `amix` of the same disclaimer, and MP3 re-encodes.

use std::path::Path;

use super::Ctx;
use super::case::{
    Case, CaseBuilder, Role, Section, ffmpeg, label_args, median_rss, p, probe_note, run_case, s,
    verify_note,
};

pub(super) fn audio(ctx: &Ctx) -> Section {
    if !ctx.supports("mp3") {
        return Section::skip(
            "audio",
            "not supported by this tanba build (`tanba formats` lists no mp3)".into(),
        );
    }
    let mut section = Section::new("audio");
    section.intro.push(
        "Inputs: 44.1 kHz stereo MP3s at 192 kbit/s (two tones and seeded pink noise, made by ffmpeg/LAME). \
         Tanba writes the input's format back (see the ffprobe line under each table). By default it \
         marks the programme with the imperceptible watermark (issue #18), so the MP3 is decoded and re-encoded by libmp3lame \
         at the input's bitrate: its peer is ffmpeg's plain re-encode. With `--no-watermark` the programme's own frames are \
         copied after the encoded disclaimer: issue #4's speed goals, set for the label alone, read that row. The ffmpeg rows the issue asks for write a 16-bit WAV (plain decode, amix); the \
         like-for-like rows encode to MP3 at 192 kbit/s as Tanba does. Tanba's default puts the spoken disclaimer (kk then ru, about 8 s) \
         before the programme (prepend, loudness-matched); `--audio-mode overlay` mixes it over the start with ducking, \
         which is what ffmpeg's `amix` of the same clip (`disclaimer-kk-ru.wav`, the bundled kk.wav and ru.wav \
         concatenated and resampled to 44.1 kHz stereo) does, without the loudness match or ducking."
            .into(),
    );
    let (short, long) = ctx.plan.audio_seconds;
    let mut rss = Vec::new();
    for (input, secs) in [(&ctx.media.mp3_short, short), (&ctx.media.mp3_long, long)] {
        let case = mp3_case(ctx, input, secs, secs == short);
        if let Some(r) = median_rss(&case.rows[0]) {
            rss.push((secs, r));
        }
        section.cases.push(case);
    }
    if rss.len() == 2 {
        section.intro.push(String::new());
        section.intro.push(format!(
            "Memory against duration: Tanba's peak RSS is {:.0} MiB on {} minutes and {:.0} MiB on {} minutes \
             (goal: ≤ 64 MiB, not growing with duration).",
            rss[0].1,
            minutes(rss[0].0),
            rss[1].1,
            minutes(rss[1].0)
        ));
    }
    section
}

/// The default row: the spoken disclaimer prepended and the programme
/// watermarked.
pub(super) const WATERMARKED: &str = "tanba label (prepend, watermark on)";
/// The label alone: the programme's frames copied.
pub(super) const UNMARKED: &str = "tanba label --no-watermark (prepend)";

/// One MP3 against ffmpeg's decode, amix and re-encode; the short one also
/// gets the overlay mode.
fn mp3_case(ctx: &Ctx, input: &Path, secs: u32, short: bool) -> Case {
    let tanba = ctx.tanba();
    let clip = p(&ctx.media.clip_wav);
    let title = format!("{}-minute MP3", minutes(secs));
    let mut b = CaseBuilder::new(ctx, "audio", &title);
    // The default marks the programme (issue #18), which re-encodes it;
    // issue #4's goals were set for the label alone, which copies the
    // programme's frames: both rows, the goals read each its own.
    b.add(
        WATERMARKED,
        Role::Tanba,
        &tanba,
        &label_args(input, "{S}", "1", &[]),
    );
    b.add(
        UNMARKED,
        Role::Tanba,
        &tanba,
        &label_args(input, "{S}", "1", &["--no-watermark"]),
    );
    if short {
        b.add(
            "tanba label --audio-mode overlay",
            Role::Tanba,
            &tanba,
            &label_args(input, "{S}", "1", &["--audio-mode", "overlay"]),
        );
    }
    b.add(
        "ffmpeg plain decode to WAV",
        Role::Peer,
        "ffmpeg",
        &ffmpeg(&[s("-i"), p(input), s("{S}/out.wav")]),
    );
    b.add(
        "ffmpeg amix of the disclaimer",
        Role::Peer,
        "ffmpeg",
        &ffmpeg(&[
            s("-i"),
            p(input),
            s("-i"),
            clip.clone(),
            s("-filter_complex"),
            s("amix=inputs=2:duration=first"),
            s("{S}/out.wav"),
        ]),
    );
    // Tanba writes the input's format back (MP3 through libmp3lame at
    // the input's bitrate), so the like-for-like peer encodes too.
    b.add(
        "ffmpeg amix, encoded to MP3 192k",
        Role::Peer,
        "ffmpeg",
        &ffmpeg(&[
            s("-i"),
            p(input),
            s("-i"),
            clip.clone(),
            s("-filter_complex"),
            s("amix=inputs=2:duration=first"),
            s("-c:a"),
            s("libmp3lame"),
            s("-b:a"),
            s("192k"),
            s("{S}/out.mp3"),
        ]),
    );
    {
        b.add(
            "ffmpeg plain re-encode to MP3 192k",
            Role::Peer,
            "ffmpeg",
            &ffmpeg(&[
                s("-i"),
                p(input),
                s("-c:a"),
                s("libmp3lame"),
                s("-b:a"),
                s("192k"),
                s("{S}/out.mp3"),
            ]),
        );
    }
    let scratch = b.variants[0].scratch.clone();
    let reps = if secs >= 1800 {
        ctx.batch_reps.unwrap_or(2).min(ctx.reps)
    } else {
        ctx.reps
    };
    let mut case = run_case(&title, b, reps);
    case.notes.push(verify_note(ctx, &scratch));
    case.notes.push(probe_note(&scratch));
    case
}

fn minutes(secs: u32) -> String {
    if secs.is_multiple_of(60) {
        (secs / 60).to_string()
    } else {
        format!("{:.1}", f64::from(secs) / 60.0)
    }
}
