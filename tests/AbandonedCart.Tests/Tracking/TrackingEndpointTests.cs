using System.Buffers.Text;
using System.Net;
using System.Text;
using AbandonedCart.Activities.Tracking;
using AbandonedCart.Tests.Api;
using AbandonedCart.Tests.Infrastructure;
using Dapper;
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
        Assert.Equal($"tracking:clicked:{messageId}", pending.Key);
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
    public async Task Click_RepeatedAndReplayed_RedirectsEveryTimeButCountsOnce()
    {
        var (customer, messageId, key) = await api.SentMessageAsync();
        var path = new Uri(api.Tokens.Url(Click(customer, messageId, key, Cart))).PathAndQuery;

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var response = await api.Client.GetAsync(path);
            answers.Add(response.StatusCode);
        }

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Redirect, a));
        Assert.Equal(("clicked", messageId, "tracking"), ToTriple(Assert.Single(await api.EngagementsAsync(customer))));
        Assert.Single(await api.DeliveredSignalsAsync(customer, 1));
        await Task.Delay(300); // several relay passes: nothing more is delivered
        Assert.Single(await api.SignalRowsAsync(customer));
        Assert.Single(api.Signals.Engagements, s => s.WorkflowId == $"abandoned-cart:{customer}");
    }

    [Fact]
    public async Task OpenAndClick_EachRepeated_OneEngagementPerKind()
    {
        var (customer, messageId, key) = await api.SentMessageAsync();
        var click = new Uri(api.Tokens.Url(Click(customer, messageId, key, Cart))).PathAndQuery;
        var open = new Uri(api.Tokens.Url(Click(customer, messageId, key, null) with { Kind = TrackingToken.Open })).PathAndQuery;

        foreach (var path in new[] { open, click, open, click })
        {
            using var response = await api.Client.GetAsync(path);
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Redirect, $"{path}: {response.StatusCode}");
        }

        Assert.Equal(["clicked", "opened"], (await api.EngagementsAsync(customer)).Select(e => e.Kind).Order());
        Assert.Equal(2, (await api.DeliveredSignalsAsync(customer, 2)).Count);
    }

    [Fact]
    public async Task Click_ExpiredToken_Returns410AndCountsNothing()
    {
        var (customer, messageId, key) = await api.SentMessageAsync();
        var expired = Click(customer, messageId, key, Cart) with { Expires = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds() };

        using var click = await api.Client.GetAsync($"/t/c/{api.Tokens.Sign(expired)}");
        using var open = await api.Client.GetAsync($"/t/o/{api.Tokens.Sign(expired with { Kind = TrackingToken.Open, Target = null })}");

        Assert.Equal((HttpStatusCode.Gone, HttpStatusCode.Gone), (click.StatusCode, open.StatusCode));
        Assert.Equal("application/problem+json", click.Content.Headers.ContentType!.MediaType);
        Assert.Null(click.Headers.Location);
        Assert.Empty(await api.EngagementsAsync(customer));
    }

    [Fact]
    public void Url_NewLink_ExpiresAfterTheTokenLifetime()
    {
        var before = DateTimeOffset.UtcNow.AddDays(60).ToUnixTimeSeconds();

        var token = api.Tokens.Verify(new Uri(api.Tokens.Url(Click("c", 1, "k", Cart))).Segments[^1], TrackingToken.Click)!;

        Assert.InRange(token.Expires!.Value, before, DateTimeOffset.UtcNow.AddDays(60).ToUnixTimeSeconds());
    }

    [Fact]
    public async Task Click_TokenWithoutExpiry_CountsWhileItsMessageIsYoungerThanTheLifetime()
    {
        var (customer, messageId, key) = await api.SentMessageAsync();
        var legacy = api.Tokens.Sign(Click(customer, messageId, key, Cart));

        using var response = await api.Client.GetAsync($"/t/c/{legacy}");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Single(await api.EngagementsAsync(customer));
    }

    [Fact]
    public async Task Click_TokenWithoutExpiry_MessageSentBeforeTheLifetime_Returns410()
    {
        var (customer, messageId, key) = await api.SentMessageAsync();
        await using (var connection = await db.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("UPDATE messages SET sent_at = now() - interval '61 days' WHERE id = @messageId", new { messageId });
        }

        using var response = await api.Client.GetAsync($"/t/c/{api.Tokens.Sign(Click(customer, messageId, key, Cart))}");

        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
        Assert.Empty(await api.EngagementsAsync(customer));
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
