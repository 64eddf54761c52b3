-- Lookups that webhooks make on every call: a customer by email (case-insensitive) or phone, when a provider callback
-- carries only an address (CustomerStore.FindIdByAddressAsync), and a message by the id its provider gave it
-- (MessageStore.FindAsync). Without these each webhook read the whole customers or messages table.
CREATE INDEX IF NOT EXISTS customers_email_lower ON customers (lower(email));
CREATE INDEX IF NOT EXISTS customers_phone ON customers (phone);
CREATE INDEX IF NOT EXISTS messages_provider_message ON messages (provider, provider_message_id) WHERE provider_message_id IS NOT NULL;
