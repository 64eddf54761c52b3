using System.Text.RegularExpressions;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Workflows;

namespace AbandonedCart.Activities.Channels;

/// <summary>SMS/MMS: needs a phone number in E.164 form and sms consent.</summary>
public sealed partial class SmsChannel : IChannelRule
{
    public string Channel => Workflows.Channels.Sms;

    public static bool IsE164(string? phone) => phone is not null && E164().IsMatch(phone);

    public string? IneligibleReason(CustomerProfile customer)
    {
        ArgumentNullException.ThrowIfNull(customer);
        if (!customer.HasConsent(Consents.Sms))
        {
            return Reasons.NoConsent;
        }

        return customer.PhoneValid && IsE164(customer.Phone) ? null : Reasons.NoAddress;
    }

    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}\z")]
    private static partial Regex E164();
}
