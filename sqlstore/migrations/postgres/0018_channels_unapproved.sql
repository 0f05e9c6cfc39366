-- The operator's list of channels waiting for approval reads only those:
-- this partial index holds them alone, by id, and stays as small as the
-- backlog of approvals.
CREATE INDEX channels_unapproved ON channels (id) WHERE approved_at IS NULL;
