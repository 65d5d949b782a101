//! The compiled form of a programme: variables, rules, tests and the bytecode the evaluators run.
//!
//! The compiler writes it and the evaluators (`vm` one household at a time, `batch` over columns)
//! read it; neither imports the other.

use hedui_core::Date;
use hedui_core::programme::Programme;

use crate::inputs::Entity;
use crate::{ResolvedParam, TestDef, Unit};

/// Stack slots per expression; deeper expressions are refused when compiled.
pub(crate) const STACK: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    Floor,
    Ceil,
    HalfUp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggKind {
    Sum,
    Count,
    Any,
    All,
    Max,
    Min,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Const(i64),
    HI(u16),
    HV(u16),
    MI(u16),
    MV(u16),
    Add,
    Sub,
    Mul,
    Neg,
    Abs,
    Min,
    Max,
    Div(Rounding),
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    Not,
    And,
    Or,
    JumpIfFalseKeep(u32),
    JumpIfTrueKeep(u32),
    /// Pops a condition: unknown pushes unknown and jumps to the end; false jumps to else.
    Cond(u32, u32),
    Jump(u32),
    Known,
    Agg(AggKind, u32),
}

/// A compiled variable.
#[derive(Clone, Debug)]
pub struct VarInfo {
    pub name: String,
    pub title: String,
    pub unit: Unit,
    pub entity: Entity,
    pub(crate) slot: u16,
    /// Indices into `Program::rules`.
    pub rules: Vec<usize>,
    /// The value, when one unconditional rule defines it from parameters alone.
    pub constant: Option<i64>,
}

/// A compiled rule: where it comes from and what it reads.
#[derive(Clone, Debug)]
pub struct RuleInfo {
    pub id: String,
    pub var: usize,
    pub doc: String,
    pub region: String,
    pub expr: String,
    pub when: Option<String>,
    pub priority: i32,
    pub from: Date,
    pub to: Option<Date>,
    /// Indices into `Program::params`.
    pub params: Vec<usize>,
    pub inputs: Vec<(Entity, usize)>,
    /// Indices into `Program::vars`.
    pub vars: Vec<usize>,
}

#[derive(Clone, Debug)]
pub(crate) struct Alt {
    pub rule: usize,
    pub when: Option<Vec<Op>>,
    pub expr: Vec<Op>,
}

#[derive(Clone, Debug)]
pub(crate) struct Step {
    pub var: usize,
    /// Alternatives grouped by priority, highest first.
    pub groups: Vec<Vec<Alt>>,
    /// Needed for the tests and the benefit (the fast path skips the rest).
    pub needed: bool,
}

/// A compiled test.
#[derive(Clone, Debug)]
pub struct CTest {
    pub def: TestDef,
    pub pass: usize,
    pub found: Option<usize>,
    pub limit: Option<usize>,
}

/// A programme compiled for one region and date.
#[derive(Clone, Debug)]
pub struct Program {
    pub programme: Programme,
    pub region: String,
    pub as_of: Date,
    /// The documents applied, province first.
    pub chain: Vec<(String, String)>,
    /// The programme entry's document and region.
    pub doc: String,
    pub doc_region: String,
    pub vars: Vec<VarInfo>,
    pub rules: Vec<RuleInfo>,
    pub params: Vec<ResolvedParam>,
    pub tests: Vec<CTest>,
    pub benefit: Option<usize>,
    pub show: Vec<usize>,
    pub(crate) steps: Vec<Step>,
    pub(crate) subs: Vec<Vec<Op>>,
    pub(crate) hv_count: usize,
    pub(crate) mv_count: usize,
    /// A copy of every word parameter the rules compare (for the trace).
    pub wording: Option<String>,
    /// The declared inputs, in the order of their household slots after the built-in ones.
    pub declared: Vec<crate::inputs::DeclaredInput>,
}

impl Program {
    /// The declared inputs' names, in slot order.
    pub fn declared_names(&self) -> Vec<String> {
        self.declared.iter().map(|d| d.name.clone()).collect()
    }

    /// An input's name, title and unit by entity and slot.
    pub fn input_info(&self, e: Entity, slot: usize) -> crate::inputs::InputInfo<'_> {
        use crate::inputs::{HOUSEHOLD_INPUTS, InputInfo, MEMBER_INPUTS};
        let fixed = |d: &'static crate::inputs::InputDef| InputInfo {
            name: d.name,
            title: d.title,
            unit: d.unit,
            categories: d.categories.to_vec(),
        };
        match e {
            Entity::Member => fixed(&MEMBER_INPUTS[slot.min(MEMBER_INPUTS.len() - 1)]),
            Entity::Household if slot < HOUSEHOLD_INPUTS.len() => fixed(&HOUSEHOLD_INPUTS[slot]),
            Entity::Household => match self.declared.get(slot - HOUSEHOLD_INPUTS.len()) {
                Some(d) => {
                    InputInfo { name: &d.name, title: &d.title, unit: d.unit(), categories: vec![d.category.as_str()] }
                }
                None => fixed(&HOUSEHOLD_INPUTS[0]),
            },
        }
    }

    pub fn var(&self, name: &str) -> Option<usize> {
        self.vars.iter().position(|v| v.name == name)
    }
}
