-- A record's data category (kept in `kind`), code (in `category`) and status are codes of the
-- catalog's lists from this release on; `form` is the code of the thing's form (a market
-- entity's 主体类型: `individual` for a 个体工商户). Rows stored before keep their words until
-- the application re-codes them once (admin::upgrade), re-sealing their values for the new row.
ALTER TABLE record ADD COLUMN form TEXT NOT NULL DEFAULT '';
