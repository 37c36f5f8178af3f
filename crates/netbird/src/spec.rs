//! The shape of the static resource catalogue.
//!
//! A [`KindSpec`] describes one [`ResourceKind`]: where it lives, what a create
//! (and update) body may contain, which fields a response has, which of them
//! are secrets, and which name the server keeps unique. Nested objects are
//! [`ObjectSpec`]s. The data lives in `catalog.rs`, taken from
//! `shared/netbird/openapi.yml` and cross-checked against it by a test; request
//! validation (`check.rs`) reads the same tables, so there is one source of truth.

use serde::Serialize;

use crate::kind::ResourceKind;

/// The JSON type a request field must have.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "of")]
pub enum FieldType {
    String,
    Integer,
    Boolean,
    /// An array of strings (ids, CIDRs, ports).
    StringList,
    /// An array of integers (FleetDM policy ids).
    IntegerList,
    /// A nested object with its own fields.
    Object(&'static ObjectSpec),
    /// An array of nested objects.
    ObjectList(&'static ObjectSpec),
    /// An object with free-form keys (e.g. `authorized_groups`).
    Map,
}

impl FieldType {
    /// A short name for messages: `string`, `list of strings`, ...
    pub fn describe(&self) -> &'static str {
        match self {
            FieldType::String => "a string",
            FieldType::Integer => "an integer",
            FieldType::Boolean => "a boolean",
            FieldType::StringList => "a list of strings",
            FieldType::IntegerList => "a list of integers",
            FieldType::Object(_) | FieldType::Map => "an object",
            FieldType::ObjectList(_) => "a list of objects",
        }
    }
}

/// What a string (or each string of a list) must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// An IPv4 or IPv6 address.
    Ip,
    /// An address with a prefix length: `10.0.0.0/8`.
    Cidr,
    /// A domain of at least two labels, optionally `*.`-prefixed.
    Domain,
    /// A host IP, a CIDR or a domain (a network resource's address).
    Address,
    /// `user@example.com`.
    Email,
    /// An ISO 3166-1 alpha-2 country code: `DE`.
    Country,
    /// A dotted version: `0.30.0`.
    Version,
    /// A port number as a string: `443`.
    Port,
}

impl Format {
    /// How the format is described in messages and docs.
    pub fn describe(self) -> &'static str {
        match self {
            Format::Ip => "an IP address",
            Format::Cidr => "a CIDR prefix such as 10.0.0.0/24",
            Format::Domain => "a domain with at least two labels, such as corp.example",
            Format::Address => "an IP address, a CIDR prefix or a domain",
            Format::Email => "an email address",
            Format::Country => "an ISO 3166-1 alpha-2 country code such as DE",
            Format::Version => "a version such as 0.30.0",
            Format::Port => "a port number 1..65535 written as a string, such as \"443\"",
        }
    }
}

/// One request field.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FieldSpec {
    pub name: &'static str,
    pub ty: FieldType,
    /// Allowed values of a string field; empty: any.
    pub enum_values: &'static [&'static str],
    /// Inclusive bounds of an integer field.
    pub range: Option<(i64, i64)>,
    /// An integer field that also takes 0 ("never"), outside its range.
    pub zero_ok: bool,
    /// The format of a string, or of each string of a list.
    pub format: Option<Format>,
    /// Inclusive bounds of a string's length (characters) or of a list's item count.
    pub length: Option<(usize, usize)>,
    /// The value onboard sends when a playbook leaves the field out.
    pub default: Option<Lit>,
    /// The kind whose ids the field (or each string of the list) holds: `auto_groups` holds
    /// group ids. References are checked and exported by it.
    pub refers: Option<ResourceKind>,
    /// A value that belongs to one account (its network range, its DNS domain, deployment
    /// switches): read and written, never carried to another account by an export.
    pub per_account: bool,
    /// A secret the API takes and never returns (an identity provider's `client_secret`):
    /// compared through a salted digest of what was sent, never read back, shown as
    /// `(sensitive)`.
    pub write_only: bool,
}

/// A default value of a field, written as a constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Lit {
    Bool(bool),
    Int(i64),
    Str(&'static str),
    /// `[]`.
    EmptyList,
}

impl Lit {
    /// The value as JSON.
    pub fn to_json(self) -> serde_json::Value {
        match self {
            Lit::Bool(b) => serde_json::Value::Bool(b),
            Lit::Int(i) => serde_json::Value::from(i),
            Lit::Str(s) => serde_json::Value::from(s),
            Lit::EmptyList => serde_json::Value::Array(Vec::new()),
        }
    }
}

/// How an existing object of a kind is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "by", content = "fields")]
pub enum Identity {
    /// By the value of these fields (all of them present and equal; a parent id included).
    Fields(&'static [&'static str]),
    /// One of several alternative field sets (a router by `peer` or by `peer_groups`).
    AnyOf(&'static [&'static [&'static str]]),
    /// There is exactly one per account.
    Singleton,
    /// Never looked up: runs once, its response is recorded.
    None,
}

impl FieldSpec {
    /// The same field with a format.
    pub const fn format(self, format: Format) -> Self {
        Self {
            format: Some(format),
            ..self
        }
    }

    /// The same field with a length (string characters, list items).
    pub const fn len(self, min: usize, max: usize) -> Self {
        Self {
            length: Some((min, max)),
            ..self
        }
    }

    /// The same integer field, also taking 0.
    pub const fn or_zero(self) -> Self {
        Self {
            zero_ok: true,
            ..self
        }
    }

    /// The same field, filled in with `value` when a playbook leaves it out.
    pub const fn or(self, value: Lit) -> Self {
        Self {
            default: Some(value),
            ..self
        }
    }

    /// The same field, holding ids of `kind`.
    pub const fn refers(self, kind: ResourceKind) -> Self {
        Self {
            refers: Some(kind),
            ..self
        }
    }

    /// The same field, kept out of exports: its value belongs to one account.
    pub const fn per_account(self) -> Self {
        Self {
            per_account: true,
            ..self
        }
    }

    /// The same field, a secret the API never returns (see [`FieldSpec::write_only`]).
    pub const fn write_only(self) -> Self {
        Self {
            write_only: true,
            ..self
        }
    }
}

/// A nested object: the OpenAPI schema it follows, its required fields, its fields.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ObjectSpec {
    pub schema: &'static str,
    pub required: &'static [&'static str],
    pub fields: &'static [FieldSpec],
}

/// What `PUT` on an object of this kind accepts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "update", content = "body")]
pub enum UpdateBody {
    /// The same body as create.
    SameAsCreate,
    /// A different, usually smaller body (setup keys, users).
    Other(&'static ObjectSpec),
    /// The API cannot update it; a change is a replacement (tokens).
    Unsupported,
}

/// Everything the engine needs to know about a kind without calling the API.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct KindSpec {
    pub kind: ResourceKind,
    /// The playbook type name: `group`, `network_resource`, ...
    pub name: &'static str,
    /// Collection path template: `/api/groups`, `/api/networks/{network_id}/resources`.
    /// For singletons, the path that is read and written.
    pub collection: &'static str,
    /// The parent id a path needs (`network_id`, `user_id`). A playbook writes
    /// it in `with`; the client takes it out of the body before sending.
    pub parent: Option<&'static str>,
    /// One object per account, read and replaced whole (DNS and account settings).
    pub singleton: bool,
    /// A singleton an account may have none of (an EDR integration): `GET` on its path
    /// answers 404 when there is none, `POST` creates it, `PUT` replaces it and `DELETE`
    /// removes it, all on the one path without an id. Its body is sent whole, never merged
    /// onto the live object, so its required fields are required in a playbook too.
    pub may_be_absent: bool,
    /// `GET <collection>/<id>` exists (users have none: the client lists instead).
    pub get_item: bool,
    /// The OpenAPI schema of the create (or, for singletons, the PUT) body.
    pub request_schema: &'static str,
    pub required: &'static [&'static str],
    pub fields: &'static [FieldSpec],
    pub update: UpdateBody,
    /// The OpenAPI schemas whose properties make up a response.
    pub response_schemas: &'static [&'static str],
    /// Every field a response can have, for checking `steps.<id>.<field>`.
    pub response_fields: &'static [&'static str],
    /// Response fields that are secrets, returned once on create.
    pub secret_fields: &'static [&'static str],
    /// `(field, status)`: the server refuses a duplicate value with this status.
    pub unique_name: Option<(&'static str, u16)>,
    /// How an existing object is found (a singleton: there is one).
    pub identity: Identity,
    /// `onboard export` writes objects of this kind as steps.
    pub exported: bool,
    /// Not an object but an action NetBird takes on one of the MSP account's tenants (with
    /// [`Identity::None`]: it runs once, and what it answered is recorded): `POST` on the
    /// collection path, which holds the tenant's id as its parent (`tenant_id`). Its step
    /// runs in the MSP account (scope `msp`, the only one it may have) and its `tenant_id`
    /// is the playbook's tenant unless `with` gives another. Nothing is read, compared,
    /// updated, deleted or exported.
    pub msp_action: bool,
}

impl KindSpec {
    /// The create body as an [`ObjectSpec`].
    pub fn body(&self) -> ObjectSpec {
        ObjectSpec {
            schema: self.request_schema,
            required: self.required,
            fields: self.fields,
        }
    }

    /// The update body, or `None` when the kind cannot be updated in place.
    pub fn update_body(&self) -> Option<ObjectSpec> {
        match self.update {
            UpdateBody::SameAsCreate => Some(self.body()),
            UpdateBody::Other(spec) => Some(*spec),
            UpdateBody::Unsupported => None,
        }
    }

    /// The request field with this name.
    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The kind whose objects hold this kind's collection (`network` for `network_resource`):
    /// the kind whose collection path is this one's up to the `{parent}` placeholder.
    pub fn parent_kind(&self) -> Option<ResourceKind> {
        self.parent?;
        let (base, _) = self.collection.split_once("/{")?;
        ResourceKind::ALL
            .into_iter()
            .find(|k| k.spec().collection == base)
    }

    /// Whether the in-place update can change `field` (a kind without `PUT` changes nothing).
    pub fn updates(&self, field: &str) -> bool {
        self.update_body()
            .is_some_and(|b| b.fields.iter().any(|f| f.name == field))
    }

    /// Every request field the API takes and never returns, as a path: `client_secret` at
    /// the top level, `target.headers` in a nested object (one level deep). A write-only
    /// field is compared whole, whatever it holds (a string, or a map of header values).
    pub fn write_only_paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        for f in self.fields {
            if f.write_only {
                out.push(f.name.to_owned());
            }
            if let FieldType::Object(o) = f.ty {
                let nested = o.fields.iter().filter(|g| g.write_only);
                out.extend(nested.map(|g| format!("{}.{}", f.name, g.name)));
            }
        }
        out
    }

    pub fn is_secret(&self, response_field: &str) -> bool {
        self.secret_fields.contains(&response_field)
    }

    pub fn has_response_field(&self, name: &str) -> bool {
        self.response_fields.contains(&name)
    }
}

// Constructors for the catalogue's static tables.

pub(crate) const fn string(name: &'static str) -> FieldSpec {
    field(name, FieldType::String)
}
pub(crate) const fn integer(name: &'static str) -> FieldSpec {
    field(name, FieldType::Integer)
}
pub(crate) const fn boolean(name: &'static str) -> FieldSpec {
    field(name, FieldType::Boolean)
}
pub(crate) const fn strings(name: &'static str) -> FieldSpec {
    field(name, FieldType::StringList)
}
pub(crate) const fn integers(name: &'static str) -> FieldSpec {
    field(name, FieldType::IntegerList)
}
pub(crate) const fn map(name: &'static str) -> FieldSpec {
    field(name, FieldType::Map)
}
pub(crate) const fn object(name: &'static str, spec: &'static ObjectSpec) -> FieldSpec {
    field(name, FieldType::Object(spec))
}
pub(crate) const fn objects(name: &'static str, spec: &'static ObjectSpec) -> FieldSpec {
    field(name, FieldType::ObjectList(spec))
}
pub(crate) const fn one_of(name: &'static str, values: &'static [&'static str]) -> FieldSpec {
    FieldSpec {
        enum_values: values,
        ..string(name)
    }
}
pub(crate) const fn ranged(name: &'static str, min: i64, max: i64) -> FieldSpec {
    FieldSpec {
        range: Some((min, max)),
        ..integer(name)
    }
}
const fn field(name: &'static str, ty: FieldType) -> FieldSpec {
    FieldSpec {
        name,
        ty,
        enum_values: &[],
        range: None,
        zero_ok: false,
        format: None,
        length: None,
        default: None,
        refers: None,
        per_account: false,
        write_only: false,
    }
}
