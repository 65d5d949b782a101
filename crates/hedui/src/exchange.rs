//! Wiring the online exchange: the catalog, hedui's own node keys, and the simulator for the
//! demo and the tests.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};

use hedui_app::App;
use hedui_app::collect::ExchangeSetup;
use hedui_connect::FinancialSource;
use hedui_connect::institutions::InProcess;
use hedui_connect::online::OnlineClient;
use hedui_core::catalog::{Catalog, Channel, NodeKeys, Source, SourceKind};
use hedui_exchange::NodeSecret;
use hedui_sim::{Faults, Simulator};

/// The demo city's catalog, carried by the binary.
pub const DEMO_CATALOG: &str = hedui_app::data::CATALOG_3204;

/// Reads a catalog file (or the embedded demo catalog), with relative endpoints under `base_url`.
pub fn catalog(path: Option<&Path>, base_url: Option<&str>) -> Result<Catalog> {
    let text = match path {
        Some(p) => std::fs::read_to_string(p).with_context(|| format!("读取数据源目录 {}", p.display()))?,
        None => DEMO_CATALOG.to_string(),
    };
    let mut c = Catalog::parse(&text).map_err(|e| anyhow!("{e}"))?;
    if let Some(b) = base_url {
        c.base_url = Some(b.to_string());
    }
    Ok(c)
}

/// The exchange's tunables (`[exchange]` in the configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuning {
    /// A collection gives up on sources that have not answered after this long.
    pub collect_within: Duration,
    /// Requests in flight at once, over all sources.
    pub concurrency: usize,
    /// How often an accepted (asynchronous) request is asked for its state.
    pub poll_every: Duration,
    /// Threads of the runtime that carries requests.
    pub runtime_threads: usize,
}

impl Default for Tuning {
    fn default() -> Tuning {
        crate::config::Config::default().exchange.tuning()
    }
}

/// Configures `app` to collect from the catalog's online sources, with the default tuning but
/// for how long a collection waits.
pub fn attach(app: &mut App, catalog: Catalog, secret: NodeSecret, collect_within: Duration) -> Result<()> {
    attach_tuned(app, catalog, secret, Tuning { collect_within, ..Tuning::default() })
}

/// Configures `app` to collect from the catalog's online sources.
pub fn attach_tuned(app: &mut App, catalog: Catalog, secret: NodeSecret, tuning: Tuning) -> Result<()> {
    let client = Arc::new(OnlineClient::new(Arc::new(catalog), secret));
    set_up(app, client.clone(), client, tuning)
}

/// The exchange of `app`: the node's client and who answers its sources' searches.
fn set_up(
    app: &mut App,
    client: Arc<OnlineClient>,
    institutions: Arc<dyn hedui_connect::institutions::Institutions>,
    tuning: Tuning,
) -> Result<()> {
    // The exchange's catalog is the node's one registry from now on.
    app.mappings.check(client.catalog()).map_err(|e| anyhow!("字段映射配置与数据源目录不符：{e}"))?;
    app.catalog = Arc::new(client.catalog().clone());
    app.exchange = Some(Arc::new(ExchangeSetup {
        client,
        institutions,
        runtime: hedui_app::collect::NetRuntime::new(tuning.runtime_threads)?,
        collect_within: tuning.collect_within,
        concurrency: tuning.concurrency,
        poll_every: tuning.poll_every,
        pumping: std::sync::Mutex::new(()),
    }));
    Ok(())
}

/// Configures `app` to collect from `banks`, whose books are read in process, along the same path
/// as every online institution: the node catalog's department mirrors and the banks on the
/// `books` channel (each with the catalog's entry of its code, or the first bank's entry, under
/// its own code and name). Without an account-information service every bank is asked directly.
pub fn attach_in_process(app: &mut App, banks: &[Arc<dyn FinancialSource>]) -> Result<()> {
    let demo = (*app.catalog).clone();
    let template = demo
        .sources
        .iter()
        .find(|s| s.kind == SourceKind::Bank)
        .cloned()
        .ok_or_else(|| anyhow!("演示数据源目录中没有银行"))?;
    let mut sources: Vec<Source> = demo.sources.iter().filter(|s| s.channel == Channel::Mirror).cloned().collect();
    for b in banks {
        let mut s = demo.get(b.code()).cloned().unwrap_or_else(|| Source {
            code: b.code().to_string(),
            name: b.name().to_string(),
            institution: b.name().to_string(),
            ..template.clone()
        });
        s.channel = Channel::Books;
        s.name = b.name().to_string();
        sources.push(s);
    }
    let catalog = Arc::new(Catalog { sources, ..demo });
    let secret = app.exchange_secret(&catalog.node.id)?;
    let books = Arc::new(InProcess::new(catalog.clone(), banks));
    set_up(app, Arc::new(OnlineClient::new(catalog, secret)), books, Tuning::default())
}

/// A simulator serving on loopback from its own runtime, stopped when dropped.
pub struct RunningSimulator {
    pub base_url: String,
    pub sim: Arc<Simulator>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for RunningSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSimulator").field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Starts a simulator for `catalog`'s sources on 127.0.0.1 (a free port), answering `client`.
pub fn start_simulator(
    catalog: Catalog,
    banks: Vec<Arc<dyn FinancialSource>>,
    client_id: &str,
    client: NodeKeys,
    faults: Faults,
) -> Result<RunningSimulator> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let sim = Arc::new(Simulator::new(catalog, banks, client_id, client, faults));
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let router = hedui_sim::router(sim.clone());
    runtime.spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(RunningSimulator { base_url: format!("http://{addr}"), sim, runtime: Some(runtime) })
}

/// The file channel within one run: exports every pending request package, lets the simulator
/// answer each as its institution would, and imports the answers. Returns the packages settled.
pub fn settle_files(app: &App, actor: &hedui_app::Caller, sim: &Simulator) -> hedui_app::AppResult<usize> {
    let exported = app.export_packages(actor)?;
    for p in &exported {
        let answer = sim.answer_package(&p.bytes).map_err(hedui_app::AppError::Internal)?;
        app.import_package(actor, &answer)?;
    }
    Ok(exported.len())
}
