//! `apply --outputs FILE`: the one place a secret is kept.
//!
//! [`OutputsFile::open`] reads what the file already holds (absent or empty: nothing; anything
//! but a JSON object is refused before the run writes anything). [`OutputsFile::write`] merges
//! one run's values into it and writes the whole file again with
//! [`crate::store::private::write_private`] (mode 0600, temp file, fsync, rename), so the file is
//! always whole. Merging is by name: an output this run has a value for replaces the one in the
//! file, every other entry (other customers, outputs not written this run) stays. With an
//! inventory the file is `{run_key: {output: value}}` (run keys sorted), else
//! `{output: value}`; a run's outputs come in the playbook's order, then any others the file
//! held. The runs of one apply share one `OutputsFile`; its lock makes their writes one after
//! the other.

use serde_json::{Map, Value as Json};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::store::private::{FileError, check_target, write_private};

/// The outputs file could not be read, locked or written, or is not one.
#[derive(Debug, thiserror::Error)]
pub enum OutputsError {
    /// A symlink, a device, or a path that could not be checked.
    #[error(transparent)]
    Target(#[from] FileError),
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file that holds something other than a JSON object: not overwritten.
    #[error(
        "{} is not an outputs file (a JSON object), so onboard will not overwrite it; give \
         another path, or move it away",
        .0.display()
    )]
    NotOutputs(PathBuf),
    #[error(transparent)]
    Encode(#[from] serde_json::Error),
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> OutputsError {
    let path = path.to_owned();
    move |source| OutputsError::Io {
        action,
        path,
        source,
    }
}

/// The outputs file of one apply.
#[derive(Debug)]
pub struct OutputsFile {
    path: PathBuf,
    /// `{run_key: {...}}` (an inventory) rather than `{...}`.
    per_run: bool,
    doc: Mutex<Map<String, Json>>,
}

impl OutputsFile {
    /// Read the file as it is now; `per_run` for an inventory. Refuses a symlink, a device,
    /// or a file that is not a JSON object (a file of something else is not overwritten).
    pub fn open(path: &Path, per_run: bool) -> Result<Self, OutputsError> {
        check_target(path)?;
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io("read", path)(e)),
        };
        let doc = parse(path, &text)?;
        Ok(Self {
            path: path.to_owned(),
            per_run,
            doc: Mutex::new(doc),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file holds a value for every one of `names` of this run.
    pub fn has_all(&self, run_key: &str, names: &[String]) -> bool {
        let doc = self.lock();
        let outputs = match self.per_run {
            true => doc.get(run_key).and_then(Json::as_object),
            false => Some(&*doc),
        };
        outputs.is_some_and(|o| names.iter().all(|n| o.get(n).is_some_and(|v| !v.is_null())))
    }

    /// Merge `values` into this run's outputs and write the file. `order`: the playbook's
    /// outputs, in order.
    pub fn write(
        &self,
        run_key: &str,
        values: &[(String, Json)],
        order: &[&str],
    ) -> Result<(), OutputsError> {
        let mut doc = self.lock();
        // Another apply may share the file (a CI matrix of customers): under an OS lock, what
        // the file holds now is the base, so neither run's values overwrite the other's.
        let _shared = lock_beside(&self.path)?;
        if let Some(now) = read_doc(&self.path)? {
            *doc = now;
        }
        let old = match self.per_run {
            true => match doc.remove(run_key) {
                Some(Json::Object(old)) => old,
                _ => Map::new(),
            },
            false => std::mem::take(&mut *doc),
        };
        let merged = merge(old, values, order);
        match self.per_run {
            true => {
                doc.insert(run_key.to_owned(), Json::Object(merged));
                let mut runs: Vec<(String, Json)> = std::mem::take(&mut *doc).into_iter().collect();
                runs.sort_by(|a, b| a.0.cmp(&b.0));
                doc.extend(runs);
            }
            false => *doc = merged,
        }
        let mut text = serde_json::to_string_pretty(&*doc)?;
        text.push('\n');
        write_private(&self.path, text.as_bytes()).map_err(io("write", &self.path))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Map<String, Json>> {
        self.doc
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The file's object; empty text is an empty object, anything else is refused.
fn parse(path: &Path, text: &str) -> Result<Map<String, Json>, OutputsError> {
    match text.trim() {
        "" => Ok(Map::new()),
        text => match serde_json::from_str(text) {
            Ok(Json::Object(doc)) => Ok(doc),
            _ => Err(OutputsError::NotOutputs(path.to_owned())),
        },
    }
}

/// What the file holds now (none: it is not there).
fn read_doc(path: &Path) -> Result<Option<Map<String, Json>>, OutputsError> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(path, &text).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io("read", path)(e)),
    }
}

/// An exclusive OS lock on `FILE.lock` beside `path` (mode 0600, never through a link),
/// released when the answer is dropped.
fn lock_beside(path: &Path) -> Result<std::fs::File, OutputsError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".lock");
    let lock = path.with_file_name(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&lock)
        .map_err(io("open", &lock))?;
    file.lock().map_err(io("lock", &lock))?;
    Ok(file)
}

/// `old` with `values` replacing or adding entries: the names of `order` first, in that order,
/// then whatever else `old` held.
fn merge(
    mut old: Map<String, Json>,
    values: &[(String, Json)],
    order: &[&str],
) -> Map<String, Json> {
    let mut merged = Map::new();
    for name in order {
        let new = values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone());
        if let Some(v) = new.or_else(|| old.remove(*name)) {
            merged.insert((*name).to_owned(), v);
        }
    }
    for (name, value) in values {
        merged.entry(name.clone()).or_insert_with(|| value.clone());
    }
    for (name, value) in old {
        merged.entry(name).or_insert(value);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(path: &Path) -> Json {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn two_applies_sharing_the_file_keep_each_others_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        // Two processes open the file before either writes (a CI matrix of customers).
        let acme = OutputsFile::open(&path, true).unwrap();
        let globex = OutputsFile::open(&path, true).unwrap();
        acme.write("acme", &[("key".into(), json!("A-KEY"))], &["key"])
            .unwrap();
        globex
            .write("globex", &[("key".into(), json!("G-KEY"))], &["key"])
            .unwrap();
        acme.write("acme", &[("id".into(), json!("a1"))], &["key", "id"])
            .unwrap();
        assert_eq!(
            read(&path),
            json!({"acme": {"key": "A-KEY", "id": "a1"}, "globex": {"key": "G-KEY"}})
        );
    }

    #[test]
    fn a_write_keeps_what_it_does_not_replace() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        std::fs::write(&path, r#"{"old": "kept", "key": "K1"}"#).unwrap();
        let f = OutputsFile::open(&path, false).unwrap();
        assert!(f.has_all("x", &["key".into(), "old".into()]));
        f.write("x", &[("id".into(), json!("g1"))], &["id", "key"])
            .unwrap();
        assert_eq!(read(&path), json!({"id": "g1", "key": "K1", "old": "kept"}));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.find("\"id\"") < text.find("\"key\""),
            "the playbook's order: {text}"
        );
        assert!(
            text.find("\"key\"") < text.find("\"old\""),
            "then the rest: {text}"
        );
        f.write("x", &[("key".into(), json!("K2"))], &["id", "key"])
            .unwrap();
        assert_eq!(read(&path)["key"], "K2");
        assert_eq!(read(&path)["id"], "g1");
    }

    #[test]
    fn an_inventory_file_is_merged_per_run_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        std::fs::write(&path, r#"{"acme": {"key": "A"}, "globex": {"key": "G"}}"#).unwrap();
        let f = OutputsFile::open(&path, true).unwrap();
        f.write("initech", &[("key".into(), json!("I"))], &["key"])
            .unwrap();
        f.write("globex", &[("id".into(), json!("t"))], &["key", "id"])
            .unwrap();
        assert_eq!(
            read(&path),
            json!({"acme": {"key": "A"}, "globex": {"key": "G", "id": "t"}, "initech": {"key": "I"}})
        );
        assert!(f.has_all("globex", &["key".into()]));
        assert!(!f.has_all("acme", &["id".into()]));
        let text = std::fs::read_to_string(&path).unwrap();
        let at = |k: &str| text.find(&format!("\"{k}\": {{")).unwrap();
        assert!(
            at("acme") < at("globex") && at("globex") < at("initech"),
            "{text}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_json_object_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.json");
        for text in ["my notes", "[1, 2]"] {
            std::fs::write(&path, text).unwrap();
            let e = OutputsFile::open(&path, false).unwrap_err().to_string();
            assert!(e.contains("not an outputs file"), "{e}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        }
        std::fs::write(&path, "\n").unwrap();
        assert!(
            OutputsFile::open(&path, false).is_ok(),
            "an empty file is empty"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private_even_when_it_was_not() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        std::fs::write(&path, "{}").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        OutputsFile::open(&path, false)
            .unwrap()
            .write("x", &[], &[])
            .unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
