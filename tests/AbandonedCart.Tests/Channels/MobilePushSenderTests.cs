using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Customers;
using ChannelNames = AbandonedCart.Workflows.Channels;

namespace AbandonedCart.Tests.Channels;

/// <summary>Which provider a mobile push goes through: FCM, else APNs, else Huawei, among those configured.</summary>
public sealed class MobilePushSenderTests
{
    [Theory]
    [InlineData("fcm-1", "apns-1", "hw-1", "fcm")]
    [InlineData(null, "apns-1", "hw-1", "apns")]
    [InlineData(null, null, "hw-1", "huawei")]
    public async Task SendAsync_CustomerTokens_PickTheFirstProviderInPreferenceOrder(string? fcm, string? apns, string? huawei, string expected)
    {
        var sender = new MobilePushSender([new Recording("huawei", c => c.HuaweiToken), new Recording("apns", c => c.ApnsToken), new Recording("fcm", c => c.FcmToken)]);
        var message = ProviderTest.Message(ProviderTest.Customer(c => c with { FcmToken = fcm, ApnsToken = apns, HuaweiToken = huawei }), ChannelNames.MobilePush);

        var receipt = await sender.SendAsync(message, CancellationToken.None);

        Assert.Equal(expected, receipt.Provider);
        Assert.Equal("fcm+apns+huawei", sender.Provider);
    }

    [Fact]
    public async Task SendAsync_FcmTokenButOnlyApnsConfigured_UsesTheApnsToken()
    {
        var sender = new MobilePushSender([new Recording("apns", c => c.ApnsToken)]);
        var message = ProviderTest.Message(ProviderTest.Customer(c => c with { FcmToken = "fcm-1", ApnsToken = "apns-1" }), ChannelNames.MobilePush);

        var receipt = await sender.SendAsync(message, CancellationToken.None);

        Assert.Equal(new ProviderReceipt("apns", "apns-1"), receipt);
    }

    /// <summary>A provider that answers with the token it was given.</summary>
    private sealed class Recording(string provider, Func<CustomerProfile, string?> token) : IPushTokenSender
    {
        public string Provider => provider;

        public string TokenProperty => $"{provider}_token";

        public string? TokenOf(CustomerProfile customer) => token(customer);

        public Task<ProviderReceipt> SendAsync(OutboundMessage message, string token, CancellationToken cancellationToken) =>
            Task.FromResult(new ProviderReceipt(provider, token));
    }
}
