//! Rendering a step's values from what is known: inputs, the tenant, finished steps.
//!
//! Input: a [`Scope`] (JSON per root) and a template tree ([`Node`] with templates in its
//! strings). Output: JSON. Before apply (or offline) a value that only apply can know renders
//! as [`UNKNOWN`]; a value read from a secret field renders as [`SENSITIVE`] when asked to
//! mask. The same code renders the plan and, just before each step runs, the real request.

use minijinja::Value as Mj;
use minijinja::value::{Enumerator, Object, ObjectRepr};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::diag::source::SourceFile;
use crate::playbook::model::Playbook;
use crate::playbook::template::{Form, Template, UNKNOWN};
use crate::playbook::yaml::{Node, Value};

/// How secret values render in plans, logs and reports.
pub const SENSITIVE: &str = "(sensitive)";

/// A value that only apply can know; any attribute of it is unknown too.
#[derive(Debug)]
pub struct Unknown;

impl Object for Unknown {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, _key: &Mj) -> Option<Mj> {
        Some(Mj::from_object(Unknown))
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(UNKNOWN)
    }
}

/// What templates can see.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub inputs: Map<String, Json>,
    /// `tenant.*`; `None` fields are unknown until the tenant exists.
    pub tenant: Option<Map<String, Json>>,
    /// `steps.<id>`: outputs of finished steps, or of a `for_each` step a map of instances.
    pub steps: Map<String, Json>,
    /// Steps whose outputs are not known yet (they render as unknown).
    pub pending: Vec<String>,
    pub env: Map<String, Json>,
}

impl Scope {
    /// The minijinja context, with `item`/`key` when rendering a `for_each` instance.
    pub fn context(&self, instance: Option<(&str, &Json)>) -> Mj {
        let steps = StepOutputs::default();
        for (id, v) in &self.steps {
            steps.insert(id, v);
        }
        for id in &self.pending {
            steps.insert_unknown(id);
        }
        self.context_with_steps(Mj::from_object(steps), instance)
    }

    /// The context with `steps` given (a [`StepOutputs`] kept up to date by the caller), so
    /// that a context per step does not copy every earlier step's outputs.
    pub fn context_with_steps(&self, steps: Mj, instance: Option<(&str, &Json)>) -> Mj {
        let tenant = self.tenant.as_ref().map(|t| {
            let map: std::collections::BTreeMap<String, Mj> =
                t.iter().map(|(k, v)| (k.clone(), json_to_mj(v))).collect();
            Mj::from(map)
        });
        let (key, item) = match instance {
            Some((k, i)) => (Mj::from(k), json_to_mj(i)),
            None => (Mj::UNDEFINED, Mj::UNDEFINED),
        };
        minijinja::context! {
            inputs => json_to_mj(&Json::Object(self.inputs.clone())),
            tenant => tenant.unwrap_or(Mj::UNDEFINED),
            steps => steps,
            env => json_to_mj(&Json::Object(self.env.clone())),
            item => item,
            key => key,
        }
    }
}

/// `steps` in templates: the outputs of the steps done so far, filled in one step at a time.
/// Lookups see what was inserted up to the moment of the lookup.
#[derive(Debug, Default)]
pub struct StepOutputs(Mutex<BTreeMap<String, Mj>>);

impl StepOutputs {
    /// Record a step's outputs (JSON, [`UNKNOWN`] where not known).
    pub fn insert(&self, id: &str, outputs: &Json) {
        self.map().insert(id.to_owned(), json_to_mj(outputs));
    }

    /// Record a step whose outputs are not known (it failed to plan, or has not run).
    pub fn insert_unknown(&self, id: &str) {
        self.map().insert(id.to_owned(), Mj::from_object(Unknown));
    }

    fn map(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Mj>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Object for StepOutputs {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Mj) -> Option<Mj> {
        self.map().get(key.as_str()?).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.map().keys().map(|k| Mj::from(k.as_str())).collect())
    }
}

/// JSON to a template value; the [`UNKNOWN`] marker becomes an [`Unknown`] object.
fn json_to_mj(v: &Json) -> Mj {
    match v {
        Json::String(s) if s == UNKNOWN => Mj::from_object(Unknown),
        Json::Array(items) => Mj::from(items.iter().map(json_to_mj).collect::<Vec<_>>()),
        Json::Object(map) => Mj::from(
            map.iter()
                .map(|(k, v)| (k.clone(), json_to_mj(v)))
                .collect::<std::collections::BTreeMap<_, _>>(),
        ),
        Json::String(s) => Mj::from(s.as_str()),
        Json::Null => Mj::from(()),
        Json::Bool(b) => Mj::from(*b),
        Json::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Mj::from(i),
            (None, Some(f)) => Mj::from(f),
            (None, None) => Mj::from(n.to_string()),
        },
    }
}

/// A render failure: the template (its file and span) and minijinja's message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct RenderError {
    pub file: SourceFile,
    pub template: Template,
    pub message: String,
}

impl RenderError {
    pub fn to_diag(&self) -> crate::diag::Diag {
        crate::diag::Diag::at(
            &self.file,
            self.template.span,
            format!("template failed: {}", self.message),
            "while rendering this",
        )
    }
}

/// Renders nodes of one playbook.
pub struct Renderer<'a> {
    pub playbook: &'a Playbook,
    /// The file the rendered values are written in (a module's, for a step of a module).
    pub file: &'a SourceFile,
    pub ctx: Mj,
    /// Show secret-derived values as [`SENSITIVE`].
    pub mask_secrets: bool,
}

impl Renderer<'_> {
    /// Render one template.
    pub fn template(&self, t: &Template) -> Result<Json, RenderError> {
        if self.mask_secrets && self.playbook.template_is_secret(t) {
            return Ok(Json::String(SENSITIVE.to_owned()));
        }
        let result = match &t.form {
            Form::Expr(expr) => crate::playbook::template::env()
                .compile_expression(expr)
                .and_then(|e| e.eval(&self.ctx))
                .and_then(|v| {
                    if v.downcast_object_ref::<Unknown>().is_some() {
                        return Ok(Json::String(UNKNOWN.to_owned()));
                    }
                    // Text joined with an unknown value (`steps.x.id ~ "-a"`) is unknown.
                    match crate::playbook::template::to_json(&v)? {
                        Json::String(s) if s.contains(UNKNOWN) => {
                            Ok(Json::String(UNKNOWN.to_owned()))
                        }
                        json => Ok(json),
                    }
                }),
            _ => t.render(&self.ctx),
        };
        result.map_err(|e| RenderError {
            file: self.file.clone(),
            template: t.clone(),
            message: describe(&e),
        })
    }

    /// Render a value tree: every string is a template.
    pub fn node(&self, node: &Node) -> Result<Json, RenderError> {
        Ok(match &node.value {
            // Every string of a loaded playbook passed `Template::parse` already.
            Value::Str(s) => self.template(&Template::reparse(self.file, node.span, s))?,
            Value::Seq(items) => Json::Array(
                items
                    .iter()
                    .map(|i| self.node(i))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| Ok((k.name.clone(), self.node(v)?)))
                    .collect::<Result<_, RenderError>>()?,
            ),
            _ => node.to_json(),
        })
    }
}

fn describe(e: &minijinja::Error) -> String {
    let mut msg = e
        .detail()
        .map_or_else(|| e.kind().to_string(), str::to_owned);
    if e.kind() == minijinja::ErrorKind::UndefinedError && e.detail().is_none() {
        msg = "undefined value (strict mode: every reference must exist)".to_owned();
    }
    msg.to_lowercase()
}

/// Whether a rendered value counts as true for `when`.
pub fn truthy(v: &Json) -> bool {
    match v {
        Json::Null => false,
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Json::String(s) => !(s.is_empty() || s.eq_ignore_ascii_case("false")),
        Json::Array(a) => !a.is_empty(),
        Json::Object(o) => !o.is_empty(),
    }
}

/// Whether a rendered value still holds something unknown.
pub fn contains_unknown(v: &Json) -> bool {
    match v {
        Json::String(s) => s == UNKNOWN,
        Json::Array(a) => a.iter().any(contains_unknown),
        Json::Object(o) => o.values().any(contains_unknown),
        _ => false,
    }
}
