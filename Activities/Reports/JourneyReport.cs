using System.Text.Json.Serialization;

namespace AbandonedCart.Activities.Reports;

/// <summary>Sends, engagement and attributed conversions: of a whole report, a channel, a step or both.</summary>
public record Figures
{
    public long Sent { get; init; }

    public long Delivered { get; init; }

    /// <summary>Messages opened or clicked (a click proves the open even when the open pixel was blocked).</summary>
    public long Opened { get; init; }

    public long Clicked { get; init; }

    /// <summary>Purchases attributed to these messages (see docs/attribution.md).</summary>
    public long Conversions { get; init; }

    public decimal Revenue { get; init; }

    public static Figures Sum(IEnumerable<Figures> lines)
    {
        var all = lines.ToList();
        return new Figures
        {
            Sent = all.Sum(l => l.Sent),
            Delivered = all.Sum(l => l.Delivered),
            Opened = all.Sum(l => l.Opened),
            Clicked = all.Sum(l => l.Clicked),
            Conversions = all.Sum(l => l.Conversions),
            Revenue = all.Sum(l => l.Revenue),
        };
    }
}

/// <summary>The figures of one channel, one step, or one channel at one step.</summary>
public sealed record ReportLine : Figures
{
    public ReportLine()
    {
    }

    public ReportLine(Figures figures)
        : base(figures)
    {
    }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Channel { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Step { get; init; }
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
public sealed record JourneyReport : Figures
{
    private JourneyReport(Figures totals)
        : base(totals)
    {
    }

    public required string Journey { get; init; }

    public required DateTimeOffset From { get; init; }

    public required DateTimeOffset To { get; init; }

    public required int AttributionHours { get; init; }

    public long Carts { get; init; }

    public long Holdout { get; init; }

    public long Recipients { get; init; }

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
        var totals = Sum(lines);
        return new JourneyReport(totals)
        {
            Journey = journey,
            From = from,
            To = to,
            AttributionHours = attributionHours,
            Carts = counts.Carts,
            Holdout = counts.HoldoutCarts,
            Recipients = counts.Recipients,
            CartConversionRate = Lift.Rate(counts.TreatmentConverted, treatmentCarts),
            RevenuePerRecipient = counts.Recipients == 0 ? 0 : Math.Round(totals.Revenue / counts.Recipients, 2),
            ByChannel = lines.GroupBy(l => l.Channel).Select(g => new ReportLine(Sum(g)) { Channel = g.Key }).OrderBy(l => l.Channel, StringComparer.Ordinal).ToList(),
            BySteps = lines.GroupBy(l => l.Step).Select(g => new ReportLine(Sum(g)) { Step = g.Key }).OrderBy(l => l.Step).ToList(),
            Lift = Lift.Compute(counts.TreatmentConverted, treatmentCarts, counts.HoldoutConverted, counts.HoldoutCarts),
        };
    }
}
