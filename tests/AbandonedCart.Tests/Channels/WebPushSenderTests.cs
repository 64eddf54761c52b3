using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Customers;
using Microsoft.Extensions.Options;
using ChannelNames = AbandonedCart.Workflows.Channels;

namespace AbandonedCart.Tests.Channels;

public sealed class WebPushSenderTests : IAsyncLifetime
{
    private readonly ECDiffieHellman ua = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
    private readonly byte[] auth = RandomNumberGenerator.GetBytes(16);
    private readonly ECDsa vapidKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private LoopbackPeer peer = null!;
    private WebPushSender sender = null!;
    private HttpClient http = null!;
    private WebPushOptions options = null!;

    public async Task InitializeAsync()
    {
        peer = await LoopbackPeer.StartAsync();
        options = new WebPushOptions
        {
            Subject = "mailto:ops@shop.example",
            PublicKey = Base64Url.EncodeToString(WebPushEncryption.PublicBytes(vapidKey)),
            PrivateKey = Base64Url.EncodeToString(vapidKey.ExportParameters(true).D),
        };
        http = new HttpClient();
        sender = new WebPushSender(http, Options.Create(options), new VapidSigner(Options.Create(options)), Options.Create(new WebPushEndpointOptions { AllowedHosts = ["127.0.0.1"] }));
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        ua.Dispose();
        vapidKey.Dispose();
        await peer.DisposeAsync();
    }

    [Fact]
    public async Task SendAsync_Subscription_PostsEncryptedNotificationWithVapidAndRfc8030Headers()
    {
        peer.Respond = _ => new PeerResponse(201, Headers: new Dictionary<string, string> { ["Location"] = "https://push.example/m/77" });

        var receipt = await sender.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(new ProviderReceipt("webpush", "https://push.example/m/77"), receipt);
        var request = peer.Single("/push/sub-1");
        Assert.Equal("POST", request.Method);
        Assert.Equal("3600", request.Header("TTL"));
        Assert.Equal("normal", request.Header("Urgency"));
        Assert.Equal("aes128gcm", request.Header("Content-Encoding"));
        Assert.Equal("application/octet-stream", request.Header("Content-Type"));
        ProviderTest.AssertCollapseId(request.Header("Topic"));

        var notification = JsonDocument.Parse(WebPushRfc8291Tests.Decrypt(request.Body, ua, auth)).RootElement;
        Assert.Equal("https://cart.example/t/c/abc.def", notification.GetProperty("url").GetString());
        Assert.Contains("Trail shoes", notification.GetProperty("body").GetString(), StringComparison.Ordinal);
        Assert.Equal("9001", notification.GetProperty("message_id").GetString());

        // RFC 8292: Authorization: vapid t=<ES256 JWT for this origin>, k=<our public key>.
        var authorization = request.Header("Authorization")!;
        Assert.StartsWith("vapid t=", authorization, StringComparison.Ordinal);
        var parts = authorization["vapid t=".Length..].Split(", k=");
        Assert.Equal(options.PublicKey, parts[1]);
        var jwt = parts[0].Split('.');
        Assert.Equal("{\"typ\":\"JWT\",\"alg\":\"ES256\"}", Encoding.UTF8.GetString(Base64Url.DecodeFromChars(jwt[0])));
        Assert.True(vapidKey.VerifyData(Encoding.ASCII.GetBytes($"{jwt[0]}.{jwt[1]}"), Base64Url.DecodeFromChars(jwt[2]), HashAlgorithmName.SHA256));
        var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(jwt[1])).RootElement;
        Assert.Equal(peer.BaseUri.GetLeftPart(UriPartial.Authority), claims.GetProperty("aud").GetString());
        Assert.Equal("mailto:ops@shop.example", claims.GetProperty("sub").GetString());
        var expires = DateTimeOffset.FromUnixTimeSeconds(claims.GetProperty("exp").GetInt64());
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromHours(11), TimeSpan.FromHours(24));
    }

    [Fact]
    public async Task SendAsync_TwiceToOneOrigin_ReusesTheVapidTokenAndTopic()
    {
        peer.Respond = _ => new PeerResponse(201);

        await sender.SendAsync(Message(), CancellationToken.None);
        await sender.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(peer.Requests[0].Header("Authorization"), peer.Requests[1].Header("Authorization"));
        Assert.Equal(peer.Requests[0].Header("Topic"), peer.Requests[1].Header("Topic"));
        Assert.NotEqual(peer.Requests[0].Body, peer.Requests[1].Body); // fresh salt and ephemeral key each time
    }

    [Theory]
    [InlineData(404)]
    [InlineData(410)]
    public async Task SendAsync_SubscriptionGone_FailsAsTokenInvalidForWebPush(int status)
    {
        peer.Respond = _ => new PeerResponse(status);

        var failure = await ProviderTest.RejectedAsync(ProviderErrors.TokenInvalid, () => sender.SendAsync(Message(), CancellationToken.None));

        Assert.Equal("web_push", failure.Details.ElementAt<string>(0));
    }

    [Fact]
    public async Task SendAsync_P256dhNotOnTheCurve_FailsAsTokenInvalidWithoutCallingThePushService()
    {
        var point = WebPushEncryption.PublicBytes(ua);
        point[64] ^= 1;
        var message = Message();
        message = message with { Customer = message.Customer with { WebPush = message.Customer.WebPush! with { P256dh = Base64Url.EncodeToString(point) } } };

        var failure = await ProviderTest.RejectedAsync(ProviderErrors.TokenInvalid, () => sender.SendAsync(message, CancellationToken.None));

        Assert.Equal("web_push", failure.Details.ElementAt<string>(0));
        Assert.Empty(peer.Requests);
    }

    [Fact]
    public async Task SendAsync_ThrottledOrFailingOrBadRequest_MapsToRetryOrReject() =>
        await ProviderTest.AssertStatusMappingAsync(peer, () => sender.SendAsync(Message(), CancellationToken.None), "bad VAPID");

    [Theory]
    [InlineData("https://169.254.169.254/latest/meta-data/")]
    [InlineData("https://internal.shop.example/admin")]
    [InlineData("https://fcm.googleapis.com.evil.example/fcm/send/x")]
    [InlineData("https://fcm.googleapis.com@evil.example/fcm/send/x")]
    public async Task SendAsync_EndpointOutsideTheAllowedPushServices_RefusesWithoutAnyRequest(string endpoint)
    {
        var message = Message();
        message = message with { Customer = message.Customer with { WebPush = message.Customer.WebPush! with { Endpoint = endpoint } } };

        var failure = await ProviderTest.RejectedAsync(ProviderErrors.EndpointNotAllowed, () => sender.SendAsync(message, CancellationToken.None));

        Assert.Empty(peer.Requests);
        Assert.DoesNotContain(endpoint, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_LoopbackNotListed_IsRefusedLikeAnyOtherHost()
    {
        using var signer = new VapidSigner(Options.Create(options));
        var defaults = new WebPushSender(http, Options.Create(options), signer, Options.Create(new WebPushEndpointOptions()));

        await ProviderTest.RejectedAsync(ProviderErrors.EndpointNotAllowed, () => defaults.SendAsync(Message(), CancellationToken.None));

        Assert.Empty(peer.Requests);
    }

    [Theory]
    [InlineData("https://fcm.googleapis.com/fcm/send/abc:APA91b", true)]
    [InlineData("https://updates.push.services.mozilla.com/wpush/v2/gAAAA", true)]
    [InlineData("https://web.push.apple.com/QGuQyavXutnMH", true)]
    [InlineData("https://wns2-by3p.notify.windows.com/w/?token=BQYAAA", true)]
    [InlineData("https://FCM.googleapis.com/fcm/send/abc", true)]
    [InlineData("https://push.apple.com/x", false)]
    [InlineData("https://fcm.googleapis.com:8443/fcm/send/abc", false)]
    [InlineData("http://fcm.googleapis.com/fcm/send/abc", false)]
    [InlineData("https://notify.windows.com.evil.example/w", false)]
    [InlineData("https://127.0.0.1/push", false)]
    [InlineData("not a url", false)]
    public void Allows_DefaultHosts_AreTheBrowsersPushServices(string endpoint, bool allowed) =>
        Assert.Equal(allowed, new WebPushEndpointOptions().Allows(endpoint));

    [Fact]
    public void Allows_ConfiguredList_ReplacesTheDefaultsAndAdmitsLoopbackOnAnyPort()
    {
        var configured = new WebPushEndpointOptions { AllowedHosts = ["127.0.0.1", "*.push.shop.example"] };

        Assert.True(configured.Allows(new Uri(peer.BaseUri, "push/sub-1").ToString()));
        Assert.True(configured.Allows("https://eu.push.shop.example/s/1"));
        Assert.False(configured.Allows("https://fcm.googleapis.com/fcm/send/abc"));
        Assert.Empty(configured.Problems());
        Assert.Single(new WebPushEndpointOptions { AllowedHosts = ["https://fcm.googleapis.com/"] }.Problems());
    }

    [Fact]
    public void Options_MismatchedKeyPair_AreReported()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var bad = new WebPushOptions { Subject = "mailto:a@b.example", PublicKey = options.PublicKey, PrivateKey = Base64Url.EncodeToString(other.ExportParameters(true).D) };

        Assert.Empty(options.Problems());
        Assert.Contains(bad.Problems(), p => p.Contains("key pair", StringComparison.Ordinal));
    }

    private OutboundMessage Message() => ProviderTest.Message(
        ProviderTest.Customer(c => c with
        {
            WebPush = new WebPushSubscription(
                new Uri(peer.BaseUri, "push/sub-1").ToString(), Base64Url.EncodeToString(WebPushEncryption.PublicBytes(ua)), Base64Url.EncodeToString(auth)),
        }),
        ChannelNames.WebPush);
}
