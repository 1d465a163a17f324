//! The audio watermark read back after ffmpeg has stripped, re-encoded
//! (MP3 96 kb/s, AAC 96 kb/s, Opus 32 kb/s), resampled to 16 kHz, turned
//! down by 6 dB and cut the first 5 s of a marked programme; a detection is
//! never a wrong payload; unmarked programmes and wrong keys read nothing;
//! the mark keeps SNR above 30 dB.
//!
//! The detector is given a 20-s window (the most the goal allows, #18).
//! Both speech programmes must be read back after every operation (their
//! alignment scores are 18-42, the threshold 12); the tonal music after at
//! least 5 of the 7 (scores about 16: it is the weaker case); the music
//! with drums (broadband hits in every band, the weakest case,
//! docs/watermark.md) only must never read a wrong payload.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audio_common;

use audio_common::{Clip, OPS, apply, mark, programmes, snr_db, write_wav};
use tanba_watermark::{Key, PUBLIC_KEY, detect_audio};

const PAYLOAD: u64 = 0x0123_4567_89AB_CDEF;
/// Length of each test programme, in seconds (the cut takes 5).
const SECS: f32 = 30.0;
/// The detector's window, starting off the slot grid.
const WINDOW: (f32, f32) = (1.3, 20.0);

fn read(clip: &Clip, key: Key) -> Option<u64> {
    let (from, len) = WINDOW;
    let d = detect_audio(clip.window(from, len), clip.rate, clip.channels, key);
    eprintln!("{}: {:?}", clip.name, d);
    d.map(|d| d.payload)
}

#[test]
fn marks_survive_every_operation_and_never_read_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let (mut missed, mut wrong, mut chords) = (Vec::new(), Vec::new(), 0);
    for clip in programmes(SECS) {
        let marked = mark(&clip, PAYLOAD, PUBLIC_KEY);
        let src = dir.path().join(format!("{}.wav", clip.name));
        write_wav(&src, &marked);
        for op in OPS {
            let back = apply(op, &src, dir.path(), &marked);
            match read(&back, PUBLIC_KEY) {
                Some(p) if p != PAYLOAD => wrong.push(format!("{}/{op}: {p:#x}", clip.name)),
                Some(_) if clip.name.starts_with("chords") => chords += 1,
                None if clip.name.starts_with("speech") => {
                    missed.push(format!("{}/{op}", clip.name))
                }
                _ => {}
            }
        }
    }
    assert!(wrong.is_empty(), "wrong payloads: {wrong:?}");
    assert!(missed.is_empty(), "payload not read back: {missed:?}");
    assert!(
        chords >= 5,
        "tonal music read back after {chords} of 7 operations"
    );
}

#[test]
fn the_mark_keeps_snr_above_30_db() {
    for clip in programmes(SECS) {
        let marked = mark(&clip, PAYLOAD, PUBLIC_KEY);
        let snr = snr_db(&clip.samples, &marked.samples);
        eprintln!("{}: SNR {snr:.1} dB", clip.name);
        assert!(snr >= 30.0, "{}: SNR {snr:.1} dB", clip.name);
    }
}

#[test]
fn unmarked_programmes_and_wrong_keys_read_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for clip in programmes(SECS) {
        let src = dir.path().join(format!("{}.wav", clip.name));
        write_wav(&src, &clip);
        let back = apply("mp3-96k", &src, dir.path(), &clip);
        assert_eq!(read(&back, PUBLIC_KEY), None, "{}", clip.name);
        let marked = mark(&clip, PAYLOAD, PUBLIC_KEY);
        assert_eq!(read(&marked, Key::private(7)), None, "{}", clip.name);
    }
}
