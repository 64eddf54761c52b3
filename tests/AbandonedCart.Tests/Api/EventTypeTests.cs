using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Workflows;
using Dapper;

namespace AbandonedCart.Tests.Api;

/// <summary>Batches and the event types beyond carts and purchases: views, profile changes and consent changes.</summary>
public sealed class EventTypeTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    private readonly ApiFactory factory = new(db.ConnectionString, new RecordingSignals());

    [Fact]
    public async Task PostEvents_BatchOf500_Returns202AndStoresAllInOrder()
    {
        var customer = NewCustomer();
        var batch = new JsonArray([.. Enumerable.Range(0, 500).Select(i => (JsonNode)View(customer, $"p-{i}"))]);

        using var response = await PostAsync(batch);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answers = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
        Assert.Equal(500, answers.Count(a => a!["status"]!.ToString() == "accepted"));
        await using var conn = await db.DataSource.OpenConnectionAsync();
        var stored = (await conn.QueryAsync<string>("SELECT payload->>'productId' FROM storefront_events WHERE customer_id = @customer ORDER BY id", new { customer })).ToList();
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"p-{i}"), stored);
    }

    [Fact]
    public async Task PostEvents_BatchOf501_Returns400AndStoresNothing()
    {
        var customer = NewCustomer();
        var batch = new JsonArray([.. Enumerable.Range(0, 501).Select(i => (JsonNode)View(customer, $"p-{i}"))]);

        using var response = await PostAsync(batch);

        var errors = await AssertProblemAsync(response);
        Assert.Contains("body", errors.Keys);
        Assert.Equal(0, await CountAsync(customer));
    }

    [Fact]
    public async Task PostEvents_BatchWithOneBadEvent_Returns400NamingItAndStoresNothing()
    {
        var customer = NewCustomer();
        var bad = View(customer, "p-2");
        bad["type"] = "cart_updated";
        var batch = new JsonArray(View(customer, "p-0"), View(customer, "p-1"), bad);

        using var response = await PostAsync(batch);

        var errors = await AssertProblemAsync(response);
        Assert.Contains("[2].device", errors.Keys);
        Assert.Contains("[2].items", errors.Keys);
        Assert.Equal(0, await CountAsync(customer));
    }

    [Fact]
    public async Task PostEvents_RepeatedIdsInAndAcrossBatches_EachStoredOnce()
    {
        var customer = NewCustomer();
        var first = View(customer, "p-1");
        var batch = new JsonArray(first, first.DeepClone(), View(customer, "p-2"));

        using var once = await PostAsync(batch);
        using var again = await PostAsync(batch.DeepClone());

        var statuses = JsonNode.Parse(await once.Content.ReadAsStringAsync())!.AsArray().Select(a => a!["status"]!.ToString());
        var repeated = JsonNode.Parse(await again.Content.ReadAsStringAsync())!.AsArray().Select(a => a!["status"]!.ToString());
        Assert.Equal(["accepted", "duplicate", "accepted"], statuses);
        Assert.Equal(["duplicate", "duplicate", "duplicate"], repeated);
        Assert.Equal(2, await CountAsync(customer));
    }

    [Fact]
    public async Task PostEvent_CategoryViewed_StoredAndDelivered()
    {
        var customer = NewCustomer();
        var body = Event(customer, "category_viewed");
        body["categoryId"] = "lipsticks";
        body["name"] = "Lipsticks";

        using var response = await PostAsync(body);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await AssertDeliveredAsync(customer);
    }

    [Theory]
    [InlineData("product_viewed", "productId")]
    [InlineData("category_viewed", "categoryId")]
    public async Task PostEvent_ViewWithoutItsId_Returns400(string type, string field)
    {
        var customer = NewCustomer();

        using var response = await PostAsync(Event(customer, type));

        Assert.Contains(field, (await AssertProblemAsync(response)).Keys);
    }

    [Fact]
    public async Task PostEvent_CustomerUpdated_ChangesOnlyGivenPropertiesAtOnce()
    {
        var customer = NewCustomer();
        var store = new CustomerStore(db.DataSource);
        await store.UpsertAsync(new() { Id = customer, Email = "old@example.com", LineUserId = "U-line" });
        var body = Event(customer, "customer_updated");
        body["email"] = "ana@example.com";
        body["phone"] = "+4915112345678";
        body["timeZone"] = "Europe/Berlin";
        body["pushTokens"] = new JsonObject { ["fcm"] = "fcm-token" };
        body["webPush"] = new JsonObject { ["endpoint"] = "https://fcm.googleapis.com/fcm/send/sub-1", ["p256dh"] = "BPk", ["auth"] = "au" };

        using var response = await PostAsync(body);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var profile = (await store.FindAsync(customer))!;
        Assert.Equal(
            ("ana@example.com", "+4915112345678", "Europe/Berlin", "fcm-token", "https://fcm.googleapis.com/fcm/send/sub-1", "U-line"),
            (profile.Email, profile.Phone, profile.TimeZone, profile.FcmToken, profile.WebPush?.Endpoint, profile.LineUserId));
        await AssertDeliveredAsync(customer);
    }

    [Fact]
    public async Task PostEvent_CustomerUpdatedWithNull_ClearsProperty()
    {
        var customer = NewCustomer();
        var store = new CustomerStore(db.DataSource);
        await store.UpsertAsync(new() { Id = customer, Email = "old@example.com", Phone = "+4915112345678" });
        var body = Event(customer, "customer_updated");
        body["phone"] = null;

        using var response = await PostAsync(body);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var profile = (await store.FindAsync(customer))!;
        Assert.Equal(("old@example.com", null), (profile.Email, profile.Phone));
    }

    [Theory]
    [InlineData("email", "not-an-email", "email")]
    [InlineData("phone", "015112345678", "phone")]
    [InlineData("email", "ana@example.com\n", "email")]
    [InlineData("phone", "+4915112345678\n", "phone")]
    [InlineData("timeZone", "Mars/Olympus", "timeZone")]
    [InlineData("lineUserId", 42, "lineUserId")]
    [InlineData("pushTokens", "fcm-token", "pushTokens")]
    [InlineData(null, null, "body")]
    public async Task PostEvent_CustomerUpdatedInvalid_Returns400NamingField(string? field, object? value, string expectedKey)
    {
        var customer = NewCustomer();
        var body = Event(customer, "customer_updated");
        if (field is not null)
        {
            body[field] = JsonValue.Create(value);
        }

        using var response = await PostAsync(body);

        Assert.Contains(expectedKey, (await AssertProblemAsync(response)).Keys);
        Assert.Equal(0, await CountAsync(customer));
    }

    [Fact]
    public async Task PostEvent_WebPushWithoutKeys_Returns400NamingEachKey()
    {
        var customer = NewCustomer();
        var body = Event(customer, "customer_updated");
        body["webPush"] = new JsonObject { ["endpoint"] = "http://push.example.com/sub/1" };

        using var response = await PostAsync(body);

        var errors = await AssertProblemAsync(response);
        Assert.Equal(["webPush.auth", "webPush.endpoint", "webPush.p256dh"], errors.Keys.Order());
    }

    [Fact]
    public async Task PostEvent_ConsentChanged_AppliedWithHistoryBeforeTheAnswer()
    {
        var customer = NewCustomer();
        var granted = Event(customer, "consent_changed");
        granted["category"] = Consents.Email;
        granted["granted"] = true;
        var withdrawn = Event(customer, "consent_changed");
        withdrawn["category"] = Consents.Email;
        withdrawn["granted"] = false;
        withdrawn["occurredAt"] = "2026-03-02T11:00:00Z";

        using var grant = await PostAsync(granted);
        Assert.True((await new CustomerStore(db.DataSource).FindAsync(customer))!.HasConsent(Consents.Email));
        using var withdraw = await PostAsync(withdrawn);

        Assert.False((await new CustomerStore(db.DataSource).FindAsync(customer))!.HasConsent(Consents.Email));
        var details = (await new CustomerStore(db.DataSource).DetailsAsync(customer))!;
        Assert.Equal([(true, "storefront"), (false, "storefront")], details.History.Select(h => (h.Granted, h.Source)));
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 11, 0, 0, TimeSpan.Zero), details.History[1].ChangedAt);
    }

    [Theory]
    [InlineData("category", "newsletter", "category")]
    [InlineData("granted", "yes", "granted")]
    public async Task PostEvent_ConsentChangedInvalid_Returns400(string field, string value, string expectedKey)
    {
        var customer = NewCustomer();
        var body = Event(customer, "consent_changed");
        body["category"] = Consents.Sms;
        body["granted"] = true;
        body[field] = value;

        using var response = await PostAsync(body);

        Assert.Contains(expectedKey, (await AssertProblemAsync(response)).Keys);
        Assert.Equal(0, await CountAsync(customer));
    }

    [Fact]
    public async Task PostEvent_RepeatedConsentChange_AppliedOnce()
    {
        var customer = NewCustomer();
        var body = Event(customer, "consent_changed");
        body["category"] = Consents.Sms;
        body["granted"] = true;

        using var first = await PostAsync(body);
        await new CustomerStore(db.DataSource).SetConsentAsync(customer, Consents.Sms, granted: false, DateTimeOffset.UtcNow, "unsubscribe");
        using var repeat = await PostAsync(body);

        Assert.False((await new CustomerStore(db.DataSource).FindAsync(customer))!.HasConsent(Consents.Sms));
    }

    public void Dispose() => factory.Dispose();

    private static string NewCustomer() => $"c-{Guid.NewGuid():N}";

    private static JsonObject Event(string customer, string type) => new()
    {
        ["id"] = $"e-{Guid.NewGuid():N}",
        ["type"] = type,
        ["customerId"] = customer,
        ["occurredAt"] = "2026-03-02T10:00:00Z",
    };

    private static JsonObject View(string customer, string productId)
    {
        var view = Event(customer, "product_viewed");
        view["productId"] = productId;
        view["url"] = $"https://shop.example.com/{productId}";
        view["price"] = 19.9;
        return view;
    }

    private async Task<HttpResponseMessage> PostAsync(JsonNode body) =>
        await factory.CreateClient().SendAsync(ApiFactory.SignedEvent(body.ToJsonString()));

    private static async Task<Dictionary<string, string[]>> AssertProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").Deserialize<Dictionary<string, string[]>>()!;
    }

    private async Task<int> CountAsync(string customer)
    {
        await using var conn = await db.DataSource.OpenConnectionAsync();
        return await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM storefront_events WHERE customer_id = @customer", new { customer });
    }

    private async Task AssertDeliveredAsync(string customer)
    {
        await using var conn = await db.DataSource.OpenConnectionAsync();
        await Eventually.HoldsAsync(async () => await conn.ExecuteScalarAsync<string>(
            "SELECT string_agg(DISTINCT delivery_status, ',') FROM storefront_events WHERE customer_id = @customer", new { customer }) == "delivered");
        Assert.Empty(factory.Signals.Carts);
    }
}
