-- Review before issue (issue 14): a report completed by a 核对员 waits for an 审核员 who did not
-- verify it. Approving issues it: the node signs the report with both names and the issuing
-- organization, and the reviewer's own SM2 signature (made with a key only the reviewer holds,
-- a UKey) is kept beside the issue row with the public key that checks it.
CREATE TABLE report_approval (
    id {{id}},
    report_id BIGINT NOT NULL UNIQUE,
    verifier TEXT NOT NULL,
    verifier_name TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    reviewer_name TEXT NOT NULL,
    organization TEXT NOT NULL,
    reviewer_key TEXT NOT NULL,
    reviewer_sig TEXT NOT NULL
);
