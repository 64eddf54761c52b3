-- The durable outbox of journey signals that do not come from storefront events: an open or click from a tracking
-- link or a provider webhook. The row is written in the same transaction as the engagement it tells about, and the
-- Api's inbox relay delivers it to Temporal with retries, so an engagement is answered (redirect, pixel, 2xx) even
-- while Temporal is unreachable. signal_key makes it once per engagement (a webhook delivered twice adds no row).
CREATE TABLE journey_signals (
    id               bigserial PRIMARY KEY,
    signal_key       text NOT NULL UNIQUE,
    customer_id      text NOT NULL,
    kind             text NOT NULL,  -- engaged
    payload          jsonb NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now(),
    delivery_status  text NOT NULL DEFAULT 'pending',  -- pending | delivered | failed
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    last_error       text
);
CREATE INDEX journey_signals_pending ON journey_signals (customer_id, id) WHERE delivery_status = 'pending';
