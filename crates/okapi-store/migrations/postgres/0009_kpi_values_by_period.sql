-- A set's values are also read and replaced by period: its last period
-- (where the data ends), or every period from a day on (a refresh after
-- new events keeps the earlier ones). With the period in the set's index
-- both are a range of the index, not a pass over the whole set.
DROP INDEX kpi_values_by_set;
CREATE INDEX kpi_values_by_set ON kpi_values (workspace_id, grain, segment, period_start);
