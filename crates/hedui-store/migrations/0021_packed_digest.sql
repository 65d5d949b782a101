-- The SM3 digest of a report's body as it is sealed (the deflated JSON), which the completion
-- signature of every report completed from this release on covers besides the JSON's digest: a
-- reading hashes the stored bytes, about a fifth of the JSON, and no longer the whole JSON.
-- Reports completed earlier have none ('') and are read as before.
ALTER TABLE report ADD COLUMN packed_sm3 TEXT NOT NULL DEFAULT '';
