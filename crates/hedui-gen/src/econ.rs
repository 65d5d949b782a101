//! Department records of a household: income (税务, 人社 待遇), contributions (人社 缴费,
//! 公积金), property (不动产, 车管, 市场监管) and registers (公安, 残联, 民政).
//!
//! Income is planned top-down: the scenario fixes the household's counted total, pensions
//! and benefits take a share, and the workers' monthly wages absorb the rest to the fen.
// tidy: allow(long-file): the generator economic model in one place; it splits when the generator grows.

use hedui_core::{Date, Fen, Month};

use crate::codes::{credit_code, mistype, plate, to15};
use crate::family::{Family, Person, Relation, Role};
use crate::household::Hh;
use crate::output::{Sinks, Source, hundredths, yuan};
use crate::rng::{Rng, fnv1a};
use crate::scenario::Scenario;
use crate::{Ctx, GenError};

/// Share of mirror rows (per mille, among people born 1900–1999) that carry the 15-digit ID.
const MIRROR_ID15_PER_MILLE: u64 = 37;

/// The ID a department shows for `p`: mostly 18 digits, sometimes the old 15-digit form.
pub(crate) fn shown_id(p: &Person, rng: &mut Rng) -> String {
    if rng.chance(MIRROR_ID15_PER_MILLE)
        && let Some(short) = to15(&p.id)
    {
        return short;
    }
    p.id.clone()
}

/// Rounds down to whole yuan.
fn floor_yuan(fen: i64) -> i64 {
    fen.div_euclid(100) * 100
}

/// `t × per_mille / 1000` with `per_mille` drawn from `lo..=hi`, in exact integer arithmetic.
pub(crate) fn fraction(t: i64, lo: i64, hi: i64, rng: &mut Rng) -> i64 {
    let pm = rng.range(lo, hi);
    (i128::from(t) * i128::from(pm) / 1000) as i64
}

/// Splits `total` (>= 0) into `parts` non-negative shares with random weights, exactly.
pub(crate) fn split_exact(total: i64, parts: usize, rng: &mut Rng, wlo: i64, whi: i64) -> Vec<i64> {
    if parts == 0 {
        return Vec::new();
    }
    let weights: Vec<i64> = (0..parts).map(|_| rng.range(wlo, whi).max(1)).collect();
    let sum: i64 = weights.iter().sum();
    let mut shares: Vec<i64> =
        weights.iter().map(|w| (i128::from(total) * i128::from(*w) / i128::from(sum)) as i64).collect();
    let given: i64 = shares.iter().sum();
    shares[parts - 1] += total - given;
    shares
}

/// Spreads `total` over `k` months nearly evenly with some jitter, exactly and never negative.
fn spread_months(total: i64, k: usize, rng: &mut Rng) -> Vec<i64> {
    if k == 0 {
        return Vec::new();
    }
    let base = total / k as i64;
    let mut v = vec![base; k];
    v[k - 1] += total - base * k as i64;
    // Moving whole yuan between neighbouring months keeps the sum and keeps every month
    // at least seven eighths of the base.
    let mut i = 0;
    while i + 1 < k {
        let d = floor_yuan(rng.range(0, base / 8));
        v[i] += d;
        v[i + 1] -= d;
        i += 2;
    }
    v
}

const COMPANY_WORDS: &[&str] = &[
    "恒达", "华源", "金诚", "新龙", "天合", "东方", "瑞丰", "宏图", "科华", "永盛", "中天", "长江", "晨光", "新科",
    "江南", "明珠", "龙城", "亚邦", "常发", "华利", "锦绣", "运河", "通达", "博远",
];
const COMPANY_SUFFIXES: &[&str] = &[
    "机械有限公司",
    "纺织有限公司",
    "物业管理有限公司",
    "电子科技有限公司",
    "餐饮管理有限公司",
    "建设工程有限公司",
    "保洁服务有限公司",
    "物流有限公司",
    "商贸有限公司",
    "精密制造有限公司",
    "汽车零部件有限公司",
    "服饰有限公司",
];
const SHOP_WORDS: &[&str] = &["惠民", "鑫源", "好又多", "阿强", "老街", "顺心", "红梅", "百家", "金福", "乐购"];
const SHOP_KINDS: &[&str] = &["便利店", "五金店", "小吃店", "理发店", "水果店", "副食品店", "家电维修部", "面馆"];
const TEMPLES: &[&str] = &["天宁禅寺", "清凉寺", "太平寺", "宝林禅寺"];

/// An employer with a stable credit code: the same name always gets the same code.
fn company(ctx: &Ctx<'_>, rng: &mut Rng) -> (String, String) {
    let name = format!("{}{}{}", ctx.city_short, rng.pick(COMPANY_WORDS), rng.pick(COMPANY_SUFFIXES));
    let key = fnv1a(&name);
    let region = &ctx.counties[(key % ctx.counties.len() as u64) as usize];
    let code = credit_code("91", region, key);
    (name, code)
}

/// A sole trader's shop in the household's county.
fn shop(hh: &Hh<'_>, rng: &mut Rng) -> (String, String) {
    let name = format!("{}{}{}", hh.township.county_name, rng.pick(SHOP_WORDS), rng.pick(SHOP_KINDS));
    let key = fnv1a(&name) ^ hh.index.wrapping_mul(0x9E37_79B9);
    (name, credit_code("92", &hh.county, key))
}

/// A random day between `from` and `to` inclusive (or `from` if the range is empty).
pub(crate) fn day_between(from: Date, to: Date, rng: &mut Rng) -> Date {
    let span = to.to_days() - from.to_days();
    from.add_days(rng.range(0, span.max(0)))
}

fn is_earner(p: &Person) -> bool {
    p.counted
        && !p.unresolved
        && matches!(p.role, Role::Employee | Role::SelfEmployed | Role::Retiree | Role::Unemployed)
}

/// Writes every income and contribution record of the household and returns the counted
/// income total over the income window.
// tidy: allow(long-fn): one generated person's income sources in turn, each with its ground-truth note.
pub(crate) fn income(
    ctx: &Ctx<'_>,
    hh: &Hh<'_>,
    members: &mut [Person],
    rng: &mut Rng,
    sinks: &mut Sinks,
) -> Result<Fen, GenError> {
    let window = &ctx.window;
    let len = window.len() as i64;
    let t = hh.t_inc;
    let pinned = hh.scenario.pins_income();
    let target = match hh.scenario {
        Scenario::CleanMinus1Fen => t - 1,
        Scenario::IncomePlus1Fen => t + 1,
        Scenario::IncomePlus10Pct => (i128::from(t) * 110 / 100) as i64,
        Scenario::IncomeEqual => t,
        Scenario::CleanTypical => fraction(t, 50, 750, rng),
        Scenario::UnresolvedMember => fraction(t, 0, 450, rng),
        Scenario::ContributionBase | Scenario::MistypedId => fraction(t, 300, 800, rng),
        _ => fraction(t, 50, 800, rng),
    };
    let any_earner = members.iter().any(is_earner);
    let mut remaining = target;
    if !pinned && !any_earner && rng.chance(600) {
        remaining = 0;
    }
    let mut total = 0i64;
    let pension_payer = format!("{}社会保险基金管理中心", ctx.city_name);

    // Pensions are monthly and ongoing; a few started inside the window, so only part of it counts.
    for p in members.iter_mut() {
        if !(p.counted && !p.unresolved && p.role == Role::Retiree && rng.chance(850)) {
            continue;
        }
        let desired = if rng.chance(600) { rng.range(1800, 4200) } else { rng.range(180, 600) } * 100;
        let recent = len >= 2 && rng.chance(100);
        let (start, months) = if recent {
            let k = rng.range(1, len - 1);
            (window[k as usize], len - k)
        } else {
            (window[0].plus(-(rng.range(1, 180) as i32)), len)
        };
        let cap = floor_yuan(remaining * 7 / 10 / months);
        let monthly = desired.min(cap);
        if monthly < 100 * 100 {
            continue;
        }
        let id = shown_id(p, rng);
        sinks.mirror(
            Source::RensheBenefit,
            [id.as_str(), &p.name, "基本养老金", &yuan(Fen(monthly)), &start.to_string(), ""],
        )?;
        remaining -= monthly * months;
        total += monthly * months;
        p.declared = Fen(monthly);
        p.flow = Fen(monthly);
        p.payer = Some(pension_payer.clone());
    }

    // Unemployment benefit runs for a few months inside the window.
    for p in members.iter_mut() {
        if !(p.counted && !p.unresolved && p.role == Role::Unemployed) || len < 2 || !rng.chance(350) {
            continue;
        }
        let k = rng.range(2, len.min(6));
        let s = rng.range(0, len - k);
        let amount = rng.range(1700, 2100) * 100;
        if amount * k > remaining * 6 / 10 {
            continue;
        }
        let id = shown_id(p, rng);
        sinks.mirror(
            Source::RensheBenefit,
            [
                id.as_str(),
                &p.name,
                "失业保险金",
                &yuan(Fen(amount)),
                &window[s as usize].to_string(),
                &window[(s + k - 1) as usize].to_string(),
            ],
        )?;
        remaining -= amount * k;
        total += amount * k;
        p.flow = Fen(amount);
        p.payer = Some(pension_payer.clone());
    }

    // Wages absorb what is left, to the fen.
    let workers: Vec<usize> = (0..members.len())
        .filter(|&i| {
            let p = &members[i];
            p.counted && !p.unresolved && matches!(p.role, Role::Employee | Role::SelfEmployed)
        })
        .collect();
    if !workers.is_empty() && remaining > 0 {
        let shares = split_exact(remaining, workers.len(), rng, 1, 5);
        for (&i, share) in workers.iter().zip(shares) {
            wages(ctx, &mut members[i], share, rng, sinks)?;
            total += share;
        }
        remaining = 0;
    } else if remaining > 0 && (pinned || !any_earner) && !members[0].unresolved {
        // Odd jobs of the applicant (劳务报酬) carry the rest when nobody has a wage.
        let k = rng.range(1, len.min(4)) as usize;
        let mut months: Vec<usize> = Vec::with_capacity(k);
        while months.len() < k {
            let m = rng.below(len as u64) as usize;
            if !months.contains(&m) {
                months.push(m);
            }
        }
        months.sort_unstable();
        let (payer, _) = company(ctx, rng);
        let app = &mut members[0];
        for (m, amount) in months.iter().zip(split_exact(remaining, k, rng, 1, 4)) {
            let id = shown_id(app, rng);
            sinks.mirror(
                Source::Shuiwu,
                [id.as_str(), &app.name, &window[*m].to_string(), "劳务报酬", &yuan(Fen(amount)), &payer],
            )?;
        }
        total += remaining;
        app.declared = Fen(floor_yuan(remaining / len / 2));
        app.flow = Fen(remaining / len);
        app.payer = Some(payer);
        remaining = 0;
    }
    // Pinned scenarios always reach their target; the others may stay below it.
    debug_assert!(!pinned || (remaining == 0 && total == target));

    excluded_members_income(ctx, members, rng, sinks)?;
    contributions(ctx, hh, members, rng, sinks)?;
    Ok(Fen(total))
}

/// Monthly wage (or business income) rows of one worker, summing exactly to `share`.
fn wages(ctx: &Ctx<'_>, p: &mut Person, share: i64, rng: &mut Rng, sinks: &mut Sinks) -> Result<(), GenError> {
    let window = &ctx.window;
    let len = window.len() as i64;
    let business = p.role == Role::SelfEmployed;
    let (payer, _) = company(ctx, rng);
    let (kind, payer_col) = if business { ("经营所得", "") } else { ("工资薪金", payer.as_str()) };
    let amounts = spread_months(share, window.len(), rng);
    for (m, a) in window.iter().zip(&amounts) {
        if *a <= 0 {
            continue;
        }
        let id = shown_id(p, rng);
        sinks.mirror(Source::Shuiwu, [id.as_str(), &p.name, &m.to_string(), kind, &yuan(Fen(*a)), payer_col])?;
    }
    // A row for the month before the window must not be counted.
    if share > 0 && rng.chance(200) {
        let id = shown_id(p, rng);
        let a = amounts.first().copied().unwrap_or(0).max(100);
        sinks.mirror(
            Source::Shuiwu,
            [id.as_str(), &p.name, &ctx.before_window.to_string(), kind, &yuan(Fen(a)), payer_col],
        )?;
    }
    let avg = share / len;
    p.declared = Fen(floor_yuan(avg * rng.range(80, 100) / 100));
    p.flow = Fen(avg);
    p.payer = Some(payer);
    Ok(())
}

/// Members who are not counted may still earn, sometimes more than the household's
/// threshold; that income must not be counted.
fn excluded_members_income(
    ctx: &Ctx<'_>,
    members: &[Person],
    rng: &mut Rng,
    sinks: &mut Sinks,
) -> Result<(), GenError> {
    let window = &ctx.window;
    for p in members.iter().filter(|p| !p.counted) {
        if !rng.chance(600) {
            continue;
        }
        let yearly = rng.range(30_000, 150_000) * 100;
        let (months, payer) = if p.exclusion == Some("服刑") {
            // Wages stop at the start of the sentence.
            (rng.range(2, window.len() as i64) as usize, company(ctx, rng).0)
        } else {
            (window.len(), format!("{}{}", ctx.city_short, rng.pick(TEMPLES)))
        };
        let amounts = spread_months(yearly * months as i64 / window.len() as i64, months, rng);
        for (m, a) in window.iter().zip(amounts) {
            let id = shown_id(p, rng);
            sinks.mirror(Source::Shuiwu, [id.as_str(), &p.name, &m.to_string(), "工资薪金", &yuan(Fen(a)), &payer])?;
        }
    }
    Ok(())
}

/// 社保 contribution bases and 公积金 accounts. Every base is at most the member's declared
/// monthly income, except the one the `contribution_base` scenario raises on purpose.
fn contributions(
    ctx: &Ctx<'_>,
    hh: &Hh<'_>,
    members: &[Person],
    rng: &mut Rng,
    sinks: &mut Sinks,
) -> Result<(), GenError> {
    let scenario = hh.scenario;
    for (i, p) in members.iter().enumerate() {
        let forced = i == 0 && scenario.needs_worker();
        if p.counted && !p.unresolved && p.role == Role::Retiree && p.declared.0 > 0 && rng.chance(100) {
            // A sealed 公积金 account from working years: a balance that is not a financial asset.
            let base = floor_yuan(p.declared.0 * rng.range(60, 100) / 100);
            let id = shown_id(p, rng);
            let balance = rng.range(5_000, 90_000) * 100 + rng.range(0, 99);
            sinks.mirror(
                Source::Gongjijin,
                [id.as_str(), &p.name, &yuan(Fen(base)), "0.00", &yuan(Fen(balance)), "封存"],
            )?;
            continue;
        }
        let eligible = p.counted && !p.unresolved && p.role == Role::Employee;
        if !eligible || !(forced || (p.declared.0 >= 500 * 100 && rng.chance(700))) {
            continue;
        }
        let declared = p.declared.0;
        let base = if forced && scenario == Scenario::ContributionBase {
            declared + floor_yuan((declared * rng.range(10, 60) / 100).max(300 * 100))
        } else {
            floor_yuan(declared * rng.range(60, 100) / 100)
        };
        let (employer, code) = match &p.payer {
            Some(name) => {
                let key = fnv1a(name);
                let region = &ctx.counties[(key % ctx.counties.len() as u64) as usize];
                (name.clone(), credit_code("91", region, key))
            }
            None => company(ctx, rng),
        };
        let fund = rng.chance(450);
        let mistyped_fund = forced && scenario == Scenario::MistypedId && fund && rng.chance(500);
        let mistyped_contribution = forced && scenario == Scenario::MistypedId && !mistyped_fund;
        let id = if mistyped_contribution { mistype(&p.id, rng) } else { shown_id(p, rng) };
        let start: Month = ctx.window[0].plus(-(rng.range(0, 96) as i32));
        sinks.mirror(
            Source::RensheContribution,
            [id.as_str(), &p.name, &code, &employer, &yuan(Fen(base)), &start.to_string(), ""],
        )?;
        if fund {
            let fund_base = floor_yuan(declared * rng.range(60, 100) / 100);
            let rate = rng.range(5, 12);
            let monthly = fund_base * rate * 2 / 100;
            let balance = rng.range(1_000, 60_000) * 100 + rng.range(0, 99);
            let id = if mistyped_fund { mistype(&p.id, rng) } else { shown_id(p, rng) };
            sinks.mirror(
                Source::Gongjijin,
                [id.as_str(), &p.name, &yuan(Fen(fund_base)), &yuan(Fen(monthly)), &yuan(Fen(balance)), "正常"],
            )?;
        }
    }
    Ok(())
}

const ROADS: &[&str] = &[
    "延陵西路",
    "和平北路",
    "劳动中路",
    "晋陵中路",
    "关河东路",
    "青洋北路",
    "龙城大道",
    "长江路",
    "通江大道",
    "常澄路",
    "湖塘路",
    "人民路",
    "中吴大道",
    "太湖东路",
    "新堂路",
    "燕山路",
    "丽华北路",
    "花园街",
];
const VILLAGES: &[&str] =
    &["前进", "新华", "东风", "红星", "联合", "永安", "西湖", "南庄", "北河", "新桥", "塘头", "桥头"];

/// A street address inside the township (a village address for a 镇 or 乡).
pub(crate) fn address(township_name: &str, county_name: &str, rng: &mut Rng) -> String {
    if township_name.ends_with('镇') || township_name.ends_with('乡') {
        format!("{county_name}{township_name}{}村委{}组{}号", rng.pick(VILLAGES), rng.range(1, 18), rng.range(1, 120))
    } else {
        format!(
            "{county_name}{township_name}{}{}号{}幢{}室",
            rng.pick(ROADS),
            rng.range(1, 399),
            rng.range(1, 40),
            rng.range(1, 6) * 100 + rng.range(1, 4)
        )
    }
}

const CAR_MODELS: &[&str] = &[
    "大众汽车牌SVW7152",
    "五菱牌LZW6438",
    "比亚迪牌BYD7150",
    "吉利牌JL7152",
    "丰田牌TV7180",
    "别克牌SGM7151",
    "长安牌SC7164",
    "本田牌HG7150",
];

/// Real estate, vehicles and business registrations, per the scenario.
// tidy: allow(long-fn): one generated household's property, vehicles and businesses in turn.
pub(crate) fn property(
    ctx: &Ctx<'_>,
    hh: &Hh<'_>,
    members: &[Person],
    rng: &mut Rng,
    sinks: &mut Sinks,
) -> Result<(), GenError> {
    let as_of = ctx.cfg.as_of;
    let owners: Vec<usize> =
        (0..members.len()).filter(|&i| members[i].counted && !members[i].unresolved && members[i].age >= 18).collect();
    let Some(&first) = owners.first() else {
        return Ok(());
    };
    let spouse = (0..members.len()).find(|&i| {
        let p = &members[i];
        p.relation == Relation::Spouse && p.counted && !p.unresolved
    });
    let scenario = hh.scenario;

    // Homes: most often the couple's one flat, held jointly under one certificate.
    let mut serial = hh.index * 4;
    let home = |rng: &mut Rng, serial: u64, place: &str| {
        let year = rng.range(1998, i64::from(as_of.year()) - 1);
        (
            format!("苏({year}){}不动产权第{:07}号", ctx.cert_city(&hh.township.county_name), serial % 10_000_000),
            place.to_string(),
            hundredths(rng.range(4_500, 14_000)),
            day_between(
                Date::new(year as u16, 1, 1).unwrap_or(as_of),
                Date::new(year as u16, 12, 28).unwrap_or(as_of),
                rng,
            )
            .to_string(),
        )
    };
    if scenario == Scenario::SecondHome || rng.chance(450) {
        let (cert, place, area, date) = home(rng, serial, &hh.address);
        serial += 1;
        let adult_child = (0..members.len()).find(|&i| {
            let p = &members[i];
            p.relation == Relation::Child && p.counted && !p.unresolved && p.age >= 18
        });
        let holders: Vec<(usize, &str)> = match (spouse, adult_child) {
            (Some(s), _) if rng.chance(700) => vec![(first, "共同共有"), (s, "共同共有")],
            (None, Some(c)) if scenario == Scenario::CleanTypical && rng.chance(300) => {
                vec![(first, "按份共有"), (c, "按份共有")]
            }
            _ => vec![(first, "单独所有")],
        };
        for (i, how) in holders {
            let p = &members[i];
            let id = shown_id(p, rng);
            sinks.mirror(Source::Budongchan, [id.as_str(), &p.name, &cert, &place, &area, "住宅", &date, how])?;
        }
    }
    if scenario == Scenario::SecondHome {
        let place = address(&hh.township.name, &hh.township.county_name, rng);
        let (cert, place, area, date) = home(rng, serial, &place);
        let owner = match spouse {
            Some(s) if rng.chance(400) => s,
            _ => first,
        };
        let p = &members[owner];
        let id = shown_id(p, rng);
        sinks.mirror(Source::Budongchan, [id.as_str(), &p.name, &cert, &place, &area, "住宅", &date, "单独所有"])?;
    }

    // Vehicles: only the `car` scenario has a private car in use; the exempt kinds appear elsewhere.
    let mut vehicle = |rng: &mut Rng, owner: usize, kind: &str, state: &str, usage: &str| -> Result<(), GenError> {
        let p = &members[owner];
        let id = shown_id(p, rng);
        let first_reg = day_between(as_of.add_months(-180), as_of.add_days(-60), rng).to_string();
        let new_energy = rng.chance(250);
        let plate = plate(rng, ctx.plate_letter, new_energy);
        let model = if kind == "正三轮摩托车" { "宗申牌ZS150ZK" } else { rng.pick(CAR_MODELS) };
        sinks.mirror(Source::Cheguan, [id.as_str(), &p.name, &plate, kind, model, &first_reg, state, usage])
    };
    match scenario {
        Scenario::Car => {
            let owner = match spouse {
                Some(s) if rng.chance(400) => s,
                _ => first,
            };
            vehicle(rng, owner, "小型轿车", "正常", "非营运")?;
        }
        Scenario::CleanTypical => {
            let disabled = owners.iter().copied().find(|&i| members[i].disability.is_some());
            if let Some(d) = disabled
                && rng.chance(300)
            {
                vehicle(rng, d, "正三轮摩托车", "正常", "残疾人专用")?;
            } else if rng.chance(120) {
                vehicle(rng, first, "小型轿车", "正常", "营运")?;
            }
            if rng.chance(100) {
                vehicle(rng, first, "小型轿车", "注销", "非营运")?;
            }
        }
        _ => {
            if rng.chance(50) {
                vehicle(rng, first, "小型轿车", "注销", "非营运")?;
            }
        }
    }

    // Businesses: only the `business` scenario has one still in existence.
    let mut entity = |rng: &mut Rng, owner: usize, state: &str| -> Result<(), GenError> {
        let p = &members[owner];
        let founded = day_between(as_of.add_months(-240), as_of.add_months(-14), rng).to_string();
        let sole_trader = p.role == Role::SelfEmployed || rng.chance(400);
        let (name, code, kind, role, capital) = if sole_trader {
            let (name, code) = shop(hh, rng);
            (name, code, "个体工商户", "经营者", rng.range(5_000, 100_000) * 100)
        } else {
            let (name, code) = company(ctx, rng);
            (name, code, "有限责任公司", "法定代表人", rng.range(10, 500) * 10_000 * 100)
        };
        let id = shown_id(p, rng);
        sinks.mirror(
            Source::Shichang,
            [id.as_str(), &p.name, &code, &name, kind, role, &yuan(Fen(capital)), state, &founded],
        )?;
        // Headcounts, drawn from the credit code so that no other draw moves: most businesses
        // file an annual report (a sole trader often with nobody employed), and 人社 knows the
        // units that insure staff.
        let h = fnv1a(&code);
        let staff = if sole_trader { [0, 0, 1, 2][(h % 4) as usize] } else { 3 + (h % 20) as i64 };
        let year = (as_of.year() - 1).to_string();
        if !h.is_multiple_of(7) {
            sinks.mirror(Source::ShichangNianbao, [id.as_str(), &p.name, &code, &name, &year, &staff.to_string()])?;
        }
        if staff > 0 && !(h >> 8).is_multiple_of(3) {
            let month = Month::of(as_of).plus(-1).to_string();
            sinks.mirror(Source::RensheDanwei, [id.as_str(), &p.name, &code, &name, &staff.to_string(), &month])?;
        }
        Ok(())
    };
    match scenario {
        Scenario::Business => {
            let owner = owners.iter().copied().find(|&i| members[i].role == Role::SelfEmployed).unwrap_or(first);
            entity(rng, owner, "存续")?;
        }
        Scenario::CleanTypical if rng.chance(100) => {
            let state = if rng.chance(800) { "注销" } else { "吊销" };
            entity(rng, first, state)?;
        }
        _ => {}
    }
    Ok(())
}

const GRADES: [&str; 4] = ["一级", "二级", "三级", "四级"];

/// One 公安 户籍 row for a person of the household, with the ID as that file shows it.
fn hukou_row(sinks: &mut Sinks, hh: &Hh<'_>, p: &Person, id: &str, older: bool, status: &str) -> Result<(), GenError> {
    sinks.mirror(
        Source::GonganHukou,
        [
            id,
            &p.name,
            if p.male { "男" } else { "女" },
            &p.birth.to_string(),
            &hh.hukou_no,
            p.relation.hukou_label(p.male, older),
            &hh.township.code,
            status,
        ],
    )
}

/// 公安 户籍 and deaths, 残联 certificates and 民政 rolls.
pub(crate) fn registers(
    ctx: &Ctx<'_>,
    hh: &Hh<'_>,
    family: &Family,
    rng: &mut Rng,
    sinks: &mut Sinks,
) -> Result<(), GenError> {
    let as_of = ctx.cfg.as_of;
    for p in &family.members {
        let id = shown_id(p, rng);
        hukou_row(sinks, hh, p, &id, p.older_than_applicant, "正常")?;
        if let Some(d) = p.disability {
            let lived = as_of.to_days() - p.birth.to_days();
            let issued = as_of.add_days(-rng.range(30, (lived - 1).clamp(30, 5000)));
            let cert = format!("{}{}{}", p.id, d.code, d.grade);
            sinks.mirror(
                Source::Canlian,
                [
                    id.as_str(),
                    &p.name,
                    &cert,
                    d.category,
                    GRADES[usize::from(d.grade.clamp(1, 4) - 1)],
                    &issued.to_string(),
                ],
            )?;
        }
    }
    if let Some(d) = &family.deceased {
        let p = &d.person;
        let id = shown_id(p, rng);
        hukou_row(sinks, hh, p, &id, true, "死亡注销")?;
        let id = shown_id(p, rng);
        sinks.mirror(Source::GonganDeath, [id.as_str(), &p.name, &d.death.to_string(), &d.cancelled.to_string()])?;
    }
    if hh.dibao_monthly.0 > 0 {
        // The household already receives 低保; its roll lists each counted member with a share.
        let counted: Vec<&Person> = family.members.iter().filter(|p| p.counted).collect();
        let start = as_of.add_days(-rng.range(200, 1800)).first_of_month().to_string();
        let shares = split_exact(hh.dibao_monthly.0 / 100, counted.len(), rng, 1, 1);
        for (p, share) in counted.into_iter().zip(shares) {
            let id = shown_id(p, rng);
            sinks.mirror(
                Source::MinzhengRolls,
                [id.as_str(), &p.name, "低保", &hh.township.code, &start, &yuan(Fen(share * 100))],
            )?;
        }
    }
    if rng.chance(30) {
        let p = &family.members[0];
        let id = shown_id(p, rng);
        let date = as_of.add_days(-rng.range(30, 300)).to_string();
        let amount = rng.range(500, 3000) * 100;
        sinks.mirror(
            Source::MinzhengRolls,
            [id.as_str(), &p.name, "临时救助", &hh.township.code, &date, &yuan(Fen(amount))],
        )?;
    }
    Ok(())
}
