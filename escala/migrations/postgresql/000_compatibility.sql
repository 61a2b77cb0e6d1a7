-- PostgreSQL only, before the shared migrations: what the store's SQL finds built into DuckDB.

-- Names sort as a Spanish reader expects (ICU's Spanish collation, DuckDB's "es").
CREATE COLLATION IF NOT EXISTS es (provider = icu, locale = 'es');

-- DuckDB's strip_accents: the text decomposed (NFD) without its combining marks.
CREATE OR REPLACE FUNCTION strip_accents(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN regexp_replace(normalize($1, NFD), '[\u0300-\u036f]', '', 'g');
