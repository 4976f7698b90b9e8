-- The kind of store this connection writes to: 'duckdb' (a file) or 'ducklake'.
select type from duckdb_databases() where database_name = current_database()
