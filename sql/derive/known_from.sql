-- Date the versions that lack it (a restore from a backup made before it was kept).
update returns
set known_from = greatest(period_end, submitted_on)
where known_from is null
