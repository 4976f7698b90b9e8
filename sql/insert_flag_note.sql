-- Record a follow-up note on a flag under the id the writer allocated.
insert into flag_notes (note_id, site_code, flag, flag_since, as_of, note, written_by, written_at)
values ($note_id, $site_code, $flag, $flag_since, $as_of, $note, $written_by, $written_at)
