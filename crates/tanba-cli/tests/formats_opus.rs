#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Opus voice and audio-only containers through the command, as a user
//! would meet them: files made by ffmpeg (`.opus`, `.webm` with Opus or
//! Vorbis, AAC in `.m4a` and in an `.mp4` whose `moov` comes last), labelled
//! by `tanba label` (handed to `tanba-full`, which has FFmpeg), checked by
//! ffprobe (codec, layout, rate, the programme's bitrate, our tags), by
//! `tanba verify`, and by ffmpeg's loudness meter (the disclaimer is heard
//! at the programme's loudness).

mod common;

use std::path::Path;
use std::process::Command;

use common::{ffmpeg, s, tanba};

fn ffprobe(path: &Path) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_streams",
            "-show_format",
        ])
        .arg(path)
        .output()
        .expect("ffprobe is installed");
    assert!(out.status.success(), "ffprobe {}", path.display());
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Codec, sample rate, channels and layout of the first stream.
fn stream(path: &Path) -> (String, String, u64, String) {
    let s = &ffprobe(path)["streams"][0];
    (
        s["codec_name"].as_str().unwrap().to_string(),
        s["sample_rate"].as_str().unwrap().to_string(),
        s["channels"].as_u64().unwrap(),
        s["channel_layout"].as_str().unwrap_or_default().to_string(),
    )
}

/// Every tag ffprobe finds, container and stream, keys upper-cased.
fn tags(path: &Path) -> Vec<(String, String)> {
    let v = ffprobe(path);
    let mut all = Vec::new();
    for tags in [&v["format"]["tags"], &v["streams"][0]["tags"]] {
        if let Some(o) = tags.as_object() {
            for (k, v) in o {
                all.push((
                    k.to_ascii_uppercase(),
                    v.as_str().unwrap_or_default().to_string(),
                ));
            }
        }
    }
    all
}

/// Bit/s of the audio packets from `from` seconds on.
fn packet_bitrate(path: &Path, from: f64) -> f64 {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a:0"])
        .args(["-show_entries", "packet=pts_time,size", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .unwrap();
    let (mut bytes, mut first, mut last) = (0u64, f64::MAX, 0f64);
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut cells = line.split(',').map(|c| c.parse::<f64>());
        if let (Some(Ok(t)), Some(Ok(size))) = (cells.next(), cells.next())
            && t >= from
        {
            bytes += size as u64;
            first = first.min(t);
            last = last.max(t);
        }
    }
    bytes as f64 * 8.0 / (last - first)
}

/// Integrated loudness (LUFS) of `[start, start + dur)` by ffmpeg's EBU
/// R128 meter.
fn loudness(path: &Path, start: f64, dur: f64) -> f64 {
    let out = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-nostats",
            "-ss",
            &format!("{start}"),
            "-t",
            &format!("{dur}"),
        ])
        .arg("-i")
        .arg(path)
        .args(["-af", "ebur128", "-f", "null", "-"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    let summary = &text[text.rfind("Summary:").unwrap()..];
    let at = summary.find("I:").unwrap() + 2;
    summary[at..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Name, ffmpeg codec arguments, the codec ffprobe names.
const CASES: [(&str, &[&str], &str); 5] = [
    (
        "voice.opus",
        &["-ac", "1", "-c:a", "libopus", "-b:a", "24k"],
        "opus",
    ),
    ("tts.webm", &["-c:a", "libopus", "-b:a", "64k"], "opus"),
    (
        "vorbis.webm",
        &["-c:a", "libvorbis", "-b:a", "96k"],
        "vorbis",
    ),
    ("voice.m4a", &["-c:a", "aac", "-b:a", "96k"], "aac"),
    ("podcast.mp4", &["-c:a", "aac", "-b:a", "128k"], "aac"),
];

#[test]
fn opus_and_audio_only_containers_are_labelled_as_audio_in_their_own_format() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("in");
    std::fs::create_dir(&inputs).unwrap();
    for (name, codec, _) in CASES {
        let path = inputs.join(name);
        let mut args = vec![
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=330:sample_rate=48000:duration=8",
            "-f",
            "lavfi",
            "-i",
            "anoisesrc=d=8:c=pink:a=0.15:r=48000:seed=3",
            "-filter_complex",
            "[0][1]amix=inputs=2,aformat=channel_layouts=stereo",
        ];
        args.extend_from_slice(codec);
        args.push(s(&path));
        ffmpeg(&args);
    }
    let out = dir.path().join("out");
    let run = tanba(&["label", s(&inputs), "-o", s(&out)]);
    let said =
        String::from_utf8_lossy(&run.stdout).to_string() + &String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{said}");
    assert!(!said.contains("no video stream"), "{said}");

    for (name, _, codec) in CASES {
        let (input, output) = (inputs.join(name), out.join(name));
        assert!(
            output.is_file(),
            "{name}: not written under its own name\n{said}"
        );
        let (pin, pout) = (stream(&input), stream(&output));
        assert_eq!(pout.0, codec, "{name}");
        assert_eq!(pout, pin, "{name}: codec, rate, channels, layout");

        let tags = tags(&output);
        let aigc = tags
            .iter()
            .find(|(k, _)| k == "AIGC")
            .map(|(_, v)| v.as_str());
        assert!(
            aigc.is_some_and(|v| v.starts_with(r#"{"AIGC":{"Label":"1""#)),
            "{name}: {tags:?}"
        );
        let manifest = tags
            .iter()
            .find(|(k, _)| k == "TANBA_MANIFEST")
            .map(|(_, v)| v);
        let manifest: serde_json::Value = serde_json::from_str(manifest.unwrap()).unwrap();
        let clip = manifest["label"]["placement"]["span"][1].as_f64().unwrap();

        // The programme after the disclaimer and its gap at the source's
        // bitrate.
        let (a, b) = (
            packet_bitrate(&input, 0.0),
            packet_bitrate(&output, clip + 1.0),
        );
        assert!((b / a - 1.0).abs() < 0.15, "{name}: bitrate {b} vs {a}");

        // The disclaimer is heard, near the programme's loudness.
        let programme = loudness(&input, 0.0, 8.0);
        let heard = loudness(&output, 0.0, clip);
        assert!(
            (heard - programme).abs() < 6.0,
            "{name}: disclaimer at {heard} LUFS, programme {programme} LUFS"
        );

        let check = tanba(&["verify", s(&output)]);
        let text = String::from_utf8_lossy(&check.stdout);
        assert!(check.status.success(), "{name}: {text}");
        assert!(text.contains(": labelled"), "{name}: {text}");
        assert!(text.contains("perceptible label: found"), "{name}: {text}");
    }
}

#[test]
fn formats_lists_opus_webm_and_matroska_audio() {
    let out = tanba(&["formats"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for (format, mime) in [
        ("opus", "audio/ogg"),
        ("weba", "audio/webm"),
        ("mka", "audio/x-matroska"),
    ] {
        assert!(
            text.lines()
                .any(|l| l.starts_with("audio") && l.contains(format) && l.contains(mime)),
            "{format} missing from\n{text}"
        );
    }
}

/// A truncated Opus file is refused with a reason and nothing is written.
#[test]
fn a_truncated_opus_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.opus");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=duration=1",
        "-c:a",
        "libopus",
        s(&whole),
    ]);
    let bytes = std::fs::read(&whole).unwrap();
    let cut = dir.path().join("cut.opus");
    std::fs::write(&cut, &bytes[..200]).unwrap();
    let out = dir.path().join("out");
    let run = tanba(&["label", s(&cut), "-o", s(&out)]);
    let said =
        String::from_utf8_lossy(&run.stdout).to_string() + &String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "{said}");
    assert!(said.contains("malformed"), "{said}");
    assert!(!out.join("cut.opus").exists());
}

/// Through a pipe, `--format webm` (the container's name) takes an
/// audio-only WebM, which the audio labeler labels, and `--format ogg` an
/// Ogg Opus file.
#[test]
fn a_pipe_names_the_container_of_audio_only_files() {
    use std::io::Write as _;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    for (name, format, codec) in [("tts.webm", "webm", "opus"), ("voice.ogg", "ogg", "opus")] {
        let input = dir.path().join(name);
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "sine=duration=3",
            "-c:a",
            "libopus",
            s(&input),
        ]);
        let mut child = Command::new(env!("CARGO_BIN_EXE_tanba"))
            .args(["label", "-", "--format", format, "-o", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let bytes = std::fs::read(&input).unwrap();
        child.stdin.take().unwrap().write_all(&bytes).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let output = dir.path().join(format!("out-{name}"));
        std::fs::write(&output, &out.stdout).unwrap();
        assert_eq!(stream(&output).0, codec, "{name}");
        let check = tanba(&["verify", s(&output)]);
        assert!(
            check.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&check.stdout)
        );
    }
}
