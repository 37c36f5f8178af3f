//! `explain PLAYBOOK STEP.FIELD`: the value a step's field has for each customer, and which
//! file and line set it: the step's `with`, then each name its template reads back to where
//! the value was given (an import's `with`, a module input's default, a module's output, a
//! customer's value in an inventory, a values file, `--set`, the environment, or the
//! playbook's default). No network: the values are the offline plan's, secrets masked.

use serde_json::Value as Json;
use std::collections::HashMap;
use std::fmt::Write;

use crate::diag::source::{SourceFile, Span};
use crate::diag::{Diag, Diags, did_you_mean, printable};
use crate::ops::customers::{self, Input};
use crate::playbook::inputs::{self, Source};
use crate::playbook::inventory;
use crate::playbook::model::{Playbook, Step};
use crate::playbook::template::Template;
use crate::playbook::yaml::{Node, Value};
use crate::run::session;

/// The explanation as text, one fact a line.
pub fn explain(input: &Input, target: &str) -> Result<String, Diags> {
    let file = inventory::read(&input.playbook)?;
    let loaded = crate::playbook::load(&file)?;
    let pb = &loaded.playbook;
    let (step, path) = find(pb, target)?;
    let runs = customers::prepare_without_credentials(input)?;
    let mut diags = Diags::new();
    let sources: Vec<(String, Vec<Source>)> = customers::entries(input, pb, &mut diags)?
        .into_iter()
        .map(|(entry, s)| (entry.map_or_else(String::new, |e| e.key), s))
        .collect();
    let plans = session::offline(&runs, None)?;
    let mut out = String::new();
    let _ = writeln!(out, "{}", printable(target));
    for (run, plan) in runs.iter().zip(&plans) {
        let who = run.key.clone().unwrap_or_else(|| plan.run_key.clone());
        for p in plan.steps.iter().filter(|p| p.step == step.id) {
            let value = at_json(&p.body, &path)
                .map_or_else(|| "(not set)".to_owned(), crate::plan::report::show);
            let skipped = match p.action {
                crate::plan::Action::Skip => " (skipped: a `when` is false)",
                _ => "",
            };
            let _ = writeln!(
                out,
                "  {}: {} = {}{skipped}",
                printable(&who),
                printable(&p.address),
                printable(&value)
            );
        }
    }
    let mut trace = Trace {
        pb,
        files: HashMap::new(),
        sources: &sources,
        out,
    };
    match at_node(&step.with, &path) {
        None => {
            let _ = writeln!(
                trace.out,
                "  not written: a {} without `{}` takes NetBird's default (or onboard's, shown above)",
                step.ty.name(),
                path.join(".")
            );
        }
        Some(node) => {
            let whose = match step.namespace {
                Some(i) => {
                    let m = &pb.namespaces[i];
                    format!("module `{}` {}, import `{}`", m.module, m.version, m.path)
                }
                None => "the playbook".to_owned(),
            };
            trace.line(1, &step.file, node.span, &format!("written in {whose}"));
            if let Some(original) = trace.original(step, &path) {
                trace.node(&original, &step.file.clone(), step.namespace, 2);
            }
        }
    }
    Ok(trace.out)
}

/// The step `target` names, and the field path after its id (the longest step id that is a
/// prefix wins: `base.servers.name` is field `name` of step `base.servers`).
fn find<'p>(pb: &'p Playbook, target: &str) -> Result<(&'p Step, Vec<String>), Diag> {
    let step = pb
        .steps
        .iter()
        .filter(|s| target.starts_with(&format!("{}.", s.id)))
        .max_by_key(|s| s.id.len());
    let Some(step) = step else {
        let first = target.split('.').next().unwrap_or(target);
        let hint = match did_you_mean(first, pb.steps.iter().map(|s| s.id.as_str())) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "write STEP.FIELD, e.g. `{}.name`; the steps are {}",
                pb.steps.first().map_or("servers", |s| s.id.as_str()),
                pb.steps
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        return Err(
            Diag::plain(format!("`{}` names no step's field", printable(target))).help(hint),
        );
    };
    let rest = &target[step.id.len() + 1..];
    Ok((step, rest.split('.').map(str::to_owned).collect()))
}

/// The value at `path` of a map tree (a list takes an index).
fn at_json<'j>(value: &'j Json, path: &[String]) -> Option<&'j Json> {
    path.iter().try_fold(value, |v, k| match v {
        Json::Object(m) => m.get(k),
        Json::Array(a) => a.get(k.parse::<usize>().ok()?),
        _ => None,
    })
}

fn at_node<'n>(node: &'n Node, path: &[String]) -> Option<&'n Node> {
    path.iter().try_fold(node, |n, k| match &n.value {
        Value::Map(_) => n.get(k),
        Value::Seq(items) => items.get(k.parse::<usize>().ok()?),
        _ => None,
    })
}

struct Trace<'a> {
    pb: &'a Playbook,
    /// Each file of the playbook as written (a module's names unrewritten), by name.
    files: HashMap<String, Option<Playbook>>,
    sources: &'a [(String, Vec<Source>)],
    out: String,
}

impl Trace<'_> {
    /// `  <file:line:col> <what>: <text as written>`.
    fn line(&mut self, depth: usize, file: &SourceFile, span: Span, what: &str) {
        let text = file.at(span);
        let mut text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.chars().count() > 100 {
            text = text.chars().take(99).collect::<String>() + "…";
        }
        let _ = writeln!(
            self.out,
            "{}{}  {}: {}",
            "  ".repeat(depth),
            printable(&file.location(span)),
            what,
            printable(&text)
        );
    }

    /// A file as written: the playbook's, or a module's.
    fn written(&mut self, file: &SourceFile) -> Option<&Playbook> {
        let has_tenant = self.pb.tenant.is_some();
        let root = file.same(&self.pb.file);
        self.files
            .entry(file.name().to_owned())
            .or_insert_with(|| match root {
                true => crate::playbook::parse::playbook(file).ok(),
                false => crate::playbook::parse::imported(file, has_tenant).ok(),
            })
            .as_ref()
    }

    /// The step's field as written in its file (a module's templates name its own steps
    /// and inputs; the composed playbook's are rewritten).
    fn original(&mut self, step: &Step, path: &[String]) -> Option<Node> {
        let local = match step.namespace {
            Some(i) => step
                .id
                .strip_prefix(&format!("{}.", self.pb.namespaces[i].path))?,
            None => step.id.as_str(),
        }
        .to_owned();
        let written = self.written(&step.file)?;
        let s = written.steps.iter().find(|s| s.id == local)?;
        at_node(&s.with, path).cloned()
    }

    /// Every name the templates in `node` (written in `file`, in module instance `ns`) read,
    /// traced to where its value was given.
    fn node(&mut self, node: &Node, file: &SourceFile, ns: Option<usize>, depth: usize) {
        for (span, s) in node.strings() {
            let t = Template::reparse(file, span, s);
            for head in t.heads() {
                match (head.root.as_str(), head.names.as_slice()) {
                    ("inputs", [name]) => self.input(name, ns, depth),
                    ("imports", [id, output]) => self.output(id, output, ns, depth),
                    ("steps", [id]) => {
                        let prefix = ns.map_or(String::new(), |i| {
                            format!("{}.", self.pb.namespaces[i].path)
                        });
                        let _ = writeln!(
                            self.out,
                            "{}steps.{id}: read from step `{prefix}{id}`, known once it exists",
                            "  ".repeat(depth)
                        );
                    }
                    _ => {}
                }
            }
        }
    }

    /// `inputs.<name>` in instance `ns`: the import's `with`, or the module's default; in the
    /// playbook, each customer's value.
    fn input(&mut self, name: &str, ns: Option<usize>, depth: usize) {
        let Some(i) = ns else {
            self.customer_input(name, depth);
            return;
        };
        let m = self.pb.namespaces[i].clone();
        let id = m.path.rsplit('.').next().unwrap_or(&m.path).to_owned();
        let importer = match m.parent {
            Some(p) => self.pb.namespaces[p].file.clone(),
            None => self.pb.file.clone(),
        };
        let given = self
            .written(&importer)
            .and_then(|w| w.imports.iter().find(|imp| imp.id == id).cloned())
            .and_then(|imp| imp.with.and_then(|w| w.get(name).cloned()));
        if let Some(value) = given {
            self.line(
                depth,
                &importer,
                value.span,
                &format!("inputs.{name}: given by import `{id}`"),
            );
            self.node(&value, &importer, m.parent, depth + 1);
            return;
        }
        let default = self
            .written(&m.file)
            .and_then(|w| w.inputs.get(name))
            .and_then(|d| d.default.clone());
        match default {
            Some(d) => self.line(
                depth,
                &m.file,
                d.span,
                &format!("inputs.{name}: the default of module `{}`", m.module),
            ),
            None => {
                let _ = writeln!(self.out, "{}inputs.{name}: no value", "  ".repeat(depth));
            }
        }
    }

    /// A playbook input: where each customer's value comes from.
    fn customer_input(&mut self, name: &str, depth: usize) {
        let sensitive = self.pb.inputs.get(name).is_some_and(|d| d.sensitive);
        for (who, sources) in self.sources {
            let whose = match who.as_str() {
                "" => format!("inputs.{name}"),
                k => format!("inputs.{name} ({k})"),
            };
            match inputs::origin(self.pb, sources, name) {
                Some((file, _))
                    if file.name() == "--set" || file.name().starts_with(inputs::ENV_PREFIX) =>
                {
                    let how = match (file.name(), sensitive) {
                        ("--set", false) => format!("`--set {}`", file.text()),
                        ("--set", true) => format!("`--set {name}=…`"),
                        (var, _) => format!("the environment variable {var}"),
                    };
                    let _ = writeln!(
                        self.out,
                        "{}{whose}: given by {}",
                        "  ".repeat(depth),
                        printable(&how)
                    );
                }
                Some((file, span)) if file.same(&self.pb.file) => {
                    self.line(
                        depth,
                        &file,
                        span,
                        &format!("{whose}: the playbook's default"),
                    );
                }
                Some((file, span)) => {
                    let what = if sensitive {
                        format!("{whose}: given here (sensitive)")
                    } else {
                        format!("{whose}: given here")
                    };
                    // A secret's line is not shown, only where it is.
                    if sensitive {
                        let _ = writeln!(
                            self.out,
                            "{}{}  {what}",
                            "  ".repeat(depth),
                            printable(&file.location(span))
                        );
                    } else {
                        let end = file
                            .text()
                            .get(span.offset..)
                            .and_then(|t| t.find('\n'))
                            .map_or(file.text().len(), |i| span.offset + i);
                        self.line(
                            depth,
                            &file,
                            Span::new(span.offset, end - span.offset),
                            &what,
                        );
                    }
                }
                None => {
                    let _ = writeln!(self.out, "{}{whose}: no value", "  ".repeat(depth));
                }
            }
        }
    }

    /// `imports.<id>.<output>` in instance `ns`: the module's output, traced in its instance.
    fn output(&mut self, id: &str, output: &str, ns: Option<usize>, depth: usize) {
        let path = match ns {
            Some(i) => format!("{}.{id}", self.pb.namespaces[i].path),
            None => id.to_owned(),
        };
        let Some(child) = self.pb.namespaces.iter().position(|m| m.path == path) else {
            return;
        };
        let m = self.pb.namespaces[child].clone();
        let value = self
            .written(&m.file)
            .and_then(|w| w.outputs.iter().find(|o| o.name == output).cloned());
        if let Some(o) = value {
            self.line(
                depth,
                &m.file,
                o.value.span,
                &format!("imports.{id}.{output}: an output of module `{}`", m.module),
            );
            self.node(&o.value, &m.file, Some(child), depth + 1);
        }
    }
}
