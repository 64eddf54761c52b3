using AbandonedCart.Activities.Customers;
using AbandonedCart.Workflows;

namespace AbandonedCart.Activities.Channels;

/// <summary>A message ready to hand to a provider: the message-log row already exists under its idempotency key.</summary>
public sealed record OutboundMessage
{
    public required long MessageId { get; init; }

    public required string IdempotencyKey { get; init; }

    public required string Channel { get; init; }

    public required string Journey { get; init; }

    public required int Step { get; init; }

    public required CustomerProfile Customer { get; init; }

    public required IReadOnlyList<CartItem> Items { get; init; }

    public decimal CartValue { get; init; }

    public string Currency { get; init; } = "EUR";

    /// <summary>Signed tracking link to the cart (records a click, then redirects).</summary>
    public string? ClickUrl { get; init; }

    /// <summary>Signed open pixel (email only).</summary>
    public string? OpenPixelUrl { get; init; }
}

/// <summary>What a provider answered for an accepted message.</summary>
public sealed record ProviderReceipt(string Provider, string? ProviderMessageId);

/// <summary>Sends one channel's messages through one provider (or the development outbox).</summary>
public interface IChannelSender
{
    string Channel { get; }

    string Provider { get; }

    Task<ProviderReceipt> SendAsync(OutboundMessage message, CancellationToken cancellationToken);
}

/// <summary>A channel's eligibility rule: the consent and the property it needs.</summary>
public interface IChannelRule
{
    string Channel { get; }

    /// <summary>Null when the customer can get this channel now, else the reason (<see cref="Reasons"/>).</summary>
    string? IneligibleReason(CustomerProfile customer);
}
