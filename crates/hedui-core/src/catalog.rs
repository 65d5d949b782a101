//! The source catalog: every department and financial institution hedui asks, how, and under
//! which authorization.
//!
//! A catalog is data (`data/sources/*.json`), not code: a city adds a bank or moves a
//! department from file exchange to an online interface by editing it. For each source it
//! names the data categories it supplies, its channel (a mirror of snapshots, online
//! requests, or exchanged files), its deadline, the authorization scope a query needs, and
//! for online and file exchange its endpoint, its published SM2 keys and the 国密 details its
//! implementation uses. [`Catalog::parse`] checks all of it and says what is wrong in terms
//! a configurer can act on.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::authorization::Scope;

/// What kind of body a source is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A government department (公安, 人社, 不动产 …).
    Department,
    /// 人民银行账户信息查询: which institutions hold accounts for a person.
    AccountService,
    Bank,
    Securities,
    Insurer,
    Trust,
    /// A payment institution holding 互联网金融资产.
    PaymentInstitution,
}

impl SourceKind {
    pub fn name_zh(self) -> &'static str {
        match self {
            SourceKind::Department => "政府部门",
            SourceKind::AccountService => "人民银行账户信息服务",
            SourceKind::Bank => "银行",
            SourceKind::Securities => "证券公司",
            SourceKind::Insurer => "保险公司",
            SourceKind::Trust => "信托公司",
            SourceKind::PaymentInstitution => "支付机构",
        }
    }

    /// Financial institutions answer per authorized query and are never mirrored.
    pub fn is_financial(self) -> bool {
        self != SourceKind::Department
    }
}

/// How data from a source reaches hedui.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The department delivers dated snapshots that hedui imports.
    Mirror,
    /// hedui sends signed, encrypted requests over HTTP and gets answers back.
    Online,
    /// hedui exports request packages and imports response packages (专线 or physical media).
    File,
    /// The institution's books, read on this node (a node without a configured exchange, the
    /// tests): asked query by query along the same path as an online source, answered at once.
    Books,
}

impl Channel {
    pub fn name_zh(self) -> &'static str {
        match self {
            Channel::Mirror => "数据镜像",
            Channel::Online => "在线接口",
            Channel::File => "文件交换",
            Channel::Books => "本机账册",
        }
    }

    /// Whether hedui asks the source request by request (online, or books read here).
    pub fn asks(self) -> bool {
        matches!(self, Channel::Online | Channel::Books)
    }
}

pub use crate::category::{Category, CategoryDef, Sensitivity, known};

/// How long a source has to answer a job's queries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sla {
    /// Online sources: hours.
    Hours(u32),
    /// File exchange and mirrors: working days (the calendar's, with holidays and 调休).
    WorkingDays(u32),
}

impl Sla {
    pub fn describe_zh(self) -> String {
        match self {
            Sla::Hours(h) => format!("{h} 小时"),
            Sla::WorkingDays(d) => format!("{d} 个工作日"),
        }
    }
}

/// How an SM2 signature is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignatureEncoding {
    /// ASN.1 DER `SEQUENCE { r INTEGER, s INTEGER }` (GM/T 0009).
    Der,
    /// r ‖ s, 32 bytes each.
    Raw,
}

/// The order of the parts of an SM2 ciphertext.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CipherOrder {
    /// C1 ‖ C3 ‖ C2: GM/T 0003-2012 and GB/T 32918.4-2016.
    C1c3c2,
    /// C1 ‖ C2 ‖ C3: the 2010 draft, still used by some systems.
    C1c2c3,
}

/// The SM4 mode of a message body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sm4Mode {
    /// SM4-GCM (RFC 8998): confidentiality and integrity in one.
    Gcm,
    /// SM4-CBC with PKCS#7 padding and an HMAC-SM3 over IV and ciphertext (encrypt-then-MAC).
    Cbc,
}

/// The 国密 details where real implementations differ; pinned per source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GmProfile {
    /// The SM2 distinguishing identifier (user ID) that enters Z_A.
    pub user_id: String,
    pub signature: SignatureEncoding,
    pub cipher_order: CipherOrder,
    pub sm4_mode: Sm4Mode,
}

impl Default for GmProfile {
    fn default() -> Self {
        GmProfile {
            user_id: "1234567812345678".into(),
            signature: SignatureEncoding::Der,
            cipher_order: CipherOrder::C1c3c2,
            sm4_mode: Sm4Mode::Gcm,
        }
    }
}

/// A node's published SM2 public keys (uncompressed SEC1, hex).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NodeKeys {
    pub key_id: String,
    /// Verifies the node's signatures.
    pub sign: String,
    /// Encrypts the message keys sent to the node.
    pub encrypt: String,
}

/// One source, with the catalog's defaults applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Source {
    pub code: String,
    pub name: String,
    pub institution: String,
    pub kind: SourceKind,
    /// The department (or, for financial institutions, the sector) that runs it.
    pub department: String,
    pub scope: Scope,
    pub channel: Channel,
    pub categories: Vec<Category>,
    pub sla: Sla,
    /// Online: the base URL of the source's interface (relative to the catalog's `base_url` when
    /// it does not start with `http`). File: the institution's drop point, for information.
    pub endpoint: Option<String>,
    pub keys: Option<NodeKeys>,
    pub gm: GmProfile,
    /// Persons per request (a DCI search request carries a list).
    pub batch_size: u32,
    /// Each request's own deadline.
    pub request_timeout_ms: u64,
    /// Tries per request, the first included.
    pub max_attempts: u32,
    /// What the means test does with the facts this source supplies when it did not answer.
    pub on_missing: OnMissing,
}

/// What a source's silence means for the facts it supplies (the catalog declares it per source).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnMissing {
    /// The facts are unknown: tests that need them stay open (待核实).
    #[default]
    Unknown,
    /// The facts last received from the source stand, marked as such in the trace.
    LastKnown,
    /// A rule that needs the facts cannot be evaluated: the decision is an error.
    Fail,
}

impl Source {
    pub fn supplies(&self, c: &Category) -> bool {
        self.categories.contains(c)
    }
}

/// This hedui node: who signs its requests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NodeInfo {
    pub id: String,
    pub name: String,
}

/// A checked catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Catalog {
    pub node: NodeInfo,
    /// Where relative endpoints live (the simulator's address in the demo).
    pub base_url: Option<String>,
    /// Every data category a source of this catalog may supply.
    pub categories: Vec<CategoryDef>,
    pub sources: Vec<Source>,
}

/// What is wrong with a catalog file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("数据源目录不是有效的 JSON：{0}")]
    Json(String),
    #[error("数据源目录中编码“{0}”重复")]
    Duplicate(String),
    #[error("数据源“{0}”没有列出数据类别")]
    NoCategories(String),
    #[error("数据源“{code}”是{kind}，不能提供“{category}”")]
    CategoryKind { code: String, kind: &'static str, category: String },
    #[error("数据源“{code}”提供的数据类别“{category}”未在目录的 categories 中定义")]
    UnknownCategory { code: String, category: String },
    #[error("数据类别编码“{0}”无效：只能由小写字母、数字和下划线组成，最长 64 个字符")]
    BadCategoryCode(String),
    #[error("数据类别“{0}”重复定义")]
    DuplicateCategory(String),
    #[error("数据类别“{category}”的代码表“{field}”为空或含空的代码、名称")]
    BadCodeList { category: String, field: String },
    #[error("金融机构“{0}”只能按授权逐次查询，不能以数据镜像方式接入")]
    FinancialMirror(String),
    #[error("数据源“{0}”采用{1}，必须配置 endpoint")]
    NoEndpoint(String, &'static str),
    #[error("数据源“{0}”采用{1}，必须配置 SM2 公钥（keys.sign 与 keys.encrypt）")]
    NoKeys(String, &'static str),
    #[error("数据源“{code}”的公钥“{field}”不是 65 字节未压缩 SM2 公钥的十六进制（以 04 开头）")]
    BadKey { code: String, field: &'static str },
    #[error("数据源“{code}”的 {field} 取值 {value} 超出范围 {range}")]
    OutOfRange { code: String, field: &'static str, value: u64, range: &'static str },
    #[error("数据源“{0}”的 SM2 用户标识为空或超过 8191 字节")]
    BadUserId(String),
    #[error("数据源“{0}”的授权范围是“{1}”，金融机构须为“银行、证券、保险等金融机构”")]
    FinancialScope(String, &'static str),
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    #[serde(default)]
    gm: Option<GmProfile>,
    batch_size: Option<u32>,
    request_timeout_ms: Option<u64>,
    max_attempts: Option<u32>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RawSource {
    code: String,
    name: String,
    institution: String,
    kind: SourceKind,
    department: String,
    scope: Scope,
    channel: Channel,
    categories: Vec<Category>,
    sla: Sla,
    #[serde(default)]
    endpoint: Option<String>,
    #[serde(default)]
    keys: Option<NodeKeys>,
    #[serde(default)]
    gm: Option<GmProfile>,
    batch_size: Option<u32>,
    request_timeout_ms: Option<u64>,
    max_attempts: Option<u32>,
    #[serde(default)]
    on_missing: OnMissing,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    node: NodeInfo,
    #[serde(default)]
    base_url: Option<String>,
    defaults: Option<RawDefaults>,
    #[serde(default)]
    categories: Vec<CategoryDef>,
    sources: Vec<RawSource>,
}

fn check_key(code: &str, field: &'static str, hex: &str) -> Result<(), CatalogError> {
    let ok = hex.len() == 130 && hex.starts_with("04") && hex.bytes().all(|b| b.is_ascii_hexdigit());
    if ok { Ok(()) } else { Err(CatalogError::BadKey { code: code.into(), field }) }
}

fn in_range(
    code: &str,
    field: &'static str,
    value: u64,
    lo: u64,
    hi: u64,
    range: &'static str,
) -> Result<(), CatalogError> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(CatalogError::OutOfRange { code: code.into(), field, value, range })
    }
}

impl Catalog {
    /// Parses and checks a catalog file.
    pub fn parse(json: &str) -> Result<Catalog, CatalogError> {
        let raw: RawCatalog = serde_json::from_str(json).map_err(|e| CatalogError::Json(e.to_string()))?;
        let d = raw.defaults.unwrap_or(RawDefaults {
            gm: None,
            batch_size: None,
            request_timeout_ms: None,
            max_attempts: None,
        });
        let mut defined = BTreeSet::new();
        for c in &raw.categories {
            if Category::parse(c.code.code()).is_none() {
                return Err(CatalogError::BadCategoryCode(c.code.to_string()));
            }
            if !defined.insert(c.code.clone()) {
                return Err(CatalogError::DuplicateCategory(c.code.to_string()));
            }
            for (field, list) in &c.codes {
                if list.is_empty() || list.iter().any(|(k, v)| k.trim().is_empty() || v.trim().is_empty()) {
                    return Err(CatalogError::BadCodeList { category: c.code.to_string(), field: field.clone() });
                }
            }
        }
        let def = |c: &Category| raw.categories.iter().find(|d| &d.code == c);
        let mut seen = BTreeSet::new();
        let mut sources = Vec::with_capacity(raw.sources.len());
        for r in raw.sources {
            if !seen.insert(r.code.clone()) {
                return Err(CatalogError::Duplicate(r.code));
            }
            if r.categories.is_empty() {
                return Err(CatalogError::NoCategories(r.code));
            }
            if let Some(c) = r.categories.iter().find(|c| def(c).is_none()) {
                return Err(CatalogError::UnknownCategory { code: r.code, category: c.to_string() });
            }
            let financial = r.kind.is_financial();
            if let Some(d) = r.categories.iter().filter_map(def).find(|d| d.financial != financial) {
                return Err(CatalogError::CategoryKind {
                    code: r.code,
                    kind: r.kind.name_zh(),
                    category: d.name.clone(),
                });
            }
            if financial && r.channel == Channel::Mirror {
                return Err(CatalogError::FinancialMirror(r.code));
            }
            if financial && r.scope != Scope::Financial {
                return Err(CatalogError::FinancialScope(r.code, r.scope.name_zh()));
            }
            if r.channel != Channel::Mirror {
                if r.endpoint.as_deref().is_none_or(|e| e.trim().is_empty()) {
                    return Err(CatalogError::NoEndpoint(r.code, r.channel.name_zh()));
                }
                let Some(k) = &r.keys else { return Err(CatalogError::NoKeys(r.code, r.channel.name_zh())) };
                check_key(&r.code, "keys.sign", &k.sign)?;
                check_key(&r.code, "keys.encrypt", &k.encrypt)?;
            }
            let gm = r.gm.or_else(|| d.gm.clone()).unwrap_or_default();
            if gm.user_id.is_empty() || gm.user_id.len() > 8191 {
                return Err(CatalogError::BadUserId(r.code));
            }
            let batch_size = r.batch_size.or(d.batch_size).unwrap_or(100);
            in_range(&r.code, "batch_size", batch_size.into(), 1, 1000, "1–1000")?;
            let request_timeout_ms = r.request_timeout_ms.or(d.request_timeout_ms).unwrap_or(30_000);
            in_range(&r.code, "request_timeout_ms", request_timeout_ms, 100, 600_000, "100–600000")?;
            let max_attempts = r.max_attempts.or(d.max_attempts).unwrap_or(4);
            in_range(&r.code, "max_attempts", max_attempts.into(), 1, 20, "1–20")?;
            let sla_value = match r.sla {
                Sla::Hours(h) => u64::from(h),
                Sla::WorkingDays(w) => u64::from(w),
            };
            in_range(&r.code, "sla", sla_value, 1, 720, "1–720")?;
            sources.push(Source {
                code: r.code,
                name: r.name,
                institution: r.institution,
                kind: r.kind,
                department: r.department,
                scope: r.scope,
                channel: r.channel,
                categories: r.categories,
                sla: r.sla,
                endpoint: r.endpoint,
                keys: r.keys,
                gm,
                batch_size,
                request_timeout_ms,
                max_attempts,
                on_missing: r.on_missing,
            });
        }
        Ok(Catalog { node: raw.node, base_url: raw.base_url, categories: raw.categories, sources })
    }

    pub fn get(&self, code: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.code == code)
    }

    /// Sources of one channel, in catalog order.
    pub fn by_channel(&self, channel: Channel) -> impl Iterator<Item = &Source> {
        self.sources.iter().filter(move |s| s.channel == channel)
    }

    /// Every category some source supplies.
    pub fn supplied(&self) -> BTreeSet<Category> {
        self.sources.iter().flat_map(|s| s.categories.iter().cloned()).collect()
    }

    /// A category's definition.
    pub fn category(&self, c: &Category) -> Option<&CategoryDef> {
        self.categories.iter().find(|d| &d.code == c)
    }

    /// A category's name, or its code when the catalog does not define it.
    pub fn category_name(&self, c: &Category) -> String {
        self.category(c).map_or_else(|| c.to_string(), |d| d.name.clone())
    }

    /// The sources that supply `c`.
    pub fn suppliers<'a>(&'a self, c: &'a Category) -> impl Iterator<Item = &'a Source> + 'a {
        self.sources.iter().filter(move |s| s.supplies(c))
    }

    /// Distinct departments among department sources.
    pub fn departments(&self) -> BTreeSet<&str> {
        self.sources.iter().filter(|s| s.kind == SourceKind::Department).map(|s| s.department.as_str()).collect()
    }

    /// The full URL of an online or file source's endpoint.
    pub fn endpoint_url(&self, s: &Source) -> Option<String> {
        let e = s.endpoint.as_deref()?;
        if e.starts_with("http://") || e.starts_with("https://") {
            return Some(e.to_string());
        }
        let base = self.base_url.as_deref()?.trim_end_matches('/');
        Some(format!("{base}/{}", e.trim_start_matches('/')))
    }
}
