-- The earliest day on which a version with return_id >= $first_return_id counts: the flags
-- evaluated before it cannot have changed (a new version is known from that day on, and the
-- version it replaces stops counting on the same day).
select min(known_from) from returns where return_id >= $first_return_id
