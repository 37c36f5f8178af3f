//! Saved plans and the live plan's exit codes, against the in-process sandbox.

use crate::support::{self, PAT, sandbox};

fn onboard(
    sb: &onboard_sandbox::SandboxHandle,
    state: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    support::onboard(sb, state, args)
        .output()
        .expect("onboard runs")
}

fn writes(sb: &onboard_sandbox::SandboxHandle) -> usize {
    support::writes(&sb.log()).len()
}

#[test]
fn plan_detailed_exitcode_is_2_before_and_0_after_apply_for_every_example() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for (playbook, extra) in [
        ("playbooks/quickstart.yaml", vec![]),
        (
            "playbooks/msp-customer.yaml",
            vec!["--inventory", "playbooks/customers.yaml"],
        ),
        (
            "playbooks/zero-trust-office.yaml",
            vec!["--set", "customer=Zed", "--set", "domain=zed.example"],
        ),
    ] {
        let sb = sandbox(&rt);
        let dir = tempfile::tempdir().unwrap();
        let mut plan = vec!["plan", playbook, "--detailed-exitcode"];
        plan.extend(&extra);
        assert_eq!(
            onboard(&sb, dir.path(), &plan).status.code(),
            Some(2),
            "{playbook}"
        );
        assert_eq!(writes(&sb), 0, "{playbook}: plan wrote something");
        let mut apply = vec!["apply", playbook, "--yes", "--discard-secrets"];
        apply.extend(&extra);
        let out = onboard(&sb, dir.path(), &apply);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = onboard(&sb, dir.path(), &plan);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{playbook}:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        rt.block_on(sb.shutdown());
    }
}

#[test]
fn a_saved_plan_applies_and_a_stale_one_is_refused_without_writing() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    let plan_s = plan.to_str().unwrap();
    let out = onboard(
        &sb,
        dir.path(),
        &["plan", "playbooks/quickstart.yaml", "--out", plan_s],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = onboard(&sb, dir.path(), &["apply", plan_s, "--discard-secrets"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(writes(&sb), 4, "the saved plan's four creates");

    // A new plan, then a change behind its back: the saved plan is stale.
    let out = onboard(
        &sb,
        dir.path(),
        &["plan", "playbooks/quickstart.yaml", "--out", plan_s],
    );
    assert!(out.status.success());
    let world = sb.world();
    let group = world["accounts"][sb.msp_account_id()]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Servers")
        .unwrap()
        .clone();
    let url = format!("{}/api/groups/{}", sb.url(), group["id"].as_str().unwrap());
    rt.block_on(async {
        let put = reqwest::Client::new()
            .put(url)
            .header("Authorization", format!("Token {PAT}"))
            .json(&serde_json::json!({"name": "Servers (renamed)"}))
            .send()
            .await
            .unwrap();
        assert!(put.status().is_success());
    });
    let before = writes(&sb);
    let out = onboard(&sb, dir.path(), &["apply", plan_s, "--discard-secrets"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the saved plan is stale") && stderr.contains("servers"),
        "{stderr}"
    );
    assert_eq!(writes(&sb), before, "a stale plan wrote something");
    rt.block_on(sb.shutdown());
}
