using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AbandonedCart.Activities.Channels;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using ChannelNames = AbandonedCart.Workflows.Channels;

namespace AbandonedCart.Tests.Channels;

public sealed class ApnsPushSenderTests : IAsyncLifetime
{
    private static readonly string DeviceToken = string.Concat(Enumerable.Repeat("0f1e2d3c", 8));
    private readonly ECDsa p8 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ManualTime time = new(DateTimeOffset.Parse("2026-11-24T05:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private LoopbackPeer peer = null!;
    private HttpClient http = null!;
    private ApnsProviderToken providerToken = null!;
    private MobilePushSender sender = null!;

    public async Task InitializeAsync()
    {
        peer = await LoopbackPeer.StartAsync(HttpProtocols.Http2);
        peer.Respond = _ => new PeerResponse(200, Headers: new Dictionary<string, string> { ["apns-id"] = "echoed" });
        var options = Options.Create(new ApnsOptions
        {
            TeamId = "TEAM123456",
            KeyId = "KEY1234567",
            PrivateKey = p8.ExportPkcs8PrivateKeyPem(),
            BundleId = "example.shop.app",
            BaseUrl = peer.BaseUri.ToString(),
        });
        http = new HttpClient();
        providerToken = new ApnsProviderToken(options, time);
        sender = new MobilePushSender([new ApnsPushSender(http, options, providerToken)]);
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        providerToken.Dispose();
        p8.Dispose();
        await peer.DisposeAsync();
    }

    [Fact]
    public async Task SendAsync_AppleToken_PostsOverHttp2WithProviderTokenTopicPushTypeAndDerivedApnsIdAndCollapseId()
    {
        var receipt = await sender.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(new ProviderReceipt("apns", "echoed"), receipt);
        var request = peer.Single($"/3/device/{DeviceToken}");
        Assert.Equal("HTTP/2", request.Protocol);
        Assert.Equal("POST", request.Method);
        Assert.Equal("example.shop.app", request.Header("apns-topic"));
        Assert.Equal("alert", request.Header("apns-push-type"));
        Assert.Equal("10", request.Header("apns-priority"));
        Assert.Equal(MessageText.IdempotencyUuid("cust-42:abandoned-cart:run-1:step-1").ToString(), request.Header("apns-id"));
        Assert.True(Guid.TryParse(request.Header("apns-id"), out _));
        ProviderTest.AssertCollapseId(request.Header("apns-collapse-id"));

        var aps = request.Json.GetProperty("aps");
        Assert.Equal("You left something in your cart", aps.GetProperty("alert").GetProperty("title").GetString());
        Assert.Equal("https://cart.example/t/c/abc.def", request.Json.GetProperty("url").GetString());

        // ES256 provider token: header alg/kid, claims iss/iat, signed by the .p8 key.
        var authorization = request.Header("authorization")!;
        Assert.StartsWith("bearer ", authorization, StringComparison.Ordinal);
        var jwt = authorization["bearer ".Length..].Split('.');
        var header = JsonDocument.Parse(Base64Url.DecodeFromChars(jwt[0])).RootElement;
        Assert.Equal("ES256", header.GetProperty("alg").GetString());
        Assert.Equal("KEY1234567", header.GetProperty("kid").GetString());
        var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(jwt[1])).RootElement;
        Assert.Equal("TEAM123456", claims.GetProperty("iss").GetString());
        Assert.Equal(time.GetUtcNow().ToUnixTimeSeconds(), claims.GetProperty("iat").GetInt64());
        Assert.True(p8.VerifyData(Encoding.ASCII.GetBytes($"{jwt[0]}.{jwt[1]}"), Base64Url.DecodeFromChars(jwt[2]), HashAlgorithmName.SHA256));
    }

    [Fact]
    public async Task SendAsync_WithinFiftyMinutes_ReusesTheProviderTokenThenRenewsIt()
    {
        await sender.SendAsync(Message(), CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(49));
        await sender.SendAsync(Message(), CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(2));
        await sender.SendAsync(Message(), CancellationToken.None);

        var tokens = peer.Requests.Select(r => r.Header("authorization")).ToList();
        Assert.Equal(tokens[0], tokens[1]);
        Assert.NotEqual(tokens[1], tokens[2]);
    }

    [Theory]
    [InlineData(410, """{"reason":"Unregistered","timestamp":1764000000000}""")]
    [InlineData(400, """{"reason":"BadDeviceToken"}""")]
    public async Task SendAsync_TokenGoneOrBad_FailsAsTokenInvalidForApnsToken(int status, string body)
    {
        peer.Respond = _ => new PeerResponse(status, body);

        var failure = await ProviderTest.RejectedAsync(ProviderErrors.TokenInvalid, () => sender.SendAsync(Message(), CancellationToken.None));

        Assert.Equal("apns_token", failure.Details.ElementAt<string>(0));
    }

    [Fact]
    public async Task SendAsync_ExpiredProviderToken_IsRetryableWithAFreshToken()
    {
        peer.Sequence(new PeerResponse(403, """{"reason":"ExpiredProviderToken"}"""), new PeerResponse(200));

        await ProviderTest.RetryableAsync(() => sender.SendAsync(Message(), CancellationToken.None));
        await sender.SendAsync(Message(), CancellationToken.None);

        Assert.NotEqual(peer.Requests[0].Header("authorization"), peer.Requests[1].Header("authorization"));
    }

    [Fact]
    public async Task SendAsync_ThrottledOrFailingOrBadRequest_MapsToRetryOrReject() =>
        await ProviderTest.AssertStatusMappingAsync(peer, () => sender.SendAsync(Message(), CancellationToken.None), """{"reason":"BadTopic"}""");

    [Fact]
    public async Task SendAsync_NonHexToken_IsTokenInvalidWithoutCallingApple()
    {
        var message = ProviderTest.Message(ProviderTest.Customer(c => c with { ApnsToken = "../../../etc" + new string('a', 40) }), ChannelNames.MobilePush);

        await ProviderTest.RejectedAsync(ProviderErrors.TokenInvalid, () => sender.SendAsync(message, CancellationToken.None));

        Assert.Empty(peer.Requests);
    }

    private static OutboundMessage Message() =>
        ProviderTest.Message(ProviderTest.Customer(c => c with { ApnsToken = DeviceToken, HuaweiToken = "hw-token" }), ChannelNames.MobilePush);
}
