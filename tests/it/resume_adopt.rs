//! Adoption: a tenant and objects made by hand before onboarding are taken over, not
//! duplicated, and the state says they were adopted.

use crate::support::*;
use serde_json::json;

#[test]
fn hand_made_tenant_groups_and_policy_are_adopted_not_duplicated() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();

    // By hand: the tenant, two groups and the policy, as msp-customer.yaml would make them.
    let msp = sb.msp_account_id();
    let msp_admins = id(&sb.world()["accounts"][&msp], "groups", "MSP Admins");
    let tenant = call(
        &rt,
        &sb,
        "POST",
        "/api/integrations/msp/tenants",
        None,
        Some(&json!({
            "name": "Hand",
            "domain": "hand.example",
            "groups": [{"id": msp_admins, "role": "admin"}],
        })),
    );
    let tid = tenant["id"].as_str().unwrap().to_owned();
    let t = Some(tid.as_str());
    let group = |name: &str| {
        let g = call(
            &rt,
            &sb,
            "POST",
            "/api/groups",
            t,
            Some(&json!({ "name": name })),
        );
        g["id"].as_str().unwrap().to_owned()
    };
    let (servers, admins) = (group("Servers"), group("Admins"));
    let policy = call(
        &rt,
        &sb,
        "POST",
        "/api/policies",
        t,
        Some(&json!({
            "name": "admins-to-servers",
            "enabled": true,
            "rules": [{
                "name": "ssh",
                "enabled": true,
                "action": "accept",
                "bidirectional": false,
                "protocol": "tcp",
                "ports": ["22"],
                "sources": [admins],
                "destinations": [servers],
            }],
        })),
    );
    let policy_id = policy["id"].as_str().unwrap().to_owned();

    let mark = last_seq(&sb);
    let args = [
        "playbooks/msp-customer.yaml",
        "--set",
        "customer=Hand",
        "--set",
        "domain=hand.example",
    ];
    apply(&sb, dir.path(), &args);

    // Nothing made by hand was created again or written to.
    let writes = writes_after(&sb, mark);
    for w in &writes {
        assert!(
            !w.ends_with("/tenants") && w != "POST /api/groups" && w != "POST /api/policies",
            "{w} duplicated a hand-made object: {writes:?}"
        );
        for id in [&tid, &servers, &admins, &policy_id] {
            assert!(!w.contains(id.as_str()), "{w} changed a hand-made object");
        }
    }
    let world = sb.world();
    assert_eq!(tenant_id(&world, "hand.example"), tid);
    let acct = &world["accounts"][&tid];
    assert_eq!(id(acct, "groups", "Servers"), servers);
    assert_eq!(id(acct, "groups", "Admins"), admins);
    assert_eq!(id(acct, "policies", "admins-to-servers"), policy_id);
    // What the playbook adds on top refers to the adopted groups.
    let key = one(acct, "setup_keys", "bootstrap");
    assert_eq!(ids(&key["auto_groups"]), [servers.as_str()]);
    let lan = one(acct, "network_resources", "office-lan");
    assert_eq!(ids(&lan["groups"]), [servers.as_str()]);
    one(acct, "networks", "office");

    let state = state_file(dir.path());
    assert_eq!(state["tenant"]["id"], tid.as_str());
    assert_eq!(state["tenant"]["origin"], "adopted");
    for (step, id) in [
        ("servers", &servers),
        ("admins", &admins),
        ("admin_ssh", &policy_id),
    ] {
        assert_eq!(state["steps"][step]["id"], id.as_str(), "{step}");
        assert_eq!(state["steps"][step]["origin"], "adopted", "{step}");
    }
    for step in ["bootstrap", "office", "office_lan"] {
        assert_eq!(state["steps"][step]["origin"], "created", "{step}");
    }

    // A re-apply keeps them and writes nothing.
    let mark = last_seq(&sb);
    apply(&sb, dir.path(), &args);
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());
    assert_eq!(
        state_file(dir.path())["steps"]["servers"]["origin"],
        "adopted"
    );
    rt.block_on(sb.shutdown());
}
