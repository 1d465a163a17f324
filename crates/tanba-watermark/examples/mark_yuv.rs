//! Marks raw yuv420p frames from stdin to stdout, so x264's cost of coding
//! the mark can be timed apart from Tanba's decoding and overlays:
//! `ffmpeg -i IN -f rawvideo -pix_fmt yuv420p - | mark_yuv W H |
//! ffmpeg -f rawvideo -pix_fmt yuv420p -s WxH -r 30 -i - -c:v libx264 ...`.
//! `PLAIN=1` passes the frames through unmarked (the same pipe, for the
//! baseline).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufWriter, Read, Write};

use tanba_watermark::{FrameMarker, PUBLIC_KEY};

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("W H"))
        .collect();
    let (w, h) = (args[0], args[1]);
    let mut marker = (std::env::var_os("PLAIN").is_none())
        .then(|| FrameMarker::new(w as u32, h as u32, 0x0123_4567_89AB_CDEF, PUBLIC_KEY).unwrap());
    let mut frame = vec![0u8; w * h * 3 / 2];
    let mut input = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    let (mut n, mut spent) = (0u32, std::time::Duration::ZERO);
    while input.read_exact(&mut frame).is_ok() {
        if let Some(m) = &mut marker {
            let t = std::time::Instant::now();
            m.mark(&mut frame[..w * h], w);
            spent += t.elapsed();
        }
        out.write_all(&frame).unwrap();
        n += 1;
    }
    out.flush().unwrap();
    eprintln!("{n} frames, marking {spent:?}");
}
