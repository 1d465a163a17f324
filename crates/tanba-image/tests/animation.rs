//! Animated PNG and WebP: every frame gets the badge; the frame count, each
//! frame's delay and the loop count are the source's. Inputs are made by
//! ffmpeg (its APNG muxer and libwebp), outputs read back by ffprobe and
//! ImageMagick.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use tanba_core::{Error, Job, LimitKind, Limits};
use tanba_image::ImageLabeler;

/// ffmpeg's test pattern, 320x240, 12 frames whose display times grow
/// (variable delays), written with `args` (the muxer and loop count).
fn ffmpeg_animation(ext: &str, args: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join(format!("anim.{ext}"));
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc=size=320x240:rate=10:duration=1.2")
        .args(["-vf", "setpts=(N+N*N/8)*0.1/TB", "-fps_mode", "vfr"])
        .args(args)
        .arg(&out)
        .output()
        .expect("ffmpeg is installed");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::read(out).unwrap()
}

fn apng() -> Vec<u8> {
    ffmpeg_animation("png", &["-plays", "3", "-f", "apng"])
}

fn animated_webp() -> Vec<u8> {
    ffmpeg_animation("webp", &["-c:v", "libwebp", "-quality", "80", "-loop", "2"])
}

/// APNG: (num_plays, each fcTL's delay fraction).
fn apng_timing(png: &[u8]) -> (u32, Vec<(u16, u16)>) {
    let (mut plays, mut delays, mut i) = (None, Vec::new(), 8);
    while i + 8 <= png.len() {
        let n = u32::from_be_bytes(png[i..i + 4].try_into().unwrap()) as usize;
        let d = &png[i + 8..i + 8 + n];
        match &png[i + 4..i + 8] {
            b"acTL" => plays = Some(u32::from_be_bytes(d[4..8].try_into().unwrap())),
            b"fcTL" => delays.push((
                u16::from_be_bytes([d[20], d[21]]),
                u16::from_be_bytes([d[22], d[23]]),
            )),
            _ => {}
        }
        i += 12 + n;
    }
    (plays.unwrap(), delays)
}

/// WebP: (ANIM loop count, each ANMF's duration in ms).
fn webp_timing(webp: &[u8]) -> (u16, Vec<u32>) {
    let (mut looping, mut durations, mut i) = (None, Vec::new(), 12);
    while i + 8 <= webp.len() {
        let n = u32::from_le_bytes(webp[i + 4..i + 8].try_into().unwrap()) as usize;
        let d = &webp[i + 8..i + 8 + n];
        match &webp[i..i + 4] {
            b"ANIM" => looping = Some(u16::from_le_bytes([d[4], d[5]])),
            b"ANMF" => durations.push(u32::from_le_bytes([d[12], d[13], d[14], 0])),
            _ => {}
        }
        i += 8 + n + (n & 1);
    }
    (looping.unwrap(), durations)
}

/// Every frame, as displayed (composited), in 8-bit grey, as ImageMagick
/// decodes the file (`-coalesce`).
fn frames(bytes: &[u8], ext: &str) -> Vec<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("in.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    let src = if ext == "png" {
        format!("apng:{}", path.display())
    } else {
        path.display().to_string()
    };
    let probe = |args: &[&str]| {
        let o = Command::new("ffmpeg").args(args).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o.stdout
    };
    let raw = if ext == "png" {
        // ImageMagick 6 reads only an APNG's first frame: ffmpeg decodes it.
        let p = path.display().to_string();
        probe(&[
            "-v", "error", "-f", "apng", "-i", &p, "-f", "rawvideo", "-pix_fmt", "gray", "-",
        ])
    } else {
        let o = Command::new("convert")
            .arg(&src)
            .args(["-coalesce", "-colorspace", "gray", "-depth", "8", "gray:-"])
            .output()
            .expect("ImageMagick is installed");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o.stdout
    };
    raw.chunks(320 * 240).map(<[u8]>::to_vec).collect()
}

/// Checks that every output frame has the badge at `region` (darker box,
/// light text) and is the input frame elsewhere (within `tolerance`).
fn badge_in_every_frame(before: &[Vec<u8>], after: &[Vec<u8>], region: [u32; 4], tolerance: f64) {
    assert_eq!(before.len(), after.len(), "frame count");
    let [x, y, w, h] = region.map(|v| v as usize);
    for (i, (b, a)) in before.iter().zip(after).enumerate() {
        let (mut light, mut inside, mut diff_in, mut diff_out, mut outside) =
            (0usize, 0u32, 0.0, 0.0, 0u32);
        for py in 0..240 {
            for px in 0..320 {
                let k = py * 320 + px;
                let d = f64::from(a[k].abs_diff(b[k]));
                if (x + 2..x + w - 2).contains(&px) && (y + 2..y + h - 2).contains(&py) {
                    inside += 1;
                    diff_in += d;
                    light += usize::from(a[k] > 200);
                } else if !(x.saturating_sub(2)..x + w + 2).contains(&px)
                    || !(y.saturating_sub(2)..y + h + 2).contains(&py)
                {
                    outside += 1;
                    diff_out += d;
                }
            }
        }
        assert!(
            diff_in / f64::from(inside) > 30.0,
            "frame {i}: no box ({})",
            diff_in / f64::from(inside)
        );
        assert!(
            light * 100 > inside as usize * 5,
            "frame {i}: no text ({light}/{inside})"
        );
        assert!(
            diff_out / f64::from(outside) <= tolerance,
            "frame {i}: changed outside ({})",
            diff_out / f64::from(outside)
        );
    }
}

#[test]
fn apng_every_frame_badged_with_its_delays_and_loop_count() {
    let input = apng();
    let (plays, delays) = apng_timing(&input);
    assert!(
        delays
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            > 1,
        "varied delays: {delays:?}"
    );
    let (out, labelled) = ImageLabeler::default()
        .label_bytes(&input, Some(Path::new("a.png")), &Job::default())
        .unwrap();
    assert_eq!(apng_timing(&out), (plays, delays.clone()));
    // ffprobe reads it as an APNG of as many frames.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.png");
    std::fs::write(&path, &out).unwrap();
    let o = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-count_frames",
            "-show_entries",
            "stream=codec_name,nb_read_frames",
            "-of",
            "csv=p=0",
        ])
        .arg(&path)
        .output()
        .expect("ffprobe is installed");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        format!("apng,{}", delays.len())
    );
    let region = labelled.manifest.label.placement.region.unwrap();
    badge_in_every_frame(&frames(&input, "png"), &frames(&out, "png"), region, 0.0);
    assert!(
        labelled
            .notes
            .iter()
            .any(|n| n.contains(&format!("all {} frames", delays.len())))
    );
    let v = ImageLabeler::default()
        .verify_bytes(&out, &Limits::default())
        .unwrap();
    assert!(v.is_compliant(), "{v:?}");
    assert!(
        v.perceptible
            .detail
            .contains(&format!("on all {} frames", delays.len())),
        "{}",
        v.perceptible.detail
    );
}

#[test]
fn animated_webp_every_frame_badged_with_its_durations_and_loop_count() {
    let input = animated_webp();
    let (looping, durations) = webp_timing(&input);
    assert!(
        durations
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            > 1,
        "varied: {durations:?}"
    );
    let (out, labelled) = ImageLabeler::default()
        .label_bytes(&input, Some(Path::new("a.webp")), &Job::default())
        .unwrap();
    assert_eq!(webp_timing(&out), (looping, durations.clone()));
    // ImageMagick sees as many frames with the same delays (centiseconds).
    let identify = |bytes: &[u8]| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.webp");
        std::fs::write(&path, bytes).unwrap();
        let o = Command::new("identify")
            .args(["-format", "%T,"])
            .arg(&path)
            .output()
            .expect("ImageMagick");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert_eq!(identify(&out), identify(&input));
    let region = labelled.manifest.label.placement.region.unwrap();
    // Lossy frames: outside the badge only the re-encode's noise.
    badge_in_every_frame(&frames(&input, "webp"), &frames(&out, "webp"), region, 3.0);
    let v = ImageLabeler::default()
        .verify_bytes(&out, &Limits::default())
        .unwrap();
    assert!(v.is_compliant(), "{v:?}");
    assert!(
        v.perceptible
            .detail
            .contains(&format!("on all {} frames", durations.len())),
        "{}",
        v.perceptible.detail
    );
}

#[test]
fn animation_limits_apply_before_decoding() {
    let job = Job::new().with_limits(Limits {
        max_frames: 4,
        ..Limits::default()
    });
    for (input, name) in [(apng(), "a.png"), (animated_webp(), "a.webp")] {
        let e = ImageLabeler::default()
            .label_bytes(&input, Some(Path::new(name)), &job)
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::LimitExceeded {
                    kind: LimitKind::Frames,
                    ..
                }
            ),
            "{name}: {e}"
        );
        let e = ImageLabeler::default()
            .verify_bytes(
                &input,
                &Limits {
                    max_animation_pixels: 320 * 240 * 3,
                    ..Limits::default()
                },
            )
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::LimitExceeded {
                    kind: LimitKind::AnimationPixels,
                    ..
                }
            ),
            "{name}: {e}"
        );
    }
}

/// An APNG whose frames are the labelled ones but the last, which is the
/// source's (no badge), with the labelled file's marks: it must not verify.
#[test]
fn an_unbadged_last_frame_fails_verification() {
    use image::AnimationDecoder;
    let input = apng();
    let (out, _) = ImageLabeler::default()
        .label_bytes(&input, None, &Job::default())
        .unwrap();
    let decode = |b: &[u8]| -> Vec<image::RgbaImage> {
        image::codecs::png::PngDecoder::new(std::io::Cursor::new(b))
            .unwrap()
            .apng()
            .unwrap()
            .into_frames()
            .map(|f| f.unwrap().into_buffer())
            .collect()
    };
    let (mut frames, source) = (decode(&out), decode(&input));
    *frames.last_mut().unwrap() = source.last().unwrap().clone();
    let mut forged = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut forged, 320, 240);
        enc.set_color(png::ColorType::Rgba);
        enc.set_animated(frames.len() as u32, 0).unwrap();
        let xmp = tanba_core::xmp::find_packet(&out).unwrap();
        enc.add_itxt_chunk("XML:com.adobe.xmp".into(), xmp.into())
            .unwrap();
        let mut w = enc.write_header().unwrap();
        for f in &frames {
            w.write_image_data(f.as_raw()).unwrap();
        }
        w.finish().unwrap();
    }
    let v = ImageLabeler::default()
        .verify_bytes(&forged, &Limits::default())
        .unwrap();
    assert!(!v.is_compliant(), "{v:?}");
    assert!(
        v.perceptible
            .detail
            .contains(&format!("frame {}", frames.len())),
        "{}",
        v.perceptible.detail
    );
}
