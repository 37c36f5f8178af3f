//! The references of a template, read from minijinja's syntax tree.
//!
//! Input: a template's source (accepted by minijinja). Output: every [`Ref`] it makes, with
//! its byte range in the source. An access to `steps` is resolved only when it is a literal
//! path: attribute names and constant subscripts (`steps.servers.id`,
//! `steps["users"]["a@x"].id`). Any other use of the `steps` variable (a computed subscript,
//! `steps` assigned to a variable with `set` or `with`, a loop over it, `steps` passed whole
//! to a filter, test or function) cannot be resolved and is a [`Target::StepsDynamic`], so
//! that the secret check can refuse what it cannot see through. Names inside string literals
//! are text, never references.

use minijinja::machinery::ast::{self, CallArg, Expr, Stmt};
use std::ops::Range;

use super::{Dynamic, InstanceKey, Ref, Target};
use crate::diag::source::Span;

/// The references of `src`; none when it does not parse (its errors are reported elsewhere).
pub(super) fn scan(src: &str, at: &dyn Fn(Range<usize>) -> Span) -> Vec<Ref> {
    let Ok(tree) = minijinja::machinery::parse(src, "<template>", Default::default()) else {
        return Vec::new();
    };
    let mut walker = Walker {
        at,
        src,
        len: src.len(),
        refs: Vec::new(),
        heads: Vec::new(),
    };
    walker.stmt(&tree);
    walker.refs.sort_by_key(|r| r.span.offset);
    walker.refs
}

/// Where `src` names `steps`, `inputs` or `imports`: the byte range from the variable to the
/// end of the segments that name the object (`steps.servers`, `inputs.name`,
/// `imports.base.servers_id`), so a module's names can be replaced by the playbook's. A use
/// with fewer literal segments than that has the variable's own range.
pub(super) fn heads(src: &str) -> Vec<super::Head> {
    let Ok(tree) = minijinja::machinery::parse(src, "<template>", Default::default()) else {
        return Vec::new();
    };
    let at = |r: Range<usize>| Span::new(r.start, r.len());
    let mut walker = Walker {
        at: &at,
        src,
        len: src.len(),
        refs: Vec::new(),
        heads: Vec::new(),
    };
    walker.stmt(&tree);
    walker.heads.sort_by_key(|h| h.range.start);
    walker.heads.dedup_by_key(|h| h.range.start);
    walker.heads
}

/// How an expression's value is used, for the message about a `steps` that cannot be resolved.
#[derive(Clone)]
enum Use {
    Read,
    Assigned,
    Iterated,
    Passed(String),
}

struct Walker<'a> {
    at: &'a dyn Fn(Range<usize>) -> Span,
    src: &'a str,
    len: usize,
    refs: Vec<Ref>,
    heads: Vec<super::Head>,
}

/// One step of an access path: `.name` or `[expression]`.
enum Seg<'t, 's> {
    Attr(&'s str),
    Item(&'t Expr<'s>),
}

impl<'t, 's> Seg<'t, 's> {
    /// The segment as a name, when it is an attribute or a literal subscript.
    fn name(&self) -> Option<String> {
        match self {
            Seg::Attr(n) => Some((*n).to_owned()),
            Seg::Item(Expr::Const(c)) => key_text(&c.value),
            Seg::Item(_) => None,
        }
    }
}

/// A subscript value as a key: `"a b"`, `'x'`, `0`.
fn key_text(v: &minijinja::Value) -> Option<String> {
    match v.as_str() {
        Some(s) => Some(s.to_owned()),
        None if v.is_number() => Some(v.to_string()),
        None => None,
    }
}

impl Walker<'_> {
    fn push(&mut self, target: Target, span: minijinja::machinery::Span) {
        let start = (span.start_offset as usize).min(self.len);
        let end = (span.end_offset as usize).clamp(start, self.len);
        self.push_range(target, start..end);
    }

    fn push_range(&mut self, target: Target, range: Range<usize>) {
        self.refs.push(Ref {
            target,
            span: (self.at)(range),
        });
    }

    fn stmts(&mut self, body: &[Stmt<'_>]) {
        for s in body {
            self.stmt(s);
        }
    }

    #[allow(unreachable_patterns)] // statements of minijinja features this build leaves out
    fn stmt(&mut self, stmt: &Stmt<'_>) {
        match stmt {
            Stmt::Template(t) => self.stmts(&t.children),
            Stmt::EmitExpr(e) => self.expr(&e.expr, &Use::Read),
            Stmt::EmitRaw(_) => {}
            Stmt::ForLoop(f) => {
                self.expr(&f.iter, &Use::Iterated);
                if let Some(e) = &f.filter_expr {
                    self.expr(e, &Use::Read);
                }
                self.stmts(&f.body);
                self.stmts(&f.else_body);
            }
            Stmt::IfCond(c) => {
                self.expr(&c.expr, &Use::Read);
                self.stmts(&c.true_body);
                self.stmts(&c.false_body);
            }
            Stmt::WithBlock(w) => {
                for (_, value) in &w.assignments {
                    self.expr(value, &Use::Assigned);
                }
                self.stmts(&w.body);
            }
            Stmt::Set(s) => {
                self.expr(&s.expr, &Use::Assigned);
                // `{% set ns.x = ... %}`: the namespace is read.
                if !matches!(s.target, Expr::Var(_)) {
                    self.expr(&s.target, &Use::Read);
                }
            }
            Stmt::SetBlock(s) => {
                if let Some(f) = &s.filter {
                    self.expr(f, &Use::Read);
                }
                self.stmts(&s.body);
            }
            Stmt::AutoEscape(a) => {
                self.expr(&a.enabled, &Use::Read);
                self.stmts(&a.body);
            }
            Stmt::FilterBlock(f) => {
                self.expr(&f.filter, &Use::Read);
                self.stmts(&f.body);
            }
            Stmt::Do(d) => self.call(&d.call, &Use::Read),
            // Macros, imports and loop controls are not enabled in this build (a template
            // using them does not parse); should they ever be, a statement this walker does
            // not know is a use of `steps` it cannot resolve.
            _ => self.push_range(Target::StepsDynamic(Dynamic::Whole), 0..self.len),
        }
    }

    fn expr(&mut self, e: &Expr<'_>, use_: &Use) {
        match e {
            Expr::Var(v) => {
                self.head(v.id, &[], &[], e.span());
                self.root(v.id, &[], e.span(), use_);
            }
            Expr::GetAttr(_) | Expr::GetItem(_) => {
                let (base, segs, ends) = path(e);
                match base {
                    // minijinja's span of a path may start at its last segment: from the
                    // variable to the end of the path.
                    Expr::Var(v) => {
                        let mut span = base.span();
                        self.head(v.id, &segs, &ends, span);
                        span.end_offset = e.span().end_offset.max(span.end_offset);
                        self.root(v.id, &segs, span, use_);
                    }
                    other => self.expr(other, &Use::Read),
                }
                for s in &segs {
                    if let Seg::Item(i) = s {
                        self.expr(i, &Use::Read);
                    }
                }
            }
            Expr::Const(_) => {}
            Expr::Slice(s) => {
                self.expr(&s.expr, &Use::Read);
                for part in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                    self.expr(part, &Use::Read);
                }
            }
            Expr::UnaryOp(u) => self.expr(&u.expr, &Use::Read),
            Expr::BinOp(b) => {
                self.expr(&b.left, &Use::Read);
                self.expr(&b.right, &Use::Read);
            }
            Expr::Compare(c) => {
                self.expr(&c.expr, &Use::Read);
                for op in &c.ops {
                    self.expr(&op.expr, &Use::Read);
                }
            }
            Expr::IfExpr(i) => {
                self.expr(&i.test_expr, &Use::Read);
                self.expr(&i.true_expr, use_);
                if let Some(f) = &i.false_expr {
                    self.expr(f, use_);
                }
            }
            Expr::Filter(f) => {
                let passed = Use::Passed(format!("the filter `{}`", f.name));
                if let Some(inner) = &f.expr {
                    self.expr(inner, &passed);
                }
                self.args(&f.args, &passed);
            }
            Expr::Test(t) => {
                let passed = Use::Passed(format!("the test `{}`", t.name));
                self.expr(&t.expr, &passed);
                self.args(&t.args, &passed);
            }
            Expr::Call(c) => self.call(c, use_),
            Expr::List(l) => l.items.iter().for_each(|i| self.expr(i, use_)),
            Expr::Tuple(t) => t.items.iter().for_each(|i| self.expr(i, use_)),
            Expr::Map(m) => {
                for (k, v) in m.keys.iter().zip(&m.values) {
                    self.expr(k, &Use::Read);
                    self.expr(v, use_);
                }
            }
        }
    }

    fn call(&mut self, c: &ast::Call<'_>, use_: &Use) {
        // A method call (`steps.x.key.upper()`) reads the path it is called on.
        self.expr(&c.expr, use_);
        let name = match &c.expr {
            Expr::Var(v) => format!("the function `{}`", v.id),
            _ => "a method".to_owned(),
        };
        self.args(&c.args, &Use::Passed(name));
    }

    fn args(&mut self, args: &[CallArg<'_>], use_: &Use) {
        for a in args {
            match a {
                CallArg::Pos(e) | CallArg::Kwarg(_, e) | CallArg::PosSplat(e) => {
                    self.expr(e, use_);
                }
                CallArg::KwargSplat(e) => self.expr(e, use_),
            }
        }
    }

    /// The head of a path from `steps`, `inputs` or `imports` ([`heads`]); `ends` are the end
    /// offsets of the segments' expressions.
    fn head(
        &mut self,
        name: &str,
        segs: &[Seg<'_, '_>],
        ends: &[u32],
        var: minijinja::machinery::Span,
    ) {
        let depth = match name {
            "steps" | "inputs" => 1,
            "imports" => 2,
            _ => return,
        };
        let start = (var.start_offset as usize).min(self.len);
        // Only a path written from the variable on (`steps.x`, `steps["x"]`) names the object
        // where it stands: `(steps).x` is read as a whole.
        let after = self.src.get(var.end_offset as usize..).unwrap_or("");
        let literal = self.src.get(start..).is_some_and(|s| s.starts_with(name))
            && after.starts_with(['.', '[']);
        let names: Vec<String> = match literal {
            true => segs.iter().map_while(Seg::name).take(depth).collect(),
            false => Vec::new(),
        };
        let end = match names.len() {
            n if n == depth => ends[n - 1] as usize,
            _ => var.end_offset as usize,
        }
        .clamp(start, self.len);
        self.heads.push(super::Head {
            root: name.to_owned(),
            names,
            range: start..end,
        });
    }

    /// A variable, with the path read from it.
    fn root(
        &mut self,
        name: &str,
        segs: &[Seg<'_, '_>],
        span: minijinja::machinery::Span,
        use_: &Use,
    ) {
        let first = segs.first().and_then(Seg::name);
        let target = match name {
            "steps" => match (segs.first(), first) {
                (Some(_), Some(id)) => step(id, &segs[1..]),
                (Some(Seg::Item(e)), None) => Target::StepsDynamic(Dynamic::Subscript {
                    suggest: suggestion(e, &segs[1..]),
                }),
                _ => Target::StepsDynamic(match use_ {
                    Use::Read => Dynamic::Whole,
                    Use::Assigned => Dynamic::Assigned,
                    Use::Iterated => Dynamic::Iterated,
                    Use::Passed(to) => Dynamic::Passed(to.clone()),
                }),
            },
            "inputs" => match first {
                Some(n) => Target::Input(n),
                None => Target::InputsDynamic,
            },
            "env" => match first {
                Some(n) => Target::Env(n),
                None => return,
            },
            "tenant" => Target::Tenant(first),
            "item" => Target::Item,
            "key" => Target::Key,
            _ => return,
        };
        self.push(target, span);
    }
}

/// `steps.<id>` followed by `rest`: an instance key (a subscript), then a field.
fn step(id: String, rest: &[Seg<'_, '_>]) -> Target {
    let (key, fields) = match rest.first() {
        Some(seg @ Seg::Item(_)) => (
            Some(
                seg.name()
                    .map_or(InstanceKey::Computed, InstanceKey::Literal),
            ),
            &rest[1..],
        ),
        _ => (None, rest),
    };
    // A computed field name is not a field onboard can check: the whole object is read.
    let field = fields.first().and_then(Seg::name);
    Target::Step { id, key, field }
}

/// What to write instead of a computed subscript of `steps`, when it is a constant
/// expression (`steps['boot' ~ 'strap'].key` → `steps.bootstrap.key`).
fn suggestion(subscript: &Expr<'_>, rest: &[Seg<'_, '_>]) -> Option<String> {
    let id = key_text(&subscript.as_const()?)?;
    let ident = |s: &str| {
        s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if !ident(&id) {
        return None;
    }
    let mut out = format!("steps.{id}");
    for seg in rest {
        match (seg, seg.name()) {
            (Seg::Attr(n), _) => out.push_str(&format!(".{n}")),
            (Seg::Item(_), Some(k)) => out.push_str(&format!("[{k:?}]")),
            (Seg::Item(_), None) => break,
        }
    }
    Some(out)
}

/// The innermost expression of an access path, the path's segments (outermost last) and the
/// end offset of each segment's expression.
fn path<'t, 's>(e: &'t Expr<'s>) -> (&'t Expr<'s>, Vec<Seg<'t, 's>>, Vec<u32>) {
    let mut segs = Vec::new();
    let mut ends = Vec::new();
    let mut cur = e;
    loop {
        match cur {
            Expr::GetAttr(g) => {
                segs.push(Seg::Attr(g.name));
                ends.push(cur.span().end_offset);
                cur = &g.expr;
            }
            Expr::GetItem(g) => {
                segs.push(Seg::Item(&g.subscript_expr));
                ends.push(cur.span().end_offset);
                cur = &g.expr;
            }
            _ => break,
        }
    }
    segs.reverse();
    ends.reverse();
    (cur, segs, ends)
}

#[cfg(test)]
mod tests {
    use super::super::{Dynamic, InstanceKey, Target, Template};
    use crate::diag::source::{SourceFile, Span};

    fn targets(src: &str) -> Vec<Target> {
        let text = format!("v: '{src}'\n");
        let file = SourceFile::new("t.yaml", text.clone());
        let t = Template::parse(&file, Span::new(3, text.len() - 4), src)
            .unwrap_or_else(|e| panic!("{src}: {e}"));
        t.refs.into_iter().map(|r| r.target).collect()
    }

    fn step(id: &str, key: Option<InstanceKey>, field: Option<&str>) -> Target {
        Target::Step {
            id: id.into(),
            key,
            field: field.map(Into::into),
        }
    }

    #[test]
    fn literal_paths_name_their_step() {
        assert_eq!(
            targets("{{ steps.k.key | upper }}"),
            [step("k", None, Some("key"))]
        );
        assert_eq!(
            targets(r#"{{ steps["k"]["key"][0:4] }}"#),
            [step("k", Some(InstanceKey::Literal("key".into())), None)]
        );
        assert_eq!(
            targets("{{ steps.users[item].id }}"),
            [
                step("users", Some(InstanceKey::Computed), Some("id")),
                Target::Item
            ]
        );
        assert_eq!(
            targets("{{ steps.k.key.upper() }}"),
            [step("k", None, Some("key"))]
        );
        assert_eq!(
            targets("{% set s = steps.k %}{{ s.key }}"),
            [step("k", None, None)]
        );
    }

    #[test]
    fn uses_of_steps_that_name_no_step_are_dynamic() {
        let subscript = |s: Option<&str>| {
            Target::StepsDynamic(Dynamic::Subscript {
                suggest: s.map(Into::into),
            })
        };
        assert_eq!(
            targets("{{ steps['boot' ~ 'strap'].key | upper }}"),
            [subscript(Some("steps.bootstrap.key"))]
        );
        assert_eq!(
            targets("{{ steps[inputs.which].key }}"),
            [subscript(None), Target::Input("which".into())]
        );
        let assigned = Target::StepsDynamic(Dynamic::Assigned);
        assert_eq!(
            targets("{% set s = steps %}{{ s.b.key }}"),
            std::slice::from_ref(&assigned)
        );
        assert_eq!(
            targets("{% with s = [steps] %}{{ s[0].b.key }}{% endwith %}"),
            [assigned]
        );
        assert_eq!(
            targets("{% for s in steps|items %}{{ s }}{% endfor %}"),
            [Target::StepsDynamic(Dynamic::Passed(
                "the filter `items`".into()
            ))]
        );
        assert_eq!(
            targets("{% for v in steps %}{{ v }}{% endfor %}"),
            [Target::StepsDynamic(Dynamic::Iterated)]
        );
        assert_eq!(
            targets("{{ steps ~ '' }}"),
            [Target::StepsDynamic(Dynamic::Whole)]
        );
    }

    #[test]
    fn heads_end_after_the_segments_that_name_the_object() {
        let src = r#"{{ steps.servers.id ~ inputs["name"] ~ imports.base.out.x }} {{ steps[x].id }} {{ (steps).y }}"#;
        let found: Vec<(String, Vec<String>, &str)> = super::heads(src)
            .into_iter()
            .map(|h| (h.root, h.names, &src[h.range]))
            .collect();
        let names = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            found,
            [
                ("steps".into(), names(&["servers"]), "steps.servers"),
                ("inputs".into(), names(&["name"]), r#"inputs["name"]"#),
                (
                    "imports".into(),
                    names(&["base", "out"]),
                    "imports.base.out"
                ),
                ("steps".into(), names(&[]), "steps"),
                ("steps".into(), names(&[]), "steps"),
            ]
        );
    }

    #[test]
    fn names_inside_string_literals_are_text() {
        assert!(targets("{{ 'steps.k.key' }}").is_empty());
        assert!(targets("{% raw %}{{ steps.k.key }}{% endraw %}").is_empty());
        assert!(targets("{# steps.k.key #}x").is_empty());
    }

    #[test]
    fn functions_and_macros_are_not_available() {
        let file = SourceFile::new("t.yaml", "v: x\n".to_owned());
        for src in [
            "{{ debug() }}",
            "{{ namespace(s=steps).s.k.key }}",
            "{% macro m(s) %}{{ s.k.key }}{% endmacro %}{{ m(steps) }}",
            "{% include 'x' %}",
        ] {
            assert!(
                Template::parse(&file, Span::new(3, 1), src).is_err(),
                "{src}"
            );
        }
    }
}
