//! Which encoder re-encodes the video, at what quality (see the README's
//! table), and the encoder options carried over from the input (threads,
//! x265's HDR10 parameters).

use ffmpeg::Dictionary;
use ffmpeg::codec::{self, threading};
use ffmpeg_next as ffmpeg;

use tanba_core::{Error, Result};

use crate::VideoSettings;
use crate::probe::Container;

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
            let codec = input_codec.name();
            note = Some(format!("no encoder for {codec}: re-encoded as H.264"));
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

pub(crate) fn threading_config(threads: usize) -> threading::Config {
    threading::Config {
        kind: threading::Type::Frame,
        count: threads,
        ..Default::default()
    }
}

/// x265's `master-display`/`max-cll` parameters from a stream's HDR side
/// data (FFmpeg's AVMasteringDisplayMetadata: R, G, B primaries and the
/// white point as x/y rationals, then min and max luminance, then two
/// flags; AVContentLightMetadata: MaxCLL, MaxFALL).
pub(crate) fn x265_hdr_params(stream: &ffmpeg::Stream<'_>) -> Option<String> {
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
