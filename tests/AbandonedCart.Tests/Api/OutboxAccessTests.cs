using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Api;
using AbandonedCart.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace AbandonedCart.Tests.Api;

/// <summary>The development outbox shows addresses and signed links: admin only, and never the silent default in production.</summary>
public sealed class OutboxAccessTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    private readonly ApiFactory factory = new(db.ConnectionString, new RecordingSignals());

    [Fact]
    public async Task GetOutboxJson_NoAdminKey_Returns401WithoutRecipients()
    {
        var recipient = await AddRowAsync();

        using var response = await factory.CreateClient().GetAsync("/v1/outbox");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.DoesNotContain(recipient, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetOutboxJson_WrongKey_Returns401()
    {
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", "not-the-key");

        using var response = await client.GetAsync("/v1/outbox");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task GetOutboxPage_NoCredentials_ChallengesTheBrowserForBasicWithoutRecipients()
    {
        var recipient = await AddRowAsync();

        using var response = await factory.CreateClient().GetAsync("/outbox");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Basic", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.DoesNotContain(recipient, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetOutboxPage_BasicAdminAndKey_ShowsTheRows()
    {
        var recipient = await AddRowAsync();
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{ApiFactory.AdminKey}")));

        using var response = await client.GetAsync("/outbox");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(recipient, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetOutboxPage_BasicWrongPassword_Returns401()
    {
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:guess")));

        using var response = await client.GetAsync("/outbox");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task ApiStart_ProductionWithoutProvidersOrOutboxSetting_FailsNamingProvidersOutbox()
    {
        await using var app = BuildApi(Environments.Production);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());

        Assert.Contains(OutboxPolicy.ConfigKey, Messages(error), StringComparison.Ordinal);
        Assert.Contains("email (Providers:SendGrid)", Messages(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiStart_ProductionWithProvidersOutboxTrue_Starts()
    {
        await using var app = BuildApi(Environments.Production, (OutboxPolicy.ConfigKey, "true"));

        await app.StartAsync();
        await app.StopAsync();
    }

    [Fact]
    public async Task ApiStart_Development_StartsWithTheOutboxByDefault()
    {
        await using var app = BuildApi(Environments.Development);

        await app.StartAsync();
        await app.StopAsync();
    }

    [Fact]
    public void OutboxPolicy_EveryChannelConfigured_NothingUnserved()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            OutboxPolicy.Providers.Select(p => new KeyValuePair<string, string?>($"{p.Sections[^1]}:Key", "x"))).Build();

        Assert.Empty(OutboxPolicy.UnservedIn(configuration));
        Assert.Equal(7, OutboxPolicy.UnservedIn(new ConfigurationBuilder().Build()).Count);
    }

    public void Dispose() => factory.Dispose();

    private static string Messages(Exception error)
    {
        var text = new StringBuilder();
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            text.AppendLine(e.Message);
        }

        return text.ToString();
    }

    private WebApplication BuildApi(string environment, params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.Configuration.AddInMemoryCollection(
        [
            new("ConnectionStrings:Postgres", db.ConnectionString),
            new("Temporal:Address", "127.0.0.1:1"),
            new("Inbox:RelayEnabled", "false"),
            new("Urls", "http://127.0.0.1:0"),
            .. settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)),
        ]);
        builder.AddApiServices();
        return builder.Build();
    }

    private async Task<string> AddRowAsync()
    {
        var recipient = $"r-{Guid.NewGuid():N}@example.com";
        await new OutboxStore(db.DataSource).AddAsync(new OutboxEntry
        {
            Kind = OutboxKinds.Message,
            IdempotencyKey = $"k-{Guid.NewGuid():N}",
            Channel = AbandonedCart.Workflows.Channels.Email,
            CustomerId = $"c-{Guid.NewGuid():N}",
            Recipient = recipient,
            Subject = "Still thinking?",
            Body = "1 x Lipstick",
        });
        return recipient;
    }
}
