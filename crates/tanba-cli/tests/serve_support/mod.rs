//! What the `tanba serve` test files share: the real service started on
//! loopback, and curl (a real HTTP client) to call it.
#![allow(dead_code, reason = "each test file uses its own share")]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use crate::common::s;

/// A running `tanba serve`, stopped (SIGTERM) when dropped.
pub struct Server {
    pub child: Child,
    pub addr: String,
    /// Its stderr lines after the first (the request log).
    pub lines: Receiver<String>,
    pub temp: tempfile::TempDir,
}

impl Server {
    /// Starts the service on a free loopback port with a temporary folder
    /// of its own, and waits for the line that says where it listens.
    pub fn start(args: &[&str]) -> Server {
        Server::start_with_env(args, &[])
    }

    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        let temp = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_tanba"))
            .args(["serve", "--temp-dir", s(temp.path())])
            .args(
                if args.iter().any(|a| *a == "--listen" || *a == "--config") {
                    &[][..]
                } else {
                    &["--listen", "127.0.0.1:0"][..]
                },
            )
            .args(args)
            .env_remove("TANBA_SERVE_TOKEN")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        stderr.read_line(&mut first).unwrap();
        let addr = first
            .trim()
            .strip_prefix("tanba serve: listening on http://")
            .unwrap_or_else(|| panic!("no address: {first:?}"))
            .to_string();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Server {
            child,
            addr,
            lines,
            temp,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// What the temporary folder holds (nothing, between requests).
    pub fn leftovers(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.temp.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    }

    /// The request log's lines so far, parsed.
    pub fn log(&self) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(300)) {
            if let Ok(v) = serde_json::from_str(&line) {
                out.push(v);
            }
        }
        out
    }

    pub fn terminate(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An answer: status, headers (lower-case names) and body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }
}

/// curl with these arguments; the answer it got.
pub fn curl(args: &[&str]) -> Answer {
    let d = tempfile::tempdir().unwrap();
    let (body, head) = (d.path().join("body"), d.path().join("head"));
    let out = Command::new("curl")
        .args(["-sS", "-o", s(&body), "-D", s(&head), "-w", "%{http_code}"])
        .args(args)
        .output()
        .expect("curl is installed (CI installs it)");
    let status = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    let headers = std::fs::read_to_string(&head)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: std::fs::read(&body).unwrap_or_default(),
    }
}

/// POSTs `file` to `url` (extra curl arguments first).
pub fn post(url: &str, file: &Path, extra: &[&str]) -> Answer {
    let data = format!("@{}", s(file));
    let mut args = extra.to_vec();
    args.extend(["--data-binary", &data, url]);
    curl(&args)
}
