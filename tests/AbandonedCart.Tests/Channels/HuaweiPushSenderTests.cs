using AbandonedCart.Activities.Channels;
using Microsoft.Extensions.Options;
using ChannelNames = AbandonedCart.Workflows.Channels;

namespace AbandonedCart.Tests.Channels;

public sealed class HuaweiPushSenderTests : IAsyncLifetime
{
    private const string Success = """{"code":"80000000","msg":"Success","requestId":"157440955549500001002006"}""";
    private readonly ManualTime time = new(DateTimeOffset.Parse("2026-11-24T05:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private LoopbackPeer peer = null!;
    private HttpClient http = null!;
    private HuaweiAccessToken accessToken = null!;
    private MobilePushSender sender = null!;
    private int tokensIssued;

    public async Task InitializeAsync()
    {
        peer = await LoopbackPeer.StartAsync();
        Answer(_ => new PeerResponse(200, Success));
        var options = Options.Create(new HuaweiOptions
        {
            AppId = "104012345",
            ClientId = "104012345",
            ClientSecret = "hw-secret",
            TokenUrl = new Uri(peer.BaseUri, "oauth2/v3/token").ToString(),
            BaseUrl = peer.BaseUri.ToString(),
        });
        http = new HttpClient();
        accessToken = new HuaweiAccessToken(time);
        sender = new MobilePushSender([new HuaweiPushSender(http, options, accessToken)]);
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        accessToken.Dispose();
        await peer.DisposeAsync();
    }

    [Fact]
    public async Task SendAsync_HuaweiToken_GetsClientCredentialsTokenAndPostsPushKitMessageTaggedWithTheKey()
    {
        var receipt = await sender.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(new ProviderReceipt("huawei", "157440955549500001002006"), receipt);
        var grant = peer.Single("/oauth2/v3/token");
        Assert.Equal("POST", grant.Method);
        Assert.Equal("application/x-www-form-urlencoded", grant.Header("Content-Type"));
        Assert.Equal(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = "104012345", ["client_secret"] = "hw-secret" }, grant.Form);

        var send = peer.Single("/v1/104012345/messages:send");
        Assert.Equal("POST", send.Method);
        Assert.Equal("Bearer access-1", send.Header("Authorization"));
        Assert.False(send.Json.GetProperty("validate_only").GetBoolean());
        var message = send.Json.GetProperty("message");
        Assert.Equal("hw-token", Assert.Single(message.GetProperty("token").EnumerateArray()).GetString());
        Assert.Equal("You left something in your cart", message.GetProperty("notification").GetProperty("title").GetString());
        var click = message.GetProperty("android").GetProperty("notification").GetProperty("click_action");
        Assert.Equal(2, click.GetProperty("type").GetInt32());
        Assert.Equal("https://cart.example/t/c/abc.def", click.GetProperty("url").GetString());
        Assert.Equal("3600s", message.GetProperty("android").GetProperty("ttl").GetString());
        ProviderTest.AssertCollapseId(message.GetProperty("android").GetProperty("notification").GetProperty("tag").GetString());
    }

    [Fact]
    public async Task SendAsync_TokenCachedUntilExpiry_ThenFetchedAgain()
    {
        await sender.SendAsync(Message(), CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(58));
        await sender.SendAsync(Message(), CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(2));
        await sender.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(2, peer.Requests.Count(r => r.Path == "/oauth2/v3/token"));
        var bearers = peer.Requests.Where(r => r.Path.EndsWith("messages:send", StringComparison.Ordinal)).Select(r => r.Header("Authorization")).ToList();
        Assert.Equal(["Bearer access-1", "Bearer access-1", "Bearer access-2"], bearers);
    }

    [Fact]
    public async Task SendAsync_AllTokensInvalidInA200Body_FailsAsTokenInvalidForHuaweiToken()
    {
        Answer(_ => new PeerResponse(200, """{"code":"80300007","msg":"All the tokens are invalid","requestId":"1574"}"""));

        var failure = await ProviderTest.RejectedAsync(ProviderErrors.TokenInvalid, () => sender.SendAsync(Message(), CancellationToken.None));

        Assert.Equal("huawei_token", failure.Details.ElementAt<string>(0));
    }

    [Fact]
    public async Task SendAsync_AccessTokenExpired_IsRetryableAndTheNextSendFetchesANewToken()
    {
        var first = true;
        Answer(_ => first ? new PeerResponse(401, """{"code":"80200003","msg":"OAuth token expired."}""") : new PeerResponse(200, Success));

        await ProviderTest.RetryableAsync(() => sender.SendAsync(Message(), CancellationToken.None));
        first = false;
        await sender.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(2, peer.Requests.Count(r => r.Path == "/oauth2/v3/token"));
    }

    [Fact]
    public async Task SendAsync_ThrottledOrFailingOrBadRequest_MapsToRetryOrReject()
    {
        await sender.SendAsync(Message(), CancellationToken.None); // the access token is cached from here on

        await ProviderTest.AssertStatusMappingAsync(peer, () => sender.SendAsync(Message(), CancellationToken.None), """{"code":"80100003","msg":"Illegal payload"}""");
    }

    private void Answer(Func<PeerRequest, PeerResponse> push) => peer.Respond = r => r.Path == "/oauth2/v3/token"
        ? new PeerResponse(200, $$"""{"access_token":"access-{{Interlocked.Increment(ref tokensIssued)}}","expires_in":3600,"token_type":"Bearer"}""")
        : push(r);

    private static OutboundMessage Message() =>
        ProviderTest.Message(ProviderTest.Customer(c => c with { HuaweiToken = "hw-token" }), ChannelNames.MobilePush);
}
