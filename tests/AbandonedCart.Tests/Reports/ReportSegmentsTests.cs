using AbandonedCart.Activities.Reports;

namespace AbandonedCart.Tests.Reports;

public sealed class ReportSegmentsTests
{
    private static readonly DateTimeOffset March1 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Split_NoRollup_IsAllLive()
    {
        var s = ReportSegments.Split(March1, March1.AddDays(30), null);

        Assert.Equal(s.RollupFrom, s.RollupTo);
        Assert.Equal((March1, March1.AddDays(30)), (s.From, s.HeadTo));
        Assert.Equal(s.To, s.TailFrom);
    }

    [Fact]
    public void Split_PartialDaysAndHorizonInside_RollsUpWholeDaysBeforeHorizonOnly()
    {
        var s = ReportSegments.Split(March1.AddHours(6), March1.AddDays(30).AddHours(3), new DateOnly(2026, 3, 20));

        Assert.Equal((new DateOnly(2026, 3, 2), new DateOnly(2026, 3, 20)), (s.RollupFrom, s.RollupTo));
        Assert.Equal((March1.AddHours(6), March1.AddDays(1)), (s.From, s.HeadTo));
        Assert.Equal((March1.AddDays(19), March1.AddDays(30).AddHours(3)), (s.TailFrom, s.To));
    }

    [Fact]
    public void Split_HorizonAfterRange_RollsUpUpToTheLastWholeDay()
    {
        var s = ReportSegments.Split(March1, March1.AddDays(7).AddHours(12), new DateOnly(2026, 6, 1));

        Assert.Equal((new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 8)), (s.RollupFrom, s.RollupTo));
        Assert.Equal(s.From, s.HeadTo);
        Assert.Equal(March1.AddDays(7), s.TailFrom);
    }

    [Fact]
    public void Split_WithinOneDay_IsAllLive()
    {
        var s = ReportSegments.Split(March1.AddHours(1), March1.AddHours(5), new DateOnly(2026, 6, 1));

        Assert.Equal(s.RollupFrom, s.RollupTo);
        Assert.Equal((March1.AddHours(1), March1.AddHours(5)), (s.From, s.HeadTo));
    }
}
