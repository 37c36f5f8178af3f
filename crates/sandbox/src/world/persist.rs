//! The data file: the world as JSON (the stored form, with PATs only as SHA-256 hashes and
//! setup keys only masked), loaded at start when it exists and saved after every write,
//! privately and atomically ([`write_private`]: a temp file with a random name beside it,
//! created exclusively with mode 0600, fsynced, renamed over the file). A symlink at the data
//! file's path is refused at start and replaced, never written through, if one appears later.
//! Concurrent saves are ordered by a version number so an older snapshot never overwrites a
//! newer one.

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
        write_private(&self.path, &snapshot.bytes)
            .await
            .map_err(|source| SandboxError::WriteData {
                path: self.path.clone(),
                source,
            })?;
        *saved = snapshot.version;
        Ok(())
    }
}

/// Loads the world from `path`, or `None` when the file does not exist.
pub fn load(path: &Path) -> Result<Option<World>, SandboxError> {
    // The file is written by replacing it: a link there would be replaced, not followed, so it
    // is refused here rather than read through and silently dropped on the first save.
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(SandboxError::ReadData {
            path: path.to_owned(),
            source: std::io::Error::other("it is a symbolic link; give the real path"),
        });
    }
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

/// Write `bytes` to `path` readable by the owner only, atomically: a temp file with a random
/// name in the same folder, created exclusively (`create_new` is `O_CREAT|O_EXCL`, which fails
/// on anything already there, a symlink included) with mode 0600, written, fsynced, then
/// renamed over `path` (a rename replaces a symlink at `path`, it never writes through one).
/// The engine has the same writer (`onboard_engine::private`); the sandbox keeps its own so as
/// not to depend on the engine.
pub async fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let (tmp, mut file) = create_temp(path).await?;
    let written = async {
        file.write_all(bytes).await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&tmp, path).await
    }
    .await;
    if written.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    written
}

/// A new temp file beside `path`: `.NAME.RANDOM.tmp`, exclusive, mode 0600; a few names are
/// tried in the unlikely case that one exists.
async fn create_temp(path: &Path) -> std::io::Result<(PathBuf, tokio::fs::File)> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sandbox.json".to_owned());
    let mut last = None;
    for _ in 0..8 {
        let tmp = path.with_file_name(format!(".{name}.{:016x}.tmp", rand::random::<u64>()));
        let mut opts = tokio::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        opts.mode(0o600);
        match opts.open(&tmp).await {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temp file name")))
}
