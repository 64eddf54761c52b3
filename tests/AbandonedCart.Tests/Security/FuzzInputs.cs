using System.Buffers.Text;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Activities.Tracking;
using AbandonedCart.Api.Shopify;
using AbandonedCart.Tests.Api;
using AbandonedCart.Workflows;

namespace AbandonedCart.Tests.Security;

using ChannelNames = AbandonedCart.Workflows.Channels;

/// <summary>
/// Generates the fuzz inputs of one endpoint: mutations of a valid request, authenticated or signed exactly as a
/// real caller would, so every input reaches the handler. <see cref="SeedAsync"/> stores what valid inputs refer to
/// (a customer with a sent email and a sent SMS).
/// </summary>
internal sealed class FuzzInputs
{
    private static readonly string[] EventTypes = ["cart_updated", "purchase_completed", "product_viewed", "category_viewed", "customer_updated", "consent_changed"];
    private static readonly string[] SendGridKinds = ["delivered", "open", "click", "bounce", "dropped", "unsubscribe", "group_unsubscribe", "spamreport", "processed", "deferred"];
    private static readonly string[] TwilioStatuses = ["delivered", "undelivered", "failed", "queued", "sent", ""];
    private static readonly string[] SmsKeywords = ["STOP", "START", "HELP", "stop", " unstop ", "yes", "STOP please", ""];
    private static readonly string[] ShopifyFixtures = ["checkouts-create.json", "orders-create.json", "customers-update.json"];
    private static readonly string[] AnyTopics = [.. ShopifyEvents.Topics, "orders/fulfilled", "", "CHECKOUTS/CREATE", "carts/update", new string('t', 300)];

    /// <summary>
    /// Path segments no valid id looks like: encoded controls, invalid UTF-8, separators, over-long. Not %00: Kestrel
    /// refuses a path with NUL (400) before routing, and the test server throws on it.
    /// </summary>
    private static readonly string[] OddSegments =
    [
        "%01", "a%1Fb", "%ED%A0%80", "%C0%80", "%FF", "%F0%9F%98%80", "%E2%80%AE", "a%2Fb", "..", "%2E%2E", "%20", "-", "%25", "%5C",
        "%0A", "%0D%0Aset-cookie:x", new string('i', 201), new string('j', 5000), "%3Cscript%3E", "null", "0", "-1", "%E2%82%AC",
    ];

    private static readonly string[] DateValues =
    [
        "2026-03-01", "2026-03-02T10:00:00Z", "2026-03-02T10:00:00", "2026-03-02T10:00:00%2B14:00", "0001-01-01", "0001-01-02", "0001-01-31",
        "0001-01-01T00:00:00%2B14:00", "9999-12-31", "9999-12-30", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-14:00", "-0001-01-01",
        "2026-02-30", "yesterday", "", "%20", "%00", "%ED%A0%80", "1e9", "2026", "2026-03", "20260302", "1970-01-01", "%2B275760-09-13",
        "2026-03-02T25:00:00Z", "Mon, 02 Mar 2026 10:00:00 GMT", "2026-03-02 10:00", "%D9%A2%D9%A0%D9%A2%D9%A6-03-01",
    ];

    private static readonly string[] HourValues = ["24", "1", "168", "0", "169", "-1", "2147483648", "99999999999999999999", "1e3", "%2024", "0x18", "%D9%A2%D9%A4", "", "24.5", "%00"];

    private readonly SecureApi api;
    private readonly List<string> usedIds = [];
    private (long Id, string Key) email;
    private string customer = string.Empty;
    private string smsSid = string.Empty;
    private string phone = string.Empty;

    public FuzzInputs(SecureApi api) => this.api = api;

    /// <summary>The customer valid inputs refer to, unique to <paramref name="tag"/>.</summary>
    public async Task SeedAsync(string tag)
    {
        customer = $"fz-{tag}";
        phone = $"+1415555{tag.Length % 10}{(uint)StableHash(tag) % 1000:000}";
        email = await api.SeedCustomerAsync(customer, $"{customer}@example.com", phone);
        smsSid = $"SM{tag}";
        var messages = new MessageStore(api.Db.DataSource);
        var sms = await messages.ClaimAsync(
            new MessageHead { IdempotencyKey = $"{customer}:sms", CustomerId = customer, Journey = Journeys.AbandonedCart, Channel = ChannelNames.Sms, Step = 3 },
            null,
            TimeSpan.FromMinutes(5));
        await messages.MarkSentAsync(sms!.Value, TwilioSmsSender.Name, smsSid, DateTimeOffset.UtcNow);
    }

    /// <summary>A stable (not per-process) hash, so the seed of each endpoint's run is the same everywhere.</summary>
    public static int StableHash(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash & 0x7FFFFFFF);
    }

    /// <summary>Input number <paramref name="n"/> for <paramref name="endpoint"/>.</summary>
    public async Task<HttpRequestMessage> NextAsync(string endpoint, Random random, int n) => endpoint switch
    {
        "POST /v1/events" => Events(random, n),
        "POST /webhooks/shopify" => Shopify(random, n),
        "POST /webhooks/sendgrid/events" => SendGrid(random, n),
        "POST /webhooks/twilio/status" => await TwilioAsync(random, n, "/webhooks/twilio/status"),
        "POST /webhooks/twilio/inbound" => await TwilioAsync(random, n, "/webhooks/twilio/inbound"),
        "PUT /v1/customers/{id}" => Admin(HttpMethod.Put, $"/v1/customers/{CustomerId(random)}", Profile(random)),
        "GET /v1/customers/{id}" => Admin(HttpMethod.Get, $"/v1/customers/{CustomerId(random)}{Query(random)}", null),
        "DELETE /v1/customers/{id}" => Admin(HttpMethod.Delete, $"/v1/customers/{CustomerId(random)}", null),
        "GET /v1/customers/{id}/journey" => Admin(HttpMethod.Get, $"/v1/customers/{CustomerId(random)}/journey", null),
        "GET /v1/reports/journeys/{journey}" => Admin(HttpMethod.Get, $"/v1/reports/journeys/{Journey(random)}{ReportQuery(random, withJourney: false)}", null),
        "GET /dashboard" => Dashboard(random),
        "GET /t/c/{token}" => Get($"/t/c/{TrackingToken(random, AbandonedCart.Activities.Tracking.TrackingToken.Click)}"),
        "GET /t/o/{token}" => Get($"/t/o/{TrackingToken(random, AbandonedCart.Activities.Tracking.TrackingToken.Open)}"),
        "GET /openapi/{documentName}.json" => Get($"/openapi/{(random.Next(3) == 0 ? "v1" : Segment(random))}.json"),
        _ => throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, "No generator for this endpoint: add one."),
    };

    /// <summary>What a failure report shows of a request: method, URL, the headers that matter, and the body (escaped).</summary>
    public static async Task<string> DescribeAsync(HttpRequestMessage request)
    {
        var headers = string.Join("; ", request.Headers.Where(h => h.Key != "Authorization").Select(h => $"{h.Key}: {string.Join(",", h.Value)}"));
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync();
        var text = Encoding.UTF8.GetString(body);
        var shown = text.Length > 2000 ? $"{text[..2000]}… ({body.Length} bytes)" : text;
        return $"{request.Method} {request.RequestUri} [{headers}] body: {System.Text.Json.JsonSerializer.Serialize(shown)}";
    }

    private HttpRequestMessage Events(Random random, int n)
    {
        byte[] body;
        if (random.Next(10) == 0)
        {
            var batch = new JsonArray([.. Enumerable.Range(0, random.Next(1, 6)).Select(k => ValidEvent(random, EventId(random, $"fz{n}-{k}")))]);
            body = random.Next(2) == 0 ? Encoding.UTF8.GetBytes(batch.ToJsonString()) : JsonMutator.Mutate(random, batch);
        }
        else
        {
            var valid = ValidEvent(random, EventId(random, $"fz{n}"));
            body = random.Next(6) == 0 ? Encoding.UTF8.GetBytes(valid.ToJsonString()) : JsonMutator.Mutate(random, valid);
        }

        var request = SecureApi.Event(body, DateTimeOffset.UtcNow);
        if (random.Next(50) == 0)
        {
            request.Content!.Headers.ContentType = new("text/plain");
        }

        return request;
    }

    /// <summary>A fresh id, or (one in thirty) one used before, so duplicates are fuzzed too.</summary>
    private string EventId(Random random, string fresh)
    {
        if (usedIds.Count > 0 && random.Next(30) == 0)
        {
            return usedIds[random.Next(usedIds.Count)];
        }

        usedIds.Add(fresh);
        return fresh;
    }

    private static JsonObject ValidEvent(Random random, string id)
    {
        var e = new JsonObject
        {
            ["id"] = id,
            ["type"] = EventTypes[random.Next(EventTypes.Length)],
            ["customerId"] = $"fc-{random.Next(300)}",
            ["occurredAt"] = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero).AddMinutes(random.Next(10_000)).ToString("O", CultureInfo.InvariantCulture),
        };
        switch (e["type"]!.ToString())
        {
            case "cart_updated":
                e["device"] = random.Next(2) == 0 ? "mobile" : "desktop";
                e["currency"] = "EUR";
                e["value"] = 39.8;
                e["items"] = new JsonArray(new JsonObject { ["sku"] = "A1", ["name"] = "Lipstick", ["price"] = 19.9, ["quantity"] = 2, ["url"] = "https://shop.example.com/a1", ["imageUrl"] = "https://shop.example.com/a1.jpg" });
                break;
            case "purchase_completed":
                e["orderId"] = $"o-{id}";
                e["revenue"] = random.Next(1, 500);
                e["currency"] = "EUR";
                e["items"] = new JsonArray(new JsonObject { ["sku"] = "A1", ["name"] = "Lipstick", ["price"] = 19.9, ["quantity"] = 1 });
                break;
            case "product_viewed":
                e["productId"] = $"p-{random.Next(50)}";
                e["name"] = "Lipstick";
                e["url"] = "https://shop.example.com/p";
                e["price"] = 19.9;
                e["device"] = "mobile";
                break;
            case "category_viewed":
                e["categoryId"] = $"cat-{random.Next(10)}";
                break;
            case "customer_updated":
                e["email"] = $"x{random.Next(1000)}@example.com";
                e["phone"] = "+4915112345678";
                e["timeZone"] = "Europe/Berlin";
                e["pushTokens"] = new JsonObject { ["fcm"] = "fcm-token", ["apns"] = null };
                e["webPush"] = new JsonObject { ["endpoint"] = "https://push.example.com/abc", ["p256dh"] = "BKey", ["auth"] = "auth" };
                e["lineUserId"] = "U123";
                break;
            default:
                e["category"] = Consents.All[random.Next(Consents.All.Count)];
                e["granted"] = random.Next(2) == 0;
                break;
        }

        return e;
    }

    private static readonly Lazy<JsonObject[]> Fixtures = new(() =>
        [.. ShopifyFixtures.Select(f => JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Api", "Shopify", f)))!.AsObject())]);

    private HttpRequestMessage Shopify(Random random, int n)
    {
        var which = random.Next(ShopifyFixtures.Length);
        var payload = Fixtures.Value[which].DeepClone().AsObject();
        var customerId = 1_000_000 + random.Next(100);
        if (payload["customer"] is JsonObject owner)
        {
            owner["id"] = customerId;
            payload["id"] = 5_000_000 + n;
        }
        else
        {
            payload["id"] = customerId;
        }

        string[] topics = which switch
        {
            0 => [ShopifyEvents.CheckoutCreate, ShopifyEvents.CheckoutUpdate],
            1 => [ShopifyEvents.OrderCreate],
            _ => [ShopifyEvents.CustomerUpdate],
        };
        var topic = random.Next(8) == 0 ? AnyTopics[random.Next(AnyTopics.Length)] : topics[random.Next(topics.Length)];
        var webhookId = random.Next(40) switch
        {
            0 => string.Empty,
            1 => new string('w', 101),
            2 => $"fz-{random.Next(Math.Max(1, n))}",
            _ => $"fz-{n}",
        };
        var body = random.Next(6) == 0 ? Encoding.UTF8.GetBytes(payload.ToJsonString()) : JsonMutator.Mutate(random, payload);
        return SecureApi.Shopify(body, topic, webhookId);
    }

    private HttpRequestMessage SendGrid(Random random, int n)
    {
        var batch = new JsonArray();
        for (var k = random.Next(1, 5); k > 0; k--)
        {
            var e = new JsonObject
            {
                ["email"] = random.Next(4) == 0 ? $"other{random.Next(50)}@example.com" : $"{customer}@example.com",
                ["timestamp"] = 1_772_445_600 + random.Next(100_000),
                ["event"] = SendGridKinds[random.Next(SendGridKinds.Length)],
                ["sg_event_id"] = $"fz-{n}-{k}",
                ["sg_message_id"] = "sg-1.filter",
                ["message_id"] = random.Next(5) == 0 ? random.Next(100_000).ToString(CultureInfo.InvariantCulture) : email.Id.ToString(CultureInfo.InvariantCulture),
                ["idempotency_key"] = email.Key,
            };
            if (random.Next(3) == 0)
            {
                e["type"] = random.Next(2) == 0 ? "bounce" : "blocked";
            }

            batch.Add(e);
        }

        var body = random.Next(5) == 0 ? Encoding.UTF8.GetBytes(batch.ToJsonString()) : JsonMutator.Mutate(random, batch);
        return SecureApi.SendGrid(body, api.SendGridKey, DateTimeOffset.UtcNow);
    }

    private async Task<HttpRequestMessage> TwilioAsync(Random random, int n, string path)
    {
        var status = path.EndsWith("status", StringComparison.Ordinal);
        var fields = status
            ? new Dictionary<string, string>
            {
                ["MessageSid"] = random.Next(4) == 0 ? $"SMfz{n}" : smsSid,
                ["MessageStatus"] = TwilioStatuses[random.Next(TwilioStatuses.Length)],
                ["ErrorCode"] = random.Next(3) == 0 ? "30006" : "30003",
                ["To"] = random.Next(4) == 0 ? "+14155550000" : phone,
                ["AccountSid"] = "AC1",
            }
            : new Dictionary<string, string>
            {
                ["MessageSid"] = $"SMin{n}",
                ["From"] = random.Next(4) == 0 ? "+14155550000" : phone,
                ["Body"] = SmsKeywords[random.Next(SmsKeywords.Length)],
                ["AccountSid"] = "AC1",
            };

        if (random.Next(3) == 0)
        {
            var json = new JsonObject();
            foreach (var (key, value) in fields)
            {
                json[key] = value;
            }

            return SecureApi.TwilioJson(path, random.Next(5) == 0 ? Encoding.UTF8.GetBytes(json.ToJsonString()) : JsonMutator.Mutate(random, json));
        }

        var pairs = fields.Select(f => $"{Uri.EscapeDataString(f.Key)}={FormValue(random, f.Value)}").ToList();
        switch (random.Next(12))
        {
            case 0:
                pairs.RemoveAt(random.Next(pairs.Count));
                break;
            case 1:
                pairs.AddRange(Enumerable.Range(0, random.Next(1000, 1500)).Select(k => $"k{k}=v"));
                break;
            case 2:
                pairs.Add($"{new string('k', random.Next(2000, 3000))}=v");
                break;
            case 3:
                pairs.Add(pairs[random.Next(pairs.Count)]);
                break;
        }

        var form = string.Join('&', pairs.OrderBy(_ => random.Next()));
        if (random.Next(10) == 0)
        {
            form = Encoding.Latin1.GetString(JsonMutator.Corrupt(random, Encoding.Latin1.GetBytes(form)));
        }

        return await SecureApi.TwilioFormAsync(path, form);
    }

    private static string FormValue(Random random, string valid) => random.Next(5) switch
    {
        0 => Uri.EscapeDataString(JsonMutator.RandomText(random)),
        1 => OddSegments[random.Next(OddSegments.Length)] + "%zz%",
        _ => Uri.EscapeDataString(valid),
    };

    private static byte[] Profile(Random random)
    {
        var profile = new JsonObject();
        if (random.Next(4) != 0)
        {
            profile["email"] = $"p{random.Next(100)}@example.com";
        }

        if (random.Next(3) != 0)
        {
            profile["phone"] = "+4915112345678";
        }

        if (random.Next(3) == 0)
        {
            profile["timeZone"] = "America/New_York";
        }

        if (random.Next(3) == 0)
        {
            profile["pushTokens"] = new JsonObject { ["fcm"] = "fcm-1", ["apns"] = "apns-1", ["huawei"] = null };
        }

        if (random.Next(3) == 0)
        {
            profile["webPush"] = new JsonObject { ["endpoint"] = "https://push.example.com/x", ["p256dh"] = "BKey", ["auth"] = "auth" };
        }

        if (random.Next(4) == 0)
        {
            profile["lineUserId"] = "U1";
        }

        profile["consents"] = new JsonObject { ["email"] = true, ["sms"] = random.Next(2) == 0 };
        return random.Next(6) == 0 ? Encoding.UTF8.GetBytes(profile.ToJsonString()) : JsonMutator.Mutate(random, profile);
    }

    private static string CustomerId(Random random) => random.Next(3) == 0 ? Segment(random) : $"fz-p-{random.Next(200)}";

    private static string Journey(Random random) => random.Next(3) == 0 ? Segment(random) : Journeys.AbandonedCart;

    /// <summary>A path segment that is not a plain id: encoded random text, or an odd one.</summary>
    private static string Segment(Random random) =>
        random.Next(2) == 0 ? Uri.EscapeDataString(JsonMutator.RandomText(random)) is { Length: > 0 } s ? s : "%20" : OddSegments[random.Next(OddSegments.Length)];

    private static string Query(Random random) => random.Next(4) == 0 ? $"?{Segment(random)}={Segment(random)}&x=%ED%A0%80" : string.Empty;

    private static string ReportQuery(Random random, bool withJourney)
    {
        var parts = new List<string>();

        void Add(string name, string[] values)
        {
            for (var k = random.Next(8) == 0 ? 2 : 1; k > 0; k--)
            {
                if (random.Next(4) != 0)
                {
                    parts.Add($"{name}={(random.Next(10) == 0 ? Uri.EscapeDataString(JsonMutator.RandomText(random)) : values[random.Next(values.Length)])}");
                }
            }
        }

        Add("from", DateValues);
        Add("to", DateValues);
        Add("attributionHours", HourValues);
        if (withJourney)
        {
            Add("journey", [Journeys.AbandonedCart, "", "%00", "%ED%A0%80", new string('j', 3000), "%3Cb%3E"]);
        }

        if (random.Next(10) == 0)
        {
            parts.Add($"{Segment(random)}={Segment(random)}");
        }

        return parts.Count == 0 ? string.Empty : "?" + string.Join('&', parts.OrderBy(_ => random.Next()));
    }

    private HttpRequestMessage Dashboard(Random random)
    {
        var request = Get($"/dashboard{ReportQuery(random, withJourney: true)}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{ApiFactory.AdminKey}")));
        return request;
    }

    /// <summary>A valid token, one altered in transit, a payload of our own signed with the real secret, or noise.</summary>
    private string TrackingToken(Random random, string kind)
    {
        var valid = api.Tokens.Sign(api.Token(kind, email.Id, email.Key, customer));
        switch (random.Next(10))
        {
            case 0:
                return valid;
            case 1:
            case 2:
            case 3:
                var chars = valid.ToCharArray();
                for (var k = random.Next(1, 4); k > 0; k--)
                {
                    chars[random.Next(chars.Length)] = "AZaz09-_.="[random.Next(10)];
                }

                var altered = new string(chars);
                return random.Next(3) switch
                {
                    0 => altered,
                    1 => altered[..random.Next(altered.Length)],
                    _ => altered + altered[..random.Next(altered.Length)],
                };
            case 4:
            case 5:
            case 6:
            case 7:
                // A payload we did not mint, signed with the real secret: the handler trusts a verified token's
                // message, customer and message key, which only our own code produces, so those keep their minted values.
                var dot = valid.IndexOf('.', StringComparison.Ordinal);
                var payload = JsonNode.Parse(Base64Url.DecodeFromChars(valid.AsSpan(0, dot)));
                var mutated = JsonMutator.Mutate(random, payload);
                if (Reminted(mutated) is { } reminted)
                {
                    mutated = reminted;
                }
                else if (mutated.AsSpan().IndexOf("\"m\""u8) >= 0 || mutated.AsSpan().IndexOf("\"u\""u8) >= 0 || mutated.AsSpan().IndexOf("\"i\""u8) >= 0)
                {
                    mutated = Encoding.UTF8.GetBytes("{\"k\":\"x\"}");
                }

                return $"{Base64Url.EncodeToString(mutated)}.{Base64Url.EncodeToString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(SecureApi.TrackingSecret), mutated))}";
            default:
                return Segment(random);
        }
    }

    /// <summary>The mutated payload with the minted message and customer put back; null when it is no JSON object.</summary>
    private byte[]? Reminted(byte[] json)
    {
        try
        {
            if (JsonNode.Parse(json) is not JsonObject minted)
            {
                return null;
            }

            minted["m"] = email.Id;
            minted["u"] = customer;
            minted["i"] = email.Key;
            return Encoding.UTF8.GetBytes(minted.ToJsonString());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    private static HttpRequestMessage Admin(HttpMethod method, string url, byte[]? body)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiFactory.AdminKey);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new("application/json");
        }

        return request;
    }

    private static HttpRequestMessage Get(string url) => new(HttpMethod.Get, url);
}
