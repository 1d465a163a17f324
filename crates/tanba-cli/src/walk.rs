//! Finding the files of a bulk job, by the rules fd and ripgrep users
//! know (through the `ignore` crate): hidden files and folders are left
//! out unless `--hidden`; `.gitignore`, `.ignore` and `.tanbaignore` are
//! respected unless `--no-ignore`; `--type`, `--glob` and `--exclude`
//! filter. Files named on the command line are always taken. Special
//! files (FIFOs, sockets, devices) are never opened. Each file gets its
//! place in the output tree; `--shard` splits a job.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use ignore::WalkBuilder;
use ignore::overrides::OverrideBuilder;
use ignore::types::{Types, TypesBuilder};
use tanba::atomic;

use crate::args::WalkArgs;

/// One file to label.
#[derive(Debug, Clone)]
pub struct Task {
    /// Where to read it.
    pub input: PathBuf,
    /// Its path relative to the output root, `/`-separated, never escaping it.
    pub relative: String,
    /// Named on the command line (not found in a folder).
    pub named: bool,
}

/// A file that is not labelled, with the reason.
#[derive(Debug, Clone)]
pub struct Refused {
    /// The file.
    pub input: PathBuf,
    /// Why.
    pub reason: String,
    /// Left alone on purpose (reported as skipped), not an error. A file
    /// named on the command line is never merely skipped: the user asked
    /// for it.
    pub skipped: bool,
}

/// The files found, and those refused while walking.
#[derive(Debug, Default)]
pub struct Found {
    /// To label.
    pub tasks: Vec<Task>,
    /// Not to label (special files, links out of the tree …).
    pub refused: Vec<Refused>,
}

impl Refused {
    /// A file that could not be read: a failure, wherever it was found.
    pub fn fail(input: PathBuf, reason: impl Into<String>) -> Refused {
        Refused {
            input,
            reason: reason.into(),
            skipped: false,
        }
    }

    /// A file left alone on purpose: skipped when found in a folder, a
    /// failure when named on the command line (the user asked for it).
    pub fn skip(input: PathBuf, reason: impl Into<String>, named: bool) -> Refused {
        let reason = reason.into();
        if named {
            Refused::fail(
                input,
                format!("not labelled: {reason} (named on the command line)"),
            )
        } else {
            Refused {
                input,
                reason,
                skipped: true,
            }
        }
    }
}

impl Found {
    /// See [`Refused::fail`].
    pub fn fail(&mut self, input: PathBuf, reason: impl Into<String>) {
        self.refused.push(Refused::fail(input, reason));
    }

    /// See [`Refused::skip`].
    pub fn refuse(&mut self, input: PathBuf, reason: impl Into<String>, named: bool) {
        self.refused.push(Refused::skip(input, reason, named));
    }
}

/// Joins only normal components: a relative path can never climb out of
/// the folder it is joined to, whatever the file names contain.
fn safe_relative(path: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str()?.to_string()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Files Tanba itself leaves in a tree.
enum Artefact {
    /// A temporary file of a run in progress (or killed).
    Temporary,
    /// `NAME.bak` beside `NAME`: the original an `--in-place` run kept.
    Backup(PathBuf),
    /// `NAME.tanba.json` beside `NAME`: its manifest sidecar.
    ManifestSidecar(PathBuf),
}

fn own_artefact(path: &Path) -> Option<Artefact> {
    let name = path.file_name()?.to_str()?;
    if atomic::is_temporary(name) || name.starts_with('.') && name.contains(".tanba-new") {
        return Some(Artefact::Temporary);
    }
    if let Some(labelled) = name.strip_suffix(tanba::text::SIDECAR_SUFFIX) {
        // The sidecar staged beside a temporary output is temporary too.
        if atomic::is_temporary(labelled) {
            return Some(Artefact::Temporary);
        }
        let labelled = path.with_file_name(labelled);
        return labelled
            .is_file()
            .then_some(Artefact::ManifestSidecar(labelled));
    }
    let original = path.with_file_name(name.strip_suffix(".bak")?);
    original.is_file().then_some(Artefact::Backup(original))
}

/// What a path that is neither a file nor a folder is, for a reason.
fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    let _ = meta;
    "not a regular file"
}

/// The file types `--type` knows: one per format, one per labeler family,
/// and `subtitle`, from the formats the build supports, plus `--type-add`.
pub fn type_globs(
    formats: &[(&'static str, &'static tanba::Format)],
    added: &[String],
) -> Result<BTreeMap<String, Vec<String>>, String> {
    let mut types: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (family, format) in formats {
        let globs: Vec<String> = format.extensions.iter().map(|e| format!("*.{e}")).collect();
        let mut names = vec![format.name, *family];
        if matches!(format.name, "srt" | "vtt") {
            names.push("subtitle");
        }
        // The `text` family also holds Markdown, HTML and subtitles; the
        // type `text` is plain text only, the format of that name.
        names.retain(|n| *n != "text" || format.name == "text");
        for name in names {
            let entry = types.entry(name.to_string()).or_default();
            for g in &globs {
                if !entry.contains(g) {
                    entry.push(g.clone());
                }
            }
        }
    }
    for def in added {
        let (name, glob) = def
            .split_once(':')
            .filter(|(n, g)| !n.is_empty() && !g.is_empty())
            .ok_or_else(|| format!("--type-add {def:?}: use TYPE:GLOB"))?;
        types
            .entry(name.to_string())
            .or_default()
            .push(glob.to_string());
    }
    Ok(types)
}

/// The `--type` / `--type-not` matcher, when either is given.
fn type_matcher(args: &WalkArgs, globs: &BTreeMap<String, Vec<String>>) -> Result<Types, String> {
    let mut builder = TypesBuilder::new();
    for (name, list) in globs {
        for glob in list {
            builder
                .add(name, glob)
                .map_err(|e| format!("type {name}: {e}"))?;
        }
    }
    for name in args.types.iter().chain(&args.types_not) {
        if !globs.contains_key(name) {
            return Err(format!(
                "unknown file type {name:?} (see tanba label --type-list)"
            ));
        }
    }
    for name in &args.types {
        builder.select(name);
    }
    for name in &args.types_not {
        builder.negate(name);
    }
    builder.build().map_err(|e| e.to_string())
}

/// The walking rules of one job, checked before anything is read.
#[derive(Debug)]
pub struct Rules {
    args: WalkArgs,
    types: Types,
    /// Never entered: the output folder.
    avoid: Option<PathBuf>,
}

impl Rules {
    /// Checks the flags. `avoid` is a folder the walk must never enter.
    pub fn new(
        args: &WalkArgs,
        globs: &BTreeMap<String, Vec<String>>,
        avoid: Option<PathBuf>,
    ) -> Result<Rules, String> {
        Ok(Rules {
            args: args.clone(),
            types: type_matcher(args, globs)?,
            avoid,
        })
    }

    /// The walker of one input folder.
    fn walker(&self, root: &Path) -> Result<ignore::Walk, String> {
        let mut overrides = OverrideBuilder::new(root);
        for glob in &self.args.glob {
            overrides
                .add(glob)
                .map_err(|e| format!("--glob {glob:?}: {e}"))?;
        }
        for glob in &self.args.exclude {
            overrides
                .add(&format!("!{glob}"))
                .map_err(|e| format!("--exclude {glob:?}: {e}"))?;
        }
        let overrides = overrides.build().map_err(|e| e.to_string())?;
        let respect = !self.args.no_ignore;
        let mut builder = WalkBuilder::new(root);
        builder
            .hidden(!self.args.hidden)
            .ignore(respect)
            .git_ignore(respect)
            .git_exclude(respect)
            .git_global(respect)
            .parents(respect)
            // An archive copied out of a repository keeps its .gitignore.
            .require_git(false)
            .follow_links(false)
            .sort_by_file_name(|a, b| a.cmp(b))
            .overrides(overrides)
            .types(self.types.clone());
        if respect {
            builder.add_custom_ignore_filename(".tanbaignore");
        }
        if let Some(avoid) = self.avoid.clone() {
            builder.filter_entry(move |e| {
                e.path()
                    .canonicalize()
                    .map_or(true, |p| p != avoid.as_path())
            });
        }
        Ok(builder.build())
    }
}

/// `--type-list`: every type `--type` knows, with its globs.
pub fn print_type_list(
    registry: &tanba::Registry,
    args: &WalkArgs,
) -> tanba::Result<std::process::ExitCode> {
    let types = type_globs(&registry.formats(), &args.type_add).map_err(tanba::Error::config)?;
    for (name, globs) in types {
        outln!("{name}: {}", globs.join(", "));
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// Inputs that do not exist are a usage error, found before any work:
/// each is named on standard error. Returns whether all exist. (A path
/// that exists but cannot be read is the walk's to report, per file.)
pub fn all_exist(inputs: &[PathBuf]) -> bool {
    let mut all = true;
    // `-` is standard input (`tanba label - -o -`, `tanba verify -`).
    for input in inputs.iter().filter(|i| i.as_os_str() != "-") {
        if let Err(e) = std::fs::metadata(input)
            && e.kind() == std::io::ErrorKind::NotFound
        {
            errln!("tanba: {}: no such file or folder", input.display());
            all = false;
        }
    }
    if !all {
        errln!("tanba: nothing was done");
    }
    all
}

/// Walks the inputs. One folder is mirrored as it is; several are each
/// mirrored under their own name; a file keeps its name. Symbolic links are
/// followed only when they point to a file inside the input tree they are in.
pub fn walk(inputs: &[PathBuf], rules: &Rules) -> Result<Found, String> {
    let mut found = Found::default();
    let several = inputs.len() > 1;
    for input in inputs {
        let meta = match std::fs::metadata(input) {
            Ok(m) => m,
            Err(e) => {
                found.fail(input.clone(), e.to_string());
                continue;
            }
        };
        if meta.is_file() {
            match input.file_name().and_then(|n| safe_relative(Path::new(n))) {
                Some(relative) => found.tasks.push(Task {
                    input: input.clone(),
                    relative,
                    named: true,
                }),
                None => found.refuse(input.clone(), "file name is not valid UTF-8", true),
            }
        } else if meta.is_dir() {
            walk_folder(input, several, rules, &mut found)?;
        } else {
            let kind = special_kind(&meta);
            found.refuse(input.clone(), format!("{kind}: never opened"), true);
        }
    }
    Ok(found)
}

/// Walks one input folder into `found`.
fn walk_folder(
    input: &Path,
    several: bool,
    rules: &Rules,
    found: &mut Found,
) -> Result<(), String> {
    let root = match input.canonicalize() {
        Ok(r) => r,
        Err(e) => {
            found.fail(input.to_path_buf(), e.to_string());
            return Ok(());
        }
    };
    let prefix = if several {
        root.file_name()
            .and_then(|n| n.to_str())
            .map(|n| format!("{n}/"))
            .unwrap_or_default()
    } else {
        String::new()
    };
    for entry in rules.walker(input)? {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                found.fail(input.to_path_buf(), e.to_string());
                continue;
            }
        };
        let path = entry.path();
        let Some(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            continue;
        }
        if file_type.is_symlink() {
            match path.canonicalize() {
                Ok(target) if target.starts_with(&root) && target.is_file() => {}
                // A link to a folder of the tree: its files are walked there.
                Ok(target) if target.starts_with(&root) && target.is_dir() => continue,
                Ok(target) if target.starts_with(&root) => {
                    found.refuse(
                        path.to_path_buf(),
                        "symbolic link to a special file: never opened",
                        false,
                    );
                    continue;
                }
                Ok(_) => {
                    found.refuse(
                        path.to_path_buf(),
                        "symbolic link points outside the input tree (not followed)",
                        false,
                    );
                    continue;
                }
                Err(e) => {
                    found.refuse(
                        path.to_path_buf(),
                        format!("symbolic link cannot be followed: {e}"),
                        false,
                    );
                    continue;
                }
            }
        } else if !file_type.is_file() {
            let kind = entry
                .metadata()
                .map_or("not a regular file", |m| special_kind(&m));
            found.refuse(path.to_path_buf(), format!("{kind}: never opened"), false);
            continue;
        }
        match own_artefact(path) {
            Some(Artefact::Temporary) => continue,
            Some(Artefact::Backup(of)) => {
                let reason = format!(
                    "backup of {} kept by an --in-place run (not labelled)",
                    of.display()
                );
                found.refuse(path.to_path_buf(), reason, false);
                continue;
            }
            Some(Artefact::ManifestSidecar(of)) => {
                let reason = format!("manifest sidecar of {} (not labelled)", of.display());
                found.refuse(path.to_path_buf(), reason, false);
                continue;
            }
            None => {}
        }
        let Ok(rel) = path.strip_prefix(input) else {
            continue;
        };
        match safe_relative(rel) {
            Some(relative) => found.tasks.push(Task {
                input: path.to_path_buf(),
                relative: format!("{prefix}{relative}"),
                named: false,
            }),
            None => found.refuse(
                path.to_path_buf(),
                "path is not valid UTF-8 or not relative",
                false,
            ),
        }
    }
    Ok(())
}

/// A shard `I/N` of a job: files whose stable hash of the relative path is
/// `I` modulo `N`. The hash (FNV-1a, 64 bit) is fixed, so every machine of
/// an indexed job agrees on the split without talking to the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, `0..count`.
    pub index: u64,
    /// How many shards.
    pub count: u64,
}

impl Shard {
    /// Parses `I/N`.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("shard {s:?} is not I/N"))?;
        let index: u64 = i
            .trim()
            .parse()
            .map_err(|_| format!("shard index {i:?} is not a number"))?;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("shard count {n:?} is not a number"))?;
        if count == 0 || index >= count {
            return Err(format!("shard {index}/{count}: need 0 <= I < N"));
        }
        Ok(Shard { index, count })
    }

    /// Whether this shard takes the file.
    pub fn takes(&self, relative: &str) -> bool {
        fnv1a(relative.as_bytes()) % self.count == self.index
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn shards_cover_every_file_exactly_once() {
        let files: Vec<String> = (0..5000)
            .map(|i| format!("dir{}/file-{i}.jpg", i % 17))
            .collect();
        for count in [1, 2, 3, 7, 16] {
            let mut taken = HashSet::new();
            let mut sizes = Vec::new();
            for index in 0..count {
                let shard = Shard { index, count };
                let mine: Vec<&String> = files.iter().filter(|f| shard.takes(f)).collect();
                sizes.push(mine.len());
                for f in mine {
                    assert!(taken.insert(f.clone()), "{f} in two shards");
                }
            }
            assert_eq!(taken.len(), files.len());
            // Balanced within 20 % of the mean for these sizes.
            let mean = files.len() / count as usize;
            assert!(
                sizes.iter().all(|&s| s.abs_diff(mean) * 5 <= mean),
                "{sizes:?}"
            );
        }
    }

    #[test]
    fn shard_parsing() {
        assert_eq!(Shard::parse("2/5"), Ok(Shard { index: 2, count: 5 }));
        assert!(Shard::parse("5/5").is_err());
        assert!(Shard::parse("1/0").is_err());
        assert!(Shard::parse("x").is_err());
    }

    #[test]
    fn relative_paths_cannot_escape() {
        assert_eq!(
            safe_relative(Path::new("a/./b.txt")).as_deref(),
            Some("a/b.txt")
        );
        assert!(safe_relative(Path::new("../b.txt")).is_none());
        assert!(safe_relative(Path::new("/etc/passwd")).is_none());
    }

    #[test]
    fn type_added_globs_join_their_type() {
        static TXT: tanba::Format = tanba::Format {
            name: "text",
            mime: "text/plain",
            extensions: &["txt", "text"],
        };
        static MD: tanba::Format = tanba::Format {
            name: "markdown",
            mime: "text/markdown",
            extensions: &["md"],
        };
        let types = type_globs(&[("text", &TXT), ("text", &MD)], &["text:*.log".into()]).unwrap();
        assert_eq!(types["text"], ["*.txt", "*.text", "*.log"]);
        assert_eq!(types["markdown"], ["*.md"]);
        assert!(type_globs(&[], &["nocolon".into()]).is_err());
    }
}
