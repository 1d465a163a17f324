//! The one FFmpeg field ffmpeg-next has no setter for. The function is one
//! narrow `unsafe` block on a pointer ffmpeg-next hands out for this.

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
