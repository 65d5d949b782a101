//! The English switch: `/lang/en` remembers the choice in a cookie and goes back; every main page
//! then comes in English, inside the same layout, with no word of the interface left in Chinese
//! (what stays Chinese is data: names, addresses, sources, the policy's rules); forms post the
//! same values in both languages; `/lang/zh` switches back.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use hedui_app::admin::users::Account;
use hedui_app::{Caller, Role};

use crate::common;
use crate::ui_flows::{PASSWORD, serve};

/// A page as a browser that chose `lang` gets it, with its status.
fn get(base: &str, token: Option<&str>, lang: &str, path: &str) -> (u16, String) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut req =
            reqwest::Client::new().get(format!("{base}{path}")).header("cookie", format!("hedui_lang={lang}"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    })
}

/// The interface's own words that an English page still shows in Chinese.
fn left_in_chinese(page: &str) -> Vec<String> {
    let ui = hedui_web::i18n::template_pieces();
    let mut left: Vec<String> = hedui_web::i18n::untranslated(page).into_iter().filter(|r| ui.contains(r)).collect();
    left.sort();
    left.dedup();
    left
}

#[test]
fn every_main_page_comes_in_english_once_chosen() {
    let city = common::city(6, 83);
    let store = common::stores("english").remove(0);
    let app = common::app(store.clone(), Some(&city));
    let system = Caller::system("t");
    hedui::city::import_mirrors(&app, &system, &city).unwrap();
    let apps = hedui::city::applications(&city).unwrap();
    let filed = hedui::city::file_applications(&app, &system, &apps, common::as_of(), &|_| true).unwrap();
    app.run_job(&system, filed[0].job).unwrap();
    app.create_user(&system, &Account::new("clerk", "核对员甲", Role::Clerk, "", ""), PASSWORD).unwrap();
    app.create_user(&system, &Account::new("op", "数据员", Role::Operator, "", ""), PASSWORD).unwrap();
    app.create_user(&system, &Account::new("sec", "安全员", Role::Security, "", ""), PASSWORD).unwrap();
    let clerk = app.login("clerk", PASSWORD, "t").unwrap().token;
    let op = app.login("op", PASSWORD, "t").unwrap().token;
    let sec = app.login("sec", PASSWORD, "t").unwrap().token;
    let (job, household) = (filed[0].job.0, filed[0].household.0);
    let (_rt, base) = serve(app);

    let pages: Vec<(&str, String)> = vec![
        (&clerk, "/home".into()),
        (&clerk, "/households".into()),
        (&clerk, "/households/new".into()),
        (&clerk, format!("/households/{household}")),
        (&clerk, "/jobs".into()),
        (&clerk, format!("/jobs/{job}")),
        (&clerk, format!("/jobs/{job}/report")),
        (&clerk, "/linkage".into()),
        (&clerk, "/policy".into()),
        (&clerk, "/password".into()),
        (&clerk, "/factors".into()),
        (&op, "/imports".into()),
        (&op, "/exchange".into()),
        (&op, "/sources".into()),
        (&sec, "/users".into()),
        (&sec, "/security".into()),
    ];
    for (token, path) in &pages {
        let (status, zh) = get(&base, Some(token), "zh", path);
        assert_eq!(status, 200, "{path}");
        assert!(zh.contains("<html lang=\"zh-CN\">") && zh.contains("首页"), "{path} in Chinese by default");
        let (status, en) = get(&base, Some(token), "en", path);
        assert_eq!(status, 200, "{path}");
        assert!(en.contains("<html lang=\"en\">"), "{path}");
        assert!(en.contains("<aside class=\"side\"") && en.contains(">Home</a>"), "{path}: the layout in English");
        assert!(en.contains(">Log out</button>") && en.contains(">English</a>"), "{path}");
        assert_eq!(left_in_chinese(&en), Vec::<String>::new(), "{path}: words of the interface left in Chinese");
        // Forms post the same fields and values in both languages.
        let inputs = |p: &str| p.matches("name=\"").count() + p.matches("value=\"").count();
        assert_eq!(inputs(&zh), inputs(&en), "{path}: form fields");
    }
    let (_, en) = get(&base, Some(&clerk), "en", "/jobs");
    assert!(en.contains("Verification jobs") && en.contains("Search"), "{en}");
    let (_, en) = get(&base, Some(&clerk), "en", &format!("/jobs/{job}/report"));
    assert!(en.contains("Household Economic Status Verification Report"), "the report's labels");

    // A refusal is in English too, inside the layout; the login page has the switch.
    let (status, en) = get(&base, Some(&clerk), "en", "/users");
    assert_eq!(status, 403);
    assert!(en.contains("Your role may not do this") || en.contains("may not"), "{en}");
    assert!(en.contains("<aside class=\"side\""));
    let (_, login) = get(&base, None, "en", "/login");
    assert!(login.contains("<html lang=\"en\">") && login.contains(">中文</a>") && login.contains("Log in"), "{login}");
    assert_eq!(left_in_chinese(&login), Vec::<String>::new());
}

#[test]
fn the_switch_sets_a_cookie_and_goes_back_to_the_same_page_only() {
    let app = common::app(common::stores("english_switch").remove(0), None);
    let (_rt, base) = serve(app);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let switch = |to: &str, referer: &str| {
        rt.block_on(async {
            let r = client.get(format!("{base}/lang/{to}")).header("referer", referer).send().await.unwrap();
            let at = r.headers().get("location").unwrap().to_str().unwrap().to_string();
            let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
            (r.status().as_u16(), at, cookie)
        })
    };
    let (status, at, cookie) = switch("en", &format!("{base}/jobs?q=H00029&page=2"));
    assert_eq!((status, at.as_str()), (303, "/jobs?q=H00029&page=2"));
    assert!(cookie.starts_with("hedui_lang=en;") && cookie.contains("Path=/"), "{cookie}");
    let (_, at, cookie) = switch("zh", "https://elsewhere.example//evil");
    assert_eq!(at, "/", "never to a page of another site");
    assert!(cookie.starts_with("hedui_lang=zh;"));
    let (_, at, cookie) = switch("klingon", &format!("{base}/lang/en"));
    assert_eq!(at, "/");
    assert!(cookie.starts_with("hedui_lang=zh;"), "an unknown language is Chinese");
}

#[test]
fn in_chromium_the_switch_changes_every_page_and_the_checks_as_you_type() {
    let city = common::city(4, 85);
    let apps = hedui::city::applications(&city).unwrap();
    let app = common::app(common::stores("english_ui").remove(0), Some(&city));
    let system = Caller::system("t");
    let family = &apps[0];
    app.create_user(&system, &Account::new("town", "乡镇经办人甲", Role::Township, &family.region[..6], ""), PASSWORD)
        .unwrap();
    let (_rt, base) = serve(app);
    let Some(b) = crate::browser::open("english", &base) else { return };

    b.go("/login");
    b.click("a[href='/lang/en']");
    b.find("html[lang=en]");
    assert_eq!(b.path(), "/login", "back to the page the link was on");
    assert!(b.text("main").contains("Log in"), "{}", b.text("main"));
    b.fill("input[name=login]", "town");
    b.fill("input[name=password]", PASSWORD);
    b.click("button[type=submit]");
    b.find("aside.side");
    b.go("/households/new");
    assert_eq!(b.text("aside.side a.active"), "Households");
    b.shot("en-01-register");
    // The check as you type speaks English; the form's values are the same as in Chinese.
    let id = &family.members[0].id_number;
    b.fill("input[name=m1_id]", &format!("{}{}", &id[..17], if id.ends_with('0') { '1' } else { '0' }));
    assert!(b.text("tr:nth-child(1) .idmsg").starts_with("Wrong check digit"), "{}", b.text("tr:nth-child(1) .idmsg"));
    b.fill("input[name=m1_id]", id);
    assert!(b.text("tr:nth-child(1) .idmsg").starts_with("Valid: born"), "{}", b.text("tr:nth-child(1) .idmsg"));
    b.fill("input[name=number]", &family.number);
    b.fill("input[name=region]", &family.region);
    b.fill("input[name=address]", &family.address);
    b.set("select[name=programme]", family.programme.code());
    b.set("input[name=applied_on]", &common::as_of().to_string());
    b.fill("input[name=m1_name]", &family.members[0].name);
    b.set("select[name=m1_relation]", "本人");
    b.click_away("#register");
    assert!(b.text("#notice").starts_with("Household registered"), "{}", b.text("main"));
    assert!(b.path().starts_with("/households/"), "{}", b.path());
    b.shot("en-02-household");

    // Back to Chinese, on the same page.
    let here = b.path();
    b.click("a[href='/lang/zh']");
    b.find("html[lang=zh-CN]");
    assert_eq!(b.path(), here);
    assert_eq!(b.text("aside.side a.active"), "家庭登记");
}
