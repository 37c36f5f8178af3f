//! Input values: defaults, inventory entries, values files and `--set`, type-checked.
//!
//! Input: the playbook's declarations and the value sources in precedence order (lowest
//! first). Output: [`Inputs`], one JSON value per declared input, or every error: unknown
//! names, missing required inputs, wrong types, failed patterns and enums. Each error points at
//! the value where it was given (a values file's line, a `--set` argument), and at the
//! declaration in the playbook.

use indexmap::IndexMap;
use serde_json::Value as Json;

use crate::diag::source::{SourceFile, Span};
use crate::diag::{Diag, Diags, did_you_mean};
use crate::playbook::model::{InputDecl, InputType, Playbook};
use crate::playbook::yaml::{self, Key, Node, Value};

/// Resolved input values, in declaration order.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Inputs(pub IndexMap<String, Json>);

impl Inputs {
    /// The same values with every `sensitive` input shown as `(sensitive)`: what plans show
    /// and saved plans keep.
    pub fn masked(&self, playbook: &Playbook) -> Inputs {
        let mut out = self.clone();
        for (name, value) in out.0.iter_mut() {
            if playbook.inputs.get(name).is_some_and(|d| d.sensitive) {
                *value = Json::String(crate::playbook::render::SENSITIVE.to_owned());
            }
        }
        out
    }

    /// Fill the sensitive inputs a saved plan left out from `ONBOARD_VAR_<name>` in `vars`.
    /// Err: the names of those that have no variable.
    pub fn unmask(
        &mut self,
        playbook: &Playbook,
        vars: &std::collections::BTreeMap<String, String>,
    ) -> Result<(), Vec<String>> {
        let mut missing = Vec::new();
        for (name, value) in self.0.iter_mut() {
            let Some(decl) = playbook.inputs.get(name).filter(|d| d.sensitive) else {
                continue;
            };
            match vars.get(&format!("{ENV_PREFIX}{name}")) {
                // A PAT is refused here as everywhere: never a value.
                Some(v) if crate::playbook::token_scan::holds_token(v) => {
                    missing.push(format!("{name} (its variable holds a PAT)"));
                }
                Some(v) => {
                    *value = match decl.ty {
                        crate::playbook::model::InputType::String => Json::String(v.clone()),
                        _ => serde_json::from_str(v).unwrap_or_else(|_| Json::String(v.clone())),
                    }
                }
                None => missing.push(name.clone()),
            }
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(missing)
        }
    }
}

/// Where values come from, lowest precedence first.
#[derive(Debug, Clone)]
pub enum Source {
    /// A YAML map of values: a values file, an inventory's `defaults`, an inventory entry.
    Map { file: SourceFile, node: Node },
    /// One `--set KEY=VALUE`.
    Set { file: SourceFile },
}

impl Source {
    /// A values file (a YAML map of input names to values).
    pub fn values_file(file: SourceFile) -> Result<Source, Diag> {
        let node = yaml::parse(&file)?;
        match node.value {
            Value::Map(_) | Value::Null => Ok(Source::Map { file, node }),
            _ => Err(Diag::at(
                &file,
                node.span,
                "a values file must be a map of input names to values",
                "not a map",
            )
            .help("e.g. `customer: Acme Corp`")),
        }
    }

    /// One `--set KEY=VALUE` argument.
    pub fn set(arg: &str) -> Source {
        Source::Set {
            file: SourceFile::new("--set", arg),
        }
    }

    /// The `ONBOARD_VAR_<name>` variables of `vars` (the process environment, in practice)
    /// that name an input of `playbook`, each read as `--set <name>=<value>` would be. The
    /// lowest precedence: an inventory, a values file or `--set` overrides one. Variables
    /// naming no input are ignored (one environment may serve several playbooks).
    pub fn environment(
        playbook: &Playbook,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Vec<Source> {
        let mut found: Vec<(String, String)> = vars
            .into_iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(ENV_PREFIX)?.to_owned(), v)))
            .filter(|(name, _)| playbook.inputs.contains_key(name))
            .collect();
        found.sort();
        found
            .into_iter()
            .map(|(name, value)| Source::Set {
                file: SourceFile::new(format!("{ENV_PREFIX}{name}"), format!("{name}={value}")),
            })
            .collect()
    }
}

/// Where the value of input `name` comes from: the key that gives it in the last of `sources`
/// that does (the highest precedence), else its declared default. None: it has no value.
pub fn origin(playbook: &Playbook, sources: &[Source], name: &str) -> Option<(SourceFile, Span)> {
    for source in sources.iter().rev() {
        match source {
            Source::Map { file, node } => {
                let entries = node.as_map().unwrap_or_default();
                if let Some((key, _)) = entries.iter().find(|(k, _)| k.name == name) {
                    return Some((file.clone(), key.span));
                }
            }
            Source::Set { file } => {
                if let Ok((key, _, _, file)) = parse_set(file)
                    && key.name == name
                {
                    return Some((file, key.span));
                }
            }
        }
    }
    let decl = playbook.inputs.get(name)?;
    decl.default
        .as_ref()
        .map(|d| (playbook.file.clone(), d.span))
}

/// The prefix of an environment variable that gives an input a value: `ONBOARD_VAR_customer`.
pub const ENV_PREFIX: &str = "ONBOARD_VAR_";

/// One given value and where it came from.
struct Given {
    file: SourceFile,
    key_span: Span,
    node: Node,
    /// The raw text for `--set`, used as is for string inputs.
    raw: Option<String>,
}

/// Resolve every declared input from `sources`.
pub fn resolve(playbook: &Playbook, sources: &[Source]) -> Result<Inputs, Diags> {
    resolve_with(playbook, sources, false, &|_| false).map(|(inputs, _)| inputs)
}

/// Resolve with a value required only for the inputs `needed` names: any other required
/// input without a value is [`crate::playbook::template::UNKNOWN`], silently (`destroy` needs
/// only the inputs of the run key).
pub fn resolve_only(
    playbook: &Playbook,
    sources: &[Source],
    needed: &dyn Fn(&str) -> bool,
) -> Result<Inputs, Diags> {
    resolve_with(playbook, sources, false, &|name| !needed(name)).map(|(inputs, _)| inputs)
}

/// Resolve what can be resolved without values (`validate PLAYBOOK` alone, as `terraform
/// validate` without variables): a required input with no value becomes
/// [`crate::playbook::template::UNKNOWN`], so every check that depends on it waits, and is returned as
/// a note instead of an error.
pub fn resolve_without_values(playbook: &Playbook) -> Result<(Inputs, Vec<Diag>), Diags> {
    resolve_with(playbook, &[], true, &|_| false)
}

fn resolve_with(
    playbook: &Playbook,
    sources: &[Source],
    missing_ok: bool,
    optional: &dyn Fn(&str) -> bool,
) -> Result<(Inputs, Vec<Diag>), Diags> {
    let mut notes = Vec::new();
    let mut diags = Diags::new();
    let mut given: IndexMap<String, Given> = IndexMap::new();
    for source in sources {
        collect(playbook, source, &mut given, &mut diags);
    }
    let mut out = IndexMap::new();
    for (name, decl) in &playbook.inputs {
        let value = match given.get(name) {
            Some(g) => check_given(playbook, decl, g, &mut diags),
            None => match &decl.default {
                Some(d) => check_value(decl, &d.to_json())
                    .map_err(|m| {
                        diags.push(Diag::at(
                            &playbook.file,
                            d.span,
                            format!("default of input `{name}` {m}"),
                            "bad default",
                        ));
                    })
                    .ok(),
                None if missing_ok => {
                    notes.push(Diag::at(
                        &playbook.file,
                        decl.span,
                        format!("input `{name}` has no value: what depends on it is checked once one is given"),
                        "required, no default",
                    ));
                    Some(Json::String(crate::playbook::template::UNKNOWN.to_owned()))
                }
                None if optional(name) => {
                    Some(Json::String(crate::playbook::template::UNKNOWN.to_owned()))
                }
                None => {
                    diags.push(
                        Diag::at(&playbook.file, decl.span, format!("missing value for required input `{name}`"), "declared here without a default")
                            .help(match decl.sensitive {
                                true => format!("a sensitive input comes from the environment: set `{ENV_PREFIX}{name}` (from your secret store)"),
                                false => format!("pass `--set {name}=...`, add `{name}:` to a values file, set `{ENV_PREFIX}{name}`, or give it a `default`"),
                            }),
                    );
                    None
                }
            },
        };
        if let Some(v) = value {
            out.insert(name.clone(), v);
        }
    }
    diags.into_result((Inputs(out), notes))
}

fn collect(
    playbook: &Playbook,
    source: &Source,
    given: &mut IndexMap<String, Given>,
    diags: &mut Diags,
) {
    let entries: Vec<(Key, Node, Option<String>, SourceFile)> = match source {
        Source::Map { file, node } => node
            .as_map()
            .unwrap_or(&[])
            .iter()
            .map(|(k, v)| (k.clone(), v.clone(), None, file.clone()))
            .collect(),
        Source::Set { file } => match parse_set(file) {
            Ok(e) => vec![e],
            Err(d) => {
                diags.push(d);
                return;
            }
        },
    };
    for (key, node, raw, file) in entries {
        if !playbook.inputs.contains_key(&key.name) {
            let hint = match did_you_mean(&key.name, playbook.inputs.keys().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None if playbook.inputs.is_empty() => "the playbook declares no inputs".to_owned(),
                None => format!(
                    "the playbook's inputs are {}",
                    playbook
                        .inputs
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            diags.push(
                Diag::at(
                    &file,
                    key.span,
                    format!("unknown input `{}`", key.name),
                    "not an input of the playbook",
                )
                .help(hint),
            );
            continue;
        }
        given.insert(
            key.name.clone(),
            Given {
                file,
                key_span: key.span,
                node,
                raw,
            },
        );
    }
}

/// `KEY=VALUE`: the value is read as YAML (`3`, `true`, `[a, b]`), or kept as text.
fn parse_set(file: &SourceFile) -> Result<(Key, Node, Option<String>, SourceFile), Diag> {
    let text = file.text();
    let Some(eq) = text.find('=') else {
        return Err(Diag::at(
            file,
            Span::new(0, text.len()),
            "`--set` takes KEY=VALUE",
            "no `=` here",
        )
        .help("e.g. `--set customer=\"Acme Corp\"`"));
    };
    let key = Key {
        name: text[..eq].trim().to_owned(),
        span: Span::new(0, eq),
    };
    // A token is refused as text (a string input takes the text as it is) and as the value
    // YAML reads from it (`[ "nbp\u005f..." ]`); never echoed, so no snippet of the argument.
    let refused = |name: &str| match file.name().starts_with(ENV_PREFIX) {
        true => crate::playbook::token_scan::in_variable(name),
        false => crate::playbook::token_scan::in_set(name),
    };
    if crate::playbook::token_scan::holds_token(text) {
        return Err(refused(&key.name));
    }
    let raw = text[eq + 1..].to_owned();
    let span = Span::new(eq + 1, raw.len());
    let value_file = SourceFile::new("--set", raw.clone());
    let parsed = yaml::parse_tree(&value_file);
    if let Ok(n) = &parsed
        && n.strings()
            .iter()
            .any(|(_, s)| crate::playbook::token_scan::holds_token(s))
    {
        return Err(refused(&key.name));
    }
    let node = match parsed {
        Ok(n) if raw.trim().is_empty() => Node::new(
            span,
            match n.value {
                Value::Null => Value::Str(String::new()),
                v => v,
            },
        ),
        Ok(n) => Node::from_json(&n.to_json(), span),
        Err(_) => Node::new(span, Value::Str(raw.clone())),
    };
    Ok((key, node, Some(raw), file.clone()))
}

fn check_given(
    playbook: &Playbook,
    decl: &InputDecl,
    g: &Given,
    diags: &mut Diags,
) -> Option<Json> {
    let json = match (&g.raw, decl.ty) {
        (Some(raw), InputType::String) => Json::String(raw.clone()),
        _ => g.node.to_json(),
    };
    match check_value(decl, &json) {
        Ok(v) => Some(v),
        // A sensitive value is never shown, so neither is the line that gives it.
        Err(message) if decl.sensitive => {
            let what = match message {
                ValueMismatch::Type { .. } => message.to_string(),
                ValueMismatch::Pattern { pattern, .. } => {
                    format!("does not match pattern `{pattern}`")
                }
                ValueMismatch::NotAllowed { .. } => "is not one of the allowed values".to_owned(),
            };
            let at = g.file.location(g.key_span);
            diags.push(
                Diag::plain(format!(
                    "input `{}` (sensitive, given at {at}) {what}",
                    decl.name
                ))
                .related(Diag::at(
                    &playbook.file,
                    decl.span,
                    format!("input `{}` is declared here", decl.name),
                    format!("type: {}", decl.ty.name()),
                )),
            );
            None
        }
        Err(message) => {
            let declared = Diag::at(
                &playbook.file,
                decl.span,
                format!("input `{}` is declared here", decl.name),
                format!("type: {}", decl.ty.name()),
            );
            let span = if g.node.span.len == 0 {
                g.key_span
            } else {
                g.node.span
            };
            diags.push(
                Diag::at(
                    &g.file,
                    span,
                    format!("input `{}` {message}", decl.name),
                    "given here",
                )
                .related(declared),
            );
            None
        }
    }
}

/// What is wrong with an input's value, as a fragment (`must be a list, found a string`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueMismatch {
    #[error("must be a {expected}, found {found}")]
    Type {
        expected: &'static str,
        found: &'static str,
    },
    #[error("does not match pattern `{pattern}`: {value}")]
    Pattern { pattern: String, value: Json },
    #[error("must be one of {}, found {value}", one_of(.allowed))]
    NotAllowed { allowed: Vec<Json>, value: Json },
}

fn one_of(options: &[Json]) -> String {
    let list: Vec<String> = options.iter().map(Json::to_string).collect();
    list.join(", ")
}

/// Check one value against its declaration. Err: what is wrong.
pub fn check_value(decl: &InputDecl, value: &Json) -> Result<Json, ValueMismatch> {
    let ok = match decl.ty {
        InputType::String => value.is_string(),
        InputType::Number => value.is_number(),
        InputType::Bool => value.is_boolean(),
        InputType::List => value.is_array(),
        InputType::Map => value.is_object(),
    };
    if !ok {
        return Err(ValueMismatch::Type {
            expected: decl.ty.name(),
            found: json_kind(value),
        });
    }
    if let (Some((re, _)), Some(s)) = (&decl.pattern, value.as_str())
        && !re.is_match(s)
    {
        let pattern = re
            .as_str()
            .trim_start_matches("^(?:")
            .trim_end_matches(")$");
        return Err(ValueMismatch::Pattern {
            pattern: pattern.to_owned(),
            value: value.clone(),
        });
    }
    if let Some(allowed) = &decl.allowed
        && let Json::Array(options) = allowed.to_json()
        && !options.contains(value)
    {
        return Err(ValueMismatch::NotAllowed {
            allowed: options,
            value: value.clone(),
        });
    }
    Ok(value.clone())
}

pub fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a bool",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a map",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAT: &str = "nbp_ExampleTokenThatMustNotBeRepeated00";

    fn playbook() -> Playbook {
        let file = SourceFile::new(
            "pb.yaml",
            "version: 1\nname: pb\ninputs:\n  customer: { type: string }\n  admins: { type: list, default: [] }\nsteps: []\n",
        );
        crate::playbook::parse::playbook(&file).expect("a valid playbook")
    }

    /// `--set KEY=PAT`, as text or inside a YAML value: refused, naming the argument by its
    /// key, never repeating the token.
    #[test]
    fn a_token_given_with_set_is_refused_without_repeating_it() {
        let pb = playbook();
        for arg in [
            format!("customer={PAT}"),
            format!("admins=[ok, {PAT}]"),
            format!("admins=[\"nbp\\u005f{}\"]", &PAT[4..]),
        ] {
            let err = resolve(&pb, &[Source::set(&arg)]).expect_err(&arg);
            let shown: Vec<String> = err
                .iter()
                .map(|d| format!("{d} {}", d.help.clone().unwrap_or_default()))
                .collect();
            let shown = shown.join("\n");
            assert!(shown.contains("personal access token"), "{arg}: {shown}");
            assert!(shown.contains("--set"), "{shown}");
            assert!(!shown.contains("ExampleToken"), "{shown}");
            assert!(
                err.iter()
                    .all(|d| d.file.as_ref().is_none_or(|f| f.name() != "--set")),
                "no snippet of {arg}"
            );
        }
    }
}
