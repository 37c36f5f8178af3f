//! Playbook text to a [`Playbook`]: structure, types and templates.
//!
//! Input: a [`SourceFile`]. Output: a [`Playbook`] or every error found in it. This stage
//! checks what one field can tell on its own (types, unknown fields, step ids, step types,
//! template syntax, required `with` fields after defaults); [`crate::playbook::check`] then checks
//! what needs the whole playbook (references, duplicates, cycles).

use indexmap::IndexMap;
use regex::Regex;
use std::sync::OnceLock;

use crate::diag::source::{SourceFile, Span};
use crate::diag::{Diag, Diags, did_you_mean};
use crate::playbook::decode::{Decoder, Fields};
use crate::playbook::model::{
    ForEach, ImportDecl, InputDecl, InputType, ModuleDecl, Moved, Output, Playbook, Step,
    StepScope, TenantDecl,
};
use crate::playbook::resource::{StepType, missing_required};
use crate::playbook::template::Template;
use crate::playbook::yaml::{self, Key, Node, Value};

pub const PLAYBOOK_FIELDS: &[&str] = &[
    "version",
    "name",
    "description",
    "inputs",
    "tenant",
    "steps",
    "outputs",
    "module",
    "imports",
    "moved",
];
pub const MODULE_FIELDS: &[&str] = &["name", "version"];
pub const IMPORT_FIELDS: &[&str] = &["id", "source", "version", "with", "when"];
pub const MOVED_FIELDS: &[&str] = &["from", "to"];
pub const INPUT_FIELDS: &[&str] = &[
    "type",
    "description",
    "default",
    "pattern",
    "enum",
    "sensitive",
];
pub const TENANT_FIELDS: &[&str] = &["name", "domain", "groups"];
pub const TENANT_GROUP_FIELDS: &[&str] = &["id", "role"];
pub const STEP_FIELDS: &[&str] = &[
    "id",
    "type",
    "with",
    "scope",
    "existing",
    "depends_on",
    "for_each",
    "when",
    "prune",
];
pub const SUPPORTED_VERSIONS: &[i64] = &[1];

fn id_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new("^[a-z][a-z0-9_]*$").unwrap_or_else(|_| unreachable!()))
}

/// Parse and validate a playbook's structure. References are checked by [`crate::playbook::check`].
pub fn playbook(file: &SourceFile) -> Result<Playbook, Diags> {
    parse(file, None)
}

/// Parse a file another imports (a module): its steps run where the playbook's do, in the
/// tenant when the playbook has a tenant block (`root_has_tenant`).
pub fn imported(file: &SourceFile, root_has_tenant: bool) -> Result<Playbook, Diags> {
    parse(file, Some(root_has_tenant))
}

fn parse(file: &SourceFile, imported: Option<bool>) -> Result<Playbook, Diags> {
    let root = yaml::parse(file)?;
    let mut dec = Decoder::new(file);
    let Some(fields) = dec.fields(&root, "the playbook", PLAYBOOK_FIELDS) else {
        return dec.diags.into_result(empty(file));
    };
    version(&mut dec, &fields);
    let module = fields.get("module").and_then(|n| module(&mut dec, n));
    let name = match (&module, fields.get("name")) {
        (Some(m), None) => m.name.clone(),
        _ => fields
            .require(
                &mut dec,
                "name",
                "give the playbook a name, e.g. `name: standard-customer`",
            )
            .and_then(|_| fields.string(&mut dec, "name"))
            .map(|(s, span)| {
                playbook_name(&mut dec, &s, span);
                s
            })
            .unwrap_or_default(),
    };
    let description = fields.string(&mut dec, "description").map(|(s, _)| s);
    let inputs = fields
        .get("inputs")
        .map(|n| inputs(&mut dec, n))
        .unwrap_or_default();
    let tenant = fields.get("tenant").and_then(|n| tenant(&mut dec, n));
    if let (Some(t), Some(_)) = (&tenant, &module) {
        dec.push(
            Diag::at(
                file,
                fields.key_span("tenant").unwrap_or(t.span),
                "a module has no tenant block",
                "in a module",
            )
            .help(
                "the playbook that imports the module has the tenant block; the module's steps \
                 run in that tenant",
            ),
        );
    }
    let has_tenant = imported.unwrap_or(tenant.is_some());
    let default_scope = if has_tenant {
        StepScope::Tenant
    } else {
        StepScope::Account
    };
    let steps = fields
        .require(&mut dec, "steps", "add a list of steps, e.g. `steps: [{id: servers, type: group, with: {name: Servers}}]`")
        .map(|n| steps(&mut dec, n, default_scope, has_tenant))
        .unwrap_or_default();
    let outputs = fields
        .get("outputs")
        .map(|n| outputs(&mut dec, n))
        .unwrap_or_default();
    let imports = fields
        .get("imports")
        .map(|n| imports(&mut dec, n))
        .unwrap_or_default();
    let moved = fields
        .get("moved")
        .map(|n| moved(&mut dec, n))
        .unwrap_or_default();
    let playbook = Playbook {
        file: file.clone(),
        name,
        description,
        inputs,
        tenant,
        steps,
        outputs,
        module,
        imports,
        moved,
        namespaces: Vec::new(),
        sources: vec![file.clone()],
        module_inputs: Vec::new(),
        step_index: Default::default(),
    };
    dec.diags.into_result(playbook)
}

/// `module: { name, version }`: a module's name and its semver version.
fn module(dec: &mut Decoder, node: &Node) -> Option<ModuleDecl> {
    let f = dec.fields(node, "the module block", MODULE_FIELDS)?;
    let name = f.require(dec, "name", "the module's name, e.g. `name: baseline`");
    let name = name.and_then(|_| f.string(dec, "name"));
    let version = f.require(
        dec,
        "version",
        "the module's semver version, e.g. `version: 1.4.0`",
    );
    let version = version.and_then(|n| {
        // `version: 1.4` reads as a number in YAML: the text is what was meant.
        let text = match &n.value {
            Value::Str(s) => s.clone(),
            Value::Int(_) | Value::Float(_) => dec.file.at(n.span).to_owned(),
            _ => {
                dec.expected(n, "a semver version such as `1.4.0`", "version");
                return None;
            }
        };
        match semver::Version::parse(text.trim()) {
            Ok(v) => Some(v),
            Err(e) => {
                dec.push(
                    Diag::at(
                        &dec.file,
                        n.span,
                        format!("`{text}` is not a semver version: {e}"),
                        "not a version",
                    )
                    .help("a module's version is MAJOR.MINOR.PATCH, e.g. `version: 1.4.0`"),
                );
                None
            }
        }
    });
    let (name, _) = name?;
    if !id_regex().is_match(&name) {
        dec.error(
            f.key_span("name").unwrap_or(node.span),
            format!("invalid module name `{name}`"),
            "names match ^[a-z][a-z0-9_]*$",
        );
    }
    Some(ModuleDecl {
        name,
        version: version?,
        span: node.span,
    })
}

/// `imports:`: the modules this file is built from.
fn imports(dec: &mut Decoder, node: &Node) -> Vec<ImportDecl> {
    let Some(items) = node.as_seq() else {
        dec.expected(node, "a list of imports", "imports");
        return Vec::new();
    };
    let mut out: Vec<ImportDecl> = Vec::new();
    for item in items {
        let Some(f) = dec.fields(item, "an import", IMPORT_FIELDS) else {
            continue;
        };
        let id = f.require(dec, "id", "every import needs an id, e.g. `id: base`");
        let source = f.require(
            dec,
            "source",
            "the module's file, relative to this one, e.g. `source: modules/baseline.yaml`",
        );
        let (Some(id), Some(source)) = (id, source) else {
            continue;
        };
        let Some(id_text) = id.as_str() else {
            dec.expected(id, "a string", "id");
            continue;
        };
        if !id_regex().is_match(id_text) {
            dec.push(
                Diag::at(&dec.file, id.span, format!("invalid import id `{id_text}`"), "not a valid id")
                    .help("ids match ^[a-z][a-z0-9_]*$ so that `imports.<id>.<output>` works, e.g. `base`"),
            );
        }
        if let Some(prev) = out.iter().find(|i| i.id == id_text) {
            let (line, _) = dec.file.line_col(prev.id_span.offset);
            dec.push(
                Diag::at(
                    &dec.file,
                    id.span,
                    format!("duplicate import id `{id_text}`"),
                    "used again here",
                )
                .label(prev.id_span, "first used here")
                .help(format!(
                    "import ids are unique; rename this one (the first is on line {line})"
                )),
            );
        }
        let Some(source_text) = source.as_str() else {
            dec.expected(source, "a string (a file path)", "source");
            continue;
        };
        let version = f.get("version").and_then(|n| {
            let text = match &n.value {
                Value::Str(s) => s.clone(),
                Value::Int(_) | Value::Float(_) => dec.file.at(n.span).to_owned(),
                _ => {
                    dec.expected(n, "a semver requirement such as `^1.4`", "version");
                    return None;
                }
            };
            match semver::VersionReq::parse(text.trim()) {
                Ok(req) => Some((req, n.span)),
                Err(e) => {
                    dec.push(
                        Diag::at(
                            &dec.file,
                            n.span,
                            format!("`{text}` is not a semver requirement: {e}"),
                            "not a requirement",
                        )
                        .help("write a requirement such as `^1.4` (1.4 up to, not including, 2.0), `~1.4.2` or `=1.4.0`"),
                    );
                    None
                }
            }
        });
        let with = f.get("with").cloned();
        if let Some(w) = &with
            && w.as_map().is_none()
        {
            dec.expected(w, "a map of the module's inputs to values", "with");
        }
        // Templates in `with` are parsed here so their errors are this file's.
        if let Some(w) = &with {
            dec.templates(w);
        }
        let when = f.get("when").and_then(|n| when(dec, n));
        out.push(ImportDecl {
            id: id_text.to_owned(),
            id_span: id.span,
            span: item.span,
            source: source_text.to_owned(),
            source_span: source.span,
            version,
            with,
            when,
        });
    }
    out
}

/// `moved:`: renames of steps whose objects are kept.
fn moved(dec: &mut Decoder, node: &Node) -> Vec<Moved> {
    let Some(items) = node.as_seq() else {
        dec.expected(node, "a list of `{from, to}` renames", "moved");
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items {
        let Some(f) = dec.fields(item, "a `moved` entry", MOVED_FIELDS) else {
            continue;
        };
        let from = f.require(dec, "from", "the step's old id, e.g. `from: ssh`");
        let to = f.require(dec, "to", "the step's new id, e.g. `to: admin_ssh`");
        let from = from.and_then(|_| f.string(dec, "from"));
        let to = to.and_then(|_| f.string(dec, "to"));
        if let (Some((from, from_span)), Some((to, to_span))) = (from, to) {
            out.push(Moved {
                from,
                from_span,
                to,
                to_span,
                file: dec.file.clone(),
            });
        }
    }
    out
}

/// The playbook's name keys its state (`<state-dir>/state/<name>/`, and the rows of the
/// PostgreSQL store): a name that would name no folder of its own is refused here, at its
/// line, rather than escaping the state folder or sharing another's.
fn playbook_name(dec: &mut Decoder, name: &str, span: Span) {
    let why = match name {
        "" => "it is empty",
        "." | ".." => "`.` and `..` name a folder that is not its own",
        _ if name.trim().is_empty() => "it is blank",
        _ if name.contains(['/', '\\']) => "`/` and `\\` separate folders",
        _ if name.contains('\0') => "it holds a NUL character",
        _ => return,
    };
    let diag = Diag::at(
        &dec.file,
        span,
        format!("the playbook's name cannot name its state folder: {why}"),
        "not usable as a state folder's name",
    )
    .help("the name keys the playbook's state (`<state-dir>/state/<name>/`): e.g. `name: standard-customer`");
    dec.push(diag);
}

fn empty(file: &SourceFile) -> Playbook {
    Playbook {
        file: file.clone(),
        name: String::new(),
        description: None,
        inputs: IndexMap::new(),
        tenant: None,
        steps: Vec::new(),
        outputs: Vec::new(),
        module: None,
        imports: Vec::new(),
        moved: Vec::new(),
        namespaces: Vec::new(),
        sources: vec![file.clone()],
        module_inputs: Vec::new(),
        step_index: Default::default(),
    }
}

fn version(dec: &mut Decoder, fields: &Fields) {
    let supported = "the supported version is 1: write `version: 1`";
    let Some(node) = fields.require(dec, "version", supported) else {
        return;
    };
    if node.value != Value::Int(1) {
        let found = match &node.value {
            Value::Int(i) => i.to_string(),
            other => other.kind().to_owned(),
        };
        dec.push(
            Diag::at(
                &dec.file,
                node.span,
                format!("unsupported playbook version {found}"),
                "only 1 exists",
            )
            .help(supported),
        );
    }
}

fn inputs(dec: &mut Decoder, node: &Node) -> IndexMap<String, InputDecl> {
    let mut out = IndexMap::new();
    let Some(entries) = node.as_map() else {
        dec.expected(node, "a map of input names to declarations", "inputs");
        return out;
    };
    for (key, decl) in entries {
        let what = format!("input `{}`", key.name);
        let Some(f) = dec.fields(decl, &what, INPUT_FIELDS) else {
            continue;
        };
        let ty = match f.require(dec, "type", "one of string, number, bool, list, map") {
            Some(t) => match t.as_str().and_then(InputType::from_name) {
                Some(ty) => ty,
                None => {
                    let hint = t
                        .as_str()
                        .and_then(|s| did_you_mean(s, InputType::NAMES))
                        .map_or(
                            "use one of string, number, bool, list, map".to_owned(),
                            |s| format!("did you mean `{s}`?"),
                        );
                    dec.push(
                        Diag::at(&dec.file, t.span, "unknown input type", "not a type").help(hint),
                    );
                    continue;
                }
            },
            None => continue,
        };
        let pattern = f.string(dec, "pattern").and_then(|(p, span)| {
            match Regex::new(&format!("^(?:{p})$")) {
                Ok(re) => Some((re, span)),
                Err(e) => {
                    let msg = e.to_string();
                    let last = msg
                        .lines()
                        .last()
                        .unwrap_or("invalid")
                        .trim()
                        .trim_start_matches("error: ")
                        .to_lowercase();
                    dec.error(
                        span,
                        format!("invalid pattern: {last}"),
                        "not a valid regular expression",
                    );
                    None
                }
            }
        });
        let allowed = f.get("enum").cloned();
        if let Some(a) = &allowed
            && a.as_seq().is_none()
        {
            dec.expected(a, "a list of allowed values", "enum");
        }
        out.insert(
            key.name.clone(),
            InputDecl {
                name: key.name.clone(),
                span: key.span,
                ty,
                default: f.get("default").cloned(),
                description: f.string(dec, "description").map(|(s, _)| s),
                pattern,
                allowed,
                sensitive: f.bool(dec, "sensitive").unwrap_or(false),
            },
        );
    }
    out
}

fn tenant(dec: &mut Decoder, node: &Node) -> Option<TenantDecl> {
    let f = dec.fields(node, "the tenant block", TENANT_FIELDS)?;
    let name = f.require(
        dec,
        "name",
        "the tenant's display name, e.g. `name: \"{{ inputs.customer }}\"`",
    );
    let domain = f.require(
        dec,
        "domain",
        "the tenant's unique domain, e.g. `domain: \"{{ inputs.domain }}\"`",
    );
    let groups = f
        .get("groups")
        .cloned()
        .unwrap_or_else(|| Node::new(node.span, Value::Seq(Vec::new())));
    match &groups.value {
        Value::Seq(items) => {
            for item in items {
                if let Some(g) = dec.fields(item, "a tenant group", TENANT_GROUP_FIELDS) {
                    g.require(
                        dec,
                        "id",
                        "the MSP group's id, e.g. `id: \"{{ steps.msp_admins.id }}\"`",
                    );
                    let role = g.require(
                        dec,
                        "role",
                        "the role its members assume in the tenant, e.g. `role: admin`",
                    );
                    // A literal role is judged here; a template once it is rendered (the plan).
                    if let Some(role) = role {
                        match &role.value {
                            Value::Str(r) if r.contains("{{") || r.contains("{%") => {}
                            Value::Str(r) if ROLES.contains(&r.as_str()) => {}
                            Value::Str(r) => dec.push(unknown_role(&dec.file, role.span, r, None)),
                            _ => dec.expected(role, "a string (a role)", "role"),
                        }
                    }
                }
            }
        }
        _ => dec.expected(&groups, "a list of {id, role}", "groups"),
    }
    let group_templates = dec.templates(&groups);
    let name = dec.template(name?, "name")?;
    let domain = dec.template(domain?, "domain")?;
    Some(TenantDecl {
        span: node.span,
        name,
        domain,
        groups,
        group_templates,
    })
}

/// The roles a tenant group may give its members: NetBird's user roles.
pub const ROLES: &[&str] = onboard_netbird::USER_ROLES;

/// A tenant group's role NetBird does not know (`rendered`: the template it came from).
pub fn unknown_role(file: &SourceFile, span: Span, role: &str, rendered: Option<&str>) -> Diag {
    let message = match rendered {
        None => format!("unknown tenant role `{role}`"),
        Some(t) => format!("unknown tenant role `{role}` (rendered from `{t}`)"),
    };
    let allowed = ROLES.join(", ");
    let help = match did_you_mean(role, ROLES.iter().copied()) {
        Some(s) => format!("did you mean `{s}`? a tenant role is one of {allowed}"),
        None => format!("a tenant role is one of {allowed}"),
    };
    Diag::at(file, span, message, "not a NetBird role").help(help)
}

fn steps(dec: &mut Decoder, node: &Node, default_scope: StepScope, has_tenant: bool) -> Vec<Step> {
    let Some(items) = node.as_seq() else {
        dec.expected(node, "a list of steps", "steps");
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| step(dec, item, default_scope, has_tenant))
        .collect()
}

fn step(
    dec: &mut Decoder,
    node: &Node,
    default_scope: StepScope,
    has_tenant: bool,
) -> Option<Step> {
    let f = dec.fields(node, "a step", STEP_FIELDS)?;
    let id = f.require(dec, "id", "every step needs an id, e.g. `id: servers`");
    let ty_node = f.require(dec, "type", "e.g. `type: group`");
    let (id, id_span) = match id.map(|n| (n, n.as_str())) {
        Some((n, Some(s))) if id_regex().is_match(s) => (s.to_owned(), n.span),
        Some((n, Some(s))) => {
            dec.push(Diag::at(&dec.file, n.span, format!("invalid step id `{s}`"), "not a valid id")
                .help("ids match ^[a-z][a-z0-9_]*$ so that `steps.<id>.<field>` works, e.g. `office_lan`"));
            (s.to_owned(), n.span)
        }
        Some((n, None)) => {
            dec.expected(n, "a string", "id");
            return None;
        }
        None => return None,
    };
    let ty_node = ty_node?;
    let ty = step_type(dec, ty_node)?;
    let msp_action = ty.spec().api().is_some_and(|a| a.msp_action);
    let scope = match msp_action {
        true => msp_scope(dec, &f, ty),
        false => scope(dec, &f, default_scope, has_tenant),
    };
    let mut with = f
        .get("with")
        .cloned()
        .unwrap_or_else(|| Node::new(Span::new(node.span.offset, 0), Value::Map(Vec::new())));
    if with.as_map().is_none() {
        dec.expected(&with, "a map (the request body)", "with");
        return None;
    }
    if msp_action && has_tenant {
        default_tenant(&mut with, ty, ty_node.span);
    }
    let existing = f.bool(dec, "existing").unwrap_or(false);
    required_fields(dec, ty, &with, existing, &id);
    let templates = dec.templates(&with);
    let depends_on = depends_on(dec, &f);
    let for_each = f.get("for_each").map(|n| ForEach {
        node: n.clone(),
        templates: dec.templates(n),
    });
    if let Some(fe) = &for_each
        && fe.templates.is_empty()
        && !matches!(fe.node.value, Value::Seq(_) | Value::Map(_))
    {
        dec.expected(&fe.node, "a list, a map or a template", "for_each");
    }
    let when = f.get("when").and_then(|n| when(dec, n));
    Some(Step {
        id,
        id_span,
        span: node.span,
        ty,
        with,
        templates,
        scope,
        existing,
        depends_on,
        for_each,
        when,
        prune: f.bool(dec, "prune").unwrap_or(true),
        file: dec.file.clone(),
        guards: Vec::new(),
        namespace: None,
    })
}

/// A step's `when`: a template, a boolean, or a YAML 1.1 boolean word (`no`, `yes`, `on`,
/// `off`), which YAML 1.2 reads as a non-empty, hence true, string: refused at its place, as
/// `existing: yes` is.
fn when(dec: &mut Decoder, node: &Node) -> Option<Template> {
    if let Value::Str(s) = &node.value
        && !dec.file.is_quoted(node.span)
        && crate::playbook::decode::YAML11_BOOLS
            .iter()
            .any(|w| w.eq_ignore_ascii_case(s))
    {
        dec.push(
            Diag::at(
                &dec.file,
                node.span,
                format!("`when` must be true, false or a template, found the string `{s}`"),
                "a string in YAML 1.2, which is always true",
            )
            .help(crate::playbook::decode::YAML12_HINT),
        );
        return None;
    }
    dec.template(node, "when")
}

fn step_type(dec: &mut Decoder, node: &Node) -> Option<StepType> {
    let Some(name) = node.as_str() else {
        dec.expected(node, "a string", "type");
        return None;
    };
    let ty = StepType::from_name(name);
    if ty.is_none() {
        let hint = match did_you_mean(name, StepType::names()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "step types are {}",
                StepType::names().collect::<Vec<_>>().join(", ")
            ),
        };
        dec.push(
            Diag::at(
                &dec.file,
                node.span,
                format!("unknown step type `{name}`"),
                "unknown type",
            )
            .help(hint),
        );
    }
    ty
}

/// An action on a tenant (`tenant_dns_verification`) runs in the MSP account: `scope` may be
/// left out or say `msp`; anything else is refused at its place.
fn msp_scope(dec: &mut Decoder, f: &Fields, ty: StepType) -> StepScope {
    if let Some((s, span)) = f.string(dec, "scope")
        && s != "msp"
    {
        dec.push(
            Diag::at(
                &dec.file,
                span,
                format!("a {} runs in the MSP account, not `scope: {s}`", ty.name()),
                "not `msp`",
            )
            .help(
                "NetBird's MSP calls run in the MSP account; leave `scope` out (or write \
                 `scope: msp`) and name the tenant with `tenant_id` (the playbook's tenant when \
                 left out)",
            ),
        );
    }
    StepScope::Msp
}

/// With a tenant block, an action's `tenant_id` left out is the playbook's tenant: the
/// template `{{ tenant.id }}` (which also orders the step after the tenant), located at the
/// step's `type`.
fn default_tenant(with: &mut Node, ty: StepType, at: Span) {
    let Some(parent) = ty.spec().parent() else {
        return;
    };
    if let Value::Map(entries) = &mut with.value
        && !entries.iter().any(|(k, _)| k.name == parent)
    {
        let key = Key {
            name: parent.to_owned(),
            span: at,
        };
        let value = Node::new(at, Value::Str("{{ tenant.id }}".to_owned()));
        entries.push((key, value));
    }
}

fn scope(dec: &mut Decoder, f: &Fields, default: StepScope, has_tenant: bool) -> StepScope {
    let Some((s, span)) = f.string(dec, "scope") else {
        return default;
    };
    match s.as_str() {
        "tenant" if has_tenant => StepScope::Tenant,
        "tenant" => {
            dec.push(
                Diag::at(
                    &dec.file,
                    span,
                    "`scope: tenant` needs a tenant block",
                    "no tenant here",
                )
                .help("add a `tenant:` block, or use `scope: account` (the PAT's own account)"),
            );
            default
        }
        "msp" => StepScope::Msp,
        "account" => StepScope::Account,
        other => {
            let hint = did_you_mean(other, ["tenant", "msp", "account"])
                .map_or("use tenant, msp or account".to_owned(), |s| {
                    format!("did you mean `{s}`?")
                });
            dec.push(
                Diag::at(
                    &dec.file,
                    span,
                    format!("unknown scope `{other}`"),
                    "not a scope",
                )
                .help(hint),
            );
            default
        }
    }
}

fn depends_on(dec: &mut Decoder, f: &Fields) -> Vec<(String, Span)> {
    let Some(node) = f.get("depends_on") else {
        return Vec::new();
    };
    let items: Vec<&Node> = match &node.value {
        Value::Seq(items) => items.iter().collect(),
        Value::Str(_) => vec![node],
        _ => {
            dec.expected(node, "a list of step ids", "depends_on");
            return Vec::new();
        }
    };
    items
        .into_iter()
        .filter_map(|n| match n.as_str() {
            Some(s) => Some((s.to_owned(), n.span)),
            None => {
                dec.expected(n, "a step id", "depends_on");
                None
            }
        })
        .collect()
}

/// API-required fields that neither `with` nor a default provides.
fn required_fields(dec: &mut Decoder, ty: StepType, with: &Node, existing: bool, id: &str) {
    let spec = ty.spec();
    if existing {
        identity_present(dec, ty, with, id);
        return;
    }
    let missing = missing_required(&spec.body, &|f| with.get(f).is_some());
    for field in missing {
        let action = spec
            .api()
            .is_some_and(|a| a.msp_action && a.parent == Some(field));
        let help = match action {
            true => format!(
                "a {} acts on an MSP tenant: give the tenant's id as `{field}`, or add a \
                 `tenant:` block, whose tenant it then acts on",
                spec.name
            ),
            false => format!("the NetBird API requires `{field}` for a {}", spec.name),
        };
        dec.push(
            Diag::at(
                &dec.file,
                with.span,
                format!(
                    "step `{id}` ({}) is missing required field `{field}`",
                    spec.name
                ),
                format!("add `{field}` here"),
            )
            .help(help),
        );
    }
    for (list, shape) in &spec.body.nested {
        let Some(items) = with.get(list).and_then(Node::as_seq) else {
            continue;
        };
        for item in items.iter().filter(|i| i.as_map().is_some()) {
            for field in missing_required(shape, &|f| item.get(f).is_some()) {
                dec.push(Diag::at(
                    &dec.file,
                    item.span,
                    format!(
                        "an item of `{list}` in step `{id}` is missing required field `{field}`"
                    ),
                    format!("add `{field}` here"),
                ));
            }
        }
    }
}

fn identity_present(dec: &mut Decoder, ty: StepType, with: &Node, id: &str) {
    use crate::playbook::resource::Identity;
    let sets: Vec<&[&str]> = match ty.spec().identity {
        Identity::Fields(f) => vec![f],
        Identity::AnyOf(sets) => sets.to_vec(),
        Identity::Singleton => return,
        Identity::None => {
            dec.error(
                with.span,
                format!("step `{id}`: a {} cannot be `existing`", ty.name()),
                "it has no identity to look up",
            );
            return;
        }
    };
    if !sets
        .iter()
        .any(|set| set.iter().all(|f| with.get(f).is_some()))
    {
        let keys = sets
            .iter()
            .map(|s| s.join(" + "))
            .collect::<Vec<_>>()
            .join(" or ");
        dec.push(
            Diag::at(
                &dec.file,
                with.span,
                format!("step `{id}` is `existing: true` but its identity key is missing"),
                format!("add {keys}"),
            )
            .help(format!("an existing {} is found by {keys}", ty.name())),
        );
    }
}

fn outputs(dec: &mut Decoder, node: &Node) -> Vec<Output> {
    let Some(entries) = node.as_map() else {
        dec.expected(node, "a map of output names to values", "outputs");
        return Vec::new();
    };
    entries
        .iter()
        .map(|(k, v)| Output {
            name: k.name.clone(),
            span: k.span,
            value: v.clone(),
            templates: dec.templates(v),
        })
        .collect()
}
