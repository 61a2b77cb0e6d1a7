-- Browser sign-in sessions: the cookie carries a signed token naming one row here, so
-- signing out (revoked_at) or going idle (last_seen_at) ends it on the server.
CREATE TABLE sessions (
    id VARCHAR PRIMARY KEY,
    user_id INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
