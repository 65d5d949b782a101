-- A supporter (赡养、抚养、扶养义务人) signs a letter of their own: `supporter_seq` names the
-- supporter of the household who signed it. The household's own letters leave it empty. A new
-- letter supersedes only the active letter of the same signer.
ALTER TABLE authz_letter ADD COLUMN supporter_seq BIGINT;
