//! Event streaming (`event_streaming`): one integration a platform, its `config` a map of
//! strings checked per platform before any call and compared through its digest (NetBird
//! masks its secret values). A Datadog integration whose API key comes from a sensitive input
//! applies, re-plans clean and re-applies with no write; a rotated key is one `PUT`; an S3
//! one without its bucket is refused at validation with the line and column; the key reaches
//! NetBird only.

use crate::support::*;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

const PLAYBOOK: &str = r#"version: 1
name: streams
inputs:
  customer: { type: string, default: Dental }
  domain: { type: string, default: dental.example }
  datadog_key: { type: string, sensitive: true }
tenant:
  name: "{{ inputs.customer }}"
  domain: "{{ inputs.domain }}"
steps:
  - id: datadog
    type: event_streaming
    with:
      platform: datadog
      config:
        api_key: "{{ inputs.datadog_key }}"
        api_url: https://http-intake.logs.datadoghq.eu/api/v2/logs
"#;

const FIRST: &str = "Recognisable-Datadog-Key-One-5e8a";
const SECOND: &str = "Recognisable-Datadog-Key-Two-b71c";

fn with_key(sb: &onboard_sandbox::SandboxHandle, state: &Path, args: &[&str], key: &str) -> Output {
    let mut cmd = onboard(sb, state, args);
    cmd.arg("-vvv")
        .env("RUST_LOG", "trace")
        .env("ONBOARD_VAR_datadog_key", key);
    cmd.output().expect("onboard runs")
}

fn streams(sb: &onboard_sandbox::SandboxHandle) -> Vec<Value> {
    let world = sb.world();
    let tid = tenant_id(&world, "dental.example");
    account(&world, &tid)["event_streaming"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn a_datadog_stream_applies_replans_clean_and_a_rotated_key_is_one_put() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("streams.yaml");
    std::fs::write(&file, PLAYBOOK).unwrap();
    let file = file.to_str().unwrap();
    let state = dir.path().join("state");
    let mut shown = String::new();

    let mark = last_seq(&sb);
    let out = with_key(&sb, &state, &["apply", file, "--yes"], FIRST);
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    assert_eq!(
        writes_to(&sb, mark, "/api/event-streaming"),
        ["POST /api/event-streaming"]
    );
    let sent = last_body(&sb, "/api/event-streaming");
    assert_eq!(sent["config"]["api_key"], FIRST);
    assert_eq!(sent["enabled"], true, "the default is sent: {sent}");
    let live = streams(&sb);
    assert_eq!(live.len(), 1, "{live:?}");
    assert_eq!(live[0]["config"]["api_key"], "****");

    // The same key: nothing to change, though NetBird answers it masked.
    let out = with_key(&sb, &state, &["plan", file, "--detailed-exitcode"], FIRST);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    shown += &printed(&out);
    let mark = last_seq(&sb);
    let out = with_key(&sb, &state, &["apply", file, "--yes"], FIRST);
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());

    // A rotated key: `config` changed, shown sensitive, one PUT on the integration's id.
    let out = with_key(&sb, &state, &["plan", file, "--detailed-exitcode"], SECOND);
    assert_eq!(out.status.code(), Some(2), "{}", printed(&out));
    let text = stdout(&out);
    assert!(
        text.contains("~ datadog") && text.contains("config"),
        "{text}"
    );
    shown += &printed(&out);
    let mark = last_seq(&sb);
    let out = with_key(&sb, &state, &["apply", file, "--yes"], SECOND);
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    assert_eq!(
        writes_to(&sb, mark, "/api/event-streaming"),
        [format!("PUT /api/event-streaming/{}", live[0]["id"])]
    );
    assert_eq!(
        last_body(&sb, "/api/event-streaming")["config"]["api_key"],
        SECOND
    );
    let out = with_key(&sb, &state, &["plan", file, "--detailed-exitcode"], SECOND);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));

    // `destroy` deletes it.
    let mark = last_seq(&sb);
    let out = with_key(&sb, &state, &["destroy", file, "--yes"], SECOND);
    assert!(out.status.success(), "{}", printed(&out));
    shown += &printed(&out);
    assert_eq!(
        writes_to(&sb, mark, "/api/event-streaming"),
        [format!("DELETE /api/event-streaming/{}", live[0]["id"])]
    );
    assert!(streams(&sb).is_empty());

    for secret in [FIRST, SECOND] {
        assert!(!shown.contains(secret), "{secret} printed:\n{shown}");
        for path in walk(dir.path()) {
            if path.ends_with("streams.yaml") {
                continue;
            }
            let text =
                String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned();
            assert!(!text.contains(secret), "{secret} in {}", path.display());
        }
    }
}

#[test]
fn a_stream_without_a_key_its_platform_needs_is_refused_at_validation() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = PLAYBOOK.replace(
        "      platform: datadog\n      config:\n        api_key: \"{{ inputs.datadog_key }}\"\n        api_url: https://http-intake.logs.datadoghq.eu/api/v2/logs\n",
        "      platform: s3\n      config:\n        access_key: AKIAEXAMPLE\n        secret_key: \"{{ inputs.datadog_key }}\"\n        region: eu-central-1\n",
    );
    let file = dir.path().join("s3.yaml");
    std::fs::write(&file, s3).unwrap();
    let out = binary()
        .args(["validate", file.to_str().unwrap()])
        .output()
        .expect("onboard runs");
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    let text = flat(&printed(&out));
    assert!(text.contains("`config.bucket_name` is missing"), "{text}");
    assert!(text.contains("s3.yaml:16:9"), "{text}");
    assert!(text.contains("add `config.bucket_name`"), "{text}");
}
