-- Derived: the flags on the days the pages read when they open on the default date ($dates:
-- tracker.judged.first_visit_days), judged by the write that changed them, so that the first visit
-- after it finds them judged (tracker/judged.py seeds each new opening's memo from them).
insert into first_visit_flags
select * from judged_days($dates::date[])
