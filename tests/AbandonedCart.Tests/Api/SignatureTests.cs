using System.Net;
using System.Text;
using AbandonedCart.Api.Security;
using AbandonedCart.Tests.Infrastructure;
using Dapper;

namespace AbandonedCart.Tests.Api;

/// <summary>Who may post events: the signature, its freshness, the content type and the size, each refused with nothing stored.</summary>
public sealed class SignatureTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);
    private readonly ApiFactory factory = new(db.ConnectionString, new RecordingSignals(), clock: new FixedClock(Now));

    [Fact]
    public async Task PostEvent_NoSignature_Returns401AndStoresNothing()
    {
        var (body, customer) = Cart();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };

        using var response = await factory.CreateClient().SendAsync(request);

        await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, customer);
    }

    [Theory]
    [InlineData("v1=00")]
    [InlineData("t=abc,v1=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("t=1772452800")]
    [InlineData("t=1772452800,v1=zz00000000000000000000000000000000000000000000000000000000000000")]
    public async Task PostEvent_MalformedSignature_Returns401(string header)
    {
        var (body, customer) = Cart();
        using var request = ApiFactory.SignedEvent(body, Now);
        request.Headers.Remove(WebhookSignature.Header);
        request.Headers.TryAddWithoutValidation(WebhookSignature.Header, header);

        using var response = await factory.CreateClient().SendAsync(request);

        await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, customer);
    }

    [Fact]
    public async Task PostEvent_WrongSecret_Returns401()
    {
        var (body, customer) = Cart();

        using var response = await factory.CreateClient().SendAsync(ApiFactory.SignedEvent(body, Now, secret: "not-the-secret"));

        await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, customer);
    }

    [Fact]
    public async Task PostEvent_BodyChangedAfterSigning_Returns401()
    {
        var (body, customer) = Cart();
        using var request = ApiFactory.SignedEvent(body, Now);
        request.Content = new StringContent(body.Replace("19.9", "0.01", StringComparison.Ordinal), Encoding.UTF8, "application/json");

        using var response = await factory.CreateClient().SendAsync(request);

        await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, customer);
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public async Task PostEvent_SignatureMoreThan300SecondsOff_Returns401(int offsetSeconds)
    {
        var (body, customer) = Cart();

        using var response = await factory.CreateClient().SendAsync(ApiFactory.SignedEvent(body, Now.AddSeconds(offsetSeconds)));

        await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, customer);
    }

    [Theory]
    [InlineData(-300)]
    [InlineData(299)]
    public async Task PostEvent_SignatureWithin300Seconds_Returns202(int offsetSeconds)
    {
        var (body, _) = Cart();

        using var response = await factory.CreateClient().SendAsync(ApiFactory.SignedEvent(body, Now.AddSeconds(offsetSeconds)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task PostEvent_SeveralSignaturesOneValid_Returns202()
    {
        var (body, _) = Cart();
        using var request = ApiFactory.SignedEvent(body, Now);
        var valid = request.Headers.GetValues(WebhookSignature.Header).Single();
        request.Headers.Remove(WebhookSignature.Header);
        request.Headers.TryAddWithoutValidation(WebhookSignature.Header, $"{valid},v1={new string('0', 64)}");

        using var response = await factory.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task PostEvent_WrongContentType_Returns415(string contentType)
    {
        var (body, customer) = Cart();

        using var response = await factory.CreateClient().SendAsync(ApiFactory.SignedEvent(body, Now, contentType: contentType));

        await AssertRefusedAsync(response, HttpStatusCode.UnsupportedMediaType, customer);
    }

    [Fact]
    public async Task PostEvent_BodyOver1MiB_Returns413()
    {
        var (body, customer) = Cart();
        var padded = body.Insert(1, $"\"padding\": \"{new string('x', 1024 * 1024)}\", ");

        using var response = await factory.CreateClient().SendAsync(ApiFactory.SignedEvent(padded, Now));

        await AssertRefusedAsync(response, HttpStatusCode.RequestEntityTooLarge, customer);
    }

    [Fact]
    public async Task PostEvent_ChunkedBodyOver1MiB_Returns413()
    {
        var (body, customer) = Cart();
        var padded = Encoding.UTF8.GetBytes(body.Insert(1, $"\"padding\": \"{new string('x', 1024 * 1024)}\", "));
        using var request = ApiFactory.SignedEvent(body, Now);
        request.Content = new StreamContent(new MemoryStream(padded));
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.TransferEncodingChunked = true;

        using var response = await factory.CreateClient().SendAsync(request);

        await AssertRefusedAsync(response, HttpStatusCode.RequestEntityTooLarge, customer);
    }

    [Fact]
    public async Task PostEvent_NoSecretConfigured_Returns401()
    {
        using var unconfigured = factory.WithWebHostBuilder(b => b.UseSetting("Webhooks:SigningSecret", string.Empty));
        var (body, customer) = Cart();

        using var response = await unconfigured.CreateClient().SendAsync(ApiFactory.SignedEvent(body, Now, secret: string.Empty));

        await AssertRefusedAsync(response, HttpStatusCode.Unauthorized, customer);
    }

    public void Dispose() => factory.Dispose();

    private static (string Body, string Customer) Cart()
    {
        var customer = $"c-{Guid.NewGuid():N}";
        return ($$"""
            {"id": "e-{{Guid.NewGuid():N}}", "type": "cart_updated", "customerId": "{{customer}}", "occurredAt": "2026-03-02T10:00:00Z",
             "device": "desktop", "currency": "EUR", "items": [{"sku": "A1", "name": "Lipstick", "price": 19.9}]}
            """, customer);
    }

    private async Task AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode expected, string customer)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await using var conn = await db.DataSource.OpenConnectionAsync();
        Assert.Equal(0, await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM storefront_events WHERE customer_id = @customer", new { customer }));
        Assert.Equal(0, await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM customers WHERE id = @customer", new { customer }));
    }
}
