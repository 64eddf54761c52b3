using System.Net;
using AbandonedCart.Tests.Api;
using AbandonedCart.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace AbandonedCart.Tests.Tracking;

/// <summary><c>/t/...</c> is rate-limited per client address (<c>Tracking:RateLimit</c>).</summary>
public sealed class TrackingRateLimitTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    private readonly ApiFactory factory = new(db.ConnectionString, new RecordingSignals());

    [Fact]
    public async Task Tracking_MoreRequestsThanThePermitLimit_Answers429ProblemWithRetryAfter()
    {
        using var limited = factory.WithWebHostBuilder(b => b
            .UseSetting("Tracking:SigningSecret", EngagementApi.SigningSecret)
            .UseSetting("Tracking:BaseUrl", "https://cart.example.com")
            .UseSetting("Tracking:RateLimit:PermitLimit", "3")
            .UseSetting("Tracking:RateLimit:Window", "00:10:00"));
        using var client = limited.CreateClient();

        var answers = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 4; i++)
        {
            last?.Dispose();
            last = await client.GetAsync("/t/c/not-a-token");
            answers.Add(last.StatusCode);
        }

        using var events = await client.GetAsync("/health/live");

        Assert.Equal([HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.TooManyRequests], answers);
        Assert.Equal("application/problem+json", last!.Content.Headers.ContentType!.MediaType);
        Assert.True(last.Headers.RetryAfter!.Delta > TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.OK, events.StatusCode);
        last.Dispose();
    }

    public void Dispose() => factory.Dispose();
}
