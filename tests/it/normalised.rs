//! A playbook whose values NetBird stores in its own normal form re-plans with no changes
//! after apply. NetBird stores a network resource created with a bare host address
//! (`10.10.0.6`) as a prefix (`10.10.0.6/32`, `/128` for IPv6; api-notes §7) and the sandbox
//! does the same, so a compare that took the playbook's text literally would plan an update of
//! every host resource on every run.

use crate::support::{self, apply, onboard, sandbox, stdout};
use serde_json::Value;

const PLAYBOOK: &str = "tests/inputs/apply/normalised.yaml";

/// The addresses of the network resources in the sandbox, by name.
fn addresses(world: &Value) -> Vec<(String, String)> {
    let accounts = world["accounts"].as_object().expect("accounts");
    let mut out: Vec<(String, String)> = accounts
        .values()
        .flat_map(|a| {
            a["network_resources"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
            (text("name"), text("address"))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn host_subnet_and_domain_resources_re_plan_with_no_changes_after_apply() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = ["plan", PLAYBOOK, "--detailed-exitcode"];
    let before = onboard(&sb, dir.path(), &plan).output().expect("plan runs");
    assert_eq!(before.status.code(), Some(2), "{}", stdout(&before));

    apply(&sb, dir.path(), &[PLAYBOOK]);
    let stored = addresses(&sb.world());
    let want = [
        ("db-host", "10.10.0.6/32"),
        ("db-host-v6", "fd00::6/128"),
        ("intranet", "Intranet.Example.com"),
        ("lan", "10.20.0.0/16"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(n, a)| ((*n).to_owned(), (*a).to_owned()))
        .collect();
    assert_eq!(stored, want, "the sandbox stores hosts as NetBird does");

    let after = onboard(&sb, dir.path(), &plan).output().expect("plan runs");
    assert_eq!(after.status.code(), Some(0), "{}", stdout(&after));

    // A second apply finds nothing to do: it writes nothing.
    let writes_before = support::writes(&sb.log()).len();
    apply(&sb, dir.path(), &[PLAYBOOK]);
    assert_eq!(support::writes(&sb.log()).len(), writes_before);
    rt.block_on(sb.shutdown());
}
