//! `notification_channel`: an email channel and a webhook channel whose `Authorization`
//! header comes from a sensitive input apply; the header value reaches NetBird and nothing
//! else; a re-plan is clean and a re-apply writes nothing (the value is compared through the
//! state's digest, as NetBird answers it masked); a rotated value and changed event types are
//! updates in place; a hand edit is drift that apply puts back; a fresh state adopts both
//! channels by type and target; destroy deletes them; validation names a bad recipient where
//! it is.

use crate::support::*;
use serde_json::Value;
use std::path::Path;
use std::process::Output;

const PLAYBOOK: &str = r#"version: 1
name: alerts
inputs:
  hook_token: { type: string, sensitive: true }
  events: { type: list, default: [user.join, peer.login.expire] }
tenant:
  name: Dental
  domain: dental.example
steps:
  - id: mail
    type: notification_channel
    with:
      type: email
      target: { emails: [ops@msp.example, it@dental.example] }
      event_types: "{{ inputs.events }}"
  - id: hook
    type: notification_channel
    with:
      type: webhook
      target:
        url: https://psa.msp.example/netbird
        headers: { Authorization: "Bearer {{ inputs.hook_token }}" }
      event_types: [user.join]
"#;

const FIRST: &str = "Recognisable-Hook-Token-One-5d2b";
const SECOND: &str = "Recognisable-Hook-Token-Two-8e4c";

fn run_with(
    sb: &onboard_sandbox::SandboxHandle,
    state: &Path,
    args: &[&str],
    token: &str,
) -> Output {
    let mut cmd = onboard(sb, state, args);
    cmd.arg("-vvv")
        .env("RUST_LOG", "trace")
        .env("ONBOARD_VAR_hook_token", token);
    cmd.output().expect("onboard runs")
}

fn channels(sb: &onboard_sandbox::SandboxHandle) -> Vec<Value> {
    let world = sb.world();
    let tid = tenant_id(&world, "dental.example");
    let list = account(&world, &tid)["notification_channels"].clone();
    list.as_array().expect("a channels table").clone()
}

/// What was written anywhere but NetBird: output, state, journal.
fn everything_kept(out: &Output, state: &Path) -> String {
    let mut text = format!("{}{}", stdout(out), stderr(out));
    for file in walk(&state.join("state"))
        .iter()
        .chain(&walk(&state.join("runs")))
    {
        text.push_str(&std::fs::read_to_string(file).expect("a readable file"));
    }
    text
}

/// The `Authorization` header value of the last write to the channels, as NetBird received it.
fn last_header_sent(sb: &onboard_sandbox::SandboxHandle) -> Value {
    let log = sb.log();
    let write = log
        .iter()
        .rev()
        .find(|e| e.method != "GET" && e.path.starts_with("/api/integrations/notifications"))
        .expect("a write to the channels");
    write.body.as_ref().expect("a JSON body")["target"]["headers"]["Authorization"].clone()
}

#[test]
fn channels_apply_replan_clean_rotate_a_header_and_adopt() {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("alerts.yaml");
    std::fs::write(&file, PLAYBOOK).expect("the playbook is written");
    let file = file.to_str().expect("a UTF-8 path");
    let state = dir.path().join("state");
    let apply_args = ["apply", file, "--yes"];
    let plan_args = ["plan", file, "--detailed-exitcode"];

    let out = run_with(&sb, &state, &apply_args, FIRST);
    assert!(out.status.success(), "{}", everything_kept(&out, &state));
    assert!(
        !everything_kept(&out, &state).contains(FIRST),
        "the header value leaked"
    );
    let live = channels(&sb);
    assert_eq!(live.len(), 2, "{live:?}");
    let mail = live
        .iter()
        .find(|c| c["type"] == "email")
        .expect("the email channel");
    assert_eq!(mail["target"]["emails"].as_array().map(Vec::len), Some(2));
    assert_eq!(mail["event_types"].as_array().map(Vec::len), Some(2));
    assert_eq!(mail["enabled"], true);
    let hook = live
        .iter()
        .find(|c| c["type"] == "webhook")
        .expect("the webhook");
    assert_eq!(hook["target"]["headers"]["Authorization"], "****");
    assert_eq!(last_header_sent(&sb), format!("Bearer {FIRST}"));
    let first_digest = hook["header_sha256"]["Authorization"].clone();
    assert!(first_digest.is_string(), "{hook}");

    // Unchanged: plan exits 0 and a re-apply writes nothing.
    let out = run_with(&sb, &state, &plan_args, FIRST);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let mark = last_seq(&sb);
    let out = run_with(&sb, &state, &apply_args, FIRST);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());

    // A rotated header value is an update of the webhook, shown masked.
    let out = run_with(&sb, &state, &plan_args, SECOND);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("target.headers") && text.contains("(sensitive"),
        "{text}"
    );
    assert!(!text.contains(SECOND) && !text.contains(FIRST), "{text}");
    let mark = last_seq(&sb);
    let out = run_with(&sb, &state, &apply_args, SECOND);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !everything_kept(&out, &state).contains(SECOND),
        "the new value leaked"
    );
    let hook_id = hook["id"].as_str().expect("an id");
    assert_eq!(
        writes_after(&sb, mark),
        [format!(
            "PUT /api/integrations/notifications/channels/{hook_id}"
        )]
    );
    let live = channels(&sb);
    let hook = live
        .iter()
        .find(|c| c["type"] == "webhook")
        .expect("the webhook");
    assert_eq!(last_header_sent(&sb), format!("Bearer {SECOND}"));
    assert_ne!(hook["header_sha256"]["Authorization"], first_digest);

    // Changed event types: an update of the email channel.
    let mark = last_seq(&sb);
    let set = ["apply", file, "--yes", "--set", "events=[user.join]"];
    let out = run_with(&sb, &state, &set, SECOND);
    assert!(out.status.success(), "{}", stderr(&out));
    let mail_id = mail["id"].as_str().expect("an id");
    assert_eq!(
        writes_after(&sb, mark),
        [format!(
            "PUT /api/integrations/notifications/channels/{mail_id}"
        )]
    );

    // Drift: the email channel switched off by hand is planned back on, and apply does it.
    let world = sb.world();
    let tid = tenant_id(&world, "dental.example");
    let path = format!("/api/integrations/notifications/channels/{mail_id}");
    let mut edited = call(&rt, &sb, "GET", &path, Some(&tid), None);
    edited["enabled"] = Value::Bool(false);
    call(&rt, &sb, "PUT", &path, Some(&tid), Some(&edited));
    let plan = [
        "plan",
        file,
        "--detailed-exitcode",
        "--set",
        "events=[user.join]",
    ];
    let out = run_with(&sb, &state, &plan, SECOND);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stdout(&out).contains("enabled"), "{}", stdout(&out));
    let out = run_with(&sb, &state, &set, SECOND);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        call(&rt, &sb, "GET", &path, Some(&tid), None)["enabled"],
        true
    );

    // Adoption: a fresh state finds both channels by type and target and creates none; with
    // no digest recorded, the webhook's header is sent once so NetBird holds the playbook's.
    let fresh = dir.path().join("fresh");
    let mark = last_seq(&sb);
    let set = ["apply", file, "--yes", "--set", "events=[user.join]"];
    let out = run_with(&sb, &fresh, &set, SECOND);
    assert!(out.status.success(), "{}", stderr(&out));
    let writes = writes_after(&sb, mark);
    assert!(
        !writes
            .iter()
            .any(|w| w.starts_with("POST /api/integrations")),
        "adoption created channels: {writes:?}"
    );
    assert_eq!(channels(&sb).len(), 2);
    let plan = [
        "plan",
        file,
        "--detailed-exitcode",
        "--set",
        "events=[user.join]",
    ];
    let out = run_with(&sb, &fresh, &plan, SECOND);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    // Destroy deletes both channels.
    let destroy = ["destroy", file, "--yes", "--set", "events=[user.join]"];
    let out = run_with(&sb, &state, &destroy, SECOND);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert_eq!(channels(&sb), Vec::<Value>::new());
    rt.block_on(sb.shutdown());
}

#[test]
fn validate_names_a_recipient_that_is_not_an_email() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("alerts.yaml");
    let text = PLAYBOOK.replace("it@dental.example", "it-dental");
    std::fs::write(&file, text).expect("the playbook is written");
    let out = binary()
        .args(["validate", file.to_str().expect("a UTF-8 path")])
        .output()
        .expect("onboard runs");
    assert!(!out.status.success());
    let err = flat(&stderr(&out));
    assert!(err.contains("alerts.yaml:"), "{err}");
    assert!(err.contains("it-dental") && err.contains("email"), "{err}");
}
