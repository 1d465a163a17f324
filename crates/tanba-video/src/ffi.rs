//! The few FFmpeg fields ffmpeg-next does not expose. Each function is one
//! narrow `unsafe` block on a pointer ffmpeg-next hands out for exactly this.

use ffmpeg::ffi;
use ffmpeg::format::stream::{Stream, StreamMut};
use ffmpeg_next as ffmpeg;

/// Copies the colour description (primaries, transfer, matrix, range,
/// chroma siting), sample aspect ratio and field order of an input stream
/// onto an encoder before it is opened, so the output signals the same
/// colours as the input.
#[allow(unsafe_code)]
pub(crate) fn copy_colour_fields(input: &Stream<'_>, encoder: &mut ffmpeg::encoder::video::Video) {
    let params = input.parameters();
    // SAFETY: `params` wraps the input stream's live AVCodecParameters and
    // `encoder` owns a valid, not yet opened AVCodecContext; only plain
    // enum/rational fields are read and written.
    unsafe {
        let p = params.as_ptr();
        let c = encoder.as_mut_ptr();
        (*c).color_primaries = (*p).color_primaries;
        (*c).color_trc = (*p).color_trc;
        (*c).colorspace = (*p).color_space;
        (*c).color_range = (*p).color_range;
        (*c).chroma_sample_location = (*p).chroma_location;
        (*c).field_order = (*p).field_order;
        if (*p).sample_aspect_ratio.num > 0 {
            (*c).sample_aspect_ratio = (*p).sample_aspect_ratio;
        }
    }
}

/// Asks `encoder` for global headers (an MP4's or MKV's codec private data)
/// on top of the flags it has. ffmpeg-next's `set_flags` replaces them all,
/// which cleared libx264's own default `+cgop`: outputs came out with open
/// GOPs where FFmpeg writes closed ones.
#[allow(unsafe_code)]
pub(crate) fn add_global_header_flag(encoder: &mut ffmpeg::encoder::video::Video) {
    // SAFETY: `encoder` owns a valid, not yet opened AVCodecContext; only
    // its plain `flags` bit field is read and written.
    unsafe {
        (*encoder.as_mut_ptr()).flags |= ffi::AV_CODEC_FLAG_GLOBAL_HEADER as i32;
    }
}

/// Attaches a copy of `matrix` (the 36-byte display matrix of the input)
/// to an output stream before its header is written, so players rotate the
/// output as they rotated the input.
pub(crate) fn set_display_matrix(stream: &mut StreamMut<'_>, matrix: &[u8]) -> bool {
    matrix.len() == 36
        && add_side_data(
            stream,
            ffi::AVPacketSideDataType::AV_PKT_DATA_DISPLAYMATRIX,
            matrix,
        )
}

/// Attaches a copy of `data` as stream side data of `kind` (before the
/// header is written; the muxer turns it into boxes or elements).
#[allow(unsafe_code)]
pub(crate) fn add_side_data(
    stream: &mut StreamMut<'_>,
    kind: ffi::AVPacketSideDataType,
    data: &[u8],
) -> bool {
    if data.is_empty() {
        return false;
    }
    // SAFETY: the stream pointer is valid while `stream` borrows the output
    // context; av_stream_new_side_data returns a buffer of exactly
    // `data.len()` bytes (or null), which we fill completely.
    unsafe {
        let out = ffi::av_stream_new_side_data(stream.as_mut_ptr(), kind, data.len());
        if out.is_null() {
            return false;
        }
        std::ptr::copy_nonoverlapping(data.as_ptr(), out, data.len());
    }
    true
}

/// Makes a decoded frame's buffers private before the badge is blended in:
/// decoders keep references to the frames they output (reference pictures),
/// and writing into a shared buffer would corrupt later frames.
#[allow(unsafe_code)]
pub(crate) fn make_writable(frame: &mut ffmpeg::frame::Video) -> Result<(), ffmpeg::Error> {
    // SAFETY: `frame` owns a valid AVFrame; av_frame_make_writable copies
    // the data only when a buffer is shared and keeps the frame valid.
    let rc = unsafe { ffi::av_frame_make_writable(frame.as_mut_ptr()) };
    if rc < 0 {
        Err(ffmpeg::Error::from(rc))
    } else {
        Ok(())
    }
}

/// Clears copied streams' codec tags that the output muxer does not map
/// back to the same codec (ffmpeg's own rule for stream copy).
#[allow(unsafe_code)]
pub(crate) fn fix_codec_tags(output: &mut ffmpeg::format::context::Output) {
    // SAFETY: the context pointer is valid while `output` is borrowed; its
    // streams array holds nb_streams valid streams with codec parameters,
    // and the muxer's codec_tag table is a static, null-terminated list.
    unsafe {
        let ctx = output.as_mut_ptr();
        let tags = (*(*ctx).oformat).codec_tag;
        if tags.is_null() {
            return;
        }
        for i in 0..(*ctx).nb_streams as usize {
            let stream = *(*ctx).streams.add(i);
            if stream.is_null() || (*stream).codecpar.is_null() {
                continue;
            }
            let par = (*stream).codecpar;
            if (*par).codec_tag != 0
                && ffi::av_codec_get_id(tags, (*par).codec_tag) != (*par).codec_id
            {
                (*par).codec_tag = 0;
            }
        }
    }
}

/// The input stream's codec tag (a fourcc such as `hvc1`), 0 when unset.
#[allow(unsafe_code)]
pub(crate) fn codec_tag(stream: &Stream<'_>) -> u32 {
    let params = stream.parameters();
    // SAFETY: `params` wraps the stream's live AVCodecParameters; one plain
    // integer field is read.
    unsafe { (*params.as_ptr()).codec_tag }
}

/// Sets an output stream's codec tag before the header is written (the
/// muxer checks it against its own table; `fix_codec_tags` clears a tag
/// it would not map back).
#[allow(unsafe_code)]
pub(crate) fn set_codec_tag(stream: &mut StreamMut<'_>, tag: u32) {
    // SAFETY: the stream pointer is valid while `stream` borrows the output
    // context, and its codecpar was allocated with the stream; one plain
    // integer field is written.
    unsafe {
        let par = (*stream.as_mut_ptr()).codecpar;
        if !par.is_null() {
            (*par).codec_tag = tag;
        }
    }
}

/// The frame size a stream's codec parameters claim, (0, 0) when unset or
/// negative.
#[allow(unsafe_code)]
pub(crate) fn frame_size(stream: &Stream<'_>) -> (u32, u32) {
    let params = stream.parameters();
    // SAFETY: `params` wraps the stream's live AVCodecParameters; two plain
    // integer fields are read.
    let (w, h) = unsafe { ((*params.as_ptr()).width, (*params.as_ptr()).height) };
    (u32::try_from(w).unwrap_or(0), u32::try_from(h).unwrap_or(0))
}

/// Copies a stream's disposition (default, forced, attached picture, ...)
/// onto its output stream, which ffmpeg-next has no setter for.
#[allow(unsafe_code)]
pub(crate) fn copy_disposition(input: &Stream<'_>, output: &mut StreamMut<'_>) {
    // SAFETY: both stream pointers are valid while their contexts are
    // borrowed; one plain integer field is read and written.
    unsafe {
        (*output.as_mut_ptr()).disposition = (*input.as_ptr()).disposition;
    }
}

/// Whether the output muxer can store a copied stream: 1 yes, 0 no, < 0
/// unknown (FFmpeg's `avformat_query_codec`). A stream without a codec is
/// storable only as an ISO timecode track (tag `tmcd`, which the MOV/MP4
/// muxer writes itself); Apple's `mebx` metadata and the like are not.
#[allow(unsafe_code)]
pub(crate) fn muxer_can_store(
    output: &ffmpeg::format::context::Output,
    input: &Stream<'_>,
    iso: bool,
) -> i32 {
    let params = input.parameters();
    // SAFETY: the output context and its oformat are valid while `output`
    // is borrowed; `params` wraps the input stream's live parameters; only
    // plain fields are read and the query does not keep the pointer.
    unsafe {
        let par = params.as_ptr();
        let ofmt = (*output.as_ptr()).oformat;
        if ofmt.is_null() {
            return -1;
        }
        if (*par).codec_id == ffi::AVCodecID::AV_CODEC_ID_NONE {
            return i32::from(iso && (*par).codec_tag == u32::from_le_bytes(*b"tmcd"));
        }
        ffi::avformat_query_codec(ofmt, (*par).codec_id, 0)
    }
}

/// One program of a transport stream, as the demuxer read its PAT, PMT
/// and SDT.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProgramInfo {
    /// The program number (service id).
    pub number: i32,
    /// The PID of its program map table.
    pub pmt_pid: i32,
    /// Indices of the streams it holds.
    pub streams: Vec<usize>,
    /// The SDT's service name and provider, when present.
    pub service_name: Option<String>,
    pub service_provider: Option<String>,
}

/// The input's programs (MPEG-TS), which ffmpeg-next does not expose.
#[allow(unsafe_code)]
pub(crate) fn programs(input: &ffmpeg::format::context::Input) -> Vec<ProgramInfo> {
    let mut out = Vec::new();
    // SAFETY: the context pointer is valid while `input` is borrowed; its
    // programs array holds nb_programs valid programs, each with
    // nb_stream_indexes indices; the metadata dictionaries are only read
    // (copied into owned strings) while the context lives.
    unsafe {
        let ctx = input.as_ptr();
        if (*ctx).programs.is_null() {
            return out;
        }
        for i in 0..(*ctx).nb_programs as usize {
            let p = *(*ctx).programs.add(i);
            if p.is_null() {
                continue;
            }
            let streams = if (*p).stream_index.is_null() {
                Vec::new()
            } else {
                (0..(*p).nb_stream_indexes as usize)
                    .map(|j| *(*p).stream_index.add(j) as usize)
                    .collect()
            };
            let meta = ffmpeg::DictionaryRef::wrap((*p).metadata);
            out.push(ProgramInfo {
                number: (*p).program_num,
                pmt_pid: (*p).pmt_pid,
                streams,
                service_name: meta.get("service_name").map(str::to_string),
                service_provider: meta.get("service_provider").map(str::to_string),
            });
        }
    }
    out
}

/// Sets an output stream's id before the header is written (the MPEG-TS
/// muxer takes an id of 16..0x1FFF as the stream's PID).
#[allow(unsafe_code)]
pub(crate) fn set_stream_id(stream: &mut StreamMut<'_>, id: i32) {
    // SAFETY: the stream pointer is valid while `stream` borrows the
    // output context; one plain integer field is written.
    unsafe {
        (*stream.as_mut_ptr()).id = id;
    }
}

/// Makes a stream added without a codec a data stream of `codec` (timed
/// ID3 metadata, say), which ffmpeg-next has no setter for.
#[allow(unsafe_code)]
pub(crate) fn set_data_codec(stream: &mut StreamMut<'_>, codec: ffi::AVCodecID) {
    // SAFETY: the stream pointer is valid while `stream` borrows the
    // output context, and its codecpar was allocated with the stream; two
    // plain enum fields are written.
    unsafe {
        let par = (*stream.as_mut_ptr()).codecpar;
        if !par.is_null() {
            (*par).codec_type = ffi::AVMediaType::AVMEDIA_TYPE_DATA;
            (*par).codec_id = codec;
        }
    }
}

/// Adds a program to the output (before the header is written): its
/// number, its SDT service name and provider, and the output streams it
/// holds. The MPEG-TS muxer writes one PMT per program. False when FFmpeg
/// could not make it.
#[allow(unsafe_code)]
pub(crate) fn add_program(
    output: &mut ffmpeg::format::context::Output,
    number: i32,
    names: [(&str, Option<&str>); 2],
    streams: &[usize],
) -> bool {
    let texts: Vec<(std::ffi::CString, std::ffi::CString)> = names
        .iter()
        .filter_map(|(k, v)| {
            let v = std::ffi::CString::new((*v)?).ok()?;
            Some((std::ffi::CString::new(*k).ok()?, v))
        })
        .collect();
    // SAFETY: the context pointer is valid while `output` is borrowed;
    // av_new_program returns a program the context owns (or null);
    // av_dict_set copies the NUL-terminated strings, which outlive the
    // call; av_program_add_stream_index ignores an index past the streams.
    unsafe {
        let ctx = output.as_mut_ptr();
        let program = ffi::av_new_program(ctx, number);
        if program.is_null() {
            return false;
        }
        for (k, v) in &texts {
            ffi::av_dict_set(&mut (*program).metadata, k.as_ptr(), v.as_ptr(), 0);
        }
        for &i in streams {
            ffi::av_program_add_stream_index(ctx, number, i as u32);
        }
    }
    true
}

/// The bytes of plane `index` of an allocated audio frame, to fill: as
/// many as the first plane's. FFmpeg sets only `linesize[0]` for audio (every
/// plane of planar audio has that size), so ffmpeg-next's `data_mut`, which
/// reads `linesize[index]`, gives an empty slice for every plane but the
/// first. Empty when the frame has no such plane.
#[allow(unsafe_code)]
pub(crate) fn audio_plane_mut(frame: &mut ffmpeg::frame::Audio, index: usize) -> &mut [u8] {
    if index >= frame.planes() {
        return &mut [];
    }
    // SAFETY: `frame` was allocated by ffmpeg-next (av_frame_get_buffer),
    // which gives it `planes()` buffers of `linesize[0]` bytes each in
    // `extended_data`; the slice borrows `frame` mutably for its lifetime.
    unsafe {
        let f = frame.as_mut_ptr();
        let planes = (*f).extended_data;
        if planes.is_null() {
            return &mut [];
        }
        let data = *planes.add(index);
        let len = usize::try_from((*f).linesize[0]).unwrap_or(0);
        if data.is_null() {
            return &mut [];
        }
        std::slice::from_raw_parts_mut(data, len)
    }
}
