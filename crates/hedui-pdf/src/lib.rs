//! Documents to PDF, with Chinese text that prints the same everywhere and can be copied out.
//!
//! A [`Doc`] is a list of blocks: title, headings, paragraphs, key-value lists and tables. It
//! is laid out on A4 pages in one typeface, the OFL-licensed subset of Noto Sans SC that the
//! project ships (`data/fonts/`), embedded in each PDF as a further subset of the glyphs that
//! document uses. Text is written as glyph ids of a CID-keyed TrueType font with a ToUnicode
//! map, so `pdftotext` and copy-and-paste give back the exact characters, rare ones and the
//! `·` of minority names included. The output depends only on the document: no clock, no
//! random ids, so the same report gives the same bytes on every machine.

use std::collections::BTreeMap;
use std::io::Write;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// The shipped font (see `data/fonts/README.md`).
pub const FONT: &[u8] = include_bytes!("../../../data/fonts/NotoSansSC-hedui-subset.ttf");

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("字体无法读取: {0}")]
    Font(String),
    #[error("字体子集化失败: {0}")]
    Subset(String),
    #[error("PDF 压缩失败: {0}")]
    Compress(String),
}

/// One block of a document.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Title(String),
    /// A centred line under the title.
    Subtitle(String),
    Heading(String),
    Para(String),
    /// Small grey text (notes).
    Note(String),
    /// Label and value pairs, two pairs a line.
    KeyValues(Vec<(String, String)>),
    /// A table: relative column widths, a header row and rows.
    Table {
        widths: Vec<f32>,
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// Preformatted lines (a trace), kept as written and wrapped only where too long.
    Lines(Vec<String>),
}

/// A document and its metadata.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Doc {
    pub title: String,
    pub author: String,
    /// A footer on every page (e.g. the report number); the page number is added.
    pub footer: String,
    pub blocks: Vec<Block>,
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN_X: f32 = 50.0;
const MARGIN_TOP: f32 = 56.0;
const MARGIN_BOTTOM: f32 = 60.0;
const BODY: f32 = 10.0;

struct Font<'a> {
    face: ttf_parser::Face<'a>,
    upem: f32,
}

impl Font<'_> {
    fn gid(&self, c: char) -> u16 {
        self.face.glyph_index(c).map(|g| g.0).unwrap_or(0)
    }
    /// Advance of `c` at `size` points.
    fn advance(&self, c: char, size: f32) -> f32 {
        let g = ttf_parser::GlyphId(self.gid(c));
        f32::from(self.face.glyph_hor_advance(g).unwrap_or(0)) / self.upem * size
    }
    fn width(&self, s: &str, size: f32) -> f32 {
        s.chars().map(|c| self.advance(c, size)).sum()
    }
    /// Breaks `s` into lines no wider than `max` (at any character: Chinese has no spaces).
    fn wrap(&self, s: &str, size: f32, max: f32) -> Vec<String> {
        let mut out = Vec::new();
        for para in s.split('\n') {
            let mut line = String::new();
            let mut w = 0.0;
            for c in para.chars() {
                let a = self.advance(c, size);
                if w + a > max && !line.is_empty() {
                    out.push(std::mem::take(&mut line));
                    w = 0.0;
                }
                line.push(c);
                w += a;
            }
            out.push(line);
        }
        out
    }
}

/// A text run placed on a page.
struct Run {
    x: f32,
    y: f32,
    size: f32,
    grey: bool,
    text: String,
}

#[derive(Default)]
struct Page {
    runs: Vec<Run>,
    rules: Vec<(f32, f32, f32, f32)>,
}

struct Layout<'a> {
    font: &'a Font<'a>,
    pages: Vec<Page>,
    y: f32,
}

impl<'a> Layout<'a> {
    fn new(font: &'a Font<'a>) -> Self {
        Layout { font, pages: vec![Page::default()], y: PAGE_H - MARGIN_TOP }
    }
    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let n = self.pages.len() - 1;
        &mut self.pages[n]
    }
    fn ensure(&mut self, height: f32) {
        if self.y - height < MARGIN_BOTTOM {
            self.pages.push(Page::default());
            self.y = PAGE_H - MARGIN_TOP;
        }
    }
    fn text(&mut self, x: f32, size: f32, grey: bool, text: String) {
        let y = self.y - size;
        self.page().runs.push(Run { x, y, size, grey, text });
    }
    fn lines(&mut self, s: &str, size: f32, grey: bool, indent: f32, centred: bool) {
        let max = PAGE_W - 2.0 * MARGIN_X - indent;
        for line in self.font.wrap(s, size, max) {
            let lh = size * 1.55;
            self.ensure(lh);
            let x = if centred { (PAGE_W - self.font.width(&line, size)) / 2.0 } else { MARGIN_X + indent };
            self.text(x, size, grey, line);
            self.y -= lh;
        }
    }
    fn block(&mut self, b: &Block) {
        match b {
            Block::Title(t) => {
                self.lines(t, 18.0, false, 0.0, true);
                self.y -= 4.0;
            }
            Block::Subtitle(t) => {
                self.lines(t, 9.0, true, 0.0, true);
                self.y -= 6.0;
            }
            Block::Heading(t) => {
                self.y -= 8.0;
                self.ensure(13.0 * 1.6 + BODY * 3.0);
                self.lines(t, 13.0, false, 0.0, false);
                let y = self.y + 3.0;
                self.page().rules.push((MARGIN_X, y, PAGE_W - MARGIN_X, y));
                self.y -= 3.0;
            }
            Block::Para(t) => self.lines(t, BODY, false, 0.0, false),
            Block::Note(t) => self.lines(t, 8.5, true, 0.0, false),
            Block::Lines(ls) => {
                for l in ls {
                    let indent = l.chars().take_while(|c| *c == ' ').count() as f32 * 3.0;
                    self.lines(l.trim_start(), 8.5, false, indent, false);
                }
            }
            Block::KeyValues(kv) => {
                let col = (PAGE_W - 2.0 * MARGIN_X) / 2.0;
                for pair in kv.chunks(2) {
                    let cells: Vec<Vec<String>> =
                        pair.iter().map(|(k, v)| self.font.wrap(&format!("{k}：{v}"), BODY, col - 10.0)).collect();
                    let n = cells.iter().map(Vec::len).max().unwrap_or(1);
                    let lh = BODY * 1.55;
                    self.ensure(lh * n as f32);
                    for (i, c) in cells.into_iter().enumerate() {
                        for (j, line) in c.into_iter().enumerate() {
                            let y = self.y - lh * j as f32 - BODY;
                            let x = MARGIN_X + col * i as f32;
                            self.page().runs.push(Run { x, y, size: BODY, grey: false, text: line });
                        }
                    }
                    self.y -= lh * n as f32;
                }
            }
            Block::Table { widths, header, rows } => self.table(widths, header, rows),
        }
    }
    fn table(&mut self, widths: &[f32], header: &[String], rows: &[Vec<String>]) {
        let total: f32 = widths.iter().sum::<f32>().max(f32::EPSILON);
        let avail = PAGE_W - 2.0 * MARGIN_X;
        let cols: Vec<f32> = widths.iter().map(|w| w / total * avail).collect();
        let size = 9.0;
        let lh = size * 1.45;
        let row = |l: &mut Self, cells: &[String], grey: bool| {
            let wrapped: Vec<Vec<String>> = cells
                .iter()
                .enumerate()
                .map(|(i, c)| l.font.wrap(c, size, cols.get(i).copied().unwrap_or(avail) - 6.0))
                .collect();
            let n = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let h = lh * n as f32 + 4.0;
            l.ensure(h);
            let mut x = MARGIN_X;
            for (i, c) in wrapped.into_iter().enumerate() {
                for (j, line) in c.into_iter().enumerate() {
                    let y = l.y - 2.0 - lh * j as f32 - size;
                    l.page().runs.push(Run { x: x + 3.0, y, size, grey, text: line });
                }
                x += cols.get(i).copied().unwrap_or(0.0);
            }
            l.y -= h;
            let y = l.y;
            l.page().rules.push((MARGIN_X, y, PAGE_W - MARGIN_X, y));
        };
        self.y -= 2.0;
        let top = self.y;
        self.page().rules.push((MARGIN_X, top, PAGE_W - MARGIN_X, top));
        row(self, header, true);
        for r in rows {
            row(self, r, false);
        }
        self.y -= 4.0;
    }
}

fn deflate(data: &[u8]) -> Result<Vec<u8>, PdfError> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
    e.write_all(data).map_err(|e| PdfError::Compress(e.to_string()))?;
    e.finish().map_err(|e| PdfError::Compress(e.to_string()))
}

/// Lays `doc` out and writes it as a PDF.
// tidy: allow(long-fn): the page layout loop over every block kind.
pub fn render(doc: &Doc) -> Result<Vec<u8>, PdfError> {
    let face = ttf_parser::Face::parse(FONT, 0).map_err(|e| PdfError::Font(e.to_string()))?;
    let font = Font { upem: f32::from(face.units_per_em()), face };
    let mut layout = Layout::new(&font);
    for b in &doc.blocks {
        layout.block(b);
    }
    let pages = std::mem::take(&mut layout.pages);
    let count = pages.len();

    // The glyphs used, renumbered for the subset; the subset's glyph ids are the CIDs.
    let mut remapper = subsetter::GlyphRemapper::new();
    let mut to_unicode: BTreeMap<u16, char> = BTreeMap::new();
    let mut encode = |text: &str| -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let cid = remapper.remap(font.gid(c));
            to_unicode.entry(cid).or_insert(c);
            out.extend_from_slice(&cid.to_be_bytes());
        }
        out
    };
    let footer_of = |i: usize| format!("{}　第 {} 页，共 {} 页", doc.footer, i + 1, count);
    let mut contents = Vec::new();
    for (i, p) in pages.iter().enumerate() {
        let mut c = Content::new();
        for (x1, y1, x2, y2) in &p.rules {
            c.set_stroke_gray(0.6);
            c.set_line_width(0.5);
            c.move_to(*x1, *y1);
            c.line_to(*x2, *y2);
            c.stroke();
        }
        c.begin_text();
        let mut runs: Vec<(f32, f32, f32, bool, Vec<u8>)> =
            p.runs.iter().map(|r| (r.x, r.y, r.size, r.grey, encode(&r.text))).collect();
        let footer = footer_of(i);
        let fw = font.width(&footer, 8.0);
        runs.push(((PAGE_W - fw) / 2.0, 30.0, 8.0, true, encode(&footer)));
        for (x, y, size, grey, glyphs) in runs {
            c.set_fill_gray(if grey { 0.35 } else { 0.0 });
            c.set_font(Name(b"F1"), size);
            c.set_text_matrix([1.0, 0.0, 0.0, 1.0, x, y]);
            c.show(Str(&glyphs));
        }
        c.end_text();
        contents.push(c.finish());
    }

    let subset = subsetter::subset(FONT, 0, &remapper).map_err(|e| PdfError::Subset(format!("{e:?}")))?;

    let mut next = 1;
    let mut id = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog_id = id();
    let pages_id = id();
    let info_id = id();
    let type0_id = id();
    let cid_id = id();
    let desc_id = id();
    let cmap_id = id();
    let file_id = id();
    let page_ids: Vec<Ref> = (0..count).map(|_| id()).collect();
    let content_ids: Vec<Ref> = (0..count).map(|_| id()).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(pages_id);
    pdf.pages(pages_id).kids(page_ids.iter().copied()).count(count as i32);
    {
        let mut info = pdf.document_info(info_id);
        info.title(TextStr(&doc.title));
        info.author(TextStr(&doc.author));
        info.creator(TextStr("hedui"));
        info.finish();
    }
    for (i, page_id) in page_ids.iter().enumerate() {
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(pages_id);
        page.contents(content_ids[i]);
        page.resources().fonts().pair(Name(b"F1"), type0_id);
        page.finish();
    }
    for (i, c) in contents.iter().enumerate() {
        pdf.stream(content_ids[i], &deflate(c)?).filter(Filter::FlateDecode);
    }

    let base = Name(b"HEDUIA+HeduiSansSC-Regular");
    pdf.type0_font(type0_id)
        .base_font(base)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_id)
        .to_unicode(cmap_id);
    let system = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
    {
        let mut cid = pdf.cid_font(cid_id);
        cid.subtype(CidFontType::Type2);
        cid.base_font(base);
        cid.system_info(system);
        cid.font_descriptor(desc_id);
        cid.cid_to_gid_map_predefined(Name(b"Identity"));
        cid.default_width(1000.0);
        let mut old: Vec<u16> = remapper.remapped_gids().collect();
        // CID n is the n-th remapped glyph.
        let widths: Vec<f32> = old
            .drain(..)
            .map(|g| f32::from(font.face.glyph_hor_advance(ttf_parser::GlyphId(g)).unwrap_or(0)) / font.upem * 1000.0)
            .collect();
        cid.widths().consecutive(0, widths);
        cid.finish();
    }
    let bbox = font.face.global_bounding_box();
    let scale = |v: i16| f32::from(v) / font.upem * 1000.0;
    pdf.font_descriptor(desc_id)
        .name(base)
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(scale(bbox.x_min), scale(bbox.y_min), scale(bbox.x_max), scale(bbox.y_max)))
        .italic_angle(0.0)
        .ascent(scale(font.face.ascender()))
        .descent(scale(font.face.descender()))
        .cap_height(scale(font.face.capital_height().unwrap_or(font.face.ascender())))
        .stem_v(80.0)
        .font_file2(file_id);
    let mut cmap = UnicodeCmap::new(Name(b"Hedui-UCS"), system);
    for (cid, c) in &to_unicode {
        cmap.pair(*cid, *c);
    }
    pdf.cmap(cmap_id, &cmap.finish());
    pdf.stream(file_id, &deflate(&subset)?).filter(Filter::FlateDecode).pair(Name(b"Length1"), subset.len() as i32);
    Ok(pdf.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_renders_deterministically_with_its_glyphs_only() {
        let doc = Doc {
            title: "测试".into(),
            author: "hedui".into(),
            footer: "HD-1".into(),
            blocks: vec![
                Block::Title("家庭经济状况核对报告".into()),
                Block::Para("买买提·艾力 王䶮 李龑".into()),
                Block::Table {
                    widths: vec![1.0, 2.0],
                    header: vec!["项目".into(), "结果".into()],
                    rows: (0..120).map(|i| vec![format!("第 {i} 行"), "未超出".into()]).collect(),
                },
            ],
        };
        let a = render(&doc).unwrap_or_default();
        let b = render(&doc).unwrap_or_default();
        assert!(a.starts_with(b"%PDF-"));
        assert_eq!(a, b, "the same document gives the same bytes");
        // A few dozen glyphs, not the whole 2 MB font.
        assert!(a.len() < 120_000, "{} bytes", a.len());
        let pages = a.windows(b"/Type /Page\n".len()).filter(|w| *w == b"/Type /Page\n").count();
        assert!(pages >= 2, "the long table breaks across pages ({pages})");
    }
}
