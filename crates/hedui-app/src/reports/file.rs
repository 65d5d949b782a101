//! Report files: the PDF layout of a report, and signed PDF and JSON files.

use hedui_core::{JobId, Timestamp};
use hedui_means::{ItemResult, SourceState};
use hedui_pdf::{Block, Doc};

use crate::reports::Report;
use crate::reports::labels::{LABELS as L, result_word, state_word};
use crate::reports::sign::Format;
use crate::{App, AppError, AppResult, Caller};

fn yuan(f: hedui_core::Fen) -> String {
    format!("{f} 元")
}

fn item_word(r: ItemResult, wording: Option<&str>) -> &'static str {
    match (r, wording) {
        (ItemResult::Within, Some("eligibility")) => "符合",
        (ItemResult::Exceeds, Some("eligibility")) => "不符合",
        (r, _) => result_word(r),
    }
}

/// The report as a printable document, in the order of the web page.
// tidy: allow(long-fn): the report's PDF layout, section by section in reading order.
pub fn report_doc(r: &Report) -> Doc {
    let a = &r.assessment;
    let wording = a.decision.as_ref().and_then(|d| d.wording.as_deref());
    let name_of = |seq: Option<u32>| {
        seq.and_then(|s| r.members.iter().find(|m| m.seq == s))
            .map(|m| format!("{} {}", m.seq, m.name))
            .unwrap_or_default()
    };
    let mut b = vec![
        Block::Title(L.title.into()),
        Block::Subtitle(format!("报告编号 {}（第 {} 版） · 出具时间 {}", r.number, r.version, r.issued_at)),
        Block::KeyValues(vec![
            (L.commission_number.into(), r.commission.number.clone()),
            (L.commission_kind.into(), r.commission.kind_name.clone()),
            (L.commission_department.into(), r.commission.department.clone()),
            (L.programme.into(), r.commission.programme_name.clone()),
            (L.letter_number.into(), format!("{}（{} 签署）", r.authorization.number, r.authorization.signed_on)),
            (L.as_of.into(), r.as_of.to_string()),
            (L.household_number.into(), r.household.number.clone()),
            (L.region.into(), r.household.region_name.clone()),
            (L.address.into(), r.household.address.clone()),
            (L.policy.into(), r.policy_name.clone()),
        ]),
        Block::Heading(L.conclusion.into()),
        Block::Para(format!("【{}】{}", a.outcome.word(wording), a.conclusion)),
    ];
    if let Some(s) = &r.special {
        b.push(Block::Heading(s.title.clone()));
        for l in &s.lines {
            b.push(Block::Para(format!("· {l}")));
        }
    }
    b.push(Block::Heading(L.members.into()));
    b.push(Block::Table {
        widths: vec![0.6, 2.0, 2.2, 1.0, 1.6, 2.0],
        header: [L.seq, L.name, L.id_number, L.relation, "是否计入", L.note].map(String::from).to_vec(),
        rows: r
            .members
            .iter()
            .map(|m| {
                vec![
                    m.seq.to_string(),
                    m.name.clone(),
                    m.id_masked.clone(),
                    m.relation.clone(),
                    if m.counted {
                        L.counted.into()
                    } else {
                        format!("不{}（{}）", L.counted, m.exclusion.clone().unwrap_or_default())
                    },
                    if m.resolved { m.note.clone() } else { format!("{}{}", L.unresolved_id, m.note) },
                ]
            })
            .collect(),
    });
    if !r.supporters.is_empty() {
        b.push(Block::Heading(L.supporters.into()));
        b.push(Block::Table {
            widths: vec![2.0, 2.5, 3.0],
            header: [L.name, L.id_number, L.duty].map(String::from).to_vec(),
            rows: r.supporters.iter().map(|s| vec![s.name.clone(), s.id_masked.clone(), s.duty.clone()]).collect(),
        });
    }
    b.push(Block::Heading(L.comparison.into()));
    b.push(Block::Table {
        widths: vec![2.0, 1.8, 2.0, 2.0, 2.0],
        header: [L.item, L.member, L.declared, L.verified, L.difference].map(String::from).to_vec(),
        rows: r
            .comparison
            .iter()
            .map(|c| {
                vec![
                    c.item.clone(),
                    name_of(c.member_seq),
                    yuan(c.declared),
                    c.verified.map(yuan).unwrap_or_else(|| L.unknown.into()),
                    c.difference.map(yuan).unwrap_or_default(),
                ]
            })
            .collect(),
    });
    b.push(Block::Heading(L.items.into()));
    b.push(Block::Table {
        widths: vec![2.2, 2.6, 2.6, 0.6, 1.0],
        header: [L.item, L.found, L.threshold, L.rule, L.result].map(String::from).to_vec(),
        rows: a
            .items
            .iter()
            .map(|i| {
                vec![
                    i.title.clone(),
                    i.found.clone(),
                    i.threshold.clone(),
                    if i.basis.is_some() { "见注".into() } else { i.rule.clone() },
                    item_word(i.result, wording).into(),
                ]
            })
            .collect(),
    });
    for i in a.items.iter() {
        if let Some(basis) = &i.basis {
            b.push(Block::Note(format!("{}：{basis}", i.title)));
        }
    }
    for i in a.items.iter().filter(|i| !i.evidence.is_empty()) {
        b.push(Block::Note(format!("{}的依据：", i.title)));
        b.push(Block::Table {
            widths: vec![1.3, 2.1, 1.2, 3.0, 1.3],
            header: [L.member, L.source, L.data_date, L.content, "金额"].map(String::from).to_vec(),
            rows: i
                .evidence
                .iter()
                .map(|e| {
                    vec![
                        name_of(e.member_seq),
                        r.sources
                            .iter()
                            .find(|s| s.source == e.source)
                            .map(|s| s.name.clone())
                            .unwrap_or(e.source.clone()),
                        e.as_of.to_string(),
                        e.label.clone(),
                        e.amount.map(yuan).unwrap_or_default(),
                    ]
                })
                .collect(),
        });
        if !i.params.is_empty() {
            let ps: Vec<String> = i
                .params
                .iter()
                .map(|p| {
                    format!(
                        "{} = {}（{} 起，{}）",
                        if p.title.is_empty() { &p.key } else { &p.title },
                        p.text,
                        p.from,
                        p.doc
                    )
                })
                .collect();
            b.push(Block::Note(format!("参数：{}", ps.join("；"))));
        }
    }
    b.push(Block::Heading(L.anomalies.into()));
    if a.anomalies.is_empty() {
        b.push(Block::Para(L.no_anomalies.into()));
    } else {
        b.push(Block::Table {
            widths: vec![2.0, 1.6, 5.0],
            header: [L.anomalies, L.member, L.note].map(String::from).to_vec(),
            rows: a.anomalies.iter().map(|x| vec![x.title.clone(), name_of(x.member_seq), x.detail.clone()]).collect(),
        });
    }
    b.push(Block::Heading(L.unchecked.into()));
    if a.missing.is_empty() {
        b.push(Block::Para(L.all_answered.into()));
    } else {
        for m in &a.missing {
            b.push(Block::Para(format!("· {m}")));
        }
    }
    b.push(Block::Heading(L.sources.into()));
    b.push(Block::Table {
        widths: vec![3.5, 1.5, 3.0],
        header: [L.source, L.data_date, L.answer].map(String::from).to_vec(),
        rows: r
            .sources
            .iter()
            .map(|s| {
                let word = state_word(&s.state);
                let state = match &s.state {
                    SourceState::NotAnswered { reason } | SourceState::Replaced { reason } => {
                        format!("{word}：{reason}")
                    }
                    _ => word.to_string(),
                };
                vec![s.name.clone(), s.as_of.map(|d| d.to_string()).unwrap_or_default(), state]
            })
            .collect(),
    });
    if let Some(d) = &a.decision {
        b.push(Block::Heading(L.policy_estimate.into()));
        let mut kv = vec![
            (L.applied_policy.to_string(), format!("{}：{}", d.programme_name, d.doc)),
            (L.results.into(), d.word.clone()),
        ];
        if let Some(x) = &d.benefit {
            kv.push((x.title.clone(), x.text.clone()));
        }
        for s in &d.show {
            kv.push((s.title.clone(), s.text.clone()));
        }
        b.push(Block::KeyValues(kv));
        if let Some(t) = &d.trace {
            b.push(Block::Heading("计算过程（规则、参数与事实）".into()));
            b.push(Block::Lines(t.to_text().lines().map(String::from).collect()));
        }
    }
    b.push(Block::Note(r.notice.clone()));
    // Who verified it, who approved it and who issues it, as the issue signature covers them.
    let mut signoff = Vec::new();
    if !r.verifier_name.is_empty() {
        signoff.push(("核对人".to_string(), r.verifier_name.clone()));
    }
    if let Some(a) = r.seal.as_ref().and_then(|s| s.approval.as_ref()) {
        signoff.push(("审核员".into(), format!("{}（本人 SM2 签名）", a.reviewer_name)));
        signoff.push(("出具单位".into(), format!("{}（核对专用章）", a.organization)));
    }
    if !signoff.is_empty() {
        b.push(Block::KeyValues(signoff));
    }
    Doc {
        title: format!("{} {}", L.title, r.number),
        author: "hedui 核对平台".into(),
        footer: format!("{} 第 {} 版", r.number, r.version),
        blocks: b,
    }
}

impl App {
    /// A signed report file (PDF or JSON) for `actor`, names masked as the role requires.
    pub fn report_file(&self, actor: &Caller, job: JobId, version: Option<i64>, format: Format) -> AppResult<Vec<u8>> {
        let r = self.report_for(actor, job, version, "report.download", &format!("（{} 文件）", format.code()))?;
        let content = match format {
            Format::Pdf => hedui_pdf::render(&report_doc(&r)).map_err(|e| AppError::Internal(e.to_string()))?,
            Format::Json => serde_json::to_vec_pretty(&r).map_err(|e| AppError::Internal(e.to_string()))?,
            Format::Html => return Err(AppError::Invalid("HTML 报告由网页生成".into())),
        };
        self.sign_report(&r, format, &content)
    }

    /// The organization's electronic seal (GB/T 38540) over the report's JSON file (its report
    /// content, as `report_file` in JSON carries it): audited as a download.
    pub fn report_eseal(&self, actor: &Caller, job: JobId, version: Option<i64>) -> AppResult<(String, Vec<u8>)> {
        let r = self.report_for(actor, job, version, "report.download", "（电子签章）")?;
        let content = serde_json::to_vec_pretty(&r).map_err(|e| AppError::Internal(e.to_string()))?;
        let property = format!("report.json job={} version={}", r.job, r.version);
        let at = r.seal.as_ref().and_then(|s| Timestamp::parse(&s.issued_at).ok()).unwrap_or_else(|| self.now());
        let der =
            self.signer.eseal(&self.organization, &self.seal, &property, &content, at).map_err(AppError::Internal)?;
        Ok((r.number, der))
    }

    /// Signs a report file's content with the node's report key.
    pub fn sign_report(&self, r: &Report, format: Format, content: &[u8]) -> AppResult<Vec<u8>> {
        self.signer.sign(format, &r.number, r.version, content, r.seal.as_ref()).map_err(AppError::Internal)
    }
}
