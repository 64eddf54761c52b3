using AbandonedCart.Activities.Customers;
using AbandonedCart.Workflows;

namespace AbandonedCart.Activities.Channels;

/// <summary>Web push: needs a browser subscription (endpoint and keys) and push consent.</summary>
public sealed class WebPushChannel : IChannelRule
{
    public string Channel => Workflows.Channels.WebPush;

    public string? IneligibleReason(CustomerProfile customer)
    {
        ArgumentNullException.ThrowIfNull(customer);
        if (!customer.HasConsent(Consents.Push))
        {
            return Reasons.NoConsent;
        }

        var sub = customer.WebPush;
        var complete = sub is not null && Uri.TryCreate(sub.Endpoint, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
            && !string.IsNullOrWhiteSpace(sub.P256dh) && !string.IsNullOrWhiteSpace(sub.Auth);
        return complete ? null : Reasons.NoAddress;
    }
}
