-- The dashboard sums up the last day's attempts by hour: this index finds
-- them by time, so that the query reads the window's attempts only. Its
-- entries are added in time order, at the index's end.
CREATE INDEX delivery_attempts_at ON delivery_attempts (at);
