//! Timing one command under GNU `/usr/bin/time`: wall, CPU and peak RSS.

use std::path::Path;
use std::process::{Command, Stdio};

/// One timed run.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// Wall-clock seconds, measured around the process with a monotonic
    /// clock (GNU time's own `%e` has only 10 ms resolution).
    pub wall: f64,
    /// User + system CPU seconds.
    pub cpu: f64,
    /// Peak resident set size, KiB (of the largest process in the tree
    /// GNU time waited for; for `sh -c` loops, of the largest child).
    pub rss_kib: u64,
}

/// Median, minimum and maximum of a series.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    /// Median.
    pub median: f64,
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
}

impl Stats {
    /// The statistics of `values` (all zero for an empty series).
    pub fn of(values: &[f64]) -> Stats {
        if values.is_empty() {
            return Stats {
                median: 0.0,
                min: 0.0,
                max: 0.0,
            };
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Stats {
            median,
            min: v[0],
            max: v[n - 1],
        }
    }
}

/// Runs `program args` under `/usr/bin/time -f '%e %U %S %M'`, stdout and
/// stderr to `log`. Fails with the tail of the log when the command fails.
pub fn timed(
    program: &str,
    args: &[String],
    env: &[(&str, &str)],
    log: &Path,
) -> Result<Sample, String> {
    let times = log.with_extension("time");
    let _ = std::fs::remove_file(&times);
    let out = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out
        .try_clone()
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let mut command = Command::new("/usr/bin/time");
    command
        .arg("-f")
        .arg("%e %U %S %M")
        .arg("-o")
        .arg(&times)
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    for (k, v) in env {
        command.env(k, v);
    }
    let started = std::time::Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("cannot run /usr/bin/time {program}: {e}"))?;
    let wall = started.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!(
            "`{program} {}` failed ({status}): {}",
            args.join(" "),
            tail(log, 600)
        ));
    }
    let text = std::fs::read_to_string(&times).map_err(|e| format!("{}: {e}", times.display()))?;
    let sample = parse(&text).ok_or_else(|| format!("cannot read GNU time's output {text:?}"))?;
    Ok(Sample { wall, ..sample })
}

/// Parses the last line of `%e %U %S %M`.
fn parse(text: &str) -> Option<Sample> {
    let line = text.lines().rev().find(|l| !l.trim().is_empty())?;
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() != 4 {
        return None;
    }
    let wall: f64 = f[0].parse().ok()?;
    let user: f64 = f[1].parse().ok()?;
    let sys: f64 = f[2].parse().ok()?;
    let rss_kib: u64 = f[3].parse().ok()?;
    Some(Sample {
        wall,
        cpu: user + sys,
        rss_kib,
    })
}

/// The last `max` bytes of a log file, for error messages.
pub fn tail(path: &Path, max: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let text = text.trim();
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].replace('\n', " | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_gnu_time() {
        let s = parse("Command exited with non-zero status 1\n1.50 2.00 0.25 123456\n").unwrap();
        assert_eq!(s.rss_kib, 123_456);
        assert!((s.wall - 1.5).abs() < 1e-9 && (s.cpu - 2.25).abs() < 1e-9);
        let st = Stats::of(&[3.0, 1.0, 2.0, 10.0]);
        assert!((st.median - 2.5).abs() < 1e-9 && st.min == 1.0 && st.max == 10.0);
    }
}
