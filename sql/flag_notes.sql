-- Follow-up notes, newest first; for one site or all ($site_code null).
select n.note_id, n.site_code, s.site_name, n.flag, n.flag_since, n.as_of, n.note, n.written_by, n.written_at
from flag_notes as n
inner join sites as s using (site_code)
where $site_code is null or n.site_code = $site_code
order by n.written_at desc, n.note_id desc
