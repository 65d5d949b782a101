//! Checking the audit chain: each row's MAC, its place, its link to the row before, and the chain
//! against signed checkpoints exported off the database. Pure: the rows, the MAC and the
//! checkpoints are given; nothing is read or written here.
//!
//! What it can name: an edited row (its MAC fails); deleted rows (the seqs missing between two
//! rows that remain); a reordered row (its id is out of seq order); an altered link; a truncated
//! tail (the database ends before the last exported checkpoint; the rows missing are those after
//! the last checkpoint that still matches); and a chain rewritten by someone who holds the MAC key
//! but not the exported checkpoints (located between the last checkpoint that matches and the
//! first that does not). What it cannot: rows removed from the tail after the last exported
//! checkpoint, or a rewrite of only those rows by a key holder.

use std::collections::HashMap;

use hedui_crypto::encode_hex;
use hedui_store::chain::{self, AuditMac, ChainRow, Checkpoint};

/// One thing found wrong.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// The row's content (or its MAC) was changed.
    Edited { id: i64, seq: i64 },
    /// The rows of these seqs are missing, with rows held on both sides (or a first row held
    /// that no purge checkpoint explains).
    Deleted { from_seq: i64, to_seq: i64 },
    /// The row stands after a row of a later seq: ids were changed to reorder the trail (or a
    /// seq was given twice).
    Reordered { id: i64, seq: i64, after_seq: i64 },
    /// The row's content is intact but its link is not the chain's: the link was altered.
    LinkBroken { id: i64, seq: i64 },
    /// The row was made under a key epoch this node does not hold.
    UnknownEpoch { id: i64, epoch: i64 },
    /// The database ends at `last_seq`, before exported checkpoints: at least `missing` rows
    /// after seq `last_seq` are gone. `last_matching` is the last checkpoint that still matches.
    Truncated { last_seq: i64, missing: i64, last_matching: Option<i64> },
    /// The chain was rewritten with the key: its links differ from the exported checkpoints from
    /// a row after seq `after_seq` up to seq `through_seq`.
    Rewritten { after_seq: i64, through_seq: i64, checkpoints_differing: usize },
    /// An exported checkpoint whose signature does not hold.
    BadCheckpoint { seq: i64, at: String, reason: String },
}

/// What `verify` found in the whole trail: each chain's verdict, and the rows written before the
/// chains began.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AuditVerification {
    pub chains: Vec<Verification>,
    /// Rows written before the chains began: nothing can be said of them.
    pub before_chains: i64,
}

impl AuditVerification {
    /// Whether nothing was found wrong in any chain.
    pub fn intact(&self) -> bool {
        self.chains.iter().all(Verification::intact)
    }

    /// The verdict of one chain.
    pub fn chain(&self, name: &str) -> Option<&Verification> {
        self.chains.iter().find(|c| c.chain == name)
    }

    /// Every finding, with its chain.
    pub fn findings(&self) -> impl Iterator<Item = (&str, &Finding)> {
        self.chains.iter().flat_map(|c| c.findings.iter().map(move |f| (c.chain.as_str(), f)))
    }
}

/// What `verify` found in one chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Verification {
    /// The chain (`security` or `query`).
    pub chain: String,
    /// Rows read.
    pub rows: i64,
    /// Rows the chain protects.
    pub chained: i64,
    /// Rows written without a MAC (by a store the node had not given its key): nothing can be
    /// said of them.
    pub unprotected: i64,
    /// The first and last seq held.
    pub first_seq: i64,
    pub last_seq: i64,
    /// Exported checkpoints given, and how many match the database.
    pub checkpoints: usize,
    pub checkpoints_matching: usize,
    /// Checkpoints of rows lost when the database was restored from a backup (made before a
    /// `restore` checkpoint, beyond its seq): not compared.
    pub superseded_by_restore: usize,
    pub findings: Vec<Finding>,
}

impl Verification {
    /// Whether nothing was found wrong.
    pub fn intact(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Checks rows fed in id order, then the checkpoints. Memory stays small: one bit per seq, and
/// the links at the checkpoints' seqs.
pub struct Verifier<'a> {
    mac: &'a dyn AuditMac,
    /// The link found at each checkpoint's seq.
    wanted: HashMap<i64, Option<Vec<u8>>>,
    /// Links a purge checkpoint vouches for: the link of the row before the first row held.
    anchors: HashMap<i64, Vec<u8>>,
    /// The previous chained row in id order: its seq and link.
    previous: Option<(i64, Vec<u8>)>,
    /// The highest seq met so far, and which seqs were met.
    highest: i64,
    lowest: Option<i64>,
    seen: Vec<u64>,
    /// The seqs edited rows claim: their places are explained, not missing.
    edited: std::collections::BTreeSet<i64>,
    out: Verification,
}

impl<'a> Verifier<'a> {
    /// A verifier for `chain` under `mac`, against its `checkpoints` whose signatures hold.
    pub fn new(chain: &str, mac: &'a dyn AuditMac, checkpoints: &[Checkpoint]) -> Verifier<'a> {
        let wanted = checkpoints.iter().map(|c| (c.seq, None)).collect();
        // A purge checkpoint names the last row purged: the first row held links to it.
        let anchors = checkpoints
            .iter()
            .filter(|c| c.seq > 0 && c.first_seq == c.seq + 1)
            .filter_map(|c| hedui_crypto::decode_hex(&c.link).map(|l| (c.seq + 1, l)))
            .collect();
        Verifier {
            mac,
            wanted,
            anchors,
            previous: None,
            highest: 0,
            lowest: None,
            seen: Vec::new(),
            edited: std::collections::BTreeSet::new(),
            out: Verification { chain: chain.into(), ..Verification::default() },
        }
    }

    /// Marks `seq` met; false when it was met before.
    fn mark(&mut self, seq: i64) -> bool {
        let (word, bit) = ((seq.max(0) / 64) as usize, seq.max(0) % 64);
        if self.seen.len() <= word {
            self.seen.resize(word + 1, 0);
        }
        let fresh = self.seen[word] & (1 << bit) == 0;
        self.seen[word] |= 1 << bit;
        fresh
    }

    /// Whether a row holds `seq`: one that verified, or an edited one that claims it.
    fn met(&self, seq: i64) -> bool {
        let (word, bit) = ((seq.max(0) / 64) as usize, seq.max(0) % 64);
        self.seen.get(word).is_some_and(|w| w & (1 << bit) != 0) || self.edited.contains(&seq)
    }

    /// Takes the next row in id order.
    pub fn row(&mut self, r: &ChainRow) {
        self.out.rows += 1;
        let (Some(seq), Some(epoch), Some(mac), Some(link)) = (r.seq, r.key_epoch, &r.mac, &r.link) else {
            self.out.unprotected += 1;
            return;
        };
        self.out.chained += 1;
        let Some(own) = self.mac.mac(epoch, &chain::content(&r.chain, seq, epoch, &r.entry, self.mac)) else {
            self.out.findings.push(Finding::UnknownEpoch { id: r.id, epoch });
            return;
        };
        if own.as_slice() != mac.as_slice() {
            // Nothing of an edited row can be trusted, its seq included: its place is left
            // unmet (and a seq made huge cannot make the verifier take memory for it).
            self.out.findings.push(Finding::Edited { id: r.id, seq });
            self.edited.insert(seq);
            return;
        }
        let fresh = self.mark(seq);
        if seq <= self.highest || !fresh {
            self.out.findings.push(Finding::Reordered { id: r.id, seq, after_seq: self.highest });
        }
        // The link is checked where the row before it in the chain is known: the previous row
        // in id order, or a purge checkpoint's anchor.
        let before = match &self.previous {
            Some((p, l)) if *p == seq - 1 => Some(Some(l.as_slice())),
            Some(_) => None,
            None if seq == 1 => Some(None),
            None => self.anchors.get(&seq).map(|a| Some(a.as_slice())),
        };
        if let Some(before) = before {
            let expected = self.mac.mac(epoch, &chain::link_input(before, mac));
            if expected.is_some_and(|e| e.as_slice() != link.as_slice()) {
                self.out.findings.push(Finding::LinkBroken { id: r.id, seq });
            }
        }
        if let Some(w) = self.wanted.get_mut(&seq) {
            *w = Some(link.clone());
        }
        self.highest = self.highest.max(seq);
        self.lowest = Some(self.lowest.map_or(seq, |l| l.min(seq)));
        self.previous = Some((seq, link.clone()));
    }

    /// The seqs missing between the first row held and the last: deleted rows. The first row
    /// held may start after 1 only where a purge checkpoint anchors it.
    fn gaps(&mut self) {
        let Some(lowest) = self.lowest else { return };
        if lowest > 1 && !self.anchors.contains_key(&lowest) {
            self.out.findings.push(Finding::Deleted { from_seq: 1, to_seq: lowest - 1 });
        }
        let mut seq = lowest;
        while seq <= self.highest {
            if self.met(seq) {
                seq += 1;
                continue;
            }
            let from = seq;
            while seq <= self.highest && !self.met(seq) {
                seq += 1;
            }
            self.out.findings.push(Finding::Deleted { from_seq: from, to_seq: seq - 1 });
        }
    }

    /// The checkpoints' verdict, once every row was taken: `checkpoints` are the exported ones
    /// whose signatures hold.
    pub fn finish(mut self, checkpoints: &[Checkpoint]) -> Verification {
        self.gaps();
        self.out.first_seq = self.lowest.unwrap_or(0);
        self.out.last_seq = self.highest;
        self.out.checkpoints += checkpoints.len();
        // A restore supersedes what was exported before it beyond the seq it restored to.
        let superseded = |i: usize, c: &Checkpoint| {
            checkpoints[i + 1..].iter().any(|r| r.kind == "restore" && c.kind != "restore" && c.seq > r.seq)
        };
        let kept: Vec<&Checkpoint> =
            checkpoints.iter().enumerate().filter(|(i, c)| !superseded(*i, c)).map(|(_, c)| c).collect();
        self.out.superseded_by_restore = checkpoints.len() - kept.len();
        let mut sorted = kept;
        sorted.sort_by_key(|c| (c.seq, c.at));
        let (mut last_matching, mut beyond) = (None, None);
        let mut rewrite: Option<(i64, i64, usize)> = None;
        // Checkpoints of rows a retention run purged (through its purge checkpoint's seq) have
        // nothing left to compare with.
        let purged_through = self.anchors.keys().map(|s| s - 1).max().unwrap_or(0);
        for c in sorted {
            if c.seq <= purged_through {
                continue;
            }
            if c.seq > self.out.last_seq {
                beyond = Some(c.seq);
                continue;
            }
            if c.seq == 0 || c.seq < self.out.first_seq {
                // An empty chain's, or before a purge: nothing held to compare with.
                continue;
            }
            match self.wanted.get(&c.seq) {
                Some(Some(link)) if encode_hex(link) == c.link => {
                    self.out.checkpoints_matching += 1;
                    if rewrite.is_none() {
                        last_matching = Some(c.seq);
                    }
                }
                Some(Some(_)) => match rewrite.as_mut() {
                    Some(r) => r.2 += 1,
                    None => rewrite = Some((last_matching.unwrap_or(self.out.first_seq - 1), c.seq, 1)),
                },
                // The row of that seq is gone: named as deleted above.
                _ => {}
            }
        }
        if let Some((after_seq, through_seq, checkpoints_differing)) = rewrite {
            self.out.findings.push(Finding::Rewritten { after_seq, through_seq, checkpoints_differing });
        }
        if let Some(b) = beyond {
            let last_seq = self.out.last_seq;
            self.out.findings.push(Finding::Truncated { last_seq, missing: b - last_seq, last_matching });
        }
        self.out
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::Edited { id, seq } => write!(f, "第 {id} 行（seq {seq}）被修改：内容与其 MAC 不符"),
            Finding::Deleted { from_seq, to_seq } => {
                write!(f, "seq {from_seq}–{to_seq} 的 {} 行被删除", to_seq - from_seq + 1)
            }
            Finding::Reordered { id, seq, after_seq } => {
                write!(f, "第 {id} 行（seq {seq}）顺序被调换：排在 seq {after_seq} 之后")
            }
            Finding::LinkBroken { id, seq } => write!(f, "第 {id} 行（seq {seq}）的链接值被改动"),
            Finding::UnknownEpoch { id, epoch } => write!(f, "第 {id} 行的密钥纪元 {epoch} 本节点没有，无法核验"),
            Finding::Truncated { last_seq, missing, last_matching } => {
                write!(f, "末尾被截断：数据库止于 seq {last_seq}，导出的检查点之后至少缺 {missing} 行")?;
                match last_matching {
                    Some(s) => write!(f, "；最后一个仍吻合的检查点在 seq {s}"),
                    None => write!(f, "；没有仍吻合的检查点"),
                }
            }
            Finding::Rewritten { after_seq, through_seq, checkpoints_differing } => write!(
                f,
                "审计链被持有密钥者重写：改动始于 seq {after_seq} 之后、seq {through_seq} 及之前（{checkpoints_differing} 个导出的检查点与数据库不符）"
            ),
            Finding::BadCheckpoint { seq, at, reason } => write!(f, "检查点（seq {seq}，{at}）不可信：{reason}"),
        }
    }
}
