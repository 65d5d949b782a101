//! Persons: the blind index of an ID number resolved to one person, found or created.

use super::*;

pub(super) fn resolve_persons(st: &SqlStore, keys: &[PersonKey]) -> Result<Vec<PersonId>> {
    st.tx(|c| {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            if let Some(p) = &k.previous {
                let found = c.query("SELECT id FROM person WHERE id_bidx = ?", &[p.as_slice().into()])?;
                if let Some(r) = found.first() {
                    out.push(PersonId(Row(r).i64(0)?));
                    continue;
                }
            }
            let inserted = c.query(
                "INSERT INTO person (id_bidx, id_enc, created_at) VALUES (?, ?, ?) \
                 ON CONFLICT (id_bidx) DO NOTHING RETURNING id",
                &[k.bidx.as_slice().into(), k.id_enc.as_slice().into(), "".into()],
            )?;
            let id = match inserted.first() {
                Some(r) => Row(r).i64(0)?,
                None => first_i64(&c.query("SELECT id FROM person WHERE id_bidx = ?", &[k.bidx.as_slice().into()])?)?,
            };
            out.push(PersonId(id));
        }
        Ok(out)
    })
}

pub(super) fn find_persons(st: &SqlStore, bidxs: &[BlindIndex]) -> Result<Vec<Option<PersonId>>> {
    // One read transaction for all: each statement on its own would take and release the locks.
    st.tx(|c| {
        bidxs
            .iter()
            .map(|b| {
                let rows = c.query("SELECT id FROM person WHERE id_bidx = ?", &[b.as_slice().into()])?;
                rows.first().map(|r| Row(r).i64(0).map(PersonId)).transpose()
            })
            .collect()
    })
}

pub(super) fn find_person(st: &SqlStore, bidx: &BlindIndex) -> Result<Option<PersonId>> {
    let rows = st.query("SELECT id FROM person WHERE id_bidx = ?", &[bidx.into()])?;
    rows.first().map(|r| Row(r).i64(0).map(PersonId)).transpose()
}

pub(super) fn person_id_enc(st: &SqlStore, person: PersonId) -> Result<Option<Vec<u8>>> {
    let rows = st.query("SELECT id_enc FROM person WHERE id = ?", &[person.0.into()])?;
    rows.first().map(|r| Row(r).blob(0)).transpose()
}

pub(super) fn count_persons(st: &SqlStore) -> Result<i64> {
    st.count("SELECT COUNT(*) FROM person", &[])
}

pub(super) fn persons_page(st: &SqlStore, after: i64, limit: i64) -> Result<Vec<PersonRow>> {
    st.persons_page_in(after, limit)
}
