//! `hedui id check`: one tab-separated line out per line in, in order, from stdin or a file.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests stop at the first surprise.

use std::io::Write;
use std::process::{Command, Stdio};

const INPUT: &str = "360426199101010071
34052419800101001x
370802940221002
360426199101010072
36042619910101007
810000199001010019

  120103198806018241 
320499199001011234
";

fn run(args: &[&str], stdin: Option<&str>) -> (String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hedui"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn every_input_line_gets_one_output_line_in_order() {
    let (out, err) = run(&["id", "check"], Some(INPUT));
    let lines: Vec<Vec<&str>> = out.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), INPUT.lines().count(), "{out}");
    for l in &lines {
        assert_eq!(l.len(), 4, "four columns: {l:?}");
    }
    assert_eq!(lines[0][..3], ["360426199101010071", "valid", "360426199101010071"]);
    assert_eq!(lines[1][1..3], ["valid", "34052419800101001X"], "lower-case x normalized");
    assert_eq!(lines[2][1..3], ["valid", "370802199402210029"], "15 digits upgraded");
    assert!(lines[2][3].contains("15"), "{:?}", lines[2]);
    assert_eq!(lines[3][1], "invalid");
    assert!(lines[3][3].contains("校验码"), "{:?}", lines[3]);
    assert_eq!(lines[3][2], "", "no normalized form for an invalid number");
    assert_eq!(lines[4][1], "invalid");
    assert_eq!(lines[5][1], "valid", "a Hong Kong/Macao residence permit is its own kind");
    assert!(lines[5][3].contains("港澳"), "{:?}", lines[5]);
    assert_eq!(lines[6][1], "invalid", "an empty line stays in place");
    assert_eq!(lines[7][1..3], ["valid", "120103198806018241"]);
    assert!(lines[8][1] == "valid" || lines[8][3].contains("校验码"), "{:?}", lines[8]);
    assert!(err.contains("有效") && err.contains("无效"), "{err}");
}

#[test]
fn unknown_address_codes_are_notes_not_rejections() {
    // 320499 is well-formed but not in the region data (a retired or never-issued code).
    let first17 = b"32049919900101123";
    let check = hedui_core::id_number::check_char(first17).unwrap();
    let id = format!("{}{}", std::str::from_utf8(first17).unwrap(), check as char);
    let dir = std::env::temp_dir().join(format!("hedui-idcheck-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ids.txt");
    std::fs::write(&file, format!("{id}\n")).unwrap();
    let (out, _) = run(&["id", "check", file.to_str().unwrap()], None);
    let cols: Vec<&str> = out.trim_end_matches('\n').split('\t').collect();
    assert_eq!(cols[1], "valid", "{out}");
    assert!(cols[3].contains("320499"), "the note names the unknown code: {out}");
}
