//! Token literals in input files and values.
//!
//! A NetBird personal access token (`nbp_` and 30 or more letters and digits) belongs in
//! `NB_PAT` or `--token-file`, never in a playbook, values file, inventory or `--set` value:
//! those are committed, shared, printed by the plan, stored in the state and sent to NetBird.
//! It is refused wherever it enters:
//!
//! - [`check`]: the raw text of every file, before it is parsed (comments included);
//! - [`check_values`]: every scalar of the parsed file as YAML decodes it (keys too), so an
//!   escape (`"nbp\u005f..."`, `"\x6ebp_..."`) or a double-quoted line continuation that splits
//!   the token in the text does not hide it;
//! - [`in_set`]: a `--set` argument, as text and as the YAML value read from it;
//! - [`in_json`]: values read from JSON (a saved plan's inputs).
//!
//! Each reports the first one by `file:line:col` (or the `--set` argument, or the input's
//! name) only: the message has no snippet (the line would repeat the token) and never contains
//! the token.

use regex::Regex;
use serde_json::Value as Json;
use std::sync::OnceLock;

use crate::diag::source::{SourceFile, Span};
use crate::diag::{Diag, printable};

fn token_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"nbp_[A-Za-z0-9]{30,}").unwrap_or_else(|_| unreachable!("a valid pattern"))
    })
}

/// Whether `text` holds a token literal.
pub fn holds_token(text: &str) -> bool {
    token_regex().is_match(text)
}

const HELP: &str = "remove it and give the token with NB_PAT or --token-file; if this file was ever shared or committed, revoke the token in NetBird and create a new one";

/// The error: where the token is (`file:line:col`, a `--set` argument), and how many more.
fn refused(location: &str, more: usize) -> Diag {
    let also = match more {
        0 => String::new(),
        1 => " (and 1 more)".into(),
        n => format!(" (and {n} more)"),
    };
    Diag::plain(format!(
        "{}: a NetBird personal access token is written here{also}; tokens do not belong in playbooks, values files or inventories",
        printable(location)
    ))
    .help(HELP)
}

/// Err when `file` contains a PAT literal: where it is (and how many more), not what it is.
pub fn check(file: &SourceFile) -> Result<(), Diag> {
    let mut found = token_regex().find_iter(file.text());
    let Some(first) = found.next() else {
        return Ok(());
    };
    let more = found.count();
    Err(refused(
        &file.location(Span::new(first.start(), first.len())),
        more,
    ))
}

/// Err when one of `strings` (a parsed file's scalars and mapping keys as YAML decoded them,
/// with their places: [`crate::playbook::yaml::Node::strings`]) holds a PAT: at its place in
/// `file`.
pub fn check_values<'a>(
    file: &SourceFile,
    strings: impl IntoIterator<Item = (Span, &'a str)>,
) -> Result<(), Diag> {
    let found: Vec<Span> = strings
        .into_iter()
        .filter(|(_, s)| holds_token(s))
        .map(|(span, _)| span)
        .collect();
    match found.split_first() {
        None => Ok(()),
        Some((first, more)) => Err(refused(&file.location(*first), more.len())),
    }
}

/// The error for a `--set KEY=VALUE` whose text or value holds a PAT: the argument is named by
/// its key (unless the key is the token), never shown whole.
pub fn in_set(key: &str) -> Diag {
    in_argument(key, false)
}

/// The error for an `ONBOARD_VAR_<name>` variable holding a PAT: names the variable only.
pub fn in_variable(key: &str) -> Diag {
    in_argument(key, true)
}

fn in_argument(key: &str, variable: bool) -> Diag {
    let key = key.trim();
    let argument = if variable {
        format!(
            "`{}{}`",
            crate::playbook::inputs::ENV_PREFIX,
            printable(key)
        )
    } else if holds_token(key) {
        "a `--set` argument".to_owned()
    } else {
        format!("`--set {}=...`", printable(key))
    };
    Diag::plain(format!(
        "{argument}: the value is a NetBird personal access token; tokens are not input values"
    ))
    .help("give the token with NB_PAT or --token-file; if it was ever shown or logged (a shell history, a CI log), revoke it in NetBird and create a new one")
}

/// The error for a JSON value holding a PAT (`what` says where it was read, e.g. `plan.json:
/// input `customer``), or Ok.
pub fn in_json(what: &str, value: &Json) -> Result<(), Diag> {
    let holds = match value {
        Json::String(s) => holds_token(s),
        Json::Array(items) => items.iter().any(|v| in_json(what, v).is_err()),
        Json::Object(map) => map
            .iter()
            .any(|(k, v)| holds_token(k) || in_json(what, v).is_err()),
        _ => false,
    };
    match holds {
        false => Ok(()),
        true => Err(Diag::plain(format!(
            "{}: a NetBird personal access token is given as a value; tokens are not input values",
            printable(what)
        ))
        .help(HELP)),
    }
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

    /// The token as YAML decodes it: an escape (`\u005f`, `\x5f`) or a double-quoted line
    /// continuation hides it from the raw text, not from the value onboard would use.
    #[test]
    fn a_token_hidden_by_yaml_escapes_or_a_line_continuation_is_found_in_the_value() {
        let rest = &PAT[4..];
        let (head, tail) = rest.split_at(10);
        for (text, at) in [
            (format!("x: \"nbp\\u005f{rest}\"\n"), "v.yaml:1:4"),
            (format!("a: 1\nx: \"nbp\\x5f{rest}\"\n"), "v.yaml:2:4"),
            (format!("x: \"nbp_{head}\\\n  {tail}\"\n"), "v.yaml:1:4"),
            (
                format!("list:\n  - ok\n  - \"\\x6ebp_{rest}\"\n"),
                "v.yaml:3:5",
            ),
            (format!("\"nbp\\u005f{rest}\": key\n"), "v.yaml:1:1"),
        ] {
            let file = SourceFile::new("v.yaml", text.clone());
            let err = crate::playbook::yaml::parse(&file).expect_err(&text);
            let shown = format!("{err} {}", err.help.clone().unwrap_or_default());
            assert!(
                shown.starts_with(&format!("{at}: a NetBird personal access token")),
                "{text:?}: {shown}"
            );
            assert!(!shown.contains(head) && !shown.contains(tail), "{shown}");
            assert!(err.file.is_none(), "no snippet that would show the line");
        }
    }
}
