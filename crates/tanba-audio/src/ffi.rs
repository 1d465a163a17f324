//! What ffmpeg-next gets wrong or lacks: the attached-picture flag it has
//! no setter for, and the planes of planar audio past the first, which its
//! `Audio::data(i)` sizes by `linesize[i]` (0 for audio: FFmpeg sets only
//! `linesize[0]`, every plane's size). Each function is one narrow
//! `unsafe` block on a pointer ffmpeg-next hands out.

use ffmpeg_next as ffmpeg;

/// Marks an output stream as an attached picture (cover art) and clears
/// the codec tag copied from the input container, before the header is
/// written: muxers write such a stream as ID3v2 APIC, a FLAC PICTURE block
/// or MP4 `covr`, and a foreign tag would make them refuse it.
#[allow(unsafe_code)]
pub(crate) fn mark_attached_picture(stream: &mut ffmpeg::format::stream::StreamMut<'_>) {
    // SAFETY: the stream pointer is valid while `stream` borrows the output
    // context, and its codecpar was allocated with the stream; two plain
    // integer fields are written.
    unsafe {
        let st = stream.as_mut_ptr();
        (*st).disposition |= ffmpeg::ffi::AV_DISPOSITION_ATTACHED_PIC;
        let par = (*st).codecpar;
        if !par.is_null() {
            (*par).codec_tag = 0;
        }
    }
}

/// The bytes of plane `index` of a decoded planar audio frame: as many as
/// the first plane's (`linesize[0]`, which FFmpeg sets for every plane of
/// planar audio); empty when the frame has no such plane.
#[allow(unsafe_code)]
pub(crate) fn audio_plane(frame: &ffmpeg::frame::Audio, index: usize) -> &[u8] {
    if index >= frame.planes() {
        return &[];
    }
    // SAFETY: `frame` is a decoded audio frame borrowed for the slice's
    // lifetime; FFmpeg gives it `planes()` plane pointers in
    // `extended_data` (which is `data` up to 8 channels), each plane
    // `linesize[0]` bytes long. A null pointer gives an empty slice.
    unsafe {
        let f = frame.as_ptr();
        let planes = (*f).extended_data;
        if planes.is_null() {
            return &[];
        }
        let data = *planes.add(index);
        let len = usize::try_from((*f).linesize[0]).unwrap_or(0);
        if data.is_null() {
            return &[];
        }
        std::slice::from_raw_parts(data, len)
    }
}
