using AbandonedCart.Worker.Simulation;
using AbandonedCart.Workflows;
using static AbandonedCart.Tests.Scenarios.CartJourneyScenarioTests;
using ChannelNames = AbandonedCart.Workflows.Channels;

namespace AbandonedCart.Tests.Scenarios;

/// <summary>
/// One scenario per rule of the omnichannel journey, each asserting sends, times, reasons and outcome; run
/// offline on the real SDK and, where a Temporal test server can be had, on it (skipped with the reason otherwise).
/// T0 is Monday 2026-03-02 10:00Z, 11:00 in the customer's Prague.
/// </summary>
public class CartJourneyRuleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData]
    public async Task Journey_AbandonedCartMessageSixDaysAgo_IsCapped(string runner)
    {
        var scenario = Cart(Devices.Mobile) with { History = [new ScenarioSend(Journeys.AbandonedCart, ChannelNames.Email, T0.AddDays(-6))] };

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "rule-7-day-cap");

        Assert.Equal([Line(T0.AddHours(1), "capped", reason: Reasons.RecentlyMessaged), End(T0.AddHours(1), Outcomes.Capped)], result.Lines);
    }

    [Fact]
    public async Task Journey_AbandonedCartMessageEightDaysAgo_IsNotCapped()
    {
        var scenario = Cart(Devices.Mobile, Purchase(T0.AddHours(3))) with { History = [new ScenarioSend(Journeys.AbandonedCart, ChannelNames.Email, T0.AddDays(-8))] };

        var result = await ScenarioRunners.Get(ScenarioRunners.Offline).RunAsync(scenario);

        Assert.Equal(Send(T0.AddHours(1), ChannelNames.MobilePush, 1), result.Lines[0]);
    }

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData(Skip = "The purchase is scripted at the same instant as the email's timer; on a server which of the two the journey sees first is a race (the offline engine takes the signal first). Open item in docs/in-process-temporal.md.")]
    public async Task Journey_OtherJourneyMessagedTwoHoursBefore_DefersUntilTheCrossJourneyCapEnds(string runner)
    {
        var other = T0.AddHours(-2);
        var scenario = Cart(Devices.Mobile, Purchase(T0.AddHours(23))) with { History = [new ScenarioSend("browse-abandonment", ChannelNames.Email, other)] };

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "rule-cross-journey-cap");

        // Due at 11:00Z; the other journey's message at 08:00Z blocks until 08:00Z tomorrow (09:00 Prague, quiet hours over).
        Assert.Equal(
            [
                Line(T0.AddHours(1), "defer", ChannelNames.MobilePush, reason: Reasons.CrossJourneyCap, until: other.AddHours(24)),
                Send(other.AddHours(24), ChannelNames.MobilePush, 1),
                End(T0.AddHours(23), Outcomes.Purchased),
            ],
            result.Lines);
    }

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData]
    public async Task Journey_FirstMessageDueAtNight_DefersToNineLocal(string runner)
    {
        var evening = new DateTimeOffset(2026, 3, 2, 19, 30, 0, TimeSpan.Zero); // 20:30 Prague; due 21:30 Prague
        var scenario = AtTime(evening, Devices.Mobile, Purchase(evening.AddHours(13)));

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "rule-quiet-hours");

        var nineLocal = new DateTimeOffset(2026, 3, 3, 8, 0, 0, TimeSpan.Zero);
        Assert.Equal(
            [
                Line(evening.AddHours(1), "defer", ChannelNames.MobilePush, reason: Reasons.QuietHours, until: nineLocal),
                Send(nineLocal, ChannelNames.MobilePush, 1),
                End(evening.AddHours(13), Outcomes.Purchased),
            ],
            result.Lines);
    }

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData]
    public async Task Journey_QuietHoursAcrossSpringForward_SendsAtNineSummerTime(string runner)
    {
        // Saturday 2026-03-28 20:45 CET; the clocks go forward that night, so 09:00 local on Sunday is 07:00Z.
        var evening = new DateTimeOffset(2026, 3, 28, 19, 45, 0, TimeSpan.Zero);
        var scenario = AtTime(evening, Devices.Mobile, Purchase(new DateTimeOffset(2026, 3, 29, 9, 0, 0, TimeSpan.Zero)));

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "rule-quiet-hours-dst");

        var nineSummer = new DateTimeOffset(2026, 3, 29, 7, 0, 0, TimeSpan.Zero);
        Assert.Equal(
            [
                Line(evening.AddHours(1), "defer", ChannelNames.MobilePush, reason: Reasons.QuietHours, until: nineSummer),
                Send(nineSummer, ChannelNames.MobilePush, 1),
                Send(nineSummer.AddHours(1), ChannelNames.Email, 2),
                End(nineSummer.AddHours(2), Outcomes.Purchased),
            ],
            result.Lines);
    }

    [Fact]
    public async Task Journey_SecondMessageDueAtNight_IsDeferredNotDropped()
    {
        var evening = new DateTimeOffset(2026, 3, 2, 18, 30, 0, TimeSpan.Zero); // push due 20:30 Prague, email due 21:30 Prague
        var scenario = AtTime(evening, Devices.Mobile, Purchase(new DateTimeOffset(2026, 3, 3, 10, 0, 0, TimeSpan.Zero)));

        var result = await ScenarioRunners.Get(ScenarioRunners.Offline).RunAsync(scenario);

        var nineLocal = new DateTimeOffset(2026, 3, 3, 8, 0, 0, TimeSpan.Zero);
        Assert.Equal(
            [
                Send(evening.AddHours(1), ChannelNames.MobilePush, 1),
                Line(evening.AddHours(2), "defer", ChannelNames.Email, reason: Reasons.QuietHours, until: nineLocal),
                Send(nineLocal, ChannelNames.Email, 2),
                End(nineLocal.AddHours(2), Outcomes.Purchased),
            ],
            result.Lines);
    }

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData]
    public async Task Journey_EmailOpened_StopsTheChainAsEngaged(string runner)
    {
        var scenario = Cart(Devices.Mobile, Event(T0.AddHours(5), ScenarioEvent.Engaged) with { Channel = ChannelNames.Email, Action = "opened" });

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "rule-email-opened");

        Assert.Equal(
            [Send(T0.AddHours(1), ChannelNames.MobilePush, 1), Send(T0.AddHours(2), ChannelNames.Email, 2), End(T0.AddHours(5), Outcomes.Engaged)],
            result.Lines);
    }

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData]
    public async Task Journey_EmailOpenedWhileSmsWaitsOutQuietHours_EndsEngagedWithoutTheSms(string runner)
    {
        // The email window ends at 01:00 Prague and the SMS waits for 09:00; the email is opened at 04:00 Prague.
        var scenario = Cart(Devices.Mobile, Event(T0.AddHours(17), ScenarioEvent.Engaged) with { Channel = ChannelNames.Email, Action = "opened" });

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "rule-engaged-during-deferral");

        Assert.Equal(
            [
                Send(T0.AddHours(1), ChannelNames.MobilePush, 1),
                Send(T0.AddHours(2), ChannelNames.Email, 2),
                Line(T0.AddHours(14), "defer", ChannelNames.Sms, reason: Reasons.QuietHours, until: T0.AddHours(22)),
                End(T0.AddHours(17), Outcomes.Engaged),
            ],
            result.Lines);
    }

    [Fact]
    public async Task Journey_DeliveryReceipt_DoesNotStopTheChain()
    {
        var scenario = Cart(Devices.Mobile, Event(T0.AddMinutes(61), ScenarioEvent.Engaged) with { Channel = ChannelNames.MobilePush, Action = "delivered" }, Purchase(T0.AddHours(3)));

        var result = await ScenarioRunners.Get(ScenarioRunners.Offline).RunAsync(scenario);

        Assert.Contains(Send(T0.AddHours(2), ChannelNames.Email, 2), result.Lines);
    }

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData]
    public async Task Journey_AdsConsentAndPurchase_AddsToAudiencesThenRemovesOnPurchase(string runner)
    {
        var scenario = WithAds(Cart(Devices.Mobile, Purchase(T0.AddHours(3))));

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "rule-retargeting-purchase");

        Assert.Equal(
            [
                Line(T0.AddHours(1), "audience_add", audiences: ["google", "meta"]),
                Send(T0.AddHours(1), ChannelNames.MobilePush, 1),
                Send(T0.AddHours(2), ChannelNames.Email, 2),
                Line(T0.AddHours(3), "audience_remove", audiences: ["google", "meta"]),
                End(T0.AddHours(3), Outcomes.Purchased),
            ],
            result.Lines);
    }

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData]
    public async Task Journey_AdsConsentNoPurchase_RemovesFromAudiencesAfter14DaysAndEndsWithTheChainOutcome(string runner)
    {
        var scenario = WithAds(Cart(Devices.Mobile, Event(T0.AddMinutes(70), ScenarioEvent.Engaged) with { Channel = ChannelNames.MobilePush, Action = "clicked" }));

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "rule-retargeting-14-days");

        var added = T0.AddHours(1);
        Assert.Equal(
            [
                Line(added, "audience_add", audiences: ["google", "meta"]),
                Send(added, ChannelNames.MobilePush, 1),
                Line(added.AddDays(14), "audience_remove", audiences: ["google", "meta"]),
                End(added.AddDays(14), Outcomes.Engaged),
            ],
            result.Lines);
    }

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData]
    public async Task Journey_FullDefaultJourney_EveryMessageIgnoredAndAudiencesForTheirWholeTime(string runner)
    {
        // The longest ordinary run of the default journey (the replay benchmark's history): every channel sent and
        // ignored, one quiet-hours deferral, audiences added with the first message and removed 14 days later.
        var scenario = WithAds(Cart(Devices.Mobile));

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "full-journey");

        var added = T0.AddHours(1);
        Assert.Equal(
            [
                Line(added, "audience_add", audiences: ["google", "meta"]),
                Send(added, ChannelNames.MobilePush, 1),
                Send(T0.AddHours(2), ChannelNames.Email, 2),
                Defer(T0.AddHours(14), ChannelNames.Sms, Reasons.QuietHours, T0.AddHours(22)),
                Send(T0.AddHours(22), ChannelNames.Sms, 3),
                Line(added.AddDays(14), "audience_remove", audiences: ["google", "meta"]),
                End(added.AddDays(14), Outcomes.Exhausted),
            ],
            result.Lines);
    }

    [Fact]
    public async Task Journey_AddedToAudiencesFiveDaysAgo_IsNotAddedAgain()
    {
        var scenario = WithAds(Cart(Devices.Mobile, Purchase(T0.AddHours(3)))) with
        {
            History = [new ScenarioSend(Journeys.AbandonedCart, "audience", T0.AddDays(-5))],
        };

        var result = await ScenarioRunners.Get(ScenarioRunners.Offline).RunAsync(scenario);

        Assert.DoesNotContain(result.Lines, l => l.Contains("audience", StringComparison.Ordinal));
        Assert.Equal(Send(T0.AddHours(1), ChannelNames.MobilePush, 1), result.Lines[0]);
    }

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData]
    public async Task Journey_HoldoutCustomer_GetsNoMessagesAndNoAudiences(string runner)
    {
        var scenario = WithAds(Cart(Devices.Mobile, Purchase(T0.AddHours(5)))) with { Holdout = true };

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "rule-holdout");

        Assert.Equal([Line(T0.AddHours(1), "holdout", reason: Reasons.Holdout), End(T0.AddHours(1), Outcomes.Holdout)], result.Lines);
    }

    [Fact]
    public async Task Journey_HoldoutShareOfHundredPercent_HoldsEveryoneOut()
    {
        var scenario = Cart(Devices.Mobile) with { HoldoutPercent = 100 };

        var result = await ScenarioRunners.Get(ScenarioRunners.Offline).RunAsync(scenario);

        Assert.Equal(Outcomes.Holdout, result.Outcome);
    }

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData]
    public async Task Journey_SwitchedOffAtEntry_SendsNothing(string runner)
    {
        var scenario = Cart(Devices.Mobile) with { JourneyEnabled = false };

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "rule-stopped-at-entry");

        Assert.Equal([Line(T0.AddHours(1), "stopped", reason: Reasons.JourneyStopped), End(T0.AddHours(1), Outcomes.Stopped)], result.Lines);
    }

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData]
    public async Task Journey_SwitchedOffWhileWaiting_SendsNothingMore(string runner)
    {
        var scenario = Cart(Devices.Mobile, Event(T0.AddMinutes(90), ScenarioEvent.JourneyStopped));

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "rule-stopped-mid-journey");

        Assert.Equal(
            [
                Send(T0.AddHours(1), ChannelNames.MobilePush, 1),
                Line(T0.AddHours(2), "stopped", ChannelNames.Email, reason: Reasons.JourneyStopped),
                End(T0.AddHours(2), Outcomes.Stopped),
            ],
            result.Lines);
    }

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData]
    public async Task Journey_CartUpdatedDuringEmailWindow_NextMessageCarriesTheNewCart(string runner)
    {
        var newItem = new CartItem { Sku = "B7", Name = "Mascara", Price = 24.5m };
        var scenario = Cart(Devices.Mobile, Event(T0.AddHours(3), ScenarioEvent.CartUpdated) with { Device = Devices.Desktop, Items = [newItem] }, Purchase(T0.AddHours(30)));

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "rule-cart-update-during-chain");

        // The chain keeps its place and its device; the update only refreshes what the next message shows.
        Assert.Equal(
            [
                Send(T0.AddHours(1), ChannelNames.MobilePush, 1),
                Send(T0.AddHours(2), ChannelNames.Email, 2),
                Defer(T0.AddHours(14), ChannelNames.Sms, Reasons.QuietHours, T0.AddHours(22)),
                Send(T0.AddHours(22), ChannelNames.Sms, 3),
                End(T0.AddHours(30), Outcomes.Purchased),
            ],
            result.Lines);
        if (result.Run is { } run)
        {
            // The SMS is asked for twice: deferred by quiet hours at 14:00, sent at 22:00; both with the new cart.
            var sms = run.CallsTo("SendMessage").Select(c => c.Arg<SendRequest>()).Where(r => r.Channel == ChannelNames.Sms).ToList();
            Assert.Equal(2, sms.Count);
            Assert.All(sms, r => Assert.Equal("B7", Assert.Single(r.Items).Sku));
            Assert.All(sms, r => Assert.Equal(24.5m, r.CartValue));
            Assert.All(sms, r => Assert.NotNull(r.Gate));
        }
    }

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData]
    public async Task Journey_OlderCartUpdateArrivesLate_KeepsTheLatestCartAndDoesNotRestartTheWait(string runner)
    {
        // A mobile update made at 09:50 reaches the journey at 10:30, after the desktop update made at 10:00.
        var late = CartUpdate(T0.AddMinutes(30), Devices.Mobile) with
        {
            OccurredAt = T0.AddMinutes(-10),
            Items = [new CartItem { Sku = "B7", Name = "Mascara", Price = 24.5m }],
        };
        var scenario = Cart(Devices.Desktop, late, Purchase(T0.AddHours(3)));

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "rule-late-older-cart-update");

        // Desktop chain, due an hour after 10:00: the late update neither picks the chain nor restarts the wait.
        Assert.Equal(
            [Send(T0.AddHours(1), ChannelNames.WebPush, 1), Send(T0.AddHours(2), ChannelNames.Email, 2), End(T0.AddHours(3), Outcomes.Purchased)],
            result.Lines);
        if (result.Run is { } run)
        {
            Assert.All(run.CallsTo("SendMessage").Select(c => c.Arg<SendRequest>()), r => Assert.Equal("A1", Assert.Single(r.Items).Sku));
        }
    }

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData]
    public async Task Journey_PurchaseMadeBeforeTheLatestCartUpdateArrivesLate_DoesNotEndTheNewCartsJourney(string runner)
    {
        // The first cart was bought at 10:20; a new cart at 10:30; the order reaches the journey only at 10:40.
        var newCart = CartUpdate(T0.AddMinutes(30), Devices.Mobile) with { Items = [new CartItem { Sku = "B7", Name = "Mascara", Price = 24.5m }] };
        var earlierOrder = Purchase(T0.AddMinutes(40)) with { OccurredAt = T0.AddMinutes(20) };
        var scenario = Cart(Devices.Mobile, newCart, earlierOrder, Purchase(T0.AddHours(5)));

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "rule-purchase-before-latest-cart");

        Assert.Equal(
            [Send(T0.AddMinutes(90), ChannelNames.MobilePush, 1), Send(T0.AddMinutes(150), ChannelNames.Email, 2), End(T0.AddHours(5), Outcomes.Purchased)],
            result.Lines);
    }

    [Fact]
    public async Task Journey_NewerCartUpdateArrivesWithAnEarlierPurchase_StartsTheWaitForTheNewCart()
    {
        // Both reach the journey at 10:40: the order placed at 10:20, then the cart made at 10:30.
        var earlierOrder = Purchase(T0.AddMinutes(40)) with { OccurredAt = T0.AddMinutes(20) };
        var newCart = CartUpdate(T0.AddMinutes(40), Devices.Mobile) with { OccurredAt = T0.AddMinutes(30) };
        var scenario = Cart(Devices.Mobile, earlierOrder, newCart, Purchase(T0.AddHours(5)));

        var result = await ScenarioRunners.Get(ScenarioRunners.Offline).RunAsync(scenario);

        Assert.Equal(Send(T0.AddMinutes(100), ChannelNames.MobilePush, 1), result.Lines[0]);
        Assert.Equal(End(T0.AddHours(5), Outcomes.Purchased), result.Lines[^1]);
    }

    [Fact]
    public async Task Journey_CartEmptiedDuringWindow_EndsAsCartEmptied()
    {
        var scenario = Cart(Devices.Mobile, Event(T0.AddMinutes(80), ScenarioEvent.CartUpdated) with { Device = Devices.Mobile, Items = [] });

        var result = await ScenarioRunners.Get(ScenarioRunners.Offline).RunAsync(scenario);

        Assert.Equal([Send(T0.AddHours(1), ChannelNames.MobilePush, 1), End(T0.AddMinutes(80), Outcomes.CartEmptied)], result.Lines);
    }

    [Fact]
    public async Task Journey_StormOf5000CartUpdates_KeepsEveryRunHistoryUnder2000Events()
    {
        // 100 bursts of 50 updates a second apart: a worker gets every signal that arrived while its last task ran.
        var storm = Enumerable.Range(0, 5000)
            .Select(i => Event(T0.AddSeconds(1 + (i / 50)), ScenarioEvent.CartUpdated) with
            {
                Device = Devices.Mobile,
                Items = [new CartItem { Sku = $"S{i}", Name = "Item", Price = 1 + (i % 7) }],
            })
            .ToArray();
        var scenario = Cart(Devices.Mobile, [.. storm, Purchase(T0.AddHours(2) + TimeSpan.FromMinutes(30))]);

        var result = await ScenarioRunners.Get(ScenarioRunners.Offline).RunAsync(scenario);

        var run = result.Run!;
        Assert.True(run.ContinueAsNewCount >= 3, $"expected continue-as-new during the storm, got {run.ContinueAsNewCount}");
        Assert.True(run.LargestRunEventCount < 2000, $"largest run history has {run.LargestRunEventCount} events");

        // The journey still acts on the latest update only: first message an hour after the last burst.
        var lastUpdate = T0.AddSeconds(100);
        Assert.Equal(Send(lastUpdate.AddHours(1), ChannelNames.MobilePush, 1), result.Lines[0]);
        var push = run.CallsTo("SendMessage").Select(c => c.Arg<SendRequest>()).First();
        Assert.Equal("S4999", Assert.Single(push.Items).Sku);
    }

    [Fact]
    public async Task Journey_WhyNotSent_IsInTheQueryWithReasons()
    {
        var evening = new DateTimeOffset(2026, 3, 2, 18, 30, 0, TimeSpan.Zero);
        var scenario = AtTime(evening, Devices.Mobile, Event(evening.AddMinutes(30), ScenarioEvent.ConsentWithdrawn) with { Consent = Consents.Email });

        var result = await ScenarioRunners.Get(ScenarioRunners.Offline).RunAsync(scenario);

        var log = result.Run!.Query<AbandonedCartWorkflow.JourneyStatus>("Status").Log;
        Assert.Contains(log, e => e.Status == "sent" && e.Channel == ChannelNames.MobilePush);
        Assert.Contains(log, e => e.Status == "deferred" && e.Channel == ChannelNames.Email && e.Reason == Reasons.QuietHours && e.Until == new DateTimeOffset(2026, 3, 3, 8, 0, 0, TimeSpan.Zero));
        Assert.Contains(log, e => e.Status == "skipped" && e.Channel == ChannelNames.Email && e.Reason == Reasons.NoConsent);
    }

    private static Scenario AtTime(DateTimeOffset start, string device, params ScenarioEvent[] later) =>
        Cart(device, later) with { Start = start, Events = [CartUpdate(start, device), .. later] };

    private static Scenario WithAds(Scenario scenario) =>
        scenario with { Customer = scenario.Customer with { Consents = [.. scenario.Customer.Consents, Consents.Ads] } };

    private static string Line(DateTimeOffset at, string kind, string? channel = null, string? reason = null, DateTimeOffset? until = null, IReadOnlyList<string>? audiences = null) =>
        TimelineWriter.ToLine(new TimelineEntry { Time = at, Kind = kind, Channel = channel, Reason = reason, UntilTime = until, Audiences = audiences });
}
