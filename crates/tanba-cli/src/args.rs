//! The command line: clap types only, kept apart from what the commands do.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "tanba",
    version,
    about = "Label AI-generated content as Kazakhstan's AI law (No. 230-VIII, Art. 21) requires: a machine-readable mark and a visible or audible warning."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
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
pub(crate) enum KeysCommand {
    /// Write a local test CA and a C2PA signing certificate into DIR.
    /// UNTRUSTED: for trying C2PA out, never for production.
    New {
        /// The folder (created if missing; existing files are never overwritten).
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ReportCommand {
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
pub(crate) struct LabelArgs {
    /// Files or folders to label.
    #[arg(required_unless_present = "type_list")]
    pub(crate) inputs: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) walk: WalkArgs,
    /// Output folder (mirrors the input tree). Required unless --in-place.
    #[arg(long, short)]
    pub(crate) out: Option<PathBuf>,
    /// Replace the originals, each only after its labelled copy verified.
    #[arg(long, conflicts_with = "out")]
    pub(crate) in_place: bool,
    /// With --in-place, keep no NAME.bak copy of the original.
    #[arg(long, requires = "in_place")]
    pub(crate) no_backup: bool,
    /// Read settings from a TOML file (flags win over it).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Label files that already carry a Tanba mark again.
    #[arg(long)]
    pub(crate) force: bool,
    /// Parallel workers (default: the number of cores).
    #[arg(long, short)]
    pub(crate) jobs: Option<usize>,
    /// Take only shard I of N (by a stable hash of the relative path).
    #[arg(long, value_name = "I/N")]
    pub(crate) shard: Option<String>,
    /// Write the per-file report as JSON.
    #[arg(long, value_name = "FILE.json")]
    pub(crate) report: Option<PathBuf>,
    /// Write the per-file report as CSV.
    #[arg(long, value_name = "FILE.csv")]
    pub(crate) csv: Option<PathBuf>,
    /// Append one JSON line per labelled file to this compliance log.
    #[arg(long, value_name = "FILE.jsonl")]
    pub(crate) log: Option<PathBuf>,
    /// No progress bar and no per-file lines (failures are still printed).
    #[arg(long, short)]
    pub(crate) quiet: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CommonArgs {
    /// Label languages, in order (kk, ru, en).
    #[arg(long, value_delimiter = ',', value_name = "kk,ru")]
    pub(crate) lang: Option<Vec<String>>,
    /// Use the short wording ("ЖИ көмегімен жасалған").
    #[arg(long)]
    pub(crate) short: bool,
    /// Custom label line LANG=TEXT (repeat for more lines); replaces --lang.
    #[arg(long = "label", value_name = "LANG=TEXT")]
    pub(crate) custom: Vec<String>,
    /// Where a visual label goes.
    #[arg(long)]
    pub(crate) position: Option<String>,
    /// The AI system that made the content.
    #[arg(long)]
    pub(crate) ai_system: Option<String>,
    /// Its version.
    #[arg(long)]
    pub(crate) ai_version: Option<String>,
    /// Who operates the AI system.
    #[arg(long)]
    pub(crate) operator: Option<String>,
    /// The operator's Kazakh BIN (12 digits).
    #[arg(long)]
    pub(crate) bin: Option<String>,
    /// Sign manifests with this Ed25519 key (PEM, hex or base64).
    #[arg(long)]
    pub(crate) key: Option<PathBuf>,
    /// Mark the content as real media edited with AI, not generated.
    #[arg(long)]
    pub(crate) composite: bool,
    /// Encoding of text that is not UTF-8 (e.g. windows-1251).
    #[arg(long)]
    pub(crate) text_encoding: Option<String>,
    /// Do not add the AIGC/manifest footer to plain text.
    #[arg(long)]
    pub(crate) no_text_footer: bool,
    /// Seconds the subtitle notice cue lasts.
    #[arg(long)]
    pub(crate) subtitle_seconds: Option<f64>,
    /// PDF pages to stamp: all, first, or ranges like 1-3,7.
    #[arg(long, value_name = "PAGES")]
    pub(crate) pdf_pages: Option<String>,
    /// PDF edge for the banner: top or bottom (default: from --position).
    #[arg(long, value_name = "EDGE")]
    pub(crate) pdf_edge: Option<String>,
    /// Rewrite PDFs whole (smaller) instead of appending an incremental
    /// update (which keeps signatures and the original revision).
    #[arg(long)]
    pub(crate) pdf_rewrite: bool,
    /// JPEG output quality: `source` (estimated from the input's
    /// quantisation tables) or 1-100.
    #[arg(long, value_name = "Q")]
    pub(crate) jpeg_quality: Option<String>,
    /// Where the audible disclaimer goes: prepend, overlay, append, or
    /// repeat:N (every N minutes; repeat:90s for seconds).
    #[arg(long, value_name = "MODE")]
    pub(crate) audio_mode: Option<String>,
    /// What is heard: `spoken` (the label languages), `tone` (Morse "AI"),
    /// or the path of your own clip.
    #[arg(long, value_name = "spoken|tone|FILE")]
    pub(crate) audio_disclaimer: Option<String>,
    /// Seconds of the full-width opening notice on video (at least 2), or
    /// `off` to keep only the corner badge.
    #[arg(long, value_name = "SECONDS|off")]
    pub(crate) video_notice: Option<String>,
    /// No corner badge on video (the opening notice must then stay on).
    #[arg(long)]
    pub(crate) no_video_badge: bool,
    /// Video constant rate factor (default by encoder: x264 20, x265 22,
    /// VP9 31, AV1 30).
    #[arg(long, value_name = "CRF")]
    pub(crate) video_crf: Option<u32>,
    /// Video encoder preset (x264/x265 names; a number for VP9/AV1).
    #[arg(long, value_name = "PRESET")]
    pub(crate) video_preset: Option<String>,
    /// Also mix the spoken disclaimer into the video's first audio stream.
    #[arg(long)]
    pub(crate) video_audible: bool,
    /// Sign C2PA Content Credentials with this PEM certificate chain
    /// (signing certificate first); needs --c2pa-key.
    #[arg(long, value_name = "CHAIN.pem", requires = "c2pa_key")]
    pub(crate) c2pa_cert: Option<PathBuf>,
    /// The private key of the C2PA signing certificate (PEM, ES256 or Ed25519).
    #[arg(long, value_name = "KEY.pem", requires = "c2pa_cert")]
    pub(crate) c2pa_key: Option<PathBuf>,
    /// PEM trust anchors: credentials signed under them verify as trusted.
    #[arg(long, value_name = "CA.pem")]
    pub(crate) c2pa_trust: Option<PathBuf>,
    /// The badge's look (see crate::style).
    #[command(flatten)]
    pub(crate) badge: crate::style::BadgeArgs,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// Files to check.
    #[arg(required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// Read settings from a TOML file, as for `label` (limits, text
    /// encoding, the audio clip to look for …).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// The same settings as `label` takes, so what was labelled with them
    /// can be checked with them.
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Which files of a folder are labelled: the rules fd and ripgrep use.
/// Files named on the command line are always taken.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct WalkArgs {
    /// Also walk hidden files and folders (names starting with a dot).
    #[arg(long, short = 'H')]
    pub(crate) hidden: bool,
    /// Do not respect .gitignore, .ignore and .tanbaignore files.
    #[arg(long, short = 'I')]
    pub(crate) no_ignore: bool,
    /// Only files of this type (repeatable; see --type-list).
    #[arg(long = "type", short = 't', value_name = "TYPE")]
    pub(crate) types: Vec<String>,
    /// No files of this type (repeatable).
    #[arg(long = "type-not", short = 'T', value_name = "TYPE")]
    pub(crate) types_not: Vec<String>,
    /// Add a glob to a type, e.g. `text:*.log` (also labels *.log as plain text).
    #[arg(long = "type-add", value_name = "TYPE:GLOB")]
    pub(crate) type_add: Vec<String>,
    /// List the file types and their globs, then exit.
    #[arg(long)]
    pub(crate) type_list: bool,
    /// Only paths matching this glob; `!GLOB` leaves them out (repeatable).
    #[arg(long, short = 'g', value_name = "GLOB")]
    pub(crate) glob: Vec<String>,
    /// Leave out paths matching this glob (repeatable).
    #[arg(long, short = 'E', value_name = "GLOB")]
    pub(crate) exclude: Vec<String>,
}
