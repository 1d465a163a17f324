//! The per-frame path: decoded frames are converted when the blender cannot
//! write into their format, go to the painter (paint.rs: the badge, the
//! notice and the watermark) on its thread, and come back to the encoder,
//! whose packets go to the muxer.

use ffmpeg::format::Pixel;
use ffmpeg::software::scaling;
use ffmpeg::{Packet, Rational, Rescale, picture};
use ffmpeg_next as ffmpeg;

use tanba_core::{Error, Progress, Result};

use crate::ffi;
use crate::paint::{Canvas, PaintThread, Painter};

/// An FFmpeg failure on the input as a typed error.
pub(crate) fn malformed(what: &str) -> impl Fn(ffmpeg::Error) -> Error + '_ {
    move |e| Error::malformed(format!("{what}: {e}"))
}

/// What the frame path keeps between frames.
pub(crate) struct FrameState {
    /// Draws the label and adds the watermark, beside decoding and encoding.
    paint: PaintThread,
    scaler: Option<scaling::Context>,
    work_format: Pixel,
    /// The input video stream's time base.
    time_base: Rational,
    first_pts: Option<i64>,
    /// Seconds from the first frame to the last one decoded.
    pub last_seconds: f64,
    /// Frames decoded, blended and encoded.
    pub frames: u64,
    /// Reports `frames` and `last_seconds` to the job's sink.
    pub progress: Progress,
}

/// The re-encoded video stream: its encoder and where its packets go.
pub(crate) struct VideoOut {
    pub encoder: ffmpeg::encoder::Video,
    /// Output stream index.
    pub index: usize,
    /// The encoder's time base (the input stream's; MPEG-1/2 video's
    /// is one frame).
    pub enc_tb: Rational,
    /// The output stream's time base, once the header is written.
    pub out_tb: Rational,
}

impl VideoOut {
    /// Moves finished packets from the encoder to the muxer.
    pub(crate) fn drain(&mut self, octx: &mut ffmpeg::format::context::Output) -> Result<()> {
        let mut encoded = Packet::empty();
        while self.encoder.receive_packet(&mut encoded).is_ok() {
            encoded.set_stream(self.index);
            encoded.rescale_ts(self.enc_tb, self.out_tb);
            encoded
                .write_interleaved(octx)
                .map_err(malformed("writing a video packet"))?;
        }
        Ok(())
    }

    /// Flushes the encoder into the muxer.
    pub(crate) fn finish(&mut self, octx: &mut ffmpeg::format::context::Output) -> Result<()> {
        self.encoder
            .send_eof()
            .map_err(malformed("flushing the encoder"))?;
        self.drain(octx)
    }
}

impl FrameState {
    /// Frames of `work_format` (converted to it when decoded otherwise)
    /// go through `painter`; `time_base` is the input video stream's.
    pub(crate) fn new(
        painter: Painter,
        (work_format, time_base): (Pixel, Rational),
        progress: Progress,
    ) -> Result<Self> {
        Ok(FrameState {
            paint: PaintThread::start(painter)?,
            scaler: None,
            work_format,
            time_base,
            first_pts: None,
            last_seconds: 0.0,
            frames: 0,
            progress,
        })
    }

    /// Hands every frame the decoder has ready to the painter, and encodes
    /// the frames it has finished.
    pub(crate) fn drain_decoder(
        &mut self,
        decoder: &mut ffmpeg::decoder::Video,
        out: &mut VideoOut,
        octx: &mut ffmpeg::format::context::Output,
    ) -> Result<()> {
        let mut decoded = ffmpeg::frame::Video::empty();
        while decoder.receive_frame(&mut decoded).is_ok() {
            let pts = decoded.timestamp();
            let mut frame = if decoded.format() == self.work_format {
                std::mem::replace(&mut decoded, ffmpeg::frame::Video::empty())
            } else {
                self.convert(&decoded)?
            };
            ffi::make_writable(&mut frame).map_err(malformed("copying a decoded frame"))?;
            let first = *self.first_pts.get_or_insert(pts.unwrap_or(0));
            let seconds = pts
                .map(|p| (p - first) as f64 * f64::from(self.time_base))
                .unwrap_or(0.0);
            while self.paint.is_full() {
                self.encode_painted(true, out, octx)?;
            }
            self.paint.give(Canvas {
                frame,
                pts,
                seconds,
            })?;
            while self.encode_painted(false, out, octx)? {}
        }
        Ok(())
    }

    /// Encodes every frame still with the painter, once the decoder has
    /// given its last.
    pub(crate) fn finish(
        &mut self,
        out: &mut VideoOut,
        octx: &mut ffmpeg::format::context::Output,
    ) -> Result<()> {
        while self.encode_painted(true, out, octx)? {}
        Ok(())
    }

    /// Encodes the painter's next finished frame, waiting for it when
    /// `wait`; whether there was one.
    fn encode_painted(
        &mut self,
        wait: bool,
        out: &mut VideoOut,
        octx: &mut ffmpeg::format::context::Output,
    ) -> Result<bool> {
        let Some(Canvas {
            mut frame,
            pts,
            seconds,
        }) = self.paint.take(wait)?
        else {
            return Ok(false);
        };
        frame.set_pts(pts.map(|p| p.rescale(self.time_base, out.enc_tb)));
        frame.set_kind(picture::Type::None);
        out.encoder
            .send_frame(&frame)
            .map_err(malformed("encoding a frame"))?;
        self.frames += 1;
        self.last_seconds = self.last_seconds.max(seconds);
        self.progress.set(self.frames, Some(self.last_seconds));
        out.drain(octx)?;
        Ok(true)
    }

    /// Converts a frame the blender cannot write into to the working format.
    fn convert(&mut self, frame: &ffmpeg::frame::Video) -> Result<ffmpeg::frame::Video> {
        let rebuild = self.scaler.as_ref().is_none_or(|s| {
            s.input().format != frame.format()
                || s.input().width != frame.width()
                || s.input().height != frame.height()
        });
        if rebuild {
            self.scaler = Some(
                scaling::Context::get(
                    frame.format(),
                    frame.width(),
                    frame.height(),
                    self.work_format,
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
        if let Some(scaler) = self.scaler.as_mut() {
            scaler
                .run(frame, &mut out)
                .map_err(malformed("converting a frame"))?;
        }
        out.set_pts(frame.timestamp());
        Ok(out)
    }
}
