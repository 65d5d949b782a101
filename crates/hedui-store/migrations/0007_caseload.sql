-- The caseload: for every household, the compact inputs of its latest report (by date checked,
-- job and version), sealed for that report. A policy simulation reads this table alone instead
-- of opening every report's body. It is written with the report, in the same transaction.
CREATE TABLE caseload_inputs (
    household_id BIGINT PRIMARY KEY,
    household_number TEXT NOT NULL,
    job_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    as_of TEXT NOT NULL,
    region TEXT NOT NULL,
    programme TEXT NOT NULL,
    inputs_enc {{blob}} NOT NULL
);
