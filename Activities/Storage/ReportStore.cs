using AbandonedCart.Activities.Reports;
using Dapper;
using Npgsql;

namespace AbandonedCart.Activities.Storage;

/// <summary>
/// Reads the evaluation report of a journey (rules in docs/attribution.md) and keeps its daily rollup. The
/// measurements themselves are the SQL functions report_messages, report_rounds and report_credits (migration
/// V1_5); this store sums them over a range, from the rollup for settled whole days and live for the rest.
/// </summary>
public sealed class ReportStore(NpgsqlDataSource dataSource)
{
    /// <summary>Days younger than this are recomputed on every refresh: late opens and purchases still land there.</summary>
    public static readonly TimeSpan Unsettled = TimeSpan.FromDays(14);

    // Each measurement is the union of the rollup days and the two live segments (see ReportSegments).
    private const string Sql = """
        select channel, step, sum(sent)::bigint as sent, sum(delivered)::bigint as delivered, sum(opened)::bigint as opened, sum(clicked)::bigint as clicked
        from (
            select channel, step, sent, delivered, opened, clicked from report_messages_daily
            where journey = @Journey and day >= @RollupFrom::date and day < @RollupTo::date
            union all
            select channel, step, sent, delivered, opened, clicked from report_messages(@Journey, @From, @HeadTo)
            union all
            select channel, step, sent, delivered, opened, clicked from report_messages(@Journey, @TailFrom, @To)
        ) m
        group by channel, step;

        select channel, step, sum(conversions)::bigint as conversions, sum(revenue) as revenue
        from (
            select channel, step, touch_hours, conversions, revenue from report_credits_daily
            where journey = @Journey and day >= @RollupFrom::date and day < @RollupTo::date
            union all
            select channel, step, touch_hours, conversions, revenue from report_credits(@Journey, @From, @HeadTo)
            union all
            select channel, step, touch_hours, conversions, revenue from report_credits(@Journey, @TailFrom, @To)
        ) c
        where touch_hours <= @Hours
        group by channel, step;

        select coalesce(sum(carts), 0)::bigint as carts,
               coalesce(sum(carts) filter (where holdout), 0)::bigint as holdoutcarts,
               coalesce(sum(carts) filter (where not holdout and conversion_hours <= @Hours), 0)::bigint as treatmentconverted,
               coalesce(sum(carts) filter (where holdout and conversion_hours <= @Hours), 0)::bigint as holdoutconverted,
               coalesce(sum(reached) filter (where not holdout), 0)::bigint as recipients
        from (
            select holdout, conversion_hours, carts, reached from report_rounds_daily
            where journey = @Journey and day >= @RollupFrom::date and day < @RollupTo::date
            union all
            select holdout, conversion_hours, carts, reached from report_rounds(@Journey, @From, @HeadTo)
            union all
            select holdout, conversion_hours, carts, reached from report_rounds(@Journey, @TailFrom, @To)
        ) r;
        """;

    /// <summary>Counts the cohort of <paramref name="journey"/> that entered in [from, to), using the rollup where it is current.</summary>
    public async Task<CohortCounts> CountAsync(string journey, DateTimeOffset from, DateTimeOffset to, TimeSpan window, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var horizon = await HorizonAsync(connection, null, cancellationToken);
        return await CountAsync(connection, journey, ReportSegments.Split(from, to, horizon), window, cancellationToken);
    }

    /// <summary>The same counts computed live only, ignoring the rollup (the reference the rollup is tested against).</summary>
    public async Task<CohortCounts> CountLiveAsync(string journey, DateTimeOffset from, DateTimeOffset to, TimeSpan window, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await CountAsync(connection, journey, ReportSegments.Split(from, to, null), window, cancellationToken);
    }

    /// <summary>
    /// Recomputes the daily rollup for rounds that entered from <paramref name="since"/> (default: <see cref="Unsettled"/>
    /// before the current horizon, or the first entry on the first run) until <paramref name="now"/>, which becomes the
    /// new horizon, in one transaction, so readers see either the old or the new rollup. Concurrent refreshes (several
    /// API replicas) skip instead of queueing. Pass <paramref name="since"/> after importing old data.
    /// </summary>
    public async Task<bool> RefreshAsync(DateTimeOffset now, DateOnly? since = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select pg_try_advisory_xact_lock(hashtext('report_refresh'))", transaction: transaction, cancellationToken: cancellationToken)))
        {
            return false;
        }

        var until = DateOnly.FromDateTime(now.UtcDateTime);
        var previous = await HorizonAsync(connection, transaction, cancellationToken);
        var firstEntry = await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition("select min(entered_at) from journey_entries", transaction: transaction, cancellationToken: cancellationToken));
        var start = since is { } given ? given : previous is { } p ? DateOnly.FromDateTime(p.UtcDateTime).AddDays(-Unsettled.Days) : firstEntry is { } f ? DateOnly.FromDateTime(f) : until;
        var args = new
        {
            From = new DateTimeOffset(start.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
            To = now.ToUniversalTime(),
            FromDay = start.ToDateTime(TimeOnly.MinValue),
        };
        const string refresh = """
            delete from report_messages_daily where day >= @FromDay::date;
            delete from report_rounds_daily where day >= @FromDay::date;
            delete from report_credits_daily where day >= @FromDay::date;
            create temporary table report_journeys on commit drop as
                select distinct journey from journey_entries where entered_at >= @From and entered_at < @To;
            insert into report_messages_daily select j.journey, r.* from report_journeys j, report_messages(j.journey, @From, @To) r;
            insert into report_rounds_daily select j.journey, r.* from report_journeys j, report_rounds(j.journey, @From, @To) r;
            insert into report_credits_daily select j.journey, r.* from report_journeys j, report_credits(j.journey, @From, @To) r;
            insert into report_rollup (id, rolled_up_until, refreshed_at) values (1, @To, @To)
            on conflict (id) do update set rolled_up_until = excluded.rolled_up_until, refreshed_at = excluded.refreshed_at;
            """;
        await connection.ExecuteAsync(new CommandDefinition(refresh, args, transaction, commandTimeout: 0, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Journeys known to the journey switch, for the dashboard's selector.</summary>
    public async Task<IReadOnlyList<string>> JourneysAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var names = await connection.QueryAsync<string>(new CommandDefinition("select name from journeys order by name", cancellationToken: cancellationToken));
        return names.ToList();
    }

    private static async Task<DateTimeOffset?> HorizonAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        var horizon = await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
            "select rolled_up_until from report_rollup", transaction: transaction, cancellationToken: cancellationToken));
        return horizon is { } h ? new DateTimeOffset(DateTime.SpecifyKind(h, DateTimeKind.Utc)) : null;
    }

    private static async Task<CohortCounts> CountAsync(NpgsqlConnection connection, string journey, ReportSegments segments, TimeSpan window, CancellationToken cancellationToken)
    {
        var args = new
        {
            Journey = journey,
            RollupFrom = segments.RollupFrom.ToDateTime(TimeOnly.MinValue),
            RollupTo = segments.RollupTo.ToDateTime(TimeOnly.MinValue),
            From = segments.From.ToUniversalTime(),
            HeadTo = segments.HeadTo.ToUniversalTime(),
            TailFrom = segments.TailFrom.ToUniversalTime(),
            To = segments.To.ToUniversalTime(),
            Hours = (int)Math.Ceiling(window.TotalHours),
        };
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(Sql, args, cancellationToken: cancellationToken));
        var funnel = (await results.ReadAsync<ReportLine>()).ToList();
        var credits = (await results.ReadAsync<CreditRow>()).ToDictionary(c => (c.Channel, c.Step));
        var rounds = await results.ReadSingleAsync<RoundRow>();

        // Credited messages are sent messages of the cohort, so every credit has its funnel line.
        var lines = funnel
            .Select(f => credits.TryGetValue((f.Channel!, f.Step!.Value), out var c) ? f with { Conversions = c.Conversions, Revenue = c.Revenue } : f)
            .OrderBy(l => l.Channel, StringComparer.Ordinal).ThenBy(l => l.Step)
            .ToList();
        return new CohortCounts
        {
            Carts = rounds.Carts,
            HoldoutCarts = rounds.HoldoutCarts,
            TreatmentConverted = rounds.TreatmentConverted,
            HoldoutConverted = rounds.HoldoutConverted,
            Recipients = rounds.Recipients,
            Lines = lines,
        };
    }

    private sealed record CreditRow(string Channel, int Step, long Conversions, decimal Revenue);

    private sealed record RoundRow(long Carts, long HoldoutCarts, long TreatmentConverted, long HoldoutConverted, long Recipients);
}
