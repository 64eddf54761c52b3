-- Erasure that reaches the ad platforms. Google Customer Match and Meta Custom Audiences remove a member by the
-- SHA-256 of the normalised email, so each membership keeps the hash it was added with: removal works after the
-- email changed or was erased. The hash is cleared once the member is out of the audience.
ALTER TABLE audience_memberships ADD COLUMN member_hash text;

-- One row per audience membership an erasure must take out of a provider's audience, written in the erasure's
-- transaction and retried by the Worker (AudienceRemovalLoop) with backoff until the provider confirms.
-- last_error holds the failure type and HTTP status only, never a provider's text.
CREATE TABLE audience_removals (
    id               bigserial PRIMARY KEY,
    customer_id      text NOT NULL,
    audience         text NOT NULL,  -- google | meta
    idempotency_key  text NOT NULL,  -- the membership's key
    member_hash      text,           -- NULL once confirmed
    requested_at     timestamptz NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    last_error       text,
    confirmed_at     timestamptz,
    UNIQUE (idempotency_key, audience)
);
CREATE INDEX audience_removals_due ON audience_removals (next_attempt_at) WHERE confirmed_at IS NULL;
CREATE INDEX audience_removals_customer ON audience_removals (customer_id);
