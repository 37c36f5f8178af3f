//! The DNS kinds, each added as one catalogue entry and one sandbox rules file: a zone with
//! its records applies, re-plans clean, is adopted from an empty state, shows a hand edit as
//! drift (and apply puts it back), and exports as steps that plan with no change.

use crate::support::*;
use serde_json::{Value, json};
use std::path::Path;

const PLAYBOOK: &str = r#"version: 1
name: dns
inputs:
  customer: { type: string, default: Dental }
  domain: { type: string, default: dental.example }
tenant:
  name: "{{ inputs.customer }}"
  domain: "{{ inputs.domain }}"
steps:
  - id: office
    type: group
    with: { name: office }
  - id: zone
    type: dns_zone
    with:
      name: internal
      domain: "corp.{{ inputs.domain }}"
      distribution_groups: ["{{ steps.office.id }}"]
  - id: www
    type: dns_record
    with:
      zone_id: "{{ steps.zone.id }}"
      name: "www.corp.{{ inputs.domain }}"
      type: A
      content: 10.0.0.5
  - id: intranet
    type: dns_record
    with:
      zone_id: "{{ steps.zone.id }}"
      name: "intranet.corp.{{ inputs.domain }}"
      type: CNAME
      content: "www.corp.{{ inputs.domain }}"
      ttl: 60
"#;

/// `onboard plan FILE --detailed-exitcode`: its exit code and what it printed.
fn plan(sb: &onboard_sandbox::SandboxHandle, state: &Path, file: &str) -> (i32, String) {
    let out = onboard(sb, state, &["plan", file, "--detailed-exitcode"])
        .output()
        .expect("onboard runs");
    let code = out.status.code().expect("an exit code");
    assert_ne!(code, 1, "plan failed:\n{}\n{}", stdout(&out), stderr(&out));
    (code, stdout(&out))
}

fn objects<'a>(acct: &'a Value, collection: &str) -> &'a [Value] {
    acct[collection].as_array().map_or(&[], Vec::as_slice)
}

#[test]
fn a_zone_and_its_records_apply_adopt_drift_and_export() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dns.yaml");
    std::fs::write(&file, PLAYBOOK).unwrap();
    let file = file.to_str().unwrap();
    let state = dir.path().join("state");

    // Apply: the zone is distributed to the group, the records live under the zone.
    apply(&sb, &state, &[file]);
    let world = sb.world();
    let tid = tenant_id(&world, "dental.example");
    let acct = account(&world, &tid);
    let office = id(acct, "groups", "office");
    let zones = objects(acct, "dns_zones");
    assert_eq!(zones.len(), 1, "{zones:?}");
    let zone = &zones[0];
    assert_eq!(zone["domain"], "corp.dental.example");
    assert_eq!(ids(&zone["distribution_groups"]), [office.as_str()]);
    let records = objects(acct, "dns_records");
    assert_eq!(records.len(), 2, "{records:?}");
    let text = serde_json::to_string(records).unwrap();
    for want in [
        "www.corp.dental.example",
        "intranet.corp.dental.example",
        "10.0.0.5",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }

    // Re-plan: nothing to do; a re-apply writes nothing.
    assert_eq!(plan(&sb, &state, file).0, 0);
    let mark = last_seq(&sb);
    apply(&sb, &state, &[file]);
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());

    // Adopt: a fresh state finds the zone by its domain and the records by zone, name and
    // type: nothing is created.
    let fresh = dir.path().join("fresh");
    assert_eq!(
        plan(&sb, &fresh, file).0,
        2,
        "a fresh state adopts the tenant"
    );
    let mark = last_seq(&sb);
    apply(&sb, &fresh, &[file]);
    let writes = writes_after(&sb, mark);
    assert!(
        writes.iter().all(|w| !w.starts_with("POST /api/dns")),
        "adoption created DNS objects again: {writes:?}"
    );
    assert_eq!(objects(account(&sb.world(), &tid), "dns_records").len(), 2);
    assert_eq!(plan(&sb, &fresh, file).0, 0);

    // Drift: a TTL changed by hand is planned back, and apply restores it.
    let zone_id = zone["id"].as_str().unwrap().to_owned();
    let path = format!("/api/dns/zones/{zone_id}/records");
    let live = call(&rt, &sb, "GET", &path, Some(&tid), None);
    let www = live
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "A")
        .unwrap()
        .clone();
    let rid = www["id"].as_str().unwrap();
    let mut edited = www.clone();
    edited["ttl"] = json!(3600);
    call(
        &rt,
        &sb,
        "PUT",
        &format!("{path}/{rid}"),
        Some(&tid),
        Some(&edited),
    );
    let (code, text) = plan(&sb, &state, file);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("www") && text.contains("ttl"), "{text}");
    apply(&sb, &state, &[file]);
    let live = call(&rt, &sb, "GET", &format!("{path}/{rid}"), Some(&tid), None);
    assert_eq!(live["ttl"], 300);

    // Export: the zone and its records come back as steps, the records referring to the zone
    // step, and the export plans with no change against the tenant it came from.
    let out = onboard(&sb, &state, &["export", "--account", &tid])
        .output()
        .expect("onboard runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let exported = stdout(&out);
    assert!(exported.contains("type: dns_zone"), "{exported}");
    assert_eq!(
        exported.matches("type: dns_record").count(),
        2,
        "{exported}"
    );
    assert!(exported.contains("zone_id: \"{{ steps."), "{exported}");
    let again = dir.path().join("exported.yaml");
    std::fs::write(&again, &exported).unwrap();
    let (code, text) = plan(
        &sb,
        &dir.path().join("export-state"),
        again.to_str().unwrap(),
    );
    assert_eq!(code, 2, "the export adopts: {text}");
    let mark = last_seq(&sb);
    apply(
        &sb,
        &dir.path().join("export-state"),
        &[again.to_str().unwrap()],
    );
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());
    rt.block_on(sb.shutdown());
}
