//! Finding the visible label in a video whose metadata (and so its
//! manifest) is gone: a few frames are decoded (at 1 s, 3 s and mid-file,
//! where the opening notice and the corner badge show) and each is searched
//! for the corner badge the job would burn in, anywhere and at the sizes a
//! rescale implies, with the picture search of `tanba_image::find`.

use std::path::Path;

use image::GrayImage;
use tanba_core::font::FontFile;
use tanba_core::{Job, Limits, Result, VisibleFound};
use tanba_image::BadgeStyle;
use tanba_image::find::{self, BadgeMatch, Wanted};

use crate::probe;
use crate::verify::{Grey, sample};

/// The best match of the job's badge over a few frames of the video at
/// `path`, found or not; `None` when no frame could be decoded.
pub(crate) fn best_match(
    path: &Path,
    job: &Job,
    limits: &Limits,
    (font, style): (&FontFile, &BadgeStyle),
) -> Result<Option<(BadgeMatch, f64)>> {
    probe::init()?;
    let mut ictx = probe::open(path)?;
    let info = probe::video_info(&ictx, limits)?;
    let duration = info.duration_ms as f64 / 1000.0;
    let mut times: Vec<f64> = [1.0, 3.0, duration / 2.0]
        .into_iter()
        .filter(|&t| t < duration)
        .collect();
    times.sort_by(f64::total_cmp);
    times.dedup();
    if times.is_empty() {
        times.push(0.0);
    }
    let frames = sample(&mut ictx, &info, &times, None)?;
    let wanted = Wanted {
        label: &job.label,
        position: job.position,
        font,
        style,
    };
    let mut best: Option<(BadgeMatch, f64)> = None;
    for frame in &frames {
        let luma = grey_image(frame);
        if let Some(m) = find::best_match(&luma, &wanted)?
            && best.as_ref().is_none_or(|(b, _)| m.score > b.score)
        {
            let found = m.score >= find::FIND_THRESHOLD;
            best = Some((m, frame.seconds));
            // One frame showing it is enough.
            if found {
                break;
            }
        }
    }
    Ok(best)
}

/// [`best_match`] as a find: the place names the frame it was seen in.
pub(crate) fn find_label(
    path: &Path,
    job: &Job,
    limits: &Limits,
    look: (&FontFile, &BadgeStyle),
) -> Result<Option<VisibleFound>> {
    Ok(
        best_match(path, job, limits, look)?.and_then(|(m, seconds)| {
            m.found().map(|f| {
                VisibleFound::new(format!("{} (frame at {seconds:.1} s)", f.place), f.score)
            })
        }),
    )
}

/// A decoded frame's rows packed into a picture (the stride may pad them).
fn grey_image(frame: &Grey) -> GrayImage {
    let (w, h) = (frame.width as usize, frame.height as usize);
    let mut out = Vec::with_capacity(w * h);
    for row in frame.data.chunks(frame.stride.max(1)).take(h) {
        out.extend_from_slice(row.get(..w).unwrap_or(row));
        out.resize(out.len().next_multiple_of(w.max(1)), 0);
    }
    out.resize(w * h, 0);
    GrayImage::from_raw(frame.width, frame.height, out).unwrap_or_default()
}
