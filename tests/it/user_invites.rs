//! `user_invite`, added as one catalogue entry and one sandbox rules file: an invite applies
//! with its link only in the outputs file, re-plans clean, re-applies with no write, is
//! adopted by its email from an empty state, is created again when deleted by hand, and a
//! changed role replaces it (a new link), destroy deletes it; apply refuses to create a link
//! nothing keeps.

use crate::support::*;
use serde_json::Value;
use std::path::Path;

const PLAYBOOK: &str = r#"version: 1
name: invites
inputs:
  customer: { type: string, default: Dental }
  domain: { type: string, default: dental.example }
  role: { type: string, default: admin }
tenant:
  name: "{{ inputs.customer }}"
  domain: "{{ inputs.domain }}"
steps:
  - id: staff
    type: group
    with: { name: staff }
  - id: alice
    type: user_invite
    with:
      email: "alice@{{ inputs.domain }}"
      name: Alice
      role: "{{ inputs.role }}"
      auto_groups: ["{{ steps.staff.id }}"]
outputs:
  alice_link: "{{ steps.alice.invite_token }}"
"#;

/// `onboard plan FILE --detailed-exitcode ARGS`: its exit code and what it printed.
fn plan(sb: &onboard_sandbox::SandboxHandle, state: &Path, args: &[&str]) -> (i32, String) {
    let mut all = vec!["plan", "--detailed-exitcode"];
    all.extend(args);
    let out = onboard(sb, state, &all).output().expect("onboard runs");
    let code = out.status.code().expect("an exit code");
    assert_ne!(code, 1, "plan failed:\n{}\n{}", stdout(&out), stderr(&out));
    (code, stdout(&out))
}

/// `onboard apply ARGS --yes --outputs FILE`: the link in the outputs file, and everything
/// apply printed and stored, none of which holds it.
fn apply_keeping_link(
    sb: &onboard_sandbox::SandboxHandle,
    state: &Path,
    outputs: &Path,
    args: &[&str],
) -> String {
    let mut all = vec![
        "apply",
        "--yes",
        "--outputs",
        outputs.to_str().expect("a UTF-8 path"),
    ];
    all.extend(args);
    let out = onboard(sb, state, &all).output().expect("onboard runs");
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert_private(outputs);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(outputs).expect("the outputs file"))
            .expect("JSON outputs");
    let link = written["alice_link"].as_str().expect("the link").to_owned();
    assert!(link.starts_with("nbi_") && link.len() == 40, "{link}");
    let mut texts = vec![stdout(&out), stderr(&out)];
    for file in walk(&state.join("state"))
        .iter()
        .chain(&walk(&state.join("runs")))
    {
        texts.push(std::fs::read_to_string(file).expect("a readable file"));
    }
    for text in &texts {
        assert!(!text.contains(&link), "the invite link leaked: {text}");
    }
    link
}

fn invites(sb: &onboard_sandbox::SandboxHandle, tid: &str) -> Vec<Value> {
    account(&sb.world(), tid)["user_invites"]
        .as_array()
        .expect("an invites table")
        .clone()
}

#[test]
fn an_invite_applies_adopts_drifts_and_a_changed_role_replaces_it() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("invites.yaml");
    std::fs::write(&file, PLAYBOOK).unwrap();
    let file = file.to_str().unwrap();
    let state = dir.path().join("state");
    let outputs = dir.path().join("outputs.json");

    // Apply: the invite carries the role and the group; its link is in the outputs file only.
    let link = apply_keeping_link(&sb, &state, &outputs, &[file]);
    let world = sb.world();
    let tid = tenant_id(&world, "dental.example");
    let staff = id(account(&world, &tid), "groups", "staff");
    let live = invites(&sb, &tid);
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(live[0]["email"], "alice@dental.example");
    assert_eq!(live[0]["role"], "admin");
    assert_eq!(ids(&live[0]["auto_groups"]), [staff.as_str()]);
    let first_id = live[0]["id"].as_str().unwrap().to_owned();

    // Re-plan: nothing to do; a re-apply writes nothing.
    assert_eq!(plan(&sb, &state, &[file]).0, 0);
    let mark = last_seq(&sb);
    apply(&sb, &state, &[file]);
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());

    // Adopt: a fresh state finds the invite by its email and creates nothing.
    let fresh = dir.path().join("fresh");
    let mark = last_seq(&sb);
    apply(&sb, &fresh, &[file]);
    let writes = writes_after(&sb, mark);
    assert!(
        !writes
            .iter()
            .any(|w| w.starts_with("POST /api/users/invites")),
        "adoption invited again: {writes:?}"
    );
    assert_eq!(plan(&sb, &fresh, &[file]).0, 0);

    // Drift: an invite deleted by hand is planned again, and apply makes a new one.
    let path = format!("/api/users/invites/{first_id}");
    call(&rt, &sb, "DELETE", &path, Some(&tid), None);
    let (code, text) = plan(&sb, &state, &[file]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("alice"), "{text}");
    let again = apply_keeping_link(&sb, &state, &outputs, &[file]);
    assert_ne!(again, link, "a new invite has a new link");
    let live = invites(&sb, &tid);
    assert_eq!(live.len(), 1, "{live:?}");
    let second_id = live[0]["id"].as_str().unwrap().to_owned();

    // A changed role cannot be written to an invite: the plan replaces it, and apply (with
    // `--allow-replace`) deletes it and invites again, with a new link.
    let (code, text) = plan(&sb, &state, &[file, "--set", "role=user"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("role"), "{text}");
    let mark = last_seq(&sb);
    let replaced = apply_keeping_link(
        &sb,
        &state,
        &outputs,
        &[file, "--set", "role=user", "--allow-replace"],
    );
    assert_ne!(replaced, again);
    assert_eq!(
        writes_after(&sb, mark),
        [
            format!("DELETE /api/users/invites/{second_id}"),
            "POST /api/users/invites".to_owned()
        ]
    );
    let live = invites(&sb, &tid);
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(live[0]["role"], "user");
    assert_eq!(plan(&sb, &state, &[file, "--set", "role=user"]).0, 0);

    // Destroy deletes the invite (its link stops working).
    let out = onboard(
        &sb,
        &state,
        &["destroy", file, "--yes", "--set", "role=user"],
    )
    .output()
    .expect("onboard runs");
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert_eq!(invites(&sb, &tid), Vec::<Value>::new());
    rt.block_on(sb.shutdown());
}

#[test]
fn apply_refuses_to_create_a_link_that_nothing_keeps() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("invites.yaml");
    let text = PLAYBOOK.split("outputs:").next().unwrap();
    std::fs::write(&file, text).unwrap();
    let state = dir.path().join("state");
    let out = onboard(&sb, &state, &["apply", file.to_str().unwrap(), "--yes"])
        .output()
        .expect("onboard runs");
    assert!(!out.status.success());
    let err = flat(&stderr(&out));
    assert!(
        err.contains("user_invite")
            && err.contains("invite_token")
            && err.contains("nothing was written"),
        "{err}"
    );
    assert!(
        !sb.log()
            .iter()
            .any(|e| e.method == "POST" && e.path.starts_with("/api/users/invites")),
        "an invite was created"
    );
    rt.block_on(sb.shutdown());
}

#[test]
fn validate_names_an_owner_invite_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("invites.yaml");
    std::fs::write(&file, PLAYBOOK.replace("default: admin", "default: owner")).unwrap();
    let out = binary()
        .args(["validate", file.to_str().unwrap()])
        .output()
        .expect("onboard runs");
    assert!(!out.status.success());
    let err = flat(&stderr(&out));
    assert!(err.contains("invites.yaml:"), "{err}");
    assert!(
        err.contains("role") && err.contains("network_admin"),
        "{err}"
    );
    assert!(!err.contains("\"owner\","), "owner is not offered: {err}");
}
