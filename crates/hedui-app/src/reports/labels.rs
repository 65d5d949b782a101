//! The report's wording in one place: the headings, field names and column names, and the words
//! for a source's state and an item's result, that the web page (`hedui-web`'s `report.html`,
//! which gets them as `L`, `state_names` and `item_names`) and the PDF (`file`) both print.

use serde::Serialize;

use hedui_means::{ItemResult, SourceState};

/// The report's fixed wording.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Labels {
    pub title: &'static str,
    pub commission_number: &'static str,
    pub commission_kind: &'static str,
    pub commission_department: &'static str,
    pub programme: &'static str,
    pub letter_number: &'static str,
    pub as_of: &'static str,
    pub household_number: &'static str,
    pub region: &'static str,
    pub address: &'static str,
    pub policy: &'static str,
    pub conclusion: &'static str,
    pub members: &'static str,
    pub seq: &'static str,
    pub name: &'static str,
    pub id_number: &'static str,
    pub relation: &'static str,
    pub note: &'static str,
    pub counted: &'static str,
    pub unresolved_id: &'static str,
    pub supporters: &'static str,
    pub duty: &'static str,
    pub comparison: &'static str,
    pub item: &'static str,
    pub member: &'static str,
    pub declared: &'static str,
    pub verified: &'static str,
    pub difference: &'static str,
    pub unknown: &'static str,
    pub items: &'static str,
    pub found: &'static str,
    pub threshold: &'static str,
    pub rule: &'static str,
    pub result: &'static str,
    pub source: &'static str,
    pub data_date: &'static str,
    pub content: &'static str,
    pub policy_estimate: &'static str,
    pub applied_policy: &'static str,
    pub results: &'static str,
    pub anomalies: &'static str,
    pub no_anomalies: &'static str,
    pub unchecked: &'static str,
    pub all_answered: &'static str,
    pub sources: &'static str,
    pub answer: &'static str,
}

/// The wording hedui prints (Chinese; the report is a document of the Chinese administration).
pub const LABELS: Labels = Labels {
    title: "家庭经济状况核对报告",
    commission_number: "委托编号",
    commission_kind: "委托类型",
    commission_department: "委托单位",
    programme: "救助项目",
    letter_number: "授权书编号",
    as_of: "核对日期",
    household_number: "户编号",
    region: "户籍地",
    address: "地址",
    policy: "政策依据",
    conclusion: "核对结论",
    members: "家庭成员",
    seq: "序号",
    name: "姓名",
    id_number: "身份证号",
    relation: "关系",
    note: "说明",
    counted: "计入",
    unresolved_id: "身份证号未识别：",
    supporters: "赡养、抚养、扶养义务人（不计入家庭人口）",
    duty: "义务",
    comparison: "申报与核对对比",
    item: "项目",
    member: "成员",
    declared: "申报",
    verified: "核对",
    difference: "差额",
    unknown: "未知",
    items: "核对项目",
    found: "核对值",
    threshold: "标准",
    rule: "规则",
    result: "结果",
    source: "来源",
    data_date: "数据日期",
    content: "内容",
    policy_estimate: "政策测算（供业务部门参考，不作认定）",
    applied_policy: "适用政策",
    results: "各项结果",
    anomalies: "疑点",
    no_anomalies: "未发现疑点。",
    unchecked: "未核对事项",
    all_answered: "无。全部数据来源均已反馈。",
    sources: "数据来源",
    answer: "反馈情况",
};

/// A source's state in a word, by its code (`answered`, `no_record`, `not_answered`, `replaced`).
pub const STATE_WORDS: [(&str, &str); 4] = [
    ("answered", "已反馈"),
    ("no_record", "无记录"),
    ("not_answered", "未反馈"),
    ("replaced", "未反馈（已由其他来源补足）"),
];

/// An item's result in a word, by its code.
pub const RESULT_WORDS: [(&str, &str); 3] = [("within", "未超出"), ("exceeds", "超出"), ("incomplete", "待核实")];

fn word(table: &[(&'static str, &'static str)], code: &str) -> &'static str {
    table.iter().find(|(c, _)| *c == code).map_or("", |(_, w)| w)
}

/// The word for a source's state.
pub fn state_word(s: &SourceState) -> &'static str {
    word(
        &STATE_WORDS,
        match s {
            SourceState::Answered => "answered",
            SourceState::NoRecord => "no_record",
            SourceState::NotAnswered { .. } => "not_answered",
            SourceState::Replaced { .. } => "replaced",
        },
    )
}

/// The word for an item's result.
pub fn result_word(r: ItemResult) -> &'static str {
    word(
        &RESULT_WORDS,
        match r {
            ItemResult::Within => "within",
            ItemResult::Exceeds => "exceeds",
            ItemResult::Incomplete => "incomplete",
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_and_result_has_its_word() {
        for s in [
            SourceState::Answered,
            SourceState::NoRecord,
            SourceState::NotAnswered { reason: String::new() },
            SourceState::Replaced { reason: String::new() },
        ] {
            assert!(!state_word(&s).is_empty(), "{s:?}");
        }
        for r in [ItemResult::Within, ItemResult::Exceeds, ItemResult::Incomplete] {
            assert!(!result_word(r).is_empty(), "{r:?}");
        }
        // The codes are the serde names the web page looks the words up by.
        let state = serde_json::to_value(SourceState::NotAnswered { reason: "x".into() }).unwrap_or_default();
        assert_eq!(state["state"], "not_answered");
        assert_eq!(serde_json::to_value(ItemResult::Incomplete).unwrap_or_default(), "incomplete");
    }
}
