//! The video matrix's clips: ffmpeg lavfi graphs (test sources, fractals,
//! gradients, noise, colour fields with moving text, the picture bench's
//! real photos zoomed, panned and cut between, the fixture clip), each
//! decoded for [`SECONDS`] at its own size and frame rate. Each kind says
//! why it is there; the section prints them.
//!
//! Used by examples/video_matrix.rs with
//! `#[path = "support/video_clips.rs"] mod video_clips;`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use super::registry::registry_path;

/// Length of every clip, in seconds: the cut takes the first 10 s off and
/// leaves 4 s to read.
pub const SECONDS: u32 = 14;

/// One clip: a lavfi graph decoded for [`SECONDS`], scaled to `w` x `h`
/// at `fps` frames a second.
#[derive(Clone)]
pub struct Clip {
    pub name: String,
    /// Index into [`KINDS`].
    pub kind: usize,
    pub graph: String,
    pub w: u32,
    pub h: u32,
    pub fps: u32,
    /// In the goal's scope: all but binary black-and-white content (as
    /// text pages are not for pictures) and frames under [`MIN_SCOPE_SIDE`]
    /// on the shorter side (see docs/watermark.md).
    pub in_scope: bool,
}

/// The shorter side from which a clip is in the goal's scope: under it
/// the mark's cells are under 4 px, which `embed` reports weak for a
/// picture (`Strength::is_weak`; docs/watermark.md), so the picture
/// matrix counts such pictures apart, and so does this one.
pub const MIN_SCOPE_SIDE: u32 = 512;

/// The kinds of clip, and why each is in the matrix.
pub const KINDS: [(&str, &str); 8] = [
    (
        "test cards",
        "ffmpeg's testsrc, testsrc2, SMPTE, PAL and colour-chart cards: sharp edges, flat colour and \
         small moving parts over a still card, where codecs spend their bits on the edges and \
         nothing moves to average the content out of the detector's sum",
    ),
    (
        "synthetic motion",
        "Mandelbrot zooms, moving gradients, waves and a turning colour spectrum: smooth and \
         fine texture moving at several speeds, sizes and frame rates",
    ),
    (
        "noise and grain",
        "temporal noise over gradients, a photo and a flat grey field: what a sensor or film \
         grain adds, which encoders smooth away together with the mark's fine detail",
    ),
    (
        "colour fields with moving text",
        "flat dark, middle and light fields with tickers, titles and credits: slides and captions, \
         little texture to hide the mark in, luma near black and near white",
    ),
    (
        "real photos in motion",
        "the picture bench's photos (`webp`'s lake.jpg, Kodak kodim02 and kodim07 from `tiff`'s \
         benches, the fixture photo and picture) zoomed, panned, turned, shaken, faded, darkened, \
         washed out, letterboxed, pillarboxed and upright (phone video): real content as cameras \
         and editors move it",
    ),
    (
        "scene cuts",
        "a slideshow of the photos and a montage of sources cutting every 3-4 s: the marker \
         re-weights its bits per scene",
    ),
    (
        "real clip",
        "the fixture clip (a real H.264 encode) looped at its own 360p, at 540p, 720p and 1080p",
    ),
    (
        "binary black and white",
        "Game of Life, an elementary cellular automaton and a Sierpinski carpet: two-level \
         content, out of the goal's scope as text pages are for pictures (see docs/watermark.md)",
    ),
];

const CARDS: usize = 0;
const MOTION: usize = 1;
const NOISE: usize = 2;
const TEXT: usize = 3;
const PHOTOS: usize = 4;
const CUTS: usize = 5;
const REAL: usize = 6;
const BINARY: usize = 7;

fn clip(name: &str, kind: usize, graph: String, (w, h): (u32, u32), fps: u32) -> Clip {
    Clip {
        name: name.to_string(),
        kind,
        graph,
        w,
        h,
        fps,
        in_scope: kind != BINARY && w.min(h) >= MIN_SCOPE_SIDE,
    }
}

/// A still picture at `path`, scaled to `width` (to spare the filters a
/// 4000-px photo), repeated as frames at `fps` with real timestamps, so
/// `t` moves in the filters after it.
fn still(path: &Path, width: u32, fps: u32) -> String {
    format!(
        "movie={},scale={width}:-2,loop=loop=-1:size=1,setpts=N/({fps}*TB)",
        path.display()
    )
}

/// A slow zoom into the middle, `zoom` per frame, as `zoompan` makes it.
fn zoom(step: f32, (w, h): (u32, u32), fps: u32) -> String {
    format!(
        "zoompan=z='min(1+{step}*on,1.6)':x='iw/2-iw/zoom/2':y='ih/2-ih/zoom/2':d=1:s={w}x{h}:fps={fps}"
    )
}

/// A window of `share` of the width panned left to right over the clip.
fn pan(share: f32, (w, h): (u32, u32)) -> String {
    format!("crop=w='iw*{share}':h='iw*{share}*{h}/{w}':x='(iw-ow)*t/{SECONDS}':y='(ih-oh)/2'")
}

/// White text of `size` px scrolling right to left at `speed` px/s.
fn ticker(text: &str, size: u32, speed: u32, color: &str) -> String {
    format!(
        "drawtext=font=Sans:text='{text}':fontsize={size}:fontcolor={color}:x='w-mod(t*{speed},w+tw)':y='h-2*th'"
    )
}

/// The clips, in the table's order. Photos not found in the cargo
/// registry (see [`registry_path`]) leave their clips out.
pub fn clips() -> Vec<Clip> {
    let mut out = cards_and_motion();
    out.extend(noise_and_text());
    out.extend(photos());
    out.extend(cuts_and_real());
    out.extend(binary());
    out
}

fn cards_and_motion() -> Vec<Clip> {
    let hd = (1920, 1080);
    let p720 = (1280, 720);
    let p360 = (640, 360);
    vec![
        clip("testsrc2 720p25", CARDS, "testsrc2=size=1280x720:rate=25".into(), p720, 25),
        clip("testsrc2 360p30", CARDS, "testsrc2=size=640x360:rate=30".into(), p360, 30),
        clip("testsrc2 1080p24", CARDS, "testsrc2=size=1920x1080:rate=24".into(), hd, 24),
        clip("testsrc 480p30", CARDS, "testsrc=size=854x480:rate=30".into(), (854, 480), 30),
        clip(
            "SMPTE HD bars with a frame counter, 1080p25",
            CARDS,
            "smptehdbars=size=1920x1080:rate=25,drawtext=font=Sans:text='%{n}':fontsize=72:fontcolor=white:x=80:y=80".into(),
            hd,
            25,
        ),
        clip("SMPTE bars, still, 720p30", CARDS, "smptebars=size=1280x720:rate=30".into(), p720, 30),
        clip("PAL 75 % bars 576p25", CARDS, "pal75bars=size=720x576:rate=25".into(), (720, 576), 25),
        clip("colour chart 720p25", CARDS, "colorchart=rate=25:patch_size=128x128,pad=1280:720:(ow-iw)/2:(oh-ih)/2:gray".into(), p720, 25),
        clip("Mandelbrot zoom 1080p25", MOTION, "mandelbrot=size=960x540:rate=25".into(), hd, 25),
        clip("Mandelbrot zoom 720p30", MOTION, "mandelbrot=size=640x360:rate=30".into(), p720, 30),
        clip("Mandelbrot zoom 540p25", MOTION, "mandelbrot=size=960x540:rate=25".into(), (960, 540), 25),
        clip("gradients, slow, 1080p25", MOTION, "gradients=size=960x540:rate=25:speed=0.02".into(), hd, 25),
        clip("gradients 720p50", MOTION, "gradients=size=1280x720:rate=50:speed=0.05:nb_colors=4".into(), p720, 50),
        clip("gradients, fast, 540p30", MOTION, "gradients=size=960x540:rate=30:speed=0.2:seed=5".into(), (960, 540), 30),
        clip("gradients, upright, 720x1280 30", MOTION, "gradients=size=720x1280:rate=30:speed=0.04:seed=9".into(), (720, 1280), 30),
        clip(
            "waves 1080p25",
            MOTION,
            "nullsrc=size=960x540:rate=25,geq=lum='128+50*sin(X/40+T)*cos(Y/30-T/2)':cb=128:cr=128".into(),
            hd,
            25,
        ),
        clip(
            "fast colour waves 720p24",
            MOTION,
            "nullsrc=size=640x360:rate=24,geq=lum='128+40*sin(X/25+2*T)+30*cos(Y/20-T)':cb='128+20*sin(T)':cr='128+20*cos(X/50)'".into(),
            p720,
            24,
        ),
        clip("turning colour spectrum 720p30", MOTION, "colorspectrum=size=1280x720:rate=30:type=all,hue=h='t*25'".into(), p720, 30),
    ]
}

fn noise_and_text() -> Vec<Clip> {
    let p720 = (1280, 720);
    let text = "AI-generated content - Tanba test clip";
    vec![
        clip("gradients with fine grain 720p25", NOISE, "gradients=size=1280x720:rate=25:speed=0.03:seed=2,noise=alls=10:allf=t".into(), p720, 25),
        clip("gradients with heavy grain 720p30", NOISE, "gradients=size=1280x720:rate=30:speed=0.03:seed=4,noise=alls=30:allf=t+u".into(), p720, 30),
        clip("flat grey with static noise 576p25", NOISE, "color=c=gray:size=1024x576:rate=25,noise=alls=40:allf=t+u".into(), (1024, 576), 25),
        clip("navy field with a ticker 720p25", TEXT, format!("color=c=0x1a2a5a:size=1280x720:rate=25,{}", ticker(text, 56, 220, "white")), p720, 25),
        clip(
            "dark green field with a moving title 1080p30",
            TEXT,
            "color=c=0x124a2a:size=1920x1080:rate=30,drawtext=font=Sans:text='Tanba':fontsize=160:fontcolor=white:x='100+t*60':y='100+t*40'".into(),
            (1920, 1080),
            30,
        ),
        clip("grey field with a ticker 720p25", TEXT, format!("color=c=0x808080:size=1280x720:rate=25,{}", ticker(text, 40, 300, "black")), p720, 25),
        clip(
            "near-white slide with black text 720p30",
            TEXT,
            "color=c=0xf2f2f2:size=1280x720:rate=30,drawtext=font=Sans:text='Quarterly results':fontsize=72:fontcolor=black:x=120:y=120,drawtext=font=Sans:text='Generated by a model':fontsize=48:fontcolor=0x303030:x=120:y='300+20*sin(t)'".into(),
            p720,
            30,
        ),
        clip(
            "black field with rolling credits 720p24",
            TEXT,
            "color=c=black:size=1280x720:rate=24,drawtext=font=Sans:text='Directed by a model':fontsize=48:fontcolor=white:x=(w-tw)/2:y='h-t*70',drawtext=font=Sans:text='Music by another':fontsize=48:fontcolor=white:x=(w-tw)/2:y='h+120-t*70'".into(),
            p720,
            24,
        ),
        clip(
            "orange field with bouncing text 360p30",
            TEXT,
            "color=c=0xd06010:size=640x360:rate=30,drawtext=font=Sans:text='SALE':fontsize=96:fontcolor=white:x='(w-tw)/2+150*sin(t*2)':y='(h-th)/2+60*cos(t*3)'".into(),
            (640, 360),
            30,
        ),
        clip(
            "white story frame with text, upright 720x1280 30",
            TEXT,
            "color=c=white:size=720x1280:rate=30,drawtext=font=Sans:text='New today':fontsize=80:fontcolor=0x202020:x=(w-tw)/2:y='300+t*30'".into(),
            (720, 1280),
            30,
        ),
    ]
}

/// The real photos: the picture bench's (lake.jpg, kodim02, kodim07) and
/// the fixtures'.
fn photos() -> Vec<Clip> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/image");
    let photo = fixtures.join("sample-photo.jpg");
    let generated = fixtures.join("sample-generated.png");
    let mut out = Vec::new();
    let (p720, hd) = ((1280, 720), (1920, 1080));
    if let Some(lake) = registry_path("webp-", "assets/lake.jpg") {
        let s = |w, fps| still(&lake, w, fps);
        out.extend([
            clip("lake, zoom in, 720p25", PHOTOS, format!("{},{}", s(1920, 25), zoom(0.002, p720, 25)), p720, 25),
            clip("lake, zoom in, 1080p25", PHOTOS, format!("{},{}", s(2560, 25), zoom(0.0015, hd, 25)), hd, 25),
            clip(
                "lake, zoom out, 1080p30",
                PHOTOS,
                format!("{},zoompan=z='max(1.6-0.0015*on,1)':x='iw/2-iw/zoom/2':y='ih/3-ih/zoom/3':d=1:s=1920x1080:fps=30", s(2560, 30)),
                hd,
                30,
            ),
            clip("lake, zoom in, 360p25", PHOTOS, format!("{},{}", s(1280, 25), zoom(0.003, (640, 360), 25)), (640, 360), 25),
            clip("lake, panned, 720p30", PHOTOS, format!("{},{}", s(2560, 30), pan(0.6, p720)), p720, 30),
            clip("lake, panned, 720p60", PHOTOS, format!("{},{}", s(2560, 60), pan(0.7, p720)), p720, 60),
            clip("lake, upright pan (phone), 720x1280 30", PHOTOS, format!("{},crop=w='ih*9/16':h=ih:x='(iw-ow)*t/{SECONDS}':y=0", s(2560, 30)), (720, 1280), 30),
            clip("lake, dark (low light), 720p25", PHOTOS, format!("{},{},eq=brightness=-0.25:contrast=0.8", s(1920, 25), zoom(0.001, p720, 25)), p720, 25),
            clip("lake, washed out, 720p25", PHOTOS, format!("{},{},eq=brightness=0.2:contrast=0.7", s(1920, 25), zoom(0.001, p720, 25)), p720, 25),
            clip("lake, letterboxed 2.39:1, 1080p24", PHOTOS, format!("{},{},scale=1920:804,pad=1920:1080:0:138:black", s(2560, 24), pan(0.75, (1920, 804))), hd, 24),
            clip("lake, turning, 720p25", PHOTOS, format!("{},rotate=a='0.05*sin(t)',crop=iw*0.8:ih*0.8", s(1600, 25)), p720, 25),
            clip("lake, shaken (hand-held), 720p30", PHOTOS, format!("{},crop=w='iw*0.85':h='ih*0.85':x='iw*0.075+iw*0.04*sin(t*9)':y='ih*0.075+ih*0.04*cos(t*7)'", s(1600, 30)), p720, 30),
            clip("lake, faded in and out, 720p25", PHOTOS, format!("{},{},fade=t=in:st=0:d=1,fade=t=out:st=12:d=2", s(1920, 25), zoom(0.001, p720, 25)), p720, 25),
            clip("lake with grain, panned, 720p25", NOISE, format!("{},{},noise=alls=12:allf=t", s(2560, 25), pan(0.6, p720)), p720, 25),
        ]);
    }
    for (name, fps, small) in [("kodim02", 25, (854, 480)), ("kodim07", 30, (1024, 576))] {
        let Some(path) = registry_path("tiff-", &format!("tests/benches/{name}-lzw.tif")) else {
            continue;
        };
        let s = still(&path, 1536, fps);
        out.extend([
            clip(
                &format!("{name}, zoom in, 720p{fps}"),
                PHOTOS,
                format!("{s},{}", zoom(0.002, p720, fps)),
                p720,
                fps,
            ),
            clip(
                &format!("{name}, panned, {}p{fps}", small.1),
                PHOTOS,
                format!("{s},{}", pan(0.7, small)),
                small,
                fps,
            ),
        ]);
    }
    if let Some(path) = registry_path("tiff-", "tests/benches/kodim02-lzw.tif") {
        out.push(clip(
            "kodim02, turning, 720p24",
            PHOTOS,
            format!(
                "{},rotate=a='0.08*sin(t/2)',crop=iw*0.8:ih*0.8",
                still(&path, 1536, 24)
            ),
            p720,
            24,
        ));
    }
    if let Some(path) = registry_path("tiff-", "tests/benches/kodim07-lzw.tif") {
        out.extend([
            clip(
                "kodim07, pillarboxed 4:3, 720p25",
                PHOTOS,
                format!(
                    "{},{},scale=960:720,pad=1280:720:160:0:black",
                    still(&path, 1536, 25),
                    zoom(0.0015, (960, 720), 25)
                ),
                p720,
                25,
            ),
            clip(
                "kodim07, slow pan, 1080p50",
                PHOTOS,
                format!("{},{}", still(&path, 2304, 50), pan(0.8, hd)),
                hd,
                50,
            ),
        ]);
    }
    out.extend([
        clip(
            "fixture photo, panned and zoomed, 720p25",
            PHOTOS,
            format!("movie={},loop=loop=-1:size=1,zoompan=z='1+0.002*on':x='iw/2-iw/zoom/2+20*sin(on/20)':y='ih/2-ih/zoom/2':d=1:s=1280x720:fps=25", photo.display()),
            p720,
            25,
        ),
        clip("fixture photo, zoom in, 1080p30", PHOTOS, format!("{},{}", still(&photo, 1600, 30), zoom(0.0015, hd, 30)), hd, 30),
        clip(
            "fixture photo with a moving caption 720p25",
            PHOTOS,
            format!("{},{},{}", still(&photo, 1600, 25), zoom(0.001, p720, 25), ticker("Made with a generative model", 44, 180, "yellow")),
            p720,
            25,
        ),
        clip("fixture picture, zoom in, 720p25", PHOTOS, format!("{},{}", still(&generated, 1280, 25), zoom(0.002, p720, 25)), p720, 25),
    ]);
    out
}

fn cuts_and_real() -> Vec<Clip> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let video = fixtures.join("video/sample.mp4");
    let photo = fixtures.join("image/sample-photo.jpg");
    let p720 = (1280, 720);
    // Each scene 1280x720 yuv420p with square pixels, as concat wants.
    let scene = |src: String, secs: f32| {
        format!(
            "{src},scale=1280:720,setsar=1,format=yuv420p,trim=duration={secs},setpts=PTS-STARTPTS"
        )
    };
    let mut out = Vec::new();
    let lake = registry_path("webp-", "assets/lake.jpg");
    let kodak: Vec<PathBuf> = ["kodim02", "kodim07"]
        .iter()
        .filter_map(|k| registry_path("tiff-", &format!("tests/benches/{k}-lzw.tif")))
        .collect();
    let mut slides: Vec<&Path> = lake.iter().map(PathBuf::as_path).collect();
    slides.extend(kodak.iter().map(PathBuf::as_path));
    slides.push(&photo);
    let each = SECONDS as f32 / slides.len() as f32 + 0.1;
    let chains: Vec<String> = slides
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{}[s{i}]", scene(still(p, 1280, 25), each)))
        .collect();
    let labels: String = (0..slides.len()).map(|i| format!("[s{i}]")).collect();
    out.push(clip(
        "slideshow of the photos 720p25",
        CUTS,
        format!("{};{labels}concat=n={}", chains.join(";"), slides.len()),
        p720,
        25,
    ));
    let montage = [
        scene("testsrc2=size=1280x720:rate=30".into(), 4.0),
        scene("mandelbrot=size=640x360:rate=30".into(), 4.0),
        scene("gradients=size=1280x720:rate=30:speed=0.05".into(), 3.5),
        scene(
            format!("{},{}", still(&photo, 1600, 30), zoom(0.002, p720, 30)),
            3.5,
        ),
    ];
    let chains: Vec<String> = montage
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c}[m{i}]"))
        .collect();
    out.push(clip(
        "montage of sources 720p30",
        CUTS,
        format!("{};[m0][m1][m2][m3]concat=n=4", chains.join(";")),
        p720,
        30,
    ));
    let looped = format!("movie={}:loop=0,setpts=N/(25*TB)", video.display());
    out.extend([
        clip(
            "fixture clip looped 360p25",
            REAL,
            looped.clone(),
            (640, 360),
            25,
        ),
        clip(
            "fixture clip looped 540p25",
            REAL,
            looped.clone(),
            (960, 540),
            25,
        ),
        clip("fixture clip looped 720p25", REAL, looped.clone(), p720, 25),
        clip(
            "fixture clip looped 1080p25",
            REAL,
            looped,
            (1920, 1080),
            25,
        ),
    ]);
    out
}

fn binary() -> Vec<Clip> {
    vec![
        clip(
            "Game of Life 720p25",
            BINARY,
            "life=size=640x360:rate=25:mold=10:ratio=0.3:seed=3".into(),
            (1280, 720),
            25,
        ),
        clip(
            "Game of Life, big cells, 1080p30",
            BINARY,
            "life=size=480x270:rate=30:ratio=0.2:seed=7".into(),
            (1920, 1080),
            30,
        ),
        clip(
            "cellular automaton (rule 110) 720p25",
            BINARY,
            "cellauto=size=1280x720:rate=25:rule=110:scroll=1".into(),
            (1280, 720),
            25,
        ),
        clip(
            "Sierpinski carpet 720p25",
            BINARY,
            "sierpinski=size=1280x720:rate=25:type=carpet:seed=3".into(),
            (1280, 720),
            25,
        ),
    ]
}
