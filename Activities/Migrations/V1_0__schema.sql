-- Schema v1 of AbandonedCart.Temporal. Applied by Evolve on Worker start (and by the test fixtures).
-- Timestamps are timestamptz in UTC. Personal data lives in customers only, so erasure is one UPDATE.

CREATE TABLE customers (
    id                 text PRIMARY KEY,
    email              text,
    email_valid        boolean NOT NULL DEFAULT true,
    phone              text,
    phone_valid        boolean NOT NULL DEFAULT true,
    time_zone          text,
    fcm_token          text,
    apns_token         text,
    huawei_token       text,
    web_push_endpoint  text,
    web_push_p256dh    text,
    web_push_auth      text,
    line_user_id       text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    erased_at          timestamptz
);

-- Current consent per category (email, sms, push, ads, line); history below keeps every change.
CREATE TABLE consents (
    customer_id  text NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    category     text NOT NULL,
    granted      boolean NOT NULL,
    changed_at   timestamptz NOT NULL DEFAULT now(),
    source       text NOT NULL DEFAULT 'api',
    PRIMARY KEY (customer_id, category)
);

CREATE TABLE consent_history (
    id           bigserial PRIMARY KEY,
    customer_id  text NOT NULL,
    category     text NOT NULL,
    granted      boolean NOT NULL,
    changed_at   timestamptz NOT NULL DEFAULT now(),
    source       text NOT NULL DEFAULT 'api'
);
CREATE INDEX consent_history_customer ON consent_history (customer_id, changed_at);

-- Raw storefront events as received; also the durable inbox the relay delivers to Temporal from.
CREATE TABLE storefront_events (
    id               bigserial PRIMARY KEY,
    event_id         text NOT NULL UNIQUE,
    customer_id      text NOT NULL,
    type             text NOT NULL,
    occurred_at      timestamptz NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now(),
    payload          jsonb NOT NULL,
    delivery_status  text NOT NULL DEFAULT 'pending',  -- pending | delivered | failed
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    last_error       text
);
CREATE INDEX storefront_events_pending ON storefront_events (customer_id, id) WHERE delivery_status = 'pending';

-- The journey switch and holdout share, read by the workflow before every send.
CREATE TABLE journeys (
    name             text PRIMARY KEY,
    enabled          boolean NOT NULL DEFAULT true,
    holdout_percent  numeric(5, 2) NOT NULL DEFAULT 0 CHECK (holdout_percent BETWEEN 0 AND 100),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
INSERT INTO journeys (name) VALUES ('abandoned-cart');

-- One row per journey round that reached its first due message: the dashboard's carts, holdout and outcome.
CREATE TABLE journey_entries (
    id            bigserial PRIMARY KEY,
    entry_key     text NOT NULL UNIQUE,
    customer_id   text NOT NULL,
    journey       text NOT NULL,
    workflow_id   text NOT NULL,
    entered_at    timestamptz NOT NULL,
    holdout       boolean NOT NULL DEFAULT false,
    cart_value    numeric(12, 2) NOT NULL DEFAULT 0,
    currency      text NOT NULL DEFAULT 'EUR',
    outcome       text,
    ended_at      timestamptz
);
CREATE INDEX journey_entries_journey_time ON journey_entries (journey, entered_at);
CREATE INDEX journey_entries_customer ON journey_entries (customer_id, entered_at);

-- One row per send decision: sent, skipped, deferred, capped, … with its reason. The idempotency key is
-- written before the provider call, so a retried activity never sends twice.
CREATE TABLE messages (
    id                   bigserial PRIMARY KEY,
    idempotency_key      text NOT NULL UNIQUE,
    customer_id          text NOT NULL,
    journey              text NOT NULL,
    entry_key            text,
    channel              text,
    step                 integer,
    status               text NOT NULL,  -- pending | sent | failed | skipped | deferred | capped | holdout | stopped
    reason               text,
    provider             text,
    provider_message_id  text,
    deferred_until       timestamptz,
    payload              jsonb,
    created_at           timestamptz NOT NULL DEFAULT now(),
    sent_at              timestamptz,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_customer_sent ON messages (customer_id, sent_at) WHERE status = 'sent';
CREATE INDEX messages_journey_created ON messages (journey, created_at);

-- Opens, clicks, deliveries, bounces, unsubscribes; provider events are deduplicated by their own id.
CREATE TABLE engagements (
    id                 bigserial PRIMARY KEY,
    message_id         bigint REFERENCES messages (id),
    customer_id        text NOT NULL,
    kind               text NOT NULL,  -- delivered | opened | clicked | bounced | unsubscribed | undelivered
    occurred_at        timestamptz NOT NULL,
    provider_event_id  text UNIQUE,
    source             text NOT NULL DEFAULT 'tracking'
);
CREATE INDEX engagements_customer_time ON engagements (customer_id, occurred_at);
CREATE INDEX engagements_message ON engagements (message_id);

CREATE TABLE purchases (
    id           bigserial PRIMARY KEY,
    order_id     text NOT NULL UNIQUE,
    customer_id  text NOT NULL,
    revenue      numeric(12, 2) NOT NULL DEFAULT 0,
    currency     text NOT NULL DEFAULT 'EUR',
    occurred_at  timestamptz NOT NULL,
    event_id     text
);
CREATE INDEX purchases_customer_time ON purchases (customer_id, occurred_at);

-- Retargeting: one row per customer, audience and addition; removed_at set when taken out again.
CREATE TABLE audience_memberships (
    id               bigserial PRIMARY KEY,
    customer_id      text NOT NULL,
    audience         text NOT NULL,  -- google | meta
    idempotency_key  text NOT NULL,
    added_at         timestamptz NOT NULL,
    removed_at       timestamptz,
    UNIQUE (idempotency_key, audience)
);
CREATE INDEX audience_memberships_customer ON audience_memberships (customer_id, added_at);
