//! Data categories: the kinds of information sources supply, defined in the catalog.
//!
//! A category is data: the catalog names it, classes it after MZ/T 073-2024, says how sensitive
//! it is and gives its code lists. The constants in [`known`] are the categories the built-in means
//! test, the exchange protocol and the generated city read.

use serde::{Deserialize, Serialize};

/// A data category: one kind of information a source supplies (`household_register`,
/// `vehicle`, `deposit` …). Categories are data: the catalog defines each one ([`CategoryDef`])
/// and every source names the categories it supplies. The constants in [`known`] are the
/// categories the built-in means test and the exchange protocol read; a category added to the
/// catalog alone is read by the inputs a policy declares for it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = String)]
pub struct Category(std::borrow::Cow<'static, str>);

impl Category {
    /// A category known by its code at compile time.
    pub const fn known(code: &'static str) -> Category {
        Category(std::borrow::Cow::Borrowed(code))
    }

    /// A category by its code (as a catalog, a mapping or a stored record names it).
    pub fn new(code: &str) -> Category {
        match known::ALL.iter().find(|c| c.code() == code) {
            Some(c) => c.clone(),
            None => Category(std::borrow::Cow::Owned(code.to_string())),
        }
    }

    /// A category code as a file or a message writes it: 1 to 64 lowercase ASCII letters,
    /// digits and underscores.
    pub fn parse(code: &str) -> Option<Category> {
        let ok = !code.is_empty()
            && code.len() <= 64
            && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        ok.then(|| Category::new(code))
    }

    pub fn code(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The categories the built-in means test, the exchange protocol and the generated city use.
/// Their names, classes and code lists are the catalog's, like any other category's.
pub mod known {
    use super::Category;

    macro_rules! known {
        ($($name:ident => $code:literal;)*) => {
            /// The known categories' codes, for `match` arms.
            pub mod codes {
                $(pub const $name: &str = $code;)*
            }
            $(pub const $name: Category = Category::known($code);)*
            /// Every known category, in catalog order.
            pub const ALL: &[Category] = &[$($name,)*];
        };
    }

    known! {
        HOUSEHOLD_REGISTER => "household_register";
        DEATH_RECORD => "death_record";
        VEHICLE => "vehicle";
        PENSION => "pension";
        UNEMPLOYMENT_BENEFIT => "unemployment_benefit";
        SOCIAL_INSURANCE => "social_insurance";
        EMPLOYMENT => "employment";
        REAL_ESTATE => "real_estate";
        HOUSING_CONTRACT => "housing_contract";
        BUSINESS_ENTITY => "business_entity";
        BUSINESS_EMPLOYEES => "business_employees";
        TAX_INCOME => "tax_income";
        HOUSING_FUND => "housing_fund";
        DISABILITY => "disability";
        MARRIAGE => "marriage";
        CREMATION => "cremation";
        ASSISTANCE_ROLL => "assistance_roll";
        MEDICAL_EXPENSE => "medical_expense";
        MEDICAL_DEATH => "medical_death";
        ENROLLMENT => "enrollment";
        VESSEL => "vessel";
        FARM_MACHINERY => "farm_machinery";
        ACCOUNT_INDEX => "account_index";
        DEPOSIT => "deposit";
        MOVEMENT => "movement";
        WEALTH_MANAGEMENT => "wealth_management";
        FUND => "fund";
        BOND => "bond";
        STOCK => "stock";
        SECURITIES_CASH => "securities_cash";
        SECURITIES_TRADING => "securities_trading";
        INSURANCE => "insurance";
        TRUST => "trust";
        INTERNET_FINANCE => "internet_finance";
        CUSTODY => "custody";
    }
}

/// How sensitive a category's information is (PIPL Art. 28; MZ/T 073-2024 marks every data
/// element with a sensitive-information flag). What a role may see unmasked follows from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sensitivity {
    /// 一般个人信息.
    General,
    /// 敏感个人信息: financial accounts, health, disability, minors' schooling, assistance received.
    Sensitive,
}

impl Sensitivity {
    pub fn name_zh(self) -> &'static str {
        match self {
            Sensitivity::General => "一般个人信息",
            Sensitivity::Sensitive => "敏感个人信息",
        }
    }
}

/// One data category as the catalog defines it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryDef {
    pub code: Category,
    pub name: String,
    /// The data-element class (大类) and subclass (小类) after MZ/T 073-2024.
    pub class: String,
    pub subclass: String,
    /// Whether the class and subclass were checked against the standard's text; those that
    /// could not be are shown as 未核实.
    #[serde(default)]
    pub verified: bool,
    pub sensitivity: Sensitivity,
    /// Supplied only by financial institutions, per authorized query.
    #[serde(default)]
    pub financial: bool,
    /// The code lists of the category's coded fields (`code`: use, role or type; `status`;
    /// `form`), each code with the label a report shows. Mappings normalize a source's words into
    /// these codes; the means test reads codes, never words.
    #[serde(default)]
    pub codes: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
    /// How a report describes an item of this category an institution answered with
    /// ([`crate::label`]: `{key}`, `{label}`, `{amount}`, `{on}` and the item's further fields).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl CategoryDef {
    /// The label of `code` in the list `field`, or the code itself when the list lacks it.
    pub fn label<'a>(&'a self, field: &str, code: &'a str) -> &'a str {
        self.codes.get(field).and_then(|l| l.get(code)).map_or(code, String::as_str)
    }

    /// "大类 / 小类", marked 未核实 where the standard could not be checked.
    pub fn classification(&self) -> String {
        let mark = if self.verified { "" } else { "（未核实）" };
        format!("{} / {}{mark}", self.class, self.subclass)
    }
}
