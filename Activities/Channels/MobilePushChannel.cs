using AbandonedCart.Activities.Customers;
using AbandonedCart.Workflows;

namespace AbandonedCart.Activities.Channels;

/// <summary>Mobile push: needs an FCM, APNs or Huawei token and push consent.</summary>
public sealed class MobilePushChannel : IChannelRule
{
    public string Channel => Workflows.Channels.MobilePush;

    public string? IneligibleReason(CustomerProfile customer)
    {
        ArgumentNullException.ThrowIfNull(customer);
        if (!customer.HasConsent(Consents.Push))
        {
            return Reasons.NoConsent;
        }

        var hasToken = !string.IsNullOrWhiteSpace(customer.FcmToken) || !string.IsNullOrWhiteSpace(customer.ApnsToken)
            || !string.IsNullOrWhiteSpace(customer.HuaweiToken);
        return hasToken ? null : Reasons.NoAddress;
    }
}
