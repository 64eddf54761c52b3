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
