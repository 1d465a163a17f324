//! The pixel work on every frame: the corner badge and the notice blended
//! in, then the watermark over them. It runs on a thread of its own, so the
//! next frame decodes and the encoder takes the last one while this one is
//! painted: the watermark is a few milliseconds of work a 1080p frame,
//! which on the decoding thread held up the decoder and x264's threads.

use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;

use ffmpeg_next as ffmpeg;

use tanba_core::{Error, Result};

use crate::overlay::Overlay;

/// Frames handed to the painter and not yet taken back, at most: enough
/// that it always has the next one while the encoder takes a finished one,
/// few enough that large frames held in flight stay small beside x264's
/// own look-ahead.
const IN_FLIGHT: usize = 2;

/// What is drawn on the frames and added to them.
pub(crate) struct Painter {
    pub corner: Option<Overlay>,
    /// The notice and the second it stops showing at.
    pub notice: Option<(Overlay, f64)>,
    /// The second from which the notice shows again until the end (the
    /// deepfake notice's closing repeat), if it does.
    pub closing_from: Option<f64>,
    /// Adds the watermark to each frame's 8-bit Y plane, when it has one.
    pub marker: Option<tanba_watermark::FrameMarker>,
}

impl Painter {
    /// Paints one writable frame shown `seconds` after the first.
    fn paint(&mut self, frame: &mut ffmpeg::frame::Video, seconds: f64) -> Result<()> {
        if let Some(marker) = &mut self.marker {
            // The video's own first frame, not the notice drawn over it,
            // chooses the mark's grid.
            let stride = frame.stride(0);
            marker.see_content(frame.data(0), stride);
        }
        if let Some(corner) = &self.corner {
            corner.blend(frame)?;
        }
        if let Some((notice, until)) = &self.notice
            && (seconds < *until || self.closing_from.is_some_and(|from| seconds >= from))
        {
            notice.blend(frame)?;
        }
        // The watermark goes over the visible label, so the label's boxes
        // carry it too (under them, a notice that covers a third of the
        // frame for its first seconds took that much of the mark).
        if let Some(marker) = &mut self.marker {
            let stride = frame.stride(0);
            marker.mark(frame.data_mut(0), stride);
        }
        Ok(())
    }
}

/// A frame on its way through the painter, with its input timestamp.
pub(crate) struct Canvas {
    pub frame: ffmpeg::frame::Video,
    /// In the input stream's time base.
    pub pts: Option<i64>,
    /// From the first frame.
    pub seconds: f64,
}

/// The painter on its own thread; frames come back in the order given.
pub(crate) struct PaintThread {
    to: Option<SyncSender<Canvas>>,
    from: Receiver<Result<Canvas>>,
    worker: Option<JoinHandle<()>>,
    in_flight: usize,
}

impl PaintThread {
    /// Starts `painter` on a thread of its own.
    pub(crate) fn start(mut painter: Painter) -> Result<PaintThread> {
        let (to, inbox) = sync_channel::<Canvas>(IN_FLIGHT);
        let (outbox, from) = sync_channel::<Result<Canvas>>(IN_FLIGHT);
        // The watermark's update every 100 frames runs rayon loops. From a
        // plain thread they would queue on the global pool, whose workers
        // may be the very jobs waiting here for their painted frames (a
        // batch labelling videos in parallel): a deadlock. The painter's
        // own pool runs them instead.
        let pool = rayon::ThreadPoolBuilder::new()
            .thread_name(|i| format!("tanba-paint-{i}"))
            .build()
            .map_err(|e| Error::cannot_label(format!("cannot start the frame painter: {e}")))?;
        let worker = std::thread::Builder::new()
            .name("tanba-paint".into())
            .spawn(move || {
                pool.install(|| {
                    for mut canvas in inbox {
                        let done = painter
                            .paint(&mut canvas.frame, canvas.seconds)
                            .map(|()| canvas);
                        let failed = done.is_err();
                        if outbox.send(done).is_err() || failed {
                            break;
                        }
                    }
                });
            })?;
        Ok(PaintThread {
            to: Some(to),
            from,
            worker: Some(worker),
            in_flight: 0,
        })
    }

    /// Whether as many frames are in flight as may be: take one first.
    pub(crate) fn is_full(&self) -> bool {
        self.in_flight >= IN_FLIGHT
    }

    /// Hands a frame to the painter; never waits while not [`Self::is_full`].
    pub(crate) fn give(&mut self, canvas: Canvas) -> Result<()> {
        let sent = self.to.as_ref().is_some_and(|to| to.send(canvas).is_ok());
        if !sent {
            return Err(stopped());
        }
        self.in_flight += 1;
        Ok(())
    }

    /// The next painted frame: waits for it when `wait`, else `None` when
    /// it is not ready (or none is in flight).
    pub(crate) fn take(&mut self, wait: bool) -> Result<Option<Canvas>> {
        if self.in_flight == 0 {
            return Ok(None);
        }
        let got = if wait {
            self.from.recv().map_err(|_| stopped())?
        } else {
            match self.from.try_recv() {
                Ok(got) => got,
                Err(TryRecvError::Empty) => return Ok(None),
                Err(TryRecvError::Disconnected) => return Err(stopped()),
            }
        };
        self.in_flight -= 1;
        got.map(Some)
    }
}

impl Drop for PaintThread {
    fn drop(&mut self) {
        // Closing the inbox ends the worker's loop; its outbox never fills
        // (it holds at most the frames in flight), so the join returns.
        self.to = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// The painter's thread ended without an error to report: a panic, a bug.
fn stopped() -> Error {
    Error::cannot_label("the frame painter stopped unexpectedly (a bug in Tanba)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overlay::{ColourMatrix, FrameSpec, PlanarLayout};
    use ffmpeg::format::Pixel;
    use image::{GrayImage, Rgba, RgbaImage};
    use rayon::prelude::*;
    use tanba_image::BadgeImage;

    /// A painter that draws an opaque white 4x4 badge at the top left.
    fn white_corner() -> Painter {
        let badge = BadgeImage {
            rgba: RgbaImage::from_pixel(4, 4, Rgba([255, 255, 255, 255])),
            text_mask: GrayImage::new(4, 4),
            text_px: 12.0,
            margin: 0,
            lines: vec![],
        };
        let spec = FrameSpec {
            width: 16,
            height: 16,
            layout: PlanarLayout::of(Pixel::YUV420P).unwrap(),
            matrix: ColourMatrix::Bt709,
            full_range: false,
        };
        Painter {
            corner: Some(Overlay::new(&badge, 0, 0, spec).unwrap()),
            notice: None,
            closing_from: None,
            marker: None,
        }
    }

    fn canvas(format: Pixel, pts: i64) -> Canvas {
        let mut frame = ffmpeg::frame::Video::new(format, 16, 16);
        frame.data_mut(0).fill(16);
        Canvas {
            frame,
            pts: Some(pts),
            seconds: pts as f64,
        }
    }

    #[test]
    fn frames_come_back_painted_in_the_order_given() {
        let mut paint = PaintThread::start(white_corner()).unwrap();
        let mut back = Vec::new();
        for pts in 0..9 {
            while paint.is_full() {
                back.push(paint.take(true).unwrap().unwrap());
            }
            paint.give(canvas(Pixel::YUV420P, pts)).unwrap();
            while let Some(done) = paint.take(false).unwrap() {
                back.push(done);
            }
        }
        while let Some(done) = paint.take(true).unwrap() {
            back.push(done);
        }
        assert_eq!(paint.take(true).unwrap().map(|c| c.pts), None);
        let order: Vec<_> = back.iter().map(|c| c.pts).collect();
        assert_eq!(order, (0..9).map(Some).collect::<Vec<_>>());
        for c in &back {
            // Blended: limited-range white at the badge, the frame beside it.
            assert_eq!(c.frame.data(0)[0], 235);
            assert_eq!(c.frame.data(0)[8], 16);
        }
    }

    /// Labels as a batch does: on a worker of rayon's global pool, with
    /// every worker busy doing the same.
    #[test]
    fn painting_the_watermark_needs_no_free_worker_of_the_callers_pool() {
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let workers = rayon::current_num_threads();
            let painted: usize = (0..workers)
                .into_par_iter()
                .map(|_| {
                    let marker = tanba_watermark::FrameMarker::new(
                        320,
                        320,
                        0x5eed,
                        tanba_watermark::Key::private(7),
                    )
                    .unwrap();
                    let mut paint = PaintThread::start(Painter {
                        marker: Some(marker),
                        ..white_corner()
                    })
                    .unwrap();
                    let mut back = 0;
                    for pts in 0..4 {
                        let mut frame = ffmpeg::frame::Video::new(Pixel::YUV420P, 320, 320);
                        for (i, v) in frame.data_mut(0).iter_mut().enumerate() {
                            *v = (i * 7 % 251) as u8;
                        }
                        paint
                            .give(Canvas {
                                frame,
                                pts: Some(pts),
                                seconds: pts as f64,
                            })
                            .unwrap();
                        // Waits for the frame while this pool's workers
                        // all wait likewise.
                        while paint.take(true).unwrap().is_some() {
                            back += 1;
                        }
                    }
                    back
                })
                .sum();
            let _ = done.send(painted);
        });
        let painted = finished
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("the painters deadlocked with the caller's pool");
        assert_eq!(painted, 4 * rayon::current_num_threads());
    }

    #[test]
    fn a_frame_that_cannot_be_painted_is_an_error_and_stops_the_painter() {
        let mut paint = PaintThread::start(white_corner()).unwrap();
        // Grey frames have no chroma planes for the badge's colour.
        paint.give(canvas(Pixel::GRAY8, 0)).unwrap();
        let err = paint.take(true).err().expect("the blend's error");
        assert!(err.to_string().contains("chroma"), "{err}");
        // The painter ended with that frame; later frames are refused.
        let later = paint
            .give(canvas(Pixel::YUV420P, 1))
            .and_then(|()| paint.take(true));
        assert!(later.is_err());
    }
}
