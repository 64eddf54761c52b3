-- Indexes for the evaluation report (ReportStore). Each one serves one step of the attribution query, so the
-- report reads index entries instead of the 10-million-row message log.

-- The cohort: journey rounds by journey and entry time, with what the report needs (index-only scans).
CREATE INDEX journey_entries_report ON journey_entries (journey, entered_at) INCLUDE (entry_key, customer_id, holdout);

-- The latest round of a customer before a purchase (which cart a purchase converts).
CREATE INDEX journey_entries_journey_customer ON journey_entries (journey, customer_id, entered_at);

-- A round's sent messages.
CREATE INDEX messages_entry_sent ON messages (entry_key) INCLUDE (id, channel, step, customer_id) WHERE status = 'sent';

-- The funnel of one message (delivered, opened, clicked) without touching the heap.
CREATE INDEX engagements_message_kind ON engagements (message_id, kind);

-- The last open or click of a customer before a purchase (the touch a purchase is attributed to).
CREATE INDEX engagements_customer_touch ON engagements (customer_id, occurred_at) INCLUDE (message_id)
    WHERE kind IN ('opened', 'clicked');

-- The report's three measurements of a cohort (journey rounds entered in [p_from, p_to)), per UTC entry day.
-- The live report sums them over a range; report_refresh stores them per day so long ranges read a few hundred
-- rows. Both paths run this one definition, so the rollup cannot drift from the live answer. Lags are bucketed in
-- whole hours rounded up: ceil(lag / 1 h) <= H exactly when lag <= H hours, so any window of 1..168 hours is
-- answered exactly from the buckets. The rules are in docs/attribution.md.

-- Sent messages of treatment rounds and whether each was delivered, opened (or clicked) and clicked.
CREATE FUNCTION report_messages(p_journey text, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (day date, channel text, step integer, sent bigint, delivered bigint, opened bigint, clicked bigint)
LANGUAGE sql STABLE AS $$
    SELECT (j.entered_at AT TIME ZONE 'UTC')::date, coalesce(m.channel, 'unknown'), coalesce(m.step, 0),
           count(*), count(*) FILTER (WHERE e.delivered), count(*) FILTER (WHERE e.opened), count(*) FILTER (WHERE e.clicked)
    FROM journey_entries j
    JOIN messages m ON m.entry_key = j.entry_key AND m.status = 'sent'
    CROSS JOIN LATERAL (
        SELECT bool_or(g.kind = 'delivered') AS delivered,
               bool_or(g.kind IN ('opened', 'clicked')) AS opened,
               bool_or(g.kind = 'clicked') AS clicked
        FROM engagements g WHERE g.message_id = m.id
    ) e
    WHERE j.journey = p_journey AND j.entered_at >= p_from AND j.entered_at < p_to AND NOT j.holdout
    GROUP BY 1, 2, 3
$$;

-- Rounds by group with the hours from entry to the first purchase that converts them (NULL: none within 168 h).
-- A purchase converts only the customer's latest round of the journey at or before it.
CREATE FUNCTION report_rounds(p_journey text, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (day date, holdout boolean, conversion_hours integer, carts bigint, reached bigint)
LANGUAGE sql STABLE AS $$
    WITH cohort AS MATERIALIZED (
        SELECT id, entry_key, customer_id, entered_at, holdout FROM journey_entries
        WHERE journey = p_journey AND entered_at >= p_from AND entered_at < p_to
    ),
    converted AS (
        SELECT c.id, min(ceil(extract(epoch FROM p.occurred_at - c.entered_at) / 3600))::integer AS hours
        FROM cohort c
        JOIN purchases p ON p.customer_id = c.customer_id
            AND p.occurred_at >= c.entered_at AND p.occurred_at <= c.entered_at + interval '168 hours'
        WHERE NOT EXISTS (
            SELECT 1 FROM journey_entries later
            WHERE later.journey = p_journey AND later.customer_id = c.customer_id AND later.entered_at <= p.occurred_at
              AND (later.entered_at > c.entered_at OR (later.entered_at = c.entered_at AND later.id > c.id)))
        GROUP BY c.id
    )
    SELECT (c.entered_at AT TIME ZONE 'UTC')::date, c.holdout, v.hours, count(*),
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM messages m WHERE m.entry_key = c.entry_key AND m.status = 'sent'))
    FROM cohort c LEFT JOIN converted v ON v.id = c.id
    GROUP BY 1, 2, 3
$$;

-- Purchases credited to the cohort's messages: the customer's last open or click (any journey) at or before the
-- purchase and at most 168 h before it, kept when that message is a sent message of a treatment round here.
CREATE FUNCTION report_credits(p_journey text, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (day date, channel text, step integer, touch_hours integer, conversions bigint, revenue numeric)
LANGUAGE sql STABLE AS $$
    WITH touched AS MATERIALIZED (
        SELECT m.id, m.customer_id, coalesce(m.channel, 'unknown') AS channel, coalesce(m.step, 0) AS step,
               (j.entered_at AT TIME ZONE 'UTC')::date AS day, t.first_touch, t.last_touch
        FROM journey_entries j
        JOIN messages m ON m.entry_key = j.entry_key AND m.status = 'sent'
        CROSS JOIN LATERAL (
            SELECT min(g.occurred_at) AS first_touch, max(g.occurred_at) AS last_touch
            FROM engagements g WHERE g.message_id = m.id AND g.kind IN ('opened', 'clicked')
        ) t
        WHERE j.journey = p_journey AND j.entered_at >= p_from AND j.entered_at < p_to AND NOT j.holdout
          AND t.first_touch IS NOT NULL
    ),
    candidates AS (
        SELECT DISTINCT p.id, p.customer_id, p.occurred_at, p.revenue
        FROM touched s
        JOIN purchases p ON p.customer_id = s.customer_id
            AND p.occurred_at >= s.first_touch AND p.occurred_at <= s.last_touch + interval '168 hours'
    )
    SELECT s.day, s.channel, s.step, ceil(extract(epoch FROM c.occurred_at - last_touch.occurred_at) / 3600)::integer,
           count(*), sum(c.revenue)
    FROM candidates c
    CROSS JOIN LATERAL (
        SELECT g.message_id, g.occurred_at FROM engagements g
        WHERE g.customer_id = c.customer_id AND g.kind IN ('opened', 'clicked') AND g.message_id IS NOT NULL
          AND g.occurred_at <= c.occurred_at AND g.occurred_at >= c.occurred_at - interval '168 hours'
        ORDER BY g.occurred_at DESC, g.id DESC
        LIMIT 1
    ) last_touch
    JOIN touched s ON s.id = last_touch.message_id
    GROUP BY 1, 2, 3, 4
$$;

-- The same measurements stored per journey and entry day by ReportStore.RefreshAsync.
CREATE TABLE report_messages_daily (
    journey text NOT NULL, day date NOT NULL, channel text NOT NULL, step integer NOT NULL,
    sent bigint NOT NULL, delivered bigint NOT NULL, opened bigint NOT NULL, clicked bigint NOT NULL
);
CREATE INDEX report_messages_daily_day ON report_messages_daily (journey, day);

CREATE TABLE report_rounds_daily (
    journey text NOT NULL, day date NOT NULL, holdout boolean NOT NULL, conversion_hours integer,
    carts bigint NOT NULL, reached bigint NOT NULL
);
CREATE INDEX report_rounds_daily_day ON report_rounds_daily (journey, day);

CREATE TABLE report_credits_daily (
    journey text NOT NULL, day date NOT NULL, channel text NOT NULL, step integer NOT NULL, touch_hours integer NOT NULL,
    conversions bigint NOT NULL, revenue numeric NOT NULL
);
CREATE INDEX report_credits_daily_day ON report_credits_daily (journey, day);

-- The *_daily tables hold the rounds that entered before rolled_up_until (the last refresh): the day of that instant
-- is a partial day, so only ranges reaching past it may use that day's rows; later entries are computed live.
CREATE TABLE report_rollup (
    id               integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    rolled_up_until  timestamptz NOT NULL,
    refreshed_at     timestamptz NOT NULL
);
