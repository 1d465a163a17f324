//! Counters for Prometheus (`GET /metrics`) and one JSON line per request
//! on stderr, both from the [`Record`] a handler leaves on its response.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::App;

/// Upper bounds of the latency histogram, in seconds: a small PDF takes
/// milliseconds, a long video minutes.
const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// What a handler tells the log and the counters about its request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Record {
    /// The file's format.
    pub(crate) format: Option<&'static str>,
    pub(crate) bytes_in: u64,
    pub(crate) bytes_out: u64,
    /// The error kind, when the request failed.
    pub(crate) kind: Option<&'static str>,
    pub(crate) reason: Option<String>,
    /// The compliance log's fields of a labelled file.
    pub(crate) compliance: Option<serde_json::Value>,
}

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Debug, Default)]
struct Counters {
    requests: BTreeMap<(&'static str, u16), u64>,
    bytes_in: u64,
    bytes_out: u64,
    latency: BTreeMap<&'static str, Histogram>,
    failures: BTreeMap<&'static str, u64>,
}

/// The service's counters since it started.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    counters: Mutex<Counters>,
}

impl Metrics {
    fn record(&self, route: &'static str, status: u16, record: &Record, elapsed: Duration) {
        let Ok(mut c) = self.counters.lock() else {
            return;
        };
        *c.requests.entry((route, status)).or_default() += 1;
        c.bytes_in += record.bytes_in;
        c.bytes_out += record.bytes_out;
        if let Some(kind) = record.kind {
            *c.failures.entry(kind).or_default() += 1;
        }
        if let Some(format) = record.format {
            let h = c.latency.entry(format).or_default();
            let secs = elapsed.as_secs_f64();
            for (bound, count) in BUCKETS.iter().zip(h.counts.iter_mut()) {
                if secs <= *bound {
                    *count += 1;
                }
            }
            h.sum += secs;
            h.count += 1;
        }
    }

    /// The Prometheus text exposition format (version 0.0.4).
    fn render(&self) -> String {
        let Ok(c) = self.counters.lock() else {
            return String::new();
        };
        let mut out = String::new();
        out.push_str("# HELP tanba_requests_total Requests answered, by route and status.\n");
        out.push_str("# TYPE tanba_requests_total counter\n");
        for ((route, status), n) in &c.requests {
            let _ = writeln!(
                out,
                "tanba_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP tanba_received_bytes_total Request body bytes taken.\n");
        out.push_str("# TYPE tanba_received_bytes_total counter\n");
        let _ = writeln!(out, "tanba_received_bytes_total {}", c.bytes_in);
        out.push_str("# HELP tanba_sent_bytes_total Labelled bytes sent back.\n");
        out.push_str("# TYPE tanba_sent_bytes_total counter\n");
        let _ = writeln!(out, "tanba_sent_bytes_total {}", c.bytes_out);
        out.push_str(
            "# HELP tanba_request_seconds Time to answer a label or verify request, by format.\n",
        );
        out.push_str("# TYPE tanba_request_seconds histogram\n");
        for (format, h) in &c.latency {
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "tanba_request_seconds_bucket{{format=\"{format}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "tanba_request_seconds_bucket{{format=\"{format}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "tanba_request_seconds_sum{{format=\"{format}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "tanba_request_seconds_count{{format=\"{format}\"}} {}",
                h.count
            );
        }
        out.push_str("# HELP tanba_failures_total Failed requests, by error kind.\n");
        out.push_str("# TYPE tanba_failures_total counter\n");
        for (kind, n) in &c.failures {
            let _ = writeln!(out, "tanba_failures_total{{kind=\"{kind}\"}} {n}");
        }
        out
    }
}

/// `GET /metrics`.
pub(crate) async fn metrics(State(app): State<Arc<App>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
        .into_response()
}

/// The route's name for the counters: one of the service's, or `other`
/// (so unknown paths cannot grow the counters without bound).
fn route_name(path: &str) -> &'static str {
    super::routes::ROUTES
        .iter()
        .find(|(_, p)| *p == path)
        .map_or("other", |(_, p)| p)
}

/// Counts every request and logs it as one JSON line on stderr.
pub(crate) async fn observe(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = route_name(request.uri().path());
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let record = response
        .extensions()
        .get::<Record>()
        .cloned()
        .unwrap_or_default();
    app.metrics.record(route, status, &record, elapsed);
    let mut line = serde_json::json!({
        "time": crate::report::now(),
        "method": method,
        "route": route,
        "status": status,
        "millis": elapsed.as_millis() as u64,
        "bytes_in": record.bytes_in,
        "bytes_out": record.bytes_out,
        "format": record.format,
    });
    if let Some(obj) = line.as_object_mut() {
        if let Some(kind) = record.kind {
            obj.insert("kind".into(), kind.into());
            obj.insert("reason".into(), record.reason.clone().into());
        }
        if let Some(serde_json::Value::Object(fields)) = record.compliance {
            obj.extend(fields);
        }
    }
    errln!("{line}");
    response
}
