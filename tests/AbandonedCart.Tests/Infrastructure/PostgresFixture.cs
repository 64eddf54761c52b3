using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AbandonedCart.Activities.Storage;
using Npgsql;

namespace AbandonedCart.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL for tests. Uses <c>ABANDONED_CART_TEST_POSTGRES</c> (or <c>ConnectionStrings__Postgres</c>) when set;
/// otherwise starts a throwaway cluster from the installed binaries (initdb runs as the postgres user when we are root).
/// Each test class gets its own freshly migrated database via <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static PostgresServer? shared;
    private readonly string? dataDir;

    private PostgresServer(string adminConnectionString, string? dataDir)
    {
        AdminConnectionString = adminConnectionString;
        this.dataDir = dataDir;
    }

    public string AdminConnectionString { get; }

    /// <summary>The one server of this test process, started on first use and stopped at process exit.</summary>
    public static async Task<PostgresServer> SharedAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (shared is null)
            {
                shared = await StartAsync();
                AppDomain.CurrentDomain.ProcessExit += (_, _) => shared.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            return shared;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Creates an empty database with the schema applied and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 33, 60)].ToLowerInvariant();
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await cmd.ExecuteNonQueryAsync();
        }

        var cs = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
        Migrator.Migrate(cs);
        return cs;
    }

    public async ValueTask DisposeAsync()
    {
        if (dataDir is null)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        await RunAsync("pg_ctl", $"-D \"{dataDir}\" -m immediate -w stop", asPostgres: true, throwOnError: false);
        try
        {
            Directory.Delete(Path.GetDirectoryName(dataDir)!, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static async Task<PostgresServer> StartAsync()
    {
        var given = Environment.GetEnvironmentVariable("ABANDONED_CART_TEST_POSTGRES")
            ?? Environment.GetEnvironmentVariable("ConnectionStrings__Postgres");
        if (!string.IsNullOrWhiteSpace(given))
        {
            return new PostgresServer(given, null);
        }

        var root = Path.Combine(Path.GetTempPath(), $"acpg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        var dataDir = Path.Combine(root, "data");
        Directory.CreateDirectory(root);
        var port = FreePort();
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", $"-R postgres \"{root}\"", asPostgres: false);
        }

        await RunAsync("initdb", $"-D \"{dataDir}\" -U postgres -A trust -E UTF8 --no-sync", asPostgres: true);
        var opts = $"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
        await RunAsync("pg_ctl", $"-D \"{dataDir}\" -l \"{root}/log\" -o \"{opts}\" -w start", asPostgres: true);
        var cs = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=50";
        return new PostgresServer(cs, dataDir);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, string args, bool asPostgres, bool throwOnError = true)
    {
        var asRoot = Environment.UserName == "root";
        var psi = asPostgres && asRoot
            ? new ProcessStartInfo("runuser", $"-u postgres -- {file} {args}")
            : new ProcessStartInfo(file, args);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (throwOnError && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {args} exited {process.ExitCode}: {await stdout}{await stderr}");
        }
    }
}

/// <summary>xUnit class fixture: one fresh, migrated database per test class.</summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = string.Empty;

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var server = await PostgresServer.SharedAsync();
        ConnectionString = await server.CreateDatabaseAsync();
        DataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    public async Task DisposeAsync() => await DataSource.DisposeAsync();
}
