//! End-to-end: the real binary applies every example against an in-process sandbox, and the
//! sandbox's world and request log show what users rely on.

use onboard_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const PAT: &str = "nbp_RecognisablePatForLeakTests000000000";

fn sandbox(rt: &tokio::runtime::Runtime) -> SandboxHandle {
    let cfg = SandboxConfig {
        token: Some(PAT.into()),
        rate_limit: None,
        ..SandboxConfig::default()
    };
    rt.block_on(Sandbox::start(cfg)).expect("sandbox starts")
}

fn apply(sb: &SandboxHandle, state: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_onboard"))
        .arg("apply")
        .args(args)
        .args(["--yes", "--state-dir"])
        .arg(state)
        .env("NB_MANAGEMENT_URL", sb.url())
        .env("NB_PAT", PAT)
        .output()
        .expect("onboard runs");
    assert!(
        out.status.success(),
        "apply failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn writes(sb: &SandboxHandle) -> usize {
    sb.log().iter().filter(|e| e.method != "GET").count()
}

fn names(account: &Value, collection: &str) -> Vec<String> {
    account[collection]
        .as_array()
        .expect("a collection of the world")
        .iter()
        .map(|o| o["name"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn msp_customer_creates_everything_once_inside_the_tenant_and_reapply_writes_nothing() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "playbooks/msp-customer.yaml",
        "--set",
        "customer=Acme Corp",
        "--set",
        "domain=acme.example",
        "--set",
        "admins=[ops@acme.example]",
    ];
    let outputs = dir.path().join("outputs.json");
    let mut first_args = args.to_vec();
    first_args.extend(["--outputs", outputs.to_str().unwrap()]);
    let first = apply(&sb, dir.path(), &first_args);
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&outputs).unwrap()).unwrap();
    let setup_key = written["setup_key"]
        .as_str()
        .expect("the plaintext key is in --outputs")
        .to_owned();
    assert!(
        setup_key.len() > 20 && !setup_key.contains('*'),
        "{setup_key}"
    );
    let world = sb.world();
    let tenant = world["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["domain"] == "acme.example")
        .expect("tenant created");
    let tid = tenant["id"].as_str().unwrap();
    let acct = &world["accounts"][tid];
    let mut groups = names(acct, "groups");
    groups.sort();
    assert_eq!(groups, ["Admins", "All", "Servers"]);
    let servers = acct["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Servers")
        .unwrap()["id"]
        .clone();
    let admins = acct["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Admins")
        .unwrap()["id"]
        .clone();
    let key = &acct["setup_keys"][0];
    assert_eq!(acct["setup_keys"].as_array().unwrap().len(), 1);
    assert_eq!(key["auto_groups"], serde_json::json!([servers]));
    let policy = acct["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "admins-to-servers")
        .expect("policy");
    assert_eq!(policy["rules"][0]["sources"][0]["id"], admins);
    assert_eq!(policy["rules"][0]["destinations"][0]["id"], servers);
    assert_eq!(acct["network_resources"][0]["groups"][0]["id"], servers);
    let user = acct["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "ops@acme.example")
        .expect("user");
    assert_eq!(user["auto_groups"], serde_json::json!([admins]));

    // Every write inside the tenant carried its account id; the MSP account got only the tenant.
    let msp = sb.msp_account_id();
    for e in sb.log().iter().filter(|e| e.method != "GET") {
        if e.path.starts_with("/api/integrations/msp/tenants") {
            assert_eq!(e.account, None);
        } else {
            assert_eq!(e.account.as_deref(), Some(tid), "{} {}", e.method, e.path);
            assert_ne!(e.effective_account.as_deref(), Some(msp.as_str()));
        }
    }

    // Re-apply: zero writes.
    let before = writes(&sb);
    apply(&sb, dir.path(), &args);
    assert_eq!(writes(&sb), before, "a re-apply made write requests");

    // No secret anywhere: PAT and setup key values.
    let mut texts = vec![
        String::from_utf8_lossy(&first.stdout).into_owned(),
        String::from_utf8_lossy(&first.stderr).into_owned(),
    ];
    for sub in ["state", "runs"] {
        for entry in walk(&dir.path().join(sub)) {
            texts.push(std::fs::read_to_string(entry).unwrap());
        }
    }
    assert!(texts.len() >= 4, "state and journal files exist");
    for t in &texts {
        assert!(!t.contains(PAT), "the PAT leaked");
        assert!(!t.contains(&setup_key), "the setup key leaked");
    }
    rt.block_on(sb.shutdown());
}

#[test]
fn every_example_applies_and_converges() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for (playbook, extra) in [
        ("playbooks/quickstart.yaml", vec![]),
        (
            "playbooks/zero-trust-office.yaml",
            vec!["--set", "customer=Zed", "--set", "domain=zed.example"],
        ),
    ] {
        let sb = sandbox(&rt);
        let dir = tempfile::tempdir().unwrap();
        let mut args = vec![playbook];
        args.extend(extra);
        apply(&sb, dir.path(), &args);
        let before = writes(&sb);
        apply(&sb, dir.path(), &args);
        assert_eq!(
            writes(&sb),
            before,
            "{playbook}: a re-apply made write requests"
        );
        rt.block_on(sb.shutdown());
    }
}

#[test]
fn apply_refuses_without_a_terminal_and_without_yes() {
    let out = Command::new(env!("CARGO_BIN_EXE_onboard"))
        .args([
            "apply",
            "playbooks/quickstart.yaml",
            "--sandbox",
            "--state-dir",
        ])
        .arg(tempfile::tempdir().unwrap().path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}
