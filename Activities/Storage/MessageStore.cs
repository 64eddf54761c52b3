using System.Data.Common;
using Dapper;
using Npgsql;

namespace AbandonedCart.Activities.Storage;

/// <summary>
/// The message log: one row per send decision, keyed by idempotency key. A send first claims its row, then calls
/// the provider, then marks the row sent, so a retried activity finds the earlier outcome instead of sending again.
/// </summary>
public sealed class MessageStore(NpgsqlDataSource dataSource)
{
    private const string RowColumns = """
        id, idempotency_key AS IdempotencyKey, customer_id AS CustomerId, journey, channel, step, status, reason,
        provider, provider_message_id AS ProviderMessageId, sent_at AS SentAt
        """;

    /// <summary>
    /// For an erased customer, inside the erasure's transaction: the rendered cart is blanked, and a provider id that
    /// is a URL (a web push message location, which can carry the subscription) is dropped. Status, channel, step,
    /// round and times stay: the reports count them. Ids such as SendGrid's or Twilio's stay so late provider events
    /// still match their message.
    /// </summary>
    public static Task EraseCustomerAsync(DbConnection connection, DbTransaction? transaction, string customerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        const string sql = """
            UPDATE messages
            SET payload = NULL,
                provider_message_id = CASE WHEN provider_message_id LIKE '%://%' THEN NULL ELSE provider_message_id END,
                updated_at = now()
            WHERE customer_id = @customerId
            """;
        return connection.ExecuteAsync(new CommandDefinition(sql, new { customerId }, transaction, cancellationToken: cancellationToken));
    }

    public async Task<MessageRow?> FindAsync(string idempotencyKey, CancellationToken cancellationToken = default)
    {
        const string sql = $"SELECT {RowColumns} FROM messages WHERE idempotency_key = @idempotencyKey";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<MessageRow>(
            new CommandDefinition(sql, new { idempotencyKey }, cancellationToken: cancellationToken));
    }

    /// <summary>The row with this id, or the one a provider knows by <paramref name="providerMessageId"/>; null when none.</summary>
    public async Task<MessageRow?> FindAsync(long? id, string? provider = null, string? providerMessageId = null, CancellationToken cancellationToken = default)
    {
        const string sql = $"""
            SELECT {RowColumns} FROM messages
            WHERE id = @id OR (@providerMessageId IS NOT NULL AND provider = @provider AND provider_message_id = @providerMessageId)
            ORDER BY id LIMIT 1
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<MessageRow>(
            new CommandDefinition(sql, new { id, provider, providerMessageId }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Claims the right to send under this key: inserts a <c>pending</c> row, or takes over a row whose earlier
    /// attempt failed, was deferred, or was abandoned (pending for longer than <paramref name="lease"/>, e.g. a crashed worker).
    /// Returns the row id when claimed, null when another attempt owns the key or it is already decided. The payload
    /// is the JSON of what is sent (cart items, value), for the audit and the dashboard.
    /// </summary>
    public async Task<long?> ClaimAsync(MessageHead head, string? payload, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        const string sql = """
            INSERT INTO messages (idempotency_key, customer_id, journey, entry_key, channel, step, status, payload)
            VALUES (@IdempotencyKey, @CustomerId, @Journey, @EntryKey, @Channel, @Step, 'pending', @Payload::jsonb)
            ON CONFLICT (idempotency_key) DO UPDATE SET status = 'pending', reason = NULL, updated_at = now()
                WHERE messages.status IN ('failed', 'deferred')
                   OR (messages.status = 'pending' AND messages.updated_at < now() - @lease)
            RETURNING id
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var args = new DynamicParameters(head);
        args.Add("Payload", payload);
        args.Add("lease", lease);
        return await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(sql, args, cancellationToken: cancellationToken));
    }

    public async Task MarkSentAsync(long id, string provider, string? providerMessageId, DateTimeOffset sentAt, CancellationToken cancellationToken = default)
    {
        const string sql = """
            UPDATE messages SET status = 'sent', reason = NULL, provider = @provider,
                provider_message_id = @providerMessageId, sent_at = @sentAt, updated_at = now()
            WHERE id = @id
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            sql, new { id, provider, providerMessageId, sentAt = sentAt.ToUniversalTime() }, cancellationToken: cancellationToken));
    }

    /// <summary>Marks an attempt failed so the next attempt may claim the key again. <paramref name="reason"/> must hold no personal data.</summary>
    public async Task MarkFailedAsync(long id, string reason, CancellationToken cancellationToken = default)
    {
        const string sql = "UPDATE messages SET status = 'failed', reason = @reason, updated_at = now() WHERE id = @id AND status = 'pending'";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { id, reason }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Records a decision not to send (<c>skipped</c>, <c>deferred</c>, <c>capped</c>, <c>holdout</c>, <c>stopped</c>)
    /// once per key, and returns the row now stored under the key. Only a failed attempt or a deferral (both mean
    /// "not yet") is replaced; any other earlier row stands and is returned.
    /// </summary>
    public async Task<MessageRow> RecordDecisionAsync(
        MessageHead head, string status, string reason, DateTimeOffset? until = null, CancellationToken cancellationToken = default)
    {
        const string sql = $"""
            INSERT INTO messages (idempotency_key, customer_id, journey, entry_key, channel, step, status, reason, deferred_until)
            VALUES (@IdempotencyKey, @CustomerId, @Journey, @EntryKey, @Channel, @Step, @Status, @Reason, @Until)
            ON CONFLICT (idempotency_key) DO UPDATE SET status = excluded.status, reason = excluded.reason,
                deferred_until = excluded.deferred_until, updated_at = now()
                WHERE messages.status IN ('failed', 'deferred');
            SELECT {RowColumns} FROM messages WHERE idempotency_key = @IdempotencyKey;
            """;
        var args = new DynamicParameters(head);
        args.AddDynamicParams(new { Status = status, Reason = reason, Until = until?.ToUniversalTime() });
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<MessageRow>(new CommandDefinition(sql, args, cancellationToken: cancellationToken));
    }

    /// <summary>When the customer last got a message (status <c>sent</c>) from this journey and from any other journey.</summary>
    public async Task<LastSent> LastSentAsync(string customerId, string journey, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT max(sent_at) FILTER (WHERE journey = @journey) AS ThisJourney,
                   max(sent_at) FILTER (WHERE journey <> @journey) AS OtherJourneys
            FROM messages WHERE customer_id = @customerId AND status = 'sent'
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<(DateTime? ThisJourney, DateTime? OtherJourneys)>(
            new CommandDefinition(sql, new { customerId, journey }, cancellationToken: cancellationToken));
        return new LastSent(Utc(row.ThisJourney), Utc(row.OtherJourneys));
    }

    private static DateTimeOffset? Utc(DateTime? value) =>
        value is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;
}

/// <summary>What identifies a message-log row: its key, customer, journey round, channel and step.</summary>
public sealed record MessageHead
{
    public required string IdempotencyKey { get; init; }

    public required string CustomerId { get; init; }

    public required string Journey { get; init; }

    public string? EntryKey { get; init; }

    public string? Channel { get; init; }

    public int? Step { get; init; }
}

/// <summary>One row of the message log.</summary>
public sealed record MessageRow
{
    public long Id { get; init; }

    public string IdempotencyKey { get; init; } = string.Empty;

    public string CustomerId { get; init; } = string.Empty;

    public string Journey { get; init; } = string.Empty;

    public string? Channel { get; init; }

    public int? Step { get; init; }

    public string Status { get; init; } = string.Empty;

    public string? Reason { get; init; }

    public string? Provider { get; init; }

    public string? ProviderMessageId { get; init; }

    public DateTime? SentAt { get; init; }
}

/// <summary>Latest sent message times for a customer: this journey, and all other journeys.</summary>
public sealed record LastSent(DateTimeOffset? ThisJourney, DateTimeOffset? OtherJourneys);
