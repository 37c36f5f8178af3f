//! What the playbook knows about each resource type.
//!
//! Every step type but `request` is a kind of the API client's catalogue
//! (`onboard_netbird::ResourceKind`), and its row here is derived from the kind's one
//! declaration there: the fields the API requires (and a parent id in the path), the defaults
//! the engine fills in (also inside lists of objects such as policy rules and nameservers), how
//! an existing object is found, which fields an update may change. The few behaviours that no
//! field declaration can say are the engine's [special rules](apply_defaults) below.
//! Validation, the planner, the executor, the schema and the export all read this table;
//! nothing else hard-codes a resource type.

use std::sync::LazyLock;

use onboard_netbird::{FieldType, KindSpec, ObjectSpec, ResourceKind, UpdateBody};
use serde_json::Value;

pub use onboard_netbird::Identity;

/// A step's `type`: one of the API client's resource kinds, or a raw `request`. The kinds are
/// defined once, in `onboard_netbird::ResourceKind`; the playbook adds only `request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StepType {
    Resource(ResourceKind),
    Request,
}

/// Which `with` fields an update may change in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Updatable {
    /// The whole desired body is sent.
    All,
    /// These fields are sent: desired where given, else as read (the rest cannot change).
    Only(Vec<&'static str>),
    Nothing,
}

/// Defaults and required fields of one object shape (the body, or the items of a list in it).
#[derive(Debug)]
pub struct Shape {
    pub required: Vec<&'static str>,
    pub defaults: Vec<(&'static str, Value)>,
    /// Lists of objects inside the body, with their own shape.
    pub nested: Vec<(&'static str, Shape)>,
    /// Required fields whose default [`apply_defaults`] derives from other fields.
    pub derived: &'static [&'static str],
}

/// Everything the engine knows about one step type.
#[derive(Debug)]
pub struct Spec {
    pub ty: StepType,
    pub name: &'static str,
    pub body: Shape,
    pub identity: Identity,
    pub updatable: Updatable,
}

/// Required fields that [`apply_defaults`] derives from others: a rule's `name` (the
/// policy's), a nameserver group's `primary` (whether it has no match domains).
fn derived(kind: ResourceKind, list: Option<&str>) -> &'static [&'static str] {
    match (kind, list) {
        (ResourceKind::Policy, Some("rules")) => &["name"],
        (ResourceKind::NameserverGroup, None) => &["primary"],
        _ => &[],
    }
}

/// The shape of a body (or of a list's items) from the catalogue: its required fields and
/// the fields' defaults; lists of objects nest.
fn shape(kind: ResourceKind, spec: &ObjectSpec, list: Option<&str>) -> Shape {
    Shape {
        required: spec.required.to_vec(),
        defaults: spec
            .fields
            .iter()
            .filter_map(|f| f.default.map(|d| (f.name, d.to_json())))
            .collect(),
        nested: spec
            .fields
            .iter()
            .filter_map(|f| match f.ty {
                FieldType::ObjectList(inner) => Some((f.name, shape(kind, inner, Some(f.name)))),
                _ => None,
            })
            .collect(),
        derived: derived(kind, list),
    }
}

/// A kind's row, from its catalogue entry.
fn row(api: &'static KindSpec) -> Spec {
    let mut body = shape(api.kind, &api.body(), None);
    if api.singleton && !api.may_be_absent {
        // Merged onto the live object: nothing is required.
        body.required.clear();
    }
    if let Some(parent) = api.parent {
        body.required.insert(0, parent);
    }
    let updatable = match api.update {
        // A group's PUT replaces its peers and resources, which NetBird (not the playbook)
        // manages: every field is sent, the live value where the playbook says nothing.
        UpdateBody::SameAsCreate if api.kind == ResourceKind::Group => {
            Updatable::Only(api.fields.iter().map(|f| f.name).collect())
        }
        // NetBird's Dex connector refuses a type change (a 500): another type is another
        // provider.
        UpdateBody::SameAsCreate if api.kind == ResourceKind::IdentityProvider => Updatable::Only(
            (api.fields.iter().map(|f| f.name))
                .filter(|f| *f != "type")
                .collect(),
        ),
        UpdateBody::SameAsCreate => Updatable::All,
        UpdateBody::Other(put) => Updatable::Only(put.fields.iter().map(|f| f.name).collect()),
        UpdateBody::Unsupported => Updatable::Nothing,
    };
    Spec {
        ty: StepType::Resource(api.kind),
        name: api.name,
        body,
        identity: api.identity,
        updatable,
    }
}

/// The table: every kind of the catalogue in its order, then `request`.
static SPECS: LazyLock<Vec<Spec>> = LazyLock::new(|| {
    let mut specs: Vec<Spec> = ResourceKind::ALL.iter().map(|k| row(k.spec())).collect();
    specs.push(Spec {
        ty: StepType::Request,
        name: "request",
        body: Shape {
            required: vec!["method", "path"],
            defaults: Vec::new(),
            nested: Vec::new(),
            derived: &[],
        },
        identity: Identity::None,
        updatable: Updatable::Nothing,
    });
    specs
});

impl StepType {
    pub const GROUP: StepType = StepType::Resource(ResourceKind::Group);
    pub const SETUP_KEY: StepType = StepType::Resource(ResourceKind::SetupKey);
    pub const POLICY: StepType = StepType::Resource(ResourceKind::Policy);
    pub const POSTURE_CHECK: StepType = StepType::Resource(ResourceKind::PostureCheck);
    pub const NETWORK: StepType = StepType::Resource(ResourceKind::Network);
    pub const NETWORK_RESOURCE: StepType = StepType::Resource(ResourceKind::NetworkResource);
    pub const NETWORK_ROUTER: StepType = StepType::Resource(ResourceKind::NetworkRouter);
    pub const ROUTE: StepType = StepType::Resource(ResourceKind::Route);
    pub const NAMESERVER_GROUP: StepType = StepType::Resource(ResourceKind::NameserverGroup);
    pub const DNS_SETTINGS: StepType = StepType::Resource(ResourceKind::DnsSettings);
    pub const ACCOUNT_SETTINGS: StepType = StepType::Resource(ResourceKind::AccountSettings);
    pub const USER: StepType = StepType::Resource(ResourceKind::User);
    pub const TOKEN: StepType = StepType::Resource(ResourceKind::Token);

    /// Every step type, in the order of the resource table (the kinds, then `request`).
    pub const ALL: [StepType; ResourceKind::ALL.len() + 1] = {
        let mut all = [StepType::Request; ResourceKind::ALL.len() + 1];
        let mut i = 0;
        while i < ResourceKind::ALL.len() {
            all[i] = StepType::Resource(ResourceKind::ALL[i]);
            i += 1;
        }
        all
    };

    /// The API resource of a step type (`None` for `request`).
    pub fn resource_kind(self) -> Option<ResourceKind> {
        match self {
            StepType::Resource(kind) => Some(kind),
            StepType::Request => None,
        }
    }

    pub fn spec(self) -> &'static Spec {
        // The table lists the kinds in `ResourceKind::ALL` order, then `request`.
        let i = match self {
            StepType::Resource(kind) => kind as usize,
            StepType::Request => SPECS.len() - 1,
        };
        &SPECS[i]
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn from_name(name: &str) -> Option<StepType> {
        StepType::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn names() -> impl Iterator<Item = &'static str> {
        StepType::ALL.into_iter().map(StepType::name)
    }
}

impl serde::Serialize for StepType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl schemars::JsonSchema for StepType {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "StepType".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = StepType::names().collect();
        schemars::json_schema!({
            "description": "A step's `type`.",
            "type": "string",
            "enum": names,
        })
    }
}

impl Spec {
    /// What the API client knows of this type (None for a raw `request`).
    pub fn api(&self) -> Option<&'static KindSpec> {
        self.ty.resource_kind().map(ResourceKind::spec)
    }

    /// Fields of the API response, available as `steps.<id>.<field>`. Empty: any field.
    pub fn response(&self) -> &'static [&'static str] {
        self.api().map_or(&[], |a| a.response_fields)
    }

    /// Response fields returned only once (setup key `key`, token `plain_token`, ...).
    pub fn secrets(&self) -> &'static [&'static str] {
        self.api().map_or(&[], |a| a.secret_fields)
    }

    /// A `with` field that goes into the URL path instead of the body.
    pub fn parent(&self) -> Option<&'static str> {
        self.api().and_then(|a| a.parent)
    }

    /// A field whose value the API keeps unique per account.
    pub fn unique(&self) -> Option<&'static str> {
        self.api()
            .and_then(|a| a.unique_name)
            .map(|(field, _)| field)
    }

    /// Whether `field` of the response may be referenced.
    pub fn has_response_field(&self, field: &str) -> bool {
        self.response().is_empty() || self.response().contains(&field)
    }

    pub fn is_secret(&self, field: &str) -> bool {
        self.secrets().contains(&field)
    }

    /// A step that runs once instead of converging an object: a raw `request`, or an action
    /// on a tenant (`KindSpec::msp_action`, the DNS verification). The state records that it
    /// ran; nothing is looked up, compared or deleted.
    pub fn runs_once(&self) -> bool {
        self.ty == StepType::Request || self.api().is_some_and(|a| a.msp_action)
    }

    /// Whether a step that runs once already ran for `body`, by the state's record of it
    /// (`None`: no record; `Some(id)`: the id it recorded). A `request` ran once whatever its
    /// body; an action ran for the tenant it recorded, so another tenant runs it again.
    pub fn ran(&self, recorded: Option<Option<&str>>, body: &Value) -> bool {
        match (recorded, self.api().filter(|a| a.msp_action)) {
            (None, _) => false,
            (Some(_), None) => self.ty == StepType::Request,
            (Some(id), Some(api)) => {
                let tenant = api.parent.and_then(|p| body.get(p)).and_then(Value::as_str);
                id.is_some() && id == tenant
            }
        }
    }

    /// Whether an object with this body may be one of the objects NetBird puts in every new
    /// account: its settings, the `All` group, the `Default` policy. Anything else is known
    /// not to exist in a tenant created moments ago, so it needs no lookup there.
    pub fn may_be_builtin(&self, body: &Value) -> bool {
        let name = body.get("name").and_then(Value::as_str);
        match self.ty {
            StepType::DNS_SETTINGS | StepType::ACCOUNT_SETTINGS => true,
            StepType::GROUP => name == Some("All"),
            StepType::POLICY => name == Some("Default"),
            _ => false,
        }
    }
}

/// Fill the documented defaults into a rendered body, in place (nested lists included).
pub fn apply_defaults(ty: StepType, body: &mut Value) {
    fill(&ty.spec().body, body);
    if ty == StepType::POLICY
        && let Some(obj) = body.as_object_mut()
        && let Some(name) = obj.get("name").cloned()
        && let Some(Value::Array(rules)) = obj.get_mut("rules")
    {
        for rule in rules.iter_mut().filter_map(Value::as_object_mut) {
            rule.entry("name").or_insert_with(|| name.clone());
        }
    }
    if ty == StepType::NAMESERVER_GROUP
        && let Some(obj) = body.as_object_mut()
        && !obj.contains_key("primary")
    {
        let no_domains = obj
            .get("domains")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty);
        obj.insert("primary".into(), Value::Bool(no_domains));
    }
}

fn fill(shape: &Shape, body: &mut Value) {
    let Some(obj) = body.as_object_mut() else {
        return;
    };
    for (field, default) in &shape.defaults {
        obj.entry(*field).or_insert_with(|| default.clone());
    }
    for (field, inner) in &shape.nested {
        if let Some(Value::Array(items)) = obj.get_mut(*field) {
            for item in items {
                fill(inner, item);
            }
        }
    }
}

/// Required fields of a shape that neither the author nor a default provides.
pub fn missing_required(shape: &Shape, present: &dyn Fn(&str) -> bool) -> Vec<&'static str> {
    shape
        .required
        .iter()
        .copied()
        .filter(|f| {
            !present(f) && !shape.defaults.iter().any(|(d, _)| d == f) && !shape.derived.contains(f)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_step_type_is_a_resource_kind_of_the_api_client_or_a_request() {
        for kind in ResourceKind::ALL {
            let ty = StepType::Resource(kind);
            assert_eq!(ty.spec().ty, ty, "the table's row for {kind}");
            assert_eq!(ty.name(), kind.spec().name);
            assert_eq!(StepType::from_name(kind.spec().name), Some(ty));
        }
        assert_eq!(StepType::Request.spec().ty, StepType::Request);
        assert_eq!(StepType::Request.resource_kind(), None);
        assert_eq!(StepType::ALL.len(), ResourceKind::ALL.len() + 1);
    }

    #[test]
    fn table_is_indexed_by_type() {
        for ty in StepType::ALL {
            assert_eq!(ty.spec().ty, ty);
            assert_eq!(StepType::from_name(ty.name()), Some(ty));
        }
    }

    #[test]
    fn defaults_fill_nested_rules() {
        let mut body = json!({"name": "p", "rules": [{"name": "r", "protocol": "tcp"}]});
        apply_defaults(StepType::POLICY, &mut body);
        assert_eq!(body["enabled"], json!(true));
        assert_eq!(body["rules"][0]["action"], json!("accept"));
        assert_eq!(body["rules"][0]["protocol"], json!("tcp"));
        assert_eq!(body["rules"][0]["bidirectional"], json!(true));
    }

    #[test]
    fn nameserver_primary_follows_domains() {
        let mut a = json!({"name": "a", "nameservers": [], "groups": []});
        apply_defaults(StepType::NAMESERVER_GROUP, &mut a);
        assert_eq!(a["primary"], json!(true));
        let mut b = json!({"name": "b", "nameservers": [], "groups": [], "domains": ["x.y"]});
        apply_defaults(StepType::NAMESERVER_GROUP, &mut b);
        assert_eq!(b["primary"], json!(false));
    }

    #[test]
    fn derived_defaults_are_not_missing() {
        let given = ["name", "nameservers", "groups"];
        let missing = missing_required(&StepType::NAMESERVER_GROUP.spec().body, &|f| {
            given.contains(&f)
        });
        assert!(missing.is_empty(), "{missing:?}");
    }
}
