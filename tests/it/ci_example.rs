//! The example CI workflow (`examples/github-actions/onboard.yml`, docs/ci.md) uses only
//! commands onboard has: each `onboard` command line of it, in order, runs on a starter
//! project against the embedded sandbox and exits as the workflow expects.

use crate::support::{binary, printed, stdout};

const WORKFLOW: &str = include_str!("../../examples/github-actions/onboard.yml");

/// The workflow's `onboard ...` command lines (but the install), with `$CUSTOMERS` expanded,
/// without the shell redirections after them.
fn commands() -> Vec<Vec<String>> {
    let customers = WORKFLOW
        .lines()
        .find_map(|l| l.trim().strip_prefix("CUSTOMERS: "))
        .expect("the CUSTOMERS variable");
    WORKFLOW
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.contains("cargo install"))
        .filter_map(|l| l.find("onboard ").map(|at| &l[at..]))
        .map(|l| {
            let end = [" >", " ||"]
                .iter()
                .filter_map(|m| l.find(m))
                .min()
                .unwrap_or(l.len());
            l[..end]
                .replace("$CUSTOMERS", customers)
                .split_whitespace()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

#[test]
fn the_example_workflow_runs_on_the_sandbox() {
    let commands = commands();
    let verbs: Vec<&str> = commands.iter().map(|c| c[1].as_str()).collect();
    assert_eq!(
        verbs,
        ["validate", "plan", "apply", "drift"],
        "{commands:?}"
    );

    let tmp = tempfile::tempdir().expect("a temp dir");
    let init = binary()
        .arg("init")
        .current_dir(tmp.path())
        .output()
        .expect("onboard runs");
    assert!(init.status.success(), "{}", printed(&init));
    for command in &commands {
        let verb = command[1].as_str();
        let mut cmd = binary();
        cmd.args(&command[1..])
            .current_dir(tmp.path())
            .env_remove("NB_PAT")
            .env_remove("ONBOARD_STATE_URL");
        if verb != "validate" {
            cmd.arg("--sandbox");
        }
        let out = cmd.output().expect("onboard runs");
        // What the workflow's steps accept: a plan with changes exits 2; the rest 0.
        let want = if verb == "plan" { 2 } else { 0 };
        assert_eq!(
            out.status.code(),
            Some(want),
            "{command:?}:\n{}",
            printed(&out)
        );
        if verb == "plan" {
            let markdown = stdout(&out);
            assert!(markdown.contains("| "), "not a Markdown table:\n{markdown}");
            assert!(markdown.contains("acme") && markdown.contains("globex"));
        }
    }
    let outputs = std::fs::read_to_string(tmp.path().join("outputs.json")).expect("outputs");
    assert!(
        outputs.contains("\"acme\"") && outputs.contains("\"globex\""),
        "{outputs}"
    );
}
