//! The account's onboarding switches, `extra.peer_approval_enabled` (new peers wait for an
//! admin's approval) and `extra.user_approval_required` (new users wait for an admin's
//! approval), set from an `account_settings` step: applied, re-planned clean, re-applied with
//! no write, and a flipped switch planned and applied as one settings update.

use crate::support::*;
use serde_json::Value;
use std::path::Path;

const PLAYBOOK: &str = r#"version: 1
name: approvals
inputs:
  users_wait: { type: bool, default: true }
tenant:
  name: Dental
  domain: dental.example
steps:
  - id: settings
    type: account_settings
    with:
      extra:
        peer_approval_enabled: true
        user_approval_required: "{{ inputs.users_wait }}"
        network_traffic_logs_enabled: false
        network_traffic_logs_groups: []
        network_traffic_packet_counter_enabled: false
"#;

fn plan(sb: &onboard_sandbox::SandboxHandle, state: &Path, args: &[&str]) -> (i32, String) {
    let mut all = vec!["plan", "--detailed-exitcode"];
    all.extend(args);
    let out = onboard(sb, state, &all).output().expect("onboard runs");
    let code = out.status.code().expect("an exit code");
    assert_ne!(code, 1, "plan failed:\n{}\n{}", stdout(&out), stderr(&out));
    (code, stdout(&out))
}

fn extra(sb: &onboard_sandbox::SandboxHandle, tid: &str) -> Value {
    account(&sb.world(), tid)["settings"]["extra"].clone()
}

#[test]
fn peer_and_user_approval_are_set_from_account_settings() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("approvals.yaml");
    std::fs::write(&file, PLAYBOOK).unwrap();
    let file = file.to_str().unwrap();
    let state = dir.path().join("state");

    apply(&sb, &state, &[file]);
    let tid = tenant_id(&sb.world(), "dental.example");
    let live = extra(&sb, &tid);
    assert_eq!(live["peer_approval_enabled"], true, "{live}");
    assert_eq!(live["user_approval_required"], true, "{live}");

    assert_eq!(plan(&sb, &state, &[file]).0, 0);
    let mark = last_seq(&sb);
    apply(&sb, &state, &[file]);
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());

    let (code, text) = plan(&sb, &state, &[file, "--set", "users_wait=false"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("user_approval_required"), "{text}");
    let mark = last_seq(&sb);
    apply(&sb, &state, &[file, "--set", "users_wait=false"]);
    assert_eq!(
        writes_after(&sb, mark),
        [format!("PUT /api/accounts/{tid}")]
    );
    let live = extra(&sb, &tid);
    assert_eq!(live["user_approval_required"], false, "{live}");
    assert_eq!(live["peer_approval_enabled"], true, "{live}");
    rt.block_on(sb.shutdown());
}
