-- 人工关联 (issue 14): a department row whose ID number did not resolve waits for a person. A
-- 核对员 of the region decides whether it is a member with the same name: linked, the row
-- becomes that person's (a fact from then on); rejected, the pair is not offered again. Every
-- decision is kept with who made it.
CREATE TABLE record_link (
    id {{id}},
    record_id BIGINT NOT NULL REFERENCES record (id),
    person_id BIGINT NOT NULL,
    linked BIGINT NOT NULL,
    actor TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (record_id, person_id)
);
