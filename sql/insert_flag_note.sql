-- Record a follow-up note on a flag; gives back its id.
insert into flag_notes (site_code, flag, flag_since, as_of, note, written_by, written_at)
values ($site_code, $flag, $flag_since, $as_of, $note, $written_by, $written_at)
returning note_id
