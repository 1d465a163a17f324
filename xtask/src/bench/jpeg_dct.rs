//! The `jpeg` section (issue #20): a JPEG labelled in the DCT domain
//! (`tanba label --no-watermark` copies every block outside the badge)
//! beside ImageMagick's full decode, draw and re-encode and libjpeg-turbo's
//! `jpegtran -drop` of a block the badge's size (lossless block copy, no
//! drawing); and the peak memory of a 100-megapixel JPEG.
//!
//! Its media (one 12-MP JPEG as the image section makes them, the same
//! picture tiled to 10000×10000, and the badge-sized block) are generated
//! here under `jpeg-dct/`, so `--only jpeg` runs alone.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::case::{Case, CaseBuilder, Role, Section, label_args, p, run_case, s, verify_note};
use super::{Ctx, image};

/// The 12-MP picture's size and the 100-MP one's.
const SIZE_12: (u32, u32) = (4000, 3000);
const SIZE_100: (u32, u32) = (10000, 10000);
/// Bumped when the recipe changes, so cached media are made again.
const RECIPE: &str = "v1 gradient #3a6ea5-#f4d35e seed 1 gaussian-0.5 q90; tile+cjpeg q90 4:4:4";

/// The generated inputs.
struct Inputs {
    jpeg12: PathBuf,
    jpeg100: PathBuf,
}

pub(super) fn jpeg(ctx: &Ctx) -> Section {
    if !ctx.supports("jpeg") {
        return Section::skip("jpeg", "this tanba build labels no JPEG".into());
    }
    // The 100-MP input takes half a minute to make and to label: not in
    // the two-minute quick run.
    let big = ctx.plan.name != "quick";
    let inputs = match make_inputs(&ctx.media.dir.join("jpeg-dct"), big) {
        Ok(i) => i,
        Err(e) => return Section::skip("jpeg", format!("media not generated: {e}")),
    };
    let mut section = Section::new("jpeg");
    section.intro.push(String::from(
        "Issue #20: a JPEG labelled in the DCT domain. Without the watermark and at the source's quality, \
         `tanba label` copies the quantised coefficients of every block the badge does not reach and re-codes only the badge's MCUs. \
         Peers: ImageMagick `convert -annotate -quality 90` (decode, draw, re-encode, as in the image section) and libjpeg-turbo's \
         `jpegtran -drop` of a block the size of Tanba's badge into the same corner (a lossless block copy with no drawing: the floor for rewriting the file). \
         Inputs: a 12-MP noisy gradient (ImageMagick, quality 90, 4:4:4) and the same picture tiled to 10000×10000 by `cjpeg -quality 90 -sample 1x1`.",
    ));
    section.cases.push(twelve(ctx, &inputs.jpeg12));
    if big {
        section.cases.push(hundred(ctx, &inputs.jpeg100));
    }
    section
}

/// The 12-MP case: both Tanba paths, ImageMagick and `jpegtran -drop`.
fn twelve(ctx: &Ctx, jpeg: &Path) -> Case {
    let title = "One 12-MP JPEG in the DCT domain (4000×3000, q90)";
    let mut b = CaseBuilder::new(ctx, "jpeg", title);
    let tanba = ctx.tanba();
    let label = |extra: &[&str]| label_args(jpeg, "{S}", "1", extra);
    b.add(
        "tanba label --no-watermark (DCT domain)",
        Role::Tanba,
        &tanba,
        &label(&["--no-watermark"]),
    );
    b.add(
        "tanba label (default, watermark on)",
        Role::Tanba,
        &tanba,
        &label(&[]),
    );
    b.add(
        "ImageMagick convert -annotate -quality 90",
        Role::Peer,
        "convert",
        &image::convert_args(&p(jpeg), "{S}/out.jpg", SIZE_12, Some(90)),
    );
    let block = drop_block(jpeg, ctx, SIZE_12);
    if let Some((block, [x, y])) = &block {
        b.add(
            "jpegtran -drop of a badge-sized block",
            Role::Peer,
            "jpegtran",
            &[
                s("-drop"),
                format!("+{x}+{y}"),
                p(block),
                s("-outfile"),
                s("{S}/out.jpg"),
                p(jpeg),
            ],
        );
    }
    let scratch = b.variants[0].scratch.clone();
    let mut case = run_case(title, b, ctx.short_reps());
    case.notes.push(verify_note(ctx, &scratch));
    if let Some((block, [x, y])) = block {
        case.notes.push(format!(
            "The dropped block is `jpegtran -crop` of Tanba's badge rectangle from the same file ({}), put back at +{x}+{y}.",
            block
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default()
        ));
    }
    case
}

/// The 100-MP case: Tanba's peak memory (and `jpegtran -drop` for scale).
fn hundred(ctx: &Ctx, jpeg: &Path) -> Case {
    let title = "One 100-MP JPEG in the DCT domain (10000×10000, q90)";
    let mut b = CaseBuilder::new(ctx, "jpeg", title);
    b.add(
        "tanba label --no-watermark (DCT domain)",
        Role::Tanba,
        &ctx.tanba(),
        &label_args(jpeg, "{S}", "1", &["--no-watermark"]),
    );
    if let Some((block, [x, y])) = drop_block(jpeg, ctx, SIZE_100) {
        b.add(
            "jpegtran -drop of a badge-sized block",
            Role::Peer,
            "jpegtran",
            &[
                s("-drop"),
                format!("+{x}+{y}"),
                p(&block),
                s("-outfile"),
                s("{S}/out.jpg"),
                p(jpeg),
            ],
        );
    }
    let scratch = b.variants[0].scratch.clone();
    let mut case = run_case(title, b, ctx.reps);
    case.notes.push(verify_note(ctx, &scratch));
    case
}

/// A block of `jpeg` the size of Tanba's badge at its place (from the
/// `label_file --badge-only` example), cut by `jpegtran -crop` next to
/// the input, and where `-drop` puts it back (aligned to the 8×8 iMCU of
/// a 4:4:4 picture, as `-drop` needs). `None` without the example.
fn drop_block(jpeg: &Path, ctx: &Ctx, (w, h): (u32, u32)) -> Option<(PathBuf, [u32; 2])> {
    let example = ctx.label_file.as_ref()?;
    let out = Command::new(example)
        .args(["--badge-only", &w.to_string(), &h.to_string()])
        .output()
        .ok()?;
    // "badge region [x, y, w, h]"
    let text = String::from_utf8_lossy(&out.stderr);
    let nums: Vec<u32> = text
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    let &[x, y, bw, bh] = nums.as_slice() else {
        eprintln!("xtask bench: no badge region in {text:?}");
        return None;
    };
    let (x0, y0) = (x / 8 * 8, y / 8 * 8);
    let (bw, bh) = (bw + (x - x0), bh + (y - y0));
    let block = jpeg.with_extension(format!("block-{bw}x{bh}.jpg"));
    if !block.is_file() {
        let status = Command::new("jpegtran")
            .args(["-crop", &format!("{bw}x{bh}+{x0}+{y0}"), "-outfile"])
            .arg(&block)
            .arg(jpeg)
            .status()
            .ok()?;
        if !status.success() {
            return None;
        }
    }
    Some((block, [x0, y0]))
}

/// The inputs under `dir` (the 100-MP one only when `big`), generated
/// when missing or made by another recipe.
fn make_inputs(dir: &Path, big: bool) -> Result<Inputs, String> {
    let inputs = Inputs {
        jpeg12: dir.join("12mp.jpg"),
        jpeg100: dir.join("100mp.jpg"),
    };
    let marker = dir.join(".recipe");
    let recipe = format!("{RECIPE}; 100 MP: {big}");
    if std::fs::read_to_string(&marker).is_ok_and(|m| m == recipe)
        && inputs.jpeg12.is_file()
        && (!big || inputs.jpeg100.is_file())
    {
        return Ok(inputs);
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    eprintln!("xtask bench: generating the #20 JPEGs in {}", dir.display());
    let (w, h) = SIZE_12;
    let made = Command::new("convert")
        .args(["-size", &format!("{w}x{h}"), "-seed", "1"])
        .args(["gradient:#3a6ea5-#f4d35e", "-attenuate", "0.5"])
        .args(["+noise", "Gaussian", "-quality", "90"])
        .arg(&inputs.jpeg12)
        .status()
        .map_err(|e| format!("convert: {e}"))?;
    if !made.success() {
        return Err(format!("convert failed ({made})"));
    }
    if big {
        tile_100(&inputs)?;
    }
    std::fs::write(&marker, recipe).map_err(|e| format!("{}: {e}", marker.display()))?;
    Ok(inputs)
}

/// The 12-MP picture tiled to 100 MP, through a pipe: ImageMagick's PPM
/// into cjpeg.
fn tile_100(inputs: &Inputs) -> Result<(), String> {
    let (w, h) = SIZE_100;
    let mut tile = Command::new("convert")
        .args(["-size", &format!("{w}x{h}")])
        .arg(format!("tile:{}", inputs.jpeg12.display()))
        .arg("ppm:-")
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("convert: {e}"))?;
    let ppm = tile.stdout.take().ok_or("convert gave no output")?;
    let file = std::fs::File::create(&inputs.jpeg100)
        .map_err(|e| format!("{}: {e}", inputs.jpeg100.display()))?;
    let cjpeg = Command::new("cjpeg")
        .args(["-quality", "90", "-sample", "1x1"])
        .stdin(ppm)
        .stdout(file)
        .status()
        .map_err(|e| format!("cjpeg (libjpeg-turbo-progs): {e}"))?;
    let tiled = tile.wait().map_err(|e| format!("convert: {e}"))?;
    if !cjpeg.success() || !tiled.success() {
        return Err(format!("the 100-MP JPEG: convert {tiled}, cjpeg {cjpeg}"));
    }
    Ok(())
}
