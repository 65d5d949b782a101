//! Label templates: how a report describes a row or an answer, written as data.
//!
//! A mapping file gives each department source a template over its columns (`{用途}，{建筑面积}
//! ㎡，证号 {不动产权证号:tail4}`); the catalog gives each category a template over an exchanged
//! item's fields (`{label}账户 {key:tail4}`). `{@code}`, `{@form}` and `{@status}` stand for the
//! label of the row's code in the category's code list.

/// The fields a label template names (`{用途}`, `{号牌号码:tail4}` …), without their format.
pub fn fields(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        let Some(j) = rest[i..].find('}') else { break };
        let inner = &rest[i + 1..i + j];
        out.push(inner.split(':').next().unwrap_or(inner));
        rest = &rest[i + j + 1..];
    }
    out
}

/// Fills a label template from named values (`get` answers a column, an item's field, or
/// `@code`, `@form`, `@status` with the code's label).
pub fn fill(template: &str, get: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find('}') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let inner = &rest[i + 1..i + j];
        let (name, fmt) = inner.split_once(':').unwrap_or((inner, ""));
        let v = get(name);
        match fmt {
            "tail4" => {
                let c: Vec<char> = v.chars().collect();
                if c.len() <= 4 {
                    out.push_str(&v);
                } else {
                    out.push_str("***");
                    out.extend(&c[c.len() - 4..]);
                }
            }
            _ => out.push_str(&v),
        }
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_values_tails_and_code_labels() {
        let get = |k: &str| match k {
            "号牌号码" => "苏D12345".to_string(),
            "@code" => "营运".to_string(),
            _ => String::new(),
        };
        assert_eq!(fill("{@code}车，号牌 {号牌号码:tail4}{未知}", &get), "营运车，号牌 ***2345");
        assert_eq!(fields("{a}x{b:tail4}{@code}"), vec!["a", "b", "@code"]);
        assert_eq!(fill("不完整 {a", &get), "不完整 {a");
    }
}
