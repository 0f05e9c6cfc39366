-- Whether a company other than the one holding half the workers has a
-- delivery due: answered from this index without reading the holder's
-- backlog, which the due-time index would read entire, once per poll, when
-- one company has the whole queue. The term company_id > 0 (always true)
-- is in its condition so that only the query that repeats it can use the
-- index: without it, SQLite's planner preferred this index, for being
-- covering, to the ordered due-time index for the queue's oldest due time.
CREATE INDEX deliveries_company_due ON deliveries (company_id, next_attempt_at) WHERE status = 'pending' AND company_id > 0;
