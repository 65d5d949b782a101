//! The `hedui` binary's library: opening the store, building the app, the
//! generated-city pipeline and the `id check` tool. `main.rs` only parses the
//! command line and calls these.

pub mod city;
pub mod config;
mod config_sections;
pub mod exchange;
pub mod idcheck;
pub mod keys;

pub use config_sections::installed_seal;

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};

use hedui_app::{App, Clock};
use hedui_connect::FinancialSource;
use hedui_crypto::KeyProvider;
use hedui_identity::Identity;
use hedui_store::Store;

/// Opens a store from a URL: `postgres://…` for PostgreSQL, anything else is a SQLite file path
/// (an optional `sqlite:` prefix is accepted). Migrations are applied.
pub fn open_store(url: &str) -> Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(hedui_store_postgres::open(url).context("连接 PostgreSQL")?)
    } else {
        let path = url.strip_prefix("sqlite:").unwrap_or(url);
        if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("创建目录 {}", dir.display()))?;
        }
        Arc::new(hedui_store_sqlite::open(Path::new(path)).with_context(|| format!("打开 SQLite 数据库 {path}"))?)
    };
    store.migrate().context("数据库迁移")?;
    Ok(store)
}

/// The node whose key signs reports (常州市 in the demo).
pub const REPORT_NODE: &str = "hedui-320400";
/// The organization reports name as their issuer (出具单位) unless the configuration names one.
pub const DEFAULT_ORGANIZATION: &str = "居民家庭经济状况核对中心";

/// Where a node's reference data comes from: each file, or the embedded demo data when absent.
#[derive(Clone, Copy, Debug, Default)]
pub struct Reference<'a> {
    /// Policy documents (`policy.dir`).
    pub policy_dir: Option<&'a Path>,
    /// The source catalog (`exchange.catalog`): the one registry of sources and data categories.
    pub catalog: Option<&'a Path>,
    /// How department snapshots' columns become records (`exchange.mappings`).
    pub mappings: Option<&'a Path>,
    /// Where the audit chain's checkpoints are appended (`audit.checkpoint_file`).
    pub checkpoint_file: Option<&'a Path>,
    /// Also send checkpoints to syslog (`audit.checkpoint_syslog`).
    pub checkpoint_syslog: bool,
}

/// Builds the application over a store, keys, banks and a clock, with the embedded reference data
/// (policy from `policy_dir` when given).
pub fn build_app(
    store: Arc<dyn Store>,
    keys: Arc<dyn KeyProvider>,
    banks: Vec<Arc<dyn FinancialSource>>,
    clock: Arc<dyn Clock>,
    policy_dir: Option<&Path>,
) -> Result<App> {
    build_app_from(store, keys, banks, clock, &Reference { policy_dir, ..Reference::default() })
}

/// Reads a mappings file, or the embedded mappings.
pub fn mappings(path: Option<&Path>) -> Result<hedui_import::mapping::Mappings> {
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("读取字段映射配置 {}", p.display()))?;
            hedui_import::mapping::Mappings::parse(&text).map_err(|e| anyhow::anyhow!("{}：{e}", p.display()))
        }
        None => Ok(hedui_import::mapping::Mappings::builtin().clone()),
    }
}

/// Builds the application with the reference data `refs` names.
pub fn build_app_from(
    store: Arc<dyn Store>,
    keys: Arc<dyn KeyProvider>,
    banks: Vec<Arc<dyn FinancialSource>>,
    clock: Arc<dyn Clock>,
    refs: &Reference<'_>,
) -> Result<App> {
    let mut app = App {
        store,
        signer: hedui_app::reports::sign::ReportSigner::derive(keys.as_ref(), REPORT_NODE),
        identity: Identity::new(keys.clone()),
        regions: Arc::new(hedui_app::data::regions(None)?),
        policies: hedui_app::policy::Policies::open(refs.policy_dir)?,
        clock,
        catalog: Arc::new(exchange::catalog(refs.catalog, None)?),
        mappings: Arc::new(mappings(refs.mappings)?),
        exchange: None,
        callback_url: None,
        login_policy: Default::default(),
        alert_policy: Default::default(),
        admin_networks: Vec::new(),
        require_second_factor: false,
        review: false,
        organization: DEFAULT_ORGANIZATION.into(),
        seal: Default::default(),
        checkpoint_export: hedui_app::admin::chain::CheckpointExport {
            file: refs.checkpoint_file.map(Path::to_path_buf),
            syslog: refs.checkpoint_syslog,
        },
    };
    // Every audit row from here on is chained under the node's key.
    app.store.set_audit_mac(Arc::new(hedui_app::admin::chain::ChainKeys::new(keys.clone())));
    app.mappings.check(&app.catalog).map_err(|e| anyhow::anyhow!("字段映射配置与数据源目录不符：{e}"))?;
    // The key must be the database's before anything is read or sealed; values of the first
    // release are then bound to their rows once.
    app.bind_key()?;
    // Retired key epochs' index keys: the audit MACs, password verifiers and row digests made
    // under them.
    app.load_retained_keys()?;
    // The node signs with its own generated key (made at the first start).
    app.load_signing_keys(REPORT_NODE)?;
    // A key file with a newer epoch beside the database's starts a rotation.
    if let Some(from) = app.start_pending_rotation()? {
        tracing::warn!(
            from,
            to = app.identity.keys().epoch(),
            "主密钥轮换已开始：请运行 hedui key rotate 完成重新加密"
        );
    }
    app.policies.audit_to(app.store.clone(), app.clock.clone());
    let up = app.upgrade_sealed().context("将密文绑定到所在行（迁移）")?;
    if up.values > 0 {
        tracing::warn!(values = up.values, reports = up.reports_signed, "旧格式密文已重新加密并绑定到所在行");
    }
    let recoded = app.recode_records().context("为早期记录补充数据类别和代码（迁移）")?;
    if recoded > 0 {
        tracing::warn!(records = recoded, "早期记录已按数据类别和代码表重新编码");
    }
    if !banks.is_empty() {
        // Institutions read in process take the same path as online ones.
        exchange::attach_in_process(&mut app, &banks)?;
    }
    let added = app.backfill_caseload().context("为政策模拟补录案件测算输入（迁移）")?;
    if added > 0 {
        tracing::warn!(households = added, "早期报告的测算输入已补录到政策模拟用的案件库");
    }
    Ok(app)
}
