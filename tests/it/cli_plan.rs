//! `onboard plan --offline` and `onboard graph` on the example playbooks, snapshotted.
//!
//! Each case runs the real binary from the workspace root with relative paths, checks that it
//! exits 0 with nothing on stderr, and snapshots stdout as
//! `tests/it/snapshots/it__cli_plan__<case>.snap`. The offline plan is deterministic (no live
//! state, ids are `(known after apply)`), so nothing is redacted.

use crate::support;

/// Run `onboard ARGS` from the workspace root; stdout of a successful run.
fn stdout_of(args: &[&str]) -> String {
    let out = support::binary()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run onboard: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "onboard {}\nstderr:\n{stderr}",
        args.join(" ")
    );
    assert!(
        stderr.is_empty(),
        "onboard {}: unexpected stderr:\n{stderr}",
        args.join(" ")
    );
    String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("stdout is not UTF-8: {e}"))
}

/// Snapshot the offline plan of `playbook` with `extra` arguments in all three formats, as
/// `<name>_text`, `<name>_json` and `<name>_markdown`.
fn plan_snapshots(name: &str, playbook: &str, extra: &[&str]) {
    for format in ["text", "json", "markdown"] {
        let mut args = vec!["plan", "--offline", playbook, "--format", format];
        args.extend_from_slice(extra);
        let stdout = stdout_of(&args);
        if format == "json" {
            serde_json::from_str::<serde_json::Value>(&stdout)
                .unwrap_or_else(|e| panic!("{name}: the JSON plan does not parse: {e}"));
        }
        insta::with_settings!({
            description => format!("onboard {}", args.join(" ")),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(format!("{name}_{format}"), stdout);
        });
    }
}

#[test]
fn quickstart() {
    plan_snapshots("quickstart", "playbooks/quickstart.yaml", &[]);
}

#[test]
fn msp_customer_inventory() {
    plan_snapshots(
        "msp_customer_inventory",
        "playbooks/msp-customer.yaml",
        &["--inventory", "playbooks/customers.yaml"],
    );
}

#[test]
fn msp_customer_set() {
    plan_snapshots(
        "msp_customer_set",
        "playbooks/msp-customer.yaml",
        &["--set", "customer=Acme", "--set", "domain=acme.example"],
    );
}

#[test]
fn zero_trust_office() {
    plan_snapshots(
        "zero_trust_office",
        "playbooks/zero-trust-office.yaml",
        &["--set", "customer=Acme", "--set", "domain=acme.example"],
    );
}

#[test]
fn msp_customer_graph() {
    for format in ["dot", "mermaid"] {
        let args = ["graph", "playbooks/msp-customer.yaml", "--format", format];
        let stdout = stdout_of(&args);
        insta::with_settings!({
            description => format!("onboard {}", args.join(" ")),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(format!("msp_customer_graph_{format}"), stdout);
        });
    }
}
