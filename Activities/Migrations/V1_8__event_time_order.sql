-- Changes are ordered by the time they happened, not the time they arrive: a late storefront event, a Shopify
-- redelivery or a replayed consent that is older than what is stored changes nothing.

-- The event time each channel property was last set as of, keyed by column name ({"email": "2026-03-02T10:00:00Z"}).
-- A property with no entry was set before this migration and takes any change.
ALTER TABLE customers ADD COLUMN property_times jsonb NOT NULL DEFAULT '{}';

-- The event time of the newest change seen for the consent, applied or confirming the same value; changed_at stays
-- the time the current value began.
ALTER TABLE consents ADD COLUMN as_of timestamptz;
UPDATE consents SET as_of = changed_at;
ALTER TABLE consents ALTER COLUMN as_of SET NOT NULL;

-- Inbound provider messages already applied (Twilio's MessageSid of a STOP or START reply), so a replayed or
-- redelivered one changes nothing the second time.
CREATE TABLE inbound_messages (
    provider     text NOT NULL,
    message_id   text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, message_id)
);
