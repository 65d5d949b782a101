//! Deterministic synthetic city behind `hedui generate`.
//!
//! [`generate`] writes the directory described in `docs/formats.md`: the applications and
//! their members, the department snapshots (`mirror/*.csv`, all 11 sources), each bank's
//! own books (`banks/<code>/`) and `ground_truth.csv`, plus `manifest.json`.
//!
//! # Determinism
//! The same [`GenConfig`] always produces byte-identical files. The random generator is
//! this crate's own (splitmix64 seeding xoshiro256**), so no dependency upgrade can change
//! the city. Each household draws from streams derived from (seed, household index), so
//! households do not depend on one another; the one shared state is the set of ID numbers
//! already handed out, which keeps IDs unique and is consulted in household order.
//!
//! # Streaming
//! Households are generated one at a time and their rows go straight to buffered CSV
//! writers. Memory stays flat apart from the ID set (about 20 MB per million persons).
//!
//! # Ground truth
//! Every household is built for one [`Scenario`]. Households come in blocks of a hundred,
//! each holding 50 `clean_typical`, 5 `clean_minus_1_fen`, 4 each of `income_equal`,
//! `deposit_equal`, `large_transfer`, `mistyped_id`, `contribution_base` and
//! `unresolved_member`, and 3 of every other scenario, in an order shuffled per block.
//! The expected outcome comes from the
//! generator's own parameters ([`GenParams`]), never from hedui's policy code. With `n`
//! counted members and standard `S`: income must stay strictly below `S × n ×
//! income_months` over the `income_months` calendar months before the month of `as_of`;
//! financial assets (deposits of counted members on `as_of` in every bank plus product
//! valuations) may reach `S × n × asset_months` inclusive. Counted income is 税务
//! (工资薪金, 经营所得, 劳务报酬) plus 人社 (基本养老金, 失业保险金) of counted members; 民政
//! assistance, contribution bases and 公积金 are not income, and 公积金 balances are not
//! financial assets. Outflows of at least `large_outflow` within the six months before
//! `as_of` appear only in the `large_transfer` scenario.

mod bank;
mod codes;
mod econ;
mod family;
mod household;
mod names;
mod output;
mod rng;
mod scenario;
mod spending;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use hedui_core::{Date, Fen, Month};
use serde::Serialize;

pub use scenario::Scenario;

use crate::bank::BankInfo;
use crate::codes::IdRegistry;
use crate::output::{SOURCES, Sinks};

/// A township (街道, 镇, 乡) households can be registered in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Township {
    /// 9-digit code: 6-digit county code plus 3-digit township code.
    pub code: String,
    pub name: String,
    pub county_name: String,
}

/// The generator's own policy parameters, from which the ground truth is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenParams {
    /// 低保标准 per person per month.
    pub dibao_standard: Fen,
    /// Financial assets may reach this many months of the standard per counted member.
    pub asset_months: i64,
    /// An outflow of at least this amount within six months before `as_of` is a 疑点.
    pub large_outflow: Fen,
    /// Length of the income window in calendar months.
    pub income_months: u32,
    /// Months of bank movements before `as_of` (期初余额 is the balance at their start).
    pub movement_months: u32,
}

impl Default for GenParams {
    fn default() -> GenParams {
        GenParams {
            dibao_standard: Fen::yuan(1180),
            asset_months: 24,
            large_outflow: Fen::yuan(50_000),
            income_months: 12,
            movement_months: 12,
        }
    }
}

/// Everything that determines a city.
#[derive(Debug, Clone)]
pub struct GenConfig {
    pub seed: u64,
    pub households: u64,
    /// The date the city is generated for: every snapshot's date and the verification date.
    pub as_of: Date,
    /// 4-digit city code, e.g. `3204` for 常州.
    pub city_code: String,
    /// Townships to register households in; all must belong to `city_code`.
    pub townships: Vec<Township>,
    pub params: GenParams,
    /// Number of banks, at least 5.
    pub banks: usize,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenSummary {
    pub households: u64,
    pub persons: u64,
    /// Every CSV file, as (path relative to the output directory, data rows without the header).
    pub files: Vec<(String, u64)>,
}

/// Why a city could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("生成参数无效: {0}")]
    Config(String),
    #[error("写文件失败 {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("写 CSV 失败 {path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error("写 manifest.json 失败 {path}: {source}")]
    Json { path: PathBuf, source: serde_json::Error },
    #[error("地址码 {0} 的身份证顺序码已用尽")]
    IdSpace(String),
}

/// The fewest banks a city has.
pub const MIN_BANKS: usize = 5;

/// Jiangsu's prefecture-level cities: name and the letter of their plates.
const JIANGSU_CITIES: &[(&str, &str, char)] = &[
    ("3201", "南京市", 'A'),
    ("3202", "无锡市", 'B'),
    ("3203", "徐州市", 'C'),
    ("3204", "常州市", 'D'),
    ("3205", "苏州市", 'E'),
    ("3206", "南通市", 'F'),
    ("3207", "连云港市", 'G'),
    ("3208", "淮安市", 'H'),
    ("3209", "盐城市", 'J'),
    ("3210", "扬州市", 'K'),
    ("3211", "镇江市", 'L'),
    ("3212", "泰州市", 'M'),
    ("3213", "宿迁市", 'N'),
];

/// Values derived once from the configuration and shared by every household.
pub(crate) struct Ctx<'a> {
    pub(crate) cfg: &'a GenConfig,
    /// The income window, oldest month first.
    pub(crate) window: Vec<Month>,
    /// The month just before the window (its records must not count).
    pub(crate) before_window: Month,
    /// The day the bank books start; 期初余额 is the balance on it.
    pub(crate) books_start: Date,
    /// Distinct county codes of the townships, sorted.
    pub(crate) counties: Vec<String>,
    pub(crate) city_name: String,
    pub(crate) city_short: String,
    pub(crate) plate_letter: char,
    pub(crate) banks: Vec<BankInfo>,
    /// Securities firms, insurers, the trust company and payment institutions, with their kind;
    /// their books follow the banks'.
    pub(crate) institutions: Vec<(&'static str, BankInfo)>,
}

impl<'a> Ctx<'a> {
    /// The books at `i`: a bank, or an institution after the banks.
    pub(crate) fn book(&self, i: usize) -> &BankInfo {
        match self.banks.get(i) {
            Some(b) => b,
            None => &self.institutions[i - self.banks.len()].1,
        }
    }

    fn new(cfg: &'a GenConfig) -> Result<Ctx<'a>, GenError> {
        let bad = |m: String| Err(GenError::Config(m));
        let p = &cfg.params;
        if cfg.city_code.len() != 4 || !cfg.city_code.bytes().all(|b| b.is_ascii_digit()) {
            return bad(format!("城市代码应为 4 位数字: {:?}", cfg.city_code));
        }
        if cfg.townships.is_empty() {
            return bad("没有乡镇街道".into());
        }
        for t in &cfg.townships {
            if t.code.len() != 9 || !t.code.bytes().all(|b| b.is_ascii_digit()) || !t.code.starts_with(&cfg.city_code) {
                return bad(format!("乡镇街道代码应为本市 9 位数字: {:?}", t.code));
            }
        }
        if !(MIN_BANKS..=bank::MAX_BANKS).contains(&cfg.banks) {
            return bad(format!("银行数应在 {MIN_BANKS} 到 {} 之间: {}", bank::MAX_BANKS, cfg.banks));
        }
        if p.dibao_standard < Fen::yuan(1) || p.dibao_standard > Fen::yuan(100_000) {
            return bad(format!("低保标准不合理: {:?}", p.dibao_standard));
        }
        if !(1..=600).contains(&p.asset_months) {
            return bad(format!("资产月数应在 1 到 600 之间: {}", p.asset_months));
        }
        if p.large_outflow < Fen::yuan(100) {
            return bad(format!("大额支出金额至少 100 元: {:?}", p.large_outflow));
        }
        if !(1..=60).contains(&p.income_months) {
            return bad(format!("收入月数应在 1 到 60 之间: {}", p.income_months));
        }
        if !(7..=60).contains(&p.movement_months) {
            return bad(format!("流水月数应在 7 到 60 之间: {}", p.movement_months));
        }
        if !(1950..=2200).contains(&cfg.as_of.year()) {
            return bad(format!("核对日期不合理: {}", cfg.as_of));
        }
        let last = Month::of(cfg.as_of).plus(-1);
        let window: Vec<Month> = (0..p.income_months as i32).rev().map(|k| last.plus(-k)).collect();
        let before_window = last.plus(-(p.income_months as i32));
        let counties: Vec<String> =
            cfg.townships.iter().map(|t| t.code[..6].to_string()).collect::<BTreeSet<_>>().into_iter().collect();
        let (city_name, plate_letter) = JIANGSU_CITIES
            .iter()
            .find(|(code, _, _)| *code == cfg.city_code)
            .map(|(_, name, letter)| ((*name).to_string(), *letter))
            .unwrap_or_else(|| (format!("{}市", cfg.city_code), 'D'));
        let city_short = city_name.trim_end_matches('市').to_string();
        let banks = bank::bank_list(&city_short, cfg.banks);
        let institutions = bank::institution_list(&city_short);
        Ok(Ctx {
            cfg,
            window,
            before_window,
            books_start: cfg.as_of.add_months(-(p.movement_months as i32)),
            counties,
            city_name,
            city_short,
            plate_letter,
            banks,
            institutions,
        })
    }

    /// The registering authority named on a title certificate: a county-level city issues
    /// its own, districts use the city's.
    pub(crate) fn cert_city<'s>(&'s self, county_name: &'s str) -> &'s str {
        if county_name.ends_with('市') { county_name } else { &self.city_name }
    }
}

#[derive(Serialize)]
struct Manifest<'a> {
    seed: u64,
    city: &'a str,
    as_of: String,
    households: u64,
    persons: u64,
    params: ManifestParams,
    mirrors: Vec<ManifestMirror>,
    banks: Vec<ManifestBank<'a>>,
    /// Departments that answer queries from their own records (医保, 教育).
    departments: Vec<ManifestBank<'a>>,
}

#[derive(Serialize)]
struct ManifestParams {
    dibao_standard_fen: i64,
    asset_months: i64,
    large_outflow_fen: i64,
    income_months: u32,
}

#[derive(Serialize)]
struct ManifestMirror {
    source: &'static str,
    file: String,
    as_of: String,
}

#[derive(Serialize)]
struct ManifestBank<'a> {
    code: &'static str,
    name: &'a str,
    dir: String,
}

/// Generates the city described by `cfg` into `out_dir` (created if missing; existing files
/// of the same names are overwritten). Prints nothing.
pub fn generate(cfg: &GenConfig, out_dir: &Path) -> Result<GenSummary, GenError> {
    let ctx = Ctx::new(cfg)?;
    fs::create_dir_all(out_dir).map_err(|source| GenError::Io { path: out_dir.to_path_buf(), source })?;
    let books: Vec<BankInfo> =
        ctx.banks.iter().cloned().chain(ctx.institutions.iter().map(|(_, b)| b.clone())).collect();
    let mut sinks = Sinks::create(out_dir, &books)?;
    let mut ids = IdRegistry::default();
    let mut persons = 0u64;
    for index in 0..cfg.households {
        persons += household::generate(&ctx, index, &mut ids, &mut sinks)?;
    }
    let files = sinks.finish()?;

    let as_of = cfg.as_of.to_string();
    let manifest = Manifest {
        seed: cfg.seed,
        city: &cfg.city_code,
        as_of: as_of.clone(),
        households: cfg.households,
        persons,
        params: ManifestParams {
            dibao_standard_fen: cfg.params.dibao_standard.0,
            asset_months: cfg.params.asset_months,
            large_outflow_fen: cfg.params.large_outflow.0,
            income_months: cfg.params.income_months,
        },
        mirrors: SOURCES
            .iter()
            .map(|(source, _)| ManifestMirror { source, file: format!("mirror/{source}.csv"), as_of: as_of.clone() })
            .collect(),
        banks: books
            .iter()
            .map(|b| ManifestBank { code: b.code, name: &b.name, dir: format!("banks/{}", b.code) })
            .collect(),
        departments: output::ITEM_DEPARTMENTS
            .iter()
            .map(|(code, name)| ManifestBank { code, name, dir: format!("departments/{code}") })
            .collect(),
    };
    let path = out_dir.join("manifest.json");
    let mut text =
        serde_json::to_string_pretty(&manifest).map_err(|source| GenError::Json { path: path.clone(), source })?;
    text.push('\n');
    fs::write(&path, text).map_err(|source| GenError::Io { path, source })?;

    Ok(GenSummary { households: cfg.households, persons, files })
}
