"""What differs between the engines, one module each (the store says *what*, the engine
*how*, as Django's database backends do): ``duckdb`` (the embedded default; its connection
and transactions still live in escala/db.py) and ``postgresql`` (server mode, being built
step by step: its schema comes from the same migrations, its cursor runs the store's SQL).
Each module's ``OPERATIONS`` answers the same questions (``epoch_us``, ``int_div``,
``local_day``); tests/test_engine_operations.py checks the answers agree."""
