//! One key per database: every command that opens sealed data refuses a missing key and a key
//! that is not the database's, says which key it expects and where it looked, and creates no key
//! file; only `hedui init` (once) and `hedui demo` create one.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

fn hedui(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hedui"))
        .args(args)
        .env_remove("HEDUI_MASTER_KEY")
        .env_remove("HEDUI_DATABASE_URL")
        .env("HEDUI_LOG", "error")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn fingerprint(key: &Path) -> String {
    use hedui_crypto::KeyProvider;
    hedui_crypto::SoftKeys::from_hex(&std::fs::read_to_string(key).unwrap()).unwrap().fingerprint()
}

#[test]
fn commands_refuse_a_missing_or_foreign_key_and_create_none() {
    let dir = common::temp_dir("keys");
    refuses(&dir.join("hedui.db").display().to_string(), &dir);
    match hedui_store_postgres::test_url() {
        Some(url) => {
            // A schema of its own, named in the URL the commands are given.
            let schema = format!("keys_{}", std::process::id());
            hedui_store_postgres::open_fresh_schema(&url, &schema).unwrap();
            let base = url.split('?').next().unwrap_or(&url).to_string();
            let pg_dir = common::temp_dir("keys-pg");
            refuses(&format!("{base}?options=-csearch_path%3D{schema}"), &pg_dir);
            hedui_store_postgres::drop_schema(&url, &schema).unwrap();
        }
        None => hedui_store_postgres::skip_notice("keys"),
    }
}

fn refuses(db: &str, dir: &Path) {
    let p = |n: &str| dir.join(n).display().to_string();
    let (db, key) = (db.to_string(), p("master.key"));

    let init = hedui(&["init", "--db", &db, "--key", &key]);
    assert!(init.status.success(), "{}", text(&init));
    let fp = fingerprint(Path::new(&key));
    assert!(text(&init).contains(&fp));
    // init refuses a second time: over the existing key, and with a new key for the same database.
    let again = hedui(&["init", "--db", &db, "--key", &key]);
    assert!(!again.status.success() && text(&again).contains("hedui init 不会"), "{}", text(&again));
    let other_init = hedui(&["init", "--db", &db, "--key", &p("new.key")]);
    assert!(!other_init.status.success() && text(&other_init).contains(&fp), "{}", text(&other_init));
    assert!(!dir.join("new.key").exists());
    assert_eq!(fingerprint(Path::new(&key)), fp, "the key was not touched");

    // Another deployment's key.
    let foreign = p("foreign.key");
    let other = hedui(&["init", "--db", &p("other.db"), "--key", &foreign]);
    assert!(other.status.success(), "{}", text(&other));
    std::fs::write(dir.join("tax.csv"), "身份证号,姓名,所属期,所得项目,收入额,扣缴义务人\n").unwrap();
    let tax = p("tax.csv");
    let out = p("out");
    let sealed: Vec<Vec<&str>> = vec![
        vec!["serve", "--port", "0"],
        vec!["import", "--source", "shuiwu", "--as-of", "2026-11-27", &tax],
        vec!["exchange", "export", "--out", &out],
        vec!["exchange", "import", &tax],
        vec!["jobs", "run"],
        vec!["jobs", "resume"],
        vec!["report", "export", "--job", "1", "--out", &out],
        vec!["policy", "simulate", "--change", "dibao.standard=+5%"],
        vec!["migrate"],
    ];
    for (which, k) in [("missing", p("missing.key")), ("foreign", foreign.clone())] {
        for args in &sealed {
            let mut a = args.clone();
            a.extend(["--db", db.as_str(), "--key", k.as_str()]);
            let o = hedui(&a);
            let t = text(&o);
            assert!(!o.status.success(), "{which} key accepted by {args:?}: {t}");
            assert!(t.contains(&fp), "{args:?} with a {which} key does not name the expected key {fp}: {t}");
            assert!(t.contains(&k), "{args:?} with a {which} key does not say where it looked: {t}");
        }
        assert!(!dir.join("missing.key").exists(), "a command created a key file");
    }
    // Commands that only need the key read it, and never create one.
    for args in [vec!["exchange", "keys"], vec!["report", "key"]] {
        let mut a = args.clone();
        let missing = p("missing.key");
        a.extend(["--key", missing.as_str()]);
        let o = hedui(&a);
        assert!(!o.status.success() && text(&o).contains("hedui init"), "{args:?}: {}", text(&o));
        assert!(!dir.join("missing.key").exists());
    }
    // With the right key, the commands work.
    let m = hedui(&["migrate", "--db", &db, "--key", &key]);
    assert!(m.status.success(), "{}", text(&m));
    // A header-only full snapshot from the command line: refused with its count, then imported
    // with --confirm-shrink, and the audit names the operating-system user and host.
    // Commands that read or change personal data run as an operator who logs in.
    {
        let (store, keys) = hedui::keys::open_node(&db, Path::new(&key)).unwrap();
        let app = hedui::build_app(store, keys, Vec::new(), crate::common::clock(), None).unwrap();
        let account = hedui_app::admin::users::Account::new("op", "数据源管理员", hedui_app::Role::Operator, "", "");
        app.create_user(&hedui_app::Caller::system("t"), &account, "Operator-pass-2026").unwrap();
    }
    let anonymous = hedui(&["import", "--db", &db, "--key", &key, "--source", "shuiwu", "--as-of", "2026-11-27", &tax]);
    assert!(!anonymous.status.success() && text(&anonymous).contains("--operator"), "{}", text(&anonymous));
    let wrong = crate::common::hedui_with_stdin(
        &[
            "--operator",
            "op",
            "import",
            "--db",
            &db,
            "--key",
            &key,
            "--source",
            "shuiwu",
            "--as-of",
            "2026-11-27",
            &tax,
        ],
        "not-the-password\n",
    );
    assert!(!wrong.status.success() && text(&wrong).contains("登录失败"), "{}", text(&wrong));
    let import = |extra: &[&str]| {
        let mut a =
            vec!["--operator", "op", "import", "--db", db.as_str(), "--key", key.as_str(), "--source", "shuiwu"];
        a.extend(["--as-of", "2026-11-27", tax.as_str()]);
        a.extend(extra);
        crate::common::hedui_with_stdin(&a, "Operator-pass-2026\n")
    };
    let refused = import(&[]);
    assert!(!refused.status.success() && text(&refused).contains("只有 0 行"), "{}", text(&refused));
    let dry = import(&["--dry-run"]);
    assert!(dry.status.success() && text(&dry).contains("试运行"), "{}", text(&dry));
    let confirmed = import(&["--confirm-shrink"]);
    assert!(confirmed.status.success(), "{}", text(&confirmed));
    let store = hedui::open_store(&db).unwrap();
    let audit = store.audit_log(Some("source:shuiwu"), 20).unwrap();
    let who =
        audit.iter().find(|a| a.entry.action == "mirror.import.confirm_shrink").expect("the confirmation is audited");
    assert!(who.entry.actor.starts_with("os:") && who.entry.actor.contains('@'), "{:?}", who.entry);
    assert!(audit.iter().any(|a| a.entry.actor == "op"), "the import is audited as its operator: {audit:?}");
    assert_eq!(store.batches().unwrap().len(), 1, "the refused import and the dry run stored nothing");
}
