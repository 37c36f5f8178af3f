//! The playbook's JSON Schema, generated from these types.
//!
//! The types mirror the format for editors (`# yaml-language-server: $schema=...`); the
//! decoder in [`crate::playbook::parse`] is the authority. A test keeps the two in step: every object's
//! properties here equal the field list the decoder accepts, and `schemas/playbook.schema.json`
//! equals [`playbook_schema`].

#![allow(dead_code)]

pub mod reference;
pub mod with;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde_json::Value;

/// An onboard playbook: the desired state of one tenant's onboarding.
#[derive(JsonSchema)]
#[schemars(title = "onboard playbook", deny_unknown_fields)]
struct Playbook {
    /// Format version; only 1 exists.
    #[schemars(range(min = 1, max = 1))]
    version: u32,
    /// The playbook's name; used in state file names and reports. Required, except in a
    /// module, whose `module.name` names it.
    name: Option<String>,
    /// Free text.
    description: Option<String>,
    /// Typed parameters, filled from --values, --set, an inventory entry or `default`.
    inputs: Option<IndexMap<String, Input>>,
    /// The MSP tenant to create or adopt; absent: steps run in the PAT's own account.
    tenant: Option<Tenant>,
    /// The resources, in any order; order only breaks ties.
    steps: Vec<Step>,
    /// Named values shown after apply; secrets are redacted unless asked for. A module's
    /// outputs are what the files that import it read: `{{ imports.<id>.<output> }}`.
    outputs: Option<IndexMap<String, Value>>,
    /// This file is a module: a part of playbooks, with no tenant block, imported by them.
    module: Option<Module>,
    /// Modules this file is built from; their steps are `<id>.<step>` in plans and state.
    imports: Option<Vec<Import>>,
    /// Renames that keep the object: the step once at `from` is now `to`.
    moved: Option<Vec<MovedStep>>,
}

/// A module's name and version.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Module {
    #[schemars(regex(pattern = "^[a-z][a-z0-9_]*$"))]
    name: String,
    /// A semver version: MAJOR.MINOR.PATCH, e.g. `1.4.0`.
    #[schemars(regex(pattern = "^[0-9]+\\.[0-9]+\\.[0-9]+"))]
    version: String,
}

/// One imported module.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Import {
    /// Unique in the file: `imports.<id>.<output>` reads the module's outputs, and its steps
    /// are `<id>.<step>`.
    #[schemars(regex(pattern = "^[a-z][a-z0-9_]*$"))]
    id: String,
    /// The module's file, relative to this one.
    source: String,
    /// A semver requirement the module's version must meet, e.g. `^1.4` (a bare number such
    /// as `1` is read as written).
    version: Option<Requirement>,
    /// The module's inputs; values may be templates of this file.
    with: Option<IndexMap<String, Value>>,
    /// A template or a bool: every step of the module is skipped when it is false.
    when: Option<When>,
}

/// A semver requirement: text, or a number YAML read from it.
#[derive(JsonSchema)]
#[serde(untagged)]
enum Requirement {
    Text(String),
    Number(f64),
}

/// A step's old id and its new one (a module's steps: `<import>.<id>`).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct MovedStep {
    from: String,
    to: String,
}

/// A typed input.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Input {
    #[serde(rename = "type")]
    ty: InputType,
    description: Option<String>,
    /// Used when no value is given; without it the input is required.
    default: Option<Value>,
    /// A regular expression a string value must match in full.
    pattern: Option<String>,
    /// The allowed values.
    #[serde(rename = "enum")]
    allowed: Option<Vec<Value>>,
    /// A secret (an API key, a client secret): shown as `(sensitive)`, never stored in state,
    /// saved plans or journals; it may only reach fields NetBird never returns, and outputs.
    /// Give it with `ONBOARD_VAR_<name>` from a secret store.
    sensitive: Option<bool>,
}

#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
enum InputType {
    String,
    Number,
    Bool,
    List,
    Map,
}

/// The MSP tenant (`CreateTenantRequest`); identified by `domain`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Tenant {
    name: String,
    domain: String,
    /// MSP-account groups whose members may manage the tenant.
    groups: Option<Vec<TenantGroup>>,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct TenantGroup {
    /// A group id of the MSP account, usually `{{ steps.<id>.id }}`.
    id: String,
    /// The role its members assume in the tenant: one of NetBird's user roles.
    #[schemars(schema_with = "tenant_role")]
    role: String,
}

/// A tenant group's role: one of NetBird's user roles, or a template judged once rendered.
fn tenant_role(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "The role its members assume in the tenant: one of NetBird's user roles.",
        "anyOf": [
            {"type": "string", "enum": crate::playbook::parse::ROLES},
            {"$ref": "#/$defs/template"}
        ]
    })
}

/// One resource.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Step {
    /// Unique; `steps.<id>.<field>` reads its API response.
    #[schemars(regex(pattern = "^[a-z][a-z0-9_]*$"))]
    id: String,
    #[serde(rename = "type")]
    ty: crate::playbook::resource::StepType,
    /// The request body, with the NetBird API's field names; values may be templates.
    with: Option<IndexMap<String, Value>>,
    scope: Option<crate::playbook::model::StepScope>,
    /// Never create or change; find it by its identity key.
    existing: Option<bool>,
    /// Extra step ids to run after.
    depends_on: Option<Vec<String>>,
    /// A list, a map or a template yielding one: one instance per element.
    for_each: Option<Value>,
    /// A template or a bool; the step is skipped when it is false.
    when: Option<When>,
    /// `false` keeps the live object when the step is removed from the playbook.
    prune: Option<bool>,
}

/// `when`: a template, or a plain bool.
#[derive(JsonSchema)]
#[serde(untagged)]
enum When {
    Template(String),
    Bool(bool),
}

/// An inventory: one playbook, many customers.
#[derive(JsonSchema)]
#[schemars(title = "onboard inventory", deny_unknown_fields)]
struct Inventory {
    /// The playbook, relative to the inventory's folder.
    playbook: Option<String>,
    /// Input values every customer gets, under its own.
    defaults: Option<IndexMap<String, Value>>,
    /// Customer key (`^[a-z0-9][a-z0-9_.-]*$`, names the run and its state) to input values.
    customers: IndexMap<String, InventoryCustomer>,
}

/// A customer's input values, and its wave number.
#[derive(JsonSchema)]
struct InventoryCustomer {
    /// `apply --waves`: customers roll out by this number, lowest first (customers without
    /// one last, in inventory order). Not an input value.
    #[schemars(range(min = 1))]
    wave: Option<u32>,
    /// Input values.
    #[serde(flatten)]
    values: IndexMap<String, Value>,
}

/// The playbook schema as pretty JSON with a trailing newline: the playbook's structure, and
/// for each step type its own `with` (derived from the API client's catalogue).
pub fn playbook_schema() -> String {
    let mut schema = serde_json::to_value(schemars::schema_for!(Playbook)).unwrap_or_default();
    // A playbook has a name; a module may have only its `module.name`.
    schema["anyOf"] = serde_json::json!([{"required": ["name"]}, {"required": ["module"]}]);
    crate::schema::with::extend(&mut schema);
    pretty(&schema)
}

/// The inventory schema as pretty JSON with a trailing newline.
pub fn inventory_schema() -> String {
    let mut schema = serde_json::to_value(schemars::schema_for!(Inventory)).unwrap_or_default();
    if let Some(c) = schema.pointer_mut("/properties/customers") {
        c["propertyNames"] = serde_json::json!({"pattern": "^[a-z0-9][a-z0-9_.-]*$"});
    }
    pretty(&schema)
}

fn pretty(schema: &Value) -> String {
    let mut s = serde_json::to_string_pretty(schema).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playbook::parse::{
        IMPORT_FIELDS, INPUT_FIELDS, MODULE_FIELDS, MOVED_FIELDS, PLAYBOOK_FIELDS, STEP_FIELDS,
        TENANT_FIELDS, TENANT_GROUP_FIELDS,
    };

    fn properties(schema: &Value, def: Option<&str>) -> Vec<String> {
        let node = match def {
            Some(d) => &schema["$defs"][d],
            None => schema,
        };
        let mut keys: Vec<String> = node["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    fn sorted(fields: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn schema_objects_match_the_decoder() {
        let schema: Value = serde_json::from_str(&playbook_schema()).unwrap();
        assert_eq!(properties(&schema, None), sorted(PLAYBOOK_FIELDS));
        assert_eq!(properties(&schema, Some("Input")), sorted(INPUT_FIELDS));
        assert_eq!(properties(&schema, Some("Tenant")), sorted(TENANT_FIELDS));
        assert_eq!(
            properties(&schema, Some("TenantGroup")),
            sorted(TENANT_GROUP_FIELDS)
        );
        assert_eq!(properties(&schema, Some("Step")), sorted(STEP_FIELDS));
        assert_eq!(properties(&schema, Some("Module")), sorted(MODULE_FIELDS));
        assert_eq!(properties(&schema, Some("Import")), sorted(IMPORT_FIELDS));
        assert_eq!(properties(&schema, Some("MovedStep")), sorted(MOVED_FIELDS));
    }

    #[test]
    fn checked_in_schema_is_current() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../schemas/playbook.schema.json"
        );
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == playbook_schema(),
            "schemas/playbook.schema.json is stale: run `cargo run -- schema > schemas/playbook.schema.json`"
        );
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../schemas/inventory.schema.json"
        );
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == inventory_schema(),
            "schemas/inventory.schema.json is stale: run `cargo run -- schema --inventory > schemas/inventory.schema.json`"
        );
    }
}
