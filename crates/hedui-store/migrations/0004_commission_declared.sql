-- What the application itself states and no department knows (a sudden expense, a disaster loss,
-- a single-person application, a care assessment …), sealed like the commission's note.
ALTER TABLE commission ADD COLUMN declared_enc {{blob}};
