//! The benchmark media set: generated deterministically (fixed seeds, no
//! clock), once, under `target/bench-media/{quick,full}/`. Each group is
//! rebuilt only when its marker file is missing or records other parameters.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::pdfgen;

/// Sizes and counts of one media set.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `quick` or `full`.
    pub name: &'static str,
    /// Noisy JPEGs (all the same size).
    pub jpegs: usize,
    /// Their size.
    pub jpeg_size: (u32, u32),
    /// PNG sizes, cycled over `pngs` files.
    pub png_sizes: &'static [(u32, u32)],
    /// How many PNGs.
    pub pngs: usize,
    /// The short and long MP3, seconds.
    pub audio_seconds: (u32, u32),
    /// PDF pages.
    pub pdf_pages: usize,
    /// Video: seconds, width, height (30 fps).
    pub video: (u32, u32, u32),
    /// Markdown files.
    pub markdown: usize,
}

impl Plan {
    /// The set `cargo xtask bench` uses.
    pub fn full() -> Plan {
        Plan {
            name: "full",
            jpegs: 200,
            jpeg_size: (4000, 3000),
            png_sizes: &[
                (512, 512),
                (1024, 768),
                (1280, 1280),
                (1920, 1080),
                (2560, 1440),
            ],
            pngs: 200,
            audio_seconds: (600, 3600),
            pdf_pages: 120,
            video: (30, 1920, 1080),
            markdown: 1000,
        }
    }

    /// The reduced set of `--quick`.
    pub fn quick() -> Plan {
        Plan {
            name: "quick",
            jpegs: 4,
            jpeg_size: (2000, 1500),
            png_sizes: &[(512, 512), (1024, 768)],
            pngs: 6,
            audio_seconds: (60, 180),
            pdf_pages: 12,
            video: (3, 1280, 720),
            markdown: 100,
        }
    }
}

/// Paths of the generated set.
#[derive(Debug, Clone)]
pub struct Media {
    /// The set's folder.
    pub dir: PathBuf,
    /// Folder of the JPEGs.
    pub jpeg_dir: PathBuf,
    /// Folder of the PNGs.
    pub png_dir: PathBuf,
    /// Short MP3.
    pub mp3_short: PathBuf,
    /// Long MP3.
    pub mp3_long: PathBuf,
    /// The spoken disclaimer (kk then ru, as Tanba's default) as a WAV, for ffmpeg's amix.
    pub clip_wav: PathBuf,
    /// The book.
    pub pdf: PathBuf,
    /// The one-page stamp for qpdf.
    pub stamp_pdf: PathBuf,
    /// The video clip.
    pub video: PathBuf,
    /// Folder of the Markdown files.
    pub md_dir: PathBuf,
}

impl Media {
    /// The paths for `plan` under `root` (nothing is generated).
    pub fn at(root: &Path, plan: &Plan) -> Media {
        let dir = root.join("target").join("bench-media").join(plan.name);
        Media {
            jpeg_dir: dir.join("jpeg"),
            png_dir: dir.join("png"),
            mp3_short: dir.join("audio").join("short.mp3"),
            mp3_long: dir.join("audio").join("long.mp3"),
            clip_wav: dir.join("audio").join("disclaimer-kk-ru.wav"),
            pdf: dir.join("pdf").join("book.pdf"),
            stamp_pdf: dir.join("pdf").join("stamp.pdf"),
            video: dir.join("video").join("clip.mp4"),
            md_dir: dir.join("markdown"),
            dir,
        }
    }

    /// The JPEG files, sorted.
    pub fn jpegs(&self) -> Vec<PathBuf> {
        list(&self.jpeg_dir, "jpg")
    }

    /// The PNG files, sorted.
    pub fn pngs(&self) -> Vec<PathBuf> {
        list(&self.png_dir, "png")
    }
}

/// Files with extension `ext` directly in `dir`, sorted.
pub fn list(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Runs a generator command quietly; fails with its stderr.
fn run(program: &str, args: &[String]) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        let err = err.trim();
        let tail = &err[err.len().saturating_sub(800)..];
        Err(format!("{program} {} failed: {tail}", args.join(" ")))
    }
}

fn s(v: impl ToString) -> String {
    v.to_string()
}

/// Runs `jobs` (program, args) two at a time.
fn run_all(jobs: Vec<(String, Vec<String>)>) -> Result<(), String> {
    let next = AtomicUsize::new(0);
    let error: Mutex<Option<String>> = Mutex::new(None);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 4);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some((program, args)) = jobs.get(i) else {
                        break;
                    };
                    if let Err(e) = run(program, args) {
                        if let Ok(mut slot) = error.lock() {
                            slot.get_or_insert(e);
                        }
                        break;
                    }
                }
            });
        }
    });
    match error.into_inner() {
        Ok(Some(e)) => Err(e),
        _ => Ok(()),
    }
}

/// Builds group `name` with `make` unless its marker says it is there with
/// these `params`.
fn group(
    media: &Media,
    name: &str,
    params: &str,
    make: impl FnOnce() -> Result<(), String>,
) -> Result<(), String> {
    let marker = media.dir.join(format!(".done-{name}"));
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == params) {
        return Ok(());
    }
    eprintln!("xtask bench: generating {name} ({params})");
    let started = std::time::Instant::now();
    make()?;
    std::fs::write(&marker, params).map_err(|e| format!("{}: {e}", marker.display()))?;
    eprintln!(
        "xtask bench: {name} generated in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn fresh_dir(dir: &Path) -> Result<(), String> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))
}

/// Two colours per image index, so the gradients differ.
fn colours(i: usize) -> (String, String) {
    let mut x = (i as u32).wrapping_mul(2_654_435_761) ^ 0x5bd1_e995;
    let mut c = || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x & 0xFF_FFFF
    };
    (format!("#{:06x}", c()), format!("#{:06x}", c()))
}

/// Noisy 12-megapixel JPEGs (ImageMagick, seeded, quality 90).
pub fn jpegs(media: &Media, plan: &Plan) -> Result<(), String> {
    let (w, h) = plan.jpeg_size;
    let params = format!("{} jpegs {w}x{h} q90 gaussian-0.5 v1", plan.jpegs);
    group(media, "jpeg", &params, || {
        fresh_dir(&media.jpeg_dir)?;
        let jobs = (0..plan.jpegs)
            .map(|i| {
                let (a, b) = colours(i);
                let out = media.jpeg_dir.join(format!("img-{i:03}.jpg"));
                (
                    s("convert"),
                    vec![
                        s("-size"),
                        format!("{w}x{h}"),
                        s("-seed"),
                        s(i + 1),
                        format!("gradient:{a}-{b}"),
                        s("-attenuate"),
                        s("0.5"),
                        s("+noise"),
                        s("Gaussian"),
                        s("-quality"),
                        s("90"),
                        out.display().to_string(),
                    ],
                )
            })
            .collect();
        run_all(jobs)
    })
}

/// PNGs of mixed sizes: smooth gradients with light noise, as generated art.
pub fn pngs(media: &Media, plan: &Plan) -> Result<(), String> {
    let params = format!("{} pngs {:?} 8-bit v2", plan.pngs, plan.png_sizes);
    group(media, "png", &params, || {
        fresh_dir(&media.png_dir)?;
        let jobs = (0..plan.pngs)
            .map(|i| {
                let (w, h) = plan.png_sizes[i % plan.png_sizes.len()];
                let (a, b) = colours(i + 7919);
                let out = media.png_dir.join(format!("png-{i:03}-{w}x{h}.png"));
                (
                    s("convert"),
                    vec![
                        s("-size"),
                        format!("{w}x{h}"),
                        s("-seed"),
                        s(i + 1),
                        format!("radial-gradient:{a}-{b}"),
                        s("-attenuate"),
                        s("0.1"),
                        s("+noise"),
                        s("Gaussian"),
                        s("-depth"),
                        s("8"),
                        out.display().to_string(),
                    ],
                )
            })
            .collect();
        run_all(jobs)
    })
}

/// A 44.1 kHz stereo MP3 of `seconds`: two tones (one per side) and pink
/// noise (seeded), 192 kbit/s.
fn mp3(out: &Path, seconds: u32) -> Result<(), String> {
    let d = seconds.to_string();
    run(
        "ffmpeg",
        &[
            s("-nostdin"),
            s("-hide_banner"),
            s("-loglevel"),
            s("error"),
            s("-y"),
            s("-f"),
            s("lavfi"),
            s("-i"),
            format!("sine=frequency=220:sample_rate=44100:duration={d}"),
            s("-f"),
            s("lavfi"),
            s("-i"),
            format!("sine=frequency=331:sample_rate=44100:duration={d}"),
            s("-f"),
            s("lavfi"),
            s("-i"),
            format!("anoisesrc=color=pink:amplitude=0.1:seed=42:sample_rate=44100:duration={d}"),
            s("-filter_complex"),
            s("[0][2]amix=inputs=2[l];[1][2]amix=inputs=2[r];[l][r]amerge=inputs=2[a]"),
            s("-map"),
            s("[a]"),
            s("-ac"),
            s("2"),
            s("-c:a"),
            s("libmp3lame"),
            s("-b:a"),
            s("192k"),
            s("-map_metadata"),
            s("-1"),
            s("-fflags"),
            s("+bitexact"),
            out.display().to_string(),
        ],
    )
}

/// The two MP3s and the disclaimer WAV for amix.
pub fn audio(media: &Media, plan: &Plan, root: &Path) -> Result<(), String> {
    let (short, long) = plan.audio_seconds;
    let params = format!("mp3 {short}s {long}s 44100 stereo 192k v1");
    group(media, "audio", &params, || {
        let dir = media.mp3_short.parent().unwrap_or(&media.dir).to_path_buf();
        fresh_dir(&dir)?;
        mp3(&media.mp3_short, short)?;
        mp3(&media.mp3_long, long)?;
        let assets = root.join("crates").join("tanba-audio").join("assets");
        run(
            "ffmpeg",
            &[
                s("-nostdin"),
                s("-loglevel"),
                s("error"),
                s("-y"),
                s("-i"),
                assets.join("kk.wav").display().to_string(),
                s("-i"),
                assets.join("ru.wav").display().to_string(),
                s("-filter_complex"),
                s("[0][1]concat=n=2:v=0:a=1[a]"),
                s("-map"),
                s("[a]"),
                s("-ar"),
                s("44100"),
                s("-ac"),
                s("2"),
                media.clip_wav.display().to_string(),
            ],
        )
    })
}

/// The book (text and a JPEG per page, written by [`pdfgen`], then given
/// object streams and compressed content by qpdf, as most real PDFs have)
/// and the stamp.
pub fn pdf(media: &Media, plan: &Plan) -> Result<(), String> {
    let params = format!(
        "{} pages, 8 images 1200x900 q85, qpdf object streams v1",
        plan.pdf_pages
    );
    group(media, "pdf", &params, || {
        let dir = media.pdf.parent().unwrap_or(&media.dir).to_path_buf();
        fresh_dir(&dir)?;
        let jobs = (0..8)
            .map(|i| {
                let (a, b) = colours(i + 104_729);
                (
                    s("convert"),
                    vec![
                        s("-size"),
                        s("1200x900"),
                        s("-seed"),
                        s(i + 1),
                        format!("gradient:{a}-{b}"),
                        s("-attenuate"),
                        s("0.3"),
                        s("+noise"),
                        s("Gaussian"),
                        s("-quality"),
                        s("85"),
                        dir.join(format!("image-{i}.jpg")).display().to_string(),
                    ],
                )
            })
            .collect();
        run_all(jobs)?;
        let mut images = Vec::new();
        for i in 0..8 {
            let p = dir.join(format!("image-{i}.jpg"));
            images.push(std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?);
        }
        let raw = dir.join("book-raw.pdf");
        std::fs::write(&raw, pdfgen::book(plan.pdf_pages, &images)?)
            .map_err(|e| format!("{}: {e}", raw.display()))?;
        run(
            "qpdf",
            &[
                raw.display().to_string(),
                s("--compress-streams=y"),
                s("--object-streams=generate"),
                s("--deterministic-id"),
                media.pdf.display().to_string(),
            ],
        )?;
        std::fs::write(&media.stamp_pdf, pdfgen::stamp())
            .map_err(|e| format!("{}: {e}", media.stamp_pdf.display()))?;
        for i in 0..8 {
            let _ = std::fs::remove_file(dir.join(format!("image-{i}.jpg")));
        }
        let _ = std::fs::remove_file(raw);
        Ok(())
    })
}

/// A 1080p30 H.264 clip with AAC audio (testsrc2 and a sine).
pub fn video(media: &Media, plan: &Plan) -> Result<(), String> {
    let (secs, w, h) = plan.video;
    let params = format!("{secs}s {w}x{h}@30 h264 crf18 veryfast aac v1");
    group(media, "video", &params, || {
        let dir = media.video.parent().unwrap_or(&media.dir).to_path_buf();
        fresh_dir(&dir)?;
        run(
            "ffmpeg",
            &[
                s("-nostdin"),
                s("-loglevel"),
                s("error"),
                s("-y"),
                s("-f"),
                s("lavfi"),
                s("-i"),
                format!("testsrc2=size={w}x{h}:rate=30:duration={secs}"),
                s("-f"),
                s("lavfi"),
                s("-i"),
                format!("sine=frequency=440:sample_rate=48000:duration={secs}"),
                s("-c:v"),
                s("libx264"),
                s("-preset"),
                s("veryfast"),
                s("-crf"),
                s("18"),
                s("-pix_fmt"),
                s("yuv420p"),
                s("-c:a"),
                s("aac"),
                s("-b:a"),
                s("128k"),
                s("-shortest"),
                s("-map_metadata"),
                s("-1"),
                s("-fflags"),
                s("+bitexact"),
                media.video.display().to_string(),
            ],
        )
    })
}

const KK: &str = "Жасанды интеллект туралы заң мазмұнның қалай жасалғанын көрсетуді талап етеді.";
const RU: &str = "Закон об искусственном интеллекте требует указывать, как создан материал.";
const EN: &str = "The law on artificial intelligence asks that generated content says so.";

/// The bulk set: small files of every kind a newsroom archive holds, in
/// ten folders: half Markdown (a third with front matter), then plain text,
/// HTML, SRT subtitles, and 320×240 PNG and JPEG pictures (one picture of
/// each made by ImageMagick, copied).
pub fn markdown(media: &Media, plan: &Plan) -> Result<(), String> {
    let params = format!("{} mixed small files v2", plan.markdown);
    group(media, "markdown", &params, || {
        fresh_dir(&media.md_dir)?;
        let png = media.md_dir.join("seed.png");
        let jpg = media.md_dir.join("seed.jpg");
        for (out, extra) in [(&png, None), (&jpg, Some("85"))] {
            let mut args = vec![
                s("-size"),
                s("320x240"),
                s("-seed"),
                s(7),
                s("plasma:teal-orange"),
            ];
            if let Some(q) = extra {
                args.extend([s("-quality"), s(q)]);
            }
            args.push(out.display().to_string());
            run("convert", &args)?;
        }
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..plan.markdown {
            let dir = media.md_dir.join(format!("section-{:02}", i % 10));
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let target = 300 + (rnd() % 3800) as usize;
            let (name, body) = match (i / 10) % 10 {
                5 => (
                    format!("note-{i:04}.txt"),
                    prose(target, &mut rnd, "", "\n\n"),
                ),
                6 => (
                    format!("page-{i:04}.html"),
                    format!(
                        "<!DOCTYPE html>\n<html lang=\"kk\">\n<head><meta charset=\"utf-8\"><title>Бет {i}</title></head>\n<body>\n<h1>Бет {i}</h1>\n{}</body>\n</html>\n",
                        prose(target, &mut rnd, "<p>", "</p>\n")
                    ),
                ),
                7 => {
                    let mut srt = String::new();
                    let mut n = 1;
                    while srt.len() < target {
                        let t = n * 3;
                        srt.push_str(&format!(
                            "{n}\n00:00:{:02},000 --> 00:00:{:02},500\n{}\n\n",
                            t % 60,
                            (t + 2) % 60,
                            [KK, RU, EN][n % 3]
                        ));
                        n += 1;
                    }
                    (format!("subs-{i:04}.srt"), srt)
                }
                8 | 9 => {
                    let (seed, ext) = if (i / 10) % 10 == 8 {
                        (&png, "png")
                    } else {
                        (&jpg, "jpg")
                    };
                    let path = dir.join(format!("picture-{i:04}.{ext}"));
                    std::fs::copy(seed, &path).map_err(|e| format!("{}: {e}", path.display()))?;
                    continue;
                }
                _ => {
                    let mut doc = String::new();
                    if i % 3 == 0 {
                        doc.push_str(&format!("---\ntitle: Note {i}\nauthor: model\n---\n\n"));
                    }
                    doc.push_str(&format!("# Жазба {i}\n\n"));
                    let mut n = 0;
                    while doc.len() < target {
                        match rnd() % 5 {
                            0 => doc.push_str(&format!("## Бөлім {n}\n\n")),
                            1 => doc.push_str(&format!("- {KK}\n- {RU}\n\n")),
                            2 => {
                                doc.push_str(&format!("```\nlet x{n} = {};\n```\n\n", rnd() % 1000))
                            }
                            3 => doc.push_str(&format!("{EN} {RU}\n\n")),
                            _ => doc.push_str(&format!("{KK} **{n}** {EN}\n\n")),
                        }
                        n += 1;
                    }
                    (format!("note-{i:04}.md"), doc)
                }
            };
            let path = dir.join(name);
            std::fs::write(&path, body).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        for seed in [&png, &jpg] {
            std::fs::remove_file(seed).map_err(|e| format!("{}: {e}", seed.display()))?;
        }
        Ok(())
    })
}

/// Paragraphs of the three languages, each wrapped in `open`…`close`,
/// until the text is `target` bytes long.
fn prose(target: usize, rnd: &mut impl FnMut() -> u64, open: &str, close: &str) -> String {
    let mut text = String::new();
    while text.len() < target {
        let line = [KK, RU, EN][(rnd() % 3) as usize];
        text.push_str(open);
        text.push_str(line);
        text.push_str(close);
    }
    text
}
