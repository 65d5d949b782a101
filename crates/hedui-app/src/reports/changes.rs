//! What a 复核 changed: a new report version against the one it replaces, line by line (the
//! outcome, the household's figures, each declared item's verified value, anomalies, and the
//! sources that answered), for the job's history and the clerk who explains it to the family.

use std::collections::BTreeSet;

use crate::reports::Report;
use crate::reports::labels::state_word;

fn money(f: Option<hedui_core::Fen>) -> String {
    f.map_or("未知".to_string(), |f| format!("{f} 元"))
}

/// The differences from `old` to `new`; empty when nothing a reader sees changed.
pub fn changes(old: &Report, new: &Report) -> Vec<String> {
    let (a, b) = (&old.assessment, &new.assessment);
    let mut out = Vec::new();
    if a.outcome != b.outcome {
        out.push(format!("核对结论：{} → {}", a.outcome.name_zh(), b.outcome.name_zh()));
    }
    for (what, x, y) in [
        ("家庭月均收入", a.income_monthly, b.income_monthly),
        ("人均月收入", a.income_per_capita, b.income_per_capita),
        ("家庭财产合计", a.assets_total, b.assets_total),
    ] {
        if x != y {
            out.push(format!("{what}：{} → {}", money(Some(x)), money(Some(y))));
        }
    }
    if a.counted_size != b.counted_size {
        out.push(format!("计入家庭人口：{} → {} 人", a.counted_size, b.counted_size));
    }
    for c in &new.comparison {
        let before = old.comparison.iter().find(|o| o.item == c.item && o.member_seq == c.member_seq);
        if let Some(o) = before.filter(|o| o.verified != c.verified) {
            out.push(format!("{}：核实值 {} → {}", c.item, money(o.verified), money(c.verified)));
        }
    }
    let titles = |r: &Report| r.assessment.anomalies.iter().map(|x| x.title.clone()).collect::<BTreeSet<_>>();
    let (ta, tb) = (titles(old), titles(new));
    for t in tb.difference(&ta) {
        out.push(format!("新增疑点：{t}"));
    }
    for t in ta.difference(&tb) {
        out.push(format!("疑点已消除：{t}"));
    }
    for s in &new.sources {
        let before = old.sources.iter().find(|o| o.source == s.source);
        if let Some(o) = before.filter(|o| state_word(&o.state) != state_word(&s.state)) {
            out.push(format!("{}：{} → {}", s.name, state_word(&o.state), state_word(&s.state)));
        }
    }
    out
}
