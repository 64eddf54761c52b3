using System.Data.Common;
using Dapper;
using Npgsql;

namespace AbandonedCart.Activities.Storage;

/// <summary>Opens, clicks, deliveries and bounces, from tracking links and provider webhooks.</summary>
public sealed class EngagementStore(NpgsqlDataSource dataSource)
{
    /// <summary>True when a provider event with this id is already stored (webhooks are delivered at least once).</summary>
    public async Task<bool> ExistsAsync(string providerEventId, CancellationToken cancellationToken = default)
    {
        const string sql = "SELECT EXISTS (SELECT 1 FROM engagements WHERE provider_event_id = @providerEventId)";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(sql, new { providerEventId }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Stores one engagement. A provider event id already stored (a webhook delivered twice) stores nothing and
    /// returns false, so the caller signals the journey once per event.
    /// </summary>
    public async Task<bool> RecordAsync(EngagementRecord engagement, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await InsertAsync(connection, null, engagement, cancellationToken) is not null;
    }

    /// <summary>
    /// Stores one engagement inside the caller's transaction and returns its id; null when its provider event id is
    /// stored already (a concurrent repeat waits for the first transaction and then stores nothing).
    /// </summary>
    public static Task<long?> InsertAsync(DbConnection connection, DbTransaction? transaction, EngagementRecord engagement, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(engagement);
        const string sql = """
            INSERT INTO engagements (message_id, customer_id, kind, occurred_at, provider_event_id, source)
            VALUES (@MessageId, @CustomerId, @Kind, @OccurredAt, @ProviderEventId, @Source)
            ON CONFLICT (provider_event_id) DO NOTHING
            RETURNING id
            """;
        var args = new
        {
            engagement.MessageId,
            engagement.CustomerId,
            engagement.Kind,
            OccurredAt = engagement.OccurredAt.ToUniversalTime(),
            engagement.ProviderEventId,
            engagement.Source,
        };
        return connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(sql, args, transaction, cancellationToken: cancellationToken));
    }
}

/// <summary>One row of <c>engagements</c>.</summary>
public sealed record EngagementRecord
{
    public long? MessageId { get; init; }

    public required string CustomerId { get; init; }

    /// <summary><c>delivered</c>, <c>opened</c>, <c>clicked</c>, <c>bounced</c>, <c>unsubscribed</c>, <c>undelivered</c>.</summary>
    public required string Kind { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    public string? ProviderEventId { get; init; }

    /// <summary><c>tracking</c>, <c>sendgrid</c>, <c>twilio</c>.</summary>
    public string Source { get; init; } = "tracking";
}
