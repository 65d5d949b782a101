//! Connectors to financial institutions (and, later, departments).
//!
//! Banks answer one authorized query at a time, never with bulk copies of
//! their books (民发〔2015〕61号; PIPL minimum necessity). A query names the
//! person, the query date, the authorization letter and the commission; a
//! bank refuses a query without them. [`FinancialSource`] is the contract;
//! [`BookStandIn`] answers it in-process from a generated bank's books until
//! the real online and file channels replace it.

pub mod institutions;
pub mod online;

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use hedui_core::catalog::{Category, known};
use hedui_core::id_number::normalize_for_index;
use hedui_core::{Date, Fen};
use hedui_exchange::Item;

/// One query about one person at one institution.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BankQuery {
    /// Normalized 18-character ID number.
    pub id_number: String,
    pub name: String,
    /// Balances are as of this date; movements end on it.
    pub as_of: Date,
    /// Months of movements wanted before `as_of`.
    pub lookback_months: u32,
    pub authorization_no: String,
    pub commission_no: String,
}

/// An account and its balance on the query date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountAnswer {
    pub account_no: String,
    pub kind: String,
    pub balance: Fen,
}

/// A product holding and its valuation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductAnswer {
    pub kind: String,
    pub name: String,
    pub value: Fen,
    pub valued_on: Date,
}

/// One movement within the look-back window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovementAnswer {
    pub account_no: String,
    pub on: Date,
    pub amount: Fen,
    pub counterparty: String,
    pub memo: String,
}

/// A bank's answer about one person.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankAnswer {
    pub accounts: Vec<AccountAnswer>,
    pub products: Vec<ProductAnswer>,
    pub movements: Vec<MovementAnswer>,
}

impl BankAnswer {
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.products.is_empty() && self.movements.is_empty()
    }
}

/// The exchange protocol's category for a product type as banks name it.
pub fn product_category(kind: &str) -> Category {
    match kind {
        "基金" => known::FUND,
        "债券" => known::BOND,
        "保险" => known::INSURANCE,
        "信托" => known::TRUST,
        "股票" => known::STOCK,
        "余额宝" | "零钱通" | "互联网金融" => known::INTERNET_FINANCE,
        _ => known::WEALTH_MANAGEMENT,
    }
}

/// A bank's answer as protocol items: accounts (balance on the query date), holdings (at
/// their valuation) and movements.
pub fn answer_items(a: &BankAnswer, query_date: Date) -> Vec<Item> {
    let mut out = Vec::with_capacity(a.accounts.len() + a.products.len() + a.movements.len());
    for acc in &a.accounts {
        out.push(Item {
            category: match acc.kind.as_str() {
                "资金账户" => known::SECURITIES_CASH,
                "第三方存管" => known::CUSTODY,
                _ => known::DEPOSIT,
            },
            key: acc.account_no.clone(),
            label: acc.kind.clone(),
            amount: acc.balance,
            quantity: 0,
            on: Some(query_date),
            detail: Vec::new(),
        });
    }
    for p in &a.products {
        out.push(Item {
            category: product_category(&p.kind),
            key: p.name.clone(),
            label: p.kind.clone(),
            amount: p.value,
            quantity: 0,
            on: Some(p.valued_on),
            detail: Vec::new(),
        });
    }
    for m in &a.movements {
        out.push(Item {
            category: known::MOVEMENT,
            key: m.account_no.clone(),
            label: m.memo.clone(),
            amount: m.amount,
            quantity: 0,
            on: Some(m.on),
            detail: vec![("对方户名".into(), m.counterparty.clone())],
        });
    }
    out
}

/// Why a query got no answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BankError {
    #[error("机构拒绝查询：{0}")]
    Refused(String),
    #[error("机构暂不可用：{0}")]
    Unavailable(String),
}

/// An institution that answers authorized queries from its own books: a bank, or a department
/// answering item by item (医保's bills, 教育's enrolments).
pub trait FinancialSource: Send + Sync {
    fn code(&self) -> &str;
    fn name(&self) -> &str;
    fn query(&self, q: &BankQuery) -> Result<BankAnswer, BankError>;
    /// The answer as protocol items (a bank's accounts, holdings and movements by default).
    fn items(&self, q: &BankQuery) -> Result<Vec<Item>, BankError> {
        Ok(answer_items(&self.query(q)?, q.as_of))
    }
}

/// A department's records about persons (`items.csv`: 身份证号, 姓名, 类别, 编号, 名称, 金额, 数量,
/// 日期, 明细 as `名称=值;…`), answering each authorized query with the person's items dated on or
/// before the query date.
#[derive(Debug)]
pub struct ItemBook {
    code: String,
    name: String,
    items: HashMap<String, Vec<Item>>,
}

impl ItemBook {
    pub fn load(dir: &Path, code: &str, name: &str) -> Result<ItemBook, BookError> {
        let p = dir.join("items.csv");
        let bad = |what: &str, v: &str| BookError::Read {
            path: p.display().to_string(),
            reason: format!("{what} 无效: {v:?}"),
        };
        let mut items: HashMap<String, Vec<Item>> = HashMap::new();
        for row in rows(&p)? {
            let id = field(&row, "身份证号");
            let id = normalize_for_index(id).unwrap_or_else(|| id.to_string());
            let category = Category::parse(field(&row, "类别")).ok_or_else(|| bad("类别", field(&row, "类别")))?;
            let amount = Fen::parse_yuan(field(&row, "金额")).map_err(|_| bad("金额", field(&row, "金额")))?;
            let quantity = field(&row, "数量").parse().map_err(|_| bad("数量", field(&row, "数量")))?;
            let on = Date::parse(field(&row, "日期")).map_err(|_| bad("日期", field(&row, "日期")))?;
            let detail = field(&row, "明细")
                .split(';')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            items.entry(id).or_default().push(Item {
                category,
                key: field(&row, "编号").to_string(),
                label: field(&row, "名称").to_string(),
                amount,
                quantity,
                on: Some(on),
                detail,
            });
        }
        Ok(ItemBook { code: code.to_string(), name: name.to_string(), items })
    }
}

impl FinancialSource for ItemBook {
    fn code(&self) -> &str {
        &self.code
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn query(&self, _: &BankQuery) -> Result<BankAnswer, BankError> {
        Ok(BankAnswer::default())
    }

    fn items(&self, q: &BankQuery) -> Result<Vec<Item>, BankError> {
        if q.authorization_no.trim().is_empty() || q.commission_no.trim().is_empty() {
            return Err(BankError::Refused("查询须附授权书编号和委托编号".into()));
        }
        let mine = self.items.get(&q.id_number).map(Vec::as_slice).unwrap_or_default();
        Ok(mine.iter().filter(|i| i.on.is_none_or(|d| d <= q.as_of)).cloned().collect())
    }
}

/// Problems reading a bank's books.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    #[error("无法读取银行账册 {path}: {reason}")]
    Read { path: String, reason: String },
}

#[derive(Debug, Clone)]
struct Account {
    no: String,
    kind: String,
    opening: Fen,
}

#[derive(Debug, Clone)]
struct Movement {
    on: Date,
    amount: Fen,
    counterparty: String,
    memo: String,
}

/// A generated bank's books, answering queries as the bank would.
#[derive(Debug)]
pub struct BookStandIn {
    code: String,
    name: String,
    accounts: HashMap<String, Vec<Account>>,
    movements: HashMap<String, Vec<Movement>>,
    products: HashMap<String, Vec<ProductAnswer>>,
}

fn rows(path: &Path) -> Result<Vec<HashMap<String, String>>, BookError> {
    let err = |reason: String| BookError::Read { path: path.display().to_string(), reason };
    let mut r = csv::Reader::from_path(path).map_err(|e| err(e.to_string()))?;
    let headers = r.headers().map_err(|e| err(e.to_string()))?.clone();
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| err(e.to_string()))?;
        out.push(headers.iter().map(str::to_string).zip(rec.iter().map(str::to_string)).collect());
    }
    Ok(out)
}

fn field<'a>(row: &'a HashMap<String, String>, name: &str) -> &'a str {
    row.get(name).map_or("", String::as_str)
}

impl BookStandIn {
    /// Loads `accounts.csv`, `movements.csv` and `products.csv` from a bank's directory.
    pub fn load(dir: &Path, code: &str, name: &str) -> Result<BookStandIn, BookError> {
        let bad = |path: &Path, what: &str, v: &str| BookError::Read {
            path: path.display().to_string(),
            reason: format!("{what} 无效: {v:?}"),
        };
        let mut accounts: HashMap<String, Vec<Account>> = HashMap::new();
        let p = dir.join("accounts.csv");
        for row in rows(&p)? {
            let id =
                normalize_for_index(field(&row, "身份证号")).unwrap_or_else(|| field(&row, "身份证号").to_string());
            let opening =
                Fen::parse_yuan(field(&row, "期初余额")).map_err(|_| bad(&p, "期初余额", field(&row, "期初余额")))?;
            accounts.entry(id).or_default().push(Account {
                no: field(&row, "账号").to_string(),
                kind: field(&row, "账户类型").to_string(),
                opening,
            });
        }
        let mut movements: HashMap<String, Vec<Movement>> = HashMap::new();
        let p = dir.join("movements.csv");
        for row in rows(&p)? {
            let on = Date::parse(field(&row, "交易日期")).map_err(|_| bad(&p, "交易日期", field(&row, "交易日期")))?;
            let amount = Fen::parse_yuan(field(&row, "金额")).map_err(|_| bad(&p, "金额", field(&row, "金额")))?;
            movements.entry(field(&row, "账号").to_string()).or_default().push(Movement {
                on,
                amount,
                counterparty: field(&row, "对方户名").to_string(),
                memo: field(&row, "摘要").to_string(),
            });
        }
        let mut products: HashMap<String, Vec<ProductAnswer>> = HashMap::new();
        let p = dir.join("products.csv");
        for row in rows(&p)? {
            let id =
                normalize_for_index(field(&row, "身份证号")).unwrap_or_else(|| field(&row, "身份证号").to_string());
            let value = Fen::parse_yuan(field(&row, "估值")).map_err(|_| bad(&p, "估值", field(&row, "估值")))?;
            let valued_on =
                Date::parse(field(&row, "估值日期")).map_err(|_| bad(&p, "估值日期", field(&row, "估值日期")))?;
            products.entry(id).or_default().push(ProductAnswer {
                kind: field(&row, "产品类型").to_string(),
                name: field(&row, "产品名称").to_string(),
                value,
                valued_on,
            });
        }
        Ok(BookStandIn { code: code.to_string(), name: name.to_string(), accounts, movements, products })
    }
}

impl FinancialSource for BookStandIn {
    fn code(&self) -> &str {
        &self.code
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn query(&self, q: &BankQuery) -> Result<BankAnswer, BankError> {
        if q.authorization_no.trim().is_empty() || q.commission_no.trim().is_empty() {
            return Err(BankError::Refused("查询须附授权书编号和委托编号".into()));
        }
        let since = q.as_of.add_months(-(q.lookback_months as i32));
        let mut answer = BankAnswer::default();
        for acc in self.accounts.get(&q.id_number).into_iter().flatten() {
            let moves = self.movements.get(&acc.no).map(Vec::as_slice).unwrap_or_default();
            let balance = acc.opening + moves.iter().filter(|m| m.on <= q.as_of).map(|m| m.amount).sum();
            answer.accounts.push(AccountAnswer { account_no: acc.no.clone(), kind: acc.kind.clone(), balance });
            for m in moves.iter().filter(|m| m.on > since && m.on <= q.as_of) {
                answer.movements.push(MovementAnswer {
                    account_no: acc.no.clone(),
                    on: m.on,
                    amount: m.amount,
                    counterparty: m.counterparty.clone(),
                    memo: m.memo.clone(),
                });
            }
        }
        answer.products =
            self.products.get(&q.id_number).into_iter().flatten().filter(|p| p.valued_on <= q.as_of).cloned().collect();
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Test fixtures.
    use super::*;

    #[test]
    fn balances_are_as_of_the_query_date_and_queries_need_authorization() {
        let dir = std::env::temp_dir().join(format!("hedui-book-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("accounts.csv"),
            "身份证号,姓名,账号,账户类型,开户日期,期初余额\n360426199101010071,张三,6222001,活期,2020-01-01,1000.00\n",
        )
        .unwrap();
        std::fs::write(dir.join("movements.csv"), "账号,交易日期,金额,对方户名,摘要\n6222001,2026-01-10,-200.00,李四,转账\n6222001,2026-06-10,500.00,公司,工资\n6222001,2026-12-01,9.99,x,利息\n").unwrap();
        std::fs::write(
            dir.join("products.csv"),
            "身份证号,姓名,产品类型,产品名称,估值,估值日期\n360426199101010071,张三,基金,某基金,300.00,2026-11-20\n",
        )
        .unwrap();
        let bank = BookStandIn::load(&dir, "bank_a", "测试银行").unwrap();
        let mut q = BankQuery {
            id_number: "360426199101010071".into(),
            name: "张三".into(),
            as_of: Date::parse("2026-11-27").unwrap(),
            lookback_months: 6,
            authorization_no: "SQ-1".into(),
            commission_no: "WT-1".into(),
        };
        let a = bank.query(&q).unwrap();
        assert_eq!(
            a.accounts[0].balance,
            Fen(130_000),
            "1000 - 200 + 500; the December movement is after the query date"
        );
        assert_eq!(a.movements.len(), 1, "only June falls in the 6 months before 2026-11-27");
        assert_eq!(a.products[0].value, Fen(30_000));
        q.id_number = "120103198806018241".into();
        assert!(bank.query(&q).unwrap().is_empty());
        q.authorization_no.clear();
        assert!(matches!(bank.query(&q), Err(BankError::Refused(_))));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_department_answers_its_items_up_to_the_query_date_and_a_broken_file_is_named() {
        let dir = std::env::temp_dir().join(format!("hedui-items-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let head = "身份证号,姓名,类别,编号,名称,金额,数量,日期,明细\n";
        std::fs::write(
            dir.join("items.csv"),
            format!("{head}360426199101010071,张三,medical_expense,YB1,住院,1200.50,0,2026-05-01,总费用=3430.00\n360426199101010071,张三,medical_expense,YB2,门诊,80.00,0,2026-12-01,\n"),
        )
        .unwrap();
        let book = ItemBook::load(&dir, "dept_a", "医保").unwrap();
        let mut q = BankQuery {
            id_number: "360426199101010071".into(),
            name: "张三".into(),
            as_of: Date::parse("2026-11-27").unwrap(),
            lookback_months: 6,
            authorization_no: "SQ-1".into(),
            commission_no: "WT-1".into(),
        };
        let items = book.items(&q).unwrap();
        assert_eq!(items.len(), 1, "the December bill is after the query date");
        assert_eq!((items[0].amount, items[0].detail[0].1.as_str()), (Fen(120_050), "3430.00"));
        q.authorization_no.clear();
        assert!(matches!(book.items(&q), Err(BankError::Refused(_))));
        std::fs::write(
            dir.join("items.csv"),
            format!("{head}360426199101010071,张三,medical_expense,YB1,住院,十元,0,2026-05-01,\n"),
        )
        .unwrap();
        let e = ItemBook::load(&dir, "dept_a", "医保").unwrap_err().to_string();
        assert!(e.contains("items.csv") && e.contains("金额"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
