//! Steady noise, the audio mark's hardest host: its bands' levels hold no
//! structure for the detector's contrast to cancel, only fluctuation. The
//! detector takes a wide reference on such bands (docs/watermark.md, "A
//! reference per band"); with the two neighbours' mean alone the marked
//! noise below read per-bit z 1.02-1.03 from 10 s as written and 0.66-0.67 after
//! Opus 32 kb/s (no read), which these floors keep from coming back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audio_common;

use audio_common::{Clip, apply, interleave, mark, noise, write_wav};
use tanba_watermark::audio::audio_diagnose;
use tanba_watermark::{PUBLIC_KEY, detect_audio};

const PAYLOAD: u64 = 0x0123_4567_89AB_CDEF;

/// The audio matrix's input 17: near-white noise (tilt 1/3), 48 kHz
/// stereo, here 20 s of it.
fn matrix_noise() -> Clip {
    let rate = 48_000;
    Clip {
        name: "17-noise-48000-2ch".into(),
        samples: interleave(&noise(20.0, rate, 117, 1.0 / 3.0), 2),
        rate,
        channels: 2,
    }
}

#[test]
fn steady_noise_reads_from_10_s_as_written_and_after_opus_32k() {
    let dir = tempfile::tempdir().unwrap();
    let marked = mark(&matrix_noise(), PAYLOAD, PUBLIC_KEY);
    let src = dir.path().join("noise.wav");
    write_wav(&src, &marked);
    let opus = apply("opus-32k", &src, dir.path(), &marked);
    for (clip, floor) in [(&marked, 1.2), (&opus, 0.75)] {
        for from in [1.3, 7.0] {
            let w = clip.window(from, 10.0);
            let (_, z, _, _) = audio_diagnose(w, clip.rate, clip.channels, PUBLIC_KEY, PAYLOAD);
            let read = detect_audio(w, clip.rate, clip.channels, PUBLIC_KEY).map(|d| d.payload);
            eprintln!(
                "{} from {from} s: per-bit z {z:.2}, read {read:x?}",
                clip.name
            );
            assert_eq!(read, Some(PAYLOAD), "{} from {from} s", clip.name);
            assert!(
                z >= floor,
                "{} from {from} s: per-bit z {z:.2} < {floor}",
                clip.name
            );
        }
    }
}
