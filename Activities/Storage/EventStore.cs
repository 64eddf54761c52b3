using Dapper;
using Npgsql;

namespace AbandonedCart.Activities.Storage;

/// <summary>Raw storefront events as received, deduplicated by the storefront's event id, with their delivery state.</summary>
public sealed class EventStore(NpgsqlDataSource dataSource)
{
    /// <summary>Stores the event unless its id was seen before; true when this call stored it.</summary>
    public async Task<bool> TryInsertAsync(StorefrontEvent storefrontEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storefrontEvent);
        const string sql = """
            INSERT INTO storefront_events (event_id, customer_id, type, occurred_at, payload)
            VALUES (@EventId, @CustomerId, @Type, @OccurredAt, @Payload::jsonb)
            ON CONFLICT (event_id) DO NOTHING
            """;
        var args = new
        {
            storefrontEvent.EventId,
            storefrontEvent.CustomerId,
            storefrontEvent.Type,
            OccurredAt = storefrontEvent.OccurredAt.ToUniversalTime(),
            storefrontEvent.Payload,
        };
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(sql, args, cancellationToken: cancellationToken)) > 0;
    }

    public async Task MarkDeliveredAsync(string eventId, CancellationToken cancellationToken = default)
    {
        const string sql = """
            UPDATE storefront_events SET delivery_status = 'delivered', delivered_at = now(), attempts = attempts + 1, last_error = NULL
            WHERE event_id = @eventId
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { eventId }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Counts a failed delivery and leaves the event pending for a later delivery. <paramref name="error"/> is shown
    /// to operators, so it must hold no personal data.
    /// </summary>
    public async Task MarkAttemptFailedAsync(string eventId, string error, TimeSpan retryAfter, CancellationToken cancellationToken = default)
    {
        const string sql = """
            UPDATE storefront_events SET attempts = attempts + 1, last_error = @error, next_attempt_at = now() + @retryAfter
            WHERE event_id = @eventId
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { eventId, error, retryAfter }, cancellationToken: cancellationToken));
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
