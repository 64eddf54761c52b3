using AbandonedCart.Activities.Channels;
using Microsoft.Extensions.Options;
using ChannelNames = AbandonedCart.Workflows.Channels;

namespace AbandonedCart.Tests.Channels;

public sealed class LinePushSenderTests : IAsyncLifetime
{
    private LoopbackPeer peer = null!;
    private HttpClient http = null!;
    private LinePushSender sender = null!;

    public async Task InitializeAsync()
    {
        peer = await LoopbackPeer.StartAsync();
        peer.Respond = _ => new PeerResponse(200, """{"sentMessages":[{"id":"461230966842064897","quoteToken":"IStG5h1Tz7b"}]}""", new Dictionary<string, string> { ["x-line-request-id"] = "req-1" });
        http = new HttpClient();
        sender = new LinePushSender(http, Options.Create(new LineOptions { ChannelAccessToken = "line-channel-token", BaseUrl = peer.BaseUri.ToString() }));
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await peer.DisposeAsync();
    }

    [Fact]
    public async Task SendAsync_LineUser_PushesImageAndTextWithBearerAndDerivedRetryKey()
    {
        var receipt = await sender.SendAsync(Message(), CancellationToken.None);
        await sender.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(new ProviderReceipt("line", "req-1"), receipt);
        var requests = peer.Requests;
        Assert.All(requests, r => Assert.Equal("/v2/bot/message/push", r.Path));
        var request = requests[0];
        Assert.Equal("POST", request.Method);
        Assert.Equal("Bearer line-channel-token", request.Header("Authorization"));
        Assert.StartsWith("application/json", request.Header("Content-Type"), StringComparison.Ordinal);
        var retryKey = request.Header("X-Line-Retry-Key");
        Assert.True(Guid.TryParse(retryKey, out _));
        Assert.Equal(retryKey, requests[1].Header("X-Line-Retry-Key"));
        Assert.NotEqual(retryKey, MessageText.IdempotencyUuid("cust-42:abandoned-cart:run-1:step-2").ToString());

        Assert.Equal("U4af4980629a0b4f5e0d1c1a7d2d0e0f0", request.Json.GetProperty("to").GetString());
        var messages = request.Json.GetProperty("messages");
        Assert.Equal("image", messages[0].GetProperty("type").GetString());
        Assert.Equal("https://shop.example/i/shoe.jpg", messages[0].GetProperty("originalContentUrl").GetString());
        Assert.Equal("text", messages[1].GetProperty("type").GetString());
        Assert.EndsWith("\nhttps://cart.example/t/c/abc.def", messages[1].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_RetryKeyAlreadyAccepted_ReturnsTheAcceptedRequest()
    {
        peer.Respond = _ => new PeerResponse(409, """{"message":"The retry key is already accepted"}""", new Dictionary<string, string> { ["x-line-accepted-request-id"] = "req-first" });

        var receipt = await sender.SendAsync(Message(), CancellationToken.None);

        Assert.Equal(new ProviderReceipt("line", "req-first"), receipt);
    }

    [Fact]
    public async Task SendAsync_InvalidUserId_FailsAsInvalidAddressForLineUser()
    {
        peer.Respond = _ => new PeerResponse(400, """{"message":"The request body has 1 error(s)","details":[{"message":"Invalid user ID","property":"to"}]}""");

        var failure = await ProviderTest.RejectedAsync(ProviderErrors.InvalidAddress, () => sender.SendAsync(Message(), CancellationToken.None));

        Assert.Equal("line_user_id", failure.Details.ElementAt<string>(0));
    }

    [Fact]
    public async Task SendAsync_ThrottledOrFailingOrBadRequest_MapsToRetryOrReject() =>
        await ProviderTest.AssertStatusMappingAsync(
            peer,
            () => sender.SendAsync(Message(), CancellationToken.None),
            """{"message":"The request body has 1 error(s)","details":[{"message":"Length must be between 0 and 5000","property":"messages[1].text"}]}""");

    [Fact]
    public async Task SendAsync_ProviderSlowerThanTheClientTimeout_IsRetryable()
    {
        peer.Respond = _ => new PeerResponse(200, "{}") { Delay = TimeSpan.FromSeconds(5) };
        using var impatient = new HttpClient { Timeout = TimeSpan.FromMilliseconds(200) };
        var slow = new LinePushSender(impatient, Options.Create(new LineOptions { ChannelAccessToken = "t", BaseUrl = peer.BaseUri.ToString() }));

        var failure = await ProviderTest.RetryableAsync(() => slow.SendAsync(Message(), CancellationToken.None));

        Assert.Contains("timed out", failure.Message, StringComparison.Ordinal);
    }

    private static OutboundMessage Message() => ProviderTest.Message(channel: ChannelNames.Line);
}
