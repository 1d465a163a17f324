//! Streaming decode through symphonia: one packet at a time, interleaved f32.
//!
//! Nothing here holds more than one decoded packet, so memory stays flat
//! whatever the programme's length.

use std::fs::File;
use std::io::{Seek, SeekFrom};

use symphonia::core::audio::{Channels, SampleBuffer, SignalSpec};
use symphonia::core::codecs::{CODEC_TYPE_NULL, CodecType, Decoder, DecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;
use tanba_core::{Error, Job, Limits, Result, Source};

use crate::progress::AudioProgress;

/// How many undecodable packets are skipped (a damaged MP3 frame) before
/// the stream is declared malformed.
const MAX_DECODE_ERRORS: u32 = 16;

/// What the stream is, settled from the first decoded packet.
#[derive(Debug, Clone)]
pub(crate) struct StreamInfo {
    /// Frames per second.
    pub sample_rate: u32,
    /// Interleaved channel count.
    pub channels: usize,
    /// The index of the LFE channel, when the layout names one.
    pub lfe_index: Option<usize>,
    /// Frames the container claims, when it says.
    pub claimed_frames: Option<u64>,
    /// Bits per sample of the source coding, when it has one (PCM, FLAC, ALAC).
    pub bits_per_sample: Option<u32>,
    /// The codec.
    pub codec: CodecType,
    /// Tags found in the container or a leading ID3 tag, `(key, value)`.
    pub tags: Vec<(String, String)>,
    /// The channel layout as WAVE/FFmpeg speaker bits (front left = 1,
    /// front right = 2, …), when the stream names its channels.
    #[cfg_attr(not(feature = "ffmpeg"), allow(dead_code))]
    pub channel_mask: Option<u64>,
}

impl StreamInfo {
    /// True when the container's frame count is exact, not an estimate, so a
    /// shortfall means the file was cut.
    fn exact_length(&self) -> bool {
        use symphonia::core::codecs as c;
        let pcm = [
            c::CODEC_TYPE_PCM_S16LE,
            c::CODEC_TYPE_PCM_S24LE,
            c::CODEC_TYPE_PCM_S32LE,
            c::CODEC_TYPE_PCM_U8,
            c::CODEC_TYPE_PCM_F32LE,
            c::CODEC_TYPE_PCM_F64LE,
            c::CODEC_TYPE_PCM_ALAW,
            c::CODEC_TYPE_PCM_MULAW,
        ];
        pcm.contains(&self.codec) || self.codec == c::CODEC_TYPE_FLAC
    }
}

/// A decoder that yields interleaved f32 frames packet by packet.
pub(crate) struct StreamDecoder {
    backend: Backend,
    info: StreamInfo,
    /// The first decoded packet, read at open time to settle the spec.
    pending: bool,
    decoded_frames: u64,
    max_frames: u64,
    /// Rate and channels were taken from a decoded packet.
    settled: bool,
    /// Bytes of the audio track's packets read so far (the coded payload,
    /// without tags or cover art), for the measured bitrate.
    packet_bytes: u64,
    /// Told of every chunk decoded.
    progress: AudioProgress,
    /// Frames past this are not the stream's (see `OwnedInput::exact_frames`).
    frame_cap: u64,
    /// The claimed frame count is exact whatever the codec.
    exact: bool,
    /// Marks every chunk before it is handed out (the labelling pass that
    /// writes the programme), into `marked`.
    marker: Option<tanba_watermark::AudioMarker>,
    marked: Vec<f32>,
    /// The marker has given out its last samples.
    flushed: bool,
}

/// Who decodes: symphonia, or FFmpeg for what symphonia cannot.
enum Backend {
    Symphonia(Box<Symphonia>),
    #[cfg(feature = "ffmpeg")]
    Ffmpeg(Box<crate::ffdecode::FfmpegAudio>),
}

struct Symphonia {
    format: Box<dyn FormatReader>,
    decoder: Box<dyn Decoder>,
    track_id: u32,
    buffer: Option<SampleBuffer<f32>>,
    decode_errors: u32,
}

impl std::fmt::Debug for StreamDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamDecoder")
            .field("info", &self.info)
            .finish()
    }
}

/// An owned, seekable copy of the source for symphonia, which needs
/// `'static + Send + Sync`, with a path to the same bytes for libraries that
/// open files by name (FFmpeg): the file itself when there is a path, else
/// the bytes spooled to a temporary file (streamed, not held in memory).
#[derive(Debug)]
pub(crate) struct OwnedInput {
    /// The bytes, rewound.
    pub file: File,
    /// Where they are on disk.
    pub path: std::path::PathBuf,
    /// The exact frame count when the container states one the decoder
    /// does not read (AIFF's `COMM`: symphonia counts `SSND`'s offset
    /// fields as samples); decoding stops there.
    pub exact_frames: Option<u64>,
    /// Only FFmpeg reads it (Opus, Matroska): symphonia is not tried.
    #[cfg_attr(not(feature = "ffmpeg"), allow(dead_code))]
    pub ffmpeg_only: bool,
    /// Deletes the spool when dropped.
    _spool: Option<tempfile::TempPath>,
}

/// The source as an [`OwnedInput`]. A format only FFmpeg reads is refused
/// here when the crate is built without it.
pub(crate) fn owned_input(source: &mut Source<'_>) -> Result<OwnedInput> {
    let ffmpeg_only = crate::formats::needs_ffmpeg(source.format);
    if ffmpeg_only && !cfg!(feature = "ffmpeg") {
        return Err(Error::unsupported(format!(
            "{} audio needs FFmpeg, which this build lacks (tanba-audio's `ffmpeg` feature, `audio-ffmpeg` in tanba and tanba-cli)",
            source.format.name
        )));
    }
    if let Some(path) = source.path
        && let Ok(file) = File::open(path)
    {
        return Ok(OwnedInput {
            file,
            path: path.to_path_buf(),
            exact_frames: None,
            ffmpeg_only,
            _spool: None,
        });
    }
    source.reader.seek(SeekFrom::Start(0))?;
    let (mut spool, spool_path) = tempfile::NamedTempFile::new()?.into_parts();
    std::io::copy(&mut source.reader, &mut spool)?;
    source.reader.seek(SeekFrom::Start(0))?;
    spool.seek(SeekFrom::Start(0))?;
    Ok(OwnedInput {
        file: spool,
        path: spool_path.to_path_buf(),
        exact_frames: None,
        ffmpeg_only,
        _spool: Some(spool_path),
    })
}

/// A fresh handle on `file`, rewound, for another pass.
pub(crate) fn reopen(file: &File) -> Result<File> {
    let mut again = file.try_clone()?;
    again.seek(SeekFrom::Start(0))?;
    Ok(again)
}

/// The highest sample rate any real format uses (DXD and 768-kHz PCM).
/// A header claiming more is malformed: resampling the disclaimer to it
/// would ask for gigabytes before a sample is read (found by fuzzing).
pub const MAX_SAMPLE_RATE: u32 = 768_000;

/// Refuses a sample rate above [`MAX_SAMPLE_RATE`], before anything is
/// allocated for it.
fn check_rate(rate: u32) -> Result<()> {
    if rate > MAX_SAMPLE_RATE {
        return Err(Error::malformed(format!(
            "the audio stream claims a sample rate of {rate} Hz (at most {MAX_SAMPLE_RATE} Hz is real)"
        )));
    }
    Ok(())
}

fn map_err(e: SymError, during: &str) -> Error {
    match e {
        SymError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::malformed(format!("truncated audio stream ({during})"))
        }
        SymError::IoError(io) => Error::Io {
            path: None,
            source: io,
        },
        SymError::Unsupported(what) => {
            Error::unsupported(format!("audio {during}: {what} is not supported"))
        }
        SymError::DecodeError(what) => Error::malformed(format!("audio {during}: {what}")),
        SymError::LimitError(what) => Error::malformed(format!("audio {during}: {what}")),
        SymError::ResetRequired => Error::unsupported(format!(
            "audio {during}: the stream changes its parameters mid-file"
        )),
        SymError::SeekError(_) => Error::malformed(format!("audio {during}: seek failed")),
    }
}

/// Runs a decoder step, turning a panic inside the decoding library (a
/// malformed header it did not expect) into a typed error.
fn guarded<T>(what: &str, step: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(step)).map_err(|_| {
        Error::malformed(format!(
            "the audio decoder gave up on malformed input ({what})"
        ))
    })
}

fn lfe_index(channels: Channels) -> Option<usize> {
    channels.iter().position(|c| c == Channels::LFE1)
}

fn collect_tags(
    format: &mut dyn FormatReader,
    probed: Option<symphonia::core::meta::Metadata<'_>>,
) -> Vec<(String, String)> {
    let mut tags = Vec::new();
    let mut push = |rev: &symphonia::core::meta::MetadataRevision| {
        for tag in rev.tags() {
            tags.push((tag.key.clone(), tag.value.to_string()));
        }
    };
    if let Some(meta) = probed
        && let Some(rev) = meta.current()
    {
        push(rev);
    }
    if let Some(rev) = format.metadata().current() {
        push(rev);
    }
    tags
}

impl StreamDecoder {
    /// Probes `media`, picks its first audio track, checks the claimed
    /// duration against `limits` and decodes the first packet.
    pub(crate) fn open(media: Box<dyn MediaSource>, limits: &Limits) -> Result<Self> {
        let mss = MediaSourceStream::new(media, Default::default());
        let mut probed = guarded("probe", || {
            symphonia::default::get_probe().format(
                &Hint::new(),
                mss,
                &FormatOptions {
                    enable_gapless: true,
                    ..Default::default()
                },
                &MetadataOptions::default(),
            )
        })?
        .map_err(|e| match e {
            SymError::Unsupported(_) => {
                Error::malformed("not a recognisable audio stream (no container matched)")
            }
            other => map_err(other, "probe"),
        })?;
        let tags = collect_tags(probed.format.as_mut(), probed.metadata.get());
        let format = probed.format;
        let registry = symphonia::default::get_codecs();
        let track = format
            .tracks()
            .iter()
            .find(|t| t.codec_params.codec != CODEC_TYPE_NULL && registry.get_codec(t.codec_params.codec).is_some())
            .ok_or_else(|| {
                if format.tracks().is_empty() {
                    Error::unsupported("the file has no audio track")
                } else {
                    Error::unsupported(
                        "the file has no audio track this build decodes (video only, or an unsupported codec)",
                    )
                }
            })?;
        let params = track.codec_params.clone();
        let track_id = track.id;
        if let Some(rate) = params.sample_rate {
            check_rate(rate)?;
        }
        if let (Some(frames), Some(rate)) = (params.n_frames, params.sample_rate) {
            if rate == 0 {
                return Err(Error::malformed(
                    "the audio track claims a sample rate of 0",
                ));
            }
            limits.check_duration_ms(frames.saturating_mul(1000) / u64::from(rate))?;
            if frames == 0 {
                return Err(Error::malformed("the audio stream is empty (0 frames)"));
            }
        }
        let decoder = guarded("codec setup", || {
            registry.make(&params, &DecoderOptions::default())
        })?
        .map_err(|e| map_err(e, "codec setup"))?;
        let info = StreamInfo {
            sample_rate: params.sample_rate.unwrap_or(0),
            channels: params.channels.map(|c| c.count()).unwrap_or(0),
            lfe_index: params.channels.and_then(lfe_index),
            claimed_frames: params.n_frames,
            bits_per_sample: params.bits_per_sample,
            codec: params.codec,
            tags,
            channel_mask: params.channels.map(|c| u64::from(c.bits())),
        };
        let backend = Backend::Symphonia(Box::new(Symphonia {
            format,
            decoder,
            track_id,
            buffer: None,
            decode_errors: 0,
        }));
        Self::start(backend, info, limits)
    }

    /// Opens an input file: with symphonia, or, when symphonia has no
    /// decoder for its audio (AAC with more than two channels, AC-3,
    /// Opus …), with FFmpeg in builds that have it.
    pub(crate) fn open_input(input: &OwnedInput, limits: &Limits) -> Result<Self> {
        #[cfg(feature = "ffmpeg")]
        if input.ffmpeg_only {
            return Self::open_ffmpeg(input, limits)?.ok_or_else(|| {
                Error::malformed("FFmpeg finds no audio stream it can decode in the file")
            });
        }
        let by_symphonia = Self::open(Box::new(reopen(&input.file)?), limits).map(|mut d| {
            if let Some(frames) = input.exact_frames {
                d.info.claimed_frames = Some(frames);
                d.frame_cap = frames;
                d.exact = true;
            }
            d
        });
        #[cfg(feature = "ffmpeg")]
        if let Err(Error::Unsupported { .. }) = &by_symphonia
            && let Some(this) = Self::open_ffmpeg(input, limits)?
        {
            return Ok(this);
        }
        by_symphonia
    }

    /// Opens the input's best audio stream with FFmpeg; `None` when FFmpeg
    /// cannot read it.
    #[cfg(feature = "ffmpeg")]
    fn open_ffmpeg(input: &OwnedInput, limits: &Limits) -> Result<Option<Self>> {
        use symphonia::core::codecs as c;
        let Some(audio) = crate::ffdecode::FfmpegAudio::open(&input.path)? else {
            return Ok(None);
        };
        if let Some(ms) = audio.duration_ms() {
            limits.check_duration_ms(ms)?;
        }
        check_rate(audio.rate())?;
        // The codec, for choosing the encoder that keeps it.
        let codec = match audio.codec() {
            ffmpeg_next::codec::Id::AAC => c::CODEC_TYPE_AAC,
            ffmpeg_next::codec::Id::OPUS => c::CODEC_TYPE_OPUS,
            ffmpeg_next::codec::Id::VORBIS => c::CODEC_TYPE_VORBIS,
            ffmpeg_next::codec::Id::MP3 => c::CODEC_TYPE_MP3,
            ffmpeg_next::codec::Id::FLAC => c::CODEC_TYPE_FLAC,
            ffmpeg_next::codec::Id::ALAC => c::CODEC_TYPE_ALAC,
            _ => CODEC_TYPE_NULL,
        };
        let channel_mask = audio.channel_mask();
        let info = StreamInfo {
            sample_rate: audio.rate(),
            channels: audio.channels(),
            // FFmpeg's bits are WAVE's: LFE is bit 3, and the channels
            // come in bit order.
            lfe_index: channel_mask
                .filter(|m| m & 0x8 != 0)
                .map(|m| (m & 0x7).count_ones() as usize),
            claimed_frames: None,
            bits_per_sample: None,
            codec,
            tags: Vec::new(),
            channel_mask,
        };
        let mut this = Self::start(Backend::Ffmpeg(Box::new(audio)), info, limits)?;
        // The rate and layout FFmpeg reported at open are the stream's.
        this.settled = true;
        Ok(Some(this))
    }

    /// Whether FFmpeg decodes this stream (symphonia could not).
    pub(crate) fn by_ffmpeg(&self) -> bool {
        match self.backend {
            Backend::Symphonia(_) => false,
            #[cfg(feature = "ffmpeg")]
            Backend::Ffmpeg(_) => true,
        }
    }

    /// Decodes the first packet, which settles rate and channels (ADTS and
    /// some MP4s only say after decoding) and proves the stream holds audio.
    fn start(backend: Backend, info: StreamInfo, limits: &Limits) -> Result<Self> {
        let mut this = StreamDecoder {
            backend,
            info,
            pending: false,
            decoded_frames: 0,
            max_frames: u64::MAX,
            settled: false,
            packet_bytes: 0,
            progress: AudioProgress::default(),
            frame_cap: u64::MAX,
            exact: false,
            marker: None,
            marked: Vec::new(),
            flushed: false,
        };
        if !this.decode_next()? {
            return Err(Error::malformed("the audio stream holds no samples"));
        }
        this.pending = true;
        let rate = this.info.sample_rate;
        this.max_frames = limits.max_duration_ms.saturating_mul(u64::from(rate)) / 1000;
        Ok(this)
    }

    /// [`StreamDecoder::open_input`] with the labelling's progress, which
    /// starts from the stream's length.
    pub(crate) fn open_reporting(input: &OwnedInput, job: &Job) -> Result<(Self, AudioProgress)> {
        let decoder = Self::open_input(input, &job.limits)?;
        let info = decoder.info();
        let progress = AudioProgress::start(job, info.sample_rate, info.claimed_frames);
        Ok((decoder.with_progress(&progress), progress))
    }

    /// Reporting the chunks it decodes to `progress`.
    pub(crate) fn with_progress(mut self, progress: &AudioProgress) -> Self {
        self.progress = progress.clone();
        self
    }

    /// Marking every chunk it hands out with `marker` (none: as decoded).
    pub(crate) fn with_marker(mut self, marker: Option<tanba_watermark::AudioMarker>) -> Self {
        self.marker = marker;
        self
    }

    /// The stream's parameters.
    pub(crate) fn info(&self) -> &StreamInfo {
        &self.info
    }

    /// Frames decoded so far.
    pub(crate) fn decoded_frames(&self) -> u64 {
        self.decoded_frames
    }

    /// Coded bytes of the audio track read so far.
    pub(crate) fn packet_bytes(&self) -> u64 {
        self.packet_bytes
    }

    /// Decodes one more packet into the buffer; false at the end.
    fn decode_next(&mut self) -> Result<bool> {
        match &mut self.backend {
            Backend::Symphonia(sym) => decode_symphonia(
                sym,
                &mut self.info,
                &mut self.settled,
                &mut self.packet_bytes,
            ),
            #[cfg(feature = "ffmpeg")]
            Backend::Ffmpeg(audio) => {
                let more = audio.decode_next()?;
                self.packet_bytes = audio.packet_bytes();
                Ok(more)
            }
        }
    }

    /// The next interleaved chunk, or `None` at the end of the stream.
    ///
    /// With a marker, the chunks are the marker's output: the same samples,
    /// marked, a few milliseconds late (it holds up to two of its hops
    /// back), and the rest once the stream has ended.
    pub(crate) fn next_chunk(&mut self) -> Result<Option<&[f32]>> {
        let Some(mut marker) = self.marker.take() else {
            return self.next_decoded();
        };
        let mut marked = std::mem::take(&mut self.marked);
        marked.clear();
        let filled = self.fill_marked(&mut marker, &mut marked);
        self.marker = Some(marker);
        self.marked = marked;
        filled?;
        Ok((!self.marked.is_empty()).then_some(self.marked.as_slice()))
    }

    /// Decodes through `marker` until it gives out samples or is flushed.
    fn fill_marked(
        &mut self,
        marker: &mut tanba_watermark::AudioMarker,
        marked: &mut Vec<f32>,
    ) -> Result<()> {
        while marked.is_empty() && !self.flushed {
            match self.next_decoded()? {
                Some(samples) => marker.process(samples, marked),
                None => {
                    marker.finish(marked);
                    self.flushed = true;
                }
            }
        }
        Ok(())
    }

    /// The next decoded chunk, unmarked, or `None` at the end.
    fn next_decoded(&mut self) -> Result<Option<&[f32]>> {
        if self.pending {
            self.pending = false;
        } else if self.decoded_frames >= self.frame_cap || !self.decode_next()? {
            self.check_complete()?;
            return Ok(None);
        }
        let samples = match &self.backend {
            Backend::Symphonia(sym) => match sym.buffer.as_ref() {
                Some(buf) => buf.samples(),
                None => return Ok(None),
            },
            #[cfg(feature = "ffmpeg")]
            Backend::Ffmpeg(audio) => audio.samples(),
        };
        let ch = self.info.channels.max(1);
        let frames = ((samples.len() / ch) as u64).min(self.frame_cap - self.decoded_frames);
        let samples = &samples[..frames as usize * ch];
        self.decoded_frames += frames;
        self.progress.add(frames);
        if self.decoded_frames > self.max_frames {
            return Err(Error::limit(
                tanba_core::LimitKind::DurationMs,
                self.decoded_frames.saturating_mul(1000) / u64::from(self.info.sample_rate.max(1)),
                self.max_frames.saturating_mul(1000) / u64::from(self.info.sample_rate.max(1)),
            ));
        }
        Ok(Some(samples))
    }

    /// At the end: a container that counts its frames exactly and got fewer
    /// was cut short.
    fn check_complete(&self) -> Result<()> {
        if let Some(claimed) = self.info.claimed_frames
            && (self.exact || self.info.exact_length())
            && self.decoded_frames < claimed
        {
            return Err(Error::malformed(format!(
                "truncated: the header claims {claimed} frames, only {} are present",
                self.decoded_frames
            )));
        }
        if self.decoded_frames == 0 {
            return Err(Error::malformed("the audio stream holds no samples"));
        }
        Ok(())
    }
}

/// Decodes one more packet of symphonia's stream into its buffer,
/// settling `info` from the first; false at the end.
fn decode_symphonia(
    sym: &mut Symphonia,
    info: &mut StreamInfo,
    settled: &mut bool,
    packet_bytes: &mut u64,
) -> Result<bool> {
    loop {
        let format = &mut sym.format;
        let packet = match guarded("demuxing", move || format.next_packet())? {
            Ok(p) => p,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Ok(false);
            }
            Err(e) => return Err(map_err(e, "demuxing")),
        };
        if packet.track_id() != sym.track_id {
            continue;
        }
        *packet_bytes += packet.data.len() as u64;
        let decoder = &mut sym.decoder;
        let decoded = match guarded("decoding", move || decoder.decode(&packet))? {
            Ok(d) => d,
            Err(SymError::DecodeError(what)) => {
                sym.decode_errors += 1;
                if sym.decode_errors > MAX_DECODE_ERRORS {
                    return Err(Error::malformed(format!(
                        "audio decoding: {what} (more than {MAX_DECODE_ERRORS} damaged packets)"
                    )));
                }
                continue;
            }
            Err(e) => return Err(map_err(e, "decoding")),
        };
        if decoded.frames() == 0 {
            continue;
        }
        let spec: SignalSpec = *decoded.spec();
        let channels = spec.channels.count();
        if !*settled {
            *settled = true;
            info.sample_rate = spec.rate;
            info.channels = channels;
            info.lfe_index = lfe_index(spec.channels);
            info.channel_mask = Some(u64::from(spec.channels.bits()));
        }
        if spec.rate != info.sample_rate || channels != info.channels {
            return Err(Error::unsupported(
                "the audio stream changes its sample rate or channel count mid-file",
            ));
        }
        if channels == 0 || spec.rate == 0 {
            return Err(Error::malformed(
                "the audio stream has no channels or no sample rate",
            ));
        }
        check_rate(spec.rate)?;
        let needs_new = sym
            .buffer
            .as_ref()
            .is_none_or(|b| b.capacity() < decoded.capacity() * channels);
        if needs_new {
            sym.buffer = Some(SampleBuffer::new(decoded.capacity() as u64, spec));
        }
        if let Some(buf) = sym.buffer.as_mut() {
            buf.copy_interleaved_ref(decoded);
        }
        return Ok(true);
    }
}

/// Decodes a whole short clip (a disclaimer) to interleaved f32, refusing
/// anything longer than `max_seconds`. Returns (samples, rate, channels).
pub(crate) fn decode_clip(bytes: Vec<u8>, max_seconds: u64) -> Result<(Vec<f32>, u32, usize)> {
    let limits = Limits {
        max_duration_ms: max_seconds * 1000,
        ..Limits::default()
    };
    let cursor = std::io::Cursor::new(bytes);
    let mut dec = StreamDecoder::open(Box::new(cursor), &limits)?;
    let mut samples = Vec::new();
    while let Some(chunk) = dec.next_chunk()? {
        samples.extend_from_slice(chunk);
    }
    Ok((samples, dec.info.sample_rate, dec.info.channels))
}
