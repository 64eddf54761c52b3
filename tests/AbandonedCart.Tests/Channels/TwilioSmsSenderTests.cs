using System.Text;
using AbandonedCart.Activities.Channels;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Tests.Channels;

public sealed class TwilioSmsSenderTests : IAsyncLifetime
{
    private const string Created = """{"sid":"SM1f0e8ae6ade43cb3c0ce4525424e404f","status":"queued","to":"+14155550123","from":"+15005550006"}""";
    private LoopbackPeer peer = null!;
    private HttpClient http = null!;
    private TwilioOptions options = null!;
    private TwilioSmsSender sender = null!;

    public async Task InitializeAsync()
    {
        peer = await LoopbackPeer.StartAsync();
        http = new HttpClient();
        options = new TwilioOptions
        {
            AccountSid = "AC0123456789abcdef0123456789abcdef",
            AuthToken = "auth-token",
            From = "+15005550006",
            StatusCallbackUrl = "https://cart.example/webhooks/twilio/status",
            BaseUrl = peer.BaseUri.ToString(),
        };
        sender = new TwilioSmsSender(http, Options.Create(options));
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await peer.DisposeAsync();
    }

    [Fact]
    public async Task SendAsync_UsNumber_PostsMmsFormWithBasicAuthAndStatusCallback()
    {
        peer.Respond = _ => new PeerResponse(201, Created);

        var receipt = await sender.SendAsync(ProviderTest.Message(channel: "sms"), CancellationToken.None);

        Assert.Equal(new ProviderReceipt("twilio", "SM1f0e8ae6ade43cb3c0ce4525424e404f"), receipt);
        var request = peer.Single("/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json");
        Assert.Equal("POST", request.Method);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("AC0123456789abcdef0123456789abcdef:auth-token")), request.Header("Authorization"));
        Assert.Equal("application/x-www-form-urlencoded", request.Header("Content-Type"));
        var form = request.Form;
        Assert.Equal("+14155550123", form["To"]);
        Assert.Equal("+15005550006", form["From"]);
        Assert.Equal("https://cart.example/webhooks/twilio/status", form["StatusCallback"]);
        Assert.Equal("https://shop.example/i/shoe.jpg", form["MediaUrl"]);
        Assert.EndsWith(" https://cart.example/t/c/abc.def", form["Body"], StringComparison.Ordinal);
        Assert.Contains("Trail shoes and 1 more", form["Body"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_NumberOutsideMmsCountries_SendsSmsWithTheLinkOnly()
    {
        peer.Respond = _ => new PeerResponse(201, Created);
        options.MessagingServiceSid = "MG0123456789abcdef0123456789abcdef";

        await sender.SendAsync(ProviderTest.Message(ProviderTest.Customer(c => c with { Phone = "+447700900123" }), "sms"), CancellationToken.None);

        var form = Assert.Single(peer.Requests).Form;
        Assert.Equal("+447700900123", form["To"]);
        Assert.Equal("MG0123456789abcdef0123456789abcdef", form["MessagingServiceSid"]);
        Assert.False(form.ContainsKey("From"));
        Assert.False(form.ContainsKey("MediaUrl"));
        Assert.Contains("https://cart.example/t/c/abc.def", form["Body"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_TwilioSaysInvalidToNumber_FailsAsInvalidAddressForPhone()
    {
        peer.Respond = _ => new PeerResponse(400, """{"code":21211,"message":"The 'To' number +14155550123 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}""");

        var failure = await ProviderTest.RejectedAsync(ProviderErrors.InvalidAddress, () => sender.SendAsync(ProviderTest.Message(channel: "sms"), CancellationToken.None));

        Assert.Equal("phone", failure.Details.ElementAt<string>(0));
    }

    [Fact]
    public async Task SendAsync_ThrottledOrFailingOrBadRequest_MapsToRetryOrReject() =>
        await ProviderTest.AssertStatusMappingAsync(
            peer,
            () => sender.SendAsync(ProviderTest.Message(channel: "sms"), CancellationToken.None),
            """{"code":21602,"message":"Message body is required.","status":400}""");

    [Theory]
    [InlineData(400, 21212, "The 'From' number +15005550001 is not a valid phone number.")]
    [InlineData(400, 21606, "The From phone number is not a valid, SMS-capable inbound phone number.")]
    [InlineData(401, 20003, "Authenticate")]
    public async Task SendAsync_TwilioRefusesOurSenderOrAccount_FailsAsMisconfiguredNamingNoCustomerProperty(int status, int code, string message)
    {
        peer.Respond = _ => new PeerResponse(status, $$"""{"code":{{code}},"message":"{{message}}","status":{{status}}}""");

        var failure = await ProviderTest.RejectedAsync(ProviderErrors.ProviderMisconfigured, () => sender.SendAsync(ProviderTest.Message(channel: "sms"), CancellationToken.None));

        Assert.Equal(0, failure.Details.Count);
    }

    [Fact]
    public async Task SendAsync_TwilioSaysRecipientUnsubscribed_FailsAsOptedOutNotAsABadNumber()
    {
        peer.Respond = _ => new PeerResponse(400, """{"code":21610,"message":"Attempt to send to unsubscribed recipient","status":400}""");

        var failure = await ProviderTest.RejectedAsync(ProviderErrors.RecipientOptedOut, () => sender.SendAsync(ProviderTest.Message(channel: "sms"), CancellationToken.None));

        Assert.Equal(0, failure.Details.Count);
    }

    [Fact]
    public void Options_UnknownMmsCountry_IsReported()
    {
        options.MmsCountries = ["US", "XX"];

        Assert.Contains(options.Problems(), p => p.Contains("XX", StringComparison.Ordinal));
    }
}
