using System.Data.Common;
using Dapper;
using Npgsql;

namespace AbandonedCart.Activities.Storage;

/// <summary>
/// Raw storefront events as received, deduplicated by the storefront's event id: the durable inbox. The Api writes
/// events inside its request transaction; the relay claims each customer's oldest pending event, delivers it and
/// records the outcome inside its own transaction.
/// </summary>
public sealed class EventStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Stores the events whose ids were not seen before, with a row in <c>customers</c> for each new customer, and
    /// returns the stored ids (the others are repeats).
    /// </summary>
    public static async Task<IReadOnlySet<string>> InsertAsync(
        DbConnection connection, DbTransaction? transaction, IReadOnlyList<StorefrontEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(events);

        // One statement for a whole batch, so the common case (no other writes) is one round trip in its own
        // transaction. Ordinality keeps the storefront's order in the id sequence, which is the order the relay
        // delivers a customer's events in. The customer row every stored event needs is created alongside.
        const string sql = """
            WITH stored AS (
                INSERT INTO storefront_events (event_id, customer_id, type, occurred_at, payload)
                SELECT e.event_id, e.customer_id, e.type, e.occurred_at, e.payload::jsonb
                FROM unnest(@EventIds, @CustomerIds, @Types, @OccurredAts, @Payloads)
                     WITH ORDINALITY AS e(event_id, customer_id, type, occurred_at, payload, n)
                ORDER BY e.n
                ON CONFLICT (event_id) DO NOTHING
                RETURNING event_id, customer_id
            ), new_customers AS (
                INSERT INTO customers (id) SELECT DISTINCT customer_id FROM stored ORDER BY 1 ON CONFLICT (id) DO NOTHING
            )
            SELECT event_id FROM stored
            """;
        var args = new
        {
            EventIds = events.Select(e => e.EventId).ToArray(),
            CustomerIds = events.Select(e => e.CustomerId).ToArray(),
            Types = events.Select(e => e.Type).ToArray(),
            OccurredAts = events.Select(e => e.OccurredAt.UtcDateTime).ToArray(),
            Payloads = events.Select(e => e.Payload).ToArray(),
        };
        var inserted = await connection.QueryAsync<string>(new CommandDefinition(sql, args, transaction, cancellationToken: cancellationToken));
        return inserted.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Locks the oldest pending event of each customer whose next attempt is due (at most <paramref name="limit"/>),
    /// skipping rows another relay holds. Only a customer's oldest pending event is ever claimed, so a later event
    /// never overtakes an earlier one that is still being retried. The locks last until the transaction ends.
    /// </summary>
    public static async Task<IReadOnlyList<PendingEvent>> ClaimDueAsync(
        DbConnection connection, DbTransaction transaction, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        const string sql = """
            WITH heads AS (
                SELECT DISTINCT ON (customer_id) id, next_attempt_at
                FROM storefront_events
                WHERE delivery_status = 'pending'
                ORDER BY customer_id, id
            )
            SELECT e.id, e.event_id AS EventId, e.customer_id AS CustomerId, e.type, e.payload::text AS Payload,
                   e.attempts, e.received_at AS ReceivedAt
            FROM storefront_events e
            JOIN heads h ON h.id = e.id
            WHERE h.next_attempt_at <= now() AND e.delivery_status = 'pending'
            ORDER BY e.id
            LIMIT @limit
            FOR UPDATE OF e SKIP LOCKED
            """;
        var rows = await connection.QueryAsync<PendingEvent>(
            new CommandDefinition(sql, new { limit }, transaction, cancellationToken: cancellationToken));
        return [.. rows];
    }

    public static Task MarkDeliveredAsync(DbConnection connection, DbTransaction transaction, long id, CancellationToken cancellationToken)
    {
        const string sql = """
            UPDATE storefront_events SET delivery_status = 'delivered', delivered_at = now(), attempts = attempts + 1, last_error = NULL
            WHERE id = @id
            """;
        return connection.ExecuteAsync(new CommandDefinition(sql, new { id }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Counts a failed delivery and leaves the event pending until <paramref name="retryAfter"/> has passed.
    /// <paramref name="error"/> is shown to operators, so it must hold no personal data.
    /// </summary>
    public static Task MarkAttemptFailedAsync(
        DbConnection connection, DbTransaction transaction, long id, string error, TimeSpan retryAfter, CancellationToken cancellationToken)
    {
        const string sql = """
            UPDATE storefront_events SET attempts = attempts + 1, last_error = @error, next_attempt_at = now() + @retryAfter
            WHERE id = @id
            """;
        return connection.ExecuteAsync(new CommandDefinition(sql, new { id, error, retryAfter }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>Gives up on an event that can never be delivered; the customer's later events go on.</summary>
    public static Task MarkFailedAsync(DbConnection connection, DbTransaction transaction, long id, string error, CancellationToken cancellationToken)
    {
        const string sql = """
            UPDATE storefront_events SET delivery_status = 'failed', attempts = attempts + 1, last_error = @error
            WHERE id = @id
            """;
        return connection.ExecuteAsync(new CommandDefinition(sql, new { id, error }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>How many events are pending, delivered and failed, and how old the oldest pending one is.</summary>
    public async Task<InboxCounts> CountAsync(CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT count(*) FILTER (WHERE delivery_status = 'pending') AS Pending,
                   count(*) FILTER (WHERE delivery_status = 'delivered') AS Delivered,
                   count(*) FILTER (WHERE delivery_status = 'failed') AS Failed,
                   min(received_at) FILTER (WHERE delivery_status = 'pending') AS OldestPending
            FROM storefront_events
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<InboxCounts>(new CommandDefinition(sql, cancellationToken: cancellationToken));
    }

    /// <summary>Pending events only (the partial index answers it): the backlog metric, polled by the relay.</summary>
    public async Task<InboxCounts> BacklogAsync(CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT count(*) AS Pending, min(received_at) AS OldestPending
            FROM storefront_events WHERE delivery_status = 'pending'
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<InboxCounts>(new CommandDefinition(sql, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// For an erased customer: pending events are not delivered any more (they would start a journey again), and the
    /// raw payloads of every event type, which hold personal data (addresses, tokens, Shopify's checkout email), are
    /// blanked. Type, times and delivery state stay for the inbox counts.
    /// </summary>
    public async Task EraseCustomerAsync(string customerId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await EraseCustomerAsync(connection, null, customerId, cancellationToken);
    }

    /// <summary>The same inside the erasure's transaction.</summary>
    public static Task EraseCustomerAsync(DbConnection connection, DbTransaction? transaction, string customerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        const string sql = """
            UPDATE storefront_events
            SET payload = '{"erased": true}'::jsonb,
                delivery_status = CASE WHEN delivery_status = 'pending' THEN 'failed' ELSE delivery_status END,
                last_error = CASE WHEN delivery_status = 'pending' OR last_error IS NOT NULL THEN 'customer erased' END
            WHERE customer_id = @customerId
            """;
        return connection.ExecuteAsync(new CommandDefinition(sql, new { customerId }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// A profile change that arrives for a customer already erased is kept (its id still deduplicates redeliveries)
    /// but blanked like the ones erasure blanked, so a late event does not store their personal data again.
    /// </summary>
    public static Task BlankIfErasedAsync(DbConnection connection, DbTransaction? transaction, string eventId, string customerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        const string sql = """
            UPDATE storefront_events SET payload = '{"erased": true}'::jsonb
            WHERE event_id = @eventId AND EXISTS (SELECT 1 FROM customers WHERE id = @customerId AND erased_at IS NOT NULL)
            """;
        return connection.ExecuteAsync(new CommandDefinition(sql, new { eventId, customerId }, transaction, cancellationToken: cancellationToken));
    }

    public async Task<EventRow?> FindAsync(string eventId, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT event_id AS EventId, customer_id AS CustomerId, type, payload::text AS Payload,
                   delivery_status AS DeliveryStatus, attempts
            FROM storefront_events WHERE event_id = @eventId
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<EventRow>(new CommandDefinition(sql, new { eventId }, cancellationToken: cancellationToken));
    }
}

/// <summary>A storefront event to store; <see cref="Payload"/> is the event's JSON as received.</summary>
public sealed record StorefrontEvent
{
    public required string EventId { get; init; }

    public required string CustomerId { get; init; }

    public required string Type { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    public required string Payload { get; init; }
}

public sealed record EventRow
{
    public string EventId { get; init; } = string.Empty;

    public string CustomerId { get; init; } = string.Empty;

    public string Type { get; init; } = string.Empty;

    public string Payload { get; init; } = string.Empty;

    public string DeliveryStatus { get; init; } = string.Empty;

    public int Attempts { get; init; }
}

/// <summary>An event claimed by the relay: delivered, retried later, or given up on before its transaction ends.</summary>
public sealed record PendingEvent
{
    public long Id { get; init; }

    public string EventId { get; init; } = string.Empty;

    public string CustomerId { get; init; } = string.Empty;

    public string Type { get; init; } = string.Empty;

    public string Payload { get; init; } = string.Empty;

    public int Attempts { get; init; }

    public DateTime ReceivedAt { get; init; }
}

/// <summary>The answer of <c>GET /v1/inbox</c>, plus the age of the backlog for the relay-lag metric.</summary>
public sealed record InboxCounts
{
    public long Pending { get; init; }

    public long Delivered { get; init; }

    public long Failed { get; init; }

    public DateTime? OldestPending { get; init; }
}
