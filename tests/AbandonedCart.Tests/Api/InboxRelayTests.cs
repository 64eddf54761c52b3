using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json.Nodes;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Api.Events;
using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Workflows;
using Dapper;

namespace AbandonedCart.Tests.Api;

/// <summary>The durable inbox and its relay: Temporal outages, order per customer, permanent failures, the admin view.</summary>
public sealed class InboxRelayTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    private readonly ApiFactory factory = new(db.ConnectionString, new RecordingSignals());

    private RecordingSignals Signals => factory.Signals;

    [Fact]
    public async Task Relay_TemporalDownWhileEventsAccepted_AllDeliveredExactlyOnceInOrderAfterwards()
    {
        Signals.Outage = true;
        var customers = Enumerable.Range(0, 6).Select(_ => $"c-{Guid.NewGuid():N}").ToList();
        var posted = customers.ToDictionary(c => c, _ => new List<string>());

        // Customers post concurrently, each one's events in sequence; some events are sent twice, as storefronts retry.
        await Task.WhenAll(customers.Select(async customer =>
        {
            var client = factory.CreateClient();
            for (var i = 0; i < 10; i++)
            {
                var body = Cart(customer, i);
                using var response = await client.SendAsync(ApiFactory.SignedEvent(body.ToJsonString()));
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                posted[customer].Add(body["id"]!.ToString());
                if (i % 3 == 0)
                {
                    using var retry = await client.SendAsync(ApiFactory.SignedEvent(body.ToJsonString()));
                    Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
                }
            }
        }));
        await Eventually.HoldsAsync(async () => await ScalarAsync<int>("SELECT count(*) FROM storefront_events WHERE customer_id = ANY(@customers) AND attempts >= 2", customers) >= customers.Count);
        Assert.Empty(Signals.Delivered);
        Assert.Equal(60, await ScalarAsync<int>("SELECT count(*) FROM storefront_events WHERE customer_id = ANY(@customers) AND delivery_status = 'pending'", customers));

        Signals.Outage = false;

        await Eventually.HoldsAsync(async () => await ScalarAsync<int>("SELECT count(*) FROM storefront_events WHERE customer_id = ANY(@customers) AND delivery_status <> 'delivered'", customers) == 0);
        var delivered = Signals.Delivered.ToList();
        Assert.Equal(60, delivered.Count);
        foreach (var customer in customers)
        {
            Assert.Equal(posted[customer], delivered.Where(d => d.CustomerId == customer).Select(d => d.EventId));
        }
    }

    [Fact]
    public async Task Relay_EarlierEventRetrying_LaterEventOfSameCustomerWaits()
    {
        var customer = $"c-{Guid.NewGuid():N}";
        Signals.Unreachable[customer] = true;
        var first = Cart(customer, 0);
        var second = Cart(customer, 1);

        using var a = await factory.CreateClient().SendAsync(ApiFactory.SignedEvent(first.ToJsonString()));
        using var b = await factory.CreateClient().SendAsync(ApiFactory.SignedEvent(second.ToJsonString()));
        await Eventually.HoldsAsync(async () => await AttemptsAsync(first) >= 3);

        Assert.Equal(0, await AttemptsAsync(second));
        Signals.Unreachable.TryRemove(customer, out _);
        await Eventually.HoldsAsync(async () => Signals.Delivered.Count(d => d.CustomerId == customer) == 2);
        Assert.Equal([first["id"]!.ToString(), second["id"]!.ToString()], Signals.Delivered.Where(d => d.CustomerId == customer).Select(d => d.EventId));
    }

    [Fact]
    public async Task Relay_PermanentError_MarksFailedAndDeliversLaterEvents()
    {
        var customer = $"c-{Guid.NewGuid():N}";
        var rejected = Cart(customer, 0);
        var next = Cart(customer, 1);
        Signals.Rejected[rejected["id"]!.ToString()] = true;

        using var a = await factory.CreateClient().SendAsync(ApiFactory.SignedEvent(rejected.ToJsonString()));
        using var b = await factory.CreateClient().SendAsync(ApiFactory.SignedEvent(next.ToJsonString()));

        await Eventually.HoldsAsync(async () => Signals.Delivered.Any(d => d.EventId == next["id"]!.ToString()));
        var row = await QueryRowAsync(rejected);
        Assert.Equal(("failed", "RpcException InvalidArgument"), row);
    }

    [Fact]
    public async Task PostEvent_ConsentWithdrawnWhileTemporalDown_TakesEffectWithThe202()
    {
        var customer = $"c-{Guid.NewGuid():N}";
        await new CustomerStore(db.DataSource).SetConsentAsync(customer, Consents.Email, granted: true, DateTimeOffset.UnixEpoch);
        Signals.Unreachable[customer] = true;
        using var cart = await factory.CreateClient().SendAsync(ApiFactory.SignedEvent(Cart(customer, 0).ToJsonString()));

        using var response = await factory.CreateClient().SendAsync(ApiFactory.SignedEvent($$"""
            {"id": "e-{{Guid.NewGuid():N}}", "type": "consent_changed", "customerId": "{{customer}}", "occurredAt": "2026-03-02T10:05:00Z",
             "category": "email", "granted": false}
            """));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.False((await new CustomerStore(db.DataSource).FindAsync(customer))!.HasConsent(Consents.Email));
    }

    [Fact]
    public async Task Relay_Delivering_ReportsDeliveriesAndLagMetrics()
    {
        var measured = new ConcurrentDictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == InboxTelemetry.Name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => measured.AddOrUpdate(instrument.Name, value, (_, v) => v + value));
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => measured.AddOrUpdate(instrument.Name, value, (_, v) => Math.Max(v, value)));
        listener.Start();
        var customer = $"c-{Guid.NewGuid():N}";

        using var posted = await factory.CreateClient().SendAsync(ApiFactory.SignedEvent(Cart(customer, 0).ToJsonString()));
        await Eventually.HoldsAsync(() => Task.FromResult(Signals.Delivered.Any(d => d.CustomerId == customer)));
        await Eventually.HoldsAsync(() => Task.FromResult(measured.ContainsKey("inbox.relay.lag")));
        listener.RecordObservableInstruments();

        Assert.True(measured["inbox.delivered"] >= 1);
        Assert.True(measured["inbox.relay.lag"] >= 0);
        Assert.True(measured.ContainsKey("inbox.backlog"));
    }

    [Fact]
    public async Task GetInbox_Admin_ReturnsCountsPerStatus()
    {
        var customer = $"c-{Guid.NewGuid():N}";
        using var posted = await factory.CreateClient().SendAsync(ApiFactory.SignedEvent(Cart(customer, 0).ToJsonString()));
        await Eventually.HoldsAsync(async () => Signals.Delivered.Any(d => d.CustomerId == customer));

        // The relay may still deliver earlier tests' events meanwhile: the answer lies between counts taken around it.
        const string delivered = "SELECT count(*) FROM storefront_events WHERE delivery_status = 'delivered'";
        var before = await ScalarAsync<long>(delivered, []);
        var answer = JsonNode.Parse(await factory.CreateAdminClient().GetStringAsync("/v1/inbox"))!;
        var after = await ScalarAsync<long>(delivered, []);

        Assert.InRange((long)answer["delivered"]!, before, after);
        Assert.True((long)answer["delivered"]! >= 1);
        Assert.NotNull(answer["pending"]);
        Assert.NotNull(answer["failed"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-key")]
    [InlineData("Basic dGVzdC1hZG1pbi1rZXk=")]
    [InlineData("Bearer test-admin-key-and-more")]
    public async Task GetInbox_WithoutAdminKey_Returns401(string? authorization)
    {
        var client = factory.CreateClient();
        if (authorization is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await client.GetAsync("/v1/inbox");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    public void Dispose() => factory.Dispose();

    private static JsonObject Cart(string customer, int index) => JsonNode.Parse($$"""
        {
          "id": "e-{{Guid.NewGuid():N}}", "type": "cart_updated", "customerId": "{{customer}}",
          "occurredAt": "2026-03-02T10:{{index:00}}:00Z", "device": "desktop", "currency": "EUR",
          "items": [ { "sku": "A{{index}}", "name": "Lipstick", "price": 19.9 } ]
        }
        """)!.AsObject();

    private async Task<T> ScalarAsync<T>(string sql, List<string> customers)
    {
        await using var conn = await db.DataSource.OpenConnectionAsync();
        return (await conn.ExecuteScalarAsync<T>(sql, new { customers = customers.ToArray() }))!;
    }

    private async Task<int> AttemptsAsync(JsonObject body)
    {
        await using var conn = await db.DataSource.OpenConnectionAsync();
        return await conn.ExecuteScalarAsync<int>("SELECT attempts FROM storefront_events WHERE event_id = @id", new { id = body["id"]!.ToString() });
    }

    private async Task<(string Status, string? Error)> QueryRowAsync(JsonObject body)
    {
        await using var conn = await db.DataSource.OpenConnectionAsync();
        return await conn.QuerySingleAsync<(string, string?)>(
            "SELECT delivery_status, last_error FROM storefront_events WHERE event_id = @id", new { id = body["id"]!.ToString() });
    }
}
