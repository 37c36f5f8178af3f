//! destroy and --prune against the in-process sandbox: only what onboard created or adopted
//! is deleted, dependants first, and the tenant is left as it was created.

use crate::support::{self, PAT, names, sandbox, without_usage_stamps};

fn onboard(
    sb: &onboard_sandbox::SandboxHandle,
    state: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    support::onboard(sb, state, args)
        .arg("--yes")
        .output()
        .expect("onboard runs")
}

/// The account without its audit log and what every request stamps on it.
fn without_events(account: serde_json::Value) -> serde_json::Value {
    let mut a = without_usage_stamps(&account);
    if let Some(o) = a.as_object_mut() {
        o.remove("events");
    }
    a
}

#[test]
fn destroy_leaves_the_tenant_as_created_and_the_msp_account_untouched() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let values = [
        "--set",
        "customer=Acme",
        "--set",
        "domain=acme.example",
        "--set",
        "admins=[ops@acme.example]",
    ];
    let mut apply = vec!["apply", "playbooks/msp-customer.yaml", "--discard-secrets"];
    apply.extend(values);
    let out = onboard(&sb, dir.path(), &apply);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let world = sb.world();
    let msp = sb.msp_account_id();
    let msp_before = without_events(world["accounts"][&msp].clone());
    let tid = world["tenants"][0]["id"].as_str().unwrap().to_owned();
    assert!(names(&world["accounts"][&tid], "groups").contains(&"Servers".to_owned()));

    // destroy needs only the inputs of the run key (the tenant's domain): without it, it
    // names that input and no other.
    let out = onboard(&sb, dir.path(), &["destroy", "playbooks/msp-customer.yaml"]);
    let err = support::flat(&support::stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("missing value for required input `domain`"),
        "{err}"
    );
    assert!(!err.contains("`customer`"), "{err}");
    let destroy = [
        "destroy",
        "playbooks/msp-customer.yaml",
        "--set",
        "domain=acme.example",
    ];
    let out = onboard(&sb, dir.path(), &destroy);
    let stdout = support::flat(&support::stdout(&out));
    assert!(out.status.success(), "{stdout}\n{}", support::stderr(&out));
    // It says that the tenant stays, and how to delete it.
    assert!(
        stdout.contains(&format!(
            "kept: the tenant acme.example (account {tid}) of `acme.example` itself: onboard \
             never deletes a tenant. To delete it, use the MSP portal of the NetBird dashboard"
        )),
        "{stdout}"
    );

    let world = sb.world();
    let tenant = &world["accounts"][&tid];
    assert_eq!(names(tenant, "groups"), ["All"]);
    assert_eq!(names(tenant, "policies"), ["Default"]);
    for empty in ["setup_keys", "networks", "network_resources"] {
        assert_eq!(
            tenant[empty].as_array().unwrap().len(),
            0,
            "{empty} left behind"
        );
    }
    assert!(
        !tenant["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["email"] == "ops@acme.example"),
        "the invited user was not deleted"
    );
    assert_eq!(
        world["tenants"].as_array().unwrap().len(),
        1,
        "the tenant itself stays"
    );
    assert_eq!(
        without_events(world["accounts"][&msp].clone()),
        msp_before,
        "the MSP account changed"
    );
    rt.block_on(sb.shutdown());
}

#[test]
fn prune_deletes_a_removed_step_and_keeps_what_was_changed_behind_our_back() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read_to_string("playbooks/quickstart.yaml").unwrap();
    let out = onboard(
        &sb,
        dir.path(),
        &["apply", "playbooks/quickstart.yaml", "--discard-secrets"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Rename the Admins group behind onboard's back, then drop the policy and the Admins group
    // from the playbook: the policy is pruned, the renamed group is reported and kept.
    let world = sb.world();
    let acct = world["accounts"][sb.msp_account_id()].clone();
    let admins = acct["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Admins")
        .unwrap()
        .clone();
    let url = format!("{}/api/groups/{}", sb.url(), admins["id"].as_str().unwrap());
    let renamed = rt.block_on(async {
        reqwest::Client::new()
            .put(url)
            .header("Authorization", format!("Token {PAT}"))
            .json(&serde_json::json!({"name": "Admins (by hand)"}))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert!(renamed.is_success());
    let policy_start = full.find("  # One policy, one rule").unwrap();
    let outputs_start = full.find("outputs:").unwrap();
    let admins_step = "  - id: admins\n    type: group\n    with: { name: Admins }\n\n";
    let smaller =
        format!("{}{}", &full[..policy_start], &full[outputs_start..]).replace(admins_step, "");
    assert!(!smaller.contains("admins-to-servers") && !smaller.contains("id: admins"));
    let path = dir.path().join("smaller.yaml");
    std::fs::write(&path, smaller).unwrap();
    let out = onboard(
        &sb,
        dir.path(),
        &[
            "apply",
            path.to_str().unwrap(),
            "--prune",
            "--discard-secrets",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("admin_ssh: deleted"), "{stdout}");
    assert!(
        stdout.contains("admins: kept: changed behind onboard's back (name)"),
        "{stdout}"
    );

    let acct = sb.world()["accounts"][sb.msp_account_id()].clone();
    assert!(!names(&acct, "policies").contains(&"admins-to-servers".to_owned()));
    assert!(names(&acct, "groups").contains(&"Admins (by hand)".to_owned()));
    assert!(names(&acct, "groups").contains(&"Servers".to_owned()));
    rt.block_on(sb.shutdown());
}

/// Playbooks named `team a` and `team_a` (the same file name before names were encoded) keep
/// their own state: `--prune` of one never deletes what the other created.
#[test]
fn playbooks_whose_names_once_shared_a_state_file_never_prune_each_other() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let write = |file: &str, name: &str, group: &str| {
        let path = dir.path().join(file);
        let text = format!(
            "version: 1\nname: {name}\nsteps:\n  - id: team\n    type: group\n    with: {{ name: {group} }}\n"
        );
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let a = write("a.yaml", "\"team a\"", "Team A");
    let b = write("b.yaml", "team_a", "Team B");
    for (pb, prune) in [(&a, false), (&b, true), (&a, true)] {
        let mut args = vec!["apply", pb.as_str()];
        if prune {
            args.push("--prune");
        }
        let out = onboard(&sb, &state, &args);
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let acct = sb.world()["accounts"][sb.msp_account_id()].clone();
        let groups = names(&acct, "groups");
        assert!(
            groups.contains(&"Team A".to_owned()),
            "{args:?}: {groups:?}"
        );
        if prune {
            assert!(
                groups.contains(&"Team B".to_owned()),
                "{args:?}: {groups:?}"
            );
        }
    }
    let files = support::walk(&state.join("state"));
    assert_eq!(files.len(), 2, "one state file each: {files:?}");
    rt.block_on(sb.shutdown());
}
