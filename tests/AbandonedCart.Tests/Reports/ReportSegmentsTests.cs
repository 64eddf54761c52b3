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
    public void Split_RangeReachesPastHorizon_UsesTheHorizonsPartialDayAndGoesLiveFromTheHorizon()
    {
        var horizon = March1.AddDays(19).AddHours(14).AddMinutes(5);

        var s = ReportSegments.Split(March1.AddHours(6), March1.AddDays(30).AddHours(3), horizon);

        Assert.Equal((new DateOnly(2026, 3, 2), new DateOnly(2026, 3, 21)), (s.RollupFrom, s.RollupTo));
        Assert.Equal((March1.AddHours(6), March1.AddDays(1)), (s.From, s.HeadTo));
        Assert.Equal((horizon, March1.AddDays(30).AddHours(3)), (s.TailFrom, s.To));
    }

    [Fact]
    public void Split_RangeEndsBeforeHorizon_RollsUpWholeDaysOnlyAndComputesThePartialLastDayLive()
    {
        var s = ReportSegments.Split(March1, March1.AddDays(7).AddHours(12), March1.AddDays(90));

        Assert.Equal((new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 8)), (s.RollupFrom, s.RollupTo));
        Assert.Equal(s.From, s.HeadTo);
        Assert.Equal(March1.AddDays(7), s.TailFrom);
    }

    [Fact]
    public void Split_RangeStartsAfterHorizon_IsAllLive()
    {
        var s = ReportSegments.Split(March1.AddDays(2), March1.AddDays(5), March1.AddDays(1).AddHours(3));

        Assert.Equal(s.RollupFrom, s.RollupTo);
        Assert.Equal((March1.AddDays(2), March1.AddDays(5)), (s.From, s.HeadTo));
    }

    [Fact]
    public void Split_WithinOneDay_IsAllLive()
    {
        var s = ReportSegments.Split(March1.AddHours(1), March1.AddHours(5), March1.AddDays(90));

        Assert.Equal(s.RollupFrom, s.RollupTo);
        Assert.Equal((March1.AddHours(1), March1.AddHours(5)), (s.From, s.HeadTo));
    }
}
