#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End-to-end tests: programmes made with hound and ffmpeg, labelled, then
//! checked with hound, ffprobe, exiftool, ffmpeg's own loudness meter and
//! our verify.

mod common;

use std::fs::File;
use std::path::Path;
use std::process::Command;

use common::{exiftool_json, exiftool_lines, ffmpeg, ffprobe};
use tanba_audio::{AudioLabeler, AudioSettings, Disclaimer, Mode, ToneSettings, sniff};
use tanba_core::{Error, Job, Labeler, LimitKind, Limits, Source, Verification, read_head};

/// A programme: a 440 Hz tone with a slow 3 Hz tremolo plus a little
/// noise, so it is neither silence nor a pure sine.
fn write_wav(path: &Path, rate: u32, channels: u16, secs: f32, amp: f32, bits: u16) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    let n = (rate as f32 * secs) as u32;
    let mut seed = 12345u32;
    let scale = (1i64 << (bits - 1)) as f32 - 1.0;
    for i in 0..n {
        let t = i as f32 / rate as f32;
        for ch in 0..channels {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
            let tone = (t * 440.0 * std::f32::consts::TAU + ch as f32).sin()
                * (0.6 + 0.4 * (t * 3.0 * std::f32::consts::TAU).sin());
            let v = amp * (0.9 * tone + 0.1 * noise);
            w.write_sample((v * scale) as i32).unwrap();
        }
    }
    w.finalize().unwrap();
}

fn label_with(
    labeler: &AudioLabeler,
    input: &Path,
    output: &Path,
    job: &Job,
) -> tanba_core::Result<tanba_core::Labelled> {
    let head = read_head(&mut File::open(input).unwrap()).unwrap();
    let format = sniff(&head).unwrap_or(&tanba_audio::WAV);
    let mut reader = File::open(input).unwrap();
    let len = reader.metadata().unwrap().len();
    let mut out = File::create(output).unwrap();
    labeler.label(
        Source {
            reader: &mut reader,
            format,
            path: Some(input),
            len,
        },
        &mut out,
        job,
    )
}

fn label(settings: AudioSettings, input: &Path, output: &Path) -> tanba_core::Labelled {
    label_with(&AudioLabeler::new(settings), input, output, &Job::default()).unwrap()
}

/// [`label`] without the watermark, for tests that compare the programme's
/// samples with the input's (the mark changes them; tests/watermark.rs).
fn label_unmarked(settings: AudioSettings, input: &Path, output: &Path) -> tanba_core::Labelled {
    let job = Job::default().with_watermark(None);
    label_with(&AudioLabeler::new(settings), input, output, &job).unwrap()
}

fn verify_with(labeler: &AudioLabeler, path: &Path) -> tanba_core::Result<Verification> {
    let head = read_head(&mut File::open(path).unwrap()).unwrap();
    let format = sniff(&head).unwrap_or(&tanba_audio::WAV);
    let mut reader = File::open(path).unwrap();
    let len = reader.metadata().unwrap().len();
    labeler.verify(
        Source {
            reader: &mut reader,
            format,
            path: Some(path),
            len,
        },
        &Limits::default(),
    )
}

fn verify(path: &Path) -> Verification {
    verify_with(&AudioLabeler::default(), path).unwrap()
}

fn read_wav(path: &Path) -> (hound::WavSpec, Vec<i32>) {
    let mut r = hound::WavReader::open(path).unwrap();
    let spec = r.spec();
    let samples = r.samples::<i32>().map(|s| s.unwrap()).collect();
    (spec, samples)
}

fn probe_stream(path: &Path) -> (u64, u64, f64) {
    let v = ffprobe(path);
    let s = &v["streams"][0];
    let rate: u64 = s["sample_rate"].as_str().unwrap().parse().unwrap();
    let channels = s["channels"].as_u64().unwrap();
    let duration: f64 = v["format"]["duration"].as_str().unwrap().parse().unwrap();
    (rate, channels, duration)
}

/// Integrated loudness and true peak of `[start, start+dur)` by ffmpeg's
/// own EBU R128 meter (an independent implementation).
fn ffmpeg_loudness(path: &Path, start: f64, dur: f64) -> (f64, f64) {
    let out = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-nostats",
            "-ss",
            &format!("{start}"),
            "-t",
            &format!("{dur}"),
            "-i",
        ])
        .arg(path)
        .args(["-af", "ebur128=peak=true", "-f", "null", "-"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    let summary = &text[text.rfind("Summary:").unwrap()..];
    let value = |key: &str| -> f64 {
        let at = summary.find(key).unwrap() + key.len();
        summary[at..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    (value("I:"), value("Peak:"))
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn span(v: &Verification) -> [f64; 2] {
    v.manifest.as_ref().unwrap().label.placement.span.unwrap()
}

#[test]
fn every_format_decodes_and_is_labelled() {
    let dir = tmp();
    let cases: [(&str, &[&str], &str); 7] = [
        ("wav", &["-c:a", "pcm_s16le"], "wav"),
        ("mp3", &["-c:a", "libmp3lame", "-b:a", "128k"], "mp3"),
        ("flac", &["-c:a", "flac"], "flac"),
        ("ogg", &["-c:a", "libvorbis", "-q:a", "3"], "ogg"),
        ("m4a", &["-c:a", "aac", "-b:a", "128k"], "m4a"),
        ("aac", &["-c:a", "aac", "-b:a", "128k", "-f", "adts"], "aac"),
        ("alac.m4a", &["-c:a", "alac"], "m4a"),
    ];
    for (ext, codec, expected) in cases {
        let input = dir.path().join(format!("in.{ext}"));
        let mut args = vec![
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=330:sample_rate=44100:duration=3",
            "-ac",
            "2",
        ];
        args.extend_from_slice(codec);
        args.push(input.to_str().unwrap());
        ffmpeg(&args);
        let head = read_head(&mut File::open(&input).unwrap()).unwrap();
        assert_eq!(sniff(&head).map(|f| f.name), Some(expected), "{ext}");
        let labeler = AudioLabeler::default();
        // What a bulk job plans through the trait, before any work.
        let out_format = Labeler::output_format(&labeler, sniff(&head).unwrap());
        assert!(std::ptr::eq(
            out_format,
            labeler.output_format(sniff(&head).unwrap())
        ));
        let output = dir
            .path()
            .join(format!("out-{ext}.{}", out_format.extension()));
        let labelled = label(AudioSettings::default(), &input, &output);
        assert!(std::ptr::eq(labelled.format, out_format), "{ext}");
        if cfg!(feature = "ffmpeg") {
            // The format is kept; raw ADTS becomes M4A.
            let kept = if expected == "aac" { "m4a" } else { expected };
            assert_eq!(labelled.format.name, kept, "{ext}");
        } else {
            assert_eq!(labelled.format.name, "wav");
        }
        if labelled.format.name == "wav" && expected != "wav" {
            assert!(
                labelled.notes.iter().any(|n| n.contains("written as WAV")),
                "{ext}: {:?}",
                labelled.notes
            );
        }
        let (rate, channels, duration) = probe_stream(&output);
        assert_eq!((rate, channels), (44100, 2), "{ext}");
        let [_, clip] = labelled.manifest.label.placement.span.unwrap();
        let expected_len = 3.0 + clip + 0.5;
        // Lossy codecs add encoder padding; gapless trimming removes most.
        assert!(
            (duration - expected_len).abs() < 0.1,
            "{ext}: {duration} vs {expected_len}"
        );
        let v = verify_with(&AudioLabeler::default(), &output)
            .unwrap_or_else(|e| panic!("{ext}: {e:?}"));
        assert!(v.is_compliant(), "{ext}: {:?}", v.perceptible);
    }
}

#[test]
fn prepend_keeps_the_programme_bit_exact_and_marks_are_readable() {
    let dir = tmp();
    let input = dir.path().join("in.wav");
    let output = dir.path().join("out.wav");
    write_wav(&input, 48_000, 2, 2.0, 0.3, 16);
    let labelled = label_unmarked(AudioSettings::default(), &input, &output);
    let (spec_in, programme) = read_wav(&input);
    let (spec_out, out) = read_wav(&output);
    assert_eq!(spec_in, spec_out);
    assert_eq!(&out[out.len() - programme.len()..], &programme[..]);
    let head_frames = (out.len() - programme.len()) / 2;
    let [start, dur] = labelled.manifest.label.placement.span.unwrap();
    assert_eq!(start, 0.0);
    assert_eq!(head_frames, ((dur + 0.5) * 48_000.0).round() as usize);
    assert_eq!(labelled.manifest.label.placement.position, "prepend");
    assert_eq!(labelled.manifest.label.lines[0].lang, "kk");

    // exiftool reads the XMP from _PMX and the INFO comment.
    let tags = &exiftool_json(&output);
    assert_eq!(
        tags["XMP-iptcExt:DigitalSourceType"].as_str(),
        Some("http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"),
        "{tags}"
    );
    let comment = tags["RIFF:Comment"].as_str().unwrap();
    assert!(
        comment.starts_with("{\"AIGC\":{\"Label\":\"1\""),
        "{comment}"
    );

    // Our own reader finds every mark.
    let v = verify(&output);
    let carriers: Vec<&str> = v.marks.iter().map(|m| m.carrier.as_str()).collect();
    assert!(carriers.contains(&"RIFF AIGC chunk"), "{carriers:?}");
    assert!(carriers.contains(&"RIFF LIST/INFO ICMT"));
    assert!(carriers.contains(&"RIFF _PMX chunk"));
    assert!(v.is_compliant(), "{:?}", v.perceptible);
    assert!(v.perceptible.score.unwrap() > 0.95);
    assert_eq!(v.manifest.unwrap().id, labelled.manifest.id);
}

#[test]
fn overlay_append_and_repeat() {
    let dir = tmp();
    let input = dir.path().join("in.wav");
    write_wav(&input, 22_050, 1, 26.0, 0.3, 16);
    let (_, programme) = read_wav(&input);
    let tone = Disclaimer::Tone(ToneSettings::default());
    for mode in [
        Mode::Overlay,
        Mode::Append,
        Mode::Repeat { every_seconds: 10 },
    ] {
        let output = dir.path().join(format!("{}.wav", mode.name()));
        let settings = AudioSettings {
            disclaimer: tone.clone(),
            mode,
            ..AudioSettings::default()
        };
        let labelled = label_unmarked(settings, &input, &output);
        let (spec, out) = read_wav(&output);
        assert_eq!((spec.sample_rate, spec.channels), (22_050, 1));
        let [start, dur] = labelled.manifest.label.placement.span.unwrap();
        assert!((dur - 1.32).abs() < 0.01, "{dur}");
        match mode {
            Mode::Append => {
                assert_eq!(
                    out.len(),
                    programme.len() + ((0.5 + dur) * 22_050.0).round() as usize
                );
                assert!((start - 26.5).abs() < 0.001);
                assert_eq!(&out[..programme.len()], &programme[..]);
            }
            _ => {
                assert_eq!(out.len(), programme.len());
                assert!((start - 0.15).abs() < 0.001);
                // Ducked under the clip, untouched after it.
                assert_eq!(
                    &out[22_050 * 3..22_050 * 9],
                    &programme[22_050 * 3..22_050 * 9]
                );
            }
        }
        let v = verify(&output);
        assert!(v.is_compliant(), "{mode}: {:?}", v.perceptible);
        if let Mode::Repeat { .. } = mode {
            // At 0, 10 and 20 s.
            assert_eq!(
                v.perceptible.detail.matches(" s").count(),
                3,
                "{}",
                v.perceptible.detail
            );
            assert_ne!(
                &out[22_050 * 10..22_050 * 12],
                &programme[22_050 * 10..22_050 * 12]
            );
        }
    }
}

#[test]
fn loudness_matches_the_programme_without_clipping() {
    let dir = tmp();
    for (amp, name) in [(0.05f32, "quiet"), (0.98, "loud")] {
        let input = dir.path().join(format!("{name}.wav"));
        let output = dir.path().join(format!("{name}-out.wav"));
        write_wav(&input, 48_000, 2, 8.0, amp, 24);
        let labelled = label(AudioSettings::default(), &input, &output);
        let [start, dur] = labelled.manifest.label.placement.span.unwrap();
        let (programme_lufs, _) = ffmpeg_loudness(&input, 0.0, 8.0);
        let (clip_lufs, clip_peak) = ffmpeg_loudness(&output, start, dur);
        assert!(clip_peak <= -1.0, "{name}: true peak {clip_peak} dBTP");
        if name == "quiet" {
            assert!(
                (clip_lufs - programme_lufs).abs() < 2.0,
                "{clip_lufs} vs {programme_lufs}"
            );
        } else {
            // Speech peaks well above its loudness: the peak limit wins, and
            // the clip is as loud as the ceiling allows.
            assert!(
                clip_lufs > programme_lufs - 15.0,
                "{clip_lufs} vs {programme_lufs}"
            );
        }
    }
    // Overlaid on a loud programme, clip plus ducked programme stay under -1 dBTP.
    let input = dir.path().join("loud.wav");
    let output = dir.path().join("loud-overlay.wav");
    let settings = AudioSettings {
        mode: Mode::Overlay,
        ..AudioSettings::default()
    };
    let labelled = label(settings, &input, &output);
    let [start, dur] = labelled.manifest.label.placement.span.unwrap();
    let (_, peak) = ffmpeg_loudness(&output, start, dur);
    assert!(peak <= -1.0, "overlay true peak {peak}");
}

/// Rebuilds a WAV with `keep` frames of its audio, all other chunks kept.
fn rewrite_audio(path: &Path, out: &Path, keep: impl Fn(usize) -> std::ops::Range<usize>) {
    let bytes = std::fs::read(path).unwrap();
    let mut at = 12;
    let mut fmt = Vec::new();
    let mut rest = Vec::new();
    let mut block_align = 0usize;
    let mut data = Vec::new();
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        let body = &bytes[at + 8..at + 8 + size];
        match id {
            b"fmt " => {
                block_align = u16::from_le_bytes([body[12], body[13]]) as usize;
                fmt = bytes[at..at + 8 + size + size % 2].to_vec();
            }
            b"data" => data = body.to_vec(),
            _ => rest.extend_from_slice(&bytes[at..at + 8 + size + size % 2]),
        }
        at += 8 + size + size % 2;
    }
    let frames = keep(data.len() / block_align);
    let new_data = &data[frames.start * block_align..frames.end * block_align];
    let mut riff = b"WAVE".to_vec();
    riff.extend(fmt);
    riff.extend(b"data");
    riff.extend((new_data.len() as u32).to_le_bytes());
    riff.extend(new_data);
    riff.extend(rest);
    let mut file = b"RIFF".to_vec();
    file.extend((riff.len() as u32).to_le_bytes());
    file.extend(riff);
    std::fs::write(out, file).unwrap();
}

#[test]
fn verify_fails_when_the_disclaimer_is_cut_off() {
    let dir = tmp();
    let input = dir.path().join("in.wav");
    write_wav(&input, 16_000, 1, 4.0, 0.3, 16);
    // Prepend: cut the head off, keep every mark.
    let output = dir.path().join("prepended.wav");
    let labelled = label(AudioSettings::default(), &input, &output);
    let [_, dur] = labelled.manifest.label.placement.span.unwrap();
    let head = ((dur + 0.5) * 16_000.0) as usize;
    let cut = dir.path().join("cut-head.wav");
    rewrite_audio(&output, &cut, |n| head..n);
    let v = verify(&cut);
    assert!(v.has_machine_mark());
    assert!(!v.perceptible.found, "{:?}", v.perceptible);
    assert!(!v.is_compliant());
    // The untouched rewrite still verifies (the helper itself is sound).
    let same = dir.path().join("same.wav");
    rewrite_audio(&output, &same, |n| 0..n);
    assert!(verify(&same).is_compliant());

    // Append: cut the tail off.
    let output = dir.path().join("appended.wav");
    let settings = AudioSettings {
        mode: Mode::Append,
        ..AudioSettings::default()
    };
    label(settings, &input, &output);
    let cut = dir.path().join("cut-tail.wav");
    rewrite_audio(&output, &cut, |_| 0..4 * 16_000);
    let v = verify(&cut);
    assert!(!v.perceptible.found);
    assert!(
        v.perceptible.detail.contains("cut off"),
        "{}",
        v.perceptible.detail
    );
}

#[test]
fn user_clip_in_another_format_is_resampled_and_verified() {
    let dir = tmp();
    let clip = dir.path().join("clip.ogg");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=600:sample_rate=32000:duration=1.5",
        "-ac",
        "2",
        "-c:a",
        "libvorbis",
        clip.to_str().unwrap(),
    ]);
    let input = dir.path().join("in.wav");
    write_wav(&input, 44_100, 2, 3.0, 0.2, 16);
    let settings = AudioSettings {
        disclaimer: Disclaimer::Clip(std::fs::read(&clip).unwrap().into()),
        mode: Mode::Overlay,
        ..AudioSettings::default()
    };
    let labeler = AudioLabeler::new(settings);
    let output = dir.path().join("out.wav");
    let labelled = label_with(&labeler, &input, &output, &Job::default()).unwrap();
    let [_, dur] = labelled.manifest.label.placement.span.unwrap();
    assert!((dur - 1.5).abs() < 0.05, "{dur}");
    // The manifest keeps the job's label (the clip's words are the user's).
    assert_eq!(labelled.manifest.label.lines, Job::default().label.lines);
    assert!(verify_with(&labeler, &output).unwrap().is_compliant());
    // Without the clip, verify says what it needs.
    let v = verify(&output);
    assert!(!v.perceptible.found);
    assert!(
        v.perceptible.detail.contains("same clip"),
        "{}",
        v.perceptible.detail
    );
}

#[test]
fn surround_keeps_the_clip_off_the_lfe() {
    let dir = tmp();
    let input = dir.path().join("in51.wav");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "anoisesrc=color=pink:amplitude=0.05:sample_rate=48000:duration=2",
        "-af",
        "pan=5.1|FL=c0|FR=c0|FC=c0|LFE=0*c0|BL=c0|BR=c0",
        "-c:a",
        "pcm_s16le",
        input.to_str().unwrap(),
    ]);
    let output = dir.path().join("out51.wav");
    let settings = AudioSettings {
        disclaimer: Disclaimer::Tone(ToneSettings::default()),
        ..AudioSettings::default()
    };
    label(settings, &input, &output);
    let (spec, out) = read_wav(&output);
    assert_eq!(spec.channels, 6);
    let lfe_energy: i64 = out
        .iter()
        .skip(3)
        .step_by(6)
        .take(48_000)
        .map(|s| i64::from(*s).abs())
        .sum();
    let fl_energy: i64 = out
        .iter()
        .step_by(6)
        .take(48_000)
        .map(|s| i64::from(*s).abs())
        .sum();
    assert_eq!(lfe_energy, 0);
    assert!(fl_energy > 0);
    assert!(verify(&output).is_compliant());
}

#[test]
fn already_labelled_input_is_refused_unless_forced() {
    let dir = tmp();
    let input = dir.path().join("in.wav");
    write_wav(&input, 8_000, 1, 1.0, 0.3, 16);
    let once = dir.path().join("once.wav");
    let tone = AudioSettings {
        disclaimer: Disclaimer::Tone(ToneSettings::default()),
        ..AudioSettings::default()
    };
    label(tone.clone(), &input, &once);
    let labeler = AudioLabeler::new(tone);
    let twice = dir.path().join("twice.wav");
    let err = label_with(&labeler, &once, &twice, &Job::default()).unwrap_err();
    assert!(matches!(err, Error::AlreadyLabelled { .. }), "{err}");
    let forced = Job::new().with_force(true);
    let relabelled = label_with(&labeler, &once, &twice, &forced).unwrap();
    assert!(verify(&twice).is_compliant());
    assert!(
        relabelled
            .notes
            .iter()
            .any(|n| n.contains("the earlier audible label stays")),
        "{:?}",
        relabelled.notes
    );

    // The marks were replaced, not stacked: one of each chunk, one INFO
    // comment, one XMP packet, all carrying the new label's id.
    let ids = riff_chunk_ids(&twice);
    for id in ["AIGC", "LIST", "_PMX"] {
        assert_eq!(
            ids.iter().filter(|c| *c == id).count(),
            1,
            "{id} in {ids:?}"
        );
    }
    let tags = exiftool_lines(&twice);
    let count = |tag: &str| tags.iter().filter(|l| l.starts_with(tag)).count();
    assert_eq!(count("[RIFF] Comment "), 1, "{tags:#?}");
    assert_eq!(count("[XMP-x] XMPToolkit "), 1, "{tags:#?}");
    assert_eq!(count("[XMP-TC260] Aigc "), 1, "{tags:#?}");
    assert_eq!(count("[XMP-tanba] Manifest "), 1, "{tags:#?}");
    let new_id = relabelled.manifest.id.trim_start_matches("urn:uuid:");
    for tag in [
        "[RIFF] Comment ",
        "[XMP-TC260] Aigc ",
        "[XMP-tanba] Manifest ",
    ] {
        let line = tags.iter().find(|l| l.starts_with(tag)).unwrap();
        assert!(line.contains(new_id), "{line}");
    }
    assert_eq!(verify(&twice).manifest.unwrap().id, relabelled.manifest.id);
}

/// The top-level chunk ids of a RIFF file, in order.
fn riff_chunk_ids(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    let mut ids = Vec::new();
    let mut at = 12;
    while at + 8 <= bytes.len() {
        ids.push(String::from_utf8_lossy(&bytes[at..at + 4]).into_owned());
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        at += 8 + size + (size & 1);
    }
    ids
}

#[test]
fn unlabelled_input_verifies_as_unmarked() {
    let dir = tmp();
    let input = dir.path().join("in.wav");
    write_wav(&input, 8_000, 1, 1.0, 0.3, 16);
    let v = verify(&input);
    assert!(!v.has_machine_mark());
    assert!(!v.perceptible.found);
}

fn label_err(input: &Path, limits: Limits) -> Error {
    let dir = tmp();
    let job = Job::new().with_limits(limits);
    label_with(
        &AudioLabeler::default(),
        input,
        &dir.path().join("out.wav"),
        &job,
    )
    .unwrap_err()
}

#[test]
fn bad_inputs_give_clear_errors() {
    let dir = tmp();
    let good = dir.path().join("good.wav");
    write_wav(&good, 16_000, 1, 2.0, 0.3, 16);
    let bytes = std::fs::read(&good).unwrap();

    // Truncated WAV: the header claims more frames than are there.
    let truncated = dir.path().join("truncated.wav");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let e = label_err(&truncated, Limits::default());
    assert!(
        matches!(e, Error::Malformed { .. }) && e.to_string().contains("truncated"),
        "{e}"
    );

    // Truncated FLAC.
    let flac = dir.path().join("in.flac");
    ffmpeg(&[
        "-i",
        good.to_str().unwrap(),
        "-c:a",
        "flac",
        flac.to_str().unwrap(),
    ]);
    let fbytes = std::fs::read(&flac).unwrap();
    let flac_cut = dir.path().join("cut.flac");
    std::fs::write(&flac_cut, &fbytes[..fbytes.len() / 2]).unwrap();
    let e = label_err(&flac_cut, Limits::default());
    assert!(matches!(e, Error::Malformed { .. }), "{e}");

    // Garbage.
    let garbage = dir.path().join("garbage.bin");
    let noise: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 & 0x7f)
        .collect();
    std::fs::write(&garbage, &noise).unwrap();
    let e = label_err(&garbage, Limits::default());
    assert!(
        matches!(e, Error::Malformed { .. } | Error::Unsupported { .. }),
        "{e}"
    );

    // A WAV header with garbage after it.
    let mut fake = bytes[..44].to_vec();
    fake.extend_from_slice(&noise[..100]);
    let fake_path = dir.path().join("fake.wav");
    std::fs::write(&fake_path, &fake).unwrap();
    let e = label_err(&fake_path, Limits::default());
    assert!(matches!(e, Error::Malformed { .. }), "{e}");

    // Zero-length stream.
    let empty = dir.path().join("empty.wav");
    write_wav(&empty, 16_000, 1, 0.0, 0.3, 16);
    let e = label_err(&empty, Limits::default());
    assert!(
        matches!(e, Error::Malformed { .. }) && e.to_string().contains("empty"),
        "{e}"
    );

    // An MP4 with video and no audio: not sniffed as audio, and refused.
    let video = dir.path().join("video.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=64x64:rate=5:duration=1",
        "-c:v",
        "mpeg4",
        video.to_str().unwrap(),
    ]);
    let head = read_head(&mut File::open(&video).unwrap()).unwrap();
    assert_eq!(sniff(&head), None);
    let e = label_err(&video, Limits::default());
    assert!(
        matches!(e, Error::Unsupported { .. }) && e.to_string().contains("no audio track"),
        "{e}"
    );

    // An absurd duration against tight limits, refused before decoding.
    let tight = Limits {
        max_duration_ms: 1000,
        ..Limits::default()
    };
    let e = label_err(&good, tight);
    assert!(
        matches!(
            e,
            Error::LimitExceeded {
                kind: LimitKind::DurationMs,
                value: 2000,
                ..
            }
        ),
        "{e}"
    );

    // A file larger than the byte limit.
    let e = label_err(
        &good,
        Limits {
            max_bytes: 100,
            ..Limits::default()
        },
    );
    assert!(
        matches!(
            e,
            Error::LimitExceeded {
                kind: LimitKind::Bytes,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn resamples_odd_rates_both_ways() {
    let dir = tmp();
    for rate in [8_000u32, 96_000] {
        let input = dir.path().join(format!("in{rate}.wav"));
        write_wav(&input, rate, 1, 1.0, 0.2, 16);
        let output = dir.path().join(format!("out{rate}.wav"));
        let labelled = label(
            AudioSettings {
                disclaimer: Disclaimer::Spoken(vec![tanba_core::Lang::En]),
                ..AudioSettings::default()
            },
            &input,
            &output,
        );
        let (spec, _) = read_wav(&output);
        assert_eq!(spec.sample_rate, rate);
        let v = verify(&output);
        assert!(v.is_compliant(), "{rate}: {:?}", v.perceptible);
        assert_eq!(span(&v), labelled.manifest.label.placement.span.unwrap());
    }
}

#[test]
fn signed_manifest_survives_and_verifies() {
    let dir = tmp();
    let input = dir.path().join("in.wav");
    write_wav(&input, 8_000, 1, 1.0, 0.3, 16);
    let key = tanba_core::signing::SigningKey::from_bytes(&[9u8; 32]);
    let job = Job::new().with_signing_key(key);
    let labeler = AudioLabeler::new(AudioSettings {
        disclaimer: Disclaimer::Tone(ToneSettings::default()),
        ..AudioSettings::default()
    });
    let output = dir.path().join("out.wav");
    let labelled = label_with(&labeler, &input, &output, &job).unwrap();
    assert_eq!(labelled.manifest.label.lines[0].lang, "zxx");
    let v = verify(&output);
    assert!(
        matches!(v.signature, tanba_core::SignatureState::Valid { .. }),
        "{:?}",
        v.signature
    );
    assert!(v.is_compliant());
}

#[test]
fn float_and_8_bit_inputs_keep_their_coding() {
    let dir = tmp();
    let tone = AudioSettings {
        disclaimer: Disclaimer::Tone(ToneSettings::default()),
        ..AudioSettings::default()
    };
    // 8-bit mono with an odd frame count: the data chunk is odd-sized and the
    // mark chunks must still start on an even offset.
    for (codec, bits, format) in [
        ("pcm_u8", 8u16, hound::SampleFormat::Int),
        ("pcm_f32le", 32, hound::SampleFormat::Float),
    ] {
        let input = dir.path().join(format!("{codec}.wav"));
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=500:sample_rate=11025:duration=1.0001",
            "-c:a",
            codec,
            input.to_str().unwrap(),
        ]);
        let output = dir.path().join(format!("{codec}-out.wav"));
        label(tone.clone(), &input, &output);
        let r = hound::WavReader::open(&output).unwrap();
        assert_eq!(
            (r.spec().bits_per_sample, r.spec().sample_format),
            (bits, format),
            "{codec}"
        );
        let (rate, channels, _) = probe_stream(&output);
        assert_eq!((rate, channels), (11025, 1));
        let tags = exiftool_json(&output);
        assert!(
            tags["XMP-iptcExt:DigitalSourceType"].is_string(),
            "{codec}: {tags}"
        );
        assert!(verify(&output).is_compliant(), "{codec}");
    }
}

#[test]
fn overlay_on_a_programme_shorter_than_the_clip() {
    let dir = tmp();
    let input = dir.path().join("short.wav");
    write_wav(&input, 16_000, 2, 0.5, 0.3, 16);
    let output = dir.path().join("out.wav");
    let settings = AudioSettings {
        mode: Mode::Overlay,
        ..AudioSettings::default()
    };
    let labelled = label(settings, &input, &output);
    let [start, dur] = labelled.manifest.label.placement.span.unwrap();
    let (_, out) = read_wav(&output);
    // The clip is completed over silence.
    assert_eq!(out.len() / 2, ((start + dur) * 16_000.0).round() as usize);
    assert!(verify(&output).is_compliant());
}

#[test]
fn a_job_with_a_progress_sink_counts_audio_time_up_to_the_programme_length() {
    use std::sync::{Arc, Mutex};
    use tanba_core::{ProgressUnit, ProgressUpdate};
    let dir = tmp();
    let wav = dir.path().join("in.wav");
    write_wav(&wav, 22_050, 1, 6.0, 0.3, 16);
    let flac = dir.path().join("in.flac");
    ffmpeg(&[
        "-i",
        wav.to_str().unwrap(),
        "-c:a",
        "flac",
        flac.to_str().unwrap(),
    ]);
    let tone = Disclaimer::Tone(ToneSettings::default());
    // One pass (WAV, prepend), two passes (WAV, repeat) and a re-encode.
    for (input, mode) in [
        (&wav, Mode::Prepend),
        (&wav, Mode::Repeat { every_seconds: 3 }),
        (&flac, Mode::Overlay),
    ] {
        let seen = Arc::new(Mutex::new(Vec::<ProgressUpdate>::new()));
        let s = seen.clone();
        let job = Job::new().with_progress(Arc::new(move |u: &ProgressUpdate| {
            s.lock().unwrap().push(u.clone());
        }));
        let labeler = AudioLabeler::new(AudioSettings {
            disclaimer: tone.clone(),
            mode,
            ..AudioSettings::default()
        });
        let ext = input.extension().unwrap().to_str().unwrap();
        let output = dir.path().join(format!("{}.{ext}", mode.name()));
        label_with(&labeler, input, &output, &job).unwrap();
        let seen = seen.lock().unwrap();
        let what = format!("{} {}: {seen:?}", input.display(), mode.name());
        assert!(seen.len() >= 2, "{what}");
        assert!(
            seen.iter().all(|u| u.unit == ProgressUnit::Millis),
            "{what}"
        );
        assert!(seen.iter().all(|u| u.total == Some(6000)), "{what}");
        assert!(seen.windows(2).all(|w| w[0].done <= w[1].done), "{what}");
        assert_eq!(seen[0].done, 0, "{what}");
        let last = seen.last().unwrap();
        assert!(last.finished && last.done == 6000, "{what}");
        assert_eq!(last.media_seconds, Some(6.0), "{what}");
        assert_eq!(seen.iter().filter(|u| u.finished).count(), 1, "{what}");
    }
}
