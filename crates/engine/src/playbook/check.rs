//! Whole-playbook checks: ids, references, scopes and the graph.
//!
//! Input: a structurally valid [`Playbook`]. Output: the same playbook with its [`Dag`], or
//! every error: duplicate ids, unknown `depends_on` targets, references to unknown steps,
//! inputs or response fields, ids of the wrong kind ([`crate::playbook::refs`]), `item`/`key` outside a `for_each`, and dependency cycles.

use std::collections::HashMap;

use crate::diag::{Diag, Diags, did_you_mean};
use crate::playbook::graph::Dag;
use crate::playbook::model::{Playbook, Step};
use crate::playbook::template::{Ref, Target, Template};

/// Fields of the tenant that templates may read.
pub const TENANT_FIELDS: &[&str] = &["id", "name", "domain", "status", "dns_challenge"];

/// Check references and build the graph.
pub fn check(playbook: &Playbook) -> Result<Dag, Diags> {
    let mut diags = Diags::new();
    let mut first: HashMap<&str, &Step> = HashMap::new();
    for step in &playbook.steps {
        if let Some(prev) = first.get(step.id.as_str()) {
            let (line, _) = step.file.line_col(prev.id_span.offset);
            diags.push(
                Diag::at(
                    &step.file,
                    step.id_span,
                    format!("duplicate step id `{}`", step.id),
                    "used again here",
                )
                .label(prev.id_span, "first used here")
                .help(format!(
                    "step ids are unique; rename this one (the first is on line {line})"
                )),
            );
        } else {
            first.insert(&step.id, step);
        }
    }
    let ctx = Ctx {
        playbook,
        steps: &first,
    };
    if let Some(t) = &playbook.tenant {
        for tpl in [&t.name, &t.domain]
            .into_iter()
            .chain(t.group_templates.iter())
        {
            ctx.template(tpl, None, &mut diags);
        }
    }
    for step in &playbook.steps {
        for (dep, span) in &step.depends_on {
            if !first.contains_key(dep.as_str()) {
                diags.push(ctx.unknown_step(&step.file, dep, *span));
            }
        }
        for tpl in step.own_templates() {
            ctx.template(tpl, Some(step), &mut diags);
        }
        // An import's `when` is checked where it is written, as the playbook's outputs are.
        for g in &step.guards {
            ctx.template_in(&g.file, &g.when, &mut diags);
        }
        if step.ty == crate::playbook::resource::StepType::Request {
            request_with(step, &mut diags);
        }
    }
    for out in &playbook.outputs {
        for tpl in &out.templates {
            ctx.template(tpl, None, &mut diags);
        }
    }
    crate::playbook::refs::check(playbook, &mut diags);
    if diags.is_empty() {
        secret_flow(playbook, &mut diags);
    }
    if !diags.is_empty() {
        return Err(diags.sorted());
    }
    Dag::build(playbook).map_err(Diags::from)
}

/// Secret taint, by refusal: a value rendered from a secret (a setup key's `key`, a token's
/// `plain_token`, a request's secret fields, a `sensitive` input) may only flow to outputs
/// and to the write-only fields of the catalogue (a secret NetBird takes and never returns,
/// such as an identity provider's `client_secret`). In any other field of a step's `with`,
/// its `for_each` or the tenant block it would be sent to NetBird in a plain field (a group's
/// name, a description), shown to every admin, recorded in onboard's state, and changed to a
/// mask on the next apply. `when` may read a secret: only its truth is used.
///
/// The taint follows the value, not the syntax: a use of `steps` that names no step
/// literally (a computed subscript, `steps` in a variable, a loop over it, `steps` passed to
/// a filter) could reach any step, so it is refused at its place while a step of the
/// playbook has a secret.
fn secret_flow(playbook: &Playbook, diags: &mut Diags) {
    let tenant = playbook.tenant.iter().flat_map(|t| {
        [&t.name, &t.domain]
            .into_iter()
            .chain(t.group_templates.iter())
            .map(|tpl| (&playbook.file, None, tpl))
    });
    let steps = playbook.steps.iter().flat_map(|s| {
        let write_only = write_only_spans(s);
        s.templates
            .iter()
            .filter(move |t| !write_only.iter().any(|w| w.contains(t.span)))
            .chain(s.for_each.iter().flat_map(|f| f.templates.iter()))
            .map(move |tpl| (&s.file, s.namespace.map(|_| s.id.as_str()), tpl))
    });
    let secret_steps = playbook.secret_steps();
    for (file, whose, tpl) in tenant.chain(steps) {
        let mut dynamic = false;
        for r in &tpl.refs {
            if let Target::StepsDynamic(how) = &r.target
                && !secret_steps.is_empty()
            {
                dynamic = true;
                diags.push(dynamic_use(file, r, how, &secret_steps));
            }
        }
        if !dynamic && playbook.template_is_secret(tpl) {
            diags.push(
                Diag::at(
                    file,
                    tpl.span,
                    format!(
                        "{}`{}` reads a secret, which NetBird would store here in plain text",
                        whose.map_or(String::new(), |id| format!("step `{id}`: ")),
                        written(file, tpl)
                    ),
                    "a value made from a secret",
                )
                .help(
                    "secrets may only go to outputs (written with `--outputs FILE`) and to \
                     fields NetBird never returns (such as an identity provider's \
                     `client_secret`); reference a field that is not secret, such as the \
                     object's `id`",
                ),
            );
        }
    }
}

/// A template as written in its file: a module's step holds it with the playbook's names.
fn written(file: &crate::diag::source::SourceFile, tpl: &Template) -> String {
    let text = file.at(tpl.span);
    match text.contains(tpl.src.as_str()) {
        true => tpl.src.clone(),
        false => text.trim_matches(|c| c == '"' || c == '\'').to_owned(),
    }
}

/// Where a step's `with` sets the write-only fields of its kind: a secret may go there.
fn write_only_spans(step: &Step) -> Vec<crate::diag::source::Span> {
    let Some(kind) = step.ty.resource_kind() else {
        return Vec::new();
    };
    kind.spec()
        .write_only_paths()
        .iter()
        .filter_map(|f| {
            let node = f.split('.').try_fold(&step.with, |n, k| n.get(k));
            node.map(|n| n.span)
        })
        .collect()
}

/// The fields of a `request` step's `with`.
const REQUEST_WITH: [&str; 5] = [
    "method",
    "path",
    "body",
    "secret_fields",
    "not_secret_fields",
];

/// A `request` step's `with`: known fields only, and `secret_fields` / `not_secret_fields`
/// literal lists of response fields (validation reads them to tell what is secret) that do
/// not contradict each other or the catalogue.
fn request_with(step: &Step, diags: &mut Diags) {
    let file = &step.file;
    for (key, _) in step.with.as_map().unwrap_or_default() {
        if !REQUEST_WITH.contains(&key.name.as_str()) {
            let hint = did_you_mean(&key.name, REQUEST_WITH).map_or_else(
                || format!("a request has {}", REQUEST_WITH.join(", ")),
                |s| format!("did you mean `{s}`?"),
            );
            diags.push(
                Diag::at(
                    file,
                    key.span,
                    format!("unknown field `{}` in a request's `with`", key.name),
                    "unknown field",
                )
                .help(hint),
            );
        }
    }
    let mut list = |field: &str| -> Vec<(String, crate::diag::source::Span)> {
        let Some(node) = step.with.get(field) else {
            return Vec::new();
        };
        let items = node.as_seq().unwrap_or_default();
        let plain = items
            .iter()
            .all(|i| i.as_str().is_some_and(|s| !s.contains('{')));
        if node.as_seq().is_none() || !plain {
            diags.push(
                Diag::at(
                    file,
                    node.span,
                    format!("`{field}` must be a list of response fields, written out"),
                    "not a literal list",
                )
                .help(format!(
                    "write the fields, e.g. `{field}: [token, auth.password]` (a dotted path \
                     reaches into objects; no templates: validation reads them)"
                )),
            );
        }
        items
            .iter()
            .filter_map(|i| Some((i.as_str()?.to_owned(), i.span)))
            .collect()
    };
    let declared = list("secret_fields");
    let known = crate::playbook::secrets::Secrets::of_step(step);
    for (field, span) in list("not_secret_fields") {
        let contradicts = declared.iter().any(|(d, _)| *d == field);
        let catalogue = !contradicts && known.is_known_secret(&field);
        if contradicts || catalogue {
            let why = if contradicts {
                "it is also in `secret_fields`".to_owned()
            } else {
                "NetBird's API returns a secret there for this path".to_owned()
            };
            diags.push(
                Diag::at(
                    file,
                    span,
                    format!("`{field}` cannot be declared not secret: {why}"),
                    "a secret",
                )
                .help("remove it from `not_secret_fields`"),
            );
        }
    }
}

/// A use of `steps` that could reach a secret, located, with what to write instead.
fn dynamic_use(
    file: &crate::diag::source::SourceFile,
    r: &Ref,
    how: &crate::playbook::template::Dynamic,
    secret_steps: &[(&Step, crate::playbook::secrets::Secrets)],
) -> Diag {
    let (what, instead) = how.explain();
    let mut holders: Vec<String> = secret_steps
        .iter()
        .take(3)
        .map(|(s, secrets)| format!("`{}` ({})", s.id, secrets.describe()))
        .collect();
    if secret_steps.len() > 3 {
        holders.push(format!("{} more", secret_steps.len() - 3));
    }
    Diag::at(
        file,
        r.span,
        format!(
            "{what} could read any step, and these have secrets NetBird would store here in \
             plain text: {}",
            holders.join(", ")
        ),
        "cannot be checked for secrets",
    )
    .help(format!(
        "{instead}; a value made from a secret may only go to outputs (written with \
         `--outputs FILE`)"
    ))
}

struct Ctx<'a> {
    playbook: &'a Playbook,
    steps: &'a HashMap<&'a str, &'a Step>,
}

impl Ctx<'_> {
    fn template(&self, tpl: &Template, step: Option<&Step>, diags: &mut Diags) {
        for r in &tpl.refs {
            if let Some(d) = self.reference(r, step) {
                diags.push(d);
            }
        }
    }

    /// A template outside any step, written in `file`.
    fn template_in(
        &self,
        file: &crate::diag::source::SourceFile,
        tpl: &Template,
        diags: &mut Diags,
    ) {
        for r in &tpl.refs {
            if let Some(mut d) = self.reference(r, None) {
                d.file = Some(file.clone());
                diags.push(d);
            }
        }
    }

    fn reference(&self, r: &Ref, step: Option<&Step>) -> Option<Diag> {
        let file = step.map_or(&self.playbook.file, |s| &s.file);
        match &r.target {
            Target::Step { id, key, field } => {
                self.step_ref(file, r, id, key.is_some(), field.as_deref())
            }
            Target::Input(name) if !self.playbook.inputs.contains_key(name) => {
                let hint = match did_you_mean(name, self.playbook.inputs.keys().map(String::as_str))
                {
                    Some(s) => format!("did you mean `inputs.{s}`?"),
                    None => {
                        format!("declare it under `inputs:`, e.g. `{name}: {{ type: string }}`")
                    }
                };
                Some(
                    Diag::at(
                        file,
                        r.span,
                        format!("unknown input `{name}`"),
                        "not declared",
                    )
                    .help(hint),
                )
            }
            Target::Tenant(_) if self.playbook.tenant.is_none() => Some(
                Diag::at(
                    file,
                    r.span,
                    "`tenant` is referenced but the playbook has no tenant block",
                    "no tenant",
                )
                .help("add a `tenant:` block, or remove the reference"),
            ),
            Target::Tenant(Some(f)) if !TENANT_FIELDS.contains(&f.as_str()) => Some(
                Diag::at(
                    file,
                    r.span,
                    format!("the tenant has no field `{f}`"),
                    "unknown field",
                )
                .help(format!("the tenant has {}", TENANT_FIELDS.join(", "))),
            ),
            Target::Env(name) => {
                let input = name.to_lowercase();
                Some(
                    Diag::at(
                        file,
                        r.span,
                        format!(
                            "`env.{name}`: environment variables are not available in templates"
                        ),
                        "not available",
                    )
                    .help(format!(
                        "pass it as an input: declare `{input}: {{ type: string }}` under \
                         `inputs:`, use `{{{{ inputs.{input} }}}}`, and run with \
                         `--set {input}=\"${name}\"`"
                    )),
                )
            }
            Target::Item | Target::Key if step.is_none_or(|s| s.for_each.is_none()) => Some(
                Diag::at(
                    file,
                    r.span,
                    "`item` and `key` exist only inside a step with `for_each`",
                    "not in a for_each",
                )
                .help("add `for_each:` to this step, or reference a value directly"),
            ),
            _ => None,
        }
    }

    fn unknown_step(
        &self,
        file: &crate::diag::source::SourceFile,
        id: &str,
        span: crate::diag::source::Span,
    ) -> Diag {
        let hint = match did_you_mean(id, self.steps.keys().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "reference a step declared under `steps:`".to_owned(),
        };
        Diag::at(
            file,
            span,
            format!("unknown step `{id}`"),
            "no step has this id",
        )
        .help(hint)
    }

    fn step_ref(
        &self,
        file: &crate::diag::source::SourceFile,
        r: &Ref,
        id: &str,
        key: bool,
        field: Option<&str>,
    ) -> Option<Diag> {
        let Some(target) = self.steps.get(id) else {
            return Some(self.unknown_step(file, id, r.span));
        };
        if key && target.for_each.is_none() {
            return Some(
                Diag::at(
                    file,
                    r.span,
                    format!("step `{id}` has no `for_each`, so it has no instances"),
                    "not a map of instances",
                )
                .help(format!("write `steps.{id}.<field>`")),
            );
        }
        let field = field?;
        if target.for_each.is_some() && !key {
            return Some(
                Diag::at(
                    file,
                    r.span,
                    format!("step `{id}` has `for_each`: `steps.{id}` is a map of instances"),
                    "pick an instance",
                )
                .help(format!("write `steps.{id}[\"<key>\"].{field}`")),
            );
        }
        let spec = target.ty.spec();
        if spec.has_response_field(field) {
            return None;
        }
        let hint = match did_you_mean(field, spec.response().iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "a {} response has {}",
                spec.name,
                spec.response().join(", ")
            ),
        };
        Some(
            Diag::at(
                file,
                r.span,
                format!("a {} has no field `{field}`", spec.name),
                format!("not a field of step `{id}`"),
            )
            .help(hint),
        )
    }
}
