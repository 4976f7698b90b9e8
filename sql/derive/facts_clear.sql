-- Forget the site facts from a day on (they are about to be derived again).
delete from site_facts where valid_from >= $from_day
