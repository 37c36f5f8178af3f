//! The EDR integrations: one per account, absent until created (`GET` answers 404), created
//! with `POST`, replaced with `PUT` and deleted with `DELETE` on one path without an id. A
//! Falcon integration whose secret comes from a sensitive input and an Intune one apply, re-plan
//! clean and re-apply with no write; a rotated secret is one `PUT`; `--prune` and `destroy`
//! delete them on their paths; the secrets reach NetBird only.

use crate::support::*;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

const PLAYBOOK: &str = r#"version: 1
name: edr
inputs:
  customer: { type: string, default: Dental }
  domain: { type: string, default: dental.example }
  falcon_secret: { type: string, sensitive: true }
tenant:
  name: "{{ inputs.customer }}"
  domain: "{{ inputs.domain }}"
steps:
  - id: laptops
    type: group
    with: { name: laptops }
  - id: falcon
    type: edr_falcon
    with:
      client_id: falcon-client
      secret: "{{ inputs.falcon_secret }}"
      cloud_id: eu-1
      groups: ["{{ steps.laptops.id }}"]
      zta_score_threshold: 75
  - id: intune
    type: edr_intune
    with:
      client_id: intune-app
      tenant_id: dental-azure-tenant
      secret: Intune-Literal-Secret-4d2b
      groups: ["{{ steps.laptops.id }}"]
"#;

const FIRST: &str = "Recognisable-Falcon-Secret-One-5e8a";
const SECOND: &str = "Recognisable-Falcon-Secret-Two-b71c";

/// `onboard ARGS` with the Falcon secret in `ONBOARD_VAR_falcon_secret` and full logging.
fn with_secret(
    sb: &onboard_sandbox::SandboxHandle,
    state: &Path,
    args: &[&str],
    secret: &str,
) -> Output {
    let mut cmd = onboard(sb, state, args);
    cmd.arg("-vvv")
        .env("RUST_LOG", "trace")
        .env("ONBOARD_VAR_falcon_secret", secret);
    cmd.output().expect("onboard runs")
}

#[test]
fn edr_integrations_apply_replan_clean_update_a_rotated_secret_and_are_deleted() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("edr.yaml");
    std::fs::write(&file, PLAYBOOK).unwrap();
    let file = file.to_str().unwrap();
    let state = dir.path().join("state");
    let mut shown = String::new();

    // Apply: each integration is created with one POST on its path (in any order: the two
    // run at once).
    let mark = last_seq(&sb);
    let out = with_secret(&sb, &state, &["apply", file, "--yes"], FIRST);
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    let mut posted = writes_to(&sb, mark, "/api/integrations/edr/");
    posted.sort();
    assert_eq!(
        posted,
        [
            "POST /api/integrations/edr/falcon",
            "POST /api/integrations/edr/intune"
        ]
    );
    let sent = last_body(&sb, "/api/integrations/edr/falcon");
    assert_eq!(sent["secret"], FIRST);
    assert_eq!(sent["enabled"], true, "the default is sent: {sent}");
    let falcon = tenant_table(&sb, "dental.example", "edr_falcon");
    assert_eq!(falcon.len(), 1, "{falcon:?}");
    assert_eq!(falcon[0]["cloud_id"], "eu-1");
    assert!(falcon[0].get("secret").is_none(), "{}", falcon[0]);
    let intune = tenant_table(&sb, "dental.example", "edr_intune");
    assert_eq!(intune.len(), 1, "{intune:?}");
    assert_eq!(intune[0]["last_synced_interval"], 24, "the default");

    // The same playbook and secret: nothing to change, nothing written.
    let out = with_secret(&sb, &state, &["plan", file, "--detailed-exitcode"], FIRST);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    shown += &printed(&out);
    let mark = last_seq(&sb);
    let out = with_secret(&sb, &state, &["apply", file, "--yes"], FIRST);
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());

    // A rotated secret: an update, shown masked, sent in one PUT on the path.
    let out = with_secret(&sb, &state, &["plan", file, "--detailed-exitcode"], SECOND);
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    let text = stdout(&out);
    assert!(
        text.contains("~ falcon") && text.contains("secret"),
        "{text}"
    );
    assert!(!text.contains("~ intune"), "{text}");
    shown += &printed(&out);
    let mark = last_seq(&sb);
    let out = with_secret(&sb, &state, &["apply", file, "--yes"], SECOND);
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    assert_eq!(
        writes_to(&sb, mark, "/api/integrations/edr/"),
        ["PUT /api/integrations/edr/falcon"]
    );
    assert_eq!(
        last_body(&sb, "/api/integrations/edr/falcon")["secret"],
        SECOND
    );
    assert_eq!(
        tenant_table(&sb, "dental.example", "edr_falcon")[0]["id"],
        falcon[0]["id"]
    );

    // Intune gone from the playbook: `--prune` deletes it on its path.
    let smaller = PLAYBOOK.split("  - id: intune").next().unwrap();
    let smaller_file = dir.path().join("smaller.yaml");
    std::fs::write(&smaller_file, smaller).unwrap();
    let smaller_file = smaller_file.to_str().unwrap();
    let mark = last_seq(&sb);
    let out = with_secret(
        &sb,
        &state,
        &["apply", smaller_file, "--prune", "--yes"],
        SECOND,
    );
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    assert_eq!(
        writes_to(&sb, mark, "/api/integrations/edr/"),
        ["DELETE /api/integrations/edr/intune"]
    );
    assert!(tenant_table(&sb, "dental.example", "edr_intune").is_empty());

    // `destroy` deletes the Falcon integration (before its group).
    let mark = last_seq(&sb);
    let out = with_secret(&sb, &state, &["destroy", smaller_file, "--yes"], SECOND);
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    let writes = writes_after(&sb, mark);
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert_eq!(writes[0], "DELETE /api/integrations/edr/falcon");
    assert!(writes[1].starts_with("DELETE /api/groups/"), "{writes:?}");
    assert!(tenant_table(&sb, "dental.example", "edr_falcon").is_empty());

    // Nothing onboard printed, and no file it wrote, holds a secret.
    for secret in [FIRST, SECOND, "Intune-Literal-Secret-4d2b"] {
        assert!(!shown.contains(secret), "{secret} printed:\n{shown}");
        for path in walk(dir.path()) {
            if path.ends_with("edr.yaml") || path.ends_with("smaller.yaml") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(secret), "{secret} in {}", path.display());
        }
    }
}

#[test]
fn the_schema_lists_every_edr_type() {
    let out = binary().arg("schema").output().expect("onboard runs");
    assert!(out.status.success());
    let schema: Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let text = schema.to_string();
    for ty in [
        "edr_intune",
        "edr_sentinelone",
        "edr_falcon",
        "edr_huntress",
        "edr_fleetdm",
    ] {
        assert!(text.contains(&format!("\"{ty}\"")), "{ty} missing");
    }
}

#[test]
fn an_integration_made_by_hand_is_adopted_with_one_put_and_kept_when_changed_behind_our_back() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    // The tenant and its group first, then a Falcon integration made by hand.
    let group_only = PLAYBOOK.split("  - id: falcon").next().unwrap();
    let group_file = dir.path().join("group.yaml");
    std::fs::write(&group_file, group_only).unwrap();
    let out = with_secret(
        &sb,
        &state,
        &["apply", group_file.to_str().unwrap(), "--yes"],
        FIRST,
    );
    assert!(out.status.success(), "{}", printed(&out));
    let world = sb.world();
    let tid = tenant_id(&world, "dental.example");
    let laptops = id(account(&world, &tid), "groups", "laptops");
    let by_hand = serde_json::json!({"client_id": "falcon-client", "secret": "typed-by-hand",
        "cloud_id": "eu-1", "groups": [laptops], "zta_score_threshold": 75});
    call(
        &rt,
        &sb,
        "POST",
        "/api/integrations/edr/falcon",
        Some(&tid),
        Some(&by_hand),
    );

    // Its fields match, but the secret NetBird holds is not known: one update sends it.
    let file = dir.path().join("edr.yaml");
    std::fs::write(&file, PLAYBOOK).unwrap();
    let file = file.to_str().unwrap();
    let out = with_secret(&sb, &state, &["plan", file, "--detailed-exitcode"], FIRST);
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    let text = stdout(&out);
    assert!(text.contains("~ falcon"), "{text}");
    assert!(text.contains("never sent by onboard"), "{text}");
    let mark = last_seq(&sb);
    let out = with_secret(&sb, &state, &["apply", file, "--yes"], FIRST);
    assert!(out.status.success(), "{}", printed(&out));
    assert_eq!(
        writes_to(&sb, mark, "/api/integrations/edr/"),
        [
            "POST /api/integrations/edr/intune",
            "PUT /api/integrations/edr/falcon"
        ]
    );
    assert_eq!(
        last_body(&sb, "/api/integrations/edr/falcon")["secret"],
        FIRST
    );
    let out = with_secret(&sb, &state, &["plan", file, "--detailed-exitcode"], FIRST);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));

    // Changed by hand afterwards: destroy keeps it and says why; the rest goes.
    let mut changed = by_hand.clone();
    changed["zta_score_threshold"] = serde_json::json!(10);
    call(
        &rt,
        &sb,
        "PUT",
        "/api/integrations/edr/falcon",
        Some(&tid),
        Some(&changed),
    );
    let mark = last_seq(&sb);
    let out = with_secret(&sb, &state, &["destroy", file, "--yes"], FIRST);
    let text = printed(&out);
    assert!(
        text.contains("falcon: kept: changed behind onboard's back (zta_score_threshold)"),
        "{text}"
    );
    assert_eq!(
        writes_to(&sb, mark, "/api/integrations/edr/"),
        ["DELETE /api/integrations/edr/intune"]
    );
    assert_eq!(tenant_table(&sb, "dental.example", "edr_falcon").len(), 1);
}
