-- Record new rule versions from the registered relation `incoming_rules` (ids allocated by the writer).
insert into rule_versions by name select * from incoming_rules
