-- Derived: forget the flags judged for the last first visit (refilled by first_visit_flags_fill).
delete from first_visit_flags
