//! A setup key revoked behind onboard's back is drift: NetBird cannot un-revoke a key, so the
//! plan shows a replacement, apply refuses it without `--allow-replace`, and with it deletes
//! the revoked key and creates it anew; the next apply has nothing to do.

use crate::support::*;
use serde_json::json;

const PLAYBOOK: &str = "playbooks/quickstart.yaml";

#[test]
fn a_revoked_setup_key_is_planned_as_a_replacement() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    apply(&sb, dir.path(), &[PLAYBOOK]);

    let world = sb.world();
    let own = account(&world, &sb.msp_account_id()).clone();
    let key = one(&own, "setup_keys", "servers").clone();
    let key_id = key["id"].as_str().unwrap().to_owned();
    let servers = id(&own, "groups", "Servers");
    assert_eq!(key["revoked"], false);

    // Revoked by hand, as an admin would in the dashboard.
    let path = format!("/api/setup-keys/{key_id}");
    let body = json!({"revoked": true, "auto_groups": [servers]});
    let revoked = call(&rt, &sb, "PUT", &path, None, Some(&body));
    assert_eq!(revoked["revoked"], true);

    // The plan shows the replacement and why.
    let mark = last_seq(&sb);
    let out = onboard(&sb, dir.path(), &["plan", PLAYBOOK, "--color", "never"])
        .output()
        .expect("onboard runs");
    let plan = stdout(&out);
    assert!(out.status.success(), "{plan}\n{}", stderr(&out));
    let line = plan
        .lines()
        .find(|l| l.contains("servers_key"))
        .unwrap_or_else(|| panic!("no line for the key:\n{plan}"));
    assert!(line.contains("-/+"), "a replacement: {line}\n{plan}");
    assert!(
        plan.contains("revoked"),
        "the plan names the field:\n{plan}"
    );
    assert!(plan.contains("1 to replace"), "{plan}");
    assert_eq!(
        writes_after(&sb, mark),
        Vec::<String>::new(),
        "plan writes nothing"
    );

    // Without --allow-replace, apply stops at the key and deletes nothing.
    let mark = last_seq(&sb);
    let refused = run(&sb, dir.path(), &[PLAYBOOK]);
    assert!(!refused.status.success(), "{}", stdout(&refused));
    let text = flat(&stderr(&refused));
    assert!(text.contains("--allow-replace"), "{text}");
    assert!(
        !writes_after(&sb, mark)
            .iter()
            .any(|w| w.contains("setup-keys")),
        "{:?}",
        writes_after(&sb, mark)
    );

    // With it: one delete and one create, and the new key is usable.
    let mark = last_seq(&sb);
    apply(&sb, dir.path(), &[PLAYBOOK, "--allow-replace"]);
    assert_eq!(
        writes_after(&sb, mark),
        [
            format!("DELETE /api/setup-keys/{key_id}"),
            "POST /api/setup-keys".to_owned()
        ]
    );
    let world = sb.world();
    let own = account(&world, &sb.msp_account_id()).clone();
    let fresh = one(&own, "setup_keys", "servers");
    assert_ne!(fresh["id"], key_id.as_str());
    assert_eq!(fresh["revoked"], false);
    assert_eq!(ids(&fresh["auto_groups"]), [servers.as_str()]);

    let mark = last_seq(&sb);
    apply(&sb, dir.path(), &[PLAYBOOK]);
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());
    rt.block_on(sb.shutdown());
}
