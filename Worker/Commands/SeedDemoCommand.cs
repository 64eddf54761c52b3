using System.Diagnostics;
using System.Globalization;
using AbandonedCart.Activities.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace AbandonedCart.Worker.Commands;

/// <summary>
/// <c>seed-demo [--customers N] [--seed S] [--until yyyy-MM-dd] [--days D] [--connection CS]</c>: fills an empty
/// database with synthetic abandoned-cart journeys so the dashboard has something to show and benchmarks have data.
/// Same arguments, same rows. Uses binary COPY with secondary indexes dropped during the load and rebuilt after,
/// because maintaining five indexes row by row is what makes 10 million messages slow.
/// </summary>
public static class SeedDemoCommand
{
    private const string Usage = "usage: seed-demo [--customers N] [--seed S] [--until yyyy-MM-dd] [--days D] [--connection <connection string>]";
    private static readonly string[] Tables = ["customers", "journey_entries", "messages", "engagements", "purchases"];

    public static async Task<int> RunAsync(string[] args)
    {
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        var log = loggers.CreateLogger("seed-demo");
        if (!TryParse(args, out var options, out var error))
        {
            log.LogError("{Error}\n{Usage}", error, Usage);
            return 2;
        }

        var clock = Stopwatch.StartNew();
        Migrator.Migrate(options.Connection, log);
        await using var dataSource = NpgsqlDataSource.Create(options.Connection);
        if (await NonEmptyTableAsync(dataSource) is { } table)
        {
            log.LogError("Refusing to seed: table '{Table}' already has rows. seed-demo only fills an empty database; point --connection at a new one.", table);
            return 3;
        }

        var shoppers = new DemoShoppers(options.Seed, options.Until.AddDays(-options.Days), options.Until);
        var indexes = await DropSecondaryIndexesAsync(dataSource);

        // Messages must exist before engagements (foreign key); the other tables load alongside.
        await Task.WhenAll(
            Task.Run(async () =>
            {
                await CopyAsync(dataSource, options.Customers, shoppers, MessagesCopy);
                await CopyAsync(dataSource, options.Customers, shoppers, EngagementsCopy);
            }),
            Task.Run(async () =>
            {
                await CopyAsync(dataSource, options.Customers, shoppers, CustomersCopy);
                await CopyAsync(dataSource, options.Customers, shoppers, EntriesCopy);
                await CopyAsync(dataSource, options.Customers, shoppers, PurchasesCopy);
            }));
        log.LogInformation("Rows copied after {Seconds:F1} s; rebuilding {Count} indexes", clock.Elapsed.TotalSeconds, indexes.Count);

        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            foreach (var definition in indexes)
            {
                await using var create = new NpgsqlCommand(definition, connection) { CommandTimeout = 0 };
                await create.ExecuteNonQueryAsync();
            }

            var sql = $"select setval('messages_id_seq', {DemoShoppers.MaxMessageId(options.Customers)})";
            await using var sequence = new NpgsqlCommand(sql, connection);
            await sequence.ExecuteNonQueryAsync();

            // VACUUM sets the visibility map, without which the report's index-only scans still visit every heap page.
            await using var vacuum = new NpgsqlCommand("vacuum analyze", connection) { CommandTimeout = 0 };
            await vacuum.ExecuteNonQueryAsync();
        }

        var counts = await CountsAsync(dataSource);
        log.LogInformation("Seeded {Counts} in {Seconds:F1} s", counts, clock.Elapsed.TotalSeconds);

        // Build the report rollup now, so the first dashboard view over the demo range is already fast.
        var rollup = Stopwatch.StartNew();
        await new ReportStore(dataSource).RefreshAsync(DateTimeOffset.UtcNow > options.Until ? DateTimeOffset.UtcNow : options.Until);
        log.LogInformation("Report rollup built in {Seconds:F1} s (total {Total:F1} s)", rollup.Elapsed.TotalSeconds, clock.Elapsed.TotalSeconds);
        return 0;
    }

    private sealed record Options(int Customers, ulong Seed, DateTime Until, int Days, string Connection);

    private static bool TryParse(string[] args, out Options options, out string? error)
    {
        options = null!;
        error = null;
        var customers = 10_000;
        ulong seed = 42;
        var days = 60;
        var until = DateTime.UtcNow.Date.AddDays(1);
        var connection = Environment.GetEnvironmentVariable("ConnectionStrings__Postgres");
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name == "seed-demo")
            {
                continue;
            }

            var value = i + 1 < args.Length ? args[++i] : null;
            var ok = name switch
            {
                "--customers" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out customers) && customers is > 0 and <= 100_000_000,
                "--seed" => ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out seed),
                "--days" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out days) && days is > 0 and <= 3650,
                "--until" => DateTime.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out until),
                "--connection" => (connection = value) is not null,
                _ => false,
            };
            if (!ok)
            {
                error = $"Bad or unknown option '{name}' '{value}'.";
                return false;
            }
        }

        if (string.IsNullOrWhiteSpace(connection))
        {
            error = "No database: set ConnectionStrings__Postgres or pass --connection.";
            return false;
        }

        options = new Options(customers, seed, DateTime.SpecifyKind(until, DateTimeKind.Utc), days, connection);
        return true;
    }

    private static async Task<string?> NonEmptyTableAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        foreach (var table in Tables)
        {
            await using var command = new NpgsqlCommand($"select exists (select 1 from {table})", connection);
            if ((bool)(await command.ExecuteScalarAsync())!)
            {
                return table;
            }
        }

        return null;
    }

    /// <summary>Drops the plain (non-constraint) indexes of the seeded tables and returns their definitions.</summary>
    private static async Task<List<string>> DropSecondaryIndexesAsync(NpgsqlDataSource dataSource)
    {
        const string sql = """
            select i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            from pg_index i
            join pg_class t on t.oid = i.indrelid
            where t.relname = any(@tables) and t.relnamespace = 'public'::regnamespace
              and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)
            """;
        var definitions = new List<(string Name, string Definition)>();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using (var command = new NpgsqlCommand(sql, connection))
        {
            command.Parameters.AddWithValue("tables", Tables);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                definitions.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        foreach (var (name, _) in definitions)
        {
            await using var drop = new NpgsqlCommand($"drop index {name}", connection);
            await drop.ExecuteNonQueryAsync();
        }

        return definitions.Select(d => d.Definition).ToList();
    }

    private static async Task CopyAsync(NpgsqlDataSource dataSource, int customers, DemoShoppers shoppers, (string Copy, Action<NpgsqlBinaryImporter, DemoShopper> Write) table)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var writer = await connection.BeginBinaryImportAsync(table.Copy);
        writer.Timeout = TimeSpan.Zero;
        for (var customer = 0; customer < customers; customer++)
        {
            table.Write(writer, shoppers.Simulate(customer));
        }

        await writer.CompleteAsync();
    }

    private static readonly (string, Action<NpgsqlBinaryImporter, DemoShopper>) CustomersCopy = (
        "copy customers (id, email, phone, time_zone, fcm_token, web_push_endpoint, created_at) from stdin (format binary)",
        (w, s) =>
        {
            var n = s.Id["demo-".Length..];
            w.StartRow();
            w.Write(s.Id, NpgsqlDbType.Text);
            w.Write($"shopper{n}@example.com", NpgsqlDbType.Text);
            w.Write($"+4207{n}", NpgsqlDbType.Text);
            w.Write("Europe/Prague", NpgsqlDbType.Text);
            WriteOrNull(w, s.Mobile ? $"demo-fcm-{n}" : null);
            WriteOrNull(w, s.Mobile ? null : $"https://push.example.com/{n}");
            w.Write(s.Entries.Count > 0 ? s.Entries[0].EnteredAt.AddDays(-1) : DateTime.UnixEpoch, NpgsqlDbType.TimestampTz);
        });

    private static readonly (string, Action<NpgsqlBinaryImporter, DemoShopper>) EntriesCopy = (
        "copy journey_entries (entry_key, customer_id, journey, workflow_id, entered_at, holdout, cart_value, outcome, ended_at) from stdin (format binary)",
        (w, s) =>
        {
            foreach (var e in s.Entries)
            {
                w.StartRow();
                w.Write(e.Key, NpgsqlDbType.Text);
                w.Write(s.Id, NpgsqlDbType.Text);
                w.Write(DemoShoppers.Journey, NpgsqlDbType.Text);
                w.Write($"{DemoShoppers.Journey}-{s.Id}", NpgsqlDbType.Text);
                w.Write(e.EnteredAt, NpgsqlDbType.TimestampTz);
                w.Write(e.Holdout, NpgsqlDbType.Boolean);
                w.Write(e.CartValue, NpgsqlDbType.Numeric);
                w.Write(e.Outcome, NpgsqlDbType.Text);
                w.Write(e.EndedAt, NpgsqlDbType.TimestampTz);
            }
        });

    private static readonly (string, Action<NpgsqlBinaryImporter, DemoShopper>) MessagesCopy = (
        "copy messages (id, idempotency_key, customer_id, journey, entry_key, channel, step, status, reason, provider, created_at, sent_at, updated_at) from stdin (format binary)",
        (w, s) =>
        {
            foreach (var m in s.Messages)
            {
                var sent = m.Status == "sent";
                w.StartRow();
                w.Write(m.Id, NpgsqlDbType.Bigint);
                w.Write($"{m.EntryKey}:{m.Step}", NpgsqlDbType.Text);
                w.Write(s.Id, NpgsqlDbType.Text);
                w.Write(DemoShoppers.Journey, NpgsqlDbType.Text);
                w.Write(m.EntryKey, NpgsqlDbType.Text);
                w.Write(m.Channel, NpgsqlDbType.Text);
                w.Write(m.Step, NpgsqlDbType.Integer);
                w.Write(m.Status, NpgsqlDbType.Text);
                WriteOrNull(w, m.Reason);
                WriteOrNull(w, sent ? "outbox" : null);
                w.Write(m.At, NpgsqlDbType.TimestampTz);
                if (sent)
                {
                    w.Write(m.At, NpgsqlDbType.TimestampTz);
                }
                else
                {
                    w.WriteNull();
                }

                w.Write(m.At, NpgsqlDbType.TimestampTz);
            }
        });

    private static readonly (string, Action<NpgsqlBinaryImporter, DemoShopper>) EngagementsCopy = (
        "copy engagements (message_id, customer_id, kind, occurred_at, source) from stdin (format binary)",
        (w, s) =>
        {
            foreach (var e in s.Engagements)
            {
                w.StartRow();
                w.Write(e.MessageId, NpgsqlDbType.Bigint);
                w.Write(s.Id, NpgsqlDbType.Text);
                w.Write(e.Kind, NpgsqlDbType.Text);
                w.Write(e.At, NpgsqlDbType.TimestampTz);
                w.Write("demo", NpgsqlDbType.Text);
            }
        });

    private static readonly (string, Action<NpgsqlBinaryImporter, DemoShopper>) PurchasesCopy = (
        "copy purchases (order_id, customer_id, revenue, occurred_at) from stdin (format binary)",
        (w, s) =>
        {
            foreach (var p in s.Purchases)
            {
                w.StartRow();
                w.Write(p.OrderId, NpgsqlDbType.Text);
                w.Write(s.Id, NpgsqlDbType.Text);
                w.Write(p.Revenue, NpgsqlDbType.Numeric);
                w.Write(p.At, NpgsqlDbType.TimestampTz);
            }
        });

    private static void WriteOrNull(NpgsqlBinaryImporter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNull();
        }
        else
        {
            writer.Write(value, NpgsqlDbType.Text);
        }
    }

    private static async Task<string> CountsAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var parts = new List<string>();
        foreach (var table in Tables)
        {
            await using var command = new NpgsqlCommand($"select count(*) from {table}", connection) { CommandTimeout = 0 };
            var count = (long)(await command.ExecuteScalarAsync())!;
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{table}={count:N0}"));
        }

        return string.Join(", ", parts);
    }
}
