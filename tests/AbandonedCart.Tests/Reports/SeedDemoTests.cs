using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Worker.Commands;
using Dapper;
using Npgsql;

namespace AbandonedCart.Tests.Reports;

public sealed class SeedDemoTests
{
    private const string Fingerprint = """
        select (select count(*) from journey_entries) as entries,
               (select count(*) from messages) as messages,
               (select count(*) from engagements) as engagements,
               (select count(*) from purchases) as purchases,
               (select md5(string_agg(m.id || m.channel || m.step || m.status || m.created_at, ',' order by m.id)) from messages m) as messageshash,
               (select md5(string_agg(p.order_id || p.revenue || p.occurred_at, ',' order by p.order_id)) from purchases p) as purchaseshash
        """;

    [Fact]
    public async Task RunAsync_SameSeedTwice_WritesIdenticalRealisticData()
    {
        var first = await SeedAsync(["--customers", "2000", "--seed", "7", "--until", "2026-03-01"]);
        var second = await SeedAsync(["--customers", "2000", "--seed", "7", "--until", "2026-03-01"]);

        await using var a = new NpgsqlConnection(first);
        await using var b = new NpgsqlConnection(second);
        Assert.Equal(await a.QuerySingleAsync<Counts>(Fingerprint), await b.QuerySingleAsync<Counts>(Fingerprint));

        var shares = await a.QuerySingleAsync<(double Holdout, double HoldoutRate, double TreatmentRate)>(
            """
            select avg(holdout::int)::float8,
                   avg((outcome = 'purchased')::int) filter (where holdout)::float8,
                   avg((outcome = 'purchased')::int) filter (where not holdout)::float8
            from journey_entries
            """);
        Assert.InRange(shares.Holdout, 0.07, 0.13);
        Assert.True(shares.HoldoutRate < shares.TreatmentRate, $"holdout {shares.HoldoutRate:P1} should convert less than treatment {shares.TreatmentRate:P1}");
        var channels = (await a.QueryAsync<string>("select distinct channel from messages where status = 'sent' order by 1")).ToList();
        Assert.Equal(["email", "mobile_push", "sms", "web_push"], channels);
    }

    [Fact]
    public async Task RunAsync_NonEmptyDatabase_RefusesAndChangesNothing()
    {
        var connection = await SeedAsync(["--customers", "50", "--until", "2026-03-01"]);
        await using var db = new NpgsqlConnection(connection);
        var before = await db.ExecuteScalarAsync<long>("select count(*) from messages");

        var exitCode = await SeedDemoCommand.RunAsync(["--customers", "50", "--connection", connection]);

        Assert.Equal(3, exitCode);
        Assert.Equal(before, await db.ExecuteScalarAsync<long>("select count(*) from messages"));
    }

    [Fact]
    public async Task RunAsync_UnknownOption_FailsWithUsage()
    {
        Assert.Equal(2, await SeedDemoCommand.RunAsync(["--customers", "many", "--connection", "Host=127.0.0.1"]));
    }

    private static async Task<string> SeedAsync(string[] args)
    {
        var server = await PostgresServer.SharedAsync();
        var connection = await server.CreateDatabaseAsync("seed");
        Assert.Equal(0, await SeedDemoCommand.RunAsync([.. args, "--connection", connection]));
        return connection;
    }

    private sealed record Counts(long Entries, long Messages, long Engagements, long Purchases, string MessagesHash, string PurchasesHash);
}
