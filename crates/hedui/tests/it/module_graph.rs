//! Tidy, part two: the crate graph and the module graph written in ARCHITECTURE.md hold.
//!
//! ARCHITECTURE.md carries one ```` ```graph ```` block. A line `crate -> a, b` names the workspace
//! crates `crate` may depend on (its `[dependencies]`; dev-dependencies are free). A line
//! `crate/module -> m, n` names the modules of the same crate that `module` may use; modules not
//! named on the left (the crate root, errors, reference data) are shared by all. A module uses
//! another when it names a path `crate::other` or `super::other`, or calls a method of `App` that
//! is defined in `other` (methods are found in `impl App` blocks, calls as `self.m(` or `app.m(`).
//! Two more rules keep web and CLI on the services: `hedui-web` and the CLI never touch the
//! store field or call the import functions directly.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The ```graph block of ARCHITECTURE.md: node → what it may use.
fn graph(arch: &str) -> Graph {
    let start = arch.find("```graph\n").expect("ARCHITECTURE.md has a ```graph block") + "```graph\n".len();
    let end = start + arch[start..].find("```").expect("the graph block ends");
    let mut g = Graph::new();
    for line in arch[start..end].lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (node, deps) = line.split_once("->").unwrap_or_else(|| panic!("a graph line needs ->: {line}"));
        let deps = deps.split(',').map(str::trim).filter(|d| !d.is_empty()).map(String::from).collect();
        assert!(g.insert(node.trim().to_string(), deps).is_none(), "{} is listed twice", node.trim());
    }
    g
}

/// The module a source file belongs to: `cases/mod.rs` and `cases/x.rs` are `cases`.
fn module_of(rel: &str) -> String {
    let first = rel.split('/').next().unwrap_or(rel);
    first.strip_suffix(".rs").unwrap_or(first).to_string()
}

/// Code lines only: comments dropped, and the test module at the end of a file cut off.
fn code(text: &str) -> Vec<(usize, &str)> {
    let cut = text.find("#[cfg(test)]").unwrap_or(text.len());
    text[..cut]
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .collect()
}

/// `App` methods by the module that defines them.
fn app_methods(files: &[(String, String)]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, text) in files {
        let mut inside = false;
        for (_, line) in code(text) {
            if line.starts_with("impl App {") || line.starts_with("impl crate::App {") {
                inside = true;
            } else if line == "}" {
                inside = false;
            } else if inside {
                let t = line.trim_start();
                let t = ["pub(crate) ", "pub(super) ", "pub "].iter().fold(t, |t, p| t.strip_prefix(p).unwrap_or(t));
                if line.starts_with("    ")
                    && !line.starts_with("     ")
                    && let Some(rest) = t.strip_prefix("fn ")
                {
                    let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    out.entry(name).or_default().insert(module_of(rel));
                }
            }
        }
    }
    out
}

fn ident_after(s: &str) -> String {
    s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

/// Every use of another module of the crate: (file, line, from, to, what).
fn uses(files: &[(String, String)]) -> Vec<(String, usize, String, String, String)> {
    let methods = app_methods(files);
    let modules: BTreeSet<String> = files.iter().map(|(rel, _)| module_of(rel)).collect();
    let mut out = Vec::new();
    for (rel, text) in files {
        let me = module_of(rel);
        for (n, line) in code(text) {
            for prefix in ["crate::", "super::"] {
                for (at, _) in line.match_indices(prefix) {
                    let name = ident_after(&line[at + prefix.len()..]);
                    // `super::` inside a service's own files names the service itself.
                    let is_self = prefix == "super::" && rel.contains('/');
                    if !is_self && modules.contains(&name) && name != me {
                        out.push((rel.clone(), n, me.clone(), name.clone(), format!("{prefix}{name}")));
                    }
                }
            }
            for recv in ["self.", "app."] {
                for (at, _) in line.match_indices(recv) {
                    let before = line[..at].chars().next_back();
                    if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                        continue;
                    }
                    let name = ident_after(&line[at + recv.len()..]);
                    if !line[at + recv.len() + name.len()..].starts_with('(') {
                        continue;
                    }
                    for owner in methods.get(&name).into_iter().flatten() {
                        if *owner != me {
                            out.push((rel.clone(), n, me.clone(), owner.clone(), format!("{recv}{name}(")));
                        }
                    }
                }
            }
        }
    }
    out
}

/// Uses against the graph, for one crate's files (paths relative to its `src`).
fn module_violations(krate: &str, files: &[(String, String)], g: &Graph) -> Vec<String> {
    let listed: BTreeSet<&str> =
        g.keys().filter_map(|k| k.strip_prefix(krate).and_then(|r| r.strip_prefix('/'))).collect();
    let mut out = Vec::new();
    for (rel, n, from, to, what) in uses(files) {
        if !listed.contains(from.as_str()) || !listed.contains(to.as_str()) {
            continue;
        }
        if !g[&format!("{krate}/{from}")].contains(&to) {
            out.push(format!("crates/{krate}/src/{rel}:{n}: {from} uses {to} ({what}), against the module graph"));
        }
    }
    out
}

fn src_files(dir: &Path, base: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            src_files(&p, base, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&p).unwrap()));
        }
    }
}

/// The workspace crates a Cargo.toml's `[dependencies]` names.
fn crate_deps(toml: &str) -> BTreeSet<String> {
    let Some(start) = toml.find("\n[dependencies]\n") else { return BTreeSet::new() };
    let body = &toml[start + "\n[dependencies]\n".len()..];
    let body = &body[..body.find("\n[").unwrap_or(body.len())];
    body.lines()
        .filter_map(|l| l.split(['.', ' ', '=']).next())
        .filter(|n| n.starts_with("hedui"))
        .map(String::from)
        .collect()
}

/// Web and CLI reach the store and the import only through the services.
fn around_services(rel: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (n, line) in code(text) {
        let store = line.contains(".store.") || line.contains(".store)") || line.trim_start() == ".store";
        let import = [
            "hedui_import::import(",
            "hedui_import::import_with(",
            "hedui_import::dry_run(",
            "hedui_import::issues_csv(",
        ]
        .iter()
        .any(|f| line.contains(f));
        if store || import {
            out.push(format!("{rel}:{n}: around the services ({})", line.trim()));
        }
    }
    out
}

#[test]
fn crates_depend_only_as_the_graph_says() {
    let root = root();
    let g = graph(&std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap());
    let mut problems = Vec::new();
    let mut seen = 0;
    for krate in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
        let name = krate.file_name().to_string_lossy().to_string();
        let Ok(toml) = std::fs::read_to_string(krate.path().join("Cargo.toml")) else { continue };
        let Some(allowed) = g.get(&name) else {
            problems.push(format!("crate {name} is not in ARCHITECTURE.md's graph"));
            continue;
        };
        seen += 1;
        for dep in crate_deps(&toml).difference(allowed) {
            problems.push(format!("{name} depends on {dep}, against the crate graph"));
        }
    }
    assert!(seen > 10, "too few crates read: {seen}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn modules_use_only_what_the_graph_says() {
    let root = root();
    let g = graph(&std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap());
    let crates: BTreeSet<&str> = g.keys().filter_map(|k| k.split_once('/').map(|(c, _)| c)).collect();
    assert!(crates.contains("hedui-app"), "the graph names hedui-app's services");
    let mut problems = Vec::new();
    for krate in crates {
        let src = root.join("crates").join(krate).join("src");
        let mut files = Vec::new();
        src_files(&src, &src, &mut files);
        for m in g.keys().filter_map(|k| k.strip_prefix(krate).and_then(|r| r.strip_prefix('/'))) {
            if !files.iter().any(|(rel, _)| module_of(rel) == m) {
                problems.push(format!("the graph names {krate}/{m}, which has no file"));
            }
        }
        problems.extend(module_violations(krate, &files, &g));
    }
    let mut web_cli = Vec::new();
    src_files(&root.join("crates/hedui-web/src"), &root, &mut web_cli);
    src_files(&root.join("crates/hedui/src/cli"), &root, &mut web_cli);
    web_cli.push((
        "crates/hedui/src/city.rs".into(),
        std::fs::read_to_string(root.join("crates/hedui/src/city.rs")).unwrap(),
    ));
    for (rel, text) in &web_cli {
        problems.extend(around_services(rel, text));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_use_against_the_graph_is_caught() {
    let g = graph("```graph\nk -> \nk/jobs -> collect\nk/collect ->\n```\n");
    let files = vec![
        ("lib.rs".to_string(), "//! x\npub struct App;\n".to_string()),
        (
            "jobs/mod.rs".to_string(),
            "impl App {\n    pub fn run(&self) {\n        self.collect();\n    }\n}\n".to_string(),
        ),
        (
            "collect/mod.rs".to_string(),
            "impl App {\n    pub fn collect(&self) {\n        self.run();\n    }\n}\n".to_string(),
        ),
        (
            "collect/pump.rs".to_string(),
            "use super::x;\nuse crate::jobs::Thing;\n// crate::jobs in a comment\n".to_string(),
        ),
    ];
    let v = module_violations("k", &files, &g);
    assert_eq!(
        v,
        [
            "crates/k/src/collect/mod.rs:3: collect uses jobs (self.run(), against the module graph",
            "crates/k/src/collect/pump.rs:2: collect uses jobs (crate::jobs), against the module graph",
        ]
    );
    // The other direction is allowed, and a module's own files may name `super::`.
    assert!(!v.iter().any(|x| x.contains("jobs/mod.rs")));
}

#[test]
fn a_crate_dependency_against_the_graph_is_caught() {
    let toml = "[package]\nname = \"x\"\n\n[dependencies]\nhedui-core.workspace = true\nhedui-store = { path = \"..\" }\nserde = \"1\"\n\n[dev-dependencies]\nhedui-app.workspace = true\n";
    assert_eq!(crate_deps(toml), BTreeSet::from(["hedui-core".to_string(), "hedui-store".to_string()]));
}

#[test]
fn web_reaching_around_the_services_is_caught() {
    let v = around_services(
        "crates/hedui-web/src/x.rs",
        "//! x\nlet r = app.store.audit_log(None, 5)?;\nlet c = hedui_import::issues_csv(s, i, b)?;\n// app.store in a comment\n",
    );
    assert_eq!(v.len(), 2, "{v:?}");
    assert!(around_services("crates/hedui-web/src/x.rs", "let r = app.audit_log(actor, 5)?;\n").is_empty());
}
