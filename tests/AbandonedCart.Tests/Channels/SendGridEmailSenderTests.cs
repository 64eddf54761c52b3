using System.Text.Json.Nodes;
using AbandonedCart.Activities.Channels;
using Microsoft.Extensions.Options;
using SendGrid.Helpers.Mail;

namespace AbandonedCart.Tests.Channels;

public sealed class SendGridEmailSenderTests : IAsyncLifetime
{
    private LoopbackPeer peer = null!;
    private HttpClient http = null!;
    private SendGridEmailSender sender = null!;

    public async Task InitializeAsync()
    {
        peer = await LoopbackPeer.StartAsync();
        http = new HttpClient();
        sender = new SendGridEmailSender(http, Options.Create(new SendGridOptions
        {
            ApiKey = "SG.test-key",
            FromEmail = "shop@shop.example",
            FromName = "Shop",
            TemplateId = "d-0123456789abcdef",
            UnsubscribeGroupId = 4242,
            BaseUrl = peer.BaseUri.ToString().TrimEnd('/'),
        }));
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await peer.DisposeAsync();
    }

    [Fact]
    public async Task SendAsync_Cart_PostsMailSendWithTemplateDataCustomArgsAndUnsubscribeGroup()
    {
        peer.Respond = _ => new PeerResponse(202, Headers: new Dictionary<string, string> { ["X-Message-Id"] = "sg-msg-1" });

        var receipt = await sender.SendAsync(ProviderTest.Message(), CancellationToken.None);

        Assert.Equal(new ProviderReceipt("sendgrid", "sg-msg-1"), receipt);
        var request = peer.Single("/v3/mail/send");
        Assert.Equal("POST", request.Method);
        Assert.Equal("Bearer SG.test-key", request.Header("Authorization"));
        Assert.StartsWith("application/json", request.Header("Content-Type"), StringComparison.Ordinal);
        var mail = request.Json;
        Assert.Equal("shop@shop.example", mail.GetProperty("from").GetProperty("email").GetString());
        Assert.Equal("d-0123456789abcdef", mail.GetProperty("template_id").GetString());
        Assert.Equal(4242, mail.GetProperty("asm").GetProperty("group_id").GetInt32());
        Assert.Equal("9001", mail.GetProperty("custom_args").GetProperty("message_id").GetString());
        Assert.Equal("cust-42:abandoned-cart:run-1:step-1", mail.GetProperty("custom_args").GetProperty("idempotency_key").GetString());
        Assert.False(mail.GetProperty("tracking_settings").GetProperty("click_tracking").GetProperty("enable").GetBoolean());

        var personalization = mail.GetProperty("personalizations")[0];
        Assert.Equal("Ana.Silva@example.com", personalization.GetProperty("to")[0].GetProperty("email").GetString());
        var data = personalization.GetProperty("dynamic_template_data");
        Assert.Equal("https://cart.example/t/c/abc.def", data.GetProperty("click_url").GetString());
        Assert.Equal("https://cart.example/t/o/abc.def", data.GetProperty("open_pixel_url").GetString());
        Assert.Equal(129.90m, data.GetProperty("cart_value").GetDecimal());
        var first = data.GetProperty("items")[0];
        Assert.Equal("Trail shoes", first.GetProperty("name").GetString());
        Assert.Equal(89.90m, first.GetProperty("price").GetDecimal());
        Assert.Equal("https://shop.example/i/shoe.jpg", first.GetProperty("image_url").GetString());
        Assert.Equal(2, data.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task SendAsync_Cart_PostsTheJsonTheSendGridLibraryWouldSerialize()
    {
        peer.Respond = _ => new PeerResponse(202);
        var message = ProviderTest.Message() with
        {
            Items = [.. ProviderTest.Message().Items, new Workflows.CartItem { Sku = "Q-3", Name = "Cap <\"Été\"> & 'more'", Price = 7m, Quantity = 3 }],
            OpenPixelUrl = null,
        };

        await sender.SendAsync(message, CancellationToken.None);

        // The body the sender used to build with SendGridMessage, which the library serializes with Newtonsoft.
        var mail = new SendGridMessage
        {
            TemplateId = "d-0123456789abcdef",
            CustomArgs = new Dictionary<string, string>
            {
                ["message_id"] = "9001", ["idempotency_key"] = message.IdempotencyKey, ["journey"] = message.Journey, ["step"] = "1",
            },
        };
        mail.SetFrom(new EmailAddress("shop@shop.example", "Shop"));
        mail.AddTo(new EmailAddress(message.Customer.Email));
        mail.SetTemplateData(new Dictionary<string, object?>
        {
            ["customer_id"] = message.Customer.Id,
            ["items"] = message.Items.Select(i => new Dictionary<string, object?>
            {
                ["sku"] = i.Sku, ["name"] = i.Name, ["price"] = i.Price, ["quantity"] = i.Quantity, ["image_url"] = i.ImageUrl, ["url"] = i.Url,
            }).ToList(),
            ["cart_value"] = message.CartValue,
            ["currency"] = message.Currency,
            ["click_url"] = message.ClickUrl,
            ["open_pixel_url"] = message.OpenPixelUrl,
        });
        mail.SetAsm(4242);
        mail.SetClickTracking(false, false);

        // Same members, order, nulls and number text (20.0, 7.0); string escapes may differ only in spelling.
        Assert.Equal(JsonNode.Parse(mail.Serialize())!.ToJsonString(), JsonNode.Parse(peer.Single("/v3/mail/send").Body)!.ToJsonString());
    }

    [Fact]
    public async Task SendAsync_SendGridSaysInvalidAddress_FailsAsInvalidAddressForEmail()
    {
        peer.Respond = _ => new PeerResponse(400, """{"errors":[{"message":"Does not contain a valid address.","field":"personalizations.0.to.0.email","help":null}]}""");

        var failure = await ProviderTest.RejectedAsync(ProviderErrors.InvalidAddress, () => sender.SendAsync(ProviderTest.Message(), CancellationToken.None));

        Assert.Equal("email", failure.Details.ElementAt<string>(0));
    }

    [Fact]
    public async Task SendAsync_MalformedAddress_IsRejectedWithoutCallingSendGrid()
    {
        var message = ProviderTest.Message(ProviderTest.Customer(c => c with { Email = "not-an-address" }));

        await ProviderTest.RejectedAsync(ProviderErrors.InvalidAddress, () => sender.SendAsync(message, CancellationToken.None));

        Assert.Empty(peer.Requests);
    }

    [Fact]
    public async Task SendAsync_ThrottledOrFailingOrBadRequest_MapsToRetryOrReject() =>
        await ProviderTest.AssertStatusMappingAsync(
            peer, () => sender.SendAsync(ProviderTest.Message(), CancellationToken.None), """{"errors":[{"message":"The template_id is not a valid template ID.","field":"template_id"}]}""");

    [Fact]
    public async Task SendAsync_PeerDown_IsRetryable()
    {
        await peer.DisposeAsync();

        var failure = await ProviderTest.RetryableAsync(() => sender.SendAsync(ProviderTest.Message(), CancellationToken.None));

        Assert.Contains("sendgrid", failure.Message, StringComparison.Ordinal);
    }
}
