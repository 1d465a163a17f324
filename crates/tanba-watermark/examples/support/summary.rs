//! The one summary line each part of `cargo xtask bench watermark` prints
//! (`> **Part**: ...`): the bench lifts every such line into the Summary
//! of docs/benchmarks-watermark.md and into docs/benchmarks.md, so each
//! part's line is built here, the same way, from its goal cells.
//!
//! Used by the matrix examples with
//! `#[path = "support/summary.rs"] mod summary;`.
#![allow(dead_code)]

/// One cell of a part's matrix as the goal sees it.
pub struct Cell {
    /// The operation, as the part's table names it.
    pub op: String,
    /// Inputs whose full payload was read back after the operation.
    pub read: usize,
    /// Inputs the cell counts.
    pub of: usize,
    /// The share of `of` the goal asks for (1.0: every input).
    pub goal: f64,
}

impl Cell {
    pub fn new(op: impl Into<String>, read: usize, of: usize, goal: f64) -> Cell {
        Cell {
            op: op.into(),
            read,
            of,
            goal,
        }
    }

    /// Whether the cell reaches its goal (an empty cell does not).
    pub fn met(&self) -> bool {
        self.of > 0 && self.read as f64 >= self.goal * self.of as f64 - 1e-9
    }
}

/// The part's summary line: `> **{part}**: goal ({goal}) **met**|**not met**
/// on {scope} ({op read/of, ...}); {notes; ...}.` The goal is met when
/// every cell is. `notes` carry what the goal cells do not: inputs out of
/// scope, false positives, PSNR or SNR floors.
pub fn line(part: &str, goal: &str, scope: &str, cells: &[Cell], notes: &[String]) -> String {
    let met = !cells.is_empty() && cells.iter().all(Cell::met);
    let list: Vec<String> = cells
        .iter()
        .map(|c| format!("{} {}/{}", c.op, c.read, c.of))
        .collect();
    let mut out = format!(
        "> **{part}**: goal ({goal}) {} on {scope} ({})",
        if met { "**met**" } else { "**not met**" },
        list.join(", ")
    );
    for note in notes {
        out.push_str("; ");
        out.push_str(note.trim_end_matches('.'));
    }
    out.push('.');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_met_only_when_every_cell_is() {
        let all = [
            Cell::new("strip", 50, 50, 1.0),
            Cell::new("crop", 48, 50, 0.95),
        ];
        let met = line(
            "Video",
            "100 %",
            "the 50 clips",
            &all,
            &["0 false positives.".into()],
        );
        assert_eq!(
            met,
            "> **Video**: goal (100 %) **met** on the 50 clips (strip 50/50, crop 48/50); 0 false positives."
        );
        let short = [Cell::new("strip", 49, 50, 1.0)];
        assert!(line("Audio", "100 %", "50", &short, &[]).contains("**not met**"));
        assert!(line("Audio", "100 %", "50", &[], &[]).contains("**not met**"));
        assert!(!Cell::new("x", 0, 0, 1.0).met());
    }
}
