"""What differs between the engines, one module each (the store says *what*, the engine
*how*): the embedded DuckDB file (escala/db.py today) and PostgreSQL for server mode
(``postgresql``), which is being built step by step: its schema comes from the same
migrations, its cursor speaks the store's SQL."""
