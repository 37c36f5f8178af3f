//! What the playbook knows about each resource type.
//!
//! One table, [`StepType::spec`], says for every step type: the fields the API requires and
//! the defaults the engine fills in (also inside policy rules and nameservers), how an existing
//! object is found (its identity key), which names must be unique in a scope, the fields of the
//! API response that templates may reference, and which of them are secrets. Validation, the
//! planner and the executor all read this table; nothing else hard-codes a resource type.

use onboard_netbird::{KindSpec, ResourceKind};
use serde_json::{Value, json};

/// A step's `type`: one of the API client's resource kinds, or a raw `request`. The kinds are
/// defined once, in `onboard_netbird::ResourceKind`; the playbook adds only `request`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StepType {
    Resource(ResourceKind),
    Request,
}

/// How an existing object is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// By the value of these `with` fields (all of them present and equal).
    Fields(&'static [&'static str]),
    /// One of several alternative field sets (a router by `peer` or by `peer_groups`).
    AnyOf(&'static [&'static [&'static str]]),
    /// There is exactly one per account.
    Singleton,
    /// Never looked up: runs once, its response is recorded.
    None,
}

/// Which `with` fields an update may change in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Updatable {
    All,
    Only(&'static [&'static str]),
    Nothing,
}

/// Defaults and required fields of one object shape (the body, or the items of a list in it).
#[derive(Debug)]
pub struct Shape {
    pub required: &'static [&'static str],
    pub defaults: fn() -> Vec<(&'static str, Value)>,
    /// Lists of objects inside the body, with their own shape.
    pub nested: &'static [(&'static str, &'static Shape)],
    /// Required fields whose default [`apply_defaults`] derives from other fields.
    pub derived: &'static [&'static str],
}

/// Everything the engine knows about one step type.
#[derive(Debug)]
pub struct Spec {
    pub ty: StepType,
    pub name: &'static str,
    pub body: &'static Shape,
    pub identity: Identity,
    pub updatable: Updatable,
}

const fn shape(
    required: &'static [&'static str],
    defaults: fn() -> Vec<(&'static str, Value)>,
) -> Shape {
    Shape {
        required,
        defaults,
        nested: &[],
        derived: &[],
    }
}

fn none() -> Vec<(&'static str, Value)> {
    Vec::new()
}

static GROUP: Shape = shape(&["name"], none);
static SETUP_KEY: Shape = shape(
    &["name", "type", "expires_in", "auto_groups", "usage_limit"],
    || {
        vec![
            ("type", json!("reusable")),
            ("expires_in", json!(2_592_000)),
            ("auto_groups", json!([])),
            ("usage_limit", json!(0)),
            ("ephemeral", json!(false)),
            ("allow_extra_dns_labels", json!(false)),
        ]
    },
);
// A rule's `name` defaults to the policy's name, filled in by `apply_defaults`.
static RULE: Shape = shape(&["enabled", "action", "bidirectional", "protocol"], || {
    vec![
        ("enabled", json!(true)),
        ("action", json!("accept")),
        ("bidirectional", json!(true)),
        ("protocol", json!("all")),
    ]
});
static POLICY: Shape = Shape {
    required: &["name", "enabled", "rules"],
    defaults: || {
        vec![
            ("description", json!("")),
            ("enabled", json!(true)),
            ("source_posture_checks", json!([])),
        ]
    },
    nested: &[("rules", &RULE)],
    derived: &[],
};
static POSTURE_CHECK: Shape = shape(&["name", "description"], || {
    vec![("description", json!(""))]
});
static NETWORK: Shape = shape(&["name"], || vec![("description", json!(""))]);
static NETWORK_RESOURCE: Shape = shape(
    &["network_id", "name", "address", "enabled", "groups"],
    || {
        vec![
            ("description", json!("")),
            ("enabled", json!(true)),
            ("groups", json!([])),
        ]
    },
);
static NETWORK_ROUTER: Shape = shape(&["network_id", "metric", "masquerade", "enabled"], || {
    vec![
        ("metric", json!(9999)),
        ("masquerade", json!(true)),
        ("enabled", json!(true)),
    ]
});
static ROUTE: Shape = shape(
    &[
        "description",
        "network_id",
        "enabled",
        "metric",
        "masquerade",
        "groups",
        "keep_route",
    ],
    || {
        vec![
            ("enabled", json!(true)),
            ("metric", json!(9999)),
            ("masquerade", json!(true)),
            ("keep_route", json!(true)),
        ]
    },
);
static NAMESERVER: Shape = shape(&["ip", "ns_type", "port"], || {
    vec![("ns_type", json!("udp")), ("port", json!(53))]
});
static NAMESERVER_GROUP: Shape = Shape {
    required: &[
        "name",
        "description",
        "nameservers",
        "enabled",
        "groups",
        "primary",
        "domains",
        "search_domains_enabled",
    ],
    // `primary` defaults to "no match domains", filled in by `apply_defaults`.
    defaults: || {
        vec![
            ("description", json!("")),
            ("enabled", json!(true)),
            ("domains", json!([])),
            ("search_domains_enabled", json!(false)),
        ]
    },
    nested: &[("nameservers", &NAMESERVER)],
    derived: &["primary"],
};
static SETTINGS: Shape = shape(&[], none);
static USER: Shape = shape(&["role", "auto_groups", "is_service_user"], || {
    vec![
        ("auto_groups", json!([])),
        ("is_service_user", json!(false)),
    ]
});
static TOKEN: Shape = shape(&["user_id", "name", "expires_in"], none);
static REQUEST: Shape = shape(&["method", "path"], none);

macro_rules! spec {
    (Request, $name:literal, $body:expr, $identity:expr, $upd:expr) => {
        Spec {
            ty: StepType::Request,
            name: $name,
            body: $body,
            identity: $identity,
            updatable: $upd,
        }
    };
    ($kind:ident, $name:literal, $body:expr, $identity:expr, $upd:expr) => {
        Spec {
            ty: StepType::Resource(ResourceKind::$kind),
            name: $name,
            body: $body,
            identity: $identity,
            updatable: $upd,
        }
    };
}

const NAME: Identity = Identity::Fields(&["name"]);

static SPECS: [Spec; 14] = [
    spec!(
        Group,
        "group",
        &GROUP,
        NAME,
        Updatable::Only(&["name", "peers", "resources"])
    ),
    spec!(
        SetupKey,
        "setup_key",
        &SETUP_KEY,
        NAME,
        Updatable::Only(&["revoked", "auto_groups"])
    ),
    spec!(Policy, "policy", &POLICY, NAME, Updatable::All),
    spec!(
        PostureCheck,
        "posture_check",
        &POSTURE_CHECK,
        NAME,
        Updatable::All
    ),
    spec!(Network, "network", &NETWORK, NAME, Updatable::All),
    spec!(
        NetworkResource,
        "network_resource",
        &NETWORK_RESOURCE,
        NAME,
        Updatable::All
    ),
    spec!(
        NetworkRouter,
        "network_router",
        &NETWORK_ROUTER,
        Identity::AnyOf(&[&["network_id", "peer"], &["network_id", "peer_groups"]]),
        Updatable::All
    ),
    spec!(
        Route,
        "route",
        &ROUTE,
        Identity::Fields(&["network_id", "description"]),
        Updatable::All
    ),
    spec!(
        NameserverGroup,
        "nameserver_group",
        &NAMESERVER_GROUP,
        NAME,
        Updatable::All
    ),
    spec!(
        DnsSettings,
        "dns_settings",
        &SETTINGS,
        Identity::Singleton,
        Updatable::All
    ),
    spec!(
        AccountSettings,
        "account_settings",
        &SETTINGS,
        Identity::Singleton,
        Updatable::All
    ),
    spec!(
        User,
        "user",
        &USER,
        Identity::AnyOf(&[&["email"], &["name"]]),
        Updatable::Only(&["role", "auto_groups", "is_blocked"])
    ),
    spec!(
        Token,
        "token",
        &TOKEN,
        Identity::Fields(&["user_id", "name"]),
        Updatable::Nothing
    ),
    spec!(
        Request,
        "request",
        &REQUEST,
        Identity::None,
        Updatable::Nothing
    ),
];

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
    pub const ALL: [StepType; 14] = [
        StepType::GROUP,
        StepType::SETUP_KEY,
        StepType::POLICY,
        StepType::POSTURE_CHECK,
        StepType::NETWORK,
        StepType::NETWORK_RESOURCE,
        StepType::NETWORK_ROUTER,
        StepType::ROUTE,
        StepType::NAMESERVER_GROUP,
        StepType::DNS_SETTINGS,
        StepType::ACCOUNT_SETTINGS,
        StepType::USER,
        StepType::TOKEN,
        StepType::Request,
    ];

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
    fill(ty.spec().body, body);
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
    for (field, default) in (shape.defaults)() {
        obj.entry(field).or_insert(default);
    }
    for (field, inner) in shape.nested {
        if let Some(Value::Array(items)) = obj.get_mut(*field) {
            for item in items {
                fill(inner, item);
            }
        }
    }
}

/// Required fields of a shape that neither the author nor a default provides.
pub fn missing_required(shape: &Shape, present: &dyn Fn(&str) -> bool) -> Vec<&'static str> {
    let defaults: Vec<&str> = (shape.defaults)().into_iter().map(|(f, _)| f).collect();
    shape
        .required
        .iter()
        .copied()
        .filter(|f| !present(f) && !defaults.contains(f) && !shape.derived.contains(f))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let missing = missing_required(StepType::NAMESERVER_GROUP.spec().body, &|f| {
            given.contains(&f)
        });
        assert!(missing.is_empty(), "{missing:?}");
    }
}
