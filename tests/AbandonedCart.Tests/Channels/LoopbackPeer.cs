using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Workflows;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Temporalio.Exceptions;
using ChannelNames = AbandonedCart.Workflows.Channels;

namespace AbandonedCart.Tests.Channels;

/// <summary>A provider stand-in on 127.0.0.1: records every request and answers with <see cref="Respond"/>.</summary>
public sealed class LoopbackPeer : IAsyncDisposable
{
    private readonly ConcurrentQueue<PeerRequest> requests = new();
    private WebApplication? app;

    public Func<PeerRequest, PeerResponse> Respond { get; set; } = _ => new PeerResponse(200, "{}");

    public Uri BaseUri { get; private set; } = null!;

    public IReadOnlyList<PeerRequest> Requests => requests.ToArray();

    public PeerRequest Single(string path) => Assert.Single(Requests, r => r.Path == path);

    /// <summary>Starts on a free loopback port; HTTP/2 cleartext when <paramref name="protocols"/> says so (APNs).</summary>
    public static async Task<LoopbackPeer> StartAsync(HttpProtocols protocols = HttpProtocols.Http1)
    {
        var peer = new LoopbackPeer();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = protocols));
        var app = builder.Build();
        app.Run(peer.HandleAsync);
        await app.StartAsync();
        peer.app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        peer.BaseUri = new Uri(address.TrimEnd('/') + "/");
        return peer;
    }

    /// <summary>Answers with <paramref name="responses"/> in turn, repeating the last.</summary>
    public void Sequence(params PeerResponse[] responses)
    {
        var next = 0;
        Respond = _ => responses[Math.Min(Interlocked.Increment(ref next) - 1, responses.Length - 1)];
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            await app.DisposeAsync();
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var request = new PeerRequest(
            context.Request.Method,
            context.Request.Path.Value ?? string.Empty,
            context.Request.QueryString.Value ?? string.Empty,
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            buffer.ToArray(),
            context.Request.Protocol);
        requests.Enqueue(request);
        var response = Respond(request);
        if (response.Delay > TimeSpan.Zero)
        {
            await Task.Delay(response.Delay, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        context.Response.StatusCode = response.Status;
        foreach (var (name, value) in response.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        if (response.Body is not null)
        {
            context.Response.ContentType = response.ContentType;
            await context.Response.WriteAsync(response.Body);
        }
    }
}

public sealed record PeerRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, byte[] Body, string Protocol)
{
    public string Text => Encoding.UTF8.GetString(Body);

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public Dictionary<string, string> Form => QueryHelpers.ParseQuery(Text).ToDictionary(p => p.Key, p => p.Value.ToString());

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

public sealed record PeerResponse(int Status, string? Body = null, IReadOnlyDictionary<string, string>? Headers = null, string ContentType = "application/json")
{
    /// <summary>How long the peer waits before answering (timeouts).</summary>
    public TimeSpan Delay { get; init; }
}

/// <summary>Shared fixtures and assertions for provider contract tests.</summary>
public static class ProviderTest
{
    public static CustomerProfile Customer(Func<CustomerProfile, CustomerProfile>? with = null)
    {
        var customer = new CustomerProfile
        {
            Id = "cust-42",
            Email = "Ana.Silva@example.com",
            Phone = "+14155550123",
            LineUserId = "U4af4980629a0b4f5e0d1c1a7d2d0e0f0",
            Consents = new HashSet<string>(Consents.All),
        };
        return with is null ? customer : with(customer);
    }

    public static OutboundMessage Message(CustomerProfile? customer = null, string channel = ChannelNames.Email) => new()
    {
        MessageId = 9001,
        IdempotencyKey = "cust-42:abandoned-cart:run-1:step-1",
        Channel = channel,
        Journey = Journeys.AbandonedCart,
        Step = 1,
        Customer = customer ?? Customer(),
        Items =
        [
            new CartItem { Sku = "SHOE-1", Name = "Trail shoes", Price = 89.90m, Quantity = 1, ImageUrl = "https://shop.example/i/shoe.jpg", Url = "https://shop.example/p/shoe" },
            new CartItem { Sku = "SOCK-2", Name = "Wool socks", Price = 20m, Quantity = 2 },
        ],
        CartValue = 129.90m,
        Currency = "EUR",
        ClickUrl = "https://cart.example/t/c/abc.def",
        OpenPixelUrl = "https://cart.example/t/o/abc.def",
    };

    /// <summary>
    /// Asserts <paramref name="value"/> is the collapse tag of <see cref="Message"/>'s key: 32 characters of the URL-safe
    /// base64 alphabet (RFC 8030 Topic; within APNs' 64 bytes), derived from the key, so a retried send repeats it.
    /// </summary>
    public static void AssertCollapseId(string? value)
    {
        Assert.Matches("^[A-Za-z0-9_-]{32}$", value);
        Assert.Equal(MessageText.CollapseId(Message().IdempotencyKey), value);
        Assert.NotEqual(MessageText.CollapseId(Message().IdempotencyKey + ":step-2"), value);
    }

    /// <summary>Asserts a non-retryable failure of <paramref name="errorType"/>.</summary>
    public static async Task<ApplicationFailureException> RejectedAsync(string errorType, Func<Task> send)
    {
        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(send);
        Assert.Equal(errorType, failure.ErrorType);
        Assert.True(failure.NonRetryable);
        return failure;
    }

    /// <summary>Asserts a failure that Temporal's retry policy will retry.</summary>
    public static async Task<ApplicationFailureException> RetryableAsync(Func<Task> send)
    {
        var failure = await Assert.ThrowsAsync<ApplicationFailureException>(send);
        Assert.Equal(ProviderErrors.ProviderUnavailable, failure.ErrorType);
        Assert.False(failure.NonRetryable);
        return failure;
    }

    /// <summary>The common mapping, checked the same way for every provider: 429 and 500 retry, 400 does not.</summary>
    public static async Task AssertStatusMappingAsync(LoopbackPeer peer, Func<Task> send, string badRequestBody)
    {
        ArgumentNullException.ThrowIfNull(peer);
        peer.Respond = _ => new PeerResponse(429, "{}", new Dictionary<string, string> { ["Retry-After"] = "7" });
        var throttled = await RetryableAsync(send);
        Assert.Equal(TimeSpan.FromSeconds(7), throttled.NextRetryDelay);

        peer.Respond = _ => new PeerResponse(500, "{}");
        await RetryableAsync(send);

        peer.Respond = _ => new PeerResponse(400, badRequestBody);
        await RejectedAsync(ProviderErrors.ProviderRejected, send);
    }
}

/// <summary>A clock the test moves by hand (token lifetimes).</summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset now = start;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}
