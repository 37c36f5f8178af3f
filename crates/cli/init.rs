//! `onboard init [DIR]`: the starter project (embedded in the binary, so it needs no
//! checkout), then the command that applies it on the embedded sandbox.

use onboard_engine::diag::{Diags, printable};
use onboard_engine::ops::init::{self, File};
use std::path::Path;

use crate::output;

/// The starter's files, in the order they are written and listed.
const STARTER: &[File] = &[
    File {
        name: "playbook.yaml",
        text: include_str!("starter/playbook.yaml"),
    },
    File {
        name: "customers.yaml",
        text: include_str!("starter/customers.yaml"),
    },
    File {
        name: "values.yaml",
        text: include_str!("starter/values.yaml"),
    },
    File {
        name: ".gitignore",
        text: include_str!("starter/gitignore"),
    },
    File {
        name: "README.md",
        text: include_str!("starter/README.md"),
    },
];

/// What a user runs next, from the folder `init` ran in: the last line of the output.
const NEXT: &str = "onboard apply --inventory customers.yaml --values values.yaml --sandbox --yes --outputs outputs.json";

pub fn init(dir: &Path) -> Result<u8, Diags> {
    let written = init::init(dir, STARTER)?;
    let shown = match dir == Path::new(".") {
        true => "the current folder".to_string(),
        false => printable(&written.dir.display().to_string()).into_owned(),
    };
    output::print(&format!(
        "wrote a starter project in {shown}: {}\n\
         edit customers.yaml (your customers) and values.yaml (your MSP group), then rehearse it\n\
         on the embedded sandbox (a local NetBird API, no account needed):\n\n  {}\n",
        written.names.join(", "),
        next_command(dir)
    ));
    Ok(0)
}

/// `NEXT`, run from `dir` (`cd DIR && ...` unless it is the current folder).
fn next_command(dir: &Path) -> String {
    if dir == Path::new(".") || dir.as_os_str().is_empty() {
        return NEXT.to_string();
    }
    format!("cd {} && {NEXT}", shell_word(&dir.display().to_string()))
}

/// `text` as one POSIX shell word: as is when it is plain, else single-quoted.
fn shell_word(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./+@%:,".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        return text.to_string();
    }
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_command_quotes_the_folder_for_a_shell() {
        assert_eq!(next_command(Path::new(".")), NEXT);
        assert_eq!(
            next_command(Path::new("acme/onboarding")),
            format!("cd acme/onboarding && {NEXT}")
        );
        assert_eq!(
            next_command(Path::new("my customers's")),
            format!(r"cd 'my customers'\''s' && {NEXT}")
        );
    }
}
