using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AbandonedCart.Tests.Infrastructure;

namespace AbandonedCart.Tests.Reports;

public sealed class ReportEndpointTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private ReportHost host = null!;
    private HttpClient http = null!;

    public async Task InitializeAsync()
    {
        host = await ReportHost.StartAsync(db.DataSource);
        http = new HttpClient { BaseAddress = host.BaseAddress };
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await host.DisposeAsync();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-key")]
    [InlineData("Basic YWRtaW46dGVzdC1hZG1pbi1rZXk=")]
    public async Task GetReport_MissingOrWrongKey_Returns401Problem(string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/reports/journeys/abandoned-cart");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("attributionHours=0", "attributionHours")]
    [InlineData("attributionHours=169", "attributionHours")]
    [InlineData("attributionHours=abc", "attributionHours")]
    [InlineData("attributionHours=-1", "attributionHours")]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=2026-13-45", "to")]
    [InlineData("from=2026-03-02&to=2026-03-01", "from")]
    public async Task GetReport_BadParameter_Returns400ProblemNamingIt(string query, string parameter)
    {
        using var response = await SendAsync($"/v1/reports/journeys/abandoned-cart?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(parameter, out _));
        Assert.Contains(parameter, problem.RootElement.GetProperty("title").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetReport_ValidRequest_ReturnsTheDocumentedFields()
    {
        var b = new CohortBuilder(db.DataSource, "endpoint-fields");
        var t0 = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        await b.EngagedPurchaseAsync("c1", t0, "clicked", TimeSpan.FromHours(1), 42.5m, TimeSpan.FromHours(2));

        using var response = await SendAsync("/v1/reports/journeys/endpoint-fields?from=2026-03-01&to=2026-03-02&attributionHours=168");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        foreach (var field in new[] { "carts", "holdout", "sent", "delivered", "opened", "clicked", "conversions", "revenue", "cartConversionRate", "revenuePerRecipient", "byChannel", "bySteps", "lift" })
        {
            Assert.True(root.TryGetProperty(field, out _), field);
        }

        Assert.Equal(168, root.GetProperty("attributionHours").GetInt32());
        Assert.Equal(1, root.GetProperty("conversions").GetInt64());
        Assert.Equal(42.5m, root.GetProperty("revenue").GetDecimal());
        var channel = root.GetProperty("byChannel")[0];
        Assert.Equal("email", channel.GetProperty("channel").GetString());
        Assert.Equal(1, channel.GetProperty("clicked").GetInt64());
        Assert.True(root.GetProperty("lift").TryGetProperty("absoluteLow", out _));
    }

    [Fact]
    public async Task GetDashboard_NoCredentials_Returns401WithBasicChallenge()
    {
        using var response = await http.GetAsync(new Uri("/dashboard", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task GetDashboard_WrongPassword_Returns401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:nope")));

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task GetDashboard_MarkupInJourneyName_IsHtmlEncoded()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard?journey=%3Cscript%3Ealert(1)%3C%2Fscript%3E&from=2026-03-01&to=2026-03-02");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{ReportHost.AdminKey}")));

        using var response = await http.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
    }

    private Task<HttpResponseMessage> SendAsync(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ReportHost.AdminKey);
        return http.SendAsync(request);
    }
}
