//! `tanba serve`: labelling and verifying over HTTP, so one labelling box
//! serves many generators in any language.
//!
//! axum on tokio: the most used Rust HTTP stack (hyper underneath), whose
//! handlers are plain async functions and whose `serve` has graceful
//! shutdown built in. Labelling itself is blocking, CPU-bound library code:
//! it runs on tokio's blocking pool, at most `concurrency` requests at once.
//!
//! One file per room: [`routes`] (the handlers), [`limits`] (body size,
//! back-pressure, time), [`form`] (`multipart/form-data` uploads),
//! [`mixed`] (`multipart/mixed` answers: a file and its sidecars),
//! [`options`] (per-request options), [`auth`]
//! (the bearer token), [`metrics`] (Prometheus text and the request log),
//! [`errors`] (typed errors as JSON) and [`openapi`] (the document).

mod auth;
mod errors;
mod form;
mod limits;
mod metrics;
mod mixed;
mod openapi;
mod options;
mod routes;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tanba::{Error, Job, Options, Registry, Result};
use tokio::sync::Semaphore;

use crate::args::{CommonArgs, ServeArgs, WalkArgs};
use crate::config::{Config, ServeSection};
use crate::settings::{options_of, prepare_with};
use crate::{Linked, hand_off};

/// Where the service listens unless told otherwise: loopback only.
const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Largest request body by default.
const DEFAULT_MAX_BODY: u64 = 256 * 1024 * 1024;
/// Seconds a request may take by default.
const DEFAULT_TIMEOUT: u64 = 300;
/// The environment variable holding the bearer token.
const TOKEN_ENV: &str = "TANBA_SERVE_TOKEN";

/// The service's own settings, from flags, the environment and `[serve]`.
#[derive(Debug, Clone)]
pub(crate) struct Service {
    pub(crate) listen: SocketAddr,
    pub(crate) token: Option<String>,
    pub(crate) max_body: u64,
    pub(crate) concurrency: usize,
    pub(crate) timeout: Duration,
    pub(crate) temp_dir: PathBuf,
}

impl Service {
    /// Flags over the environment (the token) over the file. Listening
    /// beyond loopback without a token is refused: anyone on the network
    /// could otherwise sign labels in the operator's name.
    fn resolve(args: &ServeArgs, file: &ServeSection) -> Result<Service> {
        let listen = args
            .listen
            .as_deref()
            .or(file.listen.as_deref())
            .unwrap_or(DEFAULT_LISTEN);
        let listen: SocketAddr = listen.parse().map_err(|_| {
            Error::config(format!(
                "--listen {listen:?} is not ADDRESS:PORT (127.0.0.1:8080)"
            ))
        })?;
        let token = args
            .token
            .clone()
            .or_else(|| std::env::var(TOKEN_ENV).ok())
            .or_else(|| file.token.clone())
            .filter(|t| !t.is_empty());
        if token.is_none() && !listen.ip().is_loopback() {
            return Err(Error::config(format!(
                "listening on {listen}, beyond loopback, needs a bearer token: \
                 --token, {TOKEN_ENV} or [serve] token"
            )));
        }
        let concurrency = args
            .concurrency
            .or(file.concurrency)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
        if concurrency == 0 {
            return Err(Error::config("--concurrency must be at least 1"));
        }
        let timeout = args.timeout.or(file.timeout).unwrap_or(DEFAULT_TIMEOUT);
        if timeout == 0 {
            return Err(Error::config("--timeout must be at least 1 second"));
        }
        let temp_dir = args
            .temp_dir
            .clone()
            .or_else(|| file.temp_dir.clone())
            .unwrap_or_else(std::env::temp_dir);
        std::fs::create_dir_all(&temp_dir).map_err(|e| Error::from(e).at(&temp_dir))?;
        Ok(Service {
            listen,
            token,
            max_body: args.max_body.or(file.max_body).unwrap_or(DEFAULT_MAX_BODY),
            concurrency,
            timeout: Duration::from_secs(timeout),
            temp_dir,
        })
    }
}

/// What every request shares: the defaults, the registry built from them,
/// the service's settings, the permits and the counters.
#[derive(Debug)]
pub(crate) struct App {
    /// The labelling options of the flags and the file: a request's
    /// options go over these.
    pub(crate) options: Options,
    pub(crate) common: CommonArgs,
    pub(crate) config: Config,
    pub(crate) linked: Linked,
    /// The job and registry of the defaults, shared by every request that
    /// changes no setting.
    pub(crate) job: Job,
    pub(crate) registry: Arc<Registry>,
    pub(crate) service: Service,
    pub(crate) permits: Arc<Semaphore>,
    pub(crate) metrics: metrics::Metrics,
}

impl App {
    /// The job and registry for these options (the defaults with a
    /// request's changes).
    pub(crate) fn prepare(&self, options: &Options) -> Result<(Job, Registry)> {
        prepare_with(
            options,
            &self.common,
            &WalkArgs::default(),
            &self.config,
            self.linked,
        )
    }
}

/// `tanba serve`: checks every setting, binds, then serves until SIGTERM
/// or Ctrl-C, finishing the requests in flight.
pub(crate) fn serve(args: ServeArgs, linked: Linked) -> Result<ExitCode> {
    // The service takes every media type, so it runs in the binary that
    // links every labeler.
    if let Some(fuller) = linked.fuller {
        return hand_off(fuller);
    }
    let config = match &args.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let service = Service::resolve(&args, &config.serve)?;
    let options = options_of(&args.common, &config)?;
    let (job, registry) = prepare_with(
        &options,
        &args.common,
        &WalkArgs::default(),
        &config,
        linked,
    )?;
    let app = Arc::new(App {
        options,
        common: args.common,
        config,
        linked,
        job,
        registry: Arc::new(registry),
        permits: Arc::new(Semaphore::new(service.concurrency)),
        service,
        metrics: metrics::Metrics::default(),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::from)?;
    runtime.block_on(run(app))
}

/// Binds, says where on stderr, and serves until told to stop.
async fn run(app: Arc<App>) -> Result<ExitCode> {
    let listen = app.service.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Error::config(format!("cannot listen on {listen}: {e}")))?;
    let bound = listener.local_addr().map_err(Error::from)?;
    errln!("tanba serve: listening on http://{bound}");
    axum::serve(listener, routes::router(app))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(Error::from)?;
    errln!("tanba serve: stopped");
    Ok(ExitCode::SUCCESS)
}

/// SIGTERM (systemd, Kubernetes) or Ctrl-C: stop accepting, finish what
/// is in flight.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    errln!("tanba serve: shutting down, finishing the requests in flight");
}
