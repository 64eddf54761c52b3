using AbandonedCart.Worker.Simulation;
using AbandonedCart.Workflows;
using ChannelNames = AbandonedCart.Workflows.Channels;

namespace AbandonedCart.Tests.Scenarios;

/// <summary>
/// The cart journey's behaviour, each scenario run by the offline engine and, where a Temporal test server can be
/// had, by the real server (skipped with the reason otherwise). Every offline run keeps its history as a golden
/// history for the determinism gate.
/// </summary>
public class CartJourneyScenarioTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(ScenarioRunners.Offline, Devices.Mobile, ChannelNames.MobilePush)]
    [InlineData(ScenarioRunners.Offline, Devices.Desktop, ChannelNames.WebPush)]
    [TestServerData(Devices.Mobile, ChannelNames.MobilePush)]
    [TestServerData(Devices.Desktop, ChannelNames.WebPush)]
    public async Task Journey_ChainIgnored_SendsPushEmailSmsThenExhausted(string runner, string device, string push)
    {
        var result = await ScenarioRunners.Get(runner).RunAsync(Cart(device), golden: $"{device}-chain");

        Assert.Equal(
            [
                Send(T0.AddHours(1), push, 1),
                Send(T0.AddHours(2), ChannelNames.Email, 2),
                Send(T0.AddHours(26), ChannelNames.Sms, 3),
                End(T0.AddHours(50), Outcomes.Exhausted),
            ],
            result.Lines);
    }

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData]
    public async Task Journey_PurchaseBeforeFirstSend_SendsNothing(string runner)
    {
        var scenario = Cart(Devices.Mobile, Purchase(T0.AddMinutes(40)));

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "purchase-before-first-send");

        Assert.Equal([End(T0.AddMinutes(40), Outcomes.Purchased)], result.Lines);
    }

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData]
    public async Task Journey_PurchaseAfterFirstSend_StopsTheChain(string runner)
    {
        var scenario = Cart(Devices.Mobile, Purchase(T0.AddMinutes(90)));

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "purchase-after-first-send");

        Assert.Equal([Send(T0.AddHours(1), ChannelNames.MobilePush, 1), End(T0.AddMinutes(90), Outcomes.Purchased)], result.Lines);
    }

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData]
    public async Task Journey_NewCartUpdate_RestartsTheWait(string runner)
    {
        var scenario = Cart(Devices.Desktop, CartUpdate(T0.AddMinutes(30), Devices.Mobile), Purchase(T0.AddHours(3)));

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "new-cart-restarts-wait");

        // The latest update (mobile, 10:30) picks the chain and the time: mobile push at 11:30, not web push at 11:00.
        Assert.Equal(
            [Send(T0.AddMinutes(90), ChannelNames.MobilePush, 1), Send(T0.AddMinutes(150), ChannelNames.Email, 2), End(T0.AddHours(3), Outcomes.Purchased)],
            result.Lines);
    }

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData]
    public async Task Journey_IneligibleChannel_IsSkippedAndNextTriedAtOnce(string runner)
    {
        var scenario = Cart(Devices.Mobile, Purchase(T0.AddHours(5))) with
        {
            Customer = Customer() with { PushTokens = null },
        };

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "ineligible-channel-skipped");

        Assert.Equal(
            [Skip(T0.AddHours(1), ChannelNames.MobilePush, Reasons.NoAddress), Send(T0.AddHours(1), ChannelNames.Email, 2), End(T0.AddHours(5), Outcomes.Purchased)],
            result.Lines);
    }

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData]
    public async Task Journey_EngagementWithPush_StopsTheChain(string runner)
    {
        var scenario = Cart(Devices.Mobile, Event(T0.AddMinutes(80), ScenarioEvent.Engaged) with { Channel = ChannelNames.MobilePush, Action = "clicked" });

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "engagement-stops-chain");

        Assert.Equal([Send(T0.AddHours(1), ChannelNames.MobilePush, 1), End(T0.AddMinutes(80), Outcomes.Engaged)], result.Lines);
    }

    [Theory]
    [InlineData(ScenarioRunners.Offline)]
    [TestServerData]
    public async Task Journey_ConsentWithdrawnWhileWaiting_SkipsThatChannelAtSendTime(string runner)
    {
        var scenario = Cart(Devices.Mobile, Event(T0.AddMinutes(90), ScenarioEvent.ConsentWithdrawn) with { Consent = Consents.Email }, Purchase(T0.AddHours(30)));

        var result = await ScenarioRunners.Get(runner).RunAsync(scenario, golden: "consent-withdrawn-while-waiting");

        Assert.Equal(
            [
                Send(T0.AddHours(1), ChannelNames.MobilePush, 1),
                Skip(T0.AddHours(2), ChannelNames.Email, Reasons.NoConsent),
                Send(T0.AddHours(2), ChannelNames.Sms, 3),
                End(T0.AddHours(26), Outcomes.Exhausted),
            ],
            result.Lines);
    }

    [Fact]
    public async Task Journey_OfflineRun_KeepsSummariesOnEveryActivityAndTimer()
    {
        var result = await ScenarioRunners.Get(ScenarioRunners.Offline).RunAsync(Cart(Devices.Mobile));

        var run = result.Run!;
        Assert.All(run.Activities, a => Assert.False(string.IsNullOrWhiteSpace(a.Summary), $"{a.Name} at {a.At:O} has no summary"));
        Assert.All(run.Timers, t => Assert.False(string.IsNullOrWhiteSpace(t.Summary), $"timer {t.Seq} at {t.At:O} has no summary"));
        Assert.Equal(AbandonedCartWorkflow.Stages.Completed, run.SearchAttributes.Get(SearchAttributes.JourneyStage));
        Assert.Equal(ChannelNames.Sms, run.SearchAttributes.Get(SearchAttributes.LastChannel));
        Assert.Equal(Outcomes.Exhausted, run.Query<AbandonedCartWorkflow.JourneyStatus>("Status").Outcome);
    }

    internal static ScenarioCustomer Customer() => new()
    {
        Id = "c-1",
        Email = "ana@example.com",
        Phone = "+420601234567",
        TimeZone = "Europe/Prague",
        Consents = [Consents.Email, Consents.Sms, Consents.Push],
        PushTokens = new("fcm-token", null, null),
        WebPush = new("https://push.example.net/s/1", "BPk1", "k9"),
    };

    internal static Scenario Cart(string device, params ScenarioEvent[] later) => new()
    {
        Journey = Journeys.AbandonedCart,
        Start = T0,
        Customer = Customer(),
        Events = [CartUpdate(T0, device), .. later],
    };

    private static ScenarioEvent CartUpdate(DateTimeOffset at, string device) => Event(at, ScenarioEvent.CartUpdated) with
    {
        Device = device,
        Items = [new CartItem { Sku = "A1", Name = "Lipstick", Price = 19.9m }],
    };

    private static ScenarioEvent Purchase(DateTimeOffset at) => Event(at, ScenarioEvent.Purchased) with { OrderId = "o-1", Revenue = 19.9m };

    private static ScenarioEvent Event(DateTimeOffset at, string type) => new() { At = at, Type = type };

    private static string Send(DateTimeOffset at, string channel, int step) =>
        $$"""{"at":"{{TimelineEntry.Format(at)}}","kind":"send","channel":"{{channel}}","step":{{step}}}""";

    private static string Skip(DateTimeOffset at, string channel, string reason) =>
        $$"""{"at":"{{TimelineEntry.Format(at)}}","kind":"skip","channel":"{{channel}}","reason":"{{reason}}"}""";

    private static string End(DateTimeOffset at, string outcome) =>
        $$"""{"at":"{{TimelineEntry.Format(at)}}","kind":"end","outcome":"{{outcome}}"}""";
}
