//! A department added by data alone: a new source and a new data category in the catalog, its
//! columns in a mapping file and an input over the category in the policy, and nothing else.
//! Its facts reach the decision, its status and its authorization scope are checked on a job,
//! and the report describes its rows in the words the data gives. These are exactly the files
//! ARCHITECTURE.md's steps for adding a department name.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use crate::common;

use std::path::Path;
use std::sync::Arc;

use hedui_app::App;
use hedui_app::cases::AuthorizationInput;
use hedui_core::authorization::{AuthorizationStatus, Scope};
use hedui_core::{HouseholdId, JobId};
use hedui_means::{Outcome, SourceState};
use hedui_rules::TestOutcome;
use hedui_store::Store;
use serde_json::{Value, json};

/// 农业农村's register of fishing vessels: a department and a category hedui's code has never seen.
const SOURCE: &str = "nongye_yuchuan";
const CATEGORY: &str = "fishing_vessel";

/// The demo catalog with the new category and source.
fn catalog(dir: &Path) -> std::path::PathBuf {
    let mut c: Value = serde_json::from_str(hedui::exchange::DEMO_CATALOG).unwrap();
    c["categories"].as_array_mut().unwrap().push(json!({
        "code": CATEGORY, "name": "渔船", "class": "财产信息", "subclass": "车船", "verified": false,
        "sensitivity": "general", "codes": { "status": { "active": "正常", "cancelled": "注销" } }
    }));
    c["sources"].as_array_mut().unwrap().push(json!({
        "code": SOURCE, "name": "渔船登记", "institution": "常州市农业农村局", "kind": "department",
        "department": "农业农村", "scope": "transport", "channel": "mirror", "categories": [CATEGORY],
        "sla": { "working_days": 1 }
    }));
    let path = dir.join("catalog.json");
    std::fs::write(&path, serde_json::to_string_pretty(&c).unwrap()).unwrap();
    path
}

/// The built-in mappings with the new source's columns.
fn mappings(dir: &Path) -> std::path::PathBuf {
    let mut m: Value = serde_json::from_str(hedui_import::mapping::MAPPINGS_3204).unwrap();
    m["sources"].as_array_mut().unwrap().push(json!({
        "source": SOURCE,
        "columns": ["渔船编号", "船名", "登记日期", "船舶状态"],
        "category": { "fixed": CATEGORY },
        "key": { "column": "渔船编号", "required": true },
        "on": { "column": "登记日期" },
        "status": { "column": "船舶状态", "required": true, "codes": { "正常": "active", "注销": "cancelled" } },
        "label": "渔船 {船名}，编号 {渔船编号:tail4}，{@status}"
    }));
    let path = dir.join("mappings.json");
    std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    path
}

/// The demo policy with an input over the category and a 低保 test on it.
fn policy(dir: &Path) -> std::path::PathBuf {
    let out = common::policy_copy(dir);
    let path = out.join("32.json");
    let mut p: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    p["inputs"] = json!([{
        "name": "fishing_vessels", "title": "在册渔船艘数", "category": CATEGORY,
        "measure": "count", "statuses": ["active"]
    }]);
    let rules = p["rules"].as_array_mut().unwrap();
    rules.push(json!({
        "id": "assets.fishing_counted", "var": "assets.fishing_counted", "unit": "count", "title": "计入的渔船",
        "expr": "fishing_vessels", "from": "2021-07-01", "doc": "测试文件（渔船）"
    }));
    rules.push(json!({
        "id": "assets.fishing_ok", "var": "assets.fishing_ok", "title": "无在册渔船",
        "expr": "assets.fishing_counted == 0", "from": "2021-07-01", "doc": "测试文件（渔船）"
    }));
    for prog in p["programmes"].as_array_mut().unwrap() {
        if prog["programme"] == "dibao" {
            prog["tests"].as_array_mut().unwrap().push(json!({
                "code": "fishing", "title": "渔船", "pass": "assets.fishing_ok", "monotone": true,
                "found": "assets.fishing_counted", "rule": "="
            }));
        }
    }
    std::fs::write(&path, serde_json::to_string_pretty(&p).unwrap()).unwrap();
    out
}

fn import(app: &App, csv: &str) {
    import_as(app, SOURCE, csv).unwrap();
}

fn import_as(app: &App, source: &str, csv: &str) -> hedui_app::AppResult<()> {
    let actor = common::clerk();
    let input = hedui_import::ImportInput {
        source,
        file_name: "yuchuan.csv",
        as_of: common::as_of(),
        bytes: csv.as_bytes(),
        now: app.now(),
        actor: actor.name(),
        request_id: &actor.request_id,
        mode: hedui_store::SnapshotMode::Full,
        confirm_shrink: None,
        min_share: hedui_import::DEFAULT_MIN_SHARE,
        progress: None,
    };
    let s = app.import_file(&actor, &app.mappings, &input)?;
    assert_eq!((s.stats.accepted, s.stats.rejected), (2, 0), "{:?}", s.issues);
    Ok(())
}

fn commission(app: &App, household: HouseholdId) -> JobId {
    common::commission(app, household, hedui_core::programme::Programme::Dibao, common::as_of())
}

fn run(store: Arc<dyn Store>) {
    let city = common::city(30, 71);
    let work = common::temp_dir("new-source");
    let (catalog, mappings, policy) = (catalog(&work), mappings(&work), policy(&work));
    let refs = hedui::Reference {
        policy_dir: Some(&policy),
        catalog: Some(&catalog),
        mappings: Some(&mappings),
        ..Default::default()
    };
    let keys = Arc::new(hedui_crypto::SoftKeys::from_master(&[5; 32]).unwrap());
    let app = Arc::new(
        hedui::build_app_from(store, keys, hedui::city::banks(&city).unwrap(), common::clock(), &refs).unwrap(),
    );
    let actor = common::clerk();
    hedui::city::import_mirrors(&app, &actor, &city).unwrap();
    let apps = hedui::city::applications(&city).unwrap();
    let filed = hedui::city::file_applications(&app, &actor, &apps, common::as_of(), &|_| true).unwrap();

    // A file of a source the catalog does not list, or of an online source, is refused whole.
    let e = import_as(&app, "nongye_yuchuan_typo", "身份证号,姓名\n").unwrap_err().to_string();
    assert!(e.contains("不在数据源目录中"), "{e}");
    let e = import_as(&app, "yibao", "身份证号,姓名\n").unwrap_err().to_string();
    assert!(e.contains("不能导入数据镜像"), "{e}");

    // Before the department's first snapshot its source is silent, so the new test stays open.
    let (first, report) = filed
        .iter()
        .map(|f| (f, app.run_job(&actor, f.job).unwrap()))
        .find(|(_, r)| r.commission.programme == "dibao" && r.assessment.outcome != Outcome::Exceeds)
        .expect("a 低保 household not over the limits");
    let test = |r: &hedui_app::reports::Report| {
        r.assessment.decision.as_ref().unwrap().tests.iter().find(|t| t.code == "fishing").unwrap().outcome
    };
    let status = |r: &hedui_app::reports::Report| r.sources.iter().find(|s| s.source == SOURCE).unwrap().clone();
    assert_eq!(test(&report), TestOutcome::Unknown);
    assert!(matches!(status(&report).state, SourceState::NotAnswered { .. }), "{:?}", status(&report));
    assert_eq!(report.assessment.outcome, Outcome::Open, "a silent source never gives 未超出");

    // The snapshot: one vessel in use by the household's first member, one cancelled.
    let owner = apps.iter().find(|h| h.number == first.number).unwrap().members[0].clone();
    import(
        &app,
        &format!(
            "身份证号,姓名,渔船编号,船名,登记日期,船舶状态\n\
             {id},{name},YC-3204-0001,苏常渔01,2019-04-01,正常\n\
             {id},{name},YC-3204-0002,苏常渔02,2010-04-01,注销\n",
            id = owner.id_number,
            name = owner.name
        ),
    );
    let job = commission(&app, first.household);
    let r = app.run_job(&actor, job).unwrap();
    assert_eq!(status(&r).state, SourceState::Answered);
    assert_eq!(status(&r).name, "渔船登记（农业农村）");
    assert_eq!(test(&r), TestOutcome::Fail, "one active vessel: 不得有计入项");
    assert_eq!(r.assessment.outcome, Outcome::Exceeds);
    let trace = r.assessment.decision.as_ref().unwrap().trace.as_ref().unwrap().to_text();
    assert!(trace.contains("在册渔船艘数"), "{trace}");
    assert!(trace.contains("渔船 苏常渔01，编号 ***0001，正常"), "the mapping's label: {trace}");
    assert!(!trace.contains("苏常渔02"), "a cancelled vessel is not counted: {trace}");
    let html = hedui_web::report_html(&hedui_web::Web::new(app.clone()), Some(&actor), &r).unwrap();
    assert!(
        html.contains("渔船 苏常渔01") && html.contains("渔船登记"),
        "the report page names the source and the row"
    );

    // Masking follows each category's sensitivity in the catalog: a reader who does not verify
    // sees the vessel (一般个人信息) but not which bank accounts (敏感个人信息) the figures come from.
    let viewer = hedui_app::Caller::user("viewer", hedui_app::Role::Viewer, "", "test");
    let text =
        |r: &hedui_app::reports::Report| r.assessment.decision.as_ref().unwrap().trace.as_ref().unwrap().to_text();
    let (full, masked) =
        (text(&app.report(&actor, job, None).unwrap()), text(&app.report(&viewer, job, None).unwrap()));
    assert!(full.contains("账户 ***"), "the household's accounts: {full}");
    assert!(!masked.contains("账户 ***") && masked.contains("存款余额、账户交易流水"), "{masked}");
    assert!(masked.contains("敏感个人信息，已隐藏") && masked.contains("渔船 苏常渔01"), "{masked}");

    // Another household: the department answered and has nothing on it.
    let other = filed.iter().find(|f| f.household != first.household).unwrap();
    let r = app.run_job(&actor, commission(&app, other.household)).unwrap();
    assert_eq!(status(&r).state, SourceState::NoRecord);
    assert_eq!(test(&r), TestOutcome::Pass);

    // The letter must cover the new source's scope: without 交通运输、农业农村 the job asks nothing.
    let h = apps.iter().find(|h| h.number == other.number).unwrap();
    let mut letter: AuthorizationInput = hedui::city::full_authorization(h, common::as_of());
    letter.number = format!("{}-部分", letter.number);
    letter.scopes = Some(Scope::ALL.into_iter().filter(|s| *s != Scope::Transport).collect());
    for a in app.household_view(&actor, other.household).unwrap().authorizations {
        app.end_authorization(&actor, other.household, a.id, AuthorizationStatus::Superseded, "换签").unwrap();
    }
    app.record_authorization(&actor, other.household, &letter).unwrap();
    let job = commission(&app, other.household);
    let refused = app.run_job(&actor, job).unwrap_err().to_string();
    assert!(refused.contains(Scope::Transport.name_zh()), "{refused}");
}

#[test]
fn a_department_added_by_data_alone_reaches_the_decision_the_job_and_the_report() {
    for store in common::stores("new_source") {
        run(store);
    }
}
