//! Resolution: the documents of a region's chain (province → city → county) read for one date
//! into the parameters and rules in force, each from the most specific document that has it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use hedui_core::Date;
use hedui_core::programme::Programme;

use crate::expr;
use crate::{ParamDef, ParamValue, PolicyDoc, ProgrammeDef, RuleDef, RulesError, Unit, explain};

/// A parameter as resolved for one region and date, with where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResolvedParam {
    pub key: String,
    pub title: String,
    pub unit: Unit,
    pub value: ParamValue,
    pub from: Date,
    pub to: Option<Date>,
    pub doc: String,
    /// The region whose document supplied the value.
    pub region: String,
}

impl ResolvedParam {
    pub fn int(&self) -> Option<i64> {
        match self.value {
            ParamValue::Int(v) => Some(v),
            ParamValue::Word(_) => None,
        }
    }

    /// "低保标准 1,180.00 元（2025-07-01 起，文号 …，常州市）".
    pub fn describe(&self) -> String {
        let v = match &self.value {
            ParamValue::Int(v) => self.unit.show(*v),
            ParamValue::Word(w) => w.clone(),
        };
        let period = match self.to {
            Some(to) => format!("{} 至 {}", self.from, to),
            None => format!("{} 起", self.from),
        };
        format!("{} = {}（{}，{}，地区 {}）", self.title, v, period, self.doc, self.region)
    }
}

/// A rule as resolved: the definition and the region that supplied it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResolvedRule {
    pub def: RuleDef,
    pub region: String,
}

/// Why a parameter has no value on the date (kept until a rule needs it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamGap {
    OutOfValidity { periods: String },
    Overlap { a: String, b: String },
}

/// A region's policy on one date: everything a compile needs.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub region: String,
    pub as_of: Date,
    /// The documents applied, from the province down: (region, name).
    pub chain: Vec<(String, String)>,
    pub params: BTreeMap<String, ResolvedParam>,
    pub gaps: BTreeMap<String, ParamGap>,
    /// Rules in force, by variable.
    pub rules: BTreeMap<String, Vec<ResolvedRule>>,
    /// Variables with rules in the files but none in force on the date.
    pub lapsed: BTreeMap<String, String>,
    pub programmes: BTreeMap<Programme, (ProgrammeDef, String)>,
    /// Inputs the documents declare, the most specific document's where two declare one name.
    pub inputs: Vec<super::inputs::DeclaredInput>,
}

impl Resolved {
    pub fn param(&self, key: &str) -> Option<&ResolvedParam> {
        self.params.get(key)
    }

    /// An integer parameter that must be in force.
    pub fn int(&self, key: &str, needed_by: &str) -> Result<(i64, &ResolvedParam), RulesError> {
        match (self.params.get(key), self.gaps.get(key)) {
            (Some(p), _) => match p.value {
                ParamValue::Int(v) => Ok((v, p)),
                ParamValue::Word(ref w) => {
                    Err(RulesError::BadValue { key: key.into(), value: w.clone(), why: "应为整数".into() })
                }
            },
            (None, Some(ParamGap::Overlap { a, b })) => {
                Err(RulesError::ParamOverlap { key: key.into(), as_of: self.as_of, a: a.clone(), b: b.clone() })
            }
            (None, Some(ParamGap::OutOfValidity { periods })) => Err(RulesError::OutOfValidity {
                key: key.into(),
                as_of: self.as_of,
                periods: periods.clone(),
                rule: needed_by.into(),
            }),
            (None, None) => Err(RulesError::UnknownName { rule: needed_by.into(), name: key.into() }),
        }
    }
}

/// All policy documents hedui knows, by region.
#[derive(Clone, Debug, Default)]
pub struct PolicySet {
    docs: BTreeMap<String, PolicyDoc>,
}

/// Strips a region code to its significant prefix: `320000` → `32`, `320400` → `3204`.
pub fn region_prefix(code: &str) -> String {
    let mut s = code.to_string();
    if s.len() == 12 && s.ends_with("000") {
        s.truncate(9);
    }
    if s.len() == 9 && s.ends_with("000") {
        s.truncate(6);
    }
    if s.len() == 6 {
        while s.len() > 2 && s.ends_with("00") {
            s.truncate(s.len() - 2);
        }
    }
    s
}

fn in_force(from: Date, to: Option<Date>, on: Date) -> bool {
    from <= on && to.is_none_or(|t| on <= t)
}

fn period(from: Date, to: Option<Date>) -> String {
    match to {
        Some(t) => format!("{} 至 {}", from, t),
        None => format!("{} 起", from),
    }
}

/// A bound declared for `key` anywhere in the chain (the province usually declares it).
fn bound(chain: &[&PolicyDoc], key: &str, f: impl Fn(&ParamDef) -> Option<i64>) -> Option<i64> {
    chain.iter().flat_map(|d| d.parameters.iter()).filter(|p| p.key == key).find_map(f)
}

impl PolicySet {
    pub fn new() -> PolicySet {
        PolicySet::default()
    }

    /// Adds one document, read from `file` (named in errors).
    pub fn add_json(&mut self, file: &str, text: &str) -> Result<(), RulesError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let doc: PolicyDoc = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            RulesError::Format {
                file: file.into(),
                message: format!("位置 {path}（第 {} 行第 {} 列）：{}", inner.line(), inner.column(), explain(&inner)),
            }
        })?;
        for p in &doc.parameters {
            if p.unit == Some(Unit::Bool) && !matches!(p.value, ParamValue::Int(0 | 1)) {
                return Err(RulesError::Format {
                    file: file.into(),
                    message: format!("参数 {} 的单位是 bool，取值只能是 0（否）或 1（是），而不是 {}", p.key, p.value),
                });
            }
        }
        self.add(file, doc)
    }

    pub fn add(&mut self, file: &str, mut doc: PolicyDoc) -> Result<(), RulesError> {
        let region = region_prefix(&doc.region);
        if !matches!(region.len(), 2 | 4 | 6 | 9 | 12) || !region.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RulesError::BadRegion { file: file.into(), region: doc.region });
        }
        // Syntax is checked at load, so a bad file is refused before it is ever used.
        for r in &doc.rules {
            for (field, src) in [("表达式", Some(&r.expr)), ("适用条件", r.when.as_ref())] {
                if let Some(src) = src {
                    expr::parse(src).map_err(|e| RulesError::Syntax {
                        rule: r.id.clone(),
                        field,
                        message: e.to_string(),
                    })?;
                }
            }
        }
        for d in &doc.inputs {
            let bad =
                |why: &str| RulesError::Format { file: file.into(), message: format!("输入 {}：{why}", d.name) };
            let word =
                |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !word(&d.name) {
                return Err(bad("名称只能由小写字母、数字和下划线组成"));
            }
            if super::inputs::input(&d.name).is_some() {
                return Err(bad("与内置输入同名"));
            }
            if !word(&d.category) {
                return Err(bad("数据类别编码无效"));
            }
            if d.title.trim().is_empty() {
                return Err(bad("缺少标题"));
            }
        }
        if self.docs.contains_key(&region) {
            return Err(RulesError::DuplicateRegion { region });
        }
        doc.region = region.clone();
        self.docs.insert(region, doc);
        Ok(())
    }

    pub fn docs(&self) -> impl Iterator<Item = &PolicyDoc> {
        self.docs.values()
    }

    pub fn doc(&self, region: &str) -> Option<&PolicyDoc> {
        self.docs.get(&region_prefix(region))
    }

    /// The documents that apply to `region`, from the province down.
    pub fn chain(&self, region: &str) -> Vec<&PolicyDoc> {
        let code = region_prefix(region);
        [2usize, 4, 6, 9, 12]
            .into_iter()
            .filter(|&n| n <= code.len())
            .filter_map(|n| self.docs.get(&code[..n]))
            .collect()
    }

    /// Resolves the policy of `region` on `as_of`.
    // tidy: allow(long-fn): province → city → county resolution in one pass; the chain is walked once per key.
    pub fn resolve(&self, region: &str, as_of: Date) -> Result<Resolved, RulesError> {
        let chain = self.chain(region);
        if chain.is_empty() {
            return Err(RulesError::NoPolicy { region: region.into() });
        }
        let mut titles: BTreeMap<&str, (&str, Unit)> = BTreeMap::new();
        for d in &chain {
            for p in &d.parameters {
                let unit = p.unit.unwrap_or(match p.value {
                    ParamValue::Word(_) => Unit::Mode,
                    ParamValue::Int(_) => Unit::Count,
                });
                let e = titles.entry(p.key.as_str()).or_insert((p.key.as_str(), unit));
                if let Some(t) = &p.title {
                    e.0 = t;
                }
                if p.unit.is_some() {
                    e.1 = unit;
                }
            }
        }
        let mut params = BTreeMap::new();
        let mut gaps = BTreeMap::new();
        let mut all_periods: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for d in &chain {
            for p in &d.parameters {
                all_periods.entry(&p.key).or_default().push(format!("{}（{}）", period(p.from, p.to), d.region));
            }
        }
        for (key, (title, unit)) in &titles {
            // The most specific document with a value in force wins.
            let mut chosen = None;
            for d in chain.iter().rev() {
                let live: Vec<&ParamDef> =
                    d.parameters.iter().filter(|p| p.key == *key && in_force(p.from, p.to, as_of)).collect();
                match live.as_slice() {
                    [] => continue,
                    [p] => {
                        if let ParamValue::Int(v) = p.value {
                            let lo = p.min.or_else(|| bound(&chain, key, |q| q.min));
                            let hi = p.max.or_else(|| bound(&chain, key, |q| q.max));
                            if lo.is_some_and(|lo| v < lo) || hi.is_some_and(|hi| v > hi) {
                                return Err(RulesError::BadValue {
                                    key: key.to_string(),
                                    value: v.to_string(),
                                    why: format!(
                                        "应在 {} 到 {} 之间（{}，地区 {}）",
                                        lo.map(|x| x.to_string()).unwrap_or_else(|| "−∞".into()),
                                        hi.map(|x| x.to_string()).unwrap_or_else(|| "∞".into()),
                                        p.doc,
                                        d.region
                                    ),
                                });
                            }
                        }
                        chosen = Some(ResolvedParam {
                            key: key.to_string(),
                            title: title.to_string(),
                            unit: *unit,
                            value: p.value.clone(),
                            from: p.from,
                            to: p.to,
                            doc: p.doc.clone(),
                            region: d.region.clone(),
                        });
                    }
                    [a, b, ..] => {
                        gaps.insert(key.to_string(), ParamGap::Overlap { a: a.doc.clone(), b: b.doc.clone() });
                    }
                }
                break;
            }
            match chosen {
                Some(p) => {
                    params.insert(key.to_string(), p);
                }
                None if !gaps.contains_key(*key) => {
                    let periods = all_periods.get(key).map(|v| v.join("；")).unwrap_or_default();
                    gaps.insert(key.to_string(), ParamGap::OutOfValidity { periods });
                }
                None => {}
            }
        }

        let mut by_id: BTreeMap<&str, Option<ResolvedRule>> = BTreeMap::new();
        let mut lapsed = BTreeMap::new();
        for d in &chain {
            let mut ids: Vec<&str> = d.rules.iter().map(|r| r.id.as_str()).collect();
            ids.dedup();
            for id in ids {
                let live: Vec<&RuleDef> =
                    d.rules.iter().filter(|r| r.id == id && in_force(r.from, r.to, as_of)).collect();
                match live.as_slice() {
                    // A more specific document without a version in force leaves the parent's.
                    [] => {
                        if let Some(r) = d.rules.iter().find(|r| r.id == id) {
                            lapsed.entry(r.var.clone()).or_insert_with(|| {
                                d.rules
                                    .iter()
                                    .filter(|r| r.id == id)
                                    .map(|r| format!("规则 {} {}", r.id, period(r.from, r.to)))
                                    .collect::<Vec<_>>()
                                    .join("；")
                            });
                        }
                        by_id.entry(id).or_insert(None);
                    }
                    [r] => {
                        by_id.insert(id, Some(ResolvedRule { def: (*r).clone(), region: d.region.clone() }));
                    }
                    [a, b, ..] => {
                        return Err(RulesError::RuleOverlap {
                            id: id.into(),
                            as_of,
                            a: format!("{}（{}）", a.doc, period(a.from, a.to)),
                            b: format!("{}（{}）", b.doc, period(b.from, b.to)),
                        });
                    }
                }
            }
        }
        let mut rules: BTreeMap<String, Vec<ResolvedRule>> = BTreeMap::new();
        for r in by_id.into_values().flatten() {
            rules.entry(r.def.var.clone()).or_default().push(r);
        }
        for v in rules.keys() {
            lapsed.remove(v);
        }

        let mut programmes = BTreeMap::new();
        for d in &chain {
            for p in d.programmes.iter().filter(|p| in_force(p.from, p.to, as_of)) {
                programmes.insert(p.programme, (p.clone(), d.region.clone()));
            }
        }
        let mut inputs: Vec<super::inputs::DeclaredInput> = Vec::new();
        for d in &chain {
            for i in &d.inputs {
                match inputs.iter_mut().find(|x| x.name == i.name) {
                    Some(x) => *x = i.clone(),
                    None => inputs.push(i.clone()),
                }
            }
        }
        Ok(Resolved {
            inputs,
            region: region_prefix(region),
            as_of,
            chain: chain.iter().map(|d| (d.region.clone(), d.name.clone())).collect(),
            params,
            gaps,
            rules,
            lapsed,
            programmes,
        })
    }
}
