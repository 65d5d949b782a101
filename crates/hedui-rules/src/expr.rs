//! The rule expression language: a small, typed, integer-only language.
//!
//! ```text
//! expr    := or
//! or      := and ("or" and)*
//! and     := not ("and" not)*
//! not     := "not" not | cmp
//! cmp     := add (("<" | "<=" | ">" | ">=" | "==" | "!=") add)?
//! add     := mul (("+" | "-") mul)*
//! mul     := unary ("*" unary)*
//! unary   := "-" unary | primary
//! primary := integer | "string" | true | false | name | name "(" expr ("," expr)* ")" | "(" expr ")"
//! ```
//!
//! There is no `/`: every division names its rounding (`div_floor`, `div_ceil`, `div_round`,
//! `round(x, d, mode)`), so no rule rounds silently. Money is integer fen; there are no floats.

use std::fmt;

/// A parsed expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ast {
    Int(i64),
    Bool(bool),
    Str(String),
    Name(String),
    Call(String, Vec<Ast>),
    Neg(Box<Ast>),
    Not(Box<Ast>),
    Bin(BinOp, Box<Ast>, Box<Ast>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "×",
            BinOp::Lt => "<",
            BinOp::Le => "≤",
            BinOp::Gt => ">",
            BinOp::Ge => "≥",
            BinOp::Eq => "=",
            BinOp::Ne => "≠",
            BinOp::And => "且",
            BinOp::Or => "或",
        }
    }
}

/// A syntax error, with the character offset where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub at: usize,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "第 {} 个字符处：{}", self.at + 1, self.message)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Int(i64),
    Str(String),
    Name(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

fn lex(src: &str) -> Result<Vec<(usize, Tok)>, SyntaxError> {
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let err = |at: usize, message: String| SyntaxError { at, message };
    while i < chars.len() {
        let (at, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() {
            let mut v: i64 = 0;
            while i < chars.len() && (chars[i].1.is_ascii_digit() || chars[i].1 == '_') {
                if let Some(d) = chars[i].1.to_digit(10) {
                    v = v
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(i64::from(d)))
                        .ok_or_else(|| err(at, "数字过大".into()))?;
                }
                i += 1;
            }
            if i < chars.len() && chars[i].1 == '.' {
                return Err(err(chars[i].0, "只允许整数（金额以分为单位，比例用百分数或千分数）".into()));
            }
            out.push((at, Tok::Int(v)));
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].1.is_ascii_alphanumeric() || chars[i].1 == '_' || chars[i].1 == '.') {
                i += 1;
            }
            let name: String = chars[start..i].iter().map(|(_, c)| *c).collect();
            out.push((at, Tok::Name(name)));
            continue;
        }
        if c == '"' {
            i += 1;
            let start = i;
            while i < chars.len() && chars[i].1 != '"' {
                i += 1;
            }
            if i >= chars.len() {
                return Err(err(at, "字符串缺少结尾的引号".into()));
            }
            let s: String = chars[start..i].iter().map(|(_, c)| *c).collect();
            i += 1;
            out.push((at, Tok::Str(s)));
            continue;
        }
        let next = chars.get(i + 1).map(|(_, c)| *c);
        let two = |a: char, b: char| c == a && next == Some(b);
        let (tok, len) = if two('<', '=') {
            (Tok::Op("<="), 2)
        } else if two('>', '=') {
            (Tok::Op(">="), 2)
        } else if two('=', '=') {
            (Tok::Op("=="), 2)
        } else if two('!', '=') {
            (Tok::Op("!="), 2)
        } else {
            match c {
                '<' => (Tok::Op("<"), 1),
                '>' => (Tok::Op(">"), 1),
                '+' => (Tok::Op("+"), 1),
                '-' => (Tok::Op("-"), 1),
                '*' => (Tok::Op("*"), 1),
                '(' => (Tok::LParen, 1),
                ')' => (Tok::RParen, 1),
                ',' => (Tok::Comma, 1),
                '/' => {
                    return Err(err(at, "不支持“/”：请用 div_floor、div_ceil、div_round 或 round 写明取整方式".into()));
                }
                '=' => return Err(err(at, "比较相等请写“==”".into())),
                _ => return Err(err(at, format!("无法识别的字符“{}”", c))),
            }
        };
        out.push((at, tok));
        i += len;
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }
    fn at(&self) -> usize {
        self.toks.get(self.pos).map(|(a, _)| *a).unwrap_or(self.end)
    }
    fn err<T>(&self, message: impl Into<String>) -> Result<T, SyntaxError> {
        Err(SyntaxError { at: self.at(), message: message.into() })
    }
    fn eat_name(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Name(n)) if n == word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn eat_op(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Op(o)) if *o == op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Ast, SyntaxError> {
        let mut l = self.and()?;
        while self.eat_name("or") {
            let r = self.and()?;
            l = Ast::Bin(BinOp::Or, Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn and(&mut self) -> Result<Ast, SyntaxError> {
        let mut l = self.not()?;
        while self.eat_name("and") {
            let r = self.not()?;
            l = Ast::Bin(BinOp::And, Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn not(&mut self) -> Result<Ast, SyntaxError> {
        if self.eat_name("not") {
            return Ok(Ast::Not(Box::new(self.not()?)));
        }
        self.cmp()
    }
    fn cmp(&mut self) -> Result<Ast, SyntaxError> {
        let l = self.add()?;
        let op = match self.peek() {
            Some(Tok::Op("<")) => BinOp::Lt,
            Some(Tok::Op("<=")) => BinOp::Le,
            Some(Tok::Op(">")) => BinOp::Gt,
            Some(Tok::Op(">=")) => BinOp::Ge,
            Some(Tok::Op("==")) => BinOp::Eq,
            Some(Tok::Op("!=")) => BinOp::Ne,
            _ => return Ok(l),
        };
        self.pos += 1;
        let r = self.add()?;
        if matches!(self.peek(), Some(Tok::Op("<" | "<=" | ">" | ">=" | "==" | "!="))) {
            return self.err("比较不能连写，请用 and 连接两个比较");
        }
        Ok(Ast::Bin(op, Box::new(l), Box::new(r)))
    }
    fn add(&mut self) -> Result<Ast, SyntaxError> {
        let mut l = self.mul()?;
        loop {
            let op = if self.eat_op("+") {
                BinOp::Add
            } else if self.eat_op("-") {
                BinOp::Sub
            } else {
                return Ok(l);
            };
            let r = self.mul()?;
            l = Ast::Bin(op, Box::new(l), Box::new(r));
        }
    }
    fn mul(&mut self) -> Result<Ast, SyntaxError> {
        let mut l = self.unary()?;
        while self.eat_op("*") {
            let r = self.unary()?;
            l = Ast::Bin(BinOp::Mul, Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn unary(&mut self) -> Result<Ast, SyntaxError> {
        if self.eat_op("-") {
            return Ok(Ast::Neg(Box::new(self.unary()?)));
        }
        self.primary()
    }
    fn primary(&mut self) -> Result<Ast, SyntaxError> {
        let Some(tok) = self.peek().cloned() else { return self.err("表达式不完整") };
        self.pos += 1;
        match tok {
            Tok::Int(v) => Ok(Ast::Int(v)),
            Tok::Str(s) => Ok(Ast::Str(s)),
            Tok::Name(n) if n == "true" => Ok(Ast::Bool(true)),
            Tok::Name(n) if n == "false" => Ok(Ast::Bool(false)),
            Tok::Name(n) if matches!(n.as_str(), "and" | "or" | "not") => {
                self.pos -= 1;
                self.err(format!("“{}”前缺少操作数", n))
            }
            Tok::Name(n) => {
                if self.peek() == Some(&Tok::LParen) {
                    self.pos += 1;
                    let mut args = Vec::new();
                    if self.peek() == Some(&Tok::RParen) {
                        self.pos += 1;
                        return Ok(Ast::Call(n, args));
                    }
                    loop {
                        args.push(self.or()?);
                        match self.peek() {
                            Some(Tok::Comma) => self.pos += 1,
                            Some(Tok::RParen) => {
                                self.pos += 1;
                                return Ok(Ast::Call(n, args));
                            }
                            _ => return self.err(format!("函数 {} 的参数后应为“,”或“)”", n)),
                        }
                    }
                }
                Ok(Ast::Name(n))
            }
            Tok::LParen => {
                let e = self.or()?;
                if self.peek() != Some(&Tok::RParen) {
                    return self.err("缺少“)”");
                }
                self.pos += 1;
                Ok(e)
            }
            Tok::RParen | Tok::Comma | Tok::Op(_) => {
                self.pos -= 1;
                self.err("此处应为数值、名称或“(”")
            }
        }
    }
}

/// Parses one expression.
pub fn parse(src: &str) -> Result<Ast, SyntaxError> {
    let toks = lex(src)?;
    let mut p = Parser { toks, pos: 0, end: src.chars().count() };
    let e = p.or()?;
    if p.pos < p.toks.len() {
        return p.err("表达式后有多余内容");
    }
    Ok(e)
}

impl Ast {
    /// Every name the expression refers to (not function names), in order of appearance.
    pub fn names(&self, out: &mut Vec<String>) {
        match self {
            Ast::Name(n) => {
                if !out.contains(n) {
                    out.push(n.clone())
                }
            }
            Ast::Call(_, args) => args.iter().for_each(|a| a.names(out)),
            Ast::Neg(a) | Ast::Not(a) => a.names(out),
            Ast::Bin(_, a, b) => {
                a.names(out);
                b.names(out);
            }
            Ast::Int(_) | Ast::Bool(_) | Ast::Str(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Ast {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn precedence_and_calls() {
        assert_eq!(
            p("a + b * 2 < c and not d"),
            Ast::Bin(
                BinOp::And,
                Box::new(Ast::Bin(
                    BinOp::Lt,
                    Box::new(Ast::Bin(
                        BinOp::Add,
                        Box::new(Ast::Name("a".into())),
                        Box::new(Ast::Bin(BinOp::Mul, Box::new(Ast::Name("b".into())), Box::new(Ast::Int(2))))
                    )),
                    Box::new(Ast::Name("c".into()))
                )),
                Box::new(Ast::Not(Box::new(Ast::Name("d".into()))))
            )
        );
        assert_eq!(
            p("div_ceil(x.y, 1_200)"),
            Ast::Call("div_ceil".into(), vec![Ast::Name("x.y".into()), Ast::Int(1200)])
        );
        assert_eq!(p("-(1)"), Ast::Neg(Box::new(Ast::Int(1))));
        assert_eq!(p("f()"), Ast::Call("f".into(), vec![]));
    }

    #[test]
    fn errors_say_where_and_why() {
        let e = |s: &str| parse(s).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e("a / 3").contains("div_floor"), "{}", e("a / 3"));
        assert!(e("1.5 * a").contains("只允许整数"));
        assert!(e("a < b < c").contains("不能连写"));
        assert!(e("(a + b").contains("缺少“)”"));
        assert!(e("a +").contains("表达式不完整"));
        assert!(e("a = b").contains("=="));
        assert!(e("a b").contains("多余"));
        assert!(e("\"x").contains("引号"));
        assert!(e("f(a b)").contains("参数后"));
        assert!(e("a and or b").contains("“or”前缺少操作数"));
    }
}
