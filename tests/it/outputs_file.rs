//! `--outputs FILE` keeps every secret it was ever given: a later run merges into the file per
//! customer and keeps what it does not replace, a secret this run cannot show (created in an
//! earlier run) keeps the value already in the file, and no placeholder text ever becomes an
//! output value, whatever filter the output applies.

use crate::support::{
    self, apply, assert_private, command, flat, onboard, sandbox, stderr, stdout,
};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

fn read(file: &Path) -> Value {
    let text = std::fs::read_to_string(file).expect("the outputs file");
    serde_json::from_str(&text).expect("JSON outputs")
}

/// A plaintext setup key at `v`.
fn key(v: &Value) -> String {
    let k = v
        .as_str()
        .unwrap_or_else(|| panic!("no setup key: {v}"))
        .to_owned();
    assert!(k.len() > 20 && !k.contains('*'), "not plaintext: {k}");
    assert!(
        !k.to_lowercase().contains("not available"),
        "placeholder: {k}"
    );
    k
}

/// `playbooks/quickstart.yaml` with its `setup_key` output replaced by `line`, in `dir`.
fn quickstart_with(dir: &Path, line: &str) -> String {
    let full = std::fs::read_to_string("playbooks/quickstart.yaml").expect("quickstart");
    let original = "  setup_key: \"{{ steps.servers_key.key }}\"\n";
    assert!(full.contains(original), "the quickstart's setup_key output");
    let path = dir.join("quickstart.yaml");
    std::fs::write(&path, full.replace(original, line)).expect("write the playbook");
    path.to_str().expect("utf-8").to_owned()
}

#[test]
fn a_second_run_with_the_same_outputs_file_keeps_the_first_runs_key() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("keys.json");
    let args = [
        "playbooks/quickstart.yaml",
        "--outputs",
        file.to_str().unwrap(),
    ];
    apply(&sb, dir.path(), &args);
    let first = key(&read(&file)["setup_key"]);

    // Nothing is created this time: NetBird will not show the key again, the file keeps it.
    let out = apply(&sb, dir.path(), &args);
    let again = read(&file);
    assert_eq!(key(&again["setup_key"]), first, "{again}");
    assert!(again["servers_group_id"].is_string(), "{again}");
    assert_private(&file);
    let text = flat(&stdout(&out));
    assert!(
        text.contains("setup_key: not available") && text.contains("earlier run"),
        "the report says why: {text}"
    );
    rt.block_on(sb.shutdown());
}

#[test]
fn an_inventory_run_of_one_customer_keeps_the_other_customers_keys() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("keys.json");
    let file_arg = file.to_str().unwrap();
    let all = [
        "--inventory",
        "playbooks/customers.yaml",
        "--outputs",
        file_arg,
    ];
    apply(&sb, dir.path(), &all);
    let first = read(&file);
    let keys: Vec<String> = ["acme", "globex", "initech"]
        .iter()
        .map(|c| key(&first[*c]["setup_key"]))
        .collect();

    let only = [
        "--inventory",
        "playbooks/customers.yaml",
        "--only",
        "globex",
        "--outputs",
        file_arg,
    ];
    apply(&sb, dir.path(), &only);
    let after = read(&file);
    for (c, k) in ["acme", "globex", "initech"].iter().zip(&keys) {
        assert_eq!(&key(&after[*c]["setup_key"]), k, "{c}: {after}");
        assert!(after[*c]["tenant_id"].is_string(), "{c}: {after}");
    }
    assert_private(&file);
    rt.block_on(sb.shutdown());
}

#[test]
fn a_rerun_after_ctrl_c_keeps_the_interrupted_runs_key() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let playbook = dir.path().join("interrupted.yaml");
    std::fs::write(
        &playbook,
        r#"version: 1
name: interrupted
steps:
  - id: servers
    type: group
    with: { name: Servers }
  - id: servers_key
    type: setup_key
    with:
      name: servers
      type: reusable
      expires_in: 86400
      auto_groups: ["{{ steps.servers.id }}"]
  - id: after
    type: group
    with: { name: "after-{{ steps.servers_key.id }}" }
outputs:
  setup_key: "{{ steps.servers_key.key }}"
  after_id: "{{ steps.after.id }}"
"#,
    )
    .expect("write the playbook");
    let file = dir.path().join("keys.json");
    let args = [
        playbook.to_str().unwrap(),
        "--outputs",
        file.to_str().unwrap(),
    ];

    // Ctrl-C while the key's create is in flight: that step finishes, nothing new starts.
    let mut hold = sb.hold_when(|e| e.method == "POST" && e.path == "/api/setup-keys");
    let mut child = command(&sb, dir.path(), &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("onboard starts");
    rt.block_on(async { tokio::time::timeout(Duration::from_secs(60), hold.reached()).await })
        .expect("the key's create is held in time")
        .expect("held");
    let lines = stderr_lines(&mut child);
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    // The run has seen the Ctrl-C before the key's answer arrives.
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .expect("onboard says it was interrupted");
        if line.contains("interrupted") {
            break;
        }
    }
    hold.release();
    let out = child.wait_with_output().expect("onboard ends");
    assert_eq!(out.status.code(), Some(130), "{}", stdout(&out));
    let interrupted = key(&read(&file)["setup_key"]);

    let out = apply(&sb, dir.path(), &args);
    let after = read(&file);
    assert_eq!(
        key(&after["setup_key"]),
        interrupted,
        "{after}\n{}",
        stdout(&out)
    );
    assert!(after["after_id"].is_string(), "{after}");
    rt.block_on(sb.shutdown());
}

#[test]
fn an_upper_cased_placeholder_never_reaches_the_outputs_file() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let playbook = quickstart_with(
        dir.path(),
        "  setup_key: \"{{ steps.servers_key.key | upper }}\"\n",
    );
    let file = dir.path().join("keys.json");
    let args = [playbook.as_str(), "--outputs", file.to_str().unwrap()];
    apply(&sb, dir.path(), &args);
    let first = key(&read(&file)["setup_key"]);

    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let out = apply(&sb, dir.path(), &json_args);
    let text = std::fs::read_to_string(&file).expect("the outputs file");
    assert!(!text.to_lowercase().contains("not available"), "{text}");
    assert_eq!(key(&read(&file)["setup_key"]), first, "{text}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let run = &report["runs"][0];
    assert!(run["outputs"].get("setup_key").is_none(), "{run}");
    let why = run["unavailable"]
        .as_array()
        .expect("unavailable outputs")
        .iter()
        .find(|u| u["output"] == "setup_key")
        .unwrap_or_else(|| panic!("setup_key is not reported as unavailable: {run}"));
    assert!(
        why["why"]
            .as_str()
            .is_some_and(|w| w.contains("earlier run")),
        "{why}"
    );
    assert!(
        !stdout(&out)
            .to_lowercase()
            .contains("not available: created")
    );
    rt.block_on(sb.shutdown());
}

#[test]
fn an_outputs_file_that_is_not_json_is_refused_before_any_write() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("keys.json");
    std::fs::write(&file, "these are my notes, not JSON\n").expect("write");
    let out = onboard(
        &sb,
        dir.path(),
        &[
            "apply",
            "playbooks/quickstart.yaml",
            "--yes",
            "--outputs",
            file.to_str().unwrap(),
        ],
    )
    .output()
    .expect("onboard runs");
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        flat(&stderr(&out)).contains("keys.json"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        support::writes(&sb.log()).len(),
        0,
        "it wrote before refusing"
    );
    let kept = std::fs::read_to_string(&file).expect("the file is still there");
    assert_eq!(kept, "these are my notes, not JSON\n");
    rt.block_on(sb.shutdown());
}

/// Lines of a child's stderr as they come.
fn stderr_lines(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let err = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

/// A `for_each` whose second instance fails (a group that does not exist) keeps the key its
/// first instance created: it reaches the outputs file, and no secret is reported lost.
#[test]
fn a_failing_later_instance_keeps_the_key_an_earlier_instance_created() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let playbook = dir.path().join("keys.yaml");
    std::fs::write(
        &playbook,
        r#"version: 1
name: fe-keys
steps:
  - id: keys
    type: setup_key
    for_each: { a: [], b: ["d4o0000000000000000g"] }
    with: { name: "k-{{ key }}", type: one-off, expires_in: 86400, auto_groups: "{{ item }}" }
outputs:
  keys: "{{ steps.keys }}"
"#,
    )
    .expect("write the playbook");
    let file = dir.path().join("keys.json");
    let out = command(
        &sb,
        dir.path(),
        &[
            playbook.to_str().unwrap(),
            "--outputs",
            file.to_str().unwrap(),
            "--format",
            "json",
        ],
    )
    .output()
    .expect("onboard runs");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let created = sb
        .log()
        .iter()
        .filter(|e| e.method == "POST" && e.path == "/api/setup-keys" && e.status == 200)
        .count();
    assert_eq!(created, 1, "the first instance's key was created");
    let kept = read(&file);
    key(&kept["keys"]["a"]["key"]);
    let report: Value = serde_json::from_str(&stdout(&out)).expect("a JSON report");
    let lost = report
        .as_array()
        .map_or(&report, |runs| &runs[0])
        .get("lost_secrets")
        .cloned()
        .unwrap_or(Value::Null);
    assert!(
        lost.as_array().is_none_or(Vec::is_empty),
        "reported lost: {lost}"
    );
    rt.block_on(sb.shutdown());
}
