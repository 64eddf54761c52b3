using AbandonedCart.Tests.Infrastructure;
using Dapper;

namespace AbandonedCart.Tests.Storage;

public sealed class MigrationTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task Migrate_FreshDatabase_CreatesSchemaAndJourneySwitch()
    {
        await using var conn = await db.DataSource.OpenConnectionAsync();
        var tables = (await conn.QueryAsync<string>(
            "select table_name from information_schema.tables where table_schema = 'public'")).ToHashSet();
        Assert.Superset(
            new HashSet<string> { "customers", "consents", "consent_history", "storefront_events", "messages", "engagements", "purchases", "journeys", "journey_entries", "audience_memberships" },
            tables);
        var enabled = await conn.ExecuteScalarAsync<bool>("select enabled from journeys where name = 'abandoned-cart'");
        Assert.True(enabled);
    }

    [Theory]
    [InlineData("SELECT id FROM customers WHERE (@email IS NOT NULL AND lower(email) = lower(@email)) OR (@phone IS NOT NULL AND phone = @phone)", "customers_email_lower", "customers_phone")]
    [InlineData("SELECT id FROM messages WHERE id = @id OR (@providerMessageId IS NOT NULL AND provider = @provider AND provider_message_id = @providerMessageId)", "messages_provider_message", "messages_pkey")]
    public async Task Webhook_LookupsByAddressOrProviderMessageId_UseIndexes(string lookup, string index, string otherIndex)
    {
        await using var conn = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await conn.BeginTransactionAsync();

        // On a near-empty table a sequential scan is cheapest; turned off, the plan shows whether an index can serve.
        await conn.ExecuteAsync("SET LOCAL enable_seqscan = off", transaction: transaction);
        var args = new { email = "Ana@Example.com", phone = "+4915112345678", id = 42L, provider = "twilio", providerMessageId = "SM123" };
        var plan = string.Join('\n', await conn.QueryAsync<string>($"EXPLAIN {lookup}", args, transaction));

        Assert.Contains(index, plan, StringComparison.Ordinal);
        Assert.Contains(otherIndex, plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Seq Scan", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Messages_DuplicateIdempotencyKey_IsRejected()
    {
        await using var conn = await db.DataSource.OpenConnectionAsync();
        const string sql = "insert into messages (idempotency_key, customer_id, journey, status) values ('k-dup', 'c', 'abandoned-cart', 'pending')";
        await conn.ExecuteAsync(sql);
        var ex = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => conn.ExecuteAsync(sql));
        Assert.Equal("23505", ex.SqlState);
    }
}
