//! Modules: a playbook built from files.
//!
//! Input: the playbook's [`SourceFile`]. Output: one composed [`Playbook`], in which every
//! module's steps are the playbook's own, named by their import (`base.servers`), or every
//! error of every file, each located in its file and naming the chain of imports that brought
//! the file in.
//!
//! A module is a file with a `module: {name, version}` block and no tenant block. A file
//! imports modules with `imports:` (`id`, `source` relative to the file, `version` a semver
//! requirement, `with` the module's inputs, `when`). A module's templates name only what is
//! its own: `steps.<id>` its steps, `inputs.<name>` its inputs, `imports.<id>.<output>` the
//! outputs of what it imports. Composing rewrites them into the playbook's names:
//! `steps.servers` in import `base` becomes `steps["base.servers"]`; `inputs.name` becomes the
//! expression the import's `with` gives it (or its default); `imports.base.servers_id` the
//! module's output expression. The rest of the pipeline (the graph, the plan, the state)
//! sees one playbook. An import's `when` guards every step it brings in.

use indexmap::IndexMap;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::diag::source::{SourceFile, Span};
use crate::diag::{Diag, Diags, did_you_mean};
use crate::playbook::inputs::check_value;
use crate::playbook::model::{Guard, ImportDecl, Moved, Namespace, Playbook, Step};
use crate::playbook::parse;
use crate::playbook::template::{Form, Target, Template};
use crate::playbook::yaml::{Key, Node, Value};

/// Parse the playbook in `file` and every module it imports into one playbook.
pub fn compose(file: &SourceFile) -> Result<Playbook, Diags> {
    let root = parse::playbook(file)?;
    if root.imports.is_empty() {
        let mut diags = Diags::new();
        no_imports(&root, &mut diags);
        check_moved(&root, &mut diags);
        return diags.into_result(root);
    }
    let mut loader = Loader {
        has_tenant: root.tenant.is_some(),
        diags: Diags::new(),
        chains: Vec::new(),
        sources: vec![file.clone()],
    };
    let mut stack = vec![canonical(Path::new(file.name()))];
    let unit = loader.unit(root, &mut stack, &[]);
    if !loader.diags.is_empty() {
        return Err(loader.annotate(loader.diags.clone()));
    }
    let mut flat = Flat {
        diags: Diags::new(),
        steps: Vec::new(),
        namespaces: Vec::new(),
        moved: Vec::new(),
        sensitive: (unit.pb.inputs.iter())
            .filter(|(_, d)| d.sensitive)
            .map(|(n, _)| n.clone())
            .collect(),
        checks: Vec::new(),
        strict: false,
    };
    let root_env = flat.emit(&unit, String::new(), None, None, Vec::new());
    let mut playbook = unit.pb.clone();
    if let Some(t) = playbook.tenant.as_mut() {
        let file = unit.pb.file.clone();
        t.name = flat.template(&t.name, &file, &root_env);
        t.domain = flat.template(&t.domain, &file, &root_env);
        let (groups, templates) = flat.node(&t.groups, &file, &root_env);
        t.groups = groups;
        t.group_templates = templates;
    }
    for out in &mut playbook.outputs {
        let (value, templates) = flat.node(&out.value, &unit.pb.file, &root_env);
        out.value = value;
        out.templates = templates;
    }
    playbook.steps = std::mem::take(&mut flat.steps);
    playbook.namespaces = std::mem::take(&mut flat.namespaces);
    playbook.moved = std::mem::take(&mut flat.moved);
    playbook.module_inputs = std::mem::take(&mut flat.checks);
    playbook.sources = loader.sources.clone();
    playbook.step_index = Default::default();
    let mut diags = std::mem::take(&mut flat.diags);
    if diags.is_empty() {
        check_moved(&playbook, &mut diags);
    }
    if diags.is_empty() {
        Ok(playbook)
    } else {
        Err(loader.annotate(diags))
    }
}

/// Where a file is, for telling two imports of one file apart from two files.
fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

/// One `source:` that brought a file in: where, and what (`import `base`
/// (modules/baseline.yaml)`), as [`Namespace::imported_at`] keeps it.
type Link = (SourceFile, Span, String);

/// A file and what it imports, loaded.
struct Unit {
    pb: Playbook,
    children: Vec<(ImportDecl, Unit)>,
    /// The imports that brought this instance in, the playbook's first (none for it).
    chain: Vec<Link>,
}

struct Loader {
    has_tenant: bool,
    diags: Diags,
    /// For each import of a module file, the chain of imports that brought it in.
    chains: Vec<Chain>,
    /// Every file read: the playbook, then each module file once.
    sources: Vec<SourceFile>,
}

impl Loader {
    fn unit(&mut self, pb: Playbook, stack: &mut Vec<PathBuf>, chain: &[Link]) -> Unit {
        let mut children = Vec::new();
        let dir = Path::new(pb.file.name())
            .parent()
            .map(Path::to_owned)
            .unwrap_or_default();
        for imp in &pb.imports {
            if let Some(step) = pb.steps.iter().find(|s| s.id == imp.id) {
                let (line, _) = pb.file.line_col(step.id_span.offset);
                self.diags.push(
                    Diag::at(
                        &pb.file,
                        imp.id_span,
                        format!("import id `{}` is also a step's id", imp.id),
                        "a step has this id",
                    )
                    .label(step.id_span, "the step")
                    .help(format!(
                        "an import's id names its steps (`{0}.<id>`) and `depends_on: [{0}]` \
                         waits for all of them: rename the import or the step (line {line})",
                        imp.id
                    )),
                );
            }
            let path = dir.join(&imp.source);
            let canon = canonical(&path);
            if let Some(pos) = stack.iter().position(|p| *p == canon) {
                self.diags.push(cycle(&pb.file, imp, &stack[pos..], &canon));
                continue;
            }
            let link = (
                pb.file.clone(),
                imp.source_span,
                format!("import `{}` ({})", imp.id, imp.source),
            );
            let file = match self.read(&path, &canon) {
                Ok(f) => f,
                Err(reason) => {
                    self.diags.push(
                        Diag::at(
                            &pb.file,
                            imp.source_span,
                            format!("cannot read module `{}`: {reason}", imp.source),
                            "no module here",
                        )
                        .help(format!(
                            "`source:` is relative to the importing file, so this is {}",
                            path.display()
                        )),
                    );
                    continue;
                }
            };
            let mut child_chain = chain.to_vec();
            child_chain.push(link);
            self.chains.push((file.clone(), child_chain.clone()));
            let child = match parse::imported(&file, self.has_tenant) {
                Ok(p) => p,
                Err(d) => {
                    self.diags.extend(d);
                    continue;
                }
            };
            if !self.module(&pb.file, imp, &child) {
                continue;
            }
            stack.push(canon);
            let unit = self.unit(child, stack, &child_chain);
            stack.pop();
            children.push((imp.clone(), unit));
        }
        Unit {
            pb,
            children,
            chain: chain.to_vec(),
        }
    }

    /// The file at `path`, read once however often it is imported.
    fn read(&mut self, path: &Path, canon: &Path) -> Result<SourceFile, String> {
        if let Some(f) = self
            .sources
            .iter()
            .find(|f| canonical(Path::new(f.name())) == canon)
        {
            return Ok(f.clone());
        }
        let file = crate::playbook::inventory::read(path).map_err(|d| {
            let m = d.message;
            match m.rsplit_once(": ") {
                Some((_, reason)) => reason.to_owned(),
                None => m,
            }
        })?;
        self.sources.push(file.clone());
        Ok(file)
    }

    /// Whether `child` is a module `imp` may import: its version meets the requirement, and
    /// `with` gives its inputs and nothing else. Every problem is recorded.
    fn module(&mut self, file: &SourceFile, imp: &ImportDecl, child: &Playbook) -> bool {
        let Some(m) = &child.module else {
            self.diags.push(
                Diag::at(
                    file,
                    imp.source_span,
                    format!("`{}` is not a module", imp.source),
                    "a playbook, not a module",
                )
                .help(
                    "a module declares itself with `module: { name: baseline, version: 1.0.0 }` \
                     and has no tenant block",
                ),
            );
            return false;
        };
        let mut ok = true;
        if let Some((req, span)) = &imp.version
            && !req.matches(&m.version)
        {
            ok = false;
            self.diags.push(
                Diag::at(
                    file,
                    *span,
                    format!(
                        "module `{}` is version {}, which does not meet `{req}`",
                        m.name, m.version
                    ),
                    "requirement not met",
                )
                .help(format!(
                    "{} declares version {}: require a version it meets (e.g. `{}`), or use \
                     a version of the module that meets `{req}`",
                    child.file.location(m.span),
                    m.version,
                    match m.version.pre.is_empty() {
                        true => format!("^{}.{}", m.version.major, m.version.minor),
                        // A pre-release meets only requirements that name one.
                        false => format!("={}", m.version),
                    }
                )),
            );
        }
        let given: &[(Key, Node)] = imp.with.as_ref().and_then(Node::as_map).unwrap_or_default();
        for (key, value) in given {
            let Some(decl) = child.inputs.get(&key.name) else {
                ok = false;
                let hint = match did_you_mean(&key.name, child.inputs.keys().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if child.inputs.is_empty() => {
                        format!("module `{}` declares no inputs", m.name)
                    }
                    None => format!(
                        "module `{}` has the inputs {}",
                        m.name,
                        child.inputs.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                };
                self.diags.push(
                    Diag::at(
                        file,
                        key.span,
                        format!("module `{}` has no input `{}`", m.name, key.name),
                        "not an input of the module",
                    )
                    .help(hint),
                );
                continue;
            };
            if !value.strings().iter().any(|(_, s)| is_template(s)) {
                if decl.sensitive {
                    ok = false;
                    self.diags.push(
                        Diag::at(
                            file,
                            value.span,
                            format!(
                                "input `{}` of module `{}` is sensitive: it takes a sensitive \
                                 input of the playbook, not a value written here",
                                key.name, m.name
                            ),
                            "a secret written in a file",
                        )
                        .help(format!(
                            "declare `{0}: {{ type: string, sensitive: true }}` under the \
                             playbook's `inputs:` and write `{0}: \"{{{{ inputs.{0} }}}}\"`",
                            key.name
                        )),
                    );
                } else if let Err(why) = check_value(decl, &value.to_json()) {
                    ok = false;
                    self.diags.push(
                        Diag::at(
                            file,
                            value.span,
                            format!("input `{}` of module `{}` {why}", key.name, m.name),
                            "not what the module takes",
                        )
                        .help(format!("declared at {}", child.file.location(decl.span))),
                    );
                }
            }
        }
        for (name, decl) in &child.inputs {
            if decl.default.is_none() && !given.iter().any(|(k, _)| k.name == *name) {
                ok = false;
                self.diags.push(
                    Diag::at(
                        file,
                        imp.id_span,
                        format!(
                            "import `{}` does not give module `{}` its required input `{name}`",
                            imp.id, m.name
                        ),
                        "missing an input",
                    )
                    .help(format!(
                        "add `{name}: ...` under this import's `with:` ({} declares it, \
                         without a default)",
                        child.file.location(decl.span)
                    )),
                );
            }
        }
        ok
    }

    fn annotate(&self, diags: Diags) -> Diags {
        annotate_with(&self.chains, diags)
    }
}

/// Every error located in a module's file names the imports that brought the file in (each
/// `source:`, the playbook's first); an error found twice (a module imported twice) is
/// reported once.
pub fn annotate(playbook: &Playbook, diags: Diags) -> Diags {
    if playbook.namespaces.is_empty() {
        return diags;
    }
    let chains: Vec<Chain> = playbook
        .namespaces
        .iter()
        .map(|n| (n.file.clone(), n.imported_at.clone()))
        .collect();
    annotate_with(&chains, diags)
}

/// A module file and the imports that brought it in.
type Chain = (SourceFile, Vec<Link>);

fn annotate_with(chains: &[Chain], diags: Diags) -> Diags {
    let mut out = Diags::new();
    let mut seen = std::collections::HashSet::new();
    for d in diags.iter() {
        let key = (d.location(), d.message.clone());
        if !seen.insert(key) {
            continue;
        }
        let mut d = d.clone();
        let mut linked: Vec<(String, Span)> = Vec::new();
        let file = d.file.clone();
        // A file imported more than once: every import that brought it in.
        for (_, links) in chains
            .iter()
            .filter(|(c, _)| file.as_ref().is_some_and(|f| c.same(f)))
        {
            for (file, span, what) in links.iter().rev() {
                if linked.contains(&(file.name().to_owned(), *span)) {
                    continue;
                }
                linked.push((file.name().to_owned(), *span));
                d = d.related(Diag::at(
                    file,
                    *span,
                    format!("in {what}, imported here"),
                    "imported here",
                ));
            }
        }
        out.push(d);
    }
    out.sorted()
}

/// An import that closes a cycle: `stack` is the files from the one imported again to the
/// importing one.
fn cycle(file: &SourceFile, imp: &ImportDecl, stack: &[PathBuf], again: &Path) -> Diag {
    let name = |p: &Path| {
        p.file_name().map_or_else(
            || p.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    };
    let mut path: Vec<String> = stack.iter().map(|p| name(p)).collect();
    path.push(name(again));
    Diag::at(
        file,
        imp.source_span,
        format!("import cycle: {}", path.join(" → ")),
        "imports a file that imports this one",
    )
    .help(
        "a module cannot import, directly or through others, a file that imports it: move what \
         both need into a module they both import",
    )
}

fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

/// What the templates of one file may name, in the composed playbook's terms.
#[derive(Default)]
struct Env {
    /// `base.` for the steps of import `base`; empty for the playbook.
    prefix: String,
    /// The file's step ids.
    steps: Vec<String>,
    /// The file's declared inputs.
    declared: Vec<String>,
    /// In a module, the expression each input stands for (an input without one has an error
    /// of its own). `None` in the playbook: its inputs are the run's.
    values: Option<HashMap<String, String>>,
    /// Import id → (module name, output name → expression).
    outputs: IndexMap<String, (String, BTreeMap<String, String>)>,
    /// The file's import ids.
    imports: Vec<String>,
    /// Import id → the composed ids of every step it brought in.
    members: HashMap<String, Vec<String>>,
    guards: Vec<Guard>,
}

impl Env {
    fn in_module(&self) -> bool {
        self.values.is_some()
    }
}

/// The import ids `imp` reads the outputs of (`imports.<id>.<output>` in its `with` and
/// `when`).
fn reads_imports(imp: &ImportDecl) -> Vec<String> {
    let mut out = Vec::new();
    let with = imp.with.iter().flat_map(|w| w.strings());
    let when = imp.when.iter().map(|t| (t.span, t.src.as_str()));
    for (_, s) in with.chain(when) {
        let t = Template::reparse(&SourceFile::new("", ""), Span::default(), s);
        for h in t.heads() {
            if let ("imports", Some(id)) = (h.root.as_str(), h.names.first())
                && !out.contains(id)
            {
                out.push(id.clone());
            }
        }
    }
    out
}

/// The imports in an order in which each comes after those whose outputs it reads (in
/// declaration order otherwise); imports that read each other are an error at each.
fn import_order(
    file: &SourceFile,
    children: &[(ImportDecl, Unit)],
    diags: &mut Diags,
) -> Vec<usize> {
    let ids: Vec<&str> = children.iter().map(|(i, _)| i.id.as_str()).collect();
    let deps: Vec<Vec<usize>> = children
        .iter()
        .map(|(imp, _)| {
            reads_imports(imp)
                .iter()
                .filter_map(|d| ids.iter().position(|i| i == d))
                .collect()
        })
        .collect();
    let mut order = Vec::new();
    let mut done = vec![false; children.len()];
    loop {
        let next =
            (0..children.len()).find(|&i| !done[i] && deps[i].iter().all(|&d| done[d] && d != i));
        match next {
            Some(i) => {
                done[i] = true;
                order.push(i);
            }
            None => break,
        }
    }
    for (i, (imp, _)) in children.iter().enumerate().filter(|(i, _)| !done[*i]) {
        let others: Vec<String> = deps[i]
            .iter()
            .filter(|&&d| !done[d])
            .map(|&d| format!("`{}`", children[d].0.id))
            .collect();
        diags.push(
            Diag::at(
                file,
                imp.id_span,
                format!(
                    "import `{}` reads the outputs of {}, which read its own",
                    imp.id,
                    others.join(", ")
                ),
                "imports that read each other",
            )
            .help("an import's `with` and `when` may read the outputs of other imports, not of itself through them"),
        );
    }
    order
}

struct Flat {
    diags: Diags,
    steps: Vec<Step>,
    namespaces: Vec<Namespace>,
    moved: Vec<Moved>,
    /// The playbook's sensitive inputs.
    sensitive: Vec<String>,
    /// Module inputs given templates: checked against their declarations once rendered.
    checks: Vec<crate::playbook::model::ModuleInput>,
    /// Rewriting a value the importing file passes (`with`, an import's `when`) or a
    /// module's output: every name must be the file's, and `item`/`key` mean nothing there.
    strict: bool,
}

impl Flat {
    /// Add the steps of `unit` (its imports' first) with the names of the composed playbook;
    /// the environment of its templates is returned, for its outputs.
    fn emit(
        &mut self,
        unit: &Unit,
        prefix: String,
        ns: Option<usize>,
        values: Option<HashMap<String, String>>,
        guards: Vec<Guard>,
    ) -> Env {
        let file = unit.pb.file.clone();
        let mut env = Env {
            prefix: prefix.clone(),
            steps: unit.pb.steps.iter().map(|s| s.id.clone()).collect(),
            declared: unit.pb.inputs.keys().cloned().collect(),
            values,
            imports: unit.children.iter().map(|(i, _)| i.id.clone()).collect(),
            guards,
            ..Env::default()
        };
        for i in import_order(&file, &unit.children, &mut self.diags) {
            let (imp, child) = &unit.children[i];
            let path = format!("{prefix}{}", imp.id);
            let (module, version) = child
                .pb
                .module
                .as_ref()
                .map(|m| (m.name.clone(), m.version.to_string()))
                .unwrap_or_default();
            let mut values = HashMap::new();
            for (name, decl) in &child.pb.inputs {
                let given = imp.with.as_ref().and_then(|w| w.get(name));
                let expr = match (given, &decl.default) {
                    (Some(node), _) => {
                        let (node, templates) = self.value(node, &file, &env);
                        let what = format!("input `{name}` of module `{module}` (import `{path}`)");
                        if !templates.is_empty() {
                            let declared_at = child.pb.file.location(decl.span);
                            self.typed_later(decl, &node, &file, &templates, (what, declared_at));
                        }
                        self.expr(&node, &file)
                    }
                    (None, Some(default)) => Some(literal(default)),
                    (None, None) => None,
                };
                if let Some(e) = expr {
                    values.insert(name.clone(), e);
                }
            }
            let mut child_guards = env.guards.clone();
            if let Some(w) = &imp.when {
                let strict = std::mem::replace(&mut self.strict, true);
                let when = self.template(w, &file, &env);
                self.strict = strict;
                child_guards.push(Guard {
                    file: file.clone(),
                    when,
                });
            }
            let imported_at = child.chain.clone();
            self.namespaces.push(Namespace {
                path: path.clone(),
                file: child.pb.file.clone(),
                module: module.clone(),
                version,
                imported_at,
                parent: ns,
            });
            let index = self.namespaces.len() - 1;
            let first = self.steps.len();
            let child_env = self.emit(
                child,
                format!("{path}."),
                Some(index),
                Some(values),
                child_guards,
            );
            let mut outputs = BTreeMap::new();
            for out in &child.pb.outputs {
                let (node, _) = self.value(&out.value, &child.pb.file, &child_env);
                if let Some(e) = self.expr(&node, &child.pb.file) {
                    outputs.insert(out.name.clone(), e);
                }
            }
            env.outputs.insert(imp.id.clone(), (module, outputs));
            let members = self.steps[first..].iter().map(|s| s.id.clone()).collect();
            env.members.insert(imp.id.clone(), members);
        }
        for step in &unit.pb.steps {
            let mut s = step.clone();
            s.id = format!("{prefix}{}", step.id);
            let (with, templates) = self.node(&step.with, &file, &env);
            s.with = with;
            s.templates = templates;
            if let Some(fe) = s.for_each.as_mut() {
                let (node, templates) = self.node(&fe.node, &file, &env);
                fe.node = node;
                fe.templates = templates;
            }
            s.when = step.when.as_ref().map(|w| self.template(w, &file, &env));
            s.depends_on = self.depends_on(step, &file, &env);
            s.guards = env.guards.clone();
            s.namespace = ns;
            self.steps.push(s);
        }
        for m in &unit.pb.moved {
            self.moved.push(Moved {
                from: format!("{prefix}{}", m.from),
                to: format!("{prefix}{}", m.to),
                ..m.clone()
            });
        }
        env
    }

    /// A value the importing file passes or a module gives back, rewritten: every name in it
    /// must be its file's, and `item` and `key` (a loop's, on the other side) are refused.
    fn value(&mut self, node: &Node, file: &SourceFile, env: &Env) -> (Node, Vec<Template>) {
        let strict = std::mem::replace(&mut self.strict, true);
        let out = self.node(node, file, env);
        self.strict = strict;
        for t in &out.1 {
            for r in &t.refs {
                if matches!(r.target, Target::Item | Target::Key) {
                    self.diags.push(
                        Diag::at(
                            file,
                            r.span,
                            "`item` and `key` exist only inside a step with `for_each`",
                            "not in a for_each",
                        )
                        .help(
                            "a value passed to a module, or a module's output, is outside any \
                             step: pass the list itself and let the module's step loop over it",
                        ),
                    );
                }
            }
        }
        out
    }

    /// A module input given a template: a sensitive one takes only sensitive inputs of the
    /// playbook; any other is checked against its declaration once rendered (the plan).
    fn typed_later(
        &mut self,
        decl: &crate::playbook::model::InputDecl,
        node: &Node,
        file: &SourceFile,
        templates: &[Template],
        (what, declared_at): (String, String),
    ) {
        let inputs: Vec<&str> = templates
            .iter()
            .flat_map(|t| t.refs.iter())
            .filter_map(|r| match &r.target {
                Target::Input(n) => Some(n.as_str()),
                _ => None,
            })
            .collect();
        if decl.sensitive {
            let plain: Vec<&&str> = inputs
                .iter()
                .filter(|n| !self.sensitive.iter().any(|s| s == **n))
                .collect();
            if inputs.is_empty() || !plain.is_empty() {
                let why = match plain.first() {
                    Some(n) => format!("`inputs.{n}` is not sensitive"),
                    None => "it reads no sensitive input".to_owned(),
                };
                self.diags.push(
                    Diag::at(
                        file,
                        node.span,
                        format!("{what} is sensitive, but this value is not a secret: {why}"),
                        "not from a sensitive input",
                    )
                    .help(format!(
                        "pass a sensitive input of the playbook, e.g. `\"{{{{ inputs.{} }}}}\"` \
                         declared `{{ type: string, sensitive: true }}`",
                        decl.name
                    )),
                );
            }
            return;
        }
        self.checks.push(crate::playbook::model::ModuleInput {
            decl: decl.clone(),
            file: file.clone(),
            span: node.span,
            what,
            declared_at,
            value: node.clone(),
        });
    }

    /// `depends_on` with composed ids; an import's id stands for every step it brought in.
    fn depends_on(&mut self, step: &Step, file: &SourceFile, env: &Env) -> Vec<(String, Span)> {
        let mut out = Vec::new();
        for (dep, span) in &step.depends_on {
            if let Some(members) = env.members.get(dep) {
                out.extend(members.iter().map(|m| (m.clone(), *span)));
            } else if env.steps.contains(dep) || (!env.in_module() && !dep.contains('.')) {
                // The playbook's unknown ids are reported by the check, as they always were.
                out.push((format!("{}{dep}", env.prefix), *span));
            } else {
                self.diags.push(unknown_step(file, *span, dep, env));
            }
        }
        out
    }

    /// A value tree with every template rewritten, and its templates.
    fn node(&mut self, node: &Node, file: &SourceFile, env: &Env) -> (Node, Vec<Template>) {
        let mut templates = Vec::new();
        let node = self.rewrite_node(node, file, env, &mut templates);
        (node, templates)
    }

    fn rewrite_node(
        &mut self,
        node: &Node,
        file: &SourceFile,
        env: &Env,
        out: &mut Vec<Template>,
    ) -> Node {
        let value = match &node.value {
            Value::Str(s) => {
                let t = self.rewrite(s, node.span, file, env);
                let text = t.src.clone();
                if t.form != Form::Literal {
                    out.push(t);
                }
                Value::Str(text)
            }
            Value::Seq(items) => Value::Seq(
                items
                    .iter()
                    .map(|i| self.rewrite_node(i, file, env, out))
                    .collect(),
            ),
            Value::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), self.rewrite_node(v, file, env, out)))
                    .collect(),
            ),
            other => other.clone(),
        };
        Node::new(node.span, value)
    }

    /// One template rewritten.
    fn template(&mut self, t: &Template, file: &SourceFile, env: &Env) -> Template {
        if t.form == Form::Literal {
            return t.clone();
        }
        self.rewrite(&t.src, t.span, file, env)
    }

    /// The template `src` (the string at `span` of `file`) in the composed playbook's names.
    fn rewrite(&mut self, src: &str, span: Span, file: &SourceFile, env: &Env) -> Template {
        let parsed = Template::reparse(file, span, src);
        if parsed.form == Form::Literal {
            return parsed;
        }
        let base = crate::playbook::template::source_base(file, span, src);
        let loc = |r: &Range<usize>| base.map_or(span, |b| Span::new(b + r.start, r.len()));
        let mut text = String::with_capacity(src.len());
        let mut edits: Vec<(Range<usize>, Range<usize>)> = Vec::new();
        let mut last = 0;
        for head in parsed.heads() {
            let Some(with) = self.replacement(&head, &loc(&head.range), file, env) else {
                continue;
            };
            if head.range.start < last {
                continue;
            }
            text.push_str(&src[last..head.range.start]);
            edits.push((text.len()..text.len() + with.len(), head.range.clone()));
            text.push_str(&with);
            last = head.range.end;
        }
        if edits.is_empty() {
            return Template::parse(file, span, src).unwrap_or(parsed);
        }
        text.push_str(&src[last..]);
        let at = |r: Range<usize>| match base {
            Some(b) => {
                let start = original(&edits, r.start, false);
                let end = original(&edits, r.end, true).max(start);
                Span::new(b + start, end - start)
            }
            None => span,
        };
        match Template::parse_at(file, span, &text, &at) {
            Ok(t) => t,
            Err(d) => {
                self.diags.push(d);
                parsed
            }
        }
    }

    /// What replaces a name of a module's (`None`: it stays as written), or an error.
    fn replacement(
        &mut self,
        head: &crate::playbook::template::Head,
        at: &Span,
        file: &SourceFile,
        env: &Env,
    ) -> Option<String> {
        // The playbook's own names are checked by the check (as they always were), unless
        // they are in a value it passes to a module, which must be checked here, in its file.
        let checked = env.in_module() || self.strict;
        match (head.root.as_str(), head.names.as_slice()) {
            ("steps", [id, ..]) => {
                if env.steps.contains(id) {
                    return (!env.prefix.is_empty())
                        .then(|| format!("steps[{}]", quote(&format!("{}{id}", env.prefix))));
                }
                if checked || env.outputs.contains_key(id) || id.contains('.') {
                    self.diags.push(unknown_step(file, *at, id, env));
                }
                None
            }
            ("steps", []) if env.in_module() => {
                self.diags.push(
                    Diag::at(
                        file,
                        *at,
                        "a module's templates name its steps literally",
                        "`steps` used other than as `steps.<id>`",
                    )
                    .help("write `steps.<id>.<field>`, with the id of a step of this file"),
                );
                None
            }
            ("inputs", names) if env.in_module() => {
                let Some(name) = names.first() else {
                    self.diags.push(
                        Diag::at(
                            file,
                            *at,
                            "a module's templates name its inputs literally",
                            "`inputs` used other than as `inputs.<name>`",
                        )
                        .help("write `inputs.<name>`, with an input the module declares"),
                    );
                    return None;
                };
                if let Some(e) = env.values.as_ref().and_then(|v| v.get(name)) {
                    return Some(format!("({e})"));
                }
                if !env.declared.contains(name) {
                    self.diags.push(unknown_input(file, *at, name, env));
                }
                None
            }
            ("inputs", [name]) if self.strict && !env.declared.contains(name) => {
                self.diags.push(unknown_input(file, *at, name, env));
                None
            }
            ("imports", [id, output]) => {
                let Some((module, outputs)) = env.outputs.get(id) else {
                    self.diags.push(unknown_import(file, *at, id, env));
                    return None;
                };
                if let Some(e) = outputs.get(output) {
                    return Some(format!("({e})"));
                }
                let hint = match did_you_mean(output, outputs.keys().map(String::as_str)) {
                    Some(s) => format!("did you mean `imports.{id}.{s}`?"),
                    None if outputs.is_empty() => format!("module `{module}` has no outputs"),
                    None => format!(
                        "module `{module}` has the outputs {}",
                        outputs.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                };
                self.diags.push(
                    Diag::at(
                        file,
                        *at,
                        format!("module `{module}` (import `{id}`) has no output `{output}`"),
                        "not an output",
                    )
                    .help(hint),
                );
                None
            }
            ("imports", [id]) if !env.outputs.contains_key(id) => {
                self.diags.push(unknown_import(file, *at, id, env));
                None
            }
            ("imports", _) => {
                self.diags.push(
                    Diag::at(
                        file,
                        *at,
                        "`imports` is read through an output: `imports.<id>.<output>`",
                        "not an output",
                    )
                    .help(
                        "a module's steps are its own; what it gives the file that imports it \
                         are its `outputs:`",
                    ),
                );
                None
            }
            _ => None,
        }
    }

    /// A value (templates already rewritten) as one template expression.
    fn expr(&mut self, node: &Node, file: &SourceFile) -> Option<String> {
        Some(match &node.value {
            Value::Str(s) => {
                let t = Template::reparse(file, node.span, s);
                match &t.form {
                    Form::Literal => quote(s),
                    Form::Expr(e) => format!("({e})"),
                    Form::Mixed => match concatenation(s) {
                        Some(e) => e,
                        None => {
                            self.diags.push(
                                Diag::at(
                                    file,
                                    node.span,
                                    "a value passed to a module cannot hold `{% %}` blocks or \
                                     `{# #}` comments",
                                    "a block here",
                                )
                                .help(
                                    "pass one expression, e.g. `\"{{ inputs.a if inputs.b else \
                                     inputs.c }}\"`, or text with `{{ }}` expressions in it",
                                ),
                            );
                            return None;
                        }
                    },
                }
            }
            Value::Seq(items) => {
                let parts: Option<Vec<String>> = items.iter().map(|i| self.expr(i, file)).collect();
                format!("[{}]", parts?.join(", "))
            }
            Value::Map(entries) => {
                let parts: Option<Vec<String>> = entries
                    .iter()
                    .map(|(k, v)| Some(format!("{}: {}", quote(&k.name), self.expr(v, file)?)))
                    .collect();
                format!("{{{}}}", parts?.join(", "))
            }
            _ => literal(node),
        })
    }
}

/// A position of a rewritten template in the original: inside a replacement, the place of
/// what it replaced (its start, or its end for the end of a range).
fn original(edits: &[(Range<usize>, Range<usize>)], pos: usize, end: bool) -> usize {
    let mut delta: isize = 0;
    for (new, old) in edits {
        if pos <= new.start {
            break;
        }
        if pos < new.end {
            return if end { old.end } else { old.start };
        }
        delta = old.end as isize - new.end as isize;
    }
    (pos as isize + delta).max(0) as usize
}

/// A string as a template string literal (JSON's escapes are minijinja's).
fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// A literal value (an input's default, a `with` value without templates) as an expression.
fn literal(node: &Node) -> String {
    match &node.value {
        Value::Null => "none".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) if f.is_finite() => format!("{f:?}"),
        Value::Float(_) => "none".to_owned(),
        Value::Str(s) => quote(s),
        Value::Seq(items) => format!(
            "[{}]",
            items.iter().map(literal).collect::<Vec<_>>().join(", ")
        ),
        Value::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}: {}", quote(&k.name), literal(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Text with `{{ }}` expressions as one expression that joins the parts (`~`), as minijinja
/// renders it (whitespace control, the trailing newline it drops); `None` when it holds a
/// block or a comment, or does not parse. The parts are read from minijinja's syntax tree: the
/// text as it is emitted, and each `{{ }}` tag's expression.
fn concatenation(src: &str) -> Option<String> {
    use minijinja::machinery::ast::Stmt;
    if src.contains("{%") || src.contains("{#") {
        return None;
    }
    let tree = minijinja::machinery::parse(src, "<with>", Default::default()).ok()?;
    let Stmt::Template(t) = tree else {
        return None;
    };
    let mut parts = Vec::new();
    for child in &t.children {
        match child {
            Stmt::EmitRaw(raw) if raw.raw.is_empty() => {}
            Stmt::EmitRaw(raw) => parts.push(quote(raw.raw)),
            Stmt::EmitExpr(e) => {
                // The expression's span (which may start late in a path, never early, and
                // ends where it ends): its tag is from the `{{` before it to the `}}` after.
                let span = e.expr.span();
                let (start, end) = (span.start_offset as usize, span.end_offset as usize);
                let open = src.get(..start)?.rfind("{{")?;
                let close = end + src.get(end..)?.find("}}")?;
                let inner = src.get(open + 2..close)?;
                let inner = inner.strip_prefix('-').unwrap_or(inner);
                let inner = inner.strip_suffix('-').unwrap_or(inner);
                parts.push(format!("({})", inner.trim()));
            }
            _ => return None,
        }
    }
    Some(match parts.is_empty() {
        true => "\"\"".to_owned(),
        false => format!("({})", parts.join(" ~ ")),
    })
}

fn unknown_step(file: &SourceFile, at: Span, id: &str, env: &Env) -> Diag {
    let import = id.split('.').next().unwrap_or(id);
    let hint = if env.imports.iter().any(|i| i == import) {
        format!(
            "`{import}` is an import: a module's steps are its own; read what it gives through \
             its outputs, `imports.{import}.<output>`, or wait for all its steps with \
             `depends_on: [{import}]`"
        )
    } else {
        match did_you_mean(id, env.steps.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "reference a step declared under this file's `steps:`".to_owned(),
        }
    };
    Diag::at(
        file,
        at,
        format!("unknown step `{id}`"),
        "no step of this file has this id",
    )
    .help(hint)
}

fn unknown_input(file: &SourceFile, at: Span, name: &str, env: &Env) -> Diag {
    let hint = match did_you_mean(name, env.declared.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `inputs.{s}`?"),
        None => {
            format!("declare it under this file's `inputs:`, e.g. `{name}: {{ type: string }}`")
        }
    };
    Diag::at(file, at, format!("unknown input `{name}`"), "not declared").help(hint)
}

fn unknown_import(file: &SourceFile, at: Span, id: &str, env: &Env) -> Diag {
    let hint = if env.imports.iter().any(|i| i == id) {
        format!(
            "import `{id}` is not composed yet here: its own `with` or `when` reads, directly or \
             through other imports, the value being made"
        )
    } else {
        match did_you_mean(id, env.imports.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `imports.{s}`?"),
            None if env.imports.is_empty() => {
                "this file imports no modules: add `imports:`".to_owned()
            }
            None => format!("this file imports {}", env.imports.join(", ")),
        }
    };
    Diag::at(file, at, format!("unknown import `{id}`"), "not imported").help(hint)
}

/// A file that imports nothing cannot read `imports`.
fn no_imports(playbook: &Playbook, diags: &mut Diags) {
    let tenant = playbook.tenant.iter().flat_map(|t| {
        [&t.name, &t.domain]
            .into_iter()
            .chain(t.group_templates.iter())
    });
    let steps = playbook.steps.iter().flat_map(Step::all_templates);
    let outputs = playbook.outputs.iter().flat_map(|o| o.templates.iter());
    for t in tenant.chain(steps).chain(outputs) {
        for head in t.heads().into_iter().filter(|h| h.root == "imports") {
            let base = crate::playbook::template::source_base(&playbook.file, t.span, &t.src);
            let at = base.map_or(t.span, |b| {
                Span::new(b + head.range.start, head.range.len())
            });
            let id = head.names.first().map_or("", String::as_str);
            diags.push(unknown_import(&playbook.file, at, id, &Env::default()));
        }
    }
}

/// `moved:` entries: each names a step of the composed playbook as `to`, and as `from` an id
/// no step has any more; no id is moved twice.
fn check_moved(playbook: &Playbook, diags: &mut Diags) {
    let ids: Vec<&str> = playbook.steps.iter().map(|s| s.id.as_str()).collect();
    let mut seen: Vec<&str> = Vec::new();
    let mut targets: Vec<&str> = Vec::new();
    for m in &playbook.moved {
        if targets.contains(&m.to.as_str()) {
            diags.push(
                Diag::at(
                    &m.file,
                    m.to_span,
                    format!("two steps are moved to `{}`", m.to),
                    "moved to again here",
                )
                .help("a step keeps one object: move one old id to it, and remove the other step's entry"),
            );
        }
        targets.push(&m.to);
        if !ids.contains(&m.to.as_str()) {
            let hint = match did_you_mean(&m.to, ids.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "`to` is the step's id now (a module's steps: `<import>.<id>`)".to_owned(),
            };
            diags.push(
                Diag::at(
                    &m.file,
                    m.to_span,
                    format!("`moved` to `{}`, which no step has", m.to),
                    "no step has this id",
                )
                .help(hint),
            );
        }
        if ids.contains(&m.from.as_str()) {
            diags.push(
                Diag::at(
                    &m.file,
                    m.from_span,
                    format!("`moved` from `{}`, which is still a step", m.from),
                    "still a step",
                )
                .help(
                    "`from` is the id the step had before; a step of that id would keep its object",
                ),
            );
        }
        if seen.contains(&m.from.as_str()) {
            diags.push(Diag::at(
                &m.file,
                m.from_span,
                format!("`{}` is moved twice", m.from),
                "moved again here",
            ));
        }
        seen.push(&m.from);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_imports_cannot_read_them() {
        let text = "version: 1\nname: x\nsteps:\n  - id: g\n    type: group\n    with: { name: \"{{ imports.base.x }}\" }\n";
        let file = SourceFile::new("x.yaml", text);
        let err = compose(&file).expect_err("an unknown import");
        let d = err.iter().next().expect("one error");
        assert_eq!(d.message, "unknown import `base`");
        assert_eq!(d.location().as_deref(), Some("x.yaml:6:23"));
    }

    #[test]
    fn positions_inside_a_replacement_map_to_what_it_replaced() {
        // "ab{{ steps.x }}" → "ab{{ steps[\"m.x\"] }}": the replacement is 6..18 of the new
        // text, 6..13 of the old.
        let edits = vec![(6..18, 6..13)];
        assert_eq!(original(&edits, 3, false), 3);
        assert_eq!(original(&edits, 6, false), 6);
        assert_eq!(original(&edits, 10, false), 6);
        assert_eq!(original(&edits, 18, true), 13);
        assert_eq!(original(&edits, 21, true), 16);
    }

    #[test]
    fn literals_and_text_become_expressions_minijinja_reads_back() {
        let env = crate::playbook::template::env();
        let node = Node::from_json(
            &serde_json::json!({"a": ["x\"y\\z\n", 1, 2.5, true, null], "b": {}}),
            Span::default(),
        );
        let value = env
            .compile_expression(&literal(&node))
            .and_then(|e| e.eval(minijinja::context! {}))
            .expect("a valid expression");
        assert_eq!(
            serde_json::to_value(&value).expect("json"),
            serde_json::json!({"a": ["x\"y\\z\n", 1, 2.5, true, null], "b": {}})
        );
        // Each text renders as minijinja renders it as a template.
        let ctx = minijinja::context! { inputs => minijinja::context! { v => "V" } };
        for src in [
            "pre-{{ 1 + 2 }}-{{- 'x' -}} post",
            "a {{- 'v' }}",
            "port {{ -1 }}",
            "b {{ 'v' }}\n",
            "c {{ '}}' ~ 'v' }}",
            "{{ 'a' }}{{ 'b' }} and {{ ['x', 'y'] | join('-') }}",
            "{{ 'only' }}",
            "text, no tags",
            "a {{- inputs.v }}",
            "{{ inputs.v }}{{ inputs.v | lower }}-{{ inputs['v'] }}",
        ] {
            let joined = concatenation(src).unwrap_or_else(|| panic!("{src}: no expression"));
            let value = env
                .compile_expression(&joined)
                .and_then(|e| e.eval(ctx.clone()))
                .unwrap_or_else(|e| panic!("{src} → {joined}: {e}"));
            let rendered = env.render_str(src, ctx.clone()).expect("renders");
            assert_eq!(value.to_string(), rendered, "{src} → {joined}");
        }
        assert_eq!(concatenation("{% if x %}a{% endif %}"), None);
    }
}
