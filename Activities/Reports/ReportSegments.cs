namespace AbandonedCart.Activities.Reports;

/// <summary>
/// How a report range [From, To) splits between the daily rollup and live queries. The rollup holds, per UTC entry
/// day, the rounds that entered before its horizon (the last refresh), so the horizon's own day is partial: it is
/// used only when the range reaches past the horizon, and then only entries from the horizon on are computed live.
/// A partial first day is always live. With a refresh every few minutes the live part is a few minutes of entries.
/// </summary>
public sealed record ReportSegments
{
    /// <summary>Rollup days [RollupFrom, RollupTo); empty when equal.</summary>
    public required DateOnly RollupFrom { get; init; }

    public required DateOnly RollupTo { get; init; }

    /// <summary>Live head [From, HeadTo).</summary>
    public required DateTimeOffset From { get; init; }

    public required DateTimeOffset HeadTo { get; init; }

    /// <summary>Live tail [TailFrom, To).</summary>
    public required DateTimeOffset TailFrom { get; init; }

    public required DateTimeOffset To { get; init; }

    public static ReportSegments Split(DateTimeOffset from, DateTimeOffset to, DateTimeOffset? horizon)
    {
        from = from.ToUniversalTime();
        to = to.ToUniversalTime();
        var firstFullDay = from.TimeOfDay == TimeSpan.Zero ? from : Midnight(from).AddDays(1);
        DateTimeOffset rollupEnd, tailFrom;
        if (horizon is not { } h)
        {
            rollupEnd = tailFrom = DateTimeOffset.MinValue;
        }
        else if (to >= h.ToUniversalTime())
        {
            // The range covers everything up to the horizon: the horizon's partial day comes from the rollup too.
            h = h.ToUniversalTime();
            rollupEnd = h.TimeOfDay == TimeSpan.Zero ? h : Midnight(h).AddDays(1);
            tailFrom = h;
        }
        else
        {
            rollupEnd = tailFrom = Min(Midnight(to), Midnight(h.ToUniversalTime()));
        }

        if (firstFullDay >= rollupEnd || firstFullDay > tailFrom)
        {
            var day = DateOnly.FromDateTime(from.UtcDateTime);
            return new ReportSegments { RollupFrom = day, RollupTo = day, From = from, HeadTo = to, TailFrom = to, To = to };
        }

        return new ReportSegments
        {
            RollupFrom = DateOnly.FromDateTime(firstFullDay.UtcDateTime),
            RollupTo = DateOnly.FromDateTime(rollupEnd.UtcDateTime),
            From = from,
            HeadTo = firstFullDay,
            TailFrom = tailFrom,
            To = to,
        };
    }

    private static DateTimeOffset Midnight(DateTimeOffset t) => new(t.UtcDateTime.Date, TimeSpan.Zero);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
