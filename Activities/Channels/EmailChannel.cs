using System.Diagnostics.CodeAnalysis;
using System.Net.Mail;
using AbandonedCart.Activities.Customers;
using AbandonedCart.Workflows;

namespace AbandonedCart.Activities.Channels;

/// <summary>Email: needs a valid address and email consent.</summary>
public sealed class EmailChannel : IChannelRule
{
    public string Channel => Workflows.Channels.Email;

    public static bool IsValidAddress([NotNullWhen(true)] string? email) =>
        !string.IsNullOrWhiteSpace(email) && MailAddress.TryCreate(email, out var parsed) && parsed.Address == email.Trim()
        && parsed.Host.Contains('.', StringComparison.Ordinal);

    public string? IneligibleReason(CustomerProfile customer)
    {
        ArgumentNullException.ThrowIfNull(customer);
        if (!customer.HasConsent(Consents.Email))
        {
            return Reasons.NoConsent;
        }

        return customer.EmailValid && IsValidAddress(customer.Email) ? null : Reasons.NoAddress;
    }
}
