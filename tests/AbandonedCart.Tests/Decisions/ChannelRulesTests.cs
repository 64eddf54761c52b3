using AbandonedCart.Activities.Channels;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Workflows;

namespace AbandonedCart.Tests.Decisions;

using Channels = AbandonedCart.Workflows.Channels;

public sealed class ChannelRulesTests
{
    private static readonly CustomerProfile Everything = new()
    {
        Id = "c-1",
        Email = "ana@example.com",
        Phone = "+420601234567",
        FcmToken = "fcm-token",
        WebPush = new WebPushSubscription("https://push.example.com/s/1", "p256dh", "auth"),
        LineUserId = "U123",
        Consents = new HashSet<string>(Consents.All),
    };

    [Theory]
    [InlineData(Channels.Email)]
    [InlineData(Channels.Sms)]
    [InlineData(Channels.MobilePush)]
    [InlineData(Channels.WebPush)]
    [InlineData(Channels.Line)]
    public void IneligibleReason_AddressAndConsent_Eligible(string channel) =>
        Assert.Null(ChannelRules.IneligibleReason(channel, Everything));

    [Theory]
    [InlineData(Channels.Email, Consents.Email)]
    [InlineData(Channels.Sms, Consents.Sms)]
    [InlineData(Channels.MobilePush, Consents.Push)]
    [InlineData(Channels.WebPush, Consents.Push)]
    [InlineData(Channels.Line, Consents.Line)]
    public void IneligibleReason_ConsentWithdrawn_NoConsent(string channel, string consent)
    {
        var customer = Everything with { Consents = new HashSet<string>(Consents.All.Where(c => c != consent)) };
        Assert.Equal(Reasons.NoConsent, ChannelRules.IneligibleReason(channel, customer));
    }

    [Theory]
    [InlineData("ana@example")]
    [InlineData("not an email")]
    [InlineData("")]
    [InlineData(null)]
    public void IneligibleReason_InvalidEmail_NoAddress(string? email) =>
        Assert.Equal(Reasons.NoAddress, ChannelRules.IneligibleReason(Channels.Email, Everything with { Email = email }));

    [Fact]
    public void IneligibleReason_EmailMarkedInvalidByBounce_NoAddress() =>
        Assert.Equal(Reasons.NoAddress, ChannelRules.IneligibleReason(Channels.Email, Everything with { EmailValid = false }));

    [Theory]
    [InlineData("601234567")]
    [InlineData("00420601234567")]
    [InlineData("+0420601234567")]
    [InlineData("+420 601 234 567")]
    [InlineData("+420601234567\n")]
    public void IneligibleReason_PhoneNotE164_NoAddress(string phone) =>
        Assert.Equal(Reasons.NoAddress, ChannelRules.IneligibleReason(Channels.Sms, Everything with { Phone = phone }));

    [Fact]
    public void IneligibleReason_MobilePushWithOnlyHuaweiToken_Eligible() =>
        Assert.Null(ChannelRules.IneligibleReason(Channels.MobilePush, Everything with { FcmToken = null, HuaweiToken = "hw" }));

    [Fact]
    public void IneligibleReason_NoPushTokens_NoAddress() =>
        Assert.Equal(Reasons.NoAddress, ChannelRules.IneligibleReason(Channels.MobilePush, Everything with { FcmToken = null }));

    [Fact]
    public void IneligibleReason_WebPushWithoutKeys_NoAddress() =>
        Assert.Equal(Reasons.NoAddress, ChannelRules.IneligibleReason(Channels.WebPush, Everything with { WebPush = new WebPushSubscription("https://push.example.com/s/1", "", "") }));
}
