using AbandonedCart.Workflows.Decisions;

namespace AbandonedCart.Tests.Decisions;

public sealed class QuietHoursTests
{
    private static readonly TimeOnly From = new(21, 0);
    private static readonly TimeOnly Until = new(9, 0);
    private static readonly TimeZoneInfo Prague = TimeZoneInfo.FindSystemTimeZoneById("Europe/Prague");

    [Theory]
    [InlineData("2026-03-02T10:00:00Z", "2026-03-02T10:00:00Z")] // 11:00 local: allowed
    [InlineData("2026-03-02T19:59:00Z", "2026-03-02T19:59:00Z")] // 20:59 local: allowed
    [InlineData("2026-03-02T20:00:00Z", "2026-03-03T08:00:00Z")] // 21:00 local: to 09:00 next day
    [InlineData("2026-03-02T23:30:00Z", "2026-03-03T08:00:00Z")] // 00:30 local: to 09:00 same local day
    [InlineData("2026-03-03T07:59:00Z", "2026-03-03T08:00:00Z")] // 08:59 local
    [InlineData("2026-03-03T08:00:00Z", "2026-03-03T08:00:00Z")] // 09:00 local: allowed
    public void NextAllowed_WinterPrague_DefersToNineLocal(string due, string expected)
    {
        var result = QuietHours.NextAllowed(DateTimeOffset.Parse(due), Prague, From, Until);
        Assert.Equal(DateTimeOffset.Parse(expected), result);
    }

    [Fact]
    public void NextAllowed_EveningBeforeSpringForward_UsesSummerOffsetNextMorning()
    {
        // 2026-03-29 02:00 CET jumps to 03:00 CEST: 09:00 local is 07:00Z, not 08:00Z.
        var result = QuietHours.NextAllowed(DateTimeOffset.Parse("2026-03-28T21:30:00Z"), Prague, From, Until);
        Assert.Equal(DateTimeOffset.Parse("2026-03-29T07:00:00Z"), result);
    }

    [Fact]
    public void NextAllowed_EveningBeforeFallBack_UsesWinterOffsetNextMorning()
    {
        // 2026-10-25 03:00 CEST falls back to 02:00 CET: 09:00 local is 08:00Z.
        var result = QuietHours.NextAllowed(DateTimeOffset.Parse("2026-10-24T20:00:00Z"), Prague, From, Until);
        Assert.Equal(DateTimeOffset.Parse("2026-10-25T08:00:00Z"), result);
    }

    [Fact]
    public void NextAllowed_NewYorkCustomer_UsesTheirZone()
    {
        var newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

        // 2026-03-02T03:00Z is 22:00 EST the day before: deferred to 09:00 EST = 14:00Z.
        var result = QuietHours.NextAllowed(DateTimeOffset.Parse("2026-03-02T03:00:00Z"), newYork, From, Until);
        Assert.Equal(DateTimeOffset.Parse("2026-03-02T14:00:00Z"), result);
    }

    [Fact]
    public void ResolveZone_UnknownId_FallsBackToJourneyDefault()
    {
        Assert.Equal(Prague.Id, QuietHours.ResolveZone("Mars/Olympus", "Europe/Prague").Id);
        Assert.Equal(Prague.Id, QuietHours.ResolveZone(null, "Europe/Prague").Id);
        Assert.Equal(TimeZoneInfo.Utc.Id, QuietHours.ResolveZone(null, "nope").Id);
    }
}
