using System.Globalization;
using System.Text;
using System.Text.Json;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Activities.Storage;
using Microsoft.Extensions.Logging;

namespace AbandonedCart.Activities.Channels;

/// <summary>
/// The development outbox for one channel: records the rendered message in PostgreSQL instead of calling a
/// provider. The default for every channel that has no provider sender configured.
/// </summary>
public sealed class OutboxSender(string channel, OutboxStore outbox, ILogger<OutboxSender> logger) : IChannelSender
{
    public const string ProviderName = "outbox";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Channel => channel;

    public string Provider => ProviderName;

    public async Task<ProviderReceipt> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var subject = Subject(message);
        var body = Body(message);
        var payload = JsonSerializer.Serialize(
            new { message.Journey, message.Channel, message.Step, message.Items, message.CartValue, message.Currency, message.ClickUrl, subject, body },
            Json);
        var id = await outbox.AddAsync(
            new OutboxEntry
            {
                Kind = OutboxKinds.Message,
                IdempotencyKey = message.IdempotencyKey,
                MessageId = message.MessageId,
                Channel = channel,
                CustomerId = message.Customer.Id,
                Recipient = RecipientOf(channel, message.Customer),
                Subject = subject,
                Body = body,
                Payload = payload,
            },
            cancellationToken);

        // Customer id only: the recipient address is personal data and stays in the database.
        logger.LogInformation(
            "Outbox {Channel} message {OutboxId} for customer {CustomerId} (step {Step}, key {IdempotencyKey})",
            channel, id, message.Customer.Id, message.Step, message.IdempotencyKey);
        return new ProviderReceipt(ProviderName, $"outbox-{id}");
    }

    /// <summary>The address a provider would have sent to; push tokens are shortened, they are credentials of a device.</summary>
    private static string? RecipientOf(string channel, CustomerProfile customer) => channel switch
    {
        Workflows.Channels.Email => customer.Email,
        Workflows.Channels.Sms => customer.Phone,
        Workflows.Channels.MobilePush => Shorten(customer.FcmToken ?? customer.ApnsToken ?? customer.HuaweiToken),
        Workflows.Channels.WebPush => Uri.TryCreate(customer.WebPush?.Endpoint, UriKind.Absolute, out var endpoint) ? endpoint.Host : null,
        Workflows.Channels.Line => customer.LineUserId,
        _ => null,
    };

    private static string? Shorten(string? token) => token is null ? null : token.Length <= 8 ? token : $"{token[..8]}…";

    private static string Subject(OutboundMessage message)
    {
        var first = message.Items.Count > 0 ? message.Items[0].Name : "your cart";
        return message.Items.Count > 1
            ? string.Create(CultureInfo.InvariantCulture, $"Still thinking about {first} and {message.Items.Count - 1} more?")
            : $"Still thinking about {first}?";
    }

    private static string Body(OutboundMessage message)
    {
        var body = new StringBuilder();
        foreach (var item in message.Items)
        {
            body.Append(CultureInfo.InvariantCulture, $"{item.Quantity} x {item.Name} ({item.Price:0.00} {message.Currency})").AppendLine();
        }

        body.Append(CultureInfo.InvariantCulture, $"Total: {message.CartValue:0.00} {message.Currency}");
        if (message.ClickUrl is not null)
        {
            body.AppendLine().Append("Back to your cart: ").Append(message.ClickUrl);
        }

        return body.ToString();
    }
}
