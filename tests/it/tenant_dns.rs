//! The tenant's DNS verification as a step a playbook waits on: on a tenant whose TXT record
//! is missing, apply fails the step with NetBird's 501 turned into the record to create (the
//! step's place in the playbook, the domain, the challenge), and the steps that depend on it
//! are skipped; once the sandbox publishes the record, the next apply verifies with one call
//! and the dependants run after it; a re-apply makes no verification call.

use crate::support::*;
use serde_json::Value;

const PLAYBOOK: &str = r#"version: 1
name: verified
inputs:
  domain: { type: string, default: clinic.example }
tenant:
  name: Clinic
  domain: "{{ inputs.domain }}"
steps:
  - id: verify_dns
    type: tenant_dns_verification
  - id: staff
    type: group
    with: { name: staff }
    depends_on: [verify_dns]
  - id: lobby
    type: group
    with: { name: lobby }
outputs:
  txt_value: "{{ tenant.dns_challenge }}"
  verified: "{{ steps.verify_dns.verified }}"
"#;

const DNS: &str = "/dns";

/// The verification calls with `seq > after`: `(seq, status)`.
fn verifications(sb: &onboard_sandbox::SandboxHandle, after: u64) -> Vec<(u64, u16)> {
    sb.log()
        .iter()
        .filter(|e| e.seq > after && e.method == "POST" && e.path.ends_with(DNS))
        .map(|e| (e.seq, e.status))
        .collect()
}

fn challenge(world: &Value, domain: &str) -> String {
    let tenants = world["tenants"].as_array().expect("tenants");
    let t = tenants
        .iter()
        .find(|t| t["domain"] == domain)
        .expect("the tenant");
    t["dns_challenge"].as_str().expect("a challenge").to_owned()
}

#[test]
fn the_verification_fails_with_the_record_to_create_then_passes_and_its_dependants_wait() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("verified.yaml");
    std::fs::write(&path, PLAYBOOK).unwrap();
    let file = path.to_str().unwrap();
    let state = dir.path().join("state");
    let outputs = dir.path().join("outputs.json");
    let outputs = outputs.to_str().unwrap();

    // The plan shows the verification as a step of the MSP account, on the tenant to create.
    let out = onboard(&sb, &state, &["plan", file]).output().unwrap();
    assert!(out.status.success(), "{}", printed(&out));
    let text = stdout(&out);
    assert!(
        text.contains("+ verify_dns (tenant_dns_verification, scope msp)")
            && text.contains("tenant_id: (known after apply)"),
        "{text}"
    );

    // No TXT record: NetBird's 501 fails the step, located, naming the record to create;
    // the step that waits on it is skipped, the one that does not is created.
    let mark = last_seq(&sb);
    let out = run(&sb, &state, &[file, "--outputs", outputs]);
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    let world = sb.world();
    let value = challenge(&world, "clinic.example");
    let tid = tenant_id(&world, "clinic.example");
    let shown = flat(&printed(&out));
    for part in [
        format!(
            "verify_dns failed: {file}:9:9: NetBird could not verify the domain clinic.example of tenant {tid}"
        ),
        "(501 DNS Challenge Failed)".to_owned(),
        format!(
            "publish the TXT record NetBird asks for in clinic.example's DNS with the value {value}"
        ),
        "then run apply again".to_owned(),
        "staff skipped: `verify_dns` failed".to_owned(),
    ] {
        assert!(shown.contains(&part), "{part}\nnot in:\n{shown}");
    }
    assert_eq!(
        verifications(&sb, mark)
            .iter()
            .map(|v| v.1)
            .collect::<Vec<_>>(),
        [501]
    );
    let acct = account(&world, &tid);
    assert_eq!(names(acct, "groups"), ["All", "lobby"]);
    // The challenge reaches the outputs file even so, for the DNS automation to publish it.
    let written: Value = serde_json::from_str(&std::fs::read_to_string(outputs).unwrap()).unwrap();
    assert_eq!(written["txt_value"], value.as_str());

    // The record published: one verification call (200), then the step that waited on it.
    sb.publish_txt("clinic.example", &value);
    let mark = last_seq(&sb);
    let out = run(&sb, &state, &[file, "--outputs", outputs]);
    assert!(out.status.success(), "{}", printed(&out));
    let verified = verifications(&sb, mark);
    assert_eq!(verified.iter().map(|v| v.1).collect::<Vec<_>>(), [200]);
    let staff_created = sb
        .log()
        .into_iter()
        .filter(|e| e.seq > mark && e.method == "POST" && e.path == "/api/groups")
        .map(|e| e.seq)
        .collect::<Vec<_>>();
    assert_eq!(staff_created.len(), 1, "staff, once");
    assert!(
        staff_created[0] > verified[0].0,
        "staff after the verification"
    );
    let tenant = &sb.world()["tenants"][0];
    assert_eq!(tenant["status"], "active");
    let written: Value = serde_json::from_str(&std::fs::read_to_string(outputs).unwrap()).unwrap();
    assert_eq!(written["verified"], true);

    // Verified once: the state records it; a re-plan is clean and a re-apply verifies
    // nothing again (no call to the endpoint; what it costs is the plan's reads).
    let out = onboard(&sb, &state, &["plan", file, "--detailed-exitcode"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let mark = last_seq(&sb);
    let out = run(&sb, &state, &[file]);
    assert!(out.status.success(), "{}", printed(&out));
    assert_eq!(verifications(&sb, mark), []);
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());
    let mut calls: Vec<String> = sb
        .log()
        .iter()
        .filter(|e| e.seq > mark)
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    calls.sort();
    // The tenant list, the PAT's own account, the tenant's scope proof, the tenant's groups:
    // what the same playbook without the verification costs.
    assert_eq!(
        calls,
        [
            "GET /api/accounts",
            "GET /api/accounts",
            "GET /api/groups",
            "GET /api/integrations/msp/tenants"
        ]
    );
    let recorded = &state_file(&state)["steps"]["verify_dns"];
    assert_eq!(recorded["id"], tid.as_str(), "{recorded}");

    // A tenant NetBird lists as `active` is verified already, whatever the state says (the
    // step added to a customer verified in the portal, a lost record): no call, and the plan
    // says why.
    let mut doc = state_file(&state);
    doc["steps"]
        .as_object_mut()
        .expect("steps")
        .remove("verify_dns");
    std::fs::write(state_path(&state), doc.to_string()).unwrap();
    let out = onboard(&sb, &state, &["plan", file]).output().unwrap();
    let text = printed(&out);
    assert!(
        text.contains("# the tenant is active: its domain is verified"),
        "{text}"
    );
    let mark = last_seq(&sb);
    let out = run(&sb, &state, &[file]);
    assert!(out.status.success(), "{}", printed(&out));
    assert_eq!(verifications(&sb, mark), []);

    // `destroy` deletes the groups and has nothing to undo for the verification.
    let mark = last_seq(&sb);
    let out = onboard(&sb, &state, &["destroy", file, "--yes"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", printed(&out));
    assert_eq!(verifications(&sb, mark), []);
    let writes = writes_after(&sb, mark);
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert!(
        writes.iter().all(|w| w.starts_with("DELETE /api/groups/")),
        "{writes:?}"
    );
}

#[test]
fn the_verification_runs_in_the_msp_account_and_needs_a_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let scoped = PLAYBOOK.replace(
        "    type: tenant_dns_verification\n",
        "    type: tenant_dns_verification\n    scope: tenant\n",
    );
    let path = dir.path().join("scoped.yaml");
    std::fs::write(&path, scoped).unwrap();
    let out = binary().arg("validate").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    let text = flat(&printed(&out));
    assert!(
        text.contains("a tenant_dns_verification runs in the MSP account, not `scope: tenant`")
            && text.contains("scoped.yaml:11:12"),
        "{text}"
    );

    let untenanted =
        "version: 1\nname: lone\nsteps:\n  - id: verify\n    type: tenant_dns_verification\n";
    let path = dir.path().join("lone.yaml");
    std::fs::write(&path, untenanted).unwrap();
    let out = binary().arg("validate").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    let text = flat(&printed(&out));
    assert!(
        text.contains(
            "step `verify` (tenant_dns_verification) is missing required field `tenant_id`"
        ) && text.contains("lone.yaml:4:")
            && text.contains("or add a `tenant:` block"),
        "{text}"
    );
}

#[test]
fn a_tenant_id_that_names_no_tenant_fails_at_the_step_with_what_would_be_right() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.yaml");
    std::fs::write(
        &path,
        "version: 1\nname: nope\nsteps:\n  - id: verify\n    type: tenant_dns_verification\n    with: { tenant_id: does-not-exist }\n",
    )
    .unwrap();
    let file = path.to_str().unwrap();
    let out = run(&sb, &dir.path().join("state"), &[file]);
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    let shown = flat(&printed(&out));
    for part in [
        format!("{file}:4:9: no tenant of the MSP account has the id does-not-exist (404"),
        "leave it out to verify the playbook's own tenant".to_owned(),
    ] {
        assert!(shown.contains(&part), "{part}\nnot in:\n{shown}");
    }
}
