-- Follow-up notes, newest first; for one site or all ($site_code null); each site by its latest name.
select n.note_id, n.site_code, s.site_name, n.flag, n.flag_since, n.as_of, n.note, n.written_by, n.written_at
from flag_notes as n
inner join (select site_code, site_name from register_spans() where valid_until = 'infinity'::date) as s
    using (site_code)
where $site_code is null or n.site_code = $site_code
order by n.written_at desc, n.note_id desc
