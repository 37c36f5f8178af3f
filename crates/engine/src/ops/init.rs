//! `init`: a starter project written into a folder. Every file is new: when any of them
//! already exists (a file, a folder, a link, even a broken one), nothing is written at all.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::diag::{Diag, Diags, printable};

/// One file of the starter: its name in the folder and its text.
#[derive(Debug)]
pub struct File {
    pub name: &'static str,
    pub text: &'static str,
}

/// What `init` wrote: the folder and the names of its new files, in order.
#[derive(Debug)]
pub struct Written {
    pub dir: PathBuf,
    pub names: Vec<&'static str>,
}

/// Why `init` wrote nothing, or stopped.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("{} exists and is not a folder", printable(&.0.display().to_string()))]
    NotAFolder(PathBuf),
    #[error("cannot create the folder {}: {source}", printable(&.path.display().to_string()))]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} already exist{}: init writes no file over another, so it wrote nothing",
        list(.0), if .0.len() == 1 { "s" } else { "" })]
    Exists(Vec<PathBuf>),
    #[error("cannot write {}: {source}", printable(&.path.display().to_string()))]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
        /// The files written before this one (they stay).
        written: Vec<PathBuf>,
    },
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| format!("`{}`", printable(&p.display().to_string())))
        .collect::<Vec<_>>()
        .join(", ")
}

impl From<InitError> for Diags {
    fn from(e: InitError) -> Diags {
        let help = match &e {
            InitError::Exists(_) => Some(
                "run it in a new or empty folder (`onboard init my-customers`), or move those files away first"
                    .to_string(),
            ),
            InitError::Write { written, .. } if !written.is_empty() => Some(format!(
                "written before the failure, and left as they are: {}",
                list(written)
            )),
            _ => None,
        };
        Diag::plain(e.to_string()).maybe_help(help).into()
    }
}

/// Writes `files` into `dir` (created with its parents when missing). Checks every file
/// first; each is then created new (`create_new`), so a file that appears meanwhile is not
/// overwritten either.
pub fn init(dir: &Path, files: &[File]) -> Result<Written, InitError> {
    if dir.exists() && !dir.is_dir() {
        return Err(InitError::NotAFolder(dir.to_path_buf()));
    }
    let existing: Vec<PathBuf> = files
        .iter()
        .map(|f| dir.join(f.name))
        .filter(|p| std::fs::symlink_metadata(p).is_ok())
        .collect();
    if !existing.is_empty() {
        return Err(InitError::Exists(existing));
    }
    std::fs::create_dir_all(dir).map_err(|source| InitError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::new();
    for file in files {
        let path = dir.join(file.name);
        let result = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| f.write_all(file.text.as_bytes()));
        if let Err(source) = result {
            return Err(match source.kind() {
                std::io::ErrorKind::AlreadyExists => InitError::Exists(vec![path]),
                _ => InitError::Write {
                    path,
                    source,
                    written,
                },
            });
        }
        written.push(path);
    }
    Ok(Written {
        dir: dir.to_path_buf(),
        names: files.iter().map(|f| f.name).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILES: &[File] = &[
        File {
            name: "a.yaml",
            text: "a: 1\n",
        },
        File {
            name: ".gitignore",
            text: ".onboard/\n",
        },
    ];

    #[test]
    fn writes_every_file_into_a_new_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("new/nested");
        let written = init(&dir, FILES).unwrap();
        assert_eq!(written.names, ["a.yaml", ".gitignore"]);
        assert_eq!(
            std::fs::read_to_string(dir.join("a.yaml")).unwrap(),
            "a: 1\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join(".gitignore")).unwrap(),
            ".onboard/\n"
        );
    }

    #[test]
    fn one_existing_file_or_link_means_nothing_is_written() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(".gitignore"), "mine\n").unwrap();
        let err = init(tmp.path(), FILES).unwrap_err();
        assert!(matches!(&err, InitError::Exists(p) if p == &[tmp.path().join(".gitignore")]));
        assert!(!tmp.path().join("a.yaml").exists());
        assert_eq!(
            std::fs::read_to_string(tmp.path().join(".gitignore")).unwrap(),
            "mine\n"
        );
        #[cfg(unix)]
        {
            let tmp = tempfile::tempdir().unwrap();
            std::os::unix::fs::symlink(tmp.path().join("nowhere"), tmp.path().join("a.yaml"))
                .unwrap();
            assert!(matches!(init(tmp.path(), FILES), Err(InitError::Exists(_))));
            assert!(!tmp.path().join("nowhere").exists());
        }
    }

    #[test]
    fn a_file_where_the_folder_should_be_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("taken");
        std::fs::write(&file, "").unwrap();
        assert!(matches!(init(&file, FILES), Err(InitError::NotAFolder(_))));
    }
}
