namespace AbandonedCart.Activities.Reports;

/// <summary>
/// How a report range [From, To) splits between the daily rollup and live queries: whole UTC days before the rollup's
/// horizon come from the rollup; the partial first day and everything from the horizon on are computed live.
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

    public static ReportSegments Split(DateTimeOffset from, DateTimeOffset to, DateOnly? rolledUpUntil)
    {
        from = from.ToUniversalTime();
        to = to.ToUniversalTime();
        var firstFullDay = from.TimeOfDay == TimeSpan.Zero ? from : Midnight(from).AddDays(1);
        var horizon = rolledUpUntil is { } until ? new DateTimeOffset(until.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : DateTimeOffset.MinValue;
        var rollupEnd = Min(Midnight(to), horizon);
        if (firstFullDay >= rollupEnd)
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
            TailFrom = rollupEnd,
            To = to,
        };
    }

    private static DateTimeOffset Midnight(DateTimeOffset t) => new(t.UtcDateTime.Date, TimeSpan.Zero);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
