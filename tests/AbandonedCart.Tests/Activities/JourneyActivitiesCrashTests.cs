using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using AbandonedCart.Activities;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Tests.Channels;
using AbandonedCart.Tests.Infrastructure;
using AbandonedCart.Workflows;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using static AbandonedCart.Tests.Activities.ActivitiesHost;

namespace AbandonedCart.Tests.Activities;

using ChannelNames = AbandonedCart.Workflows.Channels;

/// <summary>
/// The crash-window guarantee for every provider-backed channel: the attempt crashes right after its row was committed as
/// <c>sent</c> and before the activity returns; 1,000 retries of the same request then reach the real sender against
/// its loopback peer, and the peer must have seen exactly one provider call.
/// </summary>
public sealed class JourneyActivitiesCrashTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>
{
    private const int Retries = 1_000;

    [Theory]
    [InlineData(SendGridEmailSender.Name)]
    [InlineData(TwilioSmsSender.Name)]
    [InlineData(FcmPushSender.Name)]
    [InlineData(ApnsPushSender.Name)]
    [InlineData(HuaweiPushSender.Name)]
    [InlineData(WebPushSender.Name)]
    [InlineData(LinePushSender.Name)]
    public async Task SendMessageAsync_CrashAfterSendLogged_Retried1000Times_NoDuplicateProviderCall(string provider)
    {
        await using var rig = await ProviderRig.StartAsync(provider);
        var crash = new CrashAfterSentLogged();
        using var host = new ActivitiesHost(db.ConnectionString, crash, rig.Sender);
        var request = Send(await host.CustomerAsync(rig.Shape, rig.Consent), rig.Channel);

        await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync(() => host.Activities.SendMessageAsync(request)));
        var atCrash = await host.Messages.FindAsync(request.IdempotencyKey);
        var results = new List<SendResult>(Retries);
        for (var i = 0; i < Retries; i++)
        {
            results.Add(await RunAsync(() => host.Activities.SendMessageAsync(request)));
        }

        var row = await host.Messages.FindAsync(request.IdempotencyKey);
        var logged = Assert.Single(crash.Seen);
        Assert.Equal(1, rig.ProviderCalls);
        Assert.Equal(("sent", rig.ProviderMessageId), (atCrash!.Status, atCrash.ProviderMessageId));
        Assert.Equal(new SendResult { Status = "sent", MessageId = row!.Id, ProviderMessageId = rig.ProviderMessageId }, logged);
        Assert.All(results, r => Assert.Equal(logged, r));
        Assert.Equal(("sent", provider, rig.ProviderMessageId), (row.Status, row.Provider, row.ProviderMessageId));
    }

    /// <summary>Throws on the first send it sees, as a worker would that died after committing <c>sent</c>.</summary>
    private sealed class CrashAfterSentLogged : ISendObserver
    {
        public ConcurrentQueue<SendResult> Seen { get; } = new();

        public Task SentLoggedAsync(SendRequest request, SendResult result, CancellationToken cancellationToken)
        {
            Seen.Enqueue(result);
            return Seen.Count == 1 ? throw new InvalidOperationException("crashed after the send was logged") : Task.CompletedTask;
        }
    }

    /// <summary>One provider's real sender against a loopback peer that answers like the provider.</summary>
    private sealed class ProviderRig : IAsyncDisposable
    {
        private readonly List<IDisposable> owned = [];
        private Func<PeerRequest, bool> sendPath = _ => true;

        private ProviderRig(LoopbackPeer peer) => Peer = peer;

        public LoopbackPeer Peer { get; }

        public IChannelSender Sender { get; private set; } = null!;

        public string Channel { get; private set; } = string.Empty;

        public string Consent { get; private set; } = string.Empty;

        public Func<CustomerProfile, CustomerProfile> Shape { get; private set; } = c => c;

        public string ProviderMessageId { get; private set; } = string.Empty;

        /// <summary>Requests to the provider's send endpoint (token grants are not sends).</summary>
        public int ProviderCalls => Peer.Requests.Count(sendPath);

        public static async Task<ProviderRig> StartAsync(string provider)
        {
            var rig = new ProviderRig(await LoopbackPeer.StartAsync(provider == ApnsPushSender.Name ? HttpProtocols.Http2 : HttpProtocols.Http1));
            var http = rig.Own(new HttpClient());
            var peer = rig.Peer;
            switch (provider)
            {
                case SendGridEmailSender.Name:
                    rig.ProviderMessageId = "sg-msg-1";
                    peer.Respond = _ => new PeerResponse(202, Headers: new Dictionary<string, string> { ["X-Message-Id"] = "sg-msg-1" });
                    rig.Use(ChannelNames.Email, Consents.Email, new SendGridEmailSender(http, Options.Create(new SendGridOptions
                    {
                        ApiKey = "SG.test-key", FromEmail = "shop@shop.example", TemplateId = "d-0123456789abcdef", UnsubscribeGroupId = 4242,
                        BaseUrl = peer.BaseUri.ToString().TrimEnd('/'),
                    })));
                    break;

                case TwilioSmsSender.Name:
                    rig.ProviderMessageId = "SM1f0e8ae6ade43cb3c0ce4525424e404f";
                    peer.Respond = _ => new PeerResponse(201, """{"sid":"SM1f0e8ae6ade43cb3c0ce4525424e404f","status":"queued"}""");
                    rig.Use(ChannelNames.Sms, Consents.Sms, new TwilioSmsSender(http, Options.Create(new TwilioOptions
                    {
                        AccountSid = "AC0123456789abcdef0123456789abcdef", AuthToken = "auth-token", From = "+15005550006", BaseUrl = peer.BaseUri.ToString(),
                    })));
                    break;

                case FcmPushSender.Name:
                    rig.ProviderMessageId = "projects/shop-test/messages/0:1";
                    peer.Respond = r => r.Path == "/token"
                        ? new PeerResponse(200, """{"access_token":"ya29.fcm-test","expires_in":3599,"token_type":"Bearer"}""")
                        : new PeerResponse(200, """{"name":"projects/shop-test/messages/0:1"}""");
                    var serviceAccountKey = rig.Own(RSA.Create(2048));
                    var account = new GoogleServiceAccount(FcmPushSenderTests.ServiceAccountJson(peer, serviceAccountKey), FcmPushSender.Scope);
                    rig.Use(ChannelNames.MobilePush, Consents.Push, new MobilePushSender([new FcmPushSender(http, Options.Create(new FcmOptions { BaseUrl = peer.BaseUri.ToString() }), account)]));
                    rig.sendPath = r => r.Path.EndsWith("/messages:send", StringComparison.Ordinal);
                    break;

                case ApnsPushSender.Name:
                    rig.ProviderMessageId = "apns-echo-1";
                    peer.Respond = _ => new PeerResponse(200, Headers: new Dictionary<string, string> { ["apns-id"] = "apns-echo-1" });
                    var p8 = rig.Own(ECDsa.Create(ECCurve.NamedCurves.nistP256));
                    var apns = Options.Create(new ApnsOptions
                    {
                        TeamId = "TEAM123456", KeyId = "KEY1234567", PrivateKey = p8.ExportPkcs8PrivateKeyPem(), BundleId = "example.shop.app", BaseUrl = peer.BaseUri.ToString(),
                    });
                    var providerToken = rig.Own(new ApnsProviderToken(apns, TimeProvider.System));
                    rig.Use(ChannelNames.MobilePush, Consents.Push, new MobilePushSender([new ApnsPushSender(http, apns, providerToken)]));
                    rig.Shape = c => c with { FcmToken = null, ApnsToken = string.Concat(Enumerable.Repeat("0f1e2d3c", 8)) };
                    break;

                case HuaweiPushSender.Name:
                    rig.ProviderMessageId = "157440955549500001002006";
                    peer.Respond = r => r.Path == "/oauth2/v3/token"
                        ? new PeerResponse(200, """{"access_token":"access-1","expires_in":3600,"token_type":"Bearer"}""")
                        : new PeerResponse(200, """{"code":"80000000","msg":"Success","requestId":"157440955549500001002006"}""");
                    var huawei = Options.Create(new HuaweiOptions
                    {
                        AppId = "104012345", ClientId = "104012345", ClientSecret = "hw-secret",
                        TokenUrl = new Uri(peer.BaseUri, "oauth2/v3/token").ToString(), BaseUrl = peer.BaseUri.ToString(),
                    });
                    var accessToken = rig.Own(new HuaweiAccessToken(TimeProvider.System));
                    rig.Use(ChannelNames.MobilePush, Consents.Push, new MobilePushSender([new HuaweiPushSender(http, huawei, accessToken)]));
                    rig.Shape = c => c with { FcmToken = null, HuaweiToken = "hw-token" };
                    rig.sendPath = r => r.Path.EndsWith("/messages:send", StringComparison.Ordinal);
                    break;

                case WebPushSender.Name:
                    rig.ProviderMessageId = "https://push.example/m/1";
                    peer.Respond = _ => new PeerResponse(201, Headers: new Dictionary<string, string> { ["Location"] = "https://push.example/m/1" });
                    var vapidKey = rig.Own(ECDsa.Create(ECCurve.NamedCurves.nistP256));
                    var webPush = Options.Create(new WebPushOptions
                    {
                        Subject = "mailto:ops@shop.example",
                        PublicKey = Base64Url.EncodeToString(WebPushEncryption.PublicBytes(vapidKey)),
                        PrivateKey = Base64Url.EncodeToString(vapidKey.ExportParameters(true).D),
                    });
                    // Eligibility wants an https endpoint: the subscription names one, and the client takes its requests to the peer.
                    var toPeer = rig.Own(new HttpClient(new ToPeer(peer.BaseUri)));
                    rig.Use(ChannelNames.WebPush, Consents.Push, new WebPushSender(toPeer, webPush, rig.Own(new VapidSigner(webPush)), Options.Create(new WebPushEndpointOptions { AllowedHosts = ["push.example"] })));
                    var ua = rig.Own(ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256));
                    var subscription = new WebPushSubscription(
                        "https://push.example/push/sub-1",
                        Base64Url.EncodeToString(WebPushEncryption.PublicBytes(ua)),
                        Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)));
                    rig.Shape = c => c with { WebPush = subscription };
                    break;

                case LinePushSender.Name:
                    // Like LINE: 200 for a new X-Line-Retry-Key, 409 with the accepted request id for a repeated one.
                    rig.ProviderMessageId = "line-request-1";
                    var accepted = new ConcurrentDictionary<string, string>();
                    peer.Respond = r => accepted.TryAdd(r.Header("X-Line-Retry-Key") ?? string.Empty, $"line-request-{accepted.Count + 1}")
                        ? new PeerResponse(200, "{}", new Dictionary<string, string> { ["x-line-request-id"] = accepted[r.Header("X-Line-Retry-Key") ?? string.Empty] })
                        : new PeerResponse(409, "{}", new Dictionary<string, string> { ["x-line-accepted-request-id"] = accepted[r.Header("X-Line-Retry-Key") ?? string.Empty] });
                    rig.Use(ChannelNames.Line, Consents.Line, new LinePushSender(http, Options.Create(new LineOptions { ChannelAccessToken = "line-token", BaseUrl = peer.BaseUri.ToString() })));
                    break;

                default:
                    throw new ArgumentOutOfRangeException(nameof(provider), provider, "No rig for this provider.");
            }

            return rig;
        }

        public async ValueTask DisposeAsync()
        {
            await Peer.DisposeAsync();
            owned.ForEach(d => d.Dispose());
        }

        private T Own<T>(T disposable)
            where T : IDisposable
        {
            owned.Add(disposable);
            return disposable;
        }

        private void Use(string channel, string consent, IChannelSender sender) => (Channel, Consent, Sender) = (channel, consent, sender);
    }

    /// <summary>Sends every request to the peer, keeping its path: a push service at an https endpoint, reached on loopback.</summary>
    private sealed class ToPeer(Uri peer) : DelegatingHandler(new HttpClientHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.RequestUri = new Uri(peer, request.RequestUri!.PathAndQuery.TrimStart('/'));
            return base.SendAsync(request, cancellationToken);
        }
    }
}
