//! The organization's electronic seal on an issued report (GB/T 38540 `SES_Signature`, DER): it
//! verifies against the signed JSON report with the node's key, offline and from the command
//! line, and a changed report, a changed seal or another key is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use hedui_app::reports::sign::{Format, check_eseal};

use crate::common;

#[test]
fn an_issued_report_carries_a_gbt_38540_seal_that_verifies() {
    let city = common::city(3, 91);
    let store = common::stores("eseal").remove(0);
    let app = common::app(store, None);
    let clerk = common::clerk();
    hedui::city::import_mirrors(&app, &clerk, &city).unwrap();
    let apps = hedui::city::applications(&city).unwrap();
    let filed = hedui::city::file_applications(&app, &clerk, &apps, common::as_of(), &|_| true).unwrap();
    let job = filed[0].job;
    app.run_job(&clerk, job).unwrap();
    let file = app.report_file(&clerk, job, None, Format::Json).unwrap();
    let (number, der) = app.report_eseal(&clerk, job, None).unwrap();
    assert!(!number.is_empty());
    assert_eq!(der[0], 0x30, "a DER SEQUENCE");
    let sm2_sm3 = [0x06, 0x08, 0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x83, 0x75];
    assert!(der.windows(sm2_sm3.len()).any(|w| w == sm2_sm3), "signed with SM2-with-SM3 (1.2.156.10197.1.501)");
    assert!(der.windows(3).any(|w| w == b"<sv"), "the seal's picture is SVG");
    let key = app.signer.public().sign;
    let ok = check_eseal(&file, &der, Some(&key)).unwrap();
    assert_eq!(ok.property, format!("report.json job={job} version=1"));

    // A report changed after sealing, a changed seal, another organization's key: refused.
    let text = String::from_utf8(file.clone()).unwrap();
    let changed = text.replacen("\"version\": 1", "\"version\": 2", 1);
    assert_ne!(changed, text);
    let err = check_eseal(changed.as_bytes(), &der, Some(&key)).unwrap_err();
    assert!(err.contains("摘要"), "{err}");
    let mut bad = der.clone();
    let n = bad.len();
    bad[n - 5] ^= 0x01;
    assert!(check_eseal(&file, &bad, Some(&key)).is_err(), "a changed signature");
    let other = hedui_exchange::gm::NodeSecret::generate("other").unwrap().public();
    assert!(check_eseal(&file, &der, Some(&other.sign)).is_err(), "another key");
    assert!(check_eseal(&file, &der[..n - 1], None).is_err(), "a truncated seal");

    // From the command line, offline.
    let dir = common::temp_dir("eseal");
    let (f, s) = (dir.join("report.json"), dir.join("report.ses"));
    std::fs::write(&f, &file).unwrap();
    std::fs::write(&s, &der).unwrap();
    let out = common::hedui_with_stdin(
        &["report", "verify", &f.display().to_string(), "--seal", &s.display().to_string(), "--public-key", &key],
        "",
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("电子签章有效"));
    std::fs::write(&f, changed.as_bytes()).unwrap();
    let out = common::hedui_with_stdin(
        &["report", "verify", &f.display().to_string(), "--seal", &s.display().to_string()],
        "",
    );
    assert!(!out.status.success());
}
