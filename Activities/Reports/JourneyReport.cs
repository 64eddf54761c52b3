using System.Text.Json.Serialization;

namespace AbandonedCart.Activities.Reports;

/// <summary>Sends, engagement and attributed conversions of one channel, one step, or one channel at one step.</summary>
public sealed record ReportLine
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Channel { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Step { get; init; }

    public long Sent { get; init; }

    public long Delivered { get; init; }

    /// <summary>Messages opened or clicked (a click proves the open even when the open pixel was blocked).</summary>
    public long Opened { get; init; }

    public long Clicked { get; init; }

    /// <summary>Purchases attributed to this line's messages (see docs/attribution.md).</summary>
    public long Conversions { get; init; }

    public decimal Revenue { get; init; }
}

/// <summary>What the store counts for one journey cohort; <see cref="JourneyReport.Create"/> turns it into rates.</summary>
public sealed record CohortCounts
{
    public long Carts { get; init; }

    public long HoldoutCarts { get; init; }

    /// <summary>Treatment carts with a purchase within the window after entry.</summary>
    public long TreatmentConverted { get; init; }

    public long HoldoutConverted { get; init; }

    /// <summary>Treatment rounds (carts) that got at least one sent message; additive over days, unlike distinct people.</summary>
    public long Recipients { get; init; }

    /// <summary>One line per channel and step that sent anything.</summary>
    public IReadOnlyList<ReportLine> Lines { get; init; } = [];
}

/// <summary>The evaluation report of one journey for carts that entered in [From, To).</summary>
public sealed record JourneyReport
{
    public required string Journey { get; init; }

    public required DateTimeOffset From { get; init; }

    public required DateTimeOffset To { get; init; }

    public required int AttributionHours { get; init; }

    public long Carts { get; init; }

    public long Holdout { get; init; }

    public long Recipients { get; init; }

    public long Sent { get; init; }

    public long Delivered { get; init; }

    public long Opened { get; init; }

    public long Clicked { get; init; }

    public long Conversions { get; init; }

    public decimal Revenue { get; init; }

    /// <summary>Treatment carts bought within the window after entry over treatment carts.</summary>
    public double CartConversionRate { get; init; }

    public decimal RevenuePerRecipient { get; init; }

    public IReadOnlyList<ReportLine> ByChannel { get; init; } = [];

    public IReadOnlyList<ReportLine> BySteps { get; init; } = [];

    public required Lift Lift { get; init; }

    public static JourneyReport Create(string journey, DateTimeOffset from, DateTimeOffset to, int attributionHours, CohortCounts counts)
    {
        var lines = counts.Lines;
        var treatmentCarts = counts.Carts - counts.HoldoutCarts;
        var revenue = lines.Sum(l => l.Revenue);
        return new JourneyReport
        {
            Journey = journey,
            From = from,
            To = to,
            AttributionHours = attributionHours,
            Carts = counts.Carts,
            Holdout = counts.HoldoutCarts,
            Recipients = counts.Recipients,
            Sent = lines.Sum(l => l.Sent),
            Delivered = lines.Sum(l => l.Delivered),
            Opened = lines.Sum(l => l.Opened),
            Clicked = lines.Sum(l => l.Clicked),
            Conversions = lines.Sum(l => l.Conversions),
            Revenue = revenue,
            CartConversionRate = Lift.Rate(counts.TreatmentConverted, treatmentCarts),
            RevenuePerRecipient = counts.Recipients == 0 ? 0 : Math.Round(revenue / counts.Recipients, 2),
            ByChannel = Merge(lines.GroupBy(l => l.Channel), (line, key) => line with { Channel = key, Step = null }).OrderBy(l => l.Channel, StringComparer.Ordinal).ToList(),
            BySteps = Merge(lines.GroupBy(l => l.Step), (line, key) => line with { Step = key, Channel = null }).OrderBy(l => l.Step).ToList(),
            Lift = Lift.Compute(counts.TreatmentConverted, treatmentCarts, counts.HoldoutConverted, counts.HoldoutCarts),
        };
    }

    private static IEnumerable<ReportLine> Merge<TKey>(IEnumerable<IGrouping<TKey, ReportLine>> groups, Func<ReportLine, TKey, ReportLine> label) =>
        groups.Select(g => label(
            new ReportLine
            {
                Sent = g.Sum(l => l.Sent),
                Delivered = g.Sum(l => l.Delivered),
                Opened = g.Sum(l => l.Opened),
                Clicked = g.Sum(l => l.Clicked),
                Conversions = g.Sum(l => l.Conversions),
                Revenue = g.Sum(l => l.Revenue),
            },
            g.Key));
}
