using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Workflows;
using Dapper;

namespace AbandonedCart.Tests.Api;

using Channels = AbandonedCart.Workflows.Channels;

/// <summary><c>/v1/customers/{id}</c>: profile and consents, replacement, erasure and the journey's state, all admin-only.</summary>
public sealed class CustomerEndpointTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>, IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
    private readonly ApiFactory factory = new(db.ConnectionString, new RecordingSignals());

    [Theory]
    [InlineData("GET", "")]
    [InlineData("DELETE", "")]
    [InlineData("GET", "/journey")]
    public async Task CustomerEndpoints_UnknownCustomer_Return404(string method, string suffix)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), $"/v1/customers/{NewCustomer()}{suffix}");

        using var response = await factory.CreateAdminClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("PUT", "")]
    [InlineData("DELETE", "")]
    [InlineData("GET", "/journey")]
    public async Task CustomerEndpoints_WithoutAdminKey_Return401(string method, string suffix)
    {
        var customer = NewCustomer();
        await new CustomerStore(db.DataSource).UpsertAsync(new() { Id = customer, Email = "ana@example.com" });
        using var request = new HttpRequestMessage(new HttpMethod(method), $"/v1/customers/{customer}{suffix}") { Content = JsonContent.Create(new { email = "x@example.com" }) };

        using var response = await factory.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("ana@example.com", (await new CustomerStore(db.DataSource).FindAsync(customer))!.Email);
    }

    [Fact]
    public async Task PutCustomer_ProfileAndConsents_StoredAndShownWithHistory()
    {
        var customer = NewCustomer();
        var client = factory.CreateAdminClient();

        using var put = await client.PutAsJsonAsync($"/v1/customers/{customer}", new
        {
            email = "ana@example.com",
            phone = "+4915112345678",
            timeZone = "Europe/Berlin",
            pushTokens = new { apns = "apns-token" },
            lineUserId = "U-line",
            consents = new { email = true, sms = true },
        });
        using var withdraw = await client.PutAsJsonAsync($"/v1/customers/{customer}", new { email = "ana@example.com", consents = new { sms = false } });
        var shown = JsonNode.Parse(await client.GetStringAsync($"/v1/customers/{customer}"))!;

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (put.StatusCode, withdraw.StatusCode));
        Assert.Equal("ana@example.com", shown["email"]!.ToString());
        Assert.Null(shown["phone"]);
        Assert.Null(shown["pushTokens"]!["apns"]);
        var consents = shown["consents"]!.AsArray().ToDictionary(c => c!["category"]!.ToString(), c => (bool)c!["granted"]!);
        Assert.Equal(new Dictionary<string, bool> { ["email"] = true, ["sms"] = false }, consents);
        var history = shown["consentHistory"]!.AsArray().Select(h => (h!["category"]!.ToString(), (bool)h["granted"]!, h["source"]!.ToString()));
        Assert.Equal([("email", true, "api"), ("sms", true, "api"), ("sms", false, "api")], history.OrderBy(h => h.Item1).ThenBy(h => !h.Item2));
        var first = JsonNode.Parse(await put.Content.ReadAsStringAsync())!;
        Assert.Equal(("+4915112345678", "apns-token", "U-line"), (first["phone"]!.ToString(), first["pushTokens"]!["apns"]!.ToString(), first["lineUserId"]!.ToString()));
    }

    [Theory]
    [InlineData("""{"email": "nope"}""", "email")]
    [InlineData("""{"consents": {"newsletter": true}}""", "consents.newsletter")]
    [InlineData("""{"consents": {"email": "yes"}}""", "consents.email")]
    [InlineData("""{"webPush": {"endpoint": "https://push.example.com/1"}}""", "webPush.p256dh")]
    [InlineData("""[1, 2]""", "body")]
    [InlineData("""{"email": """, "body")]
    public async Task PutCustomer_Invalid_Returns400AndChangesNothing(string body, string expectedKey)
    {
        var customer = NewCustomer();

        using var response = await factory.CreateAdminClient().PutAsync($"/v1/customers/{customer}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(expectedKey, out _), await response.Content.ReadAsStringAsync());
        Assert.Null(await new CustomerStore(db.DataSource).FindAsync(customer));
    }

    [Fact]
    public async Task DeleteCustomer_WithJourneyAudiencesAndConsents_ErasesEverything()
    {
        var customer = NewCustomer();
        var store = new CustomerStore(db.DataSource);
        await store.UpsertAsync(new() { Id = customer, Email = "ana@example.com", Phone = "+4915112345678", FcmToken = "fcm", LineUserId = "U-line" });
        await store.SetConsentAsync(customer, Consents.Email, granted: true, T0);
        await store.SetConsentAsync(customer, Consents.Ads, granted: true, T0);
        var audiences = new AudienceStore(db.DataSource);
        var key = $"aud-{Guid.NewGuid():N}";
        await audiences.RecordAddedAsync(customer, "google", key, T0);
        await audiences.RecordAddedAsync(customer, "meta", key, T0);
        factory.Runs.Statuses[customer] = Status(customer);
        using var profileEvent = await PostProfileEventAsync(customer);
        factory.Signals.Unreachable[customer] = true;
        using var pendingCart = await factory.CreateClient().SendAsync(ApiFactory.SignedEvent($$"""
            {"id": "e-{{Guid.NewGuid():N}}", "type": "cart_updated", "customerId": "{{customer}}", "occurredAt": "2026-03-02T10:00:00Z",
             "device": "desktop", "currency": "EUR", "items": [{"sku": "A1", "name": "Lipstick", "price": 19.9}]}
            """));

        using var response = await factory.CreateAdminClient().DeleteAsync($"/v1/customers/{customer}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.True((bool)answer["journeyEnded"]!);
        Assert.Equal(["google", "meta"], answer["audiencesLeft"]!.AsArray().Select(a => a!.ToString()));
        var details = (await store.DetailsAsync(customer))!;
        var p = details.Profile;
        Assert.Equal<object?>([null, null, null, null, null], [p.Email, p.Phone, p.FcmToken, p.LineUserId, p.WebPush]);
        Assert.NotNull(details.ErasedAt);
        Assert.Empty(p.Consents);
        Assert.Equal(2, details.History.Count(h => h is { Granted: false, Source: "erasure" }));
        Assert.All(await audiences.ForKeyAsync(key), m => Assert.NotNull(m.RemovedAt));
        await using var conn = await db.DataSource.OpenConnectionAsync();
        // The removals are queued for the Worker's loop (the real providers live there), with the hash of the erased email.
        Assert.Equal(
            [("google", "pending", GoogleAudienceSender.HashEmail("ana@example.com")), ("meta", "pending", MetaAudienceSender.HashEmail("ana@example.com"))],
            (await audiences.RemovalsForCustomerAsync(customer)).Select(r => (r.Audience, r.Status, r.MemberHash)));
        Assert.Equal(["pending", "pending"], answer["audienceRemovals"]!.AsArray().Select(r => r!["status"]!.ToString()));
        Assert.Equal((customer, "customer erased"), Assert.Single(factory.Runs.Ended));
        Assert.Equal(0, await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM storefront_events WHERE customer_id = @customer AND delivery_status = 'pending'", new { customer }));
        factory.Signals.Unreachable.TryRemove(customer, out _);
        await Task.Delay(300);
        Assert.DoesNotContain(factory.Signals.Delivered, d => d.CustomerId == customer);
        Assert.DoesNotContain("ana@example.com", await conn.ExecuteScalarAsync<string>(
            "SELECT string_agg(payload::text, ' ') FROM storefront_events WHERE customer_id = @customer", new { customer }), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteCustomer_TwiceOrTemporalDown_IdempotentAnd503UntilJourneyEnded()
    {
        var customer = NewCustomer();
        await new CustomerStore(db.DataSource).UpsertAsync(new() { Id = customer, Email = "ana@example.com" });
        var client = factory.CreateAdminClient();
        factory.Runs.Outage = true;

        using var down = await client.DeleteAsync($"/v1/customers/{customer}");
        Assert.Null((await new CustomerStore(db.DataSource).FindAsync(customer))!.Email);
        factory.Runs.Outage = false;
        using var again = await client.DeleteAsync($"/v1/customers/{customer}");

        Assert.Equal((HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK), (down.StatusCode, again.StatusCode));
        Assert.False((bool)JsonNode.Parse(await again.Content.ReadAsStringAsync())!["journeyEnded"]!);
    }

    [Fact]
    public async Task GetJourney_Running_ReturnsQueryState()
    {
        var customer = NewCustomer();
        factory.Runs.Statuses[customer] = Status(customer);

        var journey = JsonNode.Parse(await factory.CreateAdminClient().GetStringAsync($"/v1/customers/{customer}/journey"))!;

        Assert.Equal(("waiting_for_engagement", "email", "2026-03-02T11:00:00+00:00"), (journey["stage"]!.ToString(), journey["nextStep"]!.ToString(), journey["nextStepAt"]!.ToString()));
        var log = journey["log"]!.AsArray();
        Assert.Equal(("sent", "mobile_push"), (log[0]!["status"]!.ToString(), log[0]!["channel"]!.ToString()));
        Assert.Equal(("skipped", "no_consent"), (log[1]!["status"]!.ToString(), log[1]!["reason"]!.ToString()));
    }

    [Fact]
    public async Task GetJourney_TemporalDown_Returns503()
    {
        factory.Runs.Outage = true;

        using var response = await factory.CreateAdminClient().GetAsync($"/v1/customers/{NewCustomer()}/journey");

        factory.Runs.Outage = false;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task ErasedCustomer_LateProfileEventConsentEventAndPut_ReCreateNothing()
    {
        var customer = NewCustomer();
        var store = new CustomerStore(db.DataSource);
        await store.UpsertAsync(new() { Id = customer, Email = "ana@example.com", Phone = "+4915112345678" });
        using var erased = await factory.CreateAdminClient().DeleteAsync($"/v1/customers/{customer}");

        using var profile = await factory.CreateClient().SendAsync(ApiFactory.SignedEvent($$"""
            {"id": "e-{{Guid.NewGuid():N}}", "type": "customer_updated", "customerId": "{{customer}}", "occurredAt": "2099-01-01T00:00:00Z", "email": "ana@example.com"}
            """));
        using var consent = await factory.CreateClient().SendAsync(ApiFactory.SignedEvent($$"""
            {"id": "e-{{Guid.NewGuid():N}}", "type": "consent_changed", "customerId": "{{customer}}", "occurredAt": "2099-01-01T00:00:00Z", "category": "email", "granted": true}
            """));
        using var put = await factory.CreateAdminClient().PutAsJsonAsync($"/v1/customers/{customer}", new { email = "ana@example.com", consents = new { email = true } });

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Accepted, HttpStatusCode.Accepted), (erased.StatusCode, profile.StatusCode, consent.StatusCode));
        Assert.Equal(HttpStatusCode.Conflict, put.StatusCode);
        Assert.Equal("application/problem+json", put.Content.Headers.ContentType!.MediaType);
        var details = (await store.DetailsAsync(customer))!;
        Assert.Equal<object?>([null, null], [details.Profile.Email, details.Profile.Phone]);
        Assert.Empty(details.Profile.Consents);
        Assert.DoesNotContain(details.History, h => h.Granted);
        await using var conn = await db.DataSource.OpenConnectionAsync();
        Assert.DoesNotContain("ana@example.com", await conn.ExecuteScalarAsync<string>(
            "SELECT string_agg(payload::text, ' ') FROM storefront_events WHERE customer_id = @customer", new { customer }), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostEvents_OlderProfileAndConsentChangesArriveLate_ChangeNothingNewer()
    {
        var customer = NewCustomer();
        var client = factory.CreateClient();
        async Task<HttpStatusCode> PostAsync(string fields, string occurredAt)
        {
            using var response = await client.SendAsync(ApiFactory.SignedEvent($$"""
                {"id": "e-{{Guid.NewGuid():N}}", "customerId": "{{customer}}", "occurredAt": "{{occurredAt}}", {{fields}}}
                """));
            return response.StatusCode;
        }

        var statuses = new[]
        {
            await PostAsync("\"type\": \"customer_updated\", \"email\": \"new@example.com\"", "2026-03-02T12:00:00Z"),
            await PostAsync("\"type\": \"consent_changed\", \"category\": \"sms\", \"granted\": false", "2026-03-02T12:00:00Z"),
            await PostAsync("\"type\": \"customer_updated\", \"email\": \"old@example.com\", \"phone\": \"+4915112345678\"", "2026-03-02T11:00:00Z"),
            await PostAsync("\"type\": \"consent_changed\", \"category\": \"sms\", \"granted\": true", "2026-03-02T11:00:00Z"),
        };

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Accepted, s));
        var details = (await new CustomerStore(db.DataSource).DetailsAsync(customer))!;
        Assert.Equal(("new@example.com", "+4915112345678"), (details.Profile.Email, details.Profile.Phone));
        Assert.False(details.Profile.HasConsent(Consents.Sms));
        Assert.Equal([false], details.History.Select(h => h.Granted));
    }

    public void Dispose() => factory.Dispose();

    private static string NewCustomer() => $"c-{Guid.NewGuid():N}";

    private static AbandonedCartWorkflow.JourneyStatus Status(string customer) => new()
    {
        CustomerId = customer,
        Stage = AbandonedCartWorkflow.Stages.WaitingForEngagement,
        NextStep = Channels.Email,
        NextStepAt = T0.AddHours(1),
        Log =
        [
            new(T0, Channels.MobilePush, 1, "k-1", "sent", null, null),
            new(T0, Channels.Sms, 3, "k-3", "skipped", Reasons.NoConsent, null),
        ],
    };

    private async Task<HttpResponseMessage> PostProfileEventAsync(string customer) =>
        await factory.CreateClient().SendAsync(ApiFactory.SignedEvent($$"""
            {"id": "e-{{Guid.NewGuid():N}}", "type": "customer_updated", "customerId": "{{customer}}", "occurredAt": "2026-03-02T10:00:00Z", "email": "ana@example.com"}
            """));
}
