using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AbandonedCart.Activities.Channels;
using Microsoft.Extensions.Options;
using ChannelNames = AbandonedCart.Workflows.Channels;

namespace AbandonedCart.Tests.Channels;

public sealed class FcmPushSenderTests : IAsyncLifetime
{
    private const string Sent = """{"name":"projects/shop-test/messages/0:1500415314455276%31bd1c9631bd1c96"}""";
    private readonly RSA serviceAccountKey = RSA.Create(2048);
    private LoopbackPeer peer = null!;
    private HttpClient http = null!;
    private MobilePushSender sender = null!;

    public async Task InitializeAsync()
    {
        peer = await LoopbackPeer.StartAsync();
        peer.Respond = r => r.Path == "/token" ? new PeerResponse(200, """{"access_token":"ya29.fcm-test","expires_in":3599,"token_type":"Bearer"}""") : new PeerResponse(200, Sent);
        var options = Options.Create(new FcmOptions { BaseUrl = peer.BaseUri.ToString() });
        http = new HttpClient();
        var account = new GoogleServiceAccount(ServiceAccountJson(peer, serviceAccountKey), FcmPushSender.Scope);
        sender = new MobilePushSender([new FcmPushSender(http, options, account)]);
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        serviceAccountKey.Dispose();
        await peer.DisposeAsync();
    }

    /// <summary>A service-account key whose token_uri is the loopback peer (Google.Apis.Auth posts the JWT-bearer grant there).</summary>
    internal static string ServiceAccountJson(LoopbackPeer peer, RSA key) => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["type"] = "service_account",
        ["project_id"] = "shop-test",
        ["private_key_id"] = "key-1",
        ["private_key"] = key.ExportPkcs8PrivateKeyPem(),
        ["client_email"] = "push@shop-test.iam.gserviceaccount.com",
        ["client_id"] = "1234567890",
        ["token_uri"] = new Uri(peer.BaseUri, "token").ToString(),
    });

    /// <summary>Asserts the JWT-bearer grant Google.Apis.Auth posted: signed by the key, for the scope, to the token_uri.</summary>
    internal static void AssertJwtBearerGrant(PeerRequest grant, RSA key, string scope)
    {
        Assert.Equal("POST", grant.Method);
        Assert.Equal("urn:ietf:params:oauth:grant-type:jwt-bearer", grant.Form["grant_type"]);
        var jwt = grant.Form["assertion"].Split('.');
        Assert.True(key.VerifyData(Encoding.ASCII.GetBytes($"{jwt[0]}.{jwt[1]}"), Base64Url.DecodeFromChars(jwt[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(jwt[1])).RootElement;
        Assert.Equal(scope, claims.GetProperty("scope").GetString());
        Assert.Equal("push@shop-test.iam.gserviceaccount.com", claims.GetProperty("iss").GetString());
    }

    [Fact]
    public async Task SendAsync_FcmToken_PostsV1MessageWithServiceAccountBearerAndAndroidAndApnsBlocksCollapsingOnTheKey()
    {
        var receipt = await sender.SendAsync(Message(), CancellationToken.None);
        await sender.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(new ProviderReceipt("fcm", "projects/shop-test/messages/0:1500415314455276%31bd1c9631bd1c96"), receipt);
        AssertJwtBearerGrant(peer.Single("/token"), serviceAccountKey, "https://www.googleapis.com/auth/firebase.messaging"); // one token, reused
        var sends = peer.Requests.Where(r => r.Path == "/v1/projects/shop-test/messages:send").ToList();
        Assert.Equal(2, sends.Count);
        var send = sends[0];
        Assert.Equal("POST", send.Method);
        Assert.Equal("Bearer ya29.fcm-test", send.Header("Authorization"));
        Assert.StartsWith("application/json", send.Header("Content-Type"), StringComparison.Ordinal);
        var message = send.Json.GetProperty("message");
        Assert.Equal("fcm-token-1", message.GetProperty("token").GetString());
        Assert.Equal("You left something in your cart", message.GetProperty("notification").GetProperty("title").GetString());
        Assert.Equal("https://shop.example/i/shoe.jpg", message.GetProperty("notification").GetProperty("image").GetString());
        Assert.Equal("9001", message.GetProperty("data").GetProperty("message_id").GetString());
        Assert.Equal("https://cart.example/t/c/abc.def", message.GetProperty("data").GetProperty("url").GetString());
        Assert.Equal("high", message.GetProperty("android").GetProperty("priority").GetString());
        Assert.Equal("3600s", message.GetProperty("android").GetProperty("ttl").GetString());
        Assert.Equal("alert", message.GetProperty("apns").GetProperty("headers").GetProperty("apns-push-type").GetString());
        ProviderTest.AssertCollapseId(message.GetProperty("android").GetProperty("collapse_key").GetString());
        ProviderTest.AssertCollapseId(message.GetProperty("android").GetProperty("notification").GetProperty("tag").GetString());
        ProviderTest.AssertCollapseId(message.GetProperty("apns").GetProperty("headers").GetProperty("apns-collapse-id").GetString());
        Assert.Equal(1, message.GetProperty("apns").GetProperty("payload").GetProperty("aps").GetProperty("mutable-content").GetInt32());
    }

    [Theory]
    [InlineData(404, """{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}""")]
    [InlineData(400, """{"error":{"code":400,"message":"The registration token is not a valid FCM registration token","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"INVALID_ARGUMENT"}]}}""")]
    public async Task SendAsync_TokenUnregisteredOrInvalid_FailsAsTokenInvalidForFcmToken(int status, string body)
    {
        peer.Respond = r => r.Path == "/token" ? new PeerResponse(200, """{"access_token":"ya29.fcm-test","expires_in":3599}""") : new PeerResponse(status, body);

        var failure = await ProviderTest.RejectedAsync(ProviderErrors.TokenInvalid, () => sender.SendAsync(Message(), CancellationToken.None));

        Assert.Equal("fcm_token", failure.Details.ElementAt<string>(0));
    }

    [Fact]
    public async Task SendAsync_InvalidArgumentNotAboutTheToken_IsAPlainRejection()
    {
        peer.Respond = r => r.Path == "/token" ? new PeerResponse(200, """{"access_token":"ya29.fcm-test","expires_in":3599}""")
            : new PeerResponse(400, """{"error":{"code":400,"message":"Invalid value at 'message.android.ttl'","status":"INVALID_ARGUMENT"}}""");

        await ProviderTest.RejectedAsync(ProviderErrors.ProviderRejected, () => sender.SendAsync(Message(), CancellationToken.None));
    }

    [Fact]
    public async Task SendAsync_ThrottledOrFailingOrBadRequest_MapsToRetryOrReject()
    {
        await sender.SendAsync(Message(), CancellationToken.None); // the access token is cached from here on

        await ProviderTest.AssertStatusMappingAsync(
            peer, () => sender.SendAsync(Message(), CancellationToken.None), """{"error":{"code":400,"message":"bad","status":"FAILED_PRECONDITION"}}""");
    }

    [Fact]
    public async Task SendAsync_CustomerWithoutAnFcmToken_IsRejectedWithoutCallingFcm()
    {
        var message = ProviderTest.Message(ProviderTest.Customer(c => c with { ApnsToken = new string('a', 64) }), ChannelNames.MobilePush);

        await ProviderTest.RejectedAsync(ProviderErrors.ProviderRejected, () => sender.SendAsync(message, CancellationToken.None));

        Assert.Empty(peer.Requests);
    }

    private static OutboundMessage Message() =>
        ProviderTest.Message(ProviderTest.Customer(c => c with { FcmToken = "fcm-token-1", ApnsToken = new string('a', 64) }), ChannelNames.MobilePush);
}
