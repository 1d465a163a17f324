//! A bounded load test of `tanba serve` on loopback: 500 requests, 16 at a
//! time, mixed media (PNG, JPEG, PDF, text, WAV), then the same work
//! through the library in this process, 16 threads. Prints p50/p99 latency,
//! throughput and errors of both, and the server's peak RSS.
//!
//! ```sh
//! cargo build -p tanba-cli --bins --examples --release
//! target/release/examples/serve_load            # REQUESTS=500 CLIENTS=16
//! ```
//!
//! It starts `tanba-full` from the target folder it was built in, sends only
//! to 127.0.0.1, and stops after the last request.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The mixed media, by file name: most requests are pictures and
/// documents, a tenth audio.
const MIX: &[&str] = &[
    "image/sample-generated.png",
    "image/sample-photo.jpg",
    "pdf/report.pdf",
    "story.txt",
    "image/sample-photo.jpg",
    "pdf/layouts.pdf",
    "image/sample-generated.png",
    "story.txt",
    "pdf/report.pdf",
    "audio/sample-voice.wav",
];

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The inputs: (name, bytes).
fn inputs() -> Vec<(String, Vec<u8>)> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    MIX.iter()
        .map(|rel| {
            let bytes = if *rel == "story.txt" {
                "A story an AI wrote, a few lines long.\n"
                    .repeat(40)
                    .into_bytes()
            } else {
                std::fs::read(fixtures.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
            };
            let name = rel.rsplit('/').next().unwrap_or(rel).to_string();
            (name, bytes)
        })
        .collect()
}

/// One POST over a fresh connection; the status and the latency.
fn post(addr: &str, name: &str, body: &[u8]) -> std::io::Result<(u16, Duration)> {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr)?;
    write!(
        stream,
        "POST /v1/label?filename={name} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let status = String::from_utf8_lossy(&answer[..answer.len().min(16)])
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok((status, started.elapsed()))
}

/// Runs `total` jobs on `clients` threads; each job's latency and whether
/// it failed.
fn run(total: usize, clients: usize, job: &(dyn Fn(usize) -> (bool, Duration) + Sync)) -> Outcome {
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let results: Vec<(usize, bool, Duration)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= total {
                            break mine;
                        }
                        let (ok, d) = job(i);
                        mine.push((i, ok, d));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let wall = started.elapsed();
    let errors = results.iter().filter(|(_, ok, _)| !ok).count();
    let mut latencies: Vec<Duration> = results.iter().map(|(_, _, d)| *d).collect();
    latencies.sort();
    Outcome {
        latencies,
        errors,
        wall,
        each: results.into_iter().map(|(i, _, d)| (i, d)).collect(),
    }
}

/// What one run measured.
struct Outcome {
    /// Sorted.
    latencies: Vec<Duration>,
    errors: usize,
    wall: Duration,
    /// (job index, latency), for the figures per file.
    each: Vec<(usize, Duration)>,
}

/// The median latency of the jobs on `name`, in ms.
fn median_of(outcome: &Outcome, inputs: &[(String, Vec<u8>)], name: &str) -> f64 {
    let mut mine: Vec<Duration> = outcome
        .each
        .iter()
        .filter(|(i, _)| inputs[i % inputs.len()].0 == name)
        .map(|(_, d)| *d)
        .collect();
    mine.sort();
    percentile(&mine, 0.5)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn print(what: &str, outcome: &Outcome) {
    let (latencies, errors, wall) = (&outcome.latencies, outcome.errors, outcome.wall);
    println!(
        "{what:<8} {} requests, {errors} errors, p50 {:.1} ms, p99 {:.1} ms, {:.1} files/s ({:.2} s)",
        latencies.len(),
        percentile(latencies, 0.50),
        percentile(latencies, 0.99),
        latencies.len() as f64 / wall.as_secs_f64(),
        wall.as_secs_f64()
    );
}

/// A memory figure of the server (`VmHWM:` peak, `VmRSS:` now), from /proc.
fn rss_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CPU seconds (user + system) a process has used so far, from
/// /proc/PID/stat in clock ticks (100 a second on Linux): on a loaded
/// machine the CPU a file costs says more than the wall time it waited.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

fn mb(kb: Option<u64>) -> String {
    kb.map_or("?".to_string(), |kb| format!("{:.0}", kb as f64 / 1024.0))
}

fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    // target/PROFILE/examples/serve_load -> target/PROFILE/tanba-full
    exe.parent()
        .and_then(Path::parent)
        .map(|d| d.join("tanba-full"))
        .unwrap_or_default()
}

fn main() {
    let total = env_or("REQUESTS", 500);
    let clients = env_or("CLIENTS", 16);
    let inputs = inputs();
    let temp = std::env::temp_dir().join(format!("tanba-serve-load-{}", std::process::id()));
    let mut child = Command::new(server_binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--concurrency"])
        .arg(clients.to_string())
        .arg("--temp-dir")
        .arg(&temp)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", server_binary().display()));
    let Some(stderr) = child.stderr.take() else {
        panic!("stderr is piped");
    };
    let mut stderr = BufReader::new(stderr);
    let mut first = String::new();
    let _ = stderr.read_line(&mut first);
    let addr = first
        .trim()
        .strip_prefix("tanba serve: listening on http://")
        .unwrap_or_else(|| panic!("no address: {first:?}"))
        .to_string();
    // The request log is read (and dropped) so the server never blocks on it.
    std::thread::spawn(move || for _ in stderr.lines() {});

    let pid = child.id();
    // Resident memory after 1/5 .. 4/5 of the run, and at its end: flat once warm.
    let fifths: Vec<std::sync::Mutex<Option<u64>>> =
        (0..4).map(|_| std::sync::Mutex::new(None)).collect();
    let served = run(total, clients, &|i| {
        let step = (total / 5).max(1);
        if i > 0
            && i % step == 0
            && let Some(Ok(mut slot)) = fifths.get(i / step - 1).map(|s| s.lock())
        {
            *slot = rss_kb(pid, "VmRSS:");
        }
        let (name, body) = &inputs[i % inputs.len()];
        match post(&addr, name, body) {
            Ok((status, d)) => (status == 200, d),
            Err(_) => (false, Duration::ZERO),
        }
    });
    let peak = rss_kb(pid, "VmHWM:");
    let server_cpu = cpu_seconds(&pid.to_string());
    let end = rss_kb(pid, "VmRSS:");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let left = std::fs::read_dir(&temp).map_or(0, |d| d.count());
    let _ = std::fs::remove_dir_all(&temp);

    let registry = tanba::Registry::default();
    let job = tanba::Job::new();
    let cpu_before = cpu_seconds("self");
    let library = run(total, clients, &|i| {
        let (name, body) = &inputs[i % inputs.len()];
        let started = Instant::now();
        let ok = registry
            .label_bytes(body, Some(Path::new(name)), &job)
            .is_ok();
        (ok, started.elapsed())
    });

    println!(
        "{total} requests, {clients} at a time, mix of {} files",
        inputs.len()
    );
    print("serve", &served);
    print("library", &library);
    let library_cpu = cpu_seconds("self").zip(cpu_before).map(|(a, b)| a - b);
    let per_file = |cpu: Option<f64>| {
        cpu.map_or("?".to_string(), |c| {
            format!("{:.0}", c * 1000.0 / total as f64)
        })
    };
    println!(
        "CPU per file: serve {} ms (the server process), library {} ms (this process)",
        per_file(server_cpu),
        per_file(library_cpu)
    );
    let mut names: Vec<&str> = inputs.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        println!(
            "  {name:<22} p50 serve {:.1} ms, library {:.1} ms",
            median_of(&served, &inputs, name),
            median_of(&library, &inputs, name)
        );
    }
    let steps: Vec<String> = fifths
        .iter()
        .map(|s| mb(s.lock().ok().and_then(|s| *s)))
        .collect();
    println!(
        "server RSS after 1/5..4/5 of the requests {} MB, at the end {} MB, peak {} MB; files left in its temporary folder: {left}",
        steps.join(" / "),
        mb(end),
        mb(peak)
    );
}
