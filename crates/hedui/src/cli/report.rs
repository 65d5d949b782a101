//! `hedui report verify|key|export`: signed report files.

use std::sync::Arc;

use anyhow::{Context, Result, bail};

use hedui_app::SystemClock;

use super::args::*;
use super::settings::*;

pub(crate) fn run(cmd: ReportCmd) -> Result<()> {
    use hedui_app::reports::sign::{self, Format};
    match cmd {
        ReportCmd::Verify { file, public_key, seal } => {
            let bytes = std::fs::read(&file).with_context(|| format!("读取 {}", file.display()))?;
            if let Some(seal) = &seal {
                let der = std::fs::read(seal).with_context(|| format!("读取 {}", seal.display()))?;
                match sign::check_eseal(&bytes, &der, public_key.as_deref()) {
                    Ok(c) => println!("电子签章有效（GB/T 38540）：印章 {}，签署对象 {}", c.seal_id, c.property),
                    Err(e) => bail!("{}：电子签章无效：{e}", seal.display()),
                }
            }
            match sign::verify(&bytes, public_key.as_deref()) {
                Ok(s) => {
                    println!(
                        "签名有效：报告 {} 第 {} 版（{}），签发人 {}",
                        s.report,
                        s.version,
                        s.format.code(),
                        s.signer
                    );
                    println!("算法 {}，内容 SM3 {}", s.alg, s.sm3);
                    match &s.seal {
                        Some(seal) => println!(
                            "签发记录有效：核对任务 {}，户 {}，结论 {}，完成与签发均已签名（签发于 {}{}）",
                            seal.job,
                            seal.household,
                            hedui_means::Outcome::from_code(&seal.outcome)
                                .map_or(seal.outcome.as_str(), |o| o.name_zh()),
                            seal.issued_at,
                            if seal.signed_in_migration { "，旧版报告由迁移补签" } else { "" }
                        ),
                        None => println!("注意：文件未附签发记录"),
                    }
                    if public_key.is_none() {
                        println!("注意：未指定 --public-key，只证明文件未被修改；签发人公钥为 {}", s.public_key);
                    }
                    Ok(())
                }
                Err(e) => bail!("{}：{e}", file.display()),
            }
        }
        ReportCmd::Key { .. } => {
            let (db, key) = node();
            // The key first: a missing one stops here, before any database is opened.
            hedui::keys::load(&key)?;
            let (store, keys) = hedui::keys::open_node(&db, &key)?;
            let app = hedui::build_app_from(store, keys, Vec::new(), Arc::new(SystemClock), &reference())?;
            let all = app.signing_keys(hedui::REPORT_NODE)?;
            println!(
                "{}",
                serde_json::json!({"signer": app.signer.signer(), "alg": "SM2-with-SM3", "public_key": app.signer.public().sign, "keys": all})
            );
            Ok(())
        }
        ReportCmd::Export { job, version, format, out, .. } => {
            let (db, key) = node();
            let (store, keys) = hedui::keys::open_node(&db, &key)?;
            let app = hedui::build_app_from(store, keys, Vec::new(), Arc::new(SystemClock), &reference())?;
            let actor = super::operator::caller(&app, hedui_app::Action::ReportDownload, "cli-report-export")?;
            let job = hedui_core::JobId(job);
            let bytes = match format.as_str() {
                "pdf" => app.report_file(&actor, job, version, Format::Pdf)?,
                "json" => app.report_file(&actor, job, version, Format::Json)?,
                "html" => {
                    let r = app.report(&actor, job, version)?;
                    let app = Arc::new(app);
                    let web = hedui_web::Web::new(app.clone());
                    let html = hedui_web::report_html(&web, Some(&actor), &r)?;
                    app.sign_report(&r, Format::Html, html.as_bytes())?
                }
                other => bail!("未知格式 {other}（可用 pdf、html、json）"),
            };
            std::fs::write(&out, &bytes).with_context(|| format!("写入 {}", out.display()))?;
            println!("已写出 {}（{} 字节，已用 SM2 签名）", out.display(), bytes.len());
            Ok(())
        }
    }
}
