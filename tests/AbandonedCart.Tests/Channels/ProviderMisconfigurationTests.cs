using AbandonedCart.Activities.Channels;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Tests.Channels;

/// <summary>A provider refusing our credentials is our configuration's failure, told apart from a refused message.</summary>
public sealed class ProviderMisconfigurationTests : IAsyncLifetime
{
    private LoopbackPeer peer = null!;
    private HttpClient http = null!;

    public async Task InitializeAsync()
    {
        peer = await LoopbackPeer.StartAsync();
        http = new HttpClient();
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await peer.DisposeAsync();
    }

    [Theory]
    [InlineData(401, """{"errors":[{"field":null,"message":"The provided authorization grant is invalid, expired, or revoked"}]}""")]
    [InlineData(403, """{"errors":[{"field":null,"message":"access forbidden"}]}""")]
    public async Task SendGrid_CredentialsRefused_FailsAsMisconfiguredWithoutNamingAProperty(int status, string body)
    {
        peer.Respond = _ => new PeerResponse(status, body);
        var sender = new SendGridEmailSender(http, Options.Create(new SendGridOptions
        {
            ApiKey = "SG.revoked", FromEmail = "shop@shop.example", TemplateId = "d-1", UnsubscribeGroupId = 1, BaseUrl = peer.BaseUri.ToString().TrimEnd('/'),
        }));

        var failure = await ProviderTest.RejectedAsync(ProviderErrors.ProviderMisconfigured, () => sender.SendAsync(ProviderTest.Message(), CancellationToken.None));

        Assert.Equal(0, failure.Details.Count);
    }

    [Fact]
    public async Task Line_ChannelTokenRefused_FailsAsMisconfiguredAndAnyOther4xxStaysRejected()
    {
        var sender = new LinePushSender(http, Options.Create(new LineOptions { ChannelAccessToken = "revoked", BaseUrl = peer.BaseUri.ToString() }));
        Task Send() => sender.SendAsync(ProviderTest.Message(channel: Workflows.Channels.Line), CancellationToken.None);

        peer.Respond = _ => new PeerResponse(401, """{"message":"Authentication failed due to the following reason: invalid token."}""");
        await ProviderTest.RejectedAsync(ProviderErrors.ProviderMisconfigured, Send);

        peer.Respond = _ => new PeerResponse(400, """{"message":"The request body has 1 error(s)","details":[{"message":"Size must be between 1 and 5","property":"messages"}]}""");
        await ProviderTest.RejectedAsync(ProviderErrors.ProviderRejected, Send);
    }
}
