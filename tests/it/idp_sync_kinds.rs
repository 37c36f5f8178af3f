//! The identity-provider sync integrations (`google_idp`, `azure_idp`, `scim_idp`): collections
//! with numeric ids. A Google integration whose service-account key comes from a sensitive
//! input, an Azure one and a SCIM one apply, re-plan clean and re-apply with no write; a
//! rotated key and a changed sync interval are one `PUT` each; the SCIM token the create
//! answers reaches the outputs file only; an integration made by hand is adopted by its
//! identity; `destroy` deletes them.

use crate::support::*;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

const PLAYBOOK: &str = r#"version: 1
name: idps
inputs:
  customer: { type: string, default: Dental }
  domain: { type: string, default: dental.example }
  google_key: { type: string, sensitive: true }
tenant:
  name: "{{ inputs.customer }}"
  domain: "{{ inputs.domain }}"
steps:
  - id: google
    type: google_idp
    with:
      service_account_key: "{{ inputs.google_key }}"
      customer_id: C0dental
      group_prefixes: [Staff]
  - id: azure
    type: azure_idp
    with:
      client_secret: Azure-Literal-Secret-9f1e
      client_id: azure-app
      tenant_id: dental-azure-tenant
      sync_interval: 600
  - id: scim
    type: scim_idp
    with:
      prefix: dental
      provider: jumpcloud
outputs:
  scim_token: "{{ steps.scim.auth_token }}"
"#;

const FIRST: &str = "Recognisable-Google-Key-One-5e8a";
const SECOND: &str = "Recognisable-Google-Key-Two-b71c";

/// `onboard ARGS` with the Google key in `ONBOARD_VAR_google_key` and full logging.
fn with_key(sb: &onboard_sandbox::SandboxHandle, state: &Path, args: &[&str], key: &str) -> Output {
    let mut cmd = onboard(sb, state, args);
    cmd.arg("-vvv")
        .env("RUST_LOG", "trace")
        .env("ONBOARD_VAR_google_key", key);
    cmd.output().expect("onboard runs")
}

#[test]
fn sync_integrations_apply_replan_clean_update_in_place_and_keep_the_scim_token_in_outputs() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("idps.yaml");
    std::fs::write(&file, PLAYBOOK).unwrap();
    let file = file.to_str().unwrap();
    let state = dir.path().join("state");
    let outputs = dir.path().join("outputs.json");
    let outputs_arg = outputs.to_str().unwrap();
    let mut shown = String::new();

    // Apply: one POST each (in any order: they run at once).
    let mark = last_seq(&sb);
    let out = with_key(
        &sb,
        &state,
        &["apply", file, "--yes", "--outputs", outputs_arg],
        FIRST,
    );
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    let mut posted = writes_to(&sb, mark, "-idp");
    posted.sort();
    assert_eq!(
        posted,
        [
            "POST /api/integrations/azure-idp",
            "POST /api/integrations/google-idp",
            "POST /api/integrations/scim-idp"
        ]
    );
    let sent = last_body(&sb, "/api/integrations/google-idp");
    assert_eq!(sent["service_account_key"], FIRST);
    assert_eq!(sent["sync_interval"], 300, "the default is sent: {sent}");
    let google = tenant_table(&sb, "dental.example", "google_idp");
    assert_eq!(google.len(), 1, "{google:?}");
    assert_eq!(google[0]["customer_id"], "C0dental");
    assert!(google[0]["id"].is_i64(), "a numeric id: {}", google[0]);
    assert!(google[0].get("service_account_key").is_none());
    assert_eq!(
        tenant_table(&sb, "dental.example", "azure_idp")[0]["host"],
        "microsoft.com"
    );

    // The SCIM token: in full in the outputs file, masked in NetBird's later answers.
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&outputs).unwrap()).unwrap();
    let token = written["scim_token"]
        .as_str()
        .expect("the token")
        .to_owned();
    assert!(token.starts_with("nbs_") && token.len() == 44, "{token}");
    let scim = tenant_table(&sb, "dental.example", "scim_idp");
    assert_eq!(scim.len(), 1, "{scim:?}");
    assert_ne!(scim[0]["auth_token"], token.as_str());

    // The same playbook and key: nothing to change, nothing written.
    let out = with_key(&sb, &state, &["plan", file, "--detailed-exitcode"], FIRST);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    shown += &printed(&out);
    let mark = last_seq(&sb);
    let out = with_key(&sb, &state, &["apply", file, "--yes"], FIRST);
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());

    // A rotated key and a longer Azure interval: one PUT each, on the integrations' ids.
    let changed = PLAYBOOK.replace("sync_interval: 600", "sync_interval: 900");
    std::fs::write(file, &changed).unwrap();
    let out = with_key(&sb, &state, &["plan", file, "--detailed-exitcode"], SECOND);
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    let text = stdout(&out);
    assert!(
        text.contains("~ google") && text.contains("service_account_key"),
        "{text}"
    );
    assert!(
        text.contains("~ azure") && text.contains("sync_interval"),
        "{text}"
    );
    assert!(!text.contains("~ scim"), "{text}");
    shown += &printed(&out);
    let mark = last_seq(&sb);
    let out = with_key(&sb, &state, &["apply", file, "--yes"], SECOND);
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    let google_id = google[0]["id"].to_string();
    let azure_id = tenant_table(&sb, "dental.example", "azure_idp")[0]["id"].to_string();
    let mut put = writes_to(&sb, mark, "-idp");
    put.sort();
    assert_eq!(
        put,
        [
            format!("PUT /api/integrations/azure-idp/{azure_id}"),
            format!("PUT /api/integrations/google-idp/{google_id}")
        ]
    );
    assert_eq!(
        last_body(&sb, "/api/integrations/google-idp")["service_account_key"],
        SECOND
    );
    assert_eq!(
        tenant_table(&sb, "dental.example", "azure_idp")[0]["sync_interval"],
        900
    );
    let out = with_key(&sb, &state, &["plan", file, "--detailed-exitcode"], SECOND);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));

    // `destroy` deletes all three on their ids.
    let mark = last_seq(&sb);
    let out = with_key(&sb, &state, &["destroy", file, "--yes"], SECOND);
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    let mut deleted = writes_to(&sb, mark, "-idp");
    deleted.sort();
    assert_eq!(deleted.len(), 3, "{deleted:?}");
    assert!(
        deleted.iter().all(|d| d.starts_with("DELETE ")),
        "{deleted:?}"
    );
    for table in ["google_idp", "azure_idp", "scim_idp"] {
        assert!(
            tenant_table(&sb, "dental.example", table).is_empty(),
            "{table}"
        );
    }

    // Nothing onboard printed, and no file it wrote but the outputs file, holds a secret.
    for secret in [FIRST, SECOND, "Azure-Literal-Secret-9f1e", token.as_str()] {
        assert!(!shown.contains(secret), "{secret} printed:\n{shown}");
        for path in walk(dir.path()) {
            if path.ends_with("idps.yaml") || path == outputs {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(secret), "{secret} in {}", path.display());
        }
    }
}

#[test]
fn a_scim_integration_made_by_hand_is_adopted_by_its_provider() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let only_scim = PLAYBOOK
        .replace("  google_key: { type: string, sensitive: true }\n", "")
        .split("steps:\n")
        .next()
        .unwrap()
        .to_owned()
        + "steps:\n  - id: scim\n    type: scim_idp\n    with:\n      prefix: dental\n      provider: jumpcloud\n";
    // The tenant first, then a SCIM integration made by hand with another prefix.
    let tenant_only = only_scim.split("steps:\n").next().unwrap().to_owned() + "steps: []\n";
    let tenant_file = dir.path().join("tenant.yaml");
    std::fs::write(&tenant_file, tenant_only).unwrap();
    let out = with_key(
        &sb,
        &state,
        &["apply", tenant_file.to_str().unwrap(), "--yes"],
        FIRST,
    );
    assert!(out.status.success(), "{}", printed(&out));
    let tid = tenant_id(&sb.world(), "dental.example");
    let by_hand = serde_json::json!({"prefix": "old", "provider": "jumpcloud"});
    call(
        &rt,
        &sb,
        "POST",
        "/api/integrations/scim-idp",
        Some(&tid),
        Some(&by_hand),
    );
    let made = tenant_table(&sb, "dental.example", "scim_idp");

    // Found by its provider: the prefix is updated in place, no second integration.
    let file = dir.path().join("scim.yaml");
    std::fs::write(&file, &only_scim).unwrap();
    let file = file.to_str().unwrap();
    let mark = last_seq(&sb);
    let out = with_key(&sb, &state, &["apply", file, "--yes"], FIRST);
    assert!(out.status.success(), "{}", printed(&out));
    let id = made[0]["id"].to_string();
    assert_eq!(
        writes_to(&sb, mark, "-idp"),
        [format!("PUT /api/integrations/scim-idp/{id}")]
    );
    let now = tenant_table(&sb, "dental.example", "scim_idp");
    assert_eq!(now.len(), 1, "{now:?}");
    assert_eq!(now[0]["prefix"], "dental");
    let out = with_key(&sb, &state, &["plan", file, "--detailed-exitcode"], FIRST);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
}

#[test]
fn the_schema_lists_every_sync_integration_type() {
    let out = binary().arg("schema").output().expect("onboard runs");
    assert!(out.status.success());
    let text = stdout(&out);
    for ty in ["google_idp", "azure_idp", "okta_scim_idp", "scim_idp"] {
        assert!(text.contains(&format!("\"{ty}\"")), "{ty} missing");
    }
}

#[test]
fn creating_a_scim_integration_without_an_output_for_its_token_is_refused_before_any_write() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let without_output = PLAYBOOK.split("outputs:\n").next().unwrap();
    let file = dir.path().join("idps.yaml");
    std::fs::write(&file, without_output).unwrap();
    let mark = last_seq(&sb);
    let out = with_key(
        &sb,
        &state,
        &["apply", file.to_str().unwrap(), "--yes"],
        FIRST,
    );
    assert!(!out.status.success(), "{}", printed(&out));
    let text = flat(&printed(&out));
    assert!(
        text.contains("scim_idp `scim`") && text.contains("steps.scim.auth_token"),
        "{text}"
    );
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());
}

const OKTA: &str = r#"version: 1
name: okta
inputs:
  customer: { type: string, default: Dental }
  domain: { type: string, default: dental.example }
tenant:
  name: "{{ inputs.customer }}"
  domain: "{{ inputs.domain }}"
steps:
  - id: okta
    type: okta_scim_idp
    with:
      connection_name: dental-okta
      group_prefixes: [Staff]
outputs:
  okta_token: "{{ steps.okta.auth_token }}"
"#;

#[test]
fn an_okta_scim_integration_keeps_its_token_in_outputs_and_updates_its_filters_in_place() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("okta.yaml");
    std::fs::write(&file, OKTA).unwrap();
    let file = file.to_str().unwrap();
    let state = dir.path().join("state");
    let outputs = dir.path().join("outputs.json");
    let outputs_arg = outputs.to_str().unwrap();
    let mut shown = String::new();

    let mark = last_seq(&sb);
    let args = ["apply", file, "--yes", "--outputs", outputs_arg];
    let out = with_key(&sb, &state, &args, FIRST);
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    assert_eq!(
        writes_to(&sb, mark, "-idp"),
        ["POST /api/integrations/okta-scim-idp"]
    );
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&outputs).unwrap()).unwrap();
    let token = written["okta_token"]
        .as_str()
        .expect("the token")
        .to_owned();
    assert!(token.starts_with("nbs_") && token.len() == 44, "{token}");

    // Nothing changed: a clean plan and no write, though the name is never answered.
    let out = with_key(&sb, &state, &["plan", file, "--detailed-exitcode"], FIRST);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    shown += &printed(&out);
    let mark = last_seq(&sb);
    let out = with_key(&sb, &state, &args, FIRST);
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());

    // Another group prefix: one PUT on the integration's id.
    std::fs::write(file, OKTA.replace("[Staff]", "[Staff, Doctors]")).unwrap();
    let mark = last_seq(&sb);
    let out = with_key(&sb, &state, &args, FIRST);
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    let okta = tenant_table(&sb, "dental.example", "okta_scim_idp");
    assert_eq!(okta.len(), 1, "{okta:?}");
    assert_eq!(
        writes_to(&sb, mark, "-idp"),
        [format!(
            "PUT /api/integrations/okta-scim-idp/{}",
            okta[0]["id"]
        )]
    );
    assert_eq!(
        okta[0]["group_prefixes"],
        serde_json::json!(["Staff", "Doctors"])
    );
    assert!(!shown.contains(&token), "the token printed:\n{shown}");
    for path in walk(dir.path()) {
        if path != outputs {
            let text =
                String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned();
            assert!(!text.contains(&token), "the token in {}", path.display());
        }
    }
}

#[test]
fn the_accounts_okta_scim_integration_made_by_hand_is_adopted() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let tenant_only = OKTA.split("steps:\n").next().unwrap().to_owned() + "steps: []\n";
    let tenant_file = dir.path().join("tenant.yaml");
    std::fs::write(&tenant_file, tenant_only).unwrap();
    let out = with_key(
        &sb,
        &state,
        &["apply", tenant_file.to_str().unwrap(), "--yes"],
        FIRST,
    );
    assert!(out.status.success(), "{}", printed(&out));
    let tid = tenant_id(&sb.world(), "dental.example");
    let by_hand = serde_json::json!({"connection_name": "dental-okta"});
    call(
        &rt,
        &sb,
        "POST",
        "/api/integrations/okta-scim-idp",
        Some(&tid),
        Some(&by_hand),
    );
    let id = tenant_table(&sb, "dental.example", "okta_scim_idp")[0]["id"].to_string();

    // No second integration (and so no new token to keep): its filters are updated in place.
    let file = dir.path().join("okta.yaml");
    std::fs::write(&file, OKTA).unwrap();
    let file = file.to_str().unwrap();
    let mark = last_seq(&sb);
    let out = with_key(&sb, &state, &["apply", file, "--yes"], FIRST);
    assert!(out.status.success(), "{}", printed(&out));
    assert_eq!(
        writes_to(&sb, mark, "-idp"),
        [format!("PUT /api/integrations/okta-scim-idp/{id}")]
    );
    assert_eq!(
        tenant_table(&sb, "dental.example", "okta_scim_idp").len(),
        1
    );
    let out = with_key(&sb, &state, &["plan", file, "--detailed-exitcode"], FIRST);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
}

#[test]
fn two_okta_scim_integrations_in_one_scope_are_refused_at_validation() {
    let dir = tempfile::tempdir().unwrap();
    let two = OKTA.replace(
        "outputs:\n",
        "  - id: okta2\n    type: okta_scim_idp\n    with: { connection_name: other }\noutputs:\n  okta2_token: \"{{ steps.okta2.auth_token }}\"\n",
    );
    let file = dir.path().join("two.yaml");
    std::fs::write(&file, two).unwrap();
    let out = binary()
        .args(["validate", file.to_str().unwrap()])
        .output()
        .expect("onboard runs");
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    let text = flat(&printed(&out));
    assert!(
        text.contains(
            "`okta` and `okta2` would both create a okta_scim_idp identified by (one per account)"
        ) && text.contains("two.yaml:15:9"),
        "{text}"
    );
}

#[test]
fn a_sync_interval_changed_by_hand_is_drift_and_the_next_apply_puts_it_back() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("idps.yaml");
    std::fs::write(&file, PLAYBOOK).unwrap();
    let file = file.to_str().unwrap();
    let state = dir.path().join("state");
    let outputs = dir.path().join("outputs.json");
    let args = [
        "apply",
        file,
        "--yes",
        "--outputs",
        outputs.to_str().unwrap(),
    ];
    let out = with_key(&sb, &state, &args, FIRST);
    assert!(out.status.success(), "{}", printed(&out));

    // Someone sets the Azure sync to an hour in the dashboard.
    let tid = tenant_id(&sb.world(), "dental.example");
    let azure = tenant_table(&sb, "dental.example", "azure_idp")[0]["id"].to_string();
    let path = format!("/api/integrations/azure-idp/{azure}");
    let hourly = serde_json::json!({"sync_interval": 3600});
    call(&rt, &sb, "PUT", &path, Some(&tid), Some(&hourly));

    let mark = last_seq(&sb);
    let out = with_key(&sb, &state, &["drift", file], FIRST);
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    let text = stdout(&out);
    assert!(
        text.contains("azure (azure_idp): changed") && text.contains("sync_interval"),
        "{text}"
    );
    assert!(!text.contains("google (google_idp)"), "{text}");
    assert_eq!(
        writes_after(&sb, mark),
        Vec::<String>::new(),
        "drift writes nothing"
    );

    let mark = last_seq(&sb);
    let out = with_key(&sb, &state, &args, FIRST);
    assert!(out.status.success(), "{}", printed(&out));
    assert_eq!(writes_to(&sb, mark, "-idp"), [format!("PUT {path}")]);
    assert_eq!(
        tenant_table(&sb, "dental.example", "azure_idp")[0]["sync_interval"],
        600
    );
}

#[test]
fn another_azure_host_is_a_replacement_that_needs_allow_replace() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("idps.yaml");
    std::fs::write(&file, PLAYBOOK).unwrap();
    let file = file.to_str().unwrap();
    let state = dir.path().join("state");
    let outputs = dir.path().join("outputs.json");
    let outputs_arg = outputs.to_str().unwrap();
    let out = with_key(
        &sb,
        &state,
        &["apply", file, "--yes", "--outputs", outputs_arg],
        FIRST,
    );
    assert!(out.status.success(), "{}", printed(&out));
    let old = tenant_table(&sb, "dental.example", "azure_idp")[0]["id"].to_string();

    // The update request has no `host`: Azure Government is a new integration.
    let gov = PLAYBOOK.replace(
        "      sync_interval: 600\n",
        "      sync_interval: 600\n      host: microsoft.us\n",
    );
    std::fs::write(file, gov).unwrap();
    let mark = last_seq(&sb);
    let out = with_key(
        &sb,
        &state,
        &["apply", file, "--yes", "--outputs", outputs_arg],
        FIRST,
    );
    assert!(!out.status.success(), "{}", printed(&out));
    assert!(
        flat(&printed(&out)).contains("--allow-replace"),
        "{}",
        printed(&out)
    );
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());

    let mark = last_seq(&sb);
    let args = [
        "apply",
        file,
        "--yes",
        "--allow-replace",
        "--outputs",
        outputs_arg,
    ];
    let out = with_key(&sb, &state, &args, FIRST);
    assert!(out.status.success(), "{}", printed(&out));
    let mut writes = writes_to(&sb, mark, "-idp");
    writes.sort();
    assert_eq!(
        writes,
        [
            format!("DELETE /api/integrations/azure-idp/{old}"),
            "POST /api/integrations/azure-idp".to_owned()
        ]
    );
    let now = tenant_table(&sb, "dental.example", "azure_idp");
    assert_eq!(now.len(), 1, "{now:?}");
    assert_eq!(now[0]["host"], "microsoft.us");
}
