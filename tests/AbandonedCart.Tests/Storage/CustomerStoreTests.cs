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

    [Fact]
    public async Task ApplyAsync_OlderChangeArrivesLate_KeepsTheNewerValueAndSetsTheRest()
    {
        var store = new CustomerStore(db.DataSource);
        var id = $"c-{Guid.NewGuid():N}";
        await store.EnsureExistsAsync(id);
        await ApplyAsync(id, T0.AddHours(2), (ProfileProperties.Email, "new@example.com"));

        var applied = await ApplyAsync(id, T0.AddHours(1), (ProfileProperties.Email, "old@example.com"), (ProfileProperties.Phone, "+420601234567"));

        var found = (await store.FindAsync(id))!;
        Assert.Equal(("new@example.com", "+420601234567"), (found.Email, found.Phone));
        Assert.Equal([ProfileProperties.Phone], applied);
    }

    [Fact]
    public async Task SetConsentAsync_OlderGrantArrivesAfterWithdrawal_ChangesNothingAndAddsNoHistory()
    {
        var store = new CustomerStore(db.DataSource);
        var id = $"c-{Guid.NewGuid():N}";
        await store.SetConsentAsync(id, Consents.Sms, granted: true, T0);
        await store.SetConsentAsync(id, Consents.Sms, granted: false, T0.AddHours(2), source: "twilio");

        var applied = await store.SetConsentAsync(id, Consents.Sms, granted: true, T0.AddHours(1), source: "storefront");

        Assert.False(applied);
        var details = (await store.DetailsAsync(id))!;
        Assert.False(details.Profile.HasConsent(Consents.Sms));
        Assert.Equal([(true, "api"), (false, "twilio")], details.History.Select(h => (h.Granted, h.Source)));
        Assert.Equal(T0.AddHours(2), Assert.Single(details.Consents).ChangedAt);
    }

    [Fact]
    public async Task SetConsentAsync_GrantConfirmedLaterThenOlderWithdrawal_KeepsTheGrant()
    {
        var store = new CustomerStore(db.DataSource);
        var id = $"c-{Guid.NewGuid():N}";
        await store.SetConsentAsync(id, Consents.Email, granted: true, T0);
        await store.SetConsentAsync(id, Consents.Email, granted: true, T0.AddHours(2), source: "storefront");

        var applied = await store.SetConsentAsync(id, Consents.Email, granted: false, T0.AddHours(1), source: "sendgrid");

        Assert.False(applied);
        var details = (await store.DetailsAsync(id))!;
        Assert.True(details.Profile.HasConsent(Consents.Email));
        Assert.Equal((T0, "api"), (Assert.Single(details.Consents).ChangedAt, details.Consents[0].Source));
    }

    [Fact]
    public async Task SetConsentAsync_GrantAtTheSameInstantAsAWithdrawal_WithdrawalWins()
    {
        var store = new CustomerStore(db.DataSource);
        var id = $"c-{Guid.NewGuid():N}";
        await store.SetConsentAsync(id, Consents.Sms, granted: false, T0, source: "twilio");

        Assert.False(await store.SetConsentAsync(id, Consents.Sms, granted: true, T0, source: "storefront"));
        Assert.True(await store.SetConsentAsync(id, Consents.Sms, granted: true, T0.AddTicks(10), source: "storefront"));
        Assert.True((await store.FindAsync(id))!.HasConsent(Consents.Sms));
    }

    [Fact]
    public async Task ErasedCustomer_NewerProfileChangeAndConsentGrant_ReCreateNothing()
    {
        var store = new CustomerStore(db.DataSource);
        var id = $"c-{Guid.NewGuid():N}";
        await store.UpsertAsync(new CustomerProfile { Id = id, Email = "ana@example.com", Phone = "+420601234567" });
        await store.SetConsentAsync(id, Consents.Email, granted: true, T0);
        await store.EraseAsync(id, T0.AddHours(1));

        var applied = await ApplyAsync(id, T0.AddHours(2), (ProfileProperties.Email, "ana@example.com"), (ProfileProperties.LineUserId, "U1"));
        var granted = await store.SetConsentAsync(id, Consents.Email, granted: true, T0.AddHours(2), source: "storefront");

        Assert.Empty(applied);
        Assert.False(granted);
        var details = (await store.DetailsAsync(id))!;
        Assert.Equal<object?>([null, null, null], [details.Profile.Email, details.Profile.Phone, details.Profile.LineUserId]);
        Assert.Empty(details.Profile.Consents);
        Assert.DoesNotContain(details.History, h => h.Source == "storefront");
    }

    [Fact]
    public async Task FindIdsByAddressAsync_SharedPhoneAndEmail_FindsEveryCustomerButTheErased()
    {
        var store = new CustomerStore(db.DataSource);
        var phone = $"+4179{Random.Shared.Next(1_000_000, 9_999_999)}";
        var email = $"shared-{Guid.NewGuid():N}@example.com";
        string[] ids = [$"a-{Guid.NewGuid():N}", $"b-{Guid.NewGuid():N}", $"c-{Guid.NewGuid():N}"];
        foreach (var id in ids)
        {
            await store.UpsertAsync(new CustomerProfile { Id = id, Email = email.ToUpperInvariant(), Phone = phone });
        }

        await store.EraseAsync(ids[2], T0);

        Assert.Equal(ids[..2], await store.FindIdsByAddressAsync(null, phone));
        Assert.Equal(ids[..2], await store.FindIdsByAddressAsync(email, null));
    }

    private async Task<IReadOnlyList<string>> ApplyAsync(string id, DateTimeOffset asOf, params (string Property, string? Value)[] values)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        var change = new ProfileChange { CustomerId = id, Values = values.ToDictionary(v => v.Property, v => v.Value), AsOf = asOf };
        return await CustomerStore.ApplyAsync(connection, null, change, CancellationToken.None);
    }
}
