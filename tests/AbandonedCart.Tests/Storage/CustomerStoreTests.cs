using AbandonedCart.Activities.Customers;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Workflows;
using Dapper;

namespace AbandonedCart.Tests.Storage;

public sealed class CustomerStoreTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task FindAsync_AfterUpsert_ReturnsEveryPropertyAndGrantedConsentsOnly()
    {
        var store = new CustomerStore(db.DataSource);
        var profile = new CustomerProfile
        {
            Id = $"c-{Guid.NewGuid():N}",
            Email = "ana@example.com",
            EmailValid = false,
            Phone = "+420601234567",
            TimeZone = "Europe/Prague",
            FcmToken = "fcm",
            ApnsToken = "apns",
            HuaweiToken = "hms",
            WebPush = new WebPushSubscription("https://push.example.com/1", "key", "auth"),
            LineUserId = "U1",
        };
        await store.UpsertAsync(profile);
        await store.SetConsentAsync(profile.Id, Consents.Email, granted: true, T0);
        await store.SetConsentAsync(profile.Id, Consents.Sms, granted: false, T0);

        var found = await store.FindAsync(profile.Id);

        Assert.Equal(profile with { Consents = found!.Consents }, found);
        Assert.Equal([Consents.Email], found.Consents);
    }

    [Fact]
    public async Task UpsertAsync_ExistingCustomer_ReplacesPropertiesKeepsConsents()
    {
        var store = new CustomerStore(db.DataSource);
        var id = $"c-{Guid.NewGuid():N}";
        await store.EnsureExistsAsync(id);
        await store.SetConsentAsync(id, Consents.Ads, granted: true, T0);

        await store.UpsertAsync(new CustomerProfile { Id = id, Email = "new@example.com" });
        await store.EnsureExistsAsync(id);

        var found = await store.FindAsync(id);
        Assert.Equal(("new@example.com", true), (found!.Email, found.HasConsent(Consents.Ads)));
    }

    [Fact]
    public async Task SetConsentAsync_SameValueTwice_OneHistoryRowPerChange()
    {
        var store = new CustomerStore(db.DataSource);
        var id = $"c-{Guid.NewGuid():N}";

        await store.SetConsentAsync(id, Consents.Email, granted: true, T0);
        await store.SetConsentAsync(id, Consents.Email, granted: true, T0.AddHours(1));
        await store.SetConsentAsync(id, Consents.Email, granted: false, T0.AddHours(2), source: "unsubscribe");

        await using var conn = await db.DataSource.OpenConnectionAsync();
        var history = (await conn.QueryAsync<(bool Granted, string Source)>(
            "SELECT granted, source FROM consent_history WHERE customer_id = @id ORDER BY id", new { id })).ToList();
        Assert.Equal([(true, "api"), (false, "unsubscribe")], history);
        Assert.Null(await store.FindAsync($"c-{Guid.NewGuid():N}"));
    }
}
