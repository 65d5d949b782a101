//! Intake in a real browser: the 乡镇经办人 registers a family with its members and a supporter
//! (ID numbers checked as they are typed; an invalid one kept, unresolved), corrects it (补正),
//! records the household's and the supporter's letters with their signed scans (a file that is not
//! a scan refused, nothing recorded), downloads a scan, withdraws a letter, and files a commission.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use hedui_app::admin::users::Account;
use hedui_app::{Caller, Role};
use hedui_core::household::Capacity;

use crate::ui_flows::{PASSWORD, download, serve};
use crate::{browser, common};

/// `id` with its check digit changed: an ID number a clerk mistyped.
fn mistyped(id: &str) -> String {
    let last = if id.ends_with('0') { '1' } else { '0' };
    format!("{}{last}", &id[..17])
}

fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// A small whole PDF, as a scanner writes one.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
/// A PNG's signature and its end chunk.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR....\0\0\0\0IEND\xaeB`\x82";

#[test]
fn a_township_clerk_registers_a_family_records_its_letters_and_files_a_commission() {
    let city = common::city(6, 87);
    let store = common::stores("ui_intake").remove(0);
    let app = common::app(store.clone(), Some(&city));
    let system = Caller::system("t");
    hedui::city::import_mirrors(&app, &system, &city).unwrap();
    let apps = hedui::city::applications(&city).unwrap();
    // Every family but the first is on file already; the first comes to the township's office.
    hedui::city::file_applications(&app, &system, &apps[1..], common::as_of(), &|_| true).unwrap();
    let family = &apps[0];
    let supporter = &apps[1].members[0];
    app.create_user(&system, &Account::new("town", "乡镇经办人甲", Role::Township, &family.region[..6], ""), PASSWORD)
        .unwrap();
    let dir = common::temp_dir("scans");
    let (pdf, png, exe) = (dir.join("letter.pdf"), dir.join("s.png"), dir.join("x.pdf"));
    std::fs::write(&pdf, PDF).unwrap();
    std::fs::write(&png, PNG).unwrap();
    std::fs::write(&exe, b"MZ\x90\0 not a scan").unwrap();
    let (_rt, base) = serve(app);
    let Some(b) = browser::open("intake", &base) else { return };

    b.go("/login");
    b.fill("input[name=login]", "town");
    b.fill("input[name=password]", PASSWORD);
    b.click("button[type=submit]");
    b.find("aside.side");
    b.go("/households");
    assert_eq!(b.text("aside.side a.active"), "家庭登记");
    let total: usize = b.text(".pager b.total").parse().unwrap();
    assert!(total < apps.len(), "the families of the county on file: {total}");
    b.shot("01-households");
    b.click_away("#new-household");
    assert_eq!(b.path(), "/households/new");

    // The family, typed in; the second member's number mistyped (its check digit).
    b.fill("input[name=number]", &family.number);
    b.fill("input[name=region]", &family.region);
    b.fill("input[name=address]", &family.address);
    b.set("select[name=programme]", family.programme.code());
    b.set("input[name=applied_on]", &common::as_of().to_string());
    b.fill("input[name=declared_income]", &yuan(family.declared_income.0));
    for (i, m) in family.members.iter().enumerate().take(8) {
        let k = format!("m{}_", i + 1);
        b.fill(&format!("input[name={k}name]"), &m.name);
        let id = if i == 1 { mistyped(&m.id_number) } else { m.id_number.clone() };
        b.fill(&format!("input[name={k}id]"), &id);
        b.set(&format!("select[name={k}relation]"), m.relation.name_zh());
        let capacity = match m.capacity {
            Capacity::Full => "完全",
            Capacity::Limited => "限制",
            Capacity::None => "无",
        };
        b.set(&format!("select[name={k}capacity]"), capacity);
        if let Some(g) = m.guardian_seq {
            b.fill(&format!("input[name={k}guardian]"), &g.to_string());
        }
        if let Some(e) = &m.excluded {
            b.fill(&format!("input[name={k}excluded]"), &e.text_zh());
        }
        b.fill(&format!("input[name={k}income]"), &yuan(m.declared_income.0));
    }
    assert!(family.members.len() >= 2, "a family of two at least");
    // Checked as typed: the first number valid, the second's check digit wrong.
    assert!(b.text("tr:nth-child(1) .idmsg").starts_with("号码有效"), "{}", b.text("tr:nth-child(1) .idmsg"));
    assert!(b.text("tr:nth-child(2) .idmsg").contains("校验码错误"), "{}", b.text("tr:nth-child(2) .idmsg"));
    b.fill("input[name=s1_name]", &supporter.name);
    b.fill("input[name=s1_id]", &supporter.id_number);
    b.shot("02-register");
    b.click_away("#register");
    assert!(b.text("#notice").contains("家庭已登记"), "{}", b.text("main"));
    let page = b.path();
    let hid = page.trim_start_matches("/households/").split('?').next().unwrap().to_string();
    assert_eq!(b.count("#members tbody tr"), family.members.len());
    assert!(b.text("#members tbody tr:nth-child(2)").contains("未识别"), "the mistyped number is kept, unresolved");
    assert!(b.text("#members tbody tr:nth-child(1)").contains("已识别"));
    b.shot("03-household");

    // 补正: the second member's number as the 户口簿 shows it.
    b.eval("document.querySelector('#correct-m2').open = true", serde_json::json!([]));
    b.fill("#correct-m2 input[name=id_number]", &family.members[1].id_number);
    assert!(b.text("#correct-m2 .idmsg").starts_with("号码有效"));
    b.fill("#correct-m2 input[name=reason]", "户口簿第 2 页");
    b.click_away("#correct-m2 button[type=submit]");
    assert!(b.text("#notice").contains("补正已保存"), "{}", b.text("main"));
    assert!(b.text("#members tbody tr:nth-child(2)").contains("已识别"), "{}", b.text("#members"));

    // The household's letter, every member signing (a guardian for one who cannot), with its scan.
    b.eval("document.querySelector('#new-letter').open = true", serde_json::json!([]));
    b.fill("#new-letter input[name=number]", &format!("SQ-{}", family.number));
    b.set("#new-letter input[name=signed_on]", &common::as_of().to_string());
    b.upload("#new-letter input[name=scan]", &pdf);
    b.click_away("#new-letter button[type=submit]");
    assert!(b.text("#notice").contains("授权书已录入"), "{}", b.text("main"));
    assert_eq!(b.count("#letters tbody tr"), 1);
    let href = b.eval("return document.querySelector('#letters a.scan').getAttribute('href')", serde_json::json!([]));
    assert_eq!(download(&b, href.as_str().unwrap()), PDF, "the scan comes back as it was");

    // The supporter's own letter: a file that is not a scan is refused and nothing is recorded.
    b.eval("document.querySelector('#new-letter').open = true", serde_json::json!([]));
    b.set("#new-letter select[name=supporter]", "1");
    b.fill("#new-letter input[name=number]", &format!("SQ-{}-Y1", family.number));
    b.upload("#new-letter input[name=scan]", &exe);
    b.click("#new-letter button[type=submit]");
    assert!(b.text("#page-error").contains("PDF、JPEG 或 PNG"), "{}", b.text("main"));
    assert_eq!(b.count("#letters tbody tr"), 1, "nothing recorded");
    b.shot("04-refused-scan");
    b.set("#new-letter select[name=supporter]", "1");
    b.fill("#new-letter input[name=number]", &format!("SQ-{}-Y1", family.number));
    b.upload("#new-letter input[name=scan]", &png);
    b.click("#new-letter button[type=submit]");
    b.find("#notice");
    assert_eq!(b.count("#letters tbody tr"), 2);
    assert!(b.text("#letters").contains(&format!("义务人 {}", supporter.name)));
    // The supporter withdraws their consent.
    b.eval("document.querySelector('#letters tr:nth-child(2) details').open = true", serde_json::json!([]));
    b.set("#letters tr:nth-child(2) select[name=status]", "withdrawn");
    b.fill("#letters tr:nth-child(2) input[name=reason]", "义务人书面撤回");
    b.click_away("#letters tr:nth-child(2) button[type=submit]");
    assert!(b.text("#letters tbody tr:nth-child(2)").contains("已撤回"), "{}", b.text("#letters"));
    b.shot("05-letters");

    // The commission: the job waits for its 核对员.
    b.eval("document.querySelector('#new-commission').open = true", serde_json::json!([]));
    b.click_away("#new-commission button[type=submit]");
    assert!(b.path().starts_with("/jobs/"), "{}", b.path());
    assert!(b.text("main h1").contains("已委托"), "{}", b.text("main h1"));
    b.shot("06-job");
    b.go(&format!("/households/{hid}"));
    assert_eq!(b.count("#jobs tbody tr a"), 1);
    // Found in the list by a member's name (through its blind index).
    b.go(&format!("/households?name={}", crate::ui_flows::urlencode_part(&family.members[1].name)));
    assert!(b.text("table.list").contains(&family.number), "{}", b.text("table.list"));

    // A batch of commissions from the template on the job list.
    b.go("/jobs");
    let template = download(&b, "/commissions/template.xlsx");
    let header = crate::ui_flows::xlsx_rows(&template).remove(0);
    assert_eq!(header, hedui_app::cases::batch::COLUMNS);
    let list = dir.join("batch.xlsx");
    let row = vec![
        family.number.clone(),
        "定期复核".into(),
        "最低生活保障".into(),
        String::new(),
        String::new(),
        String::new(),
    ];
    std::fs::write(
        &list,
        hedui_exchange::package::xlsx_bytes("批量委托", &hedui_app::cases::batch::COLUMNS, &[row]).unwrap(),
    )
    .unwrap();
    b.eval("document.querySelector('#batch').open = true", serde_json::json!([]));
    b.upload("#batch input[name=file]", &list);
    b.click_away("#batch button[type=submit]");
    assert!(b.text("#batch-done").contains("已委托 1 户"), "{}", b.text("main"));
    b.shot("07-batch");

    // Every step is in the audit trail, with the correction's reason sealed.
    let actions: Vec<String> = store
        .audit_log(None, 200)
        .unwrap()
        .into_iter()
        .filter(|r| r.entry.actor == "town")
        .map(|r| r.entry.action)
        .collect();
    for a in [
        "household.create",
        "household.correct",
        "authorization.record",
        "authorization.scan",
        "authorization.scan_read",
        "authorization.end",
        "commission.create",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}
