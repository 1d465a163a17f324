//! The `tanba` command: label and verify AI-generated content as
//! Kazakhstan's AI law (No. 230-VIII, Art. 21) asks.
//!
//! Exit codes: 0 success (every supported file labelled, or every verified
//! file compliant); 1 some file failed or lacks a mark; 2 bad usage or
//! settings, before any file was touched.
//!
//! Two binaries run this same code: `tanba`, which links only the labelers
//! that need no FFmpeg, and `tanba-full`, which links them all. FFmpeg's
//! shared libraries (about 136 with their dependencies) take some 45 ms to
//! load before `main` runs, half the time a 120-page PDF takes to label; so `tanba`
//! labels text, PDF and pictures itself and hands every other command to
//! `tanba-full` beside it, with the same arguments (see [`Linked`]).

/// `println!` that ends the process quietly when stdout is closed
/// (`tanba verify … | head`) instead of panicking: files being written are
/// removed first, as on Ctrl-C.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            stdout_failed(e);
        }
    }};
}

/// Where [`outln!`] goes when stdout cannot be written.
fn stdout_failed(e: std::io::Error) -> ! {
    tanba::atomic::remove_unfinished();
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        // 128 + SIGPIPE, as a shell reports a process the pipe ended.
        std::process::exit(141);
    }
    eprintln!("tanba: cannot write to standard output: {e}");
    std::process::exit(2);
}

mod batch;
mod config;
mod report;
mod walk;

use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use tanba::{
    AiSystem, Error, Job, Label, Lang, Operator, Position, Registry, Result, Settings, SourceKind,
    Wording,
};

use crate::batch::BatchOptions;
use crate::config::Config;
use crate::report::{ComplianceLog, Outcome, Report, Summary};

/// Exit code: a file failed, or lacks a mark.
const EXIT_FAILED: u8 = 1;
/// Exit code: bad usage or settings; nothing was touched.
const EXIT_USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "tanba",
    version,
    about = "Label AI-generated content as Kazakhstan's AI law (No. 230-VIII, Art. 21) requires: a machine-readable mark and a visible or audible warning."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Label files or whole folders; the output tree mirrors the input.
    Label(Box<LabelArgs>),
    /// Report which marks each file carries; exits 1 when a file lacks either.
    Verify(Box<VerifyArgs>),
    /// List the formats this build supports.
    Formats {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Make a new Ed25519 key for signing manifests (PKCS#8 PEM).
    Keygen {
        /// Where to write the private key; the public key goes to FILE.pub.
        file: PathBuf,
    },
    /// Make signing credentials.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Work with bulk-job reports.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Write a local test CA and a C2PA signing certificate into DIR.
    /// UNTRUSTED: for trying C2PA out, never for production.
    New {
        /// The folder (created if missing; existing files are never overwritten).
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// Merge the JSON reports of the shards of one job into one report.
    Merge {
        /// The shard reports.
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// The merged JSON report.
        #[arg(long, short)]
        out: PathBuf,
        /// Also write the merged report as CSV.
        #[arg(long)]
        csv: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
struct LabelArgs {
    /// Files or folders to label.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Output folder (mirrors the input tree). Required unless --in-place.
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Replace the originals, each only after its labelled copy verified.
    #[arg(long, conflicts_with = "out")]
    in_place: bool,
    /// With --in-place, keep no NAME.bak copy of the original.
    #[arg(long, requires = "in_place")]
    no_backup: bool,
    /// Read settings from a TOML file (flags win over it).
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
    /// Label files that already carry a Tanba mark again.
    #[arg(long)]
    force: bool,
    /// Parallel workers (default: the number of cores).
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Take only shard I of N (by a stable hash of the relative path).
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Write the per-file report as JSON.
    #[arg(long, value_name = "FILE.json")]
    report: Option<PathBuf>,
    /// Write the per-file report as CSV.
    #[arg(long, value_name = "FILE.csv")]
    csv: Option<PathBuf>,
    /// Append one JSON line per labelled file to this compliance log.
    #[arg(long, value_name = "FILE.jsonl")]
    log: Option<PathBuf>,
    /// No progress bar and no per-file lines (failures are still printed).
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, Args)]
struct CommonArgs {
    /// Label languages, in order (kk, ru, en).
    #[arg(long, value_delimiter = ',', value_name = "kk,ru")]
    lang: Option<Vec<String>>,
    /// Use the short wording ("ЖИ көмегімен жасалған").
    #[arg(long)]
    short: bool,
    /// Custom label line LANG=TEXT (repeat for more lines); replaces --lang.
    #[arg(long = "label", value_name = "LANG=TEXT")]
    custom: Vec<String>,
    /// Where a visual label goes.
    #[arg(long)]
    position: Option<String>,
    /// The AI system that made the content.
    #[arg(long)]
    ai_system: Option<String>,
    /// Its version.
    #[arg(long)]
    ai_version: Option<String>,
    /// Who operates the AI system.
    #[arg(long)]
    operator: Option<String>,
    /// The operator's Kazakh BIN (12 digits).
    #[arg(long)]
    bin: Option<String>,
    /// Sign manifests with this Ed25519 key (PEM, hex or base64).
    #[arg(long)]
    key: Option<PathBuf>,
    /// Mark the content as real media edited with AI, not generated.
    #[arg(long)]
    composite: bool,
    /// Encoding of text that is not UTF-8 (e.g. windows-1251).
    #[arg(long)]
    text_encoding: Option<String>,
    /// Do not add the AIGC/manifest footer to plain text.
    #[arg(long)]
    no_text_footer: bool,
    /// Seconds the subtitle notice cue lasts.
    #[arg(long)]
    subtitle_seconds: Option<f64>,
    /// PDF pages to stamp: all, first, or ranges like 1-3,7.
    #[arg(long, value_name = "PAGES")]
    pdf_pages: Option<String>,
    /// PDF edge for the banner: top or bottom (default: from --position).
    #[arg(long, value_name = "EDGE")]
    pdf_edge: Option<String>,
    /// Rewrite PDFs whole (smaller) instead of appending an incremental
    /// update (which keeps signatures and the original revision).
    #[arg(long)]
    pdf_rewrite: bool,
    /// JPEG output quality: `source` (estimated from the input's
    /// quantisation tables) or 1-100.
    #[arg(long, value_name = "Q")]
    jpeg_quality: Option<String>,
    /// Where the audible disclaimer goes: prepend, overlay, append, or
    /// repeat:N (every N minutes; repeat:90s for seconds).
    #[arg(long, value_name = "MODE")]
    audio_mode: Option<String>,
    /// What is heard: `spoken` (the label languages), `tone` (Morse "AI"),
    /// or the path of your own clip.
    #[arg(long, value_name = "spoken|tone|FILE")]
    audio_disclaimer: Option<String>,
    /// Seconds of the full-width opening notice on video (at least 2), or
    /// `off` to keep only the corner badge.
    #[arg(long, value_name = "SECONDS|off")]
    video_notice: Option<String>,
    /// No corner badge on video (the opening notice must then stay on).
    #[arg(long)]
    no_video_badge: bool,
    /// Video constant rate factor (default by encoder: x264 20, x265 22,
    /// VP9 31, AV1 30).
    #[arg(long, value_name = "CRF")]
    video_crf: Option<u32>,
    /// Video encoder preset (x264/x265 names; a number for VP9/AV1).
    #[arg(long, value_name = "PRESET")]
    video_preset: Option<String>,
    /// Also mix the spoken disclaimer into the video's first audio stream.
    #[arg(long)]
    video_audible: bool,
    /// Sign C2PA Content Credentials with this PEM certificate chain
    /// (signing certificate first); needs --c2pa-key.
    #[arg(long, value_name = "CHAIN.pem", requires = "c2pa_key")]
    c2pa_cert: Option<PathBuf>,
    /// The private key of the C2PA signing certificate (PEM, ES256 or Ed25519).
    #[arg(long, value_name = "KEY.pem", requires = "c2pa_cert")]
    c2pa_key: Option<PathBuf>,
    /// PEM trust anchors: credentials signed under them verify as trusted.
    #[arg(long, value_name = "CA.pem")]
    c2pa_trust: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// Files to check.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Read settings from a TOML file, as for `label` (limits, text
    /// encoding, the audio clip to look for …).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The same settings as `label` takes, so what was labelled with them
    /// can be checked with them.
    #[command(flatten)]
    common: CommonArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// The labelers a binary links, and which binary has the others.
#[derive(Debug, Clone, Copy)]
pub struct Linked {
    /// Builds the registry of the labelers this binary links. Passed in,
    /// not called by name, so that a binary which never names
    /// [`Registry::with_settings`] links none of FFmpeg.
    pub registry: fn(&Settings) -> Registry,
    /// The binary, beside this one, to hand a command to when an input
    /// needs a labeler this one lacks (or a folder is given, whose files
    /// are not known in advance). `None`: this binary has every labeler
    /// the build has.
    pub fuller: Option<&'static str>,
}

impl Linked {
    /// Every labeler the build has.
    pub const ALL: Linked = Linked {
        registry: Registry::with_settings,
        fuller: None,
    };
}

/// Runs the command line of this process.
pub fn run(linked: Linked) -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Label(args) => label(*args, linked),
        Command::Verify(args) => verify(&args, linked),
        Command::Formats { json } => formats(json, linked),
        Command::Keygen { file } => keygen(&file),
        Command::Keys {
            command: KeysCommand::New { dir },
        } => keys_new(&dir),
        Command::Report {
            command: ReportCommand::Merge { reports, out, csv },
        } => merge(&reports, &out, csv.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tanba: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Builds the job and the registry from the config file and the flags.
fn prepare(common: &CommonArgs, config: &Config, linked: Linked) -> Result<(Job, Registry)> {
    let label = if !common.custom.is_empty() {
        let lines = common
            .custom
            .iter()
            .map(|l| {
                l.split_once('=')
                    .ok_or_else(|| Error::config(format!("--label {l:?} is not LANG=TEXT")))
            })
            .collect::<Result<Vec<_>>>()?;
        Label::custom(lines)?
    } else if let (None, Some(custom)) = (&common.lang, &config.label.custom) {
        Label::custom(custom.iter().map(|c| (c.lang.clone(), c.text.clone())))?
    } else {
        let langs = match common
            .lang
            .clone()
            .or_else(|| config.label.languages.clone())
        {
            Some(names) => names
                .iter()
                .map(|n| n.parse::<Lang>())
                .collect::<Result<Vec<_>>>()?,
            None => vec![Lang::Kk, Lang::Ru],
        };
        let wording = if common.short {
            Wording::Short
        } else {
            config
                .label
                .wording
                .as_deref()
                .map(str::parse)
                .transpose()?
                .unwrap_or_default()
        };
        Label::standard(&langs, wording)
    };
    let position: Position = common
        .position
        .as_deref()
        .or(config.label.position.as_deref())
        .map(str::parse)
        .transpose()?
        .unwrap_or_default();
    let prov = &config.provenance;
    let ai_name = common.ai_system.clone().or_else(|| prov.ai_system.clone());
    let ai_system = ai_name.map(|name| AiSystem {
        name,
        version: common
            .ai_version
            .clone()
            .or_else(|| prov.ai_version.clone()),
    });
    let operator = match common.operator.clone().or_else(|| prov.operator.clone()) {
        Some(name) => Some(Operator::new(
            name,
            common.bin.clone().or_else(|| prov.bin.clone()),
        )?),
        None if common.bin.is_some() => return Err(Error::config("--bin needs --operator")),
        None => None,
    };
    let key_path = common.key.clone().or_else(|| prov.key.clone());
    // A missing or wrong key is an error before any file is touched.
    let signing_key = key_path
        .map(|p| tanba::manifest::load_signing_key(&p).map(Arc::new))
        .transpose()?;
    let source_kind = match (common.composite, prov.source.as_deref()) {
        (true, _) | (false, Some("composite")) => SourceKind::Composite,
        (false, None | Some("generated")) => SourceKind::Generated,
        (false, Some(other)) => {
            return Err(Error::config(format!(
                "provenance.source {other:?}: use generated or composite"
            )));
        }
    };
    let job = Job {
        label,
        position,
        limits: config.limits.unwrap_or_default(),
        force: false,
        source_kind,
        ai_system,
        operator,
        signing_key,
        source_sha256: None,
    };
    let mut settings = Settings::default();
    if let Some(enc) = common
        .text_encoding
        .as_deref()
        .or(config.text.encoding.as_deref())
    {
        settings.text = settings.text.with_legacy_encoding(enc)?;
    }
    if common.no_text_footer || config.text.footer == Some(false) {
        settings.text.plain_text_footer = false;
    }
    if let Some(s) = common.subtitle_seconds.or(config.text.subtitle_seconds) {
        if !(0.5..=60.0).contains(&s) {
            return Err(Error::config("subtitle seconds must be between 0.5 and 60"));
        }
        settings.text.subtitle_seconds = s;
    }
    pdf_settings(&mut settings, common, config)?;
    image_settings(&mut settings, common, config)?;
    audio_settings(&mut settings, common, config)?;
    video_settings(&mut settings, common, config)?;
    c2pa_settings(&mut settings, common, config)?;
    Ok((job, (linked.registry)(&settings)))
}

/// An option for a media type this build leaves out is an error, not
/// silently ignored.
#[allow(dead_code, reason = "only builds without some media use it")]
fn not_built(feature: &str, given: bool) -> Result<()> {
    if given {
        return Err(Error::config(format!(
            "this tanba was built without {feature} support (cargo feature `{feature}`)"
        )));
    }
    Ok(())
}

#[cfg(feature = "pdf")]
fn pdf_settings(settings: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    if let Some(pages) = common.pdf_pages.as_deref().or(config.pdf.pages.as_deref()) {
        settings.pdf.pages = pages.parse()?;
    }
    if let Some(edge) = common.pdf_edge.as_deref().or(config.pdf.edge.as_deref()) {
        settings.pdf.edge = Some(edge.parse()?);
    }
    settings.pdf.rewrite = common.pdf_rewrite || config.pdf.rewrite == Some(true);
    Ok(())
}

#[cfg(not(feature = "pdf"))]
fn pdf_settings(_: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    not_built(
        "pdf",
        common.pdf_pages.is_some()
            || common.pdf_edge.is_some()
            || common.pdf_rewrite
            || config.pdf != Default::default(),
    )
}

#[cfg(feature = "image")]
fn image_settings(settings: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    if let Some(q) = common
        .jpeg_quality
        .as_deref()
        .or(config.image.jpeg_quality.as_deref())
    {
        settings.image.jpeg_quality = parse_jpeg_quality(q)?;
    }
    Ok(())
}

#[cfg(not(feature = "image"))]
fn image_settings(_: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    not_built(
        "image",
        common.jpeg_quality.is_some() || config.image != Default::default(),
    )
}

#[cfg(feature = "audio")]
fn audio_settings(settings: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    if let Some(mode) = common
        .audio_mode
        .as_deref()
        .or(config.audio.mode.as_deref())
    {
        settings.audio.mode = mode.parse()?;
    }
    if let Some(what) = common
        .audio_disclaimer
        .as_deref()
        .or(config.audio.disclaimer.as_deref())
    {
        settings.audio.disclaimer = parse_disclaimer(what)?;
    }
    if let Some(db) = config.audio.ducking_db {
        if !(-40.0..=0.0).contains(&db) {
            return Err(Error::config("audio.ducking_db must be between -40 and 0"));
        }
        settings.audio.ducking_db = db;
    }
    Ok(())
}

#[cfg(not(feature = "audio"))]
fn audio_settings(_: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    not_built(
        "audio",
        common.audio_mode.is_some()
            || common.audio_disclaimer.is_some()
            || config.audio != Default::default(),
    )
}

#[cfg(feature = "video")]
fn video_settings(settings: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    if let Some(notice) = common
        .video_notice
        .as_deref()
        .or(config.video.notice.as_deref())
    {
        settings.video.notice_seconds = match notice {
            "off" => None,
            seconds => Some(seconds.parse::<f64>().map_err(|_| {
                Error::config(format!(
                    "video notice {seconds:?}: give seconds (at least 2) or `off`"
                ))
            })?),
        };
    }
    if common.no_video_badge || config.video.badge == Some(false) {
        settings.video.corner_badge = false;
    }
    settings.video.crf = common.video_crf.or(config.video.crf);
    settings.video.preset = common
        .video_preset
        .clone()
        .or_else(|| config.video.preset.clone());
    settings.video.audible = common.video_audible || config.video.audible == Some(true);
    settings.video.validate()?;
    Ok(())
}

#[cfg(not(feature = "video"))]
fn video_settings(_: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    not_built(
        "video",
        common.video_notice.is_some()
            || common.no_video_badge
            || common.video_crf.is_some()
            || common.video_preset.is_some()
            || common.video_audible
            || config.video != Default::default(),
    )
}

#[cfg(feature = "c2pa")]
fn c2pa_settings(settings: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    let c2pa_cert = common
        .c2pa_cert
        .clone()
        .or_else(|| config.c2pa.cert.clone());
    let c2pa_key = common.c2pa_key.clone().or_else(|| config.c2pa.key.clone());
    settings.c2pa.signer = match (c2pa_cert, c2pa_key) {
        (Some(cert), Some(key)) => {
            Some(Arc::new(tanba::c2pa::C2paSigner::from_files(&cert, &key)?))
        }
        (None, None) => None,
        _ => {
            return Err(Error::config(
                "C2PA signing needs both a certificate chain and its private key",
            ));
        }
    };
    if let Some(trust) = common
        .c2pa_trust
        .clone()
        .or_else(|| config.c2pa.trust.clone())
    {
        settings.c2pa.trust_anchors_pem =
            Some(std::fs::read_to_string(&trust).map_err(|e| Error::from(e).at(&trust))?);
    }
    Ok(())
}

#[cfg(not(feature = "c2pa"))]
fn c2pa_settings(_: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    not_built(
        "c2pa",
        common.c2pa_cert.is_some()
            || common.c2pa_key.is_some()
            || common.c2pa_trust.is_some()
            || config.c2pa != Default::default(),
    )
}

/// `source` or a fixed quality 1-100.
#[cfg(feature = "image")]
fn parse_jpeg_quality(text: &str) -> Result<tanba::image::JpegQuality> {
    if text.eq_ignore_ascii_case("source") {
        return Ok(tanba::image::JpegQuality::Source);
    }
    match text.parse::<u8>() {
        Ok(q) if (1..=100).contains(&q) => Ok(tanba::image::JpegQuality::Fixed(q)),
        _ => Err(Error::config(format!(
            "JPEG quality {text:?}: use `source` or a number from 1 to 100"
        ))),
    }
}

/// `spoken`, `tone`, or the path of a clip (read now, so a missing file
/// fails before any input is touched).
#[cfg(feature = "audio")]
fn parse_disclaimer(text: &str) -> Result<tanba::audio::Disclaimer> {
    use tanba::audio::{Disclaimer, ToneSettings};
    match text {
        "spoken" => Ok(Disclaimer::JobLanguages),
        "tone" => Ok(Disclaimer::Tone(ToneSettings::default())),
        path => {
            let bytes = std::fs::read(path).map_err(|e| Error::from(e).at(Path::new(path)))?;
            Ok(Disclaimer::Clip(bytes.into()))
        }
    }
}

fn label(args: LabelArgs, linked: Linked) -> Result<ExitCode> {
    let config = match &args.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let (mut job, mut registry) = prepare(&args.common, &config, linked)?;
    if let Some(fuller) = linked.fuller
        && !recognises_all(&registry, &args.inputs)
    {
        return hand_off(fuller);
    }
    job.force = args.force;
    // Out of place, one sync of the output tree at the end replaces a
    // flush per file; replacing originals stays synced file by file.
    if args.out.is_some() && !args.in_place && cfg!(unix) {
        registry.set_durability(tanba::atomic::Durability::Batch);
    }
    if args.out.is_none() && !args.in_place {
        return Err(Error::config(
            "give --out DIR, or --in-place to replace the originals",
        ));
    }
    let shard = args
        .shard
        .as_deref()
        .map(walk::Shard::parse)
        .transpose()
        .map_err(Error::config)?;
    // A report that cannot be written is found now, not after the work. The
    // output folder, created below, may hold it.
    for path in [&args.report, &args.csv].into_iter().flatten() {
        let dir = tanba::atomic::parent_of(path);
        if !dir.is_dir() && args.out.as_deref() != Some(dir) {
            return Err(Error::config("the report's folder does not exist").at(path));
        }
    }
    // Ctrl-C or SIGTERM: remove the files being written, so the output
    // tree holds only finished files; running the same command resumes.
    ctrlc::set_handler(|| {
        let removed = tanba::atomic::remove_unfinished();
        eprintln!(
            "tanba: interrupted; removed {removed} unfinished file(s); run the same command again to resume"
        );
        std::process::exit(130);
    })
    .map_err(|e| Error::config(format!("cannot install the Ctrl-C handler: {e}")))?;
    let log_path = args.log.clone().or_else(|| config.job.log.clone());
    let log = log_path.as_deref().map(ComplianceLog::open).transpose()?;
    let jobs = args
        .jobs
        .or(config.job.jobs)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let started = report::now();
    let mut found = walk::walk(&args.inputs);
    if let Some(shard) = shard {
        found.tasks.retain(|t| shard.takes(&t.relative));
        // Refused files are reported by one shard only, so the shards'
        // reports still merge without overlaps.
        found
            .refused
            .retain(|r| shard.takes(&r.input.to_string_lossy()));
    }
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).map_err(|e| Error::from(e).at(out))?;
    }
    let options = BatchOptions {
        out: args.out.clone(),
        in_place: args.in_place,
        backup: !args.no_backup,
        jobs,
        quiet: args.quiet,
    };
    let files = batch::run(&registry, &job, found, &options, log.as_ref())?;
    if registry.durability() == tanba::atomic::Durability::Batch
        && let Some(out) = &args.out
    {
        tanba::atomic::sync_filesystem(out)?;
    }
    let summary = Summary::of(&files);
    let report = Report {
        tool: concat!("tanba/", env!("CARGO_PKG_VERSION")).to_string(),
        started,
        finished: report::now(),
        shards: vec![shard.map_or("0/1".to_string(), |s| format!("{}/{}", s.index, s.count))],
        summary: summary.clone(),
        files,
    };
    if let Some(p) = &args.report {
        report.write_json(p)?;
    }
    if let Some(p) = &args.csv {
        report.write_csv(p)?;
    }
    eprintln!(
        "tanba: {} files: {} labelled, {} already labelled, {} skipped, {} failed",
        summary.total(),
        summary.labelled,
        summary.already_labelled,
        summary.skipped,
        summary.failed
    );
    Ok(if summary.failed > 0 {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

fn verify(args: &VerifyArgs, linked: Linked) -> Result<ExitCode> {
    let config = match &args.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let (job, registry) = prepare(&args.common, &config, linked)?;
    if let Some(fuller) = linked.fuller
        && !recognises_all(&registry, &args.files)
    {
        return hand_off(fuller);
    }
    let limits = job.limits;
    let mut all_ok = true;
    let mut json_rows = Vec::new();
    for file in &args.files {
        match registry.verify_file(file, &limits) {
            Ok(v) => {
                all_ok &= v.is_compliant();
                if args.json {
                    json_rows.push(serde_json::json!({ "file": file, "compliant": v.is_compliant(), "verification": v }));
                } else {
                    print_verification(file, &v);
                }
            }
            Err(e) => {
                all_ok = false;
                if args.json {
                    json_rows.push(serde_json::json!({ "file": file, "compliant": false, "error": e.to_string(), "kind": e.kind_name() }));
                } else {
                    outln!("{}: ERROR {e}", file.display());
                }
            }
        }
    }
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&json_rows).unwrap_or_default()
        );
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}

fn print_verification(file: &Path, v: &tanba::Verification) {
    let verdict = if v.is_compliant() {
        "labelled"
    } else {
        "NOT LABELLED"
    };
    outln!("{}: {verdict} ({})", file.display(), v.format);
    if v.marks.is_empty() {
        outln!("  machine-readable mark: none");
    }
    for m in &v.marks {
        outln!("  machine-readable mark: {:?} in {}", m.kind, m.carrier);
    }
    outln!(
        "  perceptible label: {} ({})",
        if v.perceptible.found {
            "found"
        } else {
            "missing"
        },
        v.perceptible.detail
    );
    if let Some(m) = &v.manifest {
        outln!(
            "  manifest: {} created {} by {}",
            m.id,
            m.created,
            m.generator
        );
        let texts: Vec<&str> = m.label.lines.iter().map(|l| l.text.as_str()).collect();
        outln!("  label: {}", texts.join(" / "));
    }
    match &v.signature {
        tanba::SignatureState::Unsigned => outln!("  signature: none"),
        tanba::SignatureState::Valid { public_key } => {
            outln!("  signature: valid (Ed25519 key {public_key})")
        }
        tanba::SignatureState::Invalid { reason } => outln!("  signature: INVALID: {reason}"),
    }
    if let Some(c) = &v.credentials {
        let state = match c.state {
            tanba::CredentialsState::Valid => "valid (signer not on a trust list given)",
            tanba::CredentialsState::Trusted => "trusted",
            tanba::CredentialsState::Invalid => "INVALID",
        };
        outln!("  content credentials (C2PA): {state}");
        for line in &c.detail {
            outln!("    {line}");
        }
    }
}

/// Whether every input is a file one of the registry's labelers
/// recognises. A folder is not: what it holds is known only after the
/// walk. A path that cannot be read counts as recognised: its error is
/// the same whichever binary reports it.
fn recognises_all(registry: &Registry, inputs: &[PathBuf]) -> bool {
    inputs.iter().all(|input| match std::fs::metadata(input) {
        Ok(meta) if meta.is_dir() => false,
        Ok(_) => registry.recognises_file(input).unwrap_or(true),
        Err(_) => true,
    })
}

/// Hands this command line, unchanged, to `fuller` in this binary's
/// folder. Returns only when that binary cannot be started (on Unix the
/// process is replaced; elsewhere its exit code is passed on).
fn hand_off(fuller: &str) -> Result<ExitCode> {
    let exe = std::env::current_exe().map_err(Error::from)?;
    let path = exe.with_file_name(format!("{fuller}{}", std::env::consts::EXE_SUFFIX));
    let mut command = std::process::Command::new(&path);
    command.args(std::env::args_os().skip(1));
    let cannot_start = |e: std::io::Error| Error::Io {
        path: Some(path.clone()),
        source: std::io::Error::new(
            e.kind(),
            format!(
                "cannot start it ({e}); audio, video and folders are labelled by {fuller}, \
                 which `cargo install --path crates/tanba-cli` installs beside tanba"
            ),
        ),
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        // The usage and error lines keep saying `tanba`.
        if let Some(name) = std::env::args_os().next() {
            command.arg0(name);
        }
        Err(cannot_start(command.exec()))
    }
    #[cfg(not(unix))]
    {
        let status = command.status().map_err(cannot_start)?;
        Ok(status
            .code()
            .and_then(|c| u8::try_from(c).ok())
            .map_or(ExitCode::from(EXIT_FAILED), ExitCode::from))
    }
}

fn formats(json: bool, linked: Linked) -> Result<ExitCode> {
    if let Some(fuller) = linked.fuller {
        return hand_off(fuller);
    }
    let registry = (linked.registry)(&Settings::default());
    let formats = registry.formats();
    if json {
        let rows: Vec<_> = formats
            .iter()
            .map(|(labeler, f)| serde_json::json!({ "labeler": labeler, "format": f.name, "mime": f.mime, "extensions": f.extensions }))
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        );
    } else {
        outln!(
            "{:<8} {:<10} {:<24} extensions",
            "labeler",
            "format",
            "MIME type"
        );
        for (labeler, f) in formats {
            outln!(
                "{labeler:<8} {:<10} {:<24} {}",
                f.name,
                f.mime,
                f.extensions.join(", ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn keygen(file: &Path) -> Result<ExitCode> {
    if file.exists() {
        return Err(Error::config("refusing to overwrite an existing key").at(file));
    }
    let (key, pem) = tanba::manifest::generate_signing_key_pem()?;
    tanba::atomic::write_atomic(file, |f| {
        use std::io::Write as _;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            f.set_permissions(std::fs::Permissions::from_mode(0o400))?;
        }
        Ok(f.write_all(pem.as_bytes())?)
    })?;
    let pub_path = PathBuf::from(format!("{}.pub", file.display()));
    let public_pem = tanba::manifest::public_key_pem(&key)?;
    tanba::atomic::write_atomic(&pub_path, |f| {
        use std::io::Write as _;
        Ok(f.write_all(public_pem.as_bytes())?)
    })?;
    // The same key as `tanba verify` and the manifests show it.
    let b64 = tanba::manifest::public_key_base64(&key);
    outln!("{b64}");
    eprintln!(
        "tanba: wrote {} (private, keep it secret) and {} (public key {b64})",
        file.display(),
        pub_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "c2pa"))]
fn keys_new(_: &Path) -> Result<ExitCode> {
    not_built("c2pa", true).map(|()| ExitCode::SUCCESS)
}

#[cfg(feature = "c2pa")]
fn keys_new(dir: &Path) -> Result<ExitCode> {
    let made = tanba::c2pa::generate_test_credentials(dir)?;
    eprintln!(
        "tanba: wrote UNTRUSTED test credentials to {} (a local CA, not for production):",
        dir.display()
    );
    for path in [&made.cert_chain, &made.private_key, &made.ca_cert] {
        eprintln!("  {}", path.display());
    }
    eprintln!(
        "sign with: tanba label ... --c2pa-cert {} --c2pa-key {}",
        made.cert_chain.display(),
        made.private_key.display()
    );
    eprintln!(
        "verify as trusted with: tanba verify ... --c2pa-trust {}",
        made.ca_cert.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn merge(reports: &[PathBuf], out: &Path, csv: Option<&Path>) -> Result<ExitCode> {
    let loaded = reports
        .iter()
        .map(|p| Report::read(p))
        .collect::<Result<Vec<_>>>()?;
    let merged = Report::merge(loaded)?;
    merged.write_json(out)?;
    if let Some(csv) = csv {
        merged.write_csv(csv)?;
    }
    let s = &merged.summary;
    eprintln!(
        "tanba: merged {} reports: {} files, {} labelled, {} already labelled, {} skipped, {} failed",
        reports.len(),
        s.total(),
        s.labelled,
        s.already_labelled,
        s.skipped,
        s.failed
    );
    let failed = merged.files.iter().any(|f| f.outcome == Outcome::Failed);
    Ok(if failed {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}
