using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Workflows;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// Sends/s per channel through the real senders (registered by AddChannelProviders) against a loopback provider peer,
// next to a raw HttpClient loop posting a body of the same size to the same peer path with the same concurrency.
// Usage: dotnet run -c Release --project tests/ChannelBenchmark [seconds per run] [concurrency] [peer latency ms] [channel filter]
// The latency is a fixed number of ms ("20") or a uniform range ("10-30"). A fixed latency answers every request of a
// wave at the same instant, so the client's CPU work per send is done in lockstep bursts; a range spreads it as real
// providers' varying answer times do. Both loops always get the same peer.
// With no latency both loops are CPU-bound on the same cores as the peer; a latency like a real provider's shows
// whether the sender keeps up when the network, not the CPU, is the limit. The CPU columns (process CPU time per
// successful operation, peer included) hold up better than the rates when other work shares the machine.
// `dotnet run -c Release --project tests/ChannelBenchmark -- cpu [filter]` prints CPU µs per send and per piece instead.
if (args.Length > 0 && args[0] == "cpu")
{
    CpuCost.Run(args.Length > 1 ? args[1] : string.Empty);
    return;
}

var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 32;
var latencyRange = (args.Length > 2 ? args[2] : "0").Split('-');
var latencyLow = int.Parse(latencyRange[0], CultureInfo.InvariantCulture);
var latencyHigh = latencyRange.Length > 1 ? int.Parse(latencyRange[1], CultureInfo.InvariantCulture) : latencyLow;
var latencyText = latencyHigh == latencyLow ? $"{latencyLow} ms" : $"{latencyLow}-{latencyHigh} ms (uniform)";
var filter = args.Length > 3 ? args[3] : string.Empty;

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseKestrel(k =>
{
    k.Limits.Http2.MaxStreamsPerConnection = 1000;
    k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http1);
    k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2);
});
await using var peer = builder.Build();
peer.Run(context => Answer(context, TimeSpan.FromMilliseconds(Random.Shared.Next(latencyLow, latencyHigh + 1))));
await peer.StartAsync();
var urls = peer.Urls.ToArray();
var http1 = urls[0].TrimEnd('/');
var http2 = urls[1].TrimEnd('/');

using var googleKey = RSA.Create(2048);
using var apnsKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
using var vapidKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
using var ua = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Providers:SendGrid:ApiKey"] = "SG.bench",
    ["Providers:SendGrid:FromEmail"] = "shop@shop.example",
    ["Providers:SendGrid:TemplateId"] = "d-bench",
    ["Providers:SendGrid:UnsubscribeGroupId"] = "1",
    ["Providers:SendGrid:BaseUrl"] = http1,
    ["Providers:Twilio:AccountSid"] = "ACbench",
    ["Providers:Twilio:AuthToken"] = "tw",
    ["Providers:Twilio:From"] = "+15005550006",
    ["Providers:Twilio:BaseUrl"] = http1,
    ["Providers:Fcm:ServiceAccountJson"] = JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["type"] = "service_account", ["project_id"] = "bench", ["private_key_id"] = "k", ["private_key"] = googleKey.ExportPkcs8PrivateKeyPem(),
        ["client_email"] = "bench@bench.iam.gserviceaccount.com", ["client_id"] = "1", ["token_uri"] = $"{http1}/token",
    }),
    ["Providers:Fcm:BaseUrl"] = http1,
    ["Providers:Apns:TeamId"] = "TEAM123456",
    ["Providers:Apns:KeyId"] = "KEY1234567",
    ["Providers:Apns:PrivateKey"] = apnsKey.ExportPkcs8PrivateKeyPem(),
    ["Providers:Apns:BundleId"] = "example.shop.app",
    ["Providers:Apns:BaseUrl"] = http2,
    ["Providers:Huawei:AppId"] = "1",
    ["Providers:Huawei:ClientId"] = "1",
    ["Providers:Huawei:ClientSecret"] = "s",
    ["Providers:Huawei:TokenUrl"] = $"{http1}/oauth2/v3/token",
    ["Providers:Huawei:BaseUrl"] = http1,
    ["Providers:WebPush:Subject"] = "mailto:ops@shop.example",
    ["Providers:WebPush:PublicKey"] = Base64Url.EncodeToString(WebPushEncryption.PublicBytes(vapidKey)),
    ["Providers:WebPush:PrivateKey"] = Base64Url.EncodeToString(vapidKey.ExportParameters(true).D),
    ["WebPush:AllowedHosts:0"] = new Uri(http1).Host,
    ["Providers:Line:ChannelAccessToken"] = "line",
    ["Providers:Line:BaseUrl"] = http1,
}).Build();
await using var services = new ServiceCollection().AddLogging().AddChannelProviders(configuration).BuildServiceProvider();

var basis = new OutboundMessage
{
    MessageId = 1,
    IdempotencyKey = "bench",
    Channel = Channels.Email,
    Journey = Journeys.AbandonedCart,
    Step = 1,
    Customer = new CustomerProfile
    {
        Id = "c1",
        Email = "ana@example.com",
        Phone = "+14155550123",
        LineUserId = "U1",
        WebPush = new WebPushSubscription($"{http1}/push/sub", Base64Url.EncodeToString(WebPushEncryption.PublicBytes(ua)), Base64Url.EncodeToString(new byte[16])),
        Consents = new HashSet<string>(Consents.All),
    },
    Items = [new CartItem { Sku = "S1", Name = "Trail shoes", Price = 89.9m, ImageUrl = "https://shop.example/i.jpg" }],
    CartValue = 89.9m,
    ClickUrl = "https://cart.example/t/c/x",
};

// One row per measured provider: the customer's tokens pick the mobile push provider.
(string Name, string Channel, CustomerProfile Customer, string RawUrl, bool Http2)[] runs =
[
    ("email (SendGrid)", Channels.Email, basis.Customer, $"{http1}/v3/mail/send", false),
    ("sms (Twilio)", Channels.Sms, basis.Customer, $"{http1}/2010-04-01/Accounts/ACbench/Messages.json", false),
    ("mobile push (FCM)", Channels.MobilePush, basis.Customer with { FcmToken = "fcm" }, $"{http1}/v1/projects/bench/messages:send", false),
    ("mobile push (APNs, HTTP/2)", Channels.MobilePush, basis.Customer with { ApnsToken = new string('a', 64) }, $"{http2}/3/device/{new string('a', 64)}", true),
    ("mobile push (Huawei)", Channels.MobilePush, basis.Customer with { HuaweiToken = "hw" }, $"{http1}/v1/1/messages:send", false),
    ("web push (RFC 8291)", Channels.WebPush, basis.Customer, $"{http1}/push/sub", false),
    ("LINE", Channels.Line, basis.Customer, $"{http1}/v2/bot/message/push", false),
];

// The same client-side settings as the senders' typed clients: pooled SocketsHttpHandler, HTTP/1.1 except APNs.
using var raw = new HttpClient(new SocketsHttpHandler { EnableMultipleHttp2Connections = true });
Console.WriteLine($"{seconds}s per run, {concurrency} concurrent sends, peer latency {latencyText}, {Environment.ProcessorCount} cores, peer and client in one process");
Console.WriteLine("| channel (provider) | sender sends/s | raw HttpClient req/s | ratio | CPU µs/send | CPU µs/raw req | body bytes | errors |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
foreach (var run in runs.Where(r => r.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)))
{
    var message = basis with { Channel = run.Channel, Customer = run.Customer };
    var sender = services.GetServices<IChannelSender>().Single(s => s.Channel == run.Channel);
    Task Send() => sender.SendAsync(message, CancellationToken.None);

    // The raw loop posts as many bytes as the sender's last request carried, to the same path.
    await Send();
    var rawBody = new byte[Peer.LastBodyLength];
    async Task Raw()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, run.RawUrl) { Content = new ByteArrayContent(rawBody) };
        if (run.Http2)
        {
            request.Version = HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        using var response = await raw.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        response.EnsureSuccessStatusCode();
    }

    await RateAsync(Send, TimeSpan.FromSeconds(1));
    await RateAsync(Raw, TimeSpan.FromSeconds(1));
    var (sends, sendCpu, sendErrors) = await RateAsync(Send, TimeSpan.FromSeconds(seconds));
    var (baseline, rawCpu, rawErrors) = await RateAsync(Raw, TimeSpan.FromSeconds(seconds));
    Console.WriteLine(string.Create(
        CultureInfo.InvariantCulture,
        $"| {run.Name} | {sends:0} | {baseline:0} | {sends / baseline:0.00} | {sendCpu:0} | {rawCpu:0} | {rawBody.Length} | {sendErrors}/{rawErrors} |"));
}

await peer.StopAsync();

// Successful operations per second, process CPU µs per successful operation, and the number that failed (printed, never hidden).
async Task<(double PerSecond, double CpuMicroseconds, long Errors)> RateAsync(Func<Task> operation, TimeSpan duration)
{
    long done = 0;
    long errors = 0;
    using var process = Process.GetCurrentProcess();
    var cpu = process.TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        while (clock.Elapsed < duration)
        {
            try
            {
                await operation();
                Interlocked.Increment(ref done);
            }
            catch (Exception e) when (e is HttpRequestException or Temporalio.Exceptions.ApplicationFailureException)
            {
                if (Interlocked.Increment(ref errors) == 1)
                {
                    Console.Error.WriteLine($"first error: {e.Message}");
                }
            }
        }
    }));
    var elapsed = clock.Elapsed;
    process.Refresh();
    return (done / elapsed.TotalSeconds, (process.TotalProcessorTime - cpu).TotalMicroseconds / Math.Max(done, 1), errors);
}

static async Task Answer(HttpContext context, TimeSpan latency)
{
    if (latency > TimeSpan.Zero)
    {
        await Task.Delay(latency);
    }

    var path = context.Request.Path.Value ?? string.Empty;
    var length = 0;
    var buffer = ArrayPool<byte>.Shared.Rent(4096);
    int read;
    while ((read = await context.Request.Body.ReadAsync(buffer)) > 0)
    {
        length += read;
    }

    ArrayPool<byte>.Shared.Return(buffer);
    Peer.LastBodyLength = length;
    var (status, body) = path switch
    {
        "/token" => (200, """{"access_token":"ya29.bench","expires_in":3599,"token_type":"Bearer"}"""),
        "/oauth2/v3/token" => (200, """{"access_token":"hw","expires_in":3600,"token_type":"Bearer"}"""),
        "/v3/mail/send" => (202, string.Empty),
        "/v1/1/messages:send" => (200, """{"code":"80000000","msg":"Success","requestId":"1"}"""),
        _ when path.StartsWith("/2010-04-01/", StringComparison.Ordinal) => (201, """{"sid":"SM1","status":"queued"}"""),
        _ when path.StartsWith("/v1/projects/", StringComparison.Ordinal) => (200, """{"name":"projects/bench/messages/1"}"""),
        _ when path.StartsWith("/push/", StringComparison.Ordinal) => (201, string.Empty),
        _ => (200, "{}"),
    };
    context.Response.StatusCode = status;
    context.Response.ContentType = "application/json";
    if (body.Length > 0)
    {
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(body));
    }
}

/// <summary>What the loopback peer saw last.</summary>
internal static class Peer
{
    public static volatile int LastBodyLength;
}
