//! End-to-end checks of a generated city, read back from disk and recomputed here
//! independently of the generator's own bookkeeping.

// A failed expectation in a test is the failure report itself.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use hedui_core::{Date, Fen};
use hedui_gen::{GenConfig, GenError, GenParams, Scenario, Township, generate};

/// A directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("hedui-gen-{tag}-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn township(code: &str, name: &str, county: &str) -> Township {
    Township { code: code.into(), name: name.into(), county_name: county.into() }
}

fn townships() -> Vec<Township> {
    vec![
        township("320402001", "雕庄街道", "天宁区"),
        township("320402109", "郑陆镇", "天宁区"),
        township("320404005", "南大街街道", "钟楼区"),
        township("320411101", "孟河镇", "新北区"),
        township("320412100", "湖塘镇", "武进区"),
        township("320413100", "金城镇", "金坛区"),
        township("320481002", "溧城街道", "溧阳市"),
    ]
}

fn as_of() -> Date {
    Date::new(2026, 11, 27).expect("valid date")
}

fn config(seed: u64, households: u64) -> GenConfig {
    GenConfig {
        seed,
        households,
        as_of: as_of(),
        city_code: "3204".into(),
        townships: townships(),
        params: GenParams::default(),
        banks: 6,
    }
}

/// A CSV file read into rows addressed by column name.
struct Table {
    cols: HashMap<String, usize>,
    rows: Vec<csv::StringRecord>,
}

impl Table {
    fn read(path: &Path) -> Table {
        let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let cols = r.headers().expect("header").iter().enumerate().map(|(i, h)| (h.to_string(), i)).collect();
        let rows = r.records().map(|x| x.expect("row")).collect();
        Table { cols, rows }
    }
    fn get<'a>(&self, row: &'a csv::StringRecord, col: &str) -> &'a str {
        let i = *self.cols.get(col).unwrap_or_else(|| panic!("no column {col}"));
        row.get(i).unwrap_or("")
    }
}

/// GB 11643 check, written here again so the test does not trust the generator's copy.
fn check18(first17: &str) -> Option<char> {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let s: u32 = first17.bytes().zip(W).map(|(b, w)| u32::from(b - b'0') * w).sum();
    "10X98765432".chars().nth((s % 11) as usize)
}

/// The 18-digit form of a valid 18- or 15-digit ID, or `None` for an invalid one.
fn normalize(id: &str) -> Option<String> {
    match id.len() {
        18 => {
            let c = check18(&id[..17])?;
            (id.ends_with(c)).then(|| id.to_string())
        }
        15 if id.bytes().all(|b| b.is_ascii_digit()) => {
            let first17 = format!("{}19{}", &id[..6], &id[6..]);
            let c = check18(&first17)?;
            Some(format!("{first17}{c}"))
        }
        _ => None,
    }
}

/// GB 32100 check, written here again.
fn credit_ok(code: &str) -> bool {
    const A: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    const W: [usize; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    let chars: Vec<char> = code.chars().collect();
    if chars.len() != 18 {
        return false;
    }
    let mut sum = 0;
    for (c, w) in chars[..17].iter().zip(W) {
        match A.find(*c) {
            Some(v) => sum += v * w,
            None => return false,
        }
    }
    A.chars().nth((31 - sum % 31) % 31) == Some(chars[17])
}

fn fen(s: &str) -> i64 {
    let dot = s.find('.').unwrap_or_else(|| panic!("amount without decimals: {s}"));
    assert_eq!(s.len() - dot, 3, "amount must have two decimals: {s}");
    Fen::parse_yuan(s).unwrap_or_else(|e| panic!("{s}: {e}")).0
}

fn month_index(m: &str) -> i64 {
    let (y, mo) = m.split_once('-').unwrap_or_else(|| panic!("month {m}"));
    y.parse::<i64>().expect("year") * 12 + mo.parse::<i64>().expect("month")
}

fn all_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn same_config_gives_identical_bytes_and_another_seed_does_not() {
    let a = TempDir::new("det-a");
    let b = TempDir::new("det-b");
    let c = TempDir::new("det-c");
    let sa = generate(&config(7, 120), &a.0).expect("generate a");
    let sb = generate(&config(7, 120), &b.0).expect("generate b");
    generate(&config(8, 120), &c.0).expect("generate c");
    assert_eq!(sa, sb);
    let fa = all_files(&a.0);
    let fb = all_files(&b.0);
    assert_eq!(fa.len(), fb.len());
    assert!(fa.len() >= 3 + 1 + 11 + 6 * 3);
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!(x.strip_prefix(&a.0).ok(), y.strip_prefix(&b.0).ok());
        assert!(fs::read(x).expect("read") == fs::read(y).expect("read"), "{} differs", x.display());
    }
    let members_a = fs::read(a.0.join("members.csv")).expect("read");
    let members_c = fs::read(c.0.join("members.csv")).expect("read");
    assert_ne!(members_a, members_c);
}

#[test]
fn bad_configurations_are_refused() {
    let d = TempDir::new("bad");
    let mut cfg = config(1, 3);
    cfg.banks = 4;
    assert!(matches!(generate(&cfg, &d.0), Err(GenError::Config(_))));
    let mut cfg = config(1, 3);
    cfg.townships = vec![township("320502001", "外市街道", "姑苏区")];
    assert!(matches!(generate(&cfg, &d.0), Err(GenError::Config(_))));
    let mut cfg = config(1, 3);
    cfg.townships.clear();
    assert!(matches!(generate(&cfg, &d.0), Err(GenError::Config(_))));
}

struct Member {
    household: String,
    counted: bool,
    declared: i64,
    name: String,
}

#[test]
fn a_city_of_400_households_matches_its_ground_truth() {
    let dir = TempDir::new("city");
    let root = &dir.0;
    let cfg = config(42, 400);
    let summary = generate(&cfg, root).expect("generate");
    assert_eq!(summary.households, 400);
    let as_of = as_of();
    let as_of_s = as_of.to_string();
    let six_months_ago = as_of.add_months(-6).to_string();
    let (win_lo, win_hi) = (month_index("2025-11"), month_index("2026-10"));
    let standard = GenParams::default().dibao_standard.0;
    let large = GenParams::default().large_outflow.0;

    // Row counts in the summary match the files.
    for (rel, rows) in &summary.files {
        let t = Table::read(&root.join(rel));
        assert_eq!(t.rows.len() as u64, *rows, "{rel}");
    }

    // Manifest.
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(root.join("manifest.json")).expect("manifest")).expect("json");
    assert_eq!(manifest["seed"], 42);
    assert_eq!(manifest["city"], "3204");
    assert_eq!(manifest["as_of"], "2026-11-27");
    assert_eq!(manifest["households"], 400);
    assert_eq!(manifest["persons"], summary.persons);
    assert_eq!(manifest["params"]["dibao_standard_fen"], 118_000);
    assert_eq!(manifest["params"]["large_outflow_fen"], 5_000_000);
    assert_eq!(manifest["mirrors"].as_array().map(Vec::len), Some(13));
    let banks: Vec<String> = manifest["banks"]
        .as_array()
        .expect("banks")
        .iter()
        .map(|b| b["dir"].as_str().expect("dir").to_string())
        .collect();
    assert_eq!(banks.len(), 6 + 9, "six banks, then the securities firms, insurers, trust and payment institutions");
    assert_eq!(manifest["banks"][0]["name"], "中国工商银行常州分行");
    let codes: Vec<&str> =
        manifest["banks"].as_array().expect("banks").iter().map(|b| b["code"].as_str().expect("code")).collect();
    assert_eq!(&codes[6..], ["S01", "S02", "S03", "I01", "I02", "I03", "T01", "P01", "P02"]);

    // Ground truth and the scenario mix.
    let truth = Table::read(&root.join("ground_truth.csv"));
    let mut gt: BTreeMap<String, (Scenario, i64, i64, i64)> = BTreeMap::new();
    let mut mix: HashMap<Scenario, usize> = HashMap::new();
    for r in &truth.rows {
        let s = Scenario::from_name(truth.get(r, "情形")).expect("known scenario");
        let expected = s.expected();
        assert_eq!(
            (truth.get(r, "预期结论"), truth.get(r, "超出原因"), truth.get(r, "疑点")),
            expected,
            "{}",
            truth.get(r, "户编号")
        );
        // A 支出型 application is an `income_plus_10_pct` household as the mix goes.
        let drawn = if s == Scenario::MedicalSpending { Scenario::IncomePlus10Pct } else { s };
        *mix.entry(drawn).or_default() += 1;
        gt.insert(
            truth.get(r, "户编号").to_string(),
            (
                s,
                truth.get(r, "计入人数").parse().expect("n"),
                truth.get(r, "收入合计").parse().expect("income"),
                truth.get(r, "金融资产合计").parse().expect("assets"),
            ),
        );
    }
    assert_eq!(gt.len(), 400);
    for s in Scenario::ALL {
        let n = mix.get(&s).copied().unwrap_or(0);
        assert!(n >= 12, "{s:?} appears {n} times");
    }
    assert_eq!(mix.get(&Scenario::CleanTypical).copied(), Some(200));

    // Members: IDs valid except exactly one per unresolved_member household.
    let members = Table::read(&root.join("members.csv"));
    assert_eq!(members.rows.len() as u64, summary.persons);
    let mut by_id: HashMap<String, Member> = HashMap::new();
    let mut invalid_per_household: HashMap<String, usize> = HashMap::new();
    let mut counted_per_household: HashMap<String, i64> = HashMap::new();
    let mut id15 = 0;
    let mut dotted = 0;
    let mut ext_b = 0;
    for r in &members.rows {
        let h = members.get(r, "户编号").to_string();
        let name = members.get(r, "姓名").to_string();
        let counted = members.get(r, "是否计入") == "是";
        if counted {
            *counted_per_household.entry(h.clone()).or_default() += 1;
        } else {
            assert!(["服刑", "宗教教职人员"].contains(&members.get(r, "不计入原因")));
        }
        if name.contains('\u{00B7}') {
            dotted += 1;
        }
        if name.chars().any(|c| u32::from(c) > 0xFFFF) {
            ext_b += 1;
        }
        let capacity = members.get(r, "民事行为能力");
        if capacity != "完全" {
            assert_eq!(members.get(r, "监护人序号"), "1");
        }
        if members.get(r, "成员序号") == "1" {
            assert_eq!(members.get(r, "与申请人关系"), "本人");
            assert_eq!(capacity, "完全");
            assert!(counted);
        }
        let raw = members.get(r, "身份证号");
        if raw.len() == 15 {
            id15 += 1;
        }
        match normalize(raw) {
            Some(id) => {
                let declared = fen(members.get(r, "申报月收入"));
                assert!(by_id.insert(id, Member { household: h, counted, declared, name }).is_none(), "duplicate ID");
            }
            None => *invalid_per_household.entry(h).or_default() += 1,
        }
    }
    for (h, (s, n, _, _)) in &gt {
        let invalid = invalid_per_household.get(h).copied().unwrap_or(0);
        assert_eq!(invalid, usize::from(*s == Scenario::UnresolvedMember), "{h} {s:?}");
        assert_eq!(counted_per_household.get(h).copied(), Some(*n), "{h}");
    }
    assert!(id15 > 0, "some members declare a 15-digit ID");
    assert!(dotted > 0, "some names use the middle dot");
    assert!(ext_b > 0, "some names use an Extension B character");

    // 公安 户籍 names and birth data agree with members.csv, byte for byte.
    let hukou = Table::read(&root.join("mirror/gongan_hukou.csv"));
    let mut hukou_ids = HashSet::new();
    for r in &hukou.rows {
        let id = normalize(hukou.get(r, "身份证号")).expect("hukou IDs are valid");
        assert_eq!(hukou.get(r, "出生日期").replace('-', ""), id[6..14]);
        let male = (id.as_bytes()[16] - b'0') % 2 == 1;
        assert_eq!(hukou.get(r, "性别"), if male { "男" } else { "女" });
        if let Some(m) = by_id.get(&id) {
            assert_eq!(hukou.get(r, "姓名"), m.name);
            assert_eq!(hukou.get(r, "户籍状态"), "正常");
        }
        hukou_ids.insert(id);
    }
    for id in by_id.keys() {
        assert!(hukou_ids.contains(id), "every member is in 户籍");
    }
    let deaths = Table::read(&root.join("mirror/gongan_death.csv"));
    assert!(!deaths.rows.is_empty());
    for r in &deaths.rows {
        let id = normalize(deaths.get(r, "身份证号")).expect("valid");
        assert!(!by_id.contains_key(&id), "the dead are never members");
        assert!(hukou_ids.contains(&id));
    }

    // Every mirror ID is valid except one 公积金 or 社保 row per mistyped_id household.
    let mistyped_names: HashSet<&str> = by_id
        .values()
        .filter(|m| gt.get(&m.household).map(|g| g.0) == Some(Scenario::MistypedId))
        .map(|m| m.name.as_str())
        .collect();
    let mut invalid_rows = 0;
    let mut mirror_rows = 0;
    let mut mirror15 = 0;
    for source in [
        "gongan_hukou",
        "gongan_death",
        "renshe_benefit",
        "renshe_contribution",
        "budongchan",
        "cheguan",
        "shichang",
        "gongjijin",
        "shuiwu",
        "canlian",
        "minzheng_rolls",
    ] {
        let t = Table::read(&root.join(format!("mirror/{source}.csv")));
        assert_eq!(t.cols.get("身份证号"), Some(&0));
        assert_eq!(t.cols.get("姓名"), Some(&1));
        for r in &t.rows {
            mirror_rows += 1;
            let raw = t.get(r, "身份证号");
            if raw.len() == 15 {
                mirror15 += 1;
                assert_eq!(&normalize(raw).expect("valid 15")[6..8], "19");
            }
            if normalize(raw).is_none() {
                invalid_rows += 1;
                assert!(source == "renshe_contribution" || source == "gongjijin", "{source}: {raw}");
                assert!(mistyped_names.contains(t.get(r, "姓名")));
            }
        }
    }
    assert_eq!(invalid_rows, mix[&Scenario::MistypedId]);
    let share = mirror15 * 1000 / mirror_rows;
    assert!((10..=60).contains(&share), "15-digit share {share}‰");

    // Independent recomputation of each household's income over 2025-11..2026-10.
    let mut income: HashMap<String, i64> = HashMap::new();
    let shuiwu = Table::read(&root.join("mirror/shuiwu.csv"));
    for r in &shuiwu.rows {
        let Some(m) = normalize(shuiwu.get(r, "身份证号")).and_then(|id| by_id.get(&id)) else {
            continue;
        };
        let month = month_index(shuiwu.get(r, "所属期"));
        assert!(["工资薪金", "经营所得", "劳务报酬"].contains(&shuiwu.get(r, "所得项目")));
        if m.counted && (win_lo..=win_hi).contains(&month) {
            *income.entry(m.household.clone()).or_default() += fen(shuiwu.get(r, "收入额"));
        }
    }
    let benefits = Table::read(&root.join("mirror/renshe_benefit.csv"));
    for r in &benefits.rows {
        let Some(m) = normalize(benefits.get(r, "身份证号")).and_then(|id| by_id.get(&id)) else {
            continue;
        };
        if !m.counted {
            continue;
        }
        let start = month_index(benefits.get(r, "起始月份")).max(win_lo);
        let end = match benefits.get(r, "终止月份") {
            "" => win_hi,
            e => month_index(e).min(win_hi),
        };
        if end >= start {
            *income.entry(m.household.clone()).or_default() += (end - start + 1) * fen(benefits.get(r, "月发放金额"));
        }
    }

    // Independent recomputation of financial assets on as_of, and bank-book invariants.
    let mut assets: HashMap<String, i64> = HashMap::new();
    let mut large_outflow_households: HashSet<String> = HashSet::new();
    let mut old_large_outflows = 0;
    for dir in &banks {
        let accounts = Table::read(&root.join(dir).join("accounts.csv"));
        let mut owner: HashMap<String, (String, i64)> = HashMap::new();
        for r in &accounts.rows {
            let id = normalize(accounts.get(r, "身份证号")).expect("banks know valid IDs");
            assert!(accounts.get(r, "开户日期") <= as_of_s.as_str());
            assert!(
                owner.insert(accounts.get(r, "账号").to_string(), (id, fen(accounts.get(r, "期初余额")))).is_none(),
                "duplicate account number"
            );
        }
        let movements = Table::read(&root.join(dir).join("movements.csv"));
        let mut balance: HashMap<String, i64> = owner.iter().map(|(k, v)| (k.clone(), v.1)).collect();
        let mut last_date: HashMap<String, String> = HashMap::new();
        for r in &movements.rows {
            let acct = movements.get(r, "账号");
            let date = movements.get(r, "交易日期");
            let amount = fen(movements.get(r, "金额"));
            assert!(date <= as_of_s.as_str());
            let prev = last_date.insert(acct.to_string(), date.to_string());
            assert!(prev.as_deref().is_none_or(|p| p <= date), "movements are chronological per account");
            let b = balance.get_mut(acct).expect("movement of a known account");
            *b += amount;
            assert!(*b >= 0, "balance of {acct} went negative on {date}");
            if amount <= -large {
                let (id, _) = &owner[acct];
                let h = by_id.get(id).map(|m| m.household.clone()).expect("a member's account");
                if date >= six_months_ago.as_str() {
                    large_outflow_households.insert(h);
                } else {
                    old_large_outflows += 1;
                }
            }
        }
        for (acct, (id, _)) in &owner {
            if let Some(m) = by_id.get(id)
                && m.counted
            {
                *assets.entry(m.household.clone()).or_default() += balance[acct];
            }
        }
        let products = Table::read(&root.join(dir).join("products.csv"));
        for r in &products.rows {
            assert_eq!(products.get(r, "估值日期"), as_of_s);
            let id = normalize(products.get(r, "身份证号")).expect("valid");
            let m = by_id.get(&id).expect("a member's product");
            if m.counted {
                *assets.entry(m.household.clone()).or_default() += fen(products.get(r, "估值"));
            }
        }
    }
    assert!(old_large_outflows > 0, "some clean households have an old large outflow");

    for (h, (s, n, gt_income, gt_assets)) in &gt {
        let inc = income.get(h).copied().unwrap_or(0);
        let ast = assets.get(h).copied().unwrap_or(0);
        assert_eq!(inc, *gt_income, "{h} {s:?} income");
        assert_eq!(ast, *gt_assets, "{h} {s:?} assets");
        let t_inc = standard * n * 12;
        let t_ast = standard * n * 24;
        match s {
            Scenario::CleanMinus1Fen => {
                assert_eq!(inc, t_inc - 1);
                assert_eq!(ast, t_ast - 1);
            }
            Scenario::IncomePlus1Fen => assert_eq!(inc, t_inc + 1),
            Scenario::IncomePlus10Pct | Scenario::MedicalSpending => assert_eq!(inc, t_inc * 110 / 100),
            Scenario::IncomeEqual => assert_eq!(inc, t_inc),
            Scenario::DepositPlus1Fen => assert_eq!(ast, t_ast + 1),
            Scenario::DepositPlus10Pct => assert_eq!(ast, t_ast * 110 / 100),
            Scenario::DepositEqual => assert_eq!(ast, t_ast),
            _ => {}
        }
        if !matches!(
            s,
            Scenario::IncomePlus1Fen | Scenario::IncomePlus10Pct | Scenario::IncomeEqual | Scenario::MedicalSpending
        ) {
            assert!(inc < t_inc, "{h} {s:?} income {inc} >= {t_inc}");
        }
        if !matches!(s, Scenario::DepositPlus1Fen | Scenario::DepositPlus10Pct) {
            assert!(ast <= t_ast, "{h} {s:?} assets {ast} > {t_ast}");
        }
        assert_eq!(large_outflow_households.contains(h), *s == Scenario::LargeTransfer, "{h} {s:?} large outflow");
    }

    // Contribution bases never exceed declared income, except where the scenario says so.
    let contributions = Table::read(&root.join("mirror/renshe_contribution.csv"));
    let mut raised: HashSet<String> = HashSet::new();
    for r in &contributions.rows {
        assert!(credit_ok(contributions.get(r, "单位统一社会信用代码")));
        let Some(m) = normalize(contributions.get(r, "身份证号")).and_then(|id| by_id.get(&id)) else {
            continue;
        };
        if fen(contributions.get(r, "缴费基数")) > m.declared {
            raised.insert(m.household.clone());
        }
    }
    for (h, (s, _, _, _)) in &gt {
        assert_eq!(raised.contains(h), *s == Scenario::ContributionBase, "{h} {s:?} contribution base");
    }

    // Property: co-owned homes share one certificate; cars and businesses follow the scenarios.
    let homes = Table::read(&root.join("mirror/budongchan.csv"));
    let mut certs: HashMap<&str, Vec<&str>> = HashMap::new();
    for r in &homes.rows {
        certs.entry(homes.get(r, "不动产权证号")).or_default().push(homes.get(r, "共有方式"));
    }
    assert!(certs.values().any(|v| v.len() == 2 && v.iter().all(|w| *w == "共同共有")));
    let household_of = |t: &Table, r: &csv::StringRecord| -> Option<(String, bool)> {
        normalize(t.get(r, "身份证号")).and_then(|id| by_id.get(&id)).map(|m| (m.household.clone(), m.counted))
    };
    let mut homes_per_household: HashMap<String, HashSet<String>> = HashMap::new();
    for r in &homes.rows {
        if let Some((h, true)) = household_of(&homes, r) {
            homes_per_household.entry(h).or_default().insert(homes.get(r, "不动产权证号").to_string());
        }
    }
    let cars = Table::read(&root.join("mirror/cheguan.csv"));
    let mut private_cars: HashSet<String> = HashSet::new();
    for r in &cars.rows {
        if cars.get(r, "机动车状态") == "正常"
            && cars.get(r, "使用性质") == "非营运"
            && let Some((h, true)) = household_of(&cars, r)
        {
            private_cars.insert(h);
        }
    }
    let firms = Table::read(&root.join("mirror/shichang.csv"));
    let mut live_firms: HashSet<String> = HashSet::new();
    for r in &firms.rows {
        assert!(credit_ok(firms.get(r, "统一社会信用代码")), "{}", firms.get(r, "统一社会信用代码"));
        if firms.get(r, "登记状态") == "存续"
            && let Some((h, true)) = household_of(&firms, r)
        {
            live_firms.insert(h);
        }
    }
    for (h, (s, _, _, _)) in &gt {
        let homes = homes_per_household.get(h).map_or(0, HashSet::len);
        assert_eq!(homes >= 2, *s == Scenario::SecondHome, "{h} {s:?} homes");
        assert_eq!(private_cars.contains(h), *s == Scenario::Car, "{h} {s:?} car");
        assert_eq!(live_firms.contains(h), *s == Scenario::Business, "{h} {s:?} business");
    }
}

#[test]
#[ignore = "scale run: cargo test -p hedui-gen --release -- --ignored --nocapture"]
fn scale_100k_persons() {
    // About 2.6 persons per household; HEDUI_GEN_SCALE_HOUSEHOLDS overrides the count.
    let households = std::env::var("HEDUI_GEN_SCALE_HOUSEHOLDS").ok().and_then(|v| v.parse().ok()).unwrap_or(38_500);
    let dir = TempDir::new("scale");
    let cfg = config(2026, households);
    let start = Instant::now();
    let summary = generate(&cfg, &dir.0).expect("generate");
    let secs = start.elapsed().as_secs_f64();
    let rows: u64 = summary.files.iter().map(|(_, n)| n).sum();
    let bytes: u64 = all_files(&dir.0).iter().map(|p| fs::metadata(p).map(|m| m.len()).unwrap_or(0)).sum();
    println!(
        "{} households, {} persons, {} rows, {:.1} MB in {:.2} s: {:.0} persons/s, {:.0} rows/s",
        summary.households,
        summary.persons,
        rows,
        bytes as f64 / 1e6,
        secs,
        summary.persons as f64 / secs,
        rows as f64 / secs
    );
}
