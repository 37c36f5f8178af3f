//! The engine's folders import one way (docs/architecture.md, "The engine's folders"):
//!
//! ```text
//! diag ◀── playbook ◀── {schema, store, export, plan} ; plan ◀── api ◀── run ◀── ops
//! ```
//!
//! Every `crate::<folder>` path in a file of `src/<folder>/` (tests included, comments not)
//! must name its own folder or one the table below lets it use.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each folder and the folders it may import from.
const LAYERS: &[(&str, &[&str])] = &[
    ("diag", &[]),
    ("playbook", &["diag"]),
    ("schema", &["diag", "playbook"]),
    ("store", &["diag", "playbook"]),
    ("export", &["diag", "playbook"]),
    ("plan", &["diag", "playbook"]),
    ("api", &["diag", "playbook", "plan"]),
    (
        "run",
        &[
            "diag", "playbook", "schema", "store", "export", "plan", "api",
        ],
    ),
    (
        "ops",
        &[
            "diag", "playbook", "schema", "store", "export", "plan", "api", "run",
        ],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The folders a file's code names as `crate::<folder>`.
fn imported_folders(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `crate::{a, b}` is not used in the engine; a brace would hide its folders.
            assert!(
                !rest.starts_with('{'),
                "a grouped `crate::{{...}}` import: {line}"
            );
            found.insert(name);
        }
    }
    found
}

#[test]
fn folders_import_only_the_folders_below_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let folders: BTreeSet<&str> = LAYERS.iter().map(|(f, _)| *f).collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap_or(file);
        let mut parts = rel.components();
        let (Some(first), Some(_)) = (parts.next(), parts.next()) else {
            continue; // lib.rs: the facade
        };
        let folder = first.as_os_str().to_string_lossy().into_owned();
        let Some((_, allowed)) = LAYERS.iter().find(|(f, _)| *f == folder) else {
            wrong.push(format!("{}: a folder missing from LAYERS", rel.display()));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{rel:?}: {e}"));
        for used in imported_folders(&text) {
            if used != folder && !allowed.contains(&used.as_str()) {
                let what = match folders.contains(used.as_str()) {
                    true => "a folder above it",
                    false => "not a folder",
                };
                wrong.push(format!("{}: crate::{used} ({what})", rel.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}
