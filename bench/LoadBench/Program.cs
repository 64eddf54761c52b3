using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using AbandonedCart.Api.Security;

// A storefront in a second process: signed single cart events into POST /v1/events at a fixed concurrency.
// Usage: AbandonedCart.LoadBench <api url> <signing secret> <concurrency> <seconds>
var url = new Uri(args.ElementAtOrDefault(0) ?? "http://127.0.0.1:5080");
var secret = args.ElementAtOrDefault(1) ?? "bench-secret";
var concurrency = int.Parse(args.ElementAtOrDefault(2) ?? "16", CultureInfo.InvariantCulture);
var duration = TimeSpan.FromSeconds(int.Parse(args.ElementAtOrDefault(3) ?? "20", CultureInfo.InvariantCulture));

using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = url };
var run = $"{Environment.ProcessId}-{DateTime.UtcNow:HHmmss}";

// Warm-up (JIT, connection pools) is not measured.
await RunAsync(TimeSpan.FromSeconds(3), "warm");
var (latencies, failures, elapsed) = await RunAsync(duration, "run");

latencies.Sort();
double Percentile(double p) => latencies[Math.Min(latencies.Count - 1, (int)(p * latencies.Count))];
Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"events={latencies.Count} failures={failures} concurrency={concurrency} seconds={elapsed.TotalSeconds:0.0} events_per_s={latencies.Count / elapsed.TotalSeconds:0} p50_ms={Percentile(0.50):0.00} p99_ms={Percentile(0.99):0.00}"));
return failures == 0 ? 0 : 1;

async Task<(List<double> Latencies, int Failures, TimeSpan Elapsed)> RunAsync(TimeSpan length, string phase)
{
    var all = new List<double>();
    var failed = 0;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
    {
        var mine = new List<double>();
        for (var n = 0; clock.Elapsed < length; n++)
        {
            var body = Encoding.UTF8.GetBytes($$"""
                {"id":"{{phase}}-{{run}}-{{worker}}-{{n}}","type":"cart_updated","customerId":"bench-{{worker}}-{{n % 100}}",
                 "occurredAt":"{{DateTimeOffset.UtcNow:O}}","device":"mobile","currency":"EUR","value":39.8,
                 "items":[{"sku":"A1","name":"Lipstick","price":19.9,"quantity":2,"url":"https://shop.example.com/a1"}]}
                """);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(secret, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), body));
            var started = Stopwatch.GetTimestamp();
            using var response = await client.SendAsync(request);
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                mine.Add(ms);
            }
            else
            {
                Interlocked.Increment(ref failed);
            }
        }

        lock (all)
        {
            all.AddRange(mine);
        }
    }));
    return (all, failed, clock.Elapsed);
}
