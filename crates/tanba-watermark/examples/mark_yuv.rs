//! Marks raw yuv420p frames from stdin to stdout, so x264's cost of coding
//! the mark can be timed apart from Tanba's decoding and overlays:
//! `ffmpeg -i IN -f rawvideo -pix_fmt yuv420p - | mark_yuv W H |
//! ffmpeg -f rawvideo -pix_fmt yuv420p -s WxH -r 30 -i - -c:v libx264 ...`.
//! `PLAIN=1` passes the frames through unmarked (the same pipe, for the
//! baseline). `CHANGES=1` prints, for every frame whose mark differs from
//! the frame before's (an update of the informed amplitudes), the share of
//! pixels whose mark moved: each is a residual x264 must code where the
//! picture itself stands still. `FROZEN=1` keeps the first frame's mark for
//! every frame (no updates), to weigh what the updates cost x264.
//! `PAYLOAD=HEX` marks another payload than the default one (a label's is
//! its manifest id's, so the grid chosen can differ from one to the next).
//! `SEE=FILE.yuv` shows the marker that file's first frame before marking
//! (as the labeler shows it the frame before its badge is drawn), so
//! frames carrying a badge can be marked as the labeler marks them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufWriter, Read, Write};

use tanba_watermark::{FrameMarker, PUBLIC_KEY};

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("W H"))
        .collect();
    let (w, h) = (args[0], args[1]);
    let payload = std::env::var("PAYLOAD").map_or(0x0123_4567_89AB_CDEF, |hex| {
        u64::from_str_radix(&hex, 16).expect("PAYLOAD in hex")
    });
    let mut marker = (std::env::var_os("PLAIN").is_none())
        .then(|| FrameMarker::new(w as u32, h as u32, payload, PUBLIC_KEY).unwrap());
    let mut frame = vec![0u8; w * h * 3 / 2];
    if let (Some(m), Ok(seen)) = (&mut marker, std::env::var("SEE")) {
        let mut first = std::fs::File::open(seen).expect("SEE file");
        first.read_exact(&mut frame).expect("one frame in SEE");
        m.see_content(&frame[..w * h], w);
    }
    let mut input = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    let (mut n, mut spent) = (0u32, std::time::Duration::ZERO);
    let changes = std::env::var_os("CHANGES").is_some();
    let frozen = std::env::var_os("FROZEN").is_some();
    let (mut before, mut mark) = (vec![0u8; w * h], vec![0i16; w * h]);
    while input.read_exact(&mut frame).is_ok() {
        if let Some(m) = &mut marker {
            if changes {
                before.copy_from_slice(&frame[..w * h]);
            }
            let t = std::time::Instant::now();
            if frozen && n > 0 {
                m.apply(&mut frame[..w * h], w);
            } else {
                m.mark(&mut frame[..w * h], w);
            }
            spent += t.elapsed();
            if changes {
                report_changes(n, &before, &frame[..w * h], &mut mark);
            }
        }
        out.write_all(&frame).unwrap();
        n += 1;
    }
    out.flush().unwrap();
    let side = marker.as_ref().map_or(0, FrameMarker::grid_side);
    eprintln!("{n} frames, marking {spent:?}, grid of {side} cells");
}

/// Prints the share of pixels whose mark (marked minus unmarked) differs
/// from the previous frame's, and the mean absolute change there; keeps
/// this frame's mark in `mark`. Pixels clipped at 0 or 255 count as moved
/// when their clipping does.
fn report_changes(n: u32, before: &[u8], after: &[u8], mark: &mut [i16]) {
    let (mut moved, mut size) = (0usize, 0i64);
    for ((m, &b), &a) in mark.iter_mut().zip(before).zip(after) {
        let d = i16::from(a) - i16::from(b);
        if d != *m {
            moved += 1;
            size += i64::from((d - *m).abs());
        }
        *m = d;
    }
    if n > 0 && moved > 0 {
        eprintln!(
            "frame {n}: mark moved on {:.1} % of pixels, by {:.2} levels on average",
            100.0 * moved as f64 / mark.len() as f64,
            size as f64 / moved as f64
        );
    }
}
