//! End-to-end: the real binary applies every example against an in-process sandbox, and the
//! sandbox's world and request log show what users rely on: every declared object exactly
//! once, every reference resolved to the right id, every tenant-scoped call inside the tenant
//! (proven first), nothing written to the MSP account but the tenant, and a re-apply that
//! writes nothing.

use crate::support::{
    self, account, apply, assert_own_account_only, assert_tenant_scoping, exactly_once, id, ids,
    names, one, sandbox, sandbox_with, tenant_id, writes,
};
use onboard_sandbox::{SandboxConfig, SandboxHandle};
use serde_json::{Value, json};
use std::path::Path;

/// Applies again with the same arguments and insists that nothing was written.
fn reapply_writes_nothing(sb: &SandboxHandle, state: &Path, args: &[&str]) {
    let before = writes(&sb.log()).len();
    apply(sb, state, args);
    let log = sb.log();
    let again: Vec<String> = writes(&log)[before..]
        .iter()
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert!(again.is_empty(), "a re-apply wrote: {again:?}");
}

/// The MSP account holds what it started with, and the tenants.
fn assert_msp_untouched(world: &Value, msp: &str) {
    let acct = account(world, msp);
    assert_eq!(names(acct, "groups"), ["All", "MSP Admins"]);
    assert_eq!(names(acct, "policies"), ["Default"]);
    for c in [
        "setup_keys",
        "posture_checks",
        "networks",
        "network_resources",
        "network_routers",
        "nameserver_groups",
    ] {
        assert_eq!(names(acct, c), Vec::<String>::new(), "MSP account {c}");
    }
    assert_eq!(names(acct, "users"), ["owner@msp.example.com"]);
}

/// The tenant names the MSP Admins group as its admin group.
fn assert_tenant_groups(world: &Value, msp: &str, tid: &str) {
    let tenant = world["tenants"]
        .as_array()
        .expect("tenants")
        .iter()
        .find(|t| t["id"] == tid)
        .expect("the tenant");
    let msp_admins = id(account(world, msp), "groups", "MSP Admins");
    assert_eq!(
        tenant["groups"],
        json!([{"id": msp_admins, "role": "admin"}])
    );
}

/// Everything msp-customer.yaml declares, once, wired together, in one tenant.
fn assert_msp_customer(acct: &Value, lan: &str, admins: &[&str]) {
    exactly_once(
        acct,
        &[
            ("groups", "Servers"),
            ("groups", "Admins"),
            ("setup_keys", "bootstrap"),
            ("networks", "office"),
            ("network_resources", "office-lan"),
            ("policies", "admins-to-servers"),
        ],
    );
    assert_eq!(names(acct, "groups"), ["Admins", "All", "Servers"]);
    assert_eq!(names(acct, "setup_keys"), ["bootstrap"]);
    assert_eq!(names(acct, "policies"), ["Default", "admins-to-servers"]);
    let mut want_users: Vec<&str> = admins.to_vec();
    want_users.sort_unstable();
    assert_eq!(names(acct, "users"), want_users);
    let servers = id(acct, "groups", "Servers");
    let admins_id = id(acct, "groups", "Admins");
    let key = one(acct, "setup_keys", "bootstrap");
    assert_eq!(ids(&key["auto_groups"]), [servers.as_str()]);
    assert_eq!(key["type"], "reusable");
    let rule = &one(acct, "policies", "admins-to-servers")["rules"][0];
    assert_eq!(ids(&rule["sources"]), [admins_id.as_str()]);
    assert_eq!(ids(&rule["destinations"]), [servers.as_str()]);
    assert_eq!(rule["ports"], json!(["22"]));
    let lan_resource = one(acct, "network_resources", "office-lan");
    assert_eq!(lan_resource["address"], lan);
    assert_eq!(
        lan_resource["network_id"],
        id(acct, "networks", "office").as_str()
    );
    assert_eq!(ids(&lan_resource["groups"]), [servers]);
    for email in admins {
        let user = one(acct, "users", email);
        assert_eq!(ids(&user["auto_groups"]), [admins_id.as_str()], "{email}");
        assert_eq!(user["role"], "admin");
    }
}

#[test]
fn msp_customer_creates_everything_once_inside_the_tenant_and_reapply_writes_nothing() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "playbooks/msp-customer.yaml",
        "--set",
        "customer=Acme Corp",
        "--set",
        "domain=acme.example",
        "--set",
        "admins=[ops@acme.example]",
    ];
    apply(&sb, dir.path(), &args);
    let world = sb.world();
    let msp = sb.msp_account_id();
    let tid = tenant_id(&world, "acme.example");
    assert_msp_customer(account(&world, &tid), "10.10.0.0/24", &["ops@acme.example"]);
    assert_tenant_groups(&world, &msp, &tid);
    assert_msp_untouched(&world, &msp);
    assert_tenant_scoping(&sb.log(), &msp, &[tid]);
    reapply_writes_nothing(&sb, dir.path(), &args);
    rt.block_on(sb.shutdown());
}

#[test]
fn an_inventory_creates_three_tenants_each_with_its_own_values() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "playbooks/msp-customer.yaml",
        "--inventory",
        "playbooks/customers.yaml",
    ];
    apply(&sb, dir.path(), &args);
    let world = sb.world();
    let msp = sb.msp_account_id();
    assert_eq!(world["tenants"].as_array().map(Vec::len), Some(3));
    let mut tenants = Vec::new();
    for (domain, lan, admins) in [
        (
            "acme.example",
            "10.10.0.0/24",
            &["ops@acme.example", "it@acme.example"][..],
        ),
        ("globex.example", "10.20.0.0/24", &[][..]),
        ("initech.example", "10.10.0.0/24", &[][..]),
    ] {
        let tid = tenant_id(&world, domain);
        assert_msp_customer(account(&world, &tid), lan, admins);
        assert_tenant_groups(&world, &msp, &tid);
        tenants.push(tid);
    }
    assert_msp_untouched(&world, &msp);
    assert_tenant_scoping(&sb.log(), &msp, &tenants);
    reapply_writes_nothing(&sb, dir.path(), &args);
    rt.block_on(sb.shutdown());
}

#[test]
fn quickstart_in_a_standalone_account_creates_everything_once_and_reapply_writes_nothing() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox_with(
        &rt,
        SandboxConfig {
            standalone: true,
            rate_limit: None,
            ..SandboxConfig::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let args = ["playbooks/quickstart.yaml", "--set", "ssh_port=2222"];
    apply(&sb, dir.path(), &args);
    let world = sb.world();
    let own = sb.msp_account_id();
    let acct = account(&world, &own);
    exactly_once(
        acct,
        &[
            ("groups", "Admins"),
            ("groups", "Servers"),
            ("setup_keys", "servers"),
            ("policies", "admins-to-servers"),
        ],
    );
    assert_eq!(names(acct, "groups"), ["Admins", "All", "Servers"]);
    assert_eq!(names(acct, "policies"), ["Default", "admins-to-servers"]);
    let (servers, admins) = (id(acct, "groups", "Servers"), id(acct, "groups", "Admins"));
    let key = one(acct, "setup_keys", "servers");
    assert_eq!(ids(&key["auto_groups"]), [servers.as_str()]);
    let policy = one(acct, "policies", "admins-to-servers");
    assert_eq!(
        policy["description"],
        "Admins may open SSH sessions to servers"
    );
    let rule = &policy["rules"][0];
    assert_eq!(ids(&rule["sources"]), [admins]);
    assert_eq!(ids(&rule["destinations"]), [servers]);
    assert_eq!(rule["ports"], json!(["2222"]));
    assert_eq!(rule["protocol"], "tcp");
    assert_eq!(rule["bidirectional"], false);
    assert_eq!(world["tenants"], json!([]));
    assert_own_account_only(&sb.log(), &own);
    reapply_writes_nothing(&sb, dir.path(), &args);
    rt.block_on(sb.shutdown());
}

#[test]
fn zero_trust_office_creates_everything_once_inside_the_tenant_and_reapply_writes_nothing() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "playbooks/zero-trust-office.yaml",
        "--set",
        "customer=Zed",
        "--set",
        "domain=zed.example",
    ];
    apply(&sb, dir.path(), &args);
    let world = sb.world();
    let msp = sb.msp_account_id();
    let tid = tenant_id(&world, "zed.example");
    let acct = account(&world, &tid);
    exactly_once(
        acct,
        &[
            ("groups", "All"),
            ("groups", "Employees"),
            ("groups", "Servers"),
            ("groups", "Office Routers"),
            ("posture_checks", "netbird-version"),
            ("posture_checks", "supported-os"),
            ("posture_checks", "home-country"),
            ("networks", "office"),
            ("network_resources", "office-lan"),
            ("network_resources", "intranet"),
            ("policies", "employees-to-office"),
            ("policies", "Default"),
            ("nameserver_groups", "upstream"),
            ("setup_keys", "office-routers"),
        ],
    );
    assert_eq!(
        names(acct, "groups"),
        ["All", "Employees", "Office Routers", "Servers"]
    );
    assert_eq!(names(acct, "policies"), ["Default", "employees-to-office"]);
    assert_eq!(names(acct, "posture_checks").len(), 3);
    assert_eq!(names(acct, "network_resources").len(), 2);
    assert_eq!(names(acct, "users"), Vec::<String>::new());
    let group = |n| id(acct, "groups", n);
    let (all, employees, servers, routers) = (
        group("All"),
        group("Employees"),
        group("Servers"),
        group("Office Routers"),
    );
    let office = id(acct, "networks", "office");

    // Posture checks as given, and the policy that requires all three.
    let geo = &one(acct, "posture_checks", "home-country")["checks"]["geo_location_check"];
    assert_eq!(geo["locations"], json!([{"country_code": "DE"}]));
    assert_eq!(geo["action"], "allow");
    assert_eq!(
        one(acct, "posture_checks", "netbird-version")["checks"]["nb_version_check"]["min_version"],
        "0.28.0"
    );
    let policy = one(acct, "policies", "employees-to-office");
    assert_eq!(
        ids(&policy["source_posture_checks"]),
        [
            id(acct, "posture_checks", "netbird-version"),
            id(acct, "posture_checks", "supported-os"),
            id(acct, "posture_checks", "home-country"),
        ]
    );
    assert_eq!(ids(&policy["rules"][0]["sources"]), [employees]);
    assert_eq!(ids(&policy["rules"][0]["destinations"]), [servers.as_str()]);
    // The Default policy was adopted and switched off, not duplicated.
    let default = one(acct, "policies", "Default");
    assert_eq!(default["enabled"], false);
    assert_eq!(ids(&default["rules"][0]["sources"]), [all.as_str()]);

    // The network, its two resources and its router.
    for (name, address, kind) in [
        ("office-lan", "192.168.10.0/24", "subnet"),
        ("intranet", "intranet.zed.example", "domain"),
    ] {
        let r = one(acct, "network_resources", name);
        assert_eq!(r["address"], address);
        assert_eq!(r["type"], kind);
        assert_eq!(r["network_id"], office.as_str());
        assert_eq!(ids(&r["groups"]), [servers.as_str()], "{name}");
    }
    let routers_of_office: Vec<&Value> = acct["network_routers"]
        .as_array()
        .expect("routers")
        .iter()
        .filter(|r| r["network_id"] == office.as_str())
        .collect();
    assert_eq!(
        routers_of_office.len(),
        1,
        "one router in the office network"
    );
    let router = routers_of_office[0];
    assert_eq!(ids(&router["peer_groups"]), [routers.as_str()]);
    assert_eq!(
        (&router["metric"], &router["masquerade"], &router["enabled"]),
        (&json!(100), &json!(true), &json!(true))
    );

    // DNS: the nameserver group for everyone, DNS settings, account settings.
    let ns = one(acct, "nameserver_groups", "upstream");
    assert_eq!(ids(&ns["groups"]), [all]);
    assert_eq!(
        ns["nameservers"],
        json!([
            {"ip": "1.1.1.1", "ns_type": "udp", "port": 53},
            {"ip": "1.0.0.1", "ns_type": "udp", "port": 53}
        ])
    );
    assert_eq!(
        (&ns["primary"], &ns["enabled"]),
        (&json!(true), &json!(true))
    );
    assert_eq!(ns["domains"], json!([]));
    assert_eq!(
        acct["dns_settings"]["disabled_management_groups"],
        json!([])
    );
    let settings = &acct["settings"];
    for (field, value) in [
        ("peer_login_expiration_enabled", json!(true)),
        ("peer_login_expiration", json!(86400)),
        ("peer_inactivity_expiration_enabled", json!(true)),
        ("peer_inactivity_expiration", json!(14400)),
        ("regular_users_view_blocked", json!(true)),
    ] {
        assert_eq!(settings[field], value, "settings.{field}");
    }

    // The routers' setup key.
    let key = one(acct, "setup_keys", "office-routers");
    assert_eq!(ids(&key["auto_groups"]), [routers]);
    assert_eq!(key["usage_limit"], 2);

    assert_tenant_groups(&world, &msp, &tid);
    assert_msp_untouched(&world, &msp);
    assert_tenant_scoping(&sb.log(), &msp, &[tid]);
    reapply_writes_nothing(&sb, dir.path(), &args);
    rt.block_on(sb.shutdown());
}

#[test]
fn apply_refuses_without_a_terminal_and_without_yes() {
    let out = support::binary()
        .args([
            "apply",
            "playbooks/quickstart.yaml",
            "--sandbox",
            "--state-dir",
        ])
        .arg(tempfile::tempdir().unwrap().path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
}
