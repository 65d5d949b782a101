//! One household end to end: its scenario, members, department records, bank books, the
//! application and the ground-truth row.
//!
//! Every part draws from its own random stream derived from (seed, household index, part),
//! so a household does not depend on the households before it, and changing how one part is
//! generated does not reshuffle the others.

use hedui_core::Fen;

use crate::codes::{IdRegistry, mistype, to15};
use crate::output::{Sinks, yuan};
use crate::rng::Rng;
use crate::scenario::Scenario;
use crate::{Ctx, GenError, Township, bank, econ, family};

/// Random streams of one household.
const STREAM_PLACE: u64 = 0;
const STREAM_FAMILY: u64 = 1;
const STREAM_INCOME: u64 = 2;
const STREAM_PROPERTY: u64 = 3;
const STREAM_REGISTERS: u64 = 4;
const STREAM_BANKS: u64 = 5;
const STREAM_APPLICATION: u64 = 6;
const STREAM_SPENDING: u64 = 7;

/// Share of members (per mille, among people born 1900–1999) who declare the 15-digit ID.
const MEMBER_ID15_PER_MILLE: u64 = 37;

/// What every part of a household needs to know about it.
pub(crate) struct Hh<'a> {
    pub(crate) index: u64,
    pub(crate) township: &'a Township,
    /// The 6-digit county code of the township.
    pub(crate) county: String,
    pub(crate) address: String,
    pub(crate) hukou_no: String,
    pub(crate) scenario: Scenario,
    /// Income threshold over the whole income window, in fen.
    pub(crate) t_inc: i64,
    /// Financial-asset limit, in fen.
    pub(crate) t_ast: i64,
    /// Monthly 低保 already received (zero when the household is not on the roll).
    pub(crate) dibao_monthly: Fen,
}

/// Generates household `index` (0-based), writes all its rows and returns its member count.
pub(crate) fn generate(ctx: &Ctx<'_>, index: u64, ids: &mut IdRegistry, sinks: &mut Sinks) -> Result<u64, GenError> {
    let cfg = ctx.cfg;
    let seed = cfg.seed;
    let scenario = Scenario::for_household(seed, index);
    let mut rng = Rng::derive(seed, index, STREAM_PLACE);
    let township = &cfg.townships[rng.index(cfg.townships.len())];
    let county = township.code[..6].to_string();

    let mut family = family::compose(ctx, &county, scenario, &mut Rng::derive(seed, index, STREAM_FAMILY), ids)?;
    let n = family.counted();
    let standard = cfg.params.dibao_standard.0;
    let t_inc = standard * n * i64::from(cfg.params.income_months);
    let t_ast = standard * n * cfg.params.asset_months;
    let address = econ::address(&township.name, &township.county_name, &mut rng);
    let dibao_monthly =
        if rng.chance(150) { Fen(rng.range(200, (standard / 100 * n).max(200)) * 100) } else { Fen::ZERO };
    let hh = Hh {
        index,
        township,
        county,
        address,
        hukou_no: format!("{}{:08}", cfg.city_code, index + 1),
        scenario,
        t_inc,
        t_ast,
        dibao_monthly,
    };

    let income = econ::income(ctx, &hh, &mut family.members, &mut Rng::derive(seed, index, STREAM_INCOME), sinks)?;
    econ::property(ctx, &hh, &family.members, &mut Rng::derive(seed, index, STREAM_PROPERTY), sinks)?;
    econ::registers(ctx, &hh, &family, &mut Rng::derive(seed, index, STREAM_REGISTERS), sinks)?;
    let assets = bank::books(ctx, &hh, &family.members, &mut Rng::derive(seed, index, STREAM_BANKS), sinks)?;
    let mut spend_rng = Rng::derive(seed, index, STREAM_SPENDING);
    let rigid = if crate::spending::applies(&hh, &mut spend_rng) {
        Some(crate::spending::write(&ctx.window, &hh, &family.members, &mut spend_rng, sinks)?)
    } else {
        None
    };

    let mut rng = Rng::derive(seed, index, STREAM_APPLICATION);
    let number = format!("H{:06}", index + 1);
    let declared_income: Fen = family.members.iter().filter(|p| p.counted).map(|p| p.declared).sum();
    let declared_assets = Fen(assets.0 * rng.range(30, 100) / 100 / 100 * 100);
    let applied = cfg.as_of.add_days(-rng.range(3, 30));
    sinks.applications.row([
        number.as_str(),
        &hh.township.code,
        &hh.address,
        if rigid.is_some() { "zhichu" } else { "dibao" },
        &applied.to_string(),
        &yuan(declared_income),
        &yuan(declared_assets),
    ])?;
    for p in &family.members {
        let declared_id = if p.unresolved {
            mistype(&p.id, &mut rng)
        } else if rng.chance(MEMBER_ID15_PER_MILLE) {
            to15(&p.id).unwrap_or_else(|| p.id.clone())
        } else {
            p.id.clone()
        };
        let guardian = p.guardian.map(|g| g.to_string()).unwrap_or_default();
        sinks.members.row([
            number.as_str(),
            &p.seq.to_string(),
            &p.name,
            &declared_id,
            p.relation.label(),
            if p.counted { "是" } else { "否" },
            p.exclusion.unwrap_or(""),
            p.capacity,
            &guardian,
            &yuan(p.declared),
        ])?;
    }
    // A 支出型 application: income net of its rigid spending is below the line, so it is within.
    let shown = if rigid.is_some() { Scenario::MedicalSpending } else { scenario };
    let (conclusion, reasons, doubts) = shown.expected();
    sinks.truth.row([
        number.as_str(),
        conclusion,
        reasons,
        doubts,
        shown.name(),
        &n.to_string(),
        &income.0.to_string(),
        &assets.0.to_string(),
    ])?;
    Ok(family.members.len() as u64)
}
