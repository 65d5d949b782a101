//! Writes a sample document to the path given (for looking at the layout by eye).
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use hedui_pdf::{Block, Doc};
    let doc = Doc {
        title: "样例".into(),
        author: "hedui".into(),
        footer: "HD-20261127-000001-V1".into(),
        blocks: vec![
            Block::Title("家庭经济状况核对报告".into()),
            Block::Subtitle("报告编号 HD-20261127-000001-V1（第 1 版）".into()),
            Block::KeyValues(vec![
                ("委托编号".into(), "WT-1".into()),
                ("户编号".into(), "H000001".into()),
                ("地址".into(), "常州市天宁区某路 1 号".into()),
            ]),
            Block::Heading("核对结论".into()),
            Block::Para("超出：机动车超出当地最低生活保障政策规定。".into()),
            Block::Table {
                widths: vec![1.0, 2.0, 1.0],
                header: vec!["序号".into(), "姓名".into(), "关系".into()],
                rows: vec![
                    vec!["1".into(), "阿依古丽·买买提".into(), "户主".into()],
                    vec!["2".into(), "张䶮".into(), "配偶".into()],
                ],
            },
            Block::Lines(vec![
                "【家庭收入】= 36,000.00 元".into(),
                "  规则 income.total（…）：sum(if(m.counted, m.income, 0))".into(),
            ]),
        ],
    };
    let out = std::env::args().nth(1).unwrap_or_else(|| "sample.pdf".into());
    std::fs::write(out, hedui_pdf::render(&doc)?)?;
    Ok(())
}
