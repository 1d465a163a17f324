#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `tanba audit` on a small archive of files other tools marked: C2PA
//! credentials signed with the C2PA SDK's own Builder as another
//! generator, an AIGC label written with exiftool, Stable Diffusion and
//! ComfyUI PNGs (text chunks written by python3), a text with a notice
//! and no mark, a Tanba output, and plain media. Each verdict is asserted,
//! then `--fix` with and without a C2PA key, and the fixed outputs are
//! audited again.

mod common;

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fixture, report, s, tanba};

const TRAINED: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";
const AIGC: &str = r#"{"AIGC":{"Label":"1","ContentProducer":"Acme Gen Co","ProduceID":"acme-0001","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}}"#;

/// Test credentials made by `tanba keys new`: (chain, key).
fn keys(dir: &Path) -> (PathBuf, PathBuf) {
    let o = tanba(&["keys", "new", s(dir)]);
    assert!(o.status.success(), "{o:?}");
    (
        dir.join("signing-cert-chain.pem"),
        dir.join("signing-key.pem"),
    )
}

/// `input` signed by "OtherGen", another generator, with the C2PA SDK's
/// own Builder: created by a trained model.
fn sign_as_other_generator(input: &Path, mime: &str, out: &Path, keys: &(PathBuf, PathBuf)) {
    let chain = std::fs::read(&keys.0).unwrap();
    let key = std::fs::read(&keys.1).unwrap();
    let signer =
        c2pa::create_signer::from_keys(&chain, &key, c2pa::SigningAlg::Es256, None).unwrap();
    let definition = serde_json::json!({
        "claim_generator_info": [{"name": "OtherGen", "version": "2.1"}],
        "assertions": [{
            "label": "c2pa.actions.v2",
            "data": {"actions": [{
                "action": "c2pa.created",
                "digitalSourceType": TRAINED,
                "softwareAgent": {"name": "OtherGen Image Model"},
            }]},
        }],
    });
    let mut builder = c2pa::Builder::from_context(c2pa::Context::new())
        .with_definition(definition.to_string())
        .unwrap();
    let mut src = std::fs::File::open(input).unwrap();
    let mut dst = Cursor::new(Vec::new());
    builder
        .sign(signer.as_ref(), mime, &mut src, &mut dst)
        .unwrap();
    std::fs::write(out, dst.into_inner()).unwrap();
}

/// A copy of the PNG `input` with tEXt chunks (keyword, text) before its
/// image data, as Stable Diffusion web UIs and ComfyUI write them.
fn png_with_text(input: &Path, out: &Path, chunks: &[(&str, &str)]) {
    const SCRIPT: &str = r#"
import struct, sys, zlib
def chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
src = open(sys.argv[1], 'rb').read()
pairs = sys.argv[3:]
extra = b''.join(chunk(b'tEXt', pairs[i].encode() + b'\0' + pairs[i + 1].encode()) for i in range(0, len(pairs), 2))
out, at = src[:8], 8
while at < len(src):
    n = struct.unpack('>I', src[at:at + 4])[0]
    if src[at + 4:at + 8] == b'IDAT' and extra:
        out, extra = out + extra, b''
    out += src[at:at + 12 + n]
    at += 12 + n
open(sys.argv[2], 'wb').write(out)
"#;
    let mut cmd = Command::new("python3");
    cmd.args(["-c", SCRIPT, s(input), s(out)]);
    for (k, v) in chunks {
        cmd.args([k, v]);
    }
    let o = cmd.output().expect("python3 is installed");
    assert!(o.status.success(), "{o:?}");
}

fn exiftool(args: &[&str]) -> String {
    let o = Command::new("exiftool")
        .args(args)
        .output()
        .expect("exiftool is installed");
    assert!(o.status.success(), "{o:?}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A one-page PDF whose text is `text` (Helvetica), as a word processor
/// without any AI mark writes it.
fn text_pdf(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 18 Tf 72 760 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_string(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.push_str(&format!("{} 0 obj\n{o}\nendobj\n", i + 1));
    }
    let xref = out.len();
    out.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for o in offsets {
        out.push_str(&format!("{o:010} 00000 n \n"));
    }
    out.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    out.into_bytes()
}

/// The archive: file name → the verdict it must get.
fn build_archive(dir: &Path, keys: &(PathBuf, PathBuf)) -> BTreeMap<&'static str, &'static str> {
    let photo = fixture("image/sample-photo.jpg");
    let png = fixture("image/sample-generated.png");
    sign_as_other_generator(&photo, "image/jpeg", &dir.join("c2pa-jpeg.jpg"), keys);
    sign_as_other_generator(&png, "image/png", &dir.join("c2pa-png.png"), keys);
    sign_as_other_generator(
        &fixture("video/sample.mp4"),
        "video/mp4",
        &dir.join("c2pa-mp4.mp4"),
        keys,
    );
    std::fs::copy(&photo, dir.join("aigc.jpg")).unwrap();
    exiftool(&[
        "-q",
        "-overwrite_original",
        &format!("-EXIF:UserComment={AIGC}"),
        s(&dir.join("aigc.jpg")),
    ]);
    png_with_text(&png, &dir.join("aigc.png"), &[("AIGC", AIGC)]);
    // IPTC DigitalSourceType in XMP, and generator names in EXIF Software
    // and XMP CreatorTool, as exiftool writes them.
    for (name, source, tag) in [
        (
            "iptc.jpg",
            &photo,
            format!("-XMP-iptcExt:DigitalSourceType={TRAINED}"),
        ),
        (
            "firefly.jpg",
            &photo,
            "-EXIF:Software=Adobe Firefly".to_string(),
        ),
        (
            "midjourney.png",
            &png,
            "-XMP:CreatorTool=Midjourney v6".to_string(),
        ),
    ] {
        std::fs::copy(source, dir.join(name)).unwrap();
        exiftool(&["-q", "-overwrite_original", &tag, s(&dir.join(name))]);
    }
    let o = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-i"])
        .arg(fixture("video/sample.mp4"))
        .args(["-c", "copy", "-movflags", "use_metadata_tags", "-metadata"])
        .arg(format!("AIGC={AIGC}"))
        .arg(dir.join("aigc.mp4"))
        .output()
        .expect("ffmpeg is installed");
    assert!(o.status.success(), "{o:?}");
    png_with_text(
        &png,
        &dir.join("sd.png"),
        &[(
            "parameters",
            "a cat in space\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Model: sd_xl_base_1.0",
        )],
    );
    png_with_text(
        &png,
        &dir.join("comfy.png"),
        &[
            (
                "prompt",
                r#"{"3": {"class_type": "KSampler", "inputs": {"seed": 1}}}"#,
            ),
            ("workflow", r#"{"nodes": []}"#),
        ],
    );
    std::fs::write(
        dir.join("notice.md"),
        "Создано с помощью искусственного интеллекта.\n\nA story.\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("notice.pdf"),
        text_pdf("AI-generated report. Figures for Q3."),
    )
    .unwrap();
    std::fs::write(dir.join("plain.pdf"), text_pdf("Figures for Q3.")).unwrap();
    // A PNG cut short: recognised, but it cannot be read.
    let mut cut = std::fs::read(&png).unwrap();
    cut.truncate(100);
    std::fs::write(dir.join("broken.png"), cut).unwrap();
    std::fs::copy(&photo, dir.join("plain.jpg")).unwrap();
    std::fs::write(dir.join("plain.txt"), "Minutes of the meeting.\n").unwrap();
    let labelled = dir.join("labelled");
    let o = tanba(&["label", s(&png), "-o", s(&labelled)]);
    assert!(o.status.success(), "{o:?}");
    std::fs::rename(labelled.join("sample-generated.png"), dir.join("tanba.png")).unwrap();
    // A Tanba output a platform stripped of its metadata: only the
    // watermark and the visible label are left.
    std::fs::copy(dir.join("tanba.png"), dir.join("stripped.png")).unwrap();
    exiftool(&[
        "-q",
        "-overwrite_original",
        "-all=",
        s(&dir.join("stripped.png")),
    ]);
    std::fs::remove_dir(&labelled).unwrap();
    stripped_outputs(dir);
    BTreeMap::from([
        ("c2pa-jpeg.jpg", "ai-marked-no-visible-label"),
        ("c2pa-png.png", "ai-marked-no-visible-label"),
        ("c2pa-mp4.mp4", "ai-marked-no-visible-label"),
        ("aigc.jpg", "ai-marked-no-visible-label"),
        ("aigc.png", "ai-marked-no-visible-label"),
        ("aigc.mp4", "ai-marked-no-visible-label"),
        ("sd.png", "ai-marked-no-visible-label"),
        ("iptc.jpg", "ai-marked-no-visible-label"),
        ("firefly.jpg", "ai-marked-no-visible-label"),
        ("midjourney.png", "ai-marked-no-visible-label"),
        ("comfy.png", "ai-marked-no-visible-label"),
        ("notice.md", "visible-label-no-machine-mark"),
        ("notice.pdf", "visible-label-no-machine-mark"),
        ("plain.pdf", "no-ai-evidence"),
        ("broken.png", "unreadable"),
        ("plain.jpg", "no-ai-evidence"),
        ("plain.txt", "no-ai-evidence"),
        ("tanba.png", "compliant"),
        ("stripped.png", "compliant"),
        ("stripped-big.jpg", "compliant"),
        ("stripped-big.png", "compliant"),
        ("halved.jpg", "compliant"),
        ("reencoded.mp4", "compliant"),
    ])
}

/// Tanba outputs as platforms pass them on, with nothing left but the
/// watermark and the visible label: a JPEG and a PNG (the fixtures
/// enlarged 3x first, so the mark has room) stripped by `exiftool -all=`,
/// the JPEG also stripped and halved by ImageMagick, and the MP4 fixture
/// (doubled) re-encoded by ffmpeg without its metadata.
fn stripped_outputs(dir: &Path) {
    let big = dir.join("big");
    std::fs::create_dir(&big).unwrap();
    for (fixture_name, name) in [
        ("image/sample-photo.jpg", "stripped-big.jpg"),
        ("image/sample-generated.png", "stripped-big.png"),
    ] {
        let o = Command::new("convert")
            .arg(fixture(fixture_name))
            .args(["-resize", "300%"])
            .arg(big.join(name))
            .output()
            .expect("ImageMagick is installed");
        assert!(o.status.success(), "{o:?}");
    }
    // The 640x360 clip doubled too: at its own size a CRF 23 re-encode
    // lost the mark for 2 payloads of 15 (measured).
    let o = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-i"])
        .arg(fixture("video/sample.mp4"))
        .args(["-vf", "scale=1280:720", "-c:v", "libx264", "-crf", "18"])
        .args(["-c:a", "copy"])
        .arg(big.join("labelled.mp4"))
        .output()
        .expect("ffmpeg is installed");
    assert!(o.status.success(), "{o:?}");
    let labelled = dir.join("labelled-big");
    let o = tanba(&["label", s(&big), "-o", s(&labelled)]);
    assert!(o.status.success(), "{o:?}");
    for name in ["stripped-big.jpg", "stripped-big.png"] {
        std::fs::copy(labelled.join(name), dir.join(name)).unwrap();
        exiftool(&["-q", "-overwrite_original", "-all=", s(&dir.join(name))]);
    }
    let o = Command::new("convert")
        .arg(labelled.join("stripped-big.jpg"))
        .args(["-strip", "-resize", "50%"])
        .arg(dir.join("halved.jpg"))
        .output()
        .expect("ImageMagick is installed");
    assert!(o.status.success(), "{o:?}");
    let o = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-i"])
        .arg(labelled.join("labelled.mp4"))
        .args(["-map_metadata", "-1", "-c:v", "libx264", "-crf", "23"])
        .args(["-c:a", "copy"])
        .arg(dir.join("reencoded.mp4"))
        .output()
        .expect("ffmpeg is installed");
    assert!(o.status.success(), "{o:?}");
    std::fs::remove_dir_all(&big).unwrap();
    std::fs::remove_dir_all(&labelled).unwrap();
}

/// The audit report's rows by file name.
fn rows(path: &Path) -> BTreeMap<String, serde_json::Value> {
    report(path)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let name = Path::new(r["file"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, r.clone())
        })
        .collect()
}

fn sources(row: &serde_json::Value) -> Vec<String> {
    row["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"].as_str().unwrap().to_string())
        .collect()
}

/// The AIGC JSON of every carrier exiftool reads in `file` (one tag per
/// carrier: EXIF UserComment, XMP, PNG text, MP4 keys …).
fn aigc_labels(file: &Path) -> Vec<serde_json::Value> {
    exiftool(&["-a", "-j", "-G1", s(file)])
        .parse::<serde_json::Value>()
        .ok()
        .and_then(|v| v.as_array().and_then(|a| a.first().cloned()))
        .and_then(|o| o.as_object().cloned())
        .into_iter()
        .flatten()
        .filter_map(|(_, v)| v.as_str().map(str::to_string))
        .filter(|v| v.starts_with("{\"AIGC\""))
        .map(|v| serde_json::from_str(&v).unwrap())
        .collect()
}

#[test]
fn an_archive_marked_by_other_tools_gets_its_verdicts_and_is_fixed() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keys(&tmp.path().join("keys"));
    let archive = tmp.path().join("archive");
    std::fs::create_dir(&archive).unwrap();
    let expected = build_archive(&archive, &keys);

    let json = tmp.path().join("audit.json");
    let csv = tmp.path().join("audit.csv");
    let o = tanba(&["audit", s(&archive), "--report", s(&json), "--csv", s(&csv)]);
    assert_eq!(o.status.code(), Some(1), "AI content lacks labels: {o:?}");
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("ai-marked-no-visible-label"), "{table}");
    let found = rows(&json);
    for (name, verdict) in &expected {
        assert_eq!(
            found[*name]["verdict"], *verdict,
            "{name}: {:#}",
            found[*name]
        );
    }
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    // Each piece of evidence names its source.
    let c2pa = sources(&found["c2pa-png.png"]).join("\n");
    assert!(
        c2pa.contains("C2PA credentials") && c2pa.contains("trainedAlgorithmicMedia"),
        "{c2pa}"
    );
    assert!(c2pa.contains("(valid)"), "{c2pa}");
    let aigc = sources(&found["aigc.jpg"]).join("\n");
    assert!(
        aigc.contains("AIGC") && aigc.contains("EXIF UserComment") && aigc.contains("Acme Gen Co"),
        "{aigc}"
    );
    assert!(sources(&found["sd.png"])[0].contains("A1111"));
    assert_eq!(found["iptc.jpg"]["evidence"][0]["kind"], "iptc");
    assert!(sources(&found["firefly.jpg"])[0].contains("Adobe Firefly"));
    assert!(sources(&found["midjourney.png"])[0].contains("Midjourney"));
    assert!(
        sources(&found["comfy.png"])
            .join(" ")
            .contains("ComfyUI `prompt`")
    );
    assert!(
        sources(&found["tanba.png"])
            .join(" ")
            .contains("Tanba manifest")
    );
    // Stripped outputs: the watermark is their machine-readable mark, and
    // the visible label is found by searching their content.
    for name in [
        "stripped.png",
        "stripped-big.jpg",
        "stripped-big.png",
        "halved.jpg",
        "reencoded.mp4",
    ] {
        let row = &found[name];
        assert_eq!(row["evidence"][0]["kind"], "watermark", "{name}: {row:#}");
        let visible = row["visible_label"].as_str().unwrap_or_default();
        assert!(
            visible.starts_with("visible label found at "),
            "{name}: {row:#}"
        );
    }
    assert!(found["notice.md"]["visible_label"].as_str().is_some());
    let pdf_notice = found["notice.pdf"]["visible_label"].as_str().unwrap();
    assert!(pdf_notice.contains("ai-generated"), "{pdf_notice}");
    assert!(
        found["broken.png"]["reason"]
            .as_str()
            .unwrap()
            .contains("truncated")
    );
    let csv = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(csv.lines().count(), expected.len() + 1, "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.contains("sd.png") && l.contains(",ai-marked-no-visible-label,"))
    );

    // verify says what another tool's labelled file is.
    let o = tanba(&["verify", s(&archive.join("c2pa-png.png"))]);
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        said.contains("AI-made per")
            && said.contains("C2PA credentials")
            && said.contains("no visible label"),
        "{said}"
    );

    fix_without_a_key(tmp.path(), &archive, &expected);
    fix_with_a_key(tmp.path(), &archive, &keys);
}

/// `--fix` without a C2PA key: exactly the files that need it are written,
/// all compliant; the other generator's credentials are kept in sidecars;
/// the producer's AIGC label is carried on with the propagator filled in.
fn fix_without_a_key(tmp: &Path, archive: &Path, expected: &BTreeMap<&str, &str>) {
    let fixed = tmp.join("fixed");
    let json = tmp.join("fix.json");
    let o = tanba(&[
        "audit",
        s(archive),
        "--fix",
        "--out",
        s(&fixed),
        "--operator",
        "Dist LLP",
        "--bin",
        "180440000059",
        "--report",
        s(&json),
    ]);
    assert!(
        o.status.success(),
        "every file that needed it was fixed: {o:?}"
    );
    let mut written: Vec<String> = std::fs::read_dir(&fixed)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".c2pa"))
        .collect();
    written.sort();
    let mut needed: Vec<String> = expected
        .iter()
        .filter(|(_, v)| v.starts_with("ai-marked") || v.starts_with("visible-label"))
        .map(|(n, _)| n.to_string())
        .collect();
    needed.sort();
    assert_eq!(written, needed, "exactly the files that need a label");
    for name in ["c2pa-jpeg", "c2pa-png", "c2pa-mp4"] {
        let sidecar = fixed.join(format!("{name}.c2pa"));
        let store = std::fs::read(&sidecar).unwrap_or_else(|_| panic!("{name}: no kept sidecar"));
        let text = String::from_utf8_lossy(&store);
        assert!(
            text.contains("OtherGen"),
            "{name}: the sidecar holds the other generator's store"
        );
    }
    let rows = rows(&json);
    assert!(rows["c2pa-png.png"]["fixed"]["kept_credentials"].is_string());
    // The fixed outputs audit as compliant, and verify accepts a kept sidecar.
    let again = tmp.join("again.json");
    let o = tanba(&["audit", s(&fixed), "--report", s(&again)]);
    assert!(o.status.success(), "{o:?}");
    for (name, row) in crate::rows(&again) {
        assert_eq!(row["verdict"], "compliant", "{name}: {row:#}");
    }
    let o = tanba(&["verify", s(&fixed.join("c2pa-jpeg.jpg"))]);
    assert!(o.status.success(), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("the unlabelled original's, kept in the sidecar")
    );
    // One AIGC label per carrier, the same in each: the producer's, passed on.
    for name in ["aigc.jpg", "aigc.png", "aigc.mp4"] {
        let labels = aigc_labels(&fixed.join(name));
        assert_eq!(
            labels.len(),
            2,
            "{name}: its own carrier and XMP: {labels:?}"
        );
        assert_eq!(labels[0], labels[1], "{name}");
        let aigc = &labels[0]["AIGC"];
        assert_eq!(aigc["ContentProducer"], "Acme Gen Co", "{name}");
        assert_eq!(aigc["ProduceID"], "acme-0001", "{name}");
        assert_eq!(aigc["ContentPropagator"], "180440000059", "{name}");
        assert_eq!(aigc["PropagateID"].as_str().unwrap().len(), 36, "{name}");
    }
}

/// `--fix` with a C2PA key: the other generator's manifest becomes the
/// parent ingredient of the new credentials.
fn fix_with_a_key(tmp: &Path, archive: &Path, keys: &(PathBuf, PathBuf)) {
    let fixed = tmp.join("fixed-signed");
    let o = tanba(&[
        "audit",
        s(archive),
        "--fix",
        "--out",
        s(&fixed),
        "--operator",
        "Dist LLP",
        "--c2pa-cert",
        s(&keys.0),
        "--c2pa-key",
        s(&keys.1),
        "-t",
        "jpeg",
        "-t",
        "png",
    ]);
    assert!(o.status.success(), "{o:?}");
    for (name, mime) in [
        ("c2pa-jpeg.jpg", "image/jpeg"),
        ("c2pa-png.png", "image/png"),
    ] {
        let bytes = std::fs::read(fixed.join(name)).unwrap();
        let reader = c2pa::Reader::from_context(c2pa::Context::new())
            .with_stream(mime, Cursor::new(bytes))
            .unwrap();
        let active = reader.active_manifest().unwrap();
        let parent = &active.ingredients()[0];
        assert_eq!(
            parent.relationship(),
            &c2pa::Relationship::ParentOf,
            "{name}"
        );
        let label = parent
            .active_manifest()
            .expect("the parent's manifest is kept");
        let theirs = reader.get_manifest(label).unwrap();
        let generator = &theirs.claim_generator_info.as_ref().unwrap()[0].name;
        assert_eq!(generator, "OtherGen", "{name}");
        assert!(!fixed.join(name).with_extension("c2pa").exists());
    }
}

/// A TIFF labelled with C2PA keeps the manifest in its first image
/// directory, as c2pa-python writes it: libtiff (tiffinfo) and ImageMagick
/// open it, and the credentials validate.
#[test]
fn a_tiff_with_c2pa_opens_in_libtiff_and_imagemagick() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keys(&tmp.path().join("keys"));
    let tiff = tmp.path().join("picture.tif");
    let o = Command::new("convert")
        .args([s(&fixture("image/sample-generated.png")), s(&tiff)])
        .output()
        .expect("ImageMagick is installed");
    assert!(o.status.success(), "{o:?}");
    let out = tmp.path().join("out");
    let o = tanba(&[
        "label",
        s(&tiff),
        "-o",
        s(&out),
        "--c2pa-cert",
        s(&keys.0),
        "--c2pa-key",
        s(&keys.1),
    ]);
    assert!(o.status.success(), "{o:?}");
    let labelled = out.join("picture.tif");
    assert!(
        !labelled.with_extension("c2pa").exists(),
        "embedded, not a sidecar"
    );
    for (tool, args) in [
        ("tiffinfo", vec![s(&labelled).to_string()]),
        ("identify", vec![s(&labelled).to_string()]),
        (
            "convert",
            vec![
                s(&labelled).to_string(),
                s(&tmp.path().join("back.png")).to_string(),
            ],
        ),
    ] {
        let o = Command::new(tool)
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("{tool} is installed: {e}"));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.success() && !err.contains("MissingRequired"),
            "{tool}: {o:?}"
        );
    }
    let reader = c2pa::Reader::from_context(c2pa::Context::new())
        .with_stream("image/tiff", std::fs::File::open(&labelled).unwrap())
        .unwrap();
    assert_eq!(reader.validation_state(), c2pa::ValidationState::Valid);
    let o = tanba(&["verify", s(&labelled)]);
    assert!(o.status.success(), "{o:?}");
    // An edited copy fails: the hash covers the image data.
    let mut bytes = std::fs::read(&labelled).unwrap();
    bytes[200] ^= 0xFF;
    let edited = tmp.path().join("edited.tif");
    std::fs::write(&edited, bytes).unwrap();
    let reader = c2pa::Reader::from_context(c2pa::Context::new())
        .with_stream("image/tiff", std::fs::File::open(&edited).unwrap())
        .unwrap();
    assert_eq!(reader.validation_state(), c2pa::ValidationState::Invalid);
}

/// Relabelling a sidecar format (Ogg) with `--force` and a C2PA key keeps
/// the earlier credentials, from the old sidecar, as the parent
/// ingredient, as an embedded manifest is kept for JPEG.
#[test]
fn a_relabelled_ogg_keeps_its_earlier_credentials_as_the_parent() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keys(&tmp.path().join("keys"));
    let ogg = tmp.path().join("voice.ogg");
    let o = Command::new("ffmpeg")
        .args([
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=d=2",
            "-c:a",
            "libvorbis",
        ])
        .arg(&ogg)
        .output()
        .expect("ffmpeg is installed");
    assert!(o.status.success(), "{o:?}");
    let sign = ["--c2pa-cert", s(&keys.0), "--c2pa-key", s(&keys.1)];
    let first = tmp.path().join("first");
    let o = tanba(&[&["label", s(&ogg), "-o", s(&first)][..], &sign].concat());
    assert!(o.status.success(), "{o:?}");
    let read = |dir: &Path| {
        let store = std::fs::read(dir.join("voice.c2pa")).unwrap();
        c2pa::Reader::from_context(c2pa::Context::new())
            .with_manifest_data_and_stream(
                &store,
                "application/octet-stream",
                std::fs::File::open(dir.join("voice.ogg")).unwrap(),
            )
            .unwrap()
    };
    let earlier = read(&first).active_label().unwrap().to_string();
    let second = tmp.path().join("second");
    let o = tanba(
        &[
            &[
                "label",
                s(&first.join("voice.ogg")),
                "-o",
                s(&second),
                "--force",
            ][..],
            &sign,
        ]
        .concat(),
    );
    assert!(o.status.success(), "{o:?}");
    let reader = read(&second);
    assert_eq!(reader.validation_state(), c2pa::ValidationState::Valid);
    let parent = &reader.active_manifest().unwrap().ingredients()[0];
    assert_eq!(parent.relationship(), &c2pa::Relationship::ParentOf);
    assert_eq!(parent.active_manifest(), Some(earlier.as_str()));
    assert!(
        reader.get_manifest(&earlier).is_some(),
        "the earlier manifest is in the store"
    );
}

/// `verify` and `audit` read the `.c2pa` sidecar of a format that cannot
/// hold credentials itself (a BMP signed by another generator).
#[test]
fn a_bmp_with_sidecar_credentials_is_read_by_verify_and_audit() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keys(&tmp.path().join("keys"));
    let bmp = tmp.path().join("scan.bmp");
    let o = Command::new("convert")
        .args([s(&fixture("image/sample-generated.png")), s(&bmp)])
        .output()
        .expect("ImageMagick is installed");
    assert!(o.status.success(), "{o:?}");
    let chain = std::fs::read(&keys.0).unwrap();
    let key = std::fs::read(&keys.1).unwrap();
    let signer =
        c2pa::create_signer::from_keys(&chain, &key, c2pa::SigningAlg::Es256, None).unwrap();
    let definition = serde_json::json!({
        "claim_generator_info": [{"name": "OtherGen", "version": "2.1"}],
        "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": [
            {"action": "c2pa.created", "digitalSourceType": TRAINED}
        ]}}],
    });
    let mut builder = c2pa::Builder::from_context(c2pa::Context::new())
        .with_definition(definition.to_string())
        .unwrap();
    builder.set_no_embed(true);
    let store = builder
        .sign(
            signer.as_ref(),
            "application/octet-stream",
            &mut std::fs::File::open(&bmp).unwrap(),
            &mut Cursor::new(Vec::new()),
        )
        .unwrap();
    std::fs::write(bmp.with_extension("c2pa"), store).unwrap();
    let o = tanba(&["verify", s(&bmp)]);
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        said.contains("C2PA in C2PA manifest store (.c2pa sidecar)"),
        "{said}"
    );
    assert!(
        said.contains("AI-made per") && said.contains("content credentials (C2PA): valid"),
        "{said}"
    );
    let json = tmp.path().join("audit.json");
    let o = tanba(&["audit", s(&bmp), "--report", s(&json)]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let row = &report(&json)[0];
    assert_eq!(row["verdict"], "ai-marked-no-visible-label", "{row:#}");
    assert_eq!(row["evidence"][0]["kind"], "c2pa", "{row:#}");
}

/// Two outputs that differ only in their extension keep their originals'
/// credentials apart: `NAME.c2pa` for the first, `NAME.EXT.c2pa` for the
/// second, and each verifies against its own.
#[test]
fn kept_credentials_of_twins_do_not_overwrite_each_other() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = keys(&tmp.path().join("keys"));
    let jpg = tmp.path().join("twin.jpg");
    let png = tmp.path().join("twin.png");
    sign_as_other_generator(
        &fixture("image/sample-photo.jpg"),
        "image/jpeg",
        &jpg,
        &keys,
    );
    sign_as_other_generator(
        &fixture("image/sample-generated.png"),
        "image/png",
        &png,
        &keys,
    );
    let out = tmp.path().join("out");
    let json = tmp.path().join("run.json");
    let o = tanba(&[
        "label",
        s(&jpg),
        s(&png),
        "-o",
        s(&out),
        "--report",
        s(&json),
        "-j",
        "1",
    ]);
    assert!(o.status.success(), "{o:?}");
    let first = std::fs::read(out.join("twin.c2pa")).unwrap();
    let second = std::fs::read(out.join("twin.png.c2pa")).unwrap();
    assert_ne!(first, second);
    let kept: Vec<String> = report(&json)["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["c2pa"].as_str().unwrap().to_string())
        .collect();
    assert!(
        kept.iter().all(|k| k.starts_with("original's kept in")),
        "{kept:?}"
    );
    for file in ["twin.jpg", "twin.png"] {
        let o = tanba(&["verify", s(&out.join(file))]);
        let said = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{file}: {said}");
        assert!(
            said.contains("claim generator OtherGen/2.1"),
            "{file}: {said}"
        );
    }
}
