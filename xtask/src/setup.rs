//! `cargo xtask setup`: the system packages, checked and installed.

use std::process::Command;

use crate::util::{exec, have};

/// What a subcommand needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Building the workspace.
    Build,
    /// Building and testing.
    Test,
    /// Building, testing and benchmarking.
    Everything,
}

/// A system requirement: how to tell it is there, and its Debian package.
struct Requirement {
    /// A program on the PATH, or `pkg-config:LIB`.
    probe: &'static str,
    package: &'static str,
    need: Need,
    why: &'static str,
}

const REQUIREMENTS: &[Requirement] = &[
    Requirement {
        probe: "pkg-config",
        package: "pkg-config",
        need: Need::Build,
        why: "finds the FFmpeg libraries",
    },
    Requirement {
        probe: "clang",
        package: "clang",
        need: Need::Build,
        why: "bindgen for ffmpeg-sys",
    },
    Requirement {
        probe: "pkg-config:libclang",
        package: "libclang-dev",
        need: Need::Build,
        why: "bindgen for ffmpeg-sys",
    },
    Requirement {
        probe: "pkg-config:libavcodec",
        package: "libavcodec-dev",
        need: Need::Build,
        why: "ffmpeg-next (video, compressed audio)",
    },
    Requirement {
        probe: "pkg-config:libavformat",
        package: "libavformat-dev",
        need: Need::Build,
        why: "ffmpeg-next",
    },
    Requirement {
        probe: "pkg-config:libavutil",
        package: "libavutil-dev",
        need: Need::Build,
        why: "ffmpeg-next",
    },
    Requirement {
        probe: "pkg-config:libswscale",
        package: "libswscale-dev",
        need: Need::Build,
        why: "ffmpeg-next",
    },
    Requirement {
        probe: "pkg-config:libswresample",
        package: "libswresample-dev",
        need: Need::Build,
        why: "ffmpeg-next",
    },
    Requirement {
        probe: "pkg-config:libavfilter",
        package: "libavfilter-dev",
        need: Need::Build,
        why: "ffmpeg-next",
    },
    Requirement {
        probe: "pkg-config:libavdevice",
        package: "libavdevice-dev",
        need: Need::Build,
        why: "ffmpeg-next",
    },
    Requirement {
        probe: "pkg-config:libheif",
        package: "libheif-dev",
        need: Need::Build,
        why: "HEIC and AVIF pictures (tanba-image feature `heif`)",
    },
    Requirement {
        probe: "heif-enc",
        package: "libheif-examples",
        need: Need::Test,
        why: "heif-enc, heif-convert and heif-info make and check HEIC/AVIF test pictures",
    },
    Requirement {
        probe: "exiftool",
        package: "libimage-exiftool-perl",
        need: Need::Test,
        why: "tests read our XMP back",
    },
    Requirement {
        probe: "jpegtran",
        package: "libjpeg-turbo-progs",
        need: Need::Test,
        why: "JPEG DCT-path tests: cjpeg makes inputs, jpegtran compares coefficients, djpeg decodes",
    },
    Requirement {
        probe: "pdftotext",
        package: "poppler-utils",
        need: Need::Test,
        why: "tests extract the PDF label",
    },
    Requirement {
        probe: "qpdf",
        package: "qpdf",
        need: Need::Test,
        why: "tests check PDF structure",
    },
    Requirement {
        probe: "ffprobe",
        package: "ffmpeg",
        need: Need::Test,
        why: "tests read audio and video back",
    },
    Requirement {
        probe: "tiffinfo",
        package: "libtiff-tools",
        need: Need::Test,
        why: "tests open a TIFF signed with C2PA with libtiff itself",
    },
    Requirement {
        probe: "magick-or-convert",
        package: "imagemagick",
        need: Need::Test,
        why: "tests read JPEG quality back (identify); the peer in image benchmarks",
    },
    Requirement {
        probe: "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        package: "fonts-dejavu-core",
        need: Need::Test,
        why: "tests give --font a second font, one with Arabic",
    },
    Requirement {
        probe: "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        package: "fonts-wqy-zenhei",
        need: Need::Test,
        why: "tests label in Chinese with a font that covers it (--font)",
    },
    Requirement {
        probe: "rsvg-convert",
        package: "librsvg2-bin",
        need: Need::Test,
        why: "tests render labelled SVGs to find the label; the peer in SVG benchmarks",
    },
    Requirement {
        probe: "python3",
        package: "python3",
        need: Need::Test,
        why: "tests parse labelled SVGs with an XML parser other than ours",
    },
    Requirement {
        probe: "soffice",
        package: "libreoffice-writer-nogui",
        need: Need::Test,
        why: "office tests make DOCX/ODT inputs and convert labelled ones to PDF",
    },
    Requirement {
        probe: "/usr/lib/libreoffice/program/libsclo.so",
        package: "libreoffice-calc-nogui",
        need: Need::Test,
        why: "office tests make XLSX/ODS inputs and print labelled ones to PDF",
    },
    Requirement {
        probe: "/usr/lib/libreoffice/program/libslideshowlo.so",
        package: "libreoffice-impress-nogui",
        need: Need::Test,
        why: "office tests make PPTX/ODP inputs and print labelled ones to PDF",
    },
    Requirement {
        probe: "/usr/share/java/epubcheck.jar",
        package: "epubcheck",
        need: Need::Test,
        why: "office tests check labelled EPUBs are as valid as their input (run with java -jar)",
    },
    Requirement {
        probe: "python3-module:openpyxl",
        package: "python3-openpyxl",
        need: Need::Test,
        why: "office tests read labelled XLSX cells and headers back with openpyxl",
    },
    Requirement {
        probe: "python3-module:docx",
        package: "python3-docx",
        need: Need::Test,
        why: "office tests read labelled DOCX back with python-docx",
    },
    Requirement {
        probe: "curl",
        package: "curl",
        need: Need::Test,
        why: "tests call tanba serve over loopback with a real HTTP client",
    },
    Requirement {
        probe: "/usr/bin/time",
        package: "time",
        need: Need::Everything,
        why: "peak memory in benchmarks",
    },
];

fn present(probe: &str) -> bool {
    if let Some(lib) = probe.strip_prefix("pkg-config:") {
        if lib == "libclang" {
            // libclang ships no .pc file; look for the shared library.
            return Command::new("sh")
                .args([
                    "-c",
                    "ls /usr/lib/llvm-*/lib/libclang*.so* /usr/lib/*/libclang*.so* >/dev/null 2>&1",
                ])
                .status()
                .is_ok_and(|s| s.success());
        }
        return Command::new("pkg-config")
            .args(["--exists", lib])
            .status()
            .is_ok_and(|s| s.success());
    }
    if probe == "magick-or-convert" {
        // /usr/local/bin/convert may be a stand-in; the real one answers -version.
        return Command::new("convert")
            .arg("-version")
            .output()
            .is_ok_and(|o| {
                o.status.success() && String::from_utf8_lossy(&o.stdout).contains("ImageMagick")
            });
    }
    if let Some(module) = probe.strip_prefix("python3-module:") {
        // Debian's python3-* packages serve the system interpreter only.
        return Command::new("/usr/bin/python3")
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success());
    }
    if probe.starts_with('/') {
        return std::path::Path::new(probe).is_file();
    }
    have(probe)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Checks every requirement up to `need`; installs what is missing with
/// apt-get when running as root, otherwise prints the command and fails.
pub fn run(need: Need) -> Result<(), String> {
    let wanted = |r: &Requirement| match need {
        Need::Build => r.need == Need::Build,
        Need::Test => r.need != Need::Everything,
        Need::Everything => true,
    };
    let missing: Vec<&Requirement> = REQUIREMENTS
        .iter()
        .filter(|r| wanted(r) && !present(r.probe))
        .collect();
    if missing.is_empty() {
        eprintln!("xtask setup: every system package is present");
        return Ok(());
    }
    let mut packages: Vec<&str> = missing.iter().map(|r| r.package).collect();
    packages.dedup();
    for r in &missing {
        eprintln!(
            "xtask setup: missing {} (package {}): {}",
            r.probe, r.package, r.why
        );
    }
    let install = format!(
        "apt-get install -y --no-install-recommends {}",
        packages.join(" ")
    );
    if !(is_root() && have("apt-get")) {
        return Err(format!(
            "install the missing packages, then run this again:\n    sudo apt-get update && sudo {install}"
        ));
    }
    let mut update = Command::new("apt-get");
    update
        .args(["update", "-qq"])
        .env("DEBIAN_FRONTEND", "noninteractive");
    exec(update)?;
    let mut apt = Command::new("apt-get");
    apt.args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(&packages)
        .env("DEBIAN_FRONTEND", "noninteractive");
    exec(apt)?;
    let still: Vec<&str> = missing
        .iter()
        .filter(|r| !present(r.probe))
        .map(|r| r.probe)
        .collect();
    if still.is_empty() {
        Ok(())
    } else {
        Err(format!("still missing after install: {}", still.join(", ")))
    }
}
