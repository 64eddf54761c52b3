using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using AbandonedCart.Activities;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Tests.Channels;
using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Workflows;
using Dapper;
using Microsoft.Extensions.Options;
using Temporalio.Exceptions;
using Temporalio.Testing;
using static AbandonedCart.Tests.Activities.ActivitiesHost;

namespace AbandonedCart.Tests.Activities;

using ChannelNames = AbandonedCart.Workflows.Channels;

/// <summary>
/// SendMessageAsync when the failure is not the provider being down: our own configuration, the recipient's opt-out,
/// data that cannot be stored or read, and a cancellation that arrives after the provider took the message.
/// </summary>
public sealed class JourneyActivitiesFailureTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private LoopbackPeer peer = null!;
    private HttpClient http = null!;

    public async Task InitializeAsync()
    {
        peer = await LoopbackPeer.StartAsync();
        http = new HttpClient();
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await peer.DisposeAsync();
    }

    [Fact]
    public async Task SendMessageAsync_Twilio21212BadSenderNumber_FailsAsMisconfiguredAndLeavesTheCustomersPhoneValid()
    {
        peer.Respond = _ => new PeerResponse(400, """{"code":21212,"message":"The 'From' number +15005550001 is not a valid phone number.","status":400}""");
        using var host = new ActivitiesHost(db.ConnectionString, Twilio());
        var customer = await host.CustomerAsync(Consents.Sms);
        var request = Send(customer, ChannelNames.Sms);

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => RunAsync(() => host.Activities.SendMessageAsync(request)));
        var profile = await host.Customers.FindAsync(customer);
        var row = await host.Messages.FindAsync(request.IdempotencyKey);

        Assert.Equal((ProviderErrors.ProviderMisconfigured, true), (failure.ErrorType, failure.NonRetryable));
        Assert.Equal(0, failure.Details.Count);
        Assert.Equal((true, true), (profile!.PhoneValid, profile.HasConsent(Consents.Sms)));
        Assert.Equal(("failed", ProviderErrors.ProviderMisconfigured), (row!.Status, row.Reason));
    }

    [Fact]
    public async Task SendMessageAsync_Twilio21610Unsubscribed_WithdrawsSmsConsentOfEveryCustomerWithTheNumberAndRecordsASkip()
    {
        peer.Respond = _ => new PeerResponse(400, """{"code":21610,"message":"Attempt to send to unsubscribed recipient","status":400}""");
        using var host = new ActivitiesHost(db.ConnectionString, Twilio());
        var phone = $"+4206{Random.Shared.Next(10_000_000, 99_999_999)}";
        var customer = await host.CustomerAsync(p => p with { Phone = phone }, Consents.Sms, Consents.Email);
        var sameNumber = await host.CustomerAsync(p => p with { Phone = phone }, Consents.Sms);
        var otherNumber = await host.CustomerAsync(p => p with { Phone = "+420777000111" }, Consents.Sms);
        var request = Send(customer, ChannelNames.Sms);

        var result = await RunAsync(() => host.Activities.SendMessageAsync(request));
        var again = await RunAsync(() => host.Activities.SendMessageAsync(request));
        var row = await host.Messages.FindAsync(request.IdempotencyKey);

        Assert.Equal((SendResult.SkippedStatus, Reasons.NoConsent), (result.Status, result.Reason));
        Assert.Equal(result, again);
        Assert.Equal(("skipped", Reasons.NoConsent), (row!.Status, row.Reason));
        Assert.Single(peer.Requests);
        Assert.False((await host.Customers.FindAsync(customer))!.HasConsent(Consents.Sms));
        Assert.True((await host.Customers.FindAsync(customer))!.HasConsent(Consents.Email));
        Assert.False((await host.Customers.FindAsync(sameNumber))!.HasConsent(Consents.Sms));
        Assert.True((await host.Customers.FindAsync(otherNumber))!.HasConsent(Consents.Sms));
        Assert.True((await host.Customers.FindAsync(customer))!.PhoneValid);
        await using var connection = db.DataSource.CreateConnection();
        var history = await connection.QueryAsync<(string Customer, bool Granted, string Source)>(
            "SELECT customer_id, granted, source FROM consent_history WHERE category = 'sms' AND customer_id = ANY(@ids) AND NOT granted",
            new { ids = new[] { customer, sameNumber } });
        Assert.Equal([(customer, false, "twilio"), (sameNumber, false, "twilio")], history.OrderBy(h => h.Customer == customer ? 0 : 1));
    }

    [Fact]
    public async Task SendMessageAsync_CancelledRightAfterTheProviderAccepted_RowIsCommittedSentAndNotSentAgain()
    {
        var environment = new ActivityEnvironment();
        var sender = new CancelOnAcceptSender(ChannelNames.Email, () => environment.Cancel());
        using var host = new ActivitiesHost(db.ConnectionString, sender);
        var request = Send(await host.CustomerAsync(Consents.Email), ChannelNames.Email);

        try
        {
            await environment.RunAsync(() => host.Activities.SendMessageAsync(request));
        }
        catch (OperationCanceledException)
        {
            // What the attempt does after the row is committed does not matter here.
        }

        var row = await host.Messages.FindAsync(request.IdempotencyKey);
        var retry = await RunAsync(() => host.Activities.SendMessageAsync(request));

        Assert.Equal(("sent", "accepted-1"), (row!.Status, row.ProviderMessageId));
        Assert.Equal(1, sender.Accepted);
        Assert.True(retry.Sent);
    }

    [Fact]
    public async Task SendMessageAsync_ProviderAnswerUnreadable_FailsWithoutRetryAndWithoutTheText()
    {
        var sender = new ThrowingSender(ChannelNames.Email, new JsonException("'a' is an invalid start of a value: ana@example.com"));
        using var host = new ActivitiesHost(db.ConnectionString, sender);
        var request = Send(await host.CustomerAsync(Consents.Email), ChannelNames.Email);

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => RunAsync(() => host.Activities.SendMessageAsync(request)));
        var row = await host.Messages.FindAsync(request.IdempotencyKey);

        Assert.Equal((PermanentFailure.MalformedData, true), (failure.ErrorType, failure.NonRetryable));
        Assert.DoesNotContain("ana@example.com", failure.ToString(), StringComparison.Ordinal);
        Assert.Equal(("failed", nameof(JsonException)), (row!.Status, row.Reason));
    }

    [Fact]
    public async Task SendMessageAsync_CartTextPostgresCannotStore_FailsWithoutRetryBeforeAnySend()
    {
        var email = new CountingSender(ChannelNames.Email);
        using var host = new ActivitiesHost(db.ConnectionString, email);
        var request = Send(await host.CustomerAsync(Consents.Email), ChannelNames.Email) with
        {
            Items = [new CartItem { Sku = "A1", Name = "Lip\u0000stick", Price = 19.9m, Quantity = 1 }],
        };

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => RunAsync(() => host.Activities.SendMessageAsync(request)));

        Assert.Equal((PermanentFailure.DataRejected, true), (failure.ErrorType, failure.NonRetryable));
        Assert.DoesNotContain("Lip", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, email.Attempts);
    }

    [Fact]
    public async Task SendMessageAsync_WebPushEndpointNotAtAPushService_RecordsASkipWithoutAnyRequest()
    {
        using var vapidKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var options = Options.Create(new WebPushOptions
        {
            Subject = "mailto:ops@shop.example",
            PublicKey = Base64Url.EncodeToString(WebPushEncryption.PublicBytes(vapidKey)),
            PrivateKey = Base64Url.EncodeToString(vapidKey.ExportParameters(true).D),
        });
        using var vapid = new VapidSigner(options);
        var endpoint = "https://internal.shop.example/admin";
        using var host = new ActivitiesHost(db.ConnectionString, new WebPushSender(http, options, vapid, Options.Create(new WebPushEndpointOptions())));
        var customer = await host.CustomerAsync(p => p with { WebPush = new WebPushSubscription(endpoint, "p256dh-key", "auth-key") }, Consents.Push);
        var request = Send(customer, ChannelNames.WebPush);

        var result = await RunAsync(() => host.Activities.SendMessageAsync(request));
        var row = await host.Messages.FindAsync(request.IdempotencyKey);

        Assert.Equal((SendResult.SkippedStatus, Reasons.EndpointNotAllowed), (result.Status, result.Reason));
        Assert.Equal(("skipped", Reasons.EndpointNotAllowed), (row!.Status, row.Reason));
        Assert.Empty(peer.Requests);
    }

    private TwilioSmsSender Twilio() => new(http, Options.Create(new TwilioOptions
    {
        AccountSid = "AC0123456789abcdef0123456789abcdef",
        AuthToken = "auth-token",
        From = "+15005550001",
        BaseUrl = peer.BaseUri.ToString(),
    }));

    /// <summary>The provider takes the message, and the activity is cancelled before it returns.</summary>
    private sealed class CancelOnAcceptSender(string channel, Action cancel) : IChannelSender
    {
        private int accepted;

        public string Channel => channel;

        public string Provider => "accepting";

        public int Accepted => accepted;

        public Task<ProviderReceipt> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            var id = Interlocked.Increment(ref accepted);
            cancel();
            return Task.FromResult(new ProviderReceipt(Provider, $"accepted-{id}"));
        }
    }

    private sealed class ThrowingSender(string channel, Exception exception) : IChannelSender
    {
        public string Channel => channel;

        public string Provider => "throwing";

        public Task<ProviderReceipt> SendAsync(OutboundMessage message, CancellationToken cancellationToken) => throw exception;
    }
}
