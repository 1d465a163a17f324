//! The speed and memory goals of issues 3, 4, 5, 6, 7, 9, 14 and 20, as a
//! table of rows checked against a run.

use super::audio::{UNMARKED, WATERMARKED};
use super::case::{Case, Row, Section, median_rss, median_wall};
use super::measure::Stats;
use super::verify_cost::{CHECKED, TITLE as VERIFYING, UNCHECKED};

/// A measured row: (section, text in the case title, start of the row name).
type RowId = (&'static str, &'static str, &'static str);

/// How a goal compares its rows (`a`, then `b`).
#[derive(Debug, Clone, Copy)]
enum Check {
    /// Wall time of `a` over `b` at most this.
    WallRatio(f64),
    /// Like `WallRatio`, for two rows that run back to back in every round
    /// (their order turned every other round): the median of the rounds'
    /// own ratios. Each pair shares the machine's state of that minute,
    /// which the ratio of two medians mixes across the whole run.
    PairedWallRatio(f64),
    /// Peak memory of `a` at most this many MiB.
    PeakMib(f64),
    /// Wall time of `b` over `a` (a speed-up) at least this.
    SpeedUp(f64),
    /// Peak memory of `a` and `b` at most this many MiB, `b` within 10 % of `a`.
    FlatMib(f64),
    /// Wall time of `a` minus `b`, per file of `a`'s case (its title's first
    /// number), under this many ms.
    PerFileMs(f64),
    /// Wall time of `a` at most this many seconds.
    WallAtMost(f64),
}

/// One goal: what it says, the rows it reads, and the check.
#[derive(Debug)]
struct Goal {
    text: &'static str,
    a: RowId,
    b: Option<RowId>,
    check: Check,
}

const JPEG: &str = "JPEG (";
const MP3: &str = "10-minute";
const CLIP: &str = "p clip";
const DCT12: &str = "12-MP JPEG in the DCT domain";
const DCT100: &str = "100-MP JPEG in the DCT domain";
const DCT_ROW: &str = "tanba label --no-watermark";
/// Issue #6's speed goals were set for the label alone: they read the
/// `--no-watermark` row, as #4's do for audio; the watermark's cost on top
/// is #18's own goal, read on the default row against this one.
const VIDEO_UNMARKED: &str = "tanba label --no-watermark";

/// The goals, in the order the report lists them.
const GOALS: [Goal; 26] = [
    Goal {
        text: "Image: one 12-MP JPEG, wall ≤ 1.0× ImageMagick `convert -annotate`",
        a: ("image", JPEG, "tanba label (CLI)"),
        b: Some(("image", JPEG, "ImageMagick")),
        check: Check::WallRatio(1.0),
    },
    Goal {
        text: "Image: the label adds ≤ 10 % to a plain decode+encode (library, same process shape)",
        a: ("image", JPEG, "tanba-image library"),
        b: Some(("image", JPEG, "plain decode+encode")),
        check: Check::WallRatio(1.1),
    },
    Goal {
        text: "Audio: 10-minute MP3, wall ≤ 1.1× ffmpeg's plain decode",
        a: ("audio", MP3, UNMARKED),
        b: Some(("audio", MP3, "ffmpeg plain decode")),
        check: Check::WallRatio(1.1),
    },
    Goal {
        text: "Audio: 10-minute MP3, wall ≤ 0.75× ffmpeg's amix",
        a: ("audio", MP3, UNMARKED),
        b: Some(("audio", MP3, "ffmpeg amix of the disclaimer")),
        check: Check::WallRatio(0.75),
    },
    Goal {
        text: "C2PA: signing adds ≤ 15 % to labelling a 12-MP JPEG",
        a: ("image", JPEG, "tanba label + C2PA (CLI)"),
        b: Some(("image", JPEG, "tanba label (CLI)")),
        check: Check::WallRatio(1.15),
    },
    Goal {
        text: "C2PA: signing adds ≤ 5 % to labelling the 1080p clip",
        a: ("video", CLIP, "tanba label + C2PA"),
        b: Some(("video", CLIP, "tanba label")),
        check: Check::PairedWallRatio(1.05),
    },
    Goal {
        text: "Video: 1080p30 clip, wall ≤ 1.0× `ffmpeg -vf drawbox,drawtext`",
        a: ("video", CLIP, VIDEO_UNMARKED),
        b: Some(("video", CLIP, "ffmpeg drawbox+drawtext")),
        check: Check::WallRatio(1.0),
    },
    Goal {
        text: "Video: 1080p30 clip, wall ≤ 1.03× ffmpeg's plain re-encode",
        a: ("video", CLIP, VIDEO_UNMARKED),
        b: Some(("video", CLIP, "ffmpeg plain re-encode")),
        check: Check::WallRatio(1.03),
    },
    Goal {
        text: "PDF: 100+ pages, wall ≤ 1.0× `qpdf --overlay`",
        a: ("pdf", "page PDF", "tanba label (incremental"),
        b: Some(("pdf", "page PDF", "qpdf")),
        check: Check::WallRatio(1.0),
    },
    Goal {
        text: "Image: peak memory ≤ 100 MiB on a 12-MP JPEG",
        a: ("image", JPEG, "tanba label (CLI)"),
        b: None,
        check: Check::PeakMib(100.0),
    },
    Goal {
        text: "Image: 200 JPEGs on 2 workers ≥ 1.8× faster than on 1",
        a: ("image", "JPEGs (", "tanba label --jobs 2"),
        b: Some(("image", "JPEGs (", "tanba label --jobs 1")),
        check: Check::SpeedUp(1.8),
    },
    Goal {
        text: "Audio: peak memory ≤ 64 MiB, not growing from 10 to 60 minutes",
        a: ("audio", MP3, WATERMARKED),
        b: Some(("audio", "60-minute", WATERMARKED)),
        check: Check::FlatMib(64.0),
    },
    Goal {
        text: "Bulk: per-file overhead of the job machinery < 1 ms (1,000 small files, 1 worker)",
        a: ("bulk", " small mixed files", "tanba label --jobs 1"),
        b: Some(("bulk", " small mixed files", "library")),
        check: Check::PerFileMs(1.0),
    },
    Goal {
        text: "Verification: reading every output back adds ≤ 5 % (1,000 small files, library, 1 thread)",
        a: ("bulk", VERIFYING, CHECKED),
        b: Some(("bulk", VERIFYING, UNCHECKED)),
        check: Check::WallRatio(1.05),
    },
    Goal {
        text: "Verification: reading the output back adds ≤ 5 % to labelling a 12-MP JPEG (library)",
        a: ("image", VERIFYING, CHECKED),
        b: Some(("image", VERIFYING, UNCHECKED)),
        check: Check::WallRatio(1.05),
    },
    Goal {
        text: "Verification: reading the output back adds ≤ 2 % to labelling the 1080p clip (library)",
        a: ("video", VERIFYING, CHECKED),
        b: Some(("video", VERIFYING, UNCHECKED)),
        check: Check::WallRatio(1.02),
    },
    Goal {
        text: "Stream: a 16,384² RGBA PNG labelled in ≤ 128 MiB peak",
        a: ("stream", "RGBA PNG", "tanba label (CLI)"),
        b: None,
        check: Check::PeakMib(128.0),
    },
    Goal {
        text: "Stream: the 16,384² RGBA PNG at least as fast as the whole-frame path",
        a: ("stream", "RGBA PNG", "tanba label (CLI)"),
        b: Some(("stream", "RGBA PNG", "tanba-image library, whole frame")),
        check: Check::WallRatio(1.0),
    },
    Goal {
        text: "Stream: a 500 MB Markdown file labelled in ≤ 64 MiB peak",
        a: ("stream", "MB Markdown", "tanba label (CLI)"),
        b: None,
        check: Check::PeakMib(64.0),
    },
    Goal {
        text: "Stream: the 500 MB Markdown file at ≥ 200 MB/s (wall ≤ 2.5 s)",
        a: ("stream", "MB Markdown", "tanba label (CLI)"),
        b: None,
        check: Check::WallAtMost(2.5),
    },
    Goal {
        text: "Watermark (#18): embedding adds ≤ 10 % to labelling a 12-MP JPEG",
        a: ("jpeg", DCT12, "tanba label (default"),
        b: Some(("jpeg", DCT12, DCT_ROW)),
        check: Check::WallRatio(1.1),
    },
    Goal {
        text: "Watermark (#18): embedding adds ≤ 5 % to labelling the 1080p clip",
        a: ("video", CLIP, "tanba label"),
        b: Some(("video", CLIP, VIDEO_UNMARKED)),
        check: Check::PairedWallRatio(1.05),
    },
    Goal {
        text: "JPEG (#20): 12 MP in the DCT domain, wall ≤ 0.4× ImageMagick `convert -annotate`",
        a: ("jpeg", DCT12, DCT_ROW),
        b: Some(("jpeg", DCT12, "ImageMagick")),
        check: Check::WallRatio(0.4),
    },
    Goal {
        text: "JPEG (#20): 12 MP in the DCT domain, wall ≤ 1.0× `jpegtran -drop` of a badge-sized block",
        a: ("jpeg", DCT12, DCT_ROW),
        b: Some(("jpeg", DCT12, "jpegtran -drop")),
        check: Check::WallRatio(1.0),
    },
    Goal {
        text: "JPEG (#20): peak memory ≤ 40 MiB on 12 MP in the DCT domain",
        a: ("jpeg", DCT12, DCT_ROW),
        b: None,
        check: Check::PeakMib(40.0),
    },
    Goal {
        text: "JPEG (#20): peak memory ≤ 64 MiB on 100 MP in the DCT domain",
        a: ("jpeg", DCT100, DCT_ROW),
        b: None,
        check: Check::PeakMib(64.0),
    },
];

/// The first case of `section` whose title contains `title`, with its row
/// named `row`, else its first row whose name starts with `row`.
fn find_row(sections: &[Section], (section, title, row): RowId) -> Option<(&Case, &Row)> {
    sections
        .iter()
        .filter(|s| s.name == section)
        .flat_map(|s| &s.cases)
        .filter(|c| c.title.contains(title))
        .find_map(|c| {
            let named = |r: &&Row| r.variant.name == row;
            let starting = |r: &&Row| r.variant.name.starts_with(row);
            let found = c
                .rows
                .iter()
                .find(named)
                .or_else(|| c.rows.iter().find(starting));
            Some((c, found?))
        })
}

fn verdict(ok: bool) -> String {
    if ok { "met" } else { "**not met**" }.to_string()
}

/// One goal against the run: (measured, verdict), or `None` when a row it
/// reads did not run.
fn evaluate(goal: &Goal, sections: &[Section]) -> Option<(String, String)> {
    let (case, a) = find_row(sections, goal.a)?;
    let b = goal.b.map(|id| find_row(sections, id).map(|(_, row)| row));
    let (wall, rss) = (|r: &Row| median_wall(r), |r: &Row| median_rss(r));
    match goal.check {
        Check::WallRatio(limit) => {
            let (a, b) = (wall(a)?, wall(b??)?);
            (b > 0.0).then(|| {
                (
                    format!("{:.2}× ({a:.3} s ÷ {b:.3} s)", a / b),
                    verdict(a / b <= limit),
                )
            })
        }
        Check::PairedWallRatio(limit) => {
            let b = b??;
            let paired = median_paired_ratio(a, b)?;
            let (wa, wb) = (wall(a)?, wall(b)?);
            Some((
                format!(
                    "{paired:.2}× (median of {} back-to-back pairs; medians {wa:.3} s ÷ {wb:.3} s = {:.2}×)",
                    a.samples.len().min(b.samples.len()),
                    wa / wb
                ),
                verdict(paired <= limit),
            ))
        }
        Check::PeakMib(limit) => rss(a).map(|m| (format!("{m:.0} MiB"), verdict(m <= limit))),
        Check::SpeedUp(at_least) => {
            let (two, one) = (wall(a)?, wall(b??)?);
            (two > 0.0).then(|| (format!("{:.2}×", one / two), verdict(one / two >= at_least)))
        }
        Check::FlatMib(limit) => {
            let (short, long) = (rss(a)?, rss(b??)?);
            let ok = short.max(long) <= limit && long <= short * 1.1;
            Some((format!("{short:.0} MiB → {long:.0} MiB"), verdict(ok)))
        }
        Check::PerFileMs(limit) => {
            let (w1, lib) = (wall(a)?, wall(b??)?);
            let files: f64 = case
                .title
                .split_whitespace()
                .next()
                .and_then(|n| n.replace(',', "").parse().ok())
                .unwrap_or(1.0);
            let ms = (w1 - lib) * 1000.0 / files;
            Some((format!("{ms:.2} ms"), verdict(ms < limit)))
        }
        Check::WallAtMost(limit) => wall(a).map(|w| (format!("{w:.2} s"), verdict(w <= limit))),
    }
}

/// The median over rounds of `a`'s wall time over `b`'s in the same round
/// (a row's samples are its rounds in order: a row that fails stops).
fn median_paired_ratio(a: &Row, b: &Row) -> Option<f64> {
    let ratios: Vec<f64> = a
        .samples
        .iter()
        .zip(&b.samples)
        .filter(|(_, b)| b.wall > 0.0)
        .map(|(a, b)| a.wall / b.wall)
        .collect();
    (!ratios.is_empty()).then(|| Stats::of(&ratios).median)
}

/// The goals against this run: (goal, measured, verdict), for those whose
/// rows ran.
pub fn goals(sections: &[Section]) -> Vec<(String, String, String)> {
    GOALS
        .iter()
        .filter_map(|g| {
            let (measured, verdict) = evaluate(g, sections)?;
            Some((g.text.to_string(), measured, verdict))
        })
        .collect()
}

/// Every goal's text and the section whose rows it reads, in report order
/// (for `--only`, which keeps the rows of the sections it did not run).
pub fn texts() -> Vec<(&'static str, &'static str)> {
    GOALS.iter().map(|g| (g.text, g.a.0)).collect()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::bench::case::{Role, Variant};
    use crate::bench::measure::Sample;

    /// Finished rows: (row name, wall s, peak MiB).
    type Rows<'a> = &'a [(&'a str, f64, f64)];

    /// A section of finished cases: (title, rows).
    fn finished(name: &'static str, cases: &[(&str, Rows)]) -> Section {
        let mut section = Section::new(name);
        for (title, rows) in cases {
            let rows = rows
                .iter()
                .map(|&(row, wall, mib)| Row {
                    variant: Variant {
                        name: row.to_string(),
                        role: Role::Tanba,
                        program: String::new(),
                        args: Vec::new(),
                        env: Vec::new(),
                        scratch: PathBuf::new(),
                    },
                    samples: vec![Sample {
                        wall,
                        cpu: wall,
                        rss_kib: (mib * 1024.0) as u64,
                    }],
                    error: None,
                })
                .collect();
            section.cases.push(Case {
                title: title.to_string(),
                rows,
                reps: 1,
                notes: Vec::new(),
            });
        }
        section
    }

    #[test]
    fn goals_read_the_rows_they_name() {
        let sections = [
            finished(
                "image",
                &[
                    (
                        "One 12-megapixel JPEG (4000×3000, q90)",
                        &[
                            ("tanba label (CLI)", 0.5, 80.0),
                            ("tanba label + C2PA (CLI)", 0.6, 81.0),
                            ("tanba-image library (label_file example)", 0.4, 70.0),
                            ("plain decode+encode, no label", 0.38, 60.0),
                            ("ImageMagick convert -annotate", 0.55, 200.0),
                        ],
                    ),
                    (
                        "200 JPEGs (4000×3000), 2 workers and 1",
                        &[
                            ("tanba label --jobs 2", 10.0, 90.0),
                            ("tanba label --jobs 1", 19.0, 90.0),
                        ],
                    ),
                    (
                        "Cost of verifying every output: one 12-MP JPEG (4000×3000), library",
                        &[
                            (
                                "bench_label_loop --checked (Registry::label_file)",
                                0.53,
                                70.0,
                            ),
                            (
                                "bench_label_loop --unchecked (same steps, no read-back)",
                                0.5,
                                70.0,
                            ),
                        ],
                    ),
                ],
            ),
            finished(
                "audio",
                &[
                    (
                        "10-minute MP3",
                        &[
                            (WATERMARKED, 9.0, 30.0),
                            (UNMARKED, 2.0, 25.0),
                            ("ffmpeg plain decode to WAV", 1.9, 20.0),
                            ("ffmpeg amix of the disclaimer", 3.0, 20.0),
                        ],
                    ),
                    ("60-minute MP3", &[(WATERMARKED, 50.0, 31.0)]),
                ],
            ),
            finished(
                "pdf",
                &[(
                    "120-page PDF, every page stamped",
                    &[
                        ("tanba label (incremental update)", 0.2, 50.0),
                        ("qpdf --overlay", 0.25, 40.0),
                    ],
                )],
            ),
            finished(
                "bulk",
                &[
                    (
                        "1000 small mixed files",
                        &[
                            ("tanba label --jobs 1", 1.5, 20.0),
                            ("library loop, one thread (bench_label_loop)", 1.0, 20.0),
                        ],
                    ),
                    (
                        "100 small mixed files (one folder)",
                        &[("tanba label --jobs 1", 0.1, 20.0)],
                    ),
                    (
                        "Cost of verifying every output: 1000 small mixed files, one thread",
                        &[
                            (
                                "bench_label_loop --checked (Registry::label_file)",
                                2.1,
                                30.0,
                            ),
                            (
                                "bench_label_loop --unchecked (same steps, no read-back)",
                                2.0,
                                30.0,
                            ),
                        ],
                    ),
                ],
            ),
            finished(
                "video",
                &[
                    (
                        "60-second 1080p clip",
                        &[
                            ("tanba label", 30.0, 300.0),
                            ("tanba label + C2PA", 31.0, 300.0),
                            ("tanba label --no-watermark", 28.0, 300.0),
                            ("ffmpeg drawbox+drawtext", 33.0, 300.0),
                            ("ffmpeg plain re-encode", 29.0, 300.0),
                        ],
                    ),
                    (
                        "Cost of verifying every output: 1080p video (60 s), library",
                        &[
                            (
                                "bench_label_loop --checked (Registry::label_file)",
                                30.3,
                                300.0,
                            ),
                            (
                                "bench_label_loop --unchecked (same steps, no read-back)",
                                30.0,
                                300.0,
                            ),
                        ],
                    ),
                ],
            ),
        ];
        let got: Vec<String> = goals(&sections)
            .into_iter()
            .map(|(g, m, v)| format!("{g} | {m} | {v}"))
            .collect();
        let expected = [
            "Image: one 12-MP JPEG, wall ≤ 1.0× ImageMagick `convert -annotate` | 0.91× (0.500 s ÷ 0.550 s) | met",
            "Image: the label adds ≤ 10 % to a plain decode+encode (library, same process shape) | 1.05× (0.400 s ÷ 0.380 s) | met",
            "Audio: 10-minute MP3, wall ≤ 1.1× ffmpeg's plain decode | 1.05× (2.000 s ÷ 1.900 s) | met",
            "Audio: 10-minute MP3, wall ≤ 0.75× ffmpeg's amix | 0.67× (2.000 s ÷ 3.000 s) | met",
            "C2PA: signing adds ≤ 15 % to labelling a 12-MP JPEG | 1.20× (0.600 s ÷ 0.500 s) | **not met**",
            "C2PA: signing adds ≤ 5 % to labelling the 1080p clip | 1.03× (median of 1 back-to-back pairs; medians 31.000 s ÷ 30.000 s = 1.03×) | met",
            "Video: 1080p30 clip, wall ≤ 1.0× `ffmpeg -vf drawbox,drawtext` | 0.85× (28.000 s ÷ 33.000 s) | met",
            "Video: 1080p30 clip, wall ≤ 1.03× ffmpeg's plain re-encode | 0.97× (28.000 s ÷ 29.000 s) | met",
            "PDF: 100+ pages, wall ≤ 1.0× `qpdf --overlay` | 0.80× (0.200 s ÷ 0.250 s) | met",
            "Image: peak memory ≤ 100 MiB on a 12-MP JPEG | 80 MiB | met",
            "Image: 200 JPEGs on 2 workers ≥ 1.8× faster than on 1 | 1.90× | met",
            "Audio: peak memory ≤ 64 MiB, not growing from 10 to 60 minutes | 30 MiB → 31 MiB | met",
            "Bulk: per-file overhead of the job machinery < 1 ms (1,000 small files, 1 worker) | 0.50 ms | met",
            "Verification: reading every output back adds ≤ 5 % (1,000 small files, library, 1 thread) | 1.05× (2.100 s ÷ 2.000 s) | met",
            "Verification: reading the output back adds ≤ 5 % to labelling a 12-MP JPEG (library) | 1.06× (0.530 s ÷ 0.500 s) | **not met**",
            "Verification: reading the output back adds ≤ 2 % to labelling the 1080p clip (library) | 1.01× (30.300 s ÷ 30.000 s) | met",
            "Watermark (#18): embedding adds ≤ 5 % to labelling the 1080p clip | 1.07× (median of 1 back-to-back pairs; medians 30.000 s ÷ 28.000 s = 1.07×) | **not met**",
        ];
        assert_eq!(got, expected);
    }

    #[test]
    fn a_paired_ratio_is_the_median_of_each_rounds_own_ratio() {
        let row = |walls: &[f64]| Row {
            samples: walls
                .iter()
                .map(|&wall| Sample {
                    wall,
                    cpu: wall,
                    rss_kib: 0,
                })
                .collect(),
            variant: Variant {
                name: "r".into(),
                role: Role::Tanba,
                program: String::new(),
                args: Vec::new(),
                env: Vec::new(),
                scratch: PathBuf::new(),
            },
            error: None,
        };
        // The machine slowed in round 3: each round's pair stays within 4 %,
        // while the medians of the rows (1.10 s and 1.00 s) differ by 10 %.
        let marked = row(&[1.10, 0.90, 1.30]);
        let unmarked = row(&[1.00, 0.88, 1.25]);
        let ratio = median_paired_ratio(&marked, &unmarked).map(|r| (r * 1000.0).round());
        assert_eq!(ratio, Some(1040.0));
        // Rounds a failed row did not run are left out.
        let short = row(&[1.02]);
        let ratio = median_paired_ratio(&short, &unmarked).map(|r| (r * 1000.0).round());
        assert_eq!(ratio, Some(1020.0));
    }

    #[test]
    fn jpeg_goals_read_the_dct_rows() {
        let sections = [finished(
            "jpeg",
            &[
                (
                    "One 12-MP JPEG in the DCT domain (4000×3000, q90)",
                    &[
                        ("tanba label --no-watermark (DCT domain)", 0.2, 38.0),
                        ("tanba label (default, watermark on)", 0.45, 70.0),
                        ("ImageMagick convert -annotate -quality 90", 0.5, 176.0),
                        ("jpegtran -drop of a badge-sized block", 0.25, 86.0),
                    ],
                ),
                (
                    "One 100-MP JPEG in the DCT domain (10000×10000, q90)",
                    &[("tanba label --no-watermark (DCT domain)", 2.0, 80.0)],
                ),
            ],
        )];
        let got: Vec<String> = goals(&sections)
            .into_iter()
            .map(|(_, m, v)| format!("{m} | {v}"))
            .collect();
        let expected = [
            "2.25× (0.450 s ÷ 0.200 s) | **not met**",
            "0.40× (0.200 s ÷ 0.500 s) | met",
            "0.80× (0.200 s ÷ 0.250 s) | met",
            "38 MiB | met",
            "80 MiB | **not met**",
        ];
        assert_eq!(got, expected);
    }
}
