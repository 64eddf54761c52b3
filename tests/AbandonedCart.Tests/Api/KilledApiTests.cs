using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using AbandonedCart.Api.Events;
using AbandonedCart.Tests.Infrastructure;
using Dapper;

namespace AbandonedCart.Tests.Api;

/// <summary>
/// The real Api as its own process, killed with SIGKILL right after answering 202: every accepted event is in
/// PostgreSQL and is delivered exactly once by the relay that runs after the restart.
/// </summary>
public sealed class KilledApiTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task ApiProcess_KilledRightAfter202_EveryAcceptedEventDeliveredOnceAfterRestart()
    {
        var port = FreePort();
        var customers = Enumerable.Range(0, 5).Select(_ => $"c-{Guid.NewGuid():N}").ToArray();
        var accepted = new List<string>();
        using (var api = StartApi(port))
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await WaitUntilLiveAsync(client, api);
            for (var i = 0; i < 50; i++)
            {
                var id = $"e-{Guid.NewGuid():N}";
                using var response = await client.SendAsync(ApiFactory.SignedEvent(Cart(id, customers[i % customers.Length], i)));
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                accepted.Add(id);
            }

            // SIGKILL straight after the last 202: no shutdown, no flush, no relay pass.
            api.Kill(entireProcessTree: true);
            await api.WaitForExitAsync();
        }

        await using (var conn = await db.DataSource.OpenConnectionAsync())
        {
            var stored = await conn.ExecuteScalarAsync<int>("SELECT count(*) FROM storefront_events WHERE event_id = ANY(@accepted)", new { accepted = accepted.ToArray() });
            Assert.Equal(50, stored);
        }

        // The restarted Api: same database, Temporal reachable again (recorded).
        var signals = new RecordingSignals();
        using var restarted = new ApiFactory(db.ConnectionString, signals);
        using var started = restarted.CreateClient();
        await Eventually.HoldsAsync(async () =>
        {
            await using var conn = await db.DataSource.OpenConnectionAsync();
            return await conn.ExecuteScalarAsync<int>(
                "SELECT count(*) FROM storefront_events WHERE event_id = ANY(@accepted) AND delivery_status = 'delivered'", new { accepted = accepted.ToArray() }) == 50;
        });

        var delivered = signals.Delivered.Select(d => d.EventId).Where(accepted.Contains).ToList();
        Assert.Equal(accepted.Order(), delivered.Order());
        foreach (var customer in customers)
        {
            Assert.Equal(
                accepted.Where((_, i) => customers[i % customers.Length] == customer),
                signals.Delivered.Where(d => d.CustomerId == customer).Select(d => d.EventId));
        }
    }

    private static string Cart(string id, string customer, int index) => $$"""
        {"id": "{{id}}", "type": "cart_updated", "customerId": "{{customer}}", "occurredAt": "2026-03-02T10:{{index % 60:00}}:00Z",
         "device": "mobile", "currency": "EUR", "items": [{"sku": "A{{index}}", "name": "Lipstick", "price": 19.9}]}
        """;

    private Process StartApi(int port)
    {
        var directory = Path.GetDirectoryName(typeof(InboxRelay).Assembly.Location)!;
        var start = new ProcessStartInfo("dotnet", ["AbandonedCart.Api.dll", "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ConnectionStrings__Postgres"] = db.ConnectionString;
        start.Environment["Webhooks__SigningSecret"] = ApiFactory.SigningSecret;

        // Temporal is unreachable for the first process, so nothing it accepted can have been delivered before the kill.
        start.Environment["Temporal__Address"] = "127.0.0.1:1";
        start.Environment["Inbox__RetryBase"] = "00:00:00.050";
        start.Environment["Inbox__RetryMax"] = "00:00:00.200";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Providers__Outbox"] = "true";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitUntilLiveAsync(HttpClient client, Process api)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            Assert.False(api.HasExited, $"The Api exited with code {(api.HasExited ? api.ExitCode : 0)}.");
            Assert.True(DateTime.UtcNow < deadline, "The Api did not start in 60 s.");
            try
            {
                using var response = await client.GetAsync("/health/live");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
