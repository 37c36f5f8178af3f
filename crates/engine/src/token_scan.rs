//! Token literals in input files.
//!
//! A NetBird personal access token (`nbp_` and 36 letters and digits) belongs in `NB_PAT` or
//! `--token-file`, never in a playbook, values file or inventory that is committed, shared
//! and printed in diagnostics. [`check`] runs on every file before it is parsed and reports
//! the first token literal by `file:line:col` only: the message has no snippet (the line would
//! repeat the token) and never contains the token.

use regex::Regex;
use std::sync::OnceLock;

use crate::diag::{Diag, printable};
use crate::source::{SourceFile, Span};

fn token_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"nbp_[A-Za-z0-9]{30,}").unwrap_or_else(|_| unreachable!("a valid pattern"))
    })
}

/// Err when `file` contains a PAT literal: where it is (and how many more), not what it is.
pub fn check(file: &SourceFile) -> Result<(), Diag> {
    let mut found = token_regex().find_iter(file.text());
    let Some(first) = found.next() else {
        return Ok(());
    };
    let more = found.count();
    let location = file.location(Span::new(first.start(), first.len()));
    let also = match more {
        0 => String::new(),
        1 => " (and 1 more)".into(),
        n => format!(" (and {n} more)"),
    };
    Err(Diag::plain(format!(
        "{}: a NetBird personal access token is written here{also}; tokens do not belong in playbooks, values files or inventories",
        printable(&location)
    ))
    .help("remove it and give the token with NB_PAT or --token-file; if this file was ever shared or committed, revoke the token in NetBird and create a new one"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAT: &str = "nbp_ExampleTokenThatMustNotBeRepeated00";

    #[test]
    fn a_token_literal_is_reported_at_its_line_without_repeating_it() {
        let text = format!("version: 1\nname: x\n# token: {PAT}\nsteps: []\nx: \"{PAT}\"\n");
        let file = SourceFile::new("pb.yaml", text);
        let err = check(&file).unwrap_err();
        let shown = format!("{err} {}", err.help.clone().unwrap_or_default());
        assert!(
            shown.starts_with("pb.yaml:3:10: a NetBird personal access token"),
            "{shown}"
        );
        assert!(shown.contains("(and 1 more)"), "{shown}");
        assert!(!shown.contains("ExampleToken"), "{shown}");
        assert!(err.file.is_none(), "no snippet that would show the line");
    }

    #[test]
    fn names_that_merely_start_with_nbp_are_fine() {
        let file = SourceFile::new("pb.yaml", "name: nbp_servers\nother: nbp_short123\n");
        assert!(check(&file).is_ok());
    }
}
