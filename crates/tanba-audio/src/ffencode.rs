//! Output in the input's own format through FFmpeg (cargo feature `ffmpeg`):
//! MP3 through libmp3lame, AAC (M4A, ADTS too) through FFmpeg's aac, FLAC
//! and ALAC losslessly, Ogg Vorbis through libvorbis (FFmpeg's experimental
//! vorbis when libvorbis is missing), Opus through libopus; audio-only
//! WebM, Matroska and MP4 keep their codec.
//!
//! The mixed programme is pushed into the encoder one codec frame at a
//! time, so memory stays flat. The container is muxed into a temporary file
//! because the muxers seek back (the MP3 Xing/LAME header, the MP4 `mdat`
//! size and `moov`), then copied into the caller's writer.

use std::io::{Seek, SeekFrom, Write};

use ffmpeg::format::Sample;
use ffmpeg::format::sample::Type as SampleType;
use ffmpeg::{ChannelLayout, Dictionary, Rational, codec, frame};
use ffmpeg_next as ffmpeg;
use symphonia::core::codecs::{self as sym, CODEC_TYPE_ALAC, CODEC_TYPE_FLAC, CodecType};
use tanba_core::isobmff::{self, CoverArt};
use tanba_core::{Error, Format, Result, WriteSeek};

use crate::decode::StreamInfo;
use crate::ffdecode::init;
use crate::ffmeta::{Cover, KEY_AIGC, KEY_ID3_XMP, KEY_MANIFEST};
use crate::formats::{FLAC, M4A, MKA, MP3, OGG, OPUS, WEBA};

/// Length of a FLAC STREAMINFO block body.
const FLAC_STREAMINFO_LEN: usize = 34;

fn ff_err(what: &str) -> impl Fn(ffmpeg::Error) -> Error + '_ {
    move |e| Error::cannot_label(format!("{what}: {e}"))
}

/// Where the XMP packet goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum XmpCarrier {
    /// An ID3v2 `PRIV` frame with owner `XMP`.
    Id3Priv,
    /// A top-level `uuid` box.
    Mp4Uuid,
    /// Nowhere: FLAC and Ogg carry the Vorbis comments only (docs/compliance.md).
    None,
}

/// The output format for one input.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The output's format.
    pub format: &'static Format,
    /// FFmpeg's muxer (`ipod` writes the `M4A ` brand).
    muxer: &'static str,
    /// Encoders to try, best first.
    encoders: &'static [&'static str],
    /// FLAC or ALAC: no bitrate, the input's bit depth.
    pub lossless: bool,
    /// Ogg keeps its comments on the stream, not the container.
    stream_tags: bool,
    /// Where the XMP packet goes.
    pub xmp: XmpCarrier,
}

impl Target {
    /// Whether the output keeps `cover`: the MP3 and FLAC muxers write it
    /// (ID3v2 APIC, a FLAC PICTURE block); for M4A it is added after
    /// muxing as iTunes `covr` (FFmpeg's MP4 muxer drops it in the
    /// `use_metadata_tags` mode the `AIGC` key needs), when it is a JPEG,
    /// PNG or BMP. FFmpeg's Ogg muxer writes no pictures.
    pub(crate) fn keeps_cover(&self, cover: &Cover) -> bool {
        match self.muxer {
            "mp3" | "flac" => true,
            _ if self.is_mp4() => cover.itunes().is_some(),
            _ => false,
        }
    }

    /// An MP4 muxer: `ipod` (AAC, ALAC) or `mp4` (other codecs), both
    /// writing the `M4A ` brand so the output sniffs as audio by its head.
    fn is_mp4(&self) -> bool {
        matches!(self.muxer, "ipod" | "mp4")
    }
}

/// The encoders that keep `codec`, and whether it is lossless.
fn encoders_for(codec: CodecType) -> Option<(&'static [&'static str], bool)> {
    Some(match codec {
        sym::CODEC_TYPE_OPUS => (&["libopus", "opus"], false),
        sym::CODEC_TYPE_VORBIS => (&["libvorbis", "vorbis"], false),
        sym::CODEC_TYPE_AAC => (&["aac"], false),
        sym::CODEC_TYPE_MP3 => (&["libmp3lame"], false),
        sym::CODEC_TYPE_FLAC => (&["flac"], true),
        sym::CODEC_TYPE_ALAC => (&["alac"], true),
        _ => return None,
    })
}

/// The output for `input` (sniffed) holding `info`'s codec; `None` for WAV.
pub(crate) fn target(input: &Format, info: &StreamInfo) -> Option<Target> {
    let t = |format, muxer, encoders, lossless, stream_tags, xmp| Target {
        format,
        muxer,
        encoders,
        lossless,
        stream_tags,
        xmp,
    };
    let flac = info.codec == CODEC_TYPE_FLAC;
    match input.name {
        "mp3" => Some(t(
            &MP3,
            "mp3",
            &["libmp3lame"],
            false,
            false,
            XmpCarrier::Id3Priv,
        )),
        "flac" => Some(t(&FLAC, "flac", &["flac"], true, false, XmpCarrier::None)),
        "ogg" if flac => Some(t(&OGG, "ogg", &["flac"], true, true, XmpCarrier::None)),
        "ogg" => Some(t(
            &OGG,
            "ogg",
            &["libvorbis", "vorbis"],
            false,
            true,
            XmpCarrier::None,
        )),
        "m4a" if info.codec == CODEC_TYPE_ALAC => {
            Some(t(&M4A, "ipod", &["alac"], true, false, XmpCarrier::Mp4Uuid))
        }
        // Opus, MP3 or FLAC in an audio-only MP4: the mp4 muxer keeps them
        // (the ipod one takes AAC and ALAC only).
        "m4a"
            if matches!(
                info.codec,
                sym::CODEC_TYPE_OPUS | sym::CODEC_TYPE_MP3 | sym::CODEC_TYPE_FLAC
            ) =>
        {
            let (encoders, lossless) = encoders_for(info.codec)?;
            Some(t(
                &M4A,
                "mp4",
                encoders,
                lossless,
                false,
                XmpCarrier::Mp4Uuid,
            ))
        }
        // Opus in Ogg: the comments (OpusTags) are the stream's.
        "opus" => Some(t(
            &OPUS,
            "ogg",
            &["libopus", "opus"],
            false,
            true,
            XmpCarrier::None,
        )),
        // WebM holds Opus or Vorbis only; Matroska any codec kept here.
        // Their tags are the segment's (docs/compliance.md).
        "weba" if matches!(info.codec, sym::CODEC_TYPE_OPUS | sym::CODEC_TYPE_VORBIS) => {
            let (encoders, _) = encoders_for(info.codec)?;
            Some(t(&WEBA, "webm", encoders, false, false, XmpCarrier::None))
        }
        "mka" => {
            let (encoders, lossless) = encoders_for(info.codec)?;
            Some(t(
                &MKA,
                "matroska",
                encoders,
                lossless,
                false,
                XmpCarrier::None,
            ))
        }
        // ADTS has no place for tags: raw AAC becomes M4A.
        "m4a" | "aac" => Some(t(&M4A, "ipod", &["aac"], false, false, XmpCarrier::Mp4Uuid)),
        _ => None,
    }
}

/// The reverse for writing: the muxer decodes `\xNN`, so a literal
/// backslash must be written as `\x5c`; other bytes go through as they are.
fn escape_priv(s: &str) -> String {
    s.replace('\\', "\\x5c")
}

/// Input tags that must not be copied: ours (written fresh), and what the
/// muxer or encoder writes itself or what would describe the old coding.
pub(crate) fn is_rewritten_key(key: &str) -> bool {
    const KEYS: [&str; 12] = [
        KEY_AIGC,
        KEY_MANIFEST,
        KEY_ID3_XMP,
        "encoder",
        "major_brand",
        "minor_version",
        "compatible_brands",
        "iTunSMPB",
        "iTunNORM",
        "handler_name",
        "vendor_id",
        "duration",
    ];
    KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

/// The marks and kept tags to write.
#[derive(Debug)]
pub(crate) struct Marks {
    /// The input's tags worth keeping.
    pub kept: Vec<(String, String)>,
    /// The Annex E JSON.
    pub aigc: String,
    /// The manifest JSON.
    pub manifest: String,
    /// The XMP packet.
    pub xmp: String,
}

/// How samples are laid out for the encoder.
fn pick_sample(codec: &ffmpeg::Codec, lossless: bool, bits: Option<u32>) -> Result<Sample> {
    let have: Vec<Sample> = codec
        .audio()
        .map_err(ff_err("not an audio encoder"))?
        .formats()
        .map(|f| f.collect())
        .unwrap_or_default();
    use SampleType::{Packed, Planar};
    let wide = bits.is_some_and(|b| b > 16);
    let wanted: &[Sample] = match (lossless, wide) {
        (false, _) => &[
            Sample::F32(Planar),
            Sample::F32(Packed),
            Sample::I32(Planar),
            Sample::I16(Planar),
            Sample::I16(Packed),
        ],
        (true, false) => &[
            Sample::I16(Packed),
            Sample::I16(Planar),
            Sample::I32(Packed),
            Sample::I32(Planar),
        ],
        (true, true) => &[
            Sample::I32(Packed),
            Sample::I32(Planar),
            Sample::I16(Packed),
            Sample::I16(Planar),
        ],
    };
    wanted
        .iter()
        .copied()
        .find(|w| have.is_empty() || have.contains(w))
        .ok_or_else(|| Error::unsupported("the encoder takes no sample format this crate writes"))
}

/// The layout FFmpeg should signal: the input's named speakers when they
/// account for every channel and the encoder takes them, else the
/// encoder's layout for that many channels (symphonia calls mono "front
/// left", which libmp3lame refuses; FFmpeg's mono is "front centre").
fn layout(info: &StreamInfo, codec: &ffmpeg::Codec) -> Result<ChannelLayout> {
    let count = info.channels;
    // symphonia's channel bits follow the WAVE speaker order, as FFmpeg's
    // do, for the first 18 speakers.
    let named = info
        .channel_mask
        .map(|m| ChannelLayout::from_bits_truncate(m & 0x3_FFFF))
        .filter(|l| l.channels() as usize == count && count > 1);
    let default = ChannelLayout::default(count as i32);
    let supported: Vec<ChannelLayout> = codec
        .audio()
        .ok()
        .and_then(|a| a.channel_layouts())
        .map(|it| it.collect())
        .unwrap_or_default();
    if supported.is_empty() {
        return Ok(named.unwrap_or(default));
    }
    named
        .into_iter()
        .chain([default])
        .find(|l| supported.contains(l))
        .or_else(|| {
            supported
                .iter()
                .copied()
                .find(|l| l.channels() as usize == count)
        })
        .ok_or_else(|| Error::unsupported(format!("the encoder takes no {count}-channel layout")))
}

/// A float sample to a signed integer of `bits`, rounded and clamped.
#[inline]
fn to_int(s: f32, bits: u32) -> i32 {
    let scale = f64::from(1u32 << (bits - 1));
    let v = (f64::from(s) * scale).round();
    v.clamp(-scale, scale - 1.0) as i32
}

/// The encoder and muxer, fed interleaved f32.
pub(crate) struct Sink {
    octx: ffmpeg::format::context::Output,
    encoder: ffmpeg::encoder::audio::Encoder,
    temp: tempfile::NamedTempFile,
    sample: Sample,
    layout: ChannelLayout,
    rate: u32,
    channels: usize,
    /// Frames per codec frame (`0`: any).
    frame_size: usize,
    /// The codec takes a short last frame; else it is padded.
    small_last: bool,
    pending: Vec<f32>,
    pts: i64,
    stream_index: usize,
    stream_tb: Rational,
    xmp: Option<String>,
    /// M4A cover art, added after muxing.
    itunes_cover: Option<CoverArt>,
    /// Native FLAC: the final STREAMINFO block, written at offset 8.
    streaminfo: Option<Vec<u8>>,
    /// The container is native FLAC.
    native_flac: bool,
    /// What was chosen, for the notes.
    pub summary: String,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink")
            .field("summary", &self.summary)
            .finish()
    }
}

/// An opened encoder and what was chosen for it.
struct Encoder {
    /// The encoder's FFmpeg name (`libmp3lame`, `aac` …).
    name: &'static str,
    codec: ffmpeg::Codec,
    encoder: ffmpeg::encoder::audio::Encoder,
    sample: Sample,
    layout: ChannelLayout,
}

/// Opens the first of `target`'s encoders this FFmpeg has for `info`'s
/// rate, channels and bit depth. `global_header`: the muxer wants the codec
/// header out of band (MP4).
fn open_encoder(
    target: &Target,
    info: &StreamInfo,
    bitrate: Option<u64>,
    global_header: bool,
) -> Result<Encoder> {
    let (name, codec) = target
        .encoders
        .iter()
        .find_map(|n| ffmpeg::encoder::find_by_name(n).map(|c| (*n, c)))
        .ok_or_else(|| {
            Error::unsupported(format!(
                "this FFmpeg has no {} encoder",
                target.encoders.join(" or ")
            ))
        })?;
    let rate = i32::try_from(info.sample_rate)
        .map_err(|_| Error::unsupported("sample rate out of range"))?;
    let sample = pick_sample(&codec, target.lossless, info.bits_per_sample)?;
    let layout = layout(info, &codec)?;
    let mut enc = codec::context::Context::new_with_codec(codec)
        .encoder()
        .audio()
        .map_err(ff_err("cannot set up the encoder"))?;
    enc.set_rate(rate);
    enc.set_channel_layout(layout);
    enc.set_channels(info.channels as i32);
    enc.set_format(sample);
    enc.set_time_base(Rational(1, rate));
    if let Some(bps) = bitrate.filter(|_| !target.lossless) {
        enc.set_bit_rate(bps as usize);
    }
    if global_header {
        enc.set_flags(codec::Flags::GLOBAL_HEADER);
    }
    let mut options = Dictionary::new();
    if name == "libopus" {
        // The input's bitrate is what its packets hold; free VBR lands
        // well under its target on re-encoded audio (52 kb/s asked 68),
        // so the output would shrink at every labelling. Constrained VBR
        // keeps the average at the target (69 kb/s).
        options.set("vbr", "constrained");
    }
    if matches!(name, "vorbis" | "opus") {
        // FFmpeg's own Vorbis and Opus encoders are marked experimental.
        options.set("strict", "experimental");
    }
    let encoder = enc.open_as_with(codec, options).map_err(|e| {
        Error::unsupported(format!(
            "the {name} encoder refused {} Hz, {} channels: {e}",
            info.sample_rate, info.channels
        ))
    })?;
    Ok(Encoder {
        name,
        codec,
        encoder,
        sample,
        layout,
    })
}

/// The tags to write: the input's kept ones, then the marks.
fn tags(target: &Target, marks: &Marks) -> Dictionary<'static> {
    let mut tags = Dictionary::new();
    for (k, v) in &marks.kept {
        tags.set(k, v);
    }
    tags.set(KEY_AIGC, &marks.aigc);
    tags.set(KEY_MANIFEST, &marks.manifest);
    if target.xmp == XmpCarrier::Id3Priv {
        tags.set(KEY_ID3_XMP, &escape_priv(&marks.xmp));
    }
    tags
}

/// Adds the cover art as an attached-picture stream, writes the header
/// (with the flag M4A's `AIGC` key needs) and then the picture's packet.
fn write_header(
    octx: &mut ffmpeg::format::context::Output,
    target: &Target,
    cover: Option<&Cover>,
) -> Result<()> {
    let cover_index = match cover {
        Some(c) => {
            let mut pic = octx
                .add_stream(ffmpeg::encoder::find(codec::Id::None))
                .map_err(ff_err("cannot add the cover art"))?;
            pic.set_parameters(c.params.clone());
            crate::ffi::mark_attached_picture(&mut pic);
            Some(pic.index())
        }
        None => None,
    };
    let mut header = Dictionary::new();
    if target.is_mp4() {
        // Arbitrary keys (AIGC) reach moov/udta/meta only with this flag.
        header.set("movflags", "use_metadata_tags");
    }
    if target.muxer == "mp4" {
        // The audio brand the ipod muxer writes, so that the output is
        // recognised as audio from its first bytes.
        header.set("brand", "M4A ");
    }
    octx.write_header_with(header)
        .map_err(ff_err("the muxer refused the stream"))?;
    if let (Some(c), Some(index)) = (cover, cover_index) {
        let mut packet = c.packet.clone();
        packet.set_stream(index);
        packet.set_pts(None);
        packet.set_dts(None);
        packet.set_position(-1);
        packet
            .write_interleaved(octx)
            .map_err(ff_err("the muxer refused the cover art"))?;
    }
    Ok(())
}

impl Sink {
    /// Opens the encoder and writes the container header with the marks.
    /// `bitrate` is for lossy codecs, bit/s.
    pub(crate) fn open(
        target: &Target,
        info: &StreamInfo,
        bitrate: Option<u64>,
        marks: &Marks,
        cover: Option<&Cover>,
    ) -> Result<Sink> {
        init();
        let temp = tempfile::Builder::new()
            .prefix("tanba-audio-")
            .suffix(&format!(".{}", target.format.extension()))
            .tempfile()?;
        let mut octx = ffmpeg::format::output_as(temp.path(), target.muxer)
            .map_err(ff_err("cannot start the muxer"))?;
        let global_header = octx
            .format()
            .flags()
            .contains(ffmpeg::format::Flags::GLOBAL_HEADER);
        let Encoder {
            name,
            codec,
            encoder,
            sample,
            layout,
        } = open_encoder(target, info, bitrate, global_header)?;
        let tb = Rational(1, encoder.rate() as i32);
        let tags = tags(target, marks);
        let stream_index = {
            let mut ost = octx
                .add_stream(codec)
                .map_err(ff_err("cannot add the audio stream"))?;
            ost.set_parameters(&encoder);
            ost.set_time_base(tb);
            if target.stream_tags {
                ost.set_metadata(tags.clone());
            }
            ost.index()
        };
        octx.set_metadata(tags);
        let (cover, itunes_cover) = match cover.filter(|c| target.keeps_cover(c)) {
            Some(c) if target.is_mp4() => (None, c.itunes()),
            muxed => (muxed, None),
        };
        write_header(&mut octx, target, cover)?;
        let stream_tb = octx
            .stream(stream_index)
            .map(|s| s.time_base())
            .unwrap_or(tb);
        let caps = codec.capabilities();
        let frame_size = encoder.frame_size() as usize;
        let small_last = caps.contains(codec::capabilities::Capabilities::SMALL_LAST_FRAME)
            || caps.contains(codec::capabilities::Capabilities::VARIABLE_FRAME_SIZE);
        let summary = match bitrate {
            _ if target.lossless => format!("{name}, lossless"),
            Some(bps) => format!("{name} at {} kb/s", (bps + 500) / 1000),
            None => format!("{name} at its default bitrate"),
        };
        Ok(Sink {
            octx,
            encoder,
            temp,
            sample,
            layout,
            rate: info.sample_rate,
            channels: info.channels.max(1),
            frame_size,
            small_last,
            pending: Vec::new(),
            pts: 0,
            stream_index,
            stream_tb,
            xmp: (target.xmp == XmpCarrier::Mp4Uuid).then(|| marks.xmp.clone()),
            itunes_cover,
            streaminfo: None,
            native_flac: target.muxer == "flac",
            summary,
        })
    }

    /// Frames per frame handed to the encoder.
    fn chunk_frames(&self) -> usize {
        if self.frame_size > 0 {
            self.frame_size
        } else {
            4096
        }
    }

    /// Queues interleaved samples and encodes every whole codec frame.
    pub(crate) fn write(&mut self, samples: &[f32]) -> Result<()> {
        let ch = self.channels;
        let step = self.chunk_frames() * ch;
        let mut rest = samples;
        if !self.pending.is_empty() {
            let need = step - self.pending.len();
            let take = need.min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() < step {
                return Ok(());
            }
            let full = std::mem::take(&mut self.pending);
            self.send(&full)?;
            self.pending = full;
            self.pending.clear();
        }
        let mut chunks = rest.chunks_exact(step);
        for chunk in &mut chunks {
            self.send(chunk)?;
        }
        self.pending.extend_from_slice(chunks.remainder());
        Ok(())
    }

    /// Encodes exactly these frames as one codec frame.
    fn send(&mut self, interleaved: &[f32]) -> Result<()> {
        let ch = self.channels;
        let n = interleaved.len() / ch;
        if n == 0 {
            return Ok(());
        }
        let mut f = frame::Audio::new(self.sample, n, self.layout);
        if f.samples() != n || f.planes() == 0 {
            return Err(Error::cannot_label(
                "FFmpeg could not allocate an audio frame",
            ));
        }
        f.set_rate(self.rate);
        f.set_pts(Some(self.pts));
        fill(&mut f, self.sample, interleaved, ch)?;
        self.encoder
            .send_frame(&f)
            .map_err(ff_err("the encoder refused a frame"))?;
        self.pts += n as i64;
        self.drain()
    }

    /// Moves finished packets from the encoder to the muxer.
    fn drain(&mut self) -> Result<()> {
        let enc_tb = Rational(1, self.rate as i32);
        let mut packet = ffmpeg::Packet::empty();
        loop {
            match self.encoder.receive_packet(&mut packet) {
                Ok(()) if packet.size() == 0 => {
                    // The FLAC encoder ends with an empty packet carrying
                    // the final STREAMINFO (length, MD5), which the FLAC
                    // muxer would write back at the end; ffmpeg-next does
                    // not pass empty packets on, so `finish` writes it.
                    if let Some(side) = packet
                        .side_data()
                        .find(|d| d.kind() == ffmpeg::codec::packet::side_data::Type::NewExtraData)
                    {
                        self.streaminfo = Some(side.data().to_vec());
                    }
                }
                Ok(()) => {
                    packet.set_stream(self.stream_index);
                    packet.rescale_ts(enc_tb, self.stream_tb);
                    packet
                        .write_interleaved(&mut self.octx)
                        .map_err(ff_err("the muxer refused a packet"))?;
                }
                Err(ffmpeg::Error::Eof) => return Ok(()),
                Err(ffmpeg::Error::Other { errno }) if errno == ffmpeg::util::error::EAGAIN => {
                    return Ok(());
                }
                Err(e) => return Err(ff_err("encoding failed")(e)),
            }
        }
    }

    /// Encodes what is queued, flushes the encoder, finishes the container,
    /// adds the XMP box where it goes, and copies the file into `output`.
    /// Returns the output's length in bytes.
    pub(crate) fn finish(mut self, output: &mut dyn WriteSeek) -> Result<u64> {
        let mut last = std::mem::take(&mut self.pending);
        if !last.is_empty() {
            if !self.small_last {
                // A codec with fixed frames: pad the last one with silence
                // (a few ms at most; the container's length trims it where
                // it can).
                last.resize(self.chunk_frames() * self.channels, 0.0);
            }
            self.send(&last)?;
        }
        self.encoder
            .send_eof()
            .map_err(ff_err("the encoder could not be flushed"))?;
        self.drain()?;
        self.octx
            .write_trailer()
            .map_err(ff_err("the muxer could not finish the file"))?;
        let Sink {
            octx,
            temp,
            xmp,
            itunes_cover,
            streaminfo,
            native_flac,
            ..
        } = self;
        // Closes FFmpeg's handle on the file before it is read back.
        drop(octx);
        let mut file = temp.reopen()?;
        if native_flac && let Some(info) = streaminfo.filter(|i| i.len() == FLAC_STREAMINFO_LEN) {
            // `fLaC`, then the STREAMINFO block header: the muxer always
            // writes STREAMINFO first, so its body starts at byte 8.
            file.seek(SeekFrom::Start(8))?;
            file.write_all(&info)?;
        }
        if let Some(cover) = itunes_cover {
            isobmff::add_cover_art(&mut file, &[cover])?;
        }
        if let Some(packet) = xmp {
            isobmff::append_xmp(&mut file, &packet)?;
        }
        file.seek(SeekFrom::Start(0))?;
        output.seek(SeekFrom::Start(0))?;
        let copied = std::io::copy(&mut file, output)?;
        output.flush()?;
        Ok(copied)
    }
}

/// Writes interleaved f32 into an FFmpeg frame in its sample format.
fn fill(f: &mut frame::Audio, sample: Sample, src: &[f32], ch: usize) -> Result<()> {
    let n = src.len() / ch;
    match sample {
        Sample::F32(SampleType::Planar) => {
            for c in 0..ch {
                let plane = f.plane_mut::<f32>(c);
                for (d, s) in plane.iter_mut().zip(src.iter().skip(c).step_by(ch)) {
                    *d = *s;
                }
            }
        }
        Sample::I32(SampleType::Planar) => {
            for c in 0..ch {
                let plane = f.plane_mut::<i32>(c);
                for (d, s) in plane.iter_mut().zip(src.iter().skip(c).step_by(ch)) {
                    // Full-scale 32-bit; FLAC/ALAC keep the top 24 bits.
                    *d = to_int(*s, 32);
                }
            }
        }
        Sample::I16(SampleType::Planar) => {
            for c in 0..ch {
                let plane = f.plane_mut::<i16>(c);
                for (d, s) in plane.iter_mut().zip(src.iter().skip(c).step_by(ch)) {
                    *d = to_int(*s, 16) as i16;
                }
            }
        }
        Sample::F32(SampleType::Packed) | Sample::I32(SampleType::Packed) => {
            let data = f.data_mut(0);
            if data.len() < n * ch * 4 {
                return Err(Error::cannot_label("FFmpeg gave a short audio frame"));
            }
            let float = matches!(sample, Sample::F32(_));
            for (d, s) in data.chunks_exact_mut(4).zip(src) {
                let bytes = if float {
                    s.to_ne_bytes()
                } else {
                    to_int(*s, 32).to_ne_bytes()
                };
                d.copy_from_slice(&bytes);
            }
        }
        Sample::I16(SampleType::Packed) => {
            let data = f.data_mut(0);
            if data.len() < n * ch * 2 {
                return Err(Error::cannot_label("FFmpeg gave a short audio frame"));
            }
            for (d, s) in data.chunks_exact_mut(2).zip(src) {
                d.copy_from_slice(&(to_int(*s, 16) as i16).to_ne_bytes());
            }
        }
        _ => {
            return Err(Error::unsupported(
                "the encoder's sample format is not one this crate writes",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::ffmeta::unescape_priv;

    #[test]
    fn priv_escaping_round_trips() {
        let s = r#"<x:xmpmeta a="\x41">Жасанды \ end</x:xmpmeta>"#;
        assert_eq!(unescape_priv(&escape_priv(s)), s);
        // What FFmpeg's demuxer hands back for non-ASCII bytes.
        assert_eq!(unescape_priv("\\xd0\\x96a"), "Жa");
    }

    #[test]
    fn integers_are_clamped() {
        assert_eq!(to_int(1.0, 16), 32767);
        assert_eq!(to_int(-1.0, 16), -32768);
        assert_eq!(to_int(0.5, 16), 16384);
        assert_eq!(to_int(1.5, 32), i32::MAX);
    }
}
