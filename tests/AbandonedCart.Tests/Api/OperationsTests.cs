using System.Net;
using System.Text.Json.Nodes;
using AbandonedCart.Tests.Infrastructure;

namespace AbandonedCart.Tests.Api;

/// <summary>Health, OpenAPI and its page.</summary>
public sealed class OperationsTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    private readonly ApiFactory factory = new(db.ConnectionString, new RecordingSignals());

    [Fact]
    public async Task GetHealthReady_TemporalUnreachable_Returns200BecausePostgresAcceptsEvents()
    {
        using var response = await factory.CreateClient().GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var checks = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["checks"]!.AsObject();
        Assert.Equal(["postgres"], checks.Select(c => c.Key));
        Assert.Equal("Healthy", checks["postgres"]!["status"]!.ToString());
    }

    [Fact]
    public async Task GetHealthTemporal_TemporalUnreachable_Returns503NamingIt()
    {
        using var response = await factory.CreateClient().GetAsync("/health/temporal");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var checks = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["checks"]!;
        Assert.Equal("Unhealthy", checks["temporal"]!["status"]!.ToString());
    }

    [Fact]
    public async Task GetHealthLive_TemporalUnreachable_Returns200()
    {
        using var response = await factory.CreateClient().GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task GetOpenApi_Document_DescribesEveryEndpointAndAnswer()
    {
        var document = JsonNode.Parse(await factory.CreateClient().GetStringAsync("/openapi/v1.json"))!;

        var paths = document["paths"]!.AsObject();
        Assert.Superset(
            new HashSet<string> { "/v1/events", "/v1/inbox", "/webhooks/shopify", "/v1/customers/{id}", "/v1/customers/{id}/journey" },
            paths.Select(p => p.Key).ToHashSet());
        var answers = paths["/v1/events"]!["post"]!["responses"]!.AsObject().Select(r => r.Key);
        Assert.Equal(["202", "400", "401", "413", "415"], answers.Order());
    }

    [Fact]
    public async Task GetOpenApiPage_Browser_ReturnsHtmlLoadingTheDocument()
    {
        using var response = await factory.CreateClient().GetAsync("/openapi");

        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("/openapi/v1.json", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    public void Dispose() => factory.Dispose();
}
