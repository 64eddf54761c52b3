using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using AbandonedCart.Activities;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Api.Events;
using AbandonedCart.Tests.Activities;
using AbandonedCart.Tests.Api;
using AbandonedCart.Tests.Channels;
using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Worker;
using AbandonedCart.Workflows;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace AbandonedCart.Tests.Erasure;

/// <summary>
/// Erasure takes the customer out of the real Google and Meta audiences: the Api queues one removal per membership
/// with the hash stored when the customer was added, and the Worker's loop retries it through the provider until
/// confirmed. Providers are loopback peers speaking the real wire format.
/// </summary>
public sealed class AudienceRemovalTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IAsyncLifetime
{
    private const string MetaAudience = "23851234567890123";
    private readonly RSA googleKey = RSA.Create(2048);
    private readonly HttpClient http = new();
    private LoopbackPeer google = null!;
    private LoopbackPeer meta = null!;

    public async Task InitializeAsync()
    {
        google = await LoopbackPeer.StartAsync();
        google.Respond = r => r.Path == "/token"
            ? new PeerResponse(200, """{"access_token":"ya29.dm-test","expires_in":3599,"token_type":"Bearer"}""")
            : new PeerResponse(200, """{"requestId":"126365e1-16d0-4c81-9de9-f362711e250a"}""");
        meta = await LoopbackPeer.StartAsync();
        meta.Respond = _ => new PeerResponse(200, """{"audience_id":"23851234567890123","session_id":"9778993","num_received":1,"num_invalid_entries":0}""");
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        googleKey.Dispose();
        await google.DisposeAsync();
        await meta.DisposeAsync();
    }

    [Fact]
    public async Task Erase_AddedThenEmailChangedAndErased_RemovalUsesTheStoredHashAndA5xxIsRetriedUntilConfirmed()
    {
        // A database of its own: the loop takes every due removal, including other tests' ones.
        const string added = "Ana.Silva@example.com";
        var connectionString = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        using var worker = WorkerActivities(connectionString);
        var customer = await CustomerAsync(worker, added);
        var request = new AudienceRequest { CustomerId = customer, Journey = Journeys.AbandonedCart, IdempotencyKey = $"aud:{customer}:1" };
        await ActivitiesHost.RunAsync(() => worker.GetRequiredService<JourneyActivities>().AddToAudiencesAsync(request));
        await worker.GetRequiredService<CustomerStore>().UpsertAsync(new() { Id = customer, Email = "ana.new@example.com" });
        using var api = new ApiFactory(connectionString, new RecordingSignals());
        var client = api.CreateAdminClient();

        using var erased = await client.DeleteAsync($"/v1/customers/{customer}");
        var answer = JsonNode.Parse(await erased.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        Assert.Equal(["google", "meta"], answer["audiencesLeft"]!.AsArray().Select(a => a!.ToString()));
        Assert.Equal([("google", "pending"), ("meta", "pending")], Removals(answer));
        Assert.DoesNotContain(google.Requests, r => r.Path.EndsWith(":remove", StringComparison.Ordinal));

        // First pass: Google confirms; Meta answers 503 and the removal stays pending with a retry scheduled.
        meta.Sequence(
            new PeerResponse(503, """{"error":{"message":"Service temporarily unavailable for ana.silva@example.com","code":2}}"""),
            new PeerResponse(200, """{"audience_id":"23851234567890123","num_received":1,"num_invalid_entries":0}"""));
        var clock = new ManualTime(DateTimeOffset.UtcNow.AddSeconds(1));
        var loop = RemovalLoop(dataSource, worker, clock);
        Assert.Equal(2, await loop.RunOnceAsync(CancellationToken.None));
        var afterFailure = JsonNode.Parse(await client.GetStringAsync($"/v1/customers/{customer}"))!;
        Assert.Equal([("google", "confirmed"), ("meta", "pending")], Removals(afterFailure));
        var pending = afterFailure["audienceRemovals"]![1]!;
        Assert.Equal((1, "ProviderUnavailable (HTTP 503)"), ((int)pending["attempts"]!, pending["lastError"]!.ToString()));
        Assert.Equal(0, await loop.RunOnceAsync(CancellationToken.None));

        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await loop.RunOnceAsync(CancellationToken.None));
        var confirmed = JsonNode.Parse(await client.GetStringAsync($"/v1/customers/{customer}"))!;

        Assert.Equal([("google", "confirmed"), ("meta", "confirmed")], Removals(confirmed));
        var removeAtGoogle = google.Single("/v1/audienceMembers:remove");
        Assert.Equal("POST", removeAtGoogle.Method);
        Assert.Equal("Bearer ya29.dm-test", removeAtGoogle.Header("Authorization"));
        var identifier = removeAtGoogle.Json.GetProperty("audienceMembers")[0].GetProperty("userData").GetProperty("userIdentifiers")[0];
        Assert.Equal(GoogleAudienceSender.HashEmail(added), identifier.GetProperty("emailAddress").GetString());
        Assert.Equal("HEX", removeAtGoogle.Json.GetProperty("encoding").GetString());
        var metaRemovals = meta.Requests.Where(r => r.Method == "DELETE").ToList();
        Assert.Equal(2, metaRemovals.Count);
        Assert.All(metaRemovals, r =>
        {
            Assert.Equal($"/v21.0/{MetaAudience}/users", r.Path);
            Assert.Equal("EMAIL_SHA256", r.Json.GetProperty("payload").GetProperty("schema").GetString());
            Assert.Equal(MetaAudienceSender.HashEmail(added), Assert.Single(r.Json.GetProperty("payload").GetProperty("data").EnumerateArray()).GetString());
        });
        await using var connection = await dataSource.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audience_removals WHERE customer_id = @customer AND member_hash IS NOT NULL", new { customer }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM audience_memberships WHERE customer_id = @customer AND (member_hash IS NOT NULL OR removed_at IS NULL)", new { customer }));
    }

    [Fact]
    public async Task Erase_Repeated_QueuesEachRemovalOnceAndReportsIt()
    {
        using var worker = WorkerActivities();
        var customer = await CustomerAsync(worker, "bo@example.com");
        await ActivitiesHost.RunAsync(() => worker.GetRequiredService<JourneyActivities>().AddToAudiencesAsync(
            new AudienceRequest { CustomerId = customer, Journey = Journeys.AbandonedCart, IdempotencyKey = $"aud:{customer}:1" }));
        using var api = new ApiFactory(db.ConnectionString, new RecordingSignals());
        var client = api.CreateAdminClient();

        using var first = await client.DeleteAsync($"/v1/customers/{customer}");
        using var second = await client.DeleteAsync($"/v1/customers/{customer}");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        Assert.Equal([("google", "pending"), ("meta", "pending")], Removals(JsonNode.Parse(await second.Content.ReadAsStringAsync())!));
        await using var connection = await db.DataSource.OpenConnectionAsync();
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM audience_removals WHERE customer_id = @customer", new { customer }));
    }

    [Fact]
    public async Task RecordAddedAsync_AfterAnErasureCommitted_QueuesTheRemovalAtOnce()
    {
        // An addition that started before the erasure and records itself after it: the erasure could not see it.
        var customer = $"c-{Guid.NewGuid():N}";
        var customers = new CustomerStore(db.DataSource);
        await customers.UpsertAsync(new() { Id = customer, Email = "late@example.com" });
        var startedAt = DateTimeOffset.UtcNow;
        await customers.EraseAsync(customer, startedAt.AddSeconds(1));
        var audiences = new AudienceStore(db.DataSource);

        await audiences.RecordAddedAsync(customer, "meta", $"aud:{customer}", startedAt, MetaAudienceSender.HashEmail("late@example.com"));

        var removal = Assert.Single(await audiences.RemovalsForCustomerAsync(customer));
        Assert.Equal(("meta", AudienceRemoval.Pending, MetaAudienceSender.HashEmail("late@example.com")), (removal.Audience, removal.Status, removal.MemberHash));
        Assert.NotNull(Assert.Single(await audiences.ForKeyAsync($"aud:{customer}")).RemovedAt);
    }

    [Fact]
    public async Task RemoveFromAudiencesAsync_EmailErasedSinceAdding_RemovesByTheStoredHash()
    {
        using var worker = WorkerActivities();
        var customer = await CustomerAsync(worker, "cy@example.com");
        var request = new AudienceRequest { CustomerId = customer, Journey = Journeys.AbandonedCart, IdempotencyKey = $"aud:{customer}:1" };
        var activities = worker.GetRequiredService<JourneyActivities>();
        await ActivitiesHost.RunAsync(() => activities.AddToAudiencesAsync(request));
        await worker.GetRequiredService<CustomerStore>().UpsertAsync(new() { Id = customer });

        await ActivitiesHost.RunAsync(() => activities.RemoveFromAudiencesAsync(request));

        var removal = Assert.Single(meta.Requests, r => r.Method == "DELETE");
        Assert.Equal(MetaAudienceSender.HashEmail("cy@example.com"), removal.Json.GetProperty("payload").GetProperty("data")[0].GetString());
        Assert.Single(google.Requests, r => r.Path == "/v1/audienceMembers:remove");
    }

    [Fact]
    public async Task DeleteAndJourney_TemporalUnreachableThroughTheRealLazyClient_Answer503ProblemAndEraseAnyway()
    {
        var customer = $"c-{Guid.NewGuid():N}";
        await new CustomerStore(db.DataSource).UpsertAsync(new() { Id = customer, Email = "dee@example.com" });
        using var api = new TemporalDownApi(db.ConnectionString);
        var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", ApiFactory.AdminKey);

        using var delete = await client.DeleteAsync($"/v1/customers/{customer}");
        using var again = await client.DeleteAsync($"/v1/customers/{customer}");
        using var journey = await client.GetAsync($"/v1/customers/{customer}/journey");

        Assert.Equal(
            (HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable),
            (delete.StatusCode, again.StatusCode, journey.StatusCode));
        Assert.Equal("application/problem+json", delete.Content.Headers.ContentType?.MediaType);
        Assert.Equal("application/problem+json", journey.Content.Headers.ContentType?.MediaType);
        Assert.Null((await new CustomerStore(db.DataSource).FindAsync(customer))!.Email);
    }

    private static List<(string Audience, string Status)> Removals(JsonNode answer) =>
        [.. answer["audienceRemovals"]!.AsArray().Select(r => (r!["audience"]!.ToString(), r["status"]!.ToString()))];

    private static async Task<string> CustomerAsync(ServiceProvider worker, string email)
    {
        var customer = $"c-{Guid.NewGuid():N}";
        var customers = worker.GetRequiredService<CustomerStore>();
        await customers.UpsertAsync(new() { Id = customer, Email = email });
        await customers.SetConsentAsync(customer, Consents.Ads, granted: true, DateTimeOffset.UtcNow);
        return customer;
    }

    private static AudienceRemovalLoop RemovalLoop(NpgsqlDataSource dataSource, ServiceProvider worker, TimeProvider clock) => new(
        dataSource,
        worker.GetRequiredService<AudienceSenders>(),
        Options.Create(new AudienceRemovalOptions { RetryBase = TimeSpan.FromMinutes(1), RetryMax = TimeSpan.FromMinutes(10) }),
        clock,
        NullLogger<AudienceRemovalLoop>.Instance);

    /// <summary>The Worker's activity wiring with the real Google and Meta senders pointed at the loopback peers.</summary>
    private ServiceProvider WorkerActivities(string? connectionString = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = connectionString ?? db.ConnectionString });
        builder.Services.AddSingleton<IAudienceSender>(new GoogleAudienceSender(
            http,
            Options.Create(new GoogleAudienceOptions { OperatingAccountId = "1234567890", UserListId = "555666777", BaseUrl = google.BaseUri.ToString() }),
            new GoogleServiceAccount(FcmPushSenderTests.ServiceAccountJson(google, googleKey), GoogleAudienceSender.Scope)));
        builder.Services.AddSingleton<IAudienceSender>(new MetaAudienceSender(
            http, Options.Create(new MetaOptions { AccessToken = "meta-token", AudienceId = MetaAudience, BaseUrl = meta.BaseUri.ToString() })));
        builder.AddJourneyActivities();
        return builder.Services.BuildServiceProvider();
    }

    /// <summary>The Api as README starts it, with its real lazy Temporal client aimed where nothing listens.</summary>
    private sealed class TemporalDownApi(string connectionString) : WebApplicationFactory<EventInbox>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("ConnectionStrings:Postgres", connectionString);
            builder.UseSetting("Webhooks:SigningSecret", ApiFactory.SigningSecret);
            builder.UseSetting("Shopify:WebhookSecret", ApiFactory.ShopifySecret);
            builder.UseSetting("Admin:ApiKey", ApiFactory.AdminKey);
            builder.UseSetting("Inbox:RelayEnabled", "false");
            builder.UseSetting("Temporal:Address", "127.0.0.1:1");
        }
    }
}
