//! What the report page hands its template: the report without what the page never reads. A
//! report's decision carries its whole trace, and its assessment the decision's inputs; both
//! went into the template's values on every page (twice: in the report and in the assessment),
//! most of a page's work, while the page prints the trace as one text. These views borrow the
//! report and serialize its fields by hand, the trace as whether there is one. A field the page
//! should show is added here.

use serde::ser::{Serialize, SerializeStruct, Serializer};

use hedui_app::reports::Report;
use hedui_means::Assessment;

/// The report's fields but its assessment (the page reads that as `a`).
pub struct ReportHead<'a>(pub &'a Report);

impl Serialize for ReportHead<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut st = s.serialize_struct("Report", 18)?;
        st.serialize_field("number", &r.number)?;
        st.serialize_field("job", &r.job)?;
        st.serialize_field("version", &r.version)?;
        st.serialize_field("issued_at", &r.issued_at)?;
        st.serialize_field("as_of", &r.as_of)?;
        st.serialize_field("commission", &r.commission)?;
        st.serialize_field("authorization", &r.authorization)?;
        st.serialize_field("household", &r.household)?;
        st.serialize_field("members", &r.members)?;
        st.serialize_field("supporters", &r.supporters)?;
        st.serialize_field("sources", &r.sources)?;
        st.serialize_field("financial", &r.financial)?;
        st.serialize_field("special", &r.special)?;
        st.serialize_field("policy_name", &r.policy_name)?;
        st.serialize_field("notice", &r.notice)?;
        st.serialize_field("comparison", &r.comparison)?;
        st.serialize_field("verifier", &r.verifier)?;
        st.serialize_field("verifier_name", &r.verifier_name)?;
        st.end()
    }
}

/// The assessment without the decision's inputs, and its decision without the trace.
pub struct AssessmentView<'a>(pub &'a Assessment);

impl Serialize for AssessmentView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = self.0;
        let mut st = s.serialize_struct("Assessment", 15)?;
        st.serialize_field("as_of", &a.as_of)?;
        st.serialize_field("counted_size", &a.counted_size)?;
        st.serialize_field("income_window", &a.income_window)?;
        st.serialize_field("income_total", &a.income_total)?;
        st.serialize_field("income_monthly", &a.income_monthly)?;
        st.serialize_field("income_per_capita", &a.income_per_capita)?;
        st.serialize_field("assets_total", &a.assets_total)?;
        st.serialize_field("assets_per_capita", &a.assets_per_capita)?;
        st.serialize_field("items", &a.items)?;
        st.serialize_field("anomalies", &a.anomalies)?;
        st.serialize_field("missing", &a.missing)?;
        st.serialize_field("reasons", &a.reasons)?;
        st.serialize_field("outcome", &a.outcome)?;
        st.serialize_field("conclusion", &a.conclusion)?;
        st.serialize_field("decision", &a.decision.as_ref().map(DecisionView))?;
        st.end()
    }
}

struct DecisionView<'a>(&'a hedui_means::Decision);

impl Serialize for DecisionView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.0;
        let mut st = s.serialize_struct("Decision", 13)?;
        st.serialize_field("programme", &d.programme)?;
        st.serialize_field("programme_name", &d.programme_name)?;
        st.serialize_field("region", &d.region)?;
        st.serialize_field("as_of", &d.as_of)?;
        st.serialize_field("chain", &d.chain)?;
        st.serialize_field("doc", &d.doc)?;
        st.serialize_field("outcome", &d.outcome)?;
        st.serialize_field("word", &d.word)?;
        st.serialize_field("wording", &d.wording)?;
        st.serialize_field("tests", &d.tests)?;
        st.serialize_field("benefit", &d.benefit)?;
        st.serialize_field("show", &d.show)?;
        st.serialize_field("trace", &d.trace.is_some())?;
        st.end()
    }
}
