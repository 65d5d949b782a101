//! The audit chain, attacked as someone with the database's password would: rows edited, deleted,
//! reordered, the tail cut off, and (holding the key as well) the chain rewritten. `verify` names
//! each against the checkpoints exported off the database, on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::path::PathBuf;
use std::sync::Arc;

use hedui_app::admin::chain::read_checkpoints;
use hedui_app::admin::verify::{AuditVerification, Finding, Verification};
use hedui_app::{App, Caller};
use hedui_store::chain::ChainRow;
use hedui_store::{AuditOutcome, Store};

use crate::common;
use crate::tamper::{Raw, nodes};

/// A node with 30 audited reads, checkpoints after the 12th and the 24th, and its export file.
struct Node {
    app: App,
    store: Arc<dyn Store>,
    raw: Raw,
    export: PathBuf,
    /// The seqs of the two checkpoints.
    cps: (i64, i64),
}

fn nodes_with_trail(tag: &str) -> Vec<Node> {
    nodes(tag)
        .into_iter()
        .enumerate()
        .map(|(i, (store, raw))| {
            let export = common::temp_dir(&format!("{tag}_{i}")).join("checkpoints.jsonl");
            let mut app = common::app(store.clone(), None);
            app.checkpoint_export.file = Some(export.clone());
            let reader = Caller::system("t").client("10.0.0.7");
            let read =
                |n: i64| app.audit(&reader, "report.read", &format!("job:{n}"), AuditOutcome::Ok, format!("第 {n} 次"));
            let query =
                |made: Vec<hedui_store::chain::Checkpoint>| made.into_iter().find(|c| c.chain == "query").unwrap();
            (0..12).for_each(|n| read(n).unwrap());
            let first = query(app.checkpoint("manual").unwrap()).seq;
            (12..24).for_each(|n| read(n).unwrap());
            let second = query(app.checkpoint("manual").unwrap()).seq;
            (24..30).for_each(|n| read(n).unwrap());
            // The attacker owns the database: the append-only triggers go first (see below).
            raw.drop_audit_guards();
            Node { app, store, raw, export, cps: (first, second) }
        })
        .collect()
}

impl Node {
    fn rows(&self) -> Vec<ChainRow> {
        self.store.audit_chain(0, 10_000).unwrap()
    }

    /// The row that recorded the `n`th read.
    fn read(&self, n: i64) -> ChainRow {
        self.rows().into_iter().find(|r| r.entry.object == format!("job:{n}")).unwrap()
    }

    fn verify_all(&self) -> AuditVerification {
        let exported = read_checkpoints(&std::fs::read_to_string(&self.export).unwrap()).unwrap();
        self.app.verify_audit(&Caller::system("verify"), &exported).unwrap()
    }

    /// The verdict on the chain the reads went to (`query`); the other must be intact.
    fn verify(&self) -> Verification {
        let all = self.verify_all();
        let security = all.chain("security").unwrap();
        assert!(security.intact(), "{:?}", security.findings);
        all.chain("query").unwrap().clone()
    }
}

#[test]
fn an_untouched_trail_verifies_and_every_row_is_chained() {
    for node in nodes_with_trail("chain_ok") {
        let all = node.verify_all();
        assert!(all.intact(), "{all:?}");
        assert_eq!(all.before_chains, 0, "every row of a new node is chained");
        for c in &all.chains {
            assert_eq!((c.checkpoints, c.checkpoints_matching), (2, 2), "{}", c.chain);
            assert_eq!((c.unprotected, c.chained, c.first_seq), (0, c.rows, 1), "{}", c.chain);
        }
        let v = all.chain("query").unwrap().clone();
        assert!(v.rows >= 30, "the reads went to the query chain: {}", v.rows);
        assert!(all.chain("security").unwrap().rows > 0, "the key's binding went to the security chain");
        let r = node.read(3);
        assert_eq!((r.entry.client.as_str(), r.key_epoch), ("10.0.0.7", Some(1)), "the client address is kept");
        // The check itself is audited (on the security chain), and the trail still verifies.
        let again = node.verify_all();
        assert!(again.intact(), "{again:?}");
        assert_eq!(again.chain("security").unwrap().rows, all.chain("security").unwrap().rows + 1);
        let last = node.rows().pop().unwrap();
        assert_eq!(last.entry.action, "audit.verify");
    }
}

#[test]
fn an_edited_row_is_named() {
    for node in nodes_with_trail("chain_edit") {
        let r = node.read(5);
        node.raw.exec(&format!("UPDATE audit SET detail = '第 5 次（已改）' WHERE id = {}", r.id));
        assert_eq!(node.verify().findings, [Finding::Edited { id: r.id, seq: r.seq.unwrap() }]);
        // The check that found it is raised to the 安全管理员.
        let sec = Caller::user("sec", hedui_app::Role::Security, "", "t");
        let events = node.app.security_events(&sec, 24 * 365).unwrap();
        assert!(events.iter().any(|e| e.kind == "audit_tampered" && e.detail.contains("1 处问题")), "{events:?}");
        // A changed actor, or a forged MAC copied from another row, is caught the same way.
        let other = node.read(6);
        let mac = node.raw.blob(node.read(7).mac.as_deref().unwrap());
        node.raw.exec(&format!("UPDATE audit SET mac = {mac} WHERE id = {}", other.id));
        let found = node.verify().findings;
        assert!(found.contains(&Finding::Edited { id: other.id, seq: other.seq.unwrap() }), "{found:?}");
        // A seq changed to a huge number: the row is named, its true place reported empty, and
        // the check takes no memory for the number.
        let moved = node.read(10);
        node.raw.exec(&format!("UPDATE audit SET seq = 900000000000 WHERE id = {}", moved.id));
        let found = node.verify().findings;
        assert!(found.contains(&Finding::Edited { id: moved.id, seq: 900_000_000_000 }), "{found:?}");
        let true_seq = moved.seq.unwrap();
        assert!(found.contains(&Finding::Deleted { from_seq: true_seq, to_seq: true_seq }), "{found:?}");
    }
}

#[test]
fn deleted_rows_are_named_by_their_seqs() {
    for node in nodes_with_trail("chain_delete") {
        let (a, b) = (node.read(8), node.read(9));
        node.raw.exec(&format!("DELETE FROM audit WHERE id = {}", a.id));
        node.raw.exec(&format!("DELETE FROM audit WHERE id = {}", b.id));
        let v = node.verify();
        assert_eq!(v.findings, [Finding::Deleted { from_seq: a.seq.unwrap(), to_seq: b.seq.unwrap() }]);
        assert!(v.findings[0].to_string().contains("2 行被删除"), "{}", v.findings[0]);
    }
}

#[test]
fn a_reordered_row_is_named() {
    for node in nodes_with_trail("chain_reorder") {
        let (a, b) = (node.read(14), node.read(15));
        // Swap the two rows' places in the table (their ids), keeping their contents.
        node.raw.exec(&format!("UPDATE audit SET id = -1 WHERE id = {}", a.id));
        node.raw.exec(&format!("UPDATE audit SET id = {} WHERE id = {}", a.id, b.id));
        node.raw.exec(&format!("UPDATE audit SET id = {} WHERE id = -1", b.id));
        let v = node.verify();
        assert_eq!(v.findings, [Finding::Reordered { id: b.id, seq: a.seq.unwrap(), after_seq: b.seq.unwrap() }]);
    }
}

#[test]
fn a_truncated_tail_is_reported_after_the_last_matching_checkpoint() {
    for node in nodes_with_trail("chain_truncate") {
        let (first, second) = node.cps;
        let cut = first + 3;
        let n = node.raw.exec_n(&format!("DELETE FROM audit WHERE chain = 'query' AND seq > {cut}"));
        assert!(n > 10);
        let v = node.verify();
        assert_eq!(
            v.findings,
            [Finding::Truncated { last_seq: cut, missing: second - cut, last_matching: Some(first) }]
        );
    }
}

#[test]
fn a_chain_rewritten_with_the_key_is_located_between_two_checkpoints() {
    for node in nodes_with_trail("chain_rewrite") {
        let (first, second) = node.cps;
        // The attacker holds the key: edit the row after the first checkpoint, then recompute
        // its MAC and every link from there, so that the chain is internally sound.
        let keys = node.app.identity.keys();
        let mac = |data: &[u8]| keys.blind_index(b"audit-chain", data);
        let rows: Vec<_> = node.rows().into_iter().filter(|r| r.chain == "query").collect();
        let target = first + 2;
        let mut previous = rows.iter().find(|r| r.seq == Some(target - 1)).unwrap().link.clone().unwrap();
        for r in rows.iter().filter(|r| r.seq.is_some_and(|s| s >= target)) {
            let seq = r.seq.unwrap();
            let mut entry = r.entry.clone();
            if seq == target {
                entry.detail = "改写".into();
                node.raw.exec(&format!("UPDATE audit SET detail = '改写' WHERE id = {}", r.id));
            }
            let m = mac(&hedui_store::chain::content(
                "query",
                seq,
                1,
                &entry,
                &hedui_app::admin::chain::BorrowedKeys(keys),
            ));
            let l = mac(&hedui_store::chain::link_input(Some(&previous), &m));
            node.raw.exec(&format!(
                "UPDATE audit SET mac = {}, link = {} WHERE id = {}",
                node.raw.blob(&m),
                node.raw.blob(&l),
                r.id
            ));
            previous = l.to_vec();
        }
        let v = node.verify();
        assert_eq!(
            v.findings,
            [Finding::Rewritten { after_seq: first, through_seq: second, checkpoints_differing: 1 }]
        );
        assert_eq!(v.checkpoints_matching, 1);
    }
}

#[test]
fn a_forged_checkpoint_is_not_trusted() {
    for node in nodes_with_trail("chain_forged") {
        let text = std::fs::read_to_string(&node.export).unwrap();
        let mut cps = read_checkpoints(&text).unwrap();
        let first_query = cps.iter().position(|c| c.chain == "query").unwrap();
        cps[first_query].seq += 5;
        let all = node.app.verify_audit(&Caller::system("verify"), &cps).unwrap();
        let v = all.chain("query").unwrap();
        assert!(matches!(&v.findings[..], [Finding::BadCheckpoint { reason, .. }] if reason.contains("签名无效")));
        assert_eq!(v.checkpoints_matching, 1, "the genuine one still counts");
    }
}

#[test]
fn only_the_audit_administrator_verifies() {
    let node = nodes_with_trail("chain_roles").remove(0);
    let clerk = common::clerk();
    let e = node.app.verify_audit(&clerk, &[]).unwrap_err();
    assert_eq!(e.code(), "forbidden");
    let auditor = Caller::user("aud", hedui_app::Role::Auditor, "", "t");
    assert!(node.app.verify_audit(&auditor, &[]).unwrap().intact());
}

/// The command line: `hedui audit checkpoint` exports beside a SQLite database by default, and
/// `hedui audit verify` passes on an untouched node and fails, naming the row, on an edited one.
#[test]
fn the_command_line_checkpoints_verifies_and_names_an_edit() {
    let dir = common::temp_dir("chain_cli");
    let (db, key) = (dir.join("hedui.db").display().to_string(), dir.join("master.key").display().to_string());
    let run = |args: &[&str], stdin: &str| {
        let mut all = args.to_vec();
        all.extend(["--db", &db, "--key", &key]);
        let out = common::hedui_with_stdin(&all, stdin);
        (out.status.code(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
    };
    assert_eq!(run(&["init"], "").0, Some(0));
    assert_eq!(run(&["user", "bootstrap", "--login", "sec", "--name", "安全员"], "Sec-Admin-2026!\n").0, Some(0));
    let (code, out) = run(&["audit", "checkpoint"], "");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("hedui.db.checkpoints.jsonl"), "{out}");
    let (code, out) = run(&["audit", "verify"], "");
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("完好") && out.contains("吻合 1"), "{out}");

    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;").unwrap();
    let id: i64 = conn.query_row("SELECT id FROM audit WHERE action = 'user.bootstrap'", [], |r| r.get(0)).unwrap();
    conn.execute("UPDATE audit SET actor = 'someone-else' WHERE id = ?1", [id]).unwrap();
    let (code, out) = run(&["audit", "verify"], "");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(&format!("第 {id} 行")) && out.contains("被修改"), "{out}");
    // A checkpoint file named on the command line must exist.
    let (code, out) = run(&["audit", "verify", "--checkpoints", "/nonexistent/cps.jsonl"], "");
    assert!(code != Some(0) && out.contains("读取检查点文件"), "{out}");
}

/// Audit rows cannot be changed or deleted through the database, even by the tables' owner, until
/// someone drops the guards; a retention run alone may delete (it sets `purging`).
#[test]
fn audit_rows_are_append_only_in_the_database() {
    for (store, raw) in nodes("chain_guards") {
        let app = common::app(store.clone(), None);
        app.audit(&Caller::system("t"), "report.read", "job:1", AuditOutcome::Ok, "x".into()).unwrap();
        let id = store.audit_chain(0, 100).unwrap().last().unwrap().id;
        let update = raw.try_exec(&format!("UPDATE audit SET detail = 'y' WHERE id = {id}"));
        assert!(update.as_ref().is_err_and(|e| e.contains("append-only")), "{update:?}");
        let delete = raw.try_exec(&format!("DELETE FROM audit WHERE id = {id}"));
        assert!(delete.is_err(), "{delete:?}");
        assert_eq!(raw.exec_n("UPDATE audit_head SET purging = 1 WHERE chain = 'query'"), 1);
        assert_eq!(raw.exec_n(&format!("DELETE FROM audit WHERE id = {id}")), 1, "a purge may delete");
        raw.exec("UPDATE audit_head SET purging = 0 WHERE chain = 'query'");
        assert!(raw.try_exec("DELETE FROM audit").is_err(), "and only while it runs");
    }
}

/// On PostgreSQL the application's role may only insert and read audit rows: with the grants of
/// `hedui db grants`, the node runs as that role, and its updates and deletions of audit rows are
/// refused by the database itself. Only the purge role deletes, during a retention run.
#[test]
fn on_postgresql_the_application_role_only_inserts_and_reads_audit_rows() {
    let Some(url) = hedui_store_postgres::test_url() else {
        hedui_store_postgres::skip_notice("audit roles");
        return;
    };
    let pid = std::process::id();
    let (schema, app_role, purge_role) =
        (format!("it_roles_{pid}"), format!("hedui_app_{pid}"), format!("hedui_purge_{pid}"));
    let owner = hedui_store_postgres::open_fresh_schema(&url, &schema).unwrap();
    owner.migrate().unwrap();
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let roles = format!(
        "DROP ROLE IF EXISTS {app_role}; DROP ROLE IF EXISTS {purge_role}; \
         CREATE ROLE {app_role} LOGIN PASSWORD 'app-pass'; CREATE ROLE {purge_role} LOGIN PASSWORD 'purge-pass';"
    );
    if let Err(e) = admin.batch_execute(&roles) {
        // The test database's role needs CREATEROLE; `.ci/run` grants it, where this must run.
        assert!(std::env::var("HEDUI_REQUIRE_PG").is_err(), "cannot create the test roles: {e}");
        eprintln!("\n*** SKIPPED: audit roles on PostgreSQL: the test role cannot create roles ({e}) ***\n");
        return;
    }
    admin.batch_execute(&hedui_store_postgres::role_grants(&schema, &app_role, &purge_role)).unwrap();
    let as_role = |user: &str, password: &str| {
        let (scheme, rest) = url.split_once("://").unwrap();
        let host = rest.split_once('@').map_or(rest, |(_, h)| h);
        format!("{scheme}://{user}:{password}@{host}")
    };

    // The node runs as the application's role: migrations are already there, audit rows go in.
    let store = hedui_store_postgres::open_in_schema(&as_role(&app_role, "app-pass"), &schema).unwrap();
    store.migrate().unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    let app = common::app(store.clone(), None);
    app.audit(&Caller::system("t"), "report.read", "job:1", AuditOutcome::Ok, "x".into()).unwrap();
    app.checkpoint("manual").unwrap();
    let id = store.audit_chain(0, 100).unwrap().last().unwrap().id;
    let mut as_app = postgres::Client::connect(&as_role(&app_role, "app-pass"), postgres::NoTls).unwrap();
    as_app.batch_execute(&format!("SET search_path TO {schema}")).unwrap();
    for sql in [
        format!("UPDATE audit SET detail = 'y' WHERE id = {id}"),
        format!("DELETE FROM audit WHERE id = {id}"),
        "TRUNCATE audit".to_string(),
        "DROP TRIGGER audit_append_only ON audit".to_string(),
        "DELETE FROM audit_checkpoint".to_string(),
    ] {
        let e = as_app.batch_execute(&sql).unwrap_err();
        let e = format!("{e:?}");
        assert!(e.contains("permission denied") || e.contains("must be owner"), "{sql}: {e}");
    }
    // Even with the purge flag set (the application may move the chain's head), it cannot delete.
    as_app.batch_execute("UPDATE audit_head SET purging = 1 WHERE chain = 'query'").unwrap();
    assert!(as_app.batch_execute(&format!("DELETE FROM audit WHERE id = {id}")).is_err());
    // The purge role can, while a retention run holds the flag.
    let mut purge = postgres::Client::connect(&as_role(&purge_role, "purge-pass"), postgres::NoTls).unwrap();
    purge.batch_execute(&format!("SET search_path TO {schema}")).unwrap();
    assert_eq!(purge.execute(&format!("DELETE FROM audit WHERE id = {id}"), &[]).unwrap(), 1);
    as_app.batch_execute("UPDATE audit_head SET purging = 0 WHERE chain = 'query'").unwrap();
    assert!(purge.execute("DELETE FROM audit", &[]).is_err(), "not outside a run");
    // Through the store, as a retention run does it: the application's connection is refused,
    // the purge role's deletes.
    let last = store.audit_head("query").unwrap().seq;
    let refused = store.purge_audit("query", last).unwrap_err();
    assert!(format!("{refused:?}").contains("permission denied"), "{refused:?}");
    let purger = hedui_store_postgres::open_in_schema(&as_role(&purge_role, "purge-pass"), &schema).unwrap();
    purger.migrate().unwrap();
    // A key rotation re-seals audit text under the purge role, and nothing else of a row.
    let note = hedui_store::AuditEntry {
        note_enc: Some(hedui_core::Sealed::from_ciphertext(vec![1, 2])),
        ..app.audit_entry(&Caller::system("t"), "objection.file", "job:9", AuditOutcome::Ok, String::new())
    };
    store.audit(&note).unwrap();
    use hedui_store::rekey::{RekeyRow, RekeyTable};
    let row =
        store.rekey_page(RekeyTable::Audit, 0, 1000).unwrap().into_iter().find(|r| r.values[1].is_some()).unwrap();
    let resealed = RekeyRow { values: vec![None, Some(vec![3, 4])], ..row.clone() };
    let refused = store.rekey_audit(std::slice::from_ref(&resealed)).unwrap_err();
    assert!(format!("{refused:?}").contains("permission denied"), "{refused:?}");
    purger.rekey_audit(std::slice::from_ref(&resealed)).unwrap();
    assert_eq!(store.rekey_page(RekeyTable::Audit, row.id - 1, 1).unwrap()[0].values[1], Some(vec![3, 4]));
    let e = purge.batch_execute(&format!("UPDATE audit SET detail = 'z' WHERE id = {}", row.id)).unwrap_err();
    assert!(format!("{e:?}").contains("permission denied"), "{e:?}");
    let e = purge.batch_execute(&format!("UPDATE audit SET note_enc = NULL WHERE id = {}", row.id)).unwrap_err();
    assert!(format!("{e:?}").contains("append-only"), "not outside a rotation: {e:?}");
    assert!(purger.purge_audit("query", last).unwrap() >= 1);
    drop(purger);
    drop((as_app, purge, app, store));
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE; DROP ROLE {app_role}; DROP ROLE {purge_role};"))
        .unwrap();
}
