//! Facts: what a department or a bank said about one person, with its source and date.
//!
//! Every mirror row and every bank answer becomes one [`Fact`] once its ID
//! number has been resolved to a [`PersonId`]. The means test reads nothing
//! else, so every figure in a report can name the source and as-of date it
//! came from.

use serde::{Deserialize, Serialize};

use crate::authorization::Scope;
use crate::date::{Date, Month};
use crate::ids::PersonId;
use crate::money::Fen;

/// What a fact is about.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FactKind {
    /// 户籍 record.
    Hukou,
    /// 死亡注销.
    Death,
    /// 基本养老金 (monthly amount over a period).
    Pension,
    /// 失业保险金 (monthly amount over a period).
    Unemployment,
    /// 社保缴费基数: a contribution base, never income.
    ContributionBase,
    /// 不动产权.
    RealEstate,
    /// 机动车.
    Vehicle,
    /// 市场主体 role.
    Business,
    /// 公积金 account.
    ProvidentFund,
    /// 工资薪金 for one month.
    WageIncome,
    /// 经营所得 for one month.
    BusinessIncome,
    /// 劳务报酬 for one month.
    LabourIncome,
    /// 残疾人证.
    Disability,
    /// 民政 assistance being received.
    Assistance,
    /// A bank account's balance on the query date.
    Deposit,
    /// A financial product's valuation (理财, 基金, 债券, 保险, 信托).
    FinancialProduct,
    /// One account movement (signed; negative is an outflow).
    Movement,
}

impl FactKind {
    pub const ALL: [FactKind; 17] = [
        FactKind::Hukou,
        FactKind::Death,
        FactKind::Pension,
        FactKind::Unemployment,
        FactKind::ContributionBase,
        FactKind::RealEstate,
        FactKind::Vehicle,
        FactKind::Business,
        FactKind::ProvidentFund,
        FactKind::WageIncome,
        FactKind::BusinessIncome,
        FactKind::LabourIncome,
        FactKind::Disability,
        FactKind::Assistance,
        FactKind::Deposit,
        FactKind::FinancialProduct,
        FactKind::Movement,
    ];

    pub fn code(self) -> &'static str {
        match self {
            FactKind::Hukou => "hukou",
            FactKind::Death => "death",
            FactKind::Pension => "pension",
            FactKind::Unemployment => "unemployment",
            FactKind::ContributionBase => "contribution_base",
            FactKind::RealEstate => "real_estate",
            FactKind::Vehicle => "vehicle",
            FactKind::Business => "business",
            FactKind::ProvidentFund => "provident_fund",
            FactKind::WageIncome => "wage_income",
            FactKind::BusinessIncome => "business_income",
            FactKind::LabourIncome => "labour_income",
            FactKind::Disability => "disability",
            FactKind::Assistance => "assistance",
            FactKind::Deposit => "deposit",
            FactKind::FinancialProduct => "financial_product",
            FactKind::Movement => "movement",
        }
    }

    pub fn from_code(s: &str) -> Option<FactKind> {
        FactKind::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            FactKind::Hukou => "户籍",
            FactKind::Death => "死亡注销",
            FactKind::Pension => "基本养老金",
            FactKind::Unemployment => "失业保险金",
            FactKind::ContributionBase => "社保缴费基数",
            FactKind::RealEstate => "不动产",
            FactKind::Vehicle => "机动车",
            FactKind::Business => "市场主体",
            FactKind::ProvidentFund => "住房公积金",
            FactKind::WageIncome => "工资薪金",
            FactKind::BusinessIncome => "经营所得",
            FactKind::LabourIncome => "劳务报酬",
            FactKind::Disability => "残疾人证",
            FactKind::Assistance => "社会救助",
            FactKind::Deposit => "存款余额",
            FactKind::FinancialProduct => "金融产品",
            FactKind::Movement => "账户交易",
        }
    }
}

/// What one row or answer says about one thing, whichever way it arrived: the shape a
/// department's row is mapped to, an institution's answer is read into, the store keeps, and the
/// means test reads (through [`Fact`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Observation {
    pub kind: FactKind,
    /// Income and benefit periods, inclusive months.
    pub period: Option<(Month, Month)>,
    /// The event date: registration, movement, death.
    pub on: Option<Date>,
    /// Monthly amount, income, balance, valuation or movement, by kind.
    pub amount: Fen,
    /// Floor area in 0.01 m², or a count.
    pub quantity: i64,
    /// 用途, 使用性质, 角色, 待遇类型, 产品类型 …, as the source wrote it.
    pub category: String,
    /// 状态 as the source wrote it (正常, 注销, 存续 …).
    pub status: String,
    /// A stable key for counting distinct things (title number, plate, credit code, account),
    /// possibly a keyed hash.
    pub key: String,
}

impl Observation {
    /// An observation of `kind` with nothing else said yet.
    pub fn of(kind: FactKind) -> Observation {
        Observation {
            kind,
            period: None,
            on: None,
            amount: Fen::ZERO,
            quantity: 0,
            category: String::new(),
            status: String::new(),
            key: String::new(),
        }
    }
}

/// One fact about one resolved person: an observation, who it is about, where and when it was
/// said, and how the report shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Fact {
    /// Source code, e.g. `shuiwu` or a bank code such as `B01`.
    pub source: String,
    #[serde(flatten)]
    pub obs: Observation,
    pub person: PersonId,
    /// The snapshot date of the mirror, or the query date of a bank answer.
    pub as_of: Date,
    /// Human-readable description for the report (already masked for the reader).
    pub label: String,
    /// The stored record this fact came from.
    pub record: crate::ids::RecordId,
}

/// A fact reads as its observation (`fact.kind`, `fact.amount` …).
impl std::ops::Deref for Fact {
    type Target = Observation;
    fn deref(&self) -> &Observation {
        &self.obs
    }
}

/// A built-in department source: its code, name and the authorization scope it needs.
#[derive(Clone, Copy, Debug)]
pub struct SourceDef {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub department: &'static str,
    pub scope: Scope,
}

/// The department mirrors hedui knows today. (A configurable catalog replaces this table later.)
pub const DEPARTMENT_SOURCES: [SourceDef; 11] = [
    SourceDef { code: "gongan_hukou", name_zh: "公安户籍", department: "公安", scope: Scope::Police },
    SourceDef { code: "gongan_death", name_zh: "公安死亡注销", department: "公安", scope: Scope::Police },
    SourceDef {
        code: "renshe_benefit", name_zh: "人社待遇发放", department: "人社", scope: Scope::SocialSecurity
    },
    SourceDef {
        code: "renshe_contribution",
        name_zh: "人社社保缴费",
        department: "人社",
        scope: Scope::SocialSecurity,
    },
    SourceDef { code: "budongchan", name_zh: "不动产登记", department: "不动产", scope: Scope::RealEstate },
    SourceDef { code: "cheguan", name_zh: "车辆登记", department: "公安交管", scope: Scope::Police },
    SourceDef { code: "shichang", name_zh: "市场主体登记", department: "市场监管", scope: Scope::Business },
    SourceDef {
        code: "gongjijin", name_zh: "住房公积金", department: "公积金中心", scope: Scope::ProvidentFund
    },
    SourceDef { code: "shuiwu", name_zh: "个人所得税", department: "税务", scope: Scope::Tax },
    SourceDef { code: "canlian", name_zh: "残疾人证", department: "残联", scope: Scope::Disability },
    SourceDef { code: "minzheng_rolls", name_zh: "救助在册", department: "民政", scope: Scope::CivilAffairs },
];

/// Looks a department source up by code.
pub fn department_source(code: &str) -> Option<&'static SourceDef> {
    DEPARTMENT_SOURCES.iter().find(|s| s.code == code)
}
