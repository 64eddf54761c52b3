using AbandonedCart.Activities.Customers;
using AbandonedCart.Workflows;

namespace AbandonedCart.Activities.Channels;

/// <summary>LINE: needs a LINE user id and line consent.</summary>
public sealed class LineChannel : IChannelRule
{
    public string Channel => Workflows.Channels.Line;

    public string? IneligibleReason(CustomerProfile customer)
    {
        ArgumentNullException.ThrowIfNull(customer);
        if (!customer.HasConsent(Consents.Line))
        {
            return Reasons.NoConsent;
        }

        return string.IsNullOrWhiteSpace(customer.LineUserId) ? Reasons.NoAddress : null;
    }
}
