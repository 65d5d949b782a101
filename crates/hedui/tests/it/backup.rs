//! `hedui backup` and `hedui restore` on a SQLite node: the round trip keeps every row, a backup
//! made under another key is refused, and `hedui audit verify` passes after the restore, telling
//! the rows the restore lost from a truncation.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;

/// Every row of every table, in order, as text.
fn dump(path: &std::path::Path) -> std::collections::BTreeMap<String, Vec<String>> {
    let c = rusqlite::Connection::open(path).unwrap();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    tables
        .into_iter()
        .map(|t| {
            let mut st = c.prepare(&format!("SELECT * FROM {t} ORDER BY rowid")).unwrap();
            let n = st.column_count();
            let rows = st
                .query_map([], |r| {
                    Ok((0..n).map(|i| format!("{:?}", r.get_ref(i).unwrap())).collect::<Vec<_>>().join("|"))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            (t, rows)
        })
        .collect()
}

#[test]
fn a_backup_restores_every_row_under_its_key_and_the_trail_still_verifies() {
    let dir = common::temp_dir("backup");
    let (db, key) = (dir.join("hedui.db"), dir.join("master.key"));
    let (db_s, key_s) = (db.display().to_string(), key.display().to_string());
    let run = |args: &[&str], key: &str, stdin: &str| {
        let mut all = args.to_vec();
        all.extend(["--db", &db_s, "--key", key]);
        let out = common::hedui_with_stdin(&all, stdin);
        (out.status.code(), String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr))
    };
    assert_eq!(run(&["init"], &key_s, "").0, Some(0));
    assert_eq!(
        run(&["user", "bootstrap", "--login", "sec", "--name", "安全员"], &key_s, "Sec-Admin-2026!\n").0,
        Some(0)
    );
    let backup = dir.join("backup-1.db");
    let (code, out) = run(&["backup", "--out", &backup.display().to_string()], &key_s, "");
    assert_eq!(code, Some(0), "{out}");
    let at_backup = dump(&db);
    assert_eq!(dump(&backup), at_backup, "the backup is the database as it was");
    let (code, out) = run(&["backup", "--out", &backup.display().to_string()], &key_s, "");
    assert!(code != Some(0) && out.contains("已存在"), "a backup is never overwritten: {out}");

    // Life goes on after the backup, then the database is lost.
    for _ in 0..3 {
        run(&["user", "bootstrap", "--login", "x", "--name", "x"], &key_s, "Sec-Admin-2026!\n");
    }
    assert_eq!(run(&["audit", "checkpoint"], &key_s, "").0, Some(0));
    let (code, out) = run(&["restore", "--from", &backup.display().to_string()], &key_s, "");
    assert!(code != Some(0) && out.contains("--replace"), "{out}");

    // Another node's key is refused, and nothing is touched.
    let other = dir.join("other.key");
    assert_eq!(
        common::hedui_with_stdin(
            &["init", "--db", &dir.join("other.db").display().to_string(), "--key", &other.display().to_string()],
            ""
        )
        .status
        .code(),
        Some(0)
    );
    let before = dump(&db);
    let (code, out) =
        run(&["restore", "--from", &backup.display().to_string(), "--replace"], &other.display().to_string(), "");
    assert!(code != Some(0) && out.contains("拒绝恢复"), "{out}");
    assert_eq!(dump(&db), before, "a refused restore changes nothing");

    let (code, out) = run(&["restore", "--from", &backup.display().to_string(), "--replace"], &key_s, "");
    assert_eq!(code, Some(0), "{out}");
    let restored = dump(&db);
    for (table, rows) in &at_backup {
        let now = &restored[table];
        match table.as_str() {
            // The restore is recorded: rows are added after the backup's, none changed.
            "audit" | "audit_checkpoint" => assert_eq!(&now[..rows.len()], &rows[..], "{table}"),
            "audit_head" => assert_eq!(now.len(), rows.len()),
            _ => assert_eq!(now, rows, "{table} is as it was"),
        }
    }
    assert!(restored["audit"].len() > at_backup["audit"].len(), "the restore is audited");
    let (code, out) = run(&["audit", "verify"], &key_s, "");
    assert_eq!(code, Some(0), "the trail verifies after a restore: {out}");
    assert!(out.contains("从备份恢复") && out.contains("完好"), "{out}");
}

/// The master key in escrow: five shares, any three of which give it back; two are not enough, a
/// mistyped share is refused, and the key put back together opens the node.
#[test]
fn the_master_key_splits_into_shares_and_any_three_of_five_restore_it() {
    let dir = common::temp_dir("key_shares");
    let (db, key) = (dir.join("hedui.db").display().to_string(), dir.join("master.key").display().to_string());
    assert_eq!(common::hedui_with_stdin(&["init", "--db", &db, "--key", &key], "").status.code(), Some(0));
    let out = common::hedui_with_stdin(
        &["key", "split", "--db", &db, "--key", &key, "--shares", "5", "--threshold", "3"],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let shares: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect();
    assert_eq!(shares.len(), 5);
    let join = |picked: &[usize], name: &str| {
        let input: String = picked.iter().map(|i| format!("{}\n", shares[*i])).collect();
        let out_path = dir.join(name).display().to_string();
        let out = common::hedui_with_stdin(&["key", "join", "--out", &out_path], &input);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
            out_path,
        )
    };
    let (code, text, joined) = join(&[4, 0, 2], "joined.key");
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(std::fs::read_to_string(&joined).unwrap().trim(), std::fs::read_to_string(&key).unwrap().trim());
    let (code, text, _) = join(&[1, 3], "two.key");
    assert!(code != Some(0) && text.contains("份额不足"), "{text}");
    let mut typo = shares.clone();
    typo[1] = typo[1].replacen(":2:", ":7:", 1);
    let input = format!("{}\n{}\n{}\n", shares[0], typo[1], shares[2]);
    let out = common::hedui_with_stdin(&["key", "join", "--out", &dir.join("typo.key").display().to_string()], &input);
    assert!(String::from_utf8_lossy(&out.stderr).contains("校验失败"), "{}", String::from_utf8_lossy(&out.stderr));
    // The node opens under the key put back together, and the split is in its audit trail.
    let verify = common::hedui_with_stdin(&["audit", "verify", "--db", &db, "--key", &joined], "");
    assert_eq!(verify.status.code(), Some(0), "{}", String::from_utf8_lossy(&verify.stdout));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM audit WHERE action = 'key.split'", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);
}
