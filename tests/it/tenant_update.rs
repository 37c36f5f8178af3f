//! The tenant block is a resource like the others: its `name` and its `groups` (an MSP group
//! and the role its members assume) are compared with the live tenant, planned as `~ tenant`
//! with the fields that differ, and updated in place by apply
//! (`PUT /api/integrations/msp/tenants/{id}`, a write in the MSP account); a re-plan then
//! shows no change. A role NetBird does not know is refused by validate, at its line.

use crate::support::*;
use serde_json::Value;
use std::path::Path;

const PLAYBOOK: &str = "playbooks/msp-customer.yaml";
const DOMAIN: &str = "contoso.example";

fn msp_customer(customer: &str) -> Vec<String> {
    [
        PLAYBOOK,
        "--set",
        &format!("customer={customer}"),
        "--set",
        &format!("domain={DOMAIN}"),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// `onboard plan ARGS --detailed-exitcode [--format F]`: (exit code, stdout).
fn plan(
    sb: &onboard_sandbox::SandboxHandle,
    state: &Path,
    args: &[String],
    format: &str,
) -> (Option<i32>, String) {
    let mut all: Vec<&str> = vec!["plan"];
    all.extend(args.iter().map(String::as_str));
    all.extend(["--detailed-exitcode", "--format", format]);
    let out = onboard(sb, state, &all).output().expect("onboard runs");
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "plan failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    (out.status.code(), stdout(&out))
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// The one tenant of `DOMAIN` in the world.
fn live_tenant(sb: &onboard_sandbox::SandboxHandle) -> Value {
    let world = sb.world();
    let id = tenant_id(&world, DOMAIN);
    world["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .find(|t| t["id"] == id.as_str())
        .cloned()
        .expect("the tenant")
}

/// The id of the MSP account's `MSP Admins` group.
fn msp_admins(sb: &onboard_sandbox::SandboxHandle) -> String {
    let world = sb.world();
    id(
        account(&world, &sb.msp_account_id()),
        "groups",
        "MSP Admins",
    )
}

#[test]
fn a_renamed_customer_renames_its_tenant_in_place_and_settles() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    apply(&sb, dir.path(), &strs(&msp_customer("Contoso Dental")));
    let tid = tenant_id(&sb.world(), DOMAIN);
    let renamed = msp_customer("Contoso Dental Group");

    // The plan shows the update and its field, in every format, and costs one write.
    let (code, text) = plan(&sb, dir.path(), &renamed, "text");
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("  ~ tenant \"Contoso Dental Group\" (\"contoso.example\")"),
        "{text}"
    );
    assert!(
        text.contains("      name: \"Contoso Dental\" → \"Contoso Dental Group\"\n"),
        "{text}"
    );
    assert!(text.contains("1 to update"), "{text}");
    let (_, json) = plan(&sb, dir.path(), &renamed, "json");
    let json: Value = serde_json::from_str(&json).expect("a JSON plan");
    let json = &json[0];
    assert_eq!(json["tenant"]["action"], "update");
    assert_eq!(
        json["tenant"]["changes"],
        serde_json::json!([{"field": "name", "before": "Contoso Dental", "after": "Contoso Dental Group"}])
    );
    assert_eq!(json["cost"]["writes"], 1, "{json:#}");
    let (_, md) = plan(&sb, dir.path(), &renamed, "markdown");
    assert!(
        md.contains(
            "| `~` | tenant | tenant | msp | \"Contoso Dental Group\" (\"contoso.example\"); \
             name: \"Contoso Dental\" → \"Contoso Dental Group\" |"
        ),
        "{md}"
    );

    // Apply sends one PUT, in the MSP account, with the name and the groups as they are.
    let before = last_seq(&sb);
    let out = apply(&sb, dir.path(), &strs(&renamed));
    let shown = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        shown.contains(&format!("~ tenant {tid} (updated)")),
        "{shown}"
    );
    let path = format!("/api/integrations/msp/tenants/{tid}");
    assert_eq!(writes_after(&sb, before), [format!("PUT {path}")]);
    let put = sb
        .log()
        .into_iter()
        .find(|e| e.seq > before && e.method == "PUT")
        .expect("the PUT");
    assert_eq!(put.query, None, "an MSP call has no ?account=");
    let live = live_tenant(&sb);
    assert_eq!(live["name"], "Contoso Dental Group");
    assert_eq!(
        live["groups"],
        serde_json::json!([{"id": msp_admins(&sb), "role": "admin"}])
    );
    // The state still knows the tenant by its id, and how onboard came to own it.
    let state = state_file(dir.path());
    assert_eq!(state["tenant"]["id"], tid.as_str());
    assert_eq!(state["tenant"]["origin"], "created");

    // Nothing left to do.
    let (code, text) = plan(&sb, dir.path(), &renamed, "text");
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("    tenant \"Contoso Dental Group\""),
        "{text}"
    );
}

/// A playbook of one tenant whose group's role is an input.
fn role_playbook(dir: &Path) -> String {
    let path = dir.join("tenant-role.yaml");
    std::fs::write(
        &path,
        r#"version: 1
name: tenant-role
inputs:
  role: { type: string, default: admin }
tenant:
  name: Contoso Dental
  domain: contoso.example
  groups:
    - id: "{{ steps.msp_admins.id }}"
      role: "{{ inputs.role }}"
steps:
  - id: msp_admins
    type: group
    scope: msp
    existing: true
    with: { name: MSP Admins }
  - id: servers
    type: group
    with: { name: Servers }
"#,
    )
    .expect("write the playbook");
    path.to_string_lossy().into_owned()
}

#[test]
fn a_changed_role_is_planned_with_its_group_and_applied() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let playbook = role_playbook(dir.path());
    let state = dir.path().join("state");
    apply(&sb, &state, &[&playbook]);
    let admins = msp_admins(&sb);
    let auditor = [playbook.clone(), "--set".into(), "role=auditor".into()];

    let (code, text) = plan(&sb, &state, &auditor, "text");
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains(&format!(
            "      groups: [{{id: \"{admins}\", role: \"admin\"}}] → \
             [{{id: \"{admins}\", role: \"auditor\"}}]\n"
        )),
        "{text}"
    );
    let (_, json) = plan(&sb, &state, &auditor, "json");
    let json: Value = serde_json::from_str(&json).expect("a JSON plan");
    let json = &json[0];
    assert_eq!(json["tenant"]["changes"][0]["field"], "groups");
    assert_eq!(json["tenant"]["changes"][0]["after"][0]["role"], "auditor");

    // The reviewed plan, saved and applied as it is.
    let saved = dir.path().join("plan.json");
    let mut save = vec!["plan"];
    save.extend(strs(&auditor));
    save.extend(["--out", saved.to_str().expect("a UTF-8 path")]);
    assert!(
        onboard(&sb, &state, &save)
            .status()
            .expect("onboard runs")
            .success()
    );
    let before = last_seq(&sb);
    let saved = saved.to_string_lossy().into_owned();
    let out = onboard(&sb, &state, &["apply", &saved, "--discard-secrets"])
        .output()
        .expect("onboard runs");
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(
        writes_after(&sb, before),
        [format!(
            "PUT /api/integrations/msp/tenants/{}",
            tenant_id(&sb.world(), DOMAIN)
        )]
    );
    let live = live_tenant(&sb);
    assert_eq!(
        live["groups"],
        serde_json::json!([{"id": admins, "role": "auditor"}])
    );
    assert_eq!(live["name"], "Contoso Dental");
    let (code, text) = plan(&sb, &state, &auditor, "text");
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn a_role_netbird_does_not_know_is_refused_before_any_write() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let playbook = role_playbook(dir.path());
    let out = run(&sb, dir.path(), &[&playbook, "--set", "role=administrator"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = flat(&stderr(&out));
    assert!(
        err.contains("unknown tenant role `administrator` (rendered from `{{ inputs.role }}`)"),
        "{err}"
    );
    assert!(err.contains("tenant-role.yaml:10:13"), "{err}");
    assert!(
        err.contains(
            "a tenant role is one of owner, admin, user, billing_admin, auditor, network_admin"
        ),
        "{err}"
    );
    let plan = onboard(
        &sb,
        dir.path(),
        &["plan", &playbook, "--set", "role=administrator"],
    )
    .output()
    .expect("onboard runs");
    assert_eq!(plan.status.code(), Some(1));
    assert_eq!(
        stderr(&plan).matches("unknown tenant role").count(),
        1,
        "{}",
        stderr(&plan)
    );
    assert!(writes(&sb.log()).is_empty(), "{:?}", sb.log());
}

#[test]
fn drift_full_reports_a_tenant_renamed_by_hand_and_apply_puts_it_back() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let args = msp_customer("Contoso Dental");
    apply(&sb, dir.path(), &strs(&args));
    let tid = tenant_id(&sb.world(), DOMAIN);
    let groups = live_tenant(&sb)["groups"].clone();
    let body = serde_json::json!({"name": "Renamed By Hand", "groups": groups});
    let path = format!("/api/integrations/msp/tenants/{tid}");
    call(&rt, &sb, "PUT", &path, None, Some(&body));

    let mut drift = vec!["drift"];
    drift.extend(strs(&args));
    drift.push("--full");
    let out = onboard(&sb, dir.path(), &drift)
        .output()
        .expect("onboard runs");
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(2), "{text}{}", stderr(&out));
    assert!(
        text.contains("  tenant (tenant): changed; apply updates it\n"),
        "{text}"
    );
    assert!(
        text.contains("name: \"Renamed By Hand\" (live) → \"Contoso Dental\" (playbook)"),
        "{text}"
    );
    apply(&sb, dir.path(), &strs(&args));
    assert_eq!(live_tenant(&sb)["name"], "Contoso Dental");
}
