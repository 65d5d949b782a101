//! The audit chain, attacked as someone with the database's password would: rows edited, deleted,
//! reordered, the tail cut off, and (holding the key as well) the chain rewritten. `verify` names
//! each against the checkpoints exported off the database, on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::path::PathBuf;
use std::sync::Arc;

use hedui_app::admin::chain::read_checkpoints;
use hedui_app::admin::verify::{Finding, Verification};
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
            (0..12).for_each(|n| read(n).unwrap());
            let first = app.checkpoint("manual").unwrap().seq;
            (12..24).for_each(|n| read(n).unwrap());
            let second = app.checkpoint("manual").unwrap().seq;
            (24..30).for_each(|n| read(n).unwrap());
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

    fn verify(&self) -> Verification {
        let exported = read_checkpoints(&std::fs::read_to_string(&self.export).unwrap()).unwrap();
        self.app.verify_audit(&Caller::system("verify"), &exported).unwrap()
    }
}

#[test]
fn an_untouched_trail_verifies_and_every_row_is_chained() {
    for node in nodes_with_trail("chain_ok") {
        let v = node.verify();
        assert!(v.intact(), "{:?}", v.findings);
        assert_eq!((v.checkpoints, v.checkpoints_matching), (2, 2));
        assert_eq!(v.unprotected, 0, "every row of a new node is chained");
        assert_eq!(v.chained, v.rows);
        assert_eq!(v.first_seq, 1);
        let r = node.read(3);
        assert_eq!((r.entry.client.as_str(), r.key_epoch), ("10.0.0.7", Some(1)), "the client address is kept");
        // The check itself is audited, and the trail still verifies with that row.
        let again = node.verify();
        assert!(again.intact() && again.rows == v.rows + 1, "{:?}", again.findings);
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
        // A changed actor, or a forged MAC copied from another row, is caught the same way.
        let other = node.read(6);
        let mac = node.raw.blob(node.read(7).mac.as_deref().unwrap());
        node.raw.exec(&format!("UPDATE audit SET mac = {mac} WHERE id = {}", other.id));
        let found = node.verify().findings;
        assert!(found.contains(&Finding::Edited { id: other.id, seq: other.seq.unwrap() }), "{found:?}");
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
        let n = node.raw.exec_n(&format!("DELETE FROM audit WHERE seq > {cut}"));
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
        let rows = node.rows();
        let target = first + 2;
        let mut previous = rows.iter().find(|r| r.seq == Some(target - 1)).unwrap().link.clone().unwrap();
        for r in rows.iter().filter(|r| r.seq.is_some_and(|s| s >= target)) {
            let seq = r.seq.unwrap();
            let mut entry = r.entry.clone();
            if seq == target {
                entry.detail = "改写".into();
                node.raw.exec(&format!("UPDATE audit SET detail = '改写' WHERE id = {}", r.id));
            }
            let m = mac(&hedui_store::chain::content(seq, 1, &entry));
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
        cps[1].seq += 5;
        let v = node.app.verify_audit(&Caller::system("verify"), &cps).unwrap();
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
    let id: i64 = conn.query_row("SELECT id FROM audit WHERE action = 'user.bootstrap'", [], |r| r.get(0)).unwrap();
    conn.execute("UPDATE audit SET actor = 'someone-else' WHERE id = ?1", [id]).unwrap();
    let (code, out) = run(&["audit", "verify"], "");
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(&format!("第 {id} 行")) && out.contains("被修改"), "{out}");
    // A checkpoint file named on the command line must exist.
    let (code, out) = run(&["audit", "verify", "--checkpoints", "/nonexistent/cps.jsonl"], "");
    assert!(code != Some(0) && out.contains("读取检查点文件"), "{out}");
}
