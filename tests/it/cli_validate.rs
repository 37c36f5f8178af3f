//! `onboard validate` on invalid playbooks: every error class points at the right place.
//!
//! # The fixtures
//!
//! Every `tests/inputs/invalid/*.yaml` is one playbook that must fail validation. The harness
//! runs, from the workspace root and with relative paths (so the output is stable),
//!
//! ```text
//! onboard validate tests/inputs/invalid/NN-name.yaml --color never [ARGS]
//! ```
//!
//! and snapshots stderr (miette without colour, at the CLI's fixed width of 100) as
//! `tests/it/snapshots/it__cli_validate__invalid@NN-name.yaml.snap`; the exit code must be 1.
//!
//! `ARGS` come from an optional first line `# args: ...` of the fixture, split on whitespace
//! (single quotes group words: `# args: --set 'customer=Acme Corp'`). Values files used by a
//! fixture live in `tests/inputs/values/` and are named after it (`NN-what.yaml`), given with
//! `# args: --values tests/inputs/values/NN-what.yaml`, so a fixture is read with its inputs
//! in one place and the glob only sees playbooks.
//!
//! To add a case: write the fixture, run `cargo insta test --accept` (or `INSTA_UPDATE=always
//! cargo test --test it cli_validate::`), and read the new snapshot: the primary label must sit on
//! the offending token.
//!
//! The tests at the end check the positive side: the examples validate, `--only` with an
//! unknown key fails, the JSON plan parses and is versioned, and `--detailed-exitcode` works.

use crate::support;
use std::path::Path;
use std::process::Output;

/// The binary, run from the workspace root without colour or terminal-dependent output.
fn onboard(args: &[&str]) -> Output {
    support::binary()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run onboard: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The `# args:` line of a fixture, split into words.
fn fixture_args(source: &str) -> Vec<String> {
    let Some(line) = source
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# args:"))
    else {
        return Vec::new();
    };
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

#[test]
fn invalid() {
    insta::glob!("../inputs/invalid", "*.yaml", |path| {
        // Read lossily: one fixture is deliberately not UTF-8.
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{e}"));
        let source = String::from_utf8_lossy(&bytes);
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_else(|| panic!("bad fixture name {}", path.display()));
        let relative = format!("tests/inputs/invalid/{name}");
        let extra = fixture_args(&source);
        let mut args = vec!["validate", relative.as_str(), "--color", "never"];
        args.extend(extra.iter().map(String::as_str));
        let out = onboard(&args);
        let stderr = text(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{relative} should fail validation with exit code 1\nstderr:\n{stderr}"
        );
        assert!(
            out.stdout.is_empty(),
            "{relative}: validate printed to stdout"
        );
        assert!(
            !stderr.contains("panicked"),
            "{relative}: onboard panicked\n{stderr}"
        );
        insta::with_settings!({
            description => format!("onboard {}", args.join(" ")),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(stderr);
        });
    });
}

#[test]
fn fixture_args_are_split_like_a_shell_would() {
    assert_eq!(
        fixture_args("# args: --set 'customer=Acme Corp' --set x=1\nversion: 1\n"),
        ["--set", "customer=Acme Corp", "--set", "x=1"]
    );
    assert!(fixture_args("version: 1\n").is_empty());
}

const EXAMPLES: &[(&str, &[&str])] = &[
    ("playbooks/quickstart.yaml", &[]),
    (
        "playbooks/msp-customer.yaml",
        &["--inventory", "playbooks/customers.yaml"],
    ),
    (
        "playbooks/msp-customer.yaml",
        &["--set", "customer=Acme", "--set", "domain=acme.example"],
    ),
    (
        "playbooks/zero-trust-office.yaml",
        &["--set", "customer=Acme", "--set", "domain=acme.example"],
    ),
    // Its credentials come from the environment at plan and apply: validate needs none.
    (
        "playbooks/security-baseline.yaml",
        &["--set", "customer=Acme", "--set", "domain=acme.example"],
    ),
];

#[test]
fn examples_are_valid() {
    for (playbook, extra) in EXAMPLES {
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(playbook)
                .exists()
        );
        let mut args = vec!["validate", playbook, "--color", "never"];
        args.extend_from_slice(extra);
        let out = onboard(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}\n{stderr}");
        assert!(stderr.contains(": valid (run key"), "{args:?}\n{stderr}");
    }
}

#[test]
fn every_example_validates_without_input_values() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    // The playbooks, and the modules they import (a module validates alone).
    let files = ["playbooks", "playbooks/modules"]
        .into_iter()
        .flat_map(|d| {
            std::fs::read_dir(root.join(d))
                .unwrap_or_else(|e| panic!("{d}: {e}"))
                .map(|e| e.unwrap_or_else(|e| panic!("{e}")).path())
                .filter(|p| p.is_file())
                .map(move |p| {
                    format!(
                        "{d}/{}",
                        p.file_name().and_then(|n| n.to_str()).unwrap_or("")
                    )
                })
        });
    for relative in files {
        let source =
            std::fs::read_to_string(root.join(&relative)).unwrap_or_else(|e| panic!("{e}"));
        if source.contains("\ncustomers:") {
            continue; // an inventory, not a playbook
        }
        let out = onboard(&["validate", &relative, "--color", "never"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{relative}\n{stderr}");
        // A required input without a value is a note, never an error.
        for line in stderr.lines().filter(|l| l.contains("has no value")) {
            assert!(line.starts_with("note: "), "{relative}: {line}");
        }
        seen += 1;
    }
    assert!(seen >= 3);
}

#[test]
fn values_given_make_a_missing_input_an_error_again() {
    let out = onboard(&[
        "validate",
        "playbooks/zero-trust-office.yaml",
        "--color",
        "never",
        "--set",
        "customer=Acme",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("missing value for required input `domain`"));
}

#[test]
fn an_inventory_validates_every_customer() {
    let out = onboard(&[
        "validate",
        "playbooks/msp-customer.yaml",
        "--inventory",
        "playbooks/customers.yaml",
    ]);
    let stderr = text(&out.stderr);
    for key in ["acme", "globex", "initech"] {
        assert!(stderr.contains(&format!("run key `{key}`")), "{stderr}");
    }
}

#[test]
fn only_with_an_unknown_customer_fails() {
    let out = onboard(&[
        "validate",
        "playbooks/msp-customer.yaml",
        "--color",
        "never",
        "--inventory",
        "playbooks/customers.yaml",
        "--only",
        "acme,globx",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("no customer `globx`"), "{stderr}");
    assert!(stderr.contains("did you mean `globex`?"), "{stderr}");
}

#[test]
fn only_selects_customers() {
    let out = onboard(&[
        "validate",
        "playbooks/msp-customer.yaml",
        "--inventory",
        "playbooks/customers.yaml",
        "--only",
        "globex",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("run key `globex`"), "{stderr}");
    assert!(!stderr.contains("run key `acme`"), "{stderr}");
}

#[test]
fn json_plan_is_versioned_json() {
    for (playbook, extra) in EXAMPLES {
        let mut args = vec!["plan", "--offline", playbook, "--format", "json"];
        args.extend_from_slice(extra);
        let out = onboard(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}\n{}",
            text(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON: {e}"));
        // A list of plans, or with an inventory `{plans, groups}` (the fleet plan).
        let plans = match json {
            serde_json::Value::Array(plans) => plans,
            fleet => {
                assert_eq!(fleet["format_version"], 1, "{args:?}");
                assert!(fleet["groups"].is_array(), "{args:?}");
                fleet["plans"].as_array().cloned().unwrap_or_default()
            }
        };
        assert!(!plans.is_empty());
        for plan in plans {
            assert_eq!(plan["format_version"], 1, "{args:?}");
            assert_eq!(plan["offline"], true, "{args:?}");
            assert!(plan["steps"].as_array().is_some_and(|s| !s.is_empty()));
        }
    }
}

#[test]
fn detailed_exitcode_is_2_when_there_are_changes() {
    let out = onboard(&[
        "plan",
        "--offline",
        "playbooks/quickstart.yaml",
        "--detailed-exitcode",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("4 to create"));
    let out = onboard(&["plan", "--offline", "playbooks/quickstart.yaml"]);
    assert_eq!(out.status.code(), Some(0));
}
