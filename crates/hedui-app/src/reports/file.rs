//! Report files: the PDF layout of a report, and signed PDF and JSON files.

use hedui_core::JobId;
use hedui_means::{ItemResult, SourceState};
use hedui_pdf::{Block, Doc};

use crate::reports::Report;
use crate::reports::sign::Format;
use crate::{App, AppError, AppResult, Caller};

fn yuan(f: hedui_core::Fen) -> String {
    format!("{f} 元")
}

fn item_word(r: ItemResult, wording: Option<&str>) -> &'static str {
    match (r, wording) {
        (ItemResult::Within, Some("eligibility")) => "符合",
        (ItemResult::Exceeds, Some("eligibility")) => "不符合",
        (ItemResult::Within, _) => "未超出",
        (ItemResult::Exceeds, _) => "超出",
        (ItemResult::Incomplete, _) => "待核实",
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
        Block::Title("家庭经济状况核对报告".into()),
        Block::Subtitle(format!("报告编号 {}（第 {} 版） · 出具时间 {}", r.number, r.version, r.issued_at)),
        Block::KeyValues(vec![
            ("委托编号".into(), r.commission.number.clone()),
            ("委托类型".into(), r.commission.kind_name.clone()),
            ("委托单位".into(), r.commission.department.clone()),
            ("救助项目".into(), r.commission.programme_name.clone()),
            ("授权书编号".into(), format!("{}（{} 签署）", r.authorization.number, r.authorization.signed_on)),
            ("核对日期".into(), r.as_of.to_string()),
            ("户编号".into(), r.household.number.clone()),
            ("户籍地".into(), r.household.region_name.clone()),
            ("地址".into(), r.household.address.clone()),
            ("政策依据".into(), r.policy_name.clone()),
        ]),
        Block::Heading("核对结论".into()),
        Block::Para(format!("【{}】{}", a.outcome.word(wording), a.conclusion)),
    ];
    if let Some(s) = &r.special {
        b.push(Block::Heading(s.title.clone()));
        for l in &s.lines {
            b.push(Block::Para(format!("· {l}")));
        }
    }
    b.push(Block::Heading("家庭成员".into()));
    b.push(Block::Table {
        widths: vec![0.6, 2.0, 2.2, 1.0, 1.6, 2.0],
        header: ["序号", "姓名", "身份证号", "关系", "是否计入", "说明"].map(String::from).to_vec(),
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
                        "计入".into()
                    } else {
                        format!("不计入（{}）", m.exclusion.clone().unwrap_or_default())
                    },
                    if m.resolved { m.note.clone() } else { format!("身份证号未识别：{}", m.note) },
                ]
            })
            .collect(),
    });
    if !r.supporters.is_empty() {
        b.push(Block::Heading("赡养、抚养、扶养义务人（不计入家庭人口）".into()));
        b.push(Block::Table {
            widths: vec![2.0, 2.5, 3.0],
            header: ["姓名", "身份证号", "义务"].map(String::from).to_vec(),
            rows: r.supporters.iter().map(|s| vec![s.name.clone(), s.id_masked.clone(), s.duty.clone()]).collect(),
        });
    }
    b.push(Block::Heading("申报与核对对比".into()));
    b.push(Block::Table {
        widths: vec![2.0, 1.8, 2.0, 2.0, 2.0],
        header: ["项目", "成员", "申报", "核对", "差额"].map(String::from).to_vec(),
        rows: r
            .comparison
            .iter()
            .map(|c| {
                vec![
                    c.item.clone(),
                    name_of(c.member_seq),
                    yuan(c.declared),
                    c.verified.map(yuan).unwrap_or_else(|| "未知".into()),
                    c.difference.map(yuan).unwrap_or_default(),
                ]
            })
            .collect(),
    });
    b.push(Block::Heading("核对项目".into()));
    b.push(Block::Table {
        widths: vec![2.2, 2.6, 2.6, 0.6, 1.0],
        header: ["项目", "核对值", "标准", "规则", "结果"].map(String::from).to_vec(),
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
            header: ["成员", "来源", "数据日期", "内容", "金额"].map(String::from).to_vec(),
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
    b.push(Block::Heading("疑点".into()));
    if a.anomalies.is_empty() {
        b.push(Block::Para("未发现疑点。".into()));
    } else {
        b.push(Block::Table {
            widths: vec![2.0, 1.6, 5.0],
            header: ["疑点", "成员", "说明"].map(String::from).to_vec(),
            rows: a.anomalies.iter().map(|x| vec![x.title.clone(), name_of(x.member_seq), x.detail.clone()]).collect(),
        });
    }
    b.push(Block::Heading("未核对事项".into()));
    if a.missing.is_empty() {
        b.push(Block::Para("无。全部数据来源均已反馈。".into()));
    } else {
        for m in &a.missing {
            b.push(Block::Para(format!("· {m}")));
        }
    }
    b.push(Block::Heading("数据来源".into()));
    b.push(Block::Table {
        widths: vec![3.5, 1.5, 3.0],
        header: ["来源", "数据日期", "反馈情况"].map(String::from).to_vec(),
        rows: r
            .sources
            .iter()
            .map(|s| {
                let state = match &s.state {
                    SourceState::Answered => "已反馈".to_string(),
                    SourceState::NoRecord => "无记录".to_string(),
                    SourceState::NotAnswered { reason } => format!("未反馈：{reason}"),
                    SourceState::Replaced { reason } => format!("未反馈（已由其他来源补足）：{reason}"),
                };
                vec![s.name.clone(), s.as_of.map(|d| d.to_string()).unwrap_or_default(), state]
            })
            .collect(),
    });
    if let Some(d) = &a.decision {
        b.push(Block::Heading("政策测算（供业务部门参考，不作认定）".into()));
        let mut kv = vec![
            ("适用政策".to_string(), format!("{}：{}", d.programme_name, d.doc)),
            ("各项结果".into(), d.word.clone()),
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
    Doc {
        title: format!("家庭经济状况核对报告 {}", r.number),
        author: "hedui 核对平台".into(),
        footer: format!("{} 第 {} 版", r.number, r.version),
        blocks: b,
    }
}

impl App {
    /// A signed report file (PDF or JSON) for `actor`, names masked as the role requires.
    pub fn report_file(&self, actor: &Caller, job: JobId, version: Option<i64>, format: Format) -> AppResult<Vec<u8>> {
        let r = self.report(actor, job, version)?;
        let content = match format {
            Format::Pdf => hedui_pdf::render(&report_doc(&r)).map_err(|e| AppError::Internal(e.to_string()))?,
            Format::Json => serde_json::to_vec_pretty(&r).map_err(|e| AppError::Internal(e.to_string()))?,
            Format::Html => return Err(AppError::Invalid("HTML 报告由网页生成".into())),
        };
        self.sign_report(&r, format, &content)
    }

    /// Signs a report file's content with the node's report key.
    pub fn sign_report(&self, r: &Report, format: Format, content: &[u8]) -> AppResult<Vec<u8>> {
        self.signer.sign(format, &r.number, r.version, content, r.seal.as_ref()).map_err(AppError::Internal)
    }
}
