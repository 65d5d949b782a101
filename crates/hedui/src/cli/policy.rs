//! `hedui policy check|show|simulate`: the policy documents and the caseload under a change.

use std::sync::Arc;

use anyhow::{Context, Result, bail};

use hedui_app::SystemClock;

use super::args::*;
use super::settings::*;
use super::{parse_date, today};

// tidy: allow(long-fn): three commands whose output is their tables, printed where they are computed.
pub(crate) fn run(cmd: PolicyCmd) -> Result<()> {
    let policies = hedui_app::policy::Policies::open(policy_dir())?;
    let date = |d: &Option<String>| d.as_deref().map(parse_date).transpose().map(|d| d.unwrap_or_else(today));
    match cmd {
        PolicyCmd::Check { as_of } => {
            let as_of = date(&as_of)?;
            let set = policies.current();
            let mut failures = 0;
            let regions: Vec<String> = set.docs().map(|d| d.region.clone()).collect();
            for doc in set.docs() {
                println!("{}  {}（参数 {}，规则 {}）", doc.region, doc.name, doc.parameters.len(), doc.rules.len());
                // A province whose cities have documents is used only through them.
                if doc.region.len() == 2 && regions.iter().any(|r| r.len() > 2 && r.starts_with(&doc.region)) {
                    println!("  （省级文件，通过下级文件使用）");
                    continue;
                }
                let res = match set.resolve(&doc.region, as_of) {
                    Ok(r) => r,
                    Err(e) => {
                        failures += 1;
                        println!("  ✗ {e}");
                        continue;
                    }
                };
                for p in res.programmes.keys() {
                    match hedui_rules::compile(&res, *p) {
                        Ok(prog) => println!(
                            "  ✓ {}：{} 个变量，{} 条规则，{} 个参数",
                            p.name_zh(),
                            prog.vars.len(),
                            prog.rules.len(),
                            prog.params.len()
                        ),
                        Err(e) => {
                            failures += 1;
                            println!("  ✗ {}：{e}", p.name_zh());
                        }
                    }
                }
            }
            if failures > 0 {
                bail!("{failures} 项政策在 {as_of} 不能使用");
            }
            Ok(())
        }
        PolicyCmd::Show { region, as_of, programme } => {
            let as_of = date(&as_of)?;
            let p = hedui_core::programme::Programme::from_code(&programme)
                .with_context(|| format!("未知的救助项目 {programme}"))?;
            let compiled = policies.program(&region, as_of, p)?;
            let (prog, res) = (&compiled.program, &compiled.resolved);
            println!("{} · 地区 {} · {}", p.name_zh(), res.region, as_of);
            for (r, n) in &res.chain {
                println!("  政策文件 {r}：{n}");
            }
            println!("参数：");
            for param in &prog.params {
                println!("  {}", param.describe());
            }
            println!("规则：");
            for r in &prog.rules {
                let v = &prog.vars[r.var];
                let when =
                    r.when.as_deref().map(|w| format!("（适用：{w}；优先级 {}）", r.priority)).unwrap_or_default();
                println!("  {}（{}）= {}{}  [{}，地区 {}]", v.title, v.name, r.expr, when, r.doc, r.region);
            }
            Ok(())
        }
        PolicyCmd::Simulate { changes, as_of, json, .. } => {
            let (db, key) = node();
            let as_of = date(&as_of)?;
            let changes: Vec<_> =
                changes.iter().map(|c| hedui_app::policy::simulate::Change::parse(c)).collect::<Result<_, _>>()?;
            let (store, keys) = hedui::keys::open_node(&db, &key)?;
            let app = hedui::build_app_from(store, keys, Vec::new(), Arc::new(SystemClock), &reference())?;
            let actor = super::operator::caller(&app, hedui_app::Action::PolicySimulate, "cli-policy-simulate")?;
            let sim = app.simulate(&actor, &changes, as_of)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&sim)?);
                return Ok(());
            }
            println!("政策模拟（{}）：{}", as_of, sim.changes.join("；"));
            println!(
                "地区\t项目\t户数\t原符合\t现符合\t新增符合\t不再符合\t原月支出（元）\t现月支出（元）\t变化（元）"
            );
            for r in sim.rows.iter().chain(std::iter::once(&sim.total)) {
                println!(
                    "{}{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    r.region_name,
                    if r.region.is_empty() { String::new() } else { format!("（{}）", r.region) },
                    r.programme_name,
                    r.households,
                    r.eligible_before,
                    r.eligible_after,
                    r.newly_eligible,
                    r.newly_ineligible,
                    r.cost_before,
                    r.cost_after,
                    r.cost_change
                );
            }
            for e in &sim.errors {
                println!("未能测算：{e}");
            }
            Ok(())
        }
    }
}
