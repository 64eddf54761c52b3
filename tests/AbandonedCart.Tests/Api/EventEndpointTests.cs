using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Workflows;
using Dapper;

namespace AbandonedCart.Tests.Api;

public sealed class EventEndpointTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    private readonly RecordingSignals signals = new();
    private ApiFactory? factory;

    private HttpClient Client => (factory ??= new ApiFactory(db.ConnectionString, signals)).CreateClient();

    [Fact]
    public async Task PostEvent_ValidCartUpdated_Returns202StoresAndSignalsWithStart()
    {
        var customer = NewCustomer();
        var body = Cart(customer);

        using var response = await PostAsync(body);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal((body["id"]!.ToString(), "accepted"), (answer["id"]!.ToString(), answer["status"]!.ToString()));
        Assert.Equal("cart_updated", Assert.Single(await EventRowsAsync(customer)).Type);
        await Eventually.HoldsAsync(async () => (await EventRowsAsync(customer))[0].Status == "delivered");
        Assert.Equal(1, await CountAsync("customers", "id", customer));

        var signal = Assert.Single(signals.Carts);
        Assert.Equal(($"abandoned-cart:{customer}", "abandoned-cart", customer), (signal.WorkflowId, signal.TaskQueue, signal.Input.CustomerId));
        Assert.Equal((Devices.Mobile, "EUR", 39.8m, body["id"]!.ToString()), (signal.Update.Device, signal.Update.Currency, signal.Update.TotalValue, signal.Update.EventId));
        var item = Assert.Single(signal.Update.Items);
        Assert.Equal(("A1", "Lipstick", 19.9m, 2, "https://shop.example.com/a1"), (item.Sku, item.Name, item.Price, item.Quantity, item.Url));
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero), signal.Update.OccurredAt);
        Assert.Equal($"Customer {customer}: 2 item(s), 39.80 EUR", signal.Summary);
    }

    [Fact]
    public async Task PostEvent_DuplicateId_Returns202OneRowOneSignal()
    {
        var customer = NewCustomer();
        var body = Cart(customer);

        using var first = await PostAsync(body);
        using var second = await PostAsync(body);

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (first.StatusCode, second.StatusCode));
        Assert.Equal("duplicate", JsonNode.Parse(await second.Content.ReadAsStringAsync())!["status"]!.ToString());
        Assert.Single(await EventRowsAsync(customer));
        await Eventually.HoldsAsync(async () => (await EventRowsAsync(customer))[0].Status == "delivered");
        Assert.Single(signals.Carts);
    }

    [Fact]
    public async Task PostEvent_MalformedJson_Returns400ProblemAndStoresNothing()
    {
        var customer = NewCustomer();

        using var response = await Client.SendAsync(
            ApiFactory.SignedEvent($$"""{"id": "e-1", "type": "cart_updated", "customerId": "{{customer}}", """));

        var errors = await AssertProblemAsync(response);
        Assert.Contains("body", errors.Keys);
        await AssertNothingStoredAsync(customer);
    }

    [Theory]
    [InlineData("customerId", null, "customerId")]
    [InlineData("id", "", "id")]
    [InlineData("type", "cart_abandoned", "type")]
    [InlineData("device", "tablet", "device")]
    [InlineData("occurredAt", "yesterday", "occurredAt")]
    [InlineData("occurredAt", "2026-03-02T10:00:00", "occurredAt")]
    [InlineData("currency", "eur", "currency")]
    [InlineData("items", "not-a-list", "items")]
    [InlineData("price", -1, "items[0].price")]
    [InlineData("price", "19.9", "items[0].price")]
    [InlineData("quantity", 0, "items[0].quantity")]
    [InlineData("sku", null, "items[0].sku")]
    [InlineData("url", "javascript:alert(1)", "items[0].url")]
    [InlineData("value", -5, "value")]
    public async Task PostEvent_InvalidCartField_Returns400NamingFieldAndStoresNothing(string field, object? value, string expectedKey)
    {
        var customer = NewCustomer();
        var body = Cart(customer);
        var target = field is "price" or "quantity" or "sku" or "url" ? body["items"]![0]!.AsObject() : body;
        if (value is null)
        {
            target.Remove(field);
        }
        else
        {
            target[field] = JsonValue.Create(value);
        }

        using var response = await PostAsync(body);

        var errors = await AssertProblemAsync(response);
        Assert.Contains(expectedKey, errors.Keys);
        await AssertNothingStoredAsync(customer);
    }

    [Fact]
    public async Task PostEvent_SeveralBadFields_NamesEveryOne()
    {
        var customer = NewCustomer();
        var body = Cart(customer);
        body["device"] = "watch";
        body["items"]![0]!["price"] = -1;
        body.Remove("occurredAt");

        using var response = await PostAsync(body);

        var errors = await AssertProblemAsync(response);
        Assert.Equal(["device", "items[0].price", "occurredAt"], errors.Keys.Order());
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("42")]
    [InlineData("")]
    public async Task PostEvent_NotAnObject_Returns400(string raw)
    {
        using var response = await Client.SendAsync(ApiFactory.SignedEvent(raw));

        var errors = await AssertProblemAsync(response);
        Assert.Contains("body", errors.Keys);
    }

    [Fact]
    public async Task PostEvent_PurchaseCompleted_StoredInPurchasesAndSignalled()
    {
        var customer = NewCustomer();
        using var cart = await PostAsync(Cart(customer));
        var orderId = $"o-{Guid.NewGuid():N}";

        using var response = await PostAsync(Purchase(customer, orderId));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Eventually.HoldsAsync(async () => (await EventRowsAsync(customer)).All(e => e.Status == "delivered"));
        var purchase = Assert.Single(await new PurchaseStore(db.DataSource).ForCustomerAsync(customer));
        Assert.Equal((orderId, 19.9m, "EUR"), (purchase.OrderId, purchase.Revenue, purchase.Currency));
        var signal = Assert.Single(signals.Purchases);
        Assert.Equal((AbandonedCartWorkflow.IdFor(customer), orderId, 19.9m), (signal.WorkflowId, signal.Purchase.OrderId, signal.Purchase.Revenue));
        Assert.Equal(("purchase_completed", "delivered"), (await EventRowsAsync(customer))[1]);
    }

    [Fact]
    public async Task PostEvent_PurchaseWithNoRunningJourney_Accepted()
    {
        var customer = NewCustomer();

        using var response = await PostAsync(Purchase(customer, $"o-{Guid.NewGuid():N}"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Eventually.HoldsAsync(async () => (await EventRowsAsync(customer))[0].Status == "delivered");
        Assert.Single(signals.Purchases);
        Assert.Equal(("purchase_completed", "delivered"), Assert.Single(await EventRowsAsync(customer)));
    }

    [Fact]
    public async Task PostEvent_PurchaseNegativeRevenue_Returns400AndNoPurchase()
    {
        var customer = NewCustomer();
        var body = Purchase(customer, "o-neg");
        body["revenue"] = -10;

        using var response = await PostAsync(body);

        var errors = await AssertProblemAsync(response);
        Assert.Contains("revenue", errors.Keys);
        await AssertNothingStoredAsync(customer);
        Assert.Empty(signals.Purchases);
    }

    [Fact]
    public async Task PostEvent_TemporalUnreachable_Returns202AndEventStaysPendingWithRetries()
    {
        var customer = NewCustomer();
        signals.Unreachable[customer] = true;

        using var response = await PostAsync(Cart(customer));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await using var conn = await db.DataSource.OpenConnectionAsync();
        const string sql = "SELECT delivery_status, attempts, last_error FROM storefront_events WHERE customer_id = @customer";
        await Eventually.HoldsAsync(async () => (await conn.QuerySingleAsync<(string, int Attempts, string?)>(sql, new { customer })).Attempts >= 2);
        var row = await conn.QuerySingleAsync<(string Status, int Attempts, string Error)>(sql, new { customer });
        Assert.Equal(("pending", "RpcException Unavailable"), (row.Status, row.Error));
        Assert.Empty(signals.Carts);
    }

    [Fact]
    public async Task GetOutbox_WithEntries_ListsThemHtmlEncodedAndAsJson()
    {
        var customer = NewCustomer();
        await new OutboxStore(db.DataSource).AddAsync(new OutboxEntry
        {
            Kind = OutboxKinds.Message,
            IdempotencyKey = $"k-{Guid.NewGuid():N}",
            Channel = Workflows.Channels.Email,
            CustomerId = customer,
            Recipient = "ana@example.com",
            Subject = "<script>alert('x')</script> Still thinking?",
            Body = "1 x Lipstick",
        });

        _ = Client;
        using var admin = factory!.CreateAdminClient();
        var page = await admin.GetAsync("/outbox");
        var html = await page.Content.ReadAsStringAsync();
        var json = JsonNode.Parse(await admin.GetStringAsync("/v1/outbox"))!.AsArray();

        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Still thinking?", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Contains(customer, html, StringComparison.Ordinal);
        Assert.Contains(json, e => e!["customerId"]!.ToString() == customer && e["channel"]!.ToString() == "email");
    }

    [Fact]
    public async Task GetHealthLive_Running_Returns200()
    {
        using var response = await Client.GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public void Dispose() => factory?.Dispose();

    private static string NewCustomer() => $"c-{Guid.NewGuid():N}";

    private static JsonObject Cart(string customer) => JsonNode.Parse($$"""
        {
          "id": "e-{{Guid.NewGuid():N}}", "type": "cart_updated", "customerId": "{{customer}}",
          "occurredAt": "2026-03-02T10:00:00Z", "device": "mobile", "currency": "EUR", "value": 39.8,
          "items": [ { "sku": "A1", "name": "Lipstick", "price": 19.9, "quantity": 2, "url": "https://shop.example.com/a1" } ]
        }
        """)!.AsObject();

    private static JsonObject Purchase(string customer, string orderId) => JsonNode.Parse($$"""
        {
          "id": "e-{{Guid.NewGuid():N}}", "type": "purchase_completed", "customerId": "{{customer}}",
          "occurredAt": "2026-03-02T15:00:00+01:00", "orderId": "{{orderId}}", "revenue": 19.9,
          "items": [ { "sku": "A1", "name": "Lipstick", "price": 19.9 } ]
        }
        """)!.AsObject();

    private async Task<HttpResponseMessage> PostAsync(JsonObject body) =>
        await Client.SendAsync(ApiFactory.SignedEvent(body.ToJsonString()));

    private static async Task<Dictionary<string, string[]>> AssertProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return problem.GetProperty("errors").Deserialize<Dictionary<string, string[]>>()!;
    }

    private async Task AssertNothingStoredAsync(string customer)
    {
        Assert.Equal(0, await CountAsync("storefront_events", "customer_id", customer));
        Assert.Equal(0, await CountAsync("customers", "id", customer));
        Assert.Equal(0, await CountAsync("purchases", "customer_id", customer));
        Assert.Empty(signals.Carts);
    }

    private async Task<int> CountAsync(string table, string column, string customer)
    {
        await using var conn = await db.DataSource.OpenConnectionAsync();
        return await conn.ExecuteScalarAsync<int>($"SELECT count(*) FROM {table} WHERE {column} = @customer", new { customer });
    }

    private async Task<List<(string Type, string Status)>> EventRowsAsync(string customer)
    {
        await using var conn = await db.DataSource.OpenConnectionAsync();
        return [.. await conn.QueryAsync<(string, string)>(
            "SELECT type, delivery_status FROM storefront_events WHERE customer_id = @customer ORDER BY id", new { customer })];
    }
}
