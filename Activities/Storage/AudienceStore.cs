using Dapper;
using Npgsql;

namespace AbandonedCart.Activities.Storage;

/// <summary>Retargeting audience memberships: one row per customer, audience and addition (idempotency key).</summary>
public sealed class AudienceStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// True when the customer was added to any audience since <paramref name="since"/> under a different key:
    /// the retargeting rule "not added in the last 14 days". The same key is excluded so a retried addition
    /// is not refused by its own first attempt.
    /// </summary>
    public async Task<bool> AddedSinceAsync(string customerId, DateTimeOffset since, string exceptKey, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT EXISTS (SELECT 1 FROM audience_memberships
                           WHERE customer_id = @customerId AND added_at >= @since AND idempotency_key <> @exceptKey)
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            sql, new { customerId, since = since.ToUniversalTime(), exceptKey }, cancellationToken: cancellationToken));
    }

    /// <summary>The memberships added under this key (an addition may span several audiences).</summary>
    public async Task<IReadOnlyList<AudienceMembership>> ForKeyAsync(string idempotencyKey, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT audience, customer_id AS CustomerId, added_at AS AddedAt, removed_at AS RemovedAt
            FROM audience_memberships WHERE idempotency_key = @idempotencyKey ORDER BY id
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<AudienceMembership>(new CommandDefinition(sql, new { idempotencyKey }, cancellationToken: cancellationToken));
        return [.. rows];
    }

    /// <summary>The customer's memberships not removed yet (what erasure must take the customer out of).</summary>
    public async Task<IReadOnlyList<AudienceMembership>> ActiveForCustomerAsync(string customerId, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT audience, customer_id AS CustomerId, idempotency_key AS IdempotencyKey, added_at AS AddedAt, removed_at AS RemovedAt
            FROM audience_memberships WHERE customer_id = @customerId AND removed_at IS NULL ORDER BY id
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<AudienceMembership>(new CommandDefinition(sql, new { customerId }, cancellationToken: cancellationToken));
        return [.. rows];
    }

    /// <summary>Records an addition after the provider accepted it; recording it twice keeps the first.</summary>
    public async Task RecordAddedAsync(string customerId, string audience, string idempotencyKey, DateTimeOffset addedAt, CancellationToken cancellationToken = default)
    {
        const string sql = """
            INSERT INTO audience_memberships (customer_id, audience, idempotency_key, added_at)
            VALUES (@customerId, @audience, @idempotencyKey, @addedAt)
            ON CONFLICT (idempotency_key, audience) DO NOTHING
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            sql, new { customerId, audience, idempotencyKey, addedAt = addedAt.ToUniversalTime() }, cancellationToken: cancellationToken));
    }

    public async Task RecordRemovedAsync(string audience, string idempotencyKey, DateTimeOffset removedAt, CancellationToken cancellationToken = default)
    {
        const string sql = """
            UPDATE audience_memberships SET removed_at = @removedAt
            WHERE idempotency_key = @idempotencyKey AND audience = @audience AND removed_at IS NULL
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            sql, new { audience, idempotencyKey, removedAt = removedAt.ToUniversalTime() }, cancellationToken: cancellationToken));
    }
}

public sealed record AudienceMembership
{
    public string Audience { get; init; } = string.Empty;

    public string CustomerId { get; init; } = string.Empty;

    public string IdempotencyKey { get; init; } = string.Empty;

    public DateTime AddedAt { get; init; }

    public DateTime? RemovedAt { get; init; }
}
