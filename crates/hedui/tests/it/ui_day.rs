//! A clerk's day from a deployment's first user, each step by the role that does it, in a real
//! browser: `hedui init` and `hedui user bootstrap` make the first 安全管理员, who logs in, enrols
//! a second factor, creates a 乡镇经办人, a 核对员, an 审核员, a 业务部门 user and a 数据源管理员
//! (each with a UKey) and is refused intake; the 乡镇经办人 registers a family with a supporter,
//! records both letters with their scans and files the commission; the 核对员 verifies; the
//! 审核员 approves and issues it with their UKey; the report is read, printed and downloaded; the
//! family objects with a document, the 核对员's 复核 makes version 2 and the 审核员 issues it; the
//! department records its 回执 and exports its list; the 数据源管理员 imports a file with a bad row.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::sync::Arc;

use hedui_app::Caller;

use crate::review::UKey;
use crate::ui_flows::{download, xlsx_rows};
use crate::{browser, common};

const FIRST: &str = "Initial-pass-2026!";
const OWN: &str = "My-own-pass-2026!";
const DEPARTMENT: &str = "溧阳市民政局";

fn cli(args: &[&str], stdin: &str) {
    let out = common::hedui_with_stdin(args, stdin);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn totp(secret: &str) -> String {
    let key = hedui_crypto::otp::base32_decode(secret).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    format!("{:06}", hedui_crypto::otp::totp_sha1(&key, now, 30, 6))
}

/// Logs in with the password and the UKey; on the first login, changes the initial password
/// (which ends the session) and logs in again.
fn login(b: &browser::Browser, user: &str, ukey: &UKey, first: bool) {
    b.go("/login");
    b.fill("input[name=login]", user);
    b.fill("input[name=password]", if first { FIRST } else { OWN });
    b.click("button[type=submit]");
    crate::ui_review::ukey_step(b, ukey);
    if first {
        b.find("input[name=new_password]");
        b.fill("input[name=old_password]", FIRST);
        b.fill("input[name=new_password]", OWN);
        b.fill("input[name=confirm]", OWN);
        b.click("form[action='/password'] button");
        b.find("form[action='/login']");
        return login(b, user, ukey, false);
    }
    b.find("aside.side");
}

fn logout(b: &browser::Browser) {
    b.click("header.top button[type=submit]");
    b.find("input[name=login]");
}

#[test]
fn a_day_of_every_role_from_the_first_user() {
    let city = common::city(4, 101);
    let dir = common::temp_dir("ui_day");
    let (db, key) = (dir.join("hedui.db").display().to_string(), dir.join("master.key").display().to_string());
    cli(&["init", "--db", &db, "--key", &key], "");
    cli(&["user", "bootstrap", "--db", &db, "--key", &key, "--login", "sec", "--name", "安全员"], "Sec-Admin-2026!\n");
    let (store, keys) = hedui::keys::open_node(&db, std::path::Path::new(&key)).unwrap();
    let banks = hedui::city::banks(&city).unwrap();
    let mut app = hedui::build_app(store.clone(), keys, banks, Arc::new(hedui_app::SystemClock), None).unwrap();
    app.require_second_factor = true;
    app.review = true;
    app.organization = "常州市居民家庭经济状况核对中心".into();
    // The departments' snapshots are in (the operator's own upload is the last step).
    hedui::city::import_mirrors(&app, &Caller::system("t"), &city).unwrap();
    let family = hedui::city::applications(&city).unwrap().remove(0);
    let county = family.region[..6].to_string();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(hedui_web::serve(listener, hedui_web::Web::new(Arc::new(app))));
    let Some(b) = browser::open("day", &base) else { return };
    let scans = common::temp_dir("ui_day_scans");
    let pdf = scans.join("letter.pdf");
    std::fs::write(&pdf, b"%PDF-1.4\n% signed letter\n%%EOF\n").unwrap();

    // The first 安全管理员: a second factor before anything else.
    b.go("/login");
    b.fill("input[name=login]", "sec");
    b.fill("input[name=password]", "Sec-Admin-2026!");
    b.click("button[type=submit]");
    b.find("form[action='/factors'] button");
    b.click("form[action='/factors'] button");
    let secret = b.text("main code");
    b.shot("01-enrol-second-factor");
    logout(&b);
    b.fill("input[name=login]", "sec");
    b.fill("input[name=password]", "Sec-Admin-2026!");
    b.click("button[type=submit]");
    b.find("input[name=code]");
    b.fill("input[name=code]", &totp(&secret));
    b.click("button[type=submit]");
    b.find("aside.side");

    // Five users, each with a UKey.
    let people = [
        ("town", "乡镇经办人甲", "township", ""),
        ("clerk", "核对员乙", "clerk", ""),
        ("rev", "审核员丙", "reviewer", ""),
        ("dept", "民政局丁", "department", DEPARTMENT),
        ("op", "数据源管理员戊", "operator", ""),
    ];
    let ukeys: Vec<UKey> = (0..people.len()).map(|i| UKey::new(40 + i as u8)).collect();
    for ((login, name, role, org), ukey) in people.iter().zip(&ukeys) {
        b.go("/users");
        b.eval("document.querySelector('#new-user').open = true", serde_json::json!([]));
        b.fill("#new-user input[name=login]", login);
        b.fill("#new-user input[name=name]", name);
        b.set("#new-user select[name=role]", role);
        b.fill("#new-user input[name=region]", &county);
        b.fill("#new-user input[name=organization]", org);
        b.fill("#new-user input[name=password]", FIRST);
        b.click_away("#new-user button[type=submit]");
        assert!(b.text("main .notice").contains(&format!("已创建用户 {login}")), "{}", b.text("main"));
        b.go(&format!("/users?q={login}"));
        b.eval("document.querySelector('details.ukey').open = true", serde_json::json!([]));
        b.fill("details.ukey input[name=public_key]", &ukey.public());
        b.click_away("details.ukey button");
        assert!(b.text("main .notice").contains("UKey 公钥已登记"), "{}", b.text("main"));
    }
    b.shot("02-users");
    b.go("/households/new");
    assert!(b.text("main").contains("无法完成操作"), "the 安全管理员 does no intake: {}", b.text("main"));
    logout(&b);

    // The 乡镇经办人: the family, its supporter, both letters with scans, the commission.
    login(&b, "town", &ukeys[0], true);
    b.go("/households/new");
    b.fill("input[name=number]", &family.number);
    b.fill("input[name=region]", &family.region);
    b.set("select[name=programme]", family.programme.code());
    b.set("input[name=applied_on]", &common::as_of().to_string());
    for (i, m) in family.members.iter().enumerate() {
        let k = format!("m{}_", i + 1);
        b.fill(&format!("input[name={k}name]"), &m.name);
        b.fill(&format!("input[name={k}id]"), &m.id_number);
        b.set(&format!("select[name={k}relation]"), m.relation.name_zh());
        let capacity = match m.capacity {
            hedui_core::household::Capacity::Full => "完全",
            hedui_core::household::Capacity::Limited => "限制",
            hedui_core::household::Capacity::None => "无",
        };
        b.set(&format!("select[name={k}capacity]"), capacity);
        if let Some(g) = m.guardian_seq {
            b.fill(&format!("input[name={k}guardian]"), &g.to_string());
        }
        if let Some(e) = &m.excluded {
            b.fill(&format!("input[name={k}excluded]"), &e.text_zh());
        }
    }
    b.fill("input[name=s1_name]", "赵赡养");
    b.fill("input[name=s1_id]", "320481196001010016");
    b.click_away("#register");
    assert!(b.text("#notice").contains("家庭已登记"), "{}", b.text("main"));
    for (i, (supporter, number)) in [("", "SQ-DAY-1"), ("1", "SQ-DAY-Y1")].into_iter().enumerate() {
        b.eval("document.querySelector('#new-letter').open = true", serde_json::json!([]));
        b.set("#new-letter select[name=supporter]", supporter);
        b.fill("#new-letter input[name=number]", number);
        b.set("#new-letter input[name=signed_on]", &common::as_of().to_string());
        b.upload("#new-letter input[name=scan]", &pdf);
        b.click("#new-letter button[type=submit]");
        // The page before has a notice too: wait for the new letter's row, not for a notice.
        let started = std::time::Instant::now();
        while b.count("#letters a.scan") != i + 1 {
            assert!(started.elapsed() < std::time::Duration::from_secs(10), "{}", b.text("main"));
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    assert_eq!(b.count("#letters a.scan"), 2, "both letters with their scans");
    b.eval("document.querySelector('#new-commission').open = true", serde_json::json!([]));
    b.fill("#new-commission input[name=department]", DEPARTMENT);
    b.click_away("#new-commission button[type=submit]");
    let job = b.path().trim_start_matches("/jobs/").to_string();
    b.shot("03-commissioned");
    logout(&b);

    // The 核对员 verifies; the report waits for review.
    login(&b, "clerk", &ukeys[1], true);
    b.go(&format!("/jobs/{job}"));
    b.click("form[action$='/run'] button");
    b.find("#awaiting");
    logout(&b);

    // The 审核员 approves and issues; the report is read, printed and downloaded.
    let approve = |b: &browser::Browser| {
        b.go(&format!("/jobs/{job}/draft"));
        let statement = String::from_utf8(download(b, &format!("/jobs/{job}/draft/statement.txt"))).unwrap();
        b.fill("input[name=signature]", &ukeys[2].sign(&statement));
        b.click_away("#approve");
        assert!(b.path().ends_with("/report"), "{}", b.path());
    };
    login(&b, "rev", &ukeys[2], true);
    approve(&b);
    assert!(b.text("#signoff").contains("审核员丙") && b.text("#signoff").contains("核对员乙"));
    b.eval("window.__printed = false; window.print = function () { window.__printed = true; };", serde_json::json!([]));
    b.click("button[data-print]");
    assert_eq!(b.eval("return window.__printed", serde_json::json!([])), serde_json::json!(true));
    let pdf_report = download(&b, &format!("/jobs/{job}/report.pdf"));
    assert!(pdf_report.starts_with(b"%PDF"), "a PDF");
    b.shot("04-issued");
    logout(&b);

    // The family objects with a document; the 核对员 re-examines; the 审核员 issues version 2.
    login(&b, "town", &ukeys[0], false);
    b.go(&format!("/jobs/{job}"));
    b.fill("#objection-form input[name=reason]", "家庭收入已变化，附证明");
    b.upload("#objection-form input[name=files]", &pdf);
    b.click("#objection-form button");
    b.find("#objection-files");
    logout(&b);
    login(&b, "clerk", &ukeys[1], false);
    b.find("#to-review");
    assert!(b.text("#to-review").contains("处理异议"), "{}", b.text("#to-review"));
    b.go(&format!("/jobs/{job}"));
    b.click_away("form[action$='/recheck'] button");
    logout(&b);
    login(&b, "rev", &ukeys[2], false);
    approve(&b);
    assert!(b.text("main").contains("第 2 版"), "{}", b.text("main p"));
    logout(&b);

    // The department records its 回执 and exports its list.
    login(&b, "dept", &ukeys[3], true);
    b.go(&format!("/jobs/{job}"));
    b.set("#receipt-form select[name=decision]", "approved");
    let received =
        b.eval("return document.querySelector('#receipt-form input[name=received_on]').value", serde_json::json!([]));
    b.set("#receipt-form input[name=decided_on]", received.as_str().unwrap());
    b.click("#receipt-form button");
    b.find("#receipts td:nth-child(5)");
    assert!(b.text("#receipts").contains("批准救助"));
    b.go("/jobs");
    let href = b.eval("return document.querySelector('.toolbar a').getAttribute('href')", serde_json::json!([]));
    let xlsx = download(&b, href.as_str().unwrap());
    let rows = xlsx_rows(&xlsx);
    assert_eq!(rows.len(), 2, "its own commission only: {rows:?}");
    assert!(rows[1].iter().any(|c| c == &family.number));
    let all: String = rows.iter().flatten().cloned().collect();
    assert!(family.members.iter().all(|m| !all.contains(&m.id_number) && !all.contains(&m.name)), "no personal data");
    b.shot("05-receipt");
    logout(&b);

    // The 数据源管理员 imports a department's file with a bad row.
    login(&b, "op", &ukeys[4], true);
    b.go("/imports");
    let file = scans.join("shuiwu.csv");
    let original = std::fs::read_to_string(city.join("mirror/shuiwu.csv")).unwrap();
    let mut lines: Vec<String> = original.lines().map(String::from).collect();
    lines.push(format!("{},坏行,2025-11,工资薪金,不是金额,某公司", family.members[0].id_number));
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    b.eval("document.querySelector('#upload').open = true", serde_json::json!([]));
    b.set("select[name=source]", "shuiwu");
    b.set("input[name=as_of]", &common::as_of().add_days(1).to_string());
    b.upload("input[name=file]", &file);
    b.click_away("#preview");
    assert_eq!(b.text("#preview-counts .rejected"), "1", "{}", b.text("main"));
    b.click_away("#confirm");
    let started = std::time::Instant::now();
    while !b.text("#import-state").contains("导入完成") {
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "{}", b.text("main"));
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(b.text("#import-state").contains("拒收 1 行"));
    b.shot("06-import");
}
