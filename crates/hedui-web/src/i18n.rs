//! The English switch: pages are made in Chinese, and a page served to a browser that chose
//! English (the `hedui_lang=en` cookie, set by `/lang/en`) is translated on its way out.
//!
//! The translation works on runs of Chinese text (Chinese characters and punctuation, with the
//! spaces between them) in the page's text and in the attributes people read (`title`,
//! `placeholder`, `aria-label`, `alt`). Each run is looked up in one table, `i18n/en.tsv`; a run
//! the table lacks is tried without its leading and trailing punctuation, and otherwise stays as
//! it is. So the words of the templates, the menu, the roles, the states and the report's labels
//! are translated wherever they appear, while data (names, addresses, the policy's rule names)
//! stays as it was written. Form values are never touched: a form posts the same values in both
//! languages. Tests check that every run of the templates and of the label sets has an entry.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

/// The cookie that carries the chosen language.
pub const LANG_COOKIE: &str = "hedui_lang";

/// The table: each Chinese run and its English.
fn table() -> &'static HashMap<&'static str, &'static str> {
    static TABLE: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        [include_str!("../i18n/en.tsv"), include_str!("../i18n/en-labels.tsv")]
            .into_iter()
            .flat_map(str::lines)
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
            .collect()
    })
}

/// Whether the request's browser chose English.
pub fn wants_english(headers: &HeaderMap) -> bool {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).any(|c| {
        c.split(';').any(|p| p.trim().strip_prefix(LANG_COOKIE).and_then(|r| r.strip_prefix('=')) == Some("en"))
    })
}

/// `GET /lang/{code}`: remembers the language for a year and goes back to the page the link was
/// on (a path of this site only, from the `Referer` header).
pub async fn switch(axum::extract::Path(code): axum::extract::Path<String>, headers: HeaderMap) -> Response {
    let lang = if code == "en" { "en" } else { "zh" };
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            let rest = r.split_once("://").map_or(r, |(_, rest)| rest);
            rest.find('/').map(|i| &rest[i..])
        })
        .filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/lang/"))
        .unwrap_or("/")
        .to_string();
    let mut resp = Redirect::to(&back).into_response();
    let cookie = format!("{LANG_COOKIE}={lang}; Path=/; Max-Age=31536000; SameSite=Lax");
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303f}' | '\u{4e00}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}' | '“' | '”' | '‘' | '’' | '…' | '—' | '·')
}

/// The punctuation a run may begin or end with, and its English form.
fn punctuation(c: char) -> Option<&'static str> {
    Some(match c {
        '（' => " (",
        '）' => ") ",
        '，' | '、' => ", ",
        '。' => ". ",
        '：' => ": ",
        '；' => "; ",
        '！' => "! ",
        '？' => "? ",
        '“' | '”' => "\"",
        '‘' | '’' => "'",
        '《' | '》' | '【' | '】' => "",
        '…' => "…",
        '—' => "—",
        '·' => "·",
        '\u{3000}' => " ",
        _ => return None,
    })
}

/// Each run of Chinese text in `s`, as (start, end) byte offsets.
pub fn runs(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut last_end = 0;
    for (i, c) in s.char_indices() {
        if is_cjk(c) {
            start.get_or_insert(i);
            last_end = i + c.len_utf8();
        } else if c != ' '
            && let Some(b) = start.take()
        {
            out.push((b, last_end));
        }
    }
    if let Some(b) = start {
        out.push((b, last_end));
    }
    out
}

/// The pieces of a run between its punctuation: (piece, punctuation after it).
pub fn pieces(run: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = run.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if punctuation(c).is_none() {
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = chars.peek() {
            if punctuation(d).is_none() {
                break;
            }
            end = j + d.len_utf8();
            chars.next();
        }
        out.push((run[start..i].trim(), &run[i..end]));
        start = end;
    }
    if start < run.len() {
        out.push((run[start..].trim(), ""));
    }
    out
}

/// A run in English: the table's entry for the whole run, or else each of its pieces between
/// punctuation by its entry, a piece without one (a name, a place) staying as it is; `None` when
/// no piece has one.
pub fn run_english(run: &str) -> Option<String> {
    let t = table();
    if let Some(e) = t.get(run) {
        return Some((*e).to_string());
    }
    let mut out = String::new();
    let mut known = false;
    for (piece, marks) in pieces(run) {
        match t.get(piece) {
            Some(e) => {
                known = true;
                out.push_str(e);
            }
            None => out.push_str(piece),
        }
        out.extend(marks.chars().filter_map(punctuation));
    }
    known.then(|| {
        let mut out = out.replace("  ", " ").replace(" )", ")").replace("( ", "(");
        for (from, to) in [(" ,", ","), (" .", "."), (" :", ":"), (" ;", ";")] {
            out = out.replace(from, to);
        }
        out
    })
}

/// The pieces of a run the table cannot translate. Each piece is asked for, even when the whole
/// run has an entry: on a page the run may stand beside other words.
pub fn missing_pieces(run: &str) -> Vec<&str> {
    pieces(run).into_iter().map(|(p, _)| p).filter(|p| !p.is_empty() && !table().contains_key(p)).collect()
}

/// Text in English: each run translated, with a space kept between a word and what follows.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 2);
    let mut at = 0;
    for (b, e) in runs(s) {
        out.push_str(&s[at..b]);
        match run_english(&s[b..e]) {
            Some(en) => {
                let en = en.trim_matches(' ');
                let glue = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == ')');
                if glue(out.chars().last()) && en.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '(') {
                    out.push(' ');
                }
                out.push_str(en);
                if en.ends_with(|c: char| c.is_ascii_alphanumeric() || matches!(c, ')' | ',' | ':' | ';' | '.'))
                    && s[e..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '(')
                {
                    out.push(' ');
                }
            }
            None => out.push_str(&s[b..e]),
        }
        at = e;
    }
    out.push_str(&s[at..]);
    out
}

/// The attributes people read, which are translated; every other attribute (a form's values,
/// links, data for scripts) is left as it is.
const READ_ATTRS: [&str; 4] = ["title", "placeholder", "aria-label", "alt"];

/// A tag with the values of its readable attributes passed through `on_text`.
fn tag(t: &str, out: &mut String, on_text: &mut dyn FnMut(&str, &mut String)) {
    let mut rest = t;
    while let Some(q) = rest.find("=\"") {
        let name_start = rest[..q].rfind([' ', '\n', '\t']).map_or(0, |i| i + 1);
        let name = &rest[name_start..q];
        let Some(len) = rest[q + 2..].find('"') else { break };
        let value = &rest[q + 2..q + 2 + len];
        out.push_str(&rest[..q + 2]);
        if READ_ATTRS.contains(&name) {
            on_text(value, out)
        } else {
            out.push_str(value)
        }
        out.push('"');
        rest = &rest[q + 3 + len..];
    }
    out.push_str(rest);
}

/// A page with its text and readable attributes passed through `on_text`, and its tags, scripts
/// and styles as they are.
fn walk(html: &str, on_text: &mut dyn FnMut(&str, &mut String)) -> String {
    let mut out = String::with_capacity(html.len() + html.len() / 4);
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        on_text(&rest[..open], &mut out);
        let Some(close) = rest[open..].find('>') else {
            rest = &rest[open..];
            break;
        };
        let t = &rest[open..open + close + 1];
        tag(t, &mut out, on_text);
        rest = &rest[open + close + 1..];
        for raw in ["<style", "<script"] {
            if t.starts_with(raw) {
                let end = format!("</{}", &raw[1..]);
                let stop = rest.find(&end).unwrap_or(rest.len());
                out.push_str(&rest[..stop]);
                rest = &rest[stop..];
            }
        }
    }
    on_text(rest, &mut out);
    out
}

/// A page in English: its text and readable attributes translated, its language declared.
pub fn page(html: &str) -> String {
    let html = html.replacen("<html lang=\"zh-CN\">", "<html lang=\"en\">", 1);
    walk(&html, &mut |s, out| out.push_str(&text(s)))
}

/// The runs of a page's text and readable attributes that the table cannot translate.
pub fn untranslated(html: &str) -> Vec<String> {
    let mut missing = Vec::new();
    walk(html, &mut |s, _| {
        for (b, e) in runs(s) {
            missing.extend(missing_pieces(&s[b..e]).into_iter().map(str::to_string));
        }
    });
    missing
}

/// A template's text with its code (`{% %}`, `{{ }}`, `{# #}`) replaced by a value: the words the
/// table must cover. Chinese inside the code is data the template compares with or passes on.
pub fn template_text(src: &str) -> String {
    let mut out = String::new();
    let mut rest = src;
    while let Some(i) = rest.find('{') {
        let close = match rest[i..].get(..2) {
            Some("{%") => "%}",
            Some("{{") => "}}",
            Some("{#") => "#}",
            _ => {
                out.push_str(&rest[..=i]);
                rest = &rest[i + 1..];
                continue;
            }
        };
        // A value stands between the words around it, as on the page.
        out.push_str(&rest[..i]);
        out.push_str(" 0 ");
        rest = rest[i..].find(close).map_or("", |j| &rest[i + j + 2..]);
    }
    out.push_str(rest);
    out
}

/// Every piece of the templates' words (between punctuation): the interface's own text, which an
/// English page must not show untranslated.
pub fn template_pieces() -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for (_, src) in crate::TEMPLATES {
        let text = template_text(src);
        walk(&text, &mut |s, _| {
            for (b, e) in runs(s) {
                out.extend(pieces(&s[b..e]).into_iter().map(|(p, _)| p.to_string()).filter(|p| !p.is_empty()));
            }
        });
    }
    out
}

#[cfg(test)]
#[path = "i18n_tests.rs"]
mod tests;
