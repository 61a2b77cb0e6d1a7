-- Single sign-on (OIDC through st.login): an administrator chooses per user whether a
-- password still opens Escala (`password_allowed`; false = only "Ingresar con tu cuenta de la
-- empresa"). Sign-in attempts record how the person came in (`method`: 'password' or 'sso'),
-- so company sign-ins are audited beside password ones while only password attempts count
-- towards the password limits. Values are checked in code (DuckDB cannot add a column with a
-- CHECK constraint), and
-- cannot alter a table that has indexes: they are dropped and made again around the change.
ALTER TABLE users ADD COLUMN password_allowed BOOLEAN NOT NULL DEFAULT true;
DROP INDEX sign_in_attempts_email;
DROP INDEX sign_in_attempts_client;
ALTER TABLE sign_in_attempts ADD COLUMN method VARCHAR NOT NULL DEFAULT 'password';
CREATE INDEX sign_in_attempts_email ON sign_in_attempts (email);
CREATE INDEX sign_in_attempts_client ON sign_in_attempts (client);
