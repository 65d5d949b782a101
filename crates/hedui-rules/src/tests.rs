//! Unit tests of the rules engine: parsing, resolution, compilation and evaluation.

use serde_json::json;

use super::*;

fn day(s: &str) -> Date {
    Date::parse(s).unwrap_or(Date::MIN)
}

fn doc(v: serde_json::Value) -> PolicyDoc {
    serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
}

fn p(key: &str, value: i64, from: &str, to: Option<&str>, d: &str) -> serde_json::Value {
    json!({"key": key, "value": value, "unit": "fen", "from": from, "to": to, "doc": d})
}

/// Province: the test and the rule; city: the standard, in two periods; county: an override.
fn set() -> PolicySet {
    let mut s = PolicySet::new();
    let add = |s: &mut PolicySet, v| s.add("t", doc(v)).unwrap_or_else(|e| panic!("{e}"));
    add(
        &mut s,
        json!({"region": "320000", "name": "省", "parameters": [{"key": "months", "value": 12, "unit": "months", "title": "月数", "from": "2020-01-01", "doc": "省文件"}],
        "rules": [
            {"id": "limit", "var": "limit", "unit": "fen", "title": "收入限额", "expr": "std * count(counted) * months", "from": "2020-01-01", "doc": "省规则"},
            {"id": "ok", "var": "ok", "expr": "sum(pension_income) < limit", "from": "2020-01-01", "doc": "省规则"}
        ],
        "programmes": [{"programme": "dibao", "from": "2020-01-01", "doc": "省",
            "tests": [{"code": "income", "title": "收入", "pass": "ok", "limit": "limit"}]}]}),
    );
    add(
        &mut s,
        json!({"region": "3204", "name": "市", "parameters": [
            p("std", 100_000, "2024-07-01", Some("2025-06-30"), "市2024"),
            p("std", 110_000, "2025-07-01", None, "市2025")]}),
    );
    add(
        &mut s,
        json!({"region": "320412", "name": "县", "parameters": [p("std", 120_000, "2025-07-01", None, "县2025")]}),
    );
    s
}

fn limit_of(s: &PolicySet, region: &str, on: &str) -> Result<(i64, String), RulesError> {
    let res = s.resolve(region, day(on))?;
    let prog = compile(&res, Programme::Dibao)?;
    let d = prog.decide(&Inputs::new(1), true)?;
    let t = d.trace.unwrap_or_default();
    let step = t.steps.iter().find(|s| s.var == "limit").cloned();
    let region =
        step.and_then(|s| s.params.iter().find(|p| p.key == "std").map(|p| p.region.clone())).unwrap_or_default();
    Ok((d.tests[0].limit.as_ref().and_then(|l| l.value).unwrap_or(-1), region))
}

#[test]
fn region_inheritance_and_a_county_override() {
    let s = set();
    // The city's value, inherited by a county without its own.
    assert_eq!(limit_of(&s, "320402", "2025-08-01"), Ok((110_000 * 12, "3204".into())));
    // The county's own value overrides the city's from its date.
    assert_eq!(limit_of(&s, "320412", "2025-08-01"), Ok((120_000 * 12, "320412".into())));
    // Before the county's date, the county follows the city's earlier value.
    assert_eq!(limit_of(&s, "320412", "2025-06-30"), Ok((100_000 * 12, "3204".into())));
    let res = s.resolve("320412", day("2025-08-01")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(res.chain.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(), ["32", "3204", "320412"]);
    assert_eq!(region_prefix("320400"), "3204");
    assert_eq!(region_prefix("320412001000"), "320412001");
    assert!(matches!(
        s.resolve("3205", day("2025-08-01")).map(|r| compile(&r, Programme::Dibao)),
        Ok(Err(RulesError::UnknownName { .. }))
    ));
    assert!(matches!(s.resolve("33", day("2025-08-01")), Err(RulesError::NoPolicy { .. })));
}

#[test]
fn a_parameter_used_outside_its_validity_is_an_error() {
    let s = set();
    let err = limit_of(&s, "3204", "2024-06-30").err();
    match err {
        Some(RulesError::OutOfValidity { key, rule, periods, .. }) => {
            assert_eq!(key, "std");
            assert_eq!(rule, "limit");
            assert!(periods.contains("2024-07-01 至 2025-06-30（3204）"), "{periods}");
        }
        other => panic!("{other:?}"),
    }
    let msg = limit_of(&s, "3204", "2024-06-30").err().map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.contains("参数 std 在 2024-06-30 不在有效期内") && msg.contains("规则 limit"), "{msg}");
}

fn with_rules(rules: serde_json::Value, tests: serde_json::Value) -> PolicySet {
    let mut s = PolicySet::new();
    s.add(
        "t",
        doc(json!({"region": "32", "name": "t", "parameters": [p("k", 5, "2020-01-01", None, "d")], "rules": rules,
            "programmes": [{"programme": "dibao", "from": "2020-01-01", "doc": "d", "tests": tests}]})),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    s
}

fn rule(id: &str, var: &str, expr: &str, when: Option<&str>, priority: i32) -> serde_json::Value {
    json!({"id": id, "var": var, "expr": expr, "when": when, "priority": priority, "from": "2020-01-01", "doc": id})
}

fn decide(s: &PolicySet, inp: &Inputs) -> Result<Decision, RulesError> {
    let res = s.resolve("32", day("2025-01-01"))?;
    compile(&res, Programme::Dibao)?.decide(inp, true)
}

#[test]
fn two_applicable_rules_without_priority_are_an_error_naming_both() {
    let tests = json!([{"code": "t", "title": "t", "pass": "ok"}]);
    let s = with_rules(
        json!([
            rule("small", "ok", "true", Some("count(counted) < 3"), 0),
            rule("old", "ok", "false", Some("any(age >= 60)"), 0),
        ]),
        tests.clone(),
    );
    let mut inp = Inputs::new(1);
    inp.set_m(0, "age", 70);
    match decide(&s, &inp) {
        Err(RulesError::Conflict { var, a, b, .. }) => {
            let mut both = [a.as_str(), b.as_str()];
            both.sort_unstable();
            assert_eq!((var.as_str(), both), ("ok", ["old", "small"]));
        }
        other => panic!("{other:?}"),
    }
    // Only one applies: fine.
    inp.set_m(0, "age", 40);
    assert_eq!(decide(&s, &inp).map(|d| d.outcome), Ok(TestOutcome::Pass));
    // A declared priority settles it, and the trace names the rule that won.
    let s = with_rules(
        json!([
            rule("small", "ok", "true", Some("count(counted) < 3"), 0),
            rule("old", "ok", "false", Some("any(age >= 60)"), 5),
        ]),
        tests.clone(),
    );
    inp.set_m(0, "age", 70);
    let d = decide(&s, &inp).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.outcome, TestOutcome::Fail);
    let step = d.trace.as_ref().and_then(|t| t.steps.iter().find(|s| s.var == "ok")).and_then(|s| s.rule.clone());
    assert_eq!(step.map(|r| r.id), Some("old".into()));
    // Two unconditional rules at one priority are refused when compiled, whatever the household.
    let s = with_rules(json!([rule("a", "ok", "true", None, 0), rule("b", "ok", "false", None, 0)]), tests.clone());
    assert!(matches!(decide(&s, &Inputs::new(1)), Err(RulesError::Conflict { .. })));
    // No rule applies at all: an error, never a default.
    let s = with_rules(json!([rule("a", "ok", "true", Some("any(age > 100)"), 0)]), tests);
    let e = decide(&s, &Inputs::new(1)).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("都不适用") && e.contains('a'), "{e}");
}

#[test]
fn a_circular_definition_is_an_error_naming_the_cycle() {
    let s = with_rules(
        json!(
            [rule("ok", "ok", "x < 3", None, 0), rule("x", "x", "y + 1", None, 0), rule("y", "y", "x * 2", None, 0),]
        ),
        json!([{"code": "t", "title": "t", "pass": "ok"}]),
    );
    match decide(&s, &Inputs::new(1)) {
        Err(RulesError::Cycle { path }) => assert_eq!(path, ["x", "y", "x"]),
        other => panic!("{other:?}"),
    }
    let e = decide(&s, &Inputs::new(1)).err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(e, "循环定义：x → y → x");
}

#[test]
fn a_fact_no_source_supplied_follows_the_failure_policy() {
    let s = with_rules(
        json!([rule("ok", "ok", "sum(deposits) <= k and count(counted) > 0", None, 0)]),
        json!([{"code": "t", "title": "t", "pass": "ok"}]),
    );
    // `unknown`: the test stays open.
    let mut inp = Inputs::new(2);
    inp.set_m(1, "deposits", inputs::UNKNOWN);
    assert_eq!(decide(&s, &inp).map(|d| d.outcome), Ok(TestOutcome::Unknown));
    // A known failure elsewhere still decides (false and unknown is false).
    inp.set_m(0, "deposits", 6);
    assert_eq!(decide(&s, &inp).map(|d| d.outcome), Ok(TestOutcome::Unknown));
    let s2 = with_rules(
        json!([rule("ok", "ok", "all(deposits <= k)", None, 0)]),
        json!([{"code": "t", "title": "t", "pass": "ok"}]),
    );
    assert_eq!(decide(&s2, &inp).map(|d| d.outcome), Ok(TestOutcome::Fail));
    // `fail`: an error that names the rule, the fact and why it is missing.
    let mut inp = Inputs::new(1);
    inp.set_m(0, "deposits", inputs::FAILED);
    inp.notes.push((Some(0), Entity::Member, 24, "bank_a 未反馈（失败策略：fail）".into()));
    let e = decide(&s, &inp).err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        e,
        "规则 ok 需要的事实“存款余额（核对日）”没有来源提供（bank_a 未反馈（失败策略：fail）），按该来源的失败策略不能继续"
    );
}

#[test]
fn names_types_and_syntax_are_checked_before_use() {
    let tests = json!([{"code": "t", "title": "t", "pass": "ok"}]);
    let err = |rules| {
        decide(&with_rules(rules, tests.clone()), &Inputs::new(1)).err().map(|e| e.to_string()).unwrap_or_default()
    };
    assert!(err(json!([rule("ok", "ok", "nope < 3", None, 0)])).contains("未定义的名称“nope”"));
    assert!(err(json!([rule("ok", "ok", "k + 1", None, 0)])).contains("核对项"));
    assert!(err(json!([rule("ok", "ok", "age > 3", None, 0)])).contains("成员层面"));
    assert!(err(json!([rule("ok", "ok", "k and true", None, 0)])).contains("需要是/否"));
    assert!(err(json!([rule("ok", "ok", "sum(sum(age)) > 1", None, 0)])).contains("只能用于家庭层面"));
    assert!(err(json!([rule("ok", "ok", "round(k, 3, \"up\") > 1", None, 0)])).contains("取整方式“up”无效"));
    assert!(err(json!([rule("ok", "ok", "div_floor(k, 0) > 1", None, 0)])).contains("除数为零"));
    // A syntax error refuses the file when it is loaded.
    let mut s = PolicySet::new();
    let e = s
        .add("bad.json", doc(json!({"region": "32", "name": "t", "rules": [rule("r", "v", "k / 2", None, 0)]})))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("规则 r 的表达式有语法错误") && e.contains("div_floor"), "{e}");
    // A parameter and a variable may not share a name.
    assert!(
        err(json!([rule("ok", "ok", "k > 1", None, 0), rule("k", "k", "1", None, 0)])).contains("既是参数又是规则变量")
    );
}

#[test]
fn trace_is_readable_and_serialisable() {
    let s = set();
    let res = s.resolve("320412", day("2025-08-01")).unwrap_or_else(|e| panic!("{e}"));
    let prog = compile(&res, Programme::Dibao).unwrap_or_else(|e| panic!("{e}"));
    let mut inp = Inputs::new(2);
    inp.set_m(0, "pension_income", 600_000);
    inp.evidence.push((
        Some(0),
        Entity::Member,
        inputs::member_slot("pension_income").unwrap_or(0),
        inputs::InputEvidence {
            source: "benefit_src".into(),
            as_of: day("2025-07-31"),
            label: "基本养老金 2024-08 至 2025-07".into(),
            amount: Some(hedui_core::Fen(600_000)),
            record: Some(hedui_core::RecordId(42)),
            member_seq: None,
        },
    ));
    let d = prog.decide(&inp, true).unwrap_or_else(|e| panic!("{e}"));
    let text = d.trace.as_ref().map(|t| t.to_text()).unwrap_or_default();
    insta::assert_snapshot!("trace_text", text);
    insta::assert_json_snapshot!("decision_json", d);
}
