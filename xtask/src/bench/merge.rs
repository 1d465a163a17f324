//! `--only`: a run of some sections rewrites those sections of the report
//! already there and keeps the others as an earlier run measured them, as
//! `cargo xtask bench watermark --only` does for its parts. Each section
//! carries a stamp saying which run measured it, so a report merged from
//! several runs says so wherever a figure stands.
//!
//! The report is split at its `## ` headings. The run's own text gives the
//! title, machine, versions, binary sizes and method; the goals and summary
//! tables take the rows of the sections that ran from the run and the
//! other rows from the old report (goal rows are told apart by their text,
//! summary rows by their first column, the section's name).

use super::{goals, report};

/// The `## ` blocks of a report: the text before the first heading, then
/// (heading, the block's lines after it).
struct Blocks<'a> {
    head: Vec<&'a str>,
    blocks: Vec<(&'a str, Vec<&'a str>)>,
}

impl<'a> Blocks<'a> {
    fn parse(text: &'a str) -> Self {
        let mut out = Blocks {
            head: Vec::new(),
            blocks: Vec::new(),
        };
        for line in text.lines() {
            if let Some(h) = line.strip_prefix("## ") {
                out.blocks.push((h, Vec::new()));
            } else if let Some((_, body)) = out.blocks.last_mut() {
                body.push(line);
            } else {
                out.head.push(line);
            }
        }
        out
    }

    fn get(&self, heading: &str) -> Option<&[&'a str]> {
        self.blocks
            .iter()
            .find(|(h, _)| *h == heading)
            .map(|(_, b)| b.as_slice())
    }
}

/// A section's heading: its name with a capital first letter.
pub(super) fn heading(name: &str) -> String {
    let mut h = name.to_string();
    if let Some(c) = h.get_mut(0..1) {
        c.make_ascii_uppercase();
    }
    h
}

/// The heading of the goals table.
const GOALS: &str = "Goals from the issues";

/// The stamp a section's block starts with (see `report::section_tables`).
pub(super) const STAMP: &str = "*Measured by ";

/// The report made of `new` (a run of the sections `ran`) and, for every
/// other section of `order`, what `old` says of it.
pub(super) fn merge(old: &str, new: &str, ran: &[&str], order: &[&str]) -> String {
    let (old_b, new_b) = (Blocks::parse(old), Blocks::parse(new));
    let earlier = old_run(&old_b);
    let kept = |name: &str| !ran.contains(&name) && old_b.get(&heading(name)).is_some();
    let kept_names: Vec<&str> = order.iter().copied().filter(|n| kept(n)).collect();
    let mut out: Vec<String> = new_b.head.iter().map(|l| l.to_string()).collect();
    if !kept_names.is_empty() {
        for l in &mut out {
            *l = l.replace(report::ONE_RUN, "");
        }
        let last = out.iter().rposition(|l| !l.is_empty()).unwrap_or(0);
        out.insert(
            last + 1,
            format!(
                "\nThis run measured only: {}. The other sections ({}) keep an earlier run's figures; each \
                 section says which run measured it (the chart is of the last run of every section).",
                ran.join(", "),
                kept_names.join(", ")
            ),
        );
    }
    let sections: Vec<String> = order.iter().map(|n| heading(n)).collect();
    for (h, body) in &new_b.blocks {
        if sections.iter().any(|s| s == h) {
            continue;
        }
        match *h {
            GOALS => push_block(&mut out, h, &with_rows(body, goal_rows(&old_b, body, ran))),
            "Summary" => {
                let rows = summary_rows(&old_b, body, ran, order);
                push_block(&mut out, h, &with_rows(body, rows));
            }
            "Binary size" => {
                push_sections(&mut out, &old_b, &new_b, ran, order, &earlier);
                push_block(&mut out, h, body);
            }
            _ => push_block(&mut out, h, body),
        }
    }
    if new_b.get(GOALS).is_none()
        && let Some(body) = old_b.get(GOALS)
    {
        // No goal of the sections that ran: the old block with the kept
        // sections' rows, before the summary.
        let at = out
            .iter()
            .position(|l| l == "## Summary")
            .unwrap_or(out.len());
        let mut block = vec![format!("## {GOALS}")];
        block.extend(with_rows(body, goal_rows(&old_b, &[], ran)));
        out.splice(at..at, block);
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

fn push_block(out: &mut Vec<String>, heading: &str, body: &[impl AsRef<str>]) {
    out.push(format!("## {heading}"));
    out.extend(body.iter().map(|l| l.as_ref().to_string()));
}

/// Every section of `order` that either run has, in that order: the new
/// block when it ran, else the old one (stamped with the earlier run when
/// it has no stamp of its own).
fn push_sections(
    out: &mut Vec<String>,
    old: &Blocks<'_>,
    new: &Blocks<'_>,
    ran: &[&str],
    order: &[&str],
    earlier: &str,
) {
    for name in order {
        let h = heading(name);
        if ran.contains(name) {
            if let Some(body) = new.get(&h) {
                push_block(out, &h, body);
            }
        } else if let Some(body) = old.get(&h) {
            out.push(format!("## {h}"));
            out.push(String::new());
            if !body.iter().any(|l| l.starts_with(STAMP)) {
                out.push(format!("{STAMP}{earlier}.*"));
                out.push(String::new());
            }
            out.extend(
                body.iter()
                    .skip_while(|l| l.is_empty())
                    .map(|l| l.to_string()),
            );
        }
    }
}

/// "the run of DATE at commit C", read from the old report's first
/// paragraph ("… on DATE at commit C …").
fn old_run(old: &Blocks<'_>) -> String {
    let text = old.head.join(" ");
    let date = text
        .split(" on ")
        .nth(1)
        .and_then(|t| t.split(" at commit ").next());
    let commit = text
        .split(" at commit ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next());
    match (date, commit) {
        (Some(d), Some(c)) => {
            format!("an earlier run of `cargo xtask bench`, on {d} at commit {c}")
        }
        _ => "an earlier run of `cargo xtask bench`".to_string(),
    }
}

/// A table row's first cell.
fn first_cell(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("| ")?;
    Some(rest.split(" | ").next()?.trim())
}

/// `body` (a block holding one table) with its table's rows replaced by
/// `rows`.
fn with_rows(body: &[&str], rows: Vec<String>) -> Vec<String> {
    let Some(sep) = body.iter().position(|l| l.starts_with("|---")) else {
        return body.iter().map(|l| l.to_string()).collect();
    };
    let end = body[sep + 1..]
        .iter()
        .position(|l| !l.starts_with("| "))
        .map_or(body.len(), |i| sep + 1 + i);
    let mut out: Vec<String> = body[..=sep].iter().map(|l| l.to_string()).collect();
    out.extend(rows);
    out.extend(body[end..].iter().map(|l| l.to_string()));
    out
}

/// The rows of the one table in `body`.
fn table_rows<'a>(body: &[&'a str]) -> Vec<&'a str> {
    let sep = body.iter().position(|l| l.starts_with("|---"));
    sep.map_or(Vec::new(), |sep| {
        body[sep + 1..]
            .iter()
            .copied()
            .take_while(|l| l.starts_with("| "))
            .collect()
    })
}

/// The goal rows, in goal order: the run's for the sections that ran, the
/// old report's for the others.
fn goal_rows(old: &Blocks<'_>, new_body: &[&str], ran: &[&str]) -> Vec<String> {
    let old_rows = table_rows(old.get(GOALS).unwrap_or(&[]));
    let new_rows = table_rows(new_body);
    goals::texts()
        .into_iter()
        .filter_map(|(text, section)| {
            let from = if ran.contains(&section) {
                &new_rows
            } else {
                &old_rows
            };
            from.iter()
                .find(|l| first_cell(l) == Some(text))
                .map(|l| l.to_string())
        })
        .collect()
}

/// The summary rows, in section order: the run's for the sections that
/// ran, the old report's for the others.
fn summary_rows(old: &Blocks<'_>, new_body: &[&str], ran: &[&str], order: &[&str]) -> Vec<String> {
    let old_rows = table_rows(old.get("Summary").unwrap_or(&[]));
    let new_rows = table_rows(new_body);
    order
        .iter()
        .flat_map(|name| {
            let from = if ran.contains(name) {
                &new_rows
            } else {
                &old_rows
            };
            from.iter()
                .filter(|l| first_cell(l) == Some(name))
                .map(|l| l.to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: [&str; 3] = ["image", "audio", "video"];

    fn doc(run: &str, sections: &[(&str, &str)], goal_rows: &[&str]) -> String {
        let mut d = format!(
            "# Benchmarks\n\nMeasured on {run} at commit c{run} (full).\n\n## Machine\n\n- m{run}\n\n"
        );
        d += "## Goals from the issues\n\nIntro.\n\n| goal | measured | |\n|---|---|---|\n";
        for g in goal_rows {
            d += &format!("| {g} | {run} | met |\n");
        }
        d += "\n## Summary\n\n| media | job | x |\n|---|---|---|\n";
        for (name, _) in sections {
            d += &format!("| {name} | job {run} | 1 |\n");
        }
        d += "\n";
        for (name, body) in sections {
            d += &format!("## {}\n\n{body} {run}\n\n", heading(name));
        }
        d + "## Binary size\n\nsizes\n\n## Method\n\nhow\n"
    }

    #[test]
    fn a_run_of_one_section_keeps_the_others() {
        let (img, aud) = (goals::texts()[0].0, goals::texts()[2].0);
        assert_eq!(goals::texts()[0].1, "image");
        assert_eq!(goals::texts()[2].1, "audio");
        let old = doc(
            "OLD",
            &[("image", "pictures"), ("audio", "sound")],
            &[img, aud],
        );
        let new = doc("NEW", &[("audio", "sound")], &[aud]);
        let merged = merge(&old, &new, &["audio"], &ORDER);
        // The run's own parts, and the note that says what it measured.
        assert!(merged.contains("- mNEW") && !merged.contains("- mOLD"));
        assert!(merged.contains("This run measured only: audio. The other sections (image)"));
        // The kept section, stamped with the run that measured it.
        let image = merged.find("## Image").unwrap();
        let audio = merged.find("## Audio").unwrap();
        assert!(image < audio && audio < merged.find("## Binary size").unwrap());
        assert!(merged.contains("pictures OLD") && merged.contains("sound NEW"));
        assert!(!merged.contains("sound OLD"));
        assert!(merged.contains(&format!(
            "{STAMP}an earlier run of `cargo xtask bench`, on OLD at commit cOLD.*"
        )));
        // Goal and summary rows from the run that measured their section.
        assert!(merged.contains(&format!("| {img} | OLD | met |")));
        assert!(merged.contains(&format!("| {aud} | NEW | met |")));
        assert!(!merged.contains(&format!("| {aud} | OLD |")));
        assert!(
            merged.contains("| image | job OLD | 1 |")
                && merged.contains("| audio | job NEW | 1 |")
        );
        assert_eq!(merged.matches("| goal | measured | |").count(), 1);
        assert_eq!(merged.matches("## ").count(), 7, "{merged}");
    }

    #[test]
    fn goals_of_kept_sections_stay_when_the_run_has_none() {
        let img = goals::texts()[0].0;
        let old = doc("OLD", &[("image", "pictures")], &[img]);
        let mut new = doc("NEW", &[("video", "frames")], &[]);
        new = new.replace("| goal | measured | |\n|---|---|---|\n", "");
        let start = new.find("## Goals").unwrap();
        let end = new.find("## Summary").unwrap();
        new.replace_range(start..end, "");
        let merged = merge(&old, &new, &["video"], &ORDER);
        assert!(
            merged.contains(&format!("| {img} | OLD | met |")),
            "{merged}"
        );
        assert!(merged.find("## Goals").unwrap() < merged.find("## Summary").unwrap());
    }
}
