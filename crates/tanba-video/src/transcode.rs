//! Demux, decode, blend, encode, mux: the labelling pipeline, in named
//! steps (set-up and prior marks, the decoder and working pixel format, the
//! overlays and placement, the output streams, the header with the marks,
//! the packet loop, the completeness checks, the ISO boxes added after
//! muxing).

use std::path::Path;

use ffmpeg::codec;
use ffmpeg::format::Pixel;
use ffmpeg::{Dictionary, Packet, Rational, media};
use ffmpeg_next as ffmpeg;

use tanba_core::isobmff::{self, CoverArt};
use tanba_core::{Error, Format, Job, Manifest, Placement, Progress, ProgressUnit, Result, xmp};

use crate::encoder::{EncoderPlan, plan_encoder, threading_config, x265_hdr_params};
use crate::frames::{FrameState, VideoOut, malformed};
use crate::layout::{self, NoticeRecord};
use crate::marks::{self, KEY_AIGC, KEY_MANIFEST, KEY_NOTICE};
use crate::overlay::{ColourMatrix, FrameSpec, Overlay, PlanarLayout};
use crate::paint::Painter;
use crate::probe::{self, Container, VideoInfo};
use crate::{VideoSettings, avi, ffi, mpegts};

/// Why an M2TS output carries no marks of its own.
const M2TS_NOTE: &str = "M2TS has no metadata stream readers recognise (FFmpeg writes one as an \
     untyped private stream in 192-byte mode): the marks are in the manifest sidecar \
     NAME.m2ts.tanba.json beside the output, which must travel with it";

/// A finished, complete output waiting in a temporary file.
pub(crate) struct Done {
    pub output: tempfile::NamedTempFile,
    pub manifest: Manifest,
    pub notes: Vec<String>,
}

/// Keys the container writes itself, or that a new label replaces.
fn is_rewritten_key(key: &str) -> bool {
    [
        "major_brand",
        "minor_version",
        "compatible_brands",
        "encoder",
        "creation_time",
    ]
    .iter()
    .chain([KEY_AIGC, KEY_MANIFEST, KEY_NOTICE].iter())
    .any(|k| k.eq_ignore_ascii_case(key))
}

/// What marks the input carries already.
pub(crate) struct PriorMarks {
    /// A Tanba manifest (key or XMP): the file was labelled by us.
    pub tanba: bool,
    /// Other marks this label replaces (another tool's AIGC key or XMP).
    pub replaced: Vec<&'static str>,
}

/// Reads the input's marks. As in the image crate, only a Tanba manifest
/// makes a file "already labelled": another tool's AIGC key or XMP has no
/// visible label behind it, so the file is labelled and those are replaced
/// (a remux keeps no top-level `uuid` box anyway).
pub(crate) fn prior_marks(
    input: &ffmpeg::format::context::Input,
    path: &Path,
    container: Container,
    limits: &tanba_core::Limits,
) -> Result<PriorMarks> {
    let stored = marks::read(input, path, container, limits)?;
    let mut prior = PriorMarks {
        tanba: stored.meta.get(KEY_MANIFEST).is_some(),
        replaced: Vec::new(),
    };
    if stored.meta.get(KEY_AIGC).is_some() {
        prior.replaced.push("AIGC key");
    }
    if let Some(packet) = stored.xmp {
        let xmp = xmp::read(&packet).unwrap_or_default();
        prior.tanba |= xmp.manifest.is_some();
        prior.replaced.push("XMP packet");
    }
    Ok(prior)
}

/// What every step reads: the input, the settings and the job.
struct Ctx<'a> {
    path: &'a Path,
    container: Container,
    settings: &'a VideoSettings,
    job: &'a Job,
    info: VideoInfo,
}

/// How the video is decoded, blended and encoded, settled before any
/// output stream exists.
struct VideoPlan {
    /// The input's codec.
    codec_id: codec::Id,
    encoder: EncoderPlan,
    /// The pixel format frames are blended and encoded in.
    work_format: Pixel,
    /// Decoded frames are converted to `work_format` (with a note).
    converted: bool,
    layout: PlanarLayout,
    matrix: ColourMatrix,
    full_range: bool,
}

/// The badge and notice, built once.
struct Overlays {
    /// The corner badge and its text size.
    corner: Option<(Overlay, f32)>,
    /// The notice, the second it stops showing at, and its record.
    notice: Option<(Overlay, f64, NoticeRecord)>,
}

/// The output's streams: where each input stream goes.
struct Streams {
    /// Output index of each input stream; `None` when not carried over.
    out_index: Vec<Option<usize>>,
    in_time_base: Vec<Rational>,
    /// Output time bases, known once the header is written.
    out_time_base: Vec<Rational>,
    /// MP4/MOV cover pictures' input streams (added after muxing).
    cover_streams: Vec<usize>,
    video: VideoOut,
    /// The audio stream the disclaimer is mixed into.
    audible_index: Option<usize>,
    #[cfg(feature = "audible")]
    audible: Option<crate::audible::AudibleStream>,
}

/// The open input and output while packets flow.
struct Pipeline {
    ictx: ffmpeg::format::context::Input,
    octx: ffmpeg::format::context::Output,
    decoder: ffmpeg::decoder::Video,
    streams: Streams,
    frames: FrameState,
}

/// What the packet loop leaves behind.
struct Run {
    /// MP4/MOV cover pictures read from their streams.
    covers: Vec<CoverArt>,
    /// The first packet the video decoder refused.
    decode_error: Option<ffmpeg::Error>,
}

/// Labels the video at `path` into a temporary file of the same container.
pub(crate) fn label_file(
    path: &Path,
    format: &'static Format,
    settings: &VideoSettings,
    job: &Job,
) -> Result<Done> {
    let container = Container::of(format)?;
    let ictx = probe::open(path)?;
    let info = probe::video_info(&ictx, &job.limits)?;
    if container.is_ts() {
        mpegts::check_one_video(&ictx)?;
    }
    let mut notes = prior_notes(&ictx, path, container, job)?;
    let ctx = Ctx {
        path,
        container,
        settings,
        job,
        info,
    };
    let (decoder, plan) = open_decoder(&ctx, &ictx, &mut notes)?;
    let mut overlays = Overlays::build(&ctx, &plan)?;
    let placement = overlays.placement(&ctx)?;

    // Output container.
    let output = tempfile::Builder::new()
        .prefix("tanba-video-out-")
        .suffix(&format!(".{}", format.extension()))
        .tempfile()?;
    let mut octx = ffmpeg::format::output_as(&output.path(), container.muxer()).map_err(|e| {
        Error::unsupported(format!("cannot create a {} muxer: {e}", container.muxer()))
    })?;
    let mut streams = add_streams(&ctx, &ictx, &mut octx, &plan, &mut notes)?;
    notes.push(format!("video re-encoded with {}", plan.encoder.summary));

    // The manifest, once the streams are set up: it records where the
    // audible label is heard too.
    #[cfg(feature = "audible")]
    let audible_placement = streams.audible.as_ref().map(|a| a.placement.clone());
    #[cfg(not(feature = "audible"))]
    let audible_placement = None;
    let (watermark, why_not) = watermark_key(&ctx, &plan);
    notes.extend(why_not);
    let manifest =
        job.manifest_with_watermark(format.mime, placement, audible_placement, watermark);
    let marker = frame_marker(&ctx, watermark, &manifest, &mut notes)?;
    let marks_stream = match container {
        Container::MpegTs => Some(mpegts::add_marks_stream(&ictx, &mut octx, &mut notes)?),
        Container::M2ts => {
            notes.push(M2TS_NOTE.to_string());
            None
        }
        _ => None,
    };
    if container.is_ts() {
        let layout = (streams.out_index.as_slice(), ctx.info.index, marks_stream);
        mpegts::add_programs(&ictx, &mut octx, layout, &mut notes)?;
    }
    // The closing notice is recorded beside the opening one, so verify
    // checks a frame of it.
    let closing = closing_notice(&ctx, &mut notes);
    if let (Some(from), Some((_, _, record))) = (closing, overlays.notice.as_mut()) {
        let end = ctx.info.duration_ms as f64 / 1000.0;
        record.closing = Some([from, (end - from).max(0.0)]);
    }
    let marks = MarkTexts::new(&manifest, overlays.notice.as_ref().map(|(_, _, r)| r));
    write_header(&ctx, &ictx, &mut octx, &marks)?;
    streams.set_out_time_bases(&octx, ctx.info.index)?;
    if let Some(index) = marks_stream {
        let video = ictx
            .stream(ctx.info.index)
            .map(|s| (s.start_time(), s.time_base()))
            .ok_or_else(|| Error::malformed("the video stream vanished"))?;
        mpegts::write_marks(&mut octx, index, video, &marks.keyed())?;
    }

    let time_base = streams.in_time_base[ctx.info.index];
    let mut pipeline = Pipeline {
        ictx,
        octx,
        decoder,
        streams,
        frames: FrameState::new(
            Painter {
                corner: overlays.corner.map(|(o, _)| o),
                notice: overlays.notice.map(|(o, seconds, _)| (o, seconds)),
                closing_from: closing,
                marker,
            },
            (plan.work_format, time_base),
            frame_progress(&ctx.info, job),
        )?,
    };
    let run = pipeline.run(ctx.info.index, &mut notes)?;
    check_complete(&ctx.info, &pipeline.frames, run.decode_error)?;
    pipeline.frames.progress.finish();
    if container.is_iso() {
        add_iso_boxes(output.path(), &run.covers, &manifest, &mut notes)?;
    }
    if container == Container::Avi {
        avi::add_marks(output.path(), &marks.avi_info(), &marks.xmp)?;
    }
    Ok(Done {
        output,
        manifest,
        notes,
    })
}

/// The job's watermark key when the frames can carry the mark: 8-bit
/// luma (the marker writes 8-bit planes) at least the picture minimum on
/// the shorter side; else none, with the reason.
fn watermark_key(
    ctx: &Ctx<'_>,
    plan: &VideoPlan,
) -> (Option<tanba_core::WatermarkKey>, Option<String>) {
    let Some(key) = ctx.job.watermark else {
        return (None, None);
    };
    let (w, h) = (ctx.info.width, ctx.info.height);
    if w.min(h) < tanba_watermark::MIN_PICTURE_SIDE {
        return (
            None,
            Some(format!(
                "no watermark: the frames ({w}x{h}) are under {} px on their shorter side",
                tanba_watermark::MIN_PICTURE_SIDE
            )),
        );
    }
    if plan.layout.bits != 8 {
        return (
            None,
            Some(format!(
                "no watermark: {}-bit video (the mark is written into 8-bit luma)",
                plan.layout.bits
            )),
        );
    }
    (Some(key), None)
}

/// The marker that adds the manifest's payload to every frame.
fn frame_marker(
    ctx: &Ctx<'_>,
    key: Option<tanba_core::WatermarkKey>,
    manifest: &tanba_core::Manifest,
    notes: &mut Vec<String>,
) -> Result<Option<tanba_watermark::FrameMarker>> {
    let (Some(key), Some(payload)) = (key, manifest.watermark_payload()) else {
        return Ok(None);
    };
    let marker = tanba_watermark::FrameMarker::new(
        ctx.info.width,
        ctx.info.height,
        payload,
        tanba_watermark::Key::private(key.0),
    )?;
    notes.push(format!(
        "watermark embedded in every frame: payload {payload:016x} ({} key)",
        key.kind()
    ));
    Ok(Some(marker))
}

/// Progress in frames of the frames the container lists (or its duration
/// times the frame rate, when it lists none), with the media time.
fn frame_progress(info: &VideoInfo, job: &Job) -> Progress {
    let seconds = (info.duration_ms > 0).then(|| info.duration_ms as f64 / 1000.0);
    let total = if info.frames > 0 {
        Some(info.frames)
    } else {
        seconds
            .zip(info.frame_rate)
            .map(|(s, r)| (s * f64::from(r)).round() as u64)
    };
    job.progress(ProgressUnit::Frames, total, seconds)
}

/// Refuses our own earlier label unless the job is forced, and says what
/// marks of the input the new label replaces.
fn prior_notes(
    ictx: &ffmpeg::format::context::Input,
    path: &Path,
    container: Container,
    job: &Job,
) -> Result<Vec<String>> {
    let prior = prior_marks(ictx, path, container, &job.limits)?;
    if prior.tanba && !job.force {
        return Err(Error::already_labelled());
    }
    let mut notes = Vec::new();
    if prior.tanba {
        // Forced: the marks below replace the input's; its pixels keep the
        // earlier badge, which cannot be taken out.
        notes.push(
            "labelled before: its marks were replaced by this label's; the earlier visible label stays"
                .to_string(),
        );
    } else if !prior.replaced.is_empty() {
        notes.push(format!(
            "the input's own {} was replaced by this label's",
            prior.replaced.join(" and ")
        ));
    }
    Ok(notes)
}

/// Opens the threaded video decoder and settles the encoder and the
/// working pixel format: blend straight into the decoded planes when their
/// layout is known and the encoder takes them; anything else is converted
/// once to 8-bit 4:2:0.
fn open_decoder(
    ctx: &Ctx<'_>,
    ictx: &ffmpeg::format::context::Input,
    notes: &mut Vec<String>,
) -> Result<(ffmpeg::decoder::Video, VideoPlan)> {
    let ist = ictx
        .stream(ctx.info.index)
        .ok_or_else(|| Error::malformed("the video stream vanished"))?;
    let codec_id = ist.parameters().id();
    if ffmpeg::decoder::find(codec_id).is_none() {
        return Err(Error::unsupported(format!(
            "no decoder for the video codec {}",
            codec_id.name()
        )));
    }
    let mut dec_ctx = codec::context::Context::from_parameters(ist.parameters())
        .map_err(malformed("video codec parameters"))?;
    dec_ctx.set_threading(threading_config(ctx.settings.threads));
    let mut decoder = dec_ctx.decoder().video().map_err(|e| {
        Error::unsupported(format!("cannot open the {} decoder: {e}", codec_id.name()))
    })?;
    decoder.set_packet_time_base(ist.time_base());

    // A transport stream records no per-stream rate (MPEG-2 video in a
    // broadcast TS): the whole file's then stands in, a little above the
    // video's own, rather than the 1 Mb/s floor.
    let bit_rate = match decoder.bit_rate() {
        0 => usize::try_from(ictx.bit_rate()).unwrap_or(0),
        known => known,
    };
    let (mut encoder, plan_note) = plan_encoder(codec_id, ctx.container, bit_rate, ctx.settings)?;
    notes.extend(plan_note);
    if encoder.codec.name() == "libx265"
        && let Some(hdr) = x265_hdr_params(&ist)
    {
        // The container keeps the side data (below); x265 also writes it
        // into the bitstream's SEI, where many players look for it.
        encoder
            .options
            .set("x265-params", &format!("log-level=error:{hdr}"));
        encoder.summary.push_str(" with HDR10 metadata");
    }
    let decoded_format = decoder.format();
    let encoder_takes = |p: Pixel| {
        encoder
            .codec
            .video()
            .ok()
            .and_then(|v| v.formats().map(|mut f| f.any(|x| x == p)))
            .unwrap_or(true)
    };
    let work_format = match PlanarLayout::of(decoded_format) {
        Some(_) if encoder_takes(decoded_format) => decoded_format,
        _ => {
            notes.push(format!(
                "pixel format {} was converted to yuv420p for the overlay and encoder",
                decoded_format.descriptor().map_or("unknown", |d| d.name())
            ));
            Pixel::YUV420P
        }
    };
    let layout = PlanarLayout::of(work_format)
        .ok_or_else(|| Error::unsupported("no planar YUV layout for the overlay"))?;
    let converted = work_format != decoded_format;
    let (matrix, full_range) = if converted {
        // swscale's default output: BT.601, limited range.
        (ColourMatrix::Bt601, false)
    } else {
        (
            ColourMatrix::of(decoder.color_space(), ctx.info.height),
            decoder.color_range() == ffmpeg::util::color::Range::JPEG,
        )
    };
    let plan = VideoPlan {
        codec_id,
        encoder,
        work_format,
        converted,
        layout,
        matrix,
        full_range,
    };
    Ok((decoder, plan))
}

/// Seconds the deepfake notice shows again at the end of the video.
const CLOSING_NOTICE_SECONDS: f64 = 2.0;

/// Where the opening notice shows again, for content imitating a real
/// person: over the last [`CLOSING_NOTICE_SECONDS`] (after the opening
/// notice, so a short video shows it once, throughout).
fn closing_notice(ctx: &Ctx<'_>, notes: &mut Vec<String>) -> Option<f64> {
    let opening = ctx.settings.notice_seconds?;
    if !ctx.job.real_person {
        return None;
    }
    let duration = ctx.info.duration_ms as f64 / 1000.0;
    let from = (duration - CLOSING_NOTICE_SECONDS).max(opening);
    notes.push(format!(
        "the deepfake notice shows again from {from:.2} s to the end"
    ));
    Some(from)
}

impl Overlays {
    /// Renders the corner badge and the notice the settings ask for, in the
    /// working format's planes.
    fn build(ctx: &Ctx<'_>, plan: &VideoPlan) -> Result<Self> {
        let (info, job) = (&ctx.info, ctx.job);
        let frame = FrameSpec {
            width: info.width,
            height: info.height,
            layout: plan.layout,
            matrix: plan.matrix,
            full_range: plan.full_range,
        };
        let overlay =
            |placed: &layout::StoredBadge| Overlay::new(&placed.badge, placed.x, placed.y, frame);
        let corner = if ctx.settings.corner_badge {
            let placed = layout::corner(
                &ctx.settings.font,
                &job.label,
                info.width,
                info.height,
                info.rotation_cw,
                job.position,
                &ctx.settings.style,
            )?;
            Some((overlay(&placed)?, placed.badge.text_px))
        } else {
            None
        };
        let notice = match ctx.settings.notice_seconds {
            Some(seconds) => {
                let edge = layout::notice_edge(job.position);
                let placed = layout::notice(
                    (&ctx.settings.font, &job.label),
                    None,
                    ctx.settings.notice_text_fraction,
                    (info.width, info.height),
                    info.rotation_cw,
                    edge == "top",
                    &ctx.settings.style,
                )?;
                let overlay = overlay(&placed)?;
                let record = NoticeRecord {
                    region: overlay.region(),
                    text_size: placed.badge.text_px,
                    span: [0.0, seconds],
                    rotation: info.rotation_cw,
                    edge: edge.to_string(),
                    closing: None,
                };
                Some((overlay, seconds, record))
            }
            None => None,
        };
        Ok(Overlays { corner, notice })
    }

    /// The manifest's placement: the corner badge when there is one, else
    /// the notice.
    fn placement(&self, ctx: &Ctx<'_>) -> Result<Placement> {
        let info = &ctx.info;
        Ok(match (&self.corner, &self.notice) {
            (Some((overlay, text_px)), _) => Placement {
                region: Some(overlay.region()),
                span: Some([0.0, info.duration_ms as f64 / 1000.0]),
                text_size: Some(*text_px),
                rotation: Some(info.rotation_cw),
                ..Placement::at(ctx.job.position.name())
            },
            (None, Some((_, seconds, record))) => Placement {
                region: Some(record.region),
                span: Some([0.0, *seconds]),
                text_size: Some(record.text_size),
                rotation: Some(info.rotation_cw),
                ..Placement::at(format!("opening-notice-{}", record.edge))
            },
            (None, None) => return Err(Error::config("no visible label configured")),
        })
    }
}

/// Adds the output streams: the labelled video is encoded, the audible
/// label's audio stream mixed, MP4/MOV cover art set aside, everything
/// else the muxer can store copied; what it cannot is dropped with a note.
fn add_streams(
    ctx: &Ctx<'_>,
    ictx: &ffmpeg::format::context::Input,
    octx: &mut ffmpeg::format::context::Output,
    plan: &VideoPlan,
    notes: &mut Vec<String>,
) -> Result<Streams> {
    let stream_count = ictx.nb_streams() as usize;
    let mut out_index: Vec<Option<usize>> = vec![None; stream_count];
    let mut cover_streams: Vec<usize> = Vec::new();
    let mut in_time_base = vec![Rational(0, 1); stream_count];
    let mut video = None;
    let audible_index = if ctx.settings.audible {
        let picked = pick_audible(ictx);
        if picked.is_none() {
            notes.push("no audio stream: the audible label was not added".into());
        }
        picked
    } else {
        None
    };
    #[cfg(feature = "audible")]
    let mut audible: Option<crate::audible::AudibleStream> = None;
    for ist in ictx.streams() {
        let i = ist.index();
        in_time_base[i] = ist.time_base();
        if i == ctx.info.index {
            let out = add_video_stream(ctx, &ist, octx, plan, notes)?;
            out_index[i] = Some(out.index);
            video = Some(out);
        } else if Some(i) == audible_index {
            #[cfg(feature = "audible")]
            {
                let stream = crate::audible::AudibleStream::new(
                    ctx.path,
                    ictx,
                    i,
                    octx,
                    ctx.container,
                    ctx.job,
                )?;
                out_index[i] = Some(stream.output_index);
                if ctx.container.is_ts()
                    && let Some(mut ost) = octx.stream_mut(stream.output_index)
                {
                    mpegts::keep_pid(&ist, &mut ost);
                }
                notes.push(stream.summary.clone());
                audible = Some(stream);
            }
        } else if ctx.container.is_iso()
            && ist
                .disposition()
                .contains(ffmpeg::format::stream::Disposition::ATTACHED_PIC)
        {
            // FFmpeg's muxer cannot write cover art next to the AIGC key;
            // its picture is added to the finished file (isobmff).
            cover_streams.push(i);
        } else {
            out_index[i] = copy_stream(ctx, &ist, octx, notes)?;
        }
    }
    let video = video.ok_or_else(|| Error::malformed("the video stream was not set up"))?;
    Ok(Streams {
        out_index,
        in_time_base,
        out_time_base: Vec::new(),
        cover_streams,
        video,
        audible_index,
        #[cfg(feature = "audible")]
        audible,
    })
}

/// The audio stream the audible label goes into, in builds that have it.
fn pick_audible(ictx: &ffmpeg::format::context::Input) -> Option<usize> {
    #[cfg(feature = "audible")]
    return crate::audible::pick_stream(ictx);
    #[cfg(not(feature = "audible"))]
    {
        let _ = ictx;
        None
    }
}

/// Adds the re-encoded video stream: the encoder opened on the working
/// format with the input's colours, frame rate, sample entry, rotation and
/// side data.
fn add_video_stream(
    ctx: &Ctx<'_>,
    ist: &ffmpeg::Stream<'_>,
    octx: &mut ffmpeg::format::context::Output,
    plan: &VideoPlan,
    notes: &mut Vec<String>,
) -> Result<VideoOut> {
    let (info, settings, encoder) = (&ctx.info, ctx.settings, &plan.encoder);
    let global_header = octx
        .format()
        .flags()
        .contains(ffmpeg::format::Flags::GLOBAL_HEADER);
    let mut ost = octx
        .add_stream(encoder.codec)
        .map_err(|e| Error::unsupported(format!("cannot add the video stream: {e}")))?;
    let mut enc = codec::context::Context::new_with_codec(encoder.codec)
        .encoder()
        .video()
        .map_err(|e| Error::unsupported(format!("encoder {}: {e}", encoder.summary)))?;
    enc.set_width(info.width);
    enc.set_height(info.height);
    enc.set_format(plan.work_format);
    // MPEG-1/2 video codes the frame rate itself and takes no other time
    // base (a broadcast TS is 1/90000): it counts in frames, and the
    // frames' timestamps are rescaled to it.
    let enc_tb = match (encoder.codec.id(), info.frame_rate) {
        (codec::Id::MPEG2VIDEO | codec::Id::MPEG1VIDEO, Some(rate)) => rate.invert(),
        _ => ist.time_base(),
    };
    enc.set_time_base(enc_tb);
    enc.set_frame_rate(info.frame_rate);
    ffi::copy_colour_fields(ist, &mut enc);
    if plan.converted {
        enc.set_colorspace(ffmpeg::util::color::Space::BT470BG);
        enc.set_color_range(ffmpeg::util::color::Range::MPEG);
    }
    enc.set_threading(threading_config(settings.threads));
    if global_header {
        ffi::add_global_header_flag(&mut enc);
    }
    let opened = enc
        .open_with(encoder.options.clone())
        .map_err(|e| Error::unsupported(format!("cannot open {}: {e}", encoder.summary)))?;
    ost.set_parameters(&opened);
    // Same codec in an ISO file: keep its sample entry (`hvc1` rather
    // than FFmpeg's default `hev1`, which Apple players refuse); in AVI
    // its fourcc (`XVID` rather than FFmpeg's `FMP4`).
    if (ctx.container.is_iso() || ctx.container == Container::Avi)
        && encoder.codec.id() == plan.codec_id
    {
        let tag = ffi::codec_tag(ist);
        if tag != 0 {
            ffi::set_codec_tag(&mut ost, tag);
        }
    }
    if ctx.container.is_ts() {
        mpegts::keep_pid(ist, &mut ost);
    }
    ost.set_time_base(ist.time_base());
    if let Some(rate) = info.frame_rate {
        ost.set_avg_frame_rate(rate);
    }
    ost.set_rate(ist.rate());
    ffi::copy_disposition(ist, &mut ost);
    ost.set_metadata(filtered(&ist.metadata()));
    if let Some(m) = &info.display_matrix
        && !ffi::set_display_matrix(&mut ost, m)
    {
        return Err(Error::cannot_label(
            "cannot attach the display rotation to the output",
        ));
    }
    // HDR mastering display and light levels, stereo and 360° projection
    // describe the pictures, which the badge leaves as they were: carry
    // them over as FFmpeg's stream copy would.
    for sd in ist.side_data() {
        use ffmpeg::codec::packet::side_data::Type;
        if matches!(
            sd.kind(),
            Type::MasteringDisplayMetadata
                | Type::ContentLightLevel
                | Type::Stereo3d
                | Type::DataSpherical
        ) && !ffi::add_side_data(&mut ost, sd.kind().into(), sd.data())
        {
            notes.push(format!("the {:?} side data could not be kept", sd.kind()));
        }
    }
    Ok(VideoOut {
        index: ost.index(),
        encoder: opened,
        enc_tb,
        out_tb: ist.time_base(),
    })
}

/// Adds a stream copied packet for packet; `None`, with a note, when the
/// muxer cannot store it.
fn copy_stream(
    ctx: &Ctx<'_>,
    ist: &ffmpeg::Stream<'_>,
    octx: &mut ffmpeg::format::context::Output,
    notes: &mut Vec<String>,
) -> Result<Option<usize>> {
    let (i, container) = (ist.index(), ctx.container);
    let medium = ist.parameters().medium();
    let copyable = matches!(
        medium,
        media::Type::Audio
            | media::Type::Subtitle
            | media::Type::Data
            | media::Type::Attachment
            | media::Type::Video
    );
    if !copyable {
        notes.push(format!(
            "stream {i} ({}) could not be carried over and was dropped",
            medium_name(medium)
        ));
        return Ok(None);
    }
    // (Matroska writes an attachment from its file name and MIME type
    // whatever its codec, e.g. a font for ASS subtitles.)
    let matroska_attachment = medium == media::Type::Attachment
        && container == Container::Matroska
        && ist.metadata().get("mimetype").is_some();
    if !matroska_attachment && ffi::muxer_can_store(octx, ist, container.is_iso()) == 0 {
        // ffmpeg -map 0 -c copy fails on these (iPhone `mebx` metadata
        // tracks, say); dropping one beats refusing the whole video.
        notes.push(format!(
            "stream {i} ({}, {}) cannot be stored in {} and was dropped",
            medium_name(medium),
            ist.parameters().id().name(),
            container.muxer()
        ));
        return Ok(None);
    }
    let mut ost = octx
        .add_stream(ffmpeg::encoder::find(codec::Id::None))
        .map_err(|e| Error::unsupported(format!("cannot copy stream {i}: {e}")))?;
    ost.set_parameters(ist.parameters());
    if container.is_ts() {
        mpegts::keep_pid(ist, &mut ost);
    }
    ost.set_time_base(ist.time_base());
    // As ffmpeg's stream copy does: some muxers need the rates (the MOV
    // timecode track refuses to finish without one).
    ost.set_avg_frame_rate(ist.avg_frame_rate());
    ost.set_rate(ist.rate());
    ffi::copy_disposition(ist, &mut ost);
    ost.set_metadata(ist.metadata().to_owned());
    Ok(Some(ost.index()))
}

/// The marks' texts, made once for whichever carrier the container has.
struct MarkTexts {
    aigc: String,
    manifest: String,
    notice: Option<String>,
    xmp: String,
}

impl MarkTexts {
    fn new(manifest: &Manifest, notice: Option<&NoticeRecord>) -> Self {
        MarkTexts {
            aigc: manifest.aigc.to_json(),
            manifest: manifest.to_json(),
            notice: notice.and_then(|r| serde_json::to_string(r).ok()),
            xmp: xmp::packet(manifest),
        }
    }

    /// Under the metadata keys of MP4, Matroska and the TS ID3 tag.
    fn keyed(&self) -> Vec<(&str, &str)> {
        let mut out = vec![
            (KEY_AIGC, self.aigc.as_str()),
            (KEY_MANIFEST, self.manifest.as_str()),
        ];
        out.extend(self.notice.as_deref().map(|n| (KEY_NOTICE, n)));
        out
    }

    /// As AVI INFO items (four-character ids; the manifest is in the XMP).
    fn avi_info(&self) -> Vec<(&str, &str)> {
        let mut out = vec![(KEY_AIGC, self.aigc.as_str())];
        out.extend(self.notice.as_deref().map(|n| (avi::INFO_NOTICE, n)));
        out
    }

    /// Bytes the AVI marks take.
    fn avi_len(&self) -> usize {
        self.avi_info()
            .iter()
            .map(|(_, v)| v.len() + 10)
            .sum::<usize>()
            + self.xmp.len()
            + 32
    }
}

/// Writes the container header: the input's metadata and chapters, plus
/// the marks (in MP4/MOV as `moov/udta/meta` keys, kept fast-start when the
/// input was; TS keeps its program layout; AVI reserves room for the marks
/// written after muxing).
fn write_header(
    ctx: &Ctx<'_>,
    ictx: &ffmpeg::format::context::Input,
    octx: &mut ffmpeg::format::context::Output,
    marks: &MarkTexts,
) -> Result<()> {
    let mut meta = Dictionary::new();
    for (k, v) in ictx.metadata().iter() {
        if !is_rewritten_key(k) {
            meta.set(k, v);
        }
    }
    for (k, v) in marks.keyed() {
        meta.set(k, v);
    }
    let mut header_options = Dictionary::new();
    if ctx.container.is_ts() {
        let video = ctx.info.index;
        mpegts::header(ictx, ctx.container, video, (&mut meta, &mut header_options));
    }
    if ctx.container == Container::Avi {
        let padding = avi::padding_for(marks.avi_len());
        header_options.set("metadata_header_padding", &padding.to_string());
    }
    octx.set_metadata(meta);
    // Chapters are container metadata too; a re-mux would drop them.
    for chapter in ictx.chapters() {
        let title = chapter.metadata().get("title").unwrap_or("").to_string();
        let mut out = octx
            .add_chapter(
                chapter.id(),
                chapter.time_base(),
                chapter.start(),
                chapter.end(),
                &title,
            )
            .map_err(malformed("copying a chapter"))?;
        for (k, v) in chapter.metadata().iter() {
            if k != "title" {
                out.set_metadata(k, v);
            }
        }
    }
    ffi::fix_codec_tags(octx);
    if ctx.container.is_iso() {
        // Arbitrary keys (AIGC) go to moov/udta/meta only with this flag;
        // a web-optimised input (moov first) stays web-optimised.
        let flags = if isobmff::is_fast_start(ctx.path)? {
            "use_metadata_tags+faststart"
        } else {
            "use_metadata_tags"
        };
        header_options.set("movflags", flags);
    }
    octx.write_header_with(header_options).map_err(|e| {
        Error::unsupported(format!(
            "the {} muxer refused the streams: {e}",
            ctx.container.muxer()
        ))
    })?;
    Ok(())
}

impl Streams {
    /// Reads the output time bases the muxer chose in its header.
    fn set_out_time_bases(
        &mut self,
        octx: &ffmpeg::format::context::Output,
        video_index: usize,
    ) -> Result<()> {
        self.out_time_base = self
            .out_index
            .iter()
            .map(|o| {
                o.and_then(|o| octx.stream(o).map(|s| s.time_base()))
                    .unwrap_or(Rational(1, 1))
            })
            .collect();
        self.out_index[video_index].ok_or_else(|| Error::malformed("no output video stream"))?;
        self.video.out_tb = self.out_time_base[video_index];
        Ok(())
    }
}

impl Pipeline {
    /// The packet loop: video packets are decoded, blended and encoded,
    /// the audible stream's mixed, cover pictures kept for later, the rest
    /// copied; then everything is flushed and the trailer written.
    fn run(&mut self, video_index: usize, notes: &mut Vec<String>) -> Result<Run> {
        let mut run = Run {
            covers: Vec::new(),
            decode_error: None,
        };
        let mut packet = Packet::empty();
        loop {
            match packet.read(&mut self.ictx) {
                Ok(()) => {}
                Err(ffmpeg::Error::Eof) => break,
                Err(e) => {
                    return Err(Error::malformed(format!(
                        "reading the input failed (truncated?): {e}"
                    )));
                }
            }
            let i = packet.stream();
            let Some(o) = self.streams.out_index.get(i).copied().flatten() else {
                self.keep_cover(i, &packet, &mut run.covers, notes);
                continue;
            };
            if i == video_index {
                // A packet the decoder rejects is remembered, not fatal
                // yet: a cut-off file ends in one, and the truncation
                // checks then give the clearer reason. Either way no
                // output is kept.
                if let Err(e) = self.decoder.send_packet(&packet) {
                    run.decode_error.get_or_insert(e);
                }
                self.frames.drain_decoder(
                    &mut self.decoder,
                    &mut self.streams.video,
                    &mut self.octx,
                )?;
            } else if Some(i) == self.streams.audible_index {
                #[cfg(feature = "audible")]
                if let Some(a) = self.streams.audible.as_mut() {
                    a.push(&packet, &mut self.octx)?;
                }
            } else {
                let streams = &self.streams;
                packet.rescale_ts(streams.in_time_base[i], streams.out_time_base[i]);
                packet.set_position(-1);
                packet.set_stream(o);
                packet
                    .write_interleaved(&mut self.octx)
                    .map_err(malformed("copying a stream"))?;
            }
        }
        if let Err(e) = self.decoder.send_eof() {
            run.decode_error.get_or_insert(e);
        }
        self.frames
            .drain_decoder(&mut self.decoder, &mut self.streams.video, &mut self.octx)?;
        self.frames
            .finish(&mut self.streams.video, &mut self.octx)?;
        self.streams.video.finish(&mut self.octx)?;
        #[cfg(feature = "audible")]
        if let Some(a) = self.streams.audible.as_mut() {
            a.finish(&mut self.octx)?;
        }
        self.octx
            .write_trailer()
            .map_err(malformed("finishing the container"))?;
        Ok(run)
    }

    /// Keeps the picture of an MP4/MOV cover-art stream's packet.
    fn keep_cover(
        &self,
        i: usize,
        packet: &Packet,
        covers: &mut Vec<CoverArt>,
        notes: &mut Vec<String>,
    ) {
        if !self.streams.cover_streams.contains(&i) {
            return;
        }
        if let Some(data) = packet.data() {
            match CoverArt::sniff(data) {
                Some(cover) => covers.push(cover),
                None => notes.push(format!(
                    "stream {i} (cover art) was dropped: MP4 cover art is JPEG, PNG or BMP"
                )),
            }
        }
    }
}

/// Refuses an output whose input turned out truncated or corrupt: no
/// frame, fewer than 90% of the frames the container lists, a video that
/// stops well before its recorded duration, or a packet the decoder refused.
fn check_complete(
    info: &VideoInfo,
    frames: &FrameState,
    decode_error: Option<ffmpeg::Error>,
) -> Result<()> {
    if frames.frames == 0 {
        return Err(Error::malformed("the video stream has no decodable frame"));
    }
    if info.frames > 0 && frames.frames * 10 < info.frames * 9 {
        return Err(Error::malformed(format!(
            "truncated: only {} of the {} frames the container lists could be decoded",
            frames.frames, info.frames
        )));
    }
    if let Some(expected_ms) = info.stream_duration_ms {
        // A cut-off file often keeps its header's duration: frames that end
        // well before it mean the tail is missing. One frame of slack plus
        // 10% covers rounding and a last frame's length.
        let frame_s = info.frame_rate.map(|r| 1.0 / f64::from(r)).unwrap_or(0.1);
        let decoded_ms = (frames.last_seconds + frame_s) * 1000.0;
        if decoded_ms < expected_ms as f64 * 0.9 - frame_s * 1000.0 {
            return Err(Error::malformed(format!(
                "truncated: the video stops at {:.2} s of the {:.2} s the container lists",
                decoded_ms / 1000.0,
                expected_ms as f64 / 1000.0
            )));
        }
    }
    if let Some(e) = decode_error {
        return Err(Error::malformed(format!(
            "the video stream is corrupt (the decoder refused a packet: {e})"
        )));
    }
    Ok(())
}

/// MP4/MOV after muxing: the cover art FFmpeg could not write beside the
/// AIGC key, and the XMP `uuid` box.
fn add_iso_boxes(
    output: &Path,
    covers: &[CoverArt],
    manifest: &Manifest,
    notes: &mut Vec<String>,
) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(output)?;
    match isobmff::add_cover_art(&mut file, covers) {
        Ok(()) => {}
        // Refused before anything was written: the label stands.
        Err(Error::CannotLabel { reason, .. }) => {
            notes.push(format!("the cover art was dropped: {reason}"));
        }
        Err(e) => return Err(e),
    }
    isobmff::append_xmp(&mut file, &xmp::packet(manifest))
}

/// A stream's metadata without the keys an encoder rewrites.
fn filtered(meta: &ffmpeg::DictionaryRef<'_>) -> Dictionary<'static> {
    let mut out = Dictionary::new();
    for (k, v) in meta.iter() {
        if !k.eq_ignore_ascii_case("encoder") && !k.eq_ignore_ascii_case("rotate") {
            out.set(k, v);
        }
    }
    out
}

/// A stream's kind in words, for notes.
fn medium_name(medium: media::Type) -> &'static str {
    match medium {
        media::Type::Video => "video",
        media::Type::Audio => "audio",
        media::Type::Subtitle => "subtitles",
        media::Type::Data => "data",
        media::Type::Attachment => "attachment",
        media::Type::Unknown => "unknown kind",
    }
}
