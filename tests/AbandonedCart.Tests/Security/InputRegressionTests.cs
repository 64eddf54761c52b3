using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using AbandonedCart.Api.Shopify;
using AbandonedCart.Tests.Api;
using AbandonedCart.Tests.Infrastructure;

namespace AbandonedCart.Tests.Security;

/// <summary>
/// One plain test per 5xx the fuzz found, each answered 500 before its fix: now a 4xx (or the webhook's usual 200)
/// with nothing stored for a refusal.
/// </summary>
public sealed class InputRegressionTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    private readonly SecureApi api = new(db);

    [Theory]
    [InlineData("\\ud800x")]
    [InlineData("a\\udfffb")]
    public async Task Shopify_LoneSurrogateInCustomerText_Returns400AndStoresNothing(string escaped)
    {
        var body = Encoding.UTF8.GetBytes($$"""{"id":"{{escaped}}","email":"x@example.com","updated_at":"2026-03-02T10:00:00Z"}""");

        var response = await RefusedAsync(SecureApi.Shopify(body, ShopifyEvents.CustomerUpdate, "reg-surrogate-" + escaped.Length));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Contains("not valid Unicode", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shopify_LoneSurrogateInALineItemQuantity_Returns400AndStoresNothing()
    {
        var body = Encoding.UTF8.GetBytes("""{"id":1,"customer":{"id":77},"total_price":"1.00","line_items":[{"sku":"A","title":"T","price":"1.00","quantity":"\ude00"}]}""");

        var response = await RefusedAsync(SecureApi.Shopify(body, ShopifyEvents.OrderCreate, "reg-quantity"));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
    }

    [Fact]
    public async Task Events_InvalidUtf8InAPropertyName_Returns400AndStoresNothing()
    {
        byte[] body = [.. """{"id":"reg-utf8","type":"cart_updated","customerId":"c1","occurredAt":"2026-03-02T10:00:00Z","device":"mobile","currency":"EUR","items":[],"value"""u8, 0xEF, 0xBF, .. "\":1}"u8];

        var response = await RefusedAsync(SecureApi.Event(body, DateTimeOffset.UtcNow));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Contains("not valid UTF-8", response.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("to=0001-01-02", "to")]
    [InlineData("to=0001-01-01", "to")]
    [InlineData("from=0001-01-01&to=0001-01-02", "to")]
    [InlineData("to=9999-12-31", "to")]
    [InlineData("from=1969-12-31&to=2026-03-01", "from")]
    public async Task Report_DateNearYearOneOrPast9999_Returns400NamingTheParameter(string query, string parameter)
    {
        var response = await RefusedAsync(Admin($"/v1/reports/journeys/abandoned-cart?{query}"));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.NotNull(JsonNode.Parse(response.Body)!["errors"]![parameter]);
    }

    [Theory]
    [InlineData("to=0001-01-02")]
    [InlineData("journey=%00")]
    [InlineData("journey=a%01b&from=2026-03-01")]
    public async Task Dashboard_DateNearYearOneOrControlCharacterInJourney_Returns400Page(string query)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/dashboard?{query}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{ApiFactory.AdminKey}")));

        var response = await RefusedAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Contains("id=\"error\"", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_ControlCharacterInJourney_Returns400()
    {
        var response = await RefusedAsync(Admin("/v1/reports/journeys/a%01b"));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.NotNull(JsonNode.Parse(response.Body)!["errors"]!["journey"]);
    }

    [Fact]
    public async Task Dashboard_NoCredentials_Returns401ProblemWithBasicChallenge()
    {
        using var response = await api.Client.GetAsync(new Uri("/dashboard", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData("false")]
    [InlineData("[1]")]
    [InlineData("""{"sg_event_id":"\ud800","event":"open"}""")]
    [InlineData("""{"sg_event_id":"reg-nul","event":"open","email":"a\u0000b@example.com"}""")]
    public async Task SendGrid_BatchWithAnUnreadableEvent_Returns400AndAppliesNoneOfIt(string unreadable)
    {
        var (messageId, key) = await api.SeedCustomerAsync($"reg-sg-{unreadable.Length}", $"reg-sg-{unreadable.Length}@example.com", $"+1415666{unreadable.Length:0000}");
        var unsubscribe = $$"""{"email":"reg-sg-{{unreadable.Length}}@example.com","timestamp":1772445600,"event":"unsubscribe","sg_event_id":"reg-unsub-{{unreadable.Length}}","message_id":"{{messageId}}","idempotency_key":"{{key}}"}""";
        var body = Encoding.UTF8.GetBytes($"[{unsubscribe},{unreadable}]");

        var response = await RefusedAsync(SecureApi.SendGrid(body, api.SendGridKey, DateTimeOffset.UtcNow));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
    }

    [Fact]
    public async Task SendGrid_EventIdOverTheIndexLimit_Returns400AndStoresNothing()
    {
        var (messageId, key) = await api.SeedCustomerAsync("reg-sg-long", "reg-sg-long@example.com", "+14156660001");
        var body = Encoding.UTF8.GetBytes($$"""[{"email":"reg-sg-long@example.com","timestamp":1772445600,"event":"open","sg_event_id":"{{new string('€', 1000)}}","message_id":"{{messageId}}","idempotency_key":"{{key}}"}]""");

        var response = await RefusedAsync(SecureApi.SendGrid(body, api.SendGridKey, DateTimeOffset.UtcNow));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
    }

    [Fact]
    public async Task TwilioStatus_MessageSidOverTheIndexLimit_Returns400AndStoresNothing()
    {
        await api.SeedCustomerAsync("reg-tw-long", "reg-tw-long@example.com", "+14156660002");
        var form = $"MessageSid={new string('S', 3000)}&MessageStatus=delivered&To=%2B14156660002";

        var response = await RefusedAsync(await SecureApi.TwilioFormAsync("/webhooks/twilio/status", form));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
    }

    [Theory]
    [InlineData("\"1772445600\"")]
    [InlineData("[1772445600]")]
    [InlineData("99999999999999")]
    [InlineData("-99999999999999")]
    public async Task SendGrid_TimestampNotUnixSeconds_StoresTheEventAtReceipt(string timestamp)
    {
        var name = $"reg-ts-{(uint)FuzzInputs.StableHash(timestamp) % 100_000}";
        var (messageId, key) = await api.SeedCustomerAsync(name, $"{name}@example.com", $"+1415777{(uint)FuzzInputs.StableHash(name) % 10000:0000}");
        var body = Encoding.UTF8.GetBytes($$"""[{"email":"{{name}}@example.com","timestamp":{{timestamp}},"event":"delivered","sg_event_id":"{{name}}","message_id":"{{messageId}}","idempotency_key":"{{key}}"}]""");
        var before = DateTimeOffset.UtcNow;

        using var request = SecureApi.SendGrid(body, api.SendGridKey, DateTimeOffset.UtcNow);
        using var response = await api.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var occurredAt = await Dapper.SqlMapper.ExecuteScalarAsync<DateTime>(connection, "SELECT occurred_at FROM engagements WHERE provider_event_id = @id", new { id = $"sendgrid:{name}" });
        Assert.InRange(new DateTimeOffset(occurredAt, TimeSpan.Zero), before.AddSeconds(-5), DateTimeOffset.UtcNow.AddSeconds(5));
    }

    [Theory]
    [InlineData(1100, 1)]
    [InlineData(1, 3000)]
    public async Task Twilio_FormOverTheReaderLimits_Returns400AndStoresNothing(int fields, int keyLength)
    {
        var form = string.Join('&', Enumerable.Range(0, fields).Select(k => $"{new string('k', keyLength)}{k}=v")) + "&MessageSid=SMx&MessageStatus=delivered";

        var response = await RefusedAsync(await SecureApi.TwilioFormAsync("/webhooks/twilio/status", form));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
    }

    [Theory]
    [InlineData("/webhooks/twilio/inbound", "From=%2B1415\u0000&Body=STOP&MessageSid=SMnul1")]
    [InlineData("/webhooks/twilio/status", "MessageSid=SM\u0000x&MessageStatus=delivered&To=%2B1415")]
    public async Task Twilio_FormValueWithNul_Returns400AndStoresNothing(string path, string form)
    {
        var response = await RefusedAsync(await SecureApi.TwilioFormAsync(path, form));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
    }

    [Theory]
    [InlineData("""{"From":"+1415\u0000","Body":"STOP"}""")]
    [InlineData("""{"From":"\ud800","Body":"STOP"}""")]
    public async Task TwilioInbound_JsonWithNulOrLoneSurrogate_Returns400AndStoresNothing(string json)
    {
        var response = await RefusedAsync(SecureApi.TwilioJson("/webhooks/twilio/inbound", Encoding.UTF8.GetBytes(json)));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
    }

    [Fact]
    public async Task PutCustomer_ConsentNameNotValidUtf8_Returns400AndStoresNothing()
    {
        using var request = Admin("/v1/customers/reg-put", HttpMethod.Put);
        request.Content = new ByteArrayContent([.. """{"consents":{"email":true,"\uFFFD"""u8, 0xE2, 0x82, .. """sms":true}}"""u8]);
        request.Content.Headers.ContentType = new("application/json");

        var response = await RefusedAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
    }

    public void Dispose() => api.Dispose();

    /// <summary>Sends the request (and disposes it); the database must be unchanged afterwards.</summary>
    private async Task<(HttpStatusCode Status, string Body)> RefusedAsync(HttpRequestMessage request)
    {
        var before = await DatabaseState.DigestAsync(db.DataSource);
        using (request)
        using (var response = await api.Client.SendAsync(request))
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(before, await DatabaseState.DigestAsync(db.DataSource));
            return (response.StatusCode, body);
        }
    }

    private static HttpRequestMessage Admin(string url, HttpMethod? method = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiFactory.AdminKey);
        return request;
    }
}
