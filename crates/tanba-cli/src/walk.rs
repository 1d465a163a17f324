//! Finding the files of a bulk job: walking the inputs without leaving
//! them, mapping each to its place in the output tree, and sharding.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// One file to label.
#[derive(Debug, Clone)]
pub struct Task {
    /// Where to read it.
    pub input: PathBuf,
    /// Its path relative to the output root, `/`-separated, never escaping it.
    pub relative: String,
}

/// A file that is not labelled, with the reason.
#[derive(Debug, Clone)]
pub struct Refused {
    /// The file.
    pub input: PathBuf,
    /// Why.
    pub reason: String,
    /// Left alone on purpose (reported as skipped), not an error.
    pub skipped: bool,
}

/// The files found, and those refused while walking.
#[derive(Debug, Default)]
pub struct Found {
    /// To label.
    pub tasks: Vec<Task>,
    /// Not to label (links out of the tree, unreadable entries …).
    pub refused: Vec<Refused>,
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
}

fn own_artefact(path: &Path) -> Option<Artefact> {
    let name = path.file_name()?.to_str()?;
    if name.starts_with(".tanba-") && name.ends_with(".partial")
        || name.starts_with('.') && name.contains(".tanba-new")
    {
        return Some(Artefact::Temporary);
    }
    let original = path.with_file_name(name.strip_suffix(".bak")?);
    original.is_file().then_some(Artefact::Backup(original))
}

/// Walks the inputs. One folder is mirrored as it is; several are each
/// mirrored under their own name; a file keeps its name. Symbolic links are
/// followed only when they point inside the input tree they are in.
pub fn walk(inputs: &[PathBuf]) -> Found {
    let mut found = Found::default();
    let several = inputs.len() > 1;
    for input in inputs {
        let meta = match std::fs::metadata(input) {
            Ok(m) => m,
            Err(e) => {
                found.refused.push(Refused {
                    input: input.clone(),
                    reason: e.to_string(),
                    skipped: false,
                });
                continue;
            }
        };
        if meta.is_file() {
            match input.file_name().and_then(|n| safe_relative(Path::new(n))) {
                Some(relative) => found.tasks.push(Task {
                    input: input.clone(),
                    relative,
                }),
                None => found.refused.push(Refused {
                    input: input.clone(),
                    reason: "file name is not valid UTF-8".into(),
                    skipped: false,
                }),
            }
            continue;
        }
        let root = match input.canonicalize() {
            Ok(r) => r,
            Err(e) => {
                found.refused.push(Refused {
                    input: input.clone(),
                    reason: e.to_string(),
                    skipped: false,
                });
                continue;
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
        let mut entries: Vec<_> = walkdir::WalkDir::new(input)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .collect();
        for entry in entries.drain(..) {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let path = e
                        .path()
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| input.clone());
                    found.refused.push(Refused {
                        input: path,
                        reason: e.to_string(),
                        skipped: false,
                    });
                    continue;
                }
            };
            let path = entry.path();
            let file_type = entry.file_type();
            if file_type.is_dir() {
                continue;
            }
            if file_type.is_symlink() {
                match path.canonicalize() {
                    Ok(target) if target.starts_with(&root) && target.is_file() => {}
                    Ok(target) if target.starts_with(&root) => continue,
                    Ok(_) | Err(_) => {
                        found.refused.push(Refused {
                            input: path.to_path_buf(),
                            reason: "symbolic link points outside the input tree (not followed)"
                                .into(),
                            skipped: true,
                        });
                        continue;
                    }
                }
            } else if !file_type.is_file() {
                continue;
            }
            match own_artefact(path) {
                Some(Artefact::Temporary) => continue,
                Some(Artefact::Backup(of)) => {
                    found.refused.push(Refused {
                        input: path.to_path_buf(),
                        reason: format!(
                            "backup of {} kept by an --in-place run (not labelled)",
                            of.display()
                        ),
                        skipped: true,
                    });
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
                }),
                None => found.refused.push(Refused {
                    input: path.to_path_buf(),
                    reason: "path is not valid UTF-8 or not relative".into(),
                    skipped: false,
                }),
            }
        }
    }
    // Two inputs mapping to one output would overwrite each other.
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    let mut unique = Vec::with_capacity(found.tasks.len());
    for task in found.tasks.drain(..) {
        if let Some(first) = seen.get(&task.relative) {
            found.refused.push(Refused {
                input: task.input.clone(),
                reason: format!("maps to the same output as {}", first.display()),
                skipped: false,
            });
        } else {
            seen.insert(task.relative.clone(), task.input.clone());
            unique.push(task);
        }
    }
    found.tasks = unique;
    found
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
}
