//! Tidy: the architecture invariants a reader of the source can check, kept true inside
//! `cargo test` (in the style of rust-analyzer's tidy tests). Each rule has a test that plants a
//! violation and sees it caught.
//!
//! Rules, over every production file (`crates/*/src/**/*.rs`):
//! * `sql`: SQL appears only in the store crates (and in `xtask`, whose import benchmark's bare
//!   SQLite insert is the anchor it measures against);
//! * `core-io`: the pure crates (`hedui-core`, `hedui-rules`, `hedui-means`, `hedui-link`) do no I/O and
//!   never read the clock or the environment;
//! * `doc`: every module file starts with a `//!` line saying what it is for;
//! * `long-file`: a file is at most 600 lines, unless it says why not in a
//!   `tidy: allow(long-file): <reason>` comment;
//! * `long-fn`: a function is at most 100 lines, unless a `tidy: allow(long-fn): <reason>` comment
//!   stands in the lines just above it (with its doc comment and attributes);
//! * `sealed-origin`: a sealed value or a blind index is made only where ciphertext and digests
//!   come from: `hedui-identity` (the key provider's output) and the store crates (reading a
//!   column back), so no other code can put a plain value in a sealed column;
//! * `error-table`: every variant of `AppError` maps to a code of the public table `ERROR_CODES`,
//!   every code of the table is used, and `docs/errors.md` lists each code;
//! * `source-code`: no code of a source of a catalog in `data/sources` appears in code (outside
//!   comments) but in the generator and the simulator, which play the demo city's departments
//!   and banks: the catalog is the one registry of sources, and code knows data categories only.
//!   (Integration tests under `crates/*/tests` run the demo city and may name its sources.)

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::path::{Path, PathBuf};

#[derive(Debug, PartialEq, Eq)]
struct Violation {
    path: String,
    line: usize,
    rule: &'static str,
}

/// The crates that do no I/O.
const PURE: &[&str] = &["hedui-core", "hedui-rules", "hedui-means", "hedui-link"];
/// The constructors of sealed values and blind indexes.
const SEALED_MAKERS: &[&str] = &["Sealed::from_ciphertext", "BlindIndex::from_digest", "BlindIndex::from_stored"];
const MAX_LINES: usize = 600;
const MAX_FN_LINES: usize = 100;
const SQL: &[&str] = &["SELECT ", "INSERT INTO", "CREATE TABLE", "DELETE FROM", "ALTER TABLE"];
const CORE_IO: &[&str] =
    &["std::fs", "std::net", "std::env", "std::process", "std::io", "SystemTime", "Instant::now", "tokio", "rusqlite"];

/// The violations in one file, named by its path from the workspace root.
fn check(path: &str, text: &str) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut flag = |line: usize, rule: &'static str| out.push(Violation { path: path.to_string(), line, rule });
    let sql_allowed = path.starts_with("crates/hedui-store") || path.starts_with("crates/xtask/");
    let core = PURE.iter().any(|c| path.starts_with(&format!("crates/{c}/src/")));
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
        let sealed_allowed = path.starts_with("crates/hedui-identity/")
            || path.starts_with("crates/hedui-store")
            || path == "crates/hedui-core/src/sealed.rs";
        if !sealed_allowed && SEALED_MAKERS.iter().any(|k| code.contains(k)) {
            flag(i + 1, "sealed-origin");
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
    for (start, len) in long_functions(text) {
        let lines: Vec<&str> = text.lines().collect();
        let above = lines[start.saturating_sub(8)..start].iter().rev().take_while(|l| {
            let t = l.trim_start();
            t.starts_with("//") || t.starts_with("#[") || t.is_empty()
        });
        let excused = above
            .into_iter()
            .any(|l| l.split_once("tidy: allow(long-fn):").is_some_and(|(_, why)| why.trim().len() >= 10));
        if len > MAX_FN_LINES && !excused {
            flag(start + 1, "long-fn");
        }
    }
    out
}

/// Where a source's code appears in code that must know sources only through the catalog.
fn source_codes(path: &str, text: &str, codes: &[String]) -> Vec<Violation> {
    if path.starts_with("crates/hedui-gen/") || path.starts_with("crates/hedui-sim/") {
        return Vec::new();
    }
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        // A trailing comment is not code.
        let code = code.split(" // ").next().unwrap_or(code);
        let hit = codes.iter().any(|c| {
            code.match_indices(c.as_str()).any(|(at, _)| {
                let before = at.checked_sub(1).map(|j| code.as_bytes()[j]);
                let after = code.as_bytes().get(at + c.len()).copied();
                !before.is_some_and(word) && !after.is_some_and(word)
            })
        });
        if hit {
            out.push(Violation { path: path.to_string(), line: i + 1, rule: "source-code" });
        }
    }
    out
}

/// Every source code of the catalogs in `data/sources`.
fn catalog_codes(root: &Path) -> Vec<String> {
    let mut codes = Vec::new();
    for f in std::fs::read_dir(root.join("data/sources")).unwrap().flatten() {
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(f.path()).unwrap()).unwrap();
        for s in v["sources"].as_array().unwrap() {
            codes.push(s["code"].as_str().unwrap().to_string());
        }
    }
    codes
}

/// Blanks out string and character literals (and comments) so that braces inside them do not
/// count. Raw strings are handled for the `r"…"` and `r#"…"#` forms the code uses.
fn code_only(line: &str, in_raw: &mut Option<String>) -> String {
    let mut out = String::with_capacity(line.len());
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if let Some(end) = in_raw.as_deref() {
            let rest: String = chars[i..].iter().collect();
            match rest.find(end) {
                Some(k) => {
                    i += rest[..k].chars().count() + end.chars().count();
                    *in_raw = None;
                }
                None => return out,
            }
            continue;
        }
        let c = chars[i];
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            break;
        }
        if c == 'r' && (chars.get(i + 1) == Some(&'"') || chars.get(i + 1) == Some(&'#')) {
            let hashes = chars[i + 1..].iter().take_while(|c| **c == '#').count();
            if chars.get(i + 1 + hashes) == Some(&'"') {
                *in_raw = Some(format!("\"{}", "#".repeat(hashes)));
                i += 2 + hashes;
                continue;
            }
        }
        if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            continue;
        }
        if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            i += 3;
            continue;
        }
        if c == '\'' && chars.get(i + 1) == Some(&'\\') {
            i += chars[i + 2..].iter().position(|c| *c == '\'').map_or(chars.len(), |k| k + 3);
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Each function with a body: (0-based line of its `fn`, lines from there to its closing brace).
fn long_functions(text: &str) -> Vec<(usize, usize)> {
    let mut in_raw = None;
    let lines: Vec<String> = text.lines().map(|l| code_only(l, &mut in_raw)).collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let is_fn = [
            "fn ",
            "pub fn ",
            "pub(crate) fn ",
            "pub(super) fn ",
            "async fn ",
            "pub async fn ",
            "const fn ",
            "pub const fn ",
        ]
        .iter()
        .any(|p| t.starts_with(p));
        if !is_fn {
            continue;
        }
        // Find the body's opening brace (or a `;` first: a declaration without a body).
        let mut depth = 0i64;
        let mut opened = false;
        'scan: for (j, l) in lines.iter().enumerate().skip(i) {
            for c in l.chars() {
                match c {
                    ';' if !opened && depth == 0 => break 'scan,
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
                if opened && depth == 0 {
                    out.push((i, j - i + 1));
                    break 'scan;
                }
            }
        }
    }
    out
}

/// Where the error enum and the public error table disagree, from `error.rs` and `errors.md`.
fn error_table(src: &str, doc: &str) -> Vec<String> {
    let enum_body =
        src.split_once("pub enum AppError {").map_or("", |(_, rest)| rest.split_once("\n}").map_or("", |b| b.0));
    let variants: Vec<String> = enum_body
        .lines()
        .map(str::trim)
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
        .map(|l| l.split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap_or("").to_string())
        .collect();
    let table: Vec<String> = src
        .split("ErrorCode {")
        .skip(1)
        .filter_map(|part| part.split_once("code: \"").and_then(|(_, r)| r.split_once('"')).map(|(c, _)| c.to_string()))
        .collect();
    let arms: Vec<(String, String)> = src
        .lines()
        .filter_map(|l| {
            let (lhs, rhs) = l.trim().split_once("=> \"")?;
            let variant = lhs.strip_prefix("AppError::")?.split(|c: char| !c.is_ascii_alphanumeric()).next()?;
            Some((variant.to_string(), rhs.split_once('"')?.0.to_string()))
        })
        .collect();
    let mut problems = Vec::new();
    for v in &variants {
        match arms.iter().find(|(a, _)| a == v) {
            None => problems.push(format!("AppError::{v} has no public code")),
            Some((_, code)) if !table.contains(code) => {
                problems.push(format!("AppError::{v} maps to `{code}`, which is not in ERROR_CODES"))
            }
            Some(_) => {}
        }
    }
    for code in &table {
        if !arms.iter().any(|(_, c)| c == code) {
            problems.push(format!("ERROR_CODES has `{code}`, which no AppError maps to"));
        }
        if !doc.contains(&format!("| `{code}` |")) {
            problems.push(format!("docs/errors.md does not list `{code}`"));
        }
    }
    problems
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
    let codes = catalog_codes(&root);
    assert!(codes.len() > 40, "the catalogs list too few sources: {}", codes.len());
    let mut all = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(f).unwrap();
        all.extend(check(&rel, &text));
        all.extend(source_codes(&rel, &text, &codes));
    }
    assert!(
        all.is_empty(),
        "tidy violations:\n{}",
        all.iter().map(|v| format!("{}:{} {}", v.path, v.line, v.rule)).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_error_enum_and_the_public_table_agree() {
    let root = root();
    let src = std::fs::read_to_string(root.join("crates/hedui-app/src/error.rs")).unwrap();
    let doc = std::fs::read_to_string(root.join("docs/errors.md")).unwrap();
    assert!(src.contains("pub enum AppError {"), "the error enum moved; tidy must follow it");
    let problems = error_table(&src, &doc);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn an_error_without_its_table_row_is_caught() {
    let src = r#"
pub const ERROR_CODES: &[ErrorCode] = &[
    ErrorCode { code: "not_found", status: 404, title: "x" },
    ErrorCode { code: "unused", status: 500, title: "y" },
];
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    Gone,
    Odd(String),
}
        match self {
            AppError::NotFound(_) => "not_found",
            AppError::Odd(_) => "odd",
        }
"#;
    let doc = "| `not_found` | 404 | x |";
    let problems = error_table(src, doc);
    assert_eq!(
        problems,
        [
            "AppError::Gone has no public code",
            "AppError::Odd maps to `odd`, which is not in ERROR_CODES",
            "ERROR_CODES has `unused`, which no AppError maps to",
            "docs/errors.md does not list `unused`",
        ]
    );
}

#[test]
fn a_long_function_needs_its_reason() {
    let body = "    let a = 1;\n".repeat(MAX_FN_LINES);
    let long = format!("//! x\nfn f() {{\n{body}}}\n");
    assert_eq!(
        check("crates/hedui-app/src/x.rs", &long).iter().map(|v| (v.rule, v.line)).collect::<Vec<_>>(),
        [("long-fn", 2)]
    );
    let excused = format!(
        "//! x\n// tidy: allow(long-fn): one table of cases, read top to bottom\n#[test]\nfn f() {{\n{body}}}\n"
    );
    assert!(check("crates/hedui-app/src/x.rs", &excused).is_empty());
    let short = format!("//! x\nfn f() {{\n{}}}\n", "    let a = 1;\n".repeat(MAX_FN_LINES - 2));
    assert!(check("crates/hedui-app/src/x.rs", &short).is_empty());
    // Braces in strings, characters and comments do not end a function early or late.
    let tricky = format!("//! x\nfn f() {{\n    let s = \"}}\"; let c = '}}'; // }}\n{body}}}\n");
    assert_eq!(check("crates/hedui-app/src/x.rs", &tricky).len(), 1);
    assert_eq!(long_functions("fn a();\nfn b() { 1 }\n"), [(1, 1)], "a declaration has no body");
}

#[test]
fn a_source_code_in_code_is_caught() {
    let codes = vec!["shuiwu".to_string(), "B01".to_string()];
    let v = source_codes("crates/hedui-means/src/x.rs", "//! x\nconst TAX: &[&str] = &[\"shuiwu\"];\n", &codes);
    assert_eq!(v, [Violation { path: "crates/hedui-means/src/x.rs".into(), line: 2, rule: "source-code" }]);
    assert_eq!(source_codes("crates/hedui-app/src/x.rs", "//! x\nif s == \"B01\" {}\n", &codes).len(), 1);
    // Part of a longer word, a comment, the generator and the simulator are not.
    assert!(source_codes("crates/hedui-app/src/x.rs", "//! x\nlet shuiwu_rate = 1; // shuiwu\n", &codes).is_empty());
    assert!(source_codes("crates/hedui-gen/src/x.rs", "//! x\n(\"shuiwu\", 1)\n", &codes).is_empty());
    assert!(source_codes("crates/hedui-sim/src/x.rs", "//! x\n(\"B01\", 1)\n", &codes).is_empty());
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
        for pure in PURE {
            let v = check(&format!("crates/{pure}/src/x.rs"), &format!("//! x\nfn f() {{ {bad}; }}\n"));
            assert_eq!(v.iter().map(|v| v.rule).collect::<Vec<_>>(), ["core-io"], "{pure}: {bad}");
        }
    }
    assert!(check("crates/hedui-app/src/x.rs", "//! x\nfn f() { std::fs::read(p); }\n").is_empty());
}

#[test]
fn a_sealed_value_made_outside_identity_and_the_store_is_caught() {
    let bad = "//! x\nlet s = Sealed::from_ciphertext(id.as_bytes().to_vec());\n";
    let v = check("crates/hedui-app/src/x.rs", bad);
    assert_eq!(v.iter().map(|v| v.rule).collect::<Vec<_>>(), ["sealed-origin"]);
    let v = check("crates/hedui-import/src/x.rs", "//! x\nlet b = BlindIndex::from_digest(d);\n");
    assert_eq!(v.iter().map(|v| v.rule).collect::<Vec<_>>(), ["sealed-origin"]);
    assert!(check("crates/hedui-identity/src/x.rs", bad).is_empty());
    assert!(check("crates/hedui-store/src/x.rs", bad).is_empty());
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
    let excused = format!("{long}// tidy: allow(long-file): one state machine, kept whole on purpose\n");
    assert!(check("crates/hedui-app/src/x.rs", &excused).is_empty());
    let no_reason = format!("{long}// tidy: allow(long-file):\n");
    assert_eq!(check("crates/hedui-app/src/x.rs", &no_reason).len(), 1, "an allow without a reason does not count");
    let short = format!("//! x\n{}", "let a = 1;\n".repeat(MAX_LINES - 1));
    assert!(check("crates/hedui-app/src/x.rs", &short).is_empty());
}
