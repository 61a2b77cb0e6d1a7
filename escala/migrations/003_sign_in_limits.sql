-- Sign-in limits and their audit: every attempt is one row naming the browser's address
-- (`client`) and what happened (`outcome`):
--   'success'   the password was right;
--   'failure'   wrong password, unknown or inactive email (also an attempt still being checked:
--               it is reserved as a failure under the writer lock and turned into a success after);
--   'delayed'   refused unchecked because the email or the client must still wait;
--   'unlocked'  an administrator cleared the email's delay (Usuarios → Desbloquear).
-- `succeeded` is replaced by `outcome`: a boolean beside four outcomes could only disagree.
-- `id` comes from id_counters under the writer lock, so "after the last success or unlock"
-- is an id comparison that clock steps and equal timestamps cannot confuse.
-- DuckDB cannot ADD COLUMN with a constraint, so the table is rebuilt; older rows keep their
-- order and get a NULL client (not recorded then).
CREATE TABLE sign_in_attempts_v3 (
    id BIGINT PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL,
    email VARCHAR NOT NULL,
    client VARCHAR,
    outcome VARCHAR NOT NULL CHECK (outcome IN ('success', 'failure', 'delayed', 'unlocked'))
);
INSERT INTO sign_in_attempts_v3
    SELECT row_number() OVER (ORDER BY occurred_at, succeeded), occurred_at, email, NULL,
           CASE WHEN succeeded THEN 'success' ELSE 'failure' END
    FROM sign_in_attempts;
DROP TABLE sign_in_attempts;
ALTER TABLE sign_in_attempts_v3 RENAME TO sign_in_attempts;
INSERT INTO id_counters SELECT 'sign_in_attempts', count(*) FROM sign_in_attempts;
CREATE INDEX sign_in_attempts_email ON sign_in_attempts (email);
CREATE INDEX sign_in_attempts_client ON sign_in_attempts (client);
