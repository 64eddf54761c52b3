using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using AbandonedCart.Activities.Reports;
using AbandonedCart.Activities.Storage;
using AbandonedCart.Worker.Commands;
using Npgsql;

namespace AbandonedCart.ReportBenchmark;

/// <summary>
/// The report benchmark: seeding time of <c>seed-demo</c>, then p50/p95 of the full report (the same call the
/// endpoint makes) for attribution windows of 1, 24 and 168 hours over several date ranges.
/// </summary>
public static class ReportBenchmarkRun
{
    // Fixed so the seeded rows, and so the timed queries, are the same on every run.
    private static readonly DateTime Until = new(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc);

    public static async Task<int> RunAsync(string[] args)
    {
        var customers = Option(args, "--customers") ?? "1750000";
        var iterations = int.Parse(Option(args, "--iterations") ?? "30", CultureInfo.InvariantCulture);
        var connection = Option(args, "--connection");
        var cluster = connection is null ? await ThrowawayCluster.StartAsync() : null;
        try
        {
            connection ??= await cluster!.CreateDatabaseAsync("report_bench");
            var output = Console.Out;
            if (!args.Contains("--skip-seed"))
            {
                var seeding = Stopwatch.StartNew();
                var code = await SeedDemoCommand.RunAsync(["--customers", customers, "--until", "2026-11-01", "--days", "60", "--connection", connection]);
                if (code != 0)
                {
                    return code;
                }

                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"seed-demo --customers {customers}: {seeding.Elapsed.TotalSeconds:F1} s"));
            }

            Migrator.Migrate(connection);
            await using var dataSource = NpgsqlDataSource.Create(connection);
            var store = new ReportStore(dataSource);
            // "rollup" is what the endpoint does once the daily rollup is current. "live" is the part after the last
            // refresh (minutes of entries with the default 10-minute refresh; an hour here to be pessimistic) and, for
            // scale, a whole day computed live as before the first refresh.
            (string Name, DateTime From, DateTime To, bool Live)[] ranges =
            [
                ("1 day, rollup", Until.AddDays(-8), Until.AddDays(-7), false),
                ("7 days, rollup", Until.AddDays(-14), Until.AddDays(-7), false),
                ("30 days, rollup", Until.AddDays(-30), Until, false),
                ("60 days (all), rollup", Until.AddDays(-60), Until, false),
                ("1 hour, live", Until.AddDays(-8).AddHours(12), Until.AddDays(-8).AddHours(13), true),
                ("1 day, live", Until.AddDays(-8), Until.AddDays(-7), true),
            ];
            await output.WriteLineAsync("| range | window | carts | sent | conversions | revenue | p50 ms | p95 ms |");
            await output.WriteLineAsync("|---|---|---|---|---|---|---|---|");
            foreach (var (name, from, to, live) in ranges)
            {
                foreach (var hours in new[] { 1, 24, 168 })
                {
                    var window = TimeSpan.FromHours(hours);
                    JourneyReport? report = null;
                    var times = new List<double>();
                    for (var i = -2; i < (live ? Math.Min(iterations, 10) : iterations); i++)
                    {
                        var watch = Stopwatch.StartNew();
                        var counts = live
                            ? await store.CountLiveAsync(DemoShoppers.Journey, from, to, window)
                            : await store.CountAsync(DemoShoppers.Journey, from, to, window);
                        report = JourneyReport.Create(DemoShoppers.Journey, from, to, hours, counts);
                        if (i >= 0)
                        {
                            // The first two runs warm the cache and are not timed.
                            times.Add(watch.Elapsed.TotalMilliseconds);
                        }
                    }

                    times.Sort();
                    await output.WriteLineAsync(string.Create(
                        CultureInfo.InvariantCulture,
                        $"| {name} | {hours} h | {report!.Carts:N0} | {report.Sent:N0} | {report.Conversions:N0} | {report.Revenue:N0} | {Percentile(times, 0.50):F0} | {Percentile(times, 0.95):F0} |"));
                }
            }

            return 0;
        }
        finally
        {
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }
        }
    }

    private static double Percentile(List<double> sorted, double p) => sorted[(int)Math.Ceiling(p * sorted.Count) - 1];

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

/// <summary>A PostgreSQL cluster in a temp folder from the installed initdb/pg_ctl, run as user postgres when we are root.</summary>
public sealed class ThrowawayCluster : IAsyncDisposable
{
    private readonly string root;
    private readonly int port;

    private ThrowawayCluster(string root, int port)
    {
        this.root = root;
        this.port = port;
    }

    public static async Task<ThrowawayCluster> StartAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), $"report-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await RunAsync("chown", $"-R postgres {root}", asPostgres: false);
        await RunAsync("initdb", $"-D {root}/data -U postgres -A trust -E UTF8 --no-sync", asPostgres: true);
        // Memory sized for a 24 GiB machine; fsync off because the cluster is thrown away (seeding time is then CPU bound).
        var settings = $"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c shared_buffers=2GB -c work_mem=64MB -c maintenance_work_mem=1GB "
            + "-c effective_cache_size=16GB -c max_wal_size=8GB -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        await RunAsync("pg_ctl", $"-D {root}/data -l {root}/log -o \"{settings}\" -w start", asPostgres: true);
        return new ThrowawayCluster(root, port);
    }

    public async Task<string> CreateDatabaseAsync(string name)
    {
        var admin = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres";
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"create database {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return $"Host=127.0.0.1;Port={port};Username=postgres;Database={name};Command Timeout=0";
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await RunAsync("pg_ctl", $"-D {root}/data -m immediate -w stop", asPostgres: true);
        Directory.Delete(root, recursive: true);
    }

    private static async Task RunAsync(string file, string args, bool asPostgres)
    {
        var start = asPostgres && Environment.UserName == "root"
            ? new ProcessStartInfo("runuser", $"-u postgres -- {file} {args}")
            : new ProcessStartInfo(file, args);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {args} exited {process.ExitCode}: {await stderr}");
        }
    }
}
