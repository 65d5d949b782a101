//! Rigid spending (刚性支出): 医保's medical bills with the out-of-pocket share and 教育's students
//! with their fees, for the households that apply for 支出型救助 because of them.
//!
//! A household of the `income_plus_10_pct` scenario is, one time in three, such a household: its
//! income is 10 % over the 低保 line, and its members' out-of-pocket medical bills in the income
//! window come to a quarter of the line, so its income net of rigid spending is below it (and any
//! student's fees only lower it further). Nothing here draws from another stage's random stream,
//! so every other household is generated exactly as before.

use hedui_core::{Date, Fen};

use crate::GenError;
use crate::family::Person;
use crate::household::Hh;
use crate::output::{ItemSource, Sinks, yuan};
use crate::rng::Rng;
use crate::scenario::Scenario;

/// Whether household `hh` applies for 支出型救助 on its medical bills.
pub(crate) fn applies(hh: &Hh<'_>, rng: &mut Rng) -> bool {
    hh.scenario == Scenario::IncomePlus10Pct && rng.chance(333)
}

/// Writes the household's bills (and its students' enrolments) and returns their total in the
/// income window.
pub(crate) fn write(
    window: &[hedui_core::Month],
    hh: &Hh<'_>,
    members: &[Person],
    rng: &mut Rng,
    sinks: &mut Sinks,
) -> Result<Fen, GenError> {
    let patient = members.iter().find(|p| p.counted && !p.unresolved).unwrap_or(&members[0]);
    // A quarter of the income line, in whole yuan, over two or three bills.
    let target = hh.t_inc / 4 / 100 * 100;
    let bills = 2 + rng.below(2) as i64;
    let mut left = target;
    let mut total = 0i64;
    for n in 0..bills {
        let share = if n + 1 == bills { left } else { left / (bills - n) / 100 * 100 };
        left -= share;
        let month = window[rng.index(window.len())];
        let on = day(month.year, month.month, 1 + rng.below(27) as u8)?;
        // The insurer paid the rest: out-of-pocket is 35 % of the bill, rounded to the yuan.
        let whole = share * 100 / 35 / 100 * 100;
        let paid = whole - share;
        sinks.item(
            ItemSource::Yibao,
            [
                patient.id.as_str(),
                &patient.name,
                "medical_expense",
                &format!("YB{:06}{n}", hh.index + 1),
                if n == 0 { "住院" } else { "门诊慢特病" },
                &yuan(Fen(share)),
                "0",
                &on.to_string(),
                &format!("总费用={};医保统筹支付={}", yuan(Fen(whole)), yuan(Fen(paid))),
            ],
        )?;
        total += share;
    }
    for p in members.iter().filter(|p| p.counted && !p.unresolved && (16..=22).contains(&p.age)) {
        let (stage, fee) = if p.age <= 18 { ("普通高中", 200_000) } else { ("本科", 550_000) };
        let sept = window.iter().rev().find(|m| m.month == 9).copied().unwrap_or(window[0]);
        let on = day(sept.year, sept.month, 1)?;
        sinks.item(
            ItemSource::Jiaoyu,
            [
                p.id.as_str(),
                &p.name,
                "enrollment",
                &format!("XJ{}", &p.id[6..14]),
                stage,
                &yuan(Fen(fee)),
                "0",
                &on.to_string(),
                &format!("学年={}-{};学校={}", sept.year, sept.year + 1, "本市学校"),
            ],
        )?;
        total += fee;
    }
    Ok(Fen(total))
}

fn day(year: u16, month: u8, d: u8) -> Result<Date, GenError> {
    Date::new(year, month, d).map_err(|e| GenError::Config(format!("日期 {year}-{month}-{d}: {e}")))
}
