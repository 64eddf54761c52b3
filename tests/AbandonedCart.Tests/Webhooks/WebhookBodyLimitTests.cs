using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Tests.Tracking;

namespace AbandonedCart.Tests.Webhooks;

/// <summary>
/// Every webhook and <c>PUT /v1/customers</c> read at most 1 MiB (as <c>/v1/events</c> does) before a signature or
/// JSON parser sees the body, declared or streamed.
/// </summary>
public sealed class WebhookBodyLimitTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    private const int OverLimit = (1024 * 1024) + 1;
    private readonly EngagementApi api = new(db);

    [Theory]
    [InlineData("/webhooks/sendgrid/events", "application/json", true)]
    [InlineData("/webhooks/sendgrid/events", "application/json", false)]
    [InlineData("/webhooks/twilio/status", "application/x-www-form-urlencoded", true)]
    [InlineData("/webhooks/twilio/status", "application/x-www-form-urlencoded", false)]
    [InlineData("/webhooks/twilio/inbound", "application/x-www-form-urlencoded", false)]
    [InlineData("/webhooks/twilio/status?bodySHA256=abc", "application/json", false)]
    public async Task Webhook_BodyOver1MiB_Returns413Problem(string path, string contentType, bool declaredLength)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Body(contentType, declaredLength) };

        using var response = await api.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PutCustomer_BodyOver1MiB_Returns413AndChangesNothing(bool declaredLength)
    {
        var (customer, _, _) = await api.SentMessageAsync();
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/v1/customers/{customer}") { Content = Body("application/json", declaredLength) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AbandonedCart.Tests.Api.ApiFactory.AdminKey);

        using var response = await api.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal($"{customer}@example.com", (await api.CustomerAsync(customer)).Email);
    }

    public void Dispose() => api.Dispose();

    /// <summary>A well-formed body just over the limit: a JSON object or form with one long value.</summary>
    private static HttpContent Body(string contentType, bool declaredLength)
    {
        var text = contentType == "application/json"
            ? $"{{\"email\":\"{new string('a', OverLimit)}\"}}"
            : $"MessageSid=SM1&Body={new string('a', OverLimit)}";
        var bytes = Encoding.UTF8.GetBytes(text);
        HttpContent content = declaredLength ? new ByteArrayContent(bytes) : new UndeclaredLengthContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return content;
    }

    /// <summary>A body sent without Content-Length (chunked), so only reading it shows its size.</summary>
    private sealed class UndeclaredLengthContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
