//! The JSON Schemas (`schemas/*.schema.json`), checked with an independent validator (the
//! `jsonschema` crate): every example validates, typos and wrong types are flagged, as an
//! editor using the schema would show them.

use onboard_engine::diag::source::SourceFile;
use serde_json::Value;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn schema(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schemas").join(name)).expect("schema file");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

fn yaml(name: &str, text: &str) -> Value {
    onboard_engine::playbook::yaml::parse(&SourceFile::new(name, text))
        .expect("valid YAML")
        .to_json()
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn every_example_playbook_and_inventory_validates() {
    let playbook = schema("playbook.schema.json");
    let inventory = schema("inventory.schema.json");
    let mut seen = 0;
    let files = ["playbooks", "playbooks/modules"]
        .into_iter()
        .flat_map(|d| {
            std::fs::read_dir(root().join(d))
                .expect("a folder of examples")
                .map(|e| e.expect("entry").path())
                .filter(|p| p.is_file())
        });
    for path in files {
        let text = std::fs::read_to_string(&path).expect("example");
        let doc = yaml(&path.display().to_string(), &text);
        let v = if doc.get("customers").is_some() {
            &inventory
        } else {
            &playbook
        };
        let errs = errors(v, &doc);
        assert!(errs.is_empty(), "{}: {errs:#?}", path.display());
        seen += 1;
    }
    assert!(seen >= 4);
}

const STEPS: &str = "version: 1\nname: t\nsteps:\n";

fn step_errors(step: &str) -> Vec<String> {
    let doc = yaml("t.yaml", &format!("{STEPS}{step}"));
    errors(&schema("playbook.schema.json"), &doc)
}

#[test]
fn typos_and_wrong_types_in_with_are_flagged() {
    let typo = "  - id: lan\n    type: network\n    with: { name: LAN, descripton: x }\n";
    assert!(!step_errors(typo).is_empty(), "a typo'd field passes");
    let port = "  - id: p\n    type: policy\n    with:\n      name: web\n      rules: [{ protocol: tcp, ports: [443] }]\n";
    assert!(!step_errors(port).is_empty(), "an integer port passes");
    let proto = "  - id: p\n    type: policy\n    with:\n      name: web\n      rules: [{ protocol: tcpp }]\n";
    assert!(!step_errors(proto).is_empty(), "an unknown protocol passes");
    let metric = "  - id: r\n    type: network_router\n    with: { network_id: n, peer: p, metric: 100000 }\n";
    assert!(!step_errors(metric).is_empty(), "metric 100000 passes");
    let missing = "  - id: k\n    type: group\n    with: { peers: [] }\n";
    assert!(
        !step_errors(missing).is_empty(),
        "a group without a name passes"
    );
}

#[test]
fn templates_bools_and_existing_steps_pass() {
    let ok = "  - id: g\n    type: group\n    existing: true\n    with: { name: All }\n  \
              - id: k\n    type: setup_key\n    when: true\n    with:\n      name: office\n      \
              expires_in: \"{{ inputs.days }}\"\n      auto_groups: [\"{{ steps.g.id }}\"]\n  \
              - id: r\n    type: request\n    with: { method: GET, path: /api/peers }\n";
    assert_eq!(step_errors(ok), Vec::<String>::new());
}

#[test]
fn inventory_typos_are_flagged() {
    let v = schema("inventory.schema.json");
    let bad = yaml(
        "i.yaml",
        "playbook: p.yaml\ncustomer:\n  acme: { customer: Acme }\n",
    );
    assert!(!errors(&v, &bad).is_empty());
    let bad_key = yaml("i.yaml", "customers:\n  Acme Corp: { customer: Acme }\n");
    assert!(!errors(&v, &bad_key).is_empty());
    let good = yaml("i.yaml", "customers:\n  acme: { customer: Acme }\n");
    assert!(errors(&v, &good).is_empty());
}

#[test]
fn a_tenant_role_is_one_of_netbirds_or_a_template() {
    let v = schema("playbook.schema.json");
    let with_role = |role: &str| {
        let text = format!(
            "version: 1\nname: t\ntenant:\n  name: T\n  domain: t.example\n  groups:\n    \
             - {{ id: g, role: {role} }}\nsteps: []\n"
        );
        errors(&v, &yaml("t.yaml", &text))
    };
    assert!(
        !with_role("administrator").is_empty(),
        "an unknown role passes"
    );
    for role in [
        "owner",
        "admin",
        "auditor",
        "network_admin",
        "\"{{ inputs.role }}\"",
    ] {
        assert_eq!(with_role(role), Vec::<String>::new(), "{role}");
    }
}
