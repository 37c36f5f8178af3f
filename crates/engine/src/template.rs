//! Templates: `{{ ... }}` strings inside playbook values.
//!
//! Input: a string node of the playbook. Output: a [`Template`] that knows its form (plain
//! text, a single expression that keeps its type, or text mixed with expressions) and every
//! [`Ref`] it makes (`steps.<id>.<field>`, `inputs.<name>`, `tenant.<field>`, `item`, `key`,
//! `env.<NAME>`), each with its span in the source, so references become graph edges and
//! errors point at them. Rendering uses minijinja with strict undefined: a reference to
//! anything missing is an error, never an empty string.

use minijinja::{Environment, UndefinedBehavior};
use regex::Regex;
use std::sync::OnceLock;

use crate::diag::{Diag, did_you_mean};
use crate::source::{SourceFile, Span};

/// What renders in place of a value known only after apply.
pub const UNKNOWN: &str = "(known after apply)";

/// How a template renders.
#[derive(Debug, Clone, PartialEq)]
pub enum Form {
    /// No template syntax: the text is the value.
    Literal,
    /// Exactly one `{{ expression }}`: renders to the expression's own type.
    Expr(String),
    /// Text and expressions: renders to a string.
    Mixed,
}

/// What a reference names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `steps.<id>`, `steps.<id>.<field>` or `steps.<id>["<key>"].<field>`.
    Step {
        id: String,
        key: Option<String>,
        field: Option<String>,
    },
    Input(String),
    Tenant(Option<String>),
    Item,
    Key,
    Env(String),
}

/// One reference with its place in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Ref {
    pub target: Target,
    pub span: Span,
}

/// A parsed template string.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub src: String,
    pub span: Span,
    pub form: Form,
    pub refs: Vec<Ref>,
}

/// The variables a template may use.
pub const ROOTS: &[&str] = &["inputs", "tenant", "steps", "item", "key", "env"];

/// The shared environment: strict undefined, no auto-escaping.
pub fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        env
    })
}

impl Template {
    /// Parse `src`, the text of the string node at `span` in `file`.
    pub fn parse(file: &SourceFile, span: Span, src: &str) -> Result<Template, Diag> {
        let base = source_base(file, span, src);
        if !src.contains("{{") && !src.contains("{%") && !src.contains("{#") {
            return Ok(Template {
                src: src.to_owned(),
                span,
                form: Form::Literal,
                refs: Vec::new(),
            });
        }
        let at = |range: std::ops::Range<usize>| match base {
            Some(b) => Span::new(b + range.start, range.len()),
            None => span,
        };
        let tmpl = env()
            .template_from_str(src)
            .map_err(|e| syntax_diag(file, &e, src, 0, &at, span))?;
        let form = match single_expression(src) {
            Some(expr) => {
                // `expr` is a slice of `src`; error ranges are relative to it.
                let start = expr.as_ptr() as usize - src.as_ptr() as usize;
                env()
                    .compile_expression(expr)
                    .map_err(|e| syntax_diag(file, &e, src, start, &at, span))?;
                Form::Expr(expr.to_owned())
            }
            None => Form::Mixed,
        };
        let refs = scan_refs(src, &at);
        let mut roots: Vec<String> = tmpl.undeclared_variables(false).into_iter().collect();
        roots.sort();
        if let Some(unknown) = roots.iter().find(|r| !ROOTS.contains(&r.as_str())) {
            let pos = find_word(src, unknown).map_or(span, |i| at(i..i + unknown.len()));
            let hint = did_you_mean(unknown, ROOTS.iter().copied())
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| format!("templates may use {}", ROOTS.join(", ")));
            return Err(Diag::at(
                file,
                pos,
                format!("unknown variable `{unknown}` in template"),
                "not defined",
            )
            .help(hint));
        }
        Ok(Template {
            src: src.to_owned(),
            span,
            form,
            refs,
        })
    }

    /// A template that [`Template::parse`] accepted before (a value of a loaded playbook, read
    /// again to render it): its form and references, without compiling it or checking its
    /// variables again, which would cost more than rendering it.
    pub fn reparse(file: &SourceFile, span: Span, src: &str) -> Template {
        let form = if !src.contains("{{") && !src.contains("{%") && !src.contains("{#") {
            Form::Literal
        } else {
            single_expression(src).map_or(Form::Mixed, |e| Form::Expr(e.to_owned()))
        };
        let refs = match form {
            Form::Literal => Vec::new(),
            _ => {
                let base = source_base(file, span, src);
                scan_refs(src, &|range: std::ops::Range<usize>| match base {
                    Some(b) => Span::new(b + range.start, range.len()),
                    None => span,
                })
            }
        };
        Template {
            src: src.to_owned(),
            span,
            form,
            refs,
        }
    }

    /// Whether the template names `steps`, i.e. depends on another step's output.
    pub fn step_ids(&self) -> impl Iterator<Item = &str> {
        self.refs.iter().filter_map(|r| match &r.target {
            Target::Step { id, .. } => Some(id.as_str()),
            _ => None,
        })
    }

    /// Render against `ctx`. Values that are [`UNKNOWN`] stay unknown.
    pub fn render(&self, ctx: &minijinja::Value) -> Result<serde_json::Value, minijinja::Error> {
        match &self.form {
            Form::Literal => Ok(serde_json::Value::String(self.src.clone())),
            Form::Expr(expr) => {
                let value = env().compile_expression(expr)?.eval(ctx)?;
                to_json(&value)
            }
            Form::Mixed => {
                let text = env().render_str(&self.src, ctx)?;
                if text.contains(UNKNOWN) {
                    Ok(serde_json::Value::String(UNKNOWN.to_owned()))
                } else {
                    Ok(serde_json::Value::String(text))
                }
            }
        }
    }
}

/// A template value as JSON; undefined is an error (strict mode).
pub fn to_json(value: &minijinja::Value) -> Result<serde_json::Value, minijinja::Error> {
    if value.is_undefined() {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::UndefinedError,
            "undefined value",
        ));
    }
    serde_json::to_value(value)
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::BadSerialization, e.to_string()))
}

/// Where `src` starts in the file, when the node's text contains it verbatim.
fn source_base(file: &SourceFile, span: Span, src: &str) -> Option<usize> {
    let slice = file.text().get(span.offset..span.offset + span.len)?;
    slice.find(src).map(|i| span.offset + i)
}

fn syntax_diag(
    file: &SourceFile,
    err: &minijinja::Error,
    src: &str,
    start: usize,
    at: &dyn Fn(std::ops::Range<usize>) -> Span,
    span: Span,
) -> Diag {
    // minijinja's range is in bytes and may end inside a multi-byte character.
    let pos = err.range().map_or(span, |r| {
        let mut a = (r.start + start).min(src.len());
        let mut b = (r.end + start).clamp(a, src.len());
        while !src.is_char_boundary(a) {
            a -= 1;
        }
        while !src.is_char_boundary(b) {
            b += 1;
        }
        at(a..b)
    });
    let detail = err.detail().unwrap_or("invalid syntax");
    Diag::at(
        file,
        pos,
        format!("template syntax error: {detail}"),
        "in this template",
    )
    .help("templates are minijinja: `{{ steps.<id>.id }}`, `{{ inputs.<name> }}`")
}

/// The inner expression when `src` is exactly one `{{ ... }}`.
fn single_expression(src: &str) -> Option<&str> {
    let t = src.trim();
    let inner = t.strip_prefix("{{")?.strip_suffix("}}")?;
    let inner = inner.strip_prefix('-').unwrap_or(inner);
    let inner = inner.strip_suffix('-').unwrap_or(inner);
    if inner.contains("{{") || inner.contains("}}") || inner.contains("{%") {
        return None;
    }
    Some(inner.trim())
}

fn find_word(src: &str, word: &str) -> Option<usize> {
    let re = Regex::new(&format!(r"\b{}\b", regex::escape(word))).ok()?;
    re.find(src).map(|m| m.start())
}

fn ref_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"(?x)
            \b(?P<root>steps|inputs|tenant|env|item|key)\b
            (?:\s*\.\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*))?
            (?:\s*\[\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<num>\d+))\s*\])?
            (?:\s*\.\s*(?P<field>[A-Za-z_][A-Za-z0-9_]*))?"#,
        )
        .unwrap_or_else(|_| unreachable!("the reference regex is valid"))
    })
}

/// References inside the `{{ }}` and `{% %}` regions of `src`.
fn scan_refs(src: &str, at: &dyn Fn(std::ops::Range<usize>) -> Span) -> Vec<Ref> {
    let mut refs = Vec::new();
    for (start, end) in tag_regions(src) {
        let region = &src[start..end];
        for caps in ref_regex().captures_iter(region) {
            let Some(whole) = caps.get(0) else { continue };
            // `.id` after another name (e.g. `x.steps`) is an attribute, not a root.
            let before = region[..whole.start()].trim_end();
            if before.ends_with('.') {
                continue;
            }
            let name = caps.name("name").map(|m| m.as_str().to_owned());
            let key = caps
                .name("dq")
                .or(caps.name("sq"))
                .or(caps.name("num"))
                .map(|m| m.as_str().to_owned());
            let field = caps.name("field").map(|m| m.as_str().to_owned());
            let target = match &caps["root"] {
                "steps" => match (name, key) {
                    (Some(id), key) => Target::Step { id, key, field },
                    // `steps["servers"].id` names the step by subscript.
                    (None, Some(id)) => Target::Step {
                        id,
                        key: None,
                        field,
                    },
                    (None, None) => continue,
                },
                "inputs" => match name {
                    Some(n) => Target::Input(n),
                    None => continue,
                },
                "tenant" => Target::Tenant(name),
                "env" => match name {
                    Some(n) => Target::Env(n),
                    None => continue,
                },
                "item" => Target::Item,
                _ => Target::Key,
            };
            let range = start + whole.start()..start + whole.end();
            refs.push(Ref {
                target,
                span: at(range),
            });
        }
    }
    refs
}

/// Byte ranges of the insides of `{{ }}` and `{% %}` tags.
fn tag_regions(src: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(rel) = src[i..].find('{') {
        let open = i + rel;
        let close = match src.get(open + 1..open + 2) {
            Some("{") => "}}",
            Some("%") => "%}",
            _ => {
                i = open + 1;
                continue;
            }
        };
        let inner_start = open + 2;
        match src[inner_start..].find(close) {
            Some(len) => {
                out.push((inner_start, inner_start + len));
                i = inner_start + len + 2;
            }
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Result<Template, Diag> {
        let text = format!("v: \"{src}\"\n");
        let file = SourceFile::new("t.yaml", text.clone());
        Template::parse(&file, Span::new(3, text.len() - 4), src)
    }

    #[test]
    fn single_expression_keeps_type() {
        let t = parse("{{ inputs.admins }}").unwrap();
        assert_eq!(t.form, Form::Expr("inputs.admins".into()));
        let ctx = minijinja::context! { inputs => minijinja::context!{ admins => vec!["a", "b"] } };
        assert_eq!(t.render(&ctx).unwrap(), serde_json::json!(["a", "b"]));
    }

    #[test]
    fn mixed_renders_to_string() {
        let t = parse("net-{{ inputs.n }}").unwrap();
        assert_eq!(t.form, Form::Mixed);
        let ctx = minijinja::context! { inputs => minijinja::context!{ n => 3 } };
        assert_eq!(t.render(&ctx).unwrap(), serde_json::json!("net-3"));
    }

    #[test]
    fn references_are_found_with_positions() {
        let t = parse("{{ steps.servers.id }}-{{ steps.users[\"a b\"].id }}").unwrap();
        assert_eq!(
            t.refs[0].target,
            Target::Step {
                id: "servers".into(),
                key: None,
                field: Some("id".into())
            }
        );
        assert_eq!(t.refs[0].span.offset, 4 + 3);
        assert_eq!(
            t.refs[1].target,
            Target::Step {
                id: "users".into(),
                key: Some("a b".into()),
                field: Some("id".into())
            }
        );
    }

    #[test]
    fn a_subscripted_step_is_a_reference() {
        let t = parse("{{ steps['servers'].id }}").unwrap();
        assert_eq!(
            t.refs[0].target,
            Target::Step {
                id: "servers".into(),
                key: None,
                field: Some("id".into())
            }
        );
    }

    #[test]
    fn strict_undefined_is_an_error() {
        let t = parse("{{ inputs.missing }}").unwrap();
        let ctx = minijinja::context! { inputs => minijinja::context!{} };
        assert!(t.render(&ctx).is_err());
    }

    #[test]
    fn unknown_root_and_syntax_errors() {
        let e = parse("{{ input.x }}").unwrap_err();
        assert!(e.message.contains("unknown variable `input`"), "{e}");
        assert_eq!(e.help.as_deref(), Some("did you mean `inputs`?"));
        let e = parse("{{ steps.x.id ").unwrap_err();
        assert!(e.message.starts_with("template syntax error"), "{e}");
    }

    #[test]
    fn reparse_agrees_with_parse() {
        for src in [
            "plain",
            "{{ steps.servers.id }}",
            "net-{{ inputs.n }}-{{ item }}",
            "{% if tenant.id %}x{% endif %}",
        ] {
            let parsed = parse(src).unwrap();
            let text = format!("v: \"{src}\"\n");
            let file = SourceFile::new("t.yaml", text);
            assert_eq!(Template::reparse(&file, parsed.span, src), parsed, "{src}");
        }
    }

    #[test]
    fn syntax_error_spans_whole_characters() {
        let src = "{{ é }}";
        let e = parse(src).unwrap_err();
        let text = e.file.as_ref().unwrap().text();
        let span = e.labels[0].span;
        assert_eq!(&text[span.offset..span.offset + span.len], "é", "{e}");
    }
}
