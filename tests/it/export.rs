//! End-to-end: `onboard export` against an in-process sandbox.
//!
//! - A tenant built by hand (raw API calls, every exported type) exports; the export applied
//!   to a new tenant and exported again is the same playbook but for the tenant's name and
//!   domain; a re-apply writes nothing.
//! - Each example's tenant, after apply, exports to a playbook that validates and plans with
//!   no change against the tenant it came from (only adoptions and reads), and whose apply
//!   writes nothing.
//! - Credentials NetBird never answers (an identity provider's client secret, the sync
//!   integrations' keys) export as sensitive inputs; the copy applied with them from the
//!   environment sends them, re-plans clean and exports to the same playbook.

use crate::support::{
    self, PAT, account, apply, command, last_body, names, onboard, printed, sandbox, stderr,
    stdout, tenant_id, writes,
};
use onboard_sandbox::SandboxHandle;
use serde_json::{Value, json};
use std::path::Path;

/// Raw API calls against the sandbox, in one account (`None`: the MSP account).
struct Api<'a> {
    rt: &'a tokio::runtime::Runtime,
    sb: &'a SandboxHandle,
    account: Option<String>,
}

impl Api<'_> {
    /// One call; insists on a 2xx answer.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let mut url = format!("{}{path}", self.sb.url());
        if let Some(a) = &self.account {
            url.push_str(&format!("?account={a}"));
        }
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        self.rt.block_on(async {
            let mut req = reqwest::Client::new()
                .request(method.clone(), &url)
                .header("Authorization", format!("Token {PAT}"));
            if let Some(b) = &body {
                req = req.json(b);
            }
            let resp = req.send().await.expect("the sandbox answers");
            let status = resp.status();
            let text = resp.text().await.expect("a body");
            assert!(status.is_success(), "{method} {url}: {status} {text}");
            serde_json::from_str(&text).unwrap_or(Value::Null)
        })
    }

    fn post(&self, path: &str, body: Value) -> Value {
        self.call("POST", path, Some(body))
    }

    /// The id of the object created by `POST path body`.
    fn create(&self, path: &str, body: Value) -> String {
        self.post(path, body)["id"]
            .as_str()
            .expect("an id")
            .to_owned()
    }

    /// The id of an object of the account, by name, as the world has it.
    fn id(&self, collection: &str, name: &str) -> String {
        let own = self.sb.msp_account_id();
        let acct = self.account.as_deref().unwrap_or(&own);
        support::id(account(&self.sb.world(), acct), collection, name)
    }
}

/// The groups of the golden tenant.
struct Groups {
    all: String,
    servers: String,
    employees: String,
    routers: String,
}

/// A tenant as an MSP engineer builds it in the dashboard: every type the export knows,
/// the Default policy switched off, settings and DNS changed. Returns the tenant id and the
/// setup key's secret.
fn build_golden(rt: &tokio::runtime::Runtime, sb: &SandboxHandle) -> (String, String) {
    let msp = Api {
        rt,
        sb,
        account: None,
    };
    let tenant = msp.create(
        "/api/integrations/msp/tenants",
        json!({"name": "Golden Corp", "domain": "golden.example",
               "groups": [{"id": msp.id("groups", "MSP Admins"), "role": "admin"}]}),
    );
    let t = Api {
        rt,
        sb,
        account: Some(tenant.clone()),
    };
    let g = Groups {
        all: t.id("groups", "All"),
        servers: t.create("/api/groups", json!({"name": "Servers"})),
        employees: t.create("/api/groups", json!({"name": "Employees"})),
        routers: t.create("/api/groups", json!({"name": "Office Routers"})),
    };
    let key = golden_network(&t, &g);
    golden_access(&t, &g);
    golden_people(&t, &g);
    (tenant, key)
}

/// A network with a resource and a router, a route, and the routers' setup key (its secret
/// is returned).
fn golden_network(t: &Api, g: &Groups) -> String {
    let net = t.create(
        "/api/networks",
        json!({"name": "office", "description": "Golden office"}),
    );
    t.post(
        &format!("/api/networks/{net}/resources"),
        json!({"name": "office-lan", "address": "192.168.10.0/24", "enabled": true,
               "groups": [g.servers]}),
    );
    t.post(
        &format!("/api/networks/{net}/resources"),
        json!({"name": "intranet", "address": "intranet.golden.example", "enabled": true,
               "groups": [g.servers]}),
    );
    t.post(
        &format!("/api/networks/{net}/routers"),
        json!({"peer_groups": [g.routers], "metric": 100, "masquerade": true, "enabled": true}),
    );
    t.post(
        "/api/routes",
        json!({"description": "legacy lan", "network_id": "legacy", "enabled": true,
               "peer_groups": [g.routers], "network": "10.99.0.0/16", "metric": 9999,
               "masquerade": true, "groups": [g.employees], "keep_route": true}),
    );
    let key = t.post(
        "/api/setup-keys",
        json!({"name": "office-routers", "type": "reusable", "expires_in": 604_800,
               "auto_groups": [g.routers], "usage_limit": 2}),
    );
    key["key"].as_str().expect("a setup key").to_owned()
}

/// A posture check and a policy that uses it, the Default policy switched off, DNS.
fn golden_access(t: &Api, g: &Groups) {
    let check = t.create(
        "/api/posture-checks",
        json!({"name": "netbird-version", "description": "Recent NetBird clients only",
               "checks": {"nb_version_check": {"min_version": "0.28.0"}}}),
    );
    t.post(
        "/api/policies",
        json!({"name": "employees-to-office", "description": "", "enabled": true,
               "source_posture_checks": [check],
               "rules": [{"name": "https", "enabled": true, "action": "accept",
                          "bidirectional": false, "protocol": "tcp", "ports": ["443"],
                          "sources": [g.employees], "destinations": [g.servers]}]}),
    );
    let default = t.id("policies", "Default");
    t.call(
        "PUT",
        &format!("/api/policies/{default}"),
        Some(
            json!({"name": "Default", "description": "switched off", "enabled": false,
               "rules": [{"name": "Default", "enabled": true, "action": "accept",
                          "bidirectional": true, "protocol": "all",
                          "sources": [g.all], "destinations": [g.all]}]}),
        ),
    );
    t.post(
        "/api/dns/nameservers",
        json!({"name": "upstream", "description": "", "enabled": true, "groups": [g.all],
               "nameservers": [{"ip": "1.1.1.1", "ns_type": "udp", "port": 53}],
               "primary": true, "domains": [], "search_domains_enabled": false}),
    );
    t.call(
        "PUT",
        "/api/dns/settings",
        Some(json!({"disabled_management_groups": [g.servers]})),
    );
}

/// Account settings changed, two admins and a user by email, a service user.
fn golden_people(t: &Api, g: &Groups) {
    let mut settings = t.call("GET", "/api/accounts", None)[0]["settings"].clone();
    settings["peer_login_expiration"] = json!(43_200);
    settings["peer_inactivity_expiration_enabled"] = json!(true);
    let id = t.account.clone().expect("a tenant");
    t.call(
        "PUT",
        &format!("/api/accounts/{id}"),
        Some(json!({"settings": settings})),
    );
    for (email, role) in [
        ("ops@golden.example", "admin"),
        ("it@golden.example", "admin"),
        ("ann@golden.example", "user"),
    ] {
        t.post(
            "/api/users",
            json!({"email": email, "role": role, "auto_groups": [g.employees],
                   "is_service_user": false}),
        );
    }
    t.post(
        "/api/users",
        json!({"name": "ci", "role": "admin", "auto_groups": [], "is_service_user": true}),
    );
}

/// `onboard ARGS`; insists on success and returns stdout.
fn ok(sb: &SandboxHandle, state: &Path, args: &[&str]) -> String {
    let out = onboard(sb, state, args).output().expect("onboard runs");
    assert!(
        out.status.success(),
        "onboard {args:?} failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

fn export(sb: &SandboxHandle, state: &Path, account: Option<&str>) -> String {
    let mut args = vec!["export", "--name", "golden"];
    args.extend(account.map(|a| ["--account", a]).into_iter().flatten());
    ok(sb, state, &args)
}

/// Applies again and insists that nothing was written.
fn writes_nothing(sb: &SandboxHandle, state: &Path, args: &[&str]) {
    let before = writes(&sb.log()).len();
    apply(sb, state, args);
    let log = sb.log();
    let again: Vec<String> = writes(&log)[before..]
        .iter()
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert!(again.is_empty(), "apply {args:?} wrote: {again:?}");
}

#[test]
fn a_hand_built_tenant_round_trips() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let (golden, secret) = build_golden(&rt, &sb);
    let text = export(&sb, dir.path(), Some(&golden));

    assert!(
        !text.contains(&secret),
        "the setup key's secret was exported"
    );
    let world = sb.world();
    let acct = account(&world, &golden);
    for c in [
        "groups",
        "policies",
        "posture_checks",
        "networks",
        "network_resources",
        "setup_keys",
    ] {
        for o in acct[c].as_array().expect("a collection") {
            let live = o["id"].as_str().expect("an id");
            assert!(
                !text.contains(live),
                "{c} id {live} was not turned into a reference:\n{text}"
            );
        }
    }
    assert!(text.contains("Peers are not exported"), "{text}");
    // The tenant's domain inside values is the domain input: the export is a template.
    assert!(
        text.contains("address: \"intranet.{{ inputs.domain }}\""),
        "{text}"
    );

    let file = dir.path().join("golden.yaml");
    std::fs::write(&file, &text).unwrap();
    let playbook = file.to_str().unwrap();
    let copy = [
        "--set",
        "customer=Copy Corp",
        "--set",
        "domain=copy.example",
    ];
    let args: Vec<&str> = [playbook].into_iter().chain(copy).collect();
    apply(&sb, dir.path(), &args);
    let world = sb.world();
    let copied = tenant_id(&world, "copy.example");
    for c in [
        "groups",
        "policies",
        "posture_checks",
        "networks",
        "network_resources",
        "network_routers",
        "routes",
        "nameserver_groups",
        "setup_keys",
        "users",
    ] {
        assert_eq!(
            names(account(&world, &copied), c),
            names(account(&world, &golden), c),
            "{c} of the copy"
        );
    }

    let again = export(&sb, dir.path(), Some(&copied));
    // The tenant's name and domain, in the header and the inputs' defaults; users keep their
    // emails (they are unique per account only).
    let expected = text
        .replace("from golden.example", "from copy.example")
        .replace("default: golden.example\n", "default: copy.example\n")
        .replace("default: Golden Corp\n", "default: Copy Corp\n");
    assert_ne!(expected, text);
    assert_eq!(again, expected, "the copy exports to another playbook");
    writes_nothing(&sb, dir.path(), &args);
}

/// The plan of `playbook` against live state: JSON, and only adoptions, reads and no-ops.
fn assert_plans_no_change(sb: &SandboxHandle, state: &Path, playbook: &str) {
    let out = ok(sb, state, &["plan", playbook, "--format", "json"]);
    let plans: Value = serde_json::from_str(&out).expect("a JSON list of plans");
    let plan = &plans[0];
    if let Some(t) = plan.get("tenant").filter(|t| !t.is_null()) {
        let action = t["action"].as_str().unwrap_or_default();
        assert!(
            ["no_change", "adopt"].contains(&action),
            "tenant: {action}\n{out}"
        );
    }
    let steps = plan["steps"].as_array().expect("steps");
    assert!(!steps.is_empty());
    for s in steps {
        let action = s["action"].as_str().unwrap_or_default();
        assert!(
            ["adopt", "read", "no_change"].contains(&action),
            "{}: {action}\n{out}",
            s["address"]
        );
    }
}

#[test]
fn every_example_exports_to_a_playbook_that_plans_no_change() {
    let cases: [(&str, &[&str], Option<&str>); 3] = [
        ("quickstart", &["playbooks/quickstart.yaml"], None),
        (
            "msp-customer",
            &[
                "playbooks/msp-customer.yaml",
                "--inventory",
                "playbooks/customers.yaml",
                "--only",
                "acme",
            ],
            Some("acme.example"),
        ),
        (
            "zero-trust-office",
            &[
                "playbooks/zero-trust-office.yaml",
                "--set",
                "customer=Zed",
                "--set",
                "domain=zed.example",
            ],
            Some("zed.example"),
        ),
    ];
    for (example, args, domain) in cases {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let sb = sandbox(&rt);
        let dir = tempfile::tempdir().unwrap();
        apply(&sb, dir.path(), args);
        let tenant = domain.map(|d| tenant_id(&sb.world(), d));
        let text = export(&sb, dir.path(), tenant.as_deref());
        let file = dir.path().join(format!("{example}-export.yaml"));
        std::fs::write(&file, &text).unwrap();
        let playbook = file.to_str().unwrap();
        let valid = support::binary()
            .args(["validate", playbook])
            .output()
            .expect("onboard runs");
        assert!(valid.status.success(), "{example}: {}", stderr(&valid));
        assert_plans_no_change(&sb, dir.path(), playbook);
        writes_nothing(&sb, dir.path(), &[playbook]);
        // Exported twice, the same text: the order does not depend on the API's.
        assert_eq!(
            export(&sb, dir.path(), tenant.as_deref()),
            text,
            "{example}"
        );
    }
}

/// `export --out FILE` writes a private file (an account's names, ids and addresses), never
/// through a symlink: a link at FILE is refused before anything is read, its target keeps its
/// text; an existing readable file is replaced by one only its owner reads.
#[cfg(unix)]
#[test]
fn export_out_is_private_and_refuses_a_symlink() {
    use std::os::unix::fs::PermissionsExt;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "untouched").unwrap();
    let link = dir.path().join("link.yaml");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let out = onboard(
        &sb,
        dir.path(),
        &["export", "--out", link.to_str().unwrap()],
    )
    .output()
    .expect("onboard runs");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");

    let file = dir.path().join("export.yaml");
    std::fs::write(&file, "old").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    ok(
        &sb,
        dir.path(),
        &["export", "--out", file.to_str().unwrap()],
    );
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("version: 1")
    );
    rt.block_on(sb.shutdown());
}

/// Group names a tenant admin could choose to smuggle template code into an exported golden
/// template: closing the exporter's quoting, a reference, a comment, quotes, backslashes, a
/// trailing newline.
const HOSTILE_NAMES: &[&str] = &[
    r#"{% endraw %}{{ inputs.domain ~ "-INJECTED" }}{% raw %}"#,
    "{{ x }}",
    "{# c #}",
    r#"it's {{ "q" }} \ {% if true %}"#,
    "}} {{{ %}\n",
];

/// Every name the API gives is written so that the template engine reads it as text: the
/// exported playbook validates and re-plans each such group as itself, with no change.
#[test]
fn names_with_template_syntax_export_and_replan_as_themselves() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let msp = Api {
        rt: &rt,
        sb: &sb,
        account: None,
    };
    let tenant = msp.create(
        "/api/integrations/msp/tenants",
        json!({"name": "Rq Corp", "domain": "rq.example",
               "groups": [{"id": msp.id("groups", "MSP Admins"), "role": "admin"}]}),
    );
    let t = Api {
        rt: &rt,
        sb: &sb,
        account: Some(tenant.clone()),
    };
    for name in HOSTILE_NAMES {
        t.create("/api/groups", json!({ "name": name }));
    }
    let text = export(&sb, dir.path(), Some(&tenant));
    let file = dir.path().join("hostile.yaml");
    std::fs::write(&file, &text).unwrap();
    let playbook = file.to_str().unwrap();
    let valid = support::binary()
        .args(["validate", playbook])
        .output()
        .expect("onboard runs");
    assert!(valid.status.success(), "{}\n{text}", stderr(&valid));
    assert_plans_no_change(&sb, dir.path(), playbook);
    let out = ok(&sb, dir.path(), &["plan", playbook, "--format", "json"]);
    assert!(!out.contains("rq.example-INJECTED"), "{out}");
    let plans: Value = serde_json::from_str(&out).expect("a JSON list of plans");
    let planned: Vec<&str> = plans[0]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["type"] == "group")
        .filter_map(|s| s["body"]["name"].as_str())
        .collect();
    for name in HOSTILE_NAMES {
        assert!(
            planned.contains(name),
            "{name:?} re-plans as another name: {planned:?}\n{text}"
        );
    }
    writes_nothing(&sb, dir.path(), &[playbook]);
}

/// An account with credentials NetBird never answers: an identity provider, a Google and an
/// Azure sync integration.
const CREDENTIALS: &str = r#"version: 1
name: creds
inputs:
  idp_secret: { type: string, sensitive: true }
  google_key: { type: string, sensitive: true }
tenant:
  name: Creds
  domain: creds.example
steps:
  - id: sso
    type: identity_provider
    with:
      type: oidc
      name: Creds SSO
      issuer: https://login.creds.example
      client_id: creds-client
      client_secret: "{{ inputs.idp_secret }}"
  - id: google
    type: google_idp
    with:
      service_account_key: "{{ inputs.google_key }}"
      customer_id: C0creds
  - id: azure
    type: azure_idp
    with:
      client_secret: Azure-Literal-Secret-Creds-77aa
      client_id: azure-app
      tenant_id: creds-azure-tenant
  - id: laptops
    type: group
    with: { name: laptops }
  - id: falcon
    type: edr_falcon
    with:
      client_id: Falcon-Literal-Client-Creds-1b2c
      secret: Falcon-Literal-Secret-Creds-3d4e
      cloud_id: eu-1
      groups: ["{{ steps.laptops.id }}"]
      zta_score_threshold: 75
"#;

#[test]
fn credentials_export_as_sensitive_inputs_and_the_copy_round_trips() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("creds.yaml");
    std::fs::write(&source, CREDENTIALS).unwrap();
    let secrets = [
        ("ONBOARD_VAR_idp_secret", "Recognisable-Idp-Secret-One-31c4"),
        ("ONBOARD_VAR_google_key", "Recognisable-Google-Key-One-8d02"),
    ];
    let mut cmd = command(&sb, dir.path(), &[source.to_str().unwrap()]);
    cmd.envs(secrets);
    let out = cmd.output().expect("onboard runs");
    assert!(out.status.success(), "{}", printed(&out));
    let tenant = tenant_id(&sb.world(), "creds.example");

    // Each credential is a sensitive input named after its step (whose id comes from the
    // object's identity; a singleton's from its type), the field its template; no secret is
    // in the text.
    let text = export(&sb, dir.path(), Some(&tenant));
    let inputs = [
        ("creds_sso", "client_secret"),
        ("c0creds", "service_account_key"),
        ("creds_azure_tenant", "client_secret"),
        ("edr_falcon", "client_id"),
        ("edr_falcon", "secret"),
    ];
    for (step, field) in inputs {
        let input = format!("{step}_{field}");
        for part in [
            format!("  {input}:\n    type: string\n    sensitive: true\n"),
            format!("{field}: \"{{{{ inputs.{input} }}}}\""),
        ] {
            assert!(text.contains(&part), "{part}\nnot in:\n{text}");
        }
    }
    assert!(
        text.contains("groups: [\"{{ steps.laptops.id }}\"]"),
        "{text}"
    );
    let literals = [
        "Azure-Literal-Secret-Creds-77aa",
        "Falcon-Literal-Client-Creds-1b2c",
        "Falcon-Literal-Secret-Creds-3d4e",
    ];
    for secret in secrets.map(|s| s.1).into_iter().chain(literals) {
        assert!(!text.contains(secret), "{secret} exported");
    }
    let file = dir.path().join("exported.yaml");
    std::fs::write(&file, &text).unwrap();
    let playbook = file.to_str().unwrap();
    let vars = |values: [&'static str; 5]| {
        inputs
            .iter()
            .zip(values)
            .map(|((step, field), v)| (format!("ONBOARD_VAR_{step}_{field}"), v))
            .collect::<Vec<_>>()
    };

    // Applied to the account it came from (a new state): each object is adopted, its
    // credentials sent once (onboard never sent them, so they are not known to match).
    let fresh = dir.path().join("fresh");
    let mut cmd = onboard(&sb, &fresh, &["plan", playbook, "--format", "json"]);
    cmd.envs(vars(["S1", "S2", "S3", "S4", "S5"]));
    let out = cmd.output().expect("onboard runs");
    assert!(out.status.success(), "{}", printed(&out));
    let plans: Value = serde_json::from_str(&stdout(&out)).expect("a JSON list of plans");
    let steps = plans[0]["steps"].as_array().expect("steps");
    for (address, fields) in [
        ("creds_sso", &["client_secret"][..]),
        ("c0creds", &["service_account_key"]),
        ("creds_azure_tenant", &["client_secret"]),
        ("edr_falcon", &["client_id", "secret"]),
    ] {
        let step = steps
            .iter()
            .find(|s| s["address"] == address)
            .expect(address);
        assert_eq!(step["action"], "update", "{step}");
        let changes = step["changes"].as_array().expect("changes");
        let changed: Vec<&Value> = changes.iter().map(|c| &c["field"]).collect();
        assert_eq!(changed, fields, "{step}");
        for c in changes {
            assert_eq!(c["before"], "(not known: never sent by onboard)");
        }
    }
    // Validation needs no credential.
    let valid = support::binary()
        .args(["validate", playbook])
        .output()
        .expect("onboard runs");
    assert!(valid.status.success(), "{}", printed(&valid));

    // A copy for another customer: the credentials from the environment reach NetBird.
    let copied = [
        "Copy-Idp-Secret-Two-5b9e",
        "Copy-Google-Key-Two-0c7d",
        "Copy-Azure-Secret-Two-e41f",
        "Copy-Falcon-Client-Two-a9b8",
        "Copy-Falcon-Secret-Two-c7d6",
    ];
    let copy = [
        "--set",
        "customer=Copy",
        "--set",
        "domain=copy-creds.example",
    ];
    let args: Vec<&str> = [playbook].into_iter().chain(copy).collect();
    let mut cmd = command(&sb, dir.path(), &args);
    cmd.envs(vars(copied));
    let out = cmd.output().expect("onboard runs");
    assert!(out.status.success(), "{}", printed(&out));
    for (path, field, value) in [
        ("/api/identity-providers", "client_secret", copied[0]),
        (
            "/api/integrations/google-idp",
            "service_account_key",
            copied[1],
        ),
        ("/api/integrations/azure-idp", "client_secret", copied[2]),
        ("/api/integrations/edr/falcon", "client_id", copied[3]),
        ("/api/integrations/edr/falcon", "secret", copied[4]),
    ] {
        assert_eq!(last_body(&sb, path)[field], value, "{path}");
    }
    let copy_tenant = tenant_id(&sb.world(), "copy-creds.example");
    for table in [
        "identity_providers",
        "google_idp",
        "azure_idp",
        "edr_falcon",
    ] {
        let n = account(&sb.world(), &copy_tenant)[table]
            .as_array()
            .map_or(0, Vec::len);
        assert_eq!(n, 1, "{table} of the copy");
    }
    // The same credentials again: the copy plans no change.
    let mut cmd = onboard(&sb, dir.path(), &["plan", playbook, "--detailed-exitcode"]);
    cmd.args(copy).envs(vars(copied));
    let out = cmd.output().expect("onboard runs");
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    // Exported again, the copy gives the same playbook but its name and domain.
    let again = export(&sb, dir.path(), Some(&copy_tenant));
    let expected = text
        .replace("from creds.example", "from copy-creds.example")
        .replace("default: creds.example\n", "default: copy-creds.example\n")
        .replace("default: Creds\n", "default: Copy\n");
    assert_eq!(again, expected);

    // A sync switched off in NetBird is left out, and said so: a playbook can only create it
    // switched on (the create takes no `enabled`), so a copy would start pulling users.
    let google = account(&sb.world(), &copy_tenant)["google_idp"][0]["id"].to_string();
    let api = Api {
        rt: &rt,
        sb: &sb,
        account: Some(copy_tenant.clone()),
    };
    api.call(
        "PUT",
        &format!("/api/integrations/google-idp/{google}"),
        Some(json!({"enabled": false})),
    );
    let off = export(&sb, dir.path(), Some(&copy_tenant));
    assert!(!off.contains("type: google_idp"), "{off}");
    assert!(
        off.contains("disabled in NetBird, not exported (a playbook creates it enabled)"),
        "{off}"
    );
}
