using AbandonedCart.Activities.Reports;
using Dapper;
using Npgsql;

namespace AbandonedCart.Activities.Storage;

/// <summary>Reads the evaluation report of a journey; the rules it implements are in docs/attribution.md.</summary>
public sealed class ReportStore(NpgsqlDataSource dataSource)
{
    // The cohort is every journey round that entered in [From, To). Each statement repeats it because CTEs do not
    // outlive a statement; the covering index journey_entries_report keeps that cheap.
    private const string Sql = """
        -- Funnel and attributed conversions per channel and step.
        with cohort as materialized (
            select entry_key from journey_entries
            where journey = @Journey and entered_at >= @From and entered_at < @To and not holdout
        ),
        sent as materialized (
            select m.id, m.customer_id, coalesce(m.channel, 'unknown') as channel, coalesce(m.step, 0) as step
            from cohort c join messages m on m.entry_key = c.entry_key and m.status = 'sent'
        ),
        funnel as (
            select s.channel, s.step, count(*) as sent,
                   count(*) filter (where e.delivered) as delivered,
                   count(*) filter (where e.opened) as opened,
                   count(*) filter (where e.clicked) as clicked
            from sent s
            left join lateral (
                select bool_or(g.kind = 'delivered') as delivered,
                       bool_or(g.kind in ('opened', 'clicked')) as opened,
                       bool_or(g.kind = 'clicked') as clicked
                from engagements g where g.message_id = s.id
            ) e on true
            group by s.channel, s.step
        ),
        candidates as (
            -- Only purchases within the window after a touch of this cohort can be credited to it.
            select distinct p.id, p.customer_id, p.occurred_at, p.revenue
            from sent s
            join engagements g on g.message_id = s.id and g.kind in ('opened', 'clicked')
            join purchases p on p.customer_id = g.customer_id
                and p.occurred_at >= g.occurred_at and p.occurred_at <= g.occurred_at + @Window
        ),
        credited as (
            -- The customer's last open or click at or before the purchase, from any journey: a later touch of
            -- another journey takes the credit away from this one.
            select s.channel, s.step, c.revenue
            from candidates c
            cross join lateral (
                select g.message_id from engagements g
                where g.customer_id = c.customer_id and g.kind in ('opened', 'clicked') and g.message_id is not null
                  and g.occurred_at <= c.occurred_at and g.occurred_at >= c.occurred_at - @Window
                order by g.occurred_at desc, g.id desc
                limit 1
            ) last_touch
            join sent s on s.id = last_touch.message_id
        ),
        conversions as (
            select channel, step, count(*) as conversions, sum(revenue) as revenue from credited group by channel, step
        )
        select f.channel, f.step, f.sent, f.delivered, f.opened, f.clicked,
               coalesce(c.conversions, 0) as conversions, coalesce(c.revenue, 0) as revenue
        from funnel f left join conversions c on c.channel = f.channel and c.step = f.step
        order by f.channel, f.step;

        -- Recipients: distinct customers reached by the cohort.
        select count(distinct m.customer_id)
        from journey_entries j join messages m on m.entry_key = j.entry_key and m.status = 'sent'
        where j.journey = @Journey and j.entered_at >= @From and j.entered_at < @To and not j.holdout;

        -- Carts and cart conversion per group.
        with cohort as materialized (
            select id, customer_id, entered_at, holdout from journey_entries
            where journey = @Journey and entered_at >= @From and entered_at < @To
        ),
        converted as (
            -- A purchase converts only the customer's latest round at or before it, so it counts once.
            select distinct c.id
            from cohort c
            join purchases p on p.customer_id = c.customer_id
                and p.occurred_at >= c.entered_at and p.occurred_at <= c.entered_at + @Window
            cross join lateral (
                select e.id from journey_entries e
                where e.journey = @Journey and e.customer_id = p.customer_id and e.entered_at <= p.occurred_at
                order by e.entered_at desc, e.id desc
                limit 1
            ) latest
            where latest.id = c.id
        )
        select count(*) as carts,
               count(*) filter (where c.holdout) as holdoutcarts,
               count(v.id) filter (where not c.holdout) as treatmentconverted,
               count(v.id) filter (where c.holdout) as holdoutconverted
        from cohort c left join converted v on v.id = c.id;
        """;

    /// <summary>Counts the cohort of <paramref name="journey"/> that entered in [from, to) with the given attribution window.</summary>
    public async Task<CohortCounts> CountAsync(string journey, DateTimeOffset from, DateTimeOffset to, TimeSpan window, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var args = new { Journey = journey, From = from.ToUniversalTime(), To = to.ToUniversalTime(), Window = window };
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(Sql, args, cancellationToken: cancellationToken));
        var lines = (await results.ReadAsync<ReportLine>()).ToList();
        var recipients = await results.ReadSingleAsync<long>();
        var carts = await results.ReadSingleAsync<CartRow>();
        return new CohortCounts
        {
            Carts = carts.Carts,
            HoldoutCarts = carts.HoldoutCarts,
            TreatmentConverted = carts.TreatmentConverted,
            HoldoutConverted = carts.HoldoutConverted,
            Recipients = recipients,
            Lines = lines,
        };
    }

    /// <summary>Journeys known to the journey switch, for the dashboard's selector.</summary>
    public async Task<IReadOnlyList<string>> JourneysAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var names = await connection.QueryAsync<string>(new CommandDefinition(
            "select name from journeys order by name", cancellationToken: cancellationToken));
        return names.ToList();
    }

    private sealed record CartRow(long Carts, long HoldoutCarts, long TreatmentConverted, long HoldoutConverted);
}
