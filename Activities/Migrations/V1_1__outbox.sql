-- Development outbox: every message and audience change a provider would have received, when no provider
-- credentials are configured. Lets the whole system run on a laptop with no accounts; shown on GET /outbox.
CREATE TABLE outbox (
    id               bigserial PRIMARY KEY,
    kind             text NOT NULL,  -- message | audience_add | audience_remove
    idempotency_key  text NOT NULL,
    message_id       bigint REFERENCES messages (id),
    channel          text NOT NULL,  -- a channel name, or the audience (google | meta)
    provider         text NOT NULL DEFAULT 'outbox',
    customer_id      text NOT NULL,
    recipient        text,
    subject          text,
    body             text,
    payload          jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- A retried send whose first attempt reached the outbox must not appear twice.
    UNIQUE (kind, idempotency_key, channel)
);
CREATE INDEX outbox_created ON outbox (created_at DESC);
