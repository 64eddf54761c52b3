using AbandonedCart.Workflows;
using Dapper;
using Npgsql;

namespace AbandonedCart.Activities.Storage;

/// <summary>The journey switch and holdout share, and the journey rounds (entries) with their outcomes.</summary>
public sealed class JourneyStore(NpgsqlDataSource dataSource)
{
    /// <summary>The switch and holdout share; a journey with no row runs with no holdout.</summary>
    public async Task<JourneySettings> GetSettingsAsync(string journey, CancellationToken cancellationToken = default)
    {
        const string sql = "SELECT enabled, holdout_percent::float8 AS HoldoutPercent FROM journeys WHERE name = @journey";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<JourneySettings>(
            new CommandDefinition(sql, new { journey }, cancellationToken: cancellationToken));
        return row ?? new JourneySettings(true, 0);
    }

    public async Task SetEnabledAsync(string journey, bool enabled, CancellationToken cancellationToken = default)
    {
        const string sql = """
            INSERT INTO journeys (name, enabled) VALUES (@journey, @enabled)
            ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, updated_at = now()
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { journey, enabled }, cancellationToken: cancellationToken));
    }

    public async Task SetHoldoutPercentAsync(string journey, double percent, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(percent, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percent, 100);
        const string sql = """
            INSERT INTO journeys (name, holdout_percent) VALUES (@journey, @percent)
            ON CONFLICT (name) DO UPDATE SET holdout_percent = excluded.holdout_percent, updated_at = now()
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { journey, percent = (decimal)percent }, cancellationToken: cancellationToken));
    }

    /// <summary>Records a journey round once per entry key; a retried activity leaves the first row as it was.</summary>
    public async Task RecordEntryAsync(JourneyEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        const string sql = """
            INSERT INTO journey_entries (entry_key, customer_id, journey, workflow_id, entered_at, holdout, cart_value, currency)
            VALUES (@EntryKey, @CustomerId, @Journey, @WorkflowId, @EnteredAt, @Holdout, @CartValue, @Currency)
            ON CONFLICT (entry_key) DO NOTHING
            """;
        var args = new
        {
            entry.EntryKey,
            entry.CustomerId,
            entry.Journey,
            entry.WorkflowId,
            EnteredAt = entry.EnteredAt.ToUniversalTime(),
            entry.Holdout,
            entry.CartValue,
            entry.Currency,
        };
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql, args, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Sets the outcome of a round once: the first outcome recorded stands. Rounds that ended before their first
    /// due message have no entry row, and this changes nothing for them.
    /// </summary>
    public async Task<bool> RecordOutcomeAsync(JourneyOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        const string sql = """
            UPDATE journey_entries SET outcome = @Outcome, ended_at = @EndedAt
            WHERE entry_key = @EntryKey AND outcome IS NULL
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            sql, new { outcome.EntryKey, outcome.Outcome, EndedAt = outcome.EndedAt.ToUniversalTime() }, cancellationToken: cancellationToken));
        return changed > 0;
    }

    public async Task<EntryRow?> FindEntryAsync(string entryKey, CancellationToken cancellationToken = default)
    {
        const string sql = """
            SELECT entry_key AS EntryKey, customer_id AS CustomerId, journey, holdout, cart_value AS CartValue, outcome,
                   ended_at AS EndedAt
            FROM journey_entries WHERE entry_key = @entryKey
            """;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<EntryRow>(new CommandDefinition(sql, new { entryKey }, cancellationToken: cancellationToken));
    }
}

public sealed record JourneySettings(bool Enabled, double HoldoutPercent);

public sealed record EntryRow
{
    public string EntryKey { get; init; } = string.Empty;

    public string CustomerId { get; init; } = string.Empty;

    public string Journey { get; init; } = string.Empty;

    public bool Holdout { get; init; }

    public decimal CartValue { get; init; }

    public string? Outcome { get; init; }

    public DateTime? EndedAt { get; init; }
}
