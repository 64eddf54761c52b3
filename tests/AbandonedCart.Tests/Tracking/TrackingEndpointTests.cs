using System.Buffers.Text;
using System.Net;
using System.Text;
using AbandonedCart.Activities.Tracking;
using AbandonedCart.Tests.Api;
using AbandonedCart.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Tests.Tracking;

using ChannelNames = AbandonedCart.Workflows.Channels;

public sealed class TrackingEndpointTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    private const string Cart = "https://shop.example.com/cart?ref=abc";
    private readonly EngagementApi api = new(db);

    [Fact]
    public async Task Click_SignedToken_Redirects302StoresClickAndSignalsWithMessageKey()
    {
        var (customer, messageId, key) = await api.SentMessageAsync();
        var url = api.Tokens.Url(Click(customer, messageId, key, Cart));

        using var response = await api.Client.GetAsync(new Uri(url).PathAndQuery);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(Cart, response.Headers.Location!.ToString());
        Assert.Equal(("clicked", messageId, "tracking"), ToTriple(Assert.Single(await api.EngagementsAsync(customer))));
        var signal = Assert.Single(await api.DeliveredSignalsAsync(customer, 1));
        Assert.Equal(($"abandoned-cart:{customer}", ChannelNames.Email, "clicked", key), (signal.WorkflowId, signal.Engagement.Channel, signal.Engagement.Action, signal.Engagement.MessageKey));
    }

    [Fact]
    public async Task Click_TargetSwappedUnderTheOriginalSignature_Returns404AndStoresNothing()
    {
        var (customer, messageId, key) = await api.SentMessageAsync();
        var signature = api.Tokens.Sign(Click(customer, messageId, key, Cart)).Split('.')[1];
        var swapped = api.Tokens.Sign(Click(customer, messageId, key, "https://evil.example.net/")).Split('.')[0];

        using var response = await api.Client.GetAsync($"/t/c/{swapped}.{signature}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Empty(await api.EngagementsAsync(customer));
        Assert.Empty(api.Signals.Engagements);
    }

    [Fact]
    public async Task Click_SignedWithAnotherSecret_Returns404AndStoresNothing()
    {
        var (customer, messageId, key) = await api.SentMessageAsync();
        var forger = new TrackingTokens(Options.Create(new TrackingOptions { SigningSecret = new string('x', 40), BaseUrl = "https://cart.example.com" }));

        using var response = await api.Client.GetAsync(new Uri(forger.Url(Click(customer, messageId, key, Cart))).PathAndQuery);
        using var garbage = await api.Client.GetAsync($"/t/c/{Base64Url.EncodeToString(Encoding.UTF8.GetBytes("{}"))}.AAAA");

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (response.StatusCode, garbage.StatusCode));
        Assert.Empty(await api.EngagementsAsync(customer));
        Assert.Empty(api.Signals.Engagements);
    }

    [Fact]
    public async Task Open_SignedPixel_ReturnsUncachedGifStoresOpenAndSignals()
    {
        var (customer, messageId, key) = await api.SentMessageAsync();
        var url = api.Tokens.Url(Click(customer, messageId, key, null) with { Kind = TrackingToken.Open });

        using var response = await api.Client.GetAsync(new Uri(url).PathAndQuery);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/gif", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("GIF89a", Encoding.ASCII.GetString(body, 0, 6));
        Assert.True(response.Headers.CacheControl!.NoStore);
        Assert.Equal(("opened", messageId, "tracking"), ToTriple(Assert.Single(await api.EngagementsAsync(customer))));
        var signal = Assert.Single(await api.DeliveredSignalsAsync(customer, 1));
        Assert.Equal(("opened", key), (signal.Engagement.Action, signal.Engagement.MessageKey));
    }

    [Fact]
    public async Task Click_TemporalUnreachable_RedirectsKeepsPendingSignalAndDeliversItOnceWhenBack()
    {
        var (customer, messageId, key) = await api.SentMessageAsync();
        api.Signals.Unreachable[customer] = true;

        using var response = await api.Client.GetAsync(new Uri(api.Tokens.Url(Click(customer, messageId, key, Cart))).PathAndQuery);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(Cart, response.Headers.Location!.ToString());
        Assert.Equal(("clicked", messageId, "tracking"), ToTriple(Assert.Single(await api.EngagementsAsync(customer))));
        await Eventually.HoldsAsync(async () => (await api.SignalRowsAsync(customer)) is [{ Attempts: >= 2 }]);
        var pending = Assert.Single(await api.SignalRowsAsync(customer));
        Assert.Equal(("pending", "RpcException Unavailable"), (pending.Status, pending.Error));
        Assert.StartsWith("engagement:", pending.Key, StringComparison.Ordinal);
        Assert.Empty(api.Signals.Engagements);

        api.Signals.Unreachable.TryRemove(customer, out _);

        var signal = Assert.Single(await api.DeliveredSignalsAsync(customer, 1));
        Assert.Equal(("clicked", key), (signal.Engagement.Action, signal.Engagement.MessageKey));
        await Eventually.HoldsAsync(async () => (await api.SignalRowsAsync(customer)) is [{ Status: "delivered" }]);
        await Task.Delay(300); // several relay passes: nothing is delivered again
        Assert.Single(api.Signals.Engagements);
    }

    [Fact]
    public async Task Open_TemporalDown_AnswersPixelAndDeliversSignalWhenBack()
    {
        var (customer, messageId, key) = await api.SentMessageAsync();
        api.Signals.Outage = true;

        using var response = await api.Client.GetAsync(new Uri(api.Tokens.Url(Click(customer, messageId, key, null) with { Kind = TrackingToken.Open })).PathAndQuery);

        Assert.Equal((HttpStatusCode.OK, "image/gif"), (response.StatusCode, response.Content.Headers.ContentType!.MediaType));
        await Eventually.HoldsAsync(async () => (await api.SignalRowsAsync(customer)) is [{ Status: "pending", Attempts: >= 1 }]);
        Assert.Empty(api.Signals.Engagements);

        api.Signals.Outage = false;

        Assert.Equal("opened", Assert.Single(await api.DeliveredSignalsAsync(customer, 1)).Engagement.Action);
    }

    [Fact]
    public async Task Click_Twice_TwoEngagementsEachSignalledOnce()
    {
        var (customer, messageId, key) = await api.SentMessageAsync();
        var path = new Uri(api.Tokens.Url(Click(customer, messageId, key, Cart))).PathAndQuery;

        using var first = await api.Client.GetAsync(path);
        using var second = await api.Client.GetAsync(path);

        Assert.Equal((HttpStatusCode.Redirect, HttpStatusCode.Redirect), (first.StatusCode, second.StatusCode));
        Assert.Equal(2, (await api.DeliveredSignalsAsync(customer, 2)).Count);
        Assert.Equal(2, (await api.SignalRowsAsync(customer)).Select(r => r.Key).Distinct().Count());
    }

    [Fact]
    public async Task Open_ClickTokenUsedAsPixel_Returns404()
    {
        var (customer, messageId, key) = await api.SentMessageAsync();
        var token = api.Tokens.Sign(Click(customer, messageId, key, Cart));

        using var response = await api.Client.GetAsync($"/t/o/{token}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(await api.EngagementsAsync(customer));
    }

    public void Dispose() => api.Dispose();

    private static TrackingToken Click(string customer, long messageId, string key, string? target) => new()
    {
        Kind = TrackingToken.Click, MessageId = messageId, IdempotencyKey = key, CustomerId = customer, Channel = ChannelNames.Email, Target = target,
    };

    private static (string, long?, string) ToTriple((string Kind, long? MessageId, string Source, string? ProviderEventId) row) => (row.Kind, row.MessageId, row.Source);
}
