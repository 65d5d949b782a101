//! Bank books: accounts, a year of movements and investment products for each member
//! with money, built backwards from the balance each account must hold on `as_of`.
//!
//! Walking backwards from the final balance makes the end state exact and keeps every
//! intermediate balance non-negative: an outflow seen backwards raises the earlier
//! balance, and an inflow is never larger than the balance it produced.

use hedui_core::{Date, Fen};

use crate::codes::account_number;
use crate::econ::{day_between, fraction, split_exact};
use crate::family::{Person, Role};
use crate::household::Hh;
use crate::names;
use crate::output::{Sinks, yuan};
use crate::rng::Rng;
use crate::scenario::Scenario;
use crate::{Ctx, GenError};

/// A bank of the city: code, name, short name for product names, card prefix and market weight.
#[derive(Debug, Clone)]
pub(crate) struct BankInfo {
    pub(crate) code: &'static str,
    pub(crate) name: String,
    pub(crate) short: &'static str,
    pub(crate) bin: &'static str,
    pub(crate) weight: u32,
}

/// Name templates: `{c}` becomes the city's short name. 江南农村商业银行 is 常州's own rural bank.
const BANKS: &[(&str, &str, &str, &str, u32)] = &[
    ("B01", "中国工商银行{c}分行", "工银", "622202", 20),
    ("B02", "中国农业银行{c}分行", "农银", "622848", 18),
    ("B03", "中国银行{c}分行", "中银", "621661", 12),
    ("B04", "中国建设银行{c}分行", "建信", "621700", 16),
    ("B05", "江苏银行{c}分行", "苏银", "622173", 8),
    ("B06", "江南农村商业银行", "江南", "622281", 14),
    ("B07", "交通银行{c}分行", "交银", "622262", 6),
    ("B08", "中国邮政储蓄银行{c}市分行", "邮储", "621799", 10),
    ("B09", "招商银行{c}分行", "招银", "621483", 5),
    ("B10", "南京银行{c}分行", "南银", "621777", 3),
    ("B11", "兴业银行{c}分行", "兴银", "622909", 3),
    ("B12", "中信银行{c}分行", "信银", "621768", 2),
    ("B13", "上海浦东发展银行{c}分行", "浦银", "622521", 2),
    ("B14", "宁波银行{c}分行", "宁银", "621418", 2),
];

/// The most banks a city can have.
pub(crate) const MAX_BANKS: usize = BANKS.len();

/// The first `count` banks with their names filled in for the city.
pub(crate) fn bank_list(city_short: &str, count: usize) -> Vec<BankInfo> {
    BANKS
        .iter()
        .take(count)
        .map(|&(code, name, short, bin, weight)| BankInfo {
            code,
            name: if code == "B06" && city_short != "常州" {
                format!("{city_short}农村商业银行")
            } else {
                name.replace("{c}", city_short)
            },
            short,
            bin,
            weight,
        })
        .collect()
}

const SPENDING: &[(&str, &str)] = &[
    ("财付通支付科技有限公司", "消费"),
    ("支付宝（中国）网络技术有限公司", "消费"),
    ("", "取现"),
    ("国网江苏省电力有限公司", "缴费"),
    ("中国移动通信集团江苏有限公司", "缴费"),
    ("苏果超市有限公司", "消费"),
];

/// What a household's investments are and where they are held: banks sell 理财, 基金 and 债券;
/// insurers, the trust company, securities firms and payment institutions hold the rest.
const PRODUCT_KINDS: &[(&str, u32)] =
    &[("理财", 34), ("基金", 20), ("债券", 8), ("保险", 14), ("信托", 4), ("股票", 12), ("余额宝", 8)];

/// The city's non-bank financial institutions, after the banks in the books: codes as in the
/// source catalog. (kind, code, name, short, account prefix)
const INSTITUTIONS: &[(&str, &str, &str, &str, &str)] = &[
    ("securities", "S01", "华泰证券{c}营业部", "华泰", "6603"),
    ("securities", "S02", "东吴证券{c}营业部", "东吴", "6604"),
    ("securities", "S03", "中信证券{c}营业部", "中信证券", "6605"),
    ("insurer", "I01", "中国人寿保险{c}分公司", "国寿", "P101"),
    ("insurer", "I02", "中国平安人寿保险{c}中心支公司", "平安", "P102"),
    ("insurer", "I03", "中国太平洋人寿保险{c}中心支公司", "太平洋", "P103"),
    ("trust", "T01", "江苏省国际信托有限责任公司", "苏信", "T101"),
    ("payment", "P01", "支付宝（中国）网络技术有限公司", "支付宝", "2088"),
    ("payment", "P02", "财付通支付科技有限公司", "财付通", "1000"),
];

/// The non-bank institutions, with their kind, as books to write after the banks'.
pub(crate) fn institution_list(city_short: &str) -> Vec<(&'static str, BankInfo)> {
    INSTITUTIONS
        .iter()
        .map(|&(kind, code, name, short, bin)| {
            (kind, BankInfo { code, name: name.replace("{c}", city_short), short, bin, weight: 0 })
        })
        .collect()
}

/// Where a holding of `kind` is kept: the index into the books (banks first, then institutions).
fn holder_of(ctx: &Ctx<'_>, kind: &str, rng: &mut Rng) -> usize {
    let of = |k: &str| -> Vec<usize> {
        ctx.institutions.iter().enumerate().filter(|(_, (x, _))| *x == k).map(|(i, _)| ctx.banks.len() + i).collect()
    };
    let pool = match kind {
        "保险" => of("insurer"),
        "信托" => of("trust"),
        "股票" => of("securities"),
        "余额宝" => of("payment"),
        _ => Vec::new(),
    };
    if pool.is_empty() { pick_bank(ctx, rng, &[]) } else { pool[rng.below(pool.len() as u64) as usize] }
}

/// One planned account.
struct Account {
    holder: usize,
    bank: usize,
    number: String,
    fixed: bool,
    primary: bool,
    open: Date,
    opened_in_books: bool,
    target: i64,
    /// Outflows of a fixed size (large transfers) that must appear as they are.
    large: Vec<(Date, i64)>,
}

/// One dated movement before amounts are known.
struct Event {
    date: Date,
    inflow: bool,
    size: i64,
    /// Fixed-size credits (低保金) are never shrunk; one is left out only if no ordinary
    /// withdrawal could make room for it.
    fixed: bool,
    counterparty: String,
    memo: &'static str,
}

fn pick_bank(ctx: &Ctx<'_>, rng: &mut Rng, avoid: &[usize]) -> usize {
    for _ in 0..16 {
        let total: u64 = ctx.banks.iter().map(|b| u64::from(b.weight)).sum();
        let mut r = rng.below(total);
        for (i, b) in ctx.banks.iter().enumerate() {
            if r < u64::from(b.weight) {
                if !avoid.contains(&i) {
                    return i;
                }
                break;
            }
            r -= u64::from(b.weight);
        }
    }
    (0..ctx.banks.len()).find(|i| !avoid.contains(i)).unwrap_or(0)
}

/// Writes the household's accounts, movements and products, and returns the counted
/// members' financial assets on `as_of` (deposits plus product valuations).
// tidy: allow(long-fn): one bank's books for every customer, streamed in one pass.
pub(crate) fn books(
    ctx: &Ctx<'_>,
    hh: &Hh<'_>,
    members: &[Person],
    rng: &mut Rng,
    sinks: &mut Sinks,
) -> Result<Fen, GenError> {
    let as_of = ctx.cfg.as_of;
    let t = hh.t_ast;
    let scenario = hh.scenario;
    let mut target = match scenario {
        Scenario::CleanMinus1Fen => t - 1,
        Scenario::DepositPlus1Fen => t + 1,
        Scenario::DepositPlus10Pct => (i128::from(t) * 110 / 100) as i64,
        Scenario::DepositEqual => t,
        Scenario::CleanTypical => fraction(t, 0, 600, rng),
        Scenario::UnresolvedMember => fraction(t, 0, 400, rng),
        _ => fraction(t, 0, 600, rng),
    };

    // Who holds money: counted adults, a few older children; never the unresolved member.
    let holders: Vec<usize> = (0..members.len())
        .filter(|&i| {
            let p = &members[i];
            p.counted && !p.unresolved && (p.age >= 18 || (p.age >= 10 && rng.chance(200)))
        })
        .collect();
    if holders.is_empty() {
        target = 0;
    }

    let mut accounts: Vec<Account> = Vec::new();
    let serial_base = hh.index * 100;
    let open_account =
        |ctx: &Ctx<'_>, rng: &mut Rng, holder: usize, bank: usize, fixed: bool, primary: bool, k: u64| {
            let p = &members[holder];
            let opened_in_books = !fixed && rng.chance(100);
            let open = if opened_in_books {
                day_between(ctx.books_start.add_days(1), as_of.add_days(-30), rng)
            } else {
                let earliest = p.birth.add_days(if p.age >= 16 { 16 * 365 } else { 400 });
                let floor = Date::new(1998, 1, 1).unwrap_or(earliest);
                day_between(earliest.max(floor), ctx.books_start.add_days(-1), rng)
            };
            Account {
                holder,
                bank,
                number: account_number(ctx.banks[bank].bin, serial_base + u64::from(p.seq) * 8 + k),
                fixed,
                primary,
                open,
                opened_in_books,
                target: 0,
                large: Vec::new(),
            }
        };
    for &h in &holders {
        let n = if members[h].age < 18 { 1 } else { rng.weighted(&[(1u64, 65), (2, 25), (3, 10)]) };
        let mut used: Vec<usize> = Vec::new();
        for k in 0..n {
            let bank = pick_bank(ctx, rng, &used);
            used.push(bank);
            let fixed = k > 0 && rng.chance(300);
            accounts.push(open_account(ctx, rng, h, bank, fixed, k == 0, k));
        }
    }
    // Pinned assets are spread over at least two banks so that only the sum crosses the limit.
    if scenario.pins_assets() && !holders.is_empty() {
        let banks_used: Vec<usize> = accounts.iter().map(|a| a.bank).collect();
        let distinct = {
            let mut b = banks_used.clone();
            b.sort_unstable();
            b.dedup();
            b.len()
        };
        if distinct < 2 {
            let h = holders[0];
            let bank = pick_bank(ctx, rng, &banks_used);
            accounts.push(open_account(ctx, rng, h, bank, true, false, 5));
        }
    }

    // Products take a share; deposits share the rest.
    let product_share = if holders.is_empty() || target == 0 {
        0
    } else {
        match scenario {
            Scenario::DepositPlus1Fen | Scenario::DepositPlus10Pct | Scenario::DepositEqual => {
                fraction(target, 150, 350, rng)
            }
            Scenario::CleanMinus1Fen if rng.chance(500) => fraction(target, 100, 300, rng),
            _ if rng.chance(120) => fraction(target, 100, 400, rng),
            _ => 0,
        }
    };
    let weights: Vec<i64> = accounts
        .iter()
        .map(|a| {
            if a.fixed {
                rng.range(5, 15)
            } else if a.primary {
                rng.range(3, 10)
            } else {
                rng.range(1, 5)
            }
        })
        .collect();
    let deposit_total = target - product_share;
    let wsum: i64 = weights.iter().sum();
    if !accounts.is_empty() {
        let mut given = 0i64;
        let last = accounts.len() - 1;
        for (i, a) in accounts.iter_mut().enumerate() {
            a.target = if i == last {
                deposit_total - given
            } else {
                (i128::from(deposit_total) * i128::from(weights[i]) / i128::from(wsum)) as i64
            };
            given += a.target;
        }
    }

    // Large outflows: one recent transfer for `large_transfer`, an old one now and then elsewhere.
    let six_months_ago = as_of.add_months(-6);
    let large_outflow = ctx.cfg.params.large_outflow.0;
    if let Some(a) = accounts.iter_mut().find(|a| a.primary && members[a.holder].age >= 18) {
        if scenario == Scenario::LargeTransfer {
            let extra = if rng.chance(250) { 0 } else { rng.range(0, 30_000) * 100 };
            let date = as_of.add_days(-rng.range(10, 150)).max(six_months_ago.add_days(1)).max(a.open.add_days(1));
            a.large.push((date, large_outflow + extra));
        } else if scenario == Scenario::CleanTypical && ctx.cfg.params.movement_months >= 8 && rng.chance(200) {
            let latest = as_of.add_months(-7);
            let date = day_between(ctx.books_start.add_days(10).max(a.open.add_days(1)), latest, rng);
            if date <= latest {
                a.large.push((date, large_outflow + rng.range(0, 50_000) * 100));
            }
        }
    }

    // Members who are not counted keep a little money of their own.
    for (i, p) in members.iter().enumerate() {
        if !p.counted && p.age >= 18 {
            let bank = pick_bank(ctx, rng, &[]);
            let mut a = open_account(ctx, rng, i, bank, false, true, 7);
            a.target = rng.range(0, 8_000) * 100 + rng.range(0, 99);
            accounts.push(a);
        }
    }

    let mut counted_total = 0i64;
    for a in &accounts {
        let p = &members[a.holder];
        if p.counted {
            counted_total += a.target;
        }
        write_account(ctx, hh, p, a, rng, sinks)?;
    }

    // Products, valued on `as_of`.
    if product_share > 0 {
        let adults: Vec<usize> = holders.iter().copied().filter(|&h| members[h].age >= 18).collect();
        let owners = if adults.is_empty() { holders.clone() } else { adults };
        let parts = if rng.chance(300) { 2 } else { 1 };
        for value in split_exact(product_share, parts, rng, 1, 3) {
            let p = &members[rng.pick(&owners)];
            let kind = rng.weighted(PRODUCT_KINDS);
            let at = holder_of(ctx, kind, rng);
            let inst = ctx.book(at);
            let name = match kind {
                "理财" => format!("{}理财·稳利{}号", inst.short, rng.range(1, 60)),
                "基金" => format!("{}稳健增利债券型基金{}", inst.short, ["A", "C"][rng.below(2) as usize]),
                "债券" => {
                    format!("{}年第{}期储蓄国债（电子式）", as_of.year() - rng.range(0, 2) as u16, rng.range(1, 8))
                }
                "保险" => format!("{}鑫享年金保险（分红型）", inst.short),
                "股票" => format!("沪深A股持仓（{} 只）", rng.range(1, 6)),
                "余额宝" => {
                    if inst.code == "P02" {
                        "零钱通".to_string()
                    } else {
                        "余额宝".to_string()
                    }
                }
                _ => format!("{}信托·安盈{}号集合资金信托计划", inst.short, rng.range(1, 30)),
            };
            // A securities account holds cash beside the shares, with a little trading in the
            // last months that nets to nothing (each trade well under the large-outflow line).
            let cash = if kind == "股票" { fraction(value, 50, 300, rng) } else { 0 };
            if kind == "股票" {
                let number = account_number(inst.bin, hh.index * 100 + u64::from(p.seq) * 8 + 6);
                let opened = day_between(ctx.books_start.add_days(-2000), ctx.books_start.add_days(-1), rng);
                let sinks_at = &mut sinks.banks[at];
                sinks_at.accounts.row([
                    p.id.as_str(),
                    &p.name,
                    &number,
                    "资金账户",
                    &opened.to_string(),
                    &yuan(Fen(cash)),
                ])?;
                let trade = (value - cash).min(large_outflow / 3).max(0) / 100 * 100;
                if trade > 0 {
                    let day = day_between(as_of.add_months(-5), as_of.add_days(-20), rng);
                    let gain = fraction(trade, 10, 120, rng) / 100 * 100;
                    let memo = format!("证券卖出（实现收益 {}）", yuan(Fen(gain)));
                    // Shares sold first, the proceeds reinvested a week later: the cash never goes negative.
                    sinks_at.movements.row([&number, &day.to_string(), &yuan(Fen(trade)), "证券卖出", &memo])?;
                    let later = day.add_days(7).to_string();
                    sinks_at.movements.row([&number, &later, &yuan(Fen(-trade)), "证券买入", "证券买入"])?;
                }
            }
            sinks.banks[at].products.row([
                p.id.as_str(),
                &p.name,
                kind,
                &name,
                &yuan(Fen(value - cash)),
                &as_of.to_string(),
            ])?;
            counted_total += value;
        }
    }
    Ok(Fen(counted_total))
}

/// Plans the year of movements of one account backwards from its target and writes it.
// tidy: allow(long-fn): one account's twelve months of movements, written as generated.
fn write_account(
    ctx: &Ctx<'_>,
    hh: &Hh<'_>,
    p: &Person,
    a: &Account,
    rng: &mut Rng,
    sinks: &mut Sinks,
) -> Result<(), GenError> {
    let as_of = ctx.cfg.as_of;
    let first_day = if a.opened_in_books { a.open.add_days(1) } else { ctx.books_start.add_days(1) };
    let large_outflow = ctx.cfg.params.large_outflow.0;
    // Ordinary outflows stay below the large-outflow amount so that only planned ones trip it.
    let cap = (large_outflow - 1).min(20_000 * 100);
    let flow = if p.flow.0 > 0 {
        p.flow.0
    } else if p.age < 18 {
        100 * 100
    } else {
        1_000 * 100
    };
    let mut events: Vec<Event> = Vec::new();
    let ordinary = |rng: &mut Rng, events: &mut Vec<Event>, inflow: bool| {
        let date = day_between(first_day, as_of, rng);
        if inflow {
            let (cp, memo, size) = match (p.role, &p.payer) {
                (Role::Employee | Role::Retiree | Role::Unemployed, Some(payer)) => {
                    let memo = match p.role {
                        Role::Employee => "工资",
                        Role::Retiree => "养老金",
                        _ => "代发",
                    };
                    (payer.clone(), memo, flow * rng.range(85, 100) / 100)
                }
                _ => {
                    let male = rng.chance(500);
                    (names::full_name(rng, male, 1970), "转账存入", rng.range(100, 3_000) * 100)
                }
            };
            events.push(Event { date, inflow, size, fixed: false, counterparty: cp, memo });
        } else {
            let (cp, memo) = rng.pick(SPENDING);
            let size = if memo == "消费" {
                rng.range(10_00, (flow * 6 / 10).max(20_00))
            } else {
                rng.range(1, (flow / 100).max(2)) * 100
            };
            events.push(Event {
                date,
                inflow,
                size: size.min(cap).max(1),
                fixed: false,
                counterparty: cp.to_string(),
                memo,
            });
        }
    };
    if a.fixed {
        if rng.chance(400) {
            events.push(Event {
                date: day_between(first_day, as_of, rng),
                inflow: true,
                size: rng.range(50, 5_000) * 10,
                fixed: false,
                counterparty: String::new(),
                memo: "结息",
            });
        }
    } else if a.primary {
        for _ in 0..rng.range(5, 9) {
            ordinary(rng, &mut events, true);
        }
        for _ in 0..rng.range(5, 9) {
            ordinary(rng, &mut events, false);
        }
    } else {
        for _ in 0..rng.range(2, 7) {
            let inflow = rng.chance(500);
            ordinary(rng, &mut events, inflow);
        }
    }
    if a.primary && p.seq == 1 && hh.dibao_monthly.0 > 0 {
        // 低保金 arrives monthly on the applicant's main account; it is not income.
        let payer = format!("{}民政局", hh.township.county_name);
        let mut d = ctx.books_start.add_months(1);
        while d <= as_of {
            let date = Date::new(d.year(), d.month(), 10).unwrap_or(d);
            if date > first_day && date <= as_of {
                events.push(Event {
                    date,
                    inflow: true,
                    size: hh.dibao_monthly.0,
                    fixed: true,
                    counterparty: payer.clone(),
                    memo: "低保金",
                });
            }
            d = d.add_months(1);
        }
    }
    for &(date, amount) in &a.large {
        let male = rng.chance(500);
        let who = names::full_name(rng, male, 1975);
        events.push(Event { date, inflow: false, size: amount, fixed: true, counterparty: who, memo: "转账支出" });
    }
    events.sort_by_key(|e| e.date);

    // Walk backwards from the final balance. A credit larger than the balance it produced is
    // kept at its full size and followed, the same day, by a withdrawal of the excess: that is
    // how a low balance arises after a salary or 低保金 arrives.
    let mut rows_rev: Vec<(Date, i64, &str, &str)> = Vec::with_capacity(events.len() + 8);
    let mut balance = a.target;
    for e in events.iter().rev() {
        if e.inflow {
            if e.size > balance {
                let excess = e.size - balance + rng.range(0, e.size / 20);
                if excess <= cap {
                    // Cash withdrawal or a payment through one of the two payment platforms.
                    let (counterparty, memo) = rng.pick(&SPENDING[..3]);
                    rows_rev.push((e.date, -excess, counterparty, memo));
                    balance += excess;
                } else if e.fixed {
                    continue;
                }
            }
            let amount = e.size.min(balance);
            balance -= amount;
            rows_rev.push((e.date, amount, &e.counterparty, e.memo));
        } else {
            balance += e.size;
            rows_rev.push((e.date, -e.size, &e.counterparty, e.memo));
        }
    }
    let opening_deposit = if a.opened_in_books && balance > 0 { Some(balance) } else { None };
    let opening = if a.opened_in_books { 0 } else { balance };

    let bank = &mut sinks.banks[a.bank];
    bank.accounts.row([
        p.id.as_str(),
        &p.name,
        &a.number,
        if a.fixed { "定期" } else { "活期" },
        &a.open.to_string(),
        &yuan(Fen(opening)),
    ])?;
    if let Some(first) = opening_deposit {
        bank.movements.row([a.number.as_str(), &a.open.to_string(), &yuan(Fen(first)), "", "开户存入"])?;
    }
    for &(date, amount, counterparty, memo) in rows_rev.iter().rev() {
        if amount != 0 {
            bank.movements.row([a.number.as_str(), &date.to_string(), &yuan(Fen(amount)), counterparty, memo])?;
        }
    }
    Ok(())
}
