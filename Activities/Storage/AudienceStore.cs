using System.Data.Common;
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
            SELECT audience, customer_id AS CustomerId, idempotency_key AS IdempotencyKey, added_at AS AddedAt, removed_at AS RemovedAt,
                   member_hash AS MemberHash
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

    /// <summary>
    /// Records an addition after the provider accepted it, with the hashed identifier the provider got
    /// (<paramref name="memberHash"/>), so it can be removed after the email changed or was erased; recording it twice
    /// keeps the first. An erasure committed after this addition started (it could not see the membership yet) gets
    /// its removal queued here, so an erased customer never stays in an audience.
    /// </summary>
    public async Task RecordAddedAsync(
        string customerId, string audience, string idempotencyKey, DateTimeOffset addedAt, string? memberHash = null, CancellationToken cancellationToken = default)
    {
        // FOR SHARE waits for an erasure in flight (it updates the customer row first), so one of the two sees the other.
        const string erased = "SELECT erased_at FROM customers WHERE id = @customerId FOR SHARE";
        const string insert = """
            INSERT INTO audience_memberships (customer_id, audience, idempotency_key, added_at, member_hash)
            VALUES (@customerId, @audience, @idempotencyKey, @addedAt, @memberHash)
            ON CONFLICT (idempotency_key, audience) DO NOTHING
            """;
        var args = new { customerId, audience, idempotencyKey, addedAt = addedAt.ToUniversalTime(), memberHash };
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var erasedAt = await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(erased, args, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(insert, args, transaction, cancellationToken: cancellationToken));
        if (erasedAt is { } at && at >= args.addedAt.UtcDateTime)
        {
            await QueueRemovalsAsync(connection, transaction, customerId, _ => null, new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)), cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Closes a membership after the provider removed the member; the hash is not needed any more.</summary>
    public async Task RecordRemovedAsync(string audience, string idempotencyKey, DateTimeOffset removedAt, CancellationToken cancellationToken = default)
    {
        const string sql = """
            UPDATE audience_memberships SET removed_at = @removedAt, member_hash = NULL
            WHERE idempotency_key = @idempotencyKey AND audience = @audience AND removed_at IS NULL
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            sql, new { audience, idempotencyKey, removedAt = removedAt.ToUniversalTime() }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Inside an erasure's transaction: closes every active membership of the customer and queues one removal per
    /// membership with the hash it was added with (<paramref name="fallbackHash"/> for memberships recorded before
    /// hashes were kept). Returns the memberships closed.
    /// </summary>
    public static async Task<IReadOnlyList<AudienceMembership>> QueueRemovalsAsync(
        DbConnection connection, DbTransaction transaction, string customerId, Func<string, string?> fallbackHash, DateTimeOffset requestedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(fallbackHash);
        const string active = """
            SELECT audience, customer_id AS CustomerId, idempotency_key AS IdempotencyKey, added_at AS AddedAt, removed_at AS RemovedAt,
                   member_hash AS MemberHash
            FROM audience_memberships WHERE customer_id = @customerId AND removed_at IS NULL ORDER BY id FOR UPDATE
            """;
        const string queue = """
            INSERT INTO audience_removals (customer_id, audience, idempotency_key, member_hash, requested_at, next_attempt_at, last_error)
            VALUES (@customerId, @Audience, @IdempotencyKey, @hash, @requestedAt, @requestedAt, @error)
            ON CONFLICT (idempotency_key, audience) DO NOTHING;
            UPDATE audience_memberships SET removed_at = @requestedAt, member_hash = NULL
            WHERE idempotency_key = @IdempotencyKey AND audience = @Audience;
            """;
        var memberships = (await connection.QueryAsync<AudienceMembership>(
            new CommandDefinition(active, new { customerId }, transaction, cancellationToken: cancellationToken))).ToList();
        foreach (var m in memberships)
        {
            var hash = m.MemberHash ?? fallbackHash(m.Audience);
            var args = new { customerId, m.Audience, m.IdempotencyKey, hash, requestedAt = requestedAt.ToUniversalTime(), error = hash is null ? RemovalErrors.NoIdentifier : null };
            await connection.ExecuteAsync(new CommandDefinition(queue, args, transaction, cancellationToken: cancellationToken));
        }

        return memberships;
    }

    /// <summary>The customer's queued removals, oldest first (what erasure reports).</summary>
    public async Task<IReadOnlyList<AudienceRemoval>> RemovalsForCustomerAsync(string customerId, CancellationToken cancellationToken = default)
    {
        const string sql = $"{RemovalSelect} WHERE customer_id = @customerId ORDER BY id";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<AudienceRemoval>(new CommandDefinition(sql, new { customerId }, cancellationToken: cancellationToken));
        return [.. rows];
    }

    /// <summary>Locks up to <paramref name="limit"/> removals due at <paramref name="now"/>; other workers skip them.</summary>
    public static async Task<IReadOnlyList<AudienceRemoval>> ClaimDueRemovalsAsync(
        DbConnection connection, DbTransaction transaction, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        const string sql = $"""
            {RemovalSelect}
            WHERE confirmed_at IS NULL AND member_hash IS NOT NULL AND next_attempt_at <= @now
            ORDER BY next_attempt_at, id LIMIT @limit FOR UPDATE SKIP LOCKED
            """;
        var rows = await connection.QueryAsync<AudienceRemoval>(
            new CommandDefinition(sql, new { limit, now = now.ToUniversalTime() }, transaction, cancellationToken: cancellationToken));
        return [.. rows];
    }

    /// <summary>The provider confirmed: the removal is done and its hash is dropped.</summary>
    public static Task ConfirmRemovalAsync(DbConnection connection, DbTransaction transaction, long id, DateTimeOffset confirmedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        const string sql = """
            UPDATE audience_removals SET confirmed_at = @confirmedAt, member_hash = NULL, attempts = attempts + 1, last_error = NULL
            WHERE id = @id
            """;
        return connection.ExecuteAsync(new CommandDefinition(sql, new { id, confirmedAt = confirmedAt.ToUniversalTime() }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>The attempt failed: <paramref name="error"/> (a failure type and status, no provider text) and the next try.</summary>
    public static Task RetryRemovalAsync(
        DbConnection connection, DbTransaction transaction, long id, string error, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        const string sql = """
            UPDATE audience_removals SET attempts = attempts + 1, last_error = @error, next_attempt_at = @nextAttemptAt
            WHERE id = @id
            """;
        return connection.ExecuteAsync(new CommandDefinition(
            sql, new { id, error, nextAttemptAt = nextAttemptAt.ToUniversalTime() }, transaction, cancellationToken: cancellationToken));
    }

    private const string RemovalSelect = """
        SELECT id, customer_id AS CustomerId, audience, idempotency_key AS IdempotencyKey, member_hash AS MemberHash,
               requested_at AS RequestedAt, attempts, next_attempt_at AS NextAttemptAt, last_error AS LastError, confirmed_at AS ConfirmedAt
        FROM audience_removals
        """;
}

/// <summary>Why a queued removal cannot be made.</summary>
public static class RemovalErrors
{
    /// <summary>A membership recorded before hashes were kept, whose email was gone by the erasure.</summary>
    public const string NoIdentifier = "no_identifier";
}

/// <summary>One audience an erasure takes the customer out of, retried until the provider confirms.</summary>
public sealed record AudienceRemoval
{
    public const string Pending = "pending";
    public const string Confirmed = "confirmed";

    public long Id { get; init; }

    public string CustomerId { get; init; } = string.Empty;

    public string Audience { get; init; } = string.Empty;

    public string IdempotencyKey { get; init; } = string.Empty;

    public string? MemberHash { get; init; }

    public DateTime RequestedAt { get; init; }

    public int Attempts { get; init; }

    public DateTime NextAttemptAt { get; init; }

    public string? LastError { get; init; }

    public DateTime? ConfirmedAt { get; init; }

    /// <summary><c>confirmed</c>, <c>pending</c>, or <c>no_identifier</c> (nothing the provider could match).</summary>
    public string Status => ConfirmedAt is not null ? Confirmed : MemberHash is null ? RemovalErrors.NoIdentifier : Pending;
}

public sealed record AudienceMembership
{
    public string Audience { get; init; } = string.Empty;

    public string CustomerId { get; init; } = string.Empty;

    public string IdempotencyKey { get; init; } = string.Empty;

    public DateTime AddedAt { get; init; }

    public DateTime? RemovedAt { get; init; }

    /// <summary>The hashed identifier the provider got when adding; null once removed, or for rows older than the hash.</summary>
    public string? MemberHash { get; init; }
}
