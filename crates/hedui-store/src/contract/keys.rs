//! Contract checks of the node's signing keys: one active per purpose, rolled and revoked.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A contract failure should stop the test with its message.

use super::{audit, bx, household, key, sd, ts};
use crate::*;

pub fn node_keys_roll_and_revoke(s: &dyn Store) {
    let key = |pk: &str, at: i64| NodeKeyRow {
        id: 0,
        purpose: "sign".into(),
        public_key: pk.into(),
        secret_enc: sd(vec![at as u8]),
        state: "active".into(),
        created_at: ts(at),
        changed_at: None,
        reason: "生成".into(),
    };
    assert!(s.node_keys("sign").unwrap().is_empty());
    let first = s.add_node_key(&key("04aa", 1), &audit("key.generate", "node-key")).unwrap();
    let second = s.add_node_key(&key("04bb", 2), &audit("key.roll", "node-key")).unwrap();
    let keys = s.node_keys("sign").unwrap();
    let states: Vec<_> = keys.iter().map(|k| (k.id, k.public_key.as_str(), k.state.as_str())).collect();
    assert_eq!(states, [(first, "04aa", "retired"), (second, "04bb", "active")], "one active");
    assert_eq!(keys[0].changed_at, Some(ts(2)));
    assert_eq!(keys[1].secret_enc.as_bytes(), &[2]);
    assert!(s.add_node_key(&key("04bb", 3), &audit("key.roll", "node-key")).is_err(), "a public key once");
    assert_eq!(s.node_keys("sign").unwrap().iter().filter(|k| k.state == "active").count(), 1, "nothing changed");
    assert!(s.revoke_node_key(first, ts(4), "泄露", &audit("key.revoke", "node-key")).unwrap());
    assert!(!s.revoke_node_key(first, ts(5), "again", &audit("key.revoke", "node-key")).unwrap(), "once");
    let revoked = &s.node_keys("sign").unwrap()[0];
    assert_eq!((revoked.state.as_str(), revoked.reason.as_str(), revoked.changed_at), ("revoked", "泄露", Some(ts(4))));
    assert!(s.node_keys("other").unwrap().is_empty());
}

/// A rotation reads every sealed table a page at a time and writes a page back with its cursor.
pub fn rotation_rewrites_sealed_values(s: &dyn Store) {
    use crate::rekey::{RekeyRow, RekeyTable};
    for t in RekeyTable::ALL {
        assert!(s.rekey_page(t, 0, 5).unwrap().is_empty(), "{t:?} reads on an empty database");
    }
    let persons = s.resolve_persons(&[key(1), key(2), key(3)]).unwrap();
    let hid = s.create_household(&household("H1", "320481"), ts(0), &audit("household.create", "H1")).unwrap();
    let page = s.rekey_page(RekeyTable::Person, 0, 2).unwrap();
    assert_eq!(page.iter().map(|r| r.id).collect::<Vec<_>>(), [persons[0].0, persons[1].0], "in id order");
    assert_eq!(page[0].values, [Some(vec![1; 32]), Some(vec![1, 1, 1])], "index, then sealed value");
    let rows: Vec<RekeyRow> = page
        .iter()
        .map(|r| RekeyRow { values: vec![Some(vec![r.id as u8 + 40; 32]), Some(vec![9, r.id as u8])], ..r.clone() })
        .collect();
    s.rekey_apply(RekeyTable::Person, &rows, &audit("key.rotate", "person")).unwrap();
    assert_eq!(s.find_person(&bx(vec![persons[1].0 as u8 + 40; 32])).unwrap(), Some(persons[1]));
    assert_eq!(s.find_person(&bx(vec![1; 32])).unwrap(), None, "the old index is gone");
    assert_eq!(s.person_id_enc(persons[0]).unwrap(), Some(vec![9, persons[0].0 as u8]));
    assert_eq!(s.meta("rekey.person").unwrap(), Some(persons[1].0.to_string()), "the cursor, with the rows");
    assert_eq!(s.rekey_page(RekeyTable::Person, persons[1].0, 5).unwrap().len(), 1, "the rest");
    // A member's place is named by its household's number and its seq.
    let members = s.rekey_page(RekeyTable::Member, 0, 5).unwrap();
    assert_eq!(members[0].context, ["H1", "1"]);
    assert_eq!(members.len(), s.household(hid).unwrap().unwrap().members.len());
    let households = s.rekey_page(RekeyTable::Household, 0, 5).unwrap();
    assert_eq!(households[0].context, ["H1"]);
    // A row that is not there, or values that do not fit the table, change nothing.
    let ghost = RekeyRow { id: 9999, context: vec![], values: vec![Some(vec![1; 32]), Some(vec![1])] };
    assert!(s.rekey_apply(RekeyTable::Person, &[rows[0].clone(), ghost], &audit("key.rotate", "person")).is_err());
    let short = RekeyRow { values: vec![None], ..rows[0].clone() };
    assert!(s.rekey_apply(RekeyTable::Person, &[short], &audit("key.rotate", "person")).is_err());
    assert!(s.rekey_apply(RekeyTable::Audit, &[], &audit("key.rotate", "audit")).is_err(), "audit rows apart");
    assert_eq!(s.person_id_enc(persons[0]).unwrap(), Some(vec![9, persons[0].0 as u8]), "nothing changed");

    // Audit rows: only their sealed text changes, and only through rekey_audit.
    let note = AuditEntry {
        note_enc: Some(sd(vec![5, 5])),
        search_enc: Some(sd(vec![6])),
        ..audit("objection.file", "job:1")
    };
    s.audit(&note).unwrap();
    let audit_rows = s.rekey_page(RekeyTable::Audit, 0, 100).unwrap();
    let row = audit_rows.iter().find(|r| r.values[1].is_some()).unwrap().clone();
    assert_eq!(row.values, [Some(vec![6]), Some(vec![5, 5])]);
    s.rekey_audit(&[RekeyRow { values: vec![Some(vec![7]), Some(vec![8, 8])], ..row.clone() }]).unwrap();
    let after = s.rekey_page(RekeyTable::Audit, row.id - 1, 1).unwrap();
    assert_eq!(after[0].values, [Some(vec![7]), Some(vec![8, 8])]);
    let chained = s.audit_chain(row.id - 1, 1).unwrap();
    assert_eq!((chained[0].entry.action.as_str(), chained[0].entry.detail.as_str()), ("objection.file", ""));
    assert_eq!(s.audit_head("query").unwrap().seq, chained[0].seq.unwrap(), "no row added or moved");
}

/// Key epochs are recorded, changed by epoch, and read back oldest first, with `meta` values.
pub fn key_epochs_are_recorded(s: &dyn Store) {
    use crate::rekey::KeyEpochRow;
    assert!(s.key_epochs().unwrap().is_empty());
    let e = |epoch: i64, state: &str| KeyEpochRow {
        epoch,
        fingerprint: format!("fp{epoch}"),
        state: state.into(),
        started_at: ts(epoch),
        finished_at: None,
        retained_enc: None,
    };
    s.put_key_epochs(&[e(2, "current"), e(1, "rotating")], &[("key_epoch", "2")], &audit("key.rotate", "master-key"))
        .unwrap();
    let retired =
        KeyEpochRow { state: "retired".into(), finished_at: Some(ts(9)), retained_enc: Some(vec![4, 2]), ..e(1, "") };
    s.put_key_epochs(
        std::slice::from_ref(&retired),
        &[("key_epoch", "2"), ("rekey.person", "0")],
        &audit("key.rotate", "master-key"),
    )
    .unwrap();
    assert_eq!(s.key_epochs().unwrap(), [retired, e(2, "current")]);
    assert_eq!((s.meta("key_epoch").unwrap(), s.meta("rekey.person").unwrap()), (Some("2".into()), Some("0".into())));
    assert_eq!(s.audit_log(Some("master-key"), 10).unwrap().len(), 2, "each change audited");
}
