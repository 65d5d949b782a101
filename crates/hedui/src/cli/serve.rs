//! `hedui demo` and `hedui serve`: the web UI and API, over the demo's city or a deployment's database.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use hedui::city;
use hedui_app::{App, Caller, Role, SystemClock};

use super::Unix;
use super::args::*;
use super::settings::*;

/// Runs `demo` or `serve`.
pub(crate) fn run(cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Demo { dir, households, seed, bind, port } => demo(&dir, households, seed, &bind, port),
        Cmd::Serve { city, .. } => {
            let (db, key) = node();
            let (ex, server) = (&cfg().exchange, &cfg().server);
            let (store, keys) = hedui::keys::open_node(&db, &key)?;
            let banks = match (&city, &ex.sources) {
                (Some(c), None) => city::banks(c)?,
                _ => Vec::new(),
            };
            let mut app = hedui::build_app_from(store, keys.clone(), banks, Arc::new(SystemClock), &reference())?;
            let security = &cfg().security;
            app.login_policy = security.login_policy();
            app.alert_policy = security.alert_policy();
            app.admin_networks = security.admin_networks()?;
            app.require_second_factor = security.require_second_factor;
            app.review = cfg().reports.review;
            app.organization = cfg().reports.organization.clone();
            app.seal = hedui::installed_seal(&cfg().reports, &app)?;
            if ex.sources.is_some() || ex.catalog.is_some() {
                let catalog = hedui::exchange::catalog(ex.catalog.as_deref(), ex.sources.as_deref())?;
                let secret = app.exchange_secret(&catalog.node.id)?;
                hedui::exchange::attach_tuned(&mut app, catalog, secret, ex.tuning())?;
                app.callback_url =
                    server.public_url.as_ref().map(|u| format!("{}/api/v1/exchange/callback", u.trim_end_matches('/')));
            }
            let tls = match (&server.tls_cert, &server.tls_key) {
                (Some(c), Some(k)) => Some(hedui_web::tls::server_config(c, k).map_err(anyhow::Error::msg)?),
                (None, None) => None,
                _ => bail!("TLS 需要同时配置 server.tls_cert 和 server.tls_key"),
            };
            if checkpoint_file().is_none() && !cfg().audit.checkpoint_syslog {
                let w = "审计链检查点没有导出位置（audit.checkpoint_file 或 audit.checkpoint_syslog）：\
                         hedui audit verify 将无法发现末尾截断或持有密钥者的重写";
                tracing::warn!("{w}");
                eprintln!("警告：{w}");
            }
            // Behind a TLS or TLCP gateway, the public address says so: cookies are Secure.
            let secure = tls.is_some() || server.public_url.as_deref().is_some_and(|u| u.starts_with("https://"));
            serve_with(app, &server.bind, server.port, None, tls, secure)
        }
        other => bail!("not a command of this group: {other:?}"),
    }
}

fn demo(dir: &Path, households: u64, seed: u64, bind: &str, port: u16) -> Result<()> {
    let paths = city::DemoPaths::new(dir);
    // The demo starts from scratch each time (its audit checkpoints too); the key file is kept.
    let checkpoints = paths.root.join("hedui.db.checkpoints.jsonl");
    for p in [&paths.db, &paths.root.join("hedui.db-wal"), &paths.root.join("hedui.db-shm"), &checkpoints] {
        if p.exists() {
            std::fs::remove_file(p).with_context(|| format!("删除 {}", p.display()))?;
        }
    }
    if paths.city.exists() {
        std::fs::remove_dir_all(&paths.city).with_context(|| format!("删除 {}", paths.city.display()))?;
    }
    let today = hedui_app::china_date(SystemClock.unix());
    let as_of = today.add_days(-1);
    let regions = hedui_app::data::regions(None)?;

    let t = Instant::now();
    let g = city::generate(&regions, &paths.city, seed, households, as_of)?;
    println!("1. 生成演示城市（常州，{} 户，{} 人）：{:.1} 秒", g.households, g.persons, t.elapsed().as_secs_f64());

    let store = hedui::open_store(&paths.db.display().to_string())?;
    let keys = Arc::new(city::demo_key(&paths.key)?);
    let refs = hedui::Reference { checkpoint_file: Some(&checkpoints), ..reference() };
    let mut app = hedui::build_app_from(store, keys.clone(), Vec::new(), Arc::new(SystemClock), &refs)?;
    // The city's departments and institutions, simulated over real HTTP on loopback.
    let catalog = hedui::exchange::catalog(None, None)?;
    let secret = app.exchange_secret(&catalog.node.id)?;
    let sim = hedui::exchange::start_simulator(
        catalog.clone(),
        city::banks(&paths.city)?,
        &catalog.node.id,
        secret.public(),
        hedui_sim::Faults::default(),
    )?;
    let mut catalog = catalog;
    catalog.base_url = Some(sim.base_url.clone());
    let online = catalog.by_channel(hedui_core::catalog::Channel::Online).count();
    hedui::exchange::attach(&mut app, catalog, secret, std::time::Duration::from_secs(120))?;
    println!("   模拟 {online} 个在线部门和金融机构：{}", sim.base_url);
    let admin = Caller::system("demo");
    let t = Instant::now();
    let imports = city::import_mirrors(&app, &admin, &paths.city)?;
    let rows: i64 = imports.iter().map(|s| s.stats.accepted).sum();
    println!("2. 导入 {} 个部门的镜像数据，{} 行：{:.1} 秒", imports.len(), rows, t.elapsed().as_secs_f64());

    let t = Instant::now();
    let apps = city::applications(&paths.city)?;
    demo_accounts(&app, &admin, apps.first().map_or("", |a| a.region.as_str()))?;
    // Every 50th household has not signed its letter yet, to show a refused query.
    let filed = city::file_applications(&app, &admin, &apps, as_of, &|i| i % 50 != 49)?;
    let mut reports = Vec::new();
    let mut refused = 0;
    let ids: Vec<hedui_core::JobId> = filed.iter().map(|f| f.job).collect();
    let settled = std::cell::Cell::new(0);
    let settle = |a: &App| {
        settled.set(hedui::exchange::settle_files(a, &admin, &sim.sim)?);
        Ok(())
    };
    for (f, result) in filed.iter().zip(app.run_jobs_with(&admin, &ids, &settle)?) {
        match result {
            Ok(r) => reports.push((f.number.clone(), r)),
            Err(hedui_app::AppError::AuthorizationRequired(_)) => refused += 1,
            Err(e) => return Err(anyhow::anyhow!("核对 {} 失败：{e}", f.number)),
        }
    }
    println!(
        "3. 委托并核对 {} 户（{} 户因未授权被拒绝；在线查询，另经文件交换 {} 个请求包）：{:.1} 秒",
        filed.len(),
        refused,
        settled.get(),
        t.elapsed().as_secs_f64()
    );
    let truth = city::ground_truth(&paths.city)?;
    let cmp = city::compare(&truth, &reports);
    print!("{}", cmp.render());
    demo_review(&mut app, &admin, &paths.root)?;
    let made = app.checkpoint("manual")?;
    let seqs: Vec<String> = made.iter().map(|c| format!("{} seq {}", c.chain, c.seq)).collect();
    println!("   审计链检查点（{}）已导出到 {}", seqs.join("，"), checkpoints.display());
    println!(
        "   核验审计链：hedui audit verify --db {} --key {} --checkpoints {}",
        paths.db.display(),
        paths.key.display(),
        checkpoints.display()
    );
    let served = serve(app, bind, port, Some(("demo", "demo-hedui")));
    drop(sim);
    served
}

/// From here on a report a person verifies waits for the 审核员, who signs with a software UKey
/// (its key file beside the database; a real 审核员's key stays in their UKey).
fn demo_review(app: &mut App, admin: &Caller, root: &Path) -> Result<()> {
    app.review = true;
    app.organization = format!("{}居民家庭经济状况核对中心", app.region_name("320400"));
    let ukey = root.join("reviewer.ukey");
    let public = match std::fs::read_to_string(&ukey) {
        Ok(hex) => hedui_crypto::decode_hex(hex.trim())
            .and_then(|k| hedui_exchange::gm::soft_ukey_public(&k).ok())
            .ok_or_else(|| anyhow::anyhow!("{} 不是 UKey 密钥文件", ukey.display()))?,
        Err(_) => super::ukey::new_key(&ukey)?,
    };
    app.enrol_demo_sm2(admin, "reviewer", &public)?;
    println!("   核对员核对的报告须经审核员审核签发；审核员 reviewer 的软件 UKey：{}", ukey.display());
    println!("   签名审核声明：hedui ukey sign --key {} < 审核声明.txt（在待审核报告页面下载）", ukey.display());
    Ok(())
}

/// The demo's accounts, one per role, each with the password `<login>-hedui` (demo accounts only:
/// a deployment creates its users through `hedui user bootstrap` and the security administrator).
/// The township worker and the department work for the first household's township and county.
fn demo_accounts(app: &App, system: &Caller, township: &str) -> Result<()> {
    let county = township.get(..6).unwrap_or(township);
    let bureau = format!("{}民政", app.region_name(county));
    let accounts = [
        ("demo", "演示核对员", Role::Clerk, "", ""),
        ("reviewer", "演示审核员", Role::Reviewer, "", ""),
        ("township", "演示乡镇经办人", Role::Township, township, ""),
        ("department", "演示业务部门", Role::Department, county, bureau.as_str()),
        ("operator", "演示数据源管理员", Role::Operator, "", ""),
        ("leader", "演示领导", Role::Leader, "", ""),
        ("admin", "演示系统管理员", Role::Admin, "", ""),
        ("security", "演示安全管理员", Role::Security, "", ""),
        ("auditor", "演示审计管理员", Role::Auditor, "", ""),
        ("viewer", "演示查阅人员", Role::Viewer, "", ""),
    ];
    let mut secrets = Vec::new();
    for (login, name, role, region, org) in accounts {
        let account = hedui_app::admin::users::Account {
            demo: true,
            ..hedui_app::admin::users::Account::new(login, name, role, region, org)
        };
        app.create_user(system, &account, &format!("{login}-hedui"))?;
        // Every account but the first has a second factor, as a deployment's would.
        if login != "demo" {
            secrets.push((login, app.enrol_demo_totp(system, login)?.secret));
        }
    }
    println!("   演示账户的第二因子（TOTP，在认证器应用中添加密钥即可；demo 账户只用口令，便于浏览）：");
    for (login, secret) in secrets {
        println!("   TOTP {login} {secret}");
    }
    Ok(())
}

fn serve(app: App, bind: &str, port: u16, login: Option<(&str, &str)>) -> Result<()> {
    serve_with(app, bind, port, login, None, false)
}

/// Threads for the pages' work (see `serve_with`); long work (imports, collections) runs on
/// threads of its own.
const BLOCKING_THREADS: usize = 8;

fn serve_with(
    app: App,
    bind: &str,
    port: u16,
    login: Option<(&str, &str)>,
    tls: Option<Arc<rustls::ServerConfig>>,
    secure: bool,
) -> Result<()> {
    // Pages run on the blocking pool and meet at the one store connection: a few threads keep
    // the cores busy, while hundreds (tokio's default limit is 512) would only wait on the store
    // and on each other, and a burst of requests would spread the latency over all of them.
    let rt = tokio::runtime::Builder::new_multi_thread().max_blocking_threads(BLOCKING_THREADS).enable_all().build()?;
    rt.block_on(async {
        let listener =
            tokio::net::TcpListener::bind((bind, port)).await.with_context(|| format!("监听 {bind}:{port}"))?;
        let addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        println!("hedui 已启动: {scheme}://{addr}/");
        if let Some((u, p)) = login {
            println!("演示登录: 用户名 {u} 密码 {p}");
            println!(
                "   其他演示账户（密码均为“用户名-hedui”）：reviewer 审核员，township 乡镇经办人，department 业务部门，\
                 operator 数据源管理员，leader 领导，admin 系统管理员，security 安全管理员，auditor 审计管理员，viewer 查阅人员"
            );
        }
        std::io::stdout().flush()?;
        let app = Arc::new(app);
        tokio::spawn(checkpoints(app.clone(), cfg().audit.checkpoint_minutes));
        tokio::spawn(key_epoch_watch(app.clone()));
        let web = hedui_web::Web::new(app);
        let web = if secure { web.secure() } else { web };
        match tls {
            Some(config) => hedui_web::tls::serve_tls(listener, web, config).await?,
            None => hedui_web::serve(listener, web).await?,
        }
        Ok(())
    })
}

/// Says, every half minute until the node restarts, when a rotation elsewhere moved the database
/// to a newer key epoch than this node seals under (it was started with the old key file).
async fn key_epoch_watch(app: Arc<App>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(30));
    loop {
        every.tick().await;
        let a = app.clone();
        let Ok(Ok(recorded)) = tokio::task::spawn_blocking(move || a.recorded_epoch()).await else { continue };
        let own = hedui_crypto::KeyProvider::epoch(app.identity.keys());
        if recorded > own {
            let e =
                format!("数据库的主密钥已轮换到纪元 {recorded}，本节点仍在用纪元 {own}：请用新的密钥文件重启本节点");
            tracing::error!("{e}");
            eprintln!("错误：{e}");
        }
    }
}

/// Signs and exports a checkpoint of the audit chain every `minutes` when rows were added.
async fn checkpoints(app: Arc<App>, minutes: u64) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(minutes.max(1) * 60));
    every.tick().await;
    loop {
        every.tick().await;
        let app = app.clone();
        match tokio::task::spawn_blocking(move || app.checkpoint_if_changed()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::error!("审计检查点失败：{e}");
                eprintln!("错误：审计检查点失败：{e}");
            }
            Err(e) => tracing::error!("审计检查点任务失败：{e}"),
        }
    }
}
