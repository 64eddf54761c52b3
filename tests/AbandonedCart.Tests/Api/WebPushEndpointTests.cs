using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Api.Events;
using AbandonedCart.Tests.Infrastructure;
using Dapper;
using Microsoft.AspNetCore.Hosting;

namespace AbandonedCart.Tests.Api;

/// <summary>A web push subscription is accepted only when its endpoint is at a push service the Worker may call.</summary>
public sealed class WebPushEndpointTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    private readonly ApiFactory factory = new(db.ConnectionString, new RecordingSignals());

    public void Dispose() => factory.Dispose();

    [Theory]
    [InlineData("https://169.254.169.254/latest/meta-data/")]
    [InlineData("https://internal.shop.example/hooks/push")]
    [InlineData("https://fcm.googleapis.com.evil.example/fcm/send/x")]
    [InlineData("https://fcm.googleapis.com:8443/fcm/send/x")]
    public async Task PostEvent_WebPushEndpointOutsideThePushServices_Returns400NamingTheFieldAndStoresNothing(string endpoint)
    {
        var customer = NewCustomer();

        using var response = await factory.CreateClient().SendAsync(ApiFactory.SignedEvent(Subscription(customer, endpoint).ToJsonString()));

        var errors = await AssertProblemAsync(response);
        Assert.Equal(["webPush.endpoint"], errors.Keys);
        Assert.Contains("fcm.googleapis.com", errors["webPush.endpoint"][0], StringComparison.Ordinal);
        Assert.Equal(0, await EventsAsync(customer));
        Assert.Null(await new CustomerStore(db.DataSource).FindAsync(customer));
    }

    [Fact]
    public async Task PutCustomer_WebPushEndpointOutsideThePushServices_Returns400AndChangesNothing()
    {
        var customer = NewCustomer();
        var body = """{"webPush": {"endpoint": "https://internal.shop.example/hooks/push", "p256dh": "BPk", "auth": "au"}}""";

        using var response = await factory.CreateAdminClient().PutAsync($"/v1/customers/{customer}", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(["webPush.endpoint"], (await AssertProblemAsync(response)).Keys);
        Assert.Null(await new CustomerStore(db.DataSource).FindAsync(customer));
    }

    [Fact]
    public async Task PostEvent_ConfiguredAllowedHosts_ReplaceTheDefaults()
    {
        using var configured = factory.WithWebHostBuilder(b => b.UseSetting("WebPush:AllowedHosts:0", "*.push.shop.example"));
        var listed = NewCustomer();
        var browser = NewCustomer();

        using var accepted = await configured.CreateClient().SendAsync(ApiFactory.SignedEvent(Subscription(listed, "https://eu.push.shop.example/s/1").ToJsonString()));
        using var refused = await configured.CreateClient().SendAsync(ApiFactory.SignedEvent(Subscription(browser, "https://fcm.googleapis.com/fcm/send/s1").ToJsonString()));

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(["webPush.endpoint"], (await AssertProblemAsync(refused)).Keys);
        Assert.Equal(1, await EventsAsync(listed));
    }

    [Fact]
    public void Read_StoredEventWithAnEndpointOutsideTheList_IsStillDeliveredAsAccepted()
    {
        using var document = JsonDocument.Parse(Subscription("c-stored", "https://push.shop.example/s/1").ToJsonString());

        var atTheDoor = EventReader.ReadBody(document.RootElement);
        var stored = EventReader.Read(document.RootElement);
        var listed = EventReader.ReadBody(document.RootElement, new WebPushEndpointOptions { AllowedHosts = ["push.shop.example"] });

        Assert.Equal(["webPush.endpoint"], atTheDoor.Errors.Keys);
        Assert.Equal("https://push.shop.example/s/1", stored!.Profile!.Values[ProfileProperties.WebPushEndpoint]);
        Assert.Empty(listed.Errors);
    }

    private static string NewCustomer() => $"c-{Guid.NewGuid():N}";

    private static JsonObject Subscription(string customer, string endpoint) => new()
    {
        ["id"] = $"e-{Guid.NewGuid():N}",
        ["type"] = "customer_updated",
        ["customerId"] = customer,
        ["occurredAt"] = "2026-03-02T10:00:00Z",
        ["webPush"] = new JsonObject { ["endpoint"] = endpoint, ["p256dh"] = "BPk", ["auth"] = "au" },
    };

    private static async Task<Dictionary<string, string[]>> AssertProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").Deserialize<Dictionary<string, string[]>>()!;
    }

    private async Task<int> EventsAsync(string customer)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM storefront_events WHERE customer_id = @customer", new { customer });
    }
}
