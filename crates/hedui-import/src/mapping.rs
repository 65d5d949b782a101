//! How each department's snapshot columns become a fact.
//!
//! Every mirror file starts with `身份证号,姓名`; the table below names the
//! further columns each source must have and how a row turns into the typed
//! fields of a record. (Issue 3 moves this table into configuration.)

use hedui_core::fact::FactKind;
use hedui_core::{Date, Fen, Month};

/// What a row contributes besides identity and detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    pub kind: FactKind,
    pub period: Option<(Month, Month)>,
    pub on: Option<Date>,
    pub amount: Fen,
    pub quantity: i64,
    pub category: String,
    pub status: String,
    /// The plain key for distinct counting (hashed before storage).
    pub key: String,
}

/// A source's columns and row mapping.
pub struct Spec {
    pub source: &'static str,
    pub columns: &'static [&'static str],
    pub map: fn(&Cols<'_>) -> Result<Mapped, String>,
}

/// Named access to one row.
pub struct Cols<'a> {
    pub headers: &'a [String],
    pub values: &'a [&'a str],
}

/// Months far in the future stand for "ongoing" benefit periods.
pub const OPEN_END: Month = Month { year: 9999, month: 12 };

impl Cols<'_> {
    pub fn get(&self, name: &str) -> &str {
        self.headers.iter().position(|h| h == name).and_then(|i| self.values.get(i)).map_or("", |v| v.trim())
    }
    fn date(&self, name: &str) -> Result<Date, String> {
        let v = self.get(name);
        Date::parse(v).map_err(|_| format!("“{name}”不是有效日期: {v:?}"))
    }
    fn opt_date(&self, name: &str) -> Result<Option<Date>, String> {
        if self.get(name).is_empty() { Ok(None) } else { self.date(name).map(Some) }
    }
    fn month(&self, name: &str) -> Result<Month, String> {
        let v = self.get(name);
        Month::parse(v).map_err(|_| format!("“{name}”不是有效月份: {v:?}"))
    }
    fn opt_month(&self, name: &str) -> Result<Option<Month>, String> {
        if self.get(name).is_empty() { Ok(None) } else { self.month(name).map(Some) }
    }
    fn money(&self, name: &str) -> Result<Fen, String> {
        let v = self.get(name);
        Fen::parse_yuan(v).map_err(|_| format!("“{name}”不是有效金额: {v:?}"))
    }
    fn required(&self, name: &str) -> Result<String, String> {
        let v = self.get(name);
        if v.is_empty() { Err(format!("“{name}”不能为空")) } else { Ok(v.to_string()) }
    }
}

fn base(kind: FactKind) -> Mapped {
    Mapped {
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

fn period(c: &Cols<'_>, from: &str, to: &str) -> Result<(Month, Month), String> {
    let a = c.month(from)?;
    let b = c.opt_month(to)?.unwrap_or(OPEN_END);
    if b < a {
        return Err(format!("“{to}”早于“{from}”"));
    }
    Ok((a, b))
}

/// The built-in department sources.
pub static SPECS: &[Spec] = &[
    Spec {
        source: "gongan_hukou",
        columns: &["性别", "出生日期", "户号", "与户主关系", "户籍区划", "户籍状态"],
        map: |c| {
            c.opt_date("出生日期")?;
            Ok(Mapped {
                status: c.required("户籍状态")?,
                category: c.get("与户主关系").to_string(),
                key: c.get("户号").to_string(),
                ..base(FactKind::Hukou)
            })
        },
    },
    Spec {
        source: "gongan_death",
        columns: &["死亡日期", "注销日期"],
        map: |c| {
            c.opt_date("注销日期")?;
            Ok(Mapped { on: Some(c.date("死亡日期")?), status: "死亡".into(), ..base(FactKind::Death) })
        },
    },
    Spec {
        source: "renshe_benefit",
        columns: &["待遇类型", "月发放金额", "起始月份", "终止月份"],
        map: |c| {
            let kind = match c.get("待遇类型") {
                "基本养老金" | "养老金" => FactKind::Pension,
                "失业保险金" | "失业金" => FactKind::Unemployment,
                other => return Err(format!("未知的待遇类型: {other:?}")),
            };
            Ok(Mapped {
                period: Some(period(c, "起始月份", "终止月份")?),
                amount: c.money("月发放金额")?,
                category: c.get("待遇类型").to_string(),
                ..base(kind)
            })
        },
    },
    Spec {
        source: "renshe_contribution",
        columns: &["单位统一社会信用代码", "单位名称", "缴费基数", "起始月份", "终止月份"],
        map: |c| {
            Ok(Mapped {
                period: Some(period(c, "起始月份", "终止月份")?),
                amount: c.money("缴费基数")?,
                key: c.get("单位统一社会信用代码").to_string(),
                ..base(FactKind::ContributionBase)
            })
        },
    },
    Spec {
        source: "budongchan",
        columns: &["不动产权证号", "坐落", "建筑面积", "用途", "登记日期", "共有方式"],
        map: |c| {
            let area = c.get("建筑面积");
            // Areas have two decimals, exactly like yuan, so the exact parser serves for 0.01 m².
            let quantity = Fen::parse_yuan(area).map_err(|_| format!("“建筑面积”不是有效面积: {area:?}"))?.0;
            Ok(Mapped {
                on: Some(c.date("登记日期")?),
                quantity,
                category: c.required("用途")?,
                status: "有效".into(),
                key: c.required("不动产权证号")?,
                ..base(FactKind::RealEstate)
            })
        },
    },
    Spec {
        source: "cheguan",
        columns: &["号牌号码", "车辆类型", "品牌型号", "初次登记日期", "机动车状态", "使用性质"],
        map: |c| {
            Ok(Mapped {
                on: Some(c.date("初次登记日期")?),
                category: c.required("使用性质")?,
                status: c.required("机动车状态")?,
                key: c.required("号牌号码")?,
                ..base(FactKind::Vehicle)
            })
        },
    },
    Spec {
        source: "shichang",
        columns: &["统一社会信用代码", "主体名称", "主体类型", "角色", "注册资本", "登记状态", "成立日期"],
        map: |c| {
            let code = c.required("统一社会信用代码")?;
            hedui_core::CreditCode::parse(&code).map_err(|e| format!("统一社会信用代码无效: {e}"))?;
            Ok(Mapped {
                on: Some(c.date("成立日期")?),
                amount: c.money("注册资本")?,
                category: c.required("角色")?,
                status: c.required("登记状态")?,
                key: code,
                ..base(FactKind::Business)
            })
        },
    },
    Spec {
        source: "gongjijin",
        columns: &["缴存基数", "月缴存额", "账户余额", "账户状态"],
        map: |c| {
            c.money("缴存基数")?;
            c.money("月缴存额")?;
            Ok(Mapped {
                amount: c.money("账户余额")?,
                status: c.get("账户状态").to_string(),
                ..base(FactKind::ProvidentFund)
            })
        },
    },
    Spec {
        source: "shuiwu",
        columns: &["所属期", "所得项目", "收入额", "扣缴义务人"],
        map: |c| {
            let kind = match c.get("所得项目") {
                "工资薪金" | "工资、薪金所得" => FactKind::WageIncome,
                "经营所得" => FactKind::BusinessIncome,
                "劳务报酬" | "劳务报酬所得" => FactKind::LabourIncome,
                other => return Err(format!("未知的所得项目: {other:?}")),
            };
            let m = c.month("所属期")?;
            Ok(Mapped {
                period: Some((m, m)),
                amount: c.money("收入额")?,
                category: c.get("所得项目").to_string(),
                key: c.get("扣缴义务人").to_string(),
                ..base(kind)
            })
        },
    },
    Spec {
        source: "canlian",
        columns: &["残疾人证号", "残疾类别", "残疾等级", "发证日期"],
        map: |c| {
            let grade = match c.get("残疾等级") {
                "一级" => 1,
                "二级" => 2,
                "三级" => 3,
                "四级" => 4,
                other => return Err(format!("未知的残疾等级: {other:?}")),
            };
            Ok(Mapped {
                on: c.opt_date("发证日期")?,
                quantity: grade,
                category: c.required("残疾类别")?,
                status: "有效".into(),
                key: c.get("残疾人证号").to_string(),
                ..base(FactKind::Disability)
            })
        },
    },
    Spec {
        source: "minzheng_rolls",
        columns: &["救助类型", "区划", "起始日期", "月救助金额"],
        map: |c| {
            Ok(Mapped {
                on: Some(c.date("起始日期")?),
                amount: c.money("月救助金额")?,
                category: c.required("救助类型")?,
                status: "在册".into(),
                key: c.get("区划").to_string(),
                ..base(FactKind::Assistance)
            })
        },
    },
];

/// The spec of a source, if hedui knows it.
pub fn spec(source: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.source == source)
}
