using System.Collections.Concurrent;
using System.Text;
using AbandonedCart.Api.Events;
using AbandonedCart.Api.Security;
using AbandonedCart.Api.Signals;
using AbandonedCart.Workflows;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Temporalio.Exceptions;

namespace AbandonedCart.Tests.Api;

/// <summary>
/// The real Api over a test database, with journey signals and runs recorded instead of sent to Temporal, the relay
/// retrying within milliseconds, and known secrets.
/// </summary>
internal sealed class ApiFactory(string connectionString, RecordingSignals signals, RecordingRuns? runs = null, TimeProvider? clock = null)
    : WebApplicationFactory<EventInbox>
{
    public const string SigningSecret = "test-signing-secret";
    public const string ShopifySecret = "test-shopify-secret";
    public const string AdminKey = "test-admin-key";

    public RecordingSignals Signals { get; } = signals;

    public RecordingRuns Runs { get; } = runs ?? new RecordingRuns();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Postgres", connectionString);
        builder.UseSetting("Webhooks:SigningSecret", SigningSecret);
        builder.UseSetting("Shopify:WebhookSecret", ShopifySecret);
        builder.UseSetting("Admin:ApiKey", AdminKey);
        builder.UseSetting("Inbox:PollInterval", "00:00:00.050");
        builder.UseSetting("Inbox:RetryBase", "00:00:00.020");
        builder.UseSetting("Inbox:RetryMax", "00:00:00.200");

        // Nothing listens here, so the readiness check sees Temporal down at once.
        builder.UseSetting("Temporal:Address", "127.0.0.1:1");
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IJourneySignals>();
            services.AddSingleton<IJourneySignals>(Signals);
            services.RemoveAll<IJourneyRuns>();
            services.AddSingleton<IJourneyRuns>(Runs);
            if (clock is not null)
            {
                services.RemoveAll<TimeProvider>();
                services.AddSingleton(clock);
            }
        });
    }

    /// <summary>A client that sends the admin key.</summary>
    public HttpClient CreateAdminClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", AdminKey);
        return client;
    }

    /// <summary>A <c>POST /v1/events</c> signed as a storefront would sign it, at <paramref name="at"/> (now by default).</summary>
    public static HttpRequestMessage SignedEvent(string body, DateTimeOffset? at = null, string secret = SigningSecret, string contentType = "application/json")
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new(contentType);
        request.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(secret, (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds(), bytes));
        return request;
    }
}

/// <summary>
/// Records every signal with the event it carries. <see cref="Outage"/> fails every call as Temporal does when it is
/// down (gRPC Unavailable); customers in <see cref="Unreachable"/> fail alone; <see cref="Rejected"/> fail permanently.
/// </summary>
internal sealed class RecordingSignals : IJourneySignals
{
    public ConcurrentQueue<CartSignal> Carts { get; } = new();

    public ConcurrentQueue<PurchaseSignal> Purchases { get; } = new();

    /// <summary>Event ids in delivery order, with their customer.</summary>
    public ConcurrentQueue<(string CustomerId, string EventId)> Delivered { get; } = new();

    public ConcurrentDictionary<string, bool> Unreachable { get; } = new();

    public ConcurrentQueue<EngagementSignal> Engagements { get; } = new();

    public ConcurrentDictionary<string, bool> Rejected { get; } = new();

    public volatile bool Outage;

    public Task SignalWithStartAsync(CartSignal signal, CancellationToken cancellationToken)
    {
        Check(signal.Input.CustomerId, signal.Update.EventId);
        Carts.Enqueue(signal);
        Delivered.Enqueue((signal.Input.CustomerId, signal.Update.EventId));
        return Task.CompletedTask;
    }

    public Task<bool> SignalAsync(PurchaseSignal signal, CancellationToken cancellationToken)
    {
        var customerId = signal.WorkflowId["abandoned-cart:".Length..];
        Check(customerId, signal.Purchase.EventId);
        Purchases.Enqueue(signal);
        Delivered.Enqueue((customerId, signal.Purchase.EventId));
        return Task.FromResult(Carts.Any(c => c.WorkflowId == signal.WorkflowId));
    }

    public Task<bool> EngagedAsync(EngagementSignal signal, CancellationToken cancellationToken)
    {
        Check(signal.WorkflowId["abandoned-cart:".Length..], signal.Engagement.MessageKey ?? string.Empty);
        Engagements.Enqueue(signal);
        return Task.FromResult(true);
    }

    private void Check(string customerId, string eventId)
    {
        if (Outage || Unreachable.ContainsKey(customerId))
        {
            throw new RpcException(RpcException.StatusCode.Unavailable, "Temporal unreachable", null);
        }

        if (Rejected.ContainsKey(eventId))
        {
            throw new RpcException(RpcException.StatusCode.InvalidArgument, "bad signal", null);
        }
    }
}

/// <summary>Journey runs as Temporal would answer them: a status per customer, and the customers whose journey was ended.</summary>
internal sealed class RecordingRuns : IJourneyRuns
{
    public ConcurrentDictionary<string, AbandonedCartWorkflow.JourneyStatus> Statuses { get; } = new();

    public ConcurrentQueue<(string CustomerId, string Reason)> Ended { get; } = new();

    public volatile bool Outage;

    public Task<AbandonedCartWorkflow.JourneyStatus?> StatusAsync(string customerId, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        return Task.FromResult(Statuses.TryGetValue(customerId, out var status) ? status : null);
    }

    public Task<bool> EndAsync(string customerId, string reason, CancellationToken cancellationToken)
    {
        ThrowIfDown();
        Ended.Enqueue((customerId, reason));
        return Task.FromResult(Statuses.TryRemove(customerId, out _));
    }

    private void ThrowIfDown()
    {
        if (Outage)
        {
            throw new RpcException(RpcException.StatusCode.Unavailable, "Temporal unreachable", null);
        }
    }
}

/// <summary>Waits for something the relay does in the background.</summary>
internal static class Eventually
{
    public static async Task HoldsAsync(Func<Task<bool>> condition, int timeoutMs = 15_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold in time.");
            await Task.Delay(25);
        }
    }
}

/// <summary>A clock the test sets.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
