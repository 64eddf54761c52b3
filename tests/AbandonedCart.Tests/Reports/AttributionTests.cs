using System.Text.Json;
using AbandonedCart.Activities.Reports;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Tests.Infrastructure;

namespace AbandonedCart.Tests.Reports;

/// <summary>
/// Each documented rule of docs/attribution.md on hand-built data, with exact expected numbers. Every report is
/// also computed from the daily rollup, refreshed once after the whole day and once mid-day (rollup plus live tail),
/// and both must be identical to the live report.
/// </summary>
public sealed class AttributionTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>
{
    private static readonly DateTimeOffset Day = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset T0 = Day.AddHours(10);

    [Fact]
    public async Task Report_PurchaseExactlyAtWindowEnd_IsAttributedAndOneMicrosecondLaterIsNot()
    {
        var b = new CohortBuilder(db.DataSource, "edge-window-end");
        await b.EngagedPurchaseAsync("c1", T0, "opened", TimeSpan.FromHours(1), 40m, TimeSpan.FromHours(1 + 24));
        await b.EngagedPurchaseAsync("c2", T0, "opened", TimeSpan.FromHours(1), 60m, TimeSpan.FromHours(1 + 24) + TimeSpan.FromTicks(10));

        var day = await ReportAsync(b, 24);
        var twoDays = await ReportAsync(b, 48);

        Assert.Equal((1, 40m), (day.Conversions, day.Revenue));
        Assert.Equal((2, 100m), (twoDays.Conversions, twoDays.Revenue));
        // Both purchases are 25 h after entry: outside a 24 h cart window, inside 48 h.
        Assert.Equal(0, day.CartConversionRate);
        Assert.Equal(1, twoDays.CartConversionRate);
    }

    [Fact]
    public async Task Report_PurchaseBeforeAnyOpen_IsNotAttributedButConvertsTheCart()
    {
        var b = new CohortBuilder(db.DataSource, "edge-before-open");
        var entry = await b.EntryAsync("c1", T0);
        var email = await b.MessageAsync(entry, "c1", "email", 1, T0);
        await b.EngagementAsync(email, "c1", "delivered", T0.AddMinutes(1));
        await b.PurchaseAsync("c1", 70m, T0.AddHours(2));

        var report = await ReportAsync(b, 24);

        Assert.Equal((1, 1, 0), (report.Sent, report.Delivered, report.Opened));
        Assert.Equal((0, 0m), (report.Conversions, report.Revenue));
        Assert.Equal(1, report.CartConversionRate);
    }

    [Fact]
    public async Task Report_OpenAfterPurchase_IsNotCountedAndTheEarlierTouchKeepsTheCredit()
    {
        var b = new CohortBuilder(db.DataSource, "edge-after-purchase");
        var entry = await b.EntryAsync("c1", T0);
        var push = await b.MessageAsync(entry, "c1", "mobile_push", 1, T0);
        await b.EngagementAsync(push, "c1", "opened", T0.AddMinutes(10));
        var email = await b.MessageAsync(entry, "c1", "email", 2, T0.AddHours(1));
        await b.PurchaseAsync("c1", 80m, T0.AddHours(4));
        await b.EngagementAsync(email, "c1", "opened", T0.AddHours(5));

        var report = await ReportAsync(b, 24);

        Assert.Equal((1, 80m), (report.Conversions, report.Revenue));
        Assert.Equal(1, Line(report.ByChannel, "mobile_push").Conversions);
        Assert.Equal(0, Line(report.ByChannel, "email").Conversions);
        // The late open still shows in the funnel; it just earns no credit for a purchase before it.
        Assert.Equal(2, report.Opened);
    }

    [Fact]
    public async Task Report_TwoMessagesOpened_TheLaterTouchWins()
    {
        var b = new CohortBuilder(db.DataSource, "edge-two-opens");
        var e1 = await b.EntryAsync("c1", T0);
        var push1 = await b.MessageAsync(e1, "c1", "mobile_push", 1, T0);
        await b.EngagementAsync(push1, "c1", "opened", T0.AddMinutes(10));
        var email1 = await b.MessageAsync(e1, "c1", "email", 2, T0.AddHours(1));
        await b.EngagementAsync(email1, "c1", "opened", T0.AddHours(2));
        await b.PurchaseAsync("c1", 90m, T0.AddHours(3));

        // c2 taps the older push after opening the email: the later touch wins, not the later message.
        var e2 = await b.EntryAsync("c2", T0);
        var push2 = await b.MessageAsync(e2, "c2", "mobile_push", 1, T0);
        var email2 = await b.MessageAsync(e2, "c2", "email", 2, T0.AddHours(1));
        await b.EngagementAsync(email2, "c2", "opened", T0.AddHours(2));
        await b.EngagementAsync(push2, "c2", "clicked", T0.AddHours(2.5));
        await b.PurchaseAsync("c2", 30m, T0.AddHours(3));

        var report = await ReportAsync(b, 24);

        Assert.Equal((2, 120m), (report.Conversions, report.Revenue));
        Assert.Equal((1, 90m), (Line(report.ByChannel, "email").Conversions, Line(report.ByChannel, "email").Revenue));
        Assert.Equal((1, 30m), (Line(report.ByChannel, "mobile_push").Conversions, Line(report.ByChannel, "mobile_push").Revenue));
        Assert.Equal(30m, report.BySteps.Single(l => l.Step == 1).Revenue);
        Assert.Equal(90m, report.BySteps.Single(l => l.Step == 2).Revenue);
    }

    [Fact]
    public async Task Report_HoldoutPurchases_CountForLiftButNeverAsRevenue()
    {
        var b = new CohortBuilder(db.DataSource, "rule-holdout");
        await b.EngagedPurchaseAsync("t1", T0, "clicked", TimeSpan.FromHours(1), 50m, TimeSpan.FromHours(2));
        var t2 = await b.EntryAsync("t2", T0);
        await b.MessageAsync(t2, "t2", "email", 1, T0);
        var h1 = await b.EntryAsync("h1", T0, holdout: true);
        await b.MessageAsync(h1, "h1", "email", 1, T0, status: "holdout");
        await b.PurchaseAsync("h1", 200m, T0.AddHours(2));
        await b.EntryAsync("h2", T0, holdout: true);

        var report = await ReportAsync(b, 24);

        Assert.Equal((4, 2), (report.Carts, report.Holdout));
        Assert.Equal((2, 2), (report.Sent, report.Recipients));
        Assert.Equal((1, 50m), (report.Conversions, report.Revenue));
        Assert.Equal(25m, report.RevenuePerRecipient);
        Assert.Equal(0.5, report.CartConversionRate);
        Assert.Equal(0.5, report.Lift.HoldoutRate);
        Assert.Equal(0, report.Lift.Absolute);
    }

    [Fact]
    public async Task Report_OnePurchaseAfterTwoCarts_IsCountedOnceForTheLatestCart()
    {
        var b = new CohortBuilder(db.DataSource, "rule-once");
        var first = await b.EntryAsync("c1", T0);
        var m1 = await b.MessageAsync(first, "c1", "email", 1, T0);
        await b.EngagementAsync(m1, "c1", "opened", T0.AddHours(1));
        var second = await b.EntryAsync("c1", T0.AddHours(8));
        var m2 = await b.MessageAsync(second, "c1", "sms", 1, T0.AddHours(8));
        await b.EngagementAsync(m2, "c1", "clicked", T0.AddHours(9));
        await b.PurchaseAsync("c1", 120m, T0.AddHours(10));
        await b.PurchaseAsync("c1", 10m, T0.AddHours(11));

        var report = await ReportAsync(b, 24);

        Assert.Equal((2, 130m), (report.Conversions, report.Revenue));
        Assert.Equal((2, 130m), (Line(report.ByChannel, "sms").Conversions, Line(report.ByChannel, "sms").Revenue));
        Assert.Equal(0, Line(report.ByChannel, "email").Conversions);
        // Two carts, only the later one converts: both purchases follow it.
        Assert.Equal(0.5, report.CartConversionRate);
    }

    [Fact]
    public async Task Report_LaterTouchOfAnotherJourney_TakesTheCredit()
    {
        var cart = new CohortBuilder(db.DataSource, "rule-other-journey");
        var other = new CohortBuilder(db.DataSource, "rule-other-journey-b", customerPrefix: cart.Journey);
        var entry = await cart.EntryAsync("c1", T0);
        var email = await cart.MessageAsync(entry, "c1", "email", 1, T0);
        await cart.EngagementAsync(email, "c1", "opened", T0.AddHours(1));
        var otherEntry = await other.EntryAsync("c1", T0.AddHours(1.5));
        var line = await other.MessageAsync(otherEntry, "c1", "line", 1, T0.AddHours(1.5));
        await other.EngagementAsync(line, "c1", "clicked", T0.AddHours(2));
        await cart.PurchaseAsync("c1", 75m, T0.AddHours(3));

        var cartReport = await ReportAsync(cart, 24);
        var otherReport = await ReportAsync(other, 24);

        Assert.Equal((0, 0m), (cartReport.Conversions, cartReport.Revenue));
        Assert.Equal((1, 75m), (otherReport.Conversions, otherReport.Revenue));
    }

    [Fact]
    public async Task Report_EntryAtFromAndTo_IncludesFromExcludesTo()
    {
        var b = new CohortBuilder(db.DataSource, "rule-range");
        await b.EntryAsync("at-from", Day);
        await b.EntryAsync("inside", Day.AddHours(23.99));
        await b.EntryAsync("at-to", Day.AddDays(1));

        var report = await ReportAsync(b, 24);

        Assert.Equal(2, report.Carts);
    }

    [Fact]
    public async Task Report_Funnel_CountsSentMessagesOnceEach()
    {
        var b = new CohortBuilder(db.DataSource, "rule-funnel");
        var entry = await b.EntryAsync("c1", T0);
        var email = await b.MessageAsync(entry, "c1", "email", 1, T0);
        await b.EngagementAsync(email, "c1", "delivered", T0.AddMinutes(1));
        await b.EngagementAsync(email, "c1", "opened", T0.AddMinutes(5));
        await b.EngagementAsync(email, "c1", "opened", T0.AddMinutes(6));
        await b.EngagementAsync(email, "c1", "clicked", T0.AddMinutes(7));
        var sms = await b.MessageAsync(entry, "c1", "sms", 2, T0.AddDays(1));
        await b.EngagementAsync(sms, "c1", "clicked", T0.AddDays(1).AddMinutes(1));
        await b.MessageAsync(entry, "c1", "mobile_push", 3, T0.AddDays(1), status: "skipped");

        var report = await ReportAsync(b, 24);

        Assert.Equal((2, 1, 2, 2), (report.Sent, report.Delivered, report.Opened, report.Clicked));
        Assert.Equal(1, report.Recipients);
        Assert.Equal(["email", "sms"], report.ByChannel.Select(l => l.Channel));
        Assert.Equal([1, 2], report.BySteps.Select(l => l.Step!.Value));
    }

    private static ReportLine Line(IReadOnlyList<ReportLine> lines, string channel) =>
        lines.SingleOrDefault(l => l.Channel == channel) ?? new ReportLine { Channel = channel };

    private async Task<JourneyReport> ReportAsync(CohortBuilder b, int hours)
    {
        var store = new ReportStore(db.DataSource);
        var window = TimeSpan.FromHours(hours);
        var live = JourneyReport.Create(b.Journey, Day, Day.AddDays(1), hours, await store.CountLiveAsync(b.Journey, Day, Day.AddDays(1), window));
        foreach (var horizon in new[] { Day.AddDays(30), T0.AddHours(4) })
        {
            Assert.True(await store.RefreshAsync(horizon, since: DateOnly.FromDateTime(Day.UtcDateTime).AddDays(-1)));
            var rolledUp = JourneyReport.Create(b.Journey, Day, Day.AddDays(1), hours, await store.CountAsync(b.Journey, Day, Day.AddDays(1), window));
            Assert.Equal(JsonSerializer.Serialize(live), JsonSerializer.Serialize(rolledUp));
        }

        return live;
    }
}
