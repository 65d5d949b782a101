//! OpenAPI schemas of the core types that serialize as text: dates, months, ID numbers, credit
//! codes and region codes (the API's documents are generated from the types, not written).

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::credit_code::CreditCode;
use crate::date::{Date, Month};
use crate::id_number::IdNumber;
use crate::region::RegionCode;

fn text(format: Option<SchemaFormat>, pattern: &str, description: &str, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .format(format)
        .pattern(Some(pattern))
        .description(Some(description))
        .examples([serde_json::Value::String(example.into())])
        .into()
}

macro_rules! text_schema {
    ($ty:ty, $name:literal, $format:expr, $pattern:literal, $description:literal, $example:literal) => {
        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                text($format, $pattern, $description, $example)
            }
        }
        impl ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    };
}

text_schema!(
    Date,
    "Date",
    Some(SchemaFormat::KnownFormat(KnownFormat::Date)),
    r"^\d{4}-\d{2}-\d{2}$",
    "公历日期 YYYY-MM-DD",
    "2026-11-27"
);
text_schema!(Month, "Month", None, r"^\d{4}-\d{2}$", "月份 YYYY-MM", "2026-11");
text_schema!(
    IdNumber,
    "IdNumber",
    None,
    r"^[0-9A-Z]{15,18}$",
    "居民身份证号码（GB 11643，15 位转 18 位）或其他 18 位证件号码",
    "320402199001011234"
);
text_schema!(
    CreditCode,
    "CreditCode",
    None,
    r"^[0-9A-HJ-NPQRTUWXY]{18}$",
    "统一社会信用代码（GB 32100）",
    "91320400MA1XXXXXXX"
);
text_schema!(
    RegionCode,
    "RegionCode",
    None,
    r"^\d{6}(\d{3}(\d{3})?)?$",
    "行政区划代码（GB/T 2260，乡镇街道按 GB/T 10114 九位或十二位）",
    "320412001"
);
