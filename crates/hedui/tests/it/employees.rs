//! A sole trader's exemption on the full path (facts in, report out): "无雇工的个体工商户不视为
//! 超出" applies only where 市场监管's annual report or 人社's insured units show no employees;
//! without that data the exemption is unknown (待核实), never granted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;

use std::path::Path;
use std::sync::Arc;

use hedui_app::App;
use hedui_core::{Date, HouseholdId};
use hedui_means::Outcome;
use hedui_rules::TestOutcome;
use hedui_store::Store;

/// The demo policy with the exemption of sole traders without employees switched on.
fn policy(dir: &Path) -> std::path::PathBuf {
    let out = common::policy_copy(dir);
    let path = out.join("32.json");
    let mut p: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for param in p["parameters"].as_array_mut().unwrap() {
        if param["key"] == "assets.exempt_individual_business" {
            param["value"] = 1.into();
        }
    }
    std::fs::write(&path, serde_json::to_string_pretty(&p).unwrap()).unwrap();
    out
}

/// A valid 统一社会信用代码 of a 个体工商户 (92) in 武进区.
fn sole_trader_code(n: u32) -> String {
    let first: String = format!("92320412MA{n:07}");
    let check = hedui_core::credit_code::check_char(first.as_bytes()).unwrap();
    format!("{first}{}", check as char)
}

fn snapshot(app: &App, source: &str, on: Date, csv: &str) {
    let actor = common::clerk();
    let input = hedui_import::ImportInput {
        source,
        file_name: "case.csv",
        as_of: on,
        bytes: csv.as_bytes(),
        now: app.now(),
        actor: actor.name(),
        request_id: &actor.request_id,
        mode: hedui_store::SnapshotMode::Full,
        confirm_shrink: Some("测试：只含本案的市场主体"),
        min_share: hedui_import::DEFAULT_MIN_SHARE,
        progress: None,
    };
    let s = app.import_file(&actor, &app.mappings, &input).unwrap();
    assert_eq!(s.stats.rejected, 0, "{:?}", s.issues);
}

fn run(store: Arc<dyn Store>) {
    let city = common::city(40, 83);
    let work = common::temp_dir("employees");
    let policy = policy(&work);
    let app = common::app_with_policy(store, &city, &policy);
    let actor = common::clerk();
    hedui::city::import_mirrors(&app, &actor, &city).unwrap();
    let apps = hedui::city::applications(&city).unwrap();
    let filed = hedui::city::file_applications(&app, &actor, &apps, common::as_of(), &|_| true).unwrap();

    // Four 低保 households under the limits with no business of their own.
    let clean: Vec<(&hedui::city::Filed, String, String)> = filed
        .iter()
        .filter_map(|f| {
            let r = app.run_job(&actor, f.job).ok()?;
            let business = r.assessment.decision.as_ref()?.tests.iter().find(|t| t.code == "business")?.outcome;
            let ok = r.commission.programme == "dibao"
                && r.assessment.outcome == Outcome::NotExceeded
                && business == TestOutcome::Pass;
            let m = &apps.iter().find(|h| h.number == f.number)?.members[0];
            ok.then(|| (f, m.id_number.clone(), m.name.clone()))
        })
        .take(4)
        .collect();
    assert_eq!(clean.len(), 4, "the city has four clean 低保 households");

    // The next day 市场监管 and 人社 send snapshots: each household's first member runs a shop.
    let day = common::as_of().add_days(1);
    let shop = |i: usize| (sole_trader_code(i as u32 + 1), format!("武进区测试{i}号小吃店"));
    let mut shichang = "身份证号,姓名,统一社会信用代码,主体名称,主体类型,角色,注册资本,登记状态,成立日期\n".to_string();
    for (i, (_, id, name)) in clean.iter().enumerate() {
        let (code, shop_name) = shop(i);
        shichang += &format!("{id},{name},{code},{shop_name},个体工商户,经营者,50000.00,存续,2020-05-01\n");
    }
    snapshot(&app, "shichang", day, &shichang);
    // A: two employees in the annual report. B: none. C: no report and no insured staff.
    // D: none in the annual report, but 人社 insures three of its staff.
    let row = |i: usize, n: u32| {
        let (code, shop_name) = shop(i);
        format!("{},{},{code},{shop_name},2025,{n}\n", clean[i].1, clean[i].2)
    };
    snapshot(
        &app,
        "shichang_nianbao",
        day,
        &format!("身份证号,姓名,统一社会信用代码,主体名称,年度,从业人数\n{}{}{}", row(0, 2), row(1, 0), row(3, 0)),
    );
    let (code, shop_name) = shop(3);
    snapshot(
        &app,
        "renshe_danwei",
        day,
        &format!(
            "身份证号,姓名,统一社会信用代码,单位名称,参保职工人数,截至月份\n{},{},{code},{shop_name},3,2026-10\n",
            clean[3].1, clean[3].2
        ),
    );

    let check = |household: HouseholdId| {
        let job = common::commission(&app, household, hedui_core::programme::Programme::Dibao, day);
        let r = app.run_job(&actor, job).unwrap();
        let d = r.assessment.decision.as_ref().unwrap();
        let t = d.tests.iter().find(|t| t.code == "business").unwrap().outcome;
        (r.assessment.outcome, t, d.trace.as_ref().unwrap().to_text())
    };
    let (outcome, test, trace) = check(clean[0].0.household);
    assert_eq!((outcome, test), (Outcome::Exceeds, TestOutcome::Fail), "with employees: 超出\n{trace}");
    assert!(trace.contains("年度报告：从业人数 2 人"), "{trace}");
    let (outcome, test, trace) = check(clean[1].0.household);
    assert_eq!((outcome, test), (Outcome::NotExceeded, TestOutcome::Pass), "without employees: 未超出\n{trace}");
    assert!(trace.contains("年度报告：从业人数 0 人"), "{trace}");
    let (outcome, test, trace) = check(clean[2].0.household);
    assert_eq!((outcome, test), (Outcome::Open, TestOutcome::Unknown), "no employee data: 待核实\n{trace}");
    assert!(trace.contains("是否雇工未知"), "{trace}");
    let (outcome, test, trace) = check(clean[3].0.household);
    assert_eq!((outcome, test), (Outcome::Exceeds, TestOutcome::Fail), "人社 insures staff: 超出\n{trace}");
    assert!(trace.contains("参保职工 3 人"), "{trace}");
}

#[test]
fn a_sole_traders_exemption_follows_the_employee_data() {
    for store in common::stores("employees") {
        run(store);
    }
}
