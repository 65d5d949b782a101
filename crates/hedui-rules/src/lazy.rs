//! A decision's trace as a stored report carries it: its JSON kept as read until a reader needs
//! its steps.
//!
//! The trace is most of a report's body (about 50 KB of 64 KB for a household of three), and
//! building its steps was most of the work of reading a report. A report page shows the trace
//! only when the clerk opens it, and the API passes its JSON on as stored; neither needs the
//! steps. The steps are built the first time something asks for them (the text, masking, a
//! file), and a trace built by the rules engine is simply held.

use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::inputs::Entity;
use crate::trace::{Trace, TraceStep};

/// A [`Trace`], kept as JSON until its steps are asked for.
pub struct LazyTrace {
    /// The JSON as read; `None` once the steps may have changed.
    raw: Option<Box<RawValue>>,
    steps: OnceLock<Trace>,
}

impl LazyTrace {
    /// The trace's steps, built from its JSON the first time. A trace whose JSON does not read as
    /// a trace (a body written by a release whose trace differs) gives one step that says so,
    /// never an empty explanation.
    pub fn get(&self) -> &Trace {
        self.steps.get_or_init(|| match &self.raw {
            Some(raw) => serde_json::from_str(raw.get()).unwrap_or_else(|e| unreadable(&e)),
            None => Trace::default(),
        })
    }

    /// The steps, to change them (masking); the JSON as read is dropped.
    pub fn get_mut(&mut self) -> &mut Trace {
        self.get();
        self.raw = None;
        match self.steps.get_mut() {
            Some(t) => t,
            None => unreachable!("the steps were built above"),
        }
    }

    /// Whether the steps have been built (for tests of the reading path).
    pub fn is_built(&self) -> bool {
        self.steps.get().is_some()
    }
}

fn unreadable(e: &serde_json::Error) -> Trace {
    Trace {
        steps: vec![TraceStep {
            var: "trace".into(),
            title: "计算过程无法读取".into(),
            entity: Entity::Household,
            member_seq: None,
            value: None,
            text: e.to_string(),
            rule: None,
            params: Vec::new(),
            inputs: Vec::new(),
            uses: Vec::new(),
        }],
    }
}

impl From<Trace> for LazyTrace {
    fn from(t: Trace) -> LazyTrace {
        LazyTrace { raw: None, steps: OnceLock::from(t) }
    }
}

impl Default for LazyTrace {
    fn default() -> LazyTrace {
        LazyTrace::from(Trace::default())
    }
}

/// Reads the steps as [`LazyTrace::get`] does.
impl std::ops::Deref for LazyTrace {
    type Target = Trace;
    fn deref(&self) -> &Trace {
        self.get()
    }
}

/// Changes the steps as [`LazyTrace::get_mut`] does.
impl std::ops::DerefMut for LazyTrace {
    fn deref_mut(&mut self) -> &mut Trace {
        self.get_mut()
    }
}

impl Clone for LazyTrace {
    fn clone(&self) -> LazyTrace {
        LazyTrace { raw: self.raw.clone(), steps: self.steps.clone() }
    }
}

impl fmt::Debug for LazyTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

impl PartialEq for LazyTrace {
    fn eq(&self, other: &LazyTrace) -> bool {
        self.get() == other.get()
    }
}

impl Eq for LazyTrace {}

impl Serialize for LazyTrace {
    /// The JSON as read when nothing changed it (byte for byte, so a signed body's digest holds),
    /// else the steps.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.raw {
            Some(raw) => raw.serialize(s),
            None => self.get().serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for LazyTrace {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LazyTrace, D::Error> {
        Ok(LazyTrace { raw: Some(Box::<RawValue>::deserialize(d)?), steps: OnceLock::new() })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn step(var: &str, text: &str) -> TraceStep {
        TraceStep {
            var: var.into(),
            title: "人均收入".into(),
            entity: Entity::Household,
            member_seq: None,
            value: Some(1),
            text: text.into(),
            rule: None,
            params: Vec::new(),
            inputs: Vec::new(),
            uses: vec!["a".into()],
        }
    }

    #[test]
    fn a_read_trace_is_built_only_when_asked_and_written_back_as_read() {
        let t = Trace { steps: vec![step("x", "1.00 元"), step("y", "2.00 元")] };
        let json = serde_json::to_string(&LazyTrace::from(t.clone())).unwrap();
        assert_eq!(json, serde_json::to_string(&t).unwrap(), "the same JSON as the trace itself");

        let read: LazyTrace = serde_json::from_str(&json).unwrap();
        assert!(!read.is_built());
        assert_eq!(serde_json::to_string(&read).unwrap(), json, "passed on as read");
        assert!(!read.is_built(), "passing it on builds nothing");
        assert_eq!(read.get(), &t);
        assert_eq!(read.to_text(), t.to_text());
        assert_eq!(read, LazyTrace::from(t));
    }

    #[test]
    fn a_changed_trace_is_written_as_changed() {
        let t = Trace { steps: vec![step("x", "1.00 元")] };
        let mut read: LazyTrace = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        read.get_mut().steps[0].text = "***".into();
        let back: Trace = serde_json::from_str(&serde_json::to_string(&read).unwrap()).unwrap();
        assert_eq!(back.steps[0].text, "***");
        let mut fresh = LazyTrace::from(t);
        fresh.get_mut().steps.clear();
        assert!(fresh.get().steps.is_empty());
    }

    #[test]
    fn a_trace_that_does_not_read_says_so() {
        let read: LazyTrace = serde_json::from_str(r#"{"steps":[{"var":1}]}"#).unwrap();
        assert_eq!(read.get().steps.len(), 1);
        assert!(read.to_text().contains("计算过程无法读取"), "{}", read.to_text());
    }
}
