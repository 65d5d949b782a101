//! File exchange: request and response packages for institutions without an online interface.
//!
//! A package is an [`Envelope`] (so: SM4-encrypted, message key sealed to the receiver, SM2
//! signature by the sender) whose body is a [`PackageBody`]: a manifest naming each file with
//! its size and SM3 digest, and the files. A request package carries the persons asked as CSV
//! (UTF-8 with BOM) and XLSX; a response package carries the answers as CSV. Opening checks the
//! signature, decrypts, and checks every file against the manifest, so a package that was
//! altered or cut short anywhere is refused as a whole.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use hedui_core::catalog::{Category, GmProfile, NodeKeys};
use hedui_core::{Date, Fen};
use hedui_crypto::{encode_hex, sm3};

use crate::{Envelope, ExchangeError, Header, Item, NodeSecret, PersonQuery, PersonResult, PersonStatus};

/// Which way a package goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PackageKind {
    Request,
    Response,
}

/// One file named in a manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub size: u64,
    /// SM3 of the file's bytes, hex.
    pub sm3: String,
}

/// What a package holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub kind: PackageKind,
    /// The request this package asks or answers (its transaction id).
    pub transaction_id: String,
    pub query_date: Date,
    pub lookback_months: u32,
    /// Persons asked (request) or answered (response).
    pub persons: u32,
    pub files: Vec<FileEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct PackedFile {
    name: String,
    data: String,
}

/// The decrypted content of a package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageBody {
    pub manifest: Manifest,
    files: Vec<PackedFile>,
}

impl PackageBody {
    /// A body over `files`, with the manifest's entries computed from them.
    pub fn new(mut manifest: Manifest, files: Vec<(String, Vec<u8>)>) -> PackageBody {
        manifest.files = files
            .iter()
            .map(|(name, data)| FileEntry { name: name.clone(), size: data.len() as u64, sm3: encode_hex(&sm3(data)) })
            .collect();
        let files = files.into_iter().map(|(name, data)| PackedFile { name, data: B64.encode(data) }).collect();
        PackageBody { manifest, files }
    }

    /// A file's bytes, checked against the manifest.
    pub fn file(&self, name: &str) -> Result<Vec<u8>, ExchangeError> {
        let entry = self
            .manifest
            .files
            .iter()
            .find(|f| f.name == name)
            .ok_or_else(|| ExchangeError::Format(format!("文件包中缺少 {name}")))?;
        let packed = self
            .files
            .iter()
            .find(|f| f.name == name)
            .ok_or_else(|| ExchangeError::Format(format!("文件包中缺少 {name}")))?;
        let data = B64.decode(&packed.data).map_err(|_| ExchangeError::Format(format!("{name} 编码错误")))?;
        if data.len() as u64 != entry.size || encode_hex(&sm3(&data)) != entry.sm3 {
            return Err(ExchangeError::Format(format!("{name} 与清单中的 SM3 摘要不符")));
        }
        Ok(data)
    }

    fn check(&self) -> Result<(), ExchangeError> {
        if self.files.len() != self.manifest.files.len() {
            return Err(ExchangeError::Format("文件包中的文件与清单不一致".into()));
        }
        for f in &self.manifest.files {
            self.file(&f.name)?;
        }
        Ok(())
    }
}

/// Seals a package from `sender` to `receiver`.
pub fn seal(
    header: Header,
    body: &PackageBody,
    sender: &NodeSecret,
    receiver: &NodeKeys,
    profile: &GmProfile,
) -> Result<Vec<u8>, ExchangeError> {
    let env = Envelope::seal(header, body, sender, receiver, profile)?;
    serde_json::to_vec_pretty(&env).map_err(|e| ExchangeError::Format(e.to_string()))
}

/// Reads a package's header without trusting it (to find out whom it claims to come from).
pub fn peek(bytes: &[u8]) -> Result<Header, ExchangeError> {
    let env: Envelope = serde_json::from_slice(bytes)
        .map_err(|_| ExchangeError::Format("不是完整的数据交换文件包（可能被截断或损坏）".into()))?;
    Ok(env.header)
}

/// Opens a package: signature, decryption, then every file against the manifest.
pub fn open(
    bytes: &[u8],
    sender: &NodeKeys,
    receiver: &NodeSecret,
    receiver_id: &str,
    profile: &GmProfile,
) -> Result<(Header, PackageBody), ExchangeError> {
    let env: Envelope = serde_json::from_slice(bytes)
        .map_err(|_| ExchangeError::Format("不是完整的数据交换文件包（可能被截断或损坏）".into()))?;
    let body: PackageBody = env.open(sender, receiver, receiver_id, profile)?;
    body.check()?;
    Ok((env.header, body))
}

const REQUEST_HEADER: [&str; 5] = ["序号", "姓名", "身份证号", "授权书编号", "委托编号"];
const ANSWER_HEADER: [&str; 10] =
    ["序号", "查询结果", "说明", "数据类别", "标识", "类型", "金额", "数量", "日期", "其他"];

fn csv_bytes(header: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(r);
    }
    let mut out = b"\xEF\xBB\xBF".to_vec();
    out.extend_from_slice(&w.into_inner().unwrap_or_default());
    out
}

/// An XLSX workbook of one sheet: a header row, then every cell as text.
pub fn xlsx_bytes(sheet: &str, header: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, ExchangeError> {
    let err = |e: rust_xlsxwriter::XlsxError| ExchangeError::Format(format!("XLSX 生成失败：{e}"));
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(err)?;
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).map_err(err)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            // Every cell is text: ID and account numbers must not turn into numbers.
            ws.write_string(r as u32 + 1, c as u16, v).map_err(err)?;
        }
    }
    book.save_to_buffer().map_err(err)
}

/// The files of a request package: the persons as CSV and as XLSX.
pub fn request_files(persons: &[PersonQuery]) -> Result<Vec<(String, Vec<u8>)>, ExchangeError> {
    let rows: Vec<Vec<String>> = persons
        .iter()
        .map(|p| {
            vec![
                p.ref_id.clone(),
                p.name.clone(),
                p.id_number.clone(),
                p.authorization_no.clone(),
                p.commission_no.clone(),
            ]
        })
        .collect();
    Ok(vec![
        ("requests.csv".into(), csv_bytes(&REQUEST_HEADER, &rows)),
        ("requests.xlsx".into(), xlsx_bytes("查询名单", &REQUEST_HEADER, &rows)?),
    ])
}

fn records(bytes: &[u8], header: &[&str]) -> Result<Vec<Vec<String>>, ExchangeError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(bytes);
    let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    let got: Vec<String> =
        r.headers().map_err(|e| ExchangeError::Format(e.to_string()))?.iter().map(str::to_string).collect();
    if got != header {
        return Err(ExchangeError::Format(format!("表头应为 {}", header.join(","))));
    }
    r.records()
        .map(|x| x.map(|x| x.iter().map(str::to_string).collect()).map_err(|e| ExchangeError::Format(e.to_string())))
        .collect()
}

/// The persons of a request package's CSV (the institution's side).
pub fn read_requests(bytes: &[u8]) -> Result<Vec<PersonQuery>, ExchangeError> {
    records(bytes, &REQUEST_HEADER)?
        .into_iter()
        .map(|r| match r.as_slice() {
            [ref_id, name, id_number, authorization_no, commission_no] => Ok(PersonQuery {
                ref_id: ref_id.clone(),
                id_number: id_number.clone(),
                name: name.clone(),
                authorization_no: authorization_no.clone(),
                commission_no: commission_no.clone(),
            }),
            _ => Err(ExchangeError::Format("查询名单列数错误".into())),
        })
        .collect()
}

/// The answers as a response package's CSV: one row per item, or one row for a person with
/// nothing found or refused.
pub fn answer_files(results: &[PersonResult]) -> Vec<(String, Vec<u8>)> {
    let mut rows = Vec::new();
    for p in results {
        match &p.status {
            PersonStatus::NoRecord => rows.push(vec![p.ref_id.clone(), "无记录".into(), String::new()]),
            PersonStatus::Refused(reason) => rows.push(vec![p.ref_id.clone(), "拒绝".into(), reason.clone()]),
            PersonStatus::Found => {
                for i in &p.items {
                    let detail = i.detail.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(";");
                    rows.push(vec![
                        p.ref_id.clone(),
                        "有记录".into(),
                        String::new(),
                        i.category.code().into(),
                        i.key.clone(),
                        i.label.clone(),
                        i.amount.to_string(),
                        i.quantity.to_string(),
                        i.on.map(|d| d.to_string()).unwrap_or_default(),
                        detail,
                    ]);
                }
            }
        }
    }
    for r in &mut rows {
        r.resize(ANSWER_HEADER.len(), String::new());
    }
    vec![("answers.csv".into(), csv_bytes(&ANSWER_HEADER, &rows))]
}

/// The answers of a response package's CSV, grouped per person in order of appearance.
pub fn read_answers(bytes: &[u8]) -> Result<Vec<PersonResult>, ExchangeError> {
    let mut out: Vec<PersonResult> = Vec::new();
    for (n, r) in records(bytes, &ANSWER_HEADER)?.into_iter().enumerate() {
        let line = n + 2;
        let bad = |what: &str| ExchangeError::Format(format!("answers.csv 第 {line} 行：{what}"));
        let [ref_id, result, reason, category, key, label, amount, quantity, on, detail] = r.as_slice() else {
            return Err(bad("列数错误"));
        };
        let status = match result.as_str() {
            "有记录" => PersonStatus::Found,
            "无记录" => PersonStatus::NoRecord,
            "拒绝" => PersonStatus::Refused(reason.clone()),
            other => return Err(bad(&format!("查询结果“{other}”无效"))),
        };
        let idx = match out.iter().position(|p| &p.ref_id == ref_id) {
            Some(i) => i,
            None => {
                out.push(PersonResult { ref_id: ref_id.clone(), status: status.clone(), items: Vec::new() });
                out.len() - 1
            }
        };
        if out[idx].status != status {
            return Err(bad("同一序号的查询结果前后不一致"));
        }
        if status == PersonStatus::Found {
            let category = Category::parse(category).ok_or_else(|| bad("数据类别无效"))?;
            let amount = Fen::parse_yuan(amount).map_err(|_| bad("金额无效"))?;
            let quantity = quantity.parse().map_err(|_| bad("数量无效"))?;
            let on = if on.is_empty() { None } else { Some(Date::parse(on).map_err(|_| bad("日期无效"))?) };
            let detail = detail
                .split(';')
                .filter(|s| !s.is_empty())
                .map(|kv| kv.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("其他字段格式错误"))?;
            out[idx].items.push(Item {
                category,
                key: key.clone(),
                label: label.clone(),
                amount,
                quantity,
                on,
                detail,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Action, VERSION};

    fn header(from: &str, to: &str) -> Header {
        Header {
            version: VERSION.into(),
            message_id: "pkg-1".into(),
            message_ts: "2026-11-28T08:00:00Z".into(),
            action: Action::Search,
            sender_id: from.into(),
            receiver_id: to.into(),
            transaction_id: "txn-1".into(),
        }
    }

    fn persons() -> Vec<PersonQuery> {
        vec![PersonQuery {
            ref_id: "7".into(),
            id_number: "320402199001011234".into(),
            name: "王·五".into(),
            authorization_no: "SQ-1".into(),
            commission_no: "WT-1".into(),
        }]
    }

    fn manifest(kind: PackageKind) -> Manifest {
        Manifest {
            kind,
            transaction_id: "txn-1".into(),
            query_date: Date::parse("2026-11-27").unwrap(),
            lookback_months: 6,
            persons: 1,
            files: Vec::new(),
        }
    }

    #[test]
    fn a_request_package_round_trips_and_carries_csv_and_xlsx() {
        let hedui = NodeSecret::derive(b"t", "hedui");
        let bank = NodeSecret::derive(b"t", "bank_p");
        let body = PackageBody::new(manifest(PackageKind::Request), request_files(&persons()).unwrap());
        let p = GmProfile::default();
        let bytes = seal(header("hedui", "bank_p"), &body, &hedui, &bank.public(), &p).unwrap();
        let (h, got) = open(&bytes, &hedui.public(), &bank, "bank_p", &p).unwrap();
        assert_eq!(h.transaction_id, "txn-1");
        assert_eq!(read_requests(&got.file("requests.csv").unwrap()).unwrap(), persons());
        let xlsx = got.file("requests.xlsx").unwrap();
        assert_eq!(&xlsx[..2], b"PK", "an XLSX is a zip");
    }

    #[test]
    fn answers_round_trip_through_csv() {
        let results = vec![
            PersonResult {
                ref_id: "7".into(),
                status: PersonStatus::Found,
                items: vec![Item {
                    category: hedui_core::catalog::known::MOVEMENT,
                    key: "622".into(),
                    label: "转账, 支出".into(),
                    amount: Fen(-123_456),
                    quantity: 0,
                    on: Date::parse("2026-08-01").ok(),
                    detail: vec![("对方户名".into(), "张三".into())],
                }],
            },
            PersonResult { ref_id: "8".into(), status: PersonStatus::NoRecord, items: vec![] },
            PersonResult {
                ref_id: "9".into(), status: PersonStatus::Refused("缺少授权书编号".into()), items: vec![]
            },
        ];
        let files = answer_files(&results);
        assert_eq!(read_answers(&files[0].1).unwrap(), results);
    }
}
