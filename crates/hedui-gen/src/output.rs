//! Buffered CSV writers for every file of the city, and the text forms of amounts.
//!
//! Each file is opened once and written row by row as households are generated, so the
//! city never sits in memory.

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use hedui_core::Fen;

use crate::GenError;
use crate::bank::BankInfo;

/// Yuan with exactly two decimals and no grouping (`-1234.56`), from integer fen.
pub(crate) fn yuan(f: Fen) -> String {
    let sign = if f.0 < 0 { "-" } else { "" };
    let abs = f.0.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A number of hundredths (square metres of floor area) with two decimals.
pub(crate) fn hundredths(v: i64) -> String {
    yuan(Fen(v))
}

/// One department snapshot file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    GonganHukou,
    GonganDeath,
    RensheBenefit,
    RensheContribution,
    Budongchan,
    Cheguan,
    Shichang,
    Gongjijin,
    Shuiwu,
    Canlian,
    MinzhengRolls,
    ShichangNianbao,
    RensheDanwei,
}

/// Source name and columns after `身份证号,姓名`, in the order of [`Source`].
pub(crate) const SOURCES: [(&str, &[&str]); 13] = [
    ("gongan_hukou", &["性别", "出生日期", "户号", "与户主关系", "户籍区划", "户籍状态"]),
    ("gongan_death", &["死亡日期", "注销日期"]),
    ("renshe_benefit", &["待遇类型", "月发放金额", "起始月份", "终止月份"]),
    ("renshe_contribution", &["单位统一社会信用代码", "单位名称", "缴费基数", "起始月份", "终止月份"]),
    ("budongchan", &["不动产权证号", "坐落", "建筑面积", "用途", "登记日期", "共有方式"]),
    ("cheguan", &["号牌号码", "车辆类型", "品牌型号", "初次登记日期", "机动车状态", "使用性质"]),
    ("shichang", &["统一社会信用代码", "主体名称", "主体类型", "角色", "注册资本", "登记状态", "成立日期"]),
    ("gongjijin", &["缴存基数", "月缴存额", "账户余额", "账户状态"]),
    ("shuiwu", &["所属期", "所得项目", "收入额", "扣缴义务人"]),
    ("canlian", &["残疾人证号", "残疾类别", "残疾等级", "发证日期"]),
    ("minzheng_rolls", &["救助类型", "区划", "起始日期", "月救助金额"]),
    ("shichang_nianbao", &["统一社会信用代码", "主体名称", "年度", "从业人数"]),
    ("renshe_danwei", &["统一社会信用代码", "单位名称", "参保职工人数", "截至月份"]),
];

/// One CSV file being written.
pub(crate) struct Sink {
    rel: String,
    path: PathBuf,
    w: csv::Writer<BufWriter<File>>,
    rows: u64,
}

impl Sink {
    fn create(root: &Path, rel: &str, header: &[&str]) -> Result<Sink, GenError> {
        let path = root.join(rel);
        let file = File::create(&path).map_err(|source| GenError::Io { path: path.clone(), source })?;
        let w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(BufWriter::with_capacity(1 << 17, file));
        let mut sink = Sink { rel: rel.to_string(), path, w, rows: 0 };
        sink.write(header)?;
        sink.rows = 0;
        Ok(sink)
    }

    fn write<I, T>(&mut self, record: I) -> Result<(), GenError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.w.write_record(record).map_err(|source| GenError::Csv { path: self.path.clone(), source })?;
        self.rows += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<(String, u64), GenError> {
        self.w.flush().map_err(|source| GenError::Io { path: self.path.clone(), source })?;
        Ok((self.rel, self.rows))
    }
}

/// The three books of one bank.
pub(crate) struct BankSinks {
    pub(crate) accounts: Sink,
    pub(crate) movements: Sink,
    pub(crate) products: Sink,
}

/// Departments that answer queries item by item from their own records (online, never
/// mirrored): code, name and the category of their items.
pub(crate) const ITEM_DEPARTMENTS: [(&str, &str); 2] = [("yibao", "医疗保障局"), ("jiaoyu", "教育局")];

/// Which of [`ITEM_DEPARTMENTS`] a row goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemSource {
    /// 医保: medical bills with the out-of-pocket share.
    Yibao,
    /// 教育: students and their fees.
    Jiaoyu,
}

/// Every output file of the city.
pub(crate) struct Sinks {
    pub(crate) applications: Sink,
    pub(crate) members: Sink,
    pub(crate) truth: Sink,
    mirrors: Vec<Sink>,
    pub(crate) banks: Vec<BankSinks>,
    items: Vec<Sink>,
}

fn mkdir(path: &Path) -> Result<(), GenError> {
    fs::create_dir_all(path).map_err(|source| GenError::Io { path: path.to_path_buf(), source })
}

impl Sinks {
    /// Creates the directory layout and opens every file with its header row.
    pub(crate) fn create(root: &Path, banks: &[BankInfo]) -> Result<Sinks, GenError> {
        mkdir(&root.join("mirror"))?;
        let applications = Sink::create(
            root,
            "applications.csv",
            &["户编号", "户籍区划", "地址", "申请项目", "申请日期", "申报月收入", "申报金融资产"],
        )?;
        let members = Sink::create(
            root,
            "members.csv",
            &[
                "户编号",
                "成员序号",
                "姓名",
                "身份证号",
                "与申请人关系",
                "是否计入",
                "不计入原因",
                "民事行为能力",
                "监护人序号",
                "申报月收入",
            ],
        )?;
        let truth = Sink::create(
            root,
            "ground_truth.csv",
            &["户编号", "预期结论", "超出原因", "疑点", "情形", "计入人数", "收入合计", "金融资产合计"],
        )?;
        let mut mirrors = Vec::with_capacity(SOURCES.len());
        for (name, cols) in SOURCES {
            let mut header = vec!["身份证号", "姓名"];
            header.extend_from_slice(cols);
            mirrors.push(Sink::create(root, &format!("mirror/{name}.csv"), &header)?);
        }
        let mut bank_sinks = Vec::with_capacity(banks.len());
        for b in banks {
            mkdir(&root.join("banks").join(b.code))?;
            bank_sinks.push(BankSinks {
                accounts: Sink::create(
                    root,
                    &format!("banks/{}/accounts.csv", b.code),
                    &["身份证号", "姓名", "账号", "账户类型", "开户日期", "期初余额"],
                )?,
                movements: Sink::create(
                    root,
                    &format!("banks/{}/movements.csv", b.code),
                    &["账号", "交易日期", "金额", "对方户名", "摘要"],
                )?,
                products: Sink::create(
                    root,
                    &format!("banks/{}/products.csv", b.code),
                    &["身份证号", "姓名", "产品类型", "产品名称", "估值", "估值日期"],
                )?,
            });
        }
        let mut items = Vec::with_capacity(ITEM_DEPARTMENTS.len());
        for (code, _) in ITEM_DEPARTMENTS {
            mkdir(&root.join("departments").join(code))?;
            items.push(Sink::create(
                root,
                &format!("departments/{code}/items.csv"),
                &["身份证号", "姓名", "类别", "编号", "名称", "金额", "数量", "日期", "明细"],
            )?);
        }
        Ok(Sinks { applications, members, truth, mirrors, banks: bank_sinks, items })
    }

    /// Writes one item of a department that answers queries.
    pub(crate) fn item<I, T>(&mut self, source: ItemSource, record: I) -> Result<(), GenError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.items[source as usize].write(record)
    }

    /// Writes one row of a department snapshot.
    pub(crate) fn mirror<I, T>(&mut self, source: Source, record: I) -> Result<(), GenError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.mirrors[source as usize].write(record)
    }

    /// Flushes every file and returns `(relative path, data rows)` in a fixed order.
    pub(crate) fn finish(self) -> Result<Vec<(String, u64)>, GenError> {
        let mut out = vec![self.applications.finish()?, self.members.finish()?, self.truth.finish()?];
        for m in self.mirrors {
            out.push(m.finish()?);
        }
        for b in self.banks {
            out.push(b.accounts.finish()?);
            out.push(b.movements.finish()?);
            out.push(b.products.finish()?);
        }
        for i in self.items {
            out.push(i.finish()?);
        }
        Ok(out)
    }
}

impl Sink {
    /// Writes one data row.
    pub(crate) fn row<I, T>(&mut self, record: I) -> Result<(), GenError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.write(record)
    }
}

#[cfg(test)]
// A failed expectation in a test is the failure report itself.
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn yuan_has_two_decimals_and_no_grouping() {
        assert_eq!(yuan(Fen(123_456_789)), "1234567.89");
        assert_eq!(yuan(Fen(-5)), "-0.05");
        assert_eq!(yuan(Fen(0)), "0.00");
        assert_eq!(yuan(Fen(100)), "1.00");
        assert_eq!(yuan(Fen(i64::MIN + 1)), "-92233720368547758.07");
        for v in [0i64, 1, 99, 100, 12_345, -12_345, 5_000_000] {
            assert_eq!(Fen::parse_yuan(&yuan(Fen(v))), Ok(Fen(v)));
        }
    }
}
