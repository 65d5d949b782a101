//! The codes the built-in means test compares (`hedui_core::codes`) are in the demo catalog's code
//! lists, each in the list of the category and field it is read from, so a report can label each.

use hedui_core::catalog::Catalog;
use hedui_core::category::Category;
use hedui_core::codes::{assistance, business, disability, property, status, tax, vehicle};

fn catalog() -> Catalog {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sources/3204.json");
    Catalog::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn every_code_the_means_test_reads_is_in_the_catalogs_lists() {
    let cat = catalog();
    let expect: Vec<(&str, &str, Vec<&str>)> = vec![
        ("household_register", "status", vec![status::CANCELLED, status::DECEASED]),
        ("vehicle", "status", vec![status::ACTIVE, status::CANCELLED]),
        ("vehicle", "code", vec![vehicle::PRIVATE, vehicle::COMMERCIAL, vehicle::DISABILITY]),
        ("real_estate", "status", vec![status::ACTIVE, status::CANCELLED]),
        ("real_estate", "code", vec![property::RESIDENTIAL]),
        ("business_entity", "status", vec![status::ACTIVE, status::CANCELLED, status::REVOKED]),
        ("business_entity", "code", business::OWNING_ROLES.to_vec()),
        ("business_entity", "form", vec![business::INDIVIDUAL]),
        ("tax_income", "code", vec![tax::WAGE, tax::BUSINESS, tax::LABOUR]),
        ("assistance_roll", "code", vec![assistance::DIBAO, assistance::TEKUN]),
        ("disability", "code", disability::KINDS.to_vec()),
    ];
    for (category, field, codes) in expect {
        let def =
            cat.category(&Category::new(category)).unwrap_or_else(|| panic!("catalog has no category {category}"));
        let list = def.codes.get(field).unwrap_or_else(|| panic!("{category} has no {field} list"));
        for code in codes {
            assert!(list.contains_key(code), "{category}.{field} lacks the code {code}");
            assert_ne!(def.label(field, code), code, "{category}.{field}.{code} has no label of its own");
        }
    }
}
