using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Workflows;
using Dapper;
using static AbandonedCart.Tests.Activities.ActivitiesHost;

namespace AbandonedCart.Tests.Activities;

using Channels = AbandonedCart.Workflows.Channels;

/// <summary>
/// A gated send (patch <c>gate-checked-at-send</c>): SendMessageAsync itself checks the journey switch, the
/// cross-journey cap and quiet hours at send time against PostgreSQL, and records why it did not send.
/// The host's clock starts on Monday 2 March 2026, 10:00 UTC (11:00 in Prague, the customers' zone).
/// </summary>
public sealed class JourneyActivitiesGateTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task SendMessageAsync_GatedInAllowedHours_Sends()
    {
        var email = new CountingSender(Channels.Email);
        using var host = new ActivitiesHost(db.ConnectionString, email);
        var request = Gated(await host.CustomerAsync(Consents.Email), Channels.Email);

        var result = await RunAsync(() => host.Activities.SendMessageAsync(request));

        Assert.True(result.Sent);
        Assert.Equal(1, email.Sent);
        Assert.Null(await host.Messages.FindAsync(request.DecisionKey!));
    }

    [Fact]
    public async Task SendMessageAsync_GatedInQuietHours_DefersTo9LocalRecordsWhyAndSendsLater()
    {
        var email = new CountingSender(Channels.Email);
        using var host = new ActivitiesHost(db.ConnectionString, email);
        var request = Gated(await host.CustomerAsync(Consents.Email), Channels.Email);
        host.Clock.Advance(TimeSpan.FromHours(11.5)); // 21:30 UTC, 22:30 in Prague

        var deferred = await RunAsync(() => host.Activities.SendMessageAsync(request));
        var decision = await host.Messages.FindAsync(request.DecisionKey!);
        var until = await DeferredUntilAsync(request.DecisionKey!);
        host.Clock.Advance(TimeSpan.FromHours(10.5)); // 08:00 UTC, 09:00 in Prague
        var later = await RunAsync(() => host.Activities.SendMessageAsync(request with { DecisionKey = request.DecisionKey + ":2" }));

        var nine = new DateTimeOffset(2026, 3, 3, 8, 0, 0, TimeSpan.Zero);
        Assert.Equal(SendResult.Deferred(Reasons.QuietHours, nine), deferred);
        Assert.Equal(("deferred", Reasons.QuietHours, Channels.Email, 1), (decision!.Status, decision.Reason, decision.Channel, decision.Step));
        Assert.Equal(nine.UtcDateTime, until);
        Assert.True(later.Sent);
        Assert.Equal(1, email.Attempts);
    }

    [Fact]
    public async Task SendMessageAsync_GatedAfterOtherJourneyMessage_DefersUntilCrossJourneyCapEnds()
    {
        var sms = new CountingSender(Channels.Sms);
        var email = new CountingSender(Channels.Email);
        using var host = new ActivitiesHost(db.ConnectionString, sms, email);
        var customer = await host.CustomerAsync(Consents.Email, Consents.Sms);
        await RunAsync(() => host.Activities.SendMessageAsync(Send(customer, Channels.Sms, journey: "browse-abandonment")));
        host.Clock.Advance(TimeSpan.FromHours(2));

        var result = await RunAsync(() => host.Activities.SendMessageAsync(Gated(customer, Channels.Email)));

        Assert.Equal(SendResult.Deferred(Reasons.CrossJourneyCap, new DateTimeOffset(2026, 3, 3, 10, 0, 0, TimeSpan.Zero)), result);
        Assert.Equal(0, email.Attempts);
    }

    [Fact]
    public async Task SendMessageAsync_GatedWhileJourneyStopped_StopsWithoutSendingAndRecordsIt()
    {
        var email = new CountingSender(Channels.Email);
        using var host = new ActivitiesHost(db.ConnectionString, email);
        var journey = $"journey-{Guid.NewGuid():N}";
        await host.JourneyStore.SetEnabledAsync(journey, enabled: false);
        var request = Gated(await host.CustomerAsync(Consents.Email), Channels.Email, journey);

        var result = await RunAsync(() => host.Activities.SendMessageAsync(request));
        var decision = await host.Messages.FindAsync(request.DecisionKey!);

        Assert.Equal(SendResult.Stopped(), result);
        Assert.Equal(("stopped", Reasons.JourneyStopped), (decision!.Status, decision.Reason));
        Assert.Null(await host.Messages.FindAsync(request.IdempotencyKey));
        Assert.Equal(0, email.Attempts);
    }

    [Fact]
    public async Task SendMessageAsync_UngatedInQuietHours_SendsAsReleasedJourneysExpect()
    {
        // Journeys that entered before the patch checked the gate themselves and send without one.
        var email = new CountingSender(Channels.Email);
        using var host = new ActivitiesHost(db.ConnectionString, email);
        var request = Send(await host.CustomerAsync(Consents.Email), Channels.Email);
        host.Clock.Advance(TimeSpan.FromHours(11.5));

        var result = await RunAsync(() => host.Activities.SendMessageAsync(request));

        Assert.True(result.Sent);
    }

    private static SendRequest Gated(string customer, string channel, string journey = Journeys.AbandonedCart)
    {
        var request = Send(customer, channel, journey: journey);
        return request with { Gate = AbandonedCartJourney.Default.Gate, DecisionKey = request.IdempotencyKey + ":gate:0" };
    }

    private async Task<DateTime?> DeferredUntilAsync(string key)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        return await connection.QuerySingleAsync<DateTime?>("SELECT deferred_until FROM messages WHERE idempotency_key = @key", new { key });
    }
}
