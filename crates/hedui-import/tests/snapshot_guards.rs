//! Imports that cannot wipe data: an empty or shrunken full snapshot is refused with both row
//! counts unless someone confirms it (and is audited); a dry run stores nothing; a negative amount
//! is rejected with its row. On SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::sync::Arc;

use hedui_core::Date;
use hedui_crypto::SoftKeys;
use hedui_identity::Identity;
use hedui_import::{ImportError, ImportInput, dry_run, import};
use hedui_store::{IssueSeverity, Store};

fn stores(tag: &str) -> Vec<Box<dyn Store>> {
    let s = hedui_store_sqlite::open_in_memory().unwrap();
    s.migrate().unwrap();
    let mut out: Vec<Box<dyn Store>> = vec![Box::new(s)];
    match hedui_store_postgres::test_url() {
        Some(url) => {
            let schema = format!("imp_{tag}_{}", std::process::id());
            let pg = hedui_store_postgres::open_scratch_schema(&url, &schema).unwrap();
            pg.migrate().unwrap();
            out.push(Box::new(pg));
        }
        None => hedui_store_postgres::skip_notice(tag),
    }
    out
}

fn identity() -> Identity {
    Identity::new(Arc::new(SoftKeys::from_master(&[3; 32]).unwrap()))
}

fn input<'a>(bytes: &'a [u8], as_of: &str) -> ImportInput<'a> {
    ImportInput {
        source: "shuiwu",
        file_name: "tax.csv",
        as_of: Date::parse(as_of).unwrap(),
        bytes,
        now: hedui_core::Timestamp::parse("2026-11-28T08:00:00Z").expect("a timestamp"),
        actor: "tester",
        request_id: "r1",
        mode: hedui_store::SnapshotMode::Full,
        confirm_shrink: None,
        min_share: hedui_import::DEFAULT_MIN_SHARE,
        progress: None,
    }
}

fn id_of(n: u32) -> String {
    let first17 = format!("3204021990{:02}{:02}{:03}", 1 + n / 28_000 % 12, 1 + n / 1000 % 28, n % 1000);
    let c = hedui_core::id_number::check_char(first17.as_bytes()).unwrap();
    format!("{first17}{}", c as char)
}

const HEADER: &str = "身份证号,姓名,所属期,所得项目,收入额,扣缴义务人\n";

fn tax(persons: std::ops::Range<u32>, amount: &str) -> String {
    let mut f = String::from(HEADER);
    for p in persons {
        f.push_str(&format!("{},测试{p},2026-10,工资薪金,{amount},常州某公司\n", id_of(p)));
    }
    f
}

/// Rows of every table, to show that nothing changed.
fn counts(s: &dyn Store) -> (i64, i64, usize, usize) {
    (
        s.count_records().unwrap(),
        s.count_persons().unwrap(),
        s.batches().unwrap().len(),
        s.audit_log(None, 100_000).unwrap().len(),
    )
}

#[test]
fn empty_and_shrunken_full_snapshots_are_refused_with_their_counts_unless_confirmed() {
    let id = identity();
    for s in stores("shrink") {
        let s = s.as_ref();
        // A header-only file as the very first snapshot.
        let empty = HEADER.to_string();
        match import(s, &id, &input(empty.as_bytes(), "2026-10-31")) {
            Err(e @ ImportError::Shrunk { .. }) => {
                let m = e.to_string();
                assert!(m.contains("只有 0 行") && m.contains("--confirm-shrink"), "{m}");
            }
            other => panic!("an empty snapshot was not refused: {other:?}"),
        }
        assert_eq!(counts(s).0, 0);

        let full = tax(0..20, "3000.00");
        import(s, &id, &input(full.as_bytes(), "2026-10-31")).unwrap();
        let before = counts(s);
        // A header-only file, then a 7-row file, as the next full snapshot.
        for (file, rows) in [(HEADER.to_string(), 0), (tax(0..7, "3000.00"), 7)] {
            let err = import(s, &id, &input(file.as_bytes(), "2026-11-30")).unwrap_err().to_string();
            assert!(err.contains(&format!("只有 {rows} 行")) && err.contains("有 20 行"), "{err}");
            assert_eq!(counts(s).0, before.0, "a refused snapshot stored nothing");
            let refusal = s.audit_log(Some("source:shuiwu"), 1).unwrap().remove(0);
            assert!(refusal.entry.detail.contains("拒绝导入"), "the refusal is audited: {:?}", refusal.entry);
        }
        // Ten of twenty is the default limit's edge: accepted.
        let half = tax(100..110, "3000.00");
        assert!(import(s, &id, &input(half.as_bytes(), "2026-11-29")).is_ok());
        // A 4-row file after it is below half: confirmed, it is stored, and the audit names who
        // confirmed.
        let small = tax(0..4, "3100.00");
        let mut confirmed = input(small.as_bytes(), "2026-11-30");
        confirmed.confirm_shrink = Some("os:clerk@host-1");
        let sum = import(s, &id, &confirmed).unwrap();
        assert_eq!(sum.stats.accepted, 4);
        let audit = s.audit_log(Some("source:shuiwu"), 20).unwrap();
        let who =
            audit.iter().find(|a| a.entry.action == "mirror.import.confirm_shrink").expect("confirmation audited");
        assert_eq!(who.entry.actor, "os:clerk@host-1");
        assert!(
            who.entry.detail.contains("本次 4 行") && who.entry.detail.contains("有 10 行"),
            "{}",
            who.entry.detail
        );
        // An incremental snapshot may be small.
        let inc = tax(0..1, "3200.00");
        let mut i = input(inc.as_bytes(), "2026-12-01");
        i.mode = hedui_store::SnapshotMode::Incremental;
        import(s, &id, &i).unwrap();
    }
}

#[test]
fn a_dry_run_says_what_would_change_and_changes_no_row() {
    let id = identity();
    for s in stores("dryrun") {
        let s = s.as_ref();
        import(s, &id, &input(tax(0..20, "3000.00").as_bytes(), "2026-10-31")).unwrap();
        // Next month: persons 0–4 gone, 5–9 with a new amount, 10–19 the same, 20–24 new.
        let mut next = tax(5..10, "3500.00");
        next.push_str(&tax(10..25, "3000.00")[HEADER.len()..]);
        let before = counts(s);
        let d =
            dry_run(s, &id, hedui_import::mapping::Mappings::builtin(), &input(next.as_bytes(), "2026-11-30")).unwrap();
        assert_eq!(counts(s), before, "a dry run wrote something");
        assert_eq!((d.new, d.gone, d.changed, d.unchanged), (5, 5, 5, 10), "{d:?}");
        assert_eq!(d.stats.total, 20);
        assert!(d.refused.is_none());
        // A dry run of a shrunken snapshot says the import would be refused.
        let d = dry_run(
            s,
            &id,
            hedui_import::mapping::Mappings::builtin(),
            &input(tax(0..3, "1.00").as_bytes(), "2026-11-30"),
        )
        .unwrap();
        assert!(d.refused.as_deref().is_some_and(|r| r.contains("有 20 行")), "{d:?}");
        assert_eq!(counts(s), before);
    }
}

#[test]
fn a_negative_amount_is_rejected_with_its_row() {
    let id = identity();
    for s in stores("negative") {
        let s = s.as_ref();
        let mut f = tax(0..3, "3000.00");
        f.push_str(&format!("{},测试9,2026-10,工资薪金,-3000.00,常州某公司\n", id_of(9)));
        let sum = import(s, &id, &input(f.as_bytes(), "2026-10-31")).unwrap();
        assert_eq!((sum.stats.accepted, sum.stats.rejected), (3, 1));
        let bad = sum.issues.iter().find(|i| i.severity == IssueSeverity::Rejected).unwrap();
        assert_eq!(bad.line, 5);
        assert!(bad.reason.contains("不能为负数") && bad.reason.contains("-3000.00"), "{}", bad.reason);
    }
}
