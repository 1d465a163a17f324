#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Labelling real clips made with the ffmpeg CLI at test time, checked with
//! ffprobe, exiftool and our own verify.

mod common;

use std::path::Path;

use common::*;
use tanba_core::{Error, Job, MarkKind};
use tanba_video::{VideoLabeler, VideoSettings};

/// What every labelled file must keep from its input.
fn assert_kept(input: &Path, output: &Path, codec: &str) {
    let (vi, vo) = (stream(input, "video"), stream(output, "video"));
    assert_eq!(vo["codec_name"], codec, "video codec family");
    assert_eq!(vo["width"], vi["width"]);
    assert_eq!(vo["height"], vi["height"]);
    assert_eq!(vo["pix_fmt"], vi["pix_fmt"]);
    for key in [
        "color_range",
        "color_space",
        "color_transfer",
        "color_primaries",
    ] {
        assert_eq!(vo[key], vi[key], "{key}");
    }
    assert!(
        (ratio(&vo["avg_frame_rate"]) - ratio(&vi["avg_frame_rate"])).abs() < 0.01,
        "frame rate {} -> {}",
        vi["avg_frame_rate"],
        vo["avg_frame_rate"]
    );
    assert_eq!(frame_count(output), frame_count(input), "frame count");
    // Timestamps: the same, frame for frame. WebM with Opus shifts every
    // stream by the Opus codec delay on each remux (FFmpeg 5.1 does the
    // same with `-c copy`), so there the times are compared from the first.
    let (ti, to) = (frame_times(input), frame_times(output));
    assert_eq!(ti.len(), to.len());
    let shift = if codec == "vp9" { to[0] - ti[0] } else { 0.0 };
    assert!(shift.abs() < 0.01, "start moved by {shift} s");
    for (a, b) in ti.iter().zip(&to) {
        assert!((a + shift - b).abs() < 0.002, "frame time {a} -> {b}");
    }
    // Every other stream is there, in order, and copied packet for packet.
    let (si, so) = (streams(input), streams(output));
    let kinds = |s: &[serde_json::Value]| -> Vec<String> {
        s.iter()
            .map(|s| format!("{}:{}", s["codec_type"], s["codec_name"]))
            .collect()
    };
    assert_eq!(kinds(&so)[1..], kinds(&si)[1..], "streams kept");
    for s in si.iter().filter(|s| s["codec_type"] != "video") {
        let map = format!("0:{}", s["index"]);
        assert_eq!(
            packet_md5(output, &map),
            packet_md5(input, &map),
            "stream {map} ({}) copied untouched",
            s["codec_type"]
        );
    }
}

/// An MP4 with a 3 s H.264 + AAC clip and a mov_text subtitle track.
fn mp4_with_subtitles(dir: &Path) -> std::path::PathBuf {
    let plain = make_mp4(dir, "plain.mp4", "3");
    let srt = make_srt(dir);
    let input = dir.join("in.mp4");
    ffmpeg(&[
        "-i",
        plain.to_str().unwrap(),
        "-i",
        srt.to_str().unwrap(),
        "-map",
        "0",
        "-map",
        "1",
        "-c",
        "copy",
        "-c:s",
        "mov_text",
        input.to_str().unwrap(),
    ]);
    input
}

#[test]
fn mp4_keeps_streams_and_carries_marks() {
    let dir = tempfile::tempdir().unwrap();
    let input = mp4_with_subtitles(dir.path());
    let output = dir.path().join("out.mp4");
    let done = label(&input, &output);
    assert_eq!(done.format.name, "mp4");
    assert!(
        done.notes.iter().any(|n| n.contains("libx264")),
        "{:?}",
        done.notes
    );
    assert_kept(&input, &output, "h264");
    assert_eq!(
        stream(&output, "video")["color_range"],
        stream(&input, "video")["color_range"]
    );

    // ffprobe sees the AIGC key in moov/udta/meta.
    let format = ffprobe(&output, &["-show_format"]);
    let aigc: serde_json::Value =
        serde_json::from_str(format["format"]["tags"]["AIGC"].as_str().unwrap()).unwrap();
    assert_eq!(aigc["AIGC"]["Label"], "1");
    // exiftool sees the same key and the XMP uuid box.
    let exif = exiftool(&output);
    assert!(
        exif["Keys:AIGC"]
            .as_str()
            .unwrap()
            .contains("\"Label\":\"1\"")
    );
    assert_eq!(
        exif["XMP-iptcExt:DigitalSourceType"],
        "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
    );
    assert!(
        exif["XMP-TC260:Aigc"]
            .as_str()
            .unwrap()
            .contains("ProduceID")
    );

    // The badge: on a late frame (after the 2.5 s notice) only the corner
    // badge differs from the input, at the bottom right, with its text at
    // least 5% of the shorter side.
    let [x0, y0, x1, y1] = changed_box(&input, &output, 70).unwrap();
    assert!(
        y0 > 120 && x1 > 280 && y1 > 200 && x1 < 320 && y1 < 240,
        "corner badge at {x0},{y0}..{x1},{y1}"
    );
    let placement = &done.manifest.label.placement;
    assert!(placement.text_size.unwrap() >= 0.05 * 240.0);
    // On an opening frame the notice spans the top edge.
    let [nx0, ny0, nx1, _] = changed_box(&input, &output, 5).unwrap();
    assert!(ny0 < 5 && nx1 - nx0 > 250, "notice at {nx0},{ny0}..{nx1}");

    let v = verify(&output).unwrap();
    assert!(v.is_compliant(), "{v:?}");
    assert!(v.perceptible.score.unwrap() > 0.8, "{:?}", v.perceptible);
    for kind in [MarkKind::Aigc, MarkKind::Xmp, MarkKind::Manifest] {
        assert!(
            v.marks.iter().any(|m| m.kind == kind),
            "{kind:?} in {:?}",
            v.marks
        );
    }
    let v = verify(&input).unwrap();
    assert!(!v.is_compliant() && v.marks.is_empty(), "{v:?}");

    // The marks copied onto the unlabelled pictures: verify reads them but
    // finds no badge in the frames.
    let forged = dir.path().join("forged.mp4");
    ffmpeg(&[
        "-i",
        input.to_str().unwrap(),
        "-i",
        output.to_str().unwrap(),
        "-map",
        "0",
        "-map_metadata",
        "1",
        "-c",
        "copy",
        "-movflags",
        "use_metadata_tags",
        forged.to_str().unwrap(),
    ]);
    let v = verify(&forged).unwrap();
    assert!(v.has_machine_mark() && v.manifest.is_some(), "{v:?}");
    assert!(
        !v.perceptible.found && !v.is_compliant(),
        "{:?}",
        v.perceptible
    );
    assert!(v.perceptible.score.unwrap() < 0.3, "{:?}", v.perceptible);
}

/// The settings x264 writes into its own stream: what FFmpeg would give,
/// closed GOPs included (MP4 asks the encoder for global headers, which
/// once cleared libx264's closed-GOP default).
#[test]
fn h264_is_encoded_with_closed_gops_as_ffmpeg_does() {
    let dir = tempfile::tempdir().unwrap();
    let input = make_mp4(dir.path(), "in.mp4", "1");
    let output = dir.path().join("out.mp4");
    // x264 states its GOP kind only where B-frames are on, which the
    // tests' ultrafast preset turns off.
    let labeler = VideoLabeler::new(VideoSettings {
        preset: Some("veryfast".into()),
        threads: 2,
        ..VideoSettings::default()
    });
    label_with(&labeler, &input, &output, &Job::default()).unwrap();
    let bytes = std::fs::read(&output).unwrap();
    let sei = b"x264 - core";
    let at = bytes
        .windows(sei.len())
        .position(|w| w == sei)
        .expect("x264's settings SEI");
    let end = bytes[at..]
        .iter()
        .position(|&b| b == 0)
        .map_or(bytes.len(), |n| at + n);
    let options = String::from_utf8_lossy(&bytes[at..end]);
    assert!(options.contains(" open_gop=0 "), "{options}");
}

#[test]
fn labelling_twice_needs_force() {
    let dir = tempfile::tempdir().unwrap();
    let input = make_mp4(dir.path(), "in.mp4", "1");
    let once = dir.path().join("once.mp4");
    label(&input, &once);
    let twice = dir.path().join("twice.mp4");
    let err = label_with(&labeler(), &once, &twice, &Job::default()).unwrap_err();
    assert!(matches!(err, Error::AlreadyLabelled { .. }), "{err}");
    let job = Job::new().with_force(true);
    label_with(&labeler(), &once, &twice, &job).unwrap();
    let v = verify(&twice).unwrap();
    assert!(v.is_compliant(), "{v:?}");

    // Another tool's AIGC key alone (no Tanba manifest, no visible label):
    // labelled, and the key replaced by ours.
    let foreign = dir.path().join("foreign.mp4");
    ffmpeg(&[
        "-i",
        input.to_str().unwrap(),
        "-c",
        "copy",
        "-metadata",
        "AIGC={\"AIGC\":{\"Label\":\"1\",\"ContentProducer\":\"other\"}}",
        "-movflags",
        "use_metadata_tags",
        foreign.to_str().unwrap(),
    ]);
    let out = dir.path().join("foreign-out.mp4");
    let done = label_with(&labeler(), &foreign, &out, &Job::default()).unwrap();
    assert!(
        done.notes
            .iter()
            .any(|n| n.contains("AIGC key was replaced")),
        "{:?}",
        done.notes
    );
    let tags = &ffprobe(&out, &["-show_format"])["format"]["tags"];
    assert!(!tags["AIGC"].as_str().unwrap().contains("other"), "{tags}");
}

#[test]
fn rotated_phone_clip_gets_an_upright_badge() {
    let dir = tempfile::tempdir().unwrap();
    let plain = make_mp4(dir.path(), "plain.mp4", "3");
    let input = dir.path().join("phone.mov");
    // The legacy rotate tag; FFmpeg writes it as the track's display matrix.
    ffmpeg(&[
        "-i",
        plain.to_str().unwrap(),
        "-c",
        "copy",
        "-metadata:s:v:0",
        "rotate=90",
        input.to_str().unwrap(),
    ]);
    let rotation = |p: &Path| stream(p, "video")["side_data_list"][0]["rotation"].as_i64();
    assert!(rotation(&input).is_some());
    let output = dir.path().join("out.mov");
    let done = label(&input, &output);
    assert_eq!(done.format.name, "mov");
    assert_eq!(rotation(&output), rotation(&input), "display rotation kept");
    assert_kept(&input, &output, "h264");

    // As displayed (240x320 portrait), the badge is in the bottom-right
    // corner and wider than tall, i.e. its text runs upright.
    let (w, h, _) = grey_frame(&output, 70);
    assert_eq!((w, h), (240, 320));
    let [x0, y0, x1, y1] = changed_box(&input, &output, 70).unwrap();
    assert!(
        x0 > 0 && y0 > 160 && x1 < 240 && y1 < 320,
        "badge at {x0},{y0}..{x1},{y1}"
    );
    assert!(
        x1 - x0 > y1 - y0,
        "badge {x0},{y0}..{x1},{y1} is not upright"
    );
    let [_, ny0, _, ny1] = changed_box(&input, &output, 5).unwrap();
    assert!(
        ny0 < 5 && ny1 > 20,
        "notice rows {ny0}..{ny1} on the displayed top edge"
    );
    assert_eq!(done.manifest.label.placement.rotation, Some(270));
    assert!(verify(&output).unwrap().is_compliant());
}

#[test]
fn matroska_h264_with_subtitles_and_tags() {
    let dir = tempfile::tempdir().unwrap();
    let plain = make_mp4(dir.path(), "plain.mp4", "3");
    let srt = make_srt(dir.path());
    let chapters = dir.path().join("chapters.txt");
    std::fs::write(
        &chapters,
        ";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1500\ntitle=Бірінші\n\
         [CHAPTER]\nTIMEBASE=1/1000\nSTART=1500\nEND=3000\ntitle=Second\n",
    )
    .unwrap();
    let font = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tanba-core/fonts/NotoSans-Bold.ttf");
    let input = dir.path().join("in.mkv");
    ffmpeg(&[
        "-i",
        plain.to_str().unwrap(),
        "-i",
        srt.to_str().unwrap(),
        "-i",
        chapters.to_str().unwrap(),
        "-map",
        "0",
        "-map",
        "1",
        "-map_chapters",
        "2",
        "-c",
        "copy",
        // A font attachment, as ASS subtitles carry.
        "-attach",
        font.to_str().unwrap(),
        "-metadata:s:t",
        "mimetype=font/ttf",
        "-metadata",
        "title=Kept title",
        input.to_str().unwrap(),
    ]);
    let output = dir.path().join("out.mkv");
    let done = label(&input, &output);
    assert_eq!(done.format.name, "mkv");
    assert_kept(&input, &output, "h264");
    let tags = &ffprobe(&output, &["-show_format"])["format"]["tags"];
    assert!(
        tags["AIGC"].as_str().unwrap().contains("\"Label\":\"1\""),
        "{tags}"
    );
    assert!(tags["TANBA_MANIFEST"].is_string());
    assert_eq!(tags["title"], "Kept title");
    let titles = |p: &Path| -> Vec<String> {
        ffprobe(p, &["-show_chapters"])["chapters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                format!(
                    "{} {} {}",
                    c["start_time"], c["end_time"], c["tags"]["title"]
                )
            })
            .collect()
    };
    assert_eq!(titles(&output), titles(&input));
    assert_eq!(titles(&output).len(), 2);
    // The attachment comes out byte for byte.
    let dumped = dir.path().join("font.ttf");
    let _ = std::process::Command::new("ffmpeg")
        .args(["-v", "quiet", "-dump_attachment:t:0"])
        .arg(&dumped)
        .arg("-i")
        .arg(&output)
        .output()
        .unwrap();
    assert_eq!(
        std::fs::read(&dumped).unwrap(),
        std::fs::read(&font).unwrap()
    );
    assert!(verify(&output).unwrap().is_compliant());
    assert!(!verify(&input).unwrap().is_compliant());
}

#[test]
fn webm_vp9_stays_vp9() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.webm");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=24:duration=1",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000:duration=1",
        "-pix_fmt",
        "yuv420p",
        "-c:v",
        "libvpx-vp9",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-b:v",
        "300k",
        "-c:a",
        "libopus",
        "-shortest",
        input.to_str().unwrap(),
    ]);
    let output = dir.path().join("out.webm");
    let labeler = tanba_video::VideoLabeler::new(tanba_video::VideoSettings {
        preset: Some("8".into()),
        threads: 2,
        ..Default::default()
    });
    let done = label_with(&labeler, &input, &output, &Job::default()).unwrap();
    assert_eq!(done.format.name, "webm");
    assert!(
        done.notes.iter().any(|n| n.contains("libvpx-vp9")),
        "{:?}",
        done.notes
    );
    assert_kept(&input, &output, "vp9");
    let tags = &ffprobe(&output, &["-show_format"])["format"]["tags"];
    assert!(
        tags["AIGC"].as_str().unwrap().contains("\"Label\":\"1\""),
        "{tags}"
    );
    assert!(verify(&output).unwrap().is_compliant());
}

#[test]
fn hevc_stays_hevc() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=25:duration=1",
        // 10-bit: the blend writes 16-bit samples.
        "-pix_fmt",
        "yuv420p10le",
        "-c:v",
        "libx265",
        "-preset",
        "ultrafast",
        "-x265-params",
        "log-level=error",
        "-tag:v",
        "hvc1",
        input.to_str().unwrap(),
    ]);
    let output = dir.path().join("out.mp4");
    let done = label(&input, &output);
    assert!(
        done.notes.iter().any(|n| n.contains("libx265")),
        "{:?}",
        done.notes
    );
    assert_kept(&input, &output, "hevc");
    assert_eq!(stream(&output, "video")["codec_tag_string"], "hvc1");
    assert!(verify(&output).unwrap().is_compliant());
}

#[test]
fn variable_frame_rate_keeps_every_timestamp() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("vfr.mkv");
    // Drop frames irregularly: 0-9 all, then every third one.
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=25:duration=3",
        "-vf",
        "select='lt(n\\,10)+not(mod(n\\,3))'",
        "-vsync",
        "vfr",
        "-pix_fmt",
        "yuv420p",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        input.to_str().unwrap(),
    ]);
    let times = frame_times(&input);
    let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps.iter().any(|g| *g < 0.05) && gaps.iter().any(|g| *g > 0.1),
        "input is not VFR: {gaps:?}"
    );
    let output = dir.path().join("out.mkv");
    label(&input, &output);
    // assert_kept compares every frame's time.
    assert_kept(&input, &output, "h264");
    assert!(verify(&output).unwrap().is_compliant());
}

#[test]
fn committed_fixture_labels_from_memory() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/video/sample.mp4");
    let bytes = std::fs::read(&fixture).unwrap();
    assert!(bytes.len() < 300 * 1024);
    let head = &bytes[..bytes.len().min(tanba_core::SNIFF_LEN)];
    let format = tanba_video::sniff(head).unwrap();
    assert_eq!(format.name, "mp4");
    // No path: the labeler spools the bytes to a temporary file for FFmpeg.
    let mut reader = std::io::Cursor::new(bytes.clone());
    let mut out = std::io::Cursor::new(Vec::new());
    let done = tanba_core::Labeler::label(
        &labeler(),
        tanba_core::Source {
            reader: &mut reader,
            format,
            path: None,
            len: bytes.len() as u64,
        },
        &mut out,
        &Job::default(),
    )
    .unwrap();
    assert_eq!(done.manifest.media_type, "video/mp4");
    assert!(!done.manifest.source_sha256.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("sample.mp4");
    std::fs::write(&output, out.into_inner()).unwrap();
    assert_kept(&fixture, &output, "h264");
    assert!(verify(&output).unwrap().is_compliant());
    // The fixture is web-optimised (moov before mdat); so is its label,
    // with the XMP box after both.
    let order = |p: &Path| {
        let boxes = top_level_boxes(p);
        let at = |k: &str| boxes.iter().position(|b| b == k).unwrap();
        (at("moov") < at("mdat"), boxes.last().cloned().unwrap())
    };
    assert!(order(&fixture).0);
    assert_eq!(order(&output), (true, "uuid".to_string()));
}

#[test]
fn corner_only_and_notice_only() {
    let dir = tempfile::tempdir().unwrap();
    let input = make_mp4(dir.path(), "in.mp4", "3");
    let with = |settings: tanba_video::VideoSettings, name: &str| {
        let output = dir.path().join(name);
        let labeler = tanba_video::VideoLabeler::new(tanba_video::VideoSettings {
            preset: Some("ultrafast".into()),
            threads: 2,
            ..settings
        });
        let done = label_with(&labeler, &input, &output, &Job::default()).unwrap();
        let v = verify(&output).unwrap();
        assert!(v.is_compliant(), "{name}: {v:?}");
        (output, done)
    };
    // Corner only: the opening frames are untouched at the top.
    let (corner, _) = with(
        tanba_video::VideoSettings {
            notice_seconds: None,
            ..Default::default()
        },
        "corner.mp4",
    );
    let [_, y0, _, _] = changed_box(&input, &corner, 5).unwrap();
    assert!(y0 > 120, "corner-only changed rows from {y0}");
    // Notice only: shown for its span, gone after it.
    let (notice, done) = with(
        tanba_video::VideoSettings {
            corner_badge: false,
            notice_seconds: Some(2.0),
            ..Default::default()
        },
        "notice.mp4",
    );
    assert_eq!(done.manifest.label.placement.span, Some([0.0, 2.0]));
    assert!(
        changed_box(&input, &notice, 49).is_some(),
        "notice at 1.96 s"
    );
    assert!(
        changed_box(&input, &notice, 50).is_none(),
        "notice at 2.0 s"
    );
}

#[cfg(feature = "audible")]
#[test]
fn audible_label_reencodes_only_the_default_audio_stream() {
    let dir = tempfile::tempdir().unwrap();
    let plain = make_mp4(dir.path(), "plain.mp4", "3");
    let input = dir.path().join("two-audio.mkv");
    // A second audio track (commentary) that must stay untouched.
    ffmpeg(&[
        "-i",
        plain.to_str().unwrap(),
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=300:sample_rate=48000:duration=3",
        "-map",
        "0",
        "-map",
        "1",
        "-c:v",
        "copy",
        "-c:a:0",
        "copy",
        "-c:a:1",
        "libopus",
        input.to_str().unwrap(),
    ]);
    let output = dir.path().join("out.mkv");
    let labeler = tanba_video::VideoLabeler::new(tanba_video::VideoSettings {
        audible: true,
        preset: Some("ultrafast".into()),
        threads: 2,
        ..Default::default()
    });
    let done = label_with(&labeler, &input, &output, &Job::default()).unwrap();
    eprintln!("{:?}", done.notes);
    assert!(
        done.notes.iter().any(|n| n.contains("spoken disclaimer")),
        "{:?}",
        done.notes
    );
    let si = streams(&input);
    let so = streams(&output);
    assert_eq!(so.len(), si.len());
    assert_eq!(so[1]["codec_name"], "aac");
    assert_eq!(so[1]["sample_rate"], si[1]["sample_rate"]);
    assert_eq!(so[1]["channels"], si[1]["channels"]);
    assert_ne!(packet_md5(&output, "0:1"), packet_md5(&input, "0:1"));
    assert_eq!(packet_md5(&output, "0:2"), packet_md5(&input, "0:2"));
    assert_eq!(frame_count(&output), frame_count(&input));
    // The manifest says where the disclaimer is heard, and verify finds it.
    let heard = done
        .manifest
        .label
        .audible
        .clone()
        .expect("audible placement");
    assert_eq!(heard.position, "overlay");
    assert_eq!(heard.stream, Some(1));
    let [start, seconds] = heard.span.unwrap();
    assert!((0.0..0.5).contains(&start), "{start}");
    assert!((1.0..10.0).contains(&seconds), "{seconds}");
    let v = verify(&output).unwrap();
    assert!(v.is_compliant(), "{v:?}");
    assert!(
        v.perceptible
            .detail
            .contains("soundtrack: spoken disclaimer"),
        "{}",
        v.perceptible.detail
    );
    assert_eq!(v.manifest.unwrap().label.audible, Some(heard));

    // The original soundtrack put back under the same marks: the badge is
    // there, the disclaimer is not, and verify says so.
    let swapped = dir.path().join("swapped.mkv");
    ffmpeg(&[
        "-i",
        output.to_str().unwrap(),
        "-i",
        input.to_str().unwrap(),
        "-map",
        "0:v",
        "-map",
        "1:a:0",
        "-map",
        "0:a:1",
        "-c",
        "copy",
        "-map_metadata",
        "0",
        swapped.to_str().unwrap(),
    ]);
    let v = verify(&swapped).unwrap();
    assert!(v.has_machine_mark());
    assert!(!v.perceptible.found, "{v:?}");
    assert!(
        v.perceptible.detail.contains("corner badge")
            && v.perceptible.detail.contains("soundtrack: ")
            && v.perceptible.detail.contains("cut off"),
        "{}",
        v.perceptible.detail
    );
}

/// The second channel of `path`'s audio, decoded by ffmpeg as 16-bit.
#[cfg(feature = "audible")]
fn right_channel(path: &Path) -> Vec<i16> {
    let out = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-map", "0:a:0", "-af", "pan=mono|c0=c1", "-f", "s16le", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

#[cfg(feature = "audible")]
#[test]
fn audible_label_on_stereo_aac_reaches_every_channel() {
    // AAC is planar (fltp): every channel but the first lives in its own
    // plane, which ffmpeg-next's `data_mut` gives as empty.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("stereo.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25:duration=3",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000:duration=3",
        "-filter_complex",
        "[1:a]pan=stereo|c0=c0|c1=0.5*c0[a]",
        "-map",
        "0:v",
        "-map",
        "[a]",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-c:a",
        "aac",
        input.to_str().unwrap(),
    ]);
    let output = dir.path().join("out.mp4");
    let labeler = tanba_video::VideoLabeler::new(tanba_video::VideoSettings {
        audible: true,
        preset: Some("ultrafast".into()),
        threads: 2,
        ..Default::default()
    });
    label_with(&labeler, &input, &output, &Job::default()).unwrap();
    let audio = stream(&output, "audio");
    assert_eq!(audio["codec_name"], "aac");
    assert_eq!(audio["channels"], 2);
    // Over the disclaimer's first second the right channel is no longer the
    // plain sine: the disclaimer is mixed into it too.
    let (before, after) = (right_channel(&input), right_channel(&output));
    let n = 48_000.min(before.len()).min(after.len());
    let diff = before[..n]
        .iter()
        .zip(&after[..n])
        .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
        .sum::<f64>()
        / n as f64;
    assert!(
        diff.sqrt() > 300.0,
        "right channel unchanged: rms diff {}",
        diff.sqrt()
    );
    assert!(verify(&output).unwrap().is_compliant());
}

#[test]
fn other_pixel_formats_are_blended_in_place() {
    let dir = tempfile::tempdir().unwrap();
    // 4:4:4, full-range 4:2:0, and 10-bit 4:2:2: each kept as it is.
    for pix_fmt in ["yuv444p", "yuvj420p", "yuv422p10le"] {
        let input = dir.path().join(format!("{pix_fmt}.mkv"));
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=25:duration=1",
            "-pix_fmt",
            pix_fmt,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            input.to_str().unwrap(),
        ]);
        let output = dir.path().join(format!("{pix_fmt}-out.mkv"));
        let done = label(&input, &output);
        assert!(
            !done.notes.iter().any(|n| n.contains("converted")),
            "{pix_fmt}: {:?}",
            done.notes
        );
        assert_kept(&input, &output, "h264");
        let v = verify(&output).unwrap();
        assert!(v.is_compliant(), "{pix_fmt}: {v:?}");
        assert!(
            v.perceptible.score.unwrap() > 0.8,
            "{pix_fmt}: {:?}",
            v.perceptible
        );
    }
}

#[test]
fn timecode_kept_unstorable_streams_and_cover_art_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let plain = make_mp4(dir.path(), "plain.mp4", "1");
    // A QuickTime timecode track (a data stream without a codec).
    let mov = dir.path().join("tc.mov");
    ffmpeg(&[
        "-i",
        plain.to_str().unwrap(),
        "-c",
        "copy",
        "-timecode",
        "01:00:00:00",
        mov.to_str().unwrap(),
    ]);
    let out = dir.path().join("tc-out.mov");
    label(&mov, &out);
    let data = stream(&out, "data");
    assert_eq!(data["codec_tag_string"], "tmcd");
    assert_eq!(data["tags"]["timecode"], "01:00:00:00");
    assert_eq!(streams(&out).len(), streams(&mov).len());

    // A Matroska subtitle track whose codec FFmpeg does not know: it cannot
    // be written back, so it is dropped with a note instead of failing.
    let srt = make_srt(dir.path());
    let mkv = dir.path().join("subs.mkv");
    ffmpeg(&[
        "-i",
        plain.to_str().unwrap(),
        "-i",
        srt.to_str().unwrap(),
        "-map",
        "0",
        "-map",
        "1",
        "-c",
        "copy",
        mkv.to_str().unwrap(),
    ]);
    let mut bytes = std::fs::read(&mkv).unwrap();
    let at = bytes.windows(11).position(|w| w == b"S_TEXT/UTF8").unwrap();
    bytes[at..at + 11].copy_from_slice(b"S_TEXT/XXXX");
    let odd = dir.path().join("odd-subs.mkv");
    std::fs::write(&odd, &bytes).unwrap();
    let out = dir.path().join("odd-out.mkv");
    let done = label(&odd, &out);
    assert!(
        done.notes
            .iter()
            .any(|n| n.contains("stream 2 (subtitles") && n.contains("dropped")),
        "{:?}",
        done.notes
    );
    let kinds: Vec<_> = streams(&out)
        .iter()
        .map(|s| s["codec_type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["video", "audio"]);
    assert!(verify(&out).unwrap().is_compliant());

    assert!(verify(&out).unwrap().is_compliant());
}

/// The cover picture of an MP4 (`covr`, which FFmpeg shows as an
/// attached picture) survives labelling, beside the AIGC key, whether the
/// movie box comes before the media (fast start: every chunk offset
/// moves) or after it.
#[test]
fn cover_art_is_kept_beside_the_marks() {
    let dir = tempfile::tempdir().unwrap();
    let plain = make_mp4(dir.path(), "plain.mp4", "1");
    // (FFmpeg's MOV muxer writes no cover art, so only MP4 inputs can be
    // made here; MOV files take the same path.)
    for (picture, fast_start, container) in
        [("cover.png", false, "mp4"), ("cover.jpg", true, "mp4")]
    {
        let cover = dir.path().join(picture);
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=96x64",
            "-frames:v",
            "1",
            cover.to_str().unwrap(),
        ]);
        let with_cover = dir
            .path()
            .join(format!("{picture}-{fast_start}.{container}"));
        let mut args = vec![
            "-i",
            plain.to_str().unwrap(),
            "-i",
            cover.to_str().unwrap(),
            "-map",
            "0",
            "-map",
            "1",
            "-c",
            "copy",
            "-disposition:v:1",
            "attached_pic",
        ];
        if fast_start {
            args.extend(["-movflags", "+faststart"]);
        }
        args.push(with_cover.to_str().unwrap());
        ffmpeg(&args);
        let out = dir
            .path()
            .join(format!("out-{picture}-{fast_start}.{container}"));
        let done = label(&with_cover, &out);
        assert!(
            !done.notes.iter().any(|n| n.contains("cover")),
            "{:?}",
            done.notes
        );
        let case = format!("{picture}, fast start {fast_start}, {container}");

        // FFmpeg reads the picture back as the cover, byte for byte.
        let pictures: Vec<_> = streams(&out)
            .into_iter()
            .filter(|s| s["disposition"]["attached_pic"] == 1)
            .collect();
        assert_eq!(pictures.len(), 1, "{case}");
        let codec = if picture.ends_with("png") {
            "png"
        } else {
            "mjpeg"
        };
        assert_eq!(pictures[0]["codec_name"], codec, "{case}");
        let extracted = dir
            .path()
            .join(format!("extracted-{picture}-{fast_start}-{container}"));
        ffmpeg(&[
            "-i",
            out.to_str().unwrap(),
            "-map",
            &format!("0:{}", pictures[0]["index"]),
            "-c",
            "copy",
            "-f",
            "image2",
            extracted.to_str().unwrap(),
        ]);
        assert_eq!(
            std::fs::read(&extracted).unwrap(),
            std::fs::read(&cover).unwrap(),
            "{case}"
        );
        // exiftool sees it as iTunes cover art, and the marks beside it.
        let tags = exiftool(&out);
        let art = tags
            .as_object()
            .unwrap()
            .iter()
            .find(|(k, _)| k.ends_with(":CoverArt"))
            .map(|(_, v)| v.to_string());
        assert!(
            art.is_some_and(|a| a.contains("Binary data")),
            "{case}: {tags}"
        );
        assert_eq!(
            ffprobe(&out, &["-show_format"])["format"]["tags"]["AIGC"]
                .as_str()
                .map(|s| s.contains("\"Label\":\"1\"")),
            Some(true),
            "{case}"
        );
        // The moved chunk offsets still point at the same media.
        assert_eq!(
            packet_md5(&out, "0:a"),
            packet_md5(&with_cover, "0:a"),
            "{case}"
        );
        assert_eq!(frame_count(&out), frame_count(&with_cover), "{case}");
        let boxes = top_level_boxes(&out);
        let at = |kind: &str| boxes.iter().position(|b| b == kind).unwrap();
        assert_eq!(at("moov") < at("mdat"), fast_start, "{case}: {boxes:?}");
        assert!(verify(&out).unwrap().is_compliant(), "{case}");
        // Labelled again: recognised, not stacked.
        let again = dir
            .path()
            .join(format!("again-{picture}-{fast_start}.{container}"));
        assert!(
            matches!(
                label_with(&labeler(), &out, &again, &Job::default()),
                Err(tanba_core::Error::AlreadyLabelled { .. })
            ),
            "{case}"
        );
    }
}

#[test]
fn av1_stays_av1() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=25:duration=1",
        "-pix_fmt",
        "yuv420p",
        "-c:v",
        "libsvtav1",
        "-preset",
        "12",
        input.to_str().unwrap(),
    ]);
    let output = dir.path().join("out.mp4");
    let labeler = tanba_video::VideoLabeler::new(tanba_video::VideoSettings {
        // SVT-AV1's fastest preset, for the test machines.
        preset: Some("12".into()),
        threads: 2,
        ..Default::default()
    });
    let done = label_with(&labeler, &input, &output, &Job::default()).unwrap();
    assert!(
        done.notes.iter().any(|n| n.contains("av1")),
        "{:?}",
        done.notes
    );
    assert_kept(&input, &output, "av1");
    assert!(verify(&output).unwrap().is_compliant());
}

#[test]
fn hdr10_metadata_is_kept_in_container_and_bitstream() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("hdr.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=25:duration=1",
        "-pix_fmt",
        "yuv420p10le",
        "-color_primaries",
        "bt2020",
        "-color_trc",
        "smpte2084",
        "-colorspace",
        "bt2020nc",
        "-c:v",
        "libx265",
        "-preset",
        "ultrafast",
        "-x265-params",
        "log-level=error",
        "-tag:v",
        "hvc1",
        input.to_str().unwrap(),
    ]);
    // Mastering display (BT.2020 primaries, D65, 1000/0.005 cd/m²) and
    // content light level (1000/400) boxes, as HDR10 cameras write them.
    let mut boxes = Vec::new();
    boxes.extend_from_slice(&32u32.to_be_bytes());
    boxes.extend_from_slice(b"mdcv");
    for v in [13250u16, 34500, 7500, 3000, 34000, 16000, 15635, 16450] {
        boxes.extend_from_slice(&v.to_be_bytes());
    }
    boxes.extend_from_slice(&10_000_000u32.to_be_bytes());
    boxes.extend_from_slice(&50u32.to_be_bytes());
    boxes.extend_from_slice(&12u32.to_be_bytes());
    boxes.extend_from_slice(b"clli");
    boxes.extend_from_slice(&1000u16.to_be_bytes());
    boxes.extend_from_slice(&400u16.to_be_bytes());
    insert_into_sample_entry(&input, b"hvc1", &boxes);
    let side_data = |p: &Path| stream(p, "video")["side_data_list"].clone();
    let expected = side_data(&input);
    assert_eq!(expected.as_array().unwrap().len(), 2, "{expected}");

    let output = dir.path().join("out.mp4");
    let done = label(&input, &output);
    assert!(
        done.notes.iter().any(|n| n.contains("HDR10")),
        "{:?}",
        done.notes
    );
    assert_kept(&input, &output, "hevc");
    assert_eq!(side_data(&output), expected, "container side data");
    // x265 wrote the same values into the bitstream's SEI.
    let frames = ffprobe(
        &output,
        &[
            "-select_streams",
            "v",
            "-read_intervals",
            "%+#1",
            "-show_frames",
        ],
    );
    let sei = &frames["frames"][0]["side_data_list"];
    for kind in ["Mastering display metadata", "Content light level metadata"] {
        let from_sei = sei
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["side_data_type"] == kind)
            .unwrap_or_else(|| panic!("no {kind} SEI in {sei}"));
        let from_box = expected
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["side_data_type"] == kind)
            .unwrap();
        assert_eq!(from_sei, from_box, "{kind}");
    }
    assert!(verify(&output).unwrap().is_compliant());
}

/// A forced relabel of our own output in each container family: the
/// earlier badge stays in the pixels (the notes say so), but the marks are
/// replaced, not stacked: one `AIGC` key or tag, one manifest, one notice
/// record, and in MP4/MOV one XMP `uuid` box, all the new label's.
#[test]
fn forced_relabel_replaces_the_marks() {
    let dir = tempfile::tempdir().unwrap();
    let mp4 = make_mp4(dir.path(), "src.mp4", "1");
    for ext in ["mp4", "mov", "mkv"] {
        let input = dir.path().join(format!("in.{ext}"));
        ffmpeg(&[
            "-i",
            mp4.to_str().unwrap(),
            "-c",
            "copy",
            input.to_str().unwrap(),
        ]);
        let once = dir.path().join(format!("once.{ext}"));
        let first = label(&input, &once);
        let twice = dir.path().join(format!("twice.{ext}"));
        let forced = Job::new().with_force(true);
        let second = label_with(&labeler(), &once, &twice, &forced).unwrap();
        assert!(
            second
                .notes
                .iter()
                .any(|n| n.contains("the earlier visible label stays")),
            "{ext}: {:?}",
            second.notes
        );

        let lines = exiftool_lines(&twice);
        let text = lines.join("\n");
        let count = |prefixes: &[&str]| {
            lines
                .iter()
                .filter(|l| prefixes.iter().any(|p| l.starts_with(p)))
                .count()
        };
        let iso = ext != "mkv";
        let (aigc, manifest, notice) = if iso {
            (
                "[Keys] AIGC :",
                "[Keys] TANBA_MANIFEST :",
                "[Keys] TANBA_NOTICE :",
            )
        } else {
            (
                "[Matroska] Aigc :",
                "[Matroska] TanbaManifest :",
                "[Matroska] TanbaNotice :",
            )
        };
        for tag in [aigc, manifest, notice] {
            assert_eq!(count(&[tag]), 1, "{ext}: {tag}\n{text}");
        }
        let xmp = usize::from(iso);
        assert_eq!(count(&["[XMP-x] XMPToolkit :"]), xmp, "{ext}:\n{text}");
        assert_eq!(count(&["[XMP-TC260] Aigc :"]), xmp, "{ext}:\n{text}");
        assert_eq!(count(&["[XMP-tanba] Manifest :"]), xmp, "{ext}:\n{text}");
        if iso {
            let boxes = top_level_boxes(&twice);
            assert_eq!(
                boxes.iter().filter(|b| *b == "uuid").count(),
                1,
                "{ext}: {boxes:?}"
            );
        }
        // Every mark is the new label's, none the first one's.
        let new_id = second.manifest.id.trim_start_matches("urn:uuid:");
        let old_id = first.manifest.id.trim_start_matches("urn:uuid:");
        assert!(
            !text.contains(old_id),
            "{ext}: the first id is left:\n{text}"
        );
        assert!(text.contains(new_id), "{ext}:\n{text}");
        let v = verify(&twice).unwrap();
        assert!(v.is_compliant(), "{ext}: {v:?}");
        assert_eq!(v.manifest.unwrap().id, second.manifest.id, "{ext}");
    }
}

#[test]
fn a_job_with_a_progress_sink_counts_frames_and_media_time_up_to_the_total() {
    use std::sync::{Arc, Mutex};
    use tanba_core::{ProgressUnit, ProgressUpdate};
    let dir = tempfile::tempdir().unwrap();
    let input = make_mp4(dir.path(), "in.mp4", "4");
    let seen = Arc::new(Mutex::new(Vec::<ProgressUpdate>::new()));
    let s = seen.clone();
    let job = Job::new().with_progress(Arc::new(move |u: &ProgressUpdate| {
        s.lock().unwrap().push(u.clone());
    }));
    label_with(&labeler(), &input, &dir.path().join("out.mp4"), &job).unwrap();
    let frames = frame_count(&input);
    let seen = seen.lock().unwrap();
    assert!(seen.len() >= 2, "{seen:?}");
    assert!(seen.iter().all(|u| u.unit == ProgressUnit::Frames));
    assert!(seen.iter().all(|u| u.total == Some(frames)), "{seen:?}");
    assert!(
        seen.windows(2)
            .all(|w| w[0].done <= w[1].done && w[0].media_seconds <= w[1].media_seconds),
        "{seen:?}"
    );
    assert_eq!((seen[0].done, seen[0].media_seconds), (0, Some(0.0)));
    let last = seen.last().unwrap();
    assert!(last.finished && last.done == frames, "{last:?}");
    let total = last.media_total_seconds.unwrap();
    assert!((total - 4.0).abs() < 0.1, "{last:?}");
    assert_eq!(last.media_seconds, Some(total));
    assert!(last.speed.is_some_and(|s| s > 0.0), "{last:?}");
}
