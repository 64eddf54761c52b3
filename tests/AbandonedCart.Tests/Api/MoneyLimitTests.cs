using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AbandonedCart.Api.Shopify;
using AbandonedCart.Tests.Infrastructure;
using Dapper;

namespace AbandonedCart.Tests.Api;

/// <summary>
/// Amounts end in <c>numeric(12, 2)</c> columns (cart value, revenue): every money field, and a cart's total derived
/// from its items, is refused at the door with a 400 naming the field, never left to fail an activity on every retry.
/// </summary>
public sealed class MoneyLimitTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    private const decimal TooLarge = 10_000_000_000m;
    private readonly ApiFactory factory = new(db.ConnectionString, new RecordingSignals());

    [Theory]
    [InlineData("cart_updated", "value", "value")]
    [InlineData("cart_updated", "items.price", "items[0].price")]
    [InlineData("purchase_completed", "revenue", "revenue")]
    [InlineData("purchase_completed", "items.price", "items[0].price")]
    [InlineData("product_viewed", "price", "price")]
    public async Task PostEvent_AmountBeyondNumeric12_2_Returns400NamingTheField(string type, string field, string expectedKey)
    {
        var customer = NewCustomer();
        var body = Event(type, customer);
        if (field == "items.price")
        {
            body["items"]![0]!["price"] = TooLarge;
        }
        else
        {
            body[field] = TooLarge;
        }

        using var response = await factory.CreateClient().SendAsync(ApiFactory.SignedEvent(body.ToJsonString()));

        Assert.Contains(expectedKey, (await ProblemAsync(response)).Keys);
        Assert.Equal(0, await StoredAsync(customer));
    }

    [Fact]
    public async Task PostCart_NoValueAndItemsTotalBeyondNumeric12_2_Returns400NamingItems()
    {
        var customer = NewCustomer();
        var body = Event("cart_updated", customer);
        body.Remove("value");
        body["items"]![0]!["price"] = 9_999_999_999.99m;
        body["items"]![0]!["quantity"] = 2;

        using var response = await factory.CreateClient().SendAsync(ApiFactory.SignedEvent(body.ToJsonString()));

        var errors = await ProblemAsync(response);
        Assert.Contains("cart total", Assert.Single(errors["items"]), StringComparison.Ordinal);
        Assert.Equal(0, await StoredAsync(customer));
    }

    [Fact]
    public async Task PostCart_NoValueAndItemsTotalAtTheMaximum_Accepted()
    {
        var body = Event("cart_updated", NewCustomer());
        body.Remove("value");
        body["items"]![0]!["price"] = 4_999_999_999.99m;
        body["items"]![0]!["quantity"] = 2;

        using var response = await factory.CreateClient().SendAsync(ApiFactory.SignedEvent(body.ToJsonString()));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Theory]
    [InlineData(ShopifyEvents.CheckoutUpdate, "total_price", "[0].value")]
    [InlineData(ShopifyEvents.OrderCreate, "total_price", "[0].revenue")]
    [InlineData(ShopifyEvents.OrderCreate, "line_items.price", "[0].items[0].price")]
    public async Task PostShopify_AmountBeyondNumeric12_2_Returns400NamingTheShopifyField(string topic, string field, string expectedKey)
    {
        var customer = Random.Shared.NextInt64(1_000_000_000_000, 9_999_999_999_999);
        var payload = new JsonObject
        {
            ["id"] = Random.Shared.NextInt64(1_000_000_000_000, 9_999_999_999_999),
            ["customer"] = new JsonObject { ["id"] = customer },
            ["updated_at"] = "2026-03-02T12:01:47+01:00",
            ["processed_at"] = "2026-03-02T12:01:47+01:00",
            ["currency"] = "EUR",
            ["total_price"] = "49.30",
            ["line_items"] = new JsonArray(new JsonObject { ["sku"] = "A1", ["title"] = "Lipstick", ["price"] = "19.90", ["quantity"] = 2 }),
        };
        if (field == "line_items.price")
        {
            payload["line_items"]![0]!["price"] = "12345678901.00";
        }
        else
        {
            payload[field] = "12345678901.00";
        }

        var bytes = Encoding.UTF8.GetBytes(payload.ToJsonString());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/shopify") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(ShopifyEndpoints.HmacHeader, Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(ApiFactory.ShopifySecret), bytes)));
        request.Headers.Add(ShopifyEndpoints.TopicHeader, topic);
        request.Headers.Add(ShopifyEndpoints.WebhookIdHeader, Guid.NewGuid().ToString());

        using var response = await factory.CreateClient().SendAsync(request);

        var errors = await ProblemAsync(response);
        var shopifyField = field == "line_items.price" ? "line_items[0].price" : field;
        Assert.StartsWith($"{shopifyField}: ", Assert.Single(errors[expectedKey]), StringComparison.Ordinal);
        Assert.Equal(0, await StoredAsync(customer.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    public void Dispose() => factory.Dispose();

    private static string NewCustomer() => $"c-{Guid.NewGuid():N}";

    private static JsonObject Event(string type, string customer)
    {
        var body = new JsonObject
        {
            ["id"] = $"e-{Guid.NewGuid():N}", ["type"] = type, ["customerId"] = customer, ["occurredAt"] = "2026-03-02T10:00:00Z",
        };
        switch (type)
        {
            case "cart_updated":
                body["device"] = "mobile";
                body["currency"] = "EUR";
                body["value"] = 39.8m;
                body["items"] = new JsonArray(new JsonObject { ["sku"] = "A1", ["name"] = "Lipstick", ["price"] = 19.9m, ["quantity"] = 2 });
                break;
            case "purchase_completed":
                body["orderId"] = $"o-{Guid.NewGuid():N}";
                body["revenue"] = 19.9m;
                body["items"] = new JsonArray(new JsonObject { ["sku"] = "A1", ["name"] = "Lipstick", ["price"] = 19.9m });
                break;
            case "product_viewed":
                body["productId"] = "A1";
                body["price"] = 19.9m;
                break;
        }

        return body;
    }

    private static async Task<Dictionary<string, string[]>> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").Deserialize<Dictionary<string, string[]>>()!;
    }

    private async Task<int> StoredAsync(string customer)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM storefront_events WHERE customer_id = @customer", new { customer });
    }
}
