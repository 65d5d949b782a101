//! Snapshot tests of a report: its JSON (what the API returns) and its HTML (what a clerk prints).
//!
//! The household, its department data and its bank are written here by hand, so every figure in
//! the snapshots can be checked against this file. Review changes with `cargo insta review`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;

use std::sync::Arc;

use hedui_app::cases::CommissionInput;
use hedui_app::cases::{HouseholdInput, MemberInput};
use hedui_app::reports::sign::{self, Format};
use hedui_core::commission::CommissionKind;
use hedui_core::household::{Capacity, Relation};
use hedui_core::programme::Programme;
use hedui_core::{Date, Fen};

fn write(dir: &std::path::Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn a_report_with_a_car_a_typo_and_a_silent_bank() {
    let dir = common::temp_dir("snap");
    // Mirrors of 2026-11-27: 张䶮 earns 3000 a month; 阿依古丽·买买提 owns a private car; a 公积金 row carries a typo.
    let mut tax = String::from("身份证号,姓名,所属期,所得项目,收入额,扣缴义务人\n");
    for i in 0..12 {
        tax.push_str(&format!(
            "360426199101010071,张䶮,{},工资薪金,3000.00,常州某公司\n",
            hedui_core::Month::parse("2025-11").unwrap().plus(i)
        ));
    }
    write(&dir, "shuiwu.csv", &tax);
    write(
        &dir,
        "cheguan.csv",
        "身份证号,姓名,号牌号码,车辆类型,品牌型号,初次登记日期,机动车状态,使用性质\n120103198806018241,阿依古丽·买买提,苏D12345,小型轿车,某牌某型,2021-03-01,正常,非营运\n",
    );
    write(
        &dir,
        "gongjijin.csv",
        "身份证号,姓名,缴存基数,月缴存额,账户余额,账户状态\n360426199101010017,张䶮,3000,360,8000.00,正常\n",
    );
    // One bank that knows 张䶮, one that does not answer (its books are missing).
    write(
        &dir,
        "b1/accounts.csv",
        "身份证号,姓名,账号,账户类型,开户日期,期初余额\n360426199101010071,张䶮,6222000011112222,活期,2019-01-01,12000.00\n",
    );
    write(
        &dir,
        "b1/movements.csv",
        "账号,交易日期,金额,对方户名,摘要\n6222000011112222,2026-09-10,-800.00,某超市,消费\n",
    );
    write(
        &dir,
        "b1/products.csv",
        "身份证号,姓名,产品类型,产品名称,估值,估值日期\n360426199101010071,张䶮,基金,某货币基金,2500.50,2026-11-27\n",
    );

    struct Down;
    impl hedui_connect::FinancialSource for Down {
        fn code(&self) -> &str {
            "B02"
        }
        fn name(&self) -> &str {
            "某农村商业银行"
        }
        fn query(&self, _: &hedui_connect::BankQuery) -> Result<hedui_connect::BankAnswer, hedui_connect::BankError> {
            Err(hedui_connect::BankError::Unavailable("专线中断".into()))
        }
    }
    let b1 = hedui_connect::BookStandIn::load(&dir.join("b1"), "B01", "某国有银行常州分行").unwrap();
    let store = hedui::open_store(&dir.join("h.db").display().to_string()).unwrap();
    let app = hedui::build_app(
        store,
        Arc::new(hedui_crypto::SoftKeys::from_master(&[5; 32]).unwrap()),
        vec![Arc::new(b1), Arc::new(Down)],
        common::clock(),
        None,
    )
    .unwrap();
    let actor = common::clerk();
    let as_of = common::as_of();
    for (source, file) in [("shuiwu", "shuiwu.csv"), ("cheguan", "cheguan.csv"), ("gongjijin", "gongjijin.csv")] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let now = app.now();
        let input = hedui_import::ImportInput {
            source,
            file_name: file,
            as_of,
            bytes: &bytes,
            now,
            actor: "clerk",
            request_id: "t",
            mode: hedui_store::SnapshotMode::Full,
            confirm_shrink: None,
            min_share: hedui_import::DEFAULT_MIN_SHARE,
            progress: None,
        };
        hedui_import::import(app.store.as_ref(), &app.identity, &input).unwrap();
    }
    let member = |seq, name: &str, id: &str, relation| MemberInput {
        seq,
        name: name.into(),
        id_number: id.into(),
        relation,
        excluded: None,
        capacity: Capacity::Full,
        guardian_seq: None,
        declared_income: Fen(150_000),
    };
    let h = HouseholdInput {
        number: "H-SNAP-1".into(),
        region: "320402001".into(),
        address: "常州市天宁区某路 1 号".into(),
        programme: Programme::Dibao,
        applied_on: Date::parse("2026-11-20").unwrap(),
        declared_income: Fen(300_000),
        declared_assets: Fen(1_000_000),
        members: vec![
            member(1, "张䶮", "360426199101010071", Relation::Applicant),
            member(2, "阿依古丽·买买提", "120103198806018241", Relation::Spouse),
        ],
        supporters: vec![hedui_app::cases::SupporterInput {
            name: "张建国".into(),
            id_number: "34052419800101001X".into(),
            duty: "赡养".into(),
        }],
    };
    let household = app.create_household(&actor, &h).unwrap();
    app.record_authorization(
        &actor,
        household,
        &hedui::city::full_authorization(&h, Date::parse("2026-11-20").unwrap()),
    )
    .unwrap();
    let job = app
        .commission(
            &actor,
            &CommissionInput {
                number: Some("WT-SNAP-1".into()),
                kind: CommissionKind::Application,
                programme: Programme::Dibao,
                household,
                department: Some("天宁区民政局".into()),
                note: None,
                as_of: Some(as_of),
                declared: Default::default(),
            },
        )
        .unwrap();
    let report = app.run_job(&actor, job).unwrap();
    insta::assert_json_snapshot!("report_json", report);

    // Declared against verified, item by item: 人社 sent nothing, so income is not known.
    let income = report.comparison.iter().find(|c| c.item == "成员月均收入" && c.member_seq == Some(1)).unwrap();
    assert_eq!((income.declared, income.verified, income.difference), (Fen(150_000), None, None));

    // Signed files: PDF, JSON and HTML; each verifies, and a changed byte does not.
    let key = app.signer.public().sign;
    let pdf = app.report_file(&actor, job, None, Format::Pdf).unwrap();
    let json = app.report_file(&actor, job, None, Format::Json).unwrap();
    for (file, format) in [(&pdf, Format::Pdf), (&json, Format::Json)] {
        let s = sign::verify(file, Some(&key)).unwrap();
        assert_eq!((s.report.as_str(), s.version, s.format), (report.number.as_str(), 1, format));
        let mut bad = file.clone();
        let i = bad.len() / 3;
        bad[i] ^= 0x20;
        assert!(sign::verify(&bad, Some(&key)).is_err());
    }
    // The same report gives the same PDF on any machine: the font travels with the program.
    let again = app.report_file(&actor, job, None, Format::Pdf).unwrap();
    let content = |f: &[u8]| f[..f.windows(12).rposition(|w| w == b"\n%HEDUI-SM2 ").unwrap()].to_vec();
    assert_eq!(content(&pdf), content(&again));
    // `hedui report verify` on the files.
    std::fs::write(dir.join("report.pdf"), &pdf).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hedui"))
        .args(["report", "verify"])
        .arg(dir.join("report.pdf"))
        .args(["--public-key", &key])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains("签名有效") && said.contains(&report.number), "{said}");
    let mut forged = pdf.clone();
    let i = forged.len() / 2;
    forged[i] ^= 1;
    std::fs::write(dir.join("forged.pdf"), &forged).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hedui"))
        .args(["report", "verify"])
        .arg(dir.join("forged.pdf"))
        .output()
        .unwrap();
    assert!(!out.status.success(), "a changed file fails verification");
    assert!(String::from_utf8_lossy(&out.stderr).contains("修改"), "{}", String::from_utf8_lossy(&out.stderr));

    // The PDF's text can be extracted, rare character and · included.
    match common::pdftotext(&pdf) {
        Some(text) => {
            for want in [
                "家庭经济状况核对报告",
                "张䶮",
                "阿依古丽·买买提",
                "H-SNAP-1",
                "超出：机动车超出当地最低生活保障政策规定",
                report.number.as_str(),
            ] {
                assert!(text.contains(want), "pdftotext lacks {want}:\n{text}");
            }
        }
        None => common::skip_loudly("pdftotext", "HEDUI_REQUIRE_PDFTOTEXT"),
    }

    let web = hedui_web::Web::new(Arc::new(app));
    let html = hedui_web::report_html(&web, Some(&actor), &report).unwrap();
    insta::assert_snapshot!("report_html", html);
}
