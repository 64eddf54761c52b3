using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Api.Shopify;
using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Workflows;
using Dapper;

namespace AbandonedCart.Tests.Api;

/// <summary><c>POST /webhooks/shopify</c> with realistic Shopify payloads (fixtures in <c>Api/Shopify/</c>).</summary>
public sealed class ShopifyWebhookTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    private readonly ApiFactory factory = new(db.ConnectionString, new RecordingSignals());

    [Fact]
    public async Task PostShopify_CheckoutCreate_StoresCartAndContactAndSignalsJourney()
    {
        var (payload, customer) = Fixture("checkouts-create.json");
        var webhookId = NewWebhookId();

        using var response = await PostAsync(ShopifyEvents.CheckoutCreate, webhookId, payload);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(
            [($"shopify:{webhookId}", "cart_updated"), ($"shopify:{webhookId}:customer", "customer_updated")],
            await EventsAsync(customer));
        var profile = (await new CustomerStore(db.DataSource).FindAsync(customer))!;
        Assert.Equal(("ana.lopez@example.com", "+34612345678"), (profile.Email, profile.Phone));
        await Eventually.HoldsAsync(() => Task.FromResult(factory.Signals.Carts.Any(c => c.Input.CustomerId == customer)));
        var cart = factory.Signals.Carts.Single(c => c.Input.CustomerId == customer).Update;
        Assert.Equal((Devices.Desktop, "EUR", 49.30m), (cart.Device, cart.Currency, cart.TotalValue));
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 11, 1, 47, TimeSpan.Zero), cart.OccurredAt);
        Assert.Equal(
            [("VML-RUBY", "Velvet Matte Lipstick", 19.90m, 2), ("44102938475999", "Lip Liner", 9.50m, 1)],
            cart.Items.Select(i => (i.Sku, i.Name, i.Price, i.Quantity)));
    }

    [Fact]
    public async Task PostShopify_RedeliveredWebhook_StoredAndSignalledOnce()
    {
        var (payload, customer) = Fixture("checkouts-create.json");
        var webhookId = NewWebhookId();

        using var first = await PostAsync(ShopifyEvents.CheckoutUpdate, webhookId, payload);
        using var again = await PostAsync(ShopifyEvents.CheckoutUpdate, webhookId, payload);

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (first.StatusCode, again.StatusCode));
        var statuses = JsonNode.Parse(await again.Content.ReadAsStringAsync())!.AsArray().Select(a => a!["status"]!.ToString());
        Assert.All(statuses, s => Assert.Equal("duplicate", s));
        Assert.Equal(2, (await EventsAsync(customer)).Count);
        await Eventually.HoldsAsync(async () => await PendingAsync(customer) == 0);
        Assert.Single(factory.Signals.Carts, c => c.Input.CustomerId == customer);
    }

    [Fact]
    public async Task PostShopify_OrderCreate_RecordsPurchaseAndSignalsIt()
    {
        var (payload, customer) = Fixture("orders-create.json");

        using var response = await PostAsync(ShopifyEvents.OrderCreate, NewWebhookId(), payload);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var purchase = Assert.Single(await new PurchaseStore(db.DataSource).ForCustomerAsync(customer));
        Assert.Equal((payload["id"]!.ToString(), 49.30m, "EUR"), (purchase.OrderId, purchase.Revenue, purchase.Currency));
        await Eventually.HoldsAsync(() => Task.FromResult(factory.Signals.Purchases.Any(p => p.WorkflowId == AbandonedCartWorkflow.IdFor(customer))));
    }

    [Fact]
    public async Task PostShopify_CustomerUpdate_AppliesContactAndMarketingConsents()
    {
        var (payload, customer) = Fixture("customers-update.json");
        await new CustomerStore(db.DataSource).SetConsentAsync(customer, Consents.Email, granted: true, DateTimeOffset.UnixEpoch);

        using var response = await PostAsync(ShopifyEvents.CustomerUpdate, NewWebhookId(), payload);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var details = (await new CustomerStore(db.DataSource).DetailsAsync(customer))!;
        Assert.Equal(("ana.lopez@example.com", "+34612345678"), (details.Profile.Email, details.Profile.Phone));
        Assert.Equal([Consents.Sms], details.Profile.Consents);
        var withdrawal = details.History.Single(h => h is { Category: Consents.Email, Granted: false });
        Assert.Equal(("storefront", new DateTimeOffset(2026, 3, 2, 15, 40, 51, TimeSpan.Zero)), (withdrawal.Source, withdrawal.ChangedAt));
    }

    [Theory]
    [InlineData("forged")]
    [InlineData("")]
    public async Task PostShopify_BadOrMissingHmac_Returns401AndStoresNothing(string hmac)
    {
        var (payload, customer) = Fixture("checkouts-create.json");
        using var request = Request(ShopifyEvents.CheckoutCreate, NewWebhookId(), payload);
        request.Headers.Remove(ShopifyEndpoints.HmacHeader);
        if (hmac.Length > 0)
        {
            request.Headers.Add(ShopifyEndpoints.HmacHeader, Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(hmac), Encoding.UTF8.GetBytes(payload.ToJsonString()))));
        }

        using var response = await factory.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(await EventsAsync(customer));
    }

    [Theory]
    [InlineData("text/plain", 0, HttpStatusCode.UnsupportedMediaType)]
    [InlineData("application/json", 1024 * 1024, HttpStatusCode.RequestEntityTooLarge)]
    public async Task PostShopify_WrongTypeOrTooLarge_RefusedAndStoresNothing(string contentType, int padding, HttpStatusCode expected)
    {
        var (payload, customer) = Fixture("checkouts-create.json");
        payload["note"] = new string('x', padding);
        using var request = Request(ShopifyEvents.CheckoutCreate, NewWebhookId(), payload);
        request.Content!.Headers.ContentType = new(contentType);

        using var response = await factory.CreateClient().SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        Assert.Empty(await EventsAsync(customer));
    }

    [Fact]
    public async Task PostShopify_TopicWeDoNotUse_Returns202AndStoresNothing()
    {
        var (payload, customer) = Fixture("orders-create.json");

        using var response = await PostAsync("orders/fulfilled", NewWebhookId(), payload);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Empty(await EventsAsync(customer));
    }

    [Fact]
    public async Task PostShopify_NoWebhookId_Returns400()
    {
        var (payload, customer) = Fixture("orders-create.json");
        using var request = Request(ShopifyEvents.OrderCreate, NewWebhookId(), payload);
        request.Headers.Remove(ShopifyEndpoints.WebhookIdHeader);

        using var response = await factory.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(await EventsAsync(customer));
    }

    [Fact]
    public async Task PostShopify_UnparsableAmount_Returns400NamingField()
    {
        var (payload, customer) = Fixture("orders-create.json");
        payload["total_price"] = "forty-nine";

        using var response = await PostAsync(ShopifyEvents.OrderCreate, NewWebhookId(), payload);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("[0].revenue", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await EventsAsync(customer));
    }

    [Fact]
    public async Task PostShopify_CompletedCheckout_StartsNoJourneyButKeepsTheContact()
    {
        var (payload, customer) = Fixture("checkouts-create.json");
        payload["completed_at"] = "2026-03-02T12:03:10+01:00";
        var webhookId = NewWebhookId();

        using var response = await PostAsync(ShopifyEvents.CheckoutUpdate, webhookId, payload);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal([($"shopify:{webhookId}:customer", "customer_updated")], await EventsAsync(customer));
        await Task.Delay(300);
        Assert.DoesNotContain(factory.Signals.Carts, c => c.Input.CustomerId == customer);
    }

    [Fact]
    public async Task PostShopify_MalformedPhoneAndCustomLineItem_KeepsTheCartAndDropsOnlyThePhone()
    {
        var (payload, customer) = Fixture("checkouts-create.json");
        payload["phone"] = "612 34 56 78";
        payload["line_items"]!.AsArray().Add(new JsonObject
        {
            ["key"] = "custom-engraving",
            ["title"] = "Gift engraving",
            ["price"] = "5.00",
            ["quantity"] = 1,
            ["sku"] = null,
            ["variant_id"] = null,
            ["product_id"] = null,
        });

        using var response = await PostAsync(ShopifyEvents.CheckoutCreate, NewWebhookId(), payload);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var profile = (await new CustomerStore(db.DataSource).FindAsync(customer))!;
        Assert.Equal<object?>(["ana.lopez@example.com", null], [profile.Email, profile.Phone]);
        await Eventually.HoldsAsync(() => Task.FromResult(factory.Signals.Carts.Any(c => c.Input.CustomerId == customer)));
        var cart = factory.Signals.Carts.Single(c => c.Input.CustomerId == customer).Update;
        Assert.Equal(["VML-RUBY", "44102938475999", "line:custom-engraving"], cart.Items.Select(i => i.Sku));
        Assert.Equal(54.30m, cart.Items.Sum(i => i.Price * i.Quantity));
    }

    [Theory]
    [InlineData(-49)]
    [InlineData(1)]
    public async Task PostShopify_TriggeredAtOutsideTheWindow_Returns401AndStoresNothing(int hours)
    {
        var (payload, customer) = Fixture("checkouts-create.json");
        using var request = Request(ShopifyEvents.CheckoutCreate, NewWebhookId(), payload);
        request.Headers.Add(ShopifyEndpoints.TriggeredAtHeader, DateTimeOffset.UtcNow.AddHours(hours).ToString("O", System.Globalization.CultureInfo.InvariantCulture));

        using var response = await factory.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Empty(await EventsAsync(customer));
    }

    [Fact]
    public async Task PostShopify_FreshTriggeredAt_IsAcceptedAndDatesEventsWithoutTheirOwnTime()
    {
        var (payload, customer) = Fixture("customers-update.json");
        payload.Remove("updated_at");
        payload["sms_marketing_consent"]!.AsObject().Remove("consent_updated_at");
        var triggered = DateTimeOffset.UtcNow.AddMinutes(-3);
        using var request = Request(ShopifyEvents.CustomerUpdate, NewWebhookId(), payload);
        request.Headers.Add(ShopifyEndpoints.TriggeredAtHeader, triggered.ToString("O", System.Globalization.CultureInfo.InvariantCulture));

        using var response = await factory.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var sms = (await new CustomerStore(db.DataSource).DetailsAsync(customer))!.Consents.Single(c => c.Category == Consents.Sms);
        Assert.Equal(triggered.ToUnixTimeMilliseconds(), sms.ChangedAt.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task PostShopify_OlderCustomerUpdateAfterSmsStop_DoesNotRegrantSms()
    {
        var (payload, customer) = Fixture("customers-update.json");
        var store = new CustomerStore(db.DataSource);

        // STOP at 16:39:00+01:00, after Shopify's subscription at 16:38:02+01:00; the webhook arrives later.
        await store.SetConsentAsync(customer, Consents.Sms, granted: false, new DateTimeOffset(2026, 3, 2, 15, 39, 0, TimeSpan.Zero), "twilio");

        using var response = await PostAsync(ShopifyEvents.CustomerUpdate, NewWebhookId(), payload);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var details = (await store.DetailsAsync(customer))!;
        Assert.False(details.Profile.HasConsent(Consents.Sms));
        Assert.Equal([(false, "twilio")], details.History.Where(h => h.Category == Consents.Sms).Select(h => (h.Granted, h.Source)));
        Assert.Equal("ana.lopez@example.com", details.Profile.Email);
    }

    [Fact]
    public async Task PostShopify_RedeliveryAfterErasure_ReCreatesNothing()
    {
        var (payload, customer) = Fixture("customers-update.json");
        var webhookId = NewWebhookId();
        using var first = await PostAsync(ShopifyEvents.CustomerUpdate, webhookId, payload);
        using var erased = await factory.CreateAdminClient().DeleteAsync($"/v1/customers/{customer}");

        using var redelivered = await PostAsync(ShopifyEvents.CustomerUpdate, webhookId, payload);
        using var another = await PostAsync(ShopifyEvents.CustomerUpdate, NewWebhookId(), payload);

        Assert.Equal(
            (HttpStatusCode.Accepted, HttpStatusCode.OK, HttpStatusCode.Accepted, HttpStatusCode.Accepted),
            (first.StatusCode, erased.StatusCode, redelivered.StatusCode, another.StatusCode));
        var details = (await new CustomerStore(db.DataSource).DetailsAsync(customer))!;
        Assert.NotNull(details.ErasedAt);
        Assert.Equal<object?>([null, null], [details.Profile.Email, details.Profile.Phone]);
        Assert.Empty(details.Profile.Consents);
    }

    public void Dispose() => factory.Dispose();

    private static string NewWebhookId() => Guid.NewGuid().ToString();

    /// <summary>A fixture with a customer id of its own, so tests sharing the database do not see each other's rows.</summary>
    private static (JsonObject Payload, string Customer) Fixture(string name)
    {
        var payload = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Api", "Shopify", name)))!.AsObject();
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

        return (payload, customer.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static HttpRequestMessage Request(string topic, string webhookId, JsonObject payload)
    {
        var body = Encoding.UTF8.GetBytes(payload.ToJsonString());
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/shopify") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(ShopifyEndpoints.HmacHeader, Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(ApiFactory.ShopifySecret), body)));
        request.Headers.Add(ShopifyEndpoints.TopicHeader, topic);
        request.Headers.Add(ShopifyEndpoints.WebhookIdHeader, webhookId);
        request.Headers.Add("X-Shopify-Shop-Domain", "lumen-cosmetics.myshopify.com");
        request.Headers.Add("X-Shopify-API-Version", "2025-10");
        return request;
    }

    private async Task<HttpResponseMessage> PostAsync(string topic, string webhookId, JsonObject payload)
    {
        using var request = Request(topic, webhookId, payload);
        return await factory.CreateClient().SendAsync(request);
    }

    private async Task<List<(string EventId, string Type)>> EventsAsync(string customer)
    {
        await using var conn = await db.DataSource.OpenConnectionAsync();
        return [.. await conn.QueryAsync<(string, string)>("SELECT event_id, type FROM storefront_events WHERE customer_id = @customer ORDER BY id", new { customer })];
    }

    private async Task<int> PendingAsync(string customer)
    {
        await using var conn = await db.DataSource.OpenConnectionAsync();
        return await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM storefront_events WHERE customer_id = @customer AND delivery_status = 'pending'", new { customer });
    }
}
