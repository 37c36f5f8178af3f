//! End-to-end: `--account ID` runs a playbook inside that account only when the API proves
//! it does (`GET /api/accounts?account=ID` answers with ID). NetBird, and the sandbox, run a
//! request silently in the caller's own account when ID is not one of its tenants; apply must
//! then fail without writing anything there.

use crate::support::{
    account, apply, assert_tenant_scoping, exactly_once, flat, id, ids, one, run, sandbox, stderr,
    stdout, tenant_id, without_usage_stamps, writes,
};
use serde_json::Value;

/// The whole world, without the stamps that every authenticated request moves.
fn comparable(world: &Value) -> Value {
    let mut w = world.clone();
    if let Some(accounts) = w["accounts"].as_object_mut() {
        for acct in accounts.values_mut() {
            *acct = without_usage_stamps(acct);
        }
    }
    w
}

#[test]
fn an_account_that_is_not_a_tenant_fails_and_writes_nothing() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let before = comparable(&sb.world());
    let bogus = "d0esn0texist0000000g";
    let out = run(
        &sb,
        dir.path(),
        &["playbooks/quickstart.yaml", "--account", bogus],
    );
    let (stdout, stderr) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let msp = sb.msp_account_id();
    assert!(
        flat(&stderr).contains(&format!(
            "does not scope requests to account {bogus} (they ran in account {msp})"
        )),
        "the error says the scoping could not be proven:\n{stderr}"
    );

    assert_eq!(comparable(&sb.world()), before, "the world changed");
    let log = sb.log();
    let written: Vec<String> = writes(&log)
        .iter()
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert!(written.is_empty(), "writes were sent: {written:?}");
    // The proof was asked for, and the sandbox fell back, as NetBird does.
    let proofs: Vec<_> = log
        .iter()
        .filter(|e| e.path == "/api/accounts" && e.account.as_deref() == Some(bogus))
        .collect();
    assert!(!proofs.is_empty(), "no GET /api/accounts?account={bogus}");
    assert!(
        proofs
            .iter()
            .all(|e| e.effective_account.as_deref() == Some(msp.as_str()))
    );
    rt.block_on(sb.shutdown());
}

#[test]
fn an_account_that_is_a_tenant_gets_the_whole_playbook() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    // A tenant to run in: msp-customer creates it.
    apply(
        &sb,
        dir.path(),
        &[
            "playbooks/msp-customer.yaml",
            "--set",
            "customer=Acme Corp",
            "--set",
            "domain=acme.example",
        ],
    );
    let tid = tenant_id(&sb.world(), "acme.example");
    apply(
        &sb,
        dir.path(),
        &[
            "playbooks/quickstart.yaml",
            "--account",
            &tid,
            "--set",
            "ssh_port=2022",
        ],
    );
    let world = sb.world();
    let acct = account(&world, &tid);
    // Admins and Servers already exist there (msp-customer made them): adopted, not doubled.
    exactly_once(
        acct,
        &[
            ("groups", "Admins"),
            ("groups", "Servers"),
            ("setup_keys", "servers"),
            ("setup_keys", "bootstrap"),
            ("policies", "admins-to-servers"),
        ],
    );
    let key = one(acct, "setup_keys", "servers");
    assert_eq!(ids(&key["auto_groups"]), [id(acct, "groups", "Servers")]);
    let rule = &one(acct, "policies", "admins-to-servers")["rules"][0];
    assert_eq!(rule["ports"], serde_json::json!(["2022"]));
    assert_tenant_scoping(&sb.log(), &sb.msp_account_id(), &[tid]);
    rt.block_on(sb.shutdown());
}

#[test]
fn a_run_in_another_account_keeps_its_own_state() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    apply(
        &sb,
        dir.path(),
        &[
            "playbooks/msp-customer.yaml",
            "--set",
            "customer=Acme Corp",
            "--set",
            "domain=acme.example",
        ],
    );
    let tid = tenant_id(&sb.world(), "acme.example");
    apply(&sb, dir.path(), &["playbooks/quickstart.yaml"]);
    apply(
        &sb,
        dir.path(),
        &["playbooks/quickstart.yaml", "--account", &tid],
    );
    // docs/state.md: `<run-key>` is `account-<id>` with --account, else `own-account`.
    let state = |key: &str| -> Value {
        let path = dir.path().join(format!("state/quickstart/{key}.json"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).unwrap()
    };
    let world = sb.world();
    let own_servers = id(account(&world, &sb.msp_account_id()), "groups", "Servers");
    let tenant_servers = id(account(&world, &tid), "groups", "Servers");
    assert_eq!(state("own-account")["steps"]["servers"]["id"], own_servers);
    assert_eq!(
        state(&format!("account-{tid}"))["steps"]["servers"]["id"],
        tenant_servers
    );
    rt.block_on(sb.shutdown());
}
