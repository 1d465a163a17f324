//! Verification: the marks in the container, and a pixel check of sampled
//! frames against the badge and notice the manifest describes.
//!
//! The badge is re-rendered from the manifest (its lines, text size and
//! rotation) and its text mask is correlated (Pearson) with the luma of the
//! recorded region. White text on a dark box scores near 1 even after
//! re-encoding; a region without it scores near 0.

use std::path::Path;

use ffmpeg::format::Pixel;
use ffmpeg::software::scaling;
use ffmpeg::{Packet, Rational};
use ffmpeg_next as ffmpeg;

use tanba_core::font::FontFile;
use tanba_core::{
    Error, Format, Label, Limits, Manifest, Mark, MarkKind, PerceptibleCheck, Result, Verification,
    WatermarkFound, WatermarkKey, xmp,
};
use tanba_image::{BadgeImage, BadgeStyle};
use tanba_watermark::KnownReader;

use crate::layout::{self, NoticeRecord};
use crate::marks::{self, KEY_AIGC, KEY_MANIFEST, KEY_NOTICE};
use crate::probe::{self, Container, VideoInfo};

/// Scores at or above this count as "label present".
pub const PRESENCE_THRESHOLD: f64 = 0.5;

/// The marks and the label of a video; with `watermark`, the mark made
/// with that key is also read where it was embedded (a labeler's own
/// output) from the frames the label check decodes anyway.
pub(crate) fn verify(
    path: &Path,
    format: &'static Format,
    limits: &Limits,
    (font, style): (&FontFile, &BadgeStyle),
    watermark: Option<WatermarkKey>,
) -> Result<Verification> {
    let container = Container::of(format)?;
    let mut ictx = probe::open(path)?;
    let info = probe::video_info(&ictx, limits)?;
    let mut found_marks = Vec::new();
    let mut manifest: Option<Manifest> = None;
    let (carrier, xmp_carrier) = marks::carriers(container);
    let stored = marks::read(&ictx, path, container, limits)?;
    let meta = stored.meta;
    if meta.get(KEY_AIGC).is_some() {
        found_marks.push(Mark::new(MarkKind::Aigc, format!("{carrier} {KEY_AIGC}")));
    }
    if let Some(json) = meta.get(KEY_MANIFEST) {
        manifest = Some(Manifest::from_json(json)?);
        found_marks.push(Mark::new(
            MarkKind::Manifest,
            format!("{carrier} {KEY_MANIFEST}"),
        ));
    }
    if let Some(packet) = stored.xmp {
        let xmp_marks = xmp::read(&packet)?;
        if xmp_marks.digital_source_type.is_some() {
            found_marks.push(Mark::new(MarkKind::Xmp, xmp_carrier));
        }
        if xmp_marks.aigc.is_some() {
            found_marks.push(Mark::new(MarkKind::Aigc, "XMP TC260:AIGC"));
        }
        if let Some(parsed) = xmp_marks.parsed_manifest() {
            let parsed = parsed?;
            found_marks.push(Mark::new(MarkKind::Manifest, "XMP tanba:Manifest"));
            manifest.get_or_insert(parsed);
        }
    }
    let notice: Option<NoticeRecord> = meta
        .get(KEY_NOTICE)
        .and_then(|j| serde_json::from_str(j).ok());
    let Some(manifest) = manifest else {
        let mut v =
            Verification::unmarked(format, "no Tanba manifest, so no recorded label to check");
        v.marks = found_marks;
        return Ok(v);
    };
    let mut reader = watermark.map(|k| KnownReader::frames(tanba_watermark::Key::private(k.0)));
    let seen = check_frames(
        (&mut ictx, &info, reader.as_mut()),
        &manifest,
        notice.as_ref(),
        (font, style),
    )?;
    let perceptible = match &manifest.label.audible {
        Some(audible) if seen.found => with_audible(
            seen,
            path,
            audible,
            (&manifest.label.lines, manifest.real_person),
        )?,
        _ => seen,
    };
    let mut v = Verification::new(format, found_marks, Some(manifest), perceptible);
    if let (Some(reader), Some(key)) = (reader, watermark) {
        v.watermark = reader.read().map(|d| WatermarkFound {
            payload: d.payload,
            strength: d.sync_z,
            key: key.kind(),
        });
    }
    Ok(v)
}

/// Seconds of video the watermark is read from: the detector sums every
/// frame of them, so a few seconds of a steady mark outweigh any one
/// frame's picture and the encoder's noise.
const WATERMARK_SECONDS: f64 = 10.0;

/// Reads the watermark made with `key` from the first seconds of the
/// video at `path`.
pub(crate) fn read_watermark(
    path: &Path,
    limits: &Limits,
    key: WatermarkKey,
) -> Result<Option<WatermarkFound>> {
    let mut ictx = probe::open(path)?;
    let info = probe::video_info(&ictx, limits)?;
    let mut detector = tanba_watermark::FrameDetector::new(tanba_watermark::Key::private(key.0));
    each_frame_until(&mut ictx, &info, WATERMARK_SECONDS, |grey| {
        detector.push(&grey.data, grey.width, grey.height, grey.stride);
    })?;
    Ok(detector.detect().map(|d| WatermarkFound {
        payload: d.payload,
        strength: d.sync_z,
        key: key.kind(),
    }))
}

/// Decodes every frame of the first `seconds` of the video, as grey.
fn each_frame_until(
    ictx: &mut ffmpeg::format::context::Input,
    info: &VideoInfo,
    seconds: f64,
    mut each: impl FnMut(&Grey),
) -> Result<()> {
    let stream = ictx
        .stream(info.index)
        .ok_or_else(|| Error::malformed("the video stream vanished"))?;
    let mut decoder = ffmpeg::codec::context::Context::from_parameters(stream.parameters())
        .and_then(|c| c.decoder().video())
        .map_err(|e| Error::unsupported(format!("cannot decode the video: {e}")))?;
    let time_base: Rational = stream.time_base();
    decoder.set_packet_time_base(time_base);
    let mut first: Option<i64> = None;
    let mut scaler: Option<scaling::Context> = None;
    let mut packet = Packet::empty();
    let mut frame = ffmpeg::frame::Video::empty();
    let mut eof = false;
    loop {
        if decoder.receive_frame(&mut frame).is_ok() {
            let pts = frame.timestamp().unwrap_or(0);
            let at = (pts - *first.get_or_insert(pts)) as f64 * f64::from(time_base);
            if at > seconds {
                return Ok(());
            }
            each(&to_grey(&frame, at, &mut scaler)?);
            continue;
        }
        if eof {
            return Ok(());
        }
        match packet.read(ictx) {
            Ok(()) if packet.stream() == info.index => {
                let _ = decoder.send_packet(&packet);
            }
            Ok(()) => {}
            Err(ffmpeg::Error::Eof) => {
                eof = true;
                let _ = decoder.send_eof();
            }
            Err(e) => return Err(Error::malformed(format!("reading the input failed: {e}"))),
        }
    }
}

/// The visible check joined by the audible one, which must pass too.
#[cfg(feature = "audible")]
fn with_audible(
    seen: PerceptibleCheck,
    path: &Path,
    audible: &tanba_core::Placement,
    (lines, real_person): (&[tanba_core::LabelLine], bool),
) -> Result<PerceptibleCheck> {
    let heard = crate::audible::check(path, audible, lines, real_person)?;
    let score = match (seen.score, heard.score) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Ok(PerceptibleCheck::new(
        heard.found,
        format!("{}; soundtrack: {}", seen.detail, heard.detail),
    )
    .with_score(score))
}

/// Without the audible feature the soundtrack cannot be checked: say so.
#[cfg(not(feature = "audible"))]
fn with_audible(
    mut seen: PerceptibleCheck,
    _: &Path,
    _: &tanba_core::Placement,
    _: (&[tanba_core::LabelLine], bool),
) -> Result<PerceptibleCheck> {
    seen.detail
        .push_str("; the audible label was not checked (built without the `audible` feature)");
    Ok(seen)
}

/// A decoded frame's luma as 8-bit grey.
pub(crate) struct Grey {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) stride: usize,
    pub(crate) data: Vec<u8>,
    pub(crate) seconds: f64,
}

/// What to look for, and where.
struct Expected {
    name: &'static str,
    region: [u32; 4],
    badge: BadgeImage,
    /// Only frames from `from` and before `until` show it.
    from: f64,
    until: f64,
}

fn check_frames(
    (ictx, info, marked): (
        &mut ffmpeg::format::context::Input,
        &VideoInfo,
        Option<&mut KnownReader>,
    ),
    manifest: &Manifest,
    notice: Option<&NoticeRecord>,
    (font, style): (&FontFile, &BadgeStyle),
) -> Result<PerceptibleCheck> {
    let placement = &manifest.label.placement;
    let label = Label {
        lines: manifest.label.lines.clone(),
    };
    // A text the font cannot draw has no reference to compare with: never
    // a match against empty boxes.
    if let Err(e) = font.check_label(&label) {
        return Ok(not_found(format!("the label cannot be checked: {e}"), None));
    }
    let mut expected = Vec::new();
    let is_corner = !placement.position.starts_with("opening-notice");
    if is_corner {
        let (Some(region), Some(text_px)) = (placement.region, placement.text_size) else {
            return Ok(not_found("the manifest records no badge region", None));
        };
        let badge = layout::corner_at(
            font,
            &label,
            text_px,
            info.width,
            info.height,
            placement.rotation.unwrap_or(0),
            style,
        )?;
        expected.push(Expected {
            name: "corner badge",
            region,
            badge,
            from: 0.0,
            until: f64::INFINITY,
        });
    }
    if let Some(n) = notice {
        expected.extend(notice_expected(n, info, (font, &label), style)?);
    }
    if expected.is_empty() {
        return Ok(not_found("the manifest records no badge region", None));
    }
    for e in &expected {
        let [x, y, w, h] = e.region;
        if w == 0
            || h == 0
            || u64::from(x) + u64::from(w) > u64::from(info.width)
            || u64::from(y) + u64::from(h) > u64::from(info.height)
        {
            return Ok(not_found(
                format!(
                    "the recorded {} region ({w}x{h} at {x},{y}) lies outside the {}x{} frame (cropped?)",
                    e.name, info.width, info.height
                ),
                Some(0.0),
            ));
        }
    }

    let notice_end = notice.map(|n| n.span[0] + n.span[1]).unwrap_or(0.0);
    let duration = info.duration_ms as f64 / 1000.0;
    let (early, late) = sample_times(duration, notice_end);
    let mut times = vec![early, late];
    // A frame in the middle of the closing notice's span.
    if let Some([from, seconds]) = notice.and_then(|n| n.closing) {
        times.push((from + seconds / 2.0).min(duration * 0.98).max(from));
        // `sample` takes its times ascending.
        times.sort_by(f64::total_cmp);
    }
    let frames = sample(ictx, info, &times, marked)?;
    if frames.is_empty() {
        return Ok(not_found("no frame could be decoded", None));
    }

    // Dark text on a light box correlates negatively: turn the sign.
    let sign = if style.text_is_lighter() { 1.0 } else { -1.0 };
    let mut details = Vec::new();
    let mut worst = f64::INFINITY;
    let mut checked = 0;
    for frame in &frames {
        for e in &expected {
            if frame.seconds < e.from || frame.seconds >= e.until {
                continue;
            }
            let score = sign * correlate(frame, e.region, &e.badge.text_mask);
            worst = worst.min(score);
            checked += 1;
            details.push(format!("{} at {:.2} s: {score:.2}", e.name, frame.seconds));
        }
    }
    if checked == 0 {
        return Ok(not_found(
            "no sampled frame falls where a label should be",
            None,
        ));
    }
    let found = worst >= PRESENCE_THRESHOLD;
    Ok(PerceptibleCheck::new(
        found,
        format!(
            "{} (text-mask correlation with frame luma, threshold {PRESENCE_THRESHOLD})",
            details.join("; ")
        ),
    )
    .with_score(worst.clamp(0.0, 1.0)))
}

/// The opening notice as recorded, and the closing one (the deepfake
/// notice shown again over the last seconds: the same rendering in the
/// same region) when it was drawn.
fn notice_expected(
    n: &NoticeRecord,
    info: &VideoInfo,
    (font, label): (&FontFile, &Label),
    style: &BadgeStyle,
) -> Result<Vec<Expected>> {
    let stored = layout::notice(
        (font, label),
        Some(n.text_size),
        0.08,
        (info.width, info.height),
        n.rotation,
        n.edge == "top",
        style,
    )?;
    let mut out = Vec::new();
    if let Some([from, seconds]) = n.closing {
        out.push(Expected {
            name: "closing notice",
            region: n.region,
            badge: stored.badge.clone(),
            from,
            until: from + seconds + 1.0,
        });
    }
    out.push(Expected {
        name: "opening notice",
        region: n.region,
        badge: stored.badge,
        from: 0.0,
        until: n.span[0] + n.span[1],
    });
    Ok(out)
}

/// One frame inside the opening notice's span (or at 0.5 s) and one later,
/// in the middle of the rest; both inside the clip, since a short clip may
/// end before the notice does.
fn sample_times(duration: f64, notice_end: f64) -> (f64, f64) {
    let early = if notice_end > 0.0 {
        (notice_end / 2.0).min(1.0)
    } else {
        0.5
    };
    let early = early.min(duration * 0.4);
    // After the notice whenever the clip runs on past it, so the corner
    // badge is also checked alone.
    let late = if duration > notice_end + 0.1 {
        (notice_end + duration) / 2.0
    } else {
        duration * 0.8
    };
    (early, late.max(early))
}

fn not_found(detail: impl Into<String>, score: Option<f64>) -> PerceptibleCheck {
    PerceptibleCheck::missing(detail).with_score(score)
}

/// Pearson correlation of the region's luma with the text mask (the
/// image crate's statistics, so pictures and frames score alike).
fn correlate(frame: &Grey, region: [u32; 4], mask: &image::GrayImage) -> f64 {
    let [x0, y0, w, h] = region;
    let w = w.min(mask.width()).min(frame.width.saturating_sub(x0));
    let h = h.min(mask.height()).min(frame.height.saturating_sub(y0));
    let pairs = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| {
            let idx = (y0 + y) as usize * frame.stride + (x0 + x) as usize;
            let luma = frame.data.get(idx).copied().unwrap_or(0);
            (mask.get_pixel(x, y).0[0], luma)
        });
    tanba_image::correlation(pairs)
}

/// Decodes the first frame at or after each of `times` (seconds from the
/// first frame, ascending), seeking for far-apart samples. Every frame
/// decoded on the way is also given to `marked`, when there is one, for
/// the watermark's read-back (the labeler marks every frame).
pub(crate) fn sample(
    ictx: &mut ffmpeg::format::context::Input,
    info: &VideoInfo,
    times: &[f64],
    mut marked: Option<&mut KnownReader>,
) -> Result<Vec<Grey>> {
    let stream = ictx
        .stream(info.index)
        .ok_or_else(|| Error::malformed("the video stream vanished"))?;
    let mut decoder = ffmpeg::codec::context::Context::from_parameters(stream.parameters())
        .and_then(|c| c.decoder().video())
        .map_err(|e| Error::unsupported(format!("cannot decode the video: {e}")))?;
    let time_base: Rational = stream.time_base();
    decoder.set_packet_time_base(time_base);
    let start = stream.start_time();
    let start = if start == ffmpeg::ffi::AV_NOPTS_VALUE {
        0
    } else {
        start
    };
    let mut out = Vec::new();
    let mut wanted = times.iter().copied().peekable();
    let mut scaler: Option<scaling::Context> = None;
    let mut packet = Packet::empty();
    // Two frames used in turn, so the previous one is still at hand when
    // the stream ends before a sample time (a duration that overstates).
    let mut frames = [ffmpeg::frame::Video::empty(), ffmpeg::frame::Video::empty()];
    let mut current = 0usize;
    let mut previous: Option<(usize, f64, bool)> = None;
    let mut eof = false;
    let mut seeked_for: Option<f64> = None;
    while let Some(&target) = wanted.peek() {
        // Far ahead of the current position: seek to the first keyframe at
        // or after it, which decodes at once (the label is on every frame
        // from there, so that frame serves as well as the target's). Seeking
        // back to the keyframe before the target decoded up to a whole GOP
        // (8 s of a 1080p x264 clip): most of the check's time. Where no
        // keyframe follows, or the container cannot seek forward, the last
        // one before it.
        if seeked_for != Some(target) && target > 10.0 && out.len() < times.len() {
            let at = (target * 1_000_000.0) as i64;
            let before = ((target - 2.0).max(0.0) * 1_000_000.0) as i64;
            if ictx.seek(at, at..).is_ok() || ictx.seek(before, ..before).is_ok() {
                decoder.flush();
            }
            seeked_for = Some(target);
        }
        let frame = &mut frames[current];
        let got = if decoder.receive_frame(frame).is_ok() {
            true
        } else if eof {
            false
        } else {
            match packet.read(ictx) {
                Ok(()) => {
                    if packet.stream() == info.index {
                        let _ = decoder.send_packet(&packet);
                    }
                }
                Err(ffmpeg::Error::Eof) => {
                    eof = true;
                    let _ = decoder.send_eof();
                }
                Err(e) => return Err(Error::malformed(format!("reading the input failed: {e}"))),
            }
            continue;
        };
        if !got {
            break;
        }
        let pts = frame.timestamp().unwrap_or(start);
        let seconds = (pts - start) as f64 * f64::from(time_base);
        let taken = seconds + 1e-6 >= target;
        let luma_plane = push_luma_plane(marked.as_deref_mut(), frame);
        if taken {
            wanted.next();
            let grey = to_grey(frame, seconds, &mut scaler)?;
            if !luma_plane && let Some(reader) = marked.as_deref_mut() {
                reader.push_luma(&grey.data, grey.width, grey.height, grey.stride);
            }
            out.push(grey);
        }
        previous = Some((current, seconds, taken));
        current ^= 1;
    }
    if wanted.peek().is_some()
        && let Some((index, seconds, false)) = previous
    {
        // The clip ended before the sample time: its last frame stands in.
        out.push(to_grey(&frames[index], seconds, &mut scaler)?);
    }
    Ok(out)
}

/// Gives a frame's luma plane to `reader` as it is, when the frame is
/// 8-bit YUV (the labeler's H.264, VP9 and AV1 output); false when it is
/// not, and the frame's grey conversion must stand in.
fn push_luma_plane(reader: Option<&mut KnownReader>, frame: &ffmpeg::frame::Video) -> bool {
    let Some(reader) = reader else {
        return true;
    };
    let planar = matches!(
        frame.format(),
        Pixel::YUV420P
            | Pixel::YUVJ420P
            | Pixel::YUV422P
            | Pixel::YUVJ422P
            | Pixel::YUV444P
            | Pixel::YUVJ444P
            | Pixel::NV12
            | Pixel::NV21
            | Pixel::GRAY8
    );
    if planar {
        reader.push_luma(
            frame.data(0),
            frame.width(),
            frame.height(),
            frame.stride(0),
        );
    }
    planar
}

fn to_grey(
    frame: &ffmpeg::frame::Video,
    seconds: f64,
    scaler: &mut Option<scaling::Context>,
) -> Result<Grey> {
    if scaler.is_none() {
        *scaler = Some(
            scaling::Context::get(
                frame.format(),
                frame.width(),
                frame.height(),
                Pixel::GRAY8,
                frame.width(),
                frame.height(),
                scaling::Flags::POINT,
            )
            .map_err(|e| {
                Error::unsupported(format!("cannot read {:?} frames: {e}", frame.format()))
            })?,
        );
    }
    let mut grey = ffmpeg::frame::Video::empty();
    if let Some(s) = scaler.as_mut() {
        s.run(frame, &mut grey)
            .map_err(|e| Error::malformed(format!("converting a frame: {e}")))?;
    }
    Ok(Grey {
        width: grey.width(),
        height: grey.height(),
        stride: grey.stride(0),
        data: grey.data(0).to_vec(),
        seconds,
    })
}
