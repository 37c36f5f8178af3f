//! End-to-end: no secret leaves through what apply prints or stores. The PAT and every setup
//! key (taken in plaintext from `--outputs FILE`) appear in none of stdout, stderr, the run
//! journal (`<state-dir>/runs/*.jsonl`) or the state (`<state-dir>/state/**`); the outputs
//! file, the state files and the journal are private (mode 0600).

use crate::support::{PAT, apply, assert_private, sandbox, stderr, stdout, walk};
use serde_json::Value;

/// Applies with `--outputs`, returns the setup keys found at `key_paths` of the outputs file
/// after checking they are plaintext, then greps everything apply wrote for them and the PAT.
fn assert_no_leak(args: &[&str], key_paths: &[&[&str]]) {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sb = sandbox(&rt);
    let state = tempfile::tempdir().expect("a state dir");
    let private = tempfile::tempdir().expect("a dir for the outputs");
    let outputs = private.path().join("outputs.json");
    let mut all_args = args.to_vec();
    let outputs_arg = outputs.to_str().expect("a UTF-8 path");
    all_args.extend(["--outputs", outputs_arg]);
    let out = apply(&sb, state.path(), &all_args);

    assert_private(&outputs);
    let written: Value = serde_json::from_str(
        &std::fs::read_to_string(&outputs).expect("the outputs file is written"),
    )
    .expect("the outputs file is JSON");
    let keys: Vec<String> = key_paths
        .iter()
        .map(|path| {
            let v = path.iter().fold(&written, |v, k| &v[*k]);
            let key = v
                .as_str()
                .unwrap_or_else(|| panic!("no setup key at {path:?} in {written}"))
                .to_owned();
            assert!(key.len() > 20 && !key.contains('*'), "not plaintext: {key}");
            key
        })
        .collect();

    let mut texts = vec![
        ("stdout".to_owned(), stdout(&out)),
        ("stderr".to_owned(), stderr(&out)),
    ];
    let (states, journals) = (
        walk(&state.path().join("state")),
        walk(&state.path().join("runs")),
    );
    assert!(!states.is_empty(), "state files exist");
    assert!(!journals.is_empty(), "journal files exist");
    for file in states.iter().chain(&journals) {
        assert_private(file);
        let text = std::fs::read_to_string(file).expect("a readable file");
        texts.push((file.display().to_string(), text));
    }
    assert!(
        texts.iter().any(|(_, t)| t.contains("request_sent")),
        "the journal records requests"
    );
    for (what, text) in &texts {
        assert!(!text.contains(PAT), "the PAT leaked into {what}");
        for key in &keys {
            assert!(
                !text.contains(key.as_str()),
                "a setup key leaked into {what}"
            );
        }
    }
    rt.block_on(sb.shutdown());
}

#[test]
fn msp_customer_leaks_no_secret() {
    assert_no_leak(
        &[
            "playbooks/msp-customer.yaml",
            "--set",
            "customer=Acme Corp",
            "--set",
            "domain=acme.example",
            "--set",
            "admins=[ops@acme.example]",
        ],
        &[&["setup_key"]],
    );
}

#[test]
fn msp_customer_inventory_leaks_no_secret() {
    assert_no_leak(
        &[
            "playbooks/msp-customer.yaml",
            "--inventory",
            "playbooks/customers.yaml",
        ],
        &[
            &["acme", "setup_key"],
            &["globex", "setup_key"],
            &["initech", "setup_key"],
        ],
    );
}

#[test]
fn zero_trust_office_leaks_no_secret() {
    assert_no_leak(
        &[
            "playbooks/zero-trust-office.yaml",
            "--set",
            "customer=Zed",
            "--set",
            "domain=zed.example",
        ],
        &[&["router_setup_key"]],
    );
}
