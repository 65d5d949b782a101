//! Contract checks of the audit chain: every backend numbers rows densely, stores the MAC and
//! link the chain's MAC gives, links each row to the one before, and keeps checkpoints.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A contract failure should stop the test with its message.

use std::sync::Arc;

use super::{audit, ts};
use crate::chain::{AuditMac, Checkpoint, content, link_input};
use crate::*;

/// A stand-in MAC (the store never computes one itself): any fixed function of the bytes will do.
struct TestMac;

impl AuditMac for TestMac {
    fn epoch(&self) -> i64 {
        7
    }
    fn mac(&self, epoch: i64, data: &[u8]) -> Option<[u8; 32]> {
        let mut out = [0u8; 32];
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ epoch as u64;
        for (i, b) in data.iter().chain(b"end").enumerate() {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
            out[i % 32] ^= (h >> 24) as u8;
        }
        Some(out)
    }
}

pub fn audit_rows_are_chained(s: &dyn Store) {
    // Rows written before the store has a MAC are not chained, but still numbered.
    s.audit(&audit("early", "x")).unwrap();
    s.set_audit_mac(Arc::new(TestMac));
    for i in 0..5 {
        s.audit(&AuditEntry { client: format!("10.0.0.{i}"), ..audit("report.read", &format!("job:{i}")) }).unwrap();
    }
    // A login goes to the security chain, numbered on its own.
    s.audit(&audit("login", "user:clerk")).unwrap();
    let all = s.audit_chain(0, 100).unwrap();
    assert_eq!(all.len(), 7);
    let login = all.last().unwrap().clone();
    assert_eq!((login.chain.as_str(), login.seq), ("security", Some(1)));
    let rows: Vec<_> = all.into_iter().filter(|r| r.chain == "query").collect();
    assert_eq!((rows[0].seq, rows[0].mac.as_ref(), rows[0].key_epoch), (Some(1), None, None), "unkeyed");
    assert_eq!(rows.iter().map(|r| r.seq.unwrap()).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6], "dense");
    let mut previous: Option<Vec<u8>> = None;
    for r in &rows[1..] {
        let (seq, epoch) = (r.seq.unwrap(), r.key_epoch.unwrap());
        assert_eq!(epoch, 7);
        let mac = TestMac.mac(epoch, &content("query", seq, epoch, &r.entry, &TestMac)).unwrap();
        assert_eq!(r.mac.as_deref(), Some(&mac[..]), "the MAC covers the row as stored");
        let link = TestMac.mac(epoch, &link_input(previous.as_deref(), &mac)).unwrap();
        assert_eq!(r.link.as_deref(), Some(&link[..]), "each link covers the one before");
        previous = r.link.clone();
    }
    assert_eq!(rows[3].entry.client, "10.0.0.2", "the client is stored");
    assert_eq!(
        s.audit_chain(rows[2].id, 2).unwrap().iter().map(|r| r.id).collect::<Vec<_>>(),
        [rows[3].id, rows[4].id]
    );
    let head = s.audit_head("query").unwrap();
    assert_eq!((head.seq, head.rows_held, head.first_seq), (6, 6, 1));
    assert_eq!(head.link, previous);
    let security = s.audit_head("security").unwrap();
    assert_eq!((security.seq, security.rows_held, security.link), (1, 1, login.link.clone()));

    let cp = Checkpoint {
        chain: "query".into(),
        seq: 6,
        link: "ab".into(),
        rows_held: 6,
        first_seq: 1,
        at: ts(9),
        kind: "manual".into(),
        key_epoch: 7,
        signer: "node#report".into(),
        public_key: "04".into(),
        signature: "30".into(),
    };
    s.put_checkpoint(&cp).unwrap();
    s.put_checkpoint(&Checkpoint { chain: "security".into(), seq: 1, ..cp.clone() }).unwrap();
    let kept: Vec<_> = s.checkpoints().unwrap().into_iter().map(|c| (c.chain, c.seq)).collect();
    assert_eq!(kept, [("query".to_string(), 6), ("security".to_string(), 1)], "in order made");
    assert_eq!(s.checkpoints().unwrap()[0], cp);
    assert_eq!(s.last_checkpoint("security").unwrap().map(|c| c.seq), Some(1));
    assert_eq!(s.last_checkpoint("query").unwrap(), Some(cp.clone()));
    assert_eq!(s.last_checkpoint("other").unwrap(), None);
}

pub fn audit_purges_from_the_oldest_end(s: &dyn Store) {
    s.set_audit_mac(Arc::new(TestMac));
    for (i, at) in [10, 20, 30, 25, 40].into_iter().enumerate() {
        s.audit(&AuditEntry { at: ts(at), ..audit("report.read", &format!("job:{i}")) }).unwrap();
    }
    s.audit(&AuditEntry { at: ts(5), ..audit("login", "user:x") }).unwrap();
    assert_eq!(s.audit_due("query", ts(5)).unwrap(), None, "nothing before the first row");
    let due = s.audit_due("query", ts(26)).unwrap().unwrap();
    // Rows at 10, 20 are due; the row at 30 is not, so the one at 25 after it stays too.
    assert_eq!((due.through_seq, due.rows), (2, 2));
    let rows = s.audit_chain(0, 100).unwrap();
    assert_eq!(due.link, rows[1].link, "the last due row's link");
    assert_eq!(s.audit_due("query", ts(1000)).unwrap().map(|d| (d.through_seq, d.rows)), Some((5, 5)));
    assert_eq!(s.purge_audit("query", due.through_seq).unwrap(), 2);
    let left: Vec<_> = s.audit_chain(0, 100).unwrap().into_iter().map(|r| (r.chain, r.seq.unwrap())).collect();
    let want = [("query", 3), ("query", 4), ("query", 5), ("security", 1)];
    assert_eq!(left, want.map(|(c, n)| (c.to_string(), n)), "the other chain is untouched");
    let head = s.audit_head("query").unwrap();
    assert_eq!((head.seq, head.rows_held, head.first_seq), (5, 3, 3));
    // Appending goes on after a purge, and the purge left the flag down.
    s.audit(&AuditEntry { at: ts(50), ..audit("report.read", "job:9") }).unwrap();
    assert_eq!(s.audit_head("query").unwrap().seq, 6);
    assert_eq!(s.purge_audit("query", 0).unwrap(), 0);
}

pub fn backups_are_whole_copies(s: &dyn Store) {
    s.audit(&audit("report.read", "job:1")).unwrap();
    let dir = std::env::temp_dir().join(format!("hedui-backup-contract-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!(
        "{}-{}.db",
        s.backend(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    ));
    let r = s.backup_into(&path.display().to_string());
    match s.backend() {
        "sqlite" => {
            r.unwrap();
            assert!(std::fs::metadata(&path).unwrap().len() > 4096, "a copy of the database");
            std::fs::remove_file(&path).unwrap();
        }
        _ => assert!(matches!(r, Err(StoreError::Invalid(m)) if m.contains("pg_basebackup"))),
    }
}
