using AbandonedCart.Activities.Customers;

namespace AbandonedCart.Activities.Channels;

/// <summary>One mobile push provider, for the customer's token of its kind.</summary>
public interface IPushTokenSender
{
    /// <summary><c>fcm</c>, <c>apns</c> or <c>huawei</c>.</summary>
    string Provider { get; }

    /// <summary>The customer property that holds this provider's token (named in a TokenInvalid failure).</summary>
    string TokenProperty { get; }

    string? TokenOf(CustomerProfile customer);

    Task<ProviderReceipt> SendAsync(OutboundMessage message, string token, CancellationToken cancellationToken);
}

/// <summary>Mobile push: FCM when the customer has an FCM token, else APNs, else Huawei, among the configured providers.</summary>
public sealed class MobilePushSender(IEnumerable<IPushTokenSender> providers) : IChannelSender
{
    private static readonly string[] Preference = [FcmPushSender.Name, ApnsPushSender.Name, HuaweiPushSender.Name];

    private readonly IPushTokenSender[] ordered = [.. providers.OrderBy(p => Array.IndexOf(Preference, p.Provider))];

    public string Channel => Workflows.Channels.MobilePush;

    public string Provider => string.Join('+', ordered.Select(p => p.Provider));

    public Task<ProviderReceipt> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        foreach (var provider in ordered)
        {
            if (provider.TokenOf(message.Customer) is { Length: > 0 } token)
            {
                return provider.SendAsync(message, token, cancellationToken);
            }
        }

        throw ProviderErrors.Rejected(Provider, "the customer has no push token for a configured provider");
    }
}
