using System.Data.Common;
using Dapper;
using Npgsql;

namespace AbandonedCart.Activities.Storage;

/// <summary>The development outbox: what providers would have received, for the <c>/outbox</c> page.</summary>
public sealed class OutboxStore(NpgsqlDataSource dataSource)
{
    /// <summary>Records one entry once per kind, key and channel; returns its id (the earlier one on a retry).</summary>
    public async Task<long> AddAsync(OutboxEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        const string sql = """
            INSERT INTO outbox (kind, idempotency_key, message_id, channel, customer_id, recipient, subject, body, payload)
            VALUES (@Kind, @IdempotencyKey, @MessageId, @Channel, @CustomerId, @Recipient, @Subject, @Body, @Payload::jsonb)
            ON CONFLICT (kind, idempotency_key, channel) DO NOTHING;
            SELECT id FROM outbox WHERE kind = @Kind AND idempotency_key = @IdempotencyKey AND channel = @Channel;
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql, entry, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// For an erased customer, inside the erasure's transaction: the recipient (address, token, endpoint or audience
    /// hash) and the rendered message are blanked; kind, channel and time stay on the page.
    /// </summary>
    public static Task EraseCustomerAsync(DbConnection connection, DbTransaction? transaction, string customerId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        const string sql = "UPDATE outbox SET recipient = NULL, body = NULL, payload = NULL WHERE customer_id = @customerId";
        return connection.ExecuteAsync(new CommandDefinition(sql, new { customerId }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>The newest entries first.</summary>
    public async Task<IReadOnlyList<OutboxRow>> LatestAsync(int limit, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT id, kind, idempotency_key AS IdempotencyKey, message_id AS MessageId, channel, provider,
                   customer_id AS CustomerId, recipient, subject, body, created_at AS CreatedAt
            FROM outbox ORDER BY created_at DESC, id DESC LIMIT @limit
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<OutboxRow>(new CommandDefinition(sql, new { limit }, cancellationToken: cancellationToken));
        return [.. rows];
    }
}

/// <summary>Kinds of outbox entries.</summary>
public static class OutboxKinds
{
    public const string Message = "message";
    public const string AudienceAdd = "audience_add";
    public const string AudienceRemove = "audience_remove";
}

public sealed record OutboxEntry
{
    public required string Kind { get; init; }

    public required string IdempotencyKey { get; init; }

    public long? MessageId { get; init; }

    /// <summary>The channel name, or the audience for audience entries.</summary>
    public required string Channel { get; init; }

    public required string CustomerId { get; init; }

    public string? Recipient { get; init; }

    public string? Subject { get; init; }

    public string? Body { get; init; }

    /// <summary>JSON of the rendered message, as a provider would have received it.</summary>
    public string? Payload { get; init; }
}

public sealed record OutboxRow
{
    public long Id { get; init; }

    public string Kind { get; init; } = string.Empty;

    public string IdempotencyKey { get; init; } = string.Empty;

    public long? MessageId { get; init; }

    public string Channel { get; init; } = string.Empty;

    public string Provider { get; init; } = string.Empty;

    public string CustomerId { get; init; } = string.Empty;

    public string? Recipient { get; init; }

    public string? Subject { get; init; }

    public string? Body { get; init; }

    public DateTime CreatedAt { get; init; }
}
