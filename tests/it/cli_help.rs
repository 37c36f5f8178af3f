//! Help and docs say the same: every command's `--help` ends with the environment and the
//! exit codes (docs/cli-notes.md, "help"), every flag a help text lists is documented in
//! docs/ or the README, and the help texts that contradicted the docs say what the docs say.

use crate::support::{binary, stdout};
use std::collections::BTreeSet;

const COMMANDS: &[&[&str]] = &[
    &[],
    &["init"],
    &["validate"],
    &["plan"],
    &["apply"],
    &["drift"],
    &["destroy"],
    &["graph"],
    &["export"],
    &["state"],
    &["state", "list"],
    &["state", "show"],
    &["state", "migrate"],
    &["sandbox"],
    &["schema"],
    &["completions"],
    &["man"],
];

fn help(command: &[&str]) -> String {
    let out = binary()
        .args(command)
        .arg("--help")
        .output()
        .expect("onboard runs");
    assert!(out.status.success(), "{command:?} --help failed");
    stdout(&out)
}

/// `--flag` words of a text.
fn flags(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("--") {
        let rest = &text[i + 2..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
            .collect();
        let before = text[..i].chars().next_back();
        if name.len() > 1 && before.is_none_or(|c| !c.is_alphanumeric() && c != '-') {
            out.insert(format!("--{}", name.trim_end_matches('-')));
        }
    }
    out
}

fn docs() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut text = std::fs::read_to_string(format!("{root}/README.md")).expect("README");
    for entry in std::fs::read_dir(format!("{root}/docs")).expect("docs/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            text.push_str(&std::fs::read_to_string(&path).expect("a doc"));
        }
    }
    text
}

#[test]
fn every_help_ends_with_the_environment_and_the_exit_codes() {
    for command in COMMANDS {
        let text = help(command);
        for want in [
            "Environment:",
            "NB_PAT",
            "NB_MANAGEMENT_URL",
            "ONBOARD_VAR_<name>",
            "RUST_LOG",
            "Exit codes:",
        ] {
            assert!(
                text.contains(want),
                "`onboard {command:?} --help` lacks {want}:\n{text}"
            );
        }
    }
}

#[test]
fn every_flag_in_help_is_documented() {
    let documented = flags(&docs());
    let mut missing = BTreeSet::new();
    for command in COMMANDS {
        for flag in flags(&help(command)) {
            if !documented.contains(&flag) {
                missing.insert(format!("{flag} (onboard {})", command.join(" ")));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "flags in help, not in docs/ or README: {missing:#?}"
    );
}

#[test]
fn help_says_what_the_docs_say() {
    let apply = help(&["apply"]);
    // cli-notes: `apply --format markdown` is refused, so help does not offer it.
    let format = apply
        .lines()
        .find(|l| l.contains("--format"))
        .expect("apply --format");
    assert!(!format.contains("markdown"), "{format}");
    assert!(apply.contains("[possible values: text, json]"), "{apply}");
    // cli-notes: rotation deletes the keys (a revoked key would stay listed).
    let rotate: String = apply
        .split("--rotate-setup-keys")
        .nth(1)
        .expect("the flag")
        .lines()
        .take(3)
        .collect();
    assert!(rotate.contains("Delete"), "{rotate}");
    assert!(!rotate.contains("Revoke"), "{rotate}");
    // export's --account names the account to export, not where a playbook runs.
    let export = help(&["export"]);
    let account: String = export
        .split("--account")
        .nth(1)
        .expect("the flag")
        .lines()
        .take(3)
        .collect();
    assert!(account.contains("account to export"), "{account}");
    assert!(!account.contains("playbook"), "{account}");
}
