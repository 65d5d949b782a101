//! A generated city, end to end: generate it, import its mirrors, load its
//! applications, authorize, commission and verify, and compare the reports
//! with the generator's ground truth.
//!
//! The demo, the end-to-end test and the benchmarks all go through here, so
//! they exercise exactly what a clerk's import and verification do.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;

use hedui_app::cases::CommissionInput;
use hedui_app::cases::{AuthorizationInput, HouseholdInput, MemberInput};
use hedui_app::{App, Caller};
use hedui_connect::{BookStandIn, FinancialSource};
use hedui_core::authorization::Signature;
use hedui_core::commission::CommissionKind;
use hedui_core::household::{Capacity, ExclusionReason, Relation};
use hedui_core::programme::Programme;
use hedui_core::region::RegionTable;
use hedui_core::{Date, Fen, HouseholdId, JobId};
use hedui_gen::{GenConfig, GenParams, GenSummary, Township};
use hedui_import::ImportSummary;
use hedui_means::Outcome;

/// One mirror file in the manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct ManifestMirror {
    pub source: String,
    pub file: String,
    pub as_of: Date,
}

/// One bank in the manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct ManifestBank {
    pub code: String,
    pub name: String,
    pub dir: String,
}

/// The generated city's manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub seed: u64,
    pub city: String,
    pub as_of: Date,
    pub households: u64,
    pub persons: u64,
    pub mirrors: Vec<ManifestMirror>,
    pub banks: Vec<ManifestBank>,
    /// Departments that answer queries from their own records (医保's bills, 教育's students).
    #[serde(default)]
    pub departments: Vec<ManifestBank>,
}

impl Manifest {
    pub fn read(dir: &Path) -> Result<Manifest> {
        let p = dir.join("manifest.json");
        let text = std::fs::read_to_string(&p).with_context(|| format!("读取 {}", p.display()))?;
        serde_json::from_str(&text).with_context(|| format!("解析 {}", p.display()))
    }
}

/// Every township of a city (`3204`), for the generator.
pub fn townships(regions: &RegionTable, city: &str) -> Result<Vec<Township>> {
    let mut out = Vec::new();
    for (county, county_name) in regions.counties_of(city) {
        // 市辖区 placeholders have no townships of their own.
        for (t, name) in regions.townships_of(&county) {
            out.push(Township {
                code: t.as_str().to_string(),
                name: name.to_string(),
                county_name: county_name.to_string(),
            });
        }
    }
    if out.is_empty() {
        bail!("区划数据中没有城市 {city} 的乡镇街道");
    }
    Ok(out)
}

/// Generates a city into `dir`.
pub fn generate(regions: &RegionTable, dir: &Path, seed: u64, households: u64, as_of: Date) -> Result<GenSummary> {
    let cfg = GenConfig {
        seed,
        households,
        as_of,
        city_code: "3204".into(),
        townships: townships(regions, "3204")?,
        params: GenParams::default(),
        banks: 6,
    };
    hedui_gen::generate(&cfg, dir).map_err(|e| anyhow!("{e}"))
}

/// Imports every mirror named in the manifest.
pub fn import_mirrors(app: &App, actor: &Caller, dir: &Path) -> Result<Vec<ImportSummary>> {
    import_mirrors_where(app, actor, dir, &|_| true)
}

/// Imports the mirrors of the sources `wanted` accepts (a department that sends late, say).
pub fn import_mirrors_where(
    app: &App,
    actor: &Caller,
    dir: &Path,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<Vec<ImportSummary>> {
    let m = Manifest::read(dir)?;
    // A generated city's files are what its generator made: a source with no rows in a small
    // city is truly empty, and the generator is who confirms it (the audit row says so).
    let confirmer = format!("generator:seed-{}", m.seed);
    let mut out = Vec::new();
    for mirror in m.mirrors.iter().filter(|m| wanted(&m.source)) {
        let path = dir.join(&mirror.file);
        let bytes = std::fs::read(&path).with_context(|| format!("读取 {}", path.display()))?;
        let now = app.now();
        let input = hedui_import::ImportInput {
            source: &mirror.source,
            file_name: &mirror.file,
            as_of: mirror.as_of,
            bytes: &bytes,
            now,
            actor: actor.name(),
            request_id: &actor.request_id,
            mode: hedui_store::SnapshotMode::Full,
            confirm_shrink: Some(&confirmer),
            min_share: hedui_import::DEFAULT_MIN_SHARE,
            progress: None,
        };
        out.push(app.import_file(actor, &app.mappings, &input)?);
    }
    Ok(out)
}

/// The in-process stand-ins for the manifest's banks and the departments that answer from their
/// own records.
pub fn banks(dir: &Path) -> Result<Vec<Arc<dyn FinancialSource>>> {
    let m = Manifest::read(dir)?;
    let mut out: Vec<Arc<dyn FinancialSource>> = Vec::new();
    for b in &m.banks {
        out.push(Arc::new(BookStandIn::load(&dir.join(&b.dir), &b.code, &b.name)?));
    }
    for d in &m.departments {
        out.push(Arc::new(hedui_connect::ItemBook::load(&dir.join(&d.dir), &d.code, &d.name)?));
    }
    Ok(out)
}

#[derive(Debug, Deserialize)]
struct ApplicationRow {
    #[serde(rename = "户编号")]
    number: String,
    #[serde(rename = "户籍区划")]
    region: String,
    #[serde(rename = "地址")]
    address: String,
    #[serde(rename = "申请项目")]
    programme: String,
    #[serde(rename = "申请日期")]
    applied_on: String,
    #[serde(rename = "申报月收入")]
    income: String,
    #[serde(rename = "申报金融资产")]
    assets: String,
}

#[derive(Debug, Deserialize)]
struct MemberRow {
    #[serde(rename = "户编号")]
    number: String,
    #[serde(rename = "成员序号")]
    seq: u32,
    #[serde(rename = "姓名")]
    name: String,
    #[serde(rename = "身份证号")]
    id: String,
    #[serde(rename = "与申请人关系")]
    relation: String,
    #[serde(rename = "是否计入")]
    counted: String,
    #[serde(rename = "不计入原因")]
    exclusion: String,
    #[serde(rename = "民事行为能力")]
    capacity: String,
    #[serde(rename = "监护人序号")]
    guardian: String,
    #[serde(rename = "申报月收入")]
    income: String,
}

fn yuan(s: &str, what: &str) -> Result<Fen> {
    if s.trim().is_empty() {
        return Ok(Fen::ZERO);
    }
    Fen::parse_yuan(s).map_err(|e| anyhow!("{what}: {e}"))
}

/// The applications of the city, with their members, in file order.
pub fn applications(dir: &Path) -> Result<Vec<HouseholdInput>> {
    let mut members: BTreeMap<String, Vec<MemberInput>> = BTreeMap::new();
    let mut r = csv::Reader::from_path(dir.join("members.csv")).context("读取 members.csv")?;
    for row in r.deserialize::<MemberRow>() {
        let m = row.context("members.csv")?;
        let relation = Relation::parse_zh(&m.relation).ok_or_else(|| anyhow!("未知关系 {}", m.relation))?;
        members.entry(m.number.clone()).or_default().push(MemberInput {
            seq: m.seq,
            name: m.name,
            id_number: m.id,
            relation,
            excluded: (m.counted.trim() == "否").then(|| ExclusionReason::parse_zh(&m.exclusion)),
            capacity: Capacity::parse_zh(&m.capacity).unwrap_or(Capacity::Full),
            guardian_seq: m.guardian.trim().parse().ok(),
            declared_income: yuan(&m.income, "申报月收入")?,
        });
    }
    let mut out = Vec::new();
    let mut r = csv::Reader::from_path(dir.join("applications.csv")).context("读取 applications.csv")?;
    for row in r.deserialize::<ApplicationRow>() {
        let a = row.context("applications.csv")?;
        out.push(HouseholdInput {
            members: members.remove(&a.number).unwrap_or_default(),
            number: a.number,
            region: a.region,
            address: a.address,
            programme: Programme::from_code(&a.programme).unwrap_or(Programme::Dibao),
            applied_on: Date::parse(&a.applied_on).map_err(|e| anyhow!("申请日期: {e}"))?,
            declared_income: yuan(&a.income, "申报月收入")?,
            declared_assets: yuan(&a.assets, "申报金融资产")?,
            supporters: Vec::new(),
        });
    }
    Ok(out)
}

/// The letter every member of `h` signs (a guardian for those without capacity).
pub fn full_authorization(h: &HouseholdInput, signed_on: Date) -> AuthorizationInput {
    AuthorizationInput {
        number: format!("SQ-{}-{}", h.region.get(..6).unwrap_or(&h.region), h.number),
        signed_on,
        scopes: None,
        signatures: h
            .members
            .iter()
            .map(|m| Signature {
                member_seq: m.seq,
                guardian_seq: if m.capacity == Capacity::Full { None } else { m.guardian_seq },
                signed_on,
            })
            .collect(),
    }
}

/// A household registered, authorized (unless `authorize` is false) and commissioned.
#[derive(Debug, Clone)]
pub struct Filed {
    pub number: String,
    pub household: HouseholdId,
    pub job: JobId,
}

/// Registers households, records their letters and files an application commission for each.
pub fn file_applications(
    app: &App,
    actor: &Caller,
    apps: &[HouseholdInput],
    as_of: Date,
    authorize: &dyn Fn(usize) -> bool,
) -> Result<Vec<Filed>> {
    let mut out = Vec::new();
    for (i, h) in apps.iter().enumerate() {
        let household = app.create_household(actor, h).with_context(|| format!("登记 {}", h.number))?;
        if authorize(i) {
            app.record_authorization(actor, household, &full_authorization(h, h.applied_on.min(as_of)))
                .with_context(|| format!("授权 {}", h.number))?;
        }
        let kind = if i % 10 == 9 { CommissionKind::PeriodicRecheck } else { CommissionKind::Application };
        let job = app.commission(
            actor,
            &CommissionInput {
                number: None,
                kind,
                programme: h.programme,
                household,
                department: Some(format!("{}民政", app.region_name(h.region.get(..6).unwrap_or(&h.region)))),
                note: None,
                as_of: Some(as_of),
                declared: Default::default(),
            },
        )?;
        out.push(Filed { number: h.number.clone(), household, job });
    }
    Ok(out)
}

/// One line of the ground truth.
#[derive(Debug, Clone, Deserialize)]
pub struct Truth {
    #[serde(rename = "户编号")]
    pub number: String,
    #[serde(rename = "预期结论")]
    pub expected: String,
    #[serde(rename = "超出原因")]
    pub reasons: String,
    #[serde(rename = "疑点")]
    pub anomalies: String,
    #[serde(rename = "情形")]
    pub scenario: String,
}

pub fn ground_truth(dir: &Path) -> Result<BTreeMap<String, Truth>> {
    let mut r = csv::Reader::from_path(dir.join("ground_truth.csv")).context("读取 ground_truth.csv")?;
    let mut out = BTreeMap::new();
    for row in r.deserialize::<Truth>() {
        let t = row?;
        out.insert(t.number.clone(), t);
    }
    Ok(out)
}

fn split(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s.split(';').map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect();
    v.sort();
    v
}

/// The confusion matrix of expected against reported outcomes, and every miss explained.
#[derive(Debug, Default)]
pub struct Comparison {
    /// (expected, reported) → households.
    pub matrix: BTreeMap<(String, String), u64>,
    pub misses: Vec<String>,
    pub checked: u64,
}

impl Comparison {
    pub fn render(&self) -> String {
        let labels = ["超出", "未超出", "待核实"];
        let mut s = String::from("预期 \\ 核对结果\t超出\t未超出\t待核实\n");
        for e in labels {
            s.push_str(e);
            for r in labels {
                s.push_str(&format!("\t{}", self.matrix.get(&(e.to_string(), r.to_string())).copied().unwrap_or(0)));
            }
            s.push('\n');
        }
        s.push_str(&format!("共核对 {} 户，不一致 {} 户\n", self.checked, self.misses.len()));
        s
    }
}

/// Compares one report with the truth: outcome, reasons and 疑点 must all agree.
pub fn compare(truth: &BTreeMap<String, Truth>, reports: &[(String, hedui_app::jobs::bulk::Issued)]) -> Comparison {
    let mut c = Comparison::default();
    for (number, r) in reports {
        let Some(t) = truth.get(number) else {
            c.misses.push(format!("{number}: 不在 ground_truth.csv 中"));
            continue;
        };
        c.checked += 1;
        let a = r;
        let got = a.outcome.name_zh().to_string();
        *c.matrix.entry((t.expected.clone(), got.clone())).or_default() += 1;
        let mut reasons: Vec<String> = a.reasons.iter().map(|x| x.code().to_string()).collect();
        reasons.sort();
        let mut anomalies: Vec<String> = a.anomalies.clone();
        anomalies.sort();
        anomalies.dedup();
        let want_reasons = split(&t.reasons);
        let want_anomalies = split(&t.anomalies);
        if got != t.expected || reasons != want_reasons || anomalies != want_anomalies {
            c.misses.push(format!(
                "{number}（{}）：预期 {} {:?} {:?}，核对 {} {:?} {:?}；收入 {} / 资产 {}；{:?}",
                t.scenario,
                t.expected,
                want_reasons,
                want_anomalies,
                got,
                reasons,
                anomalies,
                a.income_total,
                a.assets_total,
                a.missing
            ));
        }
        if a.outcome == Outcome::NotExceeded && !a.missing.is_empty() {
            c.misses.push(format!("{number}: 有未核对事项却给出“未超出”"));
        }
    }
    c
}

/// Where a demo keeps its files.
#[derive(Debug, Clone)]
pub struct DemoPaths {
    pub root: PathBuf,
    pub city: PathBuf,
    pub db: PathBuf,
    pub key: PathBuf,
}

impl DemoPaths {
    pub fn new(root: &Path) -> DemoPaths {
        DemoPaths {
            root: root.to_path_buf(),
            city: root.join("city"),
            db: root.join("hedui.db"),
            key: root.join("master.key"),
        }
    }
}

/// The demo's master key: the file's, or a new one written there on the demo's first run. Only
/// the demo and `hedui init` ever create a key.
pub fn demo_key(path: &Path) -> Result<hedui_crypto::ring::KeyRing> {
    if !path.exists() && std::env::var_os("HEDUI_MASTER_KEY").is_none() {
        crate::keys::create(path)?;
    }
    Ok(crate::keys::load(path)?.0)
}
