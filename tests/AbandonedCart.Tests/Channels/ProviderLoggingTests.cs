using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Customers;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ChannelNames = AbandonedCart.Workflows.Channels;

namespace AbandonedCart.Tests.Channels;

/// <summary>
/// The Worker's provider wiring (<c>AddChannelProviders</c>) in a host whose logs are captured at every level, sending
/// through every provider to loopback peers: no address, token, endpoint or secret reaches the logs.
/// </summary>
public sealed class ProviderLoggingTests : IAsyncLifetime
{
    private const string Email = "ana.logtest@example.com";
    private const string Phone = "+14155550187";
    private const string FcmToken = "fcm-token-logtest-7f3a";
    private const string HuaweiToken = "huawei-token-logtest-51c2";
    private const string LineUserId = "U0logtest0000000000000000000000aa";
    private const string SubscriptionPath = "push/subscription-logtest-9d1e";
    private static readonly string ApnsToken = new('d', 64);

    private readonly RSA googleKey = RSA.Create(2048);
    private readonly ECDsa apnsKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa vapidKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDiffieHellman ua = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
    private readonly CapturedLogs logs = new();
    private LoopbackPeer http1 = null!;
    private LoopbackPeer http2 = null!;

    public async Task InitializeAsync()
    {
        http1 = await LoopbackPeer.StartAsync();
        http1.Respond = r => r.Path switch
        {
            "/token" => new PeerResponse(200, """{"access_token":"ya29.logtest","expires_in":3599,"token_type":"Bearer"}"""),
            "/oauth2/v3/token" => new PeerResponse(200, """{"access_token":"hw-logtest","expires_in":3600,"token_type":"Bearer"}"""),
            "/v3/mail/send" => new PeerResponse(202, Headers: new Dictionary<string, string> { ["X-Message-Id"] = "sg-1" }),
            "/v1/1/messages:send" => new PeerResponse(200, """{"code":"80000000","msg":"Success","requestId":"1"}"""),
            _ when r.Path.StartsWith("/2010-04-01/", StringComparison.Ordinal) => new PeerResponse(201, """{"sid":"SM1","status":"queued"}"""),
            _ when r.Path.StartsWith("/v1/projects/", StringComparison.Ordinal) => new PeerResponse(200, """{"name":"projects/shop-test/messages/1"}"""),
            _ when r.Path.StartsWith("/push/", StringComparison.Ordinal) => new PeerResponse(201),
            _ when r.Path.StartsWith("/v2/bot/", StringComparison.Ordinal) => new PeerResponse(200, """{"sentMessages":[{"id":"1"}]}"""),
            _ when r.Path.Contains("/users", StringComparison.Ordinal) => new PeerResponse(200, """{"audience_id":"238","num_received":1,"num_invalid_entries":0}"""),
            _ => new PeerResponse(200, """{"requestId":"r-1"}"""),
        };
        http2 = await LoopbackPeer.StartAsync(HttpProtocols.Http2);
        http2.Respond = _ => new PeerResponse(200, Headers: new Dictionary<string, string> { ["apns-id"] = "apns-1" });
    }

    public async Task DisposeAsync()
    {
        googleKey.Dispose();
        apnsKey.Dispose();
        vapidKey.Dispose();
        ua.Dispose();
        await http1.DisposeAsync();
        await http2.DisposeAsync();
    }

    [Fact]
    public async Task SendAsync_EveryProvider_LogsHostsAndStatusesButNoAddressTokenEndpointOrSecret()
    {
        using var host = Host();
        var senders = host.Services.GetServices<IChannelSender>().ToDictionary(s => s.Channel);
        var customer = new CustomerProfile
        {
            Id = "cust-logtest",
            Email = Email,
            Phone = Phone,
            LineUserId = LineUserId,
            WebPush = new WebPushSubscription(
                new Uri(http1.BaseUri, SubscriptionPath).ToString(),
                Base64Url.EncodeToString(WebPushEncryption.PublicBytes(ua)),
                Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16))),
            Consents = new HashSet<string>(Workflows.Consents.All),
        };

        var receipts = new List<ProviderReceipt>
        {
            await senders[ChannelNames.Email].SendAsync(ProviderTest.Message(customer, ChannelNames.Email), CancellationToken.None),
            await senders[ChannelNames.Sms].SendAsync(ProviderTest.Message(customer, ChannelNames.Sms), CancellationToken.None),
            await senders[ChannelNames.MobilePush].SendAsync(ProviderTest.Message(customer with { FcmToken = FcmToken }, ChannelNames.MobilePush), CancellationToken.None),
            await senders[ChannelNames.MobilePush].SendAsync(ProviderTest.Message(customer with { ApnsToken = ApnsToken }, ChannelNames.MobilePush), CancellationToken.None),
            await senders[ChannelNames.MobilePush].SendAsync(ProviderTest.Message(customer with { HuaweiToken = HuaweiToken }, ChannelNames.MobilePush), CancellationToken.None),
            await senders[ChannelNames.WebPush].SendAsync(ProviderTest.Message(customer, ChannelNames.WebPush), CancellationToken.None),
            await senders[ChannelNames.Line].SendAsync(ProviderTest.Message(customer, ChannelNames.Line), CancellationToken.None),
        };
        foreach (var audience in host.Services.GetServices<IAudienceSender>())
        {
            await audience.AddAsync(customer.Id, Email, "key-logtest", CancellationToken.None);
        }

        Assert.Equal(["sendgrid", "twilio", "fcm", "apns", "huawei", "webpush", "line"], receipts.Select(r => r.Provider));
        Assert.Contains(http2.Requests, r => r.Path == $"/3/device/{ApnsToken}");
        Assert.Contains(http1.Requests, r => r.Path == $"/{SubscriptionPath}");
        var text = logs.Text;
        Assert.Contains(logs.Entries, e => e.Category == typeof(ProviderHttpLogger).FullName && e.Message.Contains("127.0.0.1 answered 20", StringComparison.Ordinal));
        foreach (var secret in new[] { Email, Phone, FcmToken, ApnsToken, HuaweiToken, LineUserId, SubscriptionPath, "SG.logtest-key", "twilio-logtest-auth", "line-logtest-token" })
        {
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        }
    }

    private IHost Host()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddProvider(logs);
        var peer = http1.BaseUri.ToString().TrimEnd('/');
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["WebPush:AllowedHosts:0"] = http1.BaseUri.Host,
            ["Providers:SendGrid:ApiKey"] = "SG.logtest-key",
            ["Providers:SendGrid:FromEmail"] = "shop@shop.example",
            ["Providers:SendGrid:TemplateId"] = "d-1",
            ["Providers:SendGrid:UnsubscribeGroupId"] = "7",
            ["Providers:SendGrid:BaseUrl"] = peer,
            ["Providers:Twilio:AccountSid"] = "AC0123456789abcdef0123456789abcdef",
            ["Providers:Twilio:AuthToken"] = "twilio-logtest-auth",
            ["Providers:Twilio:From"] = "+15005550006",
            ["Providers:Twilio:BaseUrl"] = peer,
            ["Providers:Fcm:ServiceAccountJson"] = FcmPushSenderTests.ServiceAccountJson(http1, googleKey),
            ["Providers:Fcm:BaseUrl"] = peer,
            ["Providers:Apns:TeamId"] = "TEAM123456",
            ["Providers:Apns:KeyId"] = "KEY1234567",
            ["Providers:Apns:PrivateKey"] = apnsKey.ExportPkcs8PrivateKeyPem(),
            ["Providers:Apns:BundleId"] = "example.shop.app",
            ["Providers:Apns:BaseUrl"] = http2.BaseUri.ToString().TrimEnd('/'),
            ["Providers:Huawei:AppId"] = "1",
            ["Providers:Huawei:ClientId"] = "1",
            ["Providers:Huawei:ClientSecret"] = "s",
            ["Providers:Huawei:TokenUrl"] = $"{peer}/oauth2/v3/token",
            ["Providers:Huawei:BaseUrl"] = peer,
            ["Providers:WebPush:Subject"] = "mailto:ops@shop.example",
            ["Providers:WebPush:PublicKey"] = Base64Url.EncodeToString(WebPushEncryption.PublicBytes(vapidKey)),
            ["Providers:WebPush:PrivateKey"] = Base64Url.EncodeToString(vapidKey.ExportParameters(true).D),
            ["Providers:Line:ChannelAccessToken"] = "line-logtest-token",
            ["Providers:Line:BaseUrl"] = peer,
            ["Providers:Meta:AccessToken"] = "meta-logtest",
            ["Providers:Meta:AudienceId"] = "238",
            ["Providers:Meta:BaseUrl"] = peer,
            ["Providers:GoogleAds:ServiceAccountJson"] = FcmPushSenderTests.ServiceAccountJson(http1, googleKey),
            ["Providers:GoogleAds:OperatingAccountId"] = "123",
            ["Providers:GoogleAds:UserListId"] = "456",
            ["Providers:GoogleAds:BaseUrl"] = peer,
        });
        builder.Services.AddChannelProviders(builder.Configuration);
        return builder.Build();
    }

    /// <summary>A real logger provider: keeps every entry's category, rendered message, state values and exception.</summary>
    private sealed class CapturedLogs : ILoggerProvider
    {
        private readonly ConcurrentQueue<(string Category, string Message)> entries = new();

        public IReadOnlyList<(string Category, string Message)> Entries => [.. entries];

        public string Text => string.Join('\n', entries.Select(e => $"{e.Category}: {e.Message}"));

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, entries);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<(string, string)> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}")) : string.Empty;
                entries.Enqueue((category, $"{formatter(state, exception)} | {values} | {exception}"));
            }
        }
    }
}
