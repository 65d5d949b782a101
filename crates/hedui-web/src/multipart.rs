//! `multipart/form-data` as the pages' upload forms post it (a letter's scan, a department's
//! file): the whole body is in memory (the guard has read it within its limit), split at the
//! boundary into named parts.

/// One field or file of a form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    /// Present for a file input (empty when no file was chosen).
    pub file_name: Option<String>,
    pub data: Vec<u8>,
}

impl Part {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// The boundary a `Content-Type` header names, when it is `multipart/form-data`.
pub fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case("boundary").then(|| v.trim().trim_matches('"').to_string())
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| hay[i..].starts_with(needle))
}

/// A header parameter (`name="x"`) of a `Content-Disposition` line.
fn param(line: &str, key: &str) -> Option<String> {
    line.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case(key).then(|| v.trim().trim_matches('"').replace("%22", "\""))
    })
}

/// The parts of a body, in order; an error a clerk can act on when it is not well formed.
pub fn parse(content_type: &str, body: &[u8]) -> Result<Vec<Part>, String> {
    let b = boundary(content_type).ok_or("表单不是 multipart/form-data 格式")?;
    let delim = format!("--{b}");
    let mut at = find(body, delim.as_bytes(), 0).ok_or("表单缺少分隔符，上传不完整")?;
    let next_delim = format!("\r\n--{b}");
    let mut parts = Vec::new();
    loop {
        at += delim.len();
        if body[at..].starts_with(b"--") {
            return Ok(parts);
        }
        let head_start = at + 2;
        let head_end = find(body, b"\r\n\r\n", head_start).ok_or("表单分段缺少头部，上传不完整")?;
        let head = String::from_utf8_lossy(&body[head_start..head_end]).into_owned();
        let data_start = head_end + 4;
        let end = find(body, next_delim.as_bytes(), data_start).ok_or("表单分段没有结束，上传不完整")?;
        let disposition = head.lines().find(|l| l.to_ascii_lowercase().starts_with("content-disposition"));
        let disposition = disposition.ok_or("表单分段缺少 Content-Disposition")?;
        parts.push(Part {
            name: param(disposition, "name").unwrap_or_default(),
            file_name: param(disposition, "filename"),
            data: body[data_start..end].to_vec(),
        });
        at = end + 2;
    }
}

/// The first part named `name`.
pub fn field<'p>(parts: &'p [Part], name: &str) -> Option<&'p Part> {
    parts.iter().find(|p| p.name == name)
}

/// The text of the first part named `name`, or empty.
pub fn text(parts: &[Part], name: &str) -> String {
    field(parts, name).map(Part::text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_files_come_out_whole() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"scan\"; filename=\"\xe6\x8e\x88\xe6\x9d\x83.pdf\"\r\n\
Content-Type: application/pdf\r\n\r\n%PDF-1\r\n--X\r\n%%EOF\r\n--XyZ--\r\n";
        let parts = parse("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(text(&parts, "csrf"), "abc");
        let f = field(&parts, "scan").unwrap();
        assert_eq!(f.file_name.as_deref(), Some("授权.pdf"));
        // A line inside the file that starts like the boundary but is not it stays in the file.
        assert_eq!(f.data, b"%PDF-1\r\n--X\r\n%%EOF");
        assert!(
            parse("multipart/form-data; boundary=XyZ", b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1")
                .is_err()
        );
        assert!(parse("application/x-www-form-urlencoded", b"a=1").is_err());
        assert_eq!(boundary("multipart/form-data; boundary=\"q q\""), Some("q q".into()));
    }
}
