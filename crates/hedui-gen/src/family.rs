//! Household composition: who lives together, with consistent ages, relations, names,
//! ID numbers, civil capacity, disabilities and working roles.

use hedui_core::{Date, Fen};

use crate::codes::IdRegistry;
use crate::names;
use crate::rng::Rng;
use crate::scenario::Scenario;
use crate::{Ctx, GenError};

/// Relation to the applicant, as written in `members.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relation {
    Applicant,
    Spouse,
    Child,
    Parent,
    Grandchild,
    Sibling,
}

impl Relation {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Relation::Applicant => "本人",
            Relation::Spouse => "配偶",
            Relation::Child => "子女",
            Relation::Parent => "父母",
            Relation::Grandchild => "孙子女",
            Relation::Sibling => "兄弟姐妹",
        }
    }

    /// The relation to the head of the 户口 as 公安 records it (the applicant is the head).
    pub(crate) fn hukou_label(self, male: bool, older: bool) -> &'static str {
        match (self, male, older) {
            (Relation::Applicant, _, _) => "户主",
            (Relation::Spouse, _, _) => "配偶",
            (Relation::Child, true, _) => "子",
            (Relation::Child, false, _) => "女",
            (Relation::Parent, true, _) => "父亲",
            (Relation::Parent, false, _) => "母亲",
            (Relation::Grandchild, true, _) => "孙子",
            (Relation::Grandchild, false, _) => "孙女",
            (Relation::Sibling, true, true) => "兄",
            (Relation::Sibling, true, false) => "弟",
            (Relation::Sibling, false, true) => "姐",
            (Relation::Sibling, false, false) => "妹",
        }
    }
}

/// What a member does for a living, which decides the income records they get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Child,
    Student,
    Employee,
    SelfEmployed,
    Retiree,
    Unemployed,
    NotWorking,
}

/// A 残联 record: category name, its one-digit code in the certificate number, and grade 1–4.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Disability {
    pub(crate) category: &'static str,
    pub(crate) code: u8,
    pub(crate) grade: u8,
}

impl Disability {
    /// Intellectual, mental and multiple disabilities of grades 1–2 limit civil capacity.
    fn limits_capacity(self) -> bool {
        matches!(self.code, 5..=7)
    }
}

const DISABILITIES: &[((&str, u8), u32)] = &[
    (("视力", 1), 10),
    (("听力", 2), 10),
    (("言语", 3), 3),
    (("肢体", 4), 45),
    (("智力", 5), 12),
    (("精神", 6), 12),
    (("多重", 7), 8),
];

/// One member of an applying household (or, with `seq` 0, a deceased relative).
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub(crate) seq: u32,
    pub(crate) name: String,
    /// The true, valid 18-digit ID; what each file shows is decided when it is written.
    pub(crate) id: String,
    pub(crate) male: bool,
    pub(crate) birth: Date,
    pub(crate) age: i32,
    pub(crate) relation: Relation,
    pub(crate) older_than_applicant: bool,
    pub(crate) counted: bool,
    pub(crate) exclusion: Option<&'static str>,
    pub(crate) capacity: &'static str,
    pub(crate) guardian: Option<u32>,
    pub(crate) role: Role,
    pub(crate) disability: Option<Disability>,
    /// The member whose declared ID is mistyped in the `unresolved_member` scenario; such a
    /// member is given no income and no money so the household totals do not depend on them.
    pub(crate) unresolved: bool,
    /// Declared monthly income, set by the income stage.
    pub(crate) declared: Fen,
    /// Typical monthly inflow, used to size bank movements.
    pub(crate) flow: Fen,
    /// Employer or payer name, used as the counterparty of salary credits.
    pub(crate) payer: Option<String>,
}

/// A relative who died: present only in the 公安 files, never in an applying household.
#[derive(Debug, Clone)]
pub(crate) struct Deceased {
    pub(crate) person: Person,
    pub(crate) death: Date,
    pub(crate) cancelled: Date,
}

/// The composed household.
#[derive(Debug)]
pub(crate) struct Family {
    pub(crate) members: Vec<Person>,
    pub(crate) deceased: Option<Deceased>,
}

impl Family {
    pub(crate) fn counted(&self) -> i64 {
        self.members.iter().filter(|p| p.counted).count() as i64
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Single,
    Couple,
    Nuclear,
    SingleParent,
    ThreeGen,
    SkipGen,
    Siblings,
}

const KINDS: &[(Kind, u32)] = &[
    (Kind::Single, 22),
    (Kind::Couple, 18),
    (Kind::Nuclear, 25),
    (Kind::SingleParent, 12),
    (Kind::ThreeGen, 10),
    (Kind::SkipGen, 7),
    (Kind::Siblings, 6),
];

/// County codes of people born elsewhere in China (all current GB/T 2260 codes).
const ORIGINS: &[&str] = &[
    "320102", "320282", "320581", "321281", "321323", "340104", "341221", "410105", "411625", "510722", "421182",
    "360426",
];
/// Uyghur households come from Xinjiang.
const XINJIANG: &[&str] = &["650102", "653101", "652801"];

struct Sketch {
    relation: Relation,
    male: bool,
    age: i64,
}

/// A birth date giving roughly `age` full years on `as_of`; the exact age is recomputed after.
fn birth_for_age(as_of: Date, age: i64, rng: &mut Rng) -> Date {
    let days = age * 365 + age / 4 + rng.range(1, 364);
    as_of.add_days(-days)
}

fn sketch(kind: Kind, app_age: i64, app_male: bool, rng: &mut Rng) -> Vec<Sketch> {
    let mut s = vec![Sketch { relation: Relation::Applicant, male: app_male, age: app_age }];
    let spouse = |rng: &mut Rng| Sketch {
        relation: Relation::Spouse,
        male: !app_male,
        age: (if app_male { app_age + rng.range(-6, 2) } else { app_age + rng.range(-2, 6) }).max(20),
    };
    let children = |rng: &mut Rng, s: &mut Vec<Sketch>, n: u32| {
        let oldest = (app_age - 20).min(24);
        if oldest < 0 {
            return;
        }
        for _ in 0..n {
            s.push(Sketch { relation: Relation::Child, male: rng.chance(510), age: rng.range(0, oldest) });
        }
    };
    let parents = |rng: &mut Rng, s: &mut Vec<Sketch>, n: u32| {
        let both = n >= 2;
        let father_first = rng.chance(500);
        for i in 0..n {
            let male = if both { i == 0 } else { father_first };
            let age = app_age + if male { rng.range(24, 34) } else { rng.range(22, 32) };
            if age <= 95 {
                s.push(Sketch { relation: Relation::Parent, male, age });
            }
        }
    };
    match kind {
        Kind::Single => {}
        Kind::Couple => s.push(spouse(rng)),
        Kind::Nuclear => {
            s.push(spouse(rng));
            let n = rng.weighted(&[(1u32, 50), (2, 38), (3, 12)]);
            children(rng, &mut s, n);
        }
        Kind::SingleParent => {
            let n = rng.weighted(&[(1u32, 65), (2, 35)]);
            children(rng, &mut s, n);
        }
        Kind::ThreeGen => {
            s.push(spouse(rng));
            let n = rng.weighted(&[(1u32, 60), (2, 40)]);
            children(rng, &mut s, n);
            let p = rng.weighted(&[(1u32, 55), (2, 45)]);
            parents(rng, &mut s, p);
        }
        Kind::SkipGen => {
            if rng.chance(600) {
                s.push(spouse(rng));
            }
            let oldest = (app_age - 40).clamp(0, 17);
            for _ in 0..rng.weighted(&[(1u32, 65), (2, 35)]) {
                s.push(Sketch { relation: Relation::Grandchild, male: rng.chance(510), age: rng.range(0, oldest) });
            }
        }
        Kind::Siblings => {
            s.push(Sketch {
                relation: Relation::Sibling,
                male: rng.chance(500),
                age: (app_age + rng.range(-10, 10)).max(18),
            });
            if rng.chance(300) {
                parents(rng, &mut s, 1);
            }
        }
    }
    s.truncate(6);
    s
}

/// The address code a person's ID carries: usually a county of this city, sometimes a
/// retired code of it (金坛市, 武进市, 戚墅堰区, 市辖区), sometimes another province.
fn birth_county(
    ctx: &Ctx<'_>,
    rng: &mut Rng,
    county: &str,
    birth: Date,
    origin: Option<&'static str>,
    first_gen: bool,
) -> String {
    if let Some(o) = origin
        && (first_gen || rng.chance(400))
    {
        return o.to_string();
    }
    let code = if rng.chance(80) { ctx.counties[rng.index(ctx.counties.len())].clone() } else { county.to_string() };
    let y = birth.year();
    match code.as_str() {
        "320413" if y < 2015 => "320482".to_string(),
        "320412" if y < 2002 => "320483".to_string(),
        "320402" | "320404" if y < 2015 && rng.chance(60) => "320405".to_string(),
        _ if rng.chance(15) => format!("{}01", ctx.cfg.city_code),
        _ => code,
    }
}

fn role_for(age: i32, male: bool, relation: Relation, severe: bool, rng: &mut Rng) -> Role {
    if age < 18 {
        return Role::Child;
    }
    if matches!(relation, Relation::Child | Relation::Grandchild) && age <= 22 && rng.chance(650) {
        return Role::Student;
    }
    if age >= if male { 60 } else { 55 } {
        return Role::Retiree;
    }
    if severe {
        return Role::NotWorking;
    }
    rng.weighted(&[(Role::Employee, 58), (Role::SelfEmployed, 6), (Role::Unemployed, 10), (Role::NotWorking, 26)])
}

/// Naming state shared by the members of one household.
struct Naming {
    uyghur: bool,
    app_surname: &'static str,
    spouse_surname: &'static str,
    line: &'static str,
    app_own: &'static str,
    app_father: &'static str,
    spouse_own: &'static str,
    /// The own name of the children's father, which is the second part of their names.
    children_father: &'static str,
}

impl Naming {
    fn name(&self, rng: &mut Rng, s: &Sketch, birth_year: u16) -> String {
        if self.uyghur {
            let own = match s.relation {
                Relation::Applicant => self.app_own,
                Relation::Spouse => self.spouse_own,
                Relation::Parent if s.male => self.app_father,
                _ => names::uyghur_own(rng, s.male),
            };
            let father = match s.relation {
                Relation::Applicant | Relation::Sibling => self.app_father,
                Relation::Child => self.children_father,
                _ => names::uyghur_own(rng, true),
            };
            return names::uyghur_full(own, father);
        }
        let surname = match s.relation {
            Relation::Applicant | Relation::Sibling => self.app_surname,
            Relation::Spouse => self.spouse_surname,
            Relation::Child => self.line,
            Relation::Grandchild => {
                if rng.chance(700) {
                    self.line
                } else {
                    names::surname(rng)
                }
            }
            Relation::Parent if s.male => self.app_surname,
            Relation::Parent => names::surname(rng),
        };
        format!("{surname}{}", names::given(rng, s.male, birth_year))
    }
}

/// Composes the household of one application.
// tidy: allow(long-fn): one household's composition from the scenario table, kept as one recipe.
pub(crate) fn compose(
    ctx: &Ctx<'_>,
    county: &str,
    scenario: Scenario,
    rng: &mut Rng,
    ids: &mut IdRegistry,
) -> Result<Family, GenError> {
    let as_of = ctx.cfg.as_of;
    let need_worker = scenario.needs_worker();
    let kind = rng.weighted(KINDS);
    let (mut lo, mut hi) = match kind {
        Kind::Single => (30, 85),
        Kind::Couple => (35, 85),
        Kind::Nuclear => (28, 55),
        Kind::SingleParent => (25, 55),
        Kind::ThreeGen => (30, 55),
        Kind::SkipGen => (55, 75),
        Kind::Siblings => (25, 70),
    };
    if need_worker {
        lo = lo.max(25);
        hi = hi.min(55);
    }
    let app_age = rng.range(lo, hi.max(lo));
    let app_male = if matches!(kind, Kind::SingleParent) { rng.chance(300) } else { rng.chance(550) };
    let sketches = sketch(kind, app_age, app_male, rng);
    let has_spouse = sketches.iter().any(|s| s.relation == Relation::Spouse);

    let uyghur = rng.chance(15);
    let origin: Option<&'static str> = if uyghur {
        Some(rng.pick(XINJIANG))
    } else if rng.chance(120) {
        Some(rng.pick(ORIGINS))
    } else {
        None
    };
    let app_surname = names::surname(rng);
    let spouse_surname = names::surname(rng);
    let line = if app_male {
        app_surname
    } else if has_spouse {
        spouse_surname
    } else if rng.chance(400) {
        app_surname
    } else {
        names::surname(rng)
    };
    let app_own = names::uyghur_own(rng, app_male);
    let spouse_own = names::uyghur_own(rng, !app_male);
    let app_father = names::uyghur_own(rng, true);
    let naming = Naming {
        uyghur,
        app_surname,
        spouse_surname,
        line,
        app_own,
        app_father,
        spouse_own,
        children_father: if app_male {
            app_own
        } else if has_spouse {
            spouse_own
        } else {
            names::uyghur_own(rng, true)
        },
    };

    let mut members = Vec::with_capacity(sketches.len());
    for (i, s) in sketches.iter().enumerate() {
        let birth = birth_for_age(as_of, s.age, rng);
        let age = birth.age_on(as_of);
        let first_gen =
            matches!(s.relation, Relation::Applicant | Relation::Spouse | Relation::Parent | Relation::Sibling);
        let addr = birth_county(ctx, rng, county, birth, origin, first_gen);
        let id = ids.allocate(&addr, birth, s.male, rng).ok_or_else(|| GenError::IdSpace(addr.clone()))?;
        let name = naming.name(rng, s, birth.year());
        let mut disability = if rng.chance(if age >= 18 { 90 } else { 30 }) {
            let (category, code) = rng.weighted(DISABILITIES);
            let grade = rng.weighted(&[(1u8, 15), (2, 25), (3, 30), (4, 30)]);
            Some(Disability { category, code, grade })
        } else {
            None
        };
        if i == 0 {
            // The applicant signs the application, so a disability never removes their capacity.
            if let Some(d) = disability.as_mut()
                && d.limits_capacity()
            {
                d.grade = d.grade.max(3);
            }
            if need_worker {
                disability = None;
            }
        }
        let capacity = match (age, disability) {
            (a, _) if a < 8 => "无",
            (a, _) if a < 18 => "限制",
            (_, Some(d)) if d.limits_capacity() && d.grade == 1 => "无",
            (_, Some(d)) if d.limits_capacity() && d.grade == 2 => "限制",
            _ => "完全",
        };
        let severe = disability.is_some_and(|d| d.grade <= 2);
        let mut role = role_for(age, s.male, s.relation, severe, rng);
        if i == 0 && need_worker {
            role = Role::Employee;
        }
        members.push(Person {
            seq: i as u32 + 1,
            name,
            id,
            male: s.male,
            birth,
            age,
            relation: s.relation,
            older_than_applicant: s.age > app_age,
            counted: true,
            exclusion: None,
            capacity,
            guardian: if capacity == "完全" { None } else { Some(1) },
            role,
            disability,
            unresolved: false,
            declared: Fen::ZERO,
            flow: Fen::ZERO,
            payer: None,
        });
    }

    // A member serving a sentence or living at a religious site is not counted.
    let per_mille = if scenario == Scenario::CleanTypical { 150 } else { 40 };
    let candidates: Vec<usize> =
        (1..members.len()).filter(|&i| members[i].age >= 18 && members[i].capacity == "完全").collect();
    if !candidates.is_empty() && rng.chance(per_mille) {
        let i = rng.pick(&candidates);
        members[i].counted = false;
        members[i].exclusion = Some(if rng.chance(750) { "服刑" } else { "宗教教职人员" });
    }

    if scenario == Scenario::UnresolvedMember {
        let candidates: Vec<usize> = (1..members.len()).filter(|&i| members[i].counted).collect();
        let i = if candidates.is_empty() { 0 } else { rng.pick(&candidates) };
        members[i].unresolved = true;
        members[i].role = if members[i].age < 18 { Role::Child } else { Role::NotWorking };
    }

    let deceased =
        if rng.chance(30) { Some(deceased_relative(ctx, rng, ids, county, origin, &naming, &members)?) } else { None };
    Ok(Family { members, deceased })
}

/// A spouse or parent of the applicant who died in the last few years.
fn deceased_relative(
    ctx: &Ctx<'_>,
    rng: &mut Rng,
    ids: &mut IdRegistry,
    county: &str,
    origin: Option<&'static str>,
    naming: &Naming,
    members: &[Person],
) -> Result<Deceased, GenError> {
    let as_of = ctx.cfg.as_of;
    let app = &members[0];
    let app_age = i64::from(app.age);
    let has_spouse = members.iter().any(|p| p.relation == Relation::Spouse);
    let sk = if !has_spouse && app_age >= 45 && rng.chance(500) {
        Sketch { relation: Relation::Spouse, male: !app.male, age: app_age + rng.range(-3, 6) }
    } else {
        let male = rng.chance(500);
        Sketch { relation: Relation::Parent, male, age: app_age + rng.range(24, 34) }
    };
    let birth = birth_for_age(as_of, sk.age, rng);
    let death = as_of.add_days(-rng.range(30, 1500));
    let cancelled = death.add_days(rng.range(3, 25));
    let addr = birth_county(ctx, rng, county, birth, origin, true);
    let id = ids.allocate(&addr, birth, sk.male, rng).ok_or_else(|| GenError::IdSpace(addr.clone()))?;
    let name = naming.name(rng, &sk, birth.year());
    Ok(Deceased {
        person: Person {
            seq: 0,
            name,
            id,
            male: sk.male,
            birth,
            age: birth.age_on(death),
            relation: sk.relation,
            older_than_applicant: true,
            counted: false,
            exclusion: None,
            capacity: "完全",
            guardian: None,
            role: Role::NotWorking,
            disability: None,
            unresolved: false,
            declared: Fen::ZERO,
            flow: Fen::ZERO,
            payer: None,
        },
        death,
        cancelled,
    })
}
