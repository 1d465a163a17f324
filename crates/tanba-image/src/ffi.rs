//! A thin, safe layer over the few libheif C calls HEIF/AVIF labelling
//! needs (reading the primary image with its metadata and colour profile,
//! encoding one image with metadata back). Every `unsafe` block of the
//! crate is here.
//!
//! Why not `libheif-sys`/`libheif-rs`: their current releases (libheif-sys
//! 5.x) require libheif 1.17 or newer (a `v1_17`.. feature must be set),
//! and Debian 12 ships 1.15.1; these declarations are the 1.15 ABI, which
//! later releases keep.

// This module is the crate's only unsafe code (the lint denies it elsewhere).
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr::{self, NonNull};
use std::sync::Once;

use tanba_core::{Error, Result};

#[repr(C)]
#[derive(Clone, Copy)]
struct HeifError {
    code: c_int,
    subcode: c_int,
    message: *const c_char,
}

#[repr(C)]
struct HeifWriter {
    writer_api_version: c_int,
    write: extern "C" fn(*mut c_void, *const c_void, usize, *mut c_void) -> HeifError,
}

/// `struct heif_decoding_options`, version 4 as in libheif 1.15 (only
/// allocated by libheif; the fields read here are in every version).
#[repr(C)]
struct DecodingOptions {
    version: u8,
    ignore_transformations: u8,
    start_progress: *const c_void,
    on_progress: *const c_void,
    end_progress: *const c_void,
    progress_user_data: *mut c_void,
    convert_hdr_to_8bit: u8,
}

/// `struct heif_encoding_options` up to version 5 (libheif 1.15).
#[repr(C)]
struct EncodingOptions {
    version: u8,
    save_alpha_channel: u8,
    macos_compatibility_workaround: u8,
    save_two_colr_boxes: u8,
    output_nclx_profile: *mut c_void,
    macos_compatibility_workaround_no_nclx_profile: u8,
    image_orientation: c_int,
}

const COLORSPACE_RGB: c_int = 1;
const CHROMA_RGB: c_int = 10;
const CHROMA_RGBA: c_int = 11;
const CHROMA_RRGGBB_LE: c_int = 14;
const CHROMA_RRGGBBAA_LE: c_int = 15;
const CHANNEL_INTERLEAVED: c_int = 10;
const COMPRESSION_HEVC: c_int = 1;
const COMPRESSION_AV1: c_int = 4;

#[link(name = "heif")]
unsafe extern "C" {
    fn heif_init(params: *mut c_void) -> HeifError;
    fn heif_context_alloc() -> *mut c_void;
    fn heif_context_free(ctx: *mut c_void);
    fn heif_context_read_from_memory(
        ctx: *mut c_void,
        mem: *const c_void,
        size: usize,
        opts: *const c_void,
    ) -> HeifError;
    fn heif_context_get_number_of_top_level_images(ctx: *mut c_void) -> c_int;
    fn heif_context_get_primary_image_handle(ctx: *mut c_void, out: *mut *mut c_void) -> HeifError;
    fn heif_image_handle_release(handle: *const c_void);
    fn heif_image_handle_get_width(handle: *const c_void) -> c_int;
    fn heif_image_handle_get_height(handle: *const c_void) -> c_int;
    fn heif_image_handle_has_alpha_channel(handle: *const c_void) -> c_int;
    fn heif_image_handle_get_luma_bits_per_pixel(handle: *const c_void) -> c_int;
    fn heif_image_handle_get_number_of_metadata_blocks(
        handle: *const c_void,
        filter: *const c_char,
    ) -> c_int;
    fn heif_image_handle_get_list_of_metadata_block_IDs(
        handle: *const c_void,
        filter: *const c_char,
        ids: *mut u32,
        count: c_int,
    ) -> c_int;
    fn heif_image_handle_get_metadata_type(handle: *const c_void, id: u32) -> *const c_char;
    fn heif_image_handle_get_metadata_content_type(handle: *const c_void, id: u32)
    -> *const c_char;
    fn heif_image_handle_get_metadata_size(handle: *const c_void, id: u32) -> usize;
    fn heif_image_handle_get_metadata(
        handle: *const c_void,
        id: u32,
        out: *mut c_void,
    ) -> HeifError;
    fn heif_image_handle_get_raw_color_profile_size(handle: *const c_void) -> usize;
    fn heif_image_handle_get_raw_color_profile(
        handle: *const c_void,
        out: *mut c_void,
    ) -> HeifError;
    fn heif_decoding_options_alloc() -> *mut DecodingOptions;
    fn heif_decoding_options_free(opts: *mut DecodingOptions);
    fn heif_decode_image(
        handle: *const c_void,
        out: *mut *mut c_void,
        colorspace: c_int,
        chroma: c_int,
        opts: *const DecodingOptions,
    ) -> HeifError;
    fn heif_image_get_width(img: *const c_void, channel: c_int) -> c_int;
    fn heif_image_get_height(img: *const c_void, channel: c_int) -> c_int;
    fn heif_image_get_plane_readonly(
        img: *const c_void,
        channel: c_int,
        stride: *mut c_int,
    ) -> *const u8;
    fn heif_image_get_plane(img: *mut c_void, channel: c_int, stride: *mut c_int) -> *mut u8;
    fn heif_image_release(img: *const c_void);
    fn heif_image_create(
        w: c_int,
        h: c_int,
        colorspace: c_int,
        chroma: c_int,
        out: *mut *mut c_void,
    ) -> HeifError;
    fn heif_image_add_plane(
        img: *mut c_void,
        channel: c_int,
        w: c_int,
        h: c_int,
        depth: c_int,
    ) -> HeifError;
    fn heif_image_set_raw_color_profile(
        img: *mut c_void,
        fourcc: *const c_char,
        data: *const c_void,
        size: usize,
    ) -> HeifError;
    fn heif_context_get_encoder_for_format(
        ctx: *mut c_void,
        format: c_int,
        out: *mut *mut c_void,
    ) -> HeifError;
    fn heif_encoder_release(enc: *mut c_void);
    fn heif_encoder_set_lossy_quality(enc: *mut c_void, quality: c_int) -> HeifError;
    fn heif_encoder_set_parameter_string(
        enc: *mut c_void,
        name: *const c_char,
        value: *const c_char,
    ) -> HeifError;
    fn heif_encoding_options_alloc() -> *mut EncodingOptions;
    fn heif_encoding_options_free(opts: *mut EncodingOptions);
    fn heif_context_encode_image(
        ctx: *mut c_void,
        img: *const c_void,
        enc: *mut c_void,
        opts: *const EncodingOptions,
        out: *mut *mut c_void,
    ) -> HeifError;
    fn heif_context_add_exif_metadata(
        ctx: *mut c_void,
        handle: *const c_void,
        data: *const c_void,
        size: c_int,
    ) -> HeifError;
    fn heif_context_add_XMP_metadata(
        ctx: *mut c_void,
        handle: *const c_void,
        data: *const c_void,
        size: c_int,
    ) -> HeifError;
    fn heif_context_write(
        ctx: *mut c_void,
        writer: *mut HeifWriter,
        userdata: *mut c_void,
    ) -> HeifError;
}

static INIT: Once = Once::new();

fn init() {
    // SAFETY: heif_init with NULL parameters is the documented default
    // initialisation; `Once` makes it run a single time per process, and
    // heif_deinit is never called, so libheif stays usable.
    INIT.call_once(|| unsafe {
        let _ = heif_init(ptr::null_mut());
    });
}

/// A libheif error as Tanba's: malformed input unless it says otherwise.
fn check(what: &str, e: HeifError) -> Result<()> {
    if e.code == 0 {
        return Ok(());
    }
    let message = if e.message.is_null() {
        String::from("(no message)")
    } else {
        // SAFETY: a non-null `message` of a heif_error points to a
        // NUL-terminated string that lives at least until the next call on
        // the same context; it is copied out at once.
        unsafe { CStr::from_ptr(e.message) }
            .to_string_lossy()
            .into_owned()
    };
    // heif_error_code: 2 invalid input, 3 unsupported filetype,
    // 4 unsupported feature, 5 usage error, 6 memory allocation error,
    // 7/8 decoder/encoder plugin error.
    Err(match e.code {
        3 | 4 => Error::unsupported(format!("{what}: {message}")),
        8 => Error::cannot_label(format!("{what}: {message}")),
        _ => Error::malformed(format!("{what}: {message}")),
    })
}

fn to_int(v: usize, what: &str) -> Result<c_int> {
    c_int::try_from(v).map_err(|_| Error::cannot_label(format!("{what} too large for libheif")))
}

/// One metadata block of the primary image.
pub(crate) struct MetadataBlock {
    /// Item type: `Exif`, `mime`, …
    pub item_type: String,
    /// Content type of a `mime` item (`application/rdf+xml` for XMP).
    pub content_type: String,
    pub data: Vec<u8>,
}

/// Decoded pixels, interleaved RGB(A): 8-bit samples, or 16-bit words
/// holding `depth`-bit values.
pub(crate) enum Pixels {
    Eight(Vec<u8>),
    Deep(Vec<u16>),
}

/// A parsed HEIF file and its primary image (nothing decoded yet).
pub(crate) struct Reader {
    ctx: NonNull<c_void>,
    handle: NonNull<c_void>,
}

impl Drop for Reader {
    fn drop(&mut self) {
        // SAFETY: both pointers came from libheif in `Reader::open`, are
        // owned by this value alone, and are released once, handle first.
        unsafe {
            heif_image_handle_release(self.handle.as_ptr());
            heif_context_free(self.ctx.as_ptr());
        }
    }
}

impl Reader {
    /// Parses the boxes of `bytes` (libheif keeps its own copy).
    pub(crate) fn open(bytes: &[u8]) -> Result<Reader> {
        init();
        // SAFETY: heif_context_alloc has no preconditions; null is checked.
        let ctx = NonNull::new(unsafe { heif_context_alloc() })
            .ok_or_else(|| Error::cannot_label("libheif could not allocate a context"))?;
        let guard = CtxGuard(ctx);
        // SAFETY: `ctx` is a live context; `bytes` is valid for its length
        // during the call and libheif copies it; NULL options are allowed.
        check("HEIF", unsafe {
            heif_context_read_from_memory(
                ctx.as_ptr(),
                bytes.as_ptr().cast(),
                bytes.len(),
                ptr::null(),
            )
        })?;
        let mut handle = ptr::null_mut();
        // SAFETY: `ctx` holds a parsed file; `handle` is a valid out pointer.
        check("HEIF primary image", unsafe {
            heif_context_get_primary_image_handle(ctx.as_ptr(), &mut handle)
        })?;
        let handle =
            NonNull::new(handle).ok_or_else(|| Error::malformed("HEIF has no primary image"))?;
        std::mem::forget(guard);
        Ok(Reader { ctx, handle })
    }

    fn h(&self) -> *const c_void {
        self.handle.as_ptr()
    }

    /// Width and height as displayed (rotation, mirroring, crop applied).
    pub(crate) fn size(&self) -> (i64, i64) {
        // SAFETY: `self.handle` is a live image handle.
        unsafe {
            (
                i64::from(heif_image_handle_get_width(self.h())),
                i64::from(heif_image_handle_get_height(self.h())),
            )
        }
    }

    pub(crate) fn has_alpha(&self) -> bool {
        // SAFETY: `self.handle` is a live image handle.
        unsafe { heif_image_handle_has_alpha_channel(self.h()) != 0 }
    }

    /// Bits per luma sample as coded (8, 10, 12), or -1 when unknown.
    pub(crate) fn luma_bits(&self) -> i32 {
        // SAFETY: `self.handle` is a live image handle.
        unsafe { heif_image_handle_get_luma_bits_per_pixel(self.h()) }
    }

    pub(crate) fn top_level_images(&self) -> i32 {
        // SAFETY: `self.ctx` is a live context.
        unsafe { heif_context_get_number_of_top_level_images(self.ctx.as_ptr()) }
    }

    /// The metadata blocks of the primary image; none larger than `max`.
    pub(crate) fn metadata(&self, max: u64) -> Result<Vec<MetadataBlock>> {
        // SAFETY: live handle; a NULL filter means every type.
        let n = unsafe { heif_image_handle_get_number_of_metadata_blocks(self.h(), ptr::null()) };
        let mut ids = vec![0u32; usize::try_from(n).unwrap_or(0)];
        // SAFETY: `ids` has room for `n` ids, the count passed.
        let got = unsafe {
            heif_image_handle_get_list_of_metadata_block_IDs(
                self.h(),
                ptr::null(),
                ids.as_mut_ptr(),
                n,
            )
        };
        ids.truncate(usize::try_from(got).unwrap_or(0));
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let text = |p: *const c_char| {
                if p.is_null() {
                    String::new()
                } else {
                    // SAFETY: libheif returns a NUL-terminated string valid
                    // until its next call; it is copied at once.
                    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
                }
            };
            // SAFETY: `id` came from the handle's own list.
            let item_type = text(unsafe { heif_image_handle_get_metadata_type(self.h(), id) });
            // SAFETY: as above.
            let content_type =
                text(unsafe { heif_image_handle_get_metadata_content_type(self.h(), id) });
            // SAFETY: as above.
            let size = unsafe { heif_image_handle_get_metadata_size(self.h(), id) };
            if size as u64 > max {
                return Err(Error::malformed(format!(
                    "HEIF {item_type} metadata of {size} bytes is larger than the file"
                )));
            }
            let mut data = vec![0u8; size];
            // SAFETY: `data` holds exactly the size libheif reported.
            check("HEIF metadata", unsafe {
                heif_image_handle_get_metadata(self.h(), id, data.as_mut_ptr().cast())
            })?;
            out.push(MetadataBlock {
                item_type,
                content_type,
                data,
            });
        }
        Ok(out)
    }

    /// The raw (ICC) colour profile, if the image has one.
    pub(crate) fn icc(&self) -> Result<Option<Vec<u8>>> {
        // SAFETY: live handle.
        let size = unsafe { heif_image_handle_get_raw_color_profile_size(self.h()) };
        if size == 0 {
            return Ok(None);
        }
        let mut data = vec![0u8; size];
        // SAFETY: `data` holds exactly the size libheif reported.
        check("HEIF colour profile", unsafe {
            heif_image_handle_get_raw_color_profile(self.h(), data.as_mut_ptr().cast())
        })?;
        Ok(Some(data))
    }

    /// Decodes the primary image as displayed, to interleaved RGB(A):
    /// 8-bit, or 16-bit words when `deep`. Returns (width, height, pixels).
    pub(crate) fn decode(&self, alpha: bool, deep: bool) -> Result<(u32, u32, Pixels)> {
        let chroma = match (alpha, deep) {
            (false, false) => CHROMA_RGB,
            (true, false) => CHROMA_RGBA,
            (false, true) => CHROMA_RRGGBB_LE,
            (true, true) => CHROMA_RRGGBBAA_LE,
        };
        let img = self.decode_raw(chroma)?;
        let channels = if alpha { 4 } else { 3 };
        let bytes_per = if deep { 2 } else { 1 };
        let mut stride: c_int = 0;
        // SAFETY: `img` is a live decoded image with an interleaved plane.
        let (w, h, plane) = unsafe {
            (
                heif_image_get_width(img.0.as_ptr(), CHANNEL_INTERLEAVED),
                heif_image_get_height(img.0.as_ptr(), CHANNEL_INTERLEAVED),
                heif_image_get_plane_readonly(img.0.as_ptr(), CHANNEL_INTERLEAVED, &mut stride),
            )
        };
        let (Ok(w), Ok(h), Ok(stride)) =
            (u32::try_from(w), u32::try_from(h), usize::try_from(stride))
        else {
            return Err(Error::malformed("HEIF decoded to an image without size"));
        };
        let row = w as usize * channels * bytes_per;
        if plane.is_null() || stride < row {
            return Err(Error::malformed("HEIF decoded without an RGB plane"));
        }
        let mut raw = Vec::with_capacity(row * h as usize);
        for y in 0..h as usize {
            // SAFETY: the plane holds `h` rows of `stride` bytes, and
            // `row <= stride`; the image stays alive until `img` drops.
            raw.extend_from_slice(unsafe {
                std::slice::from_raw_parts(plane.add(y * stride), row)
            });
        }
        let pixels = if deep {
            Pixels::Deep(
                raw.chunks_exact(2)
                    .map(|b| u16::from_le_bytes([b[0], b[1]]))
                    .collect(),
            )
        } else {
            Pixels::Eight(raw)
        };
        Ok((w, h, pixels))
    }

    fn decode_raw(&self, chroma: c_int) -> Result<ImageGuard> {
        // SAFETY: libheif allocates the options with its defaults.
        let opts = unsafe { heif_decoding_options_alloc() };
        if !opts.is_null() {
            // SAFETY: `opts` is a live options struct of version >= 2,
            // which has this field; keep the coded depth.
            unsafe { (*opts).convert_hdr_to_8bit = 0 };
        }
        let mut img = ptr::null_mut();
        // SAFETY: live handle; valid out pointer; options from libheif (or
        // NULL, allowed).
        let e = unsafe { heif_decode_image(self.h(), &mut img, COLORSPACE_RGB, chroma, opts) };
        if !opts.is_null() {
            // SAFETY: allocated above, freed once.
            unsafe { heif_decoding_options_free(opts) };
        }
        check("HEIF decode", e)?;
        NonNull::new(img)
            .map(ImageGuard)
            .ok_or_else(|| Error::malformed("HEIF decoder returned no image"))
    }
}

struct CtxGuard(NonNull<c_void>);

impl Drop for CtxGuard {
    fn drop(&mut self) {
        // SAFETY: a context from heif_context_alloc, freed once.
        unsafe { heif_context_free(self.0.as_ptr()) }
    }
}

struct ImageGuard(NonNull<c_void>);

impl Drop for ImageGuard {
    fn drop(&mut self) {
        // SAFETY: an image from libheif, released once.
        unsafe { heif_image_release(self.0.as_ptr()) }
    }
}

/// The coding of an image to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    Hevc,
    Av1,
}

/// One picture to encode, with what goes beside it.
pub(crate) struct EncodeJob<'a> {
    pub codec: Codec,
    pub quality: u8,
    pub width: u32,
    pub height: u32,
    pub alpha: bool,
    /// Bits per sample (8, 10, 12); with more than 8, `pixels` is Deep.
    pub depth: u8,
    pub pixels: &'a Pixels,
    pub icc: Option<&'a [u8]>,
    /// EXIF as HEIF stores it: 4-byte offset to the TIFF header, then it.
    pub exif: Option<&'a [u8]>,
    pub xmp: Option<&'a [u8]>,
    /// The encoder's `chroma` parameter (`420`, `422`, `444`), if set.
    pub chroma: Option<&'static CStr>,
    /// EXIF-style orientation (1..=8) libheif records as `irot`/`imir`
    /// for pixels given as stored; 1 writes none.
    pub orientation: u8,
}

extern "C" fn append(
    _ctx: *mut c_void,
    data: *const c_void,
    size: usize,
    userdata: *mut c_void,
) -> HeifError {
    // SAFETY: `userdata` is the `&mut Vec<u8>` `encode` passed to
    // heif_context_write, alive for that call; `data` holds `size` bytes.
    unsafe {
        let out = &mut *userdata.cast::<Vec<u8>>();
        out.extend_from_slice(std::slice::from_raw_parts(data.cast::<u8>(), size));
    }
    HeifError {
        code: 0,
        subcode: 0,
        message: c"Success".as_ptr(),
    }
}

/// Encodes one picture as a new HEIF file.
pub(crate) fn encode(job: &EncodeJob<'_>) -> Result<Vec<u8>> {
    init();
    // SAFETY: no preconditions; null is checked.
    let ctx = NonNull::new(unsafe { heif_context_alloc() })
        .ok_or_else(|| Error::cannot_label("libheif could not allocate a context"))?;
    let ctx = CtxGuard(ctx);
    let img = image_of(job)?;
    let mut enc = ptr::null_mut();
    let format = match job.codec {
        Codec::Hevc => COMPRESSION_HEVC,
        Codec::Av1 => COMPRESSION_AV1,
    };
    // SAFETY: live context; valid out pointer.
    check("HEIF encoder", unsafe {
        heif_context_get_encoder_for_format(ctx.0.as_ptr(), format, &mut enc)
    })?;
    let enc = EncoderGuard(
        NonNull::new(enc).ok_or_else(|| Error::cannot_label("libheif has no such encoder"))?,
    );
    // SAFETY: live encoder.
    check("HEIF encoder quality", unsafe {
        heif_encoder_set_lossy_quality(enc.0.as_ptr(), c_int::from(job.quality))
    })?;
    if let Some(chroma) = job.chroma {
        // SAFETY: live encoder; both strings are NUL-terminated statics.
        check("HEIF encoder chroma", unsafe {
            heif_encoder_set_parameter_string(enc.0.as_ptr(), c"chroma".as_ptr(), chroma.as_ptr())
        })?;
    }
    // SAFETY: libheif allocates the options with its defaults.
    let opts = unsafe { heif_encoding_options_alloc() };
    if !opts.is_null() {
        // SAFETY: a live options struct; `save_alpha_channel` is a
        // version-1 field, `image_orientation` is written only when the
        // struct libheif allocated is version 5 or later.
        unsafe {
            (*opts).save_alpha_channel = u8::from(job.alpha);
            if (*opts).version >= 5 {
                (*opts).image_orientation = c_int::from(job.orientation.clamp(1, 8));
            }
        }
    }
    let mut handle = ptr::null_mut();
    // SAFETY: live context, image and encoder; options from libheif.
    let e = unsafe {
        heif_context_encode_image(
            ctx.0.as_ptr(),
            img.0.as_ptr(),
            enc.0.as_ptr(),
            opts,
            &mut handle,
        )
    };
    if !opts.is_null() {
        // SAFETY: allocated above, freed once.
        unsafe { heif_encoding_options_free(opts) };
    }
    check("HEIF encode", e)?;
    let handle = NonNull::new(handle)
        .ok_or_else(|| Error::cannot_label("HEIF encoder returned no image"))?;
    let handle = HandleGuard(handle);
    if let Some(exif) = job.exif {
        let size = to_int(exif.len(), "EXIF")?;
        // SAFETY: live context and handle; `exif` valid for `size` bytes.
        check("HEIF EXIF", unsafe {
            heif_context_add_exif_metadata(
                ctx.0.as_ptr(),
                handle.0.as_ptr(),
                exif.as_ptr().cast(),
                size,
            )
        })?;
    }
    if let Some(xmp) = job.xmp {
        let size = to_int(xmp.len(), "XMP")?;
        // SAFETY: as above.
        check("HEIF XMP", unsafe {
            heif_context_add_XMP_metadata(
                ctx.0.as_ptr(),
                handle.0.as_ptr(),
                xmp.as_ptr().cast(),
                size,
            )
        })?;
    }
    let mut out: Vec<u8> = Vec::new();
    let mut writer = HeifWriter {
        writer_api_version: 1,
        write: append,
    };
    // SAFETY: live context; `writer` and `out` outlive the call, and
    // `append` treats the userdata as this `Vec<u8>`.
    check("HEIF write", unsafe {
        heif_context_write(
            ctx.0.as_ptr(),
            &mut writer,
            (&mut out as *mut Vec<u8>).cast(),
        )
    })?;
    drop(handle);
    Ok(out)
}

struct EncoderGuard(NonNull<c_void>);

impl Drop for EncoderGuard {
    fn drop(&mut self) {
        // SAFETY: an encoder from libheif, released once.
        unsafe { heif_encoder_release(self.0.as_ptr()) }
    }
}

struct HandleGuard(NonNull<c_void>);

impl Drop for HandleGuard {
    fn drop(&mut self) {
        // SAFETY: a handle from libheif, released once.
        unsafe { heif_image_handle_release(self.0.as_ptr()) }
    }
}

/// A libheif image holding `job`'s pixels and colour profile.
fn image_of(job: &EncodeJob<'_>) -> Result<ImageGuard> {
    let deep = job.depth > 8;
    let chroma = match (job.alpha, deep) {
        (false, false) => CHROMA_RGB,
        (true, false) => CHROMA_RGBA,
        (false, true) => CHROMA_RRGGBB_LE,
        (true, true) => CHROMA_RRGGBBAA_LE,
    };
    let (w, h) = (
        to_int(job.width as usize, "width")?,
        to_int(job.height as usize, "height")?,
    );
    let mut img = ptr::null_mut();
    // SAFETY: valid out pointer; sizes are positive ints.
    check("HEIF image", unsafe {
        heif_image_create(w, h, COLORSPACE_RGB, chroma, &mut img)
    })?;
    let img = ImageGuard(
        NonNull::new(img)
            .ok_or_else(|| Error::cannot_label("libheif could not create an image"))?,
    );
    // SAFETY: live image; libheif allocates the plane.
    check("HEIF plane", unsafe {
        heif_image_add_plane(
            img.0.as_ptr(),
            CHANNEL_INTERLEAVED,
            w,
            h,
            c_int::from(job.depth),
        )
    })?;
    let mut stride: c_int = 0;
    // SAFETY: the plane was just added.
    let plane = unsafe { heif_image_get_plane(img.0.as_ptr(), CHANNEL_INTERLEAVED, &mut stride) };
    let channels = if job.alpha { 4 } else { 3 };
    let row = job.width as usize * channels * if deep { 2 } else { 1 };
    let stride = usize::try_from(stride).unwrap_or(0);
    if plane.is_null() || stride < row {
        return Err(Error::cannot_label("libheif gave no writable plane"));
    }
    let raw: std::borrow::Cow<'_, [u8]> = match job.pixels {
        Pixels::Eight(p) => p.as_slice().into(),
        Pixels::Deep(p) => p
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<u8>>()
            .into(),
    };
    if raw.len() != row * job.height as usize {
        return Err(Error::cannot_label("HEIF pixels do not match the size"));
    }
    for (y, src) in raw.chunks_exact(row).enumerate() {
        // SAFETY: the plane holds `height` rows of `stride >= row` bytes.
        unsafe { ptr::copy_nonoverlapping(src.as_ptr(), plane.add(y * stride), row) };
    }
    if let Some(icc) = job.icc {
        // SAFETY: live image; `icc` valid for its length (libheif copies).
        check("HEIF colour profile", unsafe {
            heif_image_set_raw_color_profile(
                img.0.as_ptr(),
                c"prof".as_ptr(),
                icc.as_ptr().cast(),
                icc.len(),
            )
        })?;
    }
    Ok(img)
}
