-- Indexes for the evaluation report (ReportStore). Each one serves one step of the attribution query, so the
-- report reads index entries instead of the 10-million-row message log.

-- The cohort: journey rounds by journey and entry time, with what the report needs (index-only scans).
CREATE INDEX journey_entries_report ON journey_entries (journey, entered_at) INCLUDE (entry_key, customer_id, holdout);

-- The latest round of a customer before a purchase (which cart a purchase converts).
CREATE INDEX journey_entries_journey_customer ON journey_entries (journey, customer_id, entered_at);

-- A round's sent messages.
CREATE INDEX messages_entry_sent ON messages (entry_key) INCLUDE (channel, step, customer_id) WHERE status = 'sent';

-- The funnel of one message (delivered, opened, clicked) without touching the heap.
CREATE INDEX engagements_message_kind ON engagements (message_id, kind);

-- The last open or click of a customer before a purchase (the touch a purchase is attributed to).
CREATE INDEX engagements_customer_touch ON engagements (customer_id, occurred_at) INCLUDE (message_id)
    WHERE kind IN ('opened', 'clicked');
