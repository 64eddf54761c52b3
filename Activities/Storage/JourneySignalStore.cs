using System.Data.Common;
using Dapper;
using Npgsql;

namespace AbandonedCart.Activities.Storage;

/// <summary>
/// The durable outbox of journey signals that do not come from storefront events (opens and clicks from tracking
/// links and provider webhooks). The Api writes a signal in the transaction that stores its engagement; the inbox
/// relay claims each customer's oldest pending signal, delivers it and records the outcome in its own transaction.
/// </summary>
public sealed class JourneySignalStore(NpgsqlDataSource dataSource)
{
    public const string Engaged = "engaged";

    /// <summary>Stores the signal unless its key was stored before; true when it is new.</summary>
    public static async Task<bool> InsertAsync(DbConnection connection, DbTransaction? transaction, JourneySignalRow signal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(signal);
        const string sql = """
            INSERT INTO journey_signals (signal_key, customer_id, kind, payload)
            VALUES (@SignalKey, @CustomerId, @Kind, @Payload::jsonb)
            ON CONFLICT (signal_key) DO NOTHING
            """;
        return await connection.ExecuteAsync(new CommandDefinition(sql, signal, transaction, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>
    /// Locks the oldest pending signal of each customer whose next attempt is due (at most <paramref name="limit"/>),
    /// skipping rows another relay holds, so a customer's signals go out in the order they were stored.
    /// </summary>
    public static async Task<IReadOnlyList<PendingJourneySignal>> ClaimDueAsync(
        DbConnection connection, DbTransaction transaction, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        const string sql = """
            WITH heads AS (
                SELECT DISTINCT ON (customer_id) id, next_attempt_at
                FROM journey_signals
                WHERE delivery_status = 'pending'
                ORDER BY customer_id, id
            )
            SELECT s.id, s.signal_key AS SignalKey, s.customer_id AS CustomerId, s.kind, s.payload::text AS Payload,
                   s.attempts, s.received_at AS ReceivedAt
            FROM journey_signals s
            JOIN heads h ON h.id = s.id
            WHERE h.next_attempt_at <= now() AND s.delivery_status = 'pending'
            ORDER BY s.id
            LIMIT @limit
            FOR UPDATE OF s SKIP LOCKED
            """;
        var rows = await connection.QueryAsync<PendingJourneySignal>(
            new CommandDefinition(sql, new { limit }, transaction, cancellationToken: cancellationToken));
        return [.. rows];
    }

    public static Task MarkDeliveredAsync(DbConnection connection, DbTransaction transaction, long id, CancellationToken cancellationToken)
    {
        const string sql = """
            UPDATE journey_signals SET delivery_status = 'delivered', delivered_at = now(), attempts = attempts + 1, last_error = NULL
            WHERE id = @id
            """;
        return connection.ExecuteAsync(new CommandDefinition(sql, new { id }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>Counts a failed delivery and leaves the signal pending until <paramref name="retryAfter"/> has passed; <paramref name="error"/> holds no personal data.</summary>
    public static Task MarkAttemptFailedAsync(
        DbConnection connection, DbTransaction transaction, long id, string error, TimeSpan retryAfter, CancellationToken cancellationToken)
    {
        const string sql = """
            UPDATE journey_signals SET attempts = attempts + 1, last_error = @error, next_attempt_at = now() + @retryAfter
            WHERE id = @id
            """;
        return connection.ExecuteAsync(new CommandDefinition(sql, new { id, error, retryAfter }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>Gives up on a signal that can never be delivered; the customer's later signals go on.</summary>
    public static Task MarkFailedAsync(DbConnection connection, DbTransaction transaction, long id, string error, CancellationToken cancellationToken)
    {
        const string sql = """
            UPDATE journey_signals SET delivery_status = 'failed', attempts = attempts + 1, last_error = @error
            WHERE id = @id
            """;
        return connection.ExecuteAsync(new CommandDefinition(sql, new { id, error }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>Pending signals and the oldest one's age: added to the inbox backlog the relay reports.</summary>
    public async Task<InboxCounts> BacklogAsync(CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT count(*) AS Pending, min(received_at) AS OldestPending
            FROM journey_signals WHERE delivery_status = 'pending'
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<InboxCounts>(new CommandDefinition(sql, cancellationToken: cancellationToken));
    }

    /// <summary>For an erased customer: pending signals are not delivered any more, and payloads are blanked.</summary>
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
            UPDATE journey_signals
            SET payload = '{"erased": true}'::jsonb,
                delivery_status = CASE WHEN delivery_status = 'pending' THEN 'failed' ELSE delivery_status END,
                last_error = CASE WHEN delivery_status = 'pending' OR last_error IS NOT NULL THEN 'customer erased' END
            WHERE customer_id = @customerId
            """;
        return connection.ExecuteAsync(new CommandDefinition(sql, new { customerId }, transaction, cancellationToken: cancellationToken));
    }
}

/// <summary>A journey signal to store: <see cref="Payload"/> is the signal's JSON (for <c>engaged</c>, the workflow's <c>Engagement</c>).</summary>
public sealed record JourneySignalRow
{
    public required string SignalKey { get; init; }

    public required string CustomerId { get; init; }

    public required string Kind { get; init; }

    public required string Payload { get; init; }
}

/// <summary>A signal claimed by the relay: delivered, retried later, or given up on before its transaction ends.</summary>
public sealed record PendingJourneySignal
{
    public long Id { get; init; }

    public string SignalKey { get; init; } = string.Empty;

    public string CustomerId { get; init; } = string.Empty;

    public string Kind { get; init; } = string.Empty;

    public string Payload { get; init; } = string.Empty;

    public int Attempts { get; init; }

    public DateTime ReceivedAt { get; init; }
}
