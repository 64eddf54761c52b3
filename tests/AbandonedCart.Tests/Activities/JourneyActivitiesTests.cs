using AbandonedCart.Activities.Storage;
using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Workflows;
using Dapper;
using Temporalio.Exceptions;
using static AbandonedCart.Tests.Activities.ActivitiesHost;

namespace AbandonedCart.Tests.Activities;

using Channels = AbandonedCart.Workflows.Channels;

public sealed class JourneyActivitiesTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task SendMessageAsync_EligibleEmail_SendsThroughProviderAndLogsSent()
    {
        var email = new CountingSender(Channels.Email);
        using var host = new ActivitiesHost(db.ConnectionString, email);
        var customer = await host.CustomerAsync(Consents.Email);
        var request = Send(customer, Channels.Email);

        var result = await RunAsync(() => host.Activities.SendMessageAsync(request));

        Assert.True(result.Sent);
        Assert.Equal("counting-1", result.ProviderMessageId);
        Assert.Equal(1, email.Sent);
        var row = await host.Messages.FindAsync(request.IdempotencyKey);
        Assert.Equal(("sent", "counting", "counting-1", result.MessageId), (row!.Status, row.Provider, row.ProviderMessageId, (long?)row.Id));
        Assert.Equal(host.Clock.GetUtcNow().UtcDateTime, row.SentAt);
    }

    [Fact]
    public async Task SendMessageAsync_SameKeyFiftyTimes_SendsOnce()
    {
        var email = new CountingSender(Channels.Email);
        using var host = new ActivitiesHost(db.ConnectionString, email);
        var request = Send(await host.CustomerAsync(Consents.Email), Channels.Email);

        var results = new List<SendResult>();
        for (var i = 0; i < 50; i++)
        {
            results.Add(await RunAsync(() => host.Activities.SendMessageAsync(request)));
        }

        Assert.Equal(1, email.Attempts);
        Assert.All(results, r => Assert.Equal(results[0], r));
        Assert.True(results[0].Sent);
    }

    [Fact]
    public async Task SendMessageAsync_SameKeyConcurrently_SendsOnce()
    {
        // A slow provider keeps the first attempt in flight while the others arrive.
        var email = new CountingSender(Channels.Email, delay: TimeSpan.FromMilliseconds(300));
        using var host = new ActivitiesHost(db.ConnectionString, email);
        var request = Send(await host.CustomerAsync(Consents.Email), Channels.Email);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => SendWithRetriesAsync(host, request)));

        Assert.Equal(1, email.Attempts);
        Assert.All(results, r => Assert.Equal(results[0].MessageId, r.MessageId));
        Assert.All(results, r => Assert.True(r.Sent));
    }

    [Fact]
    public async Task SendMessageAsync_ProviderFailsThenRetried_SendsOnRetry()
    {
        var email = new CountingSender(Channels.Email, failFirst: 1);
        using var host = new ActivitiesHost(db.ConnectionString, email);
        var request = Send(await host.CustomerAsync(Consents.Email), Channels.Email);

        await Assert.ThrowsAsync<HttpRequestException>(() => RunAsync(() => host.Activities.SendMessageAsync(request)));
        var failed = await host.Messages.FindAsync(request.IdempotencyKey);
        var retried = await RunAsync(() => host.Activities.SendMessageAsync(request));

        Assert.Equal(("failed", nameof(HttpRequestException)), (failed!.Status, failed.Reason));
        Assert.True(retried.Sent);
        Assert.Equal(failed.Id, retried.MessageId);
        Assert.Equal((2, 1), (email.Attempts, email.Sent));
    }

    [Theory]
    [InlineData(Channels.Email, new string[0], null, Reasons.NoConsent)]
    [InlineData(Channels.Email, new[] { Consents.Email }, "email", Reasons.NoAddress)]
    [InlineData(Channels.Sms, new[] { Consents.Sms }, "phone", Reasons.NoAddress)]
    [InlineData(Channels.Sms, new[] { Consents.Email }, null, Reasons.NoConsent)]
    [InlineData(Channels.MobilePush, new[] { Consents.Push }, "push", Reasons.NoAddress)]
    [InlineData(Channels.WebPush, new[] { Consents.Email }, null, Reasons.NoConsent)]
    [InlineData(Channels.WebPush, new[] { Consents.Push }, "webpush", Reasons.NoAddress)]
    [InlineData(Channels.Line, new[] { Consents.Line }, "line", Reasons.NoAddress)]
    public async Task SendMessageAsync_Ineligible_SkipsWithReasonAndRecordsIt(string channel, string[] consents, string? missing, string reason)
    {
        var sender = new CountingSender(channel);
        using var host = new ActivitiesHost(db.ConnectionString, sender);
        var customer = await host.CustomerAsync(
            p => missing switch
            {
                "email" => p with { Email = "not-an-address" },
                "phone" => p with { Phone = "601 234 567" },
                "push" => p with { FcmToken = null },
                "webpush" => p with { WebPush = null },
                "line" => p with { LineUserId = null },
                _ => p,
            },
            consents);
        var request = Send(customer, channel);

        var result = await RunAsync(() => host.Activities.SendMessageAsync(request));
        var again = await RunAsync(() => host.Activities.SendMessageAsync(request));

        Assert.Equal(("skipped", reason), (result.Status, result.Reason));
        Assert.Equal(result, again);
        Assert.Equal(0, sender.Attempts);
        var row = await host.Messages.FindAsync(request.IdempotencyKey);
        Assert.Equal(("skipped", reason, channel), (row!.Status, row.Reason, row.Channel));
    }

    [Fact]
    public async Task SendMessageAsync_UnknownCustomer_SkipsNoAddress()
    {
        using var host = new ActivitiesHost(db.ConnectionString);

        var result = await RunAsync(() => host.Activities.SendMessageAsync(Send("nobody-" + Guid.NewGuid(), Channels.Email)));

        Assert.Equal(("skipped", Reasons.NoAddress), (result.Status, result.Reason));
    }

    [Fact]
    public async Task SendMessageAsync_ConsentWithdrawnBetweenSends_NextSendSkipped()
    {
        var email = new CountingSender(Channels.Email);
        using var host = new ActivitiesHost(db.ConnectionString, email);
        var customer = await host.CustomerAsync(Consents.Email);
        var first = await RunAsync(() => host.Activities.SendMessageAsync(Send(customer, Channels.Email)));

        await host.Customers.SetConsentAsync(customer, Consents.Email, granted: false, host.Clock.GetUtcNow());
        var second = await RunAsync(() => host.Activities.SendMessageAsync(Send(customer, Channels.Email)));

        Assert.True(first.Sent);
        Assert.Equal(("skipped", Reasons.NoConsent), (second.Status, second.Reason));
        Assert.Equal(1, email.Attempts);
        await using var conn = await db.DataSource.OpenConnectionAsync();
        var history = (await conn.QueryAsync<bool>(
            "SELECT granted FROM consent_history WHERE customer_id = @customer AND category = 'email' ORDER BY id", new { customer })).ToList();
        Assert.Equal([true, false], history);
    }

    [Fact]
    public async Task SendMessageAsync_SentKeyAfterConsentWithdrawn_ReturnsEarlierSend()
    {
        var email = new CountingSender(Channels.Email);
        using var host = new ActivitiesHost(db.ConnectionString, email);
        var customer = await host.CustomerAsync(Consents.Email);
        var request = Send(customer, Channels.Email);
        var first = await RunAsync(() => host.Activities.SendMessageAsync(request));

        await host.Customers.SetConsentAsync(customer, Consents.Email, granted: false, host.Clock.GetUtcNow());
        var retried = await RunAsync(() => host.Activities.SendMessageAsync(request));

        Assert.Equal(first, retried);
    }

    [Fact]
    public async Task SendMessageAsync_UnknownChannel_FailsNonRetryable()
    {
        using var host = new ActivitiesHost(db.ConnectionString);
        var customer = await host.CustomerAsync(Consents.Email);

        var error = await Assert.ThrowsAsync<ApplicationFailureException>(
            () => RunAsync(() => host.Activities.SendMessageAsync(Send(customer, "fax"))));

        Assert.True(error.NonRetryable);
        Assert.Equal("UnknownChannel", error.ErrorType);
    }

    [Fact]
    public async Task SendMessageAsync_NoProviderForChannel_RecordsInOutbox()
    {
        using var host = new ActivitiesHost(db.ConnectionString, new CountingSender(Channels.Email));
        var customer = await host.CustomerAsync(Consents.Sms);
        var request = Send(customer, Channels.Sms);

        var result = await RunAsync(() => host.Activities.SendMessageAsync(request));

        var entry = Assert.Single(await host.Outbox.LatestAsync(200), r => r.CustomerId == customer);
        Assert.True(result.Sent);
        Assert.Equal($"outbox-{entry.Id}", result.ProviderMessageId);
        Assert.Equal((Channels.Sms, "+420601234567", result.MessageId), (entry.Channel, entry.Recipient, entry.MessageId));
        Assert.Contains("2 x Lipstick", entry.Body, StringComparison.Ordinal);
        Assert.Equal("outbox", (await host.Messages.FindAsync(request.IdempotencyKey))!.Provider);
    }

    [Fact]
    public async Task SendMessageAsync_DeferredKeyLaterSent_SendsUnderSameKey()
    {
        var email = new CountingSender(Channels.Email);
        using var host = new ActivitiesHost(db.ConnectionString, email);
        var customer = await host.CustomerAsync(Consents.Email);
        var request = Send(customer, Channels.Email);
        await RunAsync(() => host.Activities.RecordDecisionAsync(new DecisionRecord
        {
            IdempotencyKey = request.IdempotencyKey,
            CustomerId = customer,
            Journey = request.Journey,
            Status = "deferred",
            Reason = Reasons.QuietHours,
            Channel = Channels.Email,
            Step = 1,
            Until = host.Clock.GetUtcNow().AddHours(9),
        }));

        var result = await RunAsync(() => host.Activities.SendMessageAsync(request));

        Assert.True(result.Sent);
        Assert.Equal(1, email.Sent);
    }

    [Fact]
    public async Task RecordDecisionAsync_UnknownStatus_FailsNonRetryable()
    {
        using var host = new ActivitiesHost(db.ConnectionString);

        var error = await Assert.ThrowsAsync<ApplicationFailureException>(() => RunAsync(() => host.Activities.RecordDecisionAsync(
            new DecisionRecord { IdempotencyKey = "k-bad", CustomerId = "c", Journey = Journeys.AbandonedCart, Status = "maybe", Reason = "x" })));

        Assert.True(error.NonRetryable);
    }

    [Fact]
    public async Task GetSendContextAsync_WithSettingsAndHistory_ReturnsThemFresh()
    {
        using var host = new ActivitiesHost(db.ConnectionString);
        var journey = $"journey-{Guid.NewGuid():N}";
        await host.JourneyStore.SetEnabledAsync(journey, enabled: false);
        await host.JourneyStore.SetHoldoutPercentAsync(journey, 12.5);
        var customer = await host.CustomerAsync(Consents.Email, Consents.Sms);
        var t0 = host.Clock.GetUtcNow();
        await RunAsync(() => host.Activities.SendMessageAsync(Send(customer, Channels.Email, journey: journey)));
        host.Clock.Advance(TimeSpan.FromHours(2));
        await RunAsync(() => host.Activities.SendMessageAsync(Send(customer, Channels.Sms, journey: "other-journey")));
        host.Clock.Advance(TimeSpan.FromHours(2));
        await RunAsync(() => host.Activities.SendMessageAsync(Send(customer, Channels.Line, journey: journey))); // skipped: no consent

        var context = await RunAsync(() => host.Activities.GetSendContextAsync(new SendContextRequest { CustomerId = customer, Journey = journey }));

        Assert.Equal(
            new SendContext
            {
                JourneyEnabled = false,
                HoldoutPercent = 12.5,
                TimeZone = "Europe/Prague",
                LastJourneyMessageAt = t0,
                LastOtherJourneyMessageAt = t0.AddHours(2),
            },
            context);
    }

    [Fact]
    public async Task GetSendContextAsync_UnknownCustomerDefaultJourney_EnabledWithNoHistory()
    {
        using var host = new ActivitiesHost(db.ConnectionString);

        var context = await RunAsync(() => host.Activities.GetSendContextAsync(
            new SendContextRequest { CustomerId = "nobody-" + Guid.NewGuid(), Journey = Journeys.AbandonedCart }));

        Assert.Equal(new SendContext { JourneyEnabled = true, HoldoutPercent = 0 }, context);
    }

    [Fact]
    public async Task AddToAudiencesAsync_EligibleCustomer_AddsToGoogleAndMeta()
    {
        using var host = new ActivitiesHost(db.ConnectionString);
        var customer = await host.CustomerAsync(Consents.Ads);
        var request = Audience(customer);

        var result = await RunAsync(() => host.Activities.AddToAudiencesAsync(request));
        var retried = await RunAsync(() => host.Activities.AddToAudiencesAsync(request));

        Assert.Equal(["google", "meta"], result.Audiences);
        Assert.Equal(result.Audiences, retried.Audiences);
        var outbox = (await host.Outbox.LatestAsync(200)).Where(r => r.CustomerId == customer).Select(r => (r.Kind, r.Channel)).Order();
        Assert.Equal([(OutboxKinds.AudienceAdd, "google"), (OutboxKinds.AudienceAdd, "meta")], outbox);
    }

    [Theory]
    [InlineData(9, Reasons.RecentlyInAudience)]
    [InlineData(13, Reasons.RecentlyInAudience)]
    [InlineData(15, null)]
    public async Task AddToAudiencesAsync_AddedDaysAgo_FourteenDayRule(int daysAgo, string? reason)
    {
        using var host = new ActivitiesHost(db.ConnectionString);
        var customer = await host.CustomerAsync(Consents.Ads);
        await RunAsync(() => host.Activities.AddToAudiencesAsync(Audience(customer)));
        host.Clock.Advance(TimeSpan.FromDays(daysAgo));

        var result = await RunAsync(() => host.Activities.AddToAudiencesAsync(Audience(customer)));

        Assert.Equal(reason, result.Reason);
        Assert.Equal(reason is null, result.Done);
    }

    [Fact]
    public async Task AddToAudiencesAsync_NoAdsConsent_NoConsent()
    {
        using var host = new ActivitiesHost(db.ConnectionString);
        var customer = await host.CustomerAsync(Consents.Email);

        var result = await RunAsync(() => host.Activities.AddToAudiencesAsync(Audience(customer)));

        Assert.Equal((false, Reasons.NoConsent), (result.Done, result.Reason));
    }

    [Fact]
    public async Task AddToAudiencesAsync_InvalidEmail_NoAddress()
    {
        using var host = new ActivitiesHost(db.ConnectionString);
        var customer = await host.CustomerAsync(p => p with { Email = null }, Consents.Ads);

        var result = await RunAsync(() => host.Activities.AddToAudiencesAsync(Audience(customer)));

        Assert.Equal((false, Reasons.NoAddress), (result.Done, result.Reason));
    }

    [Fact]
    public async Task RemoveFromAudiencesAsync_AfterAdd_RemovesWhatThatKeyAdded()
    {
        using var host = new ActivitiesHost(db.ConnectionString);
        var customer = await host.CustomerAsync(Consents.Ads);
        var request = Audience(customer);
        await RunAsync(() => host.Activities.AddToAudiencesAsync(request));

        var removed = await RunAsync(() => host.Activities.RemoveFromAudiencesAsync(request));
        var removedAgain = await RunAsync(() => host.Activities.RemoveFromAudiencesAsync(request));
        var unknown = await RunAsync(() => host.Activities.RemoveFromAudiencesAsync(Audience(customer)));

        Assert.Equal(["google", "meta"], removed.Audiences);
        Assert.Equal(removed.Audiences, removedAgain.Audiences);
        Assert.False(unknown.Done);
        var removals = (await host.Outbox.LatestAsync(200)).Count(r => r.CustomerId == customer && r.Kind == OutboxKinds.AudienceRemove);
        Assert.Equal(2, removals);
        await using var conn = await db.DataSource.OpenConnectionAsync();
        Assert.Equal(0, await conn.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audience_memberships WHERE customer_id = @customer AND removed_at IS NULL", new { customer }));
    }

    [Fact]
    public async Task RecordEntryAndOutcome_Repeated_FirstValuesStand()
    {
        using var host = new ActivitiesHost(db.ConnectionString);
        var key = $"abandoned-cart:c-x:{Guid.NewGuid():N}";
        var entry = new JourneyEntry
        {
            EntryKey = key,
            CustomerId = "c-x",
            Journey = Journeys.AbandonedCart,
            WorkflowId = AbandonedCartWorkflow.IdFor("c-x"),
            EnteredAt = host.Clock.GetUtcNow(),
            CartValue = 39.8m,
        };

        await RunAsync(() => host.Activities.RecordEntryAsync(entry));
        await RunAsync(() => host.Activities.RecordEntryAsync(entry with { CartValue = 1m }));
        await RunAsync(() => host.Activities.RecordOutcomeAsync(new JourneyOutcome { EntryKey = key, Outcome = Outcomes.Purchased, EndedAt = host.Clock.GetUtcNow() }));
        await RunAsync(() => host.Activities.RecordOutcomeAsync(new JourneyOutcome { EntryKey = key, Outcome = Outcomes.Exhausted, EndedAt = host.Clock.GetUtcNow() }));

        var row = await host.JourneyStore.FindEntryAsync(key);
        Assert.Equal((39.8m, Outcomes.Purchased), (row!.CartValue, row.Outcome));
    }

    private static AudienceRequest Audience(string customer) =>
        new() { IdempotencyKey = $"{AbandonedCartWorkflow.IdFor(customer)}:audience:{Guid.NewGuid():N}", CustomerId = customer, Journey = Journeys.AbandonedCart };

    /// <summary>Temporal's retry loop in miniature: retry while another attempt holds the key.</summary>
    private static async Task<SendResult> SendWithRetriesAsync(ActivitiesHost host, SendRequest request)
    {
        while (true)
        {
            try
            {
                return await RunAsync(() => host.Activities.SendMessageAsync(request));
            }
            catch (ApplicationFailureException e) when (e.ErrorType == "SendInProgress" && !e.NonRetryable)
            {
                await Task.Delay(50);
            }
        }
    }
}
