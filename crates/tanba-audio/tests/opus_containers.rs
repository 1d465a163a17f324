#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Opus (in Ogg, WebM and Matroska) and audio-only MP4/WebM/Matroska:
//! sniffed by content, labelled as audio and written back in the same
//! container and codec. Inputs are made with the ffmpeg CLI and the outputs
//! checked with ffprobe (codec, rate, layout, the programme's bitrate),
//! exiftool (the AIGC tag) and our verify. Without the `ffmpeg` feature
//! Opus and Matroska are refused with a typed error.

mod common;

use std::fs::File;
use std::path::Path;

use common::ffmpeg;
use tanba_audio::AudioLabeler;
#[cfg(feature = "ffmpeg")]
use tanba_core::{Error, Limits, Verification};
use tanba_core::{Job, Labeler, Labelled, Source, read_head};

/// `secs` of a 440 Hz tone over pink noise at 48 kHz in `layout`, coded
/// with `codec`, titled. 5.1 gets sound in every channel (an upmix would
/// leave the back ones silent).
fn make(path: &Path, layout: &str, secs: u32, codec: &[&str]) {
    let graph = match layout {
        "5.1" => "[0][1]amix=inputs=2,aformat=channel_layouts=stereo,\
                  pan=5.1|FL=c0|FR=c1|FC=0.5*c0+0.5*c1|LFE=0.3*c0|BL=c1|BR=c0"
            .to_string(),
        _ => format!("[0][1]amix=inputs=2,aformat=channel_layouts={layout}"),
    };
    let tone = format!("sine=frequency=440:sample_rate=48000:duration={secs}");
    let noise = format!("anoisesrc=d={secs}:c=pink:a=0.2:r=48000:seed=7");
    let mut args = vec!["-f", "lavfi", "-i", &tone, "-f", "lavfi", "-i", &noise];
    args.extend(["-filter_complex", &graph, "-metadata", "title=Test title"]);
    args.extend_from_slice(codec);
    args.push(path.to_str().unwrap());
    ffmpeg(&args);
}

/// The format the labeler's own sniff gives, with the path (as the
/// registry asks it).
fn sniffed(path: &Path) -> Option<&'static tanba_core::Format> {
    let head = read_head(&mut File::open(path).unwrap()).unwrap();
    AudioLabeler::default().sniff(&head, Some(path))
}

fn label(input: &Path, output: &Path) -> tanba_core::Result<Labelled> {
    let format = sniffed(input).expect("sniffed as audio");
    let mut reader = File::open(input).unwrap();
    let len = reader.metadata().unwrap().len();
    let mut out = File::create(output).unwrap();
    let source = Source {
        reader: &mut reader,
        format,
        path: Some(input),
        len,
    };
    AudioLabeler::default().label(source, &mut out, &Job::default())
}

#[cfg(feature = "ffmpeg")]
fn verify(path: &Path) -> Verification {
    let format = sniffed(path).expect("output sniffed as audio");
    let mut reader = File::open(path).unwrap();
    let len = reader.metadata().unwrap().len();
    let source = Source {
        reader: &mut reader,
        format,
        path: Some(path),
        len,
    };
    AudioLabeler::default()
        .verify(source, &Limits::default())
        .unwrap()
}

/// ffprobe's first audio stream: codec, rate, channels, layout.
#[cfg(feature = "ffmpeg")]
fn stream(path: &Path) -> (String, String, u64, String) {
    let v = common::ffprobe(path);
    let s = &v["streams"][0];
    (
        s["codec_name"].as_str().unwrap().to_string(),
        s["sample_rate"].as_str().unwrap().to_string(),
        s["channels"].as_u64().unwrap(),
        s["channel_layout"].as_str().unwrap_or_default().to_string(),
    )
}

/// Bit/s of the audio packets from `from` seconds on, by ffprobe.
#[cfg(feature = "ffmpeg")]
fn packet_bitrate(path: &Path, from: f64) -> f64 {
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a:0"])
        .args(["-show_entries", "packet=pts_time,size", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap();
    let (mut bytes, mut first, mut last) = (0u64, f64::MAX, 0f64);
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut cells = line.split(',');
        let (Some(t), Some(size)) = (cells.next(), cells.next()) else {
            continue;
        };
        let (Ok(t), Ok(size)) = (t.parse::<f64>(), size.parse::<u64>()) else {
            continue;
        };
        if t >= from {
            bytes += size;
            first = first.min(t);
            last = last.max(t);
        }
    }
    bytes as f64 * 8.0 / (last - first)
}

#[cfg(feature = "ffmpeg")]
/// RMS level of each channel, dB, from `from` seconds for 3 s, by ffmpeg's
/// astats.
#[cfg(feature = "ffmpeg")]
fn channel_rms(path: &Path, from: f64) -> Vec<f64> {
    let out = std::process::Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-nostats",
            "-ss",
            &format!("{from}"),
            "-t",
            "3",
            "-i",
        ])
        .arg(path)
        .args([
            "-af",
            "astats=measure_overall=none:measure_perchannel=RMS_level",
        ])
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| l.split("RMS level dB: ").nth(1))
        .map(|v| v.trim().parse::<f64>().unwrap_or(f64::NEG_INFINITY))
        .collect()
}

#[cfg(feature = "ffmpeg")]
struct Case {
    file: &'static str,
    layout: &'static str,
    codec: &'static [&'static str],
    format: &'static str,
    codec_name: &'static str,
}

#[cfg(feature = "ffmpeg")]
const CASES: [Case; 8] = [
    Case {
        file: "voice.opus",
        layout: "mono",
        codec: &["-c:a", "libopus", "-b:a", "32k"],
        format: "opus",
        codec_name: "opus",
    },
    Case {
        file: "music.ogg",
        layout: "stereo",
        codec: &["-c:a", "libopus", "-b:a", "96k"],
        format: "opus",
        codec_name: "opus",
    },
    Case {
        file: "surround.opus",
        layout: "5.1",
        codec: &["-c:a", "libopus", "-b:a", "192k", "-mapping_family", "1"],
        format: "opus",
        codec_name: "opus",
    },
    Case {
        file: "tts.webm",
        layout: "stereo",
        codec: &["-c:a", "libopus", "-b:a", "64k"],
        format: "weba",
        codec_name: "opus",
    },
    Case {
        file: "vorbis.webm",
        layout: "stereo",
        codec: &["-c:a", "libvorbis", "-b:a", "112k"],
        format: "weba",
        codec_name: "vorbis",
    },
    Case {
        file: "opus.mkv",
        layout: "stereo",
        codec: &["-c:a", "libopus", "-b:a", "64k"],
        format: "mka",
        codec_name: "opus",
    },
    // moov after mdat (ffmpeg's default): only the bounded read of the
    // file finds the track list.
    Case {
        file: "podcast.mp4",
        layout: "stereo",
        codec: &["-c:a", "aac", "-b:a", "128k"],
        format: "m4a",
        codec_name: "aac",
    },
    Case {
        file: "fast.mp4",
        layout: "mono",
        codec: &["-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart"],
        format: "m4a",
        codec_name: "aac",
    },
];

#[cfg(feature = "ffmpeg")]
#[test]
fn opus_and_audio_only_containers_keep_codec_layout_bitrate_and_carry_the_marks() {
    let dir = tempfile::tempdir().unwrap();
    for case in &CASES {
        let name = case.file;
        let input = dir.path().join(name);
        make(&input, case.layout, 6, case.codec);
        assert_eq!(sniffed(&input).map(|f| f.name), Some(case.format), "{name}");
        let output = dir.path().join(format!("out-{name}"));
        let labelled = label(&input, &output).unwrap();
        assert_eq!(labelled.format.name, case.format, "{name}");
        assert!(
            labelled.notes.iter().any(|n| n.starts_with("re-encoded")),
            "{name}: {:?}",
            labelled.notes
        );

        if name.ends_with(".mp4") {
            assert!(
                labelled
                    .notes
                    .iter()
                    .any(|n| n.contains("brand `isom` became `M4A `")),
                "{name}: {:?}",
                labelled.notes
            );
        }
        if case.codec_name == "vorbis" {
            // The nominal bitrate of the Vorbis header in CodecPrivate (what
            // the encoder was asked for), not the packets' lower average.
            assert!(
                labelled
                    .notes
                    .iter()
                    .any(|n| n.contains("libvorbis at 112 kb/s")),
                "{name}: {:?}",
                labelled.notes
            );
        }
        let (pin, pout) = (stream(&input), stream(&output));
        assert_eq!(pout.0, case.codec_name, "{name}");
        assert_eq!(pout, pin, "{name}: codec, rate, channels, layout");
        // The programme (after the disclaimer and its gap) at the source's
        // bitrate; the clean spoken clip costs libopus more bits, as it
        // does through the ffmpeg CLI.
        let [_, clip] = labelled.manifest.label.placement.span.unwrap();
        let (a, b) = (
            packet_bitrate(&input, 0.0),
            packet_bitrate(&output, clip + 1.0),
        );
        assert!((b / a - 1.0).abs() < 0.15, "{name}: bitrate {b} vs {a}");
        // Every channel keeps its sound (FFmpeg's planar decode once gave
        // silence past the first channel).
        let (rin, rout) = (channel_rms(&input, 1.0), channel_rms(&output, clip + 1.5));
        assert_eq!(rin.len(), rout.len(), "{name}");
        for (ch, (x, y)) in rin.iter().zip(&rout).enumerate() {
            assert!(
                (x - y).abs() < 1.5,
                "{name}: channel {ch} at {y} dB, input {x} dB"
            );
        }

        let tags = common::exiftool(&output);
        assert!(
            tags.lines().any(|l| l.to_ascii_uppercase().contains("AIGC")
                && l.contains(r#"{"AIGC":{"Label":"1""#)),
            "{name}: no AIGC tag in\n{tags}"
        );
        assert!(tags.contains("Test title"), "{name}: title lost\n{tags}");

        let v = verify(&output);
        assert!(
            v.is_compliant(),
            "{name}: {:?} {:?}",
            v.marks,
            v.perceptible
        );
        assert_eq!(v.manifest.as_ref().unwrap().id, labelled.manifest.id);
        let plain = verify(&input);
        assert!(plain.marks.is_empty() && !plain.is_compliant(), "{name}");
        let again = dir.path().join(format!("again-{name}"));
        let e = label(&output, &again).unwrap_err();
        assert!(matches!(e, Error::AlreadyLabelled { .. }), "{name}: {e:?}");
    }
}

/// A file with a video track stays the video labeler's (or, for Ogg with
/// Theora, nobody's), whether the track list is in the head or only in the
/// file.
#[test]
fn containers_with_video_are_not_audio() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["clip.mp4", "clip.webm", "clip.mkv", "clip.ogg"] {
        let path = dir.path().join(name);
        let codec: &[&str] = match name {
            "clip.webm" => &["-c:v", "libvpx-vp9", "-c:a", "libopus"],
            // Theora with Opus: the OpusHead page is in the head too.
            "clip.ogg" => &["-c:v", "libtheora", "-c:a", "libopus"],
            _ => &["-c:v", "libx264", "-c:a", "aac"],
        };
        let mut args = vec!["-f", "lavfi", "-i", "testsrc=size=64x64:rate=5:duration=1"];
        args.extend(["-f", "lavfi", "-i", "sine=duration=1:sample_rate=48000"]);
        args.extend_from_slice(codec);
        args.push(path.to_str().unwrap());
        ffmpeg(&args);
        assert_eq!(sniffed(&path), None, "{name}");
    }
    // Audio only, but no path and the track list past the head: unknown,
    // so left to the video labeler (which says it has no video stream).
    let podcast = dir.path().join("podcast.mp4");
    make(&podcast, "stereo", 4, &["-c:a", "aac"]);
    let head = read_head(&mut File::open(&podcast).unwrap()).unwrap();
    assert_eq!(tanba_audio::sniff(&head), None);
    assert_eq!(sniffed(&podcast).map(|f| f.name), Some("m4a"));
}

/// Without FFmpeg, Opus and Matroska are refused with a typed error that
/// says what the build lacks; nothing is written.
#[cfg(not(feature = "ffmpeg"))]
#[test]
fn without_ffmpeg_opus_and_webm_are_refused_as_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["voice.opus", "tts.webm"] {
        let input = dir.path().join(name);
        make(&input, "mono", 2, &["-c:a", "libopus"]);
        let output = dir.path().join(format!("out-{name}"));
        let e = label(&input, &output).unwrap_err();
        assert_eq!(e.kind_name(), "unsupported", "{name}: {e}");
        assert!(e.to_string().contains("FFmpeg"), "{name}: {e}");
        assert_eq!(std::fs::metadata(&output).unwrap().len(), 0, "{name}");
    }
}
