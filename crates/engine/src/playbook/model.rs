//! The validated playbook: typed, every value located, every template parsed.
//!
//! Produced by [`crate::playbook::parse`]; consumed by [`crate::playbook::inputs`] and [`crate::plan`]. Values
//! that end up in request bodies stay [`Node`] trees (so they keep their spans) whose strings
//! are rendered as templates when the step runs.

use indexmap::IndexMap;
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::diag::source::{SourceFile, Span};
use crate::playbook::resource::StepType;
use crate::playbook::template::Template;
use crate::playbook::yaml::Node;

/// A playbook that passed validation.
#[derive(Debug, Clone)]
pub struct Playbook {
    pub file: SourceFile,
    pub name: String,
    pub description: Option<String>,
    pub inputs: IndexMap<String, InputDecl>,
    pub tenant: Option<TenantDecl>,
    pub steps: Vec<Step>,
    pub outputs: Vec<Output>,
    /// `module:`: this file is a module, imported by playbooks ([`crate::playbook::compose`]).
    pub module: Option<ModuleDecl>,
    /// `imports:` as written in this file. A composed playbook's steps hold what they built.
    pub imports: Vec<ImportDecl>,
    /// `moved:` renames: of this file as written; of every file, with the ids of the composed
    /// playbook, once composed.
    pub moved: Vec<Moved>,
    /// The module instances the composed playbook is made of, in import order.
    pub namespaces: Vec<Namespace>,
    /// Every file the playbook was built from: the playbook first, then each module file once,
    /// in import order (the template's digest covers them all).
    pub sources: Vec<SourceFile>,
    /// Module inputs given a template: checked against their declarations when the plan
    /// renders them.
    pub module_inputs: Vec<ModuleInput>,
    /// Step id → index in `steps` (the first, if an id repeats), built on first use.
    pub(crate) step_index: OnceLock<HashMap<String, usize>>,
}

/// A module's `module:` block.
#[derive(Debug, Clone)]
pub struct ModuleDecl {
    pub name: String,
    pub version: semver::Version,
    pub span: Span,
}

/// One entry of `imports:`.
#[derive(Debug, Clone)]
pub struct ImportDecl {
    pub id: String,
    pub id_span: Span,
    /// The whole entry.
    pub span: Span,
    /// `source:` as written, relative to the importing file.
    pub source: String,
    pub source_span: Span,
    /// `version:`, a semver requirement on the module's version.
    pub version: Option<(semver::VersionReq, Span)>,
    /// `with:` (a map), the values of the module's inputs; templates inside are the importing
    /// file's.
    pub with: Option<Node>,
    pub when: Option<Template>,
}

/// One `moved:` entry: the step once at `from` is now `to`; its object is kept.
#[derive(Debug, Clone)]
pub struct Moved {
    pub from: String,
    pub from_span: Span,
    pub to: String,
    pub to_span: Span,
    /// The file the entry is written in.
    pub file: SourceFile,
}

/// A module input an import gives a template: its value is known only when the plan renders
/// it, and is checked then against the module's declaration, at the `with` value.
#[derive(Debug, Clone)]
pub struct ModuleInput {
    pub decl: InputDecl,
    /// The importing file, and the `with` value's place in it.
    pub file: SourceFile,
    pub span: Span,
    /// `input `tier` of module `baseline` (import `base`)`.
    pub what: String,
    /// Where the module declares it (`file:line:col`).
    pub declared_at: String,
    /// The value, in the composed playbook's names.
    pub value: Node,
}

/// One module instance of a composed playbook: the steps of import `base` are `base.<id>`.
#[derive(Debug, Clone)]
pub struct Namespace {
    /// `base`, or `base.net` for a module `base` imports as `net`.
    pub path: String,
    pub file: SourceFile,
    pub module: String,
    pub version: String,
    /// The `source:` of each import that brought it in, the playbook's first, with what it
    /// is (`import `base` (modules/baseline.yaml)`).
    pub imported_at: Vec<(SourceFile, Span, String)>,
    /// Index in `namespaces` of the instance that imports this one.
    pub parent: Option<usize>,
}

/// The type of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InputType {
    String,
    Number,
    Bool,
    List,
    Map,
}

impl InputType {
    pub const NAMES: [&'static str; 5] = ["string", "number", "bool", "list", "map"];

    pub fn from_name(name: &str) -> Option<InputType> {
        Some(match name {
            "string" => InputType::String,
            "number" => InputType::Number,
            "bool" => InputType::Bool,
            "list" => InputType::List,
            "map" => InputType::Map,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// One declared input.
#[derive(Debug, Clone)]
pub struct InputDecl {
    pub name: String,
    pub span: Span,
    pub ty: InputType,
    pub default: Option<Node>,
    pub description: Option<String>,
    pub pattern: Option<(regex::Regex, Span)>,
    pub allowed: Option<Node>,
    /// `sensitive: true`: the value, and anything made from it, is shown as `(sensitive)`,
    /// kept out of state, saved plans and journals, and may only reach fields NetBird never
    /// returns (write-only secrets) or outputs.
    pub sensitive: bool,
}

/// The `tenant` block.
#[derive(Debug, Clone)]
pub struct TenantDecl {
    pub span: Span,
    pub name: Template,
    pub domain: Template,
    /// The `groups` list as written, templates inside.
    pub groups: Node,
    pub group_templates: Vec<Template>,
}

/// Where a step runs.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum StepScope {
    Tenant,
    Msp,
    Account,
}

impl StepScope {
    pub fn name(self) -> &'static str {
        match self {
            StepScope::Tenant => "tenant",
            StepScope::Msp => "msp",
            StepScope::Account => "account",
        }
    }
}

/// One step as declared.
#[derive(Debug, Clone)]
pub struct Step {
    pub id: String,
    pub id_span: Span,
    /// The whole step item.
    pub span: Span,
    pub ty: StepType,
    pub with: Node,
    /// Every template in `with`, in source order.
    pub templates: Vec<Template>,
    pub scope: StepScope,
    pub existing: bool,
    pub depends_on: Vec<(String, Span)>,
    pub for_each: Option<ForEach>,
    pub when: Option<Template>,
    pub prune: bool,
    /// The file the step is written in: the playbook, or a module.
    pub file: SourceFile,
    /// The `when:` of each import that brought the step in: it runs only if all hold.
    pub guards: Vec<Guard>,
    /// The module instance it belongs to (index in `Playbook::namespaces`).
    pub namespace: Option<usize>,
}

/// An import's `when`, written in the importing file, on every step the import brings in.
#[derive(Debug, Clone)]
pub struct Guard {
    pub file: SourceFile,
    pub when: Template,
}

/// A `for_each`: a literal list or map, or a template that yields one.
#[derive(Debug, Clone)]
pub struct ForEach {
    pub node: Node,
    pub templates: Vec<Template>,
}

/// One named output.
#[derive(Debug, Clone)]
pub struct Output {
    pub name: String,
    pub span: Span,
    pub value: Node,
    pub templates: Vec<Template>,
}

impl Step {
    /// Every template of the step: `with`, `for_each`, `when`, its imports' `when`.
    pub fn all_templates(&self) -> impl Iterator<Item = &Template> {
        self.templates
            .iter()
            .chain(self.for_each.iter().flat_map(|f| f.templates.iter()))
            .chain(self.when.iter())
            .chain(self.guards.iter().map(|g| &g.when))
    }

    /// The templates written in the step itself: `with`, `for_each`, `when`.
    pub fn own_templates(&self) -> impl Iterator<Item = &Template> {
        self.templates
            .iter()
            .chain(self.for_each.iter().flat_map(|f| f.templates.iter()))
            .chain(self.when.iter())
    }

    /// Whether this step's `for_each` waits for another step's output.
    pub fn for_each_is_deferred(&self) -> bool {
        self.for_each
            .as_ref()
            .is_some_and(|f| f.templates.iter().any(|t| t.step_ids().next().is_some()))
    }
}

impl Playbook {
    /// The `moved:` renames, (from, to), for [`crate::store::state::State::apply_moves`].
    pub fn moves(&self) -> impl Iterator<Item = (&str, &str)> {
        self.moved.iter().map(|m| (m.from.as_str(), m.to.as_str()))
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        let index = self.step_index.get_or_init(|| {
            let mut index = HashMap::new();
            for (i, s) in self.steps.iter().enumerate() {
                index.entry(s.id.clone()).or_insert(i);
            }
            index
        });
        match index.get(id).and_then(|&i| self.steps.get(i)) {
            Some(s) if s.id == id => Some(s),
            // `steps` changed after the index was built: fall back to a scan.
            _ => self.steps.iter().find(|s| s.id == id),
        }
    }
}
