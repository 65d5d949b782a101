//! A database made by the previous release, migrated: every sealed value is bound to its row,
//! every report it issued opens with the same digest and plaintext, is signed by the migration
//! and says so, and renders exactly as before but for the signature block.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hedui_app::sign::{self, Format};
use hedui_store::ReportState;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/release-0.1")
}

/// A file's content without its signature block.
fn content(file: &[u8]) -> &[u8] {
    for mark in [&b"\n%HEDUI-SM2 "[..], b"\n<!-- HEDUI-SM2 "] {
        if let Some(i) = file.windows(mark.len()).rposition(|w| w == mark) {
            return &file[..i];
        }
    }
    panic!("no signature block")
}

#[test]
fn the_previous_releases_database_migrates_with_every_report_intact() {
    let dir = common::temp_dir("migration");
    let db = dir.join("hedui.db");
    std::fs::copy(fixture().join("release-0.1.sqlite"), &db).unwrap();
    let store = hedui::open_store(&db.display().to_string()).unwrap();
    assert_eq!(store.meta(hedui_app::upgrade::KEY_FINGERPRINT).unwrap(), None, "the old release kept no fingerprint");

    // A different key is refused before anything changes.
    let wrong = hedui::build_app(
        store.clone(),
        Arc::new(hedui_crypto::SoftKeys::from_master(&[6; 32]).unwrap()),
        Vec::new(),
        common::clock(),
        None,
    );
    assert!(wrong.is_err());
    assert_eq!(store.meta(hedui_app::upgrade::KEY_FINGERPRINT).unwrap(), None);

    let app = Arc::new(common::app(store.clone(), None));
    assert_eq!(store.meta(hedui_app::upgrade::SEALED_FORMAT).unwrap().as_deref(), Some("2"));
    // Nothing is left in the old format.
    assert!(store.persons_page(0, 10_000).unwrap().iter().all(|p| !hedui_crypto::is_legacy(&p.id_enc)));
    let records = store.records_page(0, 100_000).unwrap();
    assert!(!records.is_empty());
    assert!(records.iter().all(|r| !hedui_crypto::is_legacy(&r.rec.detail_enc)
        && r.rec.raw_id_enc.as_deref().is_none_or(|v| !hedui_crypto::is_legacy(v))));

    let actor = common::clerk();
    let web = hedui_web::Web::new(app.clone());
    let mut seen = 0;
    let mut pdfs = 0;
    for f in std::fs::read_dir(fixture().join("reports")).unwrap() {
        let path = f.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("sm3") {
            continue;
        }
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        let (job, version) = stem.split_once("-v").unwrap();
        let job = hedui_core::JobId(job.parse().unwrap());
        let version: i64 = version.parse().unwrap();
        let row = store.reports(job).unwrap().into_iter().find(|r| r.version == version).unwrap();
        assert_eq!(row.body_sm3, std::fs::read_to_string(&path).unwrap().trim(), "the digest is unchanged");
        assert_eq!((row.state, row.signed_in_migration), (ReportState::Issued, true));
        assert!(!row.completed_sig.is_empty() && !row.issued_sig.is_empty());

        let r = app.report(&actor, job, Some(version)).unwrap();
        let body = serde_json::to_vec(&r).unwrap();
        assert_eq!(hedui_crypto::encode_hex(&hedui_crypto::sm3(&body)), row.body_sm3, "the plaintext is unchanged");
        assert!(r.seal.as_ref().is_some_and(|s| s.signed_in_migration));

        let html = hedui_web::report_html(&web, Some(&actor), &r).unwrap();
        let html = app.sign_report(&r, Format::Html, html.as_bytes()).unwrap();
        let old = std::fs::read(fixture().join("reports").join(format!("{stem}.html"))).unwrap();
        assert_eq!(content(&html), content(&old), "{stem}.html differs beyond its signature block");
        let s = sign::verify(&html, Some(&app.signer.public().sign)).unwrap();
        assert!(s.seal.is_some_and(|x| x.signed_in_migration && x.outcome == r.assessment.outcome.code()));

        let old_pdf = fixture().join("reports").join(format!("{stem}.pdf"));
        if old_pdf.exists() {
            let pdf = app.report_file(&actor, job, Some(version), Format::Pdf).unwrap();
            assert_eq!(content(&pdf), content(&std::fs::read(&old_pdf).unwrap()), "{stem}.pdf differs");
            sign::verify(&pdf, Some(&app.signer.public().sign)).unwrap();
            pdfs += 1;
        }
        seen += 1;
    }
    assert_eq!((seen, pdfs), (12, 3));

    // Members, addresses and records open at their rows: households read, and a re-examination
    // of job 1 reads every record again and issues version 3 under the new seals.
    for h in store.households_page(0, 1000).unwrap() {
        app.household_view(&actor, h.id).unwrap();
    }
    let job = hedui_core::JobId(1);
    app.object(&actor, job, "迁移后复核").unwrap();
    let v3 = app.recheck(&actor, job).unwrap();
    assert_eq!(v3.version, 3);
    let rows = store.reports(job).unwrap();
    assert!(!rows[2].signed_in_migration, "a report issued after the migration is signed when issued");

    // Opening the migrated database again changes nothing more.
    let again = common::app(store.clone(), None);
    assert_eq!(again.upgrade_sealed().unwrap(), hedui_app::upgrade::Upgraded::default());
}
