//! Opening a file with FFmpeg and reading what it claims (streams, size,
//! duration, display rotation) before anything is decoded.

use std::path::Path;
use std::sync::OnceLock;

use ffmpeg::codec::packet::side_data::Type as SideDataType;
use ffmpeg::{Rational, media};
use ffmpeg_next as ffmpeg;

use tanba_core::{Error, Format, Limits, Result};

/// The container family, which decides the muxer and where marks go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// MPEG-4 (ISO BMFF).
    Mp4,
    /// QuickTime.
    Mov,
    /// Matroska.
    Matroska,
    /// WebM.
    WebM,
    /// MPEG transport stream, 188-byte packets.
    MpegTs,
    /// Blu-ray/AVCHD transport stream, 192-byte packets (a 4-byte arrival
    /// timestamp before each).
    M2ts,
    /// AVI (RIFF).
    Avi,
}

impl Container {
    /// From the sniffed format.
    pub fn of(format: &Format) -> Result<Self> {
        match format.name {
            "mp4" => Ok(Container::Mp4),
            "mov" => Ok(Container::Mov),
            "mkv" => Ok(Container::Matroska),
            "webm" => Ok(Container::WebM),
            "ts" => Ok(Container::MpegTs),
            "m2ts" => Ok(Container::M2ts),
            "avi" => Ok(Container::Avi),
            other => Err(Error::unsupported(format!(
                "{other} is not a video container"
            ))),
        }
    }

    /// FFmpeg's muxer name.
    pub fn muxer(self) -> &'static str {
        match self {
            Container::Mp4 => "mp4",
            Container::Mov => "mov",
            Container::Matroska => "matroska",
            Container::WebM => "webm",
            Container::MpegTs | Container::M2ts => "mpegts",
            Container::Avi => "avi",
        }
    }

    /// A transport stream (TS or M2TS).
    pub fn is_ts(self) -> bool {
        matches!(self, Container::MpegTs | Container::M2ts)
    }

    /// ISO BMFF family (MP4 or MOV).
    pub fn is_iso(self) -> bool {
        matches!(self, Container::Mp4 | Container::Mov)
    }
}

/// What the chosen video stream claims.
#[derive(Debug, Clone)]
pub struct VideoInfo {
    /// Index of the video stream in the container.
    pub index: usize,
    /// Stored (coded) width.
    pub width: u32,
    /// Stored (coded) height.
    pub height: u32,
    /// Clockwise rotation players apply to display the frames (0, 90, 180, 270).
    pub rotation_cw: u32,
    /// The raw 3x3 display matrix, when the stream carries one.
    pub display_matrix: Option<Vec<u8>>,
    /// Duration in milliseconds, from the container.
    pub duration_ms: u64,
    /// Average frame rate, when known.
    pub frame_rate: Option<Rational>,
    /// Frames the container says the stream has (0 when it does not say).
    pub frames: u64,
    /// The video stream's own duration in milliseconds, when the container
    /// records one (MP4 track duration, Matroska `DURATION` tag); used to
    /// tell a truncated file from a short one.
    pub stream_duration_ms: Option<u64>,
    /// Stream time base.
    pub time_base: Rational,
}

impl VideoInfo {
    /// Width and height as displayed (after rotation).
    pub fn display_size(&self) -> (u32, u32) {
        if self.rotation_cw % 180 == 90 {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }
}

/// Initialises FFmpeg once and keeps its logging to errors.
pub(crate) fn init() -> Result<()> {
    static INIT: OnceLock<bool> = OnceLock::new();
    let ok = *INIT.get_or_init(|| {
        let ok = ffmpeg::init().is_ok();
        ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Fatal);
        ok
    });
    if ok {
        Ok(())
    } else {
        Err(Error::unsupported("FFmpeg failed to initialise"))
    }
}

/// Opens `path` for demuxing; a file FFmpeg cannot parse is malformed.
pub(crate) fn open(path: &Path) -> Result<ffmpeg::format::context::Input> {
    init()?;
    ffmpeg::format::input(&path)
        .map_err(|e| Error::malformed(format!("FFmpeg cannot read the container: {e}")))
}

/// Finds the video stream to label and checks its claims against `limits`.
pub(crate) fn video_info(
    input: &ffmpeg::format::context::Input,
    limits: &Limits,
) -> Result<VideoInfo> {
    let stream = input
        .streams()
        .filter(|s| s.parameters().medium() == media::Type::Video)
        // Cover art is a still picture attached to audio, not the video.
        .filter(|s| {
            !s.disposition()
                .contains(ffmpeg::format::stream::Disposition::ATTACHED_PIC)
        })
        .max_by_key(|s| {
            let (w, h) = parameters_size(s);
            u64::from(w) * u64::from(h)
        })
        .ok_or_else(|| Error::unsupported("the file has no video stream"))?;
    let codec_id = stream.parameters().id();
    if codec_id == ffmpeg::codec::Id::None || ffmpeg::decoder::find(codec_id).is_none() {
        return Err(Error::unsupported(if codec_id == ffmpeg::codec::Id::None {
            "the video codec is unknown to FFmpeg".to_string()
        } else {
            format!(
                "no decoder for the video codec {} in this FFmpeg",
                codec_id.name()
            )
        }));
    }
    let (width, height) = parameters_size(&stream);
    if width == 0 || height == 0 {
        return Err(Error::malformed(
            "the video stream has no frame size (missing, or too large for FFmpeg to accept)",
        ));
    }
    limits.check_dimensions(width, height)?;

    let time_base = stream.time_base();
    let container_ms =
        (input.duration() > 0).then(|| u64::try_from(input.duration() / 1000).unwrap_or(0));
    let stream_ms = (stream.duration() > 0 && time_base.denominator() != 0).then(|| {
        let secs = stream.duration() as f64 * f64::from(time_base);
        (secs * 1000.0) as u64
    });
    // Matroska has no per-stream duration field; FFmpeg's muxer writes a
    // `DURATION` tag (HH:MM:SS.nnnnnnnnn) per track instead.
    let stream_ms =
        stream_ms.or_else(|| stream.metadata().get("DURATION").and_then(parse_clock_ms));
    let duration_ms = container_ms.or(stream_ms).unwrap_or(0);
    limits.check_duration_ms(duration_ms.max(stream_ms.unwrap_or(0)))?;
    let frames = u64::try_from(stream.frames()).unwrap_or(0);
    limits.check_objects(frames)?;

    let display_matrix = stream
        .side_data()
        .find(|sd| sd.kind() == SideDataType::DisplayMatrix)
        .map(|sd| sd.data().to_vec())
        .filter(|m| m.len() == 36);
    let rotation_cw = display_matrix
        .as_deref()
        .map(rotation_from_matrix)
        .or_else(|| {
            stream
                .metadata()
                .get("rotate")
                .and_then(|r| r.trim().parse::<i64>().ok())
                .map(
                    // The legacy tag is clockwise degrees.
                    |deg| u32::try_from(deg.rem_euclid(360)).unwrap_or(0),
                )
        })
        .unwrap_or(0);
    let rotation_cw = match rotation_cw {
        r @ (0 | 90 | 180 | 270) => r,
        other => {
            return Err(Error::unsupported(format!(
                "display rotation of {other} degrees (only multiples of 90 are supported)"
            )));
        }
    };
    // A legacy `rotate` tag without a matrix: write the matrix it means,
    // so the output (whose tag is dropped) still displays turned.
    let display_matrix =
        display_matrix.or_else(|| (rotation_cw != 0).then(|| matrix_for_rotation(rotation_cw)));
    let rate = stream.avg_frame_rate();
    let frame_rate = (rate.numerator() > 0 && rate.denominator() > 0).then_some(rate);
    Ok(VideoInfo {
        index: stream.index(),
        width,
        height,
        rotation_cw,
        display_matrix,
        duration_ms,
        frame_rate,
        frames,
        stream_duration_ms: stream_ms,
        time_base,
    })
}

/// `HH:MM:SS.fraction` as milliseconds.
fn parse_clock_ms(text: &str) -> Option<u64> {
    let mut parts = text.trim().splitn(3, ':');
    let h: f64 = parts.next()?.parse().ok()?;
    let m: f64 = parts.next()?.parse().ok()?;
    let s: f64 = parts.next()?.parse().ok()?;
    let ms = ((h * 60.0 + m) * 60.0 + s) * 1000.0;
    (ms.is_finite() && ms >= 0.0).then_some(ms as u64)
}

/// Width and height the stream parameters claim (read directly, so a
/// stream whose codec FFmpeg cannot decode still has a size to report).
fn parameters_size(stream: &ffmpeg::format::stream::Stream<'_>) -> (u32, u32) {
    crate::ffi::frame_size(stream)
}

/// Clockwise display rotation from an FFmpeg display matrix (nine 32-bit
/// native-endian values, 16.16 fixed point), rounded to a quarter turn.
/// Mirrors `av_display_rotation_get`, which returns the counter-clockwise angle.
pub(crate) fn rotation_from_matrix(matrix: &[u8]) -> u32 {
    let value = |i: usize| -> f64 {
        matrix
            .get(i * 4..i * 4 + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(|b| f64::from(i32::from_ne_bytes(b)) / 65536.0)
            .unwrap_or(0.0)
    };
    let scale0 = value(0).hypot(value(3));
    let scale1 = value(1).hypot(value(4));
    if scale0 == 0.0 || scale1 == 0.0 {
        return 0;
    }
    let ccw = -(value(1) / scale1).atan2(value(0) / scale0).to_degrees();
    let cw = (-ccw).rem_euclid(360.0);
    let quarter = ((cw / 90.0).round() as u32) % 4;
    quarter * 90
}

/// The FFmpeg display matrix for a clockwise display rotation (a quarter
/// turn), the inverse of [`rotation_from_matrix`].
pub(crate) fn matrix_for_rotation(rotation_cw: u32) -> Vec<u8> {
    let one = 1i32 << 16;
    let (a, b, c, d) = match rotation_cw % 360 {
        90 => (0, one, -one, 0),
        180 => (-one, 0, 0, -one),
        270 => (0, -one, one, 0),
        _ => (one, 0, 0, one),
    };
    [a, b, 0, c, d, 0, 0, 0, 1 << 30]
        .iter()
        .flat_map(|v| v.to_ne_bytes())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(a: i32, b: i32, c: i32, d: i32) -> Vec<u8> {
        [a, b, 0, c, d, 0, 0, 0, 1 << 30]
            .iter()
            .flat_map(|v| v.to_ne_bytes())
            .collect()
    }

    #[test]
    fn matroska_duration_tag() {
        assert_eq!(parse_clock_ms("00:00:03.000000000"), Some(3000));
        assert_eq!(parse_clock_ms("01:02:03.5"), Some(3_723_500));
        assert_eq!(parse_clock_ms("garbage"), None);
    }

    #[test]
    fn display_matrix_rotation() {
        let one = 1 << 16;
        assert_eq!(rotation_from_matrix(&matrix(one, 0, 0, one)), 0);
        // av_display_rotation_set takes clockwise degrees: set(-90) is 270, set(90) is 90.
        assert_eq!(rotation_from_matrix(&matrix(0, -one, one, 0)), 270);
        assert_eq!(rotation_from_matrix(&matrix(0, one, -one, 0)), 90);
        assert_eq!(rotation_from_matrix(&matrix(-one, 0, 0, -one)), 180);
        for cw in [0, 90, 180, 270] {
            assert_eq!(rotation_from_matrix(&matrix_for_rotation(cw)), cw);
        }
    }
}
