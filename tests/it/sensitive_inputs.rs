//! Sensitive inputs and write-only fields: a credential given as `ONBOARD_VAR_<name>` reaches
//! NetBird and nothing else (output at any verbosity, state, journal, saved plan); NetBird
//! never returns it, so the state's salted digest of what was sent tells a changed credential
//! (an update) from an unchanged one (no write); a sensitive input in a plain field is refused
//! at its line.

use crate::support::*;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

const PLAYBOOK: &str = r#"version: 1
name: sso
inputs:
  customer: { type: string, default: Dental }
  domain: { type: string, default: dental.example }
  idp_secret: { type: string, sensitive: true }
tenant:
  name: "{{ inputs.customer }}"
  domain: "{{ inputs.domain }}"
steps:
  - id: sso
    type: identity_provider
    with:
      type: oidc
      name: Dental SSO
      issuer: https://login.dental.example
      client_id: onboard-client
      client_secret: "{{ inputs.idp_secret }}"
"#;

const FIRST: &str = "Recognisable-Client-Secret-One-7f3a";
const SECOND: &str = "Recognisable-Client-Secret-Two-9c1e";

/// The client secret of the last write to the identity providers, as NetBird received it.
fn last_secret_sent(sb: &onboard_sandbox::SandboxHandle) -> Value {
    let log = sb.log();
    let write = log
        .iter()
        .rev()
        .find(|e| e.method != "GET" && e.path.starts_with("/api/identity-providers"))
        .expect("a write to the identity providers");
    write.body.as_ref().expect("a JSON body")["client_secret"].clone()
}

/// `onboard ARGS` with the secret in `ONBOARD_VAR_idp_secret` (or none) and full logging.
fn with_secret(
    sb: &onboard_sandbox::SandboxHandle,
    state: &Path,
    args: &[&str],
    secret: Option<&str>,
) -> Output {
    let mut cmd = onboard(sb, state, args);
    cmd.arg("-vvv").env("RUST_LOG", "trace");
    match secret {
        Some(s) => cmd.env("ONBOARD_VAR_idp_secret", s),
        None => cmd.env_remove("ONBOARD_VAR_idp_secret"),
    };
    cmd.output().expect("onboard runs")
}

/// The one identity provider of the tenant, as the sandbox keeps it.
fn provider(sb: &onboard_sandbox::SandboxHandle) -> Value {
    let world = sb.world();
    let tid = tenant_id(&world, "dental.example");
    let list = account(&world, &tid)["identity_providers"].clone();
    let list = list.as_array().expect("a table");
    assert_eq!(list.len(), 1, "{list:?}");
    list[0].clone()
}

#[test]
fn a_credential_from_the_environment_reaches_netbird_only_and_a_changed_one_is_an_update() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sso.yaml");
    std::fs::write(&file, PLAYBOOK).unwrap();
    let file = file.to_str().unwrap();
    let state = dir.path().join("state");
    let mut shown = String::new();

    // Plan, saved and as JSON, then apply: the provider holds the secret from the variable.
    let saved = dir.path().join("plan.json");
    let saved = saved.to_str().unwrap();
    let out = with_secret(&sb, &state, &["plan", file, "--out", saved], Some(FIRST));
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    let out = with_secret(
        &sb,
        &state,
        &["plan", file, "--format", "json"],
        Some(FIRST),
    );
    shown += &printed(&out);
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("a JSON plan");
    assert_eq!(doc[0]["inputs"]["idp_secret"], "(sensitive)", "{doc}");
    let out = with_secret(&sb, &state, &["apply", file, "--yes"], Some(FIRST));
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    let live = provider(&sb);
    assert_eq!(live["name"], "Dental SSO");
    assert_eq!(last_secret_sent(&sb), FIRST);
    assert!(live.get("client_secret").is_none(), "{live}");

    // The same credential again: nothing to change, nothing written.
    let out = with_secret(
        &sb,
        &state,
        &["plan", file, "--detailed-exitcode"],
        Some(FIRST),
    );
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    shown += &printed(&out);
    let mark = last_seq(&sb);
    let out = with_secret(&sb, &state, &["apply", file, "--yes"], Some(FIRST));
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());

    // A rotated credential: an update of that field, shown masked, sent in one PUT.
    let out = with_secret(
        &sb,
        &state,
        &["plan", file, "--detailed-exitcode"],
        Some(SECOND),
    );
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    let text = stdout(&out);
    assert!(
        text.contains("~ sso") && text.contains("client_secret"),
        "{text}"
    );
    shown += &printed(&out);
    let mark = last_seq(&sb);
    let out = with_secret(&sb, &state, &["apply", file, "--yes"], Some(SECOND));
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    let id = live["id"].as_str().unwrap();
    assert_eq!(
        writes_after(&sb, mark),
        [format!("PUT /api/identity-providers/{id}")]
    );
    assert_eq!(last_secret_sent(&sb), SECOND);

    // The saved plan (made with the first credential) keeps no credential: applied without
    // the variable it is refused, naming it; nothing is written.
    let mark = last_seq(&sb);
    let out = with_secret(&sb, &state, &["apply", saved, "--yes"], None);
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    assert!(
        flat(&printed(&out)).contains("ONBOARD_VAR_idp_secret"),
        "{}",
        printed(&out)
    );
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());

    // Nothing onboard printed, and no file it wrote, holds either credential.
    for secret in [FIRST, SECOND] {
        assert!(!shown.contains(secret), "{secret} printed:\n{shown}");
        for path in walk(dir.path()).into_iter().chain([saved.into()]) {
            let bytes = std::fs::read(&path).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(secret), "{secret} in {}", path.display());
        }
    }
}

#[test]
fn a_sensitive_input_in_a_field_netbird_returns_is_refused_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sso.yaml");
    let text = PLAYBOOK.replace("name: Dental SSO", "name: \"{{ inputs.idp_secret }}\"");
    std::fs::write(&file, &text).unwrap();
    let out = binary()
        .args(["validate", file.to_str().unwrap()])
        .output()
        .expect("onboard runs");
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = flat(&stderr(&out));
    assert!(err.contains("sso.yaml:15:13"), "{err}");
    assert!(err.contains("reads a secret"), "{err}");
    assert!(err.contains("client_secret"), "{err}");
}

#[test]
fn a_credential_never_reaches_the_postgresql_state() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sso.yaml");
    std::fs::write(&file, PLAYBOOK).unwrap();
    let file = file.to_str().unwrap();
    let url = crate::support::pg::database();
    for secret in [FIRST, SECOND] {
        let out = with_secret(
            &sb,
            dir.path(),
            &["apply", file, "--yes", "--state-url", &url],
            Some(secret),
        );
        assert!(out.status.success(), "{}", printed(&out));
        assert!(!printed(&out).contains(secret));
        assert_eq!(last_secret_sent(&sb), secret);
    }
    // The state row, its journal and its locks: the digest of what was sent, not the secret.
    let dump = crate::support::pg::dump(&url);
    assert!(dump.contains("\"sent\""), "the digest is recorded:\n{dump}");
    for secret in [FIRST, SECOND] {
        assert!(!dump.contains(secret), "{secret} in the PostgreSQL state");
    }
}

#[test]
fn another_provider_type_is_a_replacement_not_an_update() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sso.yaml");
    std::fs::write(&path, PLAYBOOK).unwrap();
    let (file, state) = (path.to_str().unwrap(), dir.path().join("state"));
    let out = with_secret(&sb, &state, &["apply", file, "--yes"], Some(FIRST));
    assert!(out.status.success(), "{}", printed(&out));
    // NetBird's connector refuses a type change (a 500): the plan says it needs a
    // replacement, and apply without --allow-replace writes nothing.
    std::fs::write(&path, PLAYBOOK.replace("type: oidc", "type: zitadel")).unwrap();
    let out = with_secret(&sb, &state, &["plan", file], Some(FIRST));
    let text = stdout(&out);
    assert!(text.contains("-/+ sso"), "{text}");
    let mark = last_seq(&sb);
    let out = with_secret(&sb, &state, &["apply", file, "--yes"], Some(FIRST));
    assert!(!out.status.success(), "{}", printed(&out));
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());
}
