-- Empty the register before a new one replaces it (in the same transaction).
delete from sites
