//! Templates: `{{ ... }}` strings inside playbook values.
//!
//! Input: a string node of the playbook. Output: a [`Template`] that knows its form (plain
//! text, a single expression that keeps its type, or text mixed with expressions) and every
//! [`Ref`] it makes (`steps.<id>.<field>`, `inputs.<name>`, `tenant.<field>`, `item`, `key`,
//! `env.<NAME>`, and uses of `steps` that name no step literally), each with its span in the
//! source, so references become graph edges and errors point at them. The references are
//! read from minijinja's syntax tree ([`scan`]). Rendering uses minijinja with strict
//! undefined: a reference to anything missing is an error, never an empty string.

mod scan;

use minijinja::{Environment, UndefinedBehavior};
use regex::Regex;
use std::sync::OnceLock;

use crate::diag::source::{SourceFile, Span};
use crate::diag::{Diag, did_you_mean};

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
        key: Option<InstanceKey>,
        field: Option<String>,
    },
    /// `steps` used other than through a literal path: which steps it reads cannot be told.
    StepsDynamic(Dynamic),
    Input(String),
    /// `inputs` used other than through a literal name (`inputs[name]`, a loop over it).
    InputsDynamic,
    Tenant(Option<String>),
    Item,
    Key,
    Env(String),
}

/// The instance key of `steps.<id>[...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstanceKey {
    /// `steps.users["a@x.example"]`.
    Literal(String),
    /// `steps.users[item]`: some instance, chosen when the template renders.
    Computed,
}

/// A use of `steps` that names no step literally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dynamic {
    /// `steps[<expression>]`; `suggest` is the literal path when the expression is a constant
    /// (`steps['boot' ~ 'strap'].key` → `steps.bootstrap.key`).
    Subscript { suggest: Option<String> },
    /// `{% set s = steps %}`, `{% with s = steps %}`.
    Assigned,
    /// `{% for s in steps %}`.
    Iterated,
    /// `steps | tojson`, `dict(s=steps)`: what it is passed to.
    Passed(String),
    /// `steps` as a whole value anywhere else.
    Whole,
}

impl Dynamic {
    /// What is wrong, as the start of a sentence, and what to write instead.
    pub fn explain(&self) -> (String, String) {
        const LITERAL: &str = "name the step and the field literally where the value is used: \
                               `steps.<id>.<field>` (or `steps[\"<id>\"].<field>`)";
        match self {
            Dynamic::Subscript { suggest: Some(s) } => (
                "a computed subscript of `steps`".to_owned(),
                format!("write `{s}`"),
            ),
            Dynamic::Subscript { suggest: None } => (
                "a computed subscript of `steps`".to_owned(),
                LITERAL.to_owned(),
            ),
            Dynamic::Assigned => (
                "`steps` assigned to a variable".to_owned(),
                LITERAL.to_owned(),
            ),
            Dynamic::Iterated => ("a loop over `steps`".to_owned(), LITERAL.to_owned()),
            Dynamic::Passed(to) => (format!("`steps` passed whole to {to}"), LITERAL.to_owned()),
            Dynamic::Whole => ("`steps` used as a whole".to_owned(), LITERAL.to_owned()),
        }
    }
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
pub const ROOTS: &[&str] = &["inputs", "tenant", "steps", "item", "key", "env", "imports"];

/// Where a template names `steps`, `inputs` or `imports` by a literal path (see
/// [`Template::heads`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    /// `steps`, `inputs` or `imports`.
    pub root: String,
    /// The literal segments that name the object: a step id, an input name, an import id and
    /// one of its outputs. Fewer when the path is computed.
    pub names: Vec<String>,
    /// Byte range in the template's source, from the variable to the end of `names`.
    pub range: std::ops::Range<usize>,
}

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
        let at = |range: std::ops::Range<usize>| match base {
            Some(b) => Span::new(b + range.start, range.len()),
            None => span,
        };
        Self::parse_at(file, span, src, &at)
    }

    /// Where `src` names `steps`, `inputs` or `imports` by a literal path, in source order.
    pub fn heads(&self) -> Vec<Head> {
        match self.form {
            Form::Literal => Vec::new(),
            _ => scan::heads(&self.src),
        }
    }

    /// [`Template::parse`] with the place in `file` of each byte range of `src` given by `at`:
    /// for a template rewritten from another (a module's, whose names the playbook's replace).
    pub fn parse_at(
        file: &SourceFile,
        span: Span,
        src: &str,
        at: &dyn Fn(std::ops::Range<usize>) -> Span,
    ) -> Result<Template, Diag> {
        if !src.contains("{{") && !src.contains("{%") && !src.contains("{#") {
            return Ok(Template {
                src: src.to_owned(),
                span,
                form: Form::Literal,
                refs: Vec::new(),
            });
        }
        let tmpl = env()
            .template_from_str(src)
            .map_err(|e| syntax_diag(file, &e, src, 0, at, span))?;
        let form = match single_expression(src) {
            Some(expr) => {
                // `expr` is a slice of `src`; error ranges are relative to it.
                let start = expr.as_ptr() as usize - src.as_ptr() as usize;
                env()
                    .compile_expression(expr)
                    .map_err(|e| syntax_diag(file, &e, src, start, at, span))?;
                Form::Expr(expr.to_owned())
            }
            None => Form::Mixed,
        };
        let refs = scan::scan(src, at);
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
                scan::scan(src, &|range: std::ops::Range<usize>| match base {
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
pub(crate) fn source_base(file: &SourceFile, span: Span, src: &str) -> Option<usize> {
    file.at(span).find(src).map(|i| span.offset + i)
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
                key: Some(InstanceKey::Literal("a b".into())),
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
