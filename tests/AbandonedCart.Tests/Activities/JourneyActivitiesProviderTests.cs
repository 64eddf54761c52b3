using System.Collections.Concurrent;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Tracking;
using AbandonedCart.Tests.Channels;
using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Workflows;
using Dapper;
using Microsoft.Extensions.Options;
using Temporalio.Exceptions;
using static AbandonedCart.Tests.Activities.ActivitiesHost;

namespace AbandonedCart.Tests.Activities;

using ChannelNames = AbandonedCart.Workflows.Channels;

/// <summary>SendMessageAsync with real provider senders: dead addresses and crashes around the provider call.</summary>
public sealed class JourneyActivitiesProviderTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private const int Retries = 1_000;
    private LoopbackPeer peer = null!;

    public async Task InitializeAsync() => peer = await LineLikePeerAsync();

    public async Task DisposeAsync() => await peer.DisposeAsync();

    [Fact]
    public async Task SendMessageAsync_FcmTokenInvalid_RemovesTokenFailsRowAndSkipsChannelNextTime()
    {
        var push = new RejectingSender(ChannelNames.MobilePush, ProviderErrors.Rejected("fcm", "HTTP 404 UNREGISTERED", ProviderErrors.TokenInvalid, "fcm_token"));
        using var host = new ActivitiesHost(db.ConnectionString, push);
        var customer = await host.CustomerAsync(Consents.Push);
        var request = Send(customer, ChannelNames.MobilePush);

        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(() => RunAsync(() => host.Activities.SendMessageAsync(request)));
        var row = await host.Messages.FindAsync(request.IdempotencyKey);
        var profile = await host.Customers.FindAsync(customer);
        var next = await RunAsync(() => host.Activities.SendMessageAsync(Send(customer, ChannelNames.MobilePush)));

        Assert.Equal((ProviderErrors.TokenInvalid, true), (failure.ErrorType, failure.NonRetryable));
        Assert.Equal(("failed", ProviderErrors.TokenInvalid), (row!.Status, row.Reason));
        Assert.Null(profile!.FcmToken);
        Assert.Equal("fcm-token-123456", Assert.Single(push.Tokens));
        Assert.Equal(("skipped", Reasons.NoAddress), (next.Status, next.Reason));
    }

    [Fact]
    public async Task SendMessageAsync_InvalidEmailAddress_MarksEmailInvalidAndKeepsTheAddress()
    {
        var email = new RejectingSender(ChannelNames.Email, ProviderErrors.Rejected("sendgrid", "HTTP 400", ProviderErrors.InvalidAddress, "email"));
        using var host = new ActivitiesHost(db.ConnectionString, email);
        var customer = await host.CustomerAsync(Consents.Email);

        await Assert.ThrowsAsync<ApplicationFailureException>(() => RunAsync(() => host.Activities.SendMessageAsync(Send(customer, ChannelNames.Email))));
        var profile = await host.Customers.FindAsync(customer);

        Assert.Equal((false, "ana@example.com"), (profile!.EmailValid, profile.Email));
    }

    [Fact]
    public async Task SendMessageAsync_TrackingConfigured_EmailCarriesSignedClickToCartAndOpenPixel()
    {
        var email = new CapturingSender(ChannelNames.Email);
        var settings = new Dictionary<string, string?>
        {
            ["Tracking:SigningSecret"] = new string('s', 32), ["Tracking:BaseUrl"] = "https://cart.example.com/", ["Tracking:CartUrl"] = "https://shop.example.com/cart",
        };
        using var host = new ActivitiesHost(db.ConnectionString, settings, email);
        var customer = await host.CustomerAsync(Consents.Email);
        var request = Send(customer, ChannelNames.Email);

        var result = await RunAsync(() => host.Activities.SendMessageAsync(request));

        var sent = Assert.Single(email.Messages);
        var tokens = new TrackingTokens(Options.Create(new TrackingOptions { SigningSecret = new string('s', 32), BaseUrl = "https://cart.example.com" }));
        Assert.StartsWith("https://cart.example.com/t/c/", sent.ClickUrl, StringComparison.Ordinal);
        Assert.StartsWith("https://cart.example.com/t/o/", sent.OpenPixelUrl, StringComparison.Ordinal);
        var click = tokens.Verify(sent.ClickUrl!.Split('/')[^1], TrackingToken.Click);
        var open = tokens.Verify(sent.OpenPixelUrl!.Split('/')[^1], TrackingToken.Open);
        Assert.Equal((result.MessageId!.Value, request.IdempotencyKey, customer, ChannelNames.Email, "https://shop.example.com/cart"), (click!.MessageId, click.IdempotencyKey, click.CustomerId, click.Channel, click.Target));
        Assert.Equal((result.MessageId.Value, (string?)null), (open!.MessageId, open.Target));
    }

    [Fact]
    public async Task SendMessageAsync_TrackingNotConfigured_SendsWithoutTrackingLinks()
    {
        var email = new CapturingSender(ChannelNames.Email);
        using var host = new ActivitiesHost(db.ConnectionString, email);
        var request = Send(await host.CustomerAsync(Consents.Email), ChannelNames.Email);

        await RunAsync(() => host.Activities.SendMessageAsync(request));

        var sent = Assert.Single(email.Messages);
        Assert.Equal((null, null), (sent.ClickUrl, sent.OpenPixelUrl));
    }

    [Fact]
    public async Task SendMessageAsync_CrashAfterLineAcceptedThenRetried1000Times_LineDeliversOnce()
    {
        // The crash hits after LINE answered 200 and before the row is marked sent: the attempt's failure releases
        // the key, so the next attempt calls LINE again, with the same X-Line-Retry-Key.
        var line = new CrashAfterSendSender(LineSender(), crashes: 1);
        using var host = new ActivitiesHost(db.ConnectionString, line);
        var request = Send(await host.CustomerAsync(Consents.Line), ChannelNames.Line);

        await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync(() => host.Activities.SendMessageAsync(request)));
        var results = new List<SendResult>();
        for (var i = 0; i < Retries; i++)
        {
            results.Add(await RunAsync(() => host.Activities.SendMessageAsync(request)));
        }

        var row = await host.Messages.FindAsync(request.IdempotencyKey);
        Assert.Equal(1, Accepted(peer));
        Assert.Equal(2, peer.Requests.Count);
        Assert.Single(peer.Requests.Select(r => r.Header("X-Line-Retry-Key")).Distinct());
        Assert.All(results, r => Assert.Equal(results[0], r));
        Assert.Equal(("sent", "line", "line-request-1"), (row!.Status, row.Provider, row.ProviderMessageId));
    }

    [Fact]
    public async Task SendMessageAsync_WorkerDiedAfterLineAcceptedThenRetried1000Times_LineDeliversOnce()
    {
        // A worker that dies outright leaves the row pending: retries wait out the lease without calling LINE, then
        // one attempt takes the row over and repeats the call with the same X-Line-Retry-Key, which LINE answers 409.
        var sender = LineSender();
        using var host = new ActivitiesHost(db.ConnectionString, sender);
        var customerId = await host.CustomerAsync(Consents.Line);
        var request = Send(customerId, ChannelNames.Line);
        var head = new AbandonedCart.Activities.Storage.MessageHead
        {
            IdempotencyKey = request.IdempotencyKey, CustomerId = customerId, Journey = request.Journey, Channel = request.Channel, Step = request.Step,
        };
        var id = await host.Messages.ClaimAsync(head, null, AbandonedCart.Activities.JourneyActivities.SendLease);
        var customer = await host.Customers.FindAsync(customerId);
        await sender.SendAsync(ProviderTest.Message(customer, ChannelNames.Line) with { MessageId = id!.Value, IdempotencyKey = request.IdempotencyKey }, CancellationToken.None);

        var inProgress = 0;
        for (var i = 0; i < Retries; i++)
        {
            if (i == Retries / 2)
            {
                await using var connection = await db.DataSource.OpenConnectionAsync();
                await connection.ExecuteAsync("UPDATE messages SET updated_at = now() - interval '6 minutes' WHERE id = @id", new { id });
            }

            try
            {
                await RunAsync(() => host.Activities.SendMessageAsync(request));
            }
            catch (ApplicationFailureException e) when (e.ErrorType == "SendInProgress")
            {
                inProgress++;
            }
        }

        Assert.Equal(Retries / 2, inProgress);
        Assert.Equal(1, Accepted(peer));
        Assert.Equal(2, peer.Requests.Count);
        Assert.Equal("sent", (await host.Messages.FindAsync(request.IdempotencyKey))!.Status);
    }

    /// <summary>How many messages the peer accepted: one per X-Line-Retry-Key, as LINE documents.</summary>
    private static int Accepted(LoopbackPeer peer) => peer.Requests.Select(r => r.Header("X-Line-Retry-Key")).Distinct().Count();

    /// <summary>Answers like LINE: 200 for a new retry key, 409 with the accepted request id for a repeated one.</summary>
    private static async Task<LoopbackPeer> LineLikePeerAsync()
    {
        var peer = await LoopbackPeer.StartAsync();
        var accepted = new ConcurrentDictionary<string, string>();
        peer.Respond = request =>
        {
            var key = request.Header("X-Line-Retry-Key") ?? string.Empty;
            var first = $"line-request-{accepted.Count + 1}";
            return accepted.TryAdd(key, first)
                ? new PeerResponse(200, "{}", new Dictionary<string, string> { ["x-line-request-id"] = first })
                : new PeerResponse(409, """{"message":"The retry key is already accepted"}""", new Dictionary<string, string> { ["x-line-accepted-request-id"] = accepted[key] });
        };
        return peer;
    }

    private LinePushSender LineSender() =>
        new(new HttpClient(), Options.Create(new LineOptions { ChannelAccessToken = "line-token", BaseUrl = peer.BaseUri.ToString() }));

    /// <summary>Sends through the real sender, then fails as a worker would that crashed before recording the answer.</summary>
    private sealed class CrashAfterSendSender(IChannelSender inner, int crashes) : IChannelSender
    {
        private int remaining = crashes;

        public string Channel => inner.Channel;

        public string Provider => inner.Provider;

        public async Task<ProviderReceipt> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            var receipt = await inner.SendAsync(message, cancellationToken);
            return Interlocked.Decrement(ref remaining) >= 0 ? throw new InvalidOperationException("crashed after the provider answered") : receipt;
        }
    }

    /// <summary>A provider that accepts everything and keeps what it was handed.</summary>
    private sealed class CapturingSender(string channel) : IChannelSender
    {
        public string Channel => channel;

        public string Provider => "capturing";

        public ConcurrentQueue<OutboundMessage> Messages { get; } = new();

        public Task<ProviderReceipt> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            Messages.Enqueue(message);
            return Task.FromResult(new ProviderReceipt(Provider, $"captured-{Messages.Count}"));
        }
    }

    /// <summary>A provider that refuses every message with <paramref name="failure"/>, recording the token it was given.</summary>
    private sealed class RejectingSender(string channel, ApplicationFailureException failure) : IChannelSender
    {
        public string Channel => channel;

        public string Provider => "rejecting";

        public ConcurrentQueue<string?> Tokens { get; } = new();

        public Task<ProviderReceipt> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
        {
            Tokens.Enqueue(message.Customer.FcmToken);
            throw failure;
        }
    }
}
