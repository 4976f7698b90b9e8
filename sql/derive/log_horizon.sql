-- The last month end the flag log covers: the last one on or before the latest day a
-- return version became known (later month ends are evaluated when asked for).
select previous_month_end(max(known_from) + 1) from returns
