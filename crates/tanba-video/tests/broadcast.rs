#![allow(clippy::unwrap_used, clippy::expect_used)]
//! MPEG-TS, M2TS and AVI, made with the ffmpeg CLI as broadcasters, HLS
//! packagers and old capture tools make them, labelled in the same
//! container and read back with ffmpeg, ffprobe and exiftool.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use tanba_core::{Error, Job};

/// ffmpeg decoding every stream of `path` to nothing: its stderr, which
/// must be empty for a file that plays cleanly.
fn decode_messages(path: &Path) -> String {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-v", "error", "-i"])
        .arg(path)
        .args(["-map", "0:v", "-map", "0:a", "-f", "null", "-"])
        .output()
        .expect("ffmpeg is installed");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `(PID, codec, start time)` of every stream.
fn pids(path: &Path) -> Vec<(String, String, f64)> {
    streams(path)
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap_or("").to_string(),
                s["codec_name"].as_str().unwrap_or("").to_string(),
                s["start_time"]
                    .as_str()
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(f64::NAN),
            )
        })
        .collect()
}

/// The first program's number, PMT PID and service name.
fn program(path: &Path) -> (i64, i64, String) {
    let p = &ffprobe(path, &["-show_programs"])["programs"][0];
    (
        p["program_num"].as_i64().unwrap(),
        p["pmt_pid"].as_i64().unwrap(),
        p["tags"]["service_name"].as_str().unwrap_or("").to_string(),
    )
}

/// H.264 + AAC in MPEG-TS, as a broadcaster sets it up: service 7, PMT
/// on 0x200, video and audio on 0x300 and 0x301, a named service.
fn make_ts(dir: &Path, extra: &[&str], name: &str) -> PathBuf {
    let out = dir.join(name);
    let mut args = vec![
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=25:duration=3",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=1000:duration=3",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "64k",
        "-f",
        "mpegts",
        "-mpegts_service_id",
        "7",
        "-mpegts_pmt_start_pid",
        "0x200",
        "-streamid",
        "0:0x300",
        "-streamid",
        "1:0x301",
        "-metadata",
        "service_name=Tanba TV",
        "-metadata",
        "service_provider=Tanba",
    ];
    args.extend_from_slice(extra);
    args.push(out.to_str().unwrap());
    ffmpeg(&args);
    out
}

/// What a TS output keeps of its input: the program, the PIDs, codecs and
/// start times, the copied audio packet for packet; it decodes cleanly.
fn assert_layout_kept(input: &Path, output: &Path) {
    assert_eq!(decode_messages(output), "", "{}", output.display());
    assert_eq!(program(output), program(input));
    let (before, after) = (pids(input), pids(output));
    assert_eq!(before.len(), 2, "{before:?}");
    for ((pid, codec, start), (pid2, codec2, start2)) in before.iter().zip(&after) {
        assert_eq!((pid, codec), (pid2, codec2), "{after:?}");
        assert!((start - start2).abs() < 0.05, "{before:?} -> {after:?}");
    }
    assert_eq!(packet_md5(input, "0:a"), packet_md5(output, "0:a"));
}

#[test]
fn mpegts_keeps_program_pids_and_timestamps_and_carries_marks() {
    let dir = tempfile::tempdir().unwrap();
    let input = make_ts(dir.path(), &[], "in.ts");
    let output = dir.path().join("out.ts");
    let done = label(&input, &output);
    assert_eq!(done.format.name, "ts");
    assert_layout_kept(&input, &output);
    assert_eq!(program(&output).2, "Tanba TV");
    assert_eq!(pids(&input)[0].2, 1.423222, "ffmpeg's 1.4 s mux delay");
    // The marks: one timed-ID3 stream more, on a PID of its own.
    let after = pids(&output);
    assert_eq!(after.len(), 3, "{after:?}");
    assert_eq!(
        (after[2].0.as_str(), after[2].1.as_str()),
        ("0x302", "timed_id3")
    );
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&output)
        .args(["-map", "0:d", "-c", "copy", "-f", "data", "-"])
        .output()
        .unwrap();
    let id3 = String::from_utf8_lossy(&out.stdout);
    assert!(
        id3.contains("TXXX") && id3.contains("AIGC\0{\"AIGC\""),
        "{id3}"
    );
    assert!(id3.contains("TANBA_MANIFEST\0{"), "{id3}");
    let v = verify(&output).unwrap();
    assert!(v.is_compliant(), "{v:?}");
    assert!(
        v.marks.iter().any(|m| m.carrier.contains("timed-ID3")),
        "{:?}",
        v.marks
    );
    // Ours already: refused unless forced.
    let again = dir.path().join("again.ts");
    let err = label_with(&labeler(), &output, &again, &Job::default()).unwrap_err();
    assert!(matches!(err, Error::AlreadyLabelled { .. }), "{err}");
}

#[test]
fn m2ts_keeps_its_192_byte_packets_and_its_manifest_goes_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = make_ts(dir.path(), &["-mpegts_m2ts_mode", "1"], "in.m2ts");
    let output = dir.path().join("out.m2ts");
    let done = label(&input, &output);
    assert_eq!(done.format.name, "m2ts");
    let bytes = std::fs::read(&output).unwrap();
    assert_eq!(bytes.len() % 192, 0);
    assert!((0..bytes.len() / 192).all(|i| bytes[i * 192 + 4] == 0x47));
    assert_layout_kept(&input, &output);
    // No stream was added (readers would take it for audio): the report
    // says the manifest goes in a sidecar, and without it nothing is found.
    assert_eq!(pids(&output).len(), 2);
    assert!(
        done.notes.iter().any(|n| n.contains("sidecar")),
        "{:?}",
        done.notes
    );
    assert!(!verify(&output).unwrap().is_compliant());
    let sidecar = PathBuf::from(format!("{}.tanba.json", output.display()));
    std::fs::write(&sidecar, done.manifest.to_json_pretty()).unwrap();
    let v = verify(&output).unwrap();
    assert!(v.is_compliant(), "{v:?}");
}

#[test]
fn mpegts_cut_mid_packet_is_labelled_as_the_shorter_stream_it_is() {
    // A transport stream has no length to fall short of: a recording
    // stopped mid-packet plays up to the cut, and is labelled so.
    let dir = tempfile::tempdir().unwrap();
    let input = make_ts(dir.path(), &[], "in.ts");
    let bytes = std::fs::read(&input).unwrap();
    let cut = dir.path().join("cut.ts");
    std::fs::write(&cut, &bytes[..bytes.len() / 2 + 77]).unwrap();
    let output = dir.path().join("out.ts");
    label(&cut, &output);
    assert_eq!(decode_messages(&output), "");
    assert!(verify(&output).unwrap().is_compliant());
    assert!(frame_count(&output) < frame_count(&input));

    // A capture that starts mid-packet is recognised and labelled too.
    let late = dir.path().join("late.ts");
    std::fs::write(&late, &bytes[100..]).unwrap();
    let output = dir.path().join("late-out.ts");
    assert_eq!(label(&late, &output).format.name, "ts");
    assert_eq!(decode_messages(&output), "");
    assert!(verify(&output).unwrap().is_compliant());
}

fn make_avi(dir: &Path, name: &str, video: &[&str], audio: &str) -> PathBuf {
    let out = dir.join(name);
    let mut args = vec![
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=25:duration=3",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=1000:duration=3",
        "-pix_fmt",
        "yuv420p",
    ];
    args.extend_from_slice(video);
    args.extend_from_slice(&["-c:a", audio, "-b:a", "64k", "-metadata", "title=Clip"]);
    args.push(out.to_str().unwrap());
    ffmpeg(&args);
    out
}

/// `(codec, fourcc)` of each stream.
fn codecs(path: &Path) -> Vec<(String, String)> {
    streams(path)
        .iter()
        .map(|s| {
            (
                s["codec_name"].as_str().unwrap().to_string(),
                s["codec_tag_string"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn assert_avi_marked(input: &Path, output: &Path) {
    assert_eq!(decode_messages(output), "", "{}", output.display());
    assert_eq!(codecs(output), codecs(input));
    assert_eq!(packet_md5(input, "0:a"), packet_md5(output, "0:a"));
    let tags = &ffprobe(output, &["-show_format"])["format"]["tags"];
    assert!(
        tags["AIGC"].as_str().unwrap().contains("\"Label\":\"1\""),
        "{tags}"
    );
    assert_eq!(tags["title"], "Clip", "{tags}");
    let lines = exiftool_lines(output);
    let has = |needle: &str| lines.iter().any(|l| l.contains(needle));
    assert!(has("[XMP-iptcExt] DigitalSourceType"), "{lines:?}");
    assert!(has("[XMP-TC260] Aigc"), "{lines:?}");
    assert!(has("[XMP-tanba] Manifest"), "{lines:?}");
    assert!(has("[RIFF] Unknown_AIGC"), "{lines:?}");
    let v = verify(output).unwrap();
    assert!(v.is_compliant(), "{v:?}");
}

#[test]
fn avi_mpeg4_and_mp3_keeps_codec_and_fourcc_and_carries_marks() {
    let dir = tempfile::tempdir().unwrap();
    let video = ["-c:v", "mpeg4", "-vtag", "XVID", "-q:v", "5"];
    let input = make_avi(dir.path(), "in.avi", &video, "libmp3lame");
    let output = dir.path().join("out.avi");
    let done = label(&input, &output);
    assert_eq!(done.format.name, "avi");
    assert_eq!(codecs(&input)[0], ("mpeg4".into(), "XVID".into()));
    assert_avi_marked(&input, &output);
    assert_eq!(frame_count(&output), frame_count(&input));
    let again = dir.path().join("again.avi");
    let err = label_with(&labeler(), &output, &again, &Job::default()).unwrap_err();
    assert!(matches!(err, Error::AlreadyLabelled { .. }), "{err}");
}

#[test]
fn avi_h264_stays_h264() {
    let dir = tempfile::tempdir().unwrap();
    let video = ["-c:v", "libx264", "-preset", "ultrafast"];
    let input = make_avi(dir.path(), "in.avi", &video, "libmp3lame");
    let output = dir.path().join("out.avi");
    label(&input, &output);
    assert_eq!(codecs(&input)[0], ("h264".into(), "H264".into()));
    assert_avi_marked(&input, &output);
}

#[test]
fn broadcast_mpeg2_and_mp2_stays_mpeg2_at_the_streams_rate() {
    // DVB's codecs: MPEG-2 video (whose encoder takes only a frame-rate
    // time base, not the TS's 1/90000) and MPEG-1 Layer II audio.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("dvb.ts");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=720x576:rate=25:duration=3",
        "-f",
        "lavfi",
        "-i",
        "sine=duration=3",
        "-c:v",
        "mpeg2video",
        "-b:v",
        "4M",
        "-c:a",
        "mp2",
        "-f",
        "mpegts",
        input.to_str().unwrap(),
    ]);
    let output = dir.path().join("out.ts");
    let done = label(&input, &output);
    assert_eq!(decode_messages(&output), "");
    let (before, after) = (pids(&input), pids(&output));
    assert_eq!(before[..], after[..2], "{after:?}");
    assert_eq!(after[0].1, "mpeg2video");
    assert_eq!(frame_count(&output), frame_count(&input));
    assert_eq!(packet_md5(&input, "0:a"), packet_md5(&output, "0:a"));
    // The stream records no rate: the file's is used, not the 1 Mb/s floor.
    let note = done
        .notes
        .iter()
        .find(|n| n.contains("mpeg2video b="))
        .unwrap();
    let rate: u64 = note.rsplit("b=").next().unwrap().parse().unwrap();
    assert!(rate > 1_250_000, "{note}");
    assert!(verify(&output).unwrap().is_compliant());
}

#[test]
fn a_transport_stream_with_two_tv_programs_is_refused_not_half_labelled() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("multi.ts");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=25:duration=1",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=160x120:rate=25:duration=1",
        "-map",
        "0",
        "-map",
        "1",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-program",
        "title=One:program_num=11:st=0",
        "-program",
        "title=Two:program_num=12:st=1",
        "-f",
        "mpegts",
        input.to_str().unwrap(),
    ]);
    let output = dir.path().join("out.ts");
    let err = label_with(&labeler(), &input, &output, &Job::default()).unwrap_err();
    assert!(
        matches!(&err, Error::Unsupported { reason, .. } if reason.contains("2 video streams")),
        "{err}"
    );
    assert!(!output.exists());

    // A TV service beside a radio one: labelled, both programs kept.
    let tv_radio = dir.path().join("tv-radio.ts");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=320x240:rate=25:duration=1",
        "-f",
        "lavfi",
        "-i",
        "sine=duration=1",
        "-map",
        "0",
        "-map",
        "1",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-c:a",
        "aac",
        "-program",
        "title=TV:program_num=11:st=0",
        "-program",
        "title=Radio:program_num=12:st=1",
        "-f",
        "mpegts",
        tv_radio.to_str().unwrap(),
    ]);
    label(&tv_radio, &output);
    let programs = |path: &Path| {
        ffprobe(path, &["-show_programs"])["programs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let pids: Vec<String> = p["streams"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["id"].as_str().unwrap().to_string())
                    .collect();
                let keys = ["program_num", "pmt_pid"].map(|k| p[k].to_string());
                (keys, p["tags"]["service_name"].to_string(), pids)
            })
            .collect::<Vec<_>>()
    };
    let (before, after) = (programs(&tv_radio), programs(&output));
    assert_eq!(after.len(), 2, "{after:?}");
    // The TV program gains the marks stream; the rest is as it was.
    assert_eq!((&after[0].0, &after[0].1), (&before[0].0, &before[0].1));
    assert_eq!(after[0].2[..1], before[0].2[..], "{after:?}");
    assert_eq!(after[0].2.len(), 2, "{after:?}");
    assert_eq!(after[1], before[1]);
    // (Demuxers list streams PMT by PMT, so the marks stream now comes
    // before the radio's audio: compare as sets.)
    let out_pids = pids(&output);
    assert!(
        pids(&tv_radio).iter().all(|p| out_pids.contains(p)),
        "{out_pids:?}"
    );
    assert!(verify(&output).unwrap().is_compliant());
}
