//! The English table is complete: every run of Chinese text in the templates and in the label
//! sets the pages show has an entry.

use super::*;

/// Every word the pages show from code: menus, roles, states, names of codes, report labels.
fn label_sets() -> Vec<String> {
    use hedui_core::authorization::{AuthorizationStatus, Scope};
    use hedui_core::catalog::{Channel, SourceKind};
    use hedui_core::household::Relation;
    use hedui_core::job::{JobEvent, JobState};
    use hedui_means::{ExceedReason, ItemResult, Outcome};
    let mut out: Vec<String> = Vec::new();
    for (module, items) in crate::pages::MENU {
        out.push(module.into());
        out.extend(items.iter().map(|(_, label, _)| label.to_string()));
    }
    out.extend(hedui_app::access::ROLES.iter().map(|r| r.name_zh().to_string()));
    out.extend(JobState::ALL.iter().map(|s| s.name_zh().to_string()));
    out.extend(hedui_core::programme::Programme::ALL.iter().map(|p| p.name_zh().to_string()));
    out.extend(hedui_core::commission::CommissionKind::ALL.iter().map(|k| k.name_zh().to_string()));
    out.extend(Scope::ALL.iter().map(|s| s.name_zh().to_string()));
    use Relation as R;
    let relations = [R::Applicant, R::Spouse, R::Child, R::Parent, R::Grandchild, R::Grandparent, R::Sibling];
    out.extend(relations.into_iter().chain([R::ChildInLaw, R::Other]).map(|r| r.name_zh().to_string()));
    use AuthorizationStatus as A;
    out.extend([A::Active, A::Terminated, A::Superseded, A::Withdrawn].map(|s| s.name_zh().to_string()));
    use SourceKind as K;
    let kinds = [K::Department, K::AccountService, K::Bank, K::Securities, K::Insurer, K::Trust];
    out.extend(kinds.into_iter().chain([K::PaymentInstitution]).map(|k| k.name_zh().to_string()));
    out.extend([Channel::Mirror, Channel::Online, Channel::File, Channel::Books].map(|c| c.name_zh().to_string()));
    out.extend([Outcome::Exceeds, Outcome::NotExceeded, Outcome::Open].map(|o| o.name_zh().to_string()));
    use ExceedReason as E;
    let reasons = [E::Income, E::Deposit, E::Car, E::SecondHome, E::NonResidential, E::Business];
    out.extend(reasons.map(|r| r.name_zh().to_string()));
    out.extend([ItemResult::Within, ItemResult::Exceeds, ItemResult::Incomplete].map(|r| r.name_zh().to_string()));
    use JobEvent as V;
    let events = [V::AuthorizationOk, V::AuthorizationRefused, V::Dispatch, V::SomeReturned, V::AllReturned];
    let more = [V::Deadline, V::Analyse, V::Complete, V::Return, V::IssueReport, V::Object, V::Recheck];
    out.extend(events.into_iter().chain(more).chain([V::Archive, V::Cancel]).map(|e| e.name_zh().to_string()));
    out.extend(crate::ACTION_NAMES.iter().map(|(_, n)| n.to_string()));
    out.extend(["成功", "拒绝", "失败"].map(String::from));
    out.extend(hedui_app::ERROR_CODES.iter().map(|e| e.title.to_string()));
    // The states of a job's sources (`collect::progress`).
    out.extend(["超时未反馈", "等待反馈", "已反馈", "无记录", "未反馈"].map(String::from));
    use hedui_app::reports::labels::{LABELS, RESULT_WORDS, STATE_WORDS};
    if let serde_json::Value::Object(m) = serde_json::to_value(LABELS).unwrap_or_default() {
        out.extend(m.values().filter_map(|v| v.as_str().map(String::from)));
    }
    out.extend(RESULT_WORDS.iter().chain(&STATE_WORDS).chain(&crate::pages::RULE_WORDS).map(|(_, w)| w.to_string()));
    out
}

#[test]
fn every_run_of_the_templates_and_the_label_sets_is_translated() {
    let mut missing = std::collections::BTreeSet::new();
    for (name, src) in crate::TEMPLATES {
        for run in untranslated(&template_text(src)) {
            missing.insert(format!("{run}\t\t# {name}"));
        }
    }
    for label in label_sets() {
        for (b, e) in runs(&label) {
            for piece in missing_pieces(&label[b..e]) {
                missing.insert(format!("{piece}\t\t# label"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{} runs have no English in i18n/*.tsv:\n{}",
        missing.len(),
        Vec::from_iter(missing).join("\n")
    );
}

#[test]
fn a_page_is_translated_but_its_data_and_form_values_are_not() {
    let html = r#"<html lang="zh-CN"><head><style>p::before { content:"核对"; }</style></head><body>
<h1>核对任务</h1><p>共 12 条，第 2 页</p><input name="q" placeholder="姓名" value="本人">
<select name="relation"><option value="配偶">配偶</option></select><td>张三丰</td><span title="审核员">x</span></body></html>"#;
    let en = page(html);
    assert!(en.starts_with(r#"<html lang="en">"#), "{en}");
    assert!(en.contains(r#"content:"核对""#), "styles are left alone: {en}");
    assert!(en.contains("<h1>Verification jobs</h1>"), "{en}");
    assert!(en.contains(r#"value="本人""#) && en.contains(r#"<option value="配偶">Spouse</option>"#), "{en}");
    assert!(en.contains(r#"placeholder="Name""#) && en.contains(r#"title="Reviewer""#), "{en}");
    assert!(en.contains("<td>张三丰</td>"), "a name is data: {en}");
    assert_eq!(untranslated(html), vec!["张三丰".to_string()]);
    assert!(!en.contains("12条") && en.contains("12"), "{en}");
}

#[test]
fn the_switch_is_read_from_the_cookie_only() {
    let mut h = HeaderMap::new();
    assert!(!wants_english(&h));
    h.insert(header::COOKIE, HeaderValue::from_static("hedui_session=abc; hedui_lang=en"));
    assert!(wants_english(&h));
    h.insert(header::COOKIE, HeaderValue::from_static("hedui_lang=zh; x=hedui_lang=en"));
    assert!(!wants_english(&h));
}

#[test]
fn every_option_of_the_templates_names_its_value() {
    // An option without a value posts its text, which the English page translates.
    for (name, src) in crate::TEMPLATES {
        for (i, _) in src.match_indices("<option") {
            let tag = &src[i..i + src[i..].find('>').unwrap_or(0)];
            assert!(tag.contains("value="), "{name}: {tag}");
        }
    }
}

#[test]
fn the_table_has_each_run_once_with_its_english() {
    let mut seen = std::collections::BTreeSet::new();
    for (file, text) in
        [("en.tsv", include_str!("../i18n/en.tsv")), ("en-labels.tsv", include_str!("../i18n/en-labels.tsv"))]
    {
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#')) {
            let (zh, en) = line.split_once('\t').unwrap_or_else(|| panic!("{file}:{}: no tab: {line}", n + 1));
            assert!(seen.insert(zh), "{file}:{}: {zh} is in the table twice", n + 1);
            assert!(!runs(zh).is_empty(), "{file}:{}: {zh} is not Chinese", n + 1);
            assert!(
                !en.contains(|c: char| ('\u{4e00}'..='\u{9fff}').contains(&c)) || zh == "中文",
                "{file}:{}: {en}",
                n + 1
            );
        }
    }
}
