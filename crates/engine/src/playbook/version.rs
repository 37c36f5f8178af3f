//! The template's version: which playbook a customer runs, recorded per run key by apply.
//!
//! Input: the playbook file as read, and the module files it imports. Output: a [`TemplateVersion`]: the SHA-256 of those files' bytes (values files
//! and inventories are not part of it: they are the values, not the template) and, when the
//! playbook is in a git work tree, the HEAD commit and whether tracked files have uncommitted
//! changes. Git is asked as a subprocess, with no prompt and a timeout; when git or the
//! repository is not there, the git fields are absent, never an error.

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one git command may take before its answer is ignored.
const GIT_TIMEOUT: Duration = Duration::from_secs(5);

/// A template's version. Field names are the state's and `state list --format json`'s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateVersion {
    /// SHA-256 (hex) over the playbook file and every file it reads, in a stable order.
    pub template_digest: String,
    /// The HEAD commit of the git work tree the playbook is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_commit: Option<String>,
    /// Whether that work tree has uncommitted changes to tracked files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_dirty: Option<bool>,
}

impl TemplateVersion {
    /// The version of the playbook at `path` built from `sources`: the playbook's text first,
    /// then each module it imports ([`crate::playbook::model::Playbook::sources`]).
    pub fn of_sources(path: &Path, sources: &[crate::diag::source::SourceFile]) -> TemplateVersion {
        let files: Vec<(&Path, &[u8])> = sources
            .iter()
            .map(|f| (Path::new(f.name()), f.text().as_bytes()))
            .collect();
        TemplateVersion {
            template_digest: digest(&files),
            ..Self::of(path, "")
        }
    }

    /// The version of the playbook at `path` whose bytes were read as `text`.
    pub fn of(path: &Path, text: &str) -> TemplateVersion {
        let (template_commit, template_dirty) = match git(path) {
            Some((commit, dirty)) => (Some(commit), dirty),
            None => (None, None),
        };
        TemplateVersion {
            template_digest: digest(&[(path, text.as_bytes())]),
            template_commit,
            template_dirty,
        }
    }

    /// Short, for text: the commit's first 7 hex digits (`(dirty)` when it is), else the
    /// digest's first 12.
    pub fn short(&self) -> String {
        match &self.template_commit {
            Some(c) => {
                let dirty = if self.template_dirty == Some(true) {
                    " (dirty)"
                } else {
                    ""
                };
                format!("{}{dirty}", &c[..c.len().min(7)])
            }
            None => format!("sha256:{}", self.short_digest()),
        }
    }

    /// The digest's first 12 hex digits.
    pub fn short_digest(&self) -> &str {
        &self.template_digest[..self.template_digest.len().min(12)]
    }

    /// Same template: the digest decides (a commit without a content change is the same
    /// template; a dirty tree's edit is not).
    pub fn same_template(&self, other: &TemplateVersion) -> bool {
        self.template_digest == other.template_digest
    }
}

/// SHA-256 over files, each as its length, its bytes: the playbook first, then what it reads,
/// in the order given (stable: the playbook's own order). The names are not part of it, so a
/// moved playbook is the same template.
pub fn digest(files: &[(&Path, &[u8])]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (_, bytes) in files {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// `(HEAD, dirty)` of the work tree that holds `path`, or None (no git, no repository, no
/// commit yet, or no answer in time). `dirty` is None when only that question failed.
fn git(path: &Path) -> Option<(String, Option<bool>)> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (code, head) = run(dir, &["rev-parse", "--verify", "--quiet", "HEAD"])?;
    let head = head.trim();
    if code != 0 || head.len() < 7 || !head.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    // Exit 0: tracked files are as committed; 1: they differ (untracked files do not count).
    let dirty = match run(dir, &["diff", "--quiet", "HEAD", "--"]) {
        Some((0, _)) => Some(false),
        Some((1, _)) => Some(true),
        _ => None,
    };
    Some((head.to_owned(), dirty))
}

/// `git -C dir ARGS`'s exit code and its first line of output, when it exits within
/// [`GIT_TIMEOUT`]; never prompts. The output asked for is one short line (a commit id), or
/// nothing (`--quiet`), so it never fills the pipe.
fn run(dir: &Path, args: &[&str]) -> Option<(i32, String)> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let start = Instant::now();
    let code = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.code()?,
            Err(_) => return None,
            Ok(None) if start.elapsed() > GIT_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let mut out = String::new();
    use std::io::Read;
    child.stdout.take()?.read_to_string(&mut out).ok()?;
    Some((code, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_the_bytes_not_the_name() {
        let a = digest(&[(Path::new("a.yaml"), b"x")]);
        assert_eq!(a, digest(&[(Path::new("b/a.yaml"), b"x")]));
        assert_ne!(a, digest(&[(Path::new("a.yaml"), b"y")]));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn outside_a_repository_there_is_no_commit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p.yaml");
        std::fs::write(&path, "x").expect("write");
        let v = TemplateVersion::of(&path, "x");
        assert_eq!(v.template_commit, None);
        assert_eq!(v.template_dirty, None);
        assert_eq!(v.short(), format!("sha256:{}", &v.template_digest[..12]));
    }
}
