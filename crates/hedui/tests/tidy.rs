//! Tidy: the architecture invariants a reader of the source can check, kept true inside
//! `cargo test` (in the style of rust-analyzer's tidy tests). Each rule has a test that plants a
//! violation and sees it caught.
//!
//! Rules, over every production file (`crates/*/src/**/*.rs`):
//! * `sql`: SQL appears only in the store crates (and in `xtask`, whose import benchmark's bare
//!   SQLite insert is the anchor it measures against);
//! * `core-io`: `hedui-core` does no I/O and never reads the clock or the environment;
//! * `doc`: every module file starts with a `//!` line saying what it is for;
//! * `long-file`: a file is at most 600 lines, unless it says why not in a
//!   `tidy: allow(long-file): <reason>` comment.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::path::{Path, PathBuf};

#[derive(Debug, PartialEq, Eq)]
struct Violation {
    path: String,
    line: usize,
    rule: &'static str,
}

const MAX_LINES: usize = 600;
const SQL: &[&str] = &["SELECT ", "INSERT INTO", "CREATE TABLE", "DELETE FROM", "ALTER TABLE"];
const CORE_IO: &[&str] =
    &["std::fs", "std::net", "std::env", "std::process", "std::io", "SystemTime", "Instant::now", "tokio", "rusqlite"];

/// The violations in one file, named by its path from the workspace root.
fn check(path: &str, text: &str) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut flag = |line: usize, rule: &'static str| out.push(Violation { path: path.to_string(), line, rule });
    let sql_allowed = path.starts_with("crates/hedui-store") || path.starts_with("crates/xtask/");
    let core = path.starts_with("crates/hedui-core/src/");
    for (i, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let has_sql = SQL.iter().any(|k| code.contains(k)) || (code.contains("UPDATE ") && code.contains(" SET "));
        if !sql_allowed && has_sql {
            flag(i + 1, "sql");
        }
        if core && CORE_IO.iter().any(|k| code.contains(k)) {
            flag(i + 1, "core-io");
        }
    }
    if !text.starts_with("//!") {
        flag(1, "doc");
    }
    let lines = text.lines().count();
    let allowed =
        text.lines().any(|l| l.split_once("tidy: allow(long-file):").is_some_and(|(_, why)| why.trim().len() >= 10));
    if lines > MAX_LINES && !allowed {
        flag(lines, "long-file");
    }
    out
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn the_source_tree_keeps_the_architecture_invariants() {
    let root = root();
    let mut files = Vec::new();
    for krate in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
        let src = krate.path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    assert!(files.len() > 50, "the walk found too few files: {}", files.len());
    let mut all = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        all.extend(check(&rel, &std::fs::read_to_string(f).unwrap()));
    }
    assert!(
        all.is_empty(),
        "tidy violations:\n{}",
        all.iter().map(|v| format!("{}:{} {}", v.path, v.line, v.rule)).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn sql_outside_the_store_is_caught() {
    let v = check("crates/hedui-app/src/x.rs", "//! x\nfn f() { q(\"SELECT id FROM job\"); }\n");
    assert_eq!(v, [Violation { path: "crates/hedui-app/src/x.rs".into(), line: 2, rule: "sql" }]);
    let v = check("crates/hedui-web/src/x.rs", "//! x\nlet s = \"UPDATE job SET state = 1\";\n");
    assert_eq!(v.len(), 1);
    assert!(check("crates/hedui-store/src/x.rs", "//! x\nq(\"SELECT 1\");\n").is_empty());
    // A comment that names a statement is not SQL.
    assert!(check("crates/hedui-app/src/x.rs", "//! x\n// SELECT in a comment\n").is_empty());
}

#[test]
fn io_or_the_clock_in_the_core_is_caught() {
    for bad in ["std::fs::read(p)", "std::time::SystemTime::now()", "std::env::var(\"X\")", "Instant::now()"] {
        let v = check("crates/hedui-core/src/x.rs", &format!("//! x\nfn f() {{ {bad}; }}\n"));
        assert_eq!(v.iter().map(|v| v.rule).collect::<Vec<_>>(), ["core-io"], "{bad}");
    }
    assert!(check("crates/hedui-app/src/x.rs", "//! x\nfn f() { std::fs::read(p); }\n").is_empty());
}

#[test]
fn a_module_without_its_doc_line_is_caught() {
    let v = check("crates/hedui-app/src/x.rs", "use a;\n");
    assert_eq!(v.iter().map(|v| v.rule).collect::<Vec<_>>(), ["doc"]);
}

#[test]
fn a_long_file_needs_its_reason() {
    let long = format!("//! x\n{}", "let a = 1;\n".repeat(MAX_LINES));
    assert_eq!(check("crates/hedui-app/src/x.rs", &long).iter().map(|v| v.rule).collect::<Vec<_>>(), ["long-file"]);
    let excused = format!("{long}// tidy: allow(long-file): one state machine, split in issue 10\n");
    assert!(check("crates/hedui-app/src/x.rs", &excused).is_empty());
    let no_reason = format!("{long}// tidy: allow(long-file):\n");
    assert_eq!(check("crates/hedui-app/src/x.rs", &no_reason).len(), 1, "an allow without a reason does not count");
    let short = format!("//! x\n{}", "let a = 1;\n".repeat(MAX_LINES - 1));
    assert!(check("crates/hedui-app/src/x.rs", &short).is_empty());
}
