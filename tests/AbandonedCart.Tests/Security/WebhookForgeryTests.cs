using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Api.Shopify;
using AbandonedCart.Tests.Api;
using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Workflows;

namespace AbandonedCart.Tests.Security;

using ChannelNames = AbandonedCart.Workflows.Channels;

/// <summary>
/// Every webhook forged (signature by another key, or a signed body altered), stale (a timestamp outside the scheme's
/// tolerance, where the scheme signs one) and replayed (the same delivery twice): forged and stale ones are refused
/// with 401 and change nothing; the second of a replayed pair is acknowledged and changes nothing either.
/// Shopify and Twilio sign no timestamp, so for them a replay is caught by their delivery ids instead.
/// </summary>
public sealed class WebhookForgeryTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    private readonly SecureApi api = new(db);

    // ---- POST /v1/events ----

    [Fact]
    public async Task Events_SignedWithAnotherSecret_Returns401AndChangesNothing() =>
        await AssertRefusedAsync(() => SecureApi.Event(EventBody("ev-forged"), DateTimeOffset.UtcNow, "not-the-secret"));

    [Fact]
    public async Task Events_SignedBodyAltered_Returns401AndChangesNothing()
    {
        var signed = SecureApi.Event(EventBody("ev-altered"), DateTimeOffset.UtcNow);
        await AssertRefusedAsync(() =>
        {
            var altered = SecureApi.Event(EventBody("ev-altered", revenue: 1), DateTimeOffset.UtcNow);
            altered.Headers.Remove(AbandonedCart.Api.Security.WebhookSignature.Header);
            altered.Headers.Add(AbandonedCart.Api.Security.WebhookSignature.Header, signed.Headers.GetValues(AbandonedCart.Api.Security.WebhookSignature.Header));
            return altered;
        });
        signed.Dispose();
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(360)]
    [InlineData(-86_400)]
    public async Task Events_TimestampOutside300Seconds_Returns401AndChangesNothing(int offsetSeconds) =>
        await AssertRefusedAsync(() => SecureApi.Event(EventBody($"ev-stale{offsetSeconds}"), DateTimeOffset.UtcNow.AddSeconds(offsetSeconds)));

    [Fact]
    public async Task Events_SameDeliveryTwice_SecondIsDuplicateAndChangesNothing()
    {
        var body = EventBody("ev-replayed");
        var at = DateTimeOffset.UtcNow;

        var second = await AssertReplayIgnoredAsync(() => SecureApi.Event(body, at), HttpStatusCode.Accepted);

        Assert.Equal("duplicate", JsonNode.Parse(second)!["status"]!.ToString());
    }

    // ---- POST /webhooks/shopify ----

    [Theory]
    [MemberData(nameof(ShopifyTopics))]
    public async Task Shopify_SignedWithAnotherSecret_Returns401AndChangesNothing(string topic, string fixture) =>
        await AssertRefusedAsync(() => SecureApi.Shopify(ShopifyBody(fixture), topic, Guid.NewGuid().ToString(), "not-the-secret"));

    [Theory]
    [MemberData(nameof(ShopifyTopics))]
    public async Task Shopify_SignedBodyAltered_Returns401AndChangesNothing(string topic, string fixture)
    {
        var body = ShopifyBody(fixture);
        var webhookId = Guid.NewGuid().ToString();
        using var signed = SecureApi.Shopify(body, topic, webhookId);
        await AssertRefusedAsync(() =>
        {
            var altered = SecureApi.Shopify([.. body.SkipLast(1), .. " }"u8.ToArray()], topic, webhookId);
            altered.Headers.Remove(ShopifyEndpoints.HmacHeader);
            altered.Headers.Add(ShopifyEndpoints.HmacHeader, signed.Headers.GetValues(ShopifyEndpoints.HmacHeader));
            return altered;
        });
    }

    [Theory]
    [MemberData(nameof(ShopifyTopics))]
    public async Task Shopify_SameDeliveryTwice_SecondIsDuplicateAndChangesNothing(string topic, string fixture)
    {
        var body = ShopifyBody(fixture);
        var webhookId = Guid.NewGuid().ToString();

        var second = await AssertReplayIgnoredAsync(() => SecureApi.Shopify(body, topic, webhookId), HttpStatusCode.Accepted);

        var statuses = JsonNode.Parse(second)!.AsArray().Select(a => a!["status"]!.ToString()).ToList();
        Assert.NotEmpty(statuses);
        Assert.All(statuses, s => Assert.Equal("duplicate", s));
    }

    public static TheoryData<string, string> ShopifyTopics() => new()
    {
        { ShopifyEvents.CheckoutCreate, "checkouts-create.json" },
        { ShopifyEvents.CheckoutUpdate, "checkouts-create.json" },
        { ShopifyEvents.OrderCreate, "orders-create.json" },
        { ShopifyEvents.CustomerUpdate, "customers-update.json" },
    };

    // ---- POST /webhooks/sendgrid/events ----

    [Fact]
    public async Task SendGrid_SignedWithAnotherKey_Returns401AndChangesNothing()
    {
        var body = await SendGridBodyAsync("sg-forged");
        using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await AssertRefusedAsync(() => SecureApi.SendGrid(body, forger, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task SendGrid_SignedBodyAltered_Returns401AndChangesNothing()
    {
        var body = await SendGridBodyAsync("sg-altered");
        using var signed = SecureApi.SendGrid(body, api.SendGridKey, DateTimeOffset.UtcNow);
        await AssertRefusedAsync(() =>
        {
            var altered = SecureApi.SendGrid(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("\"open\"", "\"unsubscribe\"", StringComparison.Ordinal)), api.SendGridKey, DateTimeOffset.UtcNow);
            foreach (var header in new[] { SendGridEventWebhookVerifier.SignatureHeader, SendGridEventWebhookVerifier.TimestampHeader })
            {
                altered.Headers.Remove(header);
                altered.Headers.Add(header, signed.Headers.GetValues(header));
            }

            return altered;
        });
    }

    [Theory]
    [InlineData(-11)]
    [InlineData(-24 * 60)]
    public async Task SendGrid_TimestampOlderThanTenMinutes_Returns401AndChangesNothing(int offsetMinutes)
    {
        var body = await SendGridBodyAsync($"sg-stale{offsetMinutes}");
        await AssertRefusedAsync(() => SecureApi.SendGrid(body, api.SendGridKey, DateTimeOffset.UtcNow.AddMinutes(offsetMinutes)));
    }

    [Fact]
    public async Task SendGrid_SameDeliveryTwice_SecondChangesNothing()
    {
        var body = await SendGridBodyAsync("sg-replayed");
        var at = DateTimeOffset.UtcNow;

        await AssertReplayIgnoredAsync(() => SecureApi.SendGrid(body, api.SendGridKey, at), HttpStatusCode.OK);
    }

    // ---- POST /webhooks/twilio/status and /webhooks/twilio/inbound ----

    [Theory]
    [InlineData("/webhooks/twilio/status")]
    [InlineData("/webhooks/twilio/inbound")]
    public async Task Twilio_SignedWithAnotherToken_Returns401AndChangesNothing(string path)
    {
        var form = await TwilioFormAsync(path, "tw-forged");
        await AssertRefusedAsync(() => SecureApi.TwilioFormAsync(path, form, "ffffffffffffffffffffffffffffffff"));
    }

    [Theory]
    [InlineData("/webhooks/twilio/status")]
    [InlineData("/webhooks/twilio/inbound")]
    public async Task Twilio_SignedParametersAltered_Returns401AndChangesNothing(string path)
    {
        var form = await TwilioFormAsync(path, "tw-altered");
        using var signed = await SecureApi.TwilioFormAsync(path, form);
        await AssertRefusedAsync(async () =>
        {
            var altered = await SecureApi.TwilioFormAsync(path, form.Replace("delivered", "undelivered", StringComparison.Ordinal).Replace("STOP", "START", StringComparison.Ordinal) + "&ErrorCode=30006");
            altered.Headers.Remove(TwilioSignatureVerifier.Header);
            altered.Headers.Add(TwilioSignatureVerifier.Header, signed.Headers.GetValues(TwilioSignatureVerifier.Header));
            return altered;
        });
    }

    [Theory]
    [InlineData("/webhooks/twilio/status")]
    [InlineData("/webhooks/twilio/inbound")]
    public async Task Twilio_JsonBodyAltered_Returns401AndChangesNothing(string path)
    {
        var form = await TwilioFormAsync(path, "tw-json-altered");
        var json = JsonSerializer.SerializeToUtf8Bytes(form.Split('&').Select(p => p.Split('=')).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1])));
        using var signed = SecureApi.TwilioJson(path, json);
        await AssertRefusedAsync(() =>
        {
            var altered = SecureApi.TwilioJson(path, [.. json.SkipLast(1), .. ",\"ErrorCode\":\"30006\"}"u8.ToArray()]);
            altered.RequestUri = signed.RequestUri;
            altered.Headers.Remove(TwilioSignatureVerifier.Header);
            altered.Headers.Add(TwilioSignatureVerifier.Header, signed.Headers.GetValues(TwilioSignatureVerifier.Header));
            return altered;
        });
    }

    [Theory]
    [InlineData("/webhooks/twilio/status")]
    [InlineData("/webhooks/twilio/inbound")]
    public async Task Twilio_SameDeliveryTwice_SecondChangesNothing(string path)
    {
        var form = await TwilioFormAsync(path, "tw-replayed");

        await AssertReplayIgnoredAsync(() => SecureApi.TwilioFormAsync(path, form), HttpStatusCode.OK);
    }

    public void Dispose() => api.Dispose();

    /// <summary>Sends the request; it must be answered 401 problem+json with every table unchanged.</summary>
    private Task AssertRefusedAsync(Func<HttpRequestMessage> request) => AssertRefusedAsync(() => Task.FromResult(request()));

    private async Task AssertRefusedAsync(Func<Task<HttpRequestMessage>> request)
    {
        var before = await DatabaseState.DigestAsync(db.DataSource);

        using var message = await request();
        using var response = await api.Client.SendAsync(message);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await DatabaseState.DigestAsync(db.DataSource));
    }

    /// <summary>Sends the same delivery twice: both acknowledged with <paramref name="status"/>, the first changes the database, the second nothing. Returns the second answer.</summary>
    private Task<string> AssertReplayIgnoredAsync(Func<HttpRequestMessage> delivery, HttpStatusCode status) =>
        AssertReplayIgnoredAsync(() => Task.FromResult(delivery()), status);

    private async Task<string> AssertReplayIgnoredAsync(Func<Task<HttpRequestMessage>> delivery, HttpStatusCode status)
    {
        var initial = await DatabaseState.DigestAsync(db.DataSource);
        using (var first = await delivery())
        using (var response = await api.Client.SendAsync(first))
        {
            Assert.Equal(status, response.StatusCode);
        }

        var afterFirst = await DatabaseState.DigestAsync(db.DataSource);
        Assert.NotEqual(initial, afterFirst);

        using var second = await delivery();
        using var replayed = await api.Client.SendAsync(second);

        Assert.Equal(status, replayed.StatusCode);
        Assert.Equal(afterFirst, await DatabaseState.DigestAsync(db.DataSource));
        return await replayed.Content.ReadAsStringAsync();
    }

    /// <summary>A purchase_completed (it changes customers, purchases and the inbox when accepted).</summary>
    private static byte[] EventBody(string id, decimal revenue = 42.5m) => JsonSerializer.SerializeToUtf8Bytes(new
    {
        id,
        type = "purchase_completed",
        customerId = $"c-{id}",
        occurredAt = "2026-03-02T10:00:00Z",
        orderId = $"o-{id}",
        revenue,
        currency = "EUR",
    });

    /// <summary>A Shopify fixture with a customer of its own.</summary>
    private static byte[] ShopifyBody(string fixture)
    {
        var payload = JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(AppContext.BaseDirectory, "Api", "Shopify", fixture)))!.AsObject();
        var customer = Random.Shared.NextInt64(1_000_000_000_000, 9_999_999_999_999);
        if (payload["customer"] is JsonObject owner)
        {
            owner["id"] = customer;
            payload["id"] = Random.Shared.NextInt64(1_000_000_000_000, 9_999_999_999_999);
        }
        else
        {
            payload["id"] = customer;
        }

        return Encoding.UTF8.GetBytes(payload.ToJsonString());
    }

    /// <summary>A customer with a sent email and a signed-for batch: open and unsubscribe (an engagement, a signal, a consent change).</summary>
    private async Task<byte[]> SendGridBodyAsync(string name)
    {
        var (messageId, key) = await api.SeedCustomerAsync($"c-{name}", $"{name}@example.com", Phone(name));
        return JsonSerializer.SerializeToUtf8Bytes(new[] { "open", "unsubscribe" }.Select(e => new Dictionary<string, object>
        {
            ["email"] = $"{name}@example.com",
            ["timestamp"] = 1_772_445_600,
            ["event"] = e,
            ["sg_event_id"] = $"{name}-{e}",
            ["message_id"] = messageId.ToString(CultureInfo.InvariantCulture),
            ["idempotency_key"] = key,
        }));
    }

    /// <summary>A customer with a sent SMS, and the form Twilio would post: a delivery for the status callback, STOP for inbound.</summary>
    private async Task<string> TwilioFormAsync(string path, string name)
    {
        var phone = Phone(name + path);
        await api.SeedCustomerAsync($"c-{name}-{path.Length}", $"{name}-{path.Length}@example.com", phone);
        var sid = $"SM{name}{path.Length}";
        var messages = new MessageStore(db.DataSource);
        var id = await messages.ClaimAsync(
            new MessageHead { IdempotencyKey = $"{name}:{path}:sms", CustomerId = $"c-{name}-{path.Length}", Journey = Journeys.AbandonedCart, Channel = ChannelNames.Sms, Step = 2 },
            null,
            TimeSpan.FromMinutes(5));
        await messages.MarkSentAsync(id!.Value, TwilioSmsSender.Name, sid, DateTimeOffset.UtcNow);
        return path.EndsWith("status", StringComparison.Ordinal)
            ? $"MessageSid={sid}&MessageStatus=delivered&AccountSid=AC1"
            : $"MessageSid={sid}-in&From={Uri.EscapeDataString(phone)}&Body=STOP";
    }

    private static string Phone(string name) =>
        $"+1415{(uint)name.GetHashCode(StringComparison.Ordinal) % 9_000_000 + 1_000_000}";
}
