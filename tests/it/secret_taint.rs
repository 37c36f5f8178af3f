//! Secret taint follows the value, not the syntax: a template that reaches a secret by a path
//! onboard cannot resolve statically (a computed subscript of `steps`, `steps` kept in a
//! variable) is refused by `validate` at its line and column, with what to write instead;
//! and a playbook that tries it writes nothing anywhere: not in NetBird, not in the state,
//! not in the plan, not in what apply prints.

use std::path::Path;
use std::process::Output;

use crate::support::{self, flat, onboard, sandbox, stderr, stdout, walk, writes};

const SUBSCRIPT: &str = "tests/inputs/taint/computed-subscript.yaml";
const ALIAS: &str = "tests/inputs/taint/alias.yaml";

/// `onboard validate FILE`, from the workspace root, without colour.
fn validate(file: &str) -> Output {
    support::binary()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["validate", file, "--color", "never"])
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .output()
        .expect("onboard runs")
}

/// Validation fails with exit code 1, the error located at `file:line:col`; returns stderr
/// with miette's frame undone.
fn refused_at(file: &str, line_col: &str) -> String {
    let out = validate(file);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{file} was accepted:\n{err}");
    assert!(
        err.contains(&format!("{file}:{line_col}")),
        "{file}: not located at {line_col}:\n{err}"
    );
    flat(&err)
}

#[test]
fn a_computed_subscript_of_steps_is_refused_where_it_is_written() {
    // Line 11: `      name: "g-{{ steps['boot' ~ 'strap'].key | upper }}"`; `steps` at column 19.
    let err = refused_at(SUBSCRIPT, "11:19");
    assert!(err.contains("computed subscript"), "{err}");
    assert!(err.contains("write `steps.bootstrap.key`"), "{err}");
    assert!(err.contains("secret"), "{err}");
}

#[test]
fn steps_kept_in_a_variable_is_refused_where_it_is_assigned() {
    // Line 11: `      name: "{% set s = steps %}g-{{ s.bootstrap.key }}"`; `steps` at column 25.
    let err = refused_at(ALIAS, "11:25");
    assert!(err.contains("assigned to a variable"), "{err}");
    assert!(err.contains("steps.<id>.<field>"), "{err}");
}

/// Plan (JSON) and apply with `--outputs` of both playbooks against a sandbox: both refused
/// before any call, so the key is never created, no group is named after it, and nothing is
/// stored; the outputs file is not written.
#[test]
fn a_refused_playbook_writes_the_key_nowhere() {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sb = sandbox(&rt);
    let state = tempfile::tempdir().expect("a state dir");
    let outputs = state.path().join("outputs.json");
    let outputs_arg = outputs.to_str().expect("a UTF-8 path");
    for playbook in [SUBSCRIPT, ALIAS] {
        let runs = [
            vec!["plan", playbook, "--format", "json"],
            vec!["apply", playbook, "--yes", "--outputs", outputs_arg],
        ];
        for args in runs {
            let out = onboard(&sb, state.path(), &args)
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .output()
                .expect("onboard runs");
            assert_eq!(
                out.status.code(),
                Some(1),
                "{args:?} was not refused:\n{}\n{}",
                stdout(&out),
                stderr(&out)
            );
        }
    }
    let log = sb.log();
    let written: Vec<String> = writes(&log)
        .iter()
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert!(written.is_empty(), "refused playbooks wrote: {written:?}");
    let world = sb.world();
    let own = support::account(&world, &sb.msp_account_id());
    assert!(
        !support::names(own, "groups")
            .iter()
            .any(|n| n.starts_with("g-")),
        "a group was named after the key"
    );
    assert!(!outputs.exists(), "a refused run wrote outputs");
    let stored: Vec<_> = walk(state.path())
        .into_iter()
        .filter(|f| f.starts_with(state.path().join("state")))
        .collect();
    assert!(stored.is_empty(), "a refused run stored state: {stored:?}");
    rt.block_on(sb.shutdown());
}

#[test]
fn the_static_examples_still_validate() {
    for file in [
        "playbooks/quickstart.yaml",
        "playbooks/zero-trust-office.yaml",
    ] {
        assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join(file).exists());
        let out = validate(file);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", stderr(&out));
    }
}
