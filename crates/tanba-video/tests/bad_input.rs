#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Inputs that must be refused with a clear, typed error and no output.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use tanba_core::{Error, Job, Labeler, LimitKind, Limits, read_head};

fn refused(input: &Path, format: &'static tanba_core::Format, job: &Job) -> Error {
    let output = input.with_extension("out");
    // `label_as` also checks that nothing was written on failure.
    let err = label_as(&labeler(), input, format, &output, job).unwrap_err();
    assert!(!output.exists(), "an output was left behind");
    eprintln!("{}: {err}", input.display());
    err
}

/// `file name -> error kind` from the README's table rows
/// (`| \`name\` | \`kind\` | why |`).
fn expected_kinds(readme: &str) -> BTreeMap<String, String> {
    readme
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            let kind = cells.get(2)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((name.to_string(), kind.to_string()))
        })
        .collect()
}

/// The bad-inputs contract: every file in `tests/bad/` is refused with the
/// error kind its README names, nothing is written and the input is left
/// as it was; a file without a row (or a row without a file) fails.
#[test]
fn every_committed_bad_input_is_refused_with_its_kind() {
    let bad = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/bad");
    let readme = std::fs::read_to_string(bad.join("README.md")).unwrap();
    let mut expected = expected_kinds(&readme);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&bad)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "README.md")
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    let out_dir = tempfile::tempdir().unwrap();
    for path in files {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let kind = expected
            .remove(&name)
            .unwrap_or_else(|| panic!("{name} has no expected error kind in tests/bad/README.md"));
        // What the content sniffs as, else what the extension names.
        let head = read_head(&mut std::fs::File::open(&path).unwrap()).unwrap();
        let ext = path.extension().unwrap().to_str().unwrap();
        let format = tanba_video::sniff(&head)
            .or_else(|| {
                labeler()
                    .formats()
                    .iter()
                    .copied()
                    .find(|f| f.extensions.contains(&ext))
            })
            .unwrap_or_else(|| panic!("{name}: no video format for .{ext}"));
        let before = std::fs::read(&path).unwrap();
        let output = out_dir.path().join(&name);
        // `label_as` writes the output file only on success and checks
        // that a failure wrote no bytes.
        let err = match label_as(&labeler(), &path, format, &output, &Job::default()) {
            Ok(l) => panic!("{name} was labelled: {:?}", l.notes),
            Err(e) => e,
        };
        assert_eq!(err.kind_name(), kind, "{name}: {err}");
        assert_eq!(std::fs::read(&path).unwrap(), before, "{name} was modified");
    }
    let left: Vec<_> = std::fs::read_dir(out_dir.path()).unwrap().collect();
    assert!(left.is_empty(), "outputs left behind: {left:?}");
    assert!(
        expected.is_empty(),
        "the README lists files that are not there: {expected:?}"
    );
}

#[test]
fn a_file_without_video_is_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("audio.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=duration=1",
        "-c:a",
        "aac",
        input.to_str().unwrap(),
    ]);
    let err = refused(&input, &tanba_video::MP4, &Job::default());
    assert!(
        matches!(&err, Error::Unsupported { reason, .. } if reason.contains("no video stream")),
        "{err}"
    );
}

#[test]
fn truncated_files_are_malformed() {
    let dir = tempfile::tempdir().unwrap();
    let whole = make_mp4(dir.path(), "whole.mp4", "3");
    let bytes = std::fs::read(&whole).unwrap();
    // The index (moov) is written last: cut, it is gone.
    let cut = dir.path().join("cut.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = refused(&cut, &tanba_video::MP4, &Job::default());
    assert!(matches!(err, Error::Malformed { .. }), "{err}");

    // Index first (faststart): the header survives, the frames do not.
    let fast = dir.path().join("fast.mp4");
    ffmpeg(&[
        "-i",
        whole.to_str().unwrap(),
        "-c",
        "copy",
        "-movflags",
        "+faststart",
        fast.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&fast).unwrap();
    let cut = dir.path().join("fastcut.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = refused(&cut, &tanba_video::MP4, &Job::default());
    assert!(
        matches!(&err, Error::Malformed { reason, .. } if reason.contains("truncated")),
        "{err}"
    );

    // Matroska keeps its duration in the header: half the clusters missing.
    let mkv = dir.path().join("whole.mkv");
    ffmpeg(&[
        "-i",
        whole.to_str().unwrap(),
        "-c",
        "copy",
        mkv.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&mkv).unwrap();
    let cut = dir.path().join("cut.mkv");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = refused(&cut, &tanba_video::MKV, &Job::default());
    assert!(
        matches!(&err, Error::Malformed { reason, .. } if reason.contains("truncated")),
        "{err}"
    );
}

#[test]
fn garbage_is_malformed() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("garbage.mp4");
    let mut bytes = vec![0, 0, 0, 0x18];
    bytes.extend_from_slice(b"ftypisom\0\0\x02\0isomiso2");
    let mut seed = 7u32;
    bytes.extend((0..20_000).map(|_| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        (seed >> 16) as u8
    }));
    std::fs::write(&input, &bytes).unwrap();
    let err = refused(&input, &tanba_video::MP4, &Job::default());
    assert!(matches!(err, Error::Malformed { .. }), "{err}");
    let empty = dir.path().join("empty.webm");
    std::fs::write(&empty, b"").unwrap();
    let err = refused(&empty, &tanba_video::WEBM, &Job::default());
    assert!(matches!(err, Error::Malformed { .. }), "{err}");
}

#[test]
fn an_unknown_codec_is_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let whole = make_mp4(dir.path(), "whole.mp4", "1");
    let mkv = dir.path().join("whole.mkv");
    ffmpeg(&[
        "-i",
        whole.to_str().unwrap(),
        "-an",
        "-c",
        "copy",
        mkv.to_str().unwrap(),
    ]);
    // Rename the codec ID in place (same length): FFmpeg knows no decoder.
    let mut bytes = std::fs::read(&mkv).unwrap();
    let at = bytes
        .windows(15)
        .position(|w| w == b"V_MPEG4/ISO/AVC")
        .unwrap();
    bytes[at..at + 15].copy_from_slice(b"V_TANBA/UNKNOWN");
    let odd = dir.path().join("odd.mkv");
    std::fs::write(&odd, &bytes).unwrap();
    let err = refused(&odd, &tanba_video::MKV, &Job::default());
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
}

#[test]
fn limits_are_checked_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let input = make_mp4(dir.path(), "in.mp4", "3");
    let job = |limits: Limits| Job::new().with_limits(limits);
    let err = refused(
        &input,
        &tanba_video::MP4,
        &job(Limits {
            max_dimension: 200,
            ..Limits::default()
        }),
    );
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                kind: LimitKind::Dimension,
                value: 320,
                ..
            }
        ),
        "{err}"
    );
    let err = refused(
        &input,
        &tanba_video::MP4,
        &job(Limits {
            max_pixels: 320 * 200,
            ..Limits::default()
        }),
    );
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                kind: LimitKind::Pixels,
                ..
            }
        ),
        "{err}"
    );
    let err = refused(
        &input,
        &tanba_video::MP4,
        &job(Limits {
            max_duration_ms: 2000,
            ..Limits::default()
        }),
    );
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                kind: LimitKind::DurationMs,
                ..
            }
        ),
        "{err}"
    );
    let err = refused(
        &input,
        &tanba_video::MP4,
        &job(Limits {
            max_bytes: 1000,
            ..Limits::default()
        }),
    );
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                kind: LimitKind::Bytes,
                ..
            }
        ),
        "{err}"
    );
    // verify honours the same limits.
    let mut reader = std::fs::File::open(&input).unwrap();
    let len = reader.metadata().unwrap().len();
    let err = tanba_core::Labeler::verify(
        &labeler(),
        tanba_core::Source {
            reader: &mut reader,
            format: &tanba_video::MP4,
            path: Some(&input),
            len,
        },
        &Limits {
            max_dimension: 200,
            ..Limits::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, Error::LimitExceeded { .. }), "{err}");
}

#[test]
fn settings_below_the_legal_minimum_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = make_mp4(dir.path(), "in.mp4", "1");
    let short = tanba_video::VideoLabeler::new(tanba_video::VideoSettings {
        notice_seconds: Some(1.0),
        ..Default::default()
    });
    let err = label_with(&short, &input, &dir.path().join("o.mp4"), &Job::default()).unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err}");
}

#[test]
fn an_absurd_duration_in_the_header_is_refused_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let whole = make_mp4(dir.path(), "whole.mp4", "1");
    let mkv = dir.path().join("whole.mkv");
    ffmpeg(&[
        "-i",
        whole.to_str().unwrap(),
        "-c",
        "copy",
        mkv.to_str().unwrap(),
    ]);
    // The segment's Duration element (ID 0x4489, 8-byte float, in ms):
    // claim about 31 years.
    let mut bytes = std::fs::read(&mkv).unwrap();
    let at = bytes
        .windows(3)
        .position(|w| w == [0x44, 0x89, 0x88])
        .unwrap();
    bytes[at + 3..at + 11].copy_from_slice(&1e12f64.to_be_bytes());
    let odd = dir.path().join("forever.mkv");
    std::fs::write(&odd, &bytes).unwrap();
    let err = refused(&odd, &tanba_video::MKV, &Job::default());
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                kind: LimitKind::DurationMs,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn absurd_dimensions_in_the_header_are_refused_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw.mkv");
    // Raw video: the frame size comes from the container alone.
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        // 272 rows, so both sizes are stored in two bytes.
        "testsrc=size=320x272:rate=5:duration=0.4",
        "-c:v",
        "rawvideo",
        "-pix_fmt",
        "yuv420p",
        raw.to_str().unwrap(),
    ]);
    let original = std::fs::read(&raw).unwrap();
    let patched = |width: [u8; 2], height: [u8; 2], name: &str| {
        let mut bytes = original.clone();
        // PixelWidth (0xB0) 320 and PixelHeight (0xBA) 272.
        for (from, to) in [
            ([0xB0, 0x82, 0x01, 0x40], [0xB0, 0x82, width[0], width[1]]),
            ([0xBA, 0x82, 0x01, 0x10], [0xBA, 0x82, height[0], height[1]]),
        ] {
            let at = bytes.windows(4).position(|w| w == from).unwrap();
            bytes[at..at + 4].copy_from_slice(&to);
        }
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        path
    };
    // 60000 x 16 against a service's 4096-pixel limit.
    let wide = patched([0xEA, 0x60], [0x00, 0x10], "wide.mkv");
    let job = Job::new().with_limits(Limits {
        max_dimension: 4096,
        ..Limits::default()
    });
    let err = refused(&wide, &tanba_video::MKV, &job);
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                kind: LimitKind::Dimension,
                value: 60_000,
                ..
            }
        ),
        "{err}"
    );
    // 60000 x 60000: FFmpeg itself drops a size that large (over 2^28 pixels).
    let huge = patched([0xEA, 0x60], [0xEA, 0x60], "huge.mkv");
    let err = refused(&huge, &tanba_video::MKV, &Job::default());
    assert!(
        matches!(&err, Error::Malformed { reason, .. } if reason.contains("frame size")),
        "{err}"
    );
}
