//! The command line: clap types only, kept apart from what the commands do.
//!
//! Each subcommand takes only its own flags: `verify` takes what changes
//! what it looks for ([`SharedArgs`]), `label` takes those and the
//! labelling flags ([`CommonArgs`]). Flags are grouped under the headings
//! below; `-h` shows the short list, `--help` every flag and examples.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const OUTPUT: &str = "Output";
const LABEL: &str = "Label";
const TEXT: &str = "Text";
const PICTURES: &str = "Pictures";
const AUDIO: &str = "Audio";
const VIDEO: &str = "Video";
const PDF: &str = "PDF";
const C2PA: &str = "C2PA";
const JOB: &str = "Job";
const WALKING: &str = "Walking";
const BADGE: &str = "Badge";
const SERVICE: &str = "Service";

#[derive(Debug, Parser)]
#[command(
    name = "tanba",
    version,
    about = "Label AI-generated content as Kazakhstan's AI law (No. 230-VIII, Art. 21) requires: a machine-readable mark and a visible or audible warning.",
    after_long_help = TOP_EXAMPLES
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

const TOP_EXAMPLES: &str = "\
Examples:
  Label one file into out/:
    tanba label photo.jpg -o out/
  Show what labelling a folder would do, writing nothing:
    tanba label archive/ -o labelled/ --dry-run
  Check every file of a folder:
    tanba verify labelled/
  Shell completions, and the manual:
    tanba completions bash > ~/.local/share/bash-completion/completions/tanba
    tanba man | man -l -
Each command's flags and examples: tanba label --help, tanba verify --help";

const LABEL_EXAMPLES: &str = "\
Examples:
  Label one picture into out/:
    tanba label photo.jpg -o out/
  Label a folder with four workers and keep a report:
    tanba label archive/ -o labelled/ -j 4 --report report.json
  Show what would happen, writing nothing:
    tanba label archive/ -o labelled/ --dry-run
  Only PDFs, the banner on the first page only:
    tanba label archive/ -o labelled/ -t pdf --pdf-pages first
  Replace the originals, keeping NAME.bak beside each:
    tanba label archive/ --in-place
  Kazakh and English, short wording, top left:
    tanba label poster.png -o out/ --lang kk,en --short --position top-left
  Settings from a file (flags win over it):
    tanba label archive/ -o labelled/ --config tanba.toml";

const VERIFY_EXAMPLES: &str = "\
Examples:
  Check one file:
    tanba verify out/photo.jpg
  Check a whole folder; exit 1 when any file lacks a mark:
    tanba verify labelled/
  One JSON row per file, printed and written to a file:
    tanba verify labelled/ --json --report verify.json
  Only the videos, hidden files included:
    tanba verify labelled/ -t video --hidden";

const AUDIT_EXAMPLES: &str = "\
Examples:
  Which files of an archive are AI content without their labels:
    tanba audit archive/
  The same as JSON and CSV reports:
    tanba audit archive/ --report audit.json --csv audit.csv
  Label exactly the files that need it, as a distributor:
    tanba audit archive/ --fix --out fixed/ --operator \"Media LLP\" --bin 123456789012
Verdicts and evidence: docs/audit.md";

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Label files or whole folders; the output tree mirrors the input.
    #[command(after_long_help = LABEL_EXAMPLES)]
    Label(Box<LabelArgs>),
    /// Report which marks each file carries; exits 1 when a file lacks either.
    #[command(after_long_help = VERIFY_EXAMPLES)]
    Verify(Box<VerifyArgs>),
    /// Label and verify over HTTP: a small service for many generators.
    #[command(after_long_help = SERVE_EXAMPLES)]
    Serve(Box<ServeArgs>),
    /// Find AI content that lacks its labels, whoever marked it.
    ///
    /// Exits 1 when a file is AI-marked and not compliant.
    #[command(after_long_help = AUDIT_EXAMPLES)]
    Audit(Box<AuditArgs>),
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
    /// Print a shell completion script to standard output.
    #[command(after_long_help = "\
Examples:
  tanba completions bash > ~/.local/share/bash-completion/completions/tanba
  tanba completions zsh > ~/.zfunc/_tanba
  tanba completions fish > ~/.config/fish/completions/tanba.fish")]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to standard output.
    #[command(after_long_help = "\
Examples:
  tanba man | man -l -
  tanba man > /usr/local/share/man/man1/tanba.1")]
    Man,
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
    /// Output folder (mirrors the input tree), or file, or `-` for stdout.
    ///
    /// Required unless --in-place. For one input file, `NAME.EXT` (not a
    /// folder, in a folder that exists) is the output file; `-` is standard
    /// output.
    #[arg(long, short, value_name = "DIR", help_heading = OUTPUT)]
    pub(crate) out: Option<PathBuf>,
    /// The format of one file through a pipe (`tanba label - --format md`):
    /// a format name as `tanba formats` lists it, or an extension. Sniffed
    /// from the bytes when left out.
    #[arg(long, value_name = "FORMAT", help_heading = OUTPUT, hide_short_help = true)]
    pub(crate) format: Option<String>,
    /// Replace the originals, each only after its labelled copy verified.
    #[arg(long, conflicts_with = "out", help_heading = OUTPUT)]
    pub(crate) in_place: bool,
    /// With --in-place, keep no NAME.bak copy of the original.
    #[arg(long, requires = "in_place", help_heading = OUTPUT, hide_short_help = true)]
    pub(crate) no_backup: bool,
    /// Write the per-file report as JSON.
    #[arg(long, value_name = "FILE.json", help_heading = OUTPUT)]
    pub(crate) report: Option<PathBuf>,
    /// Write the per-file report as CSV.
    #[arg(long, value_name = "FILE.csv", help_heading = OUTPUT, hide_short_help = true)]
    pub(crate) csv: Option<PathBuf>,
    /// Append one JSON line per labelled file to this compliance log.
    #[arg(long, value_name = "FILE.jsonl", help_heading = OUTPUT, hide_short_help = true)]
    pub(crate) log: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Read settings from a TOML file (flags win over it).
    #[arg(long, value_name = "FILE.toml", help_heading = JOB)]
    pub(crate) config: Option<PathBuf>,
    /// Print what would be done to each input; write nothing.
    ///
    /// One line per input: what would happen (label, already done, skip,
    /// refuse) and why, its output path and its format. No output folder,
    /// report, log or temporary file is written.
    #[arg(long, help_heading = JOB)]
    pub(crate) dry_run: bool,
    /// Label files that already carry a Tanba mark again.
    #[arg(long, help_heading = JOB, hide_short_help = true)]
    pub(crate) force: bool,
    /// Parallel workers (default: the number of cores).
    #[arg(long, short, value_name = "N", help_heading = JOB)]
    pub(crate) jobs: Option<usize>,
    /// Take only shard I of N (by a stable hash of the relative path).
    #[arg(long, value_name = "I/N", help_heading = JOB, hide_short_help = true)]
    pub(crate) shard: Option<String>,
    /// No progress bar and no per-file lines (failures are still printed).
    #[arg(long, short, help_heading = JOB)]
    pub(crate) quiet: bool,
    /// Say more per file: its output path, sizes, time and the check it passed.
    #[arg(long, short, conflicts_with = "quiet", help_heading = JOB, hide_short_help = true)]
    pub(crate) verbose: bool,
    /// When to colour: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_name = "WHEN", default_value = "auto", help_heading = JOB, hide_short_help = true)]
    pub(crate) color: crate::progress::ColorChoice,
    #[command(flatten)]
    pub(crate) walk: WalkArgs,
}

/// The settings of `label`: the four groups `verify` takes too, each in
/// its heading's place, and the labelling-only flags.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct CommonArgs {
    #[command(flatten)]
    pub(crate) lang: LangArgs,
    /// Where a visual label goes.
    #[arg(long, value_parser = position_values(), help_heading = LABEL)]
    pub(crate) position: Option<String>,
    /// The AI system that made the content.
    #[arg(long, value_name = "NAME", help_heading = LABEL)]
    pub(crate) ai_system: Option<String>,
    /// Its version.
    #[arg(long, value_name = "VERSION", help_heading = LABEL, hide_short_help = true)]
    pub(crate) ai_version: Option<String>,
    /// Who operates the AI system.
    #[arg(long, value_name = "NAME", help_heading = LABEL)]
    pub(crate) operator: Option<String>,
    /// The operator's Kazakh BIN (12 digits).
    #[arg(long, value_name = "BIN", help_heading = LABEL, hide_short_help = true)]
    pub(crate) bin: Option<String>,
    /// Sign manifests with this Ed25519 key (PEM, hex or base64).
    #[arg(long, value_name = "KEY", help_heading = LABEL, hide_short_help = true)]
    pub(crate) key: Option<PathBuf>,
    /// Mark the content as real media edited with AI, not generated.
    #[arg(long, help_heading = LABEL, hide_short_help = true)]
    pub(crate) composite: bool,
    /// The real person the content imitates (with --real-person).
    ///
    /// Recorded in the manifest and, where the format has XMP, as IPTC
    /// PersonInImage; never drawn.
    #[arg(long, value_name = "NAME", help_heading = LABEL, hide_short_help = true)]
    pub(crate) person: Option<String>,
    /// Leave out the imperceptible watermark (pictures, video, audio).
    #[arg(long, help_heading = LABEL)]
    pub(crate) no_watermark: bool,
    #[command(flatten)]
    pub(crate) watermark: WatermarkArgs,
    #[command(flatten)]
    pub(crate) encoding: EncodingArgs,
    /// Do not add the AIGC/manifest footer to plain text.
    #[arg(long, help_heading = TEXT, hide_short_help = true)]
    pub(crate) no_text_footer: bool,
    /// Seconds the subtitle notice cue lasts (0.5-60).
    #[arg(long, value_name = "SECONDS", help_heading = TEXT, hide_short_help = true)]
    pub(crate) subtitle_seconds: Option<f64>,
    /// Where the whole manifest of plain text and WebVTT goes.
    ///
    /// The file holds its reference (id and SHA-256); `reference` leaves the
    /// manifest to the compliance log (--log), `sidecar` also writes
    /// NAME.EXT.tanba.json beside the output. SubRip always gets the sidecar
    /// (it has no hidden place).
    #[arg(long, value_name = "WHERE", value_parser = ["reference", "sidecar"], help_heading = TEXT, hide_short_help = true)]
    pub(crate) text_manifest: Option<String>,
    /// JPEG output quality: `source` or 1-100.
    ///
    /// `source` estimates the input's quality from its quantisation tables.
    #[arg(long, value_name = "Q", value_parser = open_values(&["source"]), help_heading = PICTURES)]
    pub(crate) jpeg_quality: Option<String>,
    #[command(flatten)]
    pub(crate) disclaimer: DisclaimerArgs,
    /// Where the disclaimer goes: prepend, overlay, append or repeat:N.
    ///
    /// repeat:N plays it every N minutes (repeat:90s for seconds), the
    /// programme ducked under it each time. start-and-end (the default
    /// with --real-person) plays it before and after the programme.
    #[arg(long, value_name = "MODE", value_parser = open_values(&["prepend", "overlay", "append", "start-and-end"]), help_heading = AUDIO)]
    pub(crate) audio_mode: Option<String>,
    /// Seconds of the opening notice on video (at least 2), or `off`.
    ///
    /// `off` keeps only the corner badge.
    #[arg(long, value_name = "SECONDS", value_parser = open_values(&["off"]), help_heading = VIDEO)]
    pub(crate) video_notice: Option<String>,
    /// No corner badge on video (the opening notice must then stay on).
    #[arg(long, help_heading = VIDEO, hide_short_help = true)]
    pub(crate) no_video_badge: bool,
    /// Video constant rate factor.
    ///
    /// The default depends on the encoder: x264 20, x265 22, VP9 31, AV1 30.
    #[arg(long, value_name = "CRF", help_heading = VIDEO)]
    pub(crate) video_crf: Option<u32>,
    /// Video encoder preset (x264/x265 names; a number for VP9/AV1).
    #[arg(long, value_name = "PRESET", help_heading = VIDEO, hide_short_help = true)]
    pub(crate) video_preset: Option<String>,
    /// Also mix the spoken disclaimer into the video's first audio stream.
    #[arg(long, help_heading = VIDEO, hide_short_help = true)]
    pub(crate) video_audible: bool,
    /// PDF pages to stamp: all, first, or ranges like 1-3,7,10-.
    #[arg(long, value_name = "PAGES", value_parser = open_values(&["all", "first"]), help_heading = PDF)]
    pub(crate) pdf_pages: Option<String>,
    /// PDF edge for the banner (default: from --position).
    #[arg(long, value_name = "EDGE", value_parser = PossibleValuesParser::new(["top", "bottom"]), help_heading = PDF)]
    pub(crate) pdf_edge: Option<String>,
    /// Rewrite PDFs whole instead of appending an incremental update.
    ///
    /// The rewritten file is smaller; an incremental update keeps
    /// signatures and the original revision.
    #[arg(long, help_heading = PDF, hide_short_help = true)]
    pub(crate) pdf_rewrite: bool,
    /// Refuse PDFs encrypted to restrict changes instead of labelling them.
    ///
    /// By default a PDF that opens without a password is labelled and
    /// written back encrypted with the same algorithm, permissions and
    /// owner password. A PDF that needs a password to open is always refused.
    #[arg(long, help_heading = PDF, hide_short_help = true)]
    pub(crate) refuse_encrypted: bool,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// Sign C2PA Content Credentials with this PEM certificate chain.
    ///
    /// The signing certificate comes first; needs --c2pa-key.
    #[arg(long, value_name = "CHAIN.pem", requires = "c2pa_key", help_heading = C2PA, hide_short_help = true)]
    pub(crate) c2pa_cert: Option<PathBuf>,
    /// The private key of the C2PA signing certificate (PEM, ES256 or Ed25519).
    #[arg(long, value_name = "KEY.pem", requires = "c2pa_cert", help_heading = C2PA, hide_short_help = true)]
    pub(crate) c2pa_key: Option<PathBuf>,
    /// The badge's look (see crate::style).
    #[command(flatten)]
    pub(crate) badge: BadgeArgs,
}

const SERVE_EXAMPLES: &str = "\
Examples:
  Serve on loopback (no token needed there):
    tanba serve --listen 127.0.0.1:8080
  Serve to the network behind a TLS proxy, with a token:
    TANBA_SERVE_TOKEN=secret tanba serve --listen 0.0.0.0:8080 --config tanba.toml
  Label a picture through it:
    curl --data-binary @photo.png -o labelled.png 'http://127.0.0.1:8080/v1/label?lang=kk,en'";

/// `tanba serve`: where it listens, who may call it, how much it takes at
/// once; the labelling flags are the defaults each request may change.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address and port to listen on (default 127.0.0.1:8080; port 0 picks one).
    #[arg(long, value_name = "ADDR:PORT", help_heading = SERVICE)]
    pub(crate) listen: Option<String>,
    /// Bearer token every call must bring (also TANBA_SERVE_TOKEN); required
    /// when listening on anything but loopback.
    #[arg(long, value_name = "TOKEN", help_heading = SERVICE)]
    pub(crate) token: Option<String>,
    /// Largest request body, in bytes (default 256 MiB); larger is answered 413.
    #[arg(long, value_name = "BYTES", help_heading = SERVICE)]
    pub(crate) max_body: Option<u64>,
    /// Requests labelled at once (default: the number of cores); more are
    /// answered 503 with Retry-After.
    #[arg(long, value_name = "N", help_heading = SERVICE)]
    pub(crate) concurrency: Option<usize>,
    /// Seconds a request may take, upload included (default 300); then 504.
    #[arg(long, value_name = "SECONDS", help_heading = SERVICE)]
    pub(crate) timeout: Option<u64>,
    /// Folder for the request bodies while they are labelled (default: the
    /// system's temporary folder); nothing stays there after a request.
    #[arg(long, value_name = "DIR", help_heading = SERVICE, hide_short_help = true)]
    pub(crate) temp_dir: Option<PathBuf>,
    /// Read settings from a TOML file: `[serve]` and the labelling defaults
    /// (flags win over it).
    #[arg(long, value_name = "FILE.toml", help_heading = JOB)]
    pub(crate) config: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) common: CommonArgs,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// Files or folders to check (folders are walked as `label` walks them;
    /// `-` is standard input).
    #[arg(required_unless_present = "type_list")]
    pub(crate) inputs: Vec<PathBuf>,
    /// Print one JSON row per file.
    #[arg(long, help_heading = OUTPUT)]
    pub(crate) json: bool,
    /// Write the rows, as --json prints them, to this file.
    #[arg(long, value_name = "FILE.json", help_heading = OUTPUT)]
    pub(crate) report: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) lang: LangArgs,
    #[command(flatten)]
    pub(crate) encoding: EncodingArgs,
    #[command(flatten)]
    pub(crate) disclaimer: DisclaimerArgs,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    #[command(flatten)]
    pub(crate) watermark: WatermarkArgs,
    /// The badge's look, as labelled: verify re-renders the badge with it.
    #[command(flatten)]
    pub(crate) badge: BadgeArgs,
    /// Read settings from a TOML file, as for `label` (limits, text
    /// encoding, the audio clip to look for …).
    #[arg(long, value_name = "FILE.toml", help_heading = JOB)]
    pub(crate) config: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) walk: WalkArgs,
}

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// Files or folders to audit (folders are walked as `label` walks them).
    #[arg(required_unless_present = "type_list")]
    pub(crate) inputs: Vec<PathBuf>,
    /// Print one JSON row per file instead of the table.
    #[arg(long, help_heading = OUTPUT)]
    pub(crate) json: bool,
    /// Write the rows, as --json prints them, to this file.
    #[arg(long, value_name = "FILE.json", help_heading = OUTPUT)]
    pub(crate) report: Option<PathBuf>,
    /// Write one CSV row per file.
    #[arg(long, value_name = "FILE.csv", help_heading = OUTPUT)]
    pub(crate) csv: Option<PathBuf>,
    /// Label the files that need it (AI content lacking part of its
    /// label) into --out, keeping the producer's marks.
    #[arg(long, requires = "out", help_heading = OUTPUT)]
    pub(crate) fix: bool,
    /// The output folder of --fix (mirrors the input tree).
    #[arg(long, short, value_name = "DIR", requires = "fix", help_heading = OUTPUT)]
    pub(crate) out: Option<PathBuf>,
    /// The labelling flags, for --fix (and what verify is told).
    #[command(flatten)]
    pub(crate) common: CommonArgs,
    /// Read settings from a TOML file (flags win over it).
    #[arg(long, value_name = "FILE.toml", help_heading = JOB)]
    pub(crate) config: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) walk: WalkArgs,
}

/// `label` and `verify` both take the flags that change what a file is
/// checked for, in these four small groups: each is flattened under its
/// own heading, so the headings keep one order in both commands' help.
///
/// The label's languages and wording.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct LangArgs {
    /// Label languages, in order (kk-Latn: Kazakh in the 2021 Latin alphabet).
    #[arg(long, value_delimiter = ',', value_name = "LANG,…", value_parser = lang_values(), help_heading = LABEL)]
    pub(crate) lang: Option<Vec<String>>,
    /// Use the short wording ("ЖИ көмегімен жасалған").
    #[arg(long, help_heading = LABEL)]
    pub(crate) short: bool,
    /// Custom label line LANG=TEXT (repeatable); replaces --lang.
    #[arg(long = "label", value_name = "LANG=TEXT", help_heading = LABEL)]
    pub(crate) custom: Vec<String>,
    /// The content imitates a real person (deepfake notice).
    ///
    /// Every medium shows or speaks the deepfake notice instead of the
    /// default one, and the manifest and C2PA record the flag. `verify
    /// --real-person` fails a file not labelled so.
    #[arg(long, help_heading = LABEL, hide_short_help = true)]
    pub(crate) real_person: bool,
    /// A TrueType/OpenType font for pictures, video and PDF.
    ///
    /// Used instead of the embedded Noto Sans Bold, for scripts it lacks
    /// (e.g. Chinese). A label the font cannot draw is refused, naming the
    /// missing characters. `verify` needs the font the label was drawn with.
    #[arg(long, value_name = "FILE", help_heading = LABEL, hide_short_help = true)]
    pub(crate) font: Option<PathBuf>,
}

/// How text that is not UTF-8 is read.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct EncodingArgs {
    /// Encoding of text that is not UTF-8 (e.g. windows-1251).
    #[arg(long, value_name = "ENCODING", help_heading = TEXT, hide_short_help = true)]
    pub(crate) text_encoding: Option<String>,
}

/// What is heard.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct DisclaimerArgs {
    /// What is heard: spoken languages, a tone, or your own clip.
    ///
    /// `spoken` says the label's languages; `tone` plays Morse "AI"; any
    /// other value is the path of your own clip (`verify` looks for it).
    #[arg(long, value_name = "spoken|tone|FILE", value_parser = open_values(&["spoken", "tone"]), help_heading = AUDIO)]
    pub(crate) audio_disclaimer: Option<String>,
}

/// The watermark's key and the manifest store, shared by `label` (which
/// marks with the key and writes the store) and `verify` (which reads
/// with it and recovers manifests from the store).
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct WatermarkArgs {
    /// An operator's private watermark key, 16 hex digits (default: the
    /// public key, which anyone can read).
    #[arg(long, value_name = "HEX", help_heading = LABEL, hide_short_help = true)]
    pub(crate) watermark_key: Option<String>,
    /// Manifest store: label writes DIR/PAYLOAD.json per output; verify
    /// recovers a stripped file's manifest from it by its watermark.
    #[arg(long, value_name = "DIR", help_heading = LABEL, hide_short_help = true)]
    pub(crate) manifest_store: Option<PathBuf>,
}

/// Whose C2PA credentials are trusted.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct TrustArgs {
    /// PEM trust anchors: credentials signed under them verify as trusted.
    #[arg(long, value_name = "CA.pem", help_heading = C2PA, hide_short_help = true)]
    pub(crate) c2pa_trust: Option<PathBuf>,
}

/// The badge flags, shared by `label` and `verify` (verification re-renders
/// the badge, so it must be told the style it was drawn with).
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct BadgeArgs {
    /// Text height in % of the displayed shorter side; at least 5, the
    /// legal floor (default 5).
    #[arg(long, value_name = "PCT", help_heading = BADGE)]
    pub(crate) badge_text_size: Option<f32>,
    /// Box colour (default #101010).
    #[arg(long, value_name = "#RRGGBB", help_heading = BADGE, hide_short_help = true)]
    pub(crate) badge_color: Option<String>,
    /// Text colour (default #FFFFFF).
    #[arg(long, value_name = "#RRGGBB", help_heading = BADGE, hide_short_help = true)]
    pub(crate) badge_text_color: Option<String>,
    /// Box opacity from 0 to 1 (default 0.75). Text over box must keep a
    /// contrast of 4.5:1 over any background, or the style is refused.
    #[arg(long, value_name = "0..1", help_heading = BADGE, hide_short_help = true)]
    pub(crate) badge_opacity: Option<f32>,
    /// Distance from the picture's edges: ems of the text size (`0.5`,
    /// `0.5em`) or pixels (`12px`) (default 0.5em).
    #[arg(long, value_name = "EMS|Npx", help_heading = BADGE, hide_short_help = true)]
    pub(crate) badge_margin: Option<String>,
    /// Corner radius of the box, in ems (default 0.35; 0 is square).
    #[arg(long, value_name = "EMS", help_heading = BADGE, hide_short_help = true)]
    pub(crate) badge_radius: Option<f32>,
    /// Widest the badge may be, in % of the displayed width, before the
    /// text wraps (default 90).
    #[arg(long, value_name = "PCT", help_heading = BADGE, hide_short_help = true)]
    pub(crate) badge_max_width: Option<f32>,
    /// The PDF banner's text size in points; at least 7, the PDF minimum
    /// (default 2.5% of the page's shorter side, at least 7).
    #[arg(long, value_name = "PT", help_heading = BADGE, hide_short_help = true)]
    pub(crate) badge_pdf_text_size: Option<f32>,
}

/// Which files of a folder are taken: the rules fd and ripgrep use.
/// Files named on the command line are always taken.
#[derive(Debug, Args, Default, Clone)]
pub(crate) struct WalkArgs {
    /// Also walk hidden files and folders (names starting with a dot).
    #[arg(long, short = 'H', help_heading = WALKING)]
    pub(crate) hidden: bool,
    /// Do not respect .gitignore, .ignore and .tanbaignore files.
    #[arg(long, short = 'I', help_heading = WALKING)]
    pub(crate) no_ignore: bool,
    /// Only files of this type (repeatable; see --type-list).
    #[arg(long = "type", short = 't', value_name = "TYPE", help_heading = WALKING)]
    pub(crate) types: Vec<String>,
    /// No files of this type (repeatable).
    #[arg(long = "type-not", short = 'T', value_name = "TYPE", help_heading = WALKING, hide_short_help = true)]
    pub(crate) types_not: Vec<String>,
    /// Add a glob to a type, e.g. `text:*.log` (also labels *.log as plain text).
    #[arg(long = "type-add", value_name = "TYPE:GLOB", help_heading = WALKING, hide_short_help = true)]
    pub(crate) type_add: Vec<String>,
    /// List the file types and their globs, then exit.
    #[arg(long, help_heading = WALKING, hide_short_help = true)]
    pub(crate) type_list: bool,
    /// Only paths matching this glob; `!GLOB` leaves them out (repeatable).
    #[arg(long, short = 'g', value_name = "GLOB", help_heading = WALKING)]
    pub(crate) glob: Vec<String>,
    /// Leave out paths matching this glob (repeatable).
    #[arg(long, short = 'E', value_name = "GLOB", help_heading = WALKING, hide_short_help = true)]
    pub(crate) exclude: Vec<String>,
}

/// The language codes a label can be in, as `--lang` lists them (the
/// longer names `Lang` also takes, `kazakh` or `rus`, still pass).
fn lang_values() -> OpenValues {
    OpenValues(tanba::Lang::ALL.iter().map(|l| l.code()).collect())
}

/// The places a visual label can go.
fn position_values() -> PossibleValuesParser {
    PossibleValuesParser::new(tanba::Position::ALL.map(|p| PossibleValue::new(p.name())))
}

/// A flag that takes one of some words or a free value (a number, a
/// path, ranges): the words are shown in help and completed by shells;
/// any value passes here and is checked, with its own message, when the
/// settings are built.
fn open_values(words: &[&'static str]) -> OpenValues {
    OpenValues(words.to_vec())
}

#[derive(Debug, Clone)]
struct OpenValues(Vec<&'static str>);

impl TypedValueParser for OpenValues {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(self.0.iter().map(|w| PossibleValue::new(*w))))
    }
}
