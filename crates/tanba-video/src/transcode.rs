//! Demux, decode, blend, encode, mux: the labelling pipeline.

use std::path::Path;

use ffmpeg::codec::{self, threading};
use ffmpeg::format::Pixel;
use ffmpeg::software::scaling;
use ffmpeg::{Dictionary, Packet, Rational, media, picture};
use ffmpeg_next as ffmpeg;

use tanba_core::isobmff::{self, CoverArt};
use tanba_core::{Error, Format, Job, Manifest, Placement, Result, xmp};

use crate::layout::{self, NoticeRecord};
use crate::marks::{KEY_AIGC, KEY_MANIFEST, KEY_NOTICE};
use crate::overlay::{ColourMatrix, Overlay, PlanarLayout};
use crate::probe::{self, Container};
use crate::{VideoSettings, ffi};

/// A finished, complete output waiting in a temporary file.
pub(crate) struct Done {
    pub output: tempfile::NamedTempFile,
    pub manifest: Manifest,
    pub notes: Vec<String>,
}

/// The encoder chosen for an input codec, with its quality options.
pub(crate) struct EncoderPlan {
    pub codec: ffmpeg::Codec,
    pub options: Dictionary<'static>,
    /// For notes and the README: `libx264 crf=20 preset=medium`.
    pub summary: String,
}

fn by_name(name: &str) -> Option<ffmpeg::Codec> {
    ffmpeg::encoder::find_by_name(name)
}

/// The encoder for the input's codec family, at settings that keep quality
/// (see the README's table).
pub(crate) fn plan_encoder(
    input_codec: codec::Id,
    container: Container,
    input_bit_rate: usize,
    settings: &VideoSettings,
) -> Result<(EncoderPlan, Option<String>)> {
    let mut options = Dictionary::new();
    let crf = |default: u32| settings.crf.unwrap_or(default).to_string();
    let preset = |default: &str| {
        settings
            .preset
            .clone()
            .unwrap_or_else(|| default.to_string())
    };
    let mut note = None;
    let family = match (input_codec, container) {
        (codec::Id::H264, _)
        | (codec::Id::HEVC, _)
        | (codec::Id::VP9, _)
        | (codec::Id::VP8, _)
        | (codec::Id::AV1, _) => input_codec,
        (_, Container::WebM) => codec::Id::VP9,
        _ => {
            // Same codec when FFmpeg can encode it, else H.264.
            if let Some(native) = ffmpeg::encoder::find(input_codec) {
                let target = input_bit_rate.max(1_000_000).saturating_mul(5) / 4;
                options.set("b", &target.to_string());
                let summary = format!("{} b={target}", native.name());
                return Ok((
                    EncoderPlan {
                        codec: native,
                        options,
                        summary,
                    },
                    None,
                ));
            }
            note = Some(format!(
                "no encoder for {input_codec:?}: the video was re-encoded as H.264"
            ));
            codec::Id::H264
        }
    };
    let missing = |name: &str| Error::unsupported(format!("this FFmpeg has no {name} encoder"));
    let (codec, summary) = match family {
        codec::Id::H264 => {
            let c = by_name("libx264").ok_or_else(|| missing("libx264"))?;
            options.set("crf", &crf(20));
            options.set("preset", &preset("medium"));
            (
                c,
                format!("libx264 crf={} preset={}", crf(20), preset("medium")),
            )
        }
        codec::Id::HEVC => {
            let c = by_name("libx265").ok_or_else(|| missing("libx265"))?;
            options.set("crf", &crf(22));
            options.set("preset", &preset("medium"));
            options.set("x265-params", "log-level=error");
            (
                c,
                format!("libx265 crf={} preset={}", crf(22), preset("medium")),
            )
        }
        codec::Id::VP9 => {
            let c = by_name("libvpx-vp9").ok_or_else(|| missing("libvpx-vp9"))?;
            options.set("crf", &crf(31));
            options.set("b", "0");
            options.set("deadline", "good");
            options.set("cpu-used", &preset("4"));
            options.set("row-mt", "1");
            (
                c,
                format!(
                    "libvpx-vp9 crf={} b=0 deadline=good cpu-used={}",
                    crf(31),
                    preset("4")
                ),
            )
        }
        codec::Id::VP8 => {
            let c = by_name("libvpx").ok_or_else(|| missing("libvpx"))?;
            // libvpx VP8 needs a bitrate ceiling with CRF.
            let target = input_bit_rate.max(1_000_000).saturating_mul(3) / 2;
            options.set("crf", &crf(10));
            options.set("b", &target.to_string());
            options.set("deadline", "good");
            options.set("cpu-used", &preset("4"));
            (c, format!("libvpx crf={} b={target}", crf(10)))
        }
        _ => {
            if let Some(c) = by_name("libsvtav1") {
                options.set("crf", &crf(30));
                options.set("preset", &preset("8"));
                (
                    c,
                    format!("libsvtav1 crf={} preset={}", crf(30), preset("8")),
                )
            } else {
                let c = by_name("libaom-av1").ok_or_else(|| missing("AV1"))?;
                options.set("crf", &crf(30));
                options.set("b", "0");
                options.set("cpu-used", &preset("6"));
                options.set("row-mt", "1");
                (
                    c,
                    format!("libaom-av1 crf={} cpu-used={}", crf(30), preset("6")),
                )
            }
        }
    };
    Ok((
        EncoderPlan {
            codec,
            options,
            summary,
        },
        note,
    ))
}

fn threading_config(threads: usize) -> threading::Config {
    threading::Config {
        kind: threading::Type::Frame,
        count: threads,
        ..Default::default()
    }
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
) -> Result<PriorMarks> {
    let meta = input.metadata();
    let mut prior = PriorMarks {
        tanba: meta.get(KEY_MANIFEST).is_some(),
        replaced: Vec::new(),
    };
    if meta.get(KEY_AIGC).is_some() {
        prior.replaced.push("AIGC key");
    }
    if container.is_iso()
        && let Some(packet) = isobmff::find_xmp(&mut std::fs::File::open(path)?)?
    {
        let xmp = xmp::read(&packet).unwrap_or_default();
        prior.tanba |= xmp.manifest.is_some();
        prior.replaced.push("XMP packet");
    }
    Ok(prior)
}

fn malformed(what: &str) -> impl Fn(ffmpeg::Error) -> Error + '_ {
    move |e| Error::malformed(format!("{what}: {e}"))
}

/// Labels the video at `path` into a temporary file of the same container.
pub(crate) fn label_file(
    path: &Path,
    format: &'static Format,
    settings: &VideoSettings,
    job: &Job,
) -> Result<Done> {
    let container = Container::of(format)?;
    let mut ictx = probe::open(path)?;
    let info = probe::video_info(&ictx, &job.limits)?;
    let prior = prior_marks(&ictx, path, container)?;
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

    // Decoder, threaded.
    let ist = ictx
        .stream(info.index)
        .ok_or_else(|| Error::malformed("the video stream vanished"))?;
    let codec_id = ist.parameters().id();
    if ffmpeg::decoder::find(codec_id).is_none() {
        return Err(Error::unsupported(format!(
            "no decoder for the video codec {codec_id:?}"
        )));
    }
    let mut dec_ctx = codec::context::Context::from_parameters(ist.parameters())
        .map_err(malformed("video codec parameters"))?;
    dec_ctx.set_threading(threading_config(settings.threads));
    let mut decoder = dec_ctx
        .decoder()
        .video()
        .map_err(|e| Error::unsupported(format!("cannot open the {codec_id:?} decoder: {e}")))?;
    decoder.set_packet_time_base(ist.time_base());

    // Blend straight into the decoded planes when we know their layout;
    // anything else is converted once to 8-bit 4:2:0.
    let (mut plan, plan_note) = plan_encoder(codec_id, container, decoder.bit_rate(), settings)?;
    notes.extend(plan_note);
    if plan.codec.name() == "libx265"
        && let Some(hdr) = x265_hdr_params(&ist)
    {
        // The container keeps the side data (below); x265 also writes it
        // into the bitstream's SEI, where many players look for it.
        plan.options
            .set("x265-params", &format!("log-level=error:{hdr}"));
        plan.summary.push_str(" with HDR10 metadata");
    }
    let decoded_format = decoder.format();
    let encoder_takes = |p: Pixel| {
        plan.codec
            .video()
            .ok()
            .and_then(|v| v.formats().map(|mut f| f.any(|x| x == p)))
            .unwrap_or(true)
    };
    let work_format = match PlanarLayout::of(decoded_format) {
        Some(_) if encoder_takes(decoded_format) => decoded_format,
        _ => {
            notes.push(format!(
                "pixel format {decoded_format:?} was converted to yuv420p for the overlay and encoder"
            ));
            Pixel::YUV420P
        }
    };
    let layout_of_work = PlanarLayout::of(work_format)
        .ok_or_else(|| Error::unsupported("no planar YUV layout for the overlay"))?;
    let converted = work_format != decoded_format;
    let (matrix, full_range) = if converted {
        // swscale's default output: BT.601, limited range.
        (ColourMatrix::Bt601, false)
    } else {
        (
            ColourMatrix::of(decoder.color_space(), info.height),
            decoder.color_range() == ffmpeg::util::color::Range::JPEG,
        )
    };

    // The overlays, built once.
    let duration_s = info.duration_ms as f64 / 1000.0;
    let corner = if settings.corner_badge {
        let placed = layout::corner(
            &job.label,
            info.width,
            info.height,
            info.rotation_cw,
            job.position,
        )?;
        Some((
            Overlay::new(
                &placed.badge,
                placed.x,
                placed.y,
                info.width,
                info.height,
                layout_of_work,
                matrix,
                full_range,
            )?,
            placed.badge.text_px,
        ))
    } else {
        None
    };
    let notice = match settings.notice_seconds {
        Some(seconds) => {
            let placed = layout::notice(
                &job.label,
                None,
                settings.notice_text_fraction,
                info.width,
                info.height,
                info.rotation_cw,
                layout::notice_edge(job.position) == "top",
            )?;
            let overlay = Overlay::new(
                &placed.badge,
                placed.x,
                placed.y,
                info.width,
                info.height,
                layout_of_work,
                matrix,
                full_range,
            )?;
            let record = NoticeRecord {
                region: overlay.region(),
                text_size: placed.badge.text_px,
                span: [0.0, seconds],
                rotation: info.rotation_cw,
                edge: layout::notice_edge(job.position).to_string(),
            };
            Some((overlay, seconds, record))
        }
        None => None,
    };

    // The manifest: the corner badge when there is one, else the notice.
    let placement = match (&corner, &notice) {
        (Some((overlay, text_px)), _) => Placement {
            region: Some(overlay.region()),
            span: Some([0.0, duration_s]),
            text_size: Some(*text_px),
            rotation: Some(info.rotation_cw),
            ..Placement::at(job.position.name())
        },
        (None, Some((_, seconds, record))) => Placement {
            region: Some(record.region),
            span: Some([0.0, *seconds]),
            text_size: Some(record.text_size),
            rotation: Some(info.rotation_cw),
            ..Placement::at(format!("opening-notice-{}", record.edge))
        },
        (None, None) => return Err(Error::config("no visible label configured")),
    };

    // Output container.
    let output = tempfile::Builder::new()
        .prefix("tanba-video-out-")
        .suffix(&format!(".{}", format.extension()))
        .tempfile()?;
    let mut octx = ffmpeg::format::output_as(&output.path(), container.muxer()).map_err(|e| {
        Error::unsupported(format!("cannot create a {} muxer: {e}", container.muxer()))
    })?;
    let global_header = octx
        .format()
        .flags()
        .contains(ffmpeg::format::Flags::GLOBAL_HEADER);

    // Streams: the labelled video is encoded, everything else copied.
    let stream_count = ictx.nb_streams() as usize;
    let mut out_index: Vec<Option<usize>> = vec![None; stream_count];
    // MP4/MOV cover pictures: their input streams, and the pictures once
    // read.
    let mut cover_streams: Vec<usize> = Vec::new();
    let mut covers: Vec<CoverArt> = Vec::new();
    let mut in_time_base = vec![Rational(0, 1); stream_count];
    let mut encoder = None;
    #[cfg(feature = "audible")]
    let audible_index = if settings.audible {
        let picked = crate::audible::pick_stream(&ictx);
        if picked.is_none() {
            notes.push("no audio stream: the audible label was not added".into());
        }
        picked
    } else {
        None
    };
    #[cfg(not(feature = "audible"))]
    let audible_index: Option<usize> = None;
    #[cfg(feature = "audible")]
    let mut audible: Option<crate::audible::AudibleStream> = None;
    for ist in ictx.streams() {
        let i = ist.index();
        in_time_base[i] = ist.time_base();
        let medium = ist.parameters().medium();
        if i == info.index {
            let mut ost = octx
                .add_stream(plan.codec)
                .map_err(|e| Error::unsupported(format!("cannot add the video stream: {e}")))?;
            let mut enc = codec::context::Context::new_with_codec(plan.codec)
                .encoder()
                .video()
                .map_err(|e| Error::unsupported(format!("encoder {}: {e}", plan.summary)))?;
            enc.set_width(info.width);
            enc.set_height(info.height);
            enc.set_format(work_format);
            enc.set_time_base(ist.time_base());
            enc.set_frame_rate(info.frame_rate);
            ffi::copy_colour_fields(&ist, &mut enc);
            if converted {
                enc.set_colorspace(ffmpeg::util::color::Space::BT470BG);
                enc.set_color_range(ffmpeg::util::color::Range::MPEG);
            }
            enc.set_threading(threading_config(settings.threads));
            if global_header {
                enc.set_flags(codec::Flags::GLOBAL_HEADER);
            }
            let opened = enc
                .open_with(plan.options.clone())
                .map_err(|e| Error::unsupported(format!("cannot open {}: {e}", plan.summary)))?;
            ost.set_parameters(&opened);
            // Same codec in an ISO file: keep its sample entry (`hvc1` rather
            // than FFmpeg's default `hev1`, which Apple players refuse).
            if container.is_iso() && plan.codec.id() == codec_id {
                let tag = ffi::codec_tag(&ist);
                if tag != 0 {
                    ffi::set_codec_tag(&mut ost, tag);
                }
            }
            ost.set_time_base(ist.time_base());
            if let Some(rate) = info.frame_rate {
                ost.set_avg_frame_rate(rate);
            }
            ost.set_rate(ist.rate());
            ffi::copy_disposition(&ist, &mut ost);
            ost.set_metadata(filtered(&ist.metadata()));
            if let Some(m) = &info.display_matrix
                && !ffi::set_display_matrix(&mut ost, m)
            {
                return Err(Error::cannot_label(
                    "cannot attach the display rotation to the output",
                ));
            }
            // HDR mastering display and light levels, stereo and 360°
            // projection describe the pictures, which the badge leaves as
            // they were: carry them over as FFmpeg's stream copy would.
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
            out_index[i] = Some(ost.index());
            encoder = Some(opened);
        } else if Some(i) == audible_index {
            #[cfg(feature = "audible")]
            {
                let stream = crate::audible::AudibleStream::new(
                    path, &ictx, i, &mut octx, container, &job.label,
                )?;
                out_index[i] = Some(stream.output_index);
                notes.push(stream.summary.clone());
                audible = Some(stream);
            }
        } else if container.is_iso()
            && ist
                .disposition()
                .contains(ffmpeg::format::stream::Disposition::ATTACHED_PIC)
        {
            // FFmpeg's muxer cannot write cover art next to the AIGC key;
            // its picture is added to the finished file (isobmff).
            cover_streams.push(i);
        } else if matches!(
            medium,
            media::Type::Audio
                | media::Type::Subtitle
                | media::Type::Data
                | media::Type::Attachment
                | media::Type::Video
        ) && !(medium == media::Type::Attachment
            && container == Container::Matroska
            && ist.metadata().get("mimetype").is_some())
            && ffi::muxer_can_store(&octx, &ist, container.is_iso()) == 0
        {
            // (Matroska writes an attachment from its file name and MIME
            // type whatever its codec, e.g. a font for ASS subtitles.)
            // ffmpeg -map 0 -c copy fails on these (iPhone `mebx` metadata
            // tracks, say); dropping one beats refusing the whole video.
            notes.push(format!(
                "stream {i} ({medium:?}, {:?}) cannot be stored in {} and was dropped",
                ist.parameters().id(),
                container.muxer()
            ));
        } else if matches!(
            medium,
            media::Type::Audio
                | media::Type::Subtitle
                | media::Type::Data
                | media::Type::Attachment
                | media::Type::Video
        ) {
            let mut ost = octx
                .add_stream(ffmpeg::encoder::find(codec::Id::None))
                .map_err(|e| Error::unsupported(format!("cannot copy stream {i}: {e}")))?;
            ost.set_parameters(ist.parameters());
            ost.set_time_base(ist.time_base());
            // As ffmpeg's stream copy does: some muxers need the rates (the
            // MOV timecode track refuses to finish without one).
            ost.set_avg_frame_rate(ist.avg_frame_rate());
            ost.set_rate(ist.rate());
            ffi::copy_disposition(&ist, &mut ost);
            ost.set_metadata(ist.metadata().to_owned());
            out_index[i] = Some(ost.index());
        } else {
            notes.push(format!(
                "stream {i} ({medium:?}) could not be carried over and was dropped"
            ));
        }
    }
    let mut encoder = encoder.ok_or_else(|| Error::malformed("the video stream was not set up"))?;
    notes.push(format!("video re-encoded with {}", plan.summary));

    // The manifest, once the streams are set up: it records where the
    // audible label is heard too.
    #[cfg(feature = "audible")]
    let audible_placement = audible.as_ref().map(|a| a.placement.clone());
    #[cfg(not(feature = "audible"))]
    let audible_placement = None;
    let manifest = job.manifest_with_audible(format.mime, placement, audible_placement);

    // Container metadata: the input's, plus the marks.
    let mut meta = Dictionary::new();
    for (k, v) in ictx.metadata().iter() {
        if !is_rewritten_key(k) {
            meta.set(k, v);
        }
    }
    meta.set(KEY_AIGC, &manifest.aigc.to_json());
    meta.set(KEY_MANIFEST, &manifest.to_json());
    if let Some((_, _, record)) = &notice {
        meta.set(
            KEY_NOTICE,
            &serde_json::to_string(record).unwrap_or_default(),
        );
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
    ffi::fix_codec_tags(&mut octx);
    let mut header_options = Dictionary::new();
    if container.is_iso() {
        // Arbitrary keys (AIGC) go to moov/udta/meta only with this flag;
        // a web-optimised input (moov first) stays web-optimised.
        let flags = if isobmff::is_fast_start(path)? {
            "use_metadata_tags+faststart"
        } else {
            "use_metadata_tags"
        };
        header_options.set("movflags", flags);
    }
    octx.write_header_with(header_options).map_err(|e| {
        Error::unsupported(format!(
            "the {} muxer refused the streams: {e}",
            container.muxer()
        ))
    })?;
    let out_time_base: Vec<Rational> = (0..stream_count)
        .map(|i| {
            out_index[i]
                .and_then(|o| octx.stream(o).map(|s| s.time_base()))
                .unwrap_or(Rational(1, 1))
        })
        .collect();
    let video_out =
        out_index[info.index].ok_or_else(|| Error::malformed("no output video stream"))?;
    let video_in_tb = in_time_base[info.index];
    let video_out_tb = out_time_base[info.index];

    let mut state = FrameState {
        corner: corner.map(|(o, _)| o),
        notice: notice.map(|(o, seconds, _)| (o, seconds)),
        scaler: None,
        work_format,
        time_base: video_in_tb,
        first_pts: None,
        last_seconds: 0.0,
        frames: 0,
    };

    let mut decode_error: Option<ffmpeg::Error> = None;
    let mut packet = Packet::empty();
    loop {
        match packet.read(&mut ictx) {
            Ok(()) => {}
            Err(ffmpeg::Error::Eof) => break,
            Err(e) => {
                return Err(Error::malformed(format!(
                    "reading the input failed (truncated?): {e}"
                )));
            }
        }
        let i = packet.stream();
        let Some(o) = out_index.get(i).copied().flatten() else {
            if cover_streams.contains(&i)
                && let Some(data) = packet.data()
            {
                match CoverArt::sniff(data) {
                    Some(cover) => covers.push(cover),
                    None => notes.push(format!(
                        "stream {i} (cover art) was dropped: MP4 cover art is JPEG, PNG or BMP"
                    )),
                }
            }
            continue;
        };
        if i == info.index {
            // A packet the decoder rejects is remembered, not fatal yet:
            // a cut-off file ends in one, and the truncation checks below
            // then give the clearer reason. Either way no output is kept.
            if let Err(e) = decoder.send_packet(&packet) {
                decode_error.get_or_insert(e);
            }
            drain_decoder(
                &mut decoder,
                &mut encoder,
                &mut state,
                &mut octx,
                video_out,
                video_in_tb,
                video_out_tb,
            )?;
        } else if Some(i) == audible_index {
            #[cfg(feature = "audible")]
            if let Some(a) = audible.as_mut() {
                a.push(&packet, &mut octx)?;
            }
        } else {
            packet.rescale_ts(in_time_base[i], out_time_base[i]);
            packet.set_position(-1);
            packet.set_stream(o);
            packet
                .write_interleaved(&mut octx)
                .map_err(malformed("copying a stream"))?;
        }
    }
    if let Err(e) = decoder.send_eof() {
        decode_error.get_or_insert(e);
    }
    drain_decoder(
        &mut decoder,
        &mut encoder,
        &mut state,
        &mut octx,
        video_out,
        video_in_tb,
        video_out_tb,
    )?;
    encoder
        .send_eof()
        .map_err(malformed("flushing the encoder"))?;
    drain_encoder(
        &mut encoder,
        &mut octx,
        video_out,
        video_in_tb,
        video_out_tb,
    )?;
    #[cfg(feature = "audible")]
    if let Some(a) = audible.as_mut() {
        a.finish(&mut octx)?;
    }
    octx.write_trailer()
        .map_err(malformed("finishing the container"))?;

    if state.frames == 0 {
        return Err(Error::malformed("the video stream has no decodable frame"));
    }
    if info.frames > 0 && state.frames * 10 < info.frames * 9 {
        return Err(Error::malformed(format!(
            "truncated: only {} of the {} frames the container lists could be decoded",
            state.frames, info.frames
        )));
    }
    if let Some(expected_ms) = info.stream_duration_ms {
        // A cut-off file often keeps its header's duration: frames that end
        // well before it mean the tail is missing. One frame of slack plus
        // 10% covers rounding and a last frame's length.
        let frame_s = info.frame_rate.map(|r| 1.0 / f64::from(r)).unwrap_or(0.1);
        let decoded_ms = (state.last_seconds + frame_s) * 1000.0;
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
    if container.is_iso() {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(output.path())?;
        match isobmff::add_cover_art(&mut file, &covers) {
            Ok(()) => {}
            // Refused before anything was written: the label stands.
            Err(Error::CannotLabel { reason, .. }) => {
                notes.push(format!("the cover art was dropped: {reason}"));
            }
            Err(e) => return Err(e),
        }
        isobmff::append_xmp(&mut file, &xmp::packet(&manifest))?;
    }
    Ok(Done {
        output,
        manifest,
        notes,
    })
}

/// x265's `master-display`/`max-cll` parameters from a stream's HDR side
/// data (FFmpeg's AVMasteringDisplayMetadata: R, G, B primaries and the
/// white point as x/y rationals, then min and max luminance, then two
/// flags; AVContentLightMetadata: MaxCLL, MaxFALL).
fn x265_hdr_params(stream: &ffmpeg::Stream<'_>) -> Option<String> {
    use ffmpeg::codec::packet::side_data::Type;
    let int = |b: &[u8], i: usize| -> Option<i64> {
        let bytes: [u8; 4] = b.get(i * 4..i * 4 + 4)?.try_into().ok()?;
        Some(i64::from(i32::from_ne_bytes(bytes)))
    };
    // A rational as an integer count of `unit` (x265's units: 0.00002 for
    // chromaticity, 0.0001 cd/m² for luminance).
    let scaled = |b: &[u8], r: usize, unit: i64| -> Option<i64> {
        let (num, den) = (int(b, 2 * r)?, int(b, 2 * r + 1)?);
        (den > 0).then(|| (num * unit + den / 2) / den)
    };
    let mut params = Vec::new();
    for sd in stream.side_data() {
        let b = sd.data();
        match sd.kind() {
            Type::MasteringDisplayMetadata => {
                // has_primaries and has_luminance follow the ten rationals.
                if int(b, 20)? == 0 || int(b, 21)? == 0 {
                    continue;
                }
                let xy = |i: usize| -> Option<String> {
                    Some(format!(
                        "({},{})",
                        scaled(b, 2 * i, 50_000)?,
                        scaled(b, 2 * i + 1, 50_000)?
                    ))
                };
                params.push(format!(
                    "master-display=G{}B{}R{}WP{}L({},{})",
                    xy(1)?,
                    xy(2)?,
                    xy(0)?,
                    xy(3)?,
                    scaled(b, 9, 10_000)?,
                    scaled(b, 8, 10_000)?
                ));
            }
            Type::ContentLightLevel => {
                params.push(format!("max-cll={},{}", int(b, 0)?, int(b, 1)?));
            }
            _ => {}
        }
    }
    (!params.is_empty()).then(|| params.join(":"))
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

struct FrameState {
    corner: Option<Overlay>,
    notice: Option<(Overlay, f64)>,
    scaler: Option<scaling::Context>,
    work_format: Pixel,
    time_base: Rational,
    first_pts: Option<i64>,
    /// Seconds from the first frame to the last one decoded.
    last_seconds: f64,
    frames: u64,
}

fn drain_decoder(
    decoder: &mut ffmpeg::decoder::Video,
    encoder: &mut ffmpeg::encoder::Video,
    state: &mut FrameState,
    octx: &mut ffmpeg::format::context::Output,
    out_stream: usize,
    enc_tb: Rational,
    out_tb: Rational,
) -> Result<()> {
    let mut decoded = ffmpeg::frame::Video::empty();
    while decoder.receive_frame(&mut decoded).is_ok() {
        let pts = decoded.timestamp();
        let mut frame = if decoded.format() == state.work_format {
            std::mem::replace(&mut decoded, ffmpeg::frame::Video::empty())
        } else {
            convert(&decoded, state)?
        };
        ffi::make_writable(&mut frame).map_err(malformed("copying a decoded frame"))?;
        let first = *state.first_pts.get_or_insert(pts.unwrap_or(0));
        let seconds = pts
            .map(|p| (p - first) as f64 * f64::from(state.time_base))
            .unwrap_or(0.0);
        if let Some(corner) = &state.corner {
            corner.blend(&mut frame)?;
        }
        if let Some((notice, until)) = &state.notice
            && seconds < *until
        {
            notice.blend(&mut frame)?;
        }
        frame.set_pts(pts);
        frame.set_kind(picture::Type::None);
        encoder
            .send_frame(&frame)
            .map_err(malformed("encoding a frame"))?;
        state.frames += 1;
        state.last_seconds = state.last_seconds.max(seconds);
        drain_encoder(encoder, octx, out_stream, enc_tb, out_tb)?;
    }
    Ok(())
}

/// Converts a frame the blender cannot write into to the working format.
fn convert(frame: &ffmpeg::frame::Video, state: &mut FrameState) -> Result<ffmpeg::frame::Video> {
    let rebuild = state.scaler.as_ref().is_none_or(|s| {
        s.input().format != frame.format()
            || s.input().width != frame.width()
            || s.input().height != frame.height()
    });
    if rebuild {
        state.scaler = Some(
            scaling::Context::get(
                frame.format(),
                frame.width(),
                frame.height(),
                state.work_format,
                frame.width(),
                frame.height(),
                scaling::Flags::BICUBIC,
            )
            .map_err(|e| {
                Error::unsupported(format!("cannot convert {:?} frames: {e}", frame.format()))
            })?,
        );
    }
    let mut out = ffmpeg::frame::Video::empty();
    if let Some(scaler) = state.scaler.as_mut() {
        scaler
            .run(frame, &mut out)
            .map_err(malformed("converting a frame"))?;
    }
    out.set_pts(frame.timestamp());
    Ok(out)
}

fn drain_encoder(
    encoder: &mut ffmpeg::encoder::Video,
    octx: &mut ffmpeg::format::context::Output,
    out_stream: usize,
    enc_tb: Rational,
    out_tb: Rational,
) -> Result<()> {
    let mut encoded = Packet::empty();
    while encoder.receive_packet(&mut encoded).is_ok() {
        encoded.set_stream(out_stream);
        encoded.rescale_ts(enc_tb, out_tb);
        encoded
            .write_interleaved(octx)
            .map_err(malformed("writing a video packet"))?;
    }
    Ok(())
}
