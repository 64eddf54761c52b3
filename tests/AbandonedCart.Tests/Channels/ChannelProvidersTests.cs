using System.Security.Cryptography;
using System.Buffers.Text;
using AbandonedCart.Activities.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Tests.Channels;

public sealed class ChannelProvidersTests : IAsyncLifetime
{
    private readonly RSA googleKey = RSA.Create(2048);
    private readonly ECDsa apnsKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa vapidKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private LoopbackPeer peer = null!;

    public async Task InitializeAsync() => peer = await LoopbackPeer.StartAsync();

    public async Task DisposeAsync()
    {
        googleKey.Dispose();
        apnsKey.Dispose();
        vapidKey.Dispose();
        await peer.DisposeAsync();
    }

    [Fact]
    public void AddChannelProviders_NothingConfigured_RegistersNoSender()
    {
        using var services = Build(new Dictionary<string, string?>());

        Assert.Empty(services.GetServices<IChannelSender>());
        Assert.Empty(services.GetServices<IAudienceSender>());
        Assert.Null(services.GetService<TwilioSignatureVerifier>());
    }

    [Fact]
    public void AddChannelProviders_EverySectionConfigured_RegistersASenderPerChannelAndAudience()
    {
        using var services = Build(AllProviders());

        var senders = services.GetServices<IChannelSender>().ToDictionary(s => s.Channel, s => s.Provider);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["email"] = "sendgrid", ["sms"] = "twilio", ["mobile_push"] = "fcm+apns+huawei", ["web_push"] = "webpush", ["line"] = "line",
            },
            senders);
        Assert.Equal(["google", "meta"], services.GetServices<IAudienceSender>().Select(a => a.Audience).Order());
        Assert.NotNull(services.GetService<TwilioSignatureVerifier>());
        Assert.NotNull(services.GetService<SendGridEventWebhookVerifier>());
    }

    [Fact]
    public void AddChannelProviders_OnlyLineConfigured_LeavesTheOtherChannelsToTheOutbox()
    {
        using var services = Build(new Dictionary<string, string?> { ["Providers:Line:ChannelAccessToken"] = "line-token" });

        Assert.Equal("line", Assert.Single(services.GetServices<IChannelSender>()).Channel);
    }

    [Fact]
    public async Task AddChannelProviders_InvalidSection_FailsAtStartWithoutEchoingSecrets()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Providers:SendGrid:ApiKey"] = "SG.super-secret", ["Providers:SendGrid:FromEmail"] = "nope", ["Providers:SendGrid:TemplateId"] = "t-1",
        });
        builder.Services.AddChannelProviders(builder.Configuration);
        using var host = builder.Build();

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Providers:SendGrid: FromEmail must be an email address", failure.Failures);
        Assert.Contains("Providers:SendGrid: UnsubscribeGroupId is required", failure.Failures);
        Assert.DoesNotContain("super-secret", failure.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddLogging().AddChannelProviders(configuration).BuildServiceProvider(validateScopes: true);
    }

    private Dictionary<string, string?> AllProviders() => new()
    {
        ["Providers:SendGrid:ApiKey"] = "SG.key",
        ["Providers:SendGrid:FromEmail"] = "shop@shop.example",
        ["Providers:SendGrid:TemplateId"] = "d-1",
        ["Providers:SendGrid:UnsubscribeGroupId"] = "7",
        ["Providers:SendGrid:WebhookVerificationKey"] = Convert.ToBase64String(apnsKey.ExportSubjectPublicKeyInfo()),
        ["Providers:Twilio:AccountSid"] = "AC1",
        ["Providers:Twilio:AuthToken"] = "tw",
        ["Providers:Twilio:From"] = "+15005550006",
        ["Providers:Fcm:ServiceAccountJson"] = FcmPushSenderTests.ServiceAccountJson(peer, googleKey),
        ["Providers:Apns:TeamId"] = "TEAM123456",
        ["Providers:Apns:KeyId"] = "KEY1234567",
        ["Providers:Apns:PrivateKey"] = apnsKey.ExportPkcs8PrivateKeyPem(),
        ["Providers:Apns:BundleId"] = "example.shop.app",
        ["Providers:Huawei:AppId"] = "1",
        ["Providers:Huawei:ClientId"] = "1",
        ["Providers:Huawei:ClientSecret"] = "s",
        ["Providers:WebPush:Subject"] = "mailto:ops@shop.example",
        ["Providers:WebPush:PublicKey"] = Base64Url.EncodeToString(WebPushEncryption.PublicBytes(vapidKey)),
        ["Providers:WebPush:PrivateKey"] = Base64Url.EncodeToString(vapidKey.ExportParameters(true).D),
        ["Providers:Line:ChannelAccessToken"] = "line-token",
        ["Providers:Meta:AccessToken"] = "meta",
        ["Providers:Meta:AudienceId"] = "238",
        ["Providers:GoogleAds:ServiceAccountJson"] = FcmPushSenderTests.ServiceAccountJson(peer, googleKey),
        ["Providers:GoogleAds:OperatingAccountId"] = "123",
        ["Providers:GoogleAds:UserListId"] = "456",
    };
}
