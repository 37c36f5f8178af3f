//! End-to-end: a failed step stops its dependants (transitively) while independent steps
//! finish, apply exits 1 and says which steps failed and which were skipped, and a re-run
//! sends only what is still missing (`tests/inputs/apply/partial-failure.yaml`). A missing
//! `existing: true` object is found by the live plan, before anything is written.

use crate::support::{
    account, apply, exactly_once, id, ids, names, one, run, sandbox_with, stderr, stdout, writes,
};
use onboard_sandbox::{SandboxConfig, SandboxHandle};

const PLAYBOOK: &str = "tests/inputs/apply/partial-failure.yaml";

fn standalone(rt: &tokio::runtime::Runtime) -> SandboxHandle {
    sandbox_with(
        rt,
        SandboxConfig {
            standalone: true,
            rate_limit: None,
            ..SandboxConfig::default()
        },
    )
}

#[test]
fn a_failed_step_skips_its_dependants_and_the_rest_finishes() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = standalone(&rt);
    let dir = tempfile::tempdir().unwrap();
    let out = run(&sb, dir.path(), &[PLAYBOOK]);
    let (stdout, stderr) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");

    // The report names the failed steps; the progress names failed and skipped ones, and why.
    assert!(stdout.contains("finished with errors"), "{stdout}");
    let failed_line = stdout
        .lines()
        .find(|l| l.starts_with("failed:"))
        .unwrap_or_else(|| panic!("no `failed:` line in the report:\n{stdout}"));
    // In the order the steps failed, which depends on timing.
    let mut failed: Vec<&str> = failed_line
        .trim_start_matches("failed:")
        .split(" (")
        .next()
        .unwrap()
        .split(',')
        .map(str::trim)
        .collect();
    failed.sort_unstable();
    assert_eq!(failed, ["all_key", "bad_lan"], "{failed_line}");
    assert!(
        stderr.contains("all_key failed: POST /api/setup-keys: 404 group not found"),
        "{stderr}"
    );
    assert!(
        stderr.contains("bad_lan failed: POST /api/networks/")
            && stderr.contains("404 group not found"),
        "{stderr}"
    );
    for (skipped, cause) in [
        ("all_key_policy", "all_key"),
        ("bad_lan_router", "bad_lan"),
        ("after_router", "bad_lan"),
    ] {
        assert!(
            stderr.contains(&format!("{skipped} skipped: `{cause}` failed")),
            "{skipped}:\n{stderr}"
        );
    }
    for done in ["servers", "office", "good_lan", "servers_key"] {
        assert!(stderr.contains(&format!("{done} (created)")), "{stderr}");
    }

    // Independent objects exist, wired up; nothing of the skipped steps was sent.
    let world = sb.world();
    let acct = account(&world, &sb.msp_account_id());
    exactly_once(
        acct,
        &[
            ("groups", "Servers"),
            ("networks", "office"),
            ("network_resources", "good-lan"),
            ("setup_keys", "servers"),
        ],
    );
    let servers = id(acct, "groups", "Servers");
    assert_eq!(
        ids(&one(acct, "network_resources", "good-lan")["groups"]),
        [servers.as_str()]
    );
    assert_eq!(
        ids(&one(acct, "setup_keys", "servers")["auto_groups"]),
        [servers]
    );
    assert_eq!(names(acct, "groups"), ["All", "Servers"]);
    assert_eq!(names(acct, "setup_keys"), ["servers"]);
    assert_eq!(names(acct, "network_resources"), ["good-lan"]);
    assert_eq!(names(acct, "policies"), ["Default"]);
    assert_eq!(acct["network_routers"], serde_json::json!([]));
    let log = sb.log();
    let sent: Vec<String> = writes(&log)
        .iter()
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    for skipped in ["/routers", "/api/policies"] {
        assert!(
            !sent.iter().any(|w| w.contains(skipped)),
            "a skipped step was sent: {sent:?}"
        );
    }

    // A re-run fails the same way and sends only the two refused requests again.
    let before = sent.len();
    let again = run(&sb, dir.path(), &[PLAYBOOK]);
    assert_eq!(again.status.code(), Some(1));
    let log = sb.log();
    let mut resent: Vec<String> = writes(&log)[before..]
        .iter()
        .map(|e| {
            let path = if e.path.starts_with("/api/networks/") {
                "/api/networks/{id}/resources"
            } else {
                e.path.as_str()
            };
            format!("{} {path} {}", e.method, e.status)
        })
        .collect();
    resent.sort();
    assert_eq!(
        resent,
        [
            "POST /api/networks/{id}/resources 404",
            "POST /api/setup-keys 404"
        ]
    );
    rt.block_on(sb.shutdown());
}

#[test]
fn the_same_playbook_without_its_failures_succeeds() {
    // Control: the same playbook with both causes removed applies completely, so the steps
    // skipped above were skipped only because of the failures.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = standalone(&rt);
    let dir = tempfile::tempdir().unwrap();
    let fixed = std::fs::read_to_string(PLAYBOOK)
        .unwrap()
        .replace("[\"no-such-group\"]", "[\"{{ steps.servers.id }}\"]");
    let path = dir.path().join("fixed.yaml");
    std::fs::write(&path, fixed).unwrap();
    apply(&sb, dir.path(), &[path.to_str().unwrap()]);
    let world = sb.world();
    let acct = account(&world, &sb.msp_account_id());
    exactly_once(
        acct,
        &[
            ("groups", "After Router"),
            ("network_resources", "bad-lan"),
            ("setup_keys", "all-key"),
            ("policies", "from-all-key"),
        ],
    );
    assert_eq!(acct["network_routers"].as_array().map(Vec::len), Some(1));
    rt.block_on(sb.shutdown());
}

#[test]
fn a_missing_existing_object_stops_apply_before_anything_is_written() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = standalone(&rt);
    let dir = tempfile::tempdir().unwrap();
    let before = sb.world();
    let out = run(
        &sb,
        dir.path(),
        &["tests/inputs/apply/missing-existing.yaml"],
    );
    let stderr = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("missing: no existing group matches name \"Not There\""),
        "{stderr}"
    );
    assert_eq!(writes(&sb.log()).len(), 0);
    assert_eq!(
        account(&sb.world(), &sb.msp_account_id())["groups"],
        account(&before, &sb.msp_account_id())["groups"]
    );
    rt.block_on(sb.shutdown());
}
