//! The data file: the world as JSON (the stored form, with PATs only as SHA-256 hashes and
//! setup keys only masked), loaded at start when it exists and saved after every write,
//! atomically (a temporary file beside it, then a rename). Concurrent saves are ordered by a
//! version number so an older snapshot never overwrites a newer one.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::model::World;
use crate::error::SandboxError;

/// One serialized state of the world.
#[derive(Debug)]
pub struct Snapshot {
    version: u64,
    bytes: Vec<u8>,
}

/// The data file and its save ordering.
#[derive(Debug)]
pub struct Persist {
    path: PathBuf,
    version: AtomicU64,
    saved: tokio::sync::Mutex<u64>,
}

impl Persist {
    /// Saves to `path`.
    pub fn new(path: PathBuf) -> Persist {
        Persist {
            path,
            version: AtomicU64::new(0),
            saved: tokio::sync::Mutex::new(0),
        }
    }

    /// Serializes the world (call under the world lock).
    pub fn snapshot(&self, world: &World) -> Result<Snapshot, serde_json::Error> {
        let bytes = serde_json::to_vec_pretty(world)?;
        let version = self.version.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(Snapshot { version, bytes })
    }

    /// Writes a snapshot unless a newer one was written already.
    pub async fn save(&self, snapshot: Snapshot) -> Result<(), SandboxError> {
        let mut saved = self.saved.lock().await;
        if snapshot.version <= *saved {
            return Ok(());
        }
        let tmp = temp_path(&self.path);
        let write_err = |source| SandboxError::WriteData {
            path: self.path.clone(),
            source,
        };
        tokio::fs::write(&tmp, &snapshot.bytes)
            .await
            .map_err(write_err)?;
        tokio::fs::rename(&tmp, &self.path)
            .await
            .map_err(write_err)?;
        *saved = snapshot.version;
        Ok(())
    }
}

/// Loads the world from `path`, or `None` when the file does not exist.
pub fn load(path: &Path) -> Result<Option<World>, SandboxError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(SandboxError::ReadData {
                path: path.to_owned(),
                source,
            });
        }
    };
    let mut world: World =
        serde_json::from_slice(&bytes).map_err(|source| SandboxError::ParseData {
            path: path.to_owned(),
            source,
        })?;
    world.reindex();
    Ok(Some(world))
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sandbox.json".to_owned());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}
