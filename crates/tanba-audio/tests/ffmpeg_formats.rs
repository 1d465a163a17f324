#![cfg(feature = "ffmpeg")]
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The `ffmpeg` feature: compressed input keeps its format. Inputs are made
//! with the ffmpeg CLI, labelled, then checked with ffprobe (codec, rate,
//! channels, bitrate, duration), exiftool (the AIGC tag and XMP) and our
//! verify.

mod common;

use std::fs::File;
use std::io::Cursor;
use std::path::Path;
use std::process::Command;

use common::{exiftool, exiftool_lines, ffmpeg, ffprobe, top_level_boxes};
use tanba_audio::{AudioLabeler, AudioSettings, Disclaimer, Mode, ToneSettings, sniff};
use tanba_core::{
    Error, Job, Labeler, Labelled, Limits, MarkKind, Source, Verification, read_head,
};

/// 6 s of a 440 Hz tone over pink noise, 44.1 kHz stereo, with a title,
/// so a lossy encoder has to spend its bits.
fn make_input(path: &Path, codec: &[&str]) {
    let mut args = vec![
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=44100:duration=6",
        "-f",
        "lavfi",
        "-i",
        "anoisesrc=d=6:c=pink:a=0.2:r=44100:seed=7",
        "-filter_complex",
        "[0][1]amix=inputs=2,aformat=sample_rates=44100:channel_layouts=stereo",
        "-metadata",
        "title=Test title",
    ];
    args.extend_from_slice(codec);
    args.push(path.to_str().unwrap());
    ffmpeg(&args);
}

/// What ffprobe says about the first audio stream.
#[derive(Debug)]
struct Probe {
    codec: String,
    rate: u64,
    channels: u64,
    layout: String,
    /// The stream's bitrate, else the container's.
    bitrate: Option<f64>,
    bits: Option<String>,
    duration: f64,
    title: Option<String>,
}

fn probe(path: &Path) -> Probe {
    let v = ffprobe(path);
    let s = &v["streams"][0];
    let num = |x: &serde_json::Value| x.as_str().and_then(|t| t.parse::<f64>().ok());
    let tag = |tags: &serde_json::Value| {
        tags.as_object().and_then(|o| {
            o.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("title"))
                .map(|(_, v)| v.as_str().unwrap_or_default().to_string())
        })
    };
    Probe {
        codec: s["codec_name"].as_str().unwrap().to_string(),
        rate: s["sample_rate"].as_str().unwrap().parse().unwrap(),
        channels: s["channels"].as_u64().unwrap(),
        layout: s["channel_layout"].as_str().unwrap_or_default().to_string(),
        bitrate: num(&s["bit_rate"]).or_else(|| num(&v["format"]["bit_rate"])),
        bits: s["bits_per_raw_sample"].as_str().map(str::to_string),
        duration: num(&v["format"]["duration"]).unwrap(),
        title: tag(&v["format"]["tags"]).or_else(|| tag(&s["tags"])),
    }
}

fn source_of<'a>(reader: &'a mut File, path: &'a Path) -> Source<'a> {
    let len = reader.metadata().unwrap().len();
    let head = read_head(reader).unwrap();
    Source {
        format: sniff(&head).unwrap(),
        reader,
        path: Some(path),
        len,
    }
}

fn label(input: &Path, output: &Path, settings: AudioSettings) -> tanba_core::Result<Labelled> {
    // Without the watermark: these tests compare the programme's coded
    // bytes and samples with the input's (tests/watermark.rs marks them).
    let unmarked = Job::default().with_watermark(None);
    let mut reader = File::open(input).unwrap();
    let mut out = File::create(output).unwrap();
    AudioLabeler::new(settings).label(source_of(&mut reader, input), &mut out, &unmarked)
}

fn verify(path: &Path) -> Verification {
    let mut reader = File::open(path).unwrap();
    AudioLabeler::default()
        .verify(source_of(&mut reader, path), &Limits::default())
        .unwrap()
}

fn has(v: &Verification, kind: MarkKind) -> bool {
    v.marks.iter().any(|m| m.kind == kind)
}

struct Case {
    ext: &'static str,
    codec: &'static [&'static str],
    format: &'static str,
    codec_name: &'static str,
    lossy: bool,
    /// The format carries XMP (MP3 PRIV, MP4 uuid box).
    xmp: bool,
}

const CASES: [Case; 4] = [
    Case {
        ext: "mp3",
        codec: &["-c:a", "libmp3lame", "-b:a", "128k"],
        format: "mp3",
        codec_name: "mp3",
        lossy: true,
        xmp: true,
    },
    Case {
        ext: "m4a",
        codec: &["-c:a", "aac", "-b:a", "128k"],
        format: "m4a",
        codec_name: "aac",
        lossy: true,
        xmp: true,
    },
    Case {
        ext: "flac",
        codec: &["-c:a", "flac"],
        format: "flac",
        codec_name: "flac",
        lossy: false,
        xmp: false,
    },
    Case {
        ext: "ogg",
        codec: &["-c:a", "libvorbis", "-b:a", "128k"],
        format: "ogg",
        codec_name: "vorbis",
        lossy: true,
        xmp: false,
    },
];

#[test]
fn compressed_formats_are_kept_with_bitrate_layout_and_marks() {
    let dir = tempfile::tempdir().unwrap();
    for case in &CASES {
        let ext = case.ext;
        let input = dir.path().join(format!("in.{ext}"));
        make_input(&input, case.codec);
        let output = dir.path().join(format!("out.{ext}"));
        let labelled = label(&input, &output, AudioSettings::default()).unwrap();
        assert_eq!(labelled.format.name, case.format, "{ext}");
        if ext == "mp3" {
            // Prepend to MP3 copies the programme's frames: the input's
            // audio is the output's tail, byte for byte.
            assert!(
                labelled
                    .notes
                    .iter()
                    .any(|n| n.contains("copied unchanged")),
                "{ext}: {:?}",
                labelled.notes
            );
            let (a, b) = (
                std::fs::read(&input).unwrap(),
                std::fs::read(&output).unwrap(),
            );
            let tail = a.len() / 2;
            assert_eq!(
                a[a.len() - tail..],
                b[b.len() - tail..],
                "{ext}: programme frames changed"
            );
        } else {
            assert!(
                labelled.notes.iter().any(|n| n.starts_with("re-encoded")),
                "{ext}: {:?}",
                labelled.notes
            );
        }
        assert!(
            !labelled.notes.iter().any(|n| n.contains("WAV")),
            "{ext}: {:?}",
            labelled.notes
        );
        let head = read_head(&mut File::open(&output).unwrap()).unwrap();
        assert_eq!(sniff(&head).map(|f| f.name), Some(case.format), "{ext}");

        let (pin, pout) = (probe(&input), probe(&output));
        assert_eq!(pout.codec, case.codec_name, "{ext}");
        assert_eq!((pout.rate, pout.channels), (44100, 2), "{ext}");
        assert_eq!(pout.layout, pin.layout, "{ext}");
        assert_eq!(pout.title.as_deref(), Some("Test title"), "{ext}");
        if case.lossy {
            let (a, b) = (pin.bitrate.unwrap(), pout.bitrate.unwrap());
            assert!(
                (b / a - 1.0).abs() < 0.15,
                "{ext}: bitrate {b} vs input {a}"
            );
        } else {
            assert_eq!(pout.bits, pin.bits, "{ext}: bit depth");
        }
        let [start, clip] = labelled.manifest.label.placement.span.unwrap();
        assert_eq!(start, 0.0);
        let expected = pin.duration + clip + 0.5;
        assert!(
            (pout.duration - expected).abs() < 0.1,
            "{ext}: duration {} vs {expected}",
            pout.duration
        );
        assert_eq!(labelled.manifest.media_type, labelled.format.mime);

        let tags = exiftool(&output);
        assert!(
            tags.lines().any(|l| l.to_ascii_uppercase().contains("AIGC")
                && l.contains(r#"{"AIGC":{"Label":"1""#)),
            "{ext}: no AIGC tag in\n{tags}"
        );
        if case.xmp {
            assert!(
                tags.lines().any(
                    |l| l.starts_with("[XMP-iptcExt]") && l.contains("trainedAlgorithmicMedia")
                ),
                "{ext}: no XMP in\n{tags}"
            );
        }

        let v = verify(&output);
        assert!(v.is_compliant(), "{ext}: {:?} {:?}", v.marks, v.perceptible);
        assert!(
            has(&v, MarkKind::Aigc) && has(&v, MarkKind::Manifest),
            "{ext}: {:?}",
            v.marks
        );
        assert_eq!(has(&v, MarkKind::Xmp), case.xmp, "{ext}: {:?}", v.marks);
        assert_eq!(v.manifest.as_ref().unwrap().id, labelled.manifest.id);

        let plain = verify(&input);
        assert!(!plain.is_compliant(), "{ext}: the unlabelled input passed");
        assert!(plain.marks.is_empty(), "{ext}: {:?}", plain.marks);

        // Our own output is recognised as labelled.
        let again = dir.path().join(format!("again.{ext}"));
        let e = label(&output, &again, AudioSettings::default()).unwrap_err();
        assert!(matches!(e, Error::AlreadyLabelled { .. }), "{ext}: {e:?}");
    }
}

/// Symphonia decodes AAC only in mono and stereo: 5.1 AAC is decoded by
/// FFmpeg instead, and keeps its six channels and layout.
#[test]
fn surround_aac_is_decoded_by_ffmpeg() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("surround.m4a");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "anoisesrc=d=5:c=pink:a=0.2:r=48000:seed=3",
        "-af",
        "pan=5.1|FL=c0|FR=0.8*c0|FC=0.6*c0|LFE=0.3*c0|BL=0.5*c0|BR=0.4*c0",
        "-c:a",
        "aac",
        "-b:a",
        "320k",
        input.to_str().unwrap(),
    ]);
    let before = probe(&input);
    assert_eq!((before.channels, before.layout.as_str()), (6, "5.1"));
    let output = dir.path().join("out.m4a");
    let settings = AudioSettings {
        disclaimer: Disclaimer::Tone(ToneSettings::default()),
        ..AudioSettings::default()
    };
    let labelled = label(&input, &output, settings).unwrap();
    assert_eq!(labelled.format.name, "m4a");
    assert!(
        labelled
            .notes
            .iter()
            .any(|n| n.contains("decoded by FFmpeg")),
        "{:?}",
        labelled.notes
    );
    let after = probe(&output);
    assert_eq!(after.codec, "aac");
    assert_eq!(after.rate, 48_000);
    assert_eq!((after.channels, after.layout.as_str()), (6, "5.1"));
    // Prepend: the programme plus the tone and the gap.
    let span = labelled.manifest.label.placement.span.unwrap();
    assert!(
        (after.duration - (before.duration + span[1])).abs() < 0.6,
        "{} vs {} + {}",
        after.duration,
        before.duration,
        span[1]
    );
    let v = verify(&output);
    assert!(v.is_compliant(), "{:?} {:?}", v.marks, v.perceptible);
}

#[test]
fn adts_becomes_m4a_and_overlay_keeps_the_length() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.aac");
    make_input(&input, &["-c:a", "aac", "-b:a", "96k", "-f", "adts"]);
    let head = read_head(&mut File::open(&input).unwrap()).unwrap();
    let labeler = AudioLabeler::default();
    assert_eq!(labeler.output_format(sniff(&head).unwrap()).name, "m4a");
    let output = dir.path().join("out.m4a");
    // The tone (about 2 s) fits inside the 6 s programme.
    let settings = AudioSettings {
        mode: Mode::Overlay,
        disclaimer: Disclaimer::Tone(ToneSettings::default()),
        ..AudioSettings::default()
    };
    let labelled = label(&input, &output, settings).unwrap();
    assert_eq!(labelled.format.name, "m4a");
    assert!(
        labelled
            .notes
            .iter()
            .any(|n| n.contains("aac input written as m4a")),
        "{:?}",
        labelled.notes
    );
    // ffprobe only estimates an ADTS file's length; the programme is 6 s.
    let pout = probe(&output);
    assert_eq!(pout.codec, "aac");
    assert!((pout.duration - 6.0).abs() < 0.1, "{}", pout.duration);
    let b = pout.bitrate.unwrap();
    assert!((b / 96_000.0 - 1.0).abs() < 0.15, "bitrate {b}");
    let v = verify(&output);
    assert!(v.is_compliant(), "{:?} {:?}", v.marks, v.perceptible);
}

#[test]
fn input_without_a_path_is_spooled() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.ogg");
    make_input(&input, &["-c:a", "libvorbis", "-b:a", "96k"]);
    let bytes = std::fs::read(&input).unwrap();
    let mut reader = Cursor::new(bytes.clone());
    let mut out = Cursor::new(Vec::new());
    let labelled = AudioLabeler::default()
        .label(
            Source {
                format: sniff(&bytes).unwrap(),
                reader: &mut reader,
                path: None,
                len: bytes.len() as u64,
            },
            &mut out,
            &Job::default(),
        )
        .unwrap();
    assert_eq!(labelled.format.name, "ogg");
    let output = dir.path().join("out.ogg");
    std::fs::write(&output, out.into_inner()).unwrap();
    let mut file = File::open(&output).unwrap();
    let len = file.metadata().unwrap().len();
    let head = read_head(&mut file).unwrap();
    let v = AudioLabeler::default()
        .verify(
            Source {
                format: sniff(&head).unwrap(),
                reader: &mut file,
                path: None,
                len,
            },
            &Limits::default(),
        )
        .unwrap();
    assert!(v.is_compliant(), "{:?} {:?}", v.marks, v.perceptible);
}

#[test]
fn cover_art_is_kept_in_mp3_flac_and_m4a() {
    let dir = tempfile::tempdir().unwrap();
    let cover = dir.path().join("cover.jpg");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=s=64x64:d=1",
        "-frames:v",
        "1",
        cover.to_str().unwrap(),
    ]);
    for (ext, codec) in [("mp3", "libmp3lame"), ("flac", "flac"), ("m4a", "aac")] {
        let input = dir.path().join(format!("cover-in.{ext}"));
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100:duration=3",
            "-i",
            cover.to_str().unwrap(),
            "-map",
            "0",
            "-map",
            "1",
            "-ac",
            "2",
            "-c:a",
            codec,
            "-c:v",
            "copy",
            "-disposition:v",
            "attached_pic",
            input.to_str().unwrap(),
        ]);
        let output = dir.path().join(format!("cover-out.{ext}"));
        let labelled = label(&input, &output, AudioSettings::default()).unwrap();
        let v = ffprobe(&output);
        let pictures = v["streams"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["disposition"]["attached_pic"].as_u64() == Some(1))
            .count();
        assert_eq!(pictures, 1, "{ext}");
        assert!(
            !labelled.notes.iter().any(|n| n.contains("cover art")),
            "{ext}: {:?}",
            labelled.notes
        );
        // The very picture, byte for byte.
        let extracted = dir.path().join(format!("extracted-{ext}.jpg"));
        ffmpeg(&[
            "-i",
            output.to_str().unwrap(),
            "-map",
            "0:v",
            "-c",
            "copy",
            "-f",
            "image2",
            extracted.to_str().unwrap(),
        ]);
        assert_eq!(
            std::fs::read(&extracted).unwrap(),
            std::fs::read(&cover).unwrap(),
            "{ext}"
        );
        assert!(verify(&output).is_compliant(), "{ext}");
    }
}

/// Prepend to MP3 copies the programme's frames for VBR, mono and
/// MPEG-2 rates too; the Xing header is rewritten for the whole stream,
/// so players see the right length; a file with junk between its frames
/// is re-encoded instead.
#[test]
fn mp3_prepend_copies_the_programme_frames() {
    let dir = tempfile::tempdir().unwrap();
    let inputs: [(&str, &[&str]); 3] = [
        ("vbr", &["-c:a", "libmp3lame", "-q:a", "2"]),
        (
            "mono22k",
            &[
                "-ac",
                "1",
                "-ar",
                "22050",
                "-c:a",
                "libmp3lame",
                "-b:a",
                "48k",
            ],
        ),
        (
            "noxing",
            &["-c:a", "libmp3lame", "-b:a", "192k", "-write_xing", "0"],
        ),
    ];
    for (name, codec) in inputs {
        let input = dir.path().join(format!("{name}.mp3"));
        make_input(&input, codec);
        let output = dir.path().join(format!("{name}-out.mp3"));
        let labelled = label(&input, &output, AudioSettings::default()).unwrap();
        assert!(
            labelled
                .notes
                .iter()
                .any(|n| n.contains("copied unchanged")),
            "{name}: {:?}",
            labelled.notes
        );
        let (a, b) = (
            std::fs::read(&input).unwrap(),
            std::fs::read(&output).unwrap(),
        );
        let tail = a.len() * 2 / 3;
        assert_eq!(a[a.len() - tail..], b[b.len() - tail..], "{name}");
        // One Xing/Info frame, at the head.
        let tags = b
            .windows(4)
            .filter(|w| *w == b"Xing" || *w == b"Info")
            .count();
        assert_eq!(tags, 1, "{name}");
        if name == "vbr" {
            assert!(
                b.windows(4).any(|w| w == b"Xing"),
                "{name}: VBR not declared"
            );
        }

        let (pin, pout) = (probe(&input), probe(&output));
        assert_eq!(
            (pout.rate, pout.channels),
            (pin.rate, pin.channels),
            "{name}"
        );
        let [_, clip] = labelled.manifest.label.placement.span.unwrap();
        let expected = pin.duration + clip + 0.5;
        assert!(
            (pout.duration - expected).abs() < 0.1,
            "{name}: duration {} vs {expected}",
            pout.duration
        );
        // FFmpeg decodes the whole file without a complaint.
        let decoded = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&output)
            .args(["-f", "null", "-"])
            .output()
            .unwrap();
        assert!(
            decoded.status.success() && decoded.stderr.is_empty(),
            "{name}: {}",
            String::from_utf8_lossy(&decoded.stderr)
        );
        let v = verify(&output);
        assert!(
            v.is_compliant(),
            "{name}: {:?} {:?}",
            v.marks,
            v.perceptible
        );
    }

    // Junk between frames: not spliced, re-encoded, still labelled.
    let clean = dir.path().join("vbr.mp3");
    let mut bytes = std::fs::read(&clean).unwrap();
    let middle = bytes.len() / 2;
    bytes.splice(middle..middle, b"not an mp3 frame".iter().copied());
    let junk = dir.path().join("junk.mp3");
    std::fs::write(&junk, &bytes).unwrap();
    let output = dir.path().join("junk-out.mp3");
    let labelled = label(&junk, &output, AudioSettings::default()).unwrap();
    assert!(
        labelled
            .notes
            .iter()
            .any(|n| n.starts_with("the programme was re-encoded")),
        "{:?}",
        labelled.notes
    );
    assert!(verify(&output).is_compliant());
}

/// A forced relabel of our own output: the earlier disclaimer stays in the
/// sound (it cannot be taken out, and the notes say so), but the marks are
/// replaced, not stacked: one AIGC carrier, one manifest, one XMP packet
/// where the format has one, all the new label's.
#[test]
fn forced_relabel_replaces_the_marks() {
    let dir = tempfile::tempdir().unwrap();
    let overlay = AudioSettings {
        mode: Mode::Overlay,
        ..AudioSettings::default()
    };
    // MP3 twice: prepend splices the programme's frames, overlay re-encodes.
    let runs = CASES
        .iter()
        .map(|c| (c, AudioSettings::default()))
        .chain([(&CASES[0], overlay)]);
    for (case, settings) in runs {
        let ext = case.ext;
        let input = dir.path().join(format!("in.{ext}"));
        make_input(&input, case.codec);
        let once = dir.path().join(format!("once.{ext}"));
        let first = label(&input, &once, settings.clone()).unwrap();
        let twice = dir.path().join(format!("twice.{ext}"));
        let mut reader = File::open(&once).unwrap();
        let mut out = File::create(&twice).unwrap();
        let forced = Job::new().with_force(true);
        let second = AudioLabeler::new(settings)
            .label(source_of(&mut reader, &once), &mut out, &forced)
            .unwrap();
        assert!(
            second
                .notes
                .iter()
                .any(|n| n.contains("the earlier audible label stays")),
            "{ext}: {:?}",
            second.notes
        );

        let text = exiftool(&twice);
        let lines = exiftool_lines(&twice);
        let count = |prefixes: &[&str]| {
            lines
                .iter()
                .filter(|l| prefixes.iter().any(|p| l.starts_with(p)))
                .count()
        };
        let aigc = count(&[
            "[ID3v2_4] UserDefinedText : (AIGC)",
            "[Keys] AIGC :",
            "[Vorbis] Aigc :",
        ]);
        let manifest = count(&[
            "[ID3v2_4] UserDefinedText : (TANBA_MANIFEST)",
            "[Keys] TANBA_MANIFEST :",
            "[Vorbis] TanbaManifest :",
        ]);
        assert_eq!((aigc, manifest), (1, 1), "{ext}:\n{text}");
        let xmp = usize::from(case.xmp);
        assert_eq!(count(&["[XMP-x] XMPToolkit :"]), xmp, "{ext}:\n{text}");
        assert_eq!(count(&["[XMP-TC260] Aigc :"]), xmp, "{ext}:\n{text}");
        assert_eq!(count(&["[XMP-tanba] Manifest :"]), xmp, "{ext}:\n{text}");
        if ext == "m4a" {
            let uuid_boxes = top_level_boxes(&twice)
                .iter()
                .filter(|b| *b == "uuid")
                .count();
            assert_eq!(uuid_boxes, 1, "{ext}");
        }
        // Every mark is the new label's, none the first one's.
        let new_id = second.manifest.id.trim_start_matches("urn:uuid:");
        let old_id = first.manifest.id.trim_start_matches("urn:uuid:");
        assert!(
            !text.contains(old_id),
            "{ext}: the first label's id is left:\n{text}"
        );
        assert!(text.contains(new_id), "{ext}:\n{text}");
        let v = verify(&twice);
        assert!(v.is_compliant(), "{ext}: {:?} {:?}", v.marks, v.perceptible);
        assert_eq!(v.manifest.unwrap().id, second.manifest.id, "{ext}");
    }
}
