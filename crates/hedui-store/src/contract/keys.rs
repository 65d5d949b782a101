//! Contract checks of the node's signing keys: one active per purpose, rolled and revoked.

#![allow(clippy::unwrap_used, clippy::expect_used)] // A contract failure should stop the test with its message.

use super::{audit, sd, ts};
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
