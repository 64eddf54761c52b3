using AbandonedCart.Workflows;
using AbandonedCart.Workflows.Decisions;

namespace AbandonedCart.Tests.Decisions;

public sealed class SendGateTests
{
    private static readonly AbandonedCartJourney Journey = AbandonedCartJourney.Default;
    private static readonly DateTimeOffset Noon = DateTimeOffset.Parse("2026-03-02T11:00:00Z"); // 12:00 Prague

    [Fact]
    public void Decide_NothingInTheWay_SendsNow()
    {
        var gate = SendGate.Decide(Noon, new SendContext { TimeZone = "Europe/Prague" }, Journey);
        Assert.True(gate.SendNow);
        Assert.Equal(Noon, gate.Until);
    }

    [Fact]
    public void RefusalAt_SwitchOffEvenInAllowedHours_Stopped() =>
        Assert.Equal(SendResult.Stopped(), SendGate.RefusalAt(Noon, new SendContext { JourneyEnabled = false, TimeZone = "Europe/Prague" }, Journey.Gate));

    [Fact]
    public void RefusalAt_QuietHours_DeferredToNineLocal()
    {
        var evening = DateTimeOffset.Parse("2026-03-02T20:30:00Z"); // 21:30 Prague
        var refusal = SendGate.RefusalAt(evening, new SendContext { TimeZone = "Europe/Prague" }, Journey.Gate);
        Assert.Equal(SendResult.Deferred(Reasons.QuietHours, DateTimeOffset.Parse("2026-03-03T08:00:00Z")), refusal);
    }

    [Fact]
    public void RefusalAt_NothingInTheWay_Null() =>
        Assert.Null(SendGate.RefusalAt(Noon, new SendContext { TimeZone = "Europe/Prague" }, Journey.Gate));

    [Fact]
    public void Decide_OtherJourneyMessagedTwoHoursAgo_DefersUntil24HoursAfterIt()
    {
        var context = new SendContext { TimeZone = "Europe/Prague", LastOtherJourneyMessageAt = Noon.AddHours(-2) };
        var gate = SendGate.Decide(Noon, context, Journey);
        Assert.Equal(Reasons.CrossJourneyCap, gate.Reason);
        Assert.Equal(Noon.AddHours(22), gate.Until);
    }

    [Fact]
    public void Decide_CrossCapEndsInQuietHours_DefersFurtherToMorning()
    {
        // The other journey's message was at 21:30 local yesterday; 24 h later is quiet: go at 09:00 the day after.
        var context = new SendContext { TimeZone = "Europe/Prague", LastOtherJourneyMessageAt = DateTimeOffset.Parse("2026-03-01T20:30:00Z") };
        var gate = SendGate.Decide(Noon, context, Journey);
        Assert.Equal(Reasons.CrossJourneyCap, gate.Reason);
        Assert.Equal(DateTimeOffset.Parse("2026-03-03T08:00:00Z"), gate.Until);
    }

    [Fact]
    public void Decide_ProfileWithoutZone_UsesJourneyDefaultZone()
    {
        var late = DateTimeOffset.Parse("2026-03-02T21:00:00Z"); // 22:00 Prague
        var gate = SendGate.Decide(late, new SendContext(), Journey);
        Assert.Equal(Reasons.QuietHours, gate.Reason);
        Assert.Equal(DateTimeOffset.Parse("2026-03-03T08:00:00Z"), gate.Until);
    }

    [Theory]
    [InlineData(-6.9, true)]
    [InlineData(-7.1, false)]
    public void IsCapped_JourneyMessageDaysAgo_CapsWithinSevenDays(double daysAgo, bool capped)
    {
        var context = new SendContext { LastJourneyMessageAt = Noon.AddDays(daysAgo) };
        Assert.Equal(capped, SendGate.IsCapped(Noon, context, Journey));
    }

    [Fact]
    public void IsCapped_NoEarlierMessage_NotCapped() =>
        Assert.False(SendGate.IsCapped(Noon, new SendContext(), Journey));
}
