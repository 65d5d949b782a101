//! The inputs a rule can read: what hedui knows about a household and its members.
//!
//! Inputs are filled from facts (department and bank records), from the household as declared
//! in the commission, and from the assistance rolls. Each input names the data categories it is
//! read from, never a source: the catalog says which sources supply a category, so that when one
//! of them did not answer the input follows that source's failure policy. The list is fixed in
//! code because filling an input is code; what the rules do with inputs is policy, in files.

use serde::{Deserialize, Serialize};

use super::Unit;

/// Which entity a variable or input belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    #[default]
    Household,
    Member,
}

impl Entity {
    pub fn name_zh(self) -> &'static str {
        match self {
            Entity::Household => "家庭",
            Entity::Member => "成员",
        }
    }
}

/// One input.
#[derive(Clone, Copy, Debug)]
pub struct InputDef {
    pub name: &'static str,
    pub entity: Entity,
    pub unit: Unit,
    pub title: &'static str,
    /// The data categories it is read from (none: declared in the application or derived).
    pub categories: &'static [&'static str],
}

const fn m(name: &'static str, unit: Unit, title: &'static str, categories: &'static [&'static str]) -> InputDef {
    InputDef { name, entity: Entity::Member, unit, title, categories }
}
const fn h(name: &'static str, unit: Unit, title: &'static str, categories: &'static [&'static str]) -> InputDef {
    InputDef { name, entity: Entity::Household, unit, title, categories }
}

use hedui_core::catalog::known::codes as c;

const TAX: &[&str] = &[c::TAX_INCOME];
const PENSION: &[&str] = &[c::PENSION];
const UNEMPLOYMENT: &[&str] = &[c::UNEMPLOYMENT_BENEFIT];
/// Where accounts are decides which institutions are asked, so balances depend on it too.
const DEPOSITS: &[&str] = &[c::ACCOUNT_INDEX, c::DEPOSIT, c::CUSTODY, c::SECURITIES_CASH];
const HOLDINGS: &[&str] =
    &[c::ACCOUNT_INDEX, c::WEALTH_MANAGEMENT, c::FUND, c::BOND, c::STOCK, c::INSURANCE, c::TRUST, c::INTERNET_FINANCE];
const CANLIAN: &[&str] = &[c::DISABILITY];
const ROLLS: &[&str] = &[c::ASSISTANCE_ROLL];
const MEDICAL: &[&str] = &[c::MEDICAL_EXPENSE];
const SCHOOL: &[&str] = &[c::ENROLLMENT];
const DECLARED: &[&str] = &[];

/// Member inputs, in slot order. `MemberInput as usize` indexes this table.
pub const MEMBER_INPUTS: [InputDef; 34] = [
    m("counted", Unit::Bool, "计入家庭人口", DECLARED),
    m("age", Unit::Years, "年龄（周岁，按身份证号出生日期）", DECLARED),
    m("sex", Unit::Code, "性别（1 男，2 女，按身份证号）", DECLARED),
    m("disability_grade", Unit::Code, "残疾等级（0 无，1–4 级）", CANLIAN),
    m(
        "disability_kind",
        Unit::Code,
        "残疾类别（0 无，1 视力，2 听力，3 言语，4 肢体，5 智力，6 精神，7 多重）",
        CANLIAN,
    ),
    m("student", Unit::Bool, "全日制在校学生", SCHOOL),
    m("employed", Unit::Bool, "有就业或经营收入", TAX),
    m("major_illness", Unit::Bool, "患重特大疾病", MEDICAL),
    m("adl_unable", Unit::Count, "六项日常生活活动中不能完成的项数", DECLARED),
    m("is_supporter", Unit::Bool, "赡养（抚养、扶养）义务人（不计入家庭人口）", DECLARED),
    m("wage_income", Unit::Fen, "工资性收入（计算期内合计）", TAX),
    m("business_income", Unit::Fen, "经营净收入（计算期内合计）", TAX),
    m("property_income", Unit::Fen, "财产净收入：利息、股息、租金等（计算期内合计）", DECLARED),
    m("pension_income", Unit::Fen, "离退休金（计算期内合计）", PENSION),
    m("unemployment_income", Unit::Fen, "失业保险金（计算期内合计）", UNEMPLOYMENT),
    m("basic_pension_income", Unit::Fen, "城乡居民基础养老金（计算期内合计）", PENSION),
    m("support_received", Unit::Fen, "收到的赡养（抚养、扶养）费（计算期内合计）", DECLARED),
    m("other_transfer_income", Unit::Fen, "其他转移性收入：赔偿、捐赠等（计算期内合计）", DECLARED),
    m(
        "excluded_income",
        Unit::Fen,
        "不计入收入的款项：优抚金、奖学金、见义勇为奖励、救助款物等（计算期内合计）",
        DECLARED,
    ),
    m("social_insurance_paid", Unit::Fen, "个人缴纳的社会保险费（计算期内合计）", DECLARED),
    m("support_paid", Unit::Fen, "支付的赡养（抚养、扶养）费（计算期内合计）", DECLARED),
    m("medical_expense", Unit::Fen, "个人负担的医疗费用（计算期内合计）", MEDICAL),
    m("education_expense", Unit::Fen, "教育费用（计算期内合计）", SCHOOL),
    m("rehab_expense", Unit::Fen, "残疾康复费用（计算期内合计）", DECLARED),
    m("deposits", Unit::Fen, "存款余额（核对日）", DEPOSITS),
    m("investments", Unit::Fen, "证券、基金、理财、保险现金价值、信托等（核对日）", HOLDINGS),
    m("member_on_dibao", Unit::Bool, "本人正在享受低保", ROLLS),
    m("on_tekun", Unit::Bool, "已认定为特困人员", ROLLS),
    m("unable_status", Unit::Bool, "无民事行为能力、被宣告失踪或在监狱服刑", DECLARED),
    m("orphan_chosen", Unit::Bool, "选择孤儿或事实无人抚养儿童保障", DECLARED),
    m("work_refusals", Unit::Count, "连续拒绝推荐工作的次数", DECLARED),
    m("new_graduate", Unit::Bool, "毕业未满六个月", DECLARED),
    m("declared_income", Unit::Fen, "申报月收入", DECLARED),
    m("applicant", Unit::Bool, "申请人（单人户或特困申请人）", DECLARED),
];

/// Household inputs, in slot order.
pub const HOUSEHOLD_INPUTS: [InputDef; 15] = [
    h("homes", Unit::Count, "住宅套数", &[c::REAL_ESTATE]),
    h("home_area", Unit::Area, "住宅建筑面积合计", &[c::REAL_ESTATE]),
    h("non_residential", Unit::Count, "非住宅类不动产（商铺、厂房等）处数", &[c::REAL_ESTATE]),
    h("vehicles", Unit::Count, "机动车辆数", &[c::VEHICLE]),
    h("vehicles_disability", Unit::Count, "其中残疾人功能性补偿代步车", &[c::VEHICLE]),
    h("vehicles_commercial", Unit::Count, "其中营运车辆", &[c::VEHICLE]),
    h("businesses", Unit::Count, "存续且成员为法定代表人、经营者或股东的市场主体数", &[c::BUSINESS_ENTITY]),
    h("businesses_individual", Unit::Count, "其中个体工商户", &[c::BUSINESS_ENTITY]),
    h("on_dibao", Unit::Bool, "家庭正在享受低保", ROLLS),
    h("current_benefit", Unit::Fen, "现行月保障金", ROLLS),
    h("tapering_months", Unit::Months, "已享受渐退期的月数", ROLLS),
    h("disaster_loss", Unit::Fen, "受灾造成的财产损失", DECLARED),
    h("emergency_expense", Unit::Fen, "突发的必需支出（急难）", DECLARED),
    h("single_person", Unit::Bool, "按单人户申请", DECLARED),
    h(
        "businesses_individual_without_employees",
        Unit::Count,
        "其中经年度报告或参保数据核实无雇工的个体工商户（有一户无从业人员数据即为未知）",
        &[c::BUSINESS_ENTITY, c::BUSINESS_EMPLOYEES],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_names_are_unique_across_entities() {
        let mut names: Vec<&str> = MEMBER_INPUTS.iter().chain(HOUSEHOLD_INPUTS.iter()).map(|d| d.name).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n);
    }
}

/// How a declared input measures a category's facts.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Distinct things (by key): titles, vessels, licences.
    Count,
    /// The sum of their amounts, in fen.
    Amount,
    /// The sum of their quantities (areas in 0.01 m², counts).
    Quantity,
}

/// An input a policy document declares over a data category of the catalog, for categories the
/// built-in inputs do not read: a household input measured over the facts about the counted
/// members, each thing (by key) once. A source supplying the category that did not answer leaves
/// it unknown, as for any input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclaredInput {
    pub name: String,
    pub title: String,
    /// The catalog's category code.
    pub category: String,
    pub measure: Measure,
    /// Only facts whose code is one of these (every fact when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
    /// Only facts whose status is one of these (every fact when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<String>,
    /// The unit shown; by default a count, or money for `amount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
}

impl DeclaredInput {
    pub fn unit(&self) -> Unit {
        self.unit.unwrap_or(if self.measure == Measure::Amount { Unit::Fen } else { Unit::Count })
    }
}

/// An input's name, title and unit, built in or declared.
#[derive(Clone, Debug)]
pub struct InputInfo<'a> {
    pub name: &'a str,
    pub title: &'a str,
    pub unit: Unit,
    /// The categories it is read from.
    pub categories: Vec<&'a str>,
}

/// Looks an input up by name: its entity and slot.
pub fn input(name: &str) -> Option<(Entity, usize, &'static InputDef)> {
    if let Some(i) = MEMBER_INPUTS.iter().position(|d| d.name == name) {
        return Some((Entity::Member, i, &MEMBER_INPUTS[i]));
    }
    HOUSEHOLD_INPUTS.iter().position(|d| d.name == name).map(|i| (Entity::Household, i, &HOUSEHOLD_INPUTS[i]))
}

/// Slot of a member input by name; panics at compile time of the caller's tests if misspelt.
pub fn member_slot(name: &str) -> Option<usize> {
    MEMBER_INPUTS.iter().position(|d| d.name == name)
}

/// Slot of a household input by name.
pub fn household_slot(name: &str) -> Option<usize> {
    HOUSEHOLD_INPUTS.iter().position(|d| d.name == name)
}

/// A value nobody supplied because its source did not answer (failure policy `unknown`).
pub const UNKNOWN: i64 = i64::MIN;
/// A value whose source did not answer under failure policy `fail`: reading it is an error.
pub const FAILED: i64 = i64::MIN + 1;

/// Where an input value came from, for the trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InputEvidence {
    pub source: String,
    pub as_of: hedui_core::Date,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<hedui_core::Fen>,
    /// The stored record the fact came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<hedui_core::RecordId>,
    /// The member the fact is about, for facts behind a household input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_seq: Option<u32>,
}

/// The inputs of one household. Values are integers; booleans are 0 or 1; [`UNKNOWN`] and
/// [`FAILED`] mark values a source did not supply.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    pub members: usize,
    /// Household inputs, `HOUSEHOLD_INPUTS.len()` slots.
    pub h: Vec<i64>,
    /// Member inputs, `MEMBER_INPUTS.len()` slots per member, member after member.
    pub m: Vec<i64>,
    /// The member's sequence number in the household, for the trace.
    pub seqs: Vec<u32>,
    /// Why an input is unknown or failed, by (member, slot) (`None` member for household inputs).
    pub notes: Vec<(Option<usize>, Entity, usize, String)>,
    /// Evidence behind input values, by (member, slot).
    pub evidence: Vec<(Option<usize>, Entity, usize, InputEvidence)>,
    /// The declared inputs whose values follow the built-in household inputs in `h`, by name.
    pub declared: Vec<String>,
}

impl Inputs {
    /// All zeros for `members` members (every member counted).
    pub fn new(members: usize) -> Inputs {
        let mut i = Inputs {
            members,
            h: vec![0; HOUSEHOLD_INPUTS.len()],
            m: vec![0; members * MEMBER_INPUTS.len()],
            seqs: (1..=members as u32).collect(),
            notes: Vec::new(),
            evidence: Vec::new(),
            declared: Vec::new(),
        };
        let counted = member_slot("counted").unwrap_or(0);
        for k in 0..members {
            i.m[k * MEMBER_INPUTS.len() + counted] = 1;
        }
        i
    }

    /// All zeros again for `members` members (every member counted), keeping the allocations.
    pub fn reset(&mut self, members: usize) {
        self.members = members;
        self.h.clear();
        self.h.resize(HOUSEHOLD_INPUTS.len(), 0);
        self.m.clear();
        self.m.resize(members * MEMBER_INPUTS.len(), 0);
        self.seqs.clear();
        self.seqs.extend(1..=members as u32);
        self.notes.clear();
        self.evidence.clear();
        self.declared.clear();
        for k in 0..members {
            self.m[k * MEMBER_INPUTS.len()] = 1;
        }
    }

    pub fn set_h(&mut self, name: &str, v: i64) {
        let slot = household_slot(name)
            .or_else(|| self.declared.iter().position(|d| d == name).map(|i| HOUSEHOLD_INPUTS.len() + i));
        if let Some(x) = slot.and_then(|s| self.h.get_mut(s)) {
            *x = v;
        }
    }

    /// Gives the declared inputs `names` their slots after the built-in household inputs, with
    /// the values these inputs already have by name (unknown where they have none).
    pub fn declare(&mut self, names: &[String]) {
        let old: Vec<(String, i64)> = std::mem::take(&mut self.declared)
            .into_iter()
            .zip(self.h.iter().skip(HOUSEHOLD_INPUTS.len()).copied())
            .collect();
        self.h.truncate(HOUSEHOLD_INPUTS.len());
        for n in names {
            self.h.push(old.iter().find(|(k, _)| k == n).map_or(UNKNOWN, |(_, v)| *v));
        }
        self.declared = names.to_vec();
    }

    /// The value of a declared input by name.
    pub fn declared_value(&self, name: &str) -> Option<i64> {
        let i = self.declared.iter().position(|d| d == name)?;
        self.h.get(HOUSEHOLD_INPUTS.len() + i).copied()
    }

    pub fn set_m(&mut self, member: usize, name: &str, v: i64) {
        if let Some(x) = member_slot(name).and_then(|s| self.m.get_mut(member * MEMBER_INPUTS.len() + s)) {
            *x = v;
        }
    }

    pub fn get_m(&self, member: usize, name: &str) -> i64 {
        member_slot(name).and_then(|s| self.m.get(member * MEMBER_INPUTS.len() + s).copied()).unwrap_or(0)
    }

    pub fn add_m(&mut self, member: usize, name: &str, v: i64) {
        let slot = member_slot(name).and_then(|s| self.m.get_mut(member * MEMBER_INPUTS.len() + s));
        if let Some(x) = slot.filter(|x| **x != UNKNOWN && **x != FAILED) {
            *x += v;
        }
    }
}

/// The inputs a decision was made on, kept with the report so the same household can be
/// evaluated again under another policy (policy simulation). Values are stored by name, and
/// only where they are not zero, so adding an input later leaves old snapshots readable; a
/// value no source supplied is `null`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InputsSnapshot {
    pub seqs: Vec<u32>,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub household: std::collections::BTreeMap<String, Option<i64>>,
    pub members: Vec<std::collections::BTreeMap<String, Option<i64>>>,
}

impl InputsSnapshot {
    pub fn of(inp: &Inputs) -> InputsSnapshot {
        let nz = |defs: &[InputDef], vals: &[i64]| -> std::collections::BTreeMap<String, Option<i64>> {
            defs.iter()
                .zip(vals)
                .filter(|(_, v)| **v != 0)
                .map(|(d, v)| (d.name.to_string(), (*v != UNKNOWN && *v != FAILED).then_some(*v)))
                .collect()
        };
        let mut household = nz(&HOUSEHOLD_INPUTS, &inp.h);
        for (name, v) in inp.declared.iter().zip(inp.h.iter().skip(HOUSEHOLD_INPUTS.len())) {
            household.insert(name.clone(), (*v != UNKNOWN && *v != FAILED).then_some(*v));
        }
        InputsSnapshot {
            seqs: inp.seqs.clone(),
            household,
            members: (0..inp.members)
                .map(|k| nz(&MEMBER_INPUTS, &inp.m[k * MEMBER_INPUTS.len()..(k + 1) * MEMBER_INPUTS.len()]))
                .collect(),
        }
    }

    /// The inputs again (a value no source supplied is unknown); names this version does not
    /// know are ignored.
    pub fn inputs(&self) -> Inputs {
        let mut inp = Inputs::new(self.members.len());
        inp.set_m_all("counted", 0);
        inp.seqs = self.seqs.clone();
        // Names that are not built-in inputs are declared ones (an older release knew none).
        let declared: Vec<String> = self.household.keys().filter(|k| input(k).is_none()).cloned().collect();
        inp.declare(&declared);
        for (k, v) in &self.household {
            inp.set_h(k, v.unwrap_or(UNKNOWN));
        }
        for (i, m) in self.members.iter().enumerate() {
            for (k, v) in m {
                inp.set_m(i, k, v.unwrap_or(UNKNOWN));
            }
        }
        inp
    }
}

impl Inputs {
    fn set_m_all(&mut self, name: &str, v: i64) {
        for k in 0..self.members {
            self.set_m(k, name, v);
        }
    }
}
